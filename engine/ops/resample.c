/* Resampling and pooling on NCHW tensors: nearest and bilinear upsampling by an
 * integer scale, average and max pooling, global average and max pooling.
 *
 * Every kernel works on whole (n, c) planes, so the pool splits the work by
 * planes: a task owns a range of planes, writes only their outputs and adds
 * only into their input gradients, and sums nothing across tasks. */
#include "core/threads.h"
#include "ops/op.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif

/* A task gets enough planes to touch at least this many elements. */
#define MIN_TASK_ELEMENTS 32768

/* Outputs larger than this are not going to stay in cache for the next op. */
#define STREAM_BYTES (8 << 20)

/* ---- running a kernel plane by plane ------------------------------------ */

typedef void (*plane_fn)(cg_node *n, int64_t plane, float *scratch);

typedef struct plane_job {
    cg_node *node;
    plane_fn fn;
    float *scratch;
    int64_t scratch_floats; /* per worker */
    int64_t planes, planes_per_task;
} plane_job;

static void plane_task(void *ctx, int task, int worker)
{
    const plane_job *j = ctx;
    float *scratch = j->scratch ? j->scratch + (int64_t)worker * j->scratch_floats : NULL;
    int64_t begin = (int64_t)task * j->planes_per_task;
    int64_t end = begin + j->planes_per_task < j->planes ? begin + j->planes_per_task : j->planes;
    for (int64_t plane = begin; plane < end; plane++)
        j->fn(j->node, plane, scratch);
}

/* Runs fn on every (n, c) plane of the input. plane_work is roughly the
 * elements touched per plane, used to keep tasks from being too small to be
 * worth handing to another thread (a double: for pooling it is a product
 * that can exceed int64 with absurd kernels). */
static void for_each_plane(cg_node *n, float *scratch, int64_t scratch_floats, double plane_work, plane_fn fn)
{
    const cg_tensor *x = n->in[0];
    int64_t planes = x->dim[0] * x->dim[1];
    int64_t tasks = (int64_t)cg_thread_count() * 4;
    int64_t per_task = (planes + tasks - 1) / tasks;
    int64_t min_per_task = 1;
    if (plane_work < MIN_TASK_ELEMENTS)
        min_per_task = (int64_t)ceil(MIN_TASK_ELEMENTS / fmax(plane_work, 1));
    if (per_task < min_per_task)
        per_task = min_per_task;
    plane_job j = {n, fn, scratch, scratch_floats, planes, per_task};
    cg_parallel_for((int)((planes + per_task - 1) / per_task), plane_task, &j);
}

/* ---- shape checks ------------------------------------------------------- */

static cg_status check_nchw(const cg_tensor *x, cg_error *err)
{
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (x->ndim != 4) {
        char shape[64];
        return cg_fail(err, CG_ERR_INVALID, "input must be 4-D (N, C, H, W), got %s",
                       cg_tensor_shape_str(x, shape, sizeof shape));
    }
    return CG_OK;
}

static void set_nchw(int *ndim, int64_t *dim, int64_t n, int64_t c, int64_t h, int64_t w)
{
    *ndim = 4;
    dim[0] = n;
    dim[1] = c;
    dim[2] = h;
    dim[3] = w;
}

/* ---- nearest and bilinear upsampling ------------------------------------ */

static cg_status infer_upsample(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    if (check_nchw(x, err) != CG_OK)
        return CG_ERR_INVALID;
    int scale = n->p.upsample.scale;
    if (scale < 1)
        return cg_fail(err, CG_ERR_INVALID, "scale must be at least 1, got %d", scale);
    int64_t h, w, plane, size;
    if (cg_mul_overflows(x->dim[2], scale, &h) || cg_mul_overflows(x->dim[3], scale, &w) ||
        cg_mul_overflows(h, w, &plane) || cg_mul_overflows(plane, x->dim[0] * x->dim[1], &size) ||
        size > CG_TENSOR_MAX_ELEMENTS)
        return cg_fail(err, CG_ERR_INVALID, "scale %d makes the output too large", scale);
    set_nchw(ndim, dim, x->dim[0], x->dim[1], h, w);
    return CG_OK;
}

/* Nearest x2 is the generator's hot path: each input row becomes two equal
 * output rows. When the output is too large to stay in cache, x86 writes it
 * with streaming stores, which skip reading each cache line in before
 * overwriting it; that about halves the time of this memory-bound loop. */
