/* Normalization: instance norm, conditional instance norm, layer norm, AdaLIN.
 *
 * x is (N, C, H, W); a "plane" is one (n, c) slice of H*W values. Statistics
 * are biased (divide by the count) and computed in double: per plane for
 * instance norm, per sample over C*H*W for layer norm. Layer norm's per-sample
 * statistics are merged from per-plane ones in channel order, so every
 * reduction has a fixed order and results are identical from run to run.
 *
 * All four ops work the same way: a parallel pass over the planes, a short
 * serial step that combines per-plane numbers in a fixed order, and another
 * parallel pass where needed. normalize_plane and adalin_plane apply the
 * normalization with statistics given to them, so an op whose statistics come
 * from elsewhere (a whole image, applied tile by tile) can reuse them. */
#include "core/simd.h"
#include "core/threads.h"
#include "ops/op.h"

#include <math.h>

/* Planes per task are chosen so a task touches at least this many values. */
#define MIN_TASK_VALUES 16384

/* What node->saved holds, as doubles (the arena aligns it to 64 bytes): one
 * record per plane, then for layer norm and AdaLIN one record per sample.
 * Forward fills the statistics. Backward fills the sums: parameter gradients
 * are sums over samples, so each plane's sums are kept and added up in a fixed
 * order once the parallel pass is done. */
typedef struct plane_stats {
    double mean, var, rstd;    /* of the plane's values; rstd = 1 / sqrt(var + eps) */
    double sum_dy;             /* backward: sum of d(out) over the plane */
    double sum_dy_xhat;        /* backward: sum of d(out) * xhat (instance-normalized, or
                                  layer-normalized for layer norm) */
    double sum_dy_xhat_ln;     /* AdaLIN backward: sum of d(out) * layer-normalized x */
} plane_stats;

typedef struct sample_stats {
    double mean, rstd;         /* over the sample's C*H*W values */
    double sum_g, sum_g_xhat;  /* backward: sums of g and g * xhat, where g is the
                                  gradient reaching the layer-normalized values */
} sample_stats;

static int64_t plane_count(const cg_node *n)
{
    return n->in[0]->dim[0] * n->in[0]->dim[1];
}

static int64_t plane_size(const cg_node *n)
{
    return n->in[0]->dim[2] * n->in[0]->dim[3];
}

static plane_stats *planes_of(const cg_node *n)
{
    return (plane_stats *)(void *)n->saved;
}

static sample_stats *samples_of(const cg_node *n)
{
    return (sample_stats *)(void *)(planes_of(n) + plane_count(n));
}

static int64_t floats_for(size_t bytes)
{
    return (int64_t)((bytes + sizeof(float) - 1) / sizeof(float));
}

static int64_t saved_planes(const cg_node *n)
{
    return floats_for((size_t)plane_count(n) * sizeof(plane_stats));
}

static int64_t saved_planes_and_samples(const cg_node *n)
{
    return saved_planes(n) + floats_for((size_t)n->in[0]->dim[0] * sizeof(sample_stats));
}

/* Runs fn over all planes, several small planes to a task. */
static void for_planes(cg_node *n, void (*fn)(void *ctx, int64_t begin, int64_t end))
{
    int64_t min_planes = MIN_TASK_VALUES / plane_size(n);
    cg_parallel_range(plane_count(n), min_planes > 1 ? min_planes : 1, fn, n);
}

/* ---- the pieces shared by every op -------------------------------------- */

/* The sums below add runs of SUM_RUN values in float vectors (32 per lane)
 * and the runs in double: as exact as a double loop for these counts, but
 * vectorized and free of its chain of dependent additions. */
#define SUM_RUN 256

/* sum of (x[i] - shift) and of its square, two at once. */
CG_KERNEL static void shifted_sums(const float *x, int64_t count, float shift, double *sum, double *sum_sq)
{
    double s = 0, sq = 0;
    for (int64_t r = 0; r < count; r += SUM_RUN) {
        int64_t end = r + SUM_RUN < count ? r + SUM_RUN : count, i = r;
        v8 vs = {0}, vq = {0};
        for (; i + 8 <= end; i += 8) {
            v8 d = LOAD8(x + i) - shift;
            vs += d;
            vq += d * d;
        }
        float fs = 0, fq = 0;
        for (; i < end; i++) {
            float d = x[i] - shift;
            fs += d;
            fq += d * d;
        }
        for (int l = 0; l < 8; l++) {
            fs += vs[l];
            fq += vq[l];
        }
        s += fs;
        sq += fq;
    }
    *sum = s;
    *sum_sq = sq;
}

