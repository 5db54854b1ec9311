/* Post-processing: keep colours, palette, line weight, denoise, contrast. */
#include "fixture.h"

#include "comicgan/quality.h"

static double luma(const float *p)
{
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

static void test_keep_colors_identity(void)
{
    cg_image *a = fx_picture(70, 50, 1), *b = fx_copy(a), *out = fx_new(70, 50);
    g_assert_cmpint(cg_filter_keep_colors(a, b, out, NULL, NULL), ==, CG_OK);
    g_assert_true(fx_equal(out, a));
    /* in place, either input */
    g_assert_cmpint(cg_filter_keep_colors(a, b, b, NULL, NULL), ==, CG_OK);
    g_assert_true(fx_equal(b, a));
    fx_free(a);
    fx_free(b);
    fx_free(out);
}

/* Against Y'CbCr done by the book, in double, wherever the result fits. */
static void test_keep_colors_ycbcr(void)
{
    int w = 64, h = 48;
    cg_image *sty = fx_picture(w, h, 2), *orig = fx_new(w, h), *out = fx_new(w, h);
    uint64_t s = 4;
    for (size_t i = 0; i < (size_t)w * h; i++)
        for (int c = 0; c < 4; c++)
            orig->pixels[4 * i + c] = c == 3 ? 1.0f : fx_uniform(&s);
    g_assert_cmpint(cg_filter_keep_colors(sty, orig, out, NULL, NULL), ==, CG_OK);
    fx_assert_alpha_same(sty, out);
    fx_assert_range01(out);
    int inside = 0;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        const float *ps = sty->pixels + 4 * i, *po = orig->pixels + 4 * i,
                    *q = out->pixels + 4 * i;
        double ys = luma(ps), yo = luma(po);
        double cb = (po[2] - yo) / 1.772, cr = (po[0] - yo) / 1.402;
        double ref[3] = {ys + 1.402 * cr, ys - (0.299 * 1.402 / 0.587) * cr -
                                              (0.114 * 1.772 / 0.587) * cb,
                         ys + 1.772 * cb};
        int fits = 1;
        for (int c = 0; c < 3; c++)
            fits &= ref[c] >= 0.0 && ref[c] <= 1.0;
        /* luma always comes from the stylized image */
        g_assert_cmpfloat(fabs(luma(q) - fmin(1.0, fmax(0.0, ys))), <, 1e-5);
        if (fits) {
            inside++;
            for (int c = 0; c < 3; c++)
                g_assert_cmpfloat(fabs(q[c] - ref[c]), <, 1e-5);
        } else {
            /* out of gamut: same hue, less chroma */
            double t = -1.0;
            for (int c = 0; c < 3; c++) {
                double co = po[c] - yo, cq = q[c] - luma(q);
                if (fabs(co) > 1e-3) {
                    double tc = cq / co;
                    g_assert_cmpfloat(tc, >=, -1e-4);
                    g_assert_cmpfloat(tc, <=, 1.0 + 1e-4);
                    if (t >= 0.0)
                        g_assert_cmpfloat(fabs(tc - t), <, 2e-2);
                    t = tc;
                }
            }
        }
    }
    g_assert_cmpint(inside, >, w * h / 4);
    fx_free(sty);
    fx_free(orig);
    fx_free(out);
}

static void test_keep_colors_amount(void)
{
    cg_image *sty = fx_picture(30, 20, 7), *orig = fx_picture(30, 20, 8);
    cg_image *full = fx_new(30, 20), *none = fx_new(30, 20), *half = fx_new(30, 20);
    cg_keep_colors_params p = {.amount = 0.0f};
    g_assert_cmpint(cg_filter_keep_colors(sty, orig, none, &p, NULL), ==, CG_OK);
    g_assert_true(fx_equal(none, sty));
    p.amount = 1.0f;
    g_assert_cmpint(cg_filter_keep_colors(sty, orig, full, &p, NULL), ==, CG_OK);
    p.amount = 0.5f;
    g_assert_cmpint(cg_filter_keep_colors(sty, orig, half, &p, NULL), ==, CG_OK);
    for (size_t i = 0; i < 30 * 20 * 4; i++)
        g_assert_cmpfloat(fabsf(half->pixels[i] - 0.5f * (full->pixels[i] + sty->pixels[i])), <,
                          1e-6f);
    cg_error err = {0};
    p.amount = NAN;
    g_assert_cmpint(cg_filter_keep_colors(sty, orig, half, &p, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "amount"));
    cg_image *other = fx_new(30, 21);
    g_assert_cmpint(cg_filter_keep_colors(sty, other, half, NULL, &err), ==, CG_ERR_INVALID);
    fx_free(other);
    fx_free(sty);
    fx_free(orig);
    fx_free(full);
    fx_free(none);
    fx_free(half);
}

