/* What the comicgan subcommands share: error lines, option parsing, the
 * progress bar and Ctrl-C, turning --model/--style into a loaded model, and
 * all-or-nothing output files. */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include "comicgan/animation.h"
#include "comicgan/catalog.h"
#include "comicgan/error.h"
#include "comicgan/image.h"
#include "comicgan/model.h"
#include "comicgan/stylize.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdbool.h>

/* Exit statuses. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,    /* the work could not be done: bad file, engine error */
    CLI_EXIT_USAGE = 2,      /* the command line is wrong */
    CLI_EXIT_CANCELLED = 130 /* Ctrl-C, as a shell reports a SIGINT; other signals: cli_cancel_status */
};

/* Each subcommand: argv[0] is its own name. Returns the exit status. */
int cli_stylize(int argc, char **argv);
int cli_info(int argc, char **argv);
int cli_attention(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_plot(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_style_code(int argc, char **argv);

/* comicgan bench --scale-consistency (bench_scale.c): files are the photos,
 * resized to side pixels on their long side; auto_side is the automatic
 * scale's; only_style, when not NULL, the one style to measure; runs the
 * timing runs at 4000x3000 (0: none). Returns the exit status. */
int cli_bench_scale(char **files, int side, int auto_side, const char *only_style, int runs);
/* comicgan bench --flicker (bench_flicker.c): files are the photos the
 * shots are made from, resized to side on their long side; only_style may be
 * NULL. Prints the table; returns the exit status. */
int cli_bench_flicker(char **files, int side, const char *only_style);

/* Prints "comicgan: WHAT: WHY" on stderr; returns status. */
int cli_fail(int status, const char *what, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Prints "comicgan: MESSAGE" for an engine error (whose message already names
 * its file), or "comicgan: WHAT: MESSAGE" when what is non-NULL; returns
 * CLI_EXIT_CANCELLED for a cancellation, else CLI_EXIT_FAILURE. */
int cli_fail_error(const char *what, const cg_error *err);

/* For commands that go through every style: the model of the catalog's style
 * k with its index there, unless k is the identity style, a reference style
 * (it needs a picture) or only_style (may be NULL) names another; then NULL. A model that fails to load gives NULL
 * after printing why, with *status set to the exit status. Caller frees. */
cg_model *cli_load_listed_style(cg_catalog *cat, int k, const char *only_style, int *index, int *status);

/* img resized (antialiased) so its long side is side, each side at least its
 * minimum: a new image, or NULL with err set. */
cg_image *cli_resize_long_side(const cg_image *img, int side, int min_w, int min_h, cg_error *err);
/* The benchmarks' photos: each file loaded and resized by
 * cli_resize_long_side, their count in *n. A NULL-terminated array for
 * cli_free_photos; NULL after printing which file failed and why. */
cg_image **cli_load_photos(char *const *files, int side, int min_w, int min_h, int *n);
void cli_free_photos(cg_image **photos);

/* Parses argv with entries, after setting the usage line to
 * "comicgan COMMAND [OPTION…] PARAMETERS" and the summary. --help exits 0
 * (GLib does it). On a parse error prints the error line and returns false. */
bool cli_parse(const char *command, const char *parameters, const char *summary, const GOptionEntry *entries,
               int *argc, char ***argv);

/* Range checks for numeric options; print the error line and return false
 * when value is outside [lo, hi] (or NaN). */
bool cli_check_range(const char *command, const char *option, double value, double lo, double hi);

/* Sets o's scale from --scale's text: NULL or "auto" (the default: as if the
 * long side were CG_STYLIZE_AUTO_SIDE pixels), or a number (1 native, 0.25
 * a quarter of the size). Prints the error line and returns false when the
 * text is neither or the number is out of range. */
bool cli_parse_scale(const char *command, const char *text, cg_stylize_options *o);

/* ---- Ctrl-C and the progress bar ---- */

/* The signal that asked to stop (0: none yet); checked by the progress callback. */
extern volatile sig_atomic_t cli_interrupted;

/* Installs the SIGINT/SIGTERM/SIGHUP handler: the first signal asks the
 * running call to stop (so that temporary files are removed and a training
 * writes its checkpoint); a second one ends the process as usual. */
void cli_catch_interrupt(void);

/* The exit status of a cancelled command: 128 + the signal's number, as a
 * shell reports a process that signal ended (130 SIGINT, 143 SIGTERM, 129
 * SIGHUP); 130 when no signal was caught. */
int cli_cancel_status(void);

typedef struct cli_progress {
    bool draw;          /* stderr is a terminal */
    double every;       /* otherwise: seconds between progress lines (0: none) */
    char label[28 * 4 + 1]; /* 28 characters of UTF-8 */
    gint64 start_us;    /* monotonic time of cli_progress_start */
    gint64 drawn_us;    /* last redraw, to limit redraws to ~10 per second */
    int item, items;    /* the current item of a batch and how many there are */
} cli_progress;

/* Starts the clock. On a terminal it draws a bar; otherwise (a log, a pipe)
 * it prints a plain line with the fraction done and the time left every
 * COMICGAN_PROGRESS_SECONDS (default 10; 0: never), so a long run is not
 * silent, while a short one prints nothing. */
void cli_progress_start(cli_progress *p, int items);

/* Names the item now being worked on (0-based). */
void cli_progress_item(cli_progress *p, int item, const char *label);

/* A cg_progress_fn: draws the bar (fraction of the current item) and returns
 * false once Ctrl-C was pressed. */
bool cli_progress_update(void *progress, float fraction);

/* Ends the bar's line (only when something was drawn). */
void cli_progress_end(cli_progress *p);

/* Warns on stderr when img came from a file of several frames or pages
 * (a multi-page TIFF; an animated GIF or WebP given to --frames), of which
 * only the first is used. */
void cli_warn_frames(const char *path, const cg_image *img);

/* ---- models ---- */

/* Loads the model to run: --model FILE (and --style NAME within it, else its
 * first style), or the catalog's model holding --style NAME, or with neither
 * the catalog's first style that is not a reference style (when there is
 * one). Prints the error line and returns NULL on failure. */
cg_model *cli_load_model(const char *command, const char *model_file, const char *style, int *style_index);

/* ---- reference models (style_code.c) ---- */

/* Loads the reference model to run: --model FILE or --style NAME as
 * cli_load_model does, or with neither the catalog's first style of mode
 * "reference". Prints the error line and returns NULL on failure, and when
 * the model takes no reference pictures. Caller frees. */
cg_model *cli_load_reference_model(const char *command, const char *model_file, const char *style);

/* What a style code file names its model by: the SHA-256 (hex) of the
 * generator's and style encoder's architectures and their tensors' names and
 * values, so that a code is used only with the networks that made it.
 * Caller g_free. */
char *cli_model_identity(const cg_model *m);

/* Loads the picture at path and encodes it with reference model m into code
 * (cg_model_code_length(m) floats, the caller's). Returns the exit status,
 * after printing the error line for a picture that cannot be read or encoded
 * (too small, too large, not finite). */
int cli_encode_reference(const cg_model *m, const char *path, float *code);

/* The style code saved by comicgan style-code at path, for reference model
 * m: a new array of cg_model_code_length(m) floats (caller g_free). NULL
 * after printing the error line when the file cannot be read, is not a style
 * code, or was made by another model (another length or identity). */
float *cli_read_style_code(const cg_model *m, const char *path);

/* Parses "NAME=W,NAME=W" into weights (one per style of m, caller g_free).
 * Prints the error line and returns NULL when a name is unknown, a weight is
 * not a number >= 0, a name is repeated, or all weights are 0. */
float *cli_parse_mix(const char *command, const cg_model *m, const char *mix);

/* The first style name in a --mix string (g_free), to find its model. */
char *cli_mix_first_name(const char *mix);

/* ---- output files ---- */

/* True if cg_image_save can write a file with this name's extension. */
bool cli_known_extension(const char *path);

/* Checks, before any work is done, that path can be created: a known
 * extension (when check_extension), an existing folder we may write in, not
 * a folder itself. Prints the error line and returns false otherwise. */
bool cli_check_output(const char *path, bool check_extension);

/* True if a and b name the same existing file. */
bool cli_same_file(const char *a, const char *b);

/* Outputs written under temporary names in their final folders and renamed
 * into place together once everything succeeded, so a failed run leaves
 * nothing new behind and keeps every existing file. */
typedef struct cli_outputs {
    GPtrArray *temp, *final; /* char*, same length */
} cli_outputs;

void cli_outputs_init(cli_outputs *o);

/* A temporary name beside final (same extension, so the image writer picks
 * the same format), remembered for commit or discard. Owned by o. */
const char *cli_outputs_add(cli_outputs *o, const char *final);

/* Forgets the name cli_outputs_add gave last, when nothing was written
 * under it after all. */
void cli_outputs_forget_last(cli_outputs *o);

/* Renames every finished temporary file over its final name (keeping an
 * existing file's permissions). Prints the error line and returns false if
 * a rename fails; the files not yet renamed are removed. */
bool cli_outputs_commit(cli_outputs *o);

/* Removes every temporary file (those written so far). */
void cli_outputs_discard(cli_outputs *o);
void cli_outputs_clear(cli_outputs *o);

/* n with thousands separators ("1,377,411") into buf; returns buf. */
char *cli_format_count(gint64 n, char buf[32]);

/* Writes a JSON node to stdout, pretty-printed, with a newline. */
void cli_print_json(JsonNode *node);

#endif
