/* Losses, Gram matrix, total variation and spectral norm against naive double
 * references, with gradient checks.
 *
 * Tolerances: forwards use gc_check's default (1e-5 relative to max(1, |ref|)).
 * A loss is a mean, so each element's gradient is O(1/size): the gradient
 * checks of losses use grad_tol 1e-6 (gc_check's tolerance is absolute below
 * 1), tight enough to catch a wrong factor; fp32 gradients here are accurate
 * to about 1e-8. */
#include "support/gradcheck.h"

#include <math.h>
#include <string.h>

#define LOSS_GRAD_TOL 1e-6

/* ---- point-wise losses ------------------------------------------------------ */

typedef enum loss_kind { BCE, MSE, L1, HUBER, HINGE } loss_kind;

typedef struct loss_ctx {
    loss_kind kind;
    float param; /* target_value (bce, mse, l1), delta (huber) or sign (hinge) */
} loss_ctx;

static cg_tensor *run_loss(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const loss_ctx *l = ctx;
    switch (l->kind) {
    case BCE: return cg_bce_with_logits(g, in[0], in[1], l->param);
    case MSE: return cg_mse_loss(g, in[0], in[1], l->param);
    case L1: return cg_l1_loss(g, in[0], in[1], l->param);
    case HUBER: return cg_huber_loss(g, in[0], in[1], l->param);
    default: return cg_hinge_loss(g, in[0], l->param);
    }
}

static double sigmoid(double x)
{
    return 1 / (1 + exp(-x));
}

static double ref_point(const loss_ctx *l, double x, double t)
{
    double d = x - t, delta = l->param;
    switch (l->kind) {
    case BCE: return -(t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x)));
    case MSE: return d * d;
    case L1: return fabs(d);
    case HUBER: return fabs(d) <= delta ? d * d / 2 : delta * (fabs(d) - delta / 2);
    default: return fmax(0, 1 - l->param * x);
    }
}

static void ref_loss(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const loss_ctx *l = ctx;
    bool has_target = l->kind != HINGE && in[1];
    /* huber has no target_value: its constant target is 0 */
    double constant = l->kind == HUBER ? 0 : l->param;
    double sum = 0;
    for (int64_t i = 0; i < shape[0]->size; i++)
        sum += ref_point(l, in[0][i], has_target ? in[1][i] : constant);
    out[0] = sum / (double)shape[0]->size;
}

/* Inputs away from each loss's kink: |x - t| away from 0 (l1) and from delta
 * (huber), sign * x away from 1 (hinge). */
static void place_inputs(const loss_ctx *l, cg_tensor *x, const cg_tensor *t, guint32 seed)
{
    GRand *r = g_rand_new_with_seed(seed);
    for (int64_t i = 0; i < x->size; i++) {
        double target = t ? t->data[i] : l->kind == HUBER ? 0 : l->param;
        double side = g_rand_boolean(r) ? 1 : -1;
        switch (l->kind) {
        case BCE: x->data[i] = (float)g_rand_double_range(r, -3, 3); break;
        case MSE: x->data[i] = (float)(target + g_rand_double_range(r, -2, 2)); break;
        case L1: x->data[i] = (float)(target + side * g_rand_double_range(r, 0.05, 1)); break;
        case HUBER: {
            double off = i % 2 ? g_rand_double_range(r, 0.05, 0.8) : g_rand_double_range(r, 1.2, 3);
            x->data[i] = (float)(target + side * off * l->param);
            break;
        }
        default: x->data[i] = (float)(l->param * (1 + side * g_rand_double_range(r, 0.05, 1))); break;
        }
    }
    g_rand_free(r);
}

