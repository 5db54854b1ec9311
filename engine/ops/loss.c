/* Losses, the Gram matrix, and spectral normalization of discriminator weights.
 *
 * Every loss returns a (1) tensor: the mean over elements. Sums over many
 * elements are taken in double, one partial per task over a split that depends
 * only on the element count, added in task order: the same inputs give the
 * same bits whatever the thread count and whichever worker ran a task. */
#include "core/blas.h"
#include "core/threads.h"
#include "ops/op.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#define MIN_CHUNK 16384
#define MAX_SUM_TASKS 64

/* ---- deterministic sums ---------------------------------------------------- */

/* add_range adds its elements' contributions to sums[0] and sums[1] (two sums,
 * because total variation keeps its horizontal and vertical parts apart). */
typedef void (*add_range_fn)(const cg_node *n, int64_t begin, int64_t end, double *sums);

typedef struct split_sum {
    const cg_node *n;
    int64_t count;
    int tasks;
    add_range_fn add_range;
    double partial[MAX_SUM_TASKS][2];
} split_sum;

static void split_sum_task(void *ctx, int task, int worker)
{
    split_sum *s = ctx;
    int64_t begin = s->count * task / s->tasks, end = s->count * (task + 1) / s->tasks;
    s->partial[task][0] = s->partial[task][1] = 0;
    s->add_range(s->n, begin, end, s->partial[task]);
}

/* sums[0..1] over [0, count), split into tasks by count alone. */
static void fixed_split_sum(const cg_node *n, int64_t count, add_range_fn add_range, double *sums)
{
    split_sum s = {.n = n, .count = count, .add_range = add_range};
    s.tasks = (int)cg_op_clamp64((count + MIN_CHUNK - 1) / MIN_CHUNK, 1, MAX_SUM_TASKS);
    cg_parallel_for(s.tasks, split_sum_task, &s);
    sums[0] = sums[1] = 0;
    for (int t = 0; t < s.tasks; t++) {
        sums[0] += s.partial[t][0];
        sums[1] += s.partial[t][1];
    }
}

static void set_scalar_shape(int *ndim, int64_t *dim)
{
    *ndim = 1;
    for (int i = 0; i < CG_MAX_DIMS; i++)
        dim[i] = 1;
}

/* ---- point-wise losses: bce, mse, l1, huber, hinge --------------------------- */

static const cg_tensor *target_of(const cg_node *n)
{
    return n->n_in > 1 ? n->in[1] : NULL;
}

static float target_at(const cg_node *n, int64_t i)
{
    const cg_tensor *t = target_of(n);
    return t ? t->data[i] : n->p.loss.target_value;
}

static float point_loss(const cg_node *n, float x, float t)
{
    const float d = x - t, delta = n->p.loss.delta;
    switch (n->op) {
    case CG_OP_BCE_WITH_LOGITS:
        /* log(1 + exp(x)) - x t, written so that exp never overflows */
        return fmaxf(x, 0.0f) - x * t + log1pf(expf(-fabsf(x)));
    case CG_OP_MSE_LOSS:
        return d * d;
    case CG_OP_L1_LOSS:
        return fabsf(d);
    case CG_OP_HUBER_LOSS:
        return fabsf(d) <= delta ? 0.5f * d * d : delta * (fabsf(d) - 0.5f * delta);
    default: /* hinge */
        return fmaxf(1.0f - n->p.loss.sign * x, 0.0f);
    }
}

