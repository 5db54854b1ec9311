/* Element-wise and structural ops: add and mul with broadcasting, scale,
 * concat, slice, softmax, matmul, reshape, transpose and mean. */
#include "core/blas.h"
#include "core/threads.h"
#include "ops/op.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#define MIN_CHUNK 16384

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* A chunk size that gives each task about MIN_CHUNK floats of work when one
 * item costs `work` floats. */
static int64_t chunk_for(int64_t work)
{
    return work >= MIN_CHUNK ? 1 : MIN_CHUNK / (work > 0 ? work : 1);
}

static void copy_shape(const cg_tensor *x, int *ndim, int64_t *dim)
{
    *ndim = x->ndim;
    for (int i = 0; i < CG_MAX_DIMS; i++)
        dim[i] = x->dim[i];
}

static cg_status check_axis(const cg_tensor *x, int axis, cg_error *err)
{
    if (axis < 0 || axis >= x->ndim)
        return cg_fail(err, CG_ERR_INVALID, "axis %d is outside 0..%d", axis, x->ndim - 1);
    return CG_OK;
}

/* Products of the dims before and after axis: x viewed as (outer, dim[axis], inner). */
static void split_at_axis(const cg_tensor *x, int axis, int64_t *outer, int64_t *inner)
{
    *outer = *inner = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < axis)
            *outer *= x->dim[d];
        if (d > axis)
            *inner *= x->dim[d];
    }
}

/* ---- plain copies and sums, shared by several ops ----------------------- */

typedef struct copy_job {
    float *dst;
    const float *src;
} copy_job;

static void copy_range(void *ctx, int64_t begin, int64_t end)
{
    const copy_job *j = ctx;
    memcpy(j->dst + begin, j->src + begin, (size_t)(end - begin) * sizeof(float));
}

static void add_range(void *ctx, int64_t begin, int64_t end)
{
    const copy_job *j = ctx;
    for (int64_t i = begin; i < end; i++)
        j->dst[i] += j->src[i];
}

/* dst[i] += src[i]: the backward of every op that moves elements one to one. */
static void accumulate(float *dst, const float *src, int64_t n)
{
    copy_job j = {dst, src};
    cg_parallel_range(n, MIN_CHUNK, add_range, &j);
}

/* Sums are cut into at most SUM_BLOCKS blocks whose size depends only on the
 * length, each summed in double by one task and then added in block order:
 * the same result on every run, whatever the number of threads. */
#define SUM_BLOCKS 256

typedef struct sum_job {
    const float *a, *b; /* b NULL: plain sum of a */
    int64_t n, block;
    double partial[SUM_BLOCKS];
} sum_job;

static void sum_task(void *ctx, int task, int worker)
{
    sum_job *j = ctx;
    int64_t begin = task * j->block, end = min64(begin + j->block, j->n);
    double s = 0;
    if (j->b)
        for (int64_t i = begin; i < end; i++)
            s += (double)j->a[i] * j->b[i];
    else
        for (int64_t i = begin; i < end; i++)
            s += j->a[i];
    j->partial[task] = s;
}

/* sum a[i] * b[i] (or sum a[i] when b is NULL) over [0, n). */
static double fixed_order_sum(const float *a, const float *b, int64_t n)
{
    sum_job j = {.a = a, .b = b, .n = n};
    j.block = (n + SUM_BLOCKS - 1) / SUM_BLOCKS;
    if (j.block < MIN_CHUNK)
        j.block = MIN_CHUNK;
    int blocks = (int)((n + j.block - 1) / j.block);
    cg_parallel_for(blocks, sum_task, &j);
    double s = 0;
    for (int t = 0; t < blocks; t++)
        s += j.partial[t];
    return s;
}

/* ---- add and mul with broadcasting -------------------------------------- */

static cg_status infer_binary(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *a = n->in[0], *b = n->in[1];
    if (!a || !b)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    char sa[64], sb[64];
    if (a->ndim != b->ndim)
        return cg_fail(err, CG_ERR_INVALID, "a is %s and b is %s: ranks differ",
                       cg_tensor_shape_str(a, sa, sizeof sa), cg_tensor_shape_str(b, sb, sizeof sb));
    for (int d = 0; d < a->ndim; d++) {
        if (a->dim[d] != b->dim[d] && a->dim[d] != 1 && b->dim[d] != 1)
            return cg_fail(err, CG_ERR_INVALID, "a is %s and b is %s: dim %d differs and neither is 1",
                           cg_tensor_shape_str(a, sa, sizeof sa), cg_tensor_shape_str(b, sb, sizeof sb), d);
        dim[d] = a->dim[d] > b->dim[d] ? a->dim[d] : b->dim[d];
    }
    *ndim = a->ndim;
    return CG_OK;
}

/* The broadcast seen as at most four merged dims. Neighbouring output dims
 * merge when each operand is whole along both or broadcast along both, so
 * (N,C,H,W) * (N,C,1,1) becomes (NC, HW) and every kernel runs long rows. */
typedef struct bcast_plan {
    int ndim;
    int64_t dim[CG_MAX_DIMS];
    int64_t stride[2][CG_MAX_DIMS]; /* of a and b; 0 along a dim it is broadcast along */
    int64_t out_stride[CG_MAX_DIMS];
} bcast_plan;