static void check_loss(const char *name, loss_kind kind, float param, bool with_target)
{
    static const int64_t shapes[][4] = {{2, 3, 5, 4}, {1, 1, 1, 7}, {3, 2, 3, 3}};
    loss_ctx l = {kind, param};
    for (guint32 s = 0; s < G_N_ELEMENTS(shapes); s++) {
        const int64_t *d = shapes[s];
        cg_tensor *t = NULL;
        if (with_target)
            t = gc_random4(d[0], d[1], d[2], d[3], kind == BCE ? 0 : -1, 1, 100 + s);
        cg_tensor *x = gc_random4(d[0], d[1], d[2], d[3], 0, 1, 200 + s);
        place_inputs(&l, x, t, 300 + s);
        gc_case c = {.name = name, .n_in = kind == HINGE ? 1 : 2, .in = {x, t}, .diff = {true, t != NULL},
                     .run = run_loss, .ref = ref_loss, .ctx = &l, .grad_tol = LOSS_GRAD_TOL};
        gc_check(&c);
        gc_free(&c);
    }
}

static void test_bce(void)
{
    check_loss("bce_with_logits", BCE, 0, true);
    check_loss("bce_with_logits, constant 1", BCE, 1, false);
    check_loss("bce_with_logits, constant 0.1", BCE, 0.1f, false);
}

static void test_mse(void)
{
    check_loss("mse_loss", MSE, 0, true);
    check_loss("mse_loss, constant -0.5", MSE, -0.5f, false);
}

static void test_l1(void)
{
    check_loss("l1_loss", L1, 0, true);
    check_loss("l1_loss, constant 0.3", L1, 0.3f, false);
}

static void test_huber(void)
{
    check_loss("huber_loss", HUBER, 0.5f, true);
    check_loss("huber_loss, target 0", HUBER, 1.5f, false);
}

static void test_hinge(void)
{
    check_loss("hinge_loss, real", HINGE, 1, false);
    check_loss("hinge_loss, fake", HINGE, -1, false);
}

/* ---- Gram matrix and Gram loss --------------------------------------------- */

static cg_tensor *run_gram(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    return cg_gram(g, in[0]);
}

static void ref_gram_of(const double *x, const cg_tensor *shape, double *out)
{
    int64_t n_len = shape->dim[0], c_len = shape->dim[1], hw = shape->dim[2] * shape->dim[3];
    for (int64_t n = 0; n < n_len; n++)
        for (int64_t i = 0; i < c_len; i++)
            for (int64_t j = 0; j < c_len; j++) {
                double sum = 0;
                for (int64_t k = 0; k < hw; k++)
                    sum += x[(n * c_len + i) * hw + k] * x[(n * c_len + j) * hw + k];
                out[(n * c_len + i) * c_len + j] = sum / (double)(c_len * hw);
            }
}

static void ref_gram(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    ref_gram_of(in[0], shape[0], out);
}

static void test_gram(void)
{
    static const int64_t shapes[][4] = {{2, 3, 4, 5}, {1, 4, 3, 3}, {3, 1, 2, 1}, {2, 5, 1, 3}};
    for (guint32 s = 0; s < G_N_ELEMENTS(shapes); s++) {
        const int64_t *d = shapes[s];
        gc_case c = {.name = "gram", .n_in = 1, .in = {gc_random4(d[0], d[1], d[2], d[3], -1, 1, 10 + s)},
                     .diff = {true}, .run = run_gram, .ref = ref_gram, .grad_tol = LOSS_GRAD_TOL};
        gc_check(&c);
        gc_free(&c);
    }
}

static cg_tensor *run_gram_loss(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    return cg_gram_loss(g, in[0], in[1]);
}

static void ref_gram_loss(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    int64_t size = shape[0]->dim[0] * shape[0]->dim[1] * shape[0]->dim[1];
    double *ga = g_new(double, size), *gb = g_new(double, size);
    ref_gram_of(in[0], shape[0], ga);
    ref_gram_of(in[1], shape[1], gb);
    double sum = 0;
    for (int64_t i = 0; i < size; i++)
        sum += (ga[i] - gb[i]) * (ga[i] - gb[i]);
    out[0] = sum / (double)size;
    g_free(ga);
    g_free(gb);
}