/* d(loss)/dx; *d_dt gets d(loss)/d(target). */
static float point_grad(const cg_node *n, float x, float t, float *d_dt)
{
    const float d = x - t, delta = n->p.loss.delta;
    float dx;
    switch (n->op) {
    case CG_OP_BCE_WITH_LOGITS: {
        float e = expf(-fabsf(x)); /* sigmoid without overflow on either side */
        float sigmoid = x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
        *d_dt = -x;
        return sigmoid - t;
    }
    case CG_OP_MSE_LOSS:
        dx = 2.0f * d;
        break;
    case CG_OP_L1_LOSS:
        dx = d > 0 ? 1.0f : d < 0 ? -1.0f : 0.0f;
        break;
    case CG_OP_HUBER_LOSS:
        dx = d > delta ? delta : d < -delta ? -delta : d;
        break;
    default: /* hinge: no target */
        *d_dt = 0;
        return 1.0f - n->p.loss.sign * x > 0 ? -n->p.loss.sign : 0.0f;
    }
    *d_dt = -dx; /* these depend on x - t only */
    return dx;
}

static void point_add_range(const cg_node *n, int64_t begin, int64_t end, double *sums)
{
    const float *x = n->in[0]->data;
    double sum = 0;
    for (int64_t i = begin; i < end; i++)
        sum += point_loss(n, x[i], target_at(n, i));
    sums[0] += sum;
}

static void point_forward(cg_node *n, float *scratch)
{
    double sums[2];
    fixed_split_sum(n, n->in[0]->size, point_add_range, sums);
    n->out->data[0] = (float)(sums[0] / (double)n->in[0]->size);
}

static void point_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const cg_tensor *target = target_of(n);
    const float *x = n->in[0]->data;
    float *gx = n->in[0]->grad, *gt = target ? target->grad : NULL;
    const float scale = (float)(n->out->grad[0] / (double)n->in[0]->size);
    for (int64_t i = begin; i < end; i++) {
        float d_dt;
        float d_dx = point_grad(n, x[i], target_at(n, i), &d_dt);
        if (gx)
            gx[i] += scale * d_dx;
        if (gt)
            gt[i] += scale * d_dt;
    }
}

static void point_backward(cg_node *n, float *scratch)
{
    const cg_tensor *target = target_of(n);
    if (n->in[0]->grad || (target && target->grad))
        cg_parallel_range(n->in[0]->size, MIN_CHUNK, point_backward_range, n);
}

static cg_status infer_point(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0], *t = target_of(n);
    const cg_op_params *p = &n->p;
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (t && !cg_tensor_same_shape(x, t)) {
        char xs[96], ts[96];
        return cg_fail(err, CG_ERR_INVALID, "target shape %s differs from input shape %s",
                       cg_tensor_shape_str(t, ts, sizeof ts), cg_tensor_shape_str(x, xs, sizeof xs));
    }
    /* target_value is used only without a target tensor, so only then checked. */
    switch (n->op) {
    case CG_OP_BCE_WITH_LOGITS:
        if (!t && !(p->loss.target_value >= 0 && p->loss.target_value <= 1))
            return cg_fail(err, CG_ERR_INVALID, "target value %g must be in [0, 1]", p->loss.target_value);
        break;
    case CG_OP_MSE_LOSS:
    case CG_OP_L1_LOSS:
        if (!t && !isfinite(p->loss.target_value))
            return cg_fail(err, CG_ERR_INVALID, "target value must be finite");
        break;
    case CG_OP_HUBER_LOSS:
        if (!(isfinite(p->loss.delta) && p->loss.delta > 0))
            return cg_fail(err, CG_ERR_INVALID, "delta %g must be finite and > 0", p->loss.delta);
        break;
    default: /* hinge */
        if (p->loss.sign != 1.0f && p->loss.sign != -1.0f)
            return cg_fail(err, CG_ERR_INVALID, "sign %g must be +1 or -1", p->loss.sign);
        break;
    }
    set_scalar_shape(ndim, dim);
    return CG_OK;
}

const cg_op_def cg_op_def_bce_with_logits = {"bce_with_logits", 1, 2, infer_point, NULL, NULL,
                                             point_forward, point_backward};
