/* The style encoder: its arch keys, its forward pass against a naive
 * double-precision reference, and its parameters' gradients against central
 * differences of that reference. */
#include "comicgan/net.h"
#include "comicgan/ops.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#define ARCH "{\"type\": \"style_encoder\", \"width\": 2, \"layers\": 2, \"code\": 3, \"side\": 32}"
#define SLOPE 0.2

static int reflect(int i, int n) { return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; }

/* A 3x3 stride-2 conv with reflect padding 1, then leaky ReLU, in double. */
static double *ref_stage(const double *x, int ci, int h, int w, const double *wt, const double *b, int co, int *oh,
                         int *ow)
{
    *oh = (h - 1) / 2 + 1;
    *ow = (w - 1) / 2 + 1;
    double *y = g_new0(double, (size_t)co * *oh * *ow);
    for (int o = 0; o < co; o++)
        for (int yy = 0; yy < *oh; yy++)
            for (int xx = 0; xx < *ow; xx++) {
                double s = b[o];
                for (int c = 0; c < ci; c++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            s += wt[((o * ci + c) * 3 + ky) * 3 + kx] *
                                 x[(c * h + reflect(2 * yy + ky - 1, h)) * w + reflect(2 * xx + kx - 1, w)];
                y[(o * *oh + yy) * *ow + xx] = s > 0 ? s : SLOPE * s;
            }
    return y;
}

/* The encoder on one image (3 x h x w) with parameters p (the set's values,
 * in registration order), into code (code + 1 values). */
static void ref_encoder(const cg_net *net, const double *p, const double *x, int h, int w, double *code)
{
    const cg_params *ps = cg_net_params(net);
    const double *w1 = p + cg_params_offset(ps, cg_params_find(ps, "first.conv.weight"));
    const double *b1 = p + cg_params_offset(ps, cg_params_find(ps, "first.conv.bias"));
    const double *w2 = p + cg_params_offset(ps, cg_params_find(ps, "down0.conv.weight"));
    const double *b2 = p + cg_params_offset(ps, cg_params_find(ps, "down0.conv.bias"));
    const double *w3 = p + cg_params_offset(ps, cg_params_find(ps, "last.conv.weight"));
    const double *b3 = p + cg_params_offset(ps, cg_params_find(ps, "last.conv.bias"));
    int h1, w1s, h2, w2s;
    double *a = ref_stage(x, 3, h, w, w1, b1, 2, &h1, &w1s);
    double *f = ref_stage(a, 2, h1, w1s, w2, b2, 4, &h2, &w2s);
    double stats[8];
    const int plane = h2 * w2s;
    for (int c = 0; c < 4; c++) {
        double m = 0, m2 = 0;
        for (int i = 0; i < plane; i++) {
            m += f[c * plane + i];
            m2 += f[c * plane + i] * f[c * plane + i];
        }
        m /= plane;
        stats[c] = m;
        stats[4 + c] = m2 / plane - m * m;
    }
    for (int k = 0; k < 3; k++) {
        code[k] = b3[k];
        for (int j = 0; j < 8; j++)
            code[k] += w3[k * 8 + j] * stats[j];
    }
    if (cg_net_code_norm(net)) {
        const double m = (code[0] + code[1] + code[2]) / 3;
        double v = 0;
        for (int k = 0; k < 3; k++)
            v += (code[k] - m) * (code[k] - m) / 3;
        for (int k = 0; k < 3; k++)
            code[k] = (code[k] - m) / sqrt(v + 1e-5);
    }
    code[3] = 1;
    g_free(a);
    g_free(f);
}

static cg_net *make_encoder(const char *arch)
{
    cg_error err = {0};
    cg_net *net = cg_net_new(arch, &err);
    if (!net)
        g_error("%s", err.message);
    /* Larger than the GAN init, so that every layer's values matter. */
    int64_t n = 0;
    float *v = cg_params_values(cg_net_params(net), &n);
    GRand *r = g_rand_new_with_seed(5);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)g_rand_double_range(r, -0.6, 0.6);
    g_rand_free(r);
    return net;
}