/* Mean and biased variance of count values, two passes: the second about the
 * first's mean, so the variance does not lose its digits to the mean's. */
static void plane_moments(const float *x, int64_t count, double *mean, double *var)
{
    double sum, sum_sq;
    shifted_sums(x, count, 0.0f, &sum, &sum_sq);
    float m = (float)(sum / (double)count);
    double dev, dev_sq;
    shifted_sums(x, count, m, &dev, &dev_sq);
    /* about m (rounded to float): the mean is m + dev / count */
    *mean = m + dev / (double)count;
    *var = dev_sq / (double)count - (dev / (double)count) * (dev / (double)count);
}

/* sum of dy[i] and of dy[i] * (x[i] - m) * r: the backward's two plane sums. */
CG_KERNEL static void gradient_sums(const float *dy, const float *x, int64_t count, float m, float r, double *sum_dy,
                                    double *sum_dy_xhat)
{
    double s = 0, sx = 0;
    for (int64_t k = 0; k < count; k += SUM_RUN) {
        int64_t end = k + SUM_RUN < count ? k + SUM_RUN : count, i = k;
        v8 vs = {0}, vx = {0};
        for (; i + 8 <= end; i += 8) {
            v8 g = LOAD8(dy + i);
            vs += g;
            vx += g * ((LOAD8(x + i) - m) * r);
        }
        float fs = 0, fx = 0;
        for (; i < end; i++) {
            fs += dy[i];
            fx += dy[i] * ((x[i] - m) * r);
        }
        for (int l = 0; l < 8; l++) {
            fs += vs[l];
            fx += vx[l];
        }
        s += fs;
        sx += fx;
    }
    *sum_dy = s;
    *sum_dy_xhat = sx;
}

static double rstd_of(double var, float eps)
{
    return 1.0 / sqrt(var + (double)eps);
}

/* y = (x - mean) * rstd * gamma + beta with the statistics given. */
CG_KERNEL static void normalize_plane(const float *x, float *y, int64_t count, double mean, double rstd, double gamma,
                            double beta)
{
    float m = (float)mean, scale = (float)(rstd * gamma), shift = (float)beta;
    for (int64_t i = 0; i < count; i++)
        y[i] = (x[i] - m) * scale + shift;
}

/* The leaky ReLU fused into instance norm, on one plane of its output y, and
 * its gradient dy scaled in place by the slope where y (so its input) is not
 * positive. Written as the leaky_relu op writes them, so both give the same bits. */
CG_KERNEL static void leaky_plane(float *y, int64_t count, float slope)
{
    for (int64_t i = 0; i < count; i++)
        y[i] = y[i] > 0 ? y[i] : slope * y[i];
}

CG_KERNEL static void leaky_grad_plane(const float *y, float *dy, int64_t count, float slope)
{
    for (int64_t i = 0; i < count; i++)
        dy[i] = y[i] > 0 ? dy[i] : slope * dy[i];
}

/* AdaLIN of one plane with the statistics given: instance (in_*) and layer
 * (ln_*) normalization mixed by rho, then scaled and shifted. */
static void adalin_plane(const float *x, float *y, int64_t count, double in_mean, double in_rstd, double ln_mean,
                         double ln_rstd, float rho, float gamma, float beta)
{
    float im = (float)in_mean, ir = (float)in_rstd, lm = (float)ln_mean, lr = (float)ln_rstd;
    for (int64_t i = 0; i < count; i++) {
        float in = (x[i] - im) * ir, ln = (x[i] - lm) * lr;
        y[i] = (rho * in + (1.0f - rho) * ln) * gamma + beta;
    }
}

/* Per-sample statistics over C*H*W merged from the planes' means and
 * variances (equal counts): the variance of the whole is the mean of the
 * planes' variances plus the variance of their means. Channel order, serial. */