const cg_op_def cg_op_def_mse_loss = {"mse_loss", 1, 2, infer_point, NULL, NULL, point_forward, point_backward};
const cg_op_def cg_op_def_l1_loss = {"l1_loss", 1, 2, infer_point, NULL, NULL, point_forward, point_backward};
const cg_op_def cg_op_def_huber_loss = {"huber_loss", 1, 2, infer_point, NULL, NULL, point_forward,
                                        point_backward};
const cg_op_def cg_op_def_hinge_loss = {"hinge_loss", 1, 1, infer_point, NULL, NULL, point_forward,
                                        point_backward};

static cg_tensor *apply_point(cg_graph *g, cg_op op, cg_tensor *x, cg_tensor *target, const cg_op_params *p)
{
    cg_tensor *in[2] = {x, target};
    return x ? cg_graph_apply(g, op, in, 2, p) : NULL;
}

cg_tensor *cg_bce_with_logits(cg_graph *g, cg_tensor *logits, cg_tensor *target, float target_value)
{
    cg_op_params p = {.loss = {.target_value = target_value}};
    return apply_point(g, CG_OP_BCE_WITH_LOGITS, logits, target, &p);
}

cg_tensor *cg_mse_loss(cg_graph *g, cg_tensor *x, cg_tensor *target, float target_value)
{
    cg_op_params p = {.loss = {.target_value = target_value}};
    return apply_point(g, CG_OP_MSE_LOSS, x, target, &p);
}

cg_tensor *cg_l1_loss(cg_graph *g, cg_tensor *x, cg_tensor *target, float target_value)
{
    cg_op_params p = {.loss = {.target_value = target_value}};
    return apply_point(g, CG_OP_L1_LOSS, x, target, &p);
}

/* Huber has no target_value: without a target tensor the target is 0. */
cg_tensor *cg_huber_loss(cg_graph *g, cg_tensor *x, cg_tensor *target, float delta)
{
    cg_op_params p = {.loss = {.target_value = 0.0f, .delta = delta}};
    return apply_point(g, CG_OP_HUBER_LOSS, x, target, &p);
}

cg_tensor *cg_hinge_loss(cg_graph *g, cg_tensor *x, float sign)
{
    cg_op_params p = {.loss = {.sign = sign}};
    return x ? cg_graph_apply(g, CG_OP_HINGE_LOSS, &x, 1, &p) : NULL;
}

/* ---- Gram matrix ------------------------------------------------------------ */

/* Per sample, F = x as (C, HW): G = F F^T / (C H W). */
typedef struct gram_dims {
    int c, hw;
    float scale;
} gram_dims;

static gram_dims gram_dims_of(const cg_tensor *x)
{
    gram_dims d = {(int)x->dim[1], (int)(x->dim[2] * x->dim[3]), 0};
    d.scale = (float)(1.0 / ((double)d.c * d.hw));
    return d;
}

static void gram_forward_task(void *ctx, int task, int worker)
{
    const cg_node *n = ctx;
    gram_dims d = gram_dims_of(n->in[0]);
    const float *f = n->in[0]->data + (int64_t)task * d.c * d.hw;
    float *gram = n->out->data + (int64_t)task * d.c * d.c;
    cg_sgemm(false, true, d.c, d.c, d.hw, d.scale, f, d.hw, f, d.hw, 0.0f, gram, d.c);
}

static void gram_forward(cg_node *n, float *scratch)
{
    cg_parallel_for((int)n->in[0]->dim[0], gram_forward_task, n);
}

typedef struct gram_backward_job {
    const cg_node *n;
    float *scratch;
} gram_backward_job;

/* dF = (G' + G'^T) F / (C H W): G' is not symmetric in general. */
static void gram_backward_task(void *ctx, int task, int worker)
{
    const gram_backward_job *job = ctx;
    const cg_node *n = job->n;
    gram_dims d = gram_dims_of(n->in[0]);
    float *sym = job->scratch + (int64_t)worker * d.c * d.c;
    const float *gg = n->out->grad + (int64_t)task * d.c * d.c;
    for (int64_t i = 0; i < d.c; i++)
        for (int64_t j = 0; j < d.c; j++)
            sym[i * d.c + j] = gg[i * d.c + j] + gg[j * d.c + i];
    int64_t offset = (int64_t)task * d.c * d.hw;
    cg_sgemm(false, false, d.c, d.hw, d.c, d.scale, sym, d.c, n->in[0]->data + offset, d.hw, 1.0f,
             n->in[0]->grad + offset, d.hw);
}

