/* comicgan GIMP 2.10 plug-in — what its files share.
 *
 * The plug-in is one program (installed as plug-ins/comicgan/comicgan) that
 * registers four PDB procedures. main.c registers and dispatches them,
 * layers.c moves pixels between GIMP and comicgan, dialog.c and preview.c are
 * the GTK 3 dialog and its worker thread, presets.c reads and writes the
 * named presets the Krita plug-in shares, error.c holds the error domain.
 * Calls go one way, from the top of this list down, never back up:
 *
 *   main.c    -> dialog.c, layers.c, error.c
 *   dialog.c  -> preview.c, presets.c, layers.c, error.c
 *   presets.c -> error.c
 *   layers.c  -> error.c
 *   preview.c -> (the engine only)
 *
 * Nothing below main.c calls into it: what several files need (the error
 * domain) lives in error.c, not beside the procedures' registration.
 *
 * It links libgimp-2.0 and GTK 3 but never libgimpui: libgimpui is GTK 2, and
 * GTK 2 and GTK 3 in one process abort. */
#ifndef COMICGAN_GIMP_H
#define COMICGAN_GIMP_H

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "comicgan/catalog.h"
#include "comicgan/stylize.h"

#define PROC_STYLIZE "plug-in-comicgan-stylize"
#define PROC_ATTENTION "plug-in-comicgan-attention"
#define PROC_LAYERS "plug-in-comicgan-stylize-layers"
#define PROC_REFERENCE "plug-in-comicgan-stylize-reference"

/* Tile sizes a caller may ask for (0 means automatic). */
#define TILE_MIN 32
#define TILE_MAX 8192

/* The dialog's memory budget in MiB: the engine's default, and the range
 * offered (below the minimum a large image spills most of its work to disk;
 * the maximum is the comicgan command's). */
#define MEMORY_DEFAULT ((gint32)(CG_STYLIZE_DEFAULT_MEMORY_BUDGET >> 20))
#define MEMORY_MIN 256
#define MEMORY_MAX CG_STYLIZE_MAX_MEMORY_BUDGET_MIB

typedef enum {
    OUTPUT_REPLACE = 0,   /* paint over the drawable (through the selection) */
    OUTPUT_NEW_LAYER = 1, /* a stylized copy above it */
} output_mode;

/* Which procedure a dialog or a run is for. A reference run is a stylize
 * run whose style is a reference model's (the dialog is the stylize one). */
typedef enum { JOB_STYLIZE, JOB_ATTENTION, JOB_LAYERS, JOB_REFERENCE } job_kind;

/* The reference procedure's colour-mode argument. */
enum { COLORS_REFERENCE = 0, COLORS_PHOTO = 1 };

/* The longest reference file name the last values keep. */
#define REFERENCE_FILE_MAX 1024

/* The last values, kept by GIMP between runs (gimp_set_data). Stored values
 * whose version or size differ are ignored, so changing this struct means
 * bumping SETTINGS_VERSION. */
#define SETTINGS_VERSION 5
typedef struct settings {
    guint32 version;
    gchar style[64];       /* style name; "" for the catalog's first */
    gchar style_b[64];     /* a second style of the same model mixed in; "" for none */
    gdouble mix;           /* 0..1: style_b's share of the mix */
    gdouble strength;      /* 0..1 */
    gint32 keep_colors;    /* 0 or 1 */
    gint32 output;         /* output_mode */
    gint32 tile;           /* 0 or TILE_MIN..TILE_MAX */
    gchar point[64];       /* attention point name; "" for the model's first */
    gint32 show_attention; /* the dialog's overlay toggle */
    gdouble scale;         /* style scale: 0 automatic (CG_STYLIZE_AUTO_SIDE), else cg_stylize_options.scale */
    gdouble line_weight;   /* post-processing, as cg_stylize_options: -1..1 */
    gdouble denoise;       /* 0..1 */
    gdouble contrast;      /* 0.5..2 */
    gint32 memory;         /* MiB, MEMORY_MIN..MEMORY_MAX: cg_stylize_options.memory_budget */
    /* The reference picture when the style is a reference model's: a file
     * when reference_file is not "", else the drawable `reference` (-1: none). */
    gint32 reference;
    gchar reference_file[REFERENCE_FILE_MAX];
} settings;

