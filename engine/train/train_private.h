/* Internal: the pieces of training shared by the files of engine/train. */
#ifndef CG_TRAIN_PRIVATE_H
#define CG_TRAIN_PRIVATE_H

#include "comicgan/data.h"
#include "comicgan/image.h"
#include "comicgan/net.h"
#include "comicgan/ops.h"
#include "comicgan/optim.h"
#include "comicgan/safetensors.h"
#include "comicgan/train.h"

#include <glib.h>

#define TR_MAX_STYLES 8
#define TR_MAX_NETS 24
#define TR_MAX_SCALES 3
#define TR_MAX_SOURCES (TR_MAX_STYLES + 2)

/* ---- configuration (config.c) ------------------------------------------ */

typedef enum { TR_PIX2PIX, TR_CYCLEGAN, TR_ATTENTION, TR_MULTISTYLE, TR_REFERENCE } tr_mode;
typedef enum { TR_GAN_BCE, TR_GAN_LSGAN, TR_GAN_HINGE } tr_gan;
typedef enum { TR_FEATURES_FIXED, TR_FEATURES_DISCRIMINATOR } tr_features_kind;
typedef enum { TR_STYLE_FILTER, TR_STYLE_TARGETS, TR_STYLE_IMAGES, TR_STYLE_IDENTITY } tr_style_kind;
/* Teacher filters, in the order of their names in TR_TEACHERS: the four
 * styles' teachers, then three looks a reference model also learns from
 * (pencil hatching, XDoG ink lines alone, a 6-colour poster). */
typedef enum {
    TR_TEACHER_NONE,
    TR_TEACHER_MANGA,
    TR_TEACHER_CEL,
    TR_TEACHER_PAINTED,
    TR_TEACHER_ANIME,
    TR_TEACHER_HATCHING,
    TR_TEACHER_INK,
    TR_TEACHER_POSTER
} tr_teacher;
#define TR_TEACHERS "none|manga|cel|painted|anime|hatching|ink|poster"
/* The teachers' names for messages: "manga, cel, ... or poster". */
#define TR_TEACHER_CHOICES "manga, cel, painted, anime, hatching, ink or poster"

typedef struct tr_style_config {
    char *name, *display_name, *description;
    tr_style_kind kind;
    int filter;          /* a tr_teacher */
    char *dir;           /* targets or style images */
    char *photos;        /* inputs of a targets style */
    double chroma;       /* weight of this style's own chroma term (block-mean chroma
                          * against its target, or the photo when unpaired), so the
                          * colour styles of a mix keep their hues and a monochrome
                          * one is left alone; 0: none */
    int post_kuwahara;   /* passes of the Kuwahara filter over this style's
                          * output alone, trained through (its post stage) */
} tr_style_config;