static void merge_samples(cg_node *n)
{
    const plane_stats *ps = planes_of(n);
    sample_stats *ss = samples_of(n);
    int64_t samples = n->in[0]->dim[0], channels = n->in[0]->dim[1];
    for (int64_t s = 0; s < samples; s++) {
        const plane_stats *p = ps + s * channels;
        double sum = 0;
        for (int64_t c = 0; c < channels; c++)
            sum += p[c].mean;
        double mean = sum / (double)channels, var = 0;
        for (int64_t c = 0; c < channels; c++) {
            double d = p[c].mean - mean;
            var += p[c].var + d * d;
        }
        var /= (double)channels;
        ss[s].mean = mean;
        ss[s].rstd = rstd_of(var, n->p.norm.eps);
    }
}

/* ---- infer ---------------------------------------------------------------- */

static cg_status check_x_and_eps(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    char shape[64];
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (x->ndim != 4)
        return cg_fail(err, CG_ERR_INVALID, "x must be 4-D (N, C, H, W), got %s",
                       cg_tensor_shape_str(x, shape, sizeof shape));
    float eps = n->p.norm.eps;
    if (!isfinite(eps) || eps <= 0)
        return cg_fail(err, CG_ERR_INVALID, "eps must be positive and finite, got %g", (double)eps);
    *ndim = 4;
    for (int i = 0; i < CG_MAX_DIMS; i++)
        dim[i] = x->dim[i];
    return CG_OK;
}

static bool is_vector(const cg_tensor *t, int64_t len)
{
    return t->ndim == 1 && t->dim[0] == len;
}

static bool is_matrix(const cg_tensor *t, int64_t rows, int64_t cols)
{
    return t->ndim == 2 && t->dim[0] == rows && t->dim[1] == cols;
}

/* gamma and beta (C), both or neither. */
static cg_status infer_affine(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    cg_status status = check_x_and_eps(n, ndim, dim, err);
    if (status != CG_OK)
        return status;
    const cg_tensor *gamma = n->in[1], *beta = n->in[2];
    int64_t channels = n->in[0]->dim[1];
    char shape[64];
    if (!gamma != !beta)
        return cg_fail(err, CG_ERR_INVALID, "gamma and beta must be given together");
    if (gamma && !is_vector(gamma, channels))
        return cg_fail(err, CG_ERR_INVALID, "gamma must be (%lld), one per channel, got %s", (long long)channels,
                       cg_tensor_shape_str(gamma, shape, sizeof shape));
    if (beta && !is_vector(beta, channels))
        return cg_fail(err, CG_ERR_INVALID, "beta must be (%lld), one per channel, got %s", (long long)channels,
                       cg_tensor_shape_str(beta, shape, sizeof shape));
    return CG_OK;
}

/* gamma, beta (S, C) and style weights (N, S). */
static cg_status infer_cond(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    cg_status status = check_x_and_eps(n, ndim, dim, err);
    if (status != CG_OK)
        return status;
    const cg_tensor *gamma = n->in[1], *beta = n->in[2], *w = n->in[3];
    int64_t samples = n->in[0]->dim[0], channels = n->in[0]->dim[1];
    char shape[64];
    if (!gamma || !beta || !w)
        return cg_fail(err, CG_ERR_INVALID, "gamma, beta and style weights are all required");
    if (gamma->ndim != 2 || gamma->dim[1] != channels)
        return cg_fail(err, CG_ERR_INVALID, "gamma must be (styles, %lld), got %s", (long long)channels,
                       cg_tensor_shape_str(gamma, shape, sizeof shape));
    int64_t styles = gamma->dim[0];
    if (!is_matrix(beta, styles, channels))
        return cg_fail(err, CG_ERR_INVALID, "beta must be (%lld, %lld) like gamma, got %s", (long long)styles,
                       (long long)channels, cg_tensor_shape_str(beta, shape, sizeof shape));
    if (!is_matrix(w, samples, styles))
        return cg_fail(err, CG_ERR_INVALID, "style weights must be (%lld, %lld) (samples, styles), got %s",
                       (long long)samples, (long long)styles, cg_tensor_shape_str(w, shape, sizeof shape));
    return CG_OK;
}

