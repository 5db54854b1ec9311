/* Convolution and transposed convolution through im2col + sgemm.
 *
 * Both ops are built on two routines over one "conv geometry" (a convolution
 * from an input space to an output space):
 *   conv_apply:   out = W * im2col(in)                      (conv forward)
 *   conv_adjoint: din += col2im(W^T * dout), dW += dout * im2col(in)^T
 * A transposed convolution is the adjoint of the convolution that maps its
 * output space back to its input space, so its forward is conv_adjoint and its
 * backward is conv_apply — the same kernels, as DESIGN.md asks.
 *
 * Work is split so that every task writes memory no other task writes:
 * forward tasks own column tiles of the output; adjoint tasks own a range of
 * input channels (their rows of the column matrix, their slice of din and
 * their columns of dW). Results are therefore identical from run to run. The
 * column buffer of a task stays a few MB whatever the image size. */
#include "core/blas.h"
#include "core/simd.h"
#include "core/threads.h"
#include "ops/conv_infer.h"
#include "ops/elementwise.h"
#include "ops/op.h"

#include <string.h>

/* Floats in one worker's column tile: fits a core's share of cache. */
#define COL_TILE_FLOATS_DEFAULT (192 * 1024)
static int64_t col_tile_floats = COL_TILE_FLOATS_DEFAULT;

void cg_conv_set_column_budget(int64_t floats)
{
    col_tile_floats = floats > 0 ? floats : COL_TILE_FLOATS_DEFAULT;
}

typedef struct conv_geom {
    int64_t n;                 /* batch */
    int64_t in_c, in_h, in_w;  /* input space of the convolution */
    int64_t out_c, out_h, out_w;
    int kh, kw, sh, sw, ph, pw, dh, dw, groups;
    bool reflect;
    int up;                    /* inference only: the input is read nearest-upsampled by up (in_h, in_w are the upsampled sides) */
    /* derived */
    int64_t in_cg, out_cg;     /* channels per group */
    int64_t k;                 /* in_cg * kh * kw: columns of W */
    int64_t p;                 /* out_h * out_w: positions */
    bool direct;               /* 1x1, stride 1, no padding: in is its own column matrix */
} conv_geom;

static inline int64_t reflect_index(int64_t i, int64_t n)
{
    if (i < 0)
        return -i;
    if (i >= n)
        return 2 * (n - 1) - i;
    return i;
}

static void geom_finish(conv_geom *g)
{
    g->in_cg = g->in_c / g->groups;
    g->out_cg = g->out_c / g->groups;
    g->k = g->in_cg * g->kh * g->kw;
    g->p = g->out_h * g->out_w;
    if (g->up < 1)
        g->up = 1;
    g->direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 && g->up == 1;
}

/* Floats of one stored input image (the upsampled view is virtual). */
static int64_t stored_image(const conv_geom *g)
{
    return g->in_c * (g->in_h / g->up) * (g->in_w / g->up);
}

/* For kernel column kj: the output columns [lo, hi) whose input column is inside the image. */
static void interior_cols(const conv_geom *g, int kj, int64_t *lo, int64_t *hi)
{
    int64_t off = (int64_t)kj * g->dw - g->pw; /* iw = ow * sw + off */
    int64_t a = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
    int64_t b = g->in_w - 1 - off < 0 ? 0 : (g->in_w - 1 - off) / g->sw + 1;
    *lo = a < g->out_w ? a : g->out_w;
    *hi = b < g->out_w ? b : g->out_w;
    if (*hi < *lo)
        *hi = *lo;
}

/* Rows for channels [c0, c1) of image `in`, columns [p0, p0 + t) of the output
 * positions, into col (rows x t). With g->up > 1 the image is read as if
 * nearest-upsampled by up: each stored pixel stands for an up x up block. */