/* Direct grey-level dilation over the octagon the passes build: radius 1
 * is the plus, radius 2 the 5x5 without corners, and so on. */
static int in_octagon(int dx, int dy, int r)
{
    int pluses = (r + 1) / 2, squares = r / 2; /* passes alternate, plus first */
    return abs(dx) <= r && abs(dy) <= r && abs(dx) + abs(dy) <= 2 * squares + pluses;
}

static void test_line_weight_direct(void)
{
    int w = 33, h = 27;
    cg_image *in = fx_picture(w, h, 5), *out = fx_new(w, h);
    for (int r = -4; r <= 4; r++) {
        cg_line_weight_params p = {.radius = (float)r};
        g_assert_cmpint(cg_filter_line_weight(in, out, &p, NULL), ==, CG_OK);
        fx_assert_alpha_same(in, out);
        int ar = abs(r);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double best = luma(fx_px(in, x, y));
                for (int dy = -ar; dy <= ar; dy++)
                    for (int dx = -ar; dx <= ar; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (xx < 0 || yy < 0 || xx >= w || yy >= h || !in_octagon(dx, dy, ar))
                            continue;
                        double v = luma(fx_px(in, xx, yy));
                        best = r > 0 ? fmin(best, v) : fmax(best, v);
                    }
                g_assert_cmpfloat(fabs(luma(fx_px(out, x, y)) - best), <, 1e-6);
            }
    }
    fx_free(in);
    fx_free(out);
}

/* A one-pixel black line on white: radius 1 makes it three wide, radius
 * 0.5 adds half-grey sides, and thinning the thick line brings it back. */
static void test_line_weight_line(void)
{
    int w = 21, h = 9;
    cg_image *in = fx_square(w, h, 10, 0, 11, h, 0.0f, 1.0f), *out = fx_new(w, h);
    cg_line_weight_params p = {.radius = 1.0f};
    g_assert_cmpint(cg_filter_line_weight(in, out, &p, NULL), ==, CG_OK);
    for (int x = 0; x < w; x++)
        g_assert_cmpfloat(fx_px(out, x, 4)[0], ==, abs(x - 10) <= 1 ? 0.0f : 1.0f);
    p.radius = -1.0f;
    g_assert_cmpint(cg_filter_line_weight(out, out, &p, NULL), ==, CG_OK);
    g_assert_true(fx_equal(in, out));
    p.radius = 0.5f;
    g_assert_cmpint(cg_filter_line_weight(in, out, &p, NULL), ==, CG_OK);
    for (int x = 0; x < w; x++)
        g_assert_cmpfloat(fx_px(out, x, 4)[1], ==, x == 10 ? 0.0f : abs(x - 10) == 1 ? 0.5f : 1.0f);
    p.radius = 0.0f;
    g_assert_cmpint(cg_filter_line_weight(in, out, &p, NULL), ==, CG_OK);
    g_assert_true(fx_equal(in, out));
    fx_free(in);
    fx_free(out);
}

/* Thickening copies whole colours: every output colour is an input one. */
static void test_line_weight_colours(void)
{
    cg_image *in = fx_picture(24, 24, 3), *out = fx_new(24, 24);
    cg_line_weight_params p = {.radius = 2.0f};
    g_assert_cmpint(cg_filter_line_weight(in, out, &p, NULL), ==, CG_OK);
    for (int y = 0; y < 24; y++)
        for (int x = 0; x < 24; x++) {
            const float *q = fx_px(out, x, y);
            int found = 0;
            for (int dy = -2; dy <= 2 && !found; dy++)
                for (int dx = -2; dx <= 2 && !found; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= 24 || yy >= 24)
                        continue;
                    found = memcmp(q, fx_px(in, xx, yy), 3 * sizeof(float)) == 0;
                }
            g_assert_true(found);
        }
    cg_error err = {0};
    p.radius = NAN;
    g_assert_cmpint(cg_filter_line_weight(in, out, &p, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "radius"));
    fx_free(in);
    fx_free(out);
}