static void gram_backward(cg_node *n, float *scratch)
{
    if (!n->in[0]->grad)
        return;
    gram_backward_job job = {n, scratch};
    cg_parallel_for((int)n->in[0]->dim[0], gram_backward_task, &job);
}

static int64_t gram_scratch(const cg_node *n)
{
    return n->in[0]->dim[1] * n->in[0]->dim[1];
}

static cg_status infer_gram(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (x->ndim != 4)
        return cg_fail(err, CG_ERR_INVALID, "input must be 4-D (N, C, H, W), got %d-D", x->ndim);
    if (x->dim[0] > INT_MAX || x->dim[1] > INT_MAX || x->dim[2] * x->dim[3] > INT_MAX)
        return cg_fail(err, CG_ERR_INVALID, "input dimensions are too large for a GEMM");
    *ndim = 3;
    dim[0] = x->dim[0];
    dim[1] = dim[2] = x->dim[1];
    dim[3] = 1;
    return CG_OK;
}

const cg_op_def cg_op_def_gram = {"gram", 1, 1, infer_gram, NULL, gram_scratch, gram_forward, gram_backward};

cg_tensor *cg_gram(cg_graph *g, cg_tensor *x)
{
    return x ? cg_graph_apply(g, CG_OP_GRAM, &x, 1, NULL) : NULL;
}

/* a and b may differ in H and W (a style image beside a content image). */
cg_tensor *cg_gram_loss(cg_graph *g, cg_tensor *a, cg_tensor *b)
{
    if (!a || !b)
        return NULL;
    cg_tensor *gram_a = cg_gram(g, a);
    cg_tensor *gram_b = cg_gram(g, b);
    return gram_a && gram_b ? cg_mse_loss(g, gram_a, gram_b, 0.0f) : NULL;
}

/* ---- total variation ---------------------------------------------------------
 *
 * For x (N, C, H, W):
 *   tv = sum (x[n,c,h,w+1] - x[n,c,h,w])^2 / (N C H (W-1))
 *      + sum (x[n,c,h+1,w] - x[n,c,h,w])^2 / (N C (H-1) W),
 * the mean squared difference of horizontal neighbours plus that of vertical
 * neighbours. A term with no pairs (W == 1, or H == 1) is 0.
 * The work is split by rows (n, c, h); each row owns its pairs with its right
 * neighbours and with the row below. */

static void tv_counts(const cg_tensor *x, double *pairs_h, double *pairs_v)
{
    double planes = (double)x->dim[0] * (double)x->dim[1], h = (double)x->dim[2], w = (double)x->dim[3];
    *pairs_h = planes * h * (w - 1);
    *pairs_v = planes * (h - 1) * w;
}

static void tv_add_range(const cg_node *n, int64_t begin, int64_t end, double *sums)
{
    const cg_tensor *x = n->in[0];
    const int64_t h_len = x->dim[2], w_len = x->dim[3];
    double sum_h = 0, sum_v = 0;
    for (int64_t r = begin; r < end; r++) {
        const float *row = x->data + r * w_len;
        for (int64_t w = 0; w + 1 < w_len; w++) {
            double d = (double)row[w + 1] - row[w];
            sum_h += d * d;
        }
        if (r % h_len + 1 < h_len) {
            const float *below = row + w_len;
            for (int64_t w = 0; w < w_len; w++) {
                double d = (double)below[w] - row[w];
                sum_v += d * d;
            }
        }
    }
    sums[0] += sum_h;
    sums[1] += sum_v;
}