struct cg_train_config {
    char *source_name;
    /* [run] */
    int mode;
    char *run_dir, *name, *display_name, *description;
    int64_t seed, steps, log_every, sample_every, checkpoint_every, debug_nan_step;
    int batch, size, samples;
    bool keep_checkpoints;
    /* [data] */
    char *photos, *targets, *style;
    char *references;    /* reference mode: folders of reference pictures, ';'-separated */
    char *reference_teachers; /* reference mode: teachers whose renderings of the photos are references too, ','-separated */
    int reference_teacher[TR_MAX_STYLES]; /* ... as tr_teacher_of indices (check_config parses them) */
    int n_reference_teachers;
    int target_filter;   /* a tr_teacher */
    int load_size, min_side, max_images;
    double val_fraction, test_fraction, scale_min, scale_max, jitter;
    bool flip, rotate90;
    /* [generator] */
    int g_type, g_width, g_downsamples, g_blocks, g_norm, g_upsample, g_activation;
    char *g_attention;   /* comma-separated list, "" for none */
    bool g_residual;     /* output = input + change */
    bool g_style_heads;  /* cond_instance: a last conv per style */
    int g_residual_blur; /* ... or the input's box mean of this radius + change */
    int g_residual_guided; /* ... or this many guided-filter passes + change */
    int g_guided_radius;
    double g_guided_eps;
    int g_post_kuwahara;  /* Kuwahara passes over the output, first in the post stage */
    int g_post_smooth;    /* passes of the output's own guided filter */
    int x_post_smooth;    /* [export] post_smooth: 0, or the exported model's passes */
    int x_post_bands;     /* [export] post_bands: 0, or the exported model's bands */
    int x_post_kuwahara;  /* [export] post_kuwahara: 0, or the exported model's Kuwahara passes */
    cg_export_options x_styles; /* [export NAME] groups: the post stage of style NAME */
    int g_post_smooth_radius;
    double g_post_smooth_eps;
    int g_post_bands;     /* luma bands of the output (0: none) */
    double g_post_band_width;
    int init;            /* 0 normal, 1 xavier */
    /* [encoder] (reference mode) */
    int e_width, e_layers, e_code;
    bool e_code_norm;
    bool e_detach; /* G's losses do not reach E: E learns from source_code alone */
    /* [discriminator] */
    int d_width, d_layers, d_scales, d_norm;
    bool d_spectral_norm, d_cam;
    /* [optim] */
    double lr_g, lr_d, beta1, beta2, clip;
    double lr_e; /* reference mode: the encoder's learning rate (0: lr_g) */
    int64_t constant_steps, decay_steps, warmup_steps;
    /* [loss] */
    int gan, features;
    double reconstruction; /* reference mode: G(ref, E(ref)) against ref */
    double source_code;    /* reference mode: each code against its source's prototype */
    double adv, style_adv, l1, cycle, identity, cam, style_w, content, color, chroma, stability, tv, edge_smooth, gradient;
    int pool_size;
    /* [style NAME] groups, multistyle only (identity added when missing) */
    tr_style_config styles[TR_MAX_STYLES];
    int n_styles;
    /* derived */
    char *gen_arch;      /* generator arch JSON */
    char *encoder_arch;  /* reference mode: the style encoder's arch JSON */
    char *canonical, *hash;
};

/* Arch JSON of a discriminator seeing in_channels channels. g_free. */
char *tr_disc_arch(const cg_train_config *c, int in_channels);

/* ---- data (data.c, augment.c, loader.c) --------------------------------- */

/* 8-bit RGB, rows top to bottom, 3 bytes a pixel. */
typedef struct tr_image {
    int w, h;
    uint8_t *rgb;
} tr_image;

typedef struct tr_item {
    char *name;
    char *hash;          /* SHA-256 of the file (and of the target's, "+"-joined) */
    tr_image img;        /* input, or a style image */
    tr_image aux;        /* paired target (same size as img), rgb NULL when none */
} tr_item;

struct cg_dataset {
    char *dir;
    tr_item *items;
    int n;
    bool paired;
    GPtrArray *skipped_path, *skipped_reason;
    char *manifest;
};

/* Fills every item's aux with the teacher's (a tr_teacher) rendering of img. */
cg_status tr_dataset_apply_teacher(cg_dataset *d, int filter, cg_error *err);
/* Renders img in place with a teacher (a tr_teacher other than none), at its
 * defaults: the one place where a teacher's number becomes its filter. */
cg_status tr_teacher_apply(int teacher, cg_image *img, cg_error *err);
/* The tr_teacher named name (not "none"), or 0. */
int tr_teacher_of(const char *name);
/* Whether teacher t draws in grey only (its style is marked monochrome). */
bool tr_teacher_monochrome(int teacher);
/* The name of teacher index t (tr_teacher_of's inverse); caller g_frees. */
char *tr_teacher_name(int teacher);
/* The image as float RGBA in [0, 1] (for teachers, evaluation). Caller frees. */
cg_image *tr_image_to_cg(const tr_image *t, cg_error *err);