CG_KERNEL static void im2col(const conv_geom *g, const float *in, int64_t c0, int64_t c1, int64_t p0, int64_t t,
                             float *col)
{
    const int64_t stored_w = g->in_w / g->up, plane = (g->in_h / g->up) * stored_w;
    float *dst = col;
    for (int64_t c = c0; c < c1; c++)
        for (int ki = 0; ki < g->kh; ki++)
            for (int kj = 0; kj < g->kw; kj++) {
                int64_t lo, hi;
                interior_cols(g, kj, &lo, &hi);
                const int64_t off = (int64_t)kj * g->dw - g->pw;
                for (int64_t p = p0; p < p0 + t;) {
                    int64_t oh = p / g->out_w, ow0 = p % g->out_w;
                    int64_t ow1 = g->out_w < ow0 + (p0 + t - p) ? g->out_w : ow0 + (p0 + t - p);
                    int64_t ih = oh * g->sh - g->ph + (int64_t)ki * g->dh;
                    if (!g->reflect && (ih < 0 || ih >= g->in_h)) {
                        memset(dst, 0, (size_t)(ow1 - ow0) * sizeof(float));
                    } else {
                        const float *src = in + c * plane + reflect_index(ih, g->in_h) / g->up * stored_w;
                        int64_t a = lo > ow0 ? lo : ow0, b = hi < ow1 ? hi : ow1;
                        if (b < a)
                            b = a = (lo >= ow1 ? ow1 : ow0);
                        for (int64_t ow = ow0; ow < a; ow++) {
                            int64_t iw = ow * g->sw + off;
                            dst[ow - ow0] = g->reflect ? src[reflect_index(iw, g->in_w) / g->up] : 0.0f;
                        }
                        if (g->up == 1 && g->sw == 1)
                            memcpy(dst + (a - ow0), src + a + off, (size_t)(b - a) * sizeof(float));
                        else if (g->up == 2 && g->sw == 1)
                            for (int64_t ow = a; ow < b; ow++)
                                dst[ow - ow0] = src[(ow + off) >> 1];
                        else if (g->up == 1) /* no division in the generators' stride-2 layers */
                            for (int64_t ow = a; ow < b; ow++)
                                dst[ow - ow0] = src[ow * g->sw + off];
                        else
                            for (int64_t ow = a; ow < b; ow++)
                                dst[ow - ow0] = src[(ow * g->sw + off) / g->up];
                        for (int64_t ow = b; ow < ow1; ow++) {
                            int64_t iw = ow * g->sw + off;
                            dst[ow - ow0] = g->reflect ? src[reflect_index(iw, g->in_w) / g->up] : 0.0f;
                        }
                    }
                    dst += ow1 - ow0;
                    p += ow1 - ow0;
                }
            }
}

/* The adjoint of im2col: adds col (rows x t) into image din, which is stored
 * (not upsampled) like im2col's input. */
CG_KERNEL static void col2im(const conv_geom *g, const float *col, int64_t c0, int64_t c1, int64_t p0, int64_t t,
                   float *din)
{
    const int64_t stored_w = g->in_w / g->up, plane = (g->in_h / g->up) * stored_w;
    const float *src = col;
    for (int64_t c = c0; c < c1; c++)
        for (int ki = 0; ki < g->kh; ki++)
            for (int kj = 0; kj < g->kw; kj++) {
                int64_t lo, hi;
                interior_cols(g, kj, &lo, &hi);
                const int64_t off = (int64_t)kj * g->dw - g->pw;
                for (int64_t p = p0; p < p0 + t;) {
                    int64_t oh = p / g->out_w, ow0 = p % g->out_w;
                    int64_t ow1 = g->out_w < ow0 + (p0 + t - p) ? g->out_w : ow0 + (p0 + t - p);
                    int64_t ih = oh * g->sh - g->ph + (int64_t)ki * g->dh;
                    if (g->reflect || (ih >= 0 && ih < g->in_h)) {
                        float *dst = din + c * plane + reflect_index(ih, g->in_h) / g->up * stored_w;
                        int64_t a = lo > ow0 ? lo : ow0, b = hi < ow1 ? hi : ow1;
                        if (b < a)
                            b = a = (lo >= ow1 ? ow1 : ow0);
                        if (g->reflect) {
                            for (int64_t ow = ow0; ow < a; ow++)
                                dst[reflect_index(ow * g->sw + off, g->in_w) / g->up] += src[ow - ow0];
                            for (int64_t ow = b; ow < ow1; ow++)
                                dst[reflect_index(ow * g->sw + off, g->in_w) / g->up] += src[ow - ow0];
                        }
                        if (g->up == 1 && g->sw == 1) /* a run of consecutive pixels, which vectorizes */
                            for (int64_t ow = a; ow < b; ow++)
                                dst[ow + off] += src[ow - ow0];
                        else if (g->up == 1)
                            for (int64_t ow = a; ow < b; ow++)
                                dst[ow * g->sw + off] += src[ow - ow0];
                        else
                            for (int64_t ow = a; ow < b; ow++)
                                dst[(ow * g->sw + off) / g->up] += src[ow - ow0];
                    }
                    src += ow1 - ow0;
                    p += ow1 - ow0;
                }
            }
}

/* Column tile width: a multiple of 16 (sgemm's panels), at most the positions,
 * small enough for the cache budget and for every worker to get a tile. */