static void test_denoise(void)
{
    int n = 64;
    cg_image *in = fx_new(n, n), *out = fx_new(n, n), *half = fx_new(n, n);
    uint64_t s = 12;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            float *p = fx_px(in, x, y);
            float base = x < n / 2 ? 0.25f : 0.75f;
            for (int c = 0; c < 3; c++)
                p[c] = base + 0.06f * (fx_uniform(&s) - 0.5f);
            p[3] = 0.5f;
        }
    g_assert_cmpint(cg_filter_denoise(in, out, NULL, NULL), ==, CG_OK);
    double ein = 0.0, eout = 0.0;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            float base = x < n / 2 ? 0.25f : 0.75f;
            ein += pow(fx_px(in, x, y)[1] - base, 2);
            eout += pow(fx_px(out, x, y)[1] - base, 2);
        }
    g_test_message("noise energy %g -> %g", ein, eout);
    g_assert_cmpfloat(eout, <, 0.25 * ein); /* noise gone, edge kept */
    fx_assert_alpha_same(in, out);
    cg_denoise_params p = cg_denoise_defaults();
    p.strength = 0.5f;
    g_assert_cmpint(cg_filter_denoise(in, half, &p, NULL), ==, CG_OK);
    for (size_t i = 0; i < (size_t)n * n * 4; i++)
        g_assert_cmpfloat(fabsf(half->pixels[i] - 0.5f * (in->pixels[i] + out->pixels[i])), <,
                          1e-6f);
    p.strength = 0.0f;
    g_assert_cmpint(cg_filter_denoise(in, half, &p, NULL), ==, CG_OK);
    g_assert_true(fx_equal(in, half));
    cg_error err = {0};
    p = cg_denoise_defaults();
    p.sigma = NAN;
    g_assert_cmpint(cg_filter_denoise(in, half, &p, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "sigma"));
    fx_free(in);
    fx_free(out);
    fx_free(half);
}

static void test_contrast(void)
{
    cg_image *in = fx_picture(40, 30, 9), *out = fx_new(40, 30);
    cg_contrast_params p = {.factor = 1.0f, .pivot = CG_PIVOT_MID_GREY};
    g_assert_cmpint(cg_filter_contrast(in, out, &p, NULL), ==, CG_OK);
    g_assert_true(fx_equal(in, out));
    p.factor = 1.7f;
    g_assert_cmpint(cg_filter_contrast(in, out, &p, NULL), ==, CG_OK);
    for (size_t i = 0; i < 40 * 30; i++)
        for (int c = 0; c < 3; c++) {
            double want = fmin(1.0, fmax(0.0, 0.5 + 1.7 * (in->pixels[4 * i + c] - 0.5)));
            g_assert_cmpfloat(fabs(out->pixels[4 * i + c] - want), <, 1e-6);
        }
    fx_assert_alpha_same(in, out);
    /* around the alpha-weighted mean luma */
    double sy = 0.0, sa = 0.0;
    for (size_t i = 0; i < 40 * 30; i++) {
        sy += in->pixels[4 * i + 3] * luma(in->pixels + 4 * i);
        sa += in->pixels[4 * i + 3];
    }
    double mean = sy / sa;
    p = (cg_contrast_params){.factor = 0.5f, .pivot = CG_PIVOT_MEAN};
    g_assert_cmpint(cg_filter_contrast(in, out, &p, NULL), ==, CG_OK);
    for (size_t i = 0; i < 40 * 30; i++)
        for (int c = 0; c < 3; c++) {
            double want = mean + 0.5 * (in->pixels[4 * i + c] - mean);
            g_assert_cmpfloat(fabs(out->pixels[4 * i + c] - want), <, 1e-5);
        }
    cg_error err = {0};
    p.factor = NAN;
    g_assert_cmpint(cg_filter_contrast(in, out, &p, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "factor"));
    p = cg_contrast_defaults();
    p.pivot = (cg_contrast_pivot)5;
    g_assert_cmpint(cg_filter_contrast(in, out, &p, &err), ==, CG_ERR_INVALID);
    fx_free(in);
    fx_free(out);
}