/* One sample's augmentation: a crop window zoomed to size x size, flips,
 * rotations and colour changes. */
typedef struct tr_aug {
    float zoom;          /* output pixels per stored pixel (before clamping to the image) */
    float fx, fy;        /* window position, fractions of the free room */
    bool flip;
    int rot;             /* quarter turns, 0..3 */
    float bright, contrast, saturation; /* added, multiplied, multiplied */
} tr_aug;

void tr_aug_draw(const cg_train_config *c, cg_rng *rng, tr_aug *a);
/* Whether a's crop window of img is one flat colour: every channel's standard
 * deviation there under one 8-bit level (a clipped sky, a white page). */
bool tr_aug_is_flat(const tr_image *img, const tr_aug *a, int size);
/* tr_aug_draw again while the crop is flat, up to TR_FLAT_TRIES draws (then
 * the last one stays). A flat crop teaches nothing, and on it every instance
 * norm's variance is 0, so backward multiplies the gradient by gamma /
 * sqrt(eps) at each norm: a white crop gave the cel generator a gradient norm
 * of 4e25 and an infinite Adam moment. */
#define TR_FLAT_TRIES 8
void tr_aug_draw_detailed(const cg_train_config *c, cg_rng *rng, const tr_image *img, tr_aug *a);
/* The whole shorter side, centred, nothing else (validation and samples). */
void tr_aug_center(tr_aug *a);
/* Renders img through a into dst: 3 planes of size x size, values in [-1, 1]. */
void tr_aug_apply(const tr_image *img, const tr_aug *a, int size, float *dst);

/* Edge-smoothed negatives (CartoonGAN): n images of 3 planes size x size in
 * [-1, 1]; where edges are strong (after dilation), the image is replaced by
 * its Gaussian blur. In place. */
cg_status tr_edge_smooth(float *x, int n, int size, cg_error *err);

/* One source of samples: a dataset's training items, visited in a seeded
 * permutation per epoch (derived from the seed, the source id and the epoch,
 * so the position alone restores it). */
typedef struct tr_source {
    char label[64];
    cg_dataset *data;    /* owned by the trainer's dataset list */
    int *assign;         /* split of every item: 0 train, 1 val, 2 test */
    int *train, *val, *test;
    int n_train, n_val, n_test;
    int *perm;           /* n_train, this epoch's order */
    int64_t epoch;
    int pos;
    uint64_t stream;
} tr_source;

cg_status tr_source_init(tr_source *s, const char *label, cg_dataset *d, const int *assign, uint64_t stream,
                         cg_error *err);
void tr_source_clear(tr_source *s);
/* Moves to (epoch, pos), regenerating that epoch's order. */
void tr_source_seek(tr_source *s, uint64_t seed, int64_t epoch, int pos);
/* The next training item's index. */
int tr_source_next(tr_source *s, uint64_t seed);

/* Draws a global batch of n samples (items and augmentations, the same on
 * every rank) and renders samples [lo, hi) into x (and their targets into
 * aux when aux is non-NULL and the items have one). */
void tr_source_batch(tr_source *s, const cg_train_config *c, cg_rng *rng, int n, int lo, int hi, float *x,
                     float *aux);

/* ---- image pool (pool.c) ------------------------------------------------ */

/* CycleGAN's history of generated images, kept identical on every rank. */
typedef struct tr_pool {
    int cap, count;
    int64_t image_floats;
    float *data;
    cg_rng rng;
} tr_pool;

cg_status tr_pool_init(tr_pool *p, int cap, int64_t image_floats, uint64_t seed, cg_error *err);
void tr_pool_clear(tr_pool *p);
/* For each of the n images in in (the global batch), out gets that image or
 * one from the pool, which takes its place (with probability 1/2 once full). */
void tr_pool_query(tr_pool *p, const float *in, float *out, int n);

/* ---- losses (losses.c) ------------------------------------------------- */

