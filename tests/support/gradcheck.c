#include "support/gradcheck.h"

#include <math.h>

#define GRAD_PREFILL 0.5f
#include <string.h>

cg_tensor *gc_random(int ndim, const int64_t *dim, double lo, double hi, guint32 seed)
{
    cg_error err = {0};
    cg_tensor *t = cg_tensor_new(ndim, dim, &err);
    g_assert_nonnull(t);
    GRand *r = g_rand_new_with_seed(seed);
    for (int64_t i = 0; i < t->size; i++)
        t->data[i] = (float)g_rand_double_range(r, lo, hi);
    g_rand_free(r);
    return t;
}

cg_tensor *gc_random4(int64_t n, int64_t c, int64_t h, int64_t w, double lo, double hi, guint32 seed)
{
    const int64_t dim[4] = {n, c, h, w};
    return gc_random(4, dim, lo, hi, seed);
}

void gc_free(gc_case *c)
{
    for (int i = 0; i < c->n_in; i++) {
        cg_tensor_free(c->in[i]);
        c->in[i] = NULL;
    }
}

static double *reference_output(const gc_case *c, double *const *in, int64_t out_size)
{
    double *out = g_new0(double, out_size);
    c->ref((const double *const *)in, (const cg_tensor *const *)c->in, out, c->ctx);
    return out;
}

static double projected(const double *out, const float *r, int64_t n)
{
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += out[i] * r[i];
    return sum;
}

void gc_check(const gc_case *c)
{
    double fwd_tol = c->fwd_tol > 0 ? c->fwd_tol : 1e-5;
    double grad_tol = c->grad_tol > 0 ? c->grad_tol : 1e-3;
    double eps = c->eps > 0 ? c->eps : 1e-6;
    cg_error err = {0};

    /* Gradients start at GRAD_PREFILL, not 0, so a backward that overwrites
     * instead of adding is caught; the prefill is subtracted before comparing. */
    for (int i = 0; i < c->n_in; i++)
        if (c->in[i]) {
            c->in[i]->requires_grad = c->diff[i];
            if (c->diff[i] && !c->in[i]->grad)
                c->in[i]->grad = cg_aligned_alloc((size_t)c->in[i]->size * sizeof(float));
            if (c->in[i]->grad)
                for (int64_t k = 0; k < c->in[i]->size; k++)
                    c->in[i]->grad[k] = GRAD_PREFILL;
        }

    cg_graph *g = cg_graph_new(true, &err);
    g_assert_nonnull(g);
    cg_tensor *out = c->run(g, c->in, c->ctx);
    if (!out) {
        cg_graph_status(g, &err);
        g_error("%s: engine op failed: %s", c->name, err.message);
    }

    /* 1. forward against the reference */
    double *in_d[GC_MAX_INPUTS] = {0};
    for (int i = 0; i < c->n_in; i++)
        if (c->in[i]) {
            in_d[i] = g_new(double, c->in[i]->size);
            for (int64_t k = 0; k < c->in[i]->size; k++)
                in_d[i][k] = c->in[i]->data[k];
        }
    double *ref = reference_output(c, in_d, out->size);
    double max_ref = 1, max_diff = 0;
    int64_t worst = 0;
    for (int64_t k = 0; k < out->size; k++) {
        max_ref = fmax(max_ref, fabs(ref[k]));
        double d = fabs(out->data[k] - ref[k]);
        if (d > max_diff) {
            max_diff = d;
            worst = k;
        }
    }
    if (max_diff > fwd_tol * max_ref)
        g_error("%s: forward differs from reference at element %lld: %.9g vs %.9g (tol %g)", c->name,
                (long long)worst, out->data[worst], ref[worst], fwd_tol * max_ref);

    /* 2. inference mode computes the same thing */
    cg_graph *gi = cg_graph_new(false, &err);
    g_assert_nonnull(gi);
    cg_tensor *out_i = c->run(gi, c->in, c->ctx);
    g_assert_nonnull(out_i);
    g_assert_cmpint(out_i->size, ==, out->size);
    if (memcmp(out_i->data, out->data, (size_t)out->size * sizeof(float)) != 0)
        g_error("%s: inference-mode output differs from training-mode output", c->name);
    cg_graph_free(gi);

    /* 3. gradients against central differences of the reference */
    float *r = g_new(float, out->size);
    GRand *rng = g_rand_new_with_seed(1234);
    for (int64_t k = 0; k < out->size; k++)
        r[k] = (float)g_rand_double_range(rng, -1, 1);
    g_rand_free(rng);
    bool any_diff = false;
    for (int i = 0; i < c->n_in; i++)
        any_diff |= c->in[i] && c->diff[i];
    if (any_diff) {
        if (cg_graph_backward_seeded(g, out, r, &err) != CG_OK)
            g_error("%s: backward failed: %s", c->name, err.message);
    }
    for (int i = 0; i < c->n_in; i++) {
        if (!c->in[i] || !c->diff[i])
            continue;
        cg_tensor *t = c->in[i];
        const float *grad = t->grad;
        double *num = g_new(double, t->size);
        double max_num = 1;
        for (int64_t k = 0; k < t->size; k++) {
            double keep = in_d[i][k];
            in_d[i][k] = keep + eps;
            double *plus = reference_output(c, in_d, out->size);
            in_d[i][k] = keep - eps;
            double *minus = reference_output(c, in_d, out->size);
            in_d[i][k] = keep;
            num[k] = (projected(plus, r, out->size) - projected(minus, r, out->size)) / (2 * eps);
            max_num = fmax(max_num, fabs(num[k]));
            g_free(plus);
            g_free(minus);
        }
        for (int64_t k = 0; k < t->size; k++) {
            double analytic = grad[k] - (double)GRAD_PREFILL;
            double d = fabs(analytic - num[k]);
            if (d > grad_tol * max_num)
                g_error("%s: d/d(input %d)[%lld] = %.9g, central difference %.9g (tol %g)", c->name, i,
                        (long long)k, analytic, num[k], grad_tol * max_num);
        }
        g_free(num);
    }

    g_free(r);
    g_free(ref);
    for (int i = 0; i < c->n_in; i++)
        g_free(in_d[i]);
    cg_graph_free(g);
}

void gc_assert_close(const char *what, const float *got, const double *want, int64_t n, double tol)
{
    double scale = 1;
    for (int64_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(want[i]));
    for (int64_t i = 0; i < n; i++)
        if (fabs(got[i] - want[i]) > tol * scale)
            g_error("%s: element %lld is %.9g, expected %.9g", what, (long long)i, got[i], want[i]);
}