static int64_t tile_width(const conv_geom *g, int64_t rows, int64_t other_tasks)
{
    int64_t t = col_tile_floats / (rows > 0 ? rows : 1);
    int64_t workers = cg_thread_count();
    if (other_tasks < 2 * workers) {
        int64_t want = (2 * workers + other_tasks - 1) / other_tasks;
        int64_t share = (g->p + want - 1) / want;
        if (share < t)
            t = share;
    }
    t = t / 16 * 16;
    if (t < 16)
        t = 16;
    return t < g->p ? t : g->p;
}

/* ---- conv_apply: out = W * im2col(in) (+ beta * out) -------------------- */

typedef struct apply_job {
    const conv_geom *g;
    const float *in, *w;
    float *out, *scratch;
    int64_t scratch_floats, tile, tiles;
    float beta;
} apply_job;

static void apply_task(void *ctx, int task, int worker)
{
    const apply_job *j = ctx;
    const conv_geom *g = j->g;
    int64_t tile = task % j->tiles, rest = task / j->tiles;
    int64_t grp = rest % g->groups, n = rest / g->groups;
    int64_t p0 = tile * j->tile, t = g->p - p0 < j->tile ? g->p - p0 : j->tile;
    const float *in_n = j->in + n * stored_image(g);
    const float *b;
    int64_t ldb;
    if (g->direct) {
        b = in_n + grp * g->in_cg * g->p + p0;
        ldb = g->p;
    } else {
        float *col = j->scratch + (int64_t)worker * j->scratch_floats;
        im2col(g, in_n, grp * g->in_cg, (grp + 1) * g->in_cg, p0, t, col);
        b = col;
        ldb = t;
    }
    float *c = j->out + (n * g->out_c + grp * g->out_cg) * g->p + p0;
    cg_sgemm(false, false, (int)g->out_cg, (int)t, (int)g->k, 1.0f, j->w + grp * g->out_cg * g->k, (int)g->k,
             b, (int)ldb, j->beta, c, (int)g->p);
}

static int64_t apply_scratch(const conv_geom *g)
{
    if (g->direct)
        return 0;
    int64_t t = tile_width(g, g->k, g->n * g->groups);
    return g->k * t;
}

static void conv_apply(const conv_geom *g, const float *in, const float *w, float *out, float beta,
                       float *scratch)
{
    apply_job j = {g, in, w, out, scratch, apply_scratch(g), 0, 0, beta};
    j.tile = tile_width(g, g->k, g->n * g->groups);
    j.tiles = (g->p + j.tile - 1) / j.tile;
    cg_parallel_for((int)(g->n * g->groups * j.tiles), apply_task, &j);
}

/* ---- conv_adjoint: din += col2im(W^T dout); dw += dout im2col(in)^T ------ */

typedef struct adjoint_job {
    const conv_geom *g;
    const float *w, *dout, *in;
    float *din, *dw, *scratch;
    int64_t scratch_floats, chans, chunks, tile;
} adjoint_job;

static int64_t adjoint_chans(const conv_geom *g)
{
    /* Enough tasks for the pool, but rows tall enough for a good GEMM shape. */
    int64_t workers = cg_thread_count();
    int64_t per_group = (2 * workers + g->groups - 1) / g->groups;
    int64_t chans = (g->in_cg + per_group - 1) / per_group;
    return chans < 1 ? 1 : chans;
}

static int64_t adjoint_tile(const conv_geom *g, int64_t chans)
{
    int64_t rows = chans * g->kh * g->kw;
    int64_t t = col_tile_floats / 2 / rows;
    t = t / 16 * 16;
    if (t < 16)
        t = 16;
    return t < g->p ? t : g->p;
}