static void test_shapes_and_keys(void)
{
    cg_net *net = make_encoder(ARCH);
    g_assert_cmpstr(cg_net_type(net), ==, "style_encoder");
    g_assert_cmpint(cg_net_code_length(net), ==, 4);
    g_assert_cmpint(cg_net_reference_side(net), ==, 32);
    g_assert_cmpint(cg_net_size_multiple(net), ==, 1);
    /* 2x3x3x3 + 2, 4x2x3x3 + 4, 3x8 + 3 */
    g_assert_cmpint(cg_params_total(cg_net_params(net)), ==, 56 + 76 + 27);
    g_assert_nonnull(strstr(cg_net_arch_json(net), "\"code\":3"));
    g_assert_null(strstr(cg_net_arch_json(net), "load_side"));
    cg_net_free(net);

    cg_error err = {0};
    const char *bad[][2] = {
        {"{\"type\": \"style_encoder\", \"norm\": \"instance\"}", "takes no norm"},
        {"{\"type\": \"style_encoder\", \"code\": 64}", "\"code\" is 64"},
        {"{\"type\": \"resnet\", \"code\": 8}", "are for a style_encoder"},
        {"{\"type\": \"style_encoder\", \"attention\": [\"cam\"]}", "no attention"},
        {"{\"type\": \"style_encoder\", \"side\": 8}", "\"side\" is 8"},
        {"{\"type\": \"resnet\", \"load_side\": 288}", "are for a style_encoder"},
        {"{\"type\": \"style_encoder\", \"load_side\": -1}", "\"load_side\" is -1"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(cg_net_new(bad[i][0], &err));
        if (!strstr(err.message, bad[i][1]))
            g_error("%s: '%s' lacks '%s'", bad[i][0], err.message, bad[i][1]);
    }
    /* load_side is kept, and written only when set. */
    net = cg_net_new("{\"type\": \"style_encoder\", \"load_side\": 288}", &err);
    g_assert_cmpint(cg_net_reference_load_side(net), ==, 288);
    g_assert_nonnull(strstr(cg_net_arch_json(net), "\"load_side\":288"));
    cg_net_free(net);
    /* Other networks have no code. */
    net = cg_net_new("{\"type\": \"resnet\", \"width\": 4, \"downsamples\": 1, \"blocks\": 1}", &err);
    g_assert_cmpint(cg_net_code_length(net), ==, 0);
    cg_net_free(net);
}

static void forward_and_gradients(const char *arch)
{
    const int n = 2, h = 9, w = 7;
    cg_net *net = make_encoder(arch);
    cg_params *ps = cg_net_params(net);
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *x = cg_graph_tensor4(g, n, 3, h, w);
    GRand *r = g_rand_new_with_seed(6);
    for (int64_t i = 0; i < x->size; i++)
        x->data[i] = (float)g_rand_double_range(r, -1, 1);
    cg_params_zero_grad(ps);
    cg_tensor *y = cg_net_forward(net, g, x, NULL, NULL);
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_OK);
    g_assert_cmpint(y->ndim, ==, 2);
    g_assert_cmpint(y->dim[0], ==, n);
    g_assert_cmpint(y->dim[1], ==, 4);

    /* Forward against the reference, per image. */
    int64_t np = 0;
    float *pv = cg_params_values(ps, &np);
    double *p = g_new(double, np), *xd = g_new(double, x->size), want[2][4];
    for (int64_t i = 0; i < np; i++)
        p[i] = pv[i];
    for (int64_t i = 0; i < x->size; i++)
        xd[i] = x->data[i];
    for (int i = 0; i < n; i++) {
        ref_encoder(net, p, xd + (size_t)i * 3 * h * w, h, w, want[i]);
        for (int k = 0; k < 4; k++)
            if (fabs(y->data[i * 4 + k] - want[i][k]) > 1e-5 * fmax(1, fabs(want[i][k])))
                g_error("code[%d][%d] = %g, reference %g", i, k, y->data[i * 4 + k], want[i][k]);
    }

    /* Gradients of L = sum(seed * code) for every parameter. */
    float seed[8];
    for (int i = 0; i < 8; i++)
        seed[i] = (float)g_rand_double_range(r, -1, 1);
    g_assert_cmpint(cg_graph_backward_seeded(g, y, seed, &err), ==, CG_OK);
    float *grad = cg_params_grads(ps, &np);
    const double eps = 1e-6;
    double worst = 0;
    for (int64_t j = 0; j < np; j++) {
        double l[2];
        for (int side = 0; side < 2; side++) {
            double keep = p[j];
            p[j] += side ? -eps : eps;
            l[side] = 0;
            for (int i = 0; i < n; i++) {
                double code[4];
                ref_encoder(net, p, xd + (size_t)i * 3 * h * w, h, w, code);
                for (int k = 0; k < 4; k++)
                    l[side] += seed[i * 4 + k] * code[k];
            }
            p[j] = keep;
        }
        double numeric = (l[0] - l[1]) / (2 * eps), diff = fabs(grad[j] - numeric) / fmax(1, fabs(numeric));
        if (diff > 1e-3)
            g_error("parameter %lld: gradient %g, central difference %g", (long long)j, grad[j], numeric);
        worst = fmax(worst, diff);
    }
    g_test_message("largest relative gradient error %g over %lld parameters", worst, (long long)np);
    g_rand_free(r);
    g_free(p);
    g_free(xd);
    cg_graph_free(g);
    cg_net_free(net);
}

