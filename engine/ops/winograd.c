/* Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions, in inference and in
 * training (Lavin and Gray, 2016): each 2x2 block of output takes 16
 * multiplies per input-output channel pair instead of 36, as 16 GEMMs of
 * (Co x Ci) by (Ci x tiles). The transforms below are the standard B, G and A
 * matrices; their entries are 0, +-1 and 1/2, so fp32 results stay within a
 * few ulps of direct convolution.
 *
 * The input may be read nearest-upsampled by 2, like the im2col path, so a
 * decoder's upsampled map is never stored. Then the middle two rows (and
 * columns) of every 4x4 patch are equal, row and column 2 of B^T d B are
 * zero, and only 9 of the 16 GEMMs and transform rows are done.
 *
 * Training's backward is the adjoint of the same steps: the output gradient
 * of each tile goes back through A (dM = A dY A^T); the weight gradient is
 * dU = sum over tiles of dM V^T, then G^T dU G; the input gradient is
 * dV = U^T dM, then B dV B^T added into the 4x4 patch the tile read, through
 * the same padding and upsampling tables the forward read with. */
#include "core/blas.h"
#include "core/simd.h"
#include "core/threads.h"
#include "ops/conv_infer.h"

#include <string.h>

#define TILES_PER_BLOCK 128     /* forward: tiles transformed and multiplied at once by one worker */
#define BACKWARD_TILES 256      /* backward: tiles of one image taken at once by all workers */
#define CHANNELS_PER_TASK 16    /* backward transforms: channels per task */