void settings_defaults(settings *s);

/* The style a run uses, loaded. */
typedef struct loaded_style {
    cg_model *model;
    int index;
    float *mix;               /* one weight per style of the model when mixing, else NULL (g_free) */
    float *code;              /* a reference model's style code, else NULL (g_free) */
    const char *display_name; /* owned by the model */
} loaded_style;

void loaded_style_clear(loaded_style *st);

/* layers.c: the work of each procedure, called after the arguments are
 * checked. Each computes every result before touching the image, so that a
 * cancel (GIMP kills the plug-in) leaves the image as it was, then applies
 * them in one undo group. On failure they return FALSE with *error set and
 * the image unchanged. */
gboolean run_stylize(gint32 image, gint32 drawable, const loaded_style *st, const settings *s, GError **error);
gboolean run_layers(gint32 image, gint32 drawable, const loaded_style *st, const settings *s, GError **error);
gboolean run_attention(gint32 image, gint32 drawable, const loaded_style *st, const settings *s,
                       gint32 *heatmap_layer, GError **error);

/* Pixels of a drawable's rectangle as a comicgan image (R'G'B'A float,
 * values clamped to 0..1 and NaN made 0 so float images stay in the range
 * the networks know). NULL with *error set when memory runs out. */
cg_image *read_pixels(gint32 drawable, int x, int y, int width, int height, GError **error);

/* The whole drawable scaled by `scale` (<= 1), for previews. */
cg_image *read_scaled(gint32 drawable, double scale, GError **error);

/* The reference picture of *s (its file, or its drawable), whole. NULL
 * with *error set when the file cannot be read or memory runs out. */
cg_image *read_reference(const settings *s, GError **error);

/* An attention point's index in the model, by name ("" for the first), or -1. */
int find_attention_point(const cg_model *m, const char *name);

/* cg_stylize options from the settings. */
cg_stylize_options stylize_options(const loaded_style *st, const settings *s);

/* dialog.c: shows the dialog for `kind`, starting from *s (whose style the
 * catalog, not empty, has); on OK stores the choices in *s and returns
 * TRUE. FALSE on Cancel or when no display opens (then *error says why). */
gboolean dialog_run(job_kind kind, gint32 drawable, const cg_catalog *catalog, settings *s, GError **error);

/* presets.c: named presets, one group each in a key file both plug-ins
 * read and write (the format is in plugin-gimp/README.md). */

/* Where the presets live: $XDG_CONFIG_HOME/comicgan/presets.ini. */
char *presets_path(void);

/* The presets file, an empty one where none exists yet; NULL with *error set
 * when it cannot be read or is malformed (it is then never written over). */
GKeyFile *presets_load(const char *path, GError **error);

/* Whether a preset name can be a group of the file (and of Python's
 * configparser): 1..63 bytes, no brackets or control characters, no spaces
 * at either end. */
gboolean presets_name_ok(const char *name);

/* Preset `name` into *s (the other members of *s kept); FALSE with *error
 * naming the preset and the key when a value is missing or out of range. */
gboolean presets_get(GKeyFile *kf, const char *name, settings *s, GError **error);

/* Sets preset `name` from *s (replacing one of that name). */
void presets_set(GKeyFile *kf, const char *name, const settings *s);

/* Writes the file atomically (a new file renamed over the old one). */
gboolean presets_save(GKeyFile *kf, const char *path, GError **error);

/* error.c: the plug-in's error domain, for GError: a bad argument (the caller's
 * fault), a failure while running, or the user's cancel. */
#define CG_GIMP_ERROR (cg_gimp_error_quark())
enum { CG_GIMP_ERROR_ARGUMENT, CG_GIMP_ERROR_FAILED, CG_GIMP_ERROR_CANCELLED };
GQuark cg_gimp_error_quark(void);

#endif
