/* Winograd F(2x2, 3x3) for the inference executor's 3x3 stride-1 convolutions
 * (Lavin and Gray, 2016): each 2x2 block of output takes 16 multiplies per
 * input-output channel pair instead of 36, as 16 GEMMs of (Co x Ci) by
 * (Ci x tiles). The transforms below are the standard B, G and A matrices;
 * their entries are 0, +-1 and 1/2, so fp32 results stay within a few ulps of
 * direct convolution. The input may be read nearest-upsampled by 2, like the
 * im2col path, so a decoder's upsampled map is never stored. Then the middle
 * two rows (and columns) of every 4x4 patch are equal, row and column 2 of
 * B^T d B are zero, and only 9 of the 16 GEMMs and transform rows are done. */
#include "core/blas.h"
#include "core/simd.h"
#include "core/threads.h"
#include "ops/conv_infer.h"

#include <string.h>

#define TILES_PER_BLOCK 128

static inline int64_t reflect_index(int64_t i, int64_t n)
{
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

/* U[xi][co][ci] = (G g G^T)[xi] for every 3x3 kernel g = w[co][ci]. */
static void transform_weights(const float *w, int64_t co, int64_t ci, float *u)
{
    for (int64_t o = 0; o < co; o++)
        for (int64_t i = 0; i < ci; i++) {
            const float *g = w + (o * ci + i) * 9;
            float t[4][3]; /* G g */
            for (int c = 0; c < 3; c++) {
                t[0][c] = g[c];
                t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                t[3][c] = g[6 + c];
            }
            for (int r = 0; r < 4; r++) {
                float v[4] = {t[r][0], 0.5f * (t[r][0] + t[r][1] + t[r][2]), 0.5f * (t[r][0] - t[r][1] + t[r][2]),
                              t[r][2]};
                for (int c = 0; c < 4; c++)
                    u[((r * 4 + c) * co + o) * ci + i] = v[c];
            }
        }
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
    int64_t tiles_w, tiles;  /* 2x2 output tiles */
    const float *in, *u, *bias;
    float *out, *scratch;
    int64_t scratch_per_worker;
    int32_t *row_index, *col_index; /* 4 per tile row / tile column */
    float *row_mask, *col_mask;
} wino_job;

/* Where input row or column i of the virtual (padded, upsampled) input comes
 * from: a source index and 1, or 0 for zero padding. Rows and columns past
 * the end only feed outputs that are discarded; they read the last one. */
static void source_of(const cg_conv_infer_shape *s, int64_t i, int64_t n, int32_t *index, float *mask)
{
    bool outside = i < 0 || i >= n;
    int64_t r = reflect_index(i < n + 1 ? i : n - 1, n);
    *index = (int32_t)(r / s->upsample);
    *mask = outside && !s->reflect ? 0.0f : 1.0f;
}

/* Eight tiles at a time, one per vector lane: the transforms then write whole
 * vectors of consecutive tiles, which is what the GEMMs read. */
#define LANES 8
#if defined(__clang__)
#define EVEN_LANES(lo, hi) __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14)
#define INTERLEAVE_LOW(a, b) __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11)
#define INTERLEAVE_HIGH(a, b) __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15)
#else
#define EVEN_LANES(lo, hi) __builtin_shuffle(lo, hi, (v8i){0, 2, 4, 6, 8, 10, 12, 14})
#define INTERLEAVE_LOW(a, b) __builtin_shuffle(a, b, (v8i){0, 8, 1, 9, 2, 10, 3, 11})
#define INTERLEAVE_HIGH(a, b) __builtin_shuffle(a, b, (v8i){4, 12, 5, 13, 6, 14, 7, 15})
#endif

/* Where the lanes of one group of eight tiles read from. */
typedef struct lane_group {
    const int32_t *rows[LANES], *cols[LANES];
    const float *rmask[LANES], *cmask[LANES];
    int lanes;
    int64_t tx0;
    bool interior; /* one tile row, away from the left and right edges */
} lane_group;

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
    g->interior = lanes == LANES && g->tx0 >= 1 && g->tx0 + LANES <= j->tiles_w && 2 * (g->tx0 + LANES) + 1 < j->vw;
}

/* The 4x4 patches of a lane group in channel plane src. Interior groups share
 * their rows and read columns with plain loads (stride 2 without upsampling,
 * consecutive with it); the rest go through the per-lane tables. */
static inline __attribute__((always_inline)) void load_patches(const wino_job *j, const lane_group *g, const float *src,
                                                           v8 d[4][4])
{
    const cg_conv_infer_shape *s = j->s;
    if (g->interior && s->upsample == 1) {
        for (int r = 0; r < 4; r++) {
            const float *row = src + (int64_t)g->rows[0][r] * s->in_w + 2 * g->tx0 - 1;
            for (int q = 0; q < 4; q++) {
                v8 lo, hi;
                memcpy(&lo, row + q, sizeof lo);
                memcpy(&hi, row + q + LANES, sizeof hi);
                d[r][q] = EVEN_LANES(lo, hi) * g->rmask[0][r];
            }
        }
    } else if (g->interior && s->upsample == 2) {
        /* upsampled columns 2t-1 .. 2t+2 are stored columns t-1, t, t, t+1 */
        for (int r = 0; r < 4; r++) {
            const float *row = src + (int64_t)g->rows[0][r] * s->in_w + g->tx0;
            float mask = g->rmask[0][r];
            d[r][0] = LOAD8(row - 1) * mask;
            d[r][1] = d[r][2] = LOAD8(row) * mask;
            d[r][3] = LOAD8(row + 1) * mask;
        }
    } else {
        for (int r = 0; r < 4; r++)
            for (int q = 0; q < 4; q++)
                for (int l = 0; l < LANES; l++)
                    d[r][q][l] = src[(int64_t)g->rows[l][r] * s->in_w + g->cols[l][q]] * g->rmask[l][r] *
                                 g->cmask[l][q];
    }
}