static void test_gram_loss(void)
{
    /* the two inputs may differ in H and W */
    static const int64_t shapes[][2][4] = {{{2, 3, 4, 5}, {2, 3, 3, 3}}, {{1, 2, 5, 3}, {1, 2, 2, 7}},
                                           {{3, 4, 2, 2}, {3, 4, 2, 2}}};
    for (guint32 s = 0; s < G_N_ELEMENTS(shapes); s++) {
        const int64_t *a = shapes[s][0], *b = shapes[s][1];
        gc_case c = {.name = "gram_loss", .n_in = 2,
                     .in = {gc_random4(a[0], a[1], a[2], a[3], -1, 1, 20 + s),
                            gc_random4(b[0], b[1], b[2], b[3], -1, 1, 30 + s)},
                     .diff = {true, true}, .run = run_gram_loss, .ref = ref_gram_loss,
                     .grad_tol = LOSS_GRAD_TOL};
        gc_check(&c);
        gc_free(&c);
    }
}

/* ---- total variation ------------------------------------------------------- */

static cg_tensor *run_tv(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    return cg_tv_loss(g, in[0]);
}

static void ref_tv(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const double *x = in[0];
    int64_t planes = shape[0]->dim[0] * shape[0]->dim[1], h_len = shape[0]->dim[2], w_len = shape[0]->dim[3];
    double sum_h = 0, sum_v = 0, count_h = 0, count_v = 0;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t h = 0; h < h_len; h++)
            for (int64_t w = 0; w < w_len; w++) {
                double here = x[(p * h_len + h) * w_len + w];
                if (w + 1 < w_len) {
                    double d = x[(p * h_len + h) * w_len + w + 1] - here;
                    sum_h += d * d;
                    count_h++;
                }
                if (h + 1 < h_len) {
                    double d = x[(p * h_len + h + 1) * w_len + w] - here;
                    sum_v += d * d;
                    count_v++;
                }
            }
    out[0] = (count_h ? sum_h / count_h : 0) + (count_v ? sum_v / count_v : 0);
}

static void test_tv(void)
{
    /* H == 1 or W == 1: that direction has no pairs and adds nothing */
    static const int64_t shapes[][4] = {{2, 3, 4, 5}, {1, 2, 1, 6}, {1, 1, 5, 1}, {1, 1, 1, 1}, {2, 2, 3, 7}};
    for (guint32 s = 0; s < G_N_ELEMENTS(shapes); s++) {
        const int64_t *d = shapes[s];
        gc_case c = {.name = "tv_loss", .n_in = 1, .in = {gc_random4(d[0], d[1], d[2], d[3], -1, 1, 40 + s)},
                     .diff = {true}, .run = run_tv, .ref = ref_tv, .grad_tol = LOSS_GRAD_TOL};
        gc_check(&c);
        gc_free(&c);
    }
}

/* ---- determinism on inputs large enough to be split across tasks ------------- */

typedef cg_tensor *(*unary_loss)(cg_graph *g, cg_tensor *x);

static cg_tensor *mse_to_half(cg_graph *g, cg_tensor *x) { return cg_mse_loss(g, x, NULL, 0.5f); }
static cg_tensor *bce_to_one(cg_graph *g, cg_tensor *x) { return cg_bce_with_logits(g, x, NULL, 1); }
static cg_tensor *tv_of(cg_graph *g, cg_tensor *x) { return cg_tv_loss(g, x); }

static float run_once(unary_loss fn, cg_tensor *x)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    g_assert_nonnull(g);
    cg_tensor *out = fn(g, x);
    g_assert_nonnull(out);
    float v = out->data[0];
    cg_graph_free(g);
    return v;
}