static inline int64_t reflect_index(int64_t i, int64_t n)
{
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

/* Eight input channels at a time, one per vector lane. */
#define LANES 8

/* U[xi][co][ci] = (G g G^T)[xi] for every 3x3 kernel g = w[co][ci] of
 * outputs o0 .. o1 - 1; eight input channels at once, so each row of U is
 * written in whole vectors. */
CG_KERNEL static void transform_weights_range(const float *w, int64_t co, int64_t ci, int64_t o0, int64_t o1,
                                              float *u)
{
    for (int64_t o = o0; o < o1; o++)
        for (int64_t i0 = 0; i0 < ci; i0 += LANES) {
            int lanes = ci - i0 < LANES ? (int)(ci - i0) : LANES;
            v8 g[9] = {0};
            for (int l = 0; l < lanes; l++)
                for (int k = 0; k < 9; k++)
                    g[k][l] = w[(o * ci + i0 + l) * 9 + k];
            v8 t[4][3]; /* G g */
            for (int c = 0; c < 3; c++) {
                t[0][c] = g[c];
                t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                t[3][c] = g[6 + c];
            }
            for (int r = 0; r < 4; r++) {
                v8 v[4] = {t[r][0], 0.5f * (t[r][0] + t[r][1] + t[r][2]), 0.5f * (t[r][0] - t[r][1] + t[r][2]),
                           t[r][2]};
                for (int c = 0; c < 4; c++) {
                    float *dst = u + ((r * 4 + c) * co + o) * ci + i0;
                    if (lanes == LANES)
                        memcpy(dst, &v[c], sizeof v[c]);
                    else
                        for (int l = 0; l < lanes; l++)
                            dst[l] = v[c][l];
                }
            }
        }
}

/* The adjoint of transform_weights: dw[co][ci] += G^T dU[.][co][ci] G, outputs o0 .. o1 - 1. */
CG_KERNEL static void weight_grad_from_tiles_range(const float *du, int64_t co, int64_t ci, int64_t o0, int64_t o1,
                                                   float *dw)
{
    for (int64_t o = o0; o < o1; o++)
        for (int64_t i0 = 0; i0 < ci; i0 += LANES) {
            int lanes = ci - i0 < LANES ? (int)(ci - i0) : LANES;
            v8 x[4][4];
            for (int xi = 0; xi < 16; xi++) {
                const float *src = du + (xi * co + o) * ci + i0;
                v8 row = {0};
                if (lanes == LANES)
                    row = LOAD8(src);
                else
                    for (int l = 0; l < lanes; l++)
                        row[l] = src[l];
                x[xi / 4][xi % 4] = row;
            }
            v8 t[4][3]; /* x G */
            for (int r = 0; r < 4; r++) {
                t[r][0] = x[r][0] + 0.5f * (x[r][1] + x[r][2]);
                t[r][1] = 0.5f * (x[r][1] - x[r][2]);
                t[r][2] = 0.5f * (x[r][1] + x[r][2]) + x[r][3];
            }
            v8 g[9]; /* G^T t */
            for (int c = 0; c < 3; c++) {
                g[c] = t[0][c] + 0.5f * (t[1][c] + t[2][c]);
                g[3 + c] = 0.5f * (t[1][c] - t[2][c]);
                g[6 + c] = 0.5f * (t[1][c] + t[2][c]) + t[3][c];
            }
            for (int l = 0; l < lanes; l++)
                for (int k = 0; k < 9; k++)
                    dw[(o * ci + i0 + l) * 9 + k] += g[k][l];
        }
}

/* Both run on the pool, each task its own output channels. */
typedef struct weight_job {
    const float *src;
    float *dst;
    int64_t co, ci;
    bool backward;
} weight_job;

static void weight_range(void *ctx, int64_t o0, int64_t o1)
{
    const weight_job *j = ctx;
    if (j->backward)
        weight_grad_from_tiles_range(j->src, j->co, j->ci, o0, o1, j->dst);
    else
        transform_weights_range(j->src, j->co, j->ci, o0, o1, j->dst);
}

static void transform_weights(const float *w, int64_t co, int64_t ci, float *u)
{
    weight_job j = {w, u, co, ci, false};
    cg_parallel_range(co, 8, weight_range, &j);
}

static void weight_grad_from_tiles(const float *du, int64_t co, int64_t ci, float *dw)
{
    weight_job j = {du, dw, co, ci, true};
    cg_parallel_range(co, 8, weight_range, &j);
}

/* The transform rows xi = 4r + q that can be non-zero, and the rest. */
static const int all_rows[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const int upsampled_rows[9] = {0, 1, 3, 4, 5, 7, 12, 13, 15};
static const int upsampled_zero_rows[7] = {2, 6, 8, 9, 10, 11, 14};

typedef struct wino_job {
    const cg_conv_infer_shape *s;
    const int *live, *zero; /* the transform rows computed (n_live) and those always zero (16 - n_live) */
    int n_live;
    int64_t vh, vw;          /* the virtual (upsampled) input sides = output sides */
    int64_t tiles_w, tiles;  /* 2x2 output tiles of one image */
    int32_t *row_index, *col_index; /* 4 per tile row / tile column */
    float *row_mask, *col_mask;
    const float *u;          /* transformed weights */
    /* forward */
    int64_t blocks;          /* tile blocks per image */
    const float *in, *bias;
    float *out, *scratch;
    int64_t scratch_per_worker;
    /* backward, one block of one image at a time */
    const float *in_image, *dout_image;
    float *din_image, *du, *v, *dm, *dv;
    int64_t t0, nt, in_tasks, out_tasks;
} wino_job;

/* Where input row or column i of the virtual (padded, upsampled) input comes
 * from: a source index and 1, or 0 for zero padding. Rows and columns past
 * the end only feed outputs that are discarded; they read the last one (and
 * the backward adds exact zeros there, as those outputs get no gradient). */
static void source_of(const cg_conv_infer_shape *s, int64_t i, int64_t n, int32_t *index, float *mask)
{
    bool outside = i < 0 || i >= n;
    int64_t r = reflect_index(i < n + 1 ? i : n - 1, n);
    *index = (int32_t)(r / s->upsample);
    *mask = outside && !s->reflect ? 0.0f : 1.0f;
}

/* Fills the job's geometry and its index tables, which take table_floats(s)
 * floats of scratch (int32 and float share the scratch's 4-byte slots). */
static int64_t table_floats(const cg_conv_infer_shape *s)
{
    int64_t th = (s->in_h * s->upsample + 1) / 2, tw = (s->in_w * s->upsample + 1) / 2;
    return 8 * (th + tw);
}

static void plan_job(const cg_conv_infer_shape *s, float *tables, wino_job *j)
{
    j->s = s;
    j->vh = s->in_h * s->upsample;
    j->vw = s->in_w * s->upsample;
    j->live = s->upsample == 2 ? upsampled_rows : all_rows;
    j->zero = upsampled_zero_rows;
    j->n_live = s->upsample == 2 ? 9 : 16;
    j->tiles_w = (j->vw + 1) / 2;
    int64_t tiles_h = (j->vh + 1) / 2;
    j->tiles = j->tiles_w * tiles_h;
    j->row_index = (int32_t *)tables;
    j->row_mask = tables + 4 * tiles_h;
    j->col_index = (int32_t *)(tables + 8 * tiles_h);
    j->col_mask = tables + 8 * tiles_h + 4 * j->tiles_w;
    for (int64_t ty = 0; ty < tiles_h; ty++)
        for (int r = 0; r < 4; r++)
            source_of(s, 2 * ty - 1 + r, j->vh, &j->row_index[4 * ty + r], &j->row_mask[4 * ty + r]);
    for (int64_t tx = 0; tx < j->tiles_w; tx++)
        for (int q = 0; q < 4; q++)
            source_of(s, 2 * tx - 1 + q, j->vw, &j->col_index[4 * tx + q], &j->col_mask[4 * tx + q]);
}

/* The transforms of the tiles take eight at a time, one per vector lane:
 * they then write whole vectors of consecutive tiles, which is what the GEMMs
 * read. */
#if defined(__clang__)
#define EVEN_LANES(lo, hi) __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14)
#define ODD_LANES(lo, hi) __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15)
#define INTERLEAVE_LOW(a, b) __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11)
#define INTERLEAVE_HIGH(a, b) __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15)
#define SHIFT_UP(a) __builtin_shufflevector(a, (v8){0}, 8, 0, 1, 2, 3, 4, 5, 6)
#define SHIFT_UP2(a) __builtin_shufflevector(a, (v8){0}, 8, 8, 0, 1, 2, 3, 4, 5)
#define SHIFT_DOWN_IN(a, v) __builtin_shufflevector(a, (v8){v, v, v, v, v, v, v, v}, 1, 2, 3, 4, 5, 6, 7, 8)
#else
#define EVEN_LANES(lo, hi) __builtin_shuffle(lo, hi, (v8i){0, 2, 4, 6, 8, 10, 12, 14})
#define ODD_LANES(lo, hi) __builtin_shuffle(lo, hi, (v8i){1, 3, 5, 7, 9, 11, 13, 15})
#define INTERLEAVE_LOW(a, b) __builtin_shuffle(a, b, (v8i){0, 8, 1, 9, 2, 10, 3, 11})
#define INTERLEAVE_HIGH(a, b) __builtin_shuffle(a, b, (v8i){4, 12, 5, 13, 6, 14, 7, 15})
#define SHIFT_UP(a) __builtin_shuffle(a, (v8){0}, (v8i){8, 0, 1, 2, 3, 4, 5, 6})
#define SHIFT_UP2(a) __builtin_shuffle(a, (v8){0}, (v8i){8, 8, 0, 1, 2, 3, 4, 5})
#define SHIFT_DOWN_IN(a, v) __builtin_shuffle(a, (v8){v, v, v, v, v, v, v, v}, (v8i){1, 2, 3, 4, 5, 6, 7, 8})
#endif

/* The columns a group of eight tiles in one tile row reads, left to right:
 * 18 without upsampling (neighbouring patches overlap by two), 10 with it
 * (patch columns 0 .. 3 of tile t are stored columns t-1, t, t, t+1). */
#define SPAN (2 * LANES + 2)
#define SPAN_UPSAMPLED (LANES + 2)

/* Where the lanes of one group of eight tiles read from. */
typedef struct lane_group {
    const int32_t *rows[LANES], *cols[LANES];
    const float *rmask[LANES], *cmask[LANES];
    int lanes;
    int64_t tx0;
    bool one_row;  /* eight tiles of one tile row: the rows are shared and the columns one span */
    bool interior; /* ... away from the left and right edges: the span is read in place */
    int32_t span_index[SPAN]; /* one_row and not interior: the span's columns, through the padding */
    float span_mask[SPAN];
} lane_group;

#define MAX_GROUPS ((BACKWARD_TILES > TILES_PER_BLOCK ? BACKWARD_TILES : TILES_PER_BLOCK) / LANES)

static void plan_group(const wino_job *j, int64_t t, int lanes, lane_group *g)
{
    g->lanes = lanes;
    for (int l = 0; l < LANES; l++) {
        int64_t tl = t + (l < lanes ? l : lanes - 1), ty = tl / j->tiles_w, tx = tl % j->tiles_w;
        g->rows[l] = j->row_index + 4 * ty;
        g->cols[l] = j->col_index + 4 * tx;
        g->rmask[l] = j->row_mask + 4 * ty;
        g->cmask[l] = j->col_mask + 4 * tx;
    }
    g->tx0 = t % j->tiles_w;
    g->one_row = lanes == LANES && g->tx0 + LANES <= j->tiles_w;
    g->interior = g->one_row && g->tx0 >= 1 && 2 * (g->tx0 + LANES) + 1 < j->vw;
    if (!g->one_row || g->interior)
        return;
    const int64_t x0 = 2 * g->tx0 - 1; /* the first virtual column read */
    if (j->s->upsample == 1) {
        for (int k = 0; k < SPAN; k++)
            source_of(j->s, x0 + k, j->vw, &g->span_index[k], &g->span_mask[k]);
    } else {
        /* stored columns tx0 .. tx0 + 7 are inside; the two ends go through the padding */
        source_of(j->s, x0, j->vw, &g->span_index[0], &g->span_mask[0]);
        for (int k = 1; k <= LANES; k++) {
            g->span_index[k] = (int32_t)(g->tx0 + k - 1);
            g->span_mask[k] = 1.0f;
        }
        source_of(j->s, x0 + 2 * LANES + 1, j->vw, &g->span_index[LANES + 1], &g->span_mask[LANES + 1]);
    }
}

/* The lane groups of tiles [t0, t0 + nt); returns their number. */
static int plan_groups(const wino_job *j, int64_t t0, int64_t nt, lane_group *groups)
{
    int n = 0;
    for (int64_t k = 0; k < nt; k += LANES)
        plan_group(j, t0 + k, nt - k < LANES ? (int)(nt - k) : LANES, &groups[n++]);
    return n;
}

/* The 4x4 patches of a lane group in channel plane src. A group in one tile
 * row reads each of its rows' span with plain loads (stride 2 without
 * upsampling, consecutive with it): in place inside the image, from a copy
 * gathered through the padding at its edges. Other groups go lane by lane. */
static inline __attribute__((always_inline)) void load_patches(const wino_job *j, const lane_group *g, const float *src,
                                                           v8 d[4][4])
{
    const cg_conv_infer_shape *s = j->s;
    if (!g->one_row) {
        for (int r = 0; r < 4; r++)
            for (int q = 0; q < 4; q++)
                for (int l = 0; l < LANES; l++)
                    d[r][q][l] = src[(int64_t)g->rows[l][r] * s->in_w + g->cols[l][q]] * g->rmask[l][r] *
                                 g->cmask[l][q];
        return;
    }
    const int span = s->upsample == 1 ? SPAN : SPAN_UPSAMPLED;
    const int64_t first = s->upsample == 1 ? 2 * g->tx0 - 1 : g->tx0 - 1; /* stored column of the span's start */
    for (int r = 0; r < 4; r++) {
        const float *row = src + (int64_t)g->rows[0][r] * s->in_w, *x = row + first;
        float copy[SPAN + 1] = {0}; /* one more: the last load below reads one float past the span */
        if (!g->interior) {
            for (int k = 0; k < span; k++)
                copy[k] = row[g->span_index[k]] * g->span_mask[k];
            x = copy;
        }
        float mask = g->rmask[0][r];
        if (s->upsample == 1) {
            for (int q = 0; q < 4; q++)
                d[r][q] = EVEN_LANES(LOAD8(x + q), LOAD8(x + q + LANES)) * mask;
        } else {
            d[r][0] = LOAD8(x) * mask;
            d[r][1] = d[r][2] = LOAD8(x + 1) * mask;
            d[r][3] = LOAD8(x + 2) * mask;
        }
    }
}

/* The adjoint of load_patches: adds the 4x4 patches d of a lane group into
 * channel plane dst, where they were read from. A group in one tile row sums
 * each row's span as whole vectors (without upsampling, the even and odd
 * columns apart; with it, the lanes shifted by 0, 1 and 2) and adds it in
 * place inside the image, or column by column through the padding. */
static inline __attribute__((always_inline)) void store_patches(const wino_job *j, const lane_group *g, float *dst,
                                                            v8 d[4][4])
{
    const cg_conv_infer_shape *s = j->s;
    if (!g->one_row) {
        for (int l = 0; l < g->lanes; l++)
            for (int r = 0; r < 4; r++)
                for (int q = 0; q < 4; q++)
                    dst[(int64_t)g->rows[l][r] * s->in_w + g->cols[l][q]] +=
                        d[r][q][l] * g->rmask[l][r] * g->cmask[l][q];
        return;
    }
    const int span = s->upsample == 1 ? SPAN : SPAN_UPSAMPLED;
    const int64_t first = s->upsample == 1 ? 2 * g->tx0 - 1 : g->tx0 - 1;
    for (int r = 0; r < 4; r++) {
        float *row = dst + (int64_t)g->rows[0][r] * s->in_w, *x = row + first;
        float sum[SPAN] = {0};
        if (!g->interior)
            x = sum;
        float mask = g->rmask[0][r];
        if (s->upsample == 1) {
            v8 even = (d[r][0] + SHIFT_UP(d[r][2])) * mask, odd = (d[r][1] + SHIFT_UP(d[r][3])) * mask;
            v8 lo = LOAD8(x) + INTERLEAVE_LOW(even, odd), hi = LOAD8(x + LANES) + INTERLEAVE_HIGH(even, odd);
            memcpy(x, &lo, sizeof lo);
            memcpy(x + LANES, &hi, sizeof hi);
            x[2 * LANES] += d[r][2][LANES - 1] * mask;
            x[2 * LANES + 1] += d[r][3][LANES - 1] * mask;
        } else {
            v8 middle = d[r][1] + d[r][2];
            v8 lo = LOAD8(x) + (d[r][0] + SHIFT_UP(middle) + SHIFT_UP2(d[r][3])) * mask;
            memcpy(x, &lo, sizeof lo);
            x[LANES] += (middle[LANES - 1] + d[r][3][LANES - 2]) * mask;
            x[LANES + 1] += d[r][3][LANES - 1] * mask;
        }
        if (!g->interior)
            for (int k = 0; k < span; k++)
                row[g->span_index[k]] += sum[k] * g->span_mask[k];
    }
}

/* V[c][xi][t] = (B^T d B)[xi] for the 4x4 input patch d of tile t, channels
 * [c0, c1) of image in. Channel by channel, so each of the rows is written
 * front to back. */
CG_KERNEL static void transform_input(const wino_job *j, const float *in, int64_t c0, int64_t c1, int64_t t0,
                                      int64_t nt, float *v)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t plane = s->in_h * s->in_w;
    lane_group groups[MAX_GROUPS];
    int n_groups = plan_groups(j, t0, nt, groups);
    for (int64_t c = c0; c < c1; c++) {
        const float *src = in + c * plane;
        for (int gi = 0; gi < n_groups; gi++) {
            const lane_group *g = &groups[gi];
            v8 d[4][4];
            load_patches(j, g, src, d);
            v8 b[4][4]; /* B^T d */
            for (int q = 0; q < 4; q++) {
                b[0][q] = d[0][q] - d[2][q];
                b[1][q] = d[1][q] + d[2][q];
                b[2][q] = d[2][q] - d[1][q];
                b[3][q] = d[1][q] - d[3][q];
            }
            v8 e[16];
            for (int r = 0; r < 4; r++) {
                e[r * 4 + 0] = b[r][0] - b[r][2];
                e[r * 4 + 1] = b[r][1] + b[r][2];
                e[r * 4 + 2] = b[r][2] - b[r][1];
                e[r * 4 + 3] = b[r][1] - b[r][3];
            }
            /* V is laid out [c][live row][tile]: the rows of one channel sit together. */
            float *dst = v + c * j->n_live * nt + (int64_t)gi * LANES;
            for (int li = 0; li < j->n_live; li++) {
                if (g->lanes == LANES)
                    memcpy(dst + li * nt, &e[j->live[li]], sizeof(v8));
                else
                    for (int l = 0; l < g->lanes; l++)
                        dst[li * nt + l] = e[j->live[li]][l];
            }
        }
    }
}

/* The adjoint of transform_input: adds B dV B^T, for the tiles [t0, t0 + nt)
 * and channels [c0, c1), into the input gradient din of one image. */
CG_KERNEL static void input_grad_from_tiles(const wino_job *j, const float *dv, int64_t c0, int64_t c1,
                                            int64_t t0, int64_t nt, float *din)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t plane = s->in_h * s->in_w;
    lane_group groups[MAX_GROUPS];
    int n_groups = plan_groups(j, t0, nt, groups);
    for (int64_t c = c0; c < c1; c++) {
        float *dst = din + c * plane;
        for (int gi = 0; gi < n_groups; gi++) {
            const lane_group *g = &groups[gi];
            const float *src = dv + c * j->n_live * nt + (int64_t)gi * LANES;
            v8 e[16];
            for (int z = 0; z < 16 - j->n_live; z++)
                e[j->zero[z]] = (v8){0};
            for (int li = 0; li < j->n_live; li++) {
                v8 x = {0};
                if (g->lanes == LANES)
                    x = LOAD8(src + li * nt);
                else
                    for (int l = 0; l < g->lanes; l++)
                        x[l] = src[li * nt + l];
                e[j->live[li]] = x;
            }
            v8 b[4][4]; /* e B^T: columns back through B */
            for (int r = 0; r < 4; r++) {
                const v8 *x = e + 4 * r;
                b[r][0] = x[0];
                b[r][1] = x[1] - x[2] + x[3];
                b[r][2] = x[1] + x[2] - x[0];
                b[r][3] = -x[3];
            }
            v8 d[4][4]; /* B b: rows back through B */
            for (int q = 0; q < 4; q++) {
                d[0][q] = b[0][q];
                d[1][q] = b[1][q] - b[2][q] + b[3][q];
                d[2][q] = b[1][q] + b[2][q] - b[0][q];
                d[3][q] = -b[3][q];
            }
            store_patches(j, g, dst, d);
        }
    }
}