static bool use_streaming_stores(const cg_tensor *out)
{
#ifdef __SSE__
    return out->size * (int64_t)sizeof(float) > STREAM_BYTES;
#else
    return false;
#endif
}

static inline bool aligned16(const float *p)
{
    return (uintptr_t)p % 16 == 0;
}

static void nearest2_rows(const float *in, int64_t w, float *out0, float *out1, bool stream)
{
#ifdef __SSE__
    /* Aligned stores only: with an odd width every other row is not. */
    if (stream && aligned16(out0) && aligned16(out1)) {
        int64_t ix = 0;
        for (; ix + 4 <= w; ix += 4) {
            __m128 v = _mm_loadu_ps(in + ix);
            __m128 lo = _mm_unpacklo_ps(v, v), hi = _mm_unpackhi_ps(v, v);
            _mm_stream_ps(out0 + 2 * ix, lo);
            _mm_stream_ps(out0 + 2 * ix + 4, hi);
            _mm_stream_ps(out1 + 2 * ix, lo);
            _mm_stream_ps(out1 + 2 * ix + 4, hi);
        }
        for (; ix < w; ix++)
            out0[2 * ix] = out0[2 * ix + 1] = out1[2 * ix] = out1[2 * ix + 1] = in[ix];
        return;
    }
#endif
    for (int64_t ix = 0; ix < w; ix++) {
        out0[2 * ix] = in[ix];
        out0[2 * ix + 1] = in[ix];
    }
    memcpy(out1, out0, (size_t)(2 * w) * sizeof(float));
}

static void nearest_forward_plane(cg_node *n, int64_t plane, float *scratch)
{
    const cg_tensor *x = n->in[0];
    const int64_t s = n->p.upsample.scale, h = x->dim[2], w = x->dim[3], wo = w * s;
    const float *src = x->data + plane * h * w;
    float *dst = n->out->data + plane * h * w * s * s;
    if (s == 2) {
        bool stream = use_streaming_stores(n->out);
        for (int64_t iy = 0; iy < h; iy++)
            nearest2_rows(src + iy * w, w, dst + 2 * iy * wo, dst + (2 * iy + 1) * wo, stream);
#ifdef __SSE__
        if (stream)
            _mm_sfence(); /* streaming stores are weakly ordered: finish them before the task ends */
#endif
        return;
    }
    for (int64_t iy = 0; iy < h; iy++) {
        const float *in = src + iy * w;
        float *out = dst + iy * s * wo;
        for (int64_t ix = 0; ix < w; ix++)
            for (int64_t k = 0; k < s; k++)
                out[ix * s + k] = in[ix];
        /* The other s - 1 output rows repeat the first, still in cache. */
        for (int64_t k = 1; k < s; k++)
            memcpy(out + k * wo, out, (size_t)wo * sizeof(float));
    }
}

static void nearest_backward_plane(cg_node *n, int64_t plane, float *scratch)
{
    const cg_tensor *x = n->in[0];
    const int64_t s = n->p.upsample.scale, h = x->dim[2], w = x->dim[3], wo = w * s;
    const float *gy = n->out->grad + plane * h * w * s * s;
    float *gx = x->grad + plane * h * w;
    for (int64_t iy = 0; iy < h; iy++) {
        float *g = gx + iy * w;
        const float *rows = gy + iy * s * wo;
        if (s == 2) {
            const float *r0 = rows, *r1 = rows + wo;
            for (int64_t ix = 0; ix < w; ix++)
                g[ix] += (r0[2 * ix] + r0[2 * ix + 1]) + (r1[2 * ix] + r1[2 * ix + 1]);
            continue;
        }
        for (int64_t k = 0; k < s; k++) {
            const float *row = rows + k * wo;
            for (int64_t ix = 0; ix < w; ix++) {
                float sum = 0;
                for (int64_t j = 0; j < s; j++)
                    sum += row[ix * s + j];
                g[ix] += sum;
            }
        }
    }
}

static void nearest_forward(cg_node *n, float *scratch)
{
    for_each_plane(n, NULL, 0, n->out->dim[2] * n->out->dim[3], nearest_forward_plane);
}

