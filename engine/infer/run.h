/* Internal: the inference executor — runs a generator on one image region
 * with buffers it owns, and with every global statistic (normalization
 * means/variances, attention pooling) either computed from the region itself
 * or taken from a cg_infer_stats filled by earlier passes over the whole image.
 *
 * Global statistic points are numbered in the order the network meets them.
 * A "collect" pass runs up to point k and adds that point's sums over the
 * region's centre into the stats, then stops; once every point is ready, an
 * "apply" pass produces pixels. The centre is a rectangle of the region,
 * in input pixels, whose sides are multiples of the network's size multiple.
 *
 * Passes need not start from the input. The state at point k is every tensor
 * live there: the point's activation (before its normalization) and the
 * tensors the network keeps across points (a U-Net's skips, a residual
 * block's input). A collect pass given a cg_infer_io hands the centre of each
 * to io->store when it stops; a pass that resumes at point k (whose
 * statistics are then ready) skips every layer before it and takes the state
 * from io->load instead, over the whole region. So passes can run from one
 * point to the next, each reading only its own layers' context (see
 * cg_infer_plan) — stylize.c's layered passes. */
#ifndef CG_INFER_RUN_H
#define CG_INFER_RUN_H

#include "nn/nn.h"

#define CG_INFER_MAX_POINTS 160

typedef struct cg_stat_point {
    int64_t channels;
    double *sum, *sumsq; /* per channel, over the pixels collected */
    float *max;          /* per channel */
    double count;        /* pixels per channel collected */
    float *mean, *rstd;  /* per channel, when ready */
    float ln_mean, ln_rstd; /* over all channels (layer norm), when ready */
    bool ready;
} cg_stat_point;

typedef struct cg_infer_stats {
    int n_points;
    cg_stat_point point[CG_INFER_MAX_POINTS];
} cg_infer_stats;

/* Stats sized for net (points counted by a dry walk); NULL on no memory. */
cg_infer_stats *cg_infer_stats_new(const cg_net *net, cg_error *err);
void cg_infer_stats_free(cg_infer_stats *s);
/* Turns collected sums of point k into means and 1/std; marks it ready. */
void cg_infer_stats_finish(cg_infer_stats *s, int k);
/* Forgets everything collected (of one point / of all). */
void cg_infer_stats_clear_point(cg_stat_point *p);
void cg_infer_stats_clear(cg_infer_stats *s);

/* Keys of the tensors in a state: a point's activation is keyed by the
 * point's index; the kept tensors by these. */
#define CG_INFER_KEY_SKIP(i) (CG_INFER_MAX_POINTS + (i))      /* U-Net skip i */
#define CG_INFER_KEY_BLOCK(i) (2 * CG_INFER_MAX_POINTS + (i)) /* residual block i's input */
#define CG_INFER_MAX_STATE 16

typedef struct cg_infer_tensor {
    int key;
    int64_t channels;
    int64_t scale; /* input pixels a pixel of it, in each direction */
} cg_infer_tensor;

typedef struct cg_infer_state {
    int n;
    cg_infer_tensor t[CG_INFER_MAX_STATE];
} cg_infer_state;

/* What layered passes need to know about a network: the state at each point,
 * and the context each pass reads. Pass s runs from point s - 1 (pass 0: from
 * the input) to point s (pass n_points: to the output); a region whose centre
 * is surrounded by radius[s] input pixels (or the image's border) gets that
 * centre exactly right. */
typedef struct cg_infer_plan {
    int n_points;
    cg_infer_state state[CG_INFER_MAX_POINTS];
    int radius[CG_INFER_MAX_POINTS + 1];
} cg_infer_plan;

/* The plan of net (from dry walks); free with g_free. */
cg_infer_plan *cg_infer_plan_new(const cg_net *net);

/* Where a pass's state comes from and goes to. Both get the tensor's key,
 * its buffer of channels x h x w (the whole region, at `scale` input pixels a
 * pixel) and return false with err filled on failure; store keeps only the
 * region's centre. */
typedef struct cg_infer_io {
    bool (*load)(void *user, int key, float *d, int64_t channels, int64_t h, int64_t w, int64_t scale,
                 cg_error *err);
    bool (*store)(void *user, int key, const float *d, int64_t channels, int64_t h, int64_t w, int64_t scale,
                  cg_error *err);
    void *user;
} cg_infer_io;

typedef struct cg_infer_region {
    int64_t width, height;               /* the region fed to the network (multiples of the size multiple) */
    int64_t cx0, cy0, cx1, cy1;          /* its centre, in region pixels */
} cg_infer_region;

typedef enum cg_infer_mode {
    CG_INFER_WHOLE,    /* statistics from this region itself (the region is the whole image) */
    CG_INFER_COLLECT,  /* add point `collect`'s sums over the centre to stats, then stop */
    CG_INFER_APPLY,    /* every point from stats */
} cg_infer_mode;

/* Buffers kept from one run to the next (a tile loop): grown as a run needs;
 * start zeroed, free data with cg_aligned_free. */
typedef struct cg_infer_workspace {
    float *data;
    int64_t size; /* floats */
} cg_infer_workspace;

typedef struct cg_infer_request {
    cg_infer_mode mode;
    int collect;                 /* point index for CG_INFER_COLLECT */
    cg_infer_stats *stats;       /* for COLLECT and APPLY (and filled by WHOLE) */
    const float *style_weights;  /* one per style (cond_instance), NULL: style 0 */
    int attention_point;         /* -1, or the attention point whose map to return */
    /* progress: called after each layer with FLOPs done so far in this run; false cancels */
    bool (*layer_done)(void *user, double flops);
    void *user;
    int resume;                  /* -1: from the input; k: from point k's state, from io (COLLECT, APPLY) */
    const cg_infer_io *io;       /* NULL, or where the state comes from and (COLLECT) goes to */
    cg_infer_workspace *workspace; /* NULL: buffers for this run alone */
} cg_infer_request;

typedef struct cg_infer_result {
    float *image;         /* out_channels x height x width, in [-1, 1] (APPLY/WHOLE) */
    float *attention;     /* map at attention_h x attention_w, when asked */
    int64_t attention_w, attention_h;
} cg_infer_result;

/* Runs the generator on x (in_channels x height x width, values in [-1, 1]).
 * The result's buffers are allocated here (g_malloc) and owned by the caller.
 * CG_ERR_CANCELLED if layer_done said stop, CG_ERR_UNSUPPORTED for blocks that
 * cannot run tiled (self-attention outside WHOLE mode). */
cg_status cg_infer_run(const cg_net *net, const float *x, const cg_infer_region *r, const cg_infer_request *req,
                       cg_infer_result *res, cg_error *err);

/* FLOPs of one run over a region of this size (2 per multiply-add in convs, a
 * colour-guided filter pass counted by its time: GUIDED_FLOPS_PER_PIXEL),
 * up to and including point `stop_after` (-1: the whole network). */
double cg_infer_flops(const cg_net *net, int64_t width, int64_t height, int stop_after);

/* Bytes one run over a region of this size needs (buffers and scratch). */
double cg_infer_bytes(const cg_net *net, int64_t width, int64_t height);

/* The same for a run resuming at point `resume` (-1: the input) and stopping
 * after point `stop_after` (-1: the output). */
double cg_infer_span_flops(const cg_net *net, int64_t width, int64_t height, int resume, int stop_after);
double cg_infer_span_bytes(const cg_net *net, int64_t width, int64_t height, int resume, int stop_after);

#endif