/* out = A^T M A for each tile, plus bias, into image out. A lane group of
 * eight tiles in one tile row writes its two output rows as whole vectors
 * (the even and odd columns interleaved); groups at a row's end or the
 * image's edge go lane by lane. */
CG_KERNEL static void transform_output(const wino_job *j, int64_t t0, int64_t nt, const float *m, float *out)
{
    const int64_t co = j->s->out_c, plane = j->vh * j->vw;
    for (int64_t k = 0; k < nt; k += LANES) {
        int lanes = nt - k < LANES ? (int)(nt - k) : LANES;
        int64_t ty = (t0 + k) / j->tiles_w, tx = (t0 + k) % j->tiles_w;
        bool whole = lanes == LANES && tx + LANES <= j->tiles_w && 2 * (tx + LANES) <= j->vw && 2 * ty + 1 < j->vh;
        for (int64_t o = 0; o < co; o++) {
            float bias = j->bias ? j->bias[o] : 0.0f;
            float *dst = out + o * plane;
            v8 a[16];
            for (int d = 0; d < 16 - j->n_live; d++)
                a[j->zero[d]] = (v8){0};
            for (int li = 0; li < j->n_live; li++) {
                const float *src = m + (o * j->n_live + li) * nt + k;
                int xi = j->live[li];
                if (lanes == LANES)
                    a[xi] = LOAD8(src);
                else {
                    a[xi] = (v8){0};
                    for (int l = 0; l < lanes; l++)
                        a[xi][l] = src[l];
                }
            }
            v8 r[2][4]; /* A^T a */
            for (int q = 0; q < 4; q++) {
                r[0][q] = a[q] + a[4 + q] + a[8 + q];
                r[1][q] = a[4 + q] - a[8 + q] - a[12 + q];
            }
            v8 y[2][2];
            for (int p = 0; p < 2; p++) {
                y[p][0] = r[p][0] + r[p][1] + r[p][2] + bias;
                y[p][1] = r[p][1] - r[p][2] - r[p][3] + bias;
            }
            if (whole) {
                for (int p = 0; p < 2; p++) {
                    v8 lo = INTERLEAVE_LOW(y[p][0], y[p][1]), hi = INTERLEAVE_HIGH(y[p][0], y[p][1]);
                    float *row = dst + (2 * ty + p) * j->vw + 2 * tx;
                    memcpy(row, &lo, sizeof lo);
                    memcpy(row + LANES, &hi, sizeof hi);
                }
                continue;
            }
            for (int l = 0; l < lanes; l++) {
                int64_t t = t0 + k + l, oy = 2 * (t / j->tiles_w), ox = 2 * (t % j->tiles_w);
                for (int p = 0; p < 2 && oy + p < j->vh; p++) {
                    dst[(oy + p) * j->vw + ox] = y[p][0][l];
                    if (ox + 1 < j->vw)
                        dst[(oy + p) * j->vw + ox + 1] = y[p][1][l];
                }
            }
        }
    }
}

