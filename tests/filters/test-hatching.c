/* Pencil hatching: paper stays white, tone follows darkness, strokes follow
 * their direction, and the seed alone decides the wobble. */
#include "fixture.h"

static double darkness(const cg_image *img)
{
    double s = 0.0;
    size_t n = (size_t)img->width * img->height;
    for (size_t i = 0; i < n; i++)
        s += 1.0 - img->pixels[4 * i];
    return s / n;
}

static cg_image *run(const cg_image *in, const cg_hatching_params *p)
{
    cg_image *out = fx_new(in->width, in->height);
    g_assert_cmpint(cg_filter_hatching(in, out, p, NULL), ==, CG_OK);
    return out;
}

static void test_white_paper(void)
{
    cg_image *in = fx_square(50, 40, 0, 0, 0, 0, 0.0f, 1.0f);
    cg_hatching_params p = cg_hatching_defaults();
    cg_image *out = run(in, &p);
    for (size_t i = 0; i < 50 * 40; i++)
        g_assert_cmpfloat(out->pixels[4 * i], ==, 1.0f);
    fx_free(out);
    /* light greys up to the white threshold too */
    fx_free(in);
    in = fx_square(50, 40, 0, 0, 0, 0, 0.0f, 1.0f - p.white + 0.01f);
    out = run(in, &p);
    g_assert_cmpfloat(darkness(out), ==, 0.0);
    fx_free(out);
    fx_free(in);
}

/* Unbroken, unjittered strokes form a line screen whose ink covers the
 * share of the area the darkness asks for: stroke width is darkness times
 * spacing, and the mean is (1 - pencil) times that. */
static void test_line_screen_reference(void)
{
    cg_hatching_params p = cg_hatching_defaults();
    p.directions = 1;
    p.stroke = 0.0f;
    p.jitter = 0.0f;
    p.blur = 0.0f;
    p.angle = 30.0f;
    for (int g = 0; g <= 10; g++) {
        float grey = g / 10.0f;
        cg_image *in = fx_square(120, 120, 0, 0, 0, 0, 0.0f, grey), *out = run(in, &p);
        double d = fmax(0.0, (1.0 - grey - p.white) / (1.0 - p.white));
        double want = (1.0 - p.pencil) * d;
        g_test_message("grey %.1f: darkness %.3f, want %.3f", grey, darkness(out), want);
        g_assert_cmpfloat(fabs(darkness(out) - want), <, 0.01);
        fx_free(in);
        fx_free(out);
    }
}

static void test_monotone(void)
{
    cg_hatching_params p = cg_hatching_defaults();
    double last = -1.0;
    for (int g = 100; g >= 0; g -= 5) {
        cg_image *in = fx_square(96, 96, 0, 0, 0, 0, 0.0f, g / 100.0f), *out = run(in, &p);
        double d = darkness(out);
        g_assert_cmpfloat(d, >=, last - 0.005); /* dash layout noise */
        last = d;
        for (size_t i = 0; i < 96 * 96; i++) {
            const float *q = out->pixels + 4 * i;
            g_assert_true(q[0] >= p.pencil * p.pencil - 1e-6f && q[0] <= 1.0f);
            g_assert_true(q[1] == q[0] && q[2] == q[0]);
        }
        fx_free(in);
        fx_free(out);
    }
    g_assert_cmpfloat(last, >, 0.6);
}

/* angle 0: across = x, so unbroken unjittered strokes are columns. */
static void test_direction(void)
{
    cg_hatching_params p = cg_hatching_defaults();
    p.directions = 1;
    p.stroke = 0.0f;
    p.jitter = 0.0f;
    p.angle = 0.0f;
    cg_image *in = fx_square(40, 30, 0, 0, 0, 0, 0.0f, 0.4f), *out = run(in, &p);
    int inked = 0;
    for (int x = 0; x < 40; x++) {
        for (int y = 1; y < 30; y++)
            g_assert_cmpfloat(fx_px(out, x, y)[0], ==, fx_px(out, x, 0)[0]);
        inked += fx_px(out, x, 0)[0] < 1.0f;
    }
    g_assert_cmpint(inked, >, 0);
    g_assert_cmpint(inked, <, 40);
    fx_free(in);
    fx_free(out);
}

static void test_seed(void)
{
    cg_image *in = fx_picture(80, 60, 2);
    cg_hatching_params p = cg_hatching_defaults();
    cg_image *a = run(in, &p), *b = run(in, &p);
    g_assert_true(fx_equal(a, b));
    p.seed = 99;
    cg_image *c = run(in, &p);
    g_assert_false(fx_equal(a, c));
    fx_assert_alpha_same(in, c);
    fx_free(in);
    fx_free(a);
    fx_free(b);
    fx_free(c);
}

static void test_bad_params(void)
{
    cg_image *in = fx_picture(8, 8, 1), *out = fx_new(8, 8);
    cg_error err = {0};
    const char *names[] = {"spacing", "angle", "cross_angle", "white", "stroke",
                           "blur",    "jitter", "pencil"};
    for (int f = 0; f < 8; f++) {
        cg_hatching_params p = cg_hatching_defaults();
        float *field[] = {&p.spacing, &p.angle, &p.cross_angle, &p.white,
                          &p.stroke,  &p.blur,  &p.jitter,      &p.pencil};
        *field[f] = NAN;
        g_assert_cmpint(cg_filter_hatching(in, out, &p, &err), ==, CG_ERR_INVALID);
        g_assert_nonnull(strstr(err.message, names[f]));
    }
    cg_hatching_params p = cg_hatching_defaults();
    p.directions = 3;
    g_assert_cmpint(cg_filter_hatching(in, out, &p, &err), ==, CG_ERR_INVALID);
    p = cg_hatching_defaults();
    p.pencil = 1.0f;
    g_assert_cmpint(cg_filter_hatching(in, out, &p, &err), ==, CG_ERR_INVALID);
    fx_free(in);
    fx_free(out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/filters/hatching/white-paper", test_white_paper);
    g_test_add_func("/filters/hatching/line-screen", test_line_screen_reference);
    g_test_add_func("/filters/hatching/monotone", test_monotone);
    g_test_add_func("/filters/hatching/direction", test_direction);
    g_test_add_func("/filters/hatching/seed", test_seed);
    g_test_add_func("/filters/hatching/bad-params", test_bad_params);
    return g_test_run();
}
