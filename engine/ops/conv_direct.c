/* Direct convolution for the layers of inference that are poor GEMM shapes:
 * few output channels (the generator's 3-channel output layer, M = 3) or few
 * input channels (its 7x7 input layer, K = 3 * 49, whose column matrix would
 * be 49 times the image). Each worker takes a band of output rows, copies the
 * padded input band once, and for each group of four output channels
 * accumulates 24 output pixels per channel in registers while it walks the
 * kernel. */
#include "core/blas.h"
#include "core/simd.h"
#include "core/threads.h"
#include "ops/conv_infer.h"

#include <string.h>

#define GROUP 4          /* output channels handled at once */
#define FEW 4            /* at most this many output or input channels */
#define VECS 3           /* vectors of output pixels per accumulator row */
#define CHUNK (16 * VECS) /* output pixels per row step, at most (16-float vectors) */
#define BAND 8           /* output rows per task */
#define KX_GROUP 3       /* kernel columns whose weight gradients are accumulated at once */
#define MAX_K 9          /* largest kernel side */

/* Stride 1, "same" padding, an odd kernel of at most MAX_K, read as stored. */
static bool same_size_conv(const cg_conv_infer_shape *s)
{
    return s->stride == 1 && s->upsample == 1 && s->k % 2 == 1 && s->pad == s->k / 2 && s->k <= MAX_K;
}

bool cg_conv_direct_applies(const cg_conv_infer_shape *s)
{
    return (s->out_c <= FEW || s->in_c <= FEW) && s->n == 1 && same_size_conv(s);
}

static int64_t padded_width(const cg_conv_infer_shape *s)
{
    /* room for a whole last chunk past the right edge */
    return s->in_w + 2 * s->pad + CHUNK;
}

/* Output channels rounded up to whole groups (the weights are padded with zeros). */
static int64_t padded_out(const cg_conv_infer_shape *s)
{
    return (s->out_c + GROUP - 1) / GROUP * GROUP;
}

static int64_t band_floats(const cg_conv_infer_shape *s)
{
    return s->in_c * (BAND + 2 * s->pad) * padded_width(s);
}

int64_t cg_conv_direct_scratch(const cg_conv_infer_shape *s)
{
    return band_floats(s) * cg_thread_count() + padded_out(s) * s->in_c * s->k * s->k;
}

typedef struct direct_job {
    const cg_conv_infer_shape *s;
    const float *in, *w, *bias; /* w: (padded_out, in_c, k, k), zero beyond out_c */
    float *out, *scratch;
} direct_job;

static inline int64_t reflect_index(int64_t i, int64_t n)
{
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

/* Row iy (-pad .. in_h - 1 + pad) of one input plane, padded left and right,
 * zero from the right padding on to width floats. */
static void fill_padded_row(const cg_conv_infer_shape *s, const float *plane, int64_t iy, int64_t width, float *dst)
{
    const int64_t p = s->pad;
    if (!s->reflect && (iy < 0 || iy >= s->in_h)) {
        memset(dst, 0, (size_t)width * sizeof(float));
        return;
    }
    const float *row = plane + reflect_index(iy, s->in_h) * s->in_w;
    for (int64_t x = 0; x < p; x++) {
        dst[x] = s->reflect ? row[reflect_index(x - p, s->in_w)] : 0.0f;
        dst[p + s->in_w + x] = s->reflect ? row[reflect_index(s->in_w + x, s->in_w)] : 0.0f;
    }
    memcpy(dst + p, row, (size_t)s->in_w * sizeof(float));
    memset(dst + 2 * p + s->in_w, 0, (size_t)(width - 2 * p - s->in_w) * sizeof(float));
}

/* Rows y0 - pad .. y1 + pad of every channel. */
static void fill_band(const direct_job *j, int64_t y0, int64_t rows, float *buf)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t pw = padded_width(s);
    for (int64_t c = 0; c < s->in_c; c++)
        for (int64_t r = 0; r < rows; r++)
            fill_padded_row(s, j->in + c * s->in_h * s->in_w, y0 - s->pad + r, pw, buf + (c * rows + r) * pw);
}

/* The forward kernel, once for vectors of 8 floats (AVX2 and baseline
 * clones) and once for 16 (AVX-512, chosen at run time where the CPU has it,
 * for input layers: these layers were a tenth of a generator's time). */
#define DIRECT_VEC v8
#define DIRECT_LANES 8
#define DIRECT_ATTR CG_KERNEL
#define DIRECT_SUFFIX
#include "ops/conv_direct_forward.h"
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target)
typedef float v16 __attribute__((vector_size(64)));
#define DIRECT_VEC v16
#define DIRECT_LANES 16
#define DIRECT_ATTR __attribute__((target("arch=x86-64-v4")))
#define DIRECT_SUFFIX _avx512
#include "ops/conv_direct_forward.h"
#define HAVE_AVX512_KERNEL 1
#endif
#endif