/* The adjoint of transform_output: dM[o][xi][t] = (A dY A^T)[xi] for the
 * 2x2 output gradient dY of each tile, channels [c0, c1) of image dout;
 * outputs past the image's edge have no gradient. */
CG_KERNEL static void output_grad_to_tiles(const wino_job *j, const float *dout, int64_t c0, int64_t c1,
                                           int64_t t0, int64_t nt, float *dm)
{
    const int64_t plane = j->vh * j->vw;
    for (int64_t k = 0; k < nt; k += LANES) {
        int lanes = nt - k < LANES ? (int)(nt - k) : LANES;
        int64_t ty = (t0 + k) / j->tiles_w, tx = (t0 + k) % j->tiles_w;
        bool whole = lanes == LANES && tx + LANES <= j->tiles_w && 2 * (tx + LANES) <= j->vw && 2 * ty + 1 < j->vh;
        for (int64_t o = c0; o < c1; o++) {
            const float *src = dout + o * plane;
            v8 y[2][2];
            if (whole) {
                for (int p = 0; p < 2; p++) {
                    const float *row = src + (2 * ty + p) * j->vw + 2 * tx;
                    v8 lo = LOAD8(row), hi = LOAD8(row + LANES);
                    y[p][0] = EVEN_LANES(lo, hi);
                    y[p][1] = ODD_LANES(lo, hi);
                }
            } else {
                memset(y, 0, sizeof y);
                for (int l = 0; l < lanes; l++) {
                    int64_t t = t0 + k + l, oy = 2 * (t / j->tiles_w), ox = 2 * (t % j->tiles_w);
                    for (int p = 0; p < 2 && oy + p < j->vh; p++) {
                        y[p][0][l] = src[(oy + p) * j->vw + ox];
                        if (ox + 1 < j->vw)
                            y[p][1][l] = src[(oy + p) * j->vw + ox + 1];
                    }
                }
            }
            v8 r[4][2]; /* A y: rows */
            for (int q = 0; q < 2; q++) {
                r[0][q] = y[0][q];
                r[1][q] = y[0][q] + y[1][q];
                r[2][q] = y[0][q] - y[1][q];
                r[3][q] = -y[1][q];
            }
            v8 a[16]; /* r A^T: columns */
            for (int i = 0; i < 4; i++) {
                a[4 * i + 0] = r[i][0];
                a[4 * i + 1] = r[i][0] + r[i][1];
                a[4 * i + 2] = r[i][0] - r[i][1];
                a[4 * i + 3] = -r[i][1];
            }
            float *dst = dm + o * j->n_live * nt + k;
            for (int li = 0; li < j->n_live; li++) {
                if (lanes == LANES)
                    memcpy(dst + li * nt, &a[j->live[li]], sizeof(v8));
                else
                    for (int l = 0; l < lanes; l++)
                        dst[li * nt + l] = a[j->live[li]][l];
            }
        }
    }
}