/* rho (C); gamma and beta each (C) or (N, C). */
static cg_status infer_adalin(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    cg_status status = check_x_and_eps(n, ndim, dim, err);
    if (status != CG_OK)
        return status;
    const cg_tensor *rho = n->in[1], *gamma = n->in[2], *beta = n->in[3];
    int64_t samples = n->in[0]->dim[0], channels = n->in[0]->dim[1];
    char shape[64];
    if (!rho || !gamma || !beta)
        return cg_fail(err, CG_ERR_INVALID, "rho, gamma and beta are all required");
    if (!is_vector(rho, channels))
        return cg_fail(err, CG_ERR_INVALID, "rho must be (%lld), one per channel, got %s", (long long)channels,
                       cg_tensor_shape_str(rho, shape, sizeof shape));
    if (!is_vector(gamma, channels) && !is_matrix(gamma, samples, channels))
        return cg_fail(err, CG_ERR_INVALID, "gamma must be (%lld) or (%lld, %lld), got %s", (long long)channels,
                       (long long)samples, (long long)channels, cg_tensor_shape_str(gamma, shape, sizeof shape));
    if (!is_vector(beta, channels) && !is_matrix(beta, samples, channels))
        return cg_fail(err, CG_ERR_INVALID, "beta must be (%lld) or (%lld, %lld), got %s", (long long)channels,
                       (long long)samples, (long long)channels, cg_tensor_shape_str(beta, shape, sizeof shape));
    return CG_OK;
}

/* ---- instance norm and conditional instance norm -------------------------- */

/* The scale and shift plane (s, c) gets: gamma[c] and beta[c] (or 1 and 0)
 * for instance norm, the style-weighted mix of the styles' rows for
 * conditional instance norm. */
static void instance_affine(const cg_node *n, int64_t s, int64_t c, double *gamma, double *beta)
{
    const cg_tensor *g = n->in[1], *b = n->in[2];
    if (n->op == CG_OP_INSTANCE_NORM) {
        *gamma = g ? g->data[c] : 1.0;
        *beta = b ? b->data[c] : 0.0;
        return;
    }
    const cg_tensor *w = n->in[3];
    int64_t styles = g->dim[0], channels = g->dim[1];
    double sg = 0, sb = 0;
    for (int64_t k = 0; k < styles; k++) {
        double wk = w->data[s * styles + k];
        sg += wk * g->data[k * channels + c];
        sb += wk * b->data[k * channels + c];
    }
    *gamma = sg;
    *beta = sb;
}

static void instance_forward_planes(void *ctx, int64_t begin, int64_t end)
{
    cg_node *n = ctx;
    int64_t channels = n->in[0]->dim[1], hw = plane_size(n);
    plane_stats *ps = planes_of(n);
    for (int64_t p = begin; p < end; p++) {
        const float *x = n->in[0]->data + p * hw;
        plane_moments(x, hw, &ps[p].mean, &ps[p].var);
        ps[p].rstd = rstd_of(ps[p].var, n->p.norm.eps);
        double gamma, beta;
        instance_affine(n, p / channels, p % channels, &gamma, &beta);
        normalize_plane(x, n->out->data + p * hw, hw, ps[p].mean, ps[p].rstd, gamma, beta);
        if (n->p.norm.leaky)
            leaky_plane(n->out->data + p * hw, hw, n->p.norm.slope);
    }
}

/* d(x) of a plane needs only that plane's sums, so it is done in the same pass:
 * dx = rstd * gamma * (dy - mean(dy) - xhat * mean(dy * xhat)). With the
 * leaky ReLU fused in, dy first goes back through it, in place: the output
 * gradient is this node's alone, and the output has the sign of its input. */
CG_KERNEL static void instance_backward_planes(void *ctx, int64_t begin, int64_t end)
{
    cg_node *n = ctx;
    int64_t channels = n->in[0]->dim[1], hw = plane_size(n);
    plane_stats *ps = planes_of(n);
    for (int64_t p = begin; p < end; p++) {
        const float *x = n->in[0]->data + p * hw, *dy = n->out->grad + p * hw;
        if (n->p.norm.leaky)
            leaky_grad_plane(n->out->data + p * hw, n->out->grad + p * hw, hw, n->p.norm.slope);
        float m = (float)ps[p].mean, r = (float)ps[p].rstd;
        gradient_sums(dy, x, hw, m, r, &ps[p].sum_dy, &ps[p].sum_dy_xhat);
        double sum_dy = ps[p].sum_dy, sum_dy_xhat = ps[p].sum_dy_xhat;
        if (!n->in[0]->grad)
            continue;
        double gamma, beta;
        instance_affine(n, p / channels, p % channels, &gamma, &beta);
        float k = (float)(ps[p].rstd * gamma), a = (float)(sum_dy / (double)hw),
              b = (float)(sum_dy_xhat / (double)hw);
        float *dx = n->in[0]->grad + p * hw;
        for (int64_t i = 0; i < hw; i++)
            dx[i] += k * (dy[i] - a - (x[i] - m) * r * b);
    }
}

