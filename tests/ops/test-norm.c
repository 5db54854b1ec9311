/* Normalization ops against naive double references, with gradient checks.
 *
 * Tolerances, relative to max(1, largest reference value): forward 1e-5,
 * gradients 1e-4 against central differences of step 1e-6 on the double
 * reference. The ops run with eps 1e-5 and every plane's values spread over
 * 2.5, which keeps 1/std moderate; the fp32 engine then lands within about
 * 2e-7 (forward) and 3e-7 (gradients) of the reference, so the bounds leave
 * a wide margin for other compilers while still catching a missing term. */
#include "support/gradcheck.h"

#include <math.h>
#include <string.h>

#define EPS 1e-5f

typedef enum norm_kind { INSTANCE, COND_INSTANCE, LAYER, ADALIN } norm_kind;

typedef struct norm_ctx {
    norm_kind kind;
    float eps;
    bool leaky; /* instance norms: cg_instance_norm_leaky with slope */
    float slope;
} norm_ctx;

static cg_tensor *run_norm(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const norm_ctx *k = ctx;
    if (k->leaky)
        return cg_instance_norm_leaky(g, in[0], in[1], in[2], k->kind == COND_INSTANCE ? in[3] : NULL, k->eps,
                                      k->slope);
    switch (k->kind) {
    case INSTANCE: return cg_instance_norm(g, in[0], in[1], in[2], k->eps);
    case COND_INSTANCE: return cg_cond_instance_norm(g, in[0], in[1], in[2], in[3], k->eps);
    case LAYER: return cg_layer_norm(g, in[0], in[1], in[2], k->eps);
    default: return cg_adalin(g, in[0], in[1], in[2], in[3], k->eps);
    }
}

/* ---- references, straight from the definitions ---- */

/* Mean and biased variance of x[start], ..., x[start + count - 1]. */
static void ref_moments(const double *x, int64_t start, int64_t count, double *mean, double *var)
{
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < count; i++)
        sum += x[start + i];
    *mean = sum / count;
    for (int64_t i = 0; i < count; i++)
        sq += (x[start + i] - *mean) * (x[start + i] - *mean);
    *var = sq / count;
}

/* A (C) parameter, an (N, C) one, or the default when absent. */
static double ref_param(const double *t, const cg_tensor *shape, int64_t n, int64_t c, double absent)
{
    if (!t)
        return absent;
    return shape->ndim == 2 ? t[n * shape->dim[1] + c] : t[c];
}

static void ref_norm(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const norm_ctx *k = ctx;
    const double *x = in[0];
    int64_t N = shape[0]->dim[0], C = shape[0]->dim[1], HW = shape[0]->dim[2] * shape[0]->dim[3];
    for (int64_t n = 0; n < N; n++) {
        double ln_mean, ln_var;
        ref_moments(x, n * C * HW, C * HW, &ln_mean, &ln_var);
        for (int64_t c = 0; c < C; c++) {
            int64_t base = (n * C + c) * HW;
            double in_mean, in_var;
            ref_moments(x, base, HW, &in_mean, &in_var);
            for (int64_t i = 0; i < HW; i++) {
                double v = x[base + i];
                double xin = (v - in_mean) / sqrt(in_var + k->eps);
                double xln = (v - ln_mean) / sqrt(ln_var + k->eps);
                double y;
                if (k->kind == INSTANCE) {
                    y = xin * ref_param(in[1], shape[1], n, c, 1) + ref_param(in[2], shape[2], n, c, 0);
                } else if (k->kind == COND_INSTANCE) {
                    int64_t S = shape[1]->dim[0];
                    double gamma = 0, beta = 0;
                    for (int64_t s = 0; s < S; s++) {
                        gamma += in[3][n * S + s] * in[1][s * C + c];
                        beta += in[3][n * S + s] * in[2][s * C + c];
                    }
                    y = xin * gamma + beta;
                } else if (k->kind == LAYER) {
                    y = xln * ref_param(in[1], shape[1], n, c, 1) + ref_param(in[2], shape[2], n, c, 0);
                } else {
                    double rho = in[1][c];
                    y = (rho * xin + (1 - rho) * xln) * ref_param(in[2], shape[2], n, c, 1) +
                        ref_param(in[3], shape[3], n, c, 0);
                }
                out[base + i] = k->leaky && y <= 0 ? k->slope * y : y;
            }
        }
    }
}