static void test_large_deterministic(void)
{
    cg_tensor *x = gc_random4(2, 3, 128, 129, -2, 2, 77);
    static const loss_ctx mse = {MSE, 0.5f}, bce = {BCE, 1};
    const struct {
        unary_loss fn;
        const loss_ctx *ref; /* NULL: total variation */
    } cases[] = {{mse_to_half, &mse}, {bce_to_one, &bce}, {tv_of, NULL}};
    double *xd = g_new(double, x->size);
    for (int64_t i = 0; i < x->size; i++)
        xd[i] = x->data[i];
    const double *in[2] = {xd, NULL};
    const cg_tensor *shape[1] = {x};
    for (guint32 k = 0; k < G_N_ELEMENTS(cases); k++) {
        float first = run_once(cases[k].fn, x), second = run_once(cases[k].fn, x);
        g_assert_true(memcmp(&first, &second, sizeof first) == 0);
        double ref;
        if (cases[k].ref)
            ref_loss(in, shape, &ref, cases[k].ref);
        else
            ref_tv(in, shape, &ref, NULL);
        g_assert_cmpfloat(fabs(first - ref), <=, 1e-6 * fmax(1, fabs(ref)));
    }
    g_free(xd);
    cg_tensor_free(x);
}

/* ---- spectral norm -----------------------------------------------------------
 *
 * gc_check does not fit: training mode moves u, and inference mode computes
 * sigma differently (no power iteration), so the flow is written out here. */

typedef struct matrix {
    int64_t rows, cols;
    double *w; /* rows * cols */
} matrix;