/* V[c][xi][t] = (B^T d B)[xi] for the 4x4 input patch d of tile t. Channel by
 * channel, so each of the 16 outputs is written front to back. */
CG_KERNEL static void transform_input(const wino_job *j, int64_t t0, int64_t nt, float *v)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t plane = s->in_h * s->in_w;
    lane_group groups[(TILES_PER_BLOCK + LANES - 1) / LANES];
    int n_groups = 0;
    for (int64_t k = 0; k < nt; k += LANES)
        plan_group(j, t0 + k, nt - k < LANES ? (int)(nt - k) : LANES, &groups[n_groups++]);
    for (int64_t c = 0; c < s->in_c; c++) {
        const float *src = j->in + c * plane;
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

/* out = A^T M A for each tile, plus bias. A lane group of eight tiles in one
 * tile row writes its two output rows as whole vectors (the even and odd
 * columns interleaved); groups at a row's end or the image's edge go lane by
 * lane. */
CG_KERNEL static void transform_output(const wino_job *j, int64_t t0, int64_t nt, const float *m)
{
    const int64_t co = j->s->out_c, plane = j->vh * j->vw;
    for (int64_t k = 0; k < nt; k += LANES) {
        int lanes = nt - k < LANES ? (int)(nt - k) : LANES;
        int64_t ty = (t0 + k) / j->tiles_w, tx = (t0 + k) % j->tiles_w;
        bool whole = lanes == LANES && tx + LANES <= j->tiles_w && 2 * (tx + LANES) <= j->vw && 2 * ty + 1 < j->vh;
        for (int64_t o = 0; o < co; o++) {
            float bias = j->bias ? j->bias[o] : 0.0f;
            float *dst = j->out + o * plane;
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

static void wino_task(void *ctx, int task, int worker)
{
    const wino_job *j = ctx;
    int64_t t0 = (int64_t)task * TILES_PER_BLOCK;
    int64_t nt = j->tiles - t0 < TILES_PER_BLOCK ? j->tiles - t0 : TILES_PER_BLOCK;
    const int64_t ci = j->s->in_c, co = j->s->out_c;
    float *v = j->scratch + (int64_t)worker * j->scratch_per_worker;
    float *m = v + 16 * ci * TILES_PER_BLOCK;
    const int rows = j->n_live;
    transform_input(j, t0, nt, v);
    for (int li = 0; li < rows; li++)
        cg_sgemm(false, false, (int)co, (int)nt, (int)ci, 1.0f, j->u + j->live[li] * co * ci, (int)ci, v + li * nt,
                 (int)(rows * nt), 0.0f, m + li * nt, (int)(rows * nt));
    transform_output(j, t0, nt, m);
}

bool cg_winograd_applies(const cg_conv_infer_shape *s)
{
    return s->k == 3 && s->stride == 1 && s->pad == 1 && s->n == 1 && (s->upsample == 1 || s->upsample == 2);
}

/* Floats of the tables: 4 index and 4 mask entries per tile row and column. */
static int64_t table_floats(const cg_conv_infer_shape *s)
{
    int64_t th = (s->in_h * s->upsample + 1) / 2, tw = (s->in_w * s->upsample + 1) / 2;
    return 8 * (th + tw);
}

int64_t cg_winograd_scratch(const cg_conv_infer_shape *s)
{
    int64_t per_worker = 16 * (s->in_c + s->out_c) * TILES_PER_BLOCK;
    return 16 * s->out_c * s->in_c + table_floats(s) + per_worker * cg_thread_count();
}

void cg_winograd_conv(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                      float *scratch)
{
    wino_job j = {.s = s, .vh = s->in_h * s->upsample, .vw = s->in_w * s->upsample, .in = in, .u = scratch,
                  .bias = bias, .out = out};
    j.live = s->upsample == 2 ? upsampled_rows : all_rows;
    j.zero = upsampled_zero_rows;
    j.n_live = s->upsample == 2 ? 9 : 16;
    j.tiles_w = (j.vw + 1) / 2;
    int64_t tiles_h = (j.vh + 1) / 2;
    j.tiles = j.tiles_w * tiles_h;
    /* int32 and float share the scratch's 4-byte slots */
    float *tables = scratch + 16 * s->out_c * s->in_c;
    j.row_index = (int32_t *)tables;
    j.row_mask = tables + 4 * tiles_h;
    j.col_index = (int32_t *)(tables + 8 * tiles_h);
    j.col_mask = tables + 8 * tiles_h + 4 * j.tiles_w;
    for (int64_t ty = 0; ty < tiles_h; ty++)
        for (int r = 0; r < 4; r++)
            source_of(s, 2 * ty - 1 + r, j.vh, &j.row_index[4 * ty + r], &j.row_mask[4 * ty + r]);
    for (int64_t tx = 0; tx < j.tiles_w; tx++)
        for (int q = 0; q < 4; q++)
            source_of(s, 2 * tx - 1 + q, j.vw, &j.col_index[4 * tx + q], &j.col_mask[4 * tx + q]);
    j.scratch = tables + table_floats(s);
    j.scratch_per_worker = 16 * (s->in_c + s->out_c) * TILES_PER_BLOCK;
    transform_weights(w, s->out_c, s->in_c, scratch);
    cg_parallel_for((int)((j.tiles + TILES_PER_BLOCK - 1) / TILES_PER_BLOCK), wino_task, &j);
}
