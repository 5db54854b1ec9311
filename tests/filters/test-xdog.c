/* XDoG ink lines against a direct-convolution reference, plus the shapes it
 * must draw. */
#include "fixture.h"
#include "filters/plane.h"

static double direct_gauss(const double *v, int w, int h, int x, int y, double sg)
{
    int R = (int)ceil(3.0 * sg);
    R = R < 1 ? 1 : R;
    double acc = 0.0, norm = 0.0;
    for (int j = -R; j <= R; j++)
        for (int i = -R; i <= R; i++) {
            double g = exp(-0.5 * (i * i + j * j) / (sg * sg));
            acc += g * v[cgf_mirror(y + j, h) * w + cgf_mirror(x + i, w)];
            norm += g;
        }
    return acc / norm;
}

static void test_against_naive(void)
{
    int w = 45, h = 38;
    cg_image *in = fx_picture(w, h, 6), *out = fx_new(w, h);
    double *Y = g_new(double, w * h);
    for (int i = 0; i < w * h; i++) {
        const float *p = in->pixels + 4 * i;
        Y[i] = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    }
    cg_xdog_params cases[] = {cg_xdog_defaults(), cg_xdog_defaults(), cg_xdog_defaults()};
    cases[1].sigma = 2.0f;
    cases[1].p = 10.0f;
    cases[1].epsilon = 0.4f;
    cases[1].phi = 5.0f;
    cases[2].sigma = 0.7f;
    cases[2].k = 3.0f;
    cases[2].hard = true;
    for (size_t t = 0; t < G_N_ELEMENTS(cases); t++) {
        const cg_xdog_params *p = &cases[t];
        g_assert_cmpint(cg_filter_xdog(in, out, p, NULL), ==, CG_OK);
        int mismatched = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double s = (1.0 + p->p) * direct_gauss(Y, w, h, x, y, p->sigma) -
                           p->p * direct_gauss(Y, w, h, x, y, (double)p->sigma * p->k);
                double ref = s >= p->epsilon ? 1.0
                             : p->hard      ? 0.0
                                            : 1.0 + tanh(p->phi * (s - p->epsilon));
                float got = fx_px(out, x, y)[0];
                g_assert_cmpfloat(fx_px(out, x, y)[1], ==, got);
                g_assert_cmpfloat(fx_px(out, x, y)[2], ==, got);
                if (p->hard && fabs(s - p->epsilon) < 1e-4)
                    continue; /* too close to call */
                if (fabs(got - ref) > 2e-4) {
                    g_test_message("case %zu (%d,%d): %g vs %g (S %g)", t, x, y, (double)got,
                                   ref, s);
                    mismatched++;
                }
            }
        g_assert_cmpint(mismatched, ==, 0);
    }
    fx_assert_alpha_same(in, out);
    g_free(Y);
    fx_free(in);
    fx_free(out);
}

static void test_hard_is_binary(void)
{
    cg_image *in = fx_picture(64, 48, 3), *out = fx_new(64, 48);
    cg_xdog_params p = cg_xdog_defaults();
    p.hard = true;
    p.epsilon = 0.3f; /* so some flat dark areas fill too */
    g_assert_cmpint(cg_filter_xdog(in, out, &p, NULL), ==, CG_OK);
    int black = 0;
    for (size_t i = 0; i < 64 * 48; i++) {
        float v = out->pixels[4 * i];
        g_assert_true(v == 0.0f || v == 1.0f);
        black += v == 0.0f;
    }
    g_assert_cmpint(black, >, 0);
    g_assert_cmpint(black, <, 64 * 48);
    fx_free(in);
    fx_free(out);
}

/* A dark square on light grey: a closed outline, a clean interior, clean
 * surroundings. Also the reverse contrast. */
static void test_square_outline(void)
{
    int n = 96, a = 32, b = 64;
    for (int inverse = 0; inverse < 2; inverse++) {
        cg_image *in = fx_square(n, n, a, a, b, b, inverse ? 0.85f : 0.2f,
                                 inverse ? 0.15f : 0.9f);
        cg_image *out = fx_new(n, n);
        cg_xdog_params p = cg_xdog_defaults();
        p.hard = true;
        g_assert_cmpint(cg_filter_xdog(in, out, &p, NULL), ==, CG_OK);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++) {
                int dist_in = MIN(MIN(x - a, b - 1 - x), MIN(y - a, b - 1 - y));
                int dist_out = MAX(MAX(a - x, x - (b - 1)), MAX(a - y, y - (b - 1)));
                float v = fx_px(out, x, y)[0];
                if (dist_in >= 4 || dist_out >= 5) /* interior, far outside */
                    g_assert_cmpfloat(v, ==, 1.0f);
            }
        /* Every point of the boundary has ink within 2 pixels. */
        for (int t = a; t < b; t++) {
            int pts[4][2] = {{t, a}, {t, b - 1}, {a, t}, {b - 1, t}};
            for (int k = 0; k < 4; k++) {
                int inked = 0;
                for (int dy = -2; dy <= 2; dy++)
                    for (int dx = -2; dx <= 2; dx++)
                        inked |= fx_px(out, pts[k][0] + dx, pts[k][1] + dy)[0] == 0.0f;
                g_assert_true(inked);
            }
        }
        fx_free(in);
        fx_free(out);
    }
}

/* Lines only: flat areas of any grey stay white with the defaults. */
static void test_flat_is_white(void)
{
    for (int g = 0; g <= 10; g++) {
        cg_image *in = fx_square(20, 20, 0, 0, 0, 0, 0.0f, g / 10.0f), *out = fx_new(20, 20);
        g_assert_cmpint(cg_filter_xdog(in, out, NULL, NULL), ==, CG_OK);
        for (size_t i = 0; i < 20 * 20; i++)
            g_assert_cmpfloat(out->pixels[4 * i], ==, 1.0f);
        fx_free(in);
        fx_free(out);
    }
}

static void test_bad_params(void)
{
    cg_image *in = fx_picture(8, 8, 1), *out = fx_new(8, 8);
    cg_error err = {0};
    const char *names[] = {"sigma", "k", "p", "epsilon", "phi"};
    for (int f = 0; f < 5; f++) {
        cg_xdog_params p = cg_xdog_defaults();
        float *field[] = {&p.sigma, &p.k, &p.p, &p.epsilon, &p.phi};
        *field[f] = NAN;
        g_assert_cmpint(cg_filter_xdog(in, out, &p, &err), ==, CG_ERR_INVALID);
        g_assert_nonnull(strstr(err.message, names[f]));
    }
    cg_xdog_params p = cg_xdog_defaults();
    p.k = 1.0f;
    g_assert_cmpint(cg_filter_xdog(in, out, &p, &err), ==, CG_ERR_INVALID);
    p = cg_xdog_defaults();
    p.sigma = 30.0f;
    p.k = 5.0f; /* outer sigma past the blur's limit */
    g_assert_cmpint(cg_filter_xdog(in, out, &p, &err), ==, CG_ERR_INVALID);
    fx_free(in);
    fx_free(out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/filters/xdog/naive", test_against_naive);
    g_test_add_func("/filters/xdog/hard-binary", test_hard_is_binary);
    g_test_add_func("/filters/xdog/square-outline", test_square_outline);
    g_test_add_func("/filters/xdog/flat-white", test_flat_is_white);
    g_test_add_func("/filters/xdog/bad-params", test_bad_params);
    return g_test_run();
}