/* ---- inputs ---- */

/* Each plane spread over 2.5, each sample shifted so means differ. */
static cg_tensor *make_x(int64_t n, int64_t c, int64_t h, int64_t w, guint32 seed)
{
    cg_tensor *x = gc_random4(n, c, h, w, -1.0, 1.5, seed);
    for (int64_t i = 0; i < x->size; i++)
        x->data[i] += 0.5f * (float)(i / (c * h * w)) - 0.25f * (float)((i / (h * w)) % c);
    return x;
}

static cg_tensor *vec(int64_t len, double lo, double hi, guint32 seed)
{
    const int64_t dim[1] = {len};
    return gc_random(1, dim, lo, hi, seed);
}

static cg_tensor *mat(int64_t rows, int64_t cols, double lo, double hi, guint32 seed)
{
    const int64_t dim[2] = {rows, cols};
    return gc_random(2, dim, lo, hi, seed);
}

static void check_case(const char *name, norm_kind kind, int n_in, cg_tensor *const *in, const bool *diff)
{
    norm_ctx k = {kind, EPS, false, 0};
    gc_case c = {.name = name, .n_in = n_in, .run = run_norm, .ref = ref_norm, .ctx = &k,
                 .fwd_tol = 1e-5, .grad_tol = 1e-4, .eps = 1e-6};
    for (int i = 0; i < n_in; i++) {
        c.in[i] = in[i];
        c.diff[i] = diff ? diff[i] : in[i] != NULL;
    }
    gc_check(&c);
    gc_free(&c);
}

/* Instance norms with the leaky ReLU fused in, against the reference
 * followed by leaky ReLU (slope 0: ReLU). */
static void check_leaky_case(const char *name, norm_kind kind, int n_in, cg_tensor *const *in, float slope)
{
    norm_ctx k = {kind, EPS, true, slope};
    gc_case c = {.name = name, .n_in = n_in, .run = run_norm, .ref = ref_norm, .ctx = &k,
                 .fwd_tol = 1e-5, .grad_tol = 1e-4, .eps = 1e-6};
    for (int i = 0; i < n_in; i++) {
        c.in[i] = in[i];
        c.diff[i] = in[i] != NULL;
    }
    gc_check(&c);
    gc_free(&c);
}

/* ---- instance norm ---- */

static void instance_case(const char *name, int64_t n, int64_t c, int64_t h, int64_t w, bool affine)
{
    cg_tensor *in[3] = {make_x(n, c, h, w, 11), affine ? vec(c, 0.5, 1.5, 12) : NULL,
                        affine ? vec(c, -0.5, 0.5, 13) : NULL};
    check_case(name, INSTANCE, 3, in, NULL);
}

static void test_instance_affine(void) { instance_case("instance_norm 2x3x5x4 affine", 2, 3, 5, 4, true); }
static void test_instance_plain(void) { instance_case("instance_norm 3x2x3x3", 3, 2, 3, 3, false); }
static void test_instance_odd(void) { instance_case("instance_norm 2x5x1x7 affine", 2, 5, 1, 7, true); }
/* One-pixel planes normalize to 0: the output is beta and d(x) is 0. */
static void test_instance_pixel(void) { instance_case("instance_norm 3x2x1x1 affine", 3, 2, 1, 1, true); }

/* ---- conditional instance norm ---- */