static double dot_d(const double *a, const double *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void normalize_d(double *a, int64_t n)
{
    double norm = sqrt(dot_d(a, a, n));
    for (int64_t i = 0; i < n; i++)
        a[i] /= norm;
}

static void times_v(const matrix *m, const double *v, double *out)
{
    for (int64_t i = 0; i < m->rows; i++) {
        out[i] = 0;
        for (int64_t j = 0; j < m->cols; j++)
            out[i] += m->w[i * m->cols + j] * v[j];
    }
}

static void transposed_times_u(const matrix *m, const double *u, double *out)
{
    for (int64_t j = 0; j < m->cols; j++) {
        out[j] = 0;
        for (int64_t i = 0; i < m->rows; i++)
            out[j] += m->w[i * m->cols + j] * u[i];
    }
}

/* The op's estimate, from its definition: u (in: the stored u, out: the final
 * u) and v of the last round; returns sigma = u^T W v. */
static double ref_power(const matrix *m, double *u, double *v, int rounds, bool training)
{
    double *wv = g_new(double, m->rows);
    normalize_d(u, m->rows);
    for (int it = 0; it < (training ? rounds : 1); it++) {
        transposed_times_u(m, u, v);
        normalize_d(v, m->cols);
        if (training) {
            times_v(m, v, wv);
            memcpy(u, wv, (size_t)m->rows * sizeof *u);
            normalize_d(u, m->rows);
        }
    }
    times_v(m, v, wv);
    double sigma = dot_d(u, wv, m->rows);
    g_free(wv);
    return sigma;
}

/* The largest singular value, by 500 rounds from a fixed start. */
static double largest_singular_value(const matrix *m, const double *start)
{
    double *u = g_new(double, m->rows), *v = g_new(double, m->cols);
    memcpy(u, start, (size_t)m->rows * sizeof *u);
    double sigma = ref_power(m, u, v, 500, true);
    g_free(u);
    g_free(v);
    return sigma;
}

static matrix matrix_of(const cg_tensor *t)
{
    matrix m = {t->dim[0], t->size / t->dim[0], g_new(double, t->size)};
    for (int64_t i = 0; i < t->size; i++)
        m.w[i] = t->data[i];
    return m;
}

static double *doubles_of(const cg_tensor *t)
{
    double *d = g_new(double, t->size);
    for (int64_t i = 0; i < t->size; i++)
        d[i] = t->data[i];
    return d;
}

/* sum r * W / (u^T W v) with u and v held fixed: what the op differentiates. */
static double frozen_objective(const matrix *m, const double *u, const double *v, const float *r)
{
    double *wv = g_new(double, m->rows);
    times_v(m, v, wv);
    double sigma = dot_d(u, wv, m->rows), sum = 0;
    for (int64_t i = 0; i < m->rows * m->cols; i++)
        sum += r[i] * m->w[i] / sigma;
    g_free(wv);
    return sum;
}

/* sum r * W / sigma_max(W): the true function, with u and v following W. */
static double true_objective(const matrix *m, const double *u_start, const float *r)
{
    double sigma = largest_singular_value(m, u_start), sum = 0;
    for (int64_t i = 0; i < m->rows * m->cols; i++)
        sum += r[i] * m->w[i] / sigma;
    return sum;
}

static float *random_seed(int64_t n, guint32 seed)
{
    float *r = g_new(float, n);
    GRand *rng = g_rand_new_with_seed(seed);
    for (int64_t i = 0; i < n; i++)
        r[i] = (float)g_rand_double_range(rng, -1, 1);
    g_rand_free(rng);
    return r;
}

/* Runs the op on w in training mode and checks d(sum r*out)/dW against central
 * differences (step 1e-6) of objective(); tol relative to max(1, |numeric|). */
static void check_sn_gradient(cg_tensor *w, cg_tensor *u, int iterations,
                              double (*objective)(const matrix *, const double *, const double *, const float *),
                              const double *u_fixed, const double *v_fixed, double tol)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    w->requires_grad = true;
    if (w->grad)
        memset(w->grad, 0, (size_t)w->size * sizeof(float));
    cg_tensor *out = cg_spectral_norm(g, w, u, iterations);
    g_assert_nonnull(out);
    float *r = random_seed(out->size, 4321);
    g_assert_cmpint(cg_graph_backward_seeded(g, out, r, &err), ==, CG_OK);

    matrix m = matrix_of(w);
    double *num = g_new(double, w->size), max_num = 1;
    const double eps = 1e-6;
    for (int64_t k = 0; k < w->size; k++) {
        double keep = m.w[k];
        m.w[k] = keep + eps;
        double plus = objective(&m, u_fixed, v_fixed, r);
        m.w[k] = keep - eps;
        double minus = objective(&m, u_fixed, v_fixed, r);
        m.w[k] = keep;
        num[k] = (plus - minus) / (2 * eps);
        max_num = fmax(max_num, fabs(num[k]));
    }
    for (int64_t k = 0; k < w->size; k++)
        if (fabs(w->grad[k] - num[k]) > tol * max_num)
            g_error("spectral_norm: dW[%lld] = %.9g, central difference %.9g", (long long)k, w->grad[k], num[k]);
    w->requires_grad = false;
    g_free(num);
    g_free(m.w);
    g_free(r);
    cg_graph_free(g);
}

static double true_adapter(const matrix *m, const double *u_start, const double *unused, const float *r)
{
    return true_objective(m, u_start, r);
}

/* Forward, the update of u and the gradient, from any (not converged) u: the
 * reference runs the same rounds in double, and the gradient is checked
 * against W / (u^T W v) with that reference's u and v frozen, which is
 * exactly the op's definition of its gradient. Then inference mode: one v
 * from the stored u, and u left alone. */