static void tv_forward(cg_node *n, float *scratch)
{
    const cg_tensor *x = n->in[0];
    double sums[2], pairs_h, pairs_v;
    fixed_split_sum(n, x->dim[0] * x->dim[1] * x->dim[2], tv_add_range, sums);
    tv_counts(x, &pairs_h, &pairs_v);
    double tv = (pairs_h > 0 ? sums[0] / pairs_h : 0) + (pairs_v > 0 ? sums[1] / pairs_v : 0);
    n->out->data[0] = (float)tv;
}

/* Each row writes only its own gradients, reading its neighbours' values. */
static void tv_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const cg_tensor *x = n->in[0];
    const int64_t h_len = x->dim[2], w_len = x->dim[3];
    double pairs_h, pairs_v;
    tv_counts(x, &pairs_h, &pairs_v);
    const double g = n->out->grad[0];
    const float scale_h = pairs_h > 0 ? (float)(2 * g / pairs_h) : 0;
    const float scale_v = pairs_v > 0 ? (float)(2 * g / pairs_v) : 0;
    for (int64_t r = begin; r < end; r++) {
        const float *row = x->data + r * w_len;
        const float *above = r % h_len > 0 ? row - w_len : NULL;
        const float *below = r % h_len + 1 < h_len ? row + w_len : NULL;
        float *grad = x->grad + r * w_len;
        for (int64_t w = 0; w < w_len; w++) {
            float dh = 0, dv = 0;
            if (w > 0)
                dh += row[w] - row[w - 1];
            if (w + 1 < w_len)
                dh -= row[w + 1] - row[w];
            if (above)
                dv += row[w] - above[w];
            if (below)
                dv -= below[w] - row[w];
            grad[w] += scale_h * dh + scale_v * dv;
        }
    }
}

static void tv_backward(cg_node *n, float *scratch)
{
    const cg_tensor *x = n->in[0];
    if (x->grad)
        cg_parallel_range(x->dim[0] * x->dim[1] * x->dim[2], cg_op_clamp64(MIN_CHUNK / x->dim[3], 1, MIN_CHUNK),
                          tv_backward_range, n);
}

static cg_status infer_tv(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (x->ndim != 4)
        return cg_fail(err, CG_ERR_INVALID, "input must be 4-D (N, C, H, W), got %d-D", x->ndim);
    set_scalar_shape(ndim, dim);
    return CG_OK;
}

const cg_op_def cg_op_def_tv_loss = {"tv_loss", 1, 1, infer_tv, NULL, NULL, tv_forward, tv_backward};

cg_tensor *cg_tv_loss(cg_graph *g, cg_tensor *x)
{
    return x ? cg_graph_apply(g, CG_OP_TV_LOSS, &x, 1, NULL) : NULL;
}

/* ---- spectral normalization ----------------------------------------------------
 *
 * W is viewed as a (rows, cols) matrix, rows = dim0. Training mode runs
 * `iterations` rounds of v = normalize(W^T u), u = normalize(W v) from the
 * stored u (normalized first) and writes u back; inference mode computes
 * v = normalize(W^T u) once from the stored u and leaves it alone. Then sigma = u^T W v and
 * out = W / sigma. saved holds u (rows), v (cols) and sigma for backward,
 * which treats u and v as constants:
 *   dW = (g - (sum g*W) / sigma * u v^T) / sigma. */

#define NORM_EPS 1e-12

typedef struct sn_dims {
    int64_t rows, cols;
} sn_dims;

static sn_dims sn_dims_of(const cg_node *n)
{
    sn_dims d = {n->in[0]->dim[0], n->in[0]->size / n->in[0]->dim[0]};
    return d;
}

/* Rows per task so that a task does at least MIN_CHUNK multiply-adds. */
static int64_t sn_row_chunk(sn_dims d)
{
    return cg_op_clamp64(MIN_CHUNK / d.cols, 1, MIN_CHUNK);
}