static void make_plan(const cg_tensor *a, const cg_tensor *b, bcast_plan *p)
{
    bool bcast[CG_MAX_DIMS][2] = {{false}};
    p->ndim = 0;
    for (int d = 0; d < a->ndim; d++) {
        int64_t size = a->dim[d] > b->dim[d] ? a->dim[d] : b->dim[d];
        if (size == 1)
            continue;
        bool ba = a->dim[d] == 1, bb = b->dim[d] == 1;
        int m = p->ndim;
        if (m > 0 && bcast[m - 1][0] == ba && bcast[m - 1][1] == bb) {
            p->dim[m - 1] *= size;
            continue;
        }
        bcast[m][0] = ba;
        bcast[m][1] = bb;
        p->dim[m] = size;
        p->ndim++;
    }
    if (p->ndim == 0) { /* every dim is 1 */
        p->ndim = 1;
        p->dim[0] = 1;
    }
    int64_t next[3] = {1, 1, 1}; /* a, b, out */
    for (int d = p->ndim - 1; d >= 0; d--) {
        for (int k = 0; k < 2; k++) {
            p->stride[k][d] = bcast[d][k] ? 0 : next[k];
            if (!bcast[d][k])
                next[k] *= p->dim[d];
        }
        p->out_stride[d] = next[2];
        next[2] *= p->dim[d];
    }
}

/* Offsets in a and b of output element i. */
static void plan_offsets(const bcast_plan *p, int64_t i, int64_t off[2])
{
    off[0] = off[1] = 0;
    for (int d = p->ndim - 1; d >= 0; d--) {
        int64_t c = i % p->dim[d];
        i /= p->dim[d];
        off[0] += c * p->stride[0][d];
        off[1] += c * p->stride[1][d];
    }
}

typedef struct bcast_job {
    const cg_node *n;
    bcast_plan plan;
    int x; /* backward: the operand whose gradient is taken */
} bcast_job;

/* One output row. Along the last merged dim an operand's stride is 1, or 0
 * when it is broadcast there (never both). */
static void binary_row(bool mul, float *restrict y, const float *a, int64_t sa, const float *b, int64_t sb,
                       int64_t len)
{
    if (sa && sb) {
        if (mul)
            for (int64_t k = 0; k < len; k++)
                y[k] = a[k] * b[k];
        else
            for (int64_t k = 0; k < len; k++)
                y[k] = a[k] + b[k];
    } else if (sa) {
        float s = b[0];
        if (mul)
            for (int64_t k = 0; k < len; k++)
                y[k] = a[k] * s;
        else
            for (int64_t k = 0; k < len; k++)
                y[k] = a[k] + s;
    } else {
        float s = a[0];
        if (mul)
            for (int64_t k = 0; k < len; k++)
                y[k] = s * b[k];
        else
            for (int64_t k = 0; k < len; k++)
                y[k] = s + b[k];
    }
}

static void binary_forward_range(void *ctx, int64_t begin, int64_t end)
{
    const bcast_job *j = ctx;
    const bcast_plan *p = &j->plan;
    const float *a = j->n->in[0]->data, *b = j->n->in[1]->data;
    bool mul = j->n->op == CG_OP_MUL;
    int last = p->ndim - 1;
    int64_t row = p->dim[last];
    for (int64_t i = begin; i < end;) {
        int64_t len = min64(row - i % row, end - i), off[2];
        plan_offsets(p, i, off);
        binary_row(mul, j->n->out->data + i, a + off[0], p->stride[0][last], b + off[1], p->stride[1][last],
                   len);
        i += len;
    }
}

static void binary_forward(cg_node *n, float *scratch)
{
    bcast_job j = {.n = n};
    make_plan(n->in[0], n->in[1], &j.plan);
    cg_parallel_range(n->out->size, MIN_CHUNK, binary_forward_range, &j);
}

/* d(x) for an operand with the output's shape: gy, times the other operand
 * for mul. */
static void binary_grad_whole_range(void *ctx, int64_t begin, int64_t end)
{
    const bcast_job *j = ctx;
    const bcast_plan *p = &j->plan;
    const float *gy = j->n->out->grad, *other = j->n->in[1 - j->x]->data;
    float *gx = j->n->in[j->x]->grad;
    if (j->n->op == CG_OP_ADD) {
        for (int64_t i = begin; i < end; i++)
            gx[i] += gy[i];
        return;
    }
    int last = p->ndim - 1;
    int64_t row = p->dim[last];
    for (int64_t i = begin; i < end;) {
        int64_t len = min64(row - i % row, end - i), off[2];
        plan_offsets(p, i, off);
        const float *o = other + off[1 - j->x];
        if (p->stride[1 - j->x][last])
            for (int64_t k = 0; k < len; k++)
                gx[i + k] += gy[i + k] * o[k];
        else
            for (int64_t k = 0; k < len; k++)
                gx[i + k] += gy[i + k] * o[0];
        i += len;
    }
}

/* Spreads index over the merged dims d < ndim along which operand x is
 * broadcast (along_broadcast) or whole (!along_broadcast): the offsets of
 * that coordinate in the output and in the other operand. */
static void spread(const bcast_plan *p, int x, bool along_broadcast, int ndim, int64_t index, int64_t *off_out,
                   int64_t *off_other)
{
    *off_out = *off_other = 0;
    for (int d = ndim - 1; d >= 0; d--) {
        if ((p->stride[x][d] == 0) != along_broadcast)
            continue;
        int64_t c = index % p->dim[d];
        index /= p->dim[d];
        *off_out += c * p->out_stride[d];
        *off_other += c * p->stride[1 - x][d];
    }
}

static int64_t broadcast_count(const bcast_plan *p, int x, int ndim)
{
    int64_t count = 1;
    for (int d = 0; d < ndim; d++)
        if (p->stride[x][d] == 0)
            count *= p->dim[d];
    return count;
}

#define SEGMENT 256

/* d(x) for an operand broadcast along some dims: element e of x sums the
 * gradient over the output elements that read it, always in the same order.
 * A task owns a range of x, so no two tasks write the same element and the
 * sums are the same on every run. */