static void check_spectral(int ndim, const int64_t *dim, int iterations, guint32 seed)
{
    cg_tensor *w = gc_random(ndim, dim, -1, 1, seed);
    const int64_t rows = dim[0];
    cg_tensor *u = gc_random(1, &rows, -1, 1, seed + 1);
    matrix m = matrix_of(w);
    double *u_ref = doubles_of(u), *v_ref = g_new(double, m.cols);
    double sigma = ref_power(&m, u_ref, v_ref, iterations, true);
    double *out_ref = g_new(double, w->size);
    for (int64_t i = 0; i < w->size; i++)
        out_ref[i] = m.w[i] / sigma;

    /* training: forward and u's update (run on a copy of u, so that the
     * gradient check below starts from the same u) */
    cg_error err = {0};
    cg_tensor *u_run = cg_tensor_new(1, &rows, &err);
    memcpy(u_run->data, u->data, (size_t)rows * sizeof(float));
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *out = cg_spectral_norm(g, w, u_run, iterations);
    g_assert_nonnull(out);
    g_assert_cmpint(out->ndim, ==, ndim);
    gc_assert_close("spectral_norm out", out->data, out_ref, w->size, 1e-5);
    gc_assert_close("spectral_norm u", u_run->data, u_ref, rows, 1e-5);
    cg_graph_free(g);

    /* gradient with u and v held at the reference's values; the engine's own
     * u and v equal them to fp32 rounding, hence 1e-4 */
    memcpy(u_run->data, u->data, (size_t)rows * sizeof(float));
    check_sn_gradient(w, u_run, iterations, frozen_objective, u_ref, v_ref, 1e-4);

    /* inference: sigma from the stored u, which is not written */
    memcpy(u_run->data, u->data, (size_t)rows * sizeof(float));
    double *u_inf = doubles_of(u);
    sigma = ref_power(&m, u_inf, v_ref, iterations, false);
    for (int64_t i = 0; i < w->size; i++)
        out_ref[i] = m.w[i] / sigma;
    g = cg_graph_new(false, &err);
    out = cg_spectral_norm(g, w, u_run, iterations);
    g_assert_nonnull(out);
    gc_assert_close("spectral_norm inference out", out->data, out_ref, w->size, 1e-5);
    g_assert_true(memcmp(u_run->data, u->data, (size_t)rows * sizeof(float)) == 0);
    cg_graph_free(g);

    g_free(u_inf);
    g_free(out_ref);
    g_free(u_ref);
    g_free(v_ref);
    g_free(m.w);
    cg_tensor_free(u_run);
    cg_tensor_free(u);
    cg_tensor_free(w);
}

static void test_spectral(void)
{
    static const struct {
        int ndim, iterations;
        int64_t dim[4];
    } cases[] = {{4, 1, {4, 3, 2, 2}}, {2, 2, {5, 7}}, {2, 1, {1, 6}}, {2, 3, {7, 2}}, {4, 2, {3, 5, 1, 1}}};
    for (guint32 k = 0; k < G_N_ELEMENTS(cases); k++)
        check_spectral(cases[k].ndim, cases[k].dim, cases[k].iterations, 50 + 2 * k);
}

static float sigma_from_output(const cg_tensor *w, const cg_tensor *out)
{
    int64_t big = 0;
    for (int64_t i = 0; i < w->size; i++)
        if (fabsf(w->data[i]) > fabsf(w->data[big]))
            big = i;
    return w->data[big] / out->data[big];
}

/* One training step per call, as in a GAN: u converges to the top singular
 * vector across calls; sigma to the largest singular value and out's spectral
 * norm to 1. At convergence u and v are the top singular vectors, where sigma
 * is stationary in them, so the gradient with u and v frozen is the gradient of
 * the true W / sigma_max(W): checked against central differences of that. */
static void test_spectral_converges(void)
{
    const int64_t dim[4] = {6, 2, 1, 5}, rows = 6;
    cg_tensor *w = gc_random(4, dim, -1, 1, 91);
    cg_tensor *u = gc_random(1, &rows, -1, 1, 92);
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *out = NULL;
    for (int step = 0; step < 50; step++) {
        cg_graph_reset(g);
        out = cg_spectral_norm(g, w, u, 1);
        g_assert_nonnull(out);
    }
    matrix m = matrix_of(w);
    double *start = g_new(double, rows);
    for (int64_t i = 0; i < rows; i++)
        start[i] = 1;
    double sigma_max = largest_singular_value(&m, start);
    g_assert_cmpfloat(fabs(sigma_from_output(w, out) - sigma_max), <=, 1e-5 * sigma_max);

    matrix normalized = matrix_of(out);
    g_assert_cmpfloat(fabs(largest_singular_value(&normalized, start) - 1), <=, 1e-5);
    cg_graph_free(g);

    /* the true function starts its 500 rounds from the converged u */
    double *u_now = doubles_of(u);
    check_sn_gradient(w, u, 1, true_adapter, u_now, NULL, 1e-4);

    g_free(u_now);
    g_free(normalized.w);
    g_free(start);
    g_free(m.w);
    cg_tensor_free(u);
    cg_tensor_free(w);
}