typedef struct matvec_job {
    const float *w;
    sn_dims d;
    const float *in;
    float *out;
} matvec_job;

/* out = W in, one double dot product per row. */
static void w_times_range(void *ctx, int64_t begin, int64_t end)
{
    const matvec_job *j = ctx;
    for (int64_t i = begin; i < end; i++) {
        const float *row = j->w + i * j->d.cols;
        double sum = 0;
        for (int64_t k = 0; k < j->d.cols; k++)
            sum += (double)row[k] * j->in[k];
        j->out[i] = (float)sum;
    }
}

/* out = W^T in over a range of columns, walked in blocks so that W is read
 * row by row rather than down its columns. */
#define COLUMN_BLOCK 16

static void w_transposed_times_range(void *ctx, int64_t begin, int64_t end)
{
    const matvec_job *j = ctx;
    for (int64_t c0 = begin; c0 < end; c0 += COLUMN_BLOCK) {
        int64_t width = end - c0 < COLUMN_BLOCK ? end - c0 : COLUMN_BLOCK;
        double sum[COLUMN_BLOCK] = {0};
        for (int64_t i = 0; i < j->d.rows; i++) {
            const float *row = j->w + i * j->d.cols + c0;
            for (int64_t k = 0; k < width; k++)
                sum[k] += (double)row[k] * j->in[i];
        }
        for (int64_t k = 0; k < width; k++)
            j->out[c0 + k] = (float)sum[k];
    }
}

static void w_times(const float *w, sn_dims d, const float *v, float *out)
{
    matvec_job j = {w, d, v, out};
    cg_parallel_range(d.rows, sn_row_chunk(d), w_times_range, &j);
}

static void w_transposed_times(const float *w, sn_dims d, const float *u, float *out)
{
    matvec_job j = {w, d, u, out};
    int64_t chunk = cg_op_clamp64(MIN_CHUNK / d.rows, COLUMN_BLOCK, MIN_CHUNK);
    cg_parallel_range(d.cols, chunk, w_transposed_times_range, &j);
}

static double dot(const float *a, const float *b, int64_t len)
{
    double sum = 0;
    for (int64_t i = 0; i < len; i++)
        sum += (double)a[i] * b[i];
    return sum;
}

static void normalize(float *a, int64_t len)
{
    double scale = 1.0 / fmax(sqrt(dot(a, a, len)), NORM_EPS);
    for (int64_t i = 0; i < len; i++)
        a[i] = (float)(a[i] * scale);
}

typedef struct divide_job {
    const float *in;
    float *out;
    float sigma;
} divide_job;

static void divide_range(void *ctx, int64_t begin, int64_t end)
{
    const divide_job *j = ctx;
    for (int64_t i = begin; i < end; i++)
        j->out[i] = j->in[i] / j->sigma;
}

/* scratch holds W v (rows floats) in the first worker's share: the
 * matrix-vector tasks below use no scratch of their own. */
static void sn_forward(cg_node *n, float *scratch)
{
    const cg_tensor *weight = n->in[0];
    cg_tensor *stored_u = n->in[1];
    const sn_dims d = sn_dims_of(n);
    float *u = n->saved, *v = u + d.rows, *sigma = v + d.cols, *wv = scratch;

    /* Normalized, so that a u set by hand needs no care; a u never set would
     * keep every vector at zero, so it starts from all ones instead. */
    memcpy(u, stored_u->data, (size_t)d.rows * sizeof(float));
    if (dot(u, u, d.rows) == 0)
        for (int64_t i = 0; i < d.rows; i++)
            u[i] = 1.0f;
    normalize(u, d.rows);
    int rounds = n->training ? n->p.spectral.iterations : 1;
    for (int it = 0; it < rounds; it++) {
        w_transposed_times(weight->data, d, u, v);
        normalize(v, d.cols);
        w_times(weight->data, d, v, wv);
        if (n->training) {
            memcpy(u, wv, (size_t)d.rows * sizeof(float));
            normalize(u, d.rows);
        }
    }
    if (n->training)
        memcpy(stored_u->data, u, (size_t)d.rows * sizeof(float));

    /* sigma >= 0 (u^T W W^T u or |W v|); the floor keeps a zero W at zero */
    *sigma = (float)fmax(dot(u, wv, d.rows), NORM_EPS);
    divide_job j = {weight->data, n->out->data, *sigma};
    cg_parallel_range(weight->size, MIN_CHUNK, divide_range, &j);
}