static void binary_grad_reduce_range(void *ctx, int64_t begin, int64_t end)
{
    const bcast_job *j = ctx;
    const bcast_plan *p = &j->plan;
    int x = j->x, last = p->ndim - 1;
    bool mul = j->n->op == CG_OP_MUL;
    const float *gy = j->n->out->grad, *other = j->n->in[1 - x]->data;
    float *gx = j->n->in[x]->grad;
    int64_t row = p->dim[last];

    if (p->stride[x][last] == 0) {
        /* Broadcast along the last dim: each element sums whole output rows
         * (one per coordinate of the other broadcast dims). */
        int64_t rows = broadcast_count(p, x, last);
        for (int64_t e = begin; e < end; e++) {
            int64_t base_out, base_other, off_out, off_other;
            spread(p, x, false, p->ndim, e, &base_out, &base_other);
            double s = 0;
            for (int64_t r = 0; r < rows; r++) {
                spread(p, x, true, last, r, &off_out, &off_other);
                const float *g = gy + base_out + off_out, *o = other + base_other + off_other;
                if (mul)
                    for (int64_t k = 0; k < row; k++)
                        s += (double)g[k] * o[k];
                else
                    for (int64_t k = 0; k < row; k++)
                        s += g[k];
            }
            gx[e] += (float)s;
        }
        return;
    }
    /* Whole along the last dim: a segment of neighbouring elements of x
     * gathers one output term at a time, reading the output along rows. */
    int64_t terms = broadcast_count(p, x, last);
    int64_t other_step = p->stride[1 - x][last];
    double acc[SEGMENT];
    for (int64_t e = begin; e < end;) {
        int64_t len = min64(min64(row - e % row, end - e), SEGMENT);
        int64_t base_out, base_other, off_out, off_other;
        spread(p, x, false, p->ndim, e, &base_out, &base_other);
        for (int64_t k = 0; k < len; k++)
            acc[k] = 0;
        for (int64_t t = 0; t < terms; t++) {
            spread(p, x, true, last, t, &off_out, &off_other);
            const float *g = gy + base_out + off_out, *o = other + base_other + off_other;
            if (mul)
                for (int64_t k = 0; k < len; k++)
                    acc[k] += (double)g[k] * o[k * other_step];
            else
                for (int64_t k = 0; k < len; k++)
                    acc[k] += g[k];
        }
        for (int64_t k = 0; k < len; k++)
            gx[e + k] += (float)acc[k];
        e += len;
    }
}

static void binary_backward(cg_node *n, float *scratch)
{
    bcast_job j = {.n = n};
    make_plan(n->in[0], n->in[1], &j.plan);
    /* One operand at a time, so add(x, x) and mul(x, x) accumulate safely. */
    for (j.x = 0; j.x < 2; j.x++) {
        const cg_tensor *t = n->in[j.x];
        if (!t->grad)
            continue;
        if (t->size == n->out->size) {
            cg_parallel_range(n->out->size, MIN_CHUNK, binary_grad_whole_range, &j);
        } else if (t->size == 1) {
            /* A single gate value (self-attention's gamma): split the one long
             * sum over the pool instead of giving it to one task. */
            const float *o = n->op == CG_OP_MUL ? n->in[1 - j.x]->data : NULL;
            t->grad[0] += (float)fixed_order_sum(n->out->grad, o, n->out->size);
        } else {
            int64_t reads = n->out->size / t->size;
            cg_parallel_range(t->size, chunk_for(reads), binary_grad_reduce_range, &j);
        }
    }
}

/* ---- scale --------------------------------------------------------------- */

static cg_status infer_scale(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    if (!n->in[0])
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (!isfinite(n->p.scale.alpha) || !isfinite(n->p.scale.beta))
        return cg_fail(err, CG_ERR_INVALID, "alpha (%g) and beta (%g) must be finite", n->p.scale.alpha,
                       n->p.scale.beta);
    copy_shape(n->in[0], ndim, dim);
    return CG_OK;
}

static void scale_forward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const float *x = n->in[0]->data;
    float *y = n->out->data, alpha = n->p.scale.alpha, beta = n->p.scale.beta;
    for (int64_t i = begin; i < end; i++)
        y[i] = alpha * x[i] + beta;
}

static void scale_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const float *gy = n->out->grad;
    float *gx = n->in[0]->grad, alpha = n->p.scale.alpha;
    for (int64_t i = begin; i < end; i++)
        gx[i] += alpha * gy[i];
}

static void scale_forward(cg_node *n, float *scratch)
{
    cg_parallel_range(n->out->size, MIN_CHUNK, scale_forward_range, n);
}

static void scale_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        cg_parallel_range(n->out->size, MIN_CHUNK, scale_backward_range, n);
}

/* ---- concat and slice ---------------------------------------------------- */

/* Both move rows between a whole tensor and a part that covers a window of
 * every row of the whole: viewed as (outer, dim[axis] * inner), row r of the
 * part (part_row floats) sits at r * whole_row + offset in the whole. */
typedef struct window_job {
    float *part, *whole;
    int64_t part_row, whole_row, offset;
    bool to_whole; /* direction */
    bool add;      /* accumulate (gradients) rather than copy */
} window_job;

static void window_range(void *ctx, int64_t begin, int64_t end)
{
    const window_job *w = ctx;
    for (int64_t i = begin; i < end;) {
        int64_t r = i / w->part_row, col = i % w->part_row;
        int64_t len = min64(w->part_row - col, end - i);
        float *p = w->part + i, *q = w->whole + r * w->whole_row + w->offset + col;
        float *dst = w->to_whole ? q : p;
        const float *src = w->to_whole ? p : q;
        if (w->add)
            for (int64_t k = 0; k < len; k++)
                dst[k] += src[k];
        else
            memcpy(dst, src, (size_t)len * sizeof(float));
        i += len;
    }
}

static void move_window(float *part, int64_t part_size, float *whole, int64_t part_row, int64_t whole_row,
                        int64_t offset, bool to_whole, bool add)
{
    window_job w = {part, whole, part_row, whole_row, offset, to_whole, add};
    cg_parallel_range(part_size, MIN_CHUNK, window_range, &w);
}