static void test_forward_and_gradients(void) { forward_and_gradients(ARCH); }

/* code_norm: each code standardised over its values. */
static void test_code_norm(void)
{
    forward_and_gradients("{\"type\": \"style_encoder\", \"width\": 2, \"layers\": 2, \"code\": 3, \"side\": 32, "
                          "\"code_norm\": true}");
}

/* A cond_instance generator takes any real style weights: a code, not only a
 * mix. Weights that do not sum to 1 change the output, and the weights get
 * gradients (they are how the encoder learns). */
static void test_generator_takes_codes(void)
{
    cg_error err = {0};
    cg_net *gen = cg_net_new("{\"type\": \"resnet\", \"width\": 4, \"downsamples\": 1, \"blocks\": 1, "
                             "\"norm\": \"cond_instance\", \"styles\": 4}",
                             &err);
    g_assert_nonnull(gen);
    cg_rng rng;
    cg_rng_seed(&rng, 3);
    g_assert_cmpint(cg_net_init(gen, &rng, false, &err), ==, CG_OK);
    int64_t np = 0;
    float *v = cg_params_values(cg_net_params(gen), &np);
    for (int64_t i = 0; i < np; i++)
        v[i] += 0.01f * (float)((i * 37) % 11 - 5);
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *x = cg_graph_tensor4(g, 1, 3, 8, 8);
    for (int64_t i = 0; i < x->size; i++)
        x->data[i] = (float)sin((double)i);
    const int64_t wd[2] = {1, 4};
    cg_tensor *code = cg_graph_tensor(g, 2, wd), *other = cg_graph_tensor(g, 2, wd);
    const float a[4] = {-1.5f, 0.25f, 2.0f, 1.0f}, b[4] = {0.5f, -0.75f, 0.0f, 1.0f};
    memcpy(code->data, a, sizeof a);
    memcpy(other->data, b, sizeof b);
    code->requires_grad = true;
    cg_tensor *ya = cg_net_forward(gen, g, x, code, NULL), *yb = cg_net_forward(gen, g, x, other, NULL);
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_OK);
    g_assert_cmpmem(ya->dim, sizeof ya->dim, yb->dim, sizeof yb->dim);
    g_assert_true(memcmp(ya->data, yb->data, (size_t)ya->size * sizeof(float)) != 0);
    g_assert_cmpint(cg_graph_backward(g, cg_mean(g, ya), &err), ==, CG_OK);
    g_assert_nonnull(code->grad);
    double norm = 0;
    for (int k = 0; k < 4; k++)
        norm += fabs(code->grad[k]);
    g_assert_cmpfloat(norm, >, 0);
    cg_graph_free(g);
    cg_net_free(gen);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nn/encoder/shapes_and_keys", test_shapes_and_keys);
    g_test_add_func("/nn/encoder/forward_and_gradients", test_forward_and_gradients);
    g_test_add_func("/nn/encoder/code_norm", test_code_norm);
    g_test_add_func("/nn/encoder/generator_takes_codes", test_generator_takes_codes);
    return g_test_run();
}
