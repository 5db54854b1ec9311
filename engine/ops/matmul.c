/* Matrix ops: softmax along any axis and (batched) matmul through sgemm. */
#include "core/blas.h"
#include "core/threads.h"
#include "ops/elementwise.h"

#include <limits.h>
#include <math.h>
#include <string.h>

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
        cg_parallel_range(j.s.batch, chunk_for(work < CG_EW_MIN_CHUNK ? (int64_t)work : CG_EW_MIN_CHUNK), fn, &j);
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

/* ---- table entries and builders ------------------------------------------ */

const cg_op_def cg_op_def_softmax = {"softmax", 1, 1, infer_softmax, NULL, NULL, softmax_forward,
                                     softmax_backward};
const cg_op_def cg_op_def_matmul = {"matmul", 2, 2, infer_matmul, NULL, NULL, matmul_forward, matmul_backward};

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