static cg_status infer_concat(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *first = n->in[0];
    int axis = n->p.slice.axis;
    for (int i = 0; i < n->n_in; i++)
        if (!n->in[i])
            return cg_fail(err, CG_ERR_INVALID, "input %d is missing", i);
    if (check_axis(first, axis, err) != CG_OK)
        return CG_ERR_INVALID;
    copy_shape(first, ndim, dim);
    for (int i = 1; i < n->n_in; i++) {
        const cg_tensor *x = n->in[i];
        char s0[64], si[64];
        cg_tensor_shape_str(first, s0, sizeof s0);
        cg_tensor_shape_str(x, si, sizeof si);
        if (x->ndim != first->ndim)
            return cg_fail(err, CG_ERR_INVALID, "input 0 is %s and input %d is %s: ranks differ", s0, i, si);
        for (int d = 0; d < x->ndim; d++)
            if (d != axis && x->dim[d] != first->dim[d])
                return cg_fail(err, CG_ERR_INVALID, "input 0 is %s and input %d is %s: dim %d differs", s0,
                               i, si, d);
        dim[axis] += x->dim[axis]; /* cannot overflow: each is below 2^32 */
    }
    return CG_OK;
}

static void concat_move(cg_node *n, bool backward)
{
    int axis = n->p.slice.axis;
    int64_t outer, inner, offset = 0;
    split_at_axis(n->out, axis, &outer, &inner);
    for (int i = 0; i < n->n_in; i++) {
        cg_tensor *x = n->in[i];
        int64_t part_row = x->dim[axis] * inner;
        if (!backward)
            move_window(x->data, x->size, n->out->data, part_row, n->out->dim[axis] * inner, offset, true,
                        false);
        else if (x->grad)
            move_window(x->grad, x->size, n->out->grad, part_row, n->out->dim[axis] * inner, offset, false,
                        true);
        offset += part_row;
    }
}

static void concat_forward(cg_node *n, float *scratch)
{
    concat_move(n, false);
}

static void concat_backward(cg_node *n, float *scratch)
{
    concat_move(n, true);
}

static cg_status infer_slice(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    int axis = n->p.slice.axis;
    int64_t start = n->p.slice.start, len = n->p.slice.len;
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (check_axis(x, axis, err) != CG_OK)
        return CG_ERR_INVALID;
    if (start < 0 || len < 1 || start > x->dim[axis] - len)
        return cg_fail(err, CG_ERR_INVALID, "start %lld and length %lld do not fit in dim %d of size %lld",
                       (long long)start, (long long)len, axis, (long long)x->dim[axis]);
    copy_shape(x, ndim, dim);
    dim[axis] = len;
    return CG_OK;
}

static void slice_forward(cg_node *n, float *scratch)
{
    int axis = n->p.slice.axis;
    int64_t outer, inner;
    split_at_axis(n->out, axis, &outer, &inner);
    move_window(n->out->data, n->out->size, n->in[0]->data, n->p.slice.len * inner, n->in[0]->dim[axis] * inner,
                n->p.slice.start * inner, false, false);
}

static void slice_backward(cg_node *n, float *scratch)
{
    if (!n->in[0]->grad)
        return;
    int axis = n->p.slice.axis;
    int64_t outer, inner;
    split_at_axis(n->out, axis, &outer, &inner);
    move_window(n->out->grad, n->out->size, n->in[0]->grad, n->p.slice.len * inner, n->in[0]->dim[axis] * inner,
                n->p.slice.start * inner, true, true);
}

/* ---- softmax ------------------------------------------------------------- */

static cg_status infer_softmax(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    if (!n->in[0])
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (check_axis(n->in[0], n->p.slice.axis, err) != CG_OK)
        return CG_ERR_INVALID;
    copy_shape(n->in[0], ndim, dim);
    return CG_OK;
}

/* x viewed as (outer, len, inner) with softmax over len. When inner is 1 each
 * lane is a contiguous row; otherwise a task takes LANES neighbouring lanes
 * so that its loops run along memory. */
#define LANES 256

typedef struct softmax_job {
    cg_node *n;
    int64_t outer, len, inner, blocks; /* blocks: lane blocks per outer index */
} softmax_job;

static void softmax_rows_forward(void *ctx, int64_t begin, int64_t end)
{
    const softmax_job *j = ctx;
    int64_t len = j->len;
    for (int64_t r = begin; r < end; r++) {
        const float *x = j->n->in[0]->data + r * len;
        float *y = j->n->out->data + r * len;
        float mx = x[0];
        for (int64_t k = 1; k < len; k++)
            mx = x[k] > mx ? x[k] : mx;
        double sum = 0;
        for (int64_t k = 0; k < len; k++) {
            y[k] = expf(x[k] - mx);
            sum += y[k];
        }
        float inv = (float)(1.0 / sum);
        for (int64_t k = 0; k < len; k++)
            y[k] *= inv;
    }
}

static void softmax_rows_backward(void *ctx, int64_t begin, int64_t end)
{
    const softmax_job *j = ctx;
    int64_t len = j->len;
    for (int64_t r = begin; r < end; r++) {
        const float *y = j->n->out->data + r * len, *gy = j->n->out->grad + r * len;
        float *gx = j->n->in[0]->grad + r * len;
        double dot = 0;
        for (int64_t k = 0; k < len; k++)
            dot += (double)gy[k] * y[k];
        float d = (float)dot;
        for (int64_t k = 0; k < len; k++)
            gx[k] += y[k] * (gy[k] - d);
    }
}