/* gamma[c] and beta[c] collect their planes' sums over the samples. */
static void instance_param_grads(cg_node *n)
{
    const plane_stats *ps = planes_of(n);
    cg_tensor *gamma = n->in[1], *beta = n->in[2];
    int64_t samples = n->in[0]->dim[0], channels = n->in[0]->dim[1];
    for (int64_t c = 0; c < channels; c++) {
        double sg = 0, sb = 0;
        for (int64_t s = 0; s < samples; s++) {
            sg += ps[s * channels + c].sum_dy_xhat;
            sb += ps[s * channels + c].sum_dy;
        }
        if (gamma && gamma->grad)
            gamma->grad[c] += (float)sg;
        if (beta && beta->grad)
            beta->grad[c] += (float)sb;
    }
}

/* Plane (s, c) used gamma_eff = sum_k w[s,k] gamma[k,c] (beta likewise), whose
 * gradients are the plane's sums; the chain rule takes them to gamma, beta
 * and the style weights. */
static void cond_param_grads(cg_node *n)
{
    const plane_stats *ps = planes_of(n);
    cg_tensor *gamma = n->in[1], *beta = n->in[2], *w = n->in[3];
    int64_t samples = n->in[0]->dim[0], channels = n->in[0]->dim[1], styles = gamma->dim[0];
    for (int64_t k = 0; k < styles; k++)
        for (int64_t c = 0; c < channels; c++) {
            double sg = 0, sb = 0;
            for (int64_t s = 0; s < samples; s++) {
                double wk = w->data[s * styles + k];
                sg += wk * ps[s * channels + c].sum_dy_xhat;
                sb += wk * ps[s * channels + c].sum_dy;
            }
            if (gamma->grad)
                gamma->grad[k * channels + c] += (float)sg;
            if (beta->grad)
                beta->grad[k * channels + c] += (float)sb;
        }
    if (!w->grad)
        return;
    for (int64_t s = 0; s < samples; s++)
        for (int64_t k = 0; k < styles; k++) {
            double sum = 0;
            for (int64_t c = 0; c < channels; c++) {
                const plane_stats *p = &ps[s * channels + c];
                sum += gamma->data[k * channels + c] * p->sum_dy_xhat + beta->data[k * channels + c] * p->sum_dy;
            }
            w->grad[s * styles + k] += (float)sum;
        }
}

static void instance_forward(cg_node *n, float *scratch)
{
    for_planes(n, instance_forward_planes);
}

static void instance_backward(cg_node *n, float *scratch)
{
    for_planes(n, instance_backward_planes);
    if (n->op == CG_OP_INSTANCE_NORM)
        instance_param_grads(n);
    else
        cond_param_grads(n);
}

/* ---- layer norm ------------------------------------------------------------ */

static void moments_planes(void *ctx, int64_t begin, int64_t end)
{
    cg_node *n = ctx;
    int64_t hw = plane_size(n);
    plane_stats *ps = planes_of(n);
    for (int64_t p = begin; p < end; p++) {
        plane_moments(n->in[0]->data + p * hw, hw, &ps[p].mean, &ps[p].var);
        ps[p].rstd = rstd_of(ps[p].var, n->p.norm.eps);
    }
}

static void layer_normalize_planes(void *ctx, int64_t begin, int64_t end)
{
    cg_node *n = ctx;
    const cg_tensor *gamma = n->in[1], *beta = n->in[2];
    int64_t channels = n->in[0]->dim[1], hw = plane_size(n);
    const sample_stats *ss = samples_of(n);
    for (int64_t p = begin; p < end; p++) {
        int64_t s = p / channels, c = p % channels;
        normalize_plane(n->in[0]->data + p * hw, n->out->data + p * hw, hw, ss[s].mean, ss[s].rstd,
                        gamma ? gamma->data[c] : 1.0, beta ? beta->data[c] : 0.0);
    }
}