void cg_conv_direct(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                    float *scratch)
{
    /* Weights padded to whole groups with zeros, so every group is the same code. */
    float *wpad = scratch + band_floats(s) * cg_thread_count();
    int64_t per_out = s->in_c * s->k * s->k;
    memset(wpad, 0, (size_t)(padded_out(s) * per_out) * sizeof(float));
    memcpy(wpad, w, (size_t)(s->out_c * per_out) * sizeof(float));
    direct_job j = {s, in, wpad, bias, out, scratch};
    void (*task)(void *, int, int) = direct_task;
#ifdef HAVE_AVX512_KERNEL
    /* bench-conv, one thread: the 16-lane kernel took 0.6 of the 8-lane one's
     * time on a 3 -> 32 input layer, but 1.35 on a 32 -> 3 output layer (three
     * accumulators a load, and 64-byte loads that straddle cache lines) */
    if (s->out_c > FEW && cg_cpu_avx512())
        task = direct_task_avx512;
#endif
    cg_parallel_for((int)((s->in_h + BAND - 1) / BAND), task, &j);
}

/* ---- backward, for training: layers with few output or input channels ----
 * As GEMMs both gradients of an RGB output layer have M or N = 3 and a column
 * matrix 49 times the input; here the input gradient is the forward kernel run
 * on the zero-padded output gradient with the kernel flipped (then folded back
 * through the padding), and the weight gradient walks rows, accumulating every
 * (output, kernel column) pair of a kernel row in vectors. The weight gradient
 * of an RGB input layer is the same walk with the roles swapped: one task per
 * output channel, accumulating every (input, kernel column) pair. */

bool cg_conv_direct_backward_applies(const cg_conv_infer_shape *s)
{
    return s->out_c <= FEW && same_size_conv(s);
}

bool cg_conv_direct_weight_grad_applies(const cg_conv_infer_shape *s)
{
    return (s->out_c <= FEW || s->in_c <= FEW) && same_size_conv(s);
}

/* The input gradient's problem: the padded output gradient as a 'same'
 * convolution's input with the roles of the channels swapped. */
static cg_conv_infer_shape input_grad_shape(const cg_conv_infer_shape *s)
{
    cg_conv_infer_shape t = {1, s->out_c, s->in_h + 2 * s->pad, s->in_w + 2 * s->pad, s->in_c, s->k, 1, s->pad,
                             false, 1};
    return t;
}

static int64_t rounded_width(const cg_conv_infer_shape *s)
{
    return (s->in_w + 7) / 8 * 8;
}

/* One padded input plane as the weight gradient reads it: slack on the right
 * for the last vector and the last kernel-column group. */
static int64_t grad_row_floats(const cg_conv_infer_shape *s)
{
    return rounded_width(s) + 2 * s->pad + 8 + KX_GROUP;
}

/* Output gradient rows copied to the rounded width, unless it is the width. */
static int64_t dout_rows_floats(const cg_conv_infer_shape *s)
{
    return rounded_width(s) == s->in_w ? 0 : s->n * s->out_c * s->in_h * rounded_width(s);
}

/* Padded input planes: one per worker (few outputs: a task per input
 * channel), or every image's and channel's, shared (a task per output). */
static int64_t padded_planes(const cg_conv_infer_shape *s)
{
    return s->out_c <= FEW ? cg_thread_count() : s->n * s->in_c;
}

static int64_t weight_grad_floats(const cg_conv_infer_shape *s)
{
    return dout_rows_floats(s) + padded_planes(s) * (s->in_h + 2 * s->pad) * grad_row_floats(s);
}

static int64_t input_grad_floats(const cg_conv_infer_shape *s)
{
    cg_conv_infer_shape t = input_grad_shape(s);
    int64_t plane = t.in_h * t.in_w;
    return (s->out_c + s->in_c) * plane + s->in_c * s->out_c * s->k * s->k + cg_conv_direct_scratch(&t);
}

int64_t cg_conv_direct_backward_scratch(const cg_conv_infer_shape *s)
{
    int64_t a = weight_grad_floats(s), b = s->out_c <= FEW ? input_grad_floats(s) : 0;
    return a > b ? a : b;
}

typedef struct grad_job {
    const cg_conv_infer_shape *s;
    const float *in, *dout_rows; /* dout_rows: (n, out_c, in_h, rounded width), zero past in_w */
    const float *xpad;           /* many outputs: (n, in_c, in_h + 2p, grad_row_floats) padded inputs */
    const float *z;              /* input gradient of the padded input (in_c, in_h + 2p, in_w + 2p) */
    float *dw, *din, *scratch;
} grad_job;