/* ---- forward ----------------------------------------------------------------- */

static void wino_task(void *ctx, int task, int worker)
{
    const wino_job *j = ctx;
    const cg_conv_infer_shape *s = j->s;
    int64_t image = task / j->blocks, t0 = (int64_t)(task % j->blocks) * TILES_PER_BLOCK;
    int64_t nt = j->tiles - t0 < TILES_PER_BLOCK ? j->tiles - t0 : TILES_PER_BLOCK;
    const int64_t ci = s->in_c, co = s->out_c;
    float *v = j->scratch + (int64_t)worker * j->scratch_per_worker;
    float *m = v + 16 * ci * TILES_PER_BLOCK;
    const int rows = j->n_live;
    transform_input(j, j->in + image * ci * s->in_h * s->in_w, 0, ci, t0, nt, v);
    for (int li = 0; li < rows; li++)
        cg_sgemm(false, false, (int)co, (int)nt, (int)ci, 1.0f, j->u + j->live[li] * co * ci, (int)ci, v + li * nt,
                 (int)(rows * nt), 0.0f, m + li * nt, (int)(rows * nt));
    transform_output(j, t0, nt, m, j->out + image * co * j->vh * j->vw);
}

bool cg_winograd_applies(const cg_conv_infer_shape *s)
{
    return s->k == 3 && s->stride == 1 && s->pad == 1 && (s->upsample == 1 || s->upsample == 2);
}

int64_t cg_winograd_scratch(const cg_conv_infer_shape *s)
{
    int64_t per_worker = 16 * (s->in_c + s->out_c) * TILES_PER_BLOCK;
    return 16 * s->out_c * s->in_c + table_floats(s) + per_worker * cg_thread_count();
}

void cg_winograd_conv(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                      float *scratch)
{
    wino_job j = {.u = scratch, .in = in, .bias = bias, .out = out};
    float *tables = scratch + 16 * s->out_c * s->in_c;
    plan_job(s, tables, &j);
    j.blocks = (j.tiles + TILES_PER_BLOCK - 1) / TILES_PER_BLOCK;
    j.scratch = tables + table_floats(s);
    j.scratch_per_worker = 16 * (s->in_c + s->out_c) * TILES_PER_BLOCK;
    transform_weights(w, s->out_c, s->in_c, scratch);
    cg_parallel_for((int)(s->n * j.blocks), wino_task, &j);
}

/* ---- F(4x4, 3x3): inference's forward without upsampling ---------------------
 *
 * Each 4x4 block of output takes 36 multiplies per channel pair instead of
 * F(2x2)'s 64 (for its four 2x2 tiles), as 36 GEMMs of (Co x Ci) by
 * (Ci x tiles) over 6x6 input patches. The standard matrices (Lavin and
 * Gray) interpolate at 0, +-1, +-2 and infinity: entries up to 8 and 1/24
 * cost a few more ulps than F(2x2), well inside the 1/255 that tiled and
 * whole-image results must agree to. Training keeps F(2x2), whose backward
 * is its exact adjoint. */

#define TILES4_PER_BLOCK 64 /* 36 rows of V and M per tile: half F(2x2)'s block keeps them in cache */

typedef struct wino4_job {
    const cg_conv_infer_shape *s;
    int64_t h, w, tiles_w, tiles, blocks;
    int32_t *row_index, *col_index; /* 6 per tile row / tile column */
    float *row_mask, *col_mask;
    const float *u, *in, *bias;
    float *out, *scratch;
    int64_t scratch_per_worker;
} wino4_job;

static int64_t table4_floats(const cg_conv_infer_shape *s)
{
    return 12 * ((s->in_h + 3) / 4 + (s->in_w + 3) / 4);
}

/* U[xi][co][ci] = (G g G^T)[xi], xi = 6 r + q, for the kernels of outputs
 * o0 .. o1 - 1, eight input channels at a time (one per lane: their values
 * are adjacent in U). The same operations as one at a time, so the same
 * values. */