static void softmax_lanes_forward(void *ctx, int64_t begin, int64_t end)
{
    const softmax_job *j = ctx;
    int64_t len = j->len, inner = j->inner;
    float mx[LANES], inv[LANES];
    double sum[LANES];
    for (int64_t t = begin; t < end; t++) {
        int64_t o = t / j->blocks, first = (t % j->blocks) * LANES, lanes = min64(LANES, inner - first);
        const float *x = j->n->in[0]->data + o * len * inner + first;
        float *y = j->n->out->data + o * len * inner + first;
        for (int64_t k = 0; k < lanes; k++) {
            mx[k] = x[k];
            sum[k] = 0;
        }
        for (int64_t l = 1; l < len; l++)
            for (int64_t k = 0; k < lanes; k++)
                mx[k] = x[l * inner + k] > mx[k] ? x[l * inner + k] : mx[k];
        for (int64_t l = 0; l < len; l++)
            for (int64_t k = 0; k < lanes; k++) {
                y[l * inner + k] = expf(x[l * inner + k] - mx[k]);
                sum[k] += y[l * inner + k];
            }
        for (int64_t k = 0; k < lanes; k++)
            inv[k] = (float)(1.0 / sum[k]);
        for (int64_t l = 0; l < len; l++)
            for (int64_t k = 0; k < lanes; k++)
                y[l * inner + k] *= inv[k];
    }
}

static void softmax_lanes_backward(void *ctx, int64_t begin, int64_t end)
{
    const softmax_job *j = ctx;
    int64_t len = j->len, inner = j->inner;
    double dot[LANES];
    for (int64_t t = begin; t < end; t++) {
        int64_t o = t / j->blocks, first = (t % j->blocks) * LANES, lanes = min64(LANES, inner - first);
        int64_t base = o * len * inner + first;
        const float *y = j->n->out->data + base, *gy = j->n->out->grad + base;
        float *gx = j->n->in[0]->grad + base;
        for (int64_t k = 0; k < lanes; k++)
            dot[k] = 0;
        for (int64_t l = 0; l < len; l++)
            for (int64_t k = 0; k < lanes; k++)
                dot[k] += (double)gy[l * inner + k] * y[l * inner + k];
        for (int64_t l = 0; l < len; l++)
            for (int64_t k = 0; k < lanes; k++)
                gx[l * inner + k] += y[l * inner + k] * (gy[l * inner + k] - (float)dot[k]);
    }
}

static void softmax_run(cg_node *n, bool backward)
{
    softmax_job j = {.n = n};
    split_at_axis(n->out, n->p.slice.axis, &j.outer, &j.inner);
    j.len = n->out->dim[n->p.slice.axis];
    if (j.inner == 1) {
        cg_parallel_range(j.outer, chunk_for(j.len), backward ? softmax_rows_backward : softmax_rows_forward, &j);
        return;
    }
    j.blocks = (j.inner + LANES - 1) / LANES;
    cg_parallel_range(j.outer * j.blocks, chunk_for(j.len * min64(LANES, j.inner)),
                      backward ? softmax_lanes_backward : softmax_lanes_forward, &j);
}

static void softmax_forward(cg_node *n, float *scratch)
{
    softmax_run(n, false);
}

static void softmax_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        softmax_run(n, true);
}

/* ---- matmul -------------------------------------------------------------- */

/* C (batch, m, n) = op(A) (batch, m, k) . op(B) (batch, k, n). lda and ldb
 * are the stored row lengths of A and B. */
typedef struct mm_shape {
    int64_t batch, m, k, n, lda, ldb;
} mm_shape;

static mm_shape mm_shape_of(const cg_node *n)
{
    const cg_tensor *a = n->in[0], *b = n->in[1];
    int r = a->ndim - 2; /* the matrix dims are r and r + 1 */
    bool ta = n->p.matmul.trans_a, tb = n->p.matmul.trans_b;
    mm_shape s;
    s.batch = r == 1 ? a->dim[0] : 1;
    s.m = ta ? a->dim[r + 1] : a->dim[r];
    s.k = ta ? a->dim[r] : a->dim[r + 1];
    s.n = tb ? b->dim[r] : b->dim[r + 1];
    s.lda = a->dim[r + 1];
    s.ldb = b->dim[r + 1];
    return s;
}

static cg_status infer_matmul(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *a = n->in[0], *b = n->in[1];
    if (!a || !b)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    char sa[64], sb[64];
    cg_tensor_shape_str(a, sa, sizeof sa);
    cg_tensor_shape_str(b, sb, sizeof sb);
    if (a->ndim != b->ndim || a->ndim < 2 || a->ndim > 3)
        return cg_fail(err, CG_ERR_INVALID, "a is %s and b is %s: both must be 2-D or both 3-D", sa, sb);
    if (a->ndim == 3 && a->dim[0] != b->dim[0])
        return cg_fail(err, CG_ERR_INVALID, "a is %s and b is %s: batch sizes differ", sa, sb);
    int r = a->ndim - 2;
    int64_t kb = n->p.matmul.trans_b ? b->dim[r + 1] : b->dim[r];
    mm_shape s = mm_shape_of(n);
    if (s.k != kb)
        return cg_fail(err, CG_ERR_INVALID, "a is %s%s and b is %s%s: inner dims %lld and %lld differ", sa,
                       n->p.matmul.trans_a ? " (transposed)" : "", sb, n->p.matmul.trans_b ? " (transposed)" : "",
                       (long long)s.k, (long long)kb);
    for (int d = r; d < r + 2; d++)
        if (a->dim[d] > INT_MAX || b->dim[d] > INT_MAX)
            return cg_fail(err, CG_ERR_INVALID, "a is %s and b is %s: matrix sides must be below 2^31", sa, sb);
    *ndim = a->ndim;
    dim[0] = s.batch;
    dim[r] = s.m;
    dim[r + 1] = s.n;
    return CG_OK;
}

typedef struct mm_job {
    cg_node *n;
    mm_shape s;
    bool split; /* each product uses the whole pool (few batch entries) */
} mm_job;

