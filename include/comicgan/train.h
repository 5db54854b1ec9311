/* comicgan — training: configurations, runs, run folders and evaluation.
 *
 * A run is described by a key file (GLib GKeyFile, docs/training.md lists
 * every option) and lives in a run folder:
 *   config.ini           the configuration used, every option filled in
 *   data-report.json     files skipped while cleaning the data, and why
 *   split.json           the seeded train/val/test split of every source
 *   log.jsonl            one JSON object per logged step: losses, learning
 *                        rates, step time
 *   samples/step-N.png   validation images: input | output(s) | target |
 *                        attention heatmap
 *   checkpoint.safetensors  the whole training state (written atomically)
 *
 * cg_train runs or resumes a run. Resuming continues exactly: training N+M
 * steps straight and N steps, stop, resume, M steps give bit-identical
 * weights (with the same CG_NUM_THREADS). Modes: "pix2pix", "cyclegan",
 * "attention" (U-GAT-IT: CAM + AdaLIN) and "multistyle" (one
 * conditional-instance-norm generator for several styles and an identity
 * style). With MPI built in, cg_train runs data-parallel over the ranks of
 * MPI_COMM_WORLD (cg_dist_init first). */
#ifndef COMICGAN_TRAIN_H
#define COMICGAN_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "comicgan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ------------------------------------------------------ */

typedef struct cg_train_config cg_train_config;

/* Reads and checks a run configuration. Relative paths in it are taken from
 * the file's folder. Unknown groups or keys, bad values and missing data
 * folders are refused with a message naming the file, group and key. Caller
 * frees with cg_train_config_free. */
cg_train_config *cg_train_config_load(const char *path, cg_error *err);

/* The same from text; base_dir resolves relative paths, name is used in
 * messages. */
cg_train_config *cg_train_config_parse(const char *text, const char *base_dir, const char *name, cg_error *err);

void cg_train_config_free(cg_train_config *c);

/* Every option with its value (defaults filled in, paths absolute), as key
 * file text; owned by c. Parsing it gives the same configuration. */
const char *cg_train_config_canonical(const cg_train_config *c);

/* SHA-256 of the canonical text, 64 hex digits; owned by c. */
const char *cg_train_config_hash(const cg_train_config *c);

/* "pix2pix", "cyclegan", "attention" or "multistyle". */
const char *cg_train_config_mode(const cg_train_config *c);

/* The options this version knows, for documentation checks: i in
 * [0, count); group and key are static strings. */
int cg_train_option_count(void);
void cg_train_option(int i, const char **group, const char **key);

/* ---- running ------------------------------------------------------------ */

#define CG_TRAIN_MAX_LOSSES 24

/* What cg_train reports after each step (and for notices). */
typedef struct cg_train_report {
    int64_t step;            /* steps done */
    int64_t steps;           /* steps of the whole run */
    double step_seconds;     /* this step's time */
    double seconds_per_step; /* mean over this session's steps */
    float lr_g, lr_d;
    int n_losses;
    const char *loss_name[CG_TRAIN_MAX_LOSSES];
    float loss[CG_TRAIN_MAX_LOSSES];
    /* A line for people, or NULL: data cleaning summary, "checkpoint written",
     * "sample grid written", resume notices. Only from rank 0. */
    const char *notice;
} cg_train_report;

/* Called after every step and with notices; returning false stops the run
 * after writing a checkpoint (cg_train then returns CG_ERR_CANCELLED). */
typedef bool (*cg_train_fn)(void *user_data, const cg_train_report *r);

typedef struct cg_train_options {
    const char *run_dir;    /* NULL: the config's [run] folder */
    bool resume;            /* continue from run_dir's checkpoint */
    int64_t stop_after;     /* stop (with a checkpoint) after this many steps in
                             * this call; 0: run to the end */
    cg_train_fn report;
    void *report_data;
} cg_train_options;

/* Runs (or resumes) the run of configuration c. A new run refuses a run
 * folder that already holds a run. Returns CG_OK when the run reached its
 * last step or stop_after; CG_ERR_CANCELLED when report asked to stop;
 * CG_ERR_NUMERIC when a loss or weight became NaN or Inf (the message names
 * the step and the loss; the last good checkpoint is kept); other codes for
 * bad data, I/O failures and the like. A checkpoint is written on every
 * kind of stop except a numeric failure. */
cg_status cg_train(const cg_train_config *c, const cg_train_options *o, cg_error *err);

/* The run folder a configuration names ([run] dir), owned by c. */
const char *cg_train_config_run_dir(const cg_train_config *c);

/* ---- run folders -------------------------------------------------------- */

/* Draws the loss curves of run_dir's log.jsonl into a PNG at out_png
 * (written atomically): one panel for generator losses, one for
 * discriminator losses, against steps. */
cg_status cg_run_plot(const char *run_dir, const char *out_png, cg_error *err);