CG_KERNEL static void transform_weights4_range(const float *w, int64_t co, int64_t ci, int64_t o0, int64_t o1,
                                               float *u)
{
    for (int64_t o = o0; o < o1; o++)
        for (int64_t i0 = 0; i0 < ci; i0 += LANES) {
            int lanes = ci - i0 < LANES ? (int)(ci - i0) : LANES;
            v8 g[9] = {{0}};
            for (int l = 0; l < lanes; l++)
                for (int k = 0; k < 9; k++)
                    g[k][l] = w[(o * ci + i0 + l) * 9 + k];
            v8 t[6][3]; /* G g */
            for (int c = 0; c < 3; c++) {
                v8 g0 = g[c], g1 = g[3 + c], g2 = g[6 + c];
                t[0][c] = g0 / 4;
                t[1][c] = -(g0 + g1 + g2) / 6;
                t[2][c] = -(g0 - g1 + g2) / 6;
                t[3][c] = g0 / 24 + g1 / 12 + g2 / 6;
                t[4][c] = g0 / 24 - g1 / 12 + g2 / 6;
                t[5][c] = g2;
            }
            for (int r = 0; r < 6; r++) {
                v8 g0 = t[r][0], g1 = t[r][1], g2 = t[r][2], v[6];
                v[0] = g0 / 4;
                v[1] = -(g0 + g1 + g2) / 6;
                v[2] = -(g0 - g1 + g2) / 6;
                v[3] = g0 / 24 + g1 / 12 + g2 / 6;
                v[4] = g0 / 24 - g1 / 12 + g2 / 6;
                v[5] = g2;
                for (int q = 0; q < 6; q++) {
                    float *dst = u + ((r * 6 + q) * co + o) * ci + i0;
                    if (lanes == LANES)
                        memcpy(dst, &v[q], sizeof(v8));
                    else
                        for (int l = 0; l < lanes; l++)
                            dst[l] = v[q][l];
                }
            }
        }
}

static void weight4_range(void *ctx, int64_t o0, int64_t o1)
{
    const weight_job *j = ctx;
    transform_weights4_range(j->src, j->co, j->ci, o0, o1, j->dst);
}

/* B^T x for six values (a row or a column of a patch). */
#define B4T(x, y)                                                                                                 \
    do {                                                                                                          \
        y[0] = 4.0f * x[0] - 5.0f * x[2] + x[4];                                                                  \
        y[1] = x[3] + x[4] - 4.0f * (x[1] + x[2]);                                                                \
        y[2] = x[4] - x[3] + 4.0f * (x[1] - x[2]);                                                                \
        y[3] = x[4] - x[2] + 2.0f * (x[3] - x[1]);                                                                \
        y[4] = x[4] - x[2] + 2.0f * (x[1] - x[3]);                                                                \
        y[5] = 4.0f * x[1] - 5.0f * x[3] + x[5];                                                                  \
    } while (0)

/* The columns a group of eight tiles in one tile row reads: patch columns
 * 0 .. 5 of tile tx0 + l are span columns 4 l .. 4 l + 5. */
#define SPAN4 (4 * LANES + 2)

/* V[c][xi][t] = (B^T d B)[xi] for the 6x6 patch d of tile t, channels of
 * image in, eight tiles at a time (one per lane). Eight tiles of one tile row
 * (most tiles) read each patch row's span with four loads and two floats,
 * parted by column mod 4: in place away from the row's ends, else from a copy
 * gathered through the padding tables. Other groups go lane by lane. */
CG_KERNEL static void transform_input4(const wino4_job *j, const float *in, int64_t t0, int64_t nt, float *v)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t plane = s->in_h * s->in_w;
    enum { LANE_BY_LANE, IN_PLACE, COPIED };
    int how[TILES4_PER_BLOCK / LANES];
    int32_t span_index[TILES4_PER_BLOCK / LANES][SPAN4];
    float span_mask[TILES4_PER_BLOCK / LANES][SPAN4];
    for (int64_t k = 0; k < nt; k += LANES) {
        int g = (int)(k / LANES);
        int64_t tx0 = (t0 + k) % j->tiles_w;
        if (nt - k < LANES || tx0 + LANES > j->tiles_w)
            how[g] = LANE_BY_LANE;
        else if (tx0 >= 1 && tx0 + LANES < j->tiles_w)
            how[g] = IN_PLACE;
        else {
            how[g] = COPIED;
            for (int c = 0; c < SPAN4; c++) {
                int64_t tile = tx0 + (c / 4 < LANES ? c / 4 : LANES - 1), q = c - 4 * (tile - tx0);
                span_index[g][c] = j->col_index[6 * tile + q];
                span_mask[g][c] = j->col_mask[6 * tile + q];
            }
        }
    }
    for (int64_t c = 0; c < s->in_c; c++) {
        const float *src = in + c * plane;
        for (int64_t k = 0; k < nt; k += LANES) {
            int lanes = nt - k < LANES ? (int)(nt - k) : LANES, g = (int)(k / LANES);
            v8 d[6][6];
            int64_t ty0 = (t0 + k) / j->tiles_w, tx0 = (t0 + k) % j->tiles_w;
            if (how[g] != LANE_BY_LANE) {
                const int32_t *rows = j->row_index + 6 * ty0;
                for (int r = 0; r < 6; r++) {
                    const float *row = src + (int64_t)rows[r] * s->in_w, *x = row + 4 * tx0 - 1;
                    float copy[SPAN4];
                    if (how[g] == COPIED) {
                        for (int i = 0; i < SPAN4; i++)
                            copy[i] = row[span_index[g][i]] * span_mask[g][i];
                        x = copy;
                    }
                    float mask = j->row_mask[6 * ty0 + r];
                    v8 even = EVEN_LANES(LOAD8(x), LOAD8(x + LANES)), odd = ODD_LANES(LOAD8(x), LOAD8(x + LANES));
                    v8 even2 = EVEN_LANES(LOAD8(x + 2 * LANES), LOAD8(x + 3 * LANES));
                    v8 odd2 = ODD_LANES(LOAD8(x + 2 * LANES), LOAD8(x + 3 * LANES));
                    d[r][0] = EVEN_LANES(even, even2) * mask; /* span columns 4 l */
                    d[r][1] = EVEN_LANES(odd, odd2) * mask;   /* 4 l + 1 */
                    d[r][2] = ODD_LANES(even, even2) * mask;  /* 4 l + 2 */
                    d[r][3] = ODD_LANES(odd, odd2) * mask;    /* 4 l + 3 */
                    d[r][4] = SHIFT_DOWN_IN(d[r][0], x[4 * LANES] * mask);
                    d[r][5] = SHIFT_DOWN_IN(d[r][1], x[4 * LANES + 1] * mask);
                }
            } else {
                for (int l = 0; l < LANES; l++) {
                    int64_t t = t0 + k + (l < lanes ? l : lanes - 1), ty = t / j->tiles_w, tx = t % j->tiles_w;
                    const int32_t *rows = j->row_index + 6 * ty, *cols = j->col_index + 6 * tx;
                    const float *rm = j->row_mask + 6 * ty, *cm = j->col_mask + 6 * tx;
                    for (int r = 0; r < 6; r++) {
                        const float *row = src + (int64_t)rows[r] * s->in_w;
                        for (int q = 0; q < 6; q++)
                            d[r][q][l] = row[cols[q]] * rm[r] * cm[q];
                    }
                }
            }
            v8 b[6][6];
            for (int q = 0; q < 6; q++) { /* B^T d, column by column */
                v8 x[6] = {d[0][q], d[1][q], d[2][q], d[3][q], d[4][q], d[5][q]}, y[6];
                B4T(x, y);
                for (int r = 0; r < 6; r++)
                    b[r][q] = y[r];
            }
            float *dst = v + c * 36 * nt + k;
            for (int r = 0; r < 6; r++) { /* then B on the right, row by row */
                v8 e[6];
                B4T(b[r], e);
                for (int q = 0; q < 6; q++) {
                    float *row = dst + (6 * r + q) * nt;
                    if (lanes == LANES)
                        memcpy(row, &e[q], sizeof(v8));
                    else
                        for (int l = 0; l < lanes; l++)
                            row[l] = e[q][l];
                }
            }
        }
    }
}