static void cond_case(const char *name, int64_t n, int64_t c, int64_t h, int64_t w, int64_t styles)
{
    cg_tensor *in[4] = {make_x(n, c, h, w, 21), mat(styles, c, 0.5, 1.5, 22), mat(styles, c, -0.5, 0.5, 23),
                        mat(n, styles, 0.0, 1.0, 24)};
    check_case(name, COND_INSTANCE, 4, in, NULL);
}

static void test_cond_three_styles(void) { cond_case("cond_instance_norm 2x3x4x5 S3", 2, 3, 4, 5, 3); }
static void test_cond_one_style(void) { cond_case("cond_instance_norm 3x2x3x3 S1", 3, 2, 3, 3, 1); }
static void test_cond_odd(void) { cond_case("cond_instance_norm 2x5x3x1 S2", 2, 5, 3, 1, 2); }
/* A reference model's style code: real weights of any sign that need not sum to 1. */
static void test_cond_code(void)
{
    cg_tensor *in[4] = {make_x(2, 3, 4, 5, 31), mat(4, 3, -1.0, 1.5, 32), mat(4, 3, -0.5, 0.5, 33),
                        mat(2, 4, -2.0, 2.0, 34)};
    check_case("cond_instance_norm 2x3x4x5 code of 4", COND_INSTANCE, 4, in, NULL);
    cg_tensor *fused[4] = {make_x(2, 3, 4, 5, 35), mat(4, 3, -1.0, 1.5, 36), mat(4, 3, -0.5, 0.5, 37),
                           mat(2, 4, -2.0, 2.0, 38)};
    check_leaky_case("cond_instance_norm + leaky 0.2, code of 4", COND_INSTANCE, 4, fused, 0.2f);
}

/* ---- layer norm ---- */

static void layer_case(const char *name, int64_t n, int64_t c, int64_t h, int64_t w, bool affine)
{
    cg_tensor *in[3] = {make_x(n, c, h, w, 31), affine ? vec(c, 0.5, 1.5, 32) : NULL,
                        affine ? vec(c, -0.5, 0.5, 33) : NULL};
    check_case(name, LAYER, 3, in, NULL);
}

static void test_layer_affine(void) { layer_case("layer_norm 2x3x4x5 affine", 2, 3, 4, 5, true); }
static void test_layer_plain(void) { layer_case("layer_norm 3x2x3x3", 3, 2, 3, 3, false); }
static void test_layer_odd(void) { layer_case("layer_norm 2x1x3x5 affine", 2, 1, 3, 5, true); }
/* Layer norm over one-pixel planes: statistics across channels only. */
static void test_layer_pixel(void) { layer_case("layer_norm 2x7x1x1 affine", 2, 7, 1, 1, true); }

/* ---- AdaLIN ---- */

static void adalin_case(const char *name, int64_t n, int64_t c, int64_t h, int64_t w, bool gamma_per_sample,
                        bool beta_per_sample)
{
    cg_tensor *in[4] = {make_x(n, c, h, w, 41), vec(c, 0.1, 0.9, 42),
                        gamma_per_sample ? mat(n, c, 0.5, 1.5, 43) : vec(c, 0.5, 1.5, 43),
                        beta_per_sample ? mat(n, c, -0.5, 0.5, 44) : vec(c, -0.5, 0.5, 44)};
    check_case(name, ADALIN, 4, in, NULL);
}

static void test_adalin_shared(void) { adalin_case("adalin 2x3x4x5 gamma,beta (C)", 2, 3, 4, 5, false, false); }
static void test_adalin_per_sample(void) { adalin_case("adalin 3x2x3x3 gamma,beta (N,C)", 3, 2, 3, 3, true, true); }
static void test_adalin_mixed(void) { adalin_case("adalin 2x5x1x7 gamma (N,C) beta (C)", 2, 5, 1, 7, true, false); }