/* One post stage an export adds to the model or changes in it (a fixed
 * function of the output, so it may be added to a network trained without
 * one). */
typedef struct cg_export_post {
    char style[65]; /* a style of the model: the stage is that style's alone,
                     * by its weight in a mix; "": every style (a model's stage
                     * for every style becomes this style's when given one) */
    int kuwahara;   /* 1..4: the stage starts with this many passes of the
                     * Kuwahara filter (brush marks); 0 as trained (none) */
    int smooth;     /* 1..8: then smooths the output this many times with its
                     * own guided filter; 0 as trained */
    int bands;      /* 2..32: then moves luma onto this many flat bands; 0 as
                     * trained */
} cg_export_post;

/* What cg_run_export changes in the model it writes: a stage per style at
 * most; none (or a NULL pointer) writes the network as it was trained. */
#define CG_EXPORT_MAX_POST 4
typedef struct cg_export_options {
    cg_export_post post[CG_EXPORT_MAX_POST];
    int n_post;
} cg_export_options;

/* Sets p's non-zero settings on o's stage for p->style, adding that stage
 * when o has none; CG_ERR_INVALID when o already holds CG_EXPORT_MAX_POST. */
cg_status cg_export_options_set(cg_export_options *o, const cg_export_post *p, cg_error *err);

/* The export options that c's [export] group (every style) and [export NAME]
 * groups (style NAME) set, none when it has none: what `comicgan export
 * --recipe` applies. */
cg_export_options cg_train_config_export(const cg_train_config *c);

/* Writes the trained generator of run_dir's checkpoint as a model file at
 * out_model (atomically), its comicgan.provenance filled in: recipe (the
 * config), config hash, dataset manifest hash, steps, date, engine version,
 * and what opts changed ("export"). A bad option is CG_ERR_INVALID, and
 * nothing is written. */
cg_status cg_run_export(const char *run_dir, const char *out_model, const cg_export_options *opts, cg_error *err);

/* Writes the model file in_model again at out_model (atomically; it may be
 * the same path) with opts' changes to its post stage, the weights as they
 * were, and the provenance's "export" object updated and "reexported" dated.
 * For a shipped model whose run is gone. Nothing to change, a bad option or
 * a bad model is an error (CG_ERR_INVALID, or the loader's), and nothing is
 * written. */
cg_status cg_model_reexport(const char *in_model, const char *out_model, const cg_export_options *opts, cg_error *err);

/* ---- evaluation --------------------------------------------------------- */

/* Where the test images and references come from when DATA is a folder of
 * images rather than a run folder, what else to score beside the model, and
 * how much the temporal figure may cost. */
typedef struct cg_eval_options {
    int size;                  /* test images are resized to this shorter side; 0: 256 */
    int max_images;            /* per style; 0: all */
    const char *targets;       /* folder of targets matched by file name (paired metrics) */
    const char *target_filter; /* "manga", "cel" or "painted": targets made by that teacher */
    const char *style_images;  /* folder of style images (style score) */
    /* Baselines, each scored as one more row with the same figures (DATA must
     * be a folder of images): teacher filters by name ("cel", "manga",
     * "painted"), and folders of outputs made by other programs, each
     * photo's output found by the photo's file name without its extension.
     * NULL-terminated lists, or NULL for none. */
    const char *const *filters;
    const char *const *outputs;
    bool no_temporal;          /* skip the temporal ratio (it stylizes 8 frames per photo) */
    int temporal_images;       /* photos panned for the temporal ratio; 0: 4 */
} cg_eval_options;

/* Frames in the pan of the temporal ratio, and their sensor noise. */
#define CG_EVAL_PAN_FRAMES 8
#define CG_EVAL_PAN_NOISE (2.0f / 255.0f)

typedef struct cg_eval_style {
    char name[72];             /* the style's name; "filter:NAME" or "outputs:FOLDER" for baselines */
    char kind[16];             /* "style", "filter" or "outputs" */
    char features[16];         /* feature network of the style score: "discriminator" or "fixed" */
    int images;
    bool paired;               /* l1, psnr and ssim are set */
    double l1, psnr, ssim;     /* against targets, RGB in [0, 1]; SSIM on luma */
    double content;            /* SSIM of Sobel edge maps, output against input: 1 keeps every edge */
    double style;              /* relative distance between mean Gram matrices of outputs and
                                * of style references in the feature network (0 is closest);
                                * NaN without references */
    /* Style-quality figures (comicgan/quality.h), each the mean over the
     * images where it applies (NaN where it applies to none): */
    double hue_shift;          /* degrees, low-frequency hue change weighted by the photo's chroma */
    double delta_e;            /* low-frequency CIE76 colour difference */
    double flat_gained;        /* share of flat pixels (5x5 luma std < 1.5 levels), output minus photo */
    double flat_noise;         /* the output's 5x5 luma std, in levels, where the photo is smooth */
    double edge_corr;          /* correlation of Sobel magnitudes, output against photo */
    double mean_chroma;        /* the outputs' mean Lab chroma: near 0 for black and white */
    /* On a 1-pixel-a-frame pan of each of the first temporal_images photos
     * (CG_EVAL_PAN_FRAMES frames, noise CG_EVAL_PAN_NOISE, cg_quality_pan):
     * the change of the outputs over the change of the noisy frames
     * (cg_quality_pan_change), averaged over the photos; 1 changes as much as
     * the sensor noise, below 1 steadies it. NaN when skipped, or for
     * outputs made elsewhere. */
    double temporal_ratio;
    int temporal_images;
} cg_eval_style;