/* dw[o][c] for outputs 0 .. n - 1 (a constant in each inlined copy). */
static inline __attribute__((always_inline)) void weight_grad_channel(const grad_job *j, int64_t c, float *xp,
                                                                      const int n)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t k = s->k, p = s->pad, wr = rounded_width(s), xw = grad_row_floats(s);
    const int64_t plane = s->in_h * s->in_w;
    v8 acc[FEW][MAX_K][MAX_K + KX_GROUP] = {{{{0}}}};
    for (int64_t img = 0; img < s->n; img++) {
        const float *x = j->in + (img * s->in_c + c) * plane;
        for (int64_t r = 0; r < s->in_h + 2 * p; r++)
            fill_padded_row(s, x, r - p, xw, xp + r * xw);
        for (int64_t y = 0; y < s->in_h; y++) {
            const float *d[FEW];
            for (int o = 0; o < n; o++)
                d[o] = j->dout_rows + ((img * s->out_c + o) * s->in_h + y) * wr;
            for (int64_t ky = 0; ky < k; ky++) {
                const float *xrow = xp + (y + ky) * xw;
                for (int64_t kx0 = 0; kx0 < k; kx0 += KX_GROUP) {
                    v8 a[FEW][KX_GROUP];
                    for (int o = 0; o < n; o++)
                        for (int t = 0; t < KX_GROUP; t++)
                            a[o][t] = acc[o][ky][kx0 + t];
                    for (int64_t x0 = 0; x0 < wr; x0 += 8)
                        for (int o = 0; o < n; o++) {
                            v8 dv = LOAD8(d[o] + x0);
                            for (int t = 0; t < KX_GROUP; t++)
                                a[o][t] += dv * LOAD8(xrow + x0 + kx0 + t);
                        }
                    for (int o = 0; o < n; o++)
                        for (int t = 0; t < KX_GROUP; t++)
                            acc[o][ky][kx0 + t] = a[o][t];
                }
            }
        }
    }
    for (int o = 0; o < n; o++)
        for (int64_t ky = 0; ky < k; ky++)
            for (int64_t kx = 0; kx < k; kx++) {
                float sum = 0;
                for (int l = 0; l < 8; l++)
                    sum += acc[o][ky][kx][l];
                j->dw[((o * s->in_c + c) * k + ky) * k + kx] += sum;
            }
}

/* dw[o][c] for inputs 0 .. n - 1 (a constant in each inlined copy). */
static inline __attribute__((always_inline)) void weight_grad_output(const grad_job *j, int64_t o, const int n)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t k = s->k, wr = rounded_width(s), xw = grad_row_floats(s), xh = s->in_h + 2 * s->pad;
    v8 acc[FEW][MAX_K][MAX_K + KX_GROUP] = {{{{0}}}};
    for (int64_t img = 0; img < s->n; img++)
        for (int64_t y = 0; y < s->in_h; y++) {
            const float *d = j->dout_rows + ((img * s->out_c + o) * s->in_h + y) * wr;
            for (int64_t ky = 0; ky < k; ky++) {
                const float *xrow[FEW];
                for (int c = 0; c < n; c++)
                    xrow[c] = j->xpad + ((img * s->in_c + c) * xh + y + ky) * xw;
                for (int64_t kx0 = 0; kx0 < k; kx0 += KX_GROUP) {
                    v8 a[FEW][KX_GROUP];
                    for (int c = 0; c < n; c++)
                        for (int t = 0; t < KX_GROUP; t++)
                            a[c][t] = acc[c][ky][kx0 + t];
                    for (int64_t x0 = 0; x0 < wr; x0 += 8) {
                        v8 dv = LOAD8(d + x0);
                        for (int c = 0; c < n; c++)
                            for (int t = 0; t < KX_GROUP; t++)
                                a[c][t] += dv * LOAD8(xrow[c] + x0 + kx0 + t);
                    }
                    for (int c = 0; c < n; c++)
                        for (int t = 0; t < KX_GROUP; t++)
                            acc[c][ky][kx0 + t] = a[c][t];
                }
            }
        }
    for (int c = 0; c < n; c++)
        for (int64_t ky = 0; ky < k; ky++)
            for (int64_t kx = 0; kx < k; kx++) {
                float sum = 0;
                for (int l = 0; l < 8; l++)
                    sum += acc[c][ky][kx][l];
                j->dw[((o * s->in_c + c) * k + ky) * k + kx] += sum;
            }
}

CG_KERNEL static void weight_grad_output_task(void *ctx, int o, int worker)
{
    const grad_job *j = ctx;
    switch (j->s->in_c) {
    case 1: weight_grad_output(j, o, 1); break;
    case 2: weight_grad_output(j, o, 2); break;
    case 3: weight_grad_output(j, o, 3); break;
    default: weight_grad_output(j, o, 4); break;
    }
}