/* rho at the ends of [0, 1]: pure instance and pure layer norm, gradient still flows to rho. */
static void test_adalin_rho_ends(void)
{
    cg_tensor *in[4] = {make_x(2, 4, 3, 3, 51), vec(4, 0, 1, 52), mat(2, 4, 0.5, 1.5, 53), vec(4, -0.5, 0.5, 54)};
    in[1]->data[0] = 0.0f;
    in[1]->data[1] = 1.0f;
    check_case("adalin rho 0 and 1", ADALIN, 4, in, NULL);
}

/* ---- larger shapes: several planes per task and several tasks ---- */

/* Forward against the reference and the small parameters' gradients by central
 * differences (x's gradient is the same per-plane code as in the small cases). */
static void test_large(void)
{
    const int64_t N = 2, C = 8, H = 47, W = 41; /* planes of 7 runs of 256 and a part run that ends off a vector */
    {
        cg_tensor *in[3] = {make_x(N, C, H, W, 61), vec(C, 0.5, 1.5, 62), vec(C, -0.5, 0.5, 63)};
        const bool diff[3] = {false, true, true};
        check_case("instance_norm large", INSTANCE, 3, in, diff);
    }
    {
        cg_tensor *in[4] = {make_x(N, C, H, W, 64), mat(2, C, 0.5, 1.5, 65), mat(2, C, -0.5, 0.5, 66),
                            mat(N, 2, 0, 1, 67)};
        const bool diff[4] = {false, true, true, true};
        check_case("cond_instance_norm large", COND_INSTANCE, 4, in, diff);
    }
    {
        cg_tensor *in[3] = {make_x(N, C, H, W, 68), vec(C, 0.5, 1.5, 69), vec(C, -0.5, 0.5, 70)};
        const bool diff[3] = {false, true, true};
        check_case("layer_norm large", LAYER, 3, in, diff);
    }
    {
        cg_tensor *in[4] = {make_x(N, C, H, W, 71), vec(C, 0.1, 0.9, 72), mat(N, C, 0.5, 1.5, 73),
                            vec(C, -0.5, 0.5, 74)};
        const bool diff[4] = {false, true, true, true};
        check_case("adalin large", ADALIN, 4, in, diff);
    }
}

static void test_instance_leaky(void)
{
    {
        cg_tensor *in[3] = {make_x(2, 3, 5, 4, 101), vec(3, 0.5, 1.5, 102), vec(3, -0.5, 0.5, 103)};
        check_leaky_case("instance_norm + leaky 0.2", INSTANCE, 3, in, 0.2f);
    }
    {
        cg_tensor *in[3] = {make_x(3, 2, 7, 5, 104), NULL, NULL};
        check_leaky_case("instance_norm + relu", INSTANCE, 3, in, 0.0f);
    }
    {
        cg_tensor *in[4] = {make_x(2, 3, 4, 5, 105), mat(3, 3, 0.5, 1.5, 106), mat(3, 3, -0.5, 0.5, 107),
                            mat(2, 3, 0, 1, 108)};
        check_leaky_case("cond_instance_norm + leaky 0.2", COND_INSTANCE, 4, in, 0.2f);
    }
}

/* Output and every input gradient of norm then leaky ReLU, fused or as two ops. */
static float *leaky_forward_backward(bool fused, cg_tensor *const *in, int64_t *len)
{
    cg_error err = {0};
    for (int i = 0; i < 3; i++) {
        in[i]->requires_grad = true;
        if (in[i]->grad)
            memset(in[i]->grad, 0, (size_t)in[i]->size * sizeof(float));
    }
    cg_graph *g = cg_graph_new(true, &err);
    g_assert_nonnull(g);
    cg_tensor *out = fused ? cg_instance_norm_leaky(g, in[0], in[1], in[2], NULL, EPS, 0.2f)
                           : cg_leaky_relu(g, cg_instance_norm(g, in[0], in[1], in[2], EPS), 0.2f);
    g_assert_nonnull(out);
    float *seed = g_new(float, out->size);
    for (int64_t i = 0; i < out->size; i++)
        seed[i] = sinf(0.37f * (float)i);
    g_assert_cmpint(cg_graph_backward_seeded(g, out, seed, &err), ==, CG_OK);
    *len = out->size + in[0]->size + in[1]->size + in[2]->size;
    float *all = g_new(float, *len), *p = all;
    memcpy(p, out->data, (size_t)out->size * sizeof(float));
    p += out->size;
    for (int i = 0; i < 3; i++) {
        memcpy(p, in[i]->grad, (size_t)in[i]->size * sizeof(float));
        p += in[i]->size;
    }
    g_free(seed);
    cg_graph_free(g);
    return all;
}