static void nearest_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        for_each_plane(n, NULL, 0, n->out->dim[2] * n->out->dim[3], nearest_backward_plane);
}

/* Bilinear with half-pixel centres: output pixel o samples the input at
 * (o + 0.5) / s - 0.5. For an integer scale and o = i * s + k that is i plus
 * a phase offset (k + 0.5) / s - 0.5 in (-0.5, 0.5), so input i is blended
 * with its left (upper) neighbour when the offset is negative and its right
 * (lower) one otherwise. A neighbour past the edge is the edge itself, which
 * gives the same values as clamping the source coordinate (PyTorch,
 * align_corners=False). */
typedef struct tap {
    int64_t a, b;   /* the two inputs blended */
    float wa, wb;   /* their weights, summing to 1 */
} tap;

static float phase_offset(int64_t k, int64_t s)
{
    return ((float)k + 0.5f) / (float)s - 0.5f;
}

static tap tap_at(int64_t i, float offset, int64_t size)
{
    tap t;
    if (offset < 0) {
        t.a = i > 0 ? i - 1 : 0;
        t.b = i;
        t.wa = -offset;
        t.wb = 1 + offset;
    } else {
        t.a = i;
        t.b = i + 1 < size ? i + 1 : i;
        t.wa = 1 - offset;
        t.wb = offset;
    }
    return t;
}

/* out (w * s floats) = in (w floats) resampled along the row. */
static void expand_row(const float *in, int64_t w, int64_t s, float *out)
{
    for (int64_t k = 0; k < s; k++) {
        float offset = phase_offset(k, s);
        for (int64_t i = 0; i < w; i++) {
            tap t = tap_at(i, offset, w);
            out[i * s + k] = t.wa * in[t.a] + t.wb * in[t.b];
        }
    }
}

/* The adjoint of expand_row: in (w floats) = what each input gave to out. */
static void contract_row(const float *out, int64_t w, int64_t s, float *in)
{
    memset(in, 0, (size_t)w * sizeof(float));
    for (int64_t k = 0; k < s; k++) {
        float offset = phase_offset(k, s);
        for (int64_t i = 0; i < w; i++) {
            tap t = tap_at(i, offset, w);
            in[t.a] += t.wa * out[i * s + k];
            in[t.b] += t.wb * out[i * s + k];
        }
    }
}

static int64_t bilinear_scratch(const cg_node *n)
{
    return n->in[0]->dim[3]; /* one input-width row */
}

/* Each output row blends two input rows into scratch, then widens it. */
static void bilinear_forward_plane(cg_node *n, int64_t plane, float *row)
{
    const cg_tensor *x = n->in[0];
    const int64_t s = n->p.upsample.scale, h = x->dim[2], w = x->dim[3], wo = w * s;
    const float *src = x->data + plane * h * w;
    float *dst = n->out->data + plane * h * w * s * s;
    for (int64_t iy = 0; iy < h; iy++) {
        for (int64_t ky = 0; ky < s; ky++) {
            tap t = tap_at(iy, phase_offset(ky, s), h);
            const float *ra = src + t.a * w, *rb = src + t.b * w;
            for (int64_t ix = 0; ix < w; ix++)
                row[ix] = t.wa * ra[ix] + t.wb * rb[ix];
            expand_row(row, w, s, dst + (iy * s + ky) * wo);
        }
    }
}

static void bilinear_backward_plane(cg_node *n, int64_t plane, float *row)
{
    const cg_tensor *x = n->in[0];
    const int64_t s = n->p.upsample.scale, h = x->dim[2], w = x->dim[3], wo = w * s;
    const float *gy = n->out->grad + plane * h * w * s * s;
    float *gx = x->grad + plane * h * w;
    for (int64_t iy = 0; iy < h; iy++) {
        for (int64_t ky = 0; ky < s; ky++) {
            tap t = tap_at(iy, phase_offset(ky, s), h);
            contract_row(gy + (iy * s + ky) * wo, w, s, row);
            float *ga = gx + t.a * w, *gb = gx + t.b * w;
            for (int64_t ix = 0; ix < w; ix++) {
                ga[ix] += t.wa * row[ix];
                gb[ix] += t.wb * row[ix];
            }
        }
    }
}

static void bilinear_forward(cg_node *n, float *scratch)
{
    for_each_plane(n, scratch, bilinear_scratch(n), n->out->dim[2] * n->out->dim[3], bilinear_forward_plane);
}