static void adjoint_task(void *ctx, int task, int worker)
{
    const adjoint_job *j = ctx;
    const conv_geom *g = j->g;
    int64_t grp = task / j->chunks, chunk = task % j->chunks;
    int64_t c0 = grp * g->in_cg + chunk * j->chans;
    int64_t c1 = c0 + j->chans < (grp + 1) * g->in_cg ? c0 + j->chans : (grp + 1) * g->in_cg;
    int64_t kk = (int64_t)g->kh * g->kw, rows = (c1 - c0) * kk;
    int64_t wcol = (c0 - grp * g->in_cg) * kk; /* first column of W this task owns */
    const float *w_g = j->w + grp * g->out_cg * g->k;
    float *col = j->scratch + (int64_t)worker * j->scratch_floats;
    float *dcol = col + rows * j->tile;
    const int64_t in_image = stored_image(g);

    for (int64_t n = 0; n < g->n; n++) {
        const float *dout_g = j->dout + (n * g->out_c + grp * g->out_cg) * g->p;
        for (int64_t p0 = 0; p0 < g->p; p0 += j->tile) {
            int64_t t = g->p - p0 < j->tile ? g->p - p0 : j->tile;
            if (j->dw) {
                const float *b;
                int64_t ldb;
                if (g->direct) {
                    b = j->in + n * in_image + c0 * g->p + p0;
                    ldb = g->p;
                } else {
                    im2col(g, j->in + n * in_image, c0, c1, p0, t, col);
                    b = col;
                    ldb = t;
                }
                cg_sgemm(false, true, (int)g->out_cg, (int)rows, (int)t, 1.0f, dout_g + p0, (int)g->p, b,
                         (int)ldb, 1.0f, j->dw + grp * g->out_cg * g->k + wcol, (int)g->k);
            }
            if (j->din) {
                if (g->direct) {
                    cg_sgemm(true, false, (int)rows, (int)t, (int)g->out_cg, 1.0f, w_g + wcol, (int)g->k,
                             dout_g + p0, (int)g->p, 1.0f, j->din + n * in_image + c0 * g->p + p0, (int)g->p);
                } else {
                    cg_sgemm(true, false, (int)rows, (int)t, (int)g->out_cg, 1.0f, w_g + wcol, (int)g->k,
                             dout_g + p0, (int)g->p, 0.0f, dcol, (int)t);
                    col2im(g, dcol, c0, c1, p0, t, j->din + n * in_image);
                }
            }
        }
    }
}

static int64_t adjoint_scratch(const conv_geom *g)
{
    int64_t chans = adjoint_chans(g);
    return 2 * chans * g->kh * g->kw * adjoint_tile(g, chans);
}

static void conv_adjoint(const conv_geom *g, const float *w, const float *dout, const float *in, float *din,
                         float *dw, float *scratch)
{
    adjoint_job j = {g, w, dout, in, din, dw, scratch, adjoint_scratch(g), adjoint_chans(g), 0, 0};
    j.chunks = (g->in_cg + j.chans - 1) / j.chans;
    j.tile = adjoint_tile(g, j.chans);
    cg_parallel_for((int)(g->groups * j.chunks), adjoint_task, &j);
}

/* ---- bias ---------------------------------------------------------------- */

typedef struct bias_job {
    float *y, *grad;
    const float *b;
    int64_t n, c, p;
} bias_job;

static void bias_add_task(void *ctx, int task, int worker)
{
    const bias_job *j = ctx;
    int64_t plane = task; /* n * c + channel */
    float v = j->b[plane % j->c], *y = j->y + plane * j->p;
    for (int64_t i = 0; i < j->p; i++)
        y[i] += v;
}

static void bias_grad_task(void *ctx, int task, int worker)
{
    const bias_job *j = ctx;
    double sum = 0;
    for (int64_t n = 0; n < j->n; n++)
        sum += cg_ew_sum(j->y + (n * j->c + task) * j->p, NULL, j->p);
    j->grad[task] += (float)sum;
}

static void bias_add(float *y, const float *b, int64_t n, int64_t c, int64_t p)
{
    bias_job j = {y, NULL, b, n, c, p};
    cg_parallel_for((int)(n * c), bias_add_task, &j);
}

static void bias_backward(const float *dy, float *db, int64_t n, int64_t c, int64_t p)
{
    bias_job j = {(float *)dy, db, NULL, n, c, p};
    cg_parallel_for((int)c, bias_grad_task, &j);
}

/* ---- the two ops ----------------------------------------------------------- */

/* conv2d: in = x, out = y. conv_transpose2d: in = y (its output), out = x. */
static conv_geom geom_of(const cg_node *n)
{
    const cg_conv_params *p = &n->p.conv;
    const cg_tensor *x = n->in[0], *w = n->in[1], *y = n->out;
    conv_geom g = {.n = x->dim[0], .kh = (int)w->dim[2], .kw = (int)w->dim[3], .sh = p->stride_h,
                   .sw = p->stride_w, .ph = p->pad_h, .pw = p->pad_w, .dh = p->dilation_h,
                   .dw = p->dilation_w, .groups = p->groups, .reflect = p->pad_mode == CG_PAD_REFLECT};
    const cg_tensor *in = n->op == CG_OP_CONV2D ? x : y, *out = n->op == CG_OP_CONV2D ? y : x;
    g.up = n->op == CG_OP_CONV2D && p->upsample > 1 ? p->upsample : 1;
    g.in_c = in->dim[1];
    g.in_h = in->dim[2] * g.up;
    g.in_w = in->dim[3] * g.up;
    g.out_c = out->dim[1];
    g.out_h = out->dim[2];
    g.out_w = out->dim[3];
    geom_finish(&g);
    return g;
}

#define MAX_UPSAMPLE 16

