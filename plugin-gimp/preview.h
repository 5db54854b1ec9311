/* The dialog's worker thread: computes previews and style thumbnails so the
 * dialog never freezes.
 *
 * The dialog (main thread) reads pixels from GIMP — libgimp talks to GIMP
 * from the main thread only — and submits jobs; the worker loads the models
 * it needs (its own copies: a cg_model serves one call at a time), runs them
 * and hands results back to the main loop. A newer preview replaces a
 * pending one and cancels the one running; thumbnails queue behind it. */
#ifndef COMICGAN_GIMP_PREVIEW_H
#define COMICGAN_GIMP_PREVIEW_H

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "comicgan/stylize.h"

typedef struct preview_job {
    gboolean thumbnail; /* a style chooser thumbnail rather than the preview */
    int tag;            /* thumbnails: the style's row; previews: a generation number */
    char *model_path;
    int style_index;
    float *mix;         /* one weight per style of the model when mixing, else NULL (owned) */
    float *code;        /* a reference model's style code, else NULL (owned) */
    gboolean stylize;   /* FALSE: return the input, for an attention-only preview */
    float strength;
    gboolean keep_colors;
    int tile;
    float line_weight, denoise, contrast; /* post-processing, as cg_stylize_options */
    float scale;        /* cg_stylize_options.scale for input (never automatic: the dialog works it out) */
    float stats_scale;  /* and for stats_source */
    int point;          /* attention point to overlay, -1 for none */
    cg_image *input;    /* pixels with context around the part shown */
    cg_image *stats_source; /* when set: the whole drawable (scaled down), whose
                             * statistics the part shown is stylized with */
    int x, y, width, height; /* the part of input to return */
} preview_job;

typedef struct preview_result {
    gboolean thumbnail;
    int tag;
    GdkPixbuf *styled;  /* NULL on error */
    GdkPixbuf *heat;    /* the attention heatmap over the same part, or NULL */
    char *error;        /* why styled is NULL */
} preview_result;

/* Called in the main thread for each finished job (cancelled ones are not
 * reported). The result is freed after it returns; take references. */
typedef void (*preview_done_fn)(const preview_result *r, gpointer user_data);

typedef struct preview_worker preview_worker;

preview_worker *preview_worker_new(preview_done_fn done, gpointer user_data);

/* Takes ownership of job. A preview job replaces any preview not yet
 * started and cancels the one running. */
void preview_worker_submit(preview_worker *w, preview_job *job);

/* Stops the thread (cancelling its job) and drops pending jobs; no
 * callback runs after this returns. */
void preview_worker_free(preview_worker *w);

void preview_job_free(preview_job *job);

/* A part of an image as an 8-bit RGBA pixbuf. */
GdkPixbuf *pixbuf_from_image(const cg_image *img, int x, int y, int width, int height);

#endif