static void bilinear_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        for_each_plane(n, scratch, bilinear_scratch(n), n->out->dim[2] * n->out->dim[3],
                       bilinear_backward_plane);
}

/* ---- average and max pooling -------------------------------------------- */

static cg_status check_pool_side(const char *side, int64_t size, int kernel, int stride, int pad,
                                 int64_t *out, cg_error *err)
{
    if (kernel < 1)
        return cg_fail(err, CG_ERR_INVALID, "kernel %s must be at least 1, got %d", side, kernel);
    if (stride < 1)
        return cg_fail(err, CG_ERR_INVALID, "stride along %s must be at least 1, got %d", side, stride);
    if (pad < 0 || pad >= kernel)
        return cg_fail(err, CG_ERR_INVALID, "padding along %s must be in [0, kernel %s %d), got %d", side,
                       side, kernel, pad);
    if (size + 2 * (int64_t)pad < kernel)
        return cg_fail(err, CG_ERR_INVALID, "kernel %s %d is larger than the padded input %s %lld", side,
                       kernel, side, (long long)(size + 2 * (int64_t)pad));
    *out = (size + 2 * (int64_t)pad - kernel) / stride + 1;
    return CG_OK;
}

static cg_status infer_pool(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    if (check_nchw(x, err) != CG_OK)
        return CG_ERR_INVALID;
    const cg_pool_params *p = &n->p.pool;
    int64_t h = 0, w = 0;
    if (check_pool_side("height", x->dim[2], p->kernel_h, p->stride_h, p->pad_h, &h, err) != CG_OK ||
        check_pool_side("width", x->dim[3], p->kernel_w, p->stride_w, p->pad_w, &w, err) != CG_OK)
        return CG_ERR_INVALID;
    set_nchw(ndim, dim, x->dim[0], x->dim[1], h, w);
    return CG_OK;
}

/* The in-bounds part [begin, end) of the window of output o along one side.
 * Because pad < kernel, it is never empty. */
typedef struct window {
    int64_t begin, end;
} window;

static window window_at(int64_t o, int kernel, int stride, int pad, int64_t size)
{
    int64_t start = o * stride - pad;
    window win = {start > 0 ? start : 0, start + kernel < size ? start + kernel : size};
    return win;
}

static void avg_forward_plane(cg_node *n, int64_t plane, float *scratch)
{
    const cg_tensor *x = n->in[0];
    const cg_pool_params *p = &n->p.pool;
    const int64_t h = x->dim[2], w = x->dim[3], ho = n->out->dim[2], wo = n->out->dim[3];
    const float *src = x->data + plane * h * w;
    float *dst = n->out->data + plane * ho * wo;
    for (int64_t oy = 0; oy < ho; oy++) {
        window wy = window_at(oy, p->kernel_h, p->stride_h, p->pad_h, h);
        for (int64_t ox = 0; ox < wo; ox++) {
            window wx = window_at(ox, p->kernel_w, p->stride_w, p->pad_w, w);
            double sum = 0;
            for (int64_t y = wy.begin; y < wy.end; y++)
                for (int64_t xx = wx.begin; xx < wx.end; xx++)
                    sum += src[y * w + xx];
            dst[oy * wo + ox] = (float)(sum / (double)((wy.end - wy.begin) * (wx.end - wx.begin)));
        }
    }
}

static void avg_backward_plane(cg_node *n, int64_t plane, float *scratch)
{
    const cg_tensor *x = n->in[0];
    const cg_pool_params *p = &n->p.pool;
    const int64_t h = x->dim[2], w = x->dim[3], ho = n->out->dim[2], wo = n->out->dim[3];
    const float *gy = n->out->grad + plane * ho * wo;
    float *gx = x->grad + plane * h * w;
    for (int64_t oy = 0; oy < ho; oy++) {
        window wy = window_at(oy, p->kernel_h, p->stride_h, p->pad_h, h);
        for (int64_t ox = 0; ox < wo; ox++) {
            window wx = window_at(ox, p->kernel_w, p->stride_w, p->pad_w, w);
            float g = gy[oy * wo + ox] / (float)((wy.end - wy.begin) * (wx.end - wx.begin));
            for (int64_t y = wy.begin; y < wy.end; y++)
                for (int64_t xx = wx.begin; xx < wx.end; xx++)
                    gx[y * w + xx] += g;
        }
    }
}

