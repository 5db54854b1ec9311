/* Element-wise ops: add and mul with broadcasting, scale and mean, and the
 * helpers the shape and matrix families share (ops/elementwise.h). */
#include "core/simd.h"
#include "core/threads.h"
#include "ops/elementwise.h"

#include <math.h>
#include <string.h>

/* ---- plain copies and sums, shared by several ops ----------------------- */

void cg_ew_copy_range(void *ctx, int64_t begin, int64_t end)
{
    const copy_job *j = ctx;
    memcpy(j->dst + begin, j->src + begin, (size_t)(end - begin) * sizeof(float));
}

void cg_ew_add_range(void *ctx, int64_t begin, int64_t end)
{
    const copy_job *j = ctx;
    for (int64_t i = begin; i < end; i++)
        j->dst[i] += j->src[i];
}

/* dst[i] += src[i]: the backward of every op that moves elements one to one. */
void cg_ew_accumulate(float *dst, const float *src, int64_t n)
{
    copy_job j = {dst, src};
    cg_parallel_range(n, CG_EW_MIN_CHUNK, cg_ew_add_range, &j);
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

/* Runs of SUM_RUN values are added in float vectors (32 per lane), the runs
 * in double: as exact as a double loop for these lengths, but vectorized and
 * free of its chain of dependent additions. */
#define SUM_RUN 256

CG_KERNEL double cg_ew_sum(const float *a, const float *b, int64_t n)
{
    double s = 0;
    for (int64_t r = 0; r < n; r += SUM_RUN) {
        int64_t end = min64(r + SUM_RUN, n), i = r;
        v8 acc = {0};
        float tail = 0;
        if (b) {
            for (; i + 8 <= end; i += 8)
                acc += LOAD8(a + i) * LOAD8(b + i);
            for (; i < end; i++)
                tail += a[i] * b[i];
        } else {
            for (; i + 8 <= end; i += 8)
                acc += LOAD8(a + i);
            for (; i < end; i++)
                tail += a[i];
        }
        for (int l = 0; l < 8; l++)
            tail += acc[l];
        s += tail;
    }
    return s;
}

static void sum_task(void *ctx, int task, int worker)
{
    sum_job *j = ctx;
    int64_t begin = task * j->block, end = min64(begin + j->block, j->n);
    j->partial[task] = cg_ew_sum(j->a + begin, j->b ? j->b + begin : NULL, end - begin);
}

/* sum a[i] * b[i] (or sum a[i] when b is NULL) over [0, n). */
double cg_ew_fixed_order_sum(const float *a, const float *b, int64_t n)
{
    sum_job j = {.a = a, .b = b, .n = n};
    j.block = (n + SUM_BLOCKS - 1) / SUM_BLOCKS;
    if (j.block < CG_EW_MIN_CHUNK)
        j.block = CG_EW_MIN_CHUNK;
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
    cg_parallel_range(n->out->size, CG_EW_MIN_CHUNK, binary_forward_range, &j);
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
            cg_parallel_range(n->out->size, CG_EW_MIN_CHUNK, binary_grad_whole_range, &j);
        } else if (t->size == 1) {
            /* A single gate value (self-attention's gamma): split the one long
             * sum over the pool instead of giving it to one task. */
            const float *o = n->op == CG_OP_MUL ? n->in[1 - j.x]->data : NULL;
            t->grad[0] += (float)cg_ew_fixed_order_sum(n->out->grad, o, n->out->size);
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
    cg_parallel_range(n->out->size, CG_EW_MIN_CHUNK, scale_forward_range, n);
}

static void scale_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        cg_parallel_range(n->out->size, CG_EW_MIN_CHUNK, scale_backward_range, n);
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
    n->out->data[0] = (float)(cg_ew_fixed_order_sum(n->in[0]->data, NULL, n->in[0]->size) / (double)n->in[0]->size);
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
        cg_parallel_range(n->in[0]->size, CG_EW_MIN_CHUNK, fill_add_range, n);
}

/* ---- table entries and builders ------------------------------------------ */

const cg_op_def cg_op_def_add = {"add", 2, 2, infer_binary, NULL, NULL, binary_forward, binary_backward};
const cg_op_def cg_op_def_mul = {"mul", 2, 2, infer_binary, NULL, NULL, binary_forward, binary_backward};
const cg_op_def cg_op_def_scale = {"scale", 1, 1, infer_scale, NULL, NULL, scale_forward, scale_backward};
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

cg_tensor *cg_mean(cg_graph *g, cg_tensor *x)
{
    return x ? cg_graph_apply(g, CG_OP_MEAN, &x, 1, NULL) : NULL;
}