/* The fused op gives the two ops' bits (planes of whole and part vectors). */
static void test_instance_leaky_same_bits(void)
{
    cg_tensor *in[3] = {make_x(3, 16, 33, 31, 111), vec(16, 0.5, 1.5, 112), vec(16, -0.5, 0.5, 113)};
    int64_t len1, len2;
    float *two = leaky_forward_backward(false, in, &len1), *one = leaky_forward_backward(true, in, &len2);
    g_assert_cmpint(len1, ==, len2);
    for (int64_t i = 0; i < len1; i++)
        if (one[i] != two[i])
            g_error("fused instance_norm + leaky: element %lld %.9g vs %.9g", (long long)i, one[i], two[i]);
    g_free(one);
    g_free(two);
    for (int i = 0; i < 3; i++)
        cg_tensor_free(in[i]);
}

/* Runs op forward and backward (seeded with a fixed projection) and returns
 * copies of the output and every input's gradient, concatenated. */
static float *forward_backward(norm_kind kind, cg_tensor *const *in, int n_in, int64_t *len)
{
    norm_ctx k = {kind, EPS, false, 0};
    cg_error err = {0};
    for (int i = 0; i < n_in; i++) {
        in[i]->requires_grad = true;
        if (in[i]->grad)
            memset(in[i]->grad, 0, (size_t)in[i]->size * sizeof(float));
    }
    cg_graph *g = cg_graph_new(true, &err);
    g_assert_nonnull(g);
    cg_tensor *out = run_norm(g, in, &k);
    g_assert_nonnull(out);
    float *seed = g_new(float, out->size);
    for (int64_t i = 0; i < out->size; i++)
        seed[i] = sinf(0.37f * (float)i);
    g_assert_cmpint(cg_graph_backward_seeded(g, out, seed, &err), ==, CG_OK);
    int64_t total = out->size;
    for (int i = 0; i < n_in; i++)
        total += in[i]->size;
    float *all = g_new(float, total), *p = all;
    memcpy(p, out->data, (size_t)out->size * sizeof(float));
    p += out->size;
    for (int i = 0; i < n_in; i++) {
        memcpy(p, in[i]->grad, (size_t)in[i]->size * sizeof(float));
        p += in[i]->size;
    }
    *len = total;
    g_free(seed);
    cg_graph_free(g);
    return all;
}

static void check_repeatable(norm_kind kind, cg_tensor *const *in, int n_in)
{
    int64_t len1, len2;
    float *a = forward_backward(kind, in, n_in, &len1);
    float *b = forward_backward(kind, in, n_in, &len2);
    g_assert_cmpint(len1, ==, len2);
    g_assert_true(memcmp(a, b, (size_t)len1 * sizeof(float)) == 0);
    g_free(a);
    g_free(b);
    for (int i = 0; i < n_in; i++)
        cg_tensor_free(in[i]);
}

/* Many small planes (many per task) and a few large ones: bit-identical
 * outputs and gradients from run to run. */