/* Work per plane for pooling: every output reads its window. */
static double pool_plane_work(const cg_node *n)
{
    const cg_pool_params *p = &n->p.pool;
    return (double)(n->out->dim[2] * n->out->dim[3]) * p->kernel_h * p->kernel_w;
}

static void avg_forward(cg_node *n, float *scratch)
{
    for_each_plane(n, NULL, 0, pool_plane_work(n), avg_forward_plane);
}

static void avg_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        for_each_plane(n, NULL, 0, pool_plane_work(n), avg_backward_plane);
}

/* Max pooling keeps, per output, the index of its maximum within the input
 * plane. A plane holds at most CG_TENSOR_MAX_ELEMENTS = 2^32 floats, so the
 * index fits a uint32_t, stored in the saved float's place. */
static int64_t one_index_per_output(const cg_node *n)
{
    return n->out->size;
}

/* Strictly greater keeps the first maximum on ties; a NaN wins over numbers so
 * that it reaches the output instead of being hidden. */
static bool beats(float v, float best)
{
    return v > best || (isnan(v) && !isnan(best));
}

static void max_forward_plane(cg_node *n, int64_t plane, float *scratch)
{
    const cg_tensor *x = n->in[0];
    const cg_pool_params *p = &n->p.pool;
    const int64_t h = x->dim[2], w = x->dim[3], ho = n->out->dim[2], wo = n->out->dim[3];
    const float *src = x->data + plane * h * w;
    float *dst = n->out->data + plane * ho * wo;
    uint32_t *argmax = (uint32_t *)n->saved + plane * ho * wo;
    for (int64_t oy = 0; oy < ho; oy++) {
        window wy = window_at(oy, p->kernel_h, p->stride_h, p->pad_h, h);
        for (int64_t ox = 0; ox < wo; ox++) {
            window wx = window_at(ox, p->kernel_w, p->stride_w, p->pad_w, w);
            int64_t best = wy.begin * w + wx.begin;
            for (int64_t y = wy.begin; y < wy.end; y++)
                for (int64_t xx = wx.begin; xx < wx.end; xx++)
                    if (beats(src[y * w + xx], src[best]))
                        best = y * w + xx;
            dst[oy * wo + ox] = src[best];
            argmax[oy * wo + ox] = (uint32_t)best;
        }
    }
}

/* Used by both max pools: each output's gradient goes to its saved argmax. */
static void max_backward_plane(cg_node *n, int64_t plane, float *scratch)
{
    const cg_tensor *x = n->in[0];
    const int64_t plane_in = x->dim[2] * x->dim[3], plane_out = n->out->dim[2] * n->out->dim[3];
    const float *gy = n->out->grad + plane * plane_out;
    const uint32_t *argmax = (const uint32_t *)n->saved + plane * plane_out;
    float *gx = x->grad + plane * plane_in;
    for (int64_t o = 0; o < plane_out; o++)
        gx[argmax[o]] += gy[o];
}

static void max_forward(cg_node *n, float *scratch)
{
    for_each_plane(n, NULL, 0, pool_plane_work(n), max_forward_plane);
}

static void max_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        for_each_plane(n, NULL, 0, n->out->dim[2] * n->out->dim[3], max_backward_plane);
}

/* ---- global pooling: (N, C, H, W) -> (N, C, 1, 1) ----------------------- */

static cg_status infer_global(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    if (check_nchw(x, err) != CG_OK)
        return CG_ERR_INVALID;
    set_nchw(ndim, dim, x->dim[0], x->dim[1], 1, 1);
    return CG_OK;
}

static void global_avg_forward_plane(cg_node *n, int64_t plane, float *scratch)
{
    const int64_t size = n->in[0]->dim[2] * n->in[0]->dim[3];
    const float *src = n->in[0]->data + plane * size;
    double sum = 0;
    for (int64_t i = 0; i < size; i++)
        sum += src[i];
    n->out->data[plane] = (float)(sum / (double)size);
}

static void global_avg_backward_plane(cg_node *n, int64_t plane, float *scratch)
{
    const int64_t size = n->in[0]->dim[2] * n->in[0]->dim[3];
    float *gx = n->in[0]->grad + plane * size;
    float g = n->out->grad[plane] / (float)size;
    for (int64_t i = 0; i < size; i++)
        gx[i] += g;
}