static cg_status check_params(const cg_conv_params *p, cg_error *err)
{
    if (p->stride_h < 1 || p->stride_w < 1)
        return cg_fail(err, CG_ERR_INVALID, "stride must be >= 1");
    if (p->dilation_h < 1 || p->dilation_w < 1)
        return cg_fail(err, CG_ERR_INVALID, "dilation must be >= 1");
    if (p->pad_h < 0 || p->pad_w < 0)
        return cg_fail(err, CG_ERR_INVALID, "padding must be >= 0");
    if (p->groups < 1)
        return cg_fail(err, CG_ERR_INVALID, "groups must be >= 1");
    if (p->pad_mode != CG_PAD_ZERO && p->pad_mode != CG_PAD_REFLECT)
        return cg_fail(err, CG_ERR_INVALID, "unknown padding mode %d", (int)p->pad_mode);
    if (p->upsample < 0 || p->upsample > MAX_UPSAMPLE)
        return cg_fail(err, CG_ERR_INVALID, "upsampling factor %d is not in 0 .. %d", p->upsample, MAX_UPSAMPLE);
    return CG_OK;
}

static cg_status check_inputs(const cg_node *n, int64_t weight_in, int64_t weight_out_total, cg_error *err)
{
    const cg_tensor *x = n->in[0], *w = n->in[1], *b = n->n_in > 2 ? n->in[2] : NULL;
    const cg_conv_params *p = &n->p.conv;
    char s1[64], s2[64];
    if (!x || !w)
        return cg_fail(err, CG_ERR_INVALID, "input and weight are required");
    if (x->ndim != 4 || w->ndim != 4)
        return cg_fail(err, CG_ERR_INVALID, "input %s and weight %s must be 4-D",
                       cg_tensor_shape_str(x, s1, sizeof s1), cg_tensor_shape_str(w, s2, sizeof s2));
    if (x->dim[1] % p->groups || weight_out_total % p->groups)
        return cg_fail(err, CG_ERR_INVALID, "channels (%lld in, %lld out) not divisible by %d groups",
                       (long long)x->dim[1], (long long)weight_out_total, p->groups);
    if (weight_in != x->dim[1] / (n->op == CG_OP_CONV2D ? p->groups : 1))
        return cg_fail(err, CG_ERR_INVALID, "weight %s does not match input %s with %d groups",
                       cg_tensor_shape_str(w, s2, sizeof s2), cg_tensor_shape_str(x, s1, sizeof s1), p->groups);
    if (b && (b->ndim != 1 || b->dim[0] != weight_out_total))
        return cg_fail(err, CG_ERR_INVALID, "bias %s must have %lld elements",
                       cg_tensor_shape_str(b, s1, sizeof s1), (long long)weight_out_total);
    return CG_OK;
}

static cg_status conv2d_infer(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_conv_params *p = &n->p.conv;
    if (check_params(p, err) != CG_OK)
        return err->code;
    const cg_tensor *x = n->in[0], *w = n->in[1];
    if (!x || !w)
        return cg_fail(err, CG_ERR_INVALID, "input and weight are required");
    if (check_inputs(n, w->dim[1], w->dim[0], err) != CG_OK)
        return err->code;
    if (p->output_pad_h || p->output_pad_w)
        return cg_fail(err, CG_ERR_INVALID, "output padding is for transposed convolution only");
    const int64_t up = p->upsample > 1 ? p->upsample : 1, ih = x->dim[2] * up, iw = x->dim[3] * up;
    if (p->pad_mode == CG_PAD_REFLECT && (p->pad_h >= ih || p->pad_w >= iw))
        return cg_fail(err, CG_ERR_INVALID, "reflect padding %dx%d needs an input larger than that, got %lldx%lld",
                       p->pad_h, p->pad_w, (long long)ih, (long long)iw);
    int64_t span_h = (int64_t)p->dilation_h * (w->dim[2] - 1) + 1;
    int64_t span_w = (int64_t)p->dilation_w * (w->dim[3] - 1) + 1;
    int64_t oh = (ih + 2 * (int64_t)p->pad_h - span_h) / p->stride_h + 1;
    int64_t ow = (iw + 2 * (int64_t)p->pad_w - span_w) / p->stride_w + 1;
    if (ih + 2 * (int64_t)p->pad_h < span_h || iw + 2 * (int64_t)p->pad_w < span_w || oh < 1 || ow < 1)
        return cg_fail(err, CG_ERR_INVALID, "kernel %lldx%lld (dilated %lldx%lld) larger than the padded input",
                       (long long)w->dim[2], (long long)w->dim[3], (long long)span_h, (long long)span_w);
    if (w->dim[1] * w->dim[2] * w->dim[3] > INT32_MAX || oh * ow > INT32_MAX || w->dim[0] > INT32_MAX)
        return cg_fail(err, CG_ERR_INVALID, "convolution too large for one GEMM");
    *ndim = 4;
    dim[0] = x->dim[0];
    dim[1] = w->dim[0];
    dim[2] = oh;
    dim[3] = ow;
    return CG_OK;
}