/* The palette transfer: with amount 1 the output's Lab means and deviations
 * are the palette's (here another picture's, so the colours stay in sRGB);
 * with amount 0 the picture comes back through Lab unchanged; alpha is kept;
 * halfway, the figures are halfway. */
static void test_palette(void)
{
    cg_image *a = fx_picture(64, 48, 3), *b = fx_picture(64, 48, 9), *out = fx_new(64, 48);
    for (int i = 0; i < 64 * 48; i++)
        a->pixels[4 * i + 3] = (float)(i % 7) / 6.0f;
    double pa[6], pb[6], got[6];
    g_assert_cmpint(cg_quality_lab_stats(a, pa, NULL), ==, CG_OK);
    g_assert_cmpint(cg_quality_lab_stats(b, pb, NULL), ==, CG_OK);
    float palette[6];
    for (int k = 0; k < 6; k++)
        palette[k] = (float)pb[k];
    g_assert_cmpint(cg_filter_palette(a, out, palette, 1.0f, NULL), ==, CG_OK);
    g_assert_cmpint(cg_quality_lab_stats(out, got, NULL), ==, CG_OK);
    for (int k = 0; k < 6; k++)
        if (fabs(got[k] - pb[k]) > 0.5)
            g_error("palette value %d: %g, expected %g (the picture's own %g)", k, got[k], pb[k], pa[k]);
    for (int i = 0; i < 64 * 48; i++)
        g_assert_cmpfloat(out->pixels[4 * i + 3], ==, a->pixels[4 * i + 3]);
    g_assert_cmpint(cg_filter_palette(a, out, palette, 0.5f, NULL), ==, CG_OK);
    g_assert_cmpint(cg_quality_lab_stats(out, got, NULL), ==, CG_OK);
    for (int k = 0; k < 6; k++)
        if (fabs(got[k] - (pa[k] + pb[k]) / 2) > 0.5)
            g_error("halfway, palette value %d: %g, expected %g", k, got[k], (pa[k] + pb[k]) / 2);
    g_assert_cmpint(cg_filter_palette(a, out, palette, 0.0f, NULL), ==, CG_OK);
    for (int i = 0; i < 64 * 48 * 4; i++)
        g_assert_cmpfloat(fabsf(out->pixels[i] - a->pixels[i]), <, 1e-3f);
    /* in place */
    cg_image *c = fx_copy(a);
    g_assert_cmpint(cg_filter_palette(c, c, palette, 1.0f, NULL), ==, CG_OK);
    g_assert_cmpint(cg_filter_palette(a, out, palette, 1.0f, NULL), ==, CG_OK);
    g_assert_true(fx_equal(c, out));
    /* Out of Lab's range, amount out of [0, 1], NaN pixels: refused, out untouched. */
    cg_image *before = fx_copy(out);
    cg_error err = {0};
    palette[0] = 101;
    g_assert_cmpint(cg_filter_palette(a, out, palette, 1.0f, &err), ==, CG_ERR_INVALID);
    palette[0] = 50;
    palette[4] = -1;
    g_assert_cmpint(cg_filter_palette(a, out, palette, 1.0f, &err), ==, CG_ERR_INVALID);
    palette[4] = 10;
    g_assert_cmpint(cg_filter_palette(a, out, palette, 1.5f, &err), ==, CG_ERR_INVALID);
    a->pixels[5] = NAN;
    g_assert_cmpint(cg_filter_palette(a, out, palette, 1.0f, &err), ==, CG_ERR_NUMERIC);
    g_assert_true(fx_equal(out, before));
    fx_free(before);
    fx_free(c);
    fx_free(a);
    fx_free(b);
    fx_free(out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/filters/adjust/keep-colors-identity", test_keep_colors_identity);
    g_test_add_func("/filters/adjust/keep-colors-ycbcr", test_keep_colors_ycbcr);
    g_test_add_func("/filters/adjust/keep-colors-amount", test_keep_colors_amount);
    g_test_add_func("/filters/adjust/line-weight-direct", test_line_weight_direct);
    g_test_add_func("/filters/adjust/line-weight-line", test_line_weight_line);
    g_test_add_func("/filters/adjust/line-weight-colours", test_line_weight_colours);
    g_test_add_func("/filters/adjust/denoise", test_denoise);
    g_test_add_func("/filters/adjust/contrast", test_contrast);
    g_test_add_func("/filters/adjust/palette", test_palette);
    return g_test_run();
}