static void gemm(bool split, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    if (split)
        cg_sgemm_parallel(ta, tb, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
    else
        cg_sgemm(ta, tb, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

static void matmul_forward_range(void *ctx, int64_t begin, int64_t end)
{
    const mm_job *j = ctx;
    const mm_shape *s = &j->s;
    bool ta = j->n->p.matmul.trans_a, tb = j->n->p.matmul.trans_b;
    for (int64_t i = begin; i < end; i++)
        gemm(j->split, ta, tb, s->m, s->n, s->k, j->n->in[0]->data + i * s->m * s->k, s->lda,
             j->n->in[1]->data + i * s->k * s->n, s->ldb, 0.0f, j->n->out->data + i * s->m * s->n, s->n);
}

/* With C = op(A) op(B): d op(A) = dC op(B)^T and d op(B) = op(A)^T dC. Where
 * an operand is stored transposed, its gradient is the transpose of that,
 * which swaps the two factors. beta = 1 adds into the gradients. */
static void matmul_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const mm_job *j = ctx;
    const mm_shape *s = &j->s;
    bool ta = j->n->p.matmul.trans_a, tb = j->n->p.matmul.trans_b;
    int64_t m = s->m, n = s->n, k = s->k;
    for (int64_t i = begin; i < end; i++) {
        const float *a = j->n->in[0]->data + i * m * k, *b = j->n->in[1]->data + i * k * n;
        const float *gc = j->n->out->grad + i * m * n;
        if (j->n->in[0]->grad) {
            float *ga = j->n->in[0]->grad + i * m * k;
            if (!ta) /* dA (m, k) = dC . op(B)^T */
                gemm(j->split, false, !tb, m, k, n, gc, n, b, s->ldb, 1.0f, ga, k);
            else /* dA (k, m) = op(B) . dC^T */
                gemm(j->split, tb, true, k, m, n, b, s->ldb, gc, n, 1.0f, ga, m);
        }
        if (j->n->in[1]->grad) {
            float *gb = j->n->in[1]->grad + i * k * n;
            if (!tb) /* dB (k, n) = op(A)^T . dC */
                gemm(j->split, !ta, false, k, n, m, a, s->lda, gc, n, 1.0f, gb, n);
            else /* dB (n, k) = dC^T . op(A) */
                gemm(j->split, true, ta, n, k, m, gc, n, a, s->lda, 1.0f, gb, k);
        }
    }
}

/* Many batch entries: one single-threaded GEMM per entry over the pool. A
 * few (self-attention has one): each product split over the pool in turn.
 * Small products stay on one thread either way. */
static void matmul_run(cg_node *n, bool backward)
{
    mm_job j = {.n = n, .s = mm_shape_of(n)};
    void (*fn)(void *, int64_t, int64_t) = backward ? matmul_backward_range : matmul_forward_range;
    double work = (double)j.s.m * (double)j.s.n * (double)j.s.k; /* multiply-adds per entry */
    j.split = j.s.batch < cg_thread_count() && work >= 1 << 20;
    if (j.split)
        fn(&j, 0, j.s.batch);
    else
        cg_parallel_range(j.s.batch, chunk_for(work < MIN_CHUNK ? (int64_t)work : MIN_CHUNK), fn, &j);
}

static void matmul_forward(cg_node *n, float *scratch)
{
    matmul_run(n, false);
}

static void matmul_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad || n->in[1]->grad)
        matmul_run(n, true);
}

/* ---- reshape ------------------------------------------------------------- */

static cg_status infer_reshape(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    int nd = n->p.reshape.ndim;
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (nd < 1 || nd > CG_MAX_DIMS)
        return cg_fail(err, CG_ERR_INVALID, "the new shape is missing or its rank %d is outside 1..%d", nd,
                       CG_MAX_DIMS);
    char sx[64];
    cg_tensor_shape_str(x, sx, sizeof sx);
    int64_t size = 1;
    for (int d = 0; d < nd; d++) {
        if (n->p.reshape.dim[d] < 1)
            return cg_fail(err, CG_ERR_INVALID, "new dim %d is %lld, must be >= 1", d,
                           (long long)n->p.reshape.dim[d]);
        if (cg_mul_overflows(size, n->p.reshape.dim[d], &size) || size > CG_TENSOR_MAX_ELEMENTS)
            return cg_fail(err, CG_ERR_INVALID, "x is %s: the new shape holds too many elements", sx);
    }
    if (size != x->size)
        return cg_fail(err, CG_ERR_INVALID, "x is %s: the new shape holds %lld elements, not %lld", sx,
                       (long long)size, (long long)x->size);
    *ndim = nd;
    for (int d = 0; d < CG_MAX_DIMS; d++)
        dim[d] = d < nd ? n->p.reshape.dim[d] : 1;
    return CG_OK;
}

static void reshape_forward(cg_node *n, float *scratch)
{
    copy_job j = {n->out->data, n->in[0]->data};
    cg_parallel_range(n->out->size, MIN_CHUNK, copy_range, &j);
}

static void reshape_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        accumulate(n->in[0]->grad, n->out->grad, n->out->size);
}

/* ---- transpose ----------------------------------------------------------- */

static cg_status infer_transpose(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    const int *perm = n->p.transpose.perm;
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    bool seen[CG_MAX_DIMS] = {false};
    for (int i = 0; i < x->ndim; i++) {
        if (perm[i] < 0 || perm[i] >= x->ndim || seen[perm[i]])
            return cg_fail(err, CG_ERR_INVALID, "perm is missing or not a permutation of 0..%d (entry %d is %d)",
                           x->ndim - 1, i, perm[i]);
        seen[perm[i]] = true;
        dim[i] = x->dim[perm[i]];
    }
    for (int i = x->ndim; i < CG_MAX_DIMS; i++)
        dim[i] = 1;
    *ndim = x->ndim;
    return CG_OK;
}