static cg_status conv_transpose2d_infer(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_conv_params *p = &n->p.conv;
    if (check_params(p, err) != CG_OK)
        return err->code;
    const cg_tensor *x = n->in[0], *w = n->in[1];
    if (!x || !w)
        return cg_fail(err, CG_ERR_INVALID, "input and weight are required");
    if (p->pad_mode != CG_PAD_ZERO)
        return cg_fail(err, CG_ERR_INVALID, "transposed convolution supports zero padding only");
    if (p->upsample > 1)
        return cg_fail(err, CG_ERR_INVALID, "an upsampled input is for conv2d only");
    int64_t co = w->ndim == 4 ? w->dim[1] * p->groups : 0;
    if (check_inputs(n, w->dim[0], co, err) != CG_OK)
        return err->code;
    if (p->output_pad_h < 0 || p->output_pad_w < 0 ||
        (p->output_pad_h >= p->stride_h && p->output_pad_h >= p->dilation_h) ||
        (p->output_pad_w >= p->stride_w && p->output_pad_w >= p->dilation_w))
        return cg_fail(err, CG_ERR_INVALID, "output padding must be smaller than the stride or the dilation");
    int64_t oh = (x->dim[2] - 1) * p->stride_h - 2 * (int64_t)p->pad_h + (int64_t)p->dilation_h * (w->dim[2] - 1) + 1 +
                 p->output_pad_h;
    int64_t ow = (x->dim[3] - 1) * p->stride_w - 2 * (int64_t)p->pad_w + (int64_t)p->dilation_w * (w->dim[3] - 1) + 1 +
                 p->output_pad_w;
    if (oh < 1 || ow < 1)
        return cg_fail(err, CG_ERR_INVALID, "padding leaves no output");
    if (oh > INT32_MAX / 4 || ow > INT32_MAX / 4 || w->dim[1] * w->dim[2] * w->dim[3] > INT32_MAX)
        return cg_fail(err, CG_ERR_INVALID, "transposed convolution too large");
    *ndim = 4;
    dim[0] = x->dim[0];
    dim[1] = co;
    dim[2] = oh;
    dim[3] = ow;
    return CG_OK;
}

/* The shape of conv2d g for the direct kernels of conv_direct.c, when g is one
 * they take (square kernel, one group, no dilation, as much padding on every
 * side). */
static bool direct_shape(const conv_geom *g, cg_conv_infer_shape *s)
{
    cg_conv_infer_shape t = {g->n,     g->in_c, g->in_h / g->up, g->in_w / g->up, g->out_c,
                             g->kh,    g->sh,   g->ph,           g->reflect,      g->up};
    *s = t;
    return g->kh == g->kw && g->sh == g->sw && g->ph == g->pw && g->dh == 1 && g->dw == 1 && g->groups == 1;
}

static bool direct_forward(const conv_geom *g, cg_conv_infer_shape *image)
{
    if (!direct_shape(g, image))
        return false;
    image->n = 1;
    return cg_conv_direct_applies(image);
}

static bool direct_backward(const conv_geom *g, cg_conv_infer_shape *s)
{
    return direct_shape(g, s) && cg_conv_direct_backward_applies(s);
}

/* An RGB input layer: its weight gradient direct, any input gradient by im2col. */
static bool direct_weight_grad(const conv_geom *g, cg_conv_infer_shape *s)
{
    return direct_shape(g, s) && cg_conv_direct_weight_grad_applies(s);
}

static bool use_winograd = true;

void cg_conv_use_winograd(bool on)
{
    use_winograd = on;
}

static bool winograd_shape(const conv_geom *g, cg_conv_infer_shape *s)
{
    return direct_shape(g, s) && use_winograd && cg_winograd_applies(s);
}

/* Floats per pool worker: the direct and Winograd kernels size their scratch for all workers. */
static int64_t conv_scratch_size(const cg_node *n)
{
    conv_geom g = geom_of(n);
    int64_t workers = cg_thread_count(), most = apply_scratch(&g), back = adjoint_scratch(&g);
    cg_conv_infer_shape s;
    if (direct_forward(&g, &s))
        most = cg_conv_direct_scratch(&s);
    else if (winograd_shape(&g, &s))
        most = cg_winograd_scratch(&s);
    else
        most *= workers;
    if (direct_backward(&g, &s))
        back = cg_conv_direct_backward_scratch(&s);
    else if (winograd_shape(&g, &s))
        back = cg_winograd_backward_scratch(&s);
    else if (direct_weight_grad(&g, &s)) { /* and the input gradient, if any, by im2col */
        int64_t direct = cg_conv_direct_backward_scratch(&s);
        back = back * workers > direct ? back * workers : direct;
    } else
        back *= workers;
    most = most > back ? most : back;
    return (most + workers - 1) / workers;
}