static void layer_forward(cg_node *n, float *scratch)
{
    for_planes(n, moments_planes);
    merge_samples(n);
    for_planes(n, layer_normalize_planes);
}

/* Each plane's sums of dy and dy * xhat, xhat normalized with its sample's statistics. */
static void layer_sum_planes(void *ctx, int64_t begin, int64_t end)
{
    cg_node *n = ctx;
    int64_t channels = n->in[0]->dim[1], hw = plane_size(n);
    plane_stats *ps = planes_of(n);
    const sample_stats *ss = samples_of(n);
    for (int64_t p = begin; p < end; p++) {
        const float *x = n->in[0]->data + p * hw, *dy = n->out->grad + p * hw;
        float m = (float)ss[p / channels].mean, r = (float)ss[p / channels].rstd;
        gradient_sums(dy, x, hw, m, r, &ps[p].sum_dy, &ps[p].sum_dy_xhat);
    }
}

/* dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma[c]
 * and the means over the whole sample. */
static void layer_dx_planes(void *ctx, int64_t begin, int64_t end)
{
    cg_node *n = ctx;
    const cg_tensor *gamma = n->in[1];
    int64_t channels = n->in[0]->dim[1], hw = plane_size(n);
    double count = (double)(channels * hw);
    const sample_stats *ss = samples_of(n);
    for (int64_t p = begin; p < end; p++) {
        const sample_stats *st = &ss[p / channels];
        const float *x = n->in[0]->data + p * hw, *dy = n->out->grad + p * hw;
        float *dx = n->in[0]->grad + p * hw;
        float m = (float)st->mean, r = (float)st->rstd;
        float k = (float)(st->rstd * (gamma ? gamma->data[p % channels] : 1.0));
        float a = (float)(st->rstd * st->sum_g / count), b = (float)(st->rstd * st->sum_g_xhat / count);
        for (int64_t i = 0; i < hw; i++)
            dx[i] += k * dy[i] - a - (x[i] - m) * r * b;
    }
}

static void layer_backward(cg_node *n, float *scratch)
{
    const cg_tensor *gamma = n->in[1];
    int64_t samples = n->in[0]->dim[0], channels = n->in[0]->dim[1];
    const plane_stats *ps = planes_of(n);
    sample_stats *ss = samples_of(n);
    for_planes(n, layer_sum_planes);
    for (int64_t s = 0; s < samples; s++) {
        double sum_g = 0, sum_g_xhat = 0;
        for (int64_t c = 0; c < channels; c++) {
            double gc = gamma ? gamma->data[c] : 1.0;
            sum_g += gc * ps[s * channels + c].sum_dy;
            sum_g_xhat += gc * ps[s * channels + c].sum_dy_xhat;
        }
        ss[s].sum_g = sum_g;
        ss[s].sum_g_xhat = sum_g_xhat;
    }
    instance_param_grads(n); /* the same per-channel sums over samples */
    if (n->in[0]->grad)
        for_planes(n, layer_dx_planes);
}

/* ---- AdaLIN ---------------------------------------------------------------- */

/* gamma and beta are (C), shared by the batch, or (N, C), one row per sample. */
static int64_t param_index(const cg_tensor *t, int64_t s, int64_t c, int64_t channels)
{
    return t->ndim == 2 ? s * channels + c : c;
}

static void adalin_normalize_planes(void *ctx, int64_t begin, int64_t end)
{
    cg_node *n = ctx;
    const cg_tensor *rho = n->in[1], *gamma = n->in[2], *beta = n->in[3];
    int64_t channels = n->in[0]->dim[1], hw = plane_size(n);
    const plane_stats *ps = planes_of(n);
    const sample_stats *ss = samples_of(n);
    for (int64_t p = begin; p < end; p++) {
        int64_t s = p / channels, c = p % channels;
        adalin_plane(n->in[0]->data + p * hw, n->out->data + p * hw, hw, ps[p].mean, ps[p].rstd, ss[s].mean,
                     ss[s].rstd, rho->data[c], gamma->data[param_index(gamma, s, c, channels)],
                     beta->data[param_index(beta, s, c, channels)]);
    }
}

static void adalin_forward(cg_node *n, float *scratch)
{
    for_planes(n, moments_planes);
    merge_samples(n);
    for_planes(n, adalin_normalize_planes);
}