/* Named scalar losses of a step, for the log. */
typedef struct tr_losses {
    int n;
    const char *name[CG_TRAIN_MAX_LOSSES];
    double value[CG_TRAIN_MAX_LOSSES];
} tr_losses;

void tr_losses_put(tr_losses *l, const char *name, double value);

/* A weighted sum built term by term; terms with weight 0 are skipped. */
typedef struct tr_sum {
    cg_graph *g;
    cg_tensor *total;
    tr_losses *log;
} tr_sum;

/* total += weight * term, and the term logged (unweighted) under name. */
void tr_sum_add(tr_sum *s, const char *name, float weight, cg_tensor *term);

/* The adversarial loss of logits, for real (target "real") or fake samples;
 * for_generator selects the generator's form (hinge: -mean(logits)). */
cg_tensor *tr_adv_loss(cg_graph *g, tr_gan kind, cg_tensor *logits, bool real, bool for_generator);

/* Features of a PatchGAN's stages (after each activation): up to max maps. */
int tr_features(cg_net *net, cg_graph *g, cg_tensor *x, cg_tensor **feats, int max);

/* Colour loss in YUV (AnimeGAN): L1 on Y, Huber on U and V. */
cg_tensor *tr_color_loss(cg_graph *g, cg_tensor *x, cg_tensor *ref);
/* L1 between the U and V chroma of x and ref averaged over 8x8 blocks: the
 * hues of a picture, not its texture or its light. */
cg_tensor *tr_chroma_loss(cg_graph *g, cg_tensor *x, cg_tensor *ref);
/* L1 between the horizontal and vertical differences of neighbouring pixels
 * of x and of its target (the mean of the two): where the target is flat any
 * slope or ripple in x costs, and a step in the wrong place costs twice. */
cg_tensor *tr_gradient_loss(cg_graph *g, cg_tensor *x, cg_tensor *target);

/* The frozen, seeded PatchGAN whose activations serve as features when no
 * discriminator is asked for (style/content losses, evaluation). */
cg_net *tr_fixed_features(cg_error *err);

/* A copy of t's values in g that no gradient flows through. */
cg_tensor *tr_detach(cg_graph *g, const cg_tensor *t);
/* A tensor of g holding n images of 3 x size x size from data. */
cg_tensor *tr_input(cg_graph *g, const float *data, int n, int size);

/* ---- the trainer (trainer.c and the modes) ------------------------------- */

typedef struct tr_net {
    char name[32];
    cg_net *net;
    cg_optim *opt;
    bool disc;
    double lr_factor; /* of a generator-side net: its learning rate over lr_g's schedule (1) */
} tr_net;

/* A discriminator: one network per scale, scale s seeing the input average-
 * pooled s times. */
typedef struct tr_disc {
    tr_net *scale[TR_MAX_SCALES];
    int scales;
    bool cam;
} tr_disc;

typedef struct tr_trainer tr_trainer;

typedef struct tr_mode_ops {
    cg_status (*setup)(tr_trainer *t, cg_error *err);
    /* One step: generator update, then discriminator update (none while warming up). */
    cg_status (*step)(tr_trainer *t, bool warmup, tr_losses *l, cg_error *err);
    /* The sample grid's columns for n validation images: cols[k] gets n
     * images (3 x size x size, [-1, 1]); cols[0] is the input. heat gets the
     * exported generator's first attention map (n x size x size, [0, 1]) and
     * *has_heat says whether it has one. Returns the number of columns (0 if
     * max_cols is too few, -1 on error). */
    int (*sample)(tr_trainer *t, int n, float **cols, int max_cols, float *heat, bool *has_heat, cg_error *err);
    /* The exported generator's name and its styles JSON (g_free). */
    const char *export_net;
    char *(*styles_json)(const tr_trainer *t);
    void (*release)(tr_trainer *t);
    /* The exported style encoder's name (reference mode), NULL when none. */
    const char *export_encoder;
} tr_mode_ops;