/* A^T x for six values. */
#define A4T(x, y)                                                                                                 \
    do {                                                                                                          \
        y[0] = x[0] + x[1] + x[2] + x[3] + x[4];                                                                  \
        y[1] = x[1] - x[2] + 2.0f * (x[3] - x[4]);                                                                \
        y[2] = x[1] + x[2] + 4.0f * (x[3] + x[4]);                                                                \
        y[3] = x[1] - x[2] + 8.0f * (x[3] - x[4]) + x[5];                                                         \
    } while (0)

/* out = A^T M A + bias for each tile, clipped at the image's edges. Eight
 * tiles of one tile row with all their outputs inside the image write each
 * output row as whole vectors; others go lane by lane. */
CG_KERNEL static void transform_output4(const wino4_job *j, int64_t t0, int64_t nt, const float *m, float *out)
{
    const int64_t co = j->s->out_c, plane = j->h * j->w;
    for (int64_t k = 0; k < nt; k += LANES) {
        int lanes = nt - k < LANES ? (int)(nt - k) : LANES;
        int64_t ty = (t0 + k) / j->tiles_w, tx = (t0 + k) % j->tiles_w;
        /* eight tiles of one row whose outputs are all inside: whole vectors */
        bool whole = lanes == LANES && 4 * (tx + LANES) <= j->w && 4 * ty + 4 <= j->h;
        for (int64_t o = 0; o < co; o++) {
            float bias = j->bias ? j->bias[o] : 0.0f;
            v8 a[6][6];
            const float *src = m + o * 36 * nt + k;
            for (int xi = 0; xi < 36; xi++) {
                if (lanes == LANES)
                    a[xi / 6][xi % 6] = LOAD8(src + xi * nt);
                else {
                    a[xi / 6][xi % 6] = (v8){0};
                    for (int l = 0; l < lanes; l++)
                        a[xi / 6][xi % 6][l] = src[xi * nt + l];
                }
            }
            v8 r[4][6], y[4][4];
            for (int q = 0; q < 6; q++) {
                v8 x[6] = {a[0][q], a[1][q], a[2][q], a[3][q], a[4][q], a[5][q]}, z[4];
                A4T(x, z);
                for (int p = 0; p < 4; p++)
                    r[p][q] = z[p];
            }
            for (int p = 0; p < 4; p++)
                A4T(r[p], y[p]);
            float *dst = out + o * plane;
            if (whole) {
                for (int p = 0; p < 4; p++) {
                    /* the eight tiles' four columns interleaved: 32 consecutive floats */
                    v8 lo = INTERLEAVE_LOW(y[p][0], y[p][2]), hi = INTERLEAVE_HIGH(y[p][0], y[p][2]);
                    v8 lo2 = INTERLEAVE_LOW(y[p][1], y[p][3]), hi2 = INTERLEAVE_HIGH(y[p][1], y[p][3]);
                    v8 row[4] = {INTERLEAVE_LOW(lo, lo2), INTERLEAVE_HIGH(lo, lo2), INTERLEAVE_LOW(hi, hi2),
                                 INTERLEAVE_HIGH(hi, hi2)};
                    for (int i = 0; i < 4; i++)
                        row[i] += bias;
                    memcpy(dst + (4 * ty + p) * j->w + 4 * tx, row, sizeof row);
                }
                continue;
            }
            for (int l = 0; l < lanes; l++) {
                int64_t t = t0 + k + l, oy = 4 * (t / j->tiles_w), ox = 4 * (t % j->tiles_w);
                for (int p = 0; p < 4 && oy + p < j->h; p++)
                    for (int q = 0; q < 4 && ox + q < j->w; q++)
                        dst[(oy + p) * j->w + ox + q] = y[p][q][l] + bias;
            }
        }
    }
}

static void wino4_task(void *ctx, int task, int worker)
{
    const wino4_job *j = ctx;
    const cg_conv_infer_shape *s = j->s;
    int64_t image = task / j->blocks, t0 = (int64_t)(task % j->blocks) * TILES4_PER_BLOCK;
    int64_t nt = j->tiles - t0 < TILES4_PER_BLOCK ? j->tiles - t0 : TILES4_PER_BLOCK;
    const int64_t ci = s->in_c, co = s->out_c;
    float *v = j->scratch + (int64_t)worker * j->scratch_per_worker, *m = v + 36 * ci * TILES4_PER_BLOCK;
    transform_input4(j, j->in + image * ci * s->in_h * s->in_w, t0, nt, v);
    for (int xi = 0; xi < 36; xi++)
        cg_sgemm(false, false, (int)co, (int)nt, (int)ci, 1.0f, j->u + xi * co * ci, (int)ci, v + xi * nt,
                 (int)(36 * nt), 0.0f, m + xi * nt, (int)(36 * nt));
    transform_output4(j, t0, nt, m, j->out + image * co * j->h * j->w);
}

bool cg_winograd4_applies(const cg_conv_infer_shape *s)
{
    return cg_winograd_applies(s) && s->upsample == 1;
}

int64_t cg_winograd4_scratch(const cg_conv_infer_shape *s)
{
    int64_t per_worker = 36 * (s->in_c + s->out_c) * TILES4_PER_BLOCK;
    return 36 * s->out_c * s->in_c + table4_floats(s) + per_worker * cg_thread_count();
}