/* The permutation seen as four output dims and the input stride of each,
 * with dims of size 1 dropped and output neighbours that are neighbours in
 * the input too merged, so (B, C, N) -> (B, N, C) is a batch of 2-D
 * transposes and an identity is one long row. Padded at the front. */
typedef struct transpose_job {
    cg_node *n;
    int64_t dim[CG_MAX_DIMS], stride[CG_MAX_DIMS], out_stride[CG_MAX_DIMS];
    int q; /* the output dim that reads the input contiguously (stride 1) */
} transpose_job;

static void make_transpose_job(cg_node *n, transpose_job *j)
{
    const cg_tensor *x = n->in[0];
    int64_t in_stride[CG_MAX_DIMS], s = 1, dim[CG_MAX_DIMS], stride[CG_MAX_DIMS];
    for (int d = CG_MAX_DIMS - 1; d >= 0; d--) {
        in_stride[d] = s;
        s *= x->dim[d];
    }
    int kept = 0;
    for (int i = 0; i < x->ndim; i++) {
        int from = n->p.transpose.perm[i];
        if (x->dim[from] == 1)
            continue;
        if (kept > 0 && stride[kept - 1] == in_stride[from] * x->dim[from]) {
            dim[kept - 1] *= x->dim[from];
            stride[kept - 1] = in_stride[from];
            continue;
        }
        dim[kept] = x->dim[from];
        stride[kept++] = in_stride[from];
    }
    *j = (transpose_job){.n = n, .q = 3};
    for (int d = 0; d < CG_MAX_DIMS; d++) {
        int from = d - (CG_MAX_DIMS - kept);
        j->dim[d] = from >= 0 ? dim[from] : 1;
        j->stride[d] = from >= 0 ? stride[from] : 0;
        if (j->stride[d] == 1)
            j->q = d;
    }
    s = 1;
    for (int d = CG_MAX_DIMS - 1; d >= 0; d--) {
        j->out_stride[d] = s;
        s *= j->dim[d];
    }
}

/* The input read contiguously along the output's last dim: copy rows. */
static void transpose_rows(const transpose_job *j, int64_t begin, int64_t end, bool backward)
{
    int64_t row = j->dim[3];
    for (int64_t i = begin; i < end;) {
        int64_t len = min64(row - i % row, end - i), off = 0, rest = i;
        for (int d = 3; d >= 0; d--) {
            off += (rest % j->dim[d]) * j->stride[d];
            rest /= j->dim[d];
        }
        if (!backward)
            memcpy(j->n->out->data + i, j->n->in[0]->data + off, (size_t)len * sizeof(float));
        else
            for (int64_t k = 0; k < len; k++)
                j->n->in[0]->grad[off + k] += j->n->out->grad[i + k];
        i += len;
    }
}

/* Otherwise a true transpose of dims q and 3, in TILE x TILE blocks so that
 * both sides stay in cache: with power-of-two strides the strided side maps
 * to few cache sets, and 16 lines beat 32 there (measured). */
#define TILE 16

static int64_t tiles_along(const transpose_job *j, int d)
{
    return d == j->q || d == 3 ? (j->dim[d] + TILE - 1) / TILE : j->dim[d];
}

static void transpose_tiles(const transpose_job *j, int64_t begin, int64_t end, bool backward)
{
    int q = j->q;
    int64_t step = j->stride[3], out_step = j->out_stride[q];
    for (int64_t t = begin; t < end; t++) {
        int64_t rest = t, in = 0, out = 0, first[CG_MAX_DIMS];
        for (int d = 3; d >= 0; d--) {
            int64_t c = rest % tiles_along(j, d);
            rest /= tiles_along(j, d);
            first[d] = d == q || d == 3 ? c * TILE : c;
            in += first[d] * j->stride[d];
            out += first[d] * j->out_stride[d];
        }
        int64_t rows = min64(TILE, j->dim[q] - first[q]), cols = min64(TILE, j->dim[3] - first[3]);
        /* The inner loop runs along the side being written. */
        if (!backward)
            for (int64_t a = 0; a < rows; a++) {
                const float *x = j->n->in[0]->data + in + a;
                float *y = j->n->out->data + out + a * out_step;
                for (int64_t b = 0; b < cols; b++)
                    y[b] = x[b * step];
            }
        else
            for (int64_t b = 0; b < cols; b++) {
                float *gx = j->n->in[0]->grad + in + b * step;
                const float *gy = j->n->out->grad + out + b;
                for (int64_t a = 0; a < rows; a++)
                    gx[a] += gy[a * out_step];
            }
    }
}

/* Each output element comes from its own input element, so tasks that own
 * parts of the output also write disjoint gradient elements. */
static void transpose_forward_range(void *ctx, int64_t begin, int64_t end)
{
    const transpose_job *j = ctx;
    if (j->q == 3)
        transpose_rows(j, begin, end, false);
    else
        transpose_tiles(j, begin, end, false);
}

static void transpose_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const transpose_job *j = ctx;
    if (j->q == 3)
        transpose_rows(j, begin, end, true);
    else
        transpose_tiles(j, begin, end, true);
}

static void transpose_run(cg_node *n, bool backward)
{
    transpose_job j;
    make_transpose_job(n, &j);
    void (*fn)(void *, int64_t, int64_t) = backward ? transpose_backward_range : transpose_forward_range;
    if (j.q == 3) {
        cg_parallel_range(n->out->size, MIN_CHUNK, fn, &j);
        return;
    }
    int64_t tiles = 1;
    for (int d = 0; d < CG_MAX_DIMS; d++)
        tiles *= tiles_along(&j, d);
    cg_parallel_range(tiles, chunk_for(TILE * TILE), fn, &j);
}

static void transpose_forward(cg_node *n, float *scratch)
{
    transpose_run(n, false);
}