extern const tr_mode_ops tr_pix2pix_ops, tr_cyclegan_ops, tr_multistyle_ops, tr_reference_ops;

struct tr_trainer {
    const cg_train_config *cfg;
    const tr_mode_ops *ops;
    char *run_dir;
    int lock_fd; /* rank 0: the run folder's lock, held until the end; else -1 */
    int rank, ranks, local_batch, local_lo;
    tr_net nets[TR_MAX_NETS];
    int n_nets;
    cg_graph *gg, *gd;           /* generator phase, discriminator phase */
    cg_dataset *datasets[TR_MAX_SOURCES];
    int n_datasets;
    tr_source sources[TR_MAX_SOURCES];
    int n_sources;
    tr_pool pools[2];
    int n_pools;
    cg_rng rng;                  /* batches and augmentation */
    int64_t step;
    cg_net *features;            /* fixed feature network, or NULL */
    float *buf[8];               /* per-step host buffers (batches, fakes) */
    int64_t buf_len[8];
    void *mode;                  /* the mode's own state */
};

/* Registers a new network built from arch (initialised from the config's
 * seed) with an Adam optimizer. */
tr_net *tr_trainer_add_net(tr_trainer *t, const char *name, const char *arch, bool disc, cg_error *err);
tr_net *tr_trainer_find_net(tr_trainer *t, const char *name);
/* A discriminator of the config's shape seeing in_channels channels. */
cg_status tr_trainer_add_disc(tr_trainer *t, const char *name, int in_channels, bool cam, tr_disc *d,
                              cg_error *err);
/* Adds a source over dataset d (whose split is made here). */
tr_source *tr_trainer_add_source(tr_trainer *t, const char *label, cg_dataset *d, cg_error *err);
/* Loads a dataset from config folders (and keeps it for freeing). */
cg_dataset *tr_trainer_load_data(tr_trainer *t, const char *dir, const char *targets, int teacher, cg_error *err);
/* A host buffer of n floats, slot k (reused from step to step). */
float *tr_trainer_buffer(tr_trainer *t, int k, int64_t n);

/* Runs discriminator d on x; fills logits[s] per scale; with cam, cam[s]
 * gets each scale's CAM logits. Returns the number of scales (0 on error). */
int tr_disc_run(cg_graph *g, const tr_disc *d, cg_tensor *x, cg_tensor **logits, cg_tensor **cam);
/* The adversarial loss averaged over scales (and the CAM logits, weighted
 * by the config's adversarial weight like the patch logits). */
cg_tensor *tr_disc_loss(tr_trainer *t, cg_graph *g, const tr_disc *d, cg_tensor *x, bool real, bool for_generator);
void tr_disc_freeze(const tr_disc *d, bool frozen);
/* Appends d's networks (one per scale) to nets[n...]; returns the new count. */
int tr_disc_nets(const tr_disc *d, tr_net **nets, int n);

/* The extra losses on a generated batch out = gen(input, style_weights): Gram style
 * against style_ref, content, colour and low-frequency chroma against input,
 * stability (gen run again on a moved, noised input), total variation. */
void tr_extra_losses(tr_trainer *t, tr_sum *s, cg_net *gen, cg_tensor *style_weights, cg_tensor *out,
                     cg_tensor *input, cg_tensor *style_ref, const tr_disc *feature_disc);

/* Averages the gradients of net over ranks and clips them (config). */
cg_status tr_trainer_reduce(tr_trainer *t, tr_net *n, cg_error *err);
/* Backward from loss, then reduce and step every net in nets. */
cg_status tr_trainer_update(tr_trainer *t, cg_graph *g, cg_tensor *loss, tr_net *const *nets, int n,
                            cg_error *err);
/* Reduces and steps nets (after a backward). */
cg_status tr_trainer_apply(tr_trainer *t, tr_net *const *nets, int n, cg_error *err);
/* Zeroes gradients of nets. */
void tr_zero_grads(tr_net *const *nets, int n);