void cg_winograd4_conv(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                       float *scratch)
{
    wino4_job j = {.s = s, .h = s->in_h, .w = s->in_w, .u = scratch, .in = in, .bias = bias, .out = out};
    int64_t tiles_h = (j.h + 3) / 4;
    j.tiles_w = (j.w + 3) / 4;
    j.tiles = tiles_h * j.tiles_w;
    j.blocks = (j.tiles + TILES4_PER_BLOCK - 1) / TILES4_PER_BLOCK;
    float *tables = scratch + 36 * s->out_c * s->in_c;
    j.row_index = (int32_t *)tables;
    j.row_mask = tables + 6 * tiles_h;
    j.col_index = (int32_t *)(tables + 12 * tiles_h);
    j.col_mask = tables + 12 * tiles_h + 6 * j.tiles_w;
    for (int64_t ty = 0; ty < tiles_h; ty++)
        for (int r = 0; r < 6; r++)
            source_of(s, 4 * ty - 1 + r, j.h, &j.row_index[6 * ty + r], &j.row_mask[6 * ty + r]);
    for (int64_t tx = 0; tx < j.tiles_w; tx++)
        for (int q = 0; q < 6; q++)
            source_of(s, 4 * tx - 1 + q, j.w, &j.col_index[6 * tx + q], &j.col_mask[6 * tx + q]);
    j.scratch = tables + table4_floats(s);
    j.scratch_per_worker = 36 * (s->in_c + s->out_c) * TILES4_PER_BLOCK;
    weight_job wj = {w, scratch, s->out_c, s->in_c, false};
    cg_parallel_range(s->out_c, 8, weight4_range, &wj);
    cg_parallel_for((int)(s->n * j.blocks), wino4_task, &j);
}

/* ---- backward ---------------------------------------------------------------- */

/* Tasks [0, in_tasks) transform the input's channels (for the weight
 * gradient), the rest the output gradient's. */
static void backward_transform_task(void *ctx, int task, int worker)
{
    const wino_job *j = ctx;
    const cg_conv_infer_shape *s = j->s;
    if (task < j->in_tasks) {
        int64_t c0 = (int64_t)task * CHANNELS_PER_TASK, c1 = c0 + CHANNELS_PER_TASK < s->in_c ? c0 + CHANNELS_PER_TASK : s->in_c;
        transform_input(j, j->in_image, c0, c1, j->t0, j->nt, j->v);
    } else {
        int64_t c0 = (int64_t)(task - j->in_tasks) * CHANNELS_PER_TASK;
        int64_t c1 = c0 + CHANNELS_PER_TASK < s->out_c ? c0 + CHANNELS_PER_TASK : s->out_c;
        output_grad_to_tiles(j, j->dout_image, c0, c1, j->t0, j->nt, j->dm);
    }
}

/* One task per transform row: with the weight gradient it adds dM V^T into
 * dU, with the input gradient it gives dV = U^T dM, reading the row of dM
 * while it is in the core's cache. Each task writes its own rows, in the
 * same order every run. */
static void backward_gemm_task(void *ctx, int task, int worker)
{
    const wino_job *j = ctx;
    const int64_t ci = j->s->in_c, co = j->s->out_c, ld = j->n_live * j->nt;
    int li = task, xi = j->live[li];
    if (j->du)
        cg_sgemm(false, true, (int)co, (int)ci, (int)j->nt, 1.0f, j->dm + li * j->nt, (int)ld, j->v + li * j->nt,
                 (int)ld, 1.0f, j->du + xi * co * ci, (int)ci);
    if (j->din_image)
        cg_sgemm(true, false, (int)ci, (int)j->nt, (int)co, 1.0f, j->u + xi * co * ci, (int)ci, j->dm + li * j->nt,
                 (int)ld, 0.0f, j->dv + li * j->nt, (int)ld);
}

static void backward_scatter_task(void *ctx, int task, int worker)
{
    const wino_job *j = ctx;
    int64_t c0 = (int64_t)task * CHANNELS_PER_TASK;
    int64_t c1 = c0 + CHANNELS_PER_TASK < j->s->in_c ? c0 + CHANNELS_PER_TASK : j->s->in_c;
    input_grad_from_tiles(j, j->dv, c0, c1, j->t0, j->nt, j->din_image);
}

static int64_t chunks_of(int64_t channels)
{
    return (channels + CHANNELS_PER_TASK - 1) / CHANNELS_PER_TASK;
}

int64_t cg_winograd_backward_scratch(const cg_conv_infer_shape *s)
{
    return 2 * 16 * s->out_c * s->in_c + table_floats(s) + 16 * (2 * s->in_c + s->out_c) * BACKWARD_TILES;
}

void cg_winograd_backward(const cg_conv_infer_shape *s, const float *in, const float *w, const float *dout,
                          float *din, float *dw, float *scratch)
{
    if (!din && !dw)
        return;
    const int64_t ci = s->in_c, co = s->out_c;
    float *u = scratch, *du = u + 16 * co * ci, *tables = du + 16 * co * ci;
    wino_job j = {.u = u, .du = dw ? du : NULL};
    plan_job(s, tables, &j);
    j.v = tables + table_floats(s);
    j.dm = j.v + 16 * ci * BACKWARD_TILES;
    j.dv = j.dm + 16 * co * BACKWARD_TILES;
    j.in_tasks = dw ? chunks_of(ci) : 0;
    j.out_tasks = chunks_of(co);
    if (din)
        transform_weights(w, co, ci, u);
    if (dw)
        memset(du, 0, (size_t)(16 * co * ci) * sizeof(float));
    const int64_t in_image = ci * s->in_h * s->in_w, out_image = co * j.vh * j.vw;
    for (int64_t n = 0; n < s->n; n++) {
        j.in_image = in + n * in_image;
        j.dout_image = dout + n * out_image;
        j.din_image = din ? din + n * in_image : NULL;
        for (j.t0 = 0; j.t0 < j.tiles; j.t0 += BACKWARD_TILES) {
            j.nt = j.tiles - j.t0 < BACKWARD_TILES ? j.tiles - j.t0 : BACKWARD_TILES;
            cg_parallel_for((int)(j.in_tasks + j.out_tasks), backward_transform_task, &j);
            cg_parallel_for(j.n_live, backward_gemm_task, &j);
            if (din)
                cg_parallel_for((int)chunks_of(ci), backward_scatter_task, &j);
        }
    }
    if (dw)
        weight_grad_from_tiles(du, co, ci, dw);
}