static void transpose_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        transpose_run(n, true);
}

/* ---- mean ---------------------------------------------------------------- */

static cg_status infer_mean(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    if (!n->in[0])
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    *ndim = 1;
    for (int d = 0; d < CG_MAX_DIMS; d++)
        dim[d] = 1;
    return CG_OK;
}

static void mean_forward(cg_node *n, float *scratch)
{
    n->out->data[0] = (float)(fixed_order_sum(n->in[0]->data, NULL, n->in[0]->size) / (double)n->in[0]->size);
}

static void fill_add_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    float *gx = n->in[0]->grad, g = (float)(n->out->grad[0] / (double)n->in[0]->size);
    for (int64_t i = begin; i < end; i++)
        gx[i] += g;
}

static void mean_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        cg_parallel_range(n->in[0]->size, MIN_CHUNK, fill_add_range, n);
}

/* ---- table entries and builders ------------------------------------------ */

const cg_op_def cg_op_def_add = {"add", 2, 2, infer_binary, NULL, NULL, binary_forward, binary_backward};
const cg_op_def cg_op_def_mul = {"mul", 2, 2, infer_binary, NULL, NULL, binary_forward, binary_backward};
const cg_op_def cg_op_def_scale = {"scale", 1, 1, infer_scale, NULL, NULL, scale_forward, scale_backward};
const cg_op_def cg_op_def_concat = {"concat", 1, CG_MAX_INPUTS, infer_concat, NULL, NULL, concat_forward,
                                    concat_backward};
const cg_op_def cg_op_def_slice = {"slice", 1, 1, infer_slice, NULL, NULL, slice_forward, slice_backward};
const cg_op_def cg_op_def_softmax = {"softmax", 1, 1, infer_softmax, NULL, NULL, softmax_forward,
                                     softmax_backward};
const cg_op_def cg_op_def_matmul = {"matmul", 2, 2, infer_matmul, NULL, NULL, matmul_forward, matmul_backward};
const cg_op_def cg_op_def_reshape = {"reshape", 1, 1, infer_reshape, NULL, NULL, reshape_forward,
                                     reshape_backward};
const cg_op_def cg_op_def_transpose = {"transpose", 1, 1, infer_transpose, NULL, NULL, transpose_forward,
                                       transpose_backward};
const cg_op_def cg_op_def_mean = {"mean", 1, 1, infer_mean, NULL, NULL, mean_forward, mean_backward};

cg_tensor *cg_add(cg_graph *g, cg_tensor *a, cg_tensor *b)
{
    cg_tensor *in[2] = {a, b};
    return a && b ? cg_graph_apply(g, CG_OP_ADD, in, 2, NULL) : NULL;
}

cg_tensor *cg_mul(cg_graph *g, cg_tensor *a, cg_tensor *b)
{
    cg_tensor *in[2] = {a, b};
    return a && b ? cg_graph_apply(g, CG_OP_MUL, in, 2, NULL) : NULL;
}

cg_tensor *cg_scale(cg_graph *g, cg_tensor *x, float alpha, float beta)
{
    cg_op_params p = {.scale = {alpha, beta}};
    return x ? cg_graph_apply(g, CG_OP_SCALE, &x, 1, &p) : NULL;
}

cg_tensor *cg_concat(cg_graph *g, cg_tensor *const *xs, int n, int axis)
{
    cg_op_params p = {.slice = {.axis = axis}};
    /* A missing array is a count of 0, which apply refuses with a message. */
    int count = xs ? n : 0;
    for (int i = 0; i < count && i < CG_MAX_INPUTS; i++)
        if (!xs[i])
            return NULL;
    return cg_graph_apply(g, CG_OP_CONCAT, xs, count, &p);
}

cg_tensor *cg_slice(cg_graph *g, cg_tensor *x, int axis, int64_t start, int64_t len)
{
    cg_op_params p = {.slice = {axis, start, len}};
    return x ? cg_graph_apply(g, CG_OP_SLICE, &x, 1, &p) : NULL;
}

cg_tensor *cg_softmax(cg_graph *g, cg_tensor *x, int axis)
{
    cg_op_params p = {.slice = {.axis = axis}};
    return x ? cg_graph_apply(g, CG_OP_SOFTMAX, &x, 1, &p) : NULL;
}

cg_tensor *cg_matmul(cg_graph *g, cg_tensor *a, cg_tensor *b, bool trans_a, bool trans_b)
{
    cg_tensor *in[2] = {a, b};
    cg_op_params p = {.matmul = {trans_a, trans_b}};
    return a && b ? cg_graph_apply(g, CG_OP_MATMUL, in, 2, &p) : NULL;
}

cg_tensor *cg_reshape(cg_graph *g, cg_tensor *x, int ndim, const int64_t *dim)
{
    cg_op_params p = {.reshape = {.ndim = dim ? ndim : 0}};
    for (int d = 0; dim && d < ndim && d < CG_MAX_DIMS; d++)
        p.reshape.dim[d] = dim[d];
    return x ? cg_graph_apply(g, CG_OP_RESHAPE, &x, 1, &p) : NULL;
}

cg_tensor *cg_transpose(cg_graph *g, cg_tensor *x, const int *perm)
{
    if (!x)
        return NULL;
    cg_op_params p = {.transpose = {{0}}};
    /* A missing perm reads as all -1, which infer refuses. */
    for (int d = 0; d < CG_MAX_DIMS; d++)
        p.transpose.perm[d] = !perm ? -1 : d < x->ndim ? perm[d] : d;
    return cg_graph_apply(g, CG_OP_TRANSPOSE, &x, 1, &p);
}

cg_tensor *cg_mean(cg_graph *g, cg_tensor *x)
{
    return x ? cg_graph_apply(g, CG_OP_MEAN, &x, 1, NULL) : NULL;
}