typedef struct cg_eval_result {
    int n;
    cg_eval_style *style;      /* the model's styles in its order, then the baselines */
    char source[32];           /* "run" (the run's test split) or "folder" */
} cg_eval_result;

/* Evaluates every style of the model at model_path on data: a run folder
 * (its config and the test split in split.json; references from the run's
 * targets, teacher or style images; the style score in the feature space of
 * the run's discriminator for that style) or a folder of images (references
 * from o; a fixed seeded feature network). Identity styles are measured
 * against the input itself. Then the baselines of o, on a folder of images
 * only (CG_ERR_INVALID for a run folder). model_path may be NULL when o names
 * a baseline. A model's style makes the temporal figure's frames with
 * cg_stylize_frames (shared statistics, as an animation is stylized), full
 * strength; a filter, frame by frame. An outputs folder without a file for
 * some photo, or with one whose aspect ratio differs from the photo's by
 * more than 2%, is CG_ERR_INVALID. Caller frees *out with
 * cg_eval_result_free; *out is NULL on error. */
cg_status cg_eval(const char *model_path, const char *data, const cg_eval_options *o, cg_eval_result **out,
                  cg_error *err);
void cg_eval_result_free(cg_eval_result *r);

/* ---- reference fidelity -------------------------------------------------- */

/* How far a stylized picture is from a reference, in the feature space the
 * fidelity matrix uses: the mean over the layers of the fixed seeded feature
 * network (the one of the style scores and the reference mode's style loss)
 * of the squared error of the Gram matrices and of the channel means, each
 * divided by the sum of both pictures' squares (0 when equal, about 1 between
 * unrelated pictures, at most 2), plus the squared difference of the six Lab
 * statistics (cg_quality_lab_stats) divided by 6 x 20^2 (a difference of 20
 * in every one counts 1). Symmetric; 0 for the reference itself. */
typedef struct cg_eval_reference_options {
    int size;           /* photos and references are resized to this shorter side; 0: 256 */
    int max_photos;     /* 0: all */
    int max_references; /* 0: all */
    bool keep_colors;   /* the photo's colours (as stylize --keep-colors); else the reference's.
                           The distance then looks at luma alone (every picture's gray copy:
                           the colours are the photo's by request) */
} cg_eval_reference_options;

typedef struct cg_eval_reference_result {
    int photos, references;
    char **photo_names, **reference_names; /* file names, NULL-terminated */
    /* photos x references x references: distance[(p * references + r) * references + k] is
     * the distance of photo p stylized with reference r to reference k */
    double *distance;
    double *photo_distance; /* photos x references: photo p itself to reference r */
    int own_nearest;        /* cells (p, r) whose output is nearer reference r than every other */
    double edge_corr;       /* mean over the cells of cg_quality_edge_corr(photo, output) */
    double encode_ms;       /* median wall time of encoding one reference */
} cg_eval_reference_result;

/* Stylizes every photo of the folder `photos` with every reference of the
 * folder `references` (each encoded once) by the reference model at
 * model_path, at full strength, and measures each output's distance to
 * every reference: the fidelity matrix. CG_ERR_INVALID when the model takes
 * no reference, a folder has no image, or fewer than 2 references. Caller
 * frees *out with cg_eval_reference_result_free; *out is NULL on error. */
cg_status cg_eval_reference(const char *model_path, const char *photos, const char *references,
                            const cg_eval_reference_options *o, cg_eval_reference_result **out, cg_error *err);
void cg_eval_reference_result_free(cg_eval_reference_result *r);

/* ---- distributed training ---------------------------------------------- */

/* Starts MPI (MPI_Init); CG_ERR_UNSUPPORTED when this build has no MPI.
 * cg_dist_finalize ends it (call once, at exit, after the last cg_train). */
cg_status cg_dist_init(int *argc, char ***argv, cg_error *err);
void cg_dist_finalize(void);
/* True when this build can train over MPI. */
bool cg_dist_available(void);
/* This process's rank and the number of ranks (0 and 1 without MPI). */
int cg_dist_rank(void);
int cg_dist_size(void);

#ifdef __cplusplus
}
#endif
#endif