/* Gathers the local shards of n_global images (image_floats each) from every
 * rank into all (every rank gets the whole batch). */
cg_status tr_gather(tr_trainer *t, const float *local, float *all, int64_t image_floats, cg_error *err);

/* The first n validation images of src (training images when it has no
 * validation split), whole shorter side centred, into x (and aux). */
void tr_val_batch(tr_trainer *t, tr_source *src, int n, float *x, float *aux);
/* Runs generator net in inference on n images x (style: n x styles weights
 * or NULL) into out; with heat non-NULL and an attention point in the net,
 * heat gets its first map at image size, each normalized to [0, 1]. */
cg_status tr_generate(tr_trainer *t, cg_net *net, const float *style, const float *x, int n, float *out, float *heat,
                      bool *has_heat, cg_error *err);
/* A style entry of comicgan.styles (monochrome: learnt from a black-and-white
 * teacher); wrapped in a list when list. g_free. */
char *tr_style_entry_json(const char *name, const char *display, const char *description, const char *mode,
                          bool monochrome, bool list);

/* ---- MPI (dist.c) -------------------------------------------------------- */

cg_status tr_dist_allreduce_sum(float *buf, int64_t n, cg_error *err);
cg_status tr_dist_allreduce_sum_double(double *buf, int n, cg_error *err);
cg_status tr_dist_broadcast(float *buf, int64_t n, cg_error *err);
cg_status tr_dist_allgather(const float *local, int64_t n_local, float *all, cg_error *err);
/* Every rank's status agrees: the worst one wins (so all stop together). */
cg_status tr_dist_agree(cg_status st, cg_error *err);

/* ---- checkpoints (checkpoint.c) ------------------------------------------ */

cg_status tr_checkpoint_save(tr_trainer *t, const char *path, cg_error *err);
cg_status tr_checkpoint_load(tr_trainer *t, const char *path, cg_error *err);

/* ---- run folder (runlog.c) -------------------------------------------------- */

typedef struct tr_log tr_log;
tr_log *tr_log_open(const char *run_dir, int64_t keep_until_step, cg_error *err);
void tr_log_close(tr_log *l);
/* Appends one line: step, the mean losses since the last line, lrs, step time. */
cg_status tr_log_write(tr_log *l, int64_t step, const tr_losses *mean, float lr_g, float lr_d, double step_ms,
                       cg_error *err);
/* Writes samples/step-N.png from the mode's columns. */
cg_status tr_write_samples(tr_trainer *t, cg_error *err);
/* Writes data-report.json and split.json. */
cg_status tr_write_data_files(tr_trainer *t, cg_error *err);
/* Files with JSON text, atomically. */
cg_status tr_write_text(const char *path, const char *text, cg_error *err);

/* ---- evaluation (eval.c) ------------------------------------------------- */

/* img's R'G'B' as 3 planes in [-1, 1] (the networks' input) at planes. */
void tr_image_planes(const cg_image *img, float *planes);
/* The images of a folder, in the order the datasets use; NULL (or empty)
 * when it has none. Caller frees with g_strfreev. */
char **tr_folder_names(const char *dir);
/* Appends to out (cg_image*) the images dir/names[i], each resized so its
 * shorter side is size, transparency on white; at most max in out (0: all). */
cg_status tr_load_list(const char *dir, char **names, int size, int max, GPtrArray *out, cg_error *err);

/* ---- evaluation metrics (metrics.c) -------------------------------------- */

/* Rec. 601 luma of float RGBA into a w*h plane (caller g_free). */
float *tr_luma(const cg_image *img);
/* Sobel gradient magnitude of a plane (caller g_free). */
float *tr_sobel(const float *p, int w, int h);
/* SSIM of two planes (Gaussian window, sigma 1.5), values in [0, range]. */
double tr_ssim(const float *a, const float *b, int w, int h, double range);

#endif