static void adalin_sum_planes(void *ctx, int64_t begin, int64_t end)
{
    cg_node *n = ctx;
    int64_t channels = n->in[0]->dim[1], hw = plane_size(n);
    plane_stats *ps = planes_of(n);
    const sample_stats *ss = samples_of(n);
    for (int64_t p = begin; p < end; p++) {
        const float *x = n->in[0]->data + p * hw, *dy = n->out->grad + p * hw;
        float im = (float)ps[p].mean, ir = (float)ps[p].rstd;
        float lm = (float)ss[p / channels].mean, lr = (float)ss[p / channels].rstd;
        double sum_dy = 0, sum_in = 0, sum_ln = 0;
        for (int64_t i = 0; i < hw; i++) {
            sum_dy += dy[i];
            sum_in += dy[i] * ((x[i] - im) * ir);
            sum_ln += dy[i] * ((x[i] - lm) * lr);
        }
        ps[p].sum_dy = sum_dy;
        ps[p].sum_dy_xhat = sum_in;
        ps[p].sum_dy_xhat_ln = sum_ln;
    }
}

/* x reaches the output through both normalizations: the instance part with
 * g = dy * gamma * rho (plane means), the layer part with
 * g = dy * gamma * (1 - rho) (sample means). */
static void adalin_dx_planes(void *ctx, int64_t begin, int64_t end)
{
    cg_node *n = ctx;
    const cg_tensor *rho = n->in[1], *gamma = n->in[2];
    int64_t channels = n->in[0]->dim[1], hw = plane_size(n);
    double sample_count = (double)(channels * hw);
    const plane_stats *ps = planes_of(n);
    const sample_stats *ss = samples_of(n);
    for (int64_t p = begin; p < end; p++) {
        int64_t s = p / channels, c = p % channels;
        const plane_stats *pl = &ps[p];
        const sample_stats *st = &ss[s];
        double gc = gamma->data[param_index(gamma, s, c, channels)], rc = rho->data[c];
        float im = (float)pl->mean, ir = (float)pl->rstd, lm = (float)st->mean, lr = (float)st->rstd;
        /* instance part: ir * gamma * rho * (dy - mean(dy) - xhat_in * mean(dy * xhat_in)) */
        float ki = (float)(pl->rstd * gc * rc);
        float ai = (float)(pl->sum_dy / (double)hw), bi = (float)(pl->sum_dy_xhat / (double)hw);
        /* layer part: lr * (gamma * (1 - rho) * dy - mean(g) - xhat_ln * mean(g * xhat_ln)) */
        float kl = (float)(st->rstd * gc * (1.0 - rc));
        float al = (float)(st->rstd * st->sum_g / sample_count);
        float bl = (float)(st->rstd * st->sum_g_xhat / sample_count);
        const float *x = n->in[0]->data + p * hw, *dy = n->out->grad + p * hw;
        float *dx = n->in[0]->grad + p * hw;
        for (int64_t i = 0; i < hw; i++) {
            float in = (x[i] - im) * ir, ln = (x[i] - lm) * lr;
            dx[i] += ki * (dy[i] - ai - in * bi) + kl * dy[i] - al - ln * bl;
        }
    }
}