static void test_repeatable(void)
{
    {
        cg_tensor *in[3] = {make_x(4, 64, 9, 7, 81), vec(64, 0.5, 1.5, 82), vec(64, -0.5, 0.5, 83)};
        check_repeatable(INSTANCE, in, 3);
    }
    {
        cg_tensor *in[4] = {make_x(3, 16, 33, 31, 84), mat(4, 16, 0.5, 1.5, 85), mat(4, 16, -0.5, 0.5, 86),
                            mat(3, 4, 0, 1, 87)};
        check_repeatable(COND_INSTANCE, in, 4);
    }
    {
        cg_tensor *in[3] = {make_x(3, 40, 17, 19, 88), vec(40, 0.5, 1.5, 89), vec(40, -0.5, 0.5, 90)};
        check_repeatable(LAYER, in, 3);
    }
    {
        cg_tensor *in[4] = {make_x(2, 48, 21, 23, 91), vec(48, 0, 1, 92), mat(2, 48, 0.5, 1.5, 93),
                            vec(48, -0.5, 0.5, 94)};
        check_repeatable(ADALIN, in, 4);
    }
}

/* ---- errors from infer ---- */

/* The op must fail with CG_ERR_INVALID and a message holding op_name and what. */
static void expect_invalid(cg_graph *g, cg_tensor *out, const char *op_name, const char *what)
{
    cg_error err = {0};
    g_assert_null(out);
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_ERR_INVALID);
    if (!strstr(err.message, op_name) || !strstr(err.message, what))
        g_error("message \"%s\" should name %s and %s", err.message, op_name, what);
    cg_graph_reset(g);
}

static cg_tensor *graph_vec(cg_graph *g, int64_t len)
{
    return cg_graph_tensor(g, 1, &len);
}

static cg_tensor *graph_mat(cg_graph *g, int64_t rows, int64_t cols)
{
    const int64_t dim[2] = {rows, cols};
    return cg_graph_tensor(g, 2, dim);
}