static void conv2d_forward(cg_node *n, float *scratch)
{
    conv_geom g = geom_of(n);
    const float *x = n->in[0]->data, *w = n->in[1]->data, *b = n->n_in > 2 && n->in[2] ? n->in[2]->data : NULL;
    cg_conv_infer_shape image;
    if (direct_forward(&g, &image)) {
        for (int64_t i = 0; i < g.n; i++)
            cg_conv_direct(&image, x + i * stored_image(&g), w, b, n->out->data + i * g.out_c * g.p, scratch);
        return;
    }
    if (winograd_shape(&g, &image)) {
        cg_winograd_conv(&image, x, w, b, n->out->data, scratch);
        return;
    }
    conv_apply(&g, x, w, n->out->data, 0.0f, scratch);
    if (b)
        bias_add(n->out->data, b, g.n, g.out_c, g.p);
}

static void conv2d_backward(cg_node *n, float *scratch)
{
    conv_geom g = geom_of(n);
    cg_tensor *x = n->in[0], *w = n->in[1], *b = n->n_in > 2 ? n->in[2] : NULL;
    cg_conv_infer_shape s;
    if (direct_backward(&g, &s)) {
        if (w->grad)
            cg_conv_direct_weight_grad(&s, x->data, n->out->grad, w->grad, scratch);
        if (x->grad)
            cg_conv_direct_input_grad(&s, w->data, n->out->grad, x->grad, scratch);
    } else if (winograd_shape(&g, &s)) {
        cg_winograd_backward(&s, x->data, w->data, n->out->grad, x->grad, w->grad, scratch);
    } else if (direct_weight_grad(&g, &s)) {
        if (w->grad)
            cg_conv_direct_weight_grad(&s, x->data, n->out->grad, w->grad, scratch);
        if (x->grad)
            conv_adjoint(&g, w->data, n->out->grad, x->data, x->grad, NULL, scratch);
    } else if (x->grad || w->grad) {
        conv_adjoint(&g, w->data, n->out->grad, x->data, x->grad, w->grad, scratch);
    }
    if (b && b->grad)
        bias_backward(n->out->grad, b->grad, g.n, g.out_c, g.p);
}

static void conv_transpose2d_forward(cg_node *n, float *scratch)
{
    conv_geom g = geom_of(n);
    cg_tensor *y = n->out;
    memset(y->data, 0, (size_t)y->size * sizeof(float));
    conv_adjoint(&g, n->in[1]->data, n->in[0]->data, NULL, y->data, NULL, scratch);
    if (n->n_in > 2 && n->in[2])
        bias_add(y->data, n->in[2]->data, g.n, g.in_c, g.in_h * g.in_w);
}

static void conv_transpose2d_backward(cg_node *n, float *scratch)
{
    conv_geom g = geom_of(n);
    cg_tensor *x = n->in[0], *w = n->in[1], *b = n->n_in > 2 ? n->in[2] : NULL, *y = n->out;
    if (x->grad)
        conv_apply(&g, y->grad, w->data, x->grad, 1.0f, scratch);
    if (w->grad)
        conv_adjoint(&g, w->data, x->data, y->grad, NULL, w->grad, scratch);
    if (b && b->grad)
        bias_backward(y->grad, b->grad, g.n, g.in_c, g.in_h * g.in_w);
}

const cg_op_def cg_op_def_conv2d = {"conv2d", 2, 3, conv2d_infer, NULL, conv_scratch_size, conv2d_forward,
                                    conv2d_backward};
const cg_op_def cg_op_def_conv_transpose2d = {"conv_transpose2d", 2, 3, conv_transpose2d_infer, NULL,
                                              conv_scratch_size, conv_transpose2d_forward,
                                              conv_transpose2d_backward};

cg_conv_params cg_conv_defaults(void)
{
    cg_conv_params p = {.stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .groups = 1};
    return p;
}

static cg_tensor *apply_conv(cg_graph *g, cg_op op, cg_tensor *x, cg_tensor *w, cg_tensor *b,
                             const cg_conv_params *p)
{
    if (!x || !w)
        return NULL;
    cg_tensor *in[3] = {x, w, b};
    cg_op_params params = {.conv = p ? *p : cg_conv_defaults()};
    return cg_graph_apply(g, op, in, b ? 3 : 2, &params);
}

