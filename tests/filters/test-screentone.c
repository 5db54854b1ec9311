/* Screentone: pure black and white, coverage monotone in darkness, and the
 * coverage the parameters ask for. */
#include "fixture.h"

static double darkness(const cg_image *img)
{
    double s = 0.0;
    size_t n = (size_t)img->width * img->height;
    for (size_t i = 0; i < n; i++)
        s += 1.0 - img->pixels[4 * i];
    return s / n;
}

static void test_binary_grey(void)
{
    cg_image *in = fx_picture(90, 70, 12), *out = fx_new(90, 70);
    g_assert_cmpint(cg_filter_screentone(in, out, NULL, NULL), ==, CG_OK);
    for (size_t i = 0; i < 90 * 70; i++) {
        const float *p = out->pixels + 4 * i;
        g_assert_true(p[0] == 0.0f || p[0] == 1.0f);
        g_assert_true(p[1] == p[0] && p[2] == p[0]);
    }
    fx_assert_alpha_same(in, out);
    fx_free(in);
    fx_free(out);
}

/* Continuous screens (tones 0) at several angles and cells: mean darkness
 * never decreases as the grey darkens, and tracks the requested coverage;
 * pixel by pixel, black stays black as the grey darkens. */
static void test_monotone(void)
{
    int n = 120;
    float angles[] = {0.0f, 15.0f, 45.0f, 73.0f};
    float cells[] = {3.0f, 5.0f, 8.5f};
    for (size_t a = 0; a < G_N_ELEMENTS(angles); a++)
        for (size_t c = 0; c < G_N_ELEMENTS(cells); c++) {
            cg_screentone_params p = cg_screentone_defaults();
            p.tones = 0;
            p.white = 0.0f;
            p.black = 1.0f;
            p.blur = 0.0f;
            p.angle = angles[a];
            p.cell = cells[c];
            cg_image *prev = NULL;
            double last = -1.0;
            for (int g = 100; g >= 0; g -= 2) {
                float grey = g / 100.0f;
                cg_image *in = fx_square(n, n, 0, 0, 0, 0, 0.0f, grey), *out = fx_new(n, n);
                g_assert_cmpint(cg_filter_screentone(in, out, &p, NULL), ==, CG_OK);
                double d = darkness(out);
                g_assert_cmpfloat(d, >=, last);
                /* a cell of c x c pixels can only show c^2 + 1 coverages */
                g_assert_cmpfloat(fabs(d - (1.0 - grey)), <, 0.025 + 0.5 / (p.cell * p.cell));
                if (prev)
                    for (size_t i = 0; i < (size_t)n * n; i++)
                        if (prev->pixels[4 * i] == 0.0f)
                            g_assert_cmpfloat(out->pixels[4 * i], ==, 0.0f);
                last = d;
                fx_free(prev);
                prev = out;
                fx_free(in);
            }
            fx_free(prev);
        }
}

/* Quantised tones: white above the white threshold, solid black below the
 * black one, the screens in between at their coverage, nothing else. */
static void test_tones(void)
{
    int n = 100;
    cg_screentone_params p = cg_screentone_defaults();
    p.blur = 0.0f;
    double last = -1.0;
    for (int g = 100; g >= 0; g--) {
        float grey = g / 100.0f, d = 1.0f - grey;
        cg_image *in = fx_square(n, n, 0, 0, 0, 0, 0.0f, grey), *out = fx_new(n, n);
        g_assert_cmpint(cg_filter_screentone(in, out, &p, NULL), ==, CG_OK);
        double got = darkness(out), want;
        if (d <= p.white + 1e-6f)
            want = 0.0;
        else if (d >= p.black - 1e-6f)
            want = 1.0;
        else {
            int j = 1 + (int)((d - p.white) / (p.black - p.white) * p.tones);
            want = p.max_tone * MIN(j, p.tones) / p.tones;
        }
        if (fabsf(d - p.white) > 1e-3f && fabsf(d - p.black) > 1e-3f &&
            fabsf(d - (p.white + p.black) / 2) > 1e-3f) { /* off the bin edges */
            g_assert_cmpfloat(fabs(got - want), <, 0.03);
            if (want == 0.0 || want == 1.0)
                g_assert_cmpfloat(got, ==, want);
        }
        g_assert_cmpfloat(got, >=, last);
        last = got;
        fx_free(in);
        fx_free(out);
    }
}

/* The dots repeat with the cell period along the screen's axes. */
static void test_period(void)
{
    int n = 64;
    cg_screentone_params p = cg_screentone_defaults();
    p.tones = 0;
    p.white = 0.0f;
    p.black = 1.0f;
    p.blur = 0.0f;
    p.angle = 0.0f;
    p.cell = 8.0f;
    cg_image *in = fx_square(n, n, 0, 0, 0, 0, 0.0f, 0.7f), *out = fx_new(n, n);
    g_assert_cmpint(cg_filter_screentone(in, out, &p, NULL), ==, CG_OK);
    for (int y = 0; y < n - 8; y++)
        for (int x = 0; x < n - 8; x++) {
            g_assert_cmpfloat(fx_px(out, x, y)[0], ==, fx_px(out, x + 8, y)[0]);
            g_assert_cmpfloat(fx_px(out, x, y)[0], ==, fx_px(out, x, y + 8)[0]);
        }
    /* a dot is centred in its cell: the centre is black, the corners white */
    g_assert_cmpfloat(fx_px(out, 4, 4)[0], ==, 0.0f);
    g_assert_cmpfloat(fx_px(out, 0, 0)[0], ==, 1.0f);
    fx_free(in);
    fx_free(out);
}

static void test_bad_params(void)
{
    cg_image *in = fx_picture(8, 8, 1), *out = fx_new(8, 8);
    cg_error err = {0};
    const char *names[] = {"cell", "angle", "white", "black", "max_tone", "blur"};
    for (int f = 0; f < 6; f++) {
        cg_screentone_params p = cg_screentone_defaults();
        float *field[] = {&p.cell, &p.angle, &p.white, &p.black, &p.max_tone, &p.blur};
        *field[f] = NAN;
        g_assert_cmpint(cg_filter_screentone(in, out, &p, &err), ==, CG_ERR_INVALID);
        g_assert_nonnull(strstr(err.message, names[f]));
    }
    cg_screentone_params p = cg_screentone_defaults();
    p.black = p.white;
    g_assert_cmpint(cg_filter_screentone(in, out, &p, &err), ==, CG_ERR_INVALID);
    p = cg_screentone_defaults();
    p.tones = 17;
    g_assert_cmpint(cg_filter_screentone(in, out, &p, &err), ==, CG_ERR_INVALID);
    p = cg_screentone_defaults();
    p.cell = 1.0f;
    g_assert_cmpint(cg_filter_screentone(in, out, &p, &err), ==, CG_ERR_INVALID);
    fx_free(in);
    fx_free(out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/filters/screentone/binary-grey", test_binary_grey);
    g_test_add_func("/filters/screentone/monotone", test_monotone);
    g_test_add_func("/filters/screentone/tones", test_tones);
    g_test_add_func("/filters/screentone/period", test_period);
    g_test_add_func("/filters/screentone/bad-params", test_bad_params);
    return g_test_run();
}