static void adalin_backward(cg_node *n, float *scratch)
{
    cg_tensor *rho = n->in[1], *gamma = n->in[2], *beta = n->in[3];
    int64_t samples = n->in[0]->dim[0], channels = n->in[0]->dim[1];
    const plane_stats *ps = planes_of(n);
    sample_stats *ss = samples_of(n);
    for_planes(n, adalin_sum_planes);
    for (int64_t s = 0; s < samples; s++) {
        double sum_g = 0, sum_g_xhat = 0;
        for (int64_t c = 0; c < channels; c++) {
            double w = gamma->data[param_index(gamma, s, c, channels)] * (1.0 - rho->data[c]);
            sum_g += w * ps[s * channels + c].sum_dy;
            sum_g_xhat += w * ps[s * channels + c].sum_dy_xhat_ln;
        }
        ss[s].sum_g = sum_g;
        ss[s].sum_g_xhat = sum_g_xhat;
    }
    /* Per channel, samples in order; (N, C) parameters take each sample's
     * share directly, (C) ones the sum. */
    for (int64_t c = 0; c < channels; c++) {
        double rc = rho->data[c], d_rho = 0, d_gamma = 0, d_beta = 0;
        for (int64_t s = 0; s < samples; s++) {
            const plane_stats *p = &ps[s * channels + c];
            double gc = gamma->data[param_index(gamma, s, c, channels)];
            double dg = rc * p->sum_dy_xhat + (1.0 - rc) * p->sum_dy_xhat_ln;
            d_rho += gc * (p->sum_dy_xhat - p->sum_dy_xhat_ln);
            if (gamma->ndim == 2 && gamma->grad)
                gamma->grad[s * channels + c] += (float)dg;
            if (beta->ndim == 2 && beta->grad)
                beta->grad[s * channels + c] += (float)p->sum_dy;
            d_gamma += dg;
            d_beta += p->sum_dy;
        }
        if (rho->grad)
            rho->grad[c] += (float)d_rho;
        if (gamma->ndim == 1 && gamma->grad)
            gamma->grad[c] += (float)d_gamma;
        if (beta->ndim == 1 && beta->grad)
            beta->grad[c] += (float)d_beta;
    }
    if (n->in[0]->grad)
        for_planes(n, adalin_dx_planes);
}

/* ---- table entries and builders ------------------------------------------- */

const cg_op_def cg_op_def_instance_norm = {"instance_norm", 1, 3, infer_affine, saved_planes, NULL,
                                           instance_forward, instance_backward};
const cg_op_def cg_op_def_cond_instance_norm = {"cond_instance_norm", 4, 4, infer_cond, saved_planes, NULL,
                                                instance_forward, instance_backward};
const cg_op_def cg_op_def_layer_norm = {"layer_norm", 1, 3, infer_affine, saved_planes_and_samples, NULL,
                                        layer_forward, layer_backward};
const cg_op_def cg_op_def_adalin = {"adalin", 4, 4, infer_adalin, saved_planes_and_samples, NULL,
                                    adalin_forward, adalin_backward};

cg_tensor *cg_instance_norm(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta, float eps)
{
    cg_tensor *in[3] = {x, gamma, beta};
    cg_op_params p = {.norm = {eps}};
    return x ? cg_graph_apply(g, CG_OP_INSTANCE_NORM, in, 3, &p) : NULL;
}

cg_tensor *cg_cond_instance_norm(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta,
                                 cg_tensor *style_weights, float eps)
{
    cg_tensor *in[4] = {x, gamma, beta, style_weights};
    cg_op_params p = {.norm = {eps}};
    if (!x || !gamma || !beta || !style_weights)
        return NULL;
    return cg_graph_apply(g, CG_OP_COND_INSTANCE_NORM, in, 4, &p);
}

cg_tensor *cg_instance_norm_leaky(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta,
                                  cg_tensor *style_weights, float eps, float slope)
{
    if (!x || !(slope >= 0.0f))
        return cg_leaky_relu(g, style_weights ? cg_cond_instance_norm(g, x, gamma, beta, style_weights, eps)
                                              : cg_instance_norm(g, x, gamma, beta, eps),
                             slope);
    cg_tensor *in[4] = {x, gamma, beta, style_weights};
    cg_op_params p = {.norm = {eps, true, slope}};
    if (style_weights && (!gamma || !beta))
        return NULL;
    return cg_graph_apply(g, style_weights ? CG_OP_COND_INSTANCE_NORM : CG_OP_INSTANCE_NORM, in,
                          style_weights ? 4 : 3, &p);
}

cg_tensor *cg_layer_norm(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta, float eps)
{
    cg_tensor *in[3] = {x, gamma, beta};
    cg_op_params p = {.norm = {eps}};
    return x ? cg_graph_apply(g, CG_OP_LAYER_NORM, in, 3, &p) : NULL;
}

cg_tensor *cg_adalin(cg_graph *g, cg_tensor *x, cg_tensor *rho, cg_tensor *gamma, cg_tensor *beta, float eps)
{
    cg_tensor *in[4] = {x, rho, gamma, beta};
    cg_op_params p = {.norm = {eps}};
    if (!x || !rho || !gamma || !beta)
        return NULL;
    return cg_graph_apply(g, CG_OP_ADALIN, in, 4, &p);
}