cg_tensor *cg_conv2d(cg_graph *g, cg_tensor *x, cg_tensor *weight, cg_tensor *bias, const cg_conv_params *p)
{
    return apply_conv(g, CG_OP_CONV2D, x, weight, bias, p);
}

cg_tensor *cg_conv_transpose2d(cg_graph *g, cg_tensor *x, cg_tensor *weight, cg_tensor *bias,
                               const cg_conv_params *p)
{
    return apply_conv(g, CG_OP_CONV_TRANSPOSE2D, x, weight, bias, p);
}

/* ---- inference entry points (engine/ops/conv_infer.h) ---------------------- */

static conv_geom infer_geom(const cg_conv_infer_shape *s)
{
    conv_geom g = {.n = s->n, .in_c = s->in_c, .in_h = s->in_h * s->upsample, .in_w = s->in_w * s->upsample,
                   .out_c = s->out_c, .kh = s->k, .kw = s->k, .sh = s->stride, .sw = s->stride, .ph = s->pad,
                   .pw = s->pad, .dh = 1, .dw = 1, .groups = 1, .reflect = s->reflect, .up = s->upsample};
    g.out_h = (g.in_h + 2 * s->pad - s->k) / s->stride + 1;
    g.out_w = (g.in_w + 2 * s->pad - s->k) / s->stride + 1;
    geom_finish(&g);
    return g;
}

void cg_conv_infer_out_size(const cg_conv_infer_shape *s, int64_t *out_h, int64_t *out_w)
{
    conv_geom g = infer_geom(s);
    *out_h = g.out_h;
    *out_w = g.out_w;
}

/* Whether inference runs this layer as F(4x4) rather than F(2x2). */
static bool winograd4_pays(const cg_conv_infer_shape *s)
{
    return s->in_c >= CG_WINOGRAD4_MIN_CHANNELS && cg_winograd4_applies(s);
}

int64_t cg_conv_infer_scratch(const cg_conv_infer_shape *s)
{
    conv_geom g = infer_geom(s);
    int64_t im2col = apply_scratch(&g) * cg_thread_count();
    int64_t wino = cg_winograd_applies(s) ? cg_winograd_scratch(s) : 0;
    int64_t wino4 = winograd4_pays(s) ? cg_winograd4_scratch(s) : 0;
    wino = wino > wino4 ? wino : wino4;
    int64_t direct = cg_conv_direct_applies(s) ? cg_conv_direct_scratch(s) : 0;
    int64_t most = im2col > wino ? im2col : wino;
    return most > direct ? most : direct;
}

void cg_conv_infer(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                   float *scratch)
{
    if (cg_conv_direct_applies(s)) {
        cg_conv_direct(s, in, w, bias, out, scratch);
        return;
    }
    if (use_winograd && winograd4_pays(s)) {
        cg_winograd4_conv(s, in, w, bias, out, scratch);
        return;
    }
    if (use_winograd && cg_winograd_applies(s)) {
        cg_winograd_conv(s, in, w, bias, out, scratch);
        return;
    }
    conv_geom g = infer_geom(s);
    conv_apply(&g, in, w, out, 0.0f, scratch);
    if (bias)
        bias_add(out, bias, g.n, g.out_c, g.p);
}

/* The transposed conv is the adjoint of a conv from its output to its input. */
static conv_geom transpose_geom(const cg_conv_infer_shape *s, int64_t out_h, int64_t out_w)
{
    conv_geom g = {.n = s->n, .in_c = s->out_c, .in_h = out_h, .in_w = out_w, .out_c = s->in_c, .out_h = s->in_h,
                   .out_w = s->in_w, .kh = s->k, .kw = s->k, .sh = s->stride, .sw = s->stride, .ph = s->pad,
                   .pw = s->pad, .dh = 1, .dw = 1, .groups = 1, .up = 1};
    geom_finish(&g);
    return g;
}

int64_t cg_conv_transpose_infer_scratch(const cg_conv_infer_shape *s, int64_t out_h, int64_t out_w)
{
    conv_geom g = transpose_geom(s, out_h, out_w);
    return adjoint_scratch(&g) * cg_thread_count();
}

void cg_conv_transpose_infer(const cg_conv_infer_shape *s, int64_t out_h, int64_t out_w, const float *in,
                             const float *w, const float *bias, float *out, float *scratch)
{
    conv_geom g = transpose_geom(s, out_h, out_w);
    memset(out, 0, (size_t)(s->n * s->out_c * out_h * out_w) * sizeof(float));
    conv_adjoint(&g, w, in, NULL, out, NULL, scratch);
    if (bias)
        bias_add(out, bias, g.n, g.in_c, out_h * out_w);
}