static void sn_add_g_dot_w(const cg_node *n, int64_t begin, int64_t end, double *sums)
{
    const float *g = n->out->grad, *w = n->in[0]->data;
    double sum = 0;
    for (int64_t i = begin; i < end; i++)
        sum += (double)g[i] * w[i];
    sums[0] += sum;
}

typedef struct sn_backward_job {
    const cg_node *n;
    float coef; /* (sum g*W) / sigma */
} sn_backward_job;

static void sn_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const sn_backward_job *j = ctx;
    const cg_node *n = j->n;
    const sn_dims d = sn_dims_of(n);
    const float *u = n->saved, *v = u + d.rows;
    const float sigma = v[d.cols];
    for (int64_t i = begin; i < end; i++) {
        const float *g = n->out->grad + i * d.cols;
        float *gw = n->in[0]->grad + i * d.cols;
        const float cu = j->coef * u[i];
        for (int64_t k = 0; k < d.cols; k++)
            gw[k] += (g[k] - cu * v[k]) / sigma;
    }
}

static void sn_backward(cg_node *n, float *scratch)
{
    if (!n->in[0]->grad)
        return; /* u is a running estimate, not something to differentiate */
    const sn_dims d = sn_dims_of(n);
    double sums[2];
    fixed_split_sum(n, n->in[0]->size, sn_add_g_dot_w, sums);
    sn_backward_job j = {n, (float)(sums[0] / n->saved[d.rows + d.cols])};
    cg_parallel_range(d.rows, sn_row_chunk(d), sn_backward_range, &j);
}

static int64_t sn_saved(const cg_node *n)
{
    const sn_dims d = sn_dims_of(n);
    return d.rows + d.cols + 1;
}

static int64_t sn_scratch(const cg_node *n)
{
    return n->in[0]->dim[0];
}

static cg_status infer_sn(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *w = n->in[0], *u = n->in[1];
    if (!w || !u)
        return cg_fail(err, CG_ERR_INVALID, "%s is missing", w ? "u" : "weight");
    if (w->ndim < 2)
        return cg_fail(err, CG_ERR_INVALID, "weight must have at least 2 dimensions, got %d", w->ndim);
    if (u->ndim != 1 || u->dim[0] != w->dim[0]) {
        char us[96];
        return cg_fail(err, CG_ERR_INVALID, "u must be 1-D with weight's dim0 (%lld) elements, got %s",
                       (long long)w->dim[0], cg_tensor_shape_str(u, us, sizeof us));
    }
    if (n->p.spectral.iterations < 1)
        return cg_fail(err, CG_ERR_INVALID, "iterations %d must be >= 1", n->p.spectral.iterations);
    *ndim = w->ndim;
    for (int i = 0; i < CG_MAX_DIMS; i++)
        dim[i] = w->dim[i];
    return CG_OK;
}

const cg_op_def cg_op_def_spectral_norm = {"spectral_norm", 2, 2, infer_sn, sn_saved, sn_scratch, sn_forward,
                                           sn_backward};

cg_tensor *cg_spectral_norm(cg_graph *g, cg_tensor *weight, cg_tensor *u, int iterations)
{
    cg_op_params p = {.spectral = {iterations}};
    cg_tensor *in[2] = {weight, u};
    return weight && u ? cg_graph_apply(g, CG_OP_SPECTRAL_NORM, in, 2, &p) : NULL;
}