/* Matrices whose singular values are known. */
static void test_spectral_known(void)
{
    cg_error err = {0};
    const int64_t dim[2] = {2, 3}, rows = 2;
    cg_tensor *w = cg_tensor_new(2, dim, &err), *u = cg_tensor_new(1, &rows, &err);
    /* diag(3, 2): singular values 3 and 2, top singular vectors e0 */
    w->data[0] = 3;
    w->data[4] = 2;
    u->data[0] = 0.3f;
    u->data[1] = 0.9f;
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *out = cg_spectral_norm(g, w, u, 40);
    g_assert_cmpfloat(fabs(sigma_from_output(w, out) - 3), <=, 1e-6);
    g_assert_cmpfloat(fabs(fabsf(u->data[0]) - 1), <=, 1e-6);
    g_assert_cmpfloat(fabsf(u->data[1]), <=, 1e-6);

    /* [[1, 2], [2, 1]]: singular values 3 and 1. A u of zeros (never set)
     * starts from all ones, here the top singular vector itself. */
    const int64_t square[2] = {2, 2};
    cg_tensor *s = cg_tensor_new(2, square, &err);
    s->data[0] = s->data[3] = 1;
    s->data[1] = s->data[2] = 2;
    u->data[0] = u->data[1] = 0;
    cg_graph_reset(g);
    out = cg_spectral_norm(g, s, u, 1);
    g_assert_cmpfloat(fabs(sigma_from_output(s, out) - 3), <=, 1e-6);
    g_assert_cmpfloat(fabs(u->data[0] - sqrt(0.5)), <=, 1e-6);
    g_assert_cmpfloat(fabs(u->data[1] - sqrt(0.5)), <=, 1e-6);

    cg_graph_free(g);
    cg_tensor_free(s);
    cg_tensor_free(u);
    cg_tensor_free(w);
}

/* ---- errors ------------------------------------------------------------------ */

static void expect_invalid(cg_graph *g, const cg_tensor *result, const char *op, const char *detail)
{
    cg_error err = {0};
    g_assert_null(result);
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_ERR_INVALID);
    if (!strstr(err.message, op) || !strstr(err.message, detail))
        g_error("message \"%s\" should name \"%s\" and \"%s\"", err.message, op, detail);
    cg_graph_reset(g);
}

static cg_tensor *zeros(int ndim, const int64_t *dim)
{
    return gc_random(ndim, dim, 0, 0, 1);
}