static void test_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    g_assert_nonnull(g);
    const int64_t flat_dim[3] = {2, 3, 4};

    /* x must be 4-D; eps positive and finite */
    expect_invalid(g, cg_instance_norm(g, cg_graph_tensor(g, 3, flat_dim), NULL, NULL, EPS), "instance_norm",
                   "4-D");
    expect_invalid(g, cg_instance_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), NULL, NULL, 0), "instance_norm", "eps");
    expect_invalid(g, cg_layer_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), NULL, NULL, -1e-5f), "layer_norm", "eps");
    expect_invalid(g, cg_layer_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), NULL, NULL, NAN), "layer_norm", "eps");
    expect_invalid(g, cg_adalin(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_vec(g, 3), graph_vec(g, 3),
                                graph_vec(g, 3), INFINITY),
                   "adalin", "eps");
    expect_invalid(g, cg_cond_instance_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_mat(g, 2, 3),
                                            graph_mat(g, 2, 3), graph_mat(g, 2, 2), NAN),
                   "cond_instance_norm", "eps");

    /* instance and layer norm: gamma and beta together, one per channel */
    expect_invalid(g, cg_instance_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_vec(g, 3), NULL, EPS),
                   "instance_norm", "together");
    expect_invalid(g, cg_layer_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), NULL, graph_vec(g, 3), EPS), "layer_norm",
                   "together");
    expect_invalid(g, cg_instance_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_vec(g, 4), graph_vec(g, 3), EPS),
                   "instance_norm", "gamma");
    expect_invalid(g, cg_layer_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_vec(g, 3), graph_mat(g, 1, 3), EPS),
                   "layer_norm", "beta");

    /* conditional: gamma (S, C), beta like gamma, weights (N, S) */
    expect_invalid(g, cg_cond_instance_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_mat(g, 2, 4),
                                            graph_mat(g, 2, 4), graph_mat(g, 2, 2), EPS),
                   "cond_instance_norm", "gamma");
    expect_invalid(g, cg_cond_instance_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_vec(g, 3), graph_vec(g, 3),
                                            graph_mat(g, 2, 1), EPS),
                   "cond_instance_norm", "gamma");
    expect_invalid(g, cg_cond_instance_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_mat(g, 2, 3),
                                            graph_mat(g, 3, 3), graph_mat(g, 2, 2), EPS),
                   "cond_instance_norm", "beta");
    expect_invalid(g, cg_cond_instance_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_mat(g, 2, 3),
                                            graph_mat(g, 2, 3), graph_mat(g, 2, 3), EPS),
                   "cond_instance_norm", "style weights");
    expect_invalid(g, cg_cond_instance_norm(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_mat(g, 2, 3),
                                            graph_mat(g, 2, 3), graph_mat(g, 1, 2), EPS),
                   "cond_instance_norm", "style weights");

    /* AdaLIN: rho (C); gamma, beta (C) or (N, C) */
    expect_invalid(g, cg_adalin(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_vec(g, 2), graph_vec(g, 3),
                                graph_vec(g, 3), EPS),
                   "adalin", "rho");
    expect_invalid(g, cg_adalin(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_mat(g, 2, 3), graph_vec(g, 3),
                                graph_vec(g, 3), EPS),
                   "adalin", "rho");
    expect_invalid(g, cg_adalin(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_vec(g, 3), graph_mat(g, 3, 3),
                                graph_vec(g, 3), EPS),
                   "adalin", "gamma");
    expect_invalid(g, cg_adalin(g, cg_graph_tensor4(g, 2, 3, 4, 4), graph_vec(g, 3), graph_vec(g, 3),
                                graph_mat(g, 2, 2), EPS),
                   "adalin", "beta");

    /* NULL inputs: NULL back, the graph untouched */
    cg_tensor *x = cg_graph_tensor4(g, 2, 3, 4, 4);
    g_assert_null(cg_instance_norm(g, NULL, NULL, NULL, EPS));
    g_assert_null(cg_layer_norm(g, NULL, NULL, NULL, EPS));
    g_assert_null(cg_cond_instance_norm(g, x, NULL, graph_mat(g, 1, 3), graph_mat(g, 2, 1), EPS));
    g_assert_null(cg_adalin(g, x, graph_vec(g, 3), NULL, graph_vec(g, 3), EPS));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);

    /* sticky: after an error, a valid call refuses too */
    g_assert_null(cg_instance_norm(g, x, NULL, NULL, 0));
    g_assert_null(cg_instance_norm(g, x, NULL, NULL, EPS));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_ERR_INVALID);
    cg_graph_free(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ops/norm/instance/affine", test_instance_affine);
    g_test_add_func("/ops/norm/instance/plain", test_instance_plain);
    g_test_add_func("/ops/norm/instance/odd", test_instance_odd);
    g_test_add_func("/ops/norm/instance/one_pixel", test_instance_pixel);
    g_test_add_func("/ops/norm/cond_instance/three_styles", test_cond_three_styles);
    g_test_add_func("/ops/norm/cond_instance/one_style", test_cond_one_style);
    g_test_add_func("/ops/norm/cond_instance/odd", test_cond_odd);
    g_test_add_func("/ops/norm/cond_instance/code", test_cond_code);
    g_test_add_func("/ops/norm/layer/affine", test_layer_affine);
    g_test_add_func("/ops/norm/layer/plain", test_layer_plain);
    g_test_add_func("/ops/norm/layer/odd", test_layer_odd);
    g_test_add_func("/ops/norm/layer/one_pixel", test_layer_pixel);
    g_test_add_func("/ops/norm/adalin/shared", test_adalin_shared);
    g_test_add_func("/ops/norm/adalin/per_sample", test_adalin_per_sample);
    g_test_add_func("/ops/norm/adalin/mixed", test_adalin_mixed);
    g_test_add_func("/ops/norm/adalin/rho_ends", test_adalin_rho_ends);
    g_test_add_func("/ops/norm/instance_leaky", test_instance_leaky);
    g_test_add_func("/ops/norm/instance_leaky/same_bits", test_instance_leaky_same_bits);
    g_test_add_func("/ops/norm/large", test_large);
    g_test_add_func("/ops/norm/repeatable", test_repeatable);
    g_test_add_func("/ops/norm/errors", test_errors);
    return g_test_run();
}