static void pad_plane_task(void *ctx, int plane, int worker)
{
    const grad_job *j = ctx;
    const cg_conv_infer_shape *s = j->s;
    const int64_t xw = grad_row_floats(s), xh = s->in_h + 2 * s->pad;
    float *dst = (float *)j->xpad + plane * xh * xw;
    for (int64_t r = 0; r < xh; r++)
        fill_padded_row(s, j->in + plane * s->in_h * s->in_w, r - s->pad, xw, dst + r * xw);
}

CG_KERNEL static void weight_grad_task(void *ctx, int c, int worker)
{
    const grad_job *j = ctx;
    const cg_conv_infer_shape *s = j->s;
    float *xp = j->scratch + dout_rows_floats(s) + (int64_t)worker * (s->in_h + 2 * s->pad) * grad_row_floats(s);
    switch (s->out_c) {
    case 1: weight_grad_channel(j, c, xp, 1); break;
    case 2: weight_grad_channel(j, c, xp, 2); break;
    case 3: weight_grad_channel(j, c, xp, 3); break;
    default: weight_grad_channel(j, c, xp, 4); break;
    }
}

void cg_conv_direct_weight_grad(const cg_conv_infer_shape *s, const float *in, const float *dout, float *dw,
                                float *scratch)
{
    const int64_t wr = rounded_width(s);
    const float *rows = dout;
    if (dout_rows_floats(s) > 0) {
        for (int64_t r = 0; r < s->n * s->out_c * s->in_h; r++) {
            memcpy(scratch + r * wr, dout + r * s->in_w, (size_t)s->in_w * sizeof(float));
            memset(scratch + r * wr + s->in_w, 0, (size_t)(wr - s->in_w) * sizeof(float));
        }
        rows = scratch;
    }
    grad_job j = {.s = s, .in = in, .dout_rows = rows, .dw = dw, .scratch = scratch};
    if (s->out_c <= FEW) {
        cg_parallel_for((int)s->in_c, weight_grad_task, &j);
        return;
    }
    j.xpad = scratch + dout_rows_floats(s);
    cg_parallel_for((int)(s->n * s->in_c), pad_plane_task, &j);
    cg_parallel_for((int)s->out_c, weight_grad_output_task, &j);
}

/* din[c] += the padded input's gradient z[c] folded back: a padded pixel is
 * the reflection of an inside one, or a zero that takes no gradient. */
static void fold_task(void *ctx, int c, int worker)
{
    const grad_job *j = ctx;
    const cg_conv_infer_shape *s = j->s;
    const int64_t p = s->pad, zh = s->in_h + 2 * p, zw = s->in_w + 2 * p;
    const float *z = j->z + c * zh * zw;
    float *din = j->din + c * s->in_h * s->in_w;
    for (int64_t i = 0; i < zh; i++) {
        int64_t iy = i - p;
        if (!s->reflect && (iy < 0 || iy >= s->in_h))
            continue;
        float *row = din + reflect_index(iy, s->in_h) * s->in_w;
        for (int64_t q = 0; q < zw; q++) {
            int64_t ix = q - p;
            if (ix >= 0 && ix < s->in_w)
                row[ix] += z[i * zw + q];
            else if (s->reflect)
                row[reflect_index(ix, s->in_w)] += z[i * zw + q];
        }
    }
}

void cg_conv_direct_input_grad(const cg_conv_infer_shape *s, const float *w, const float *dout, float *din,
                               float *scratch)
{
    cg_conv_infer_shape t = input_grad_shape(s);
    const int64_t p = s->pad, k = s->k, plane = t.in_h * t.in_w, image = s->in_h * s->in_w;
    float *padded = scratch, *z = padded + s->out_c * plane, *flipped = z + s->in_c * plane;
    float *rest = flipped + s->in_c * s->out_c * k * k;
    for (int64_t c = 0; c < s->in_c; c++)
        for (int64_t o = 0; o < s->out_c; o++)
            for (int64_t i = 0; i < k * k; i++)
                flipped[(c * s->out_c + o) * k * k + i] = w[(o * s->in_c + c) * k * k + (k * k - 1 - i)];
    memset(padded, 0, (size_t)(s->out_c * plane) * sizeof(float));
    for (int64_t img = 0; img < s->n; img++) {
        for (int64_t o = 0; o < s->out_c; o++)
            for (int64_t y = 0; y < s->in_h; y++)
                memcpy(padded + o * plane + (y + p) * t.in_w + p, dout + ((img * s->out_c + o) * s->in_h + y) * s->in_w,
                       (size_t)s->in_w * sizeof(float));
        cg_conv_direct(&t, padded, flipped, NULL, z, rest);
        grad_job j = {.s = s, .z = z, .din = din + img * s->in_c * image};
        cg_parallel_for((int)s->in_c, fold_task, &j);
    }
}