/* The tensors are the caller's: expect_invalid resets the graph's arena. */
static void test_errors(void)
{
    const int64_t x_dim[4] = {2, 3, 4, 5}, other_dim[4] = {2, 3, 5, 4}, single_dim[4] = {1, 3, 4, 5};
    const int64_t flat_dim[2] = {6, 20}, five = 5, six = 6, column[2] = {6, 1};
    cg_tensor *x = zeros(4, x_dim), *other = zeros(4, other_dim), *single = zeros(4, single_dim);
    cg_tensor *flat = zeros(2, flat_dim), *u5 = zeros(1, &five), *u6 = zeros(1, &six), *u2d = zeros(2, column);
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);

    expect_invalid(g, cg_mse_loss(g, x, other, 0), "mse_loss", "target shape");
    expect_invalid(g, cg_l1_loss(g, x, other, 0), "l1_loss", "target shape");
    expect_invalid(g, cg_bce_with_logits(g, x, other, 0), "bce_with_logits", "target shape");
    expect_invalid(g, cg_huber_loss(g, x, other, 1), "huber_loss", "target shape");
    expect_invalid(g, cg_bce_with_logits(g, x, NULL, 1.5f), "bce_with_logits", "target value");
    expect_invalid(g, cg_bce_with_logits(g, x, NULL, NAN), "bce_with_logits", "target value");
    expect_invalid(g, cg_mse_loss(g, x, NULL, INFINITY), "mse_loss", "target value");
    expect_invalid(g, cg_l1_loss(g, x, NULL, NAN), "l1_loss", "target value");
    expect_invalid(g, cg_huber_loss(g, x, NULL, 0), "huber_loss", "delta");
    expect_invalid(g, cg_huber_loss(g, x, NULL, -1), "huber_loss", "delta");
    expect_invalid(g, cg_huber_loss(g, x, NULL, NAN), "huber_loss", "delta");
    expect_invalid(g, cg_huber_loss(g, x, NULL, INFINITY), "huber_loss", "delta");
    expect_invalid(g, cg_hinge_loss(g, x, 0.5f), "hinge_loss", "sign");
    expect_invalid(g, cg_hinge_loss(g, x, NAN), "hinge_loss", "sign");
    expect_invalid(g, cg_gram(g, flat), "gram", "4-D");
    expect_invalid(g, cg_tv_loss(g, flat), "tv_loss", "4-D");
    /* the Gram matrices of (2, 3, ..) and (1, 3, ..) inputs differ in shape */
    expect_invalid(g, cg_gram_loss(g, x, single), "mse_loss", "target shape");

    expect_invalid(g, cg_spectral_norm(g, flat, u5, 1), "spectral_norm", "u must be 1-D");
    expect_invalid(g, cg_spectral_norm(g, flat, u2d, 1), "spectral_norm", "u must be 1-D");
    expect_invalid(g, cg_spectral_norm(g, u6, u6, 1), "spectral_norm", "at least 2 dimensions");
    expect_invalid(g, cg_spectral_norm(g, flat, u6, 0), "spectral_norm", "iterations");

    /* NULL inputs give NULL without an error; a NULL target is the constant */
    g_assert_null(cg_mse_loss(g, NULL, x, 0));
    g_assert_null(cg_gram_loss(g, x, NULL));
    g_assert_null(cg_spectral_norm(g, flat, NULL, 1));
    g_assert_null(cg_hinge_loss(g, NULL, 1));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    g_assert_nonnull(cg_mse_loss(g, x, NULL, 0));

    /* sticky: after a failure every op refuses */
    g_assert_null(cg_tv_loss(g, flat));
    g_assert_null(cg_tv_loss(g, x));
    cg_graph_free(g);
    cg_tensor *owned[] = {x, other, single, flat, u5, u6, u2d};
    for (guint32 i = 0; i < G_N_ELEMENTS(owned); i++)
        cg_tensor_free(owned[i]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ops/loss/bce_with_logits", test_bce);
    g_test_add_func("/ops/loss/mse", test_mse);
    g_test_add_func("/ops/loss/l1", test_l1);
    g_test_add_func("/ops/loss/huber", test_huber);
    g_test_add_func("/ops/loss/hinge", test_hinge);
    g_test_add_func("/ops/loss/gram", test_gram);
    g_test_add_func("/ops/loss/gram_loss", test_gram_loss);
    g_test_add_func("/ops/loss/tv", test_tv);
    g_test_add_func("/ops/loss/large_deterministic", test_large_deterministic);
    g_test_add_func("/ops/loss/spectral_norm", test_spectral);
    g_test_add_func("/ops/loss/spectral_norm_converges", test_spectral_converges);
    g_test_add_func("/ops/loss/spectral_norm_known", test_spectral_known);
    g_test_add_func("/ops/loss/errors", test_errors);
    return g_test_run();
}