static void global_max_forward_plane(cg_node *n, int64_t plane, float *scratch)
{
    const int64_t size = n->in[0]->dim[2] * n->in[0]->dim[3];
    const float *src = n->in[0]->data + plane * size;
    int64_t best = 0;
    for (int64_t i = 1; i < size; i++)
        if (beats(src[i], src[best]))
            best = i;
    n->out->data[plane] = src[best];
    ((uint32_t *)n->saved)[plane] = (uint32_t)best;
}

static int64_t plane_size(const cg_node *n)
{
    return n->in[0]->dim[2] * n->in[0]->dim[3];
}

static void global_avg_forward(cg_node *n, float *scratch)
{
    for_each_plane(n, NULL, 0, plane_size(n), global_avg_forward_plane);
}

static void global_avg_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        for_each_plane(n, NULL, 0, plane_size(n), global_avg_backward_plane);
}

static void global_max_forward(cg_node *n, float *scratch)
{
    for_each_plane(n, NULL, 0, plane_size(n), global_max_forward_plane);
}

static void global_max_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        for_each_plane(n, NULL, 0, 1, max_backward_plane);
}

/* ---- table entries and builders ----------------------------------------- */

const cg_op_def cg_op_def_upsample_nearest = {"upsample_nearest", 1, 1, infer_upsample, NULL, NULL,
                                              nearest_forward, nearest_backward};
const cg_op_def cg_op_def_upsample_bilinear = {"upsample_bilinear", 1, 1, infer_upsample, NULL,
                                               bilinear_scratch, bilinear_forward, bilinear_backward};
const cg_op_def cg_op_def_avg_pool2d = {"avg_pool2d", 1, 1, infer_pool, NULL, NULL, avg_forward,
                                        avg_backward};
const cg_op_def cg_op_def_max_pool2d = {"max_pool2d", 1, 1, infer_pool, one_index_per_output, NULL,
                                        max_forward, max_backward};
const cg_op_def cg_op_def_global_avg_pool = {"global_avg_pool", 1, 1, infer_global, NULL, NULL,
                                             global_avg_forward, global_avg_backward};
const cg_op_def cg_op_def_global_max_pool = {"global_max_pool", 1, 1, infer_global, one_index_per_output,
                                             NULL, global_max_forward, global_max_backward};

cg_tensor *cg_upsample_nearest(cg_graph *g, cg_tensor *x, int scale)
{
    cg_op_params p = {.upsample = {scale}};
    return x ? cg_graph_apply(g, CG_OP_UPSAMPLE_NEAREST, &x, 1, &p) : NULL;
}

cg_tensor *cg_upsample_bilinear(cg_graph *g, cg_tensor *x, int scale)
{
    cg_op_params p = {.upsample = {scale}};
    return x ? cg_graph_apply(g, CG_OP_UPSAMPLE_BILINEAR, &x, 1, &p) : NULL;
}

/* Missing pool parameters count as all zero, which infer refuses (kernel 0),
 * so the graph records the error like any other bad parameter. */
static cg_tensor *pool(cg_graph *g, cg_op op, cg_tensor *x, const cg_pool_params *p)
{
    cg_op_params q = {.pool = {0}};
    if (p)
        q.pool = *p;
    return x ? cg_graph_apply(g, op, &x, 1, &q) : NULL;
}

cg_tensor *cg_avg_pool2d(cg_graph *g, cg_tensor *x, const cg_pool_params *p)
{
    return pool(g, CG_OP_AVG_POOL2D, x, p);
}

cg_tensor *cg_max_pool2d(cg_graph *g, cg_tensor *x, const cg_pool_params *p)
{
    return pool(g, CG_OP_MAX_POOL2D, x, p);
}

cg_tensor *cg_global_avg_pool(cg_graph *g, cg_tensor *x)
{
    return x ? cg_graph_apply(g, CG_OP_GLOBAL_AVG_POOL, &x, 1, NULL) : NULL;
}

cg_tensor *cg_global_max_pool(cg_graph *g, cg_tensor *x)
{
    return x ? cg_graph_apply(g, CG_OP_GLOBAL_MAX_POOL, &x, 1, NULL) : NULL;
}
