/* Colour flattening: k-means quantisation and SLIC superpixels. */
#include "fixture.h"
#include "filters/plane.h"

static int distinct_colours(const cg_image *img, int limit)
{
    int n = 0;
    float seen[1024][3];
    for (size_t i = 0; i < (size_t)img->width * img->height; i++) {
        const float *p = img->pixels + 4 * i;
        int found = 0;
        for (int k = 0; k < n && !found; k++)
            found = seen[k][0] == p[0] && seen[k][1] == p[1] && seen[k][2] == p[2];
        if (!found) {
            if (n == limit)
                return n + 1;
            memcpy(seen[n++], p, 3 * sizeof(float));
        }
    }
    return n;
}

/* CIELAB straight from the definitions, in double. */
static void lab_ref(const float *rgb, double lab[3])
{
    double l[3];
    for (int c = 0; c < 3; c++) {
        double v = rgb[c];
        l[c] = v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
    }
    double X = (0.4124564 * l[0] + 0.3575761 * l[1] + 0.1804375 * l[2]) / 0.95047;
    double Y = 0.2126729 * l[0] + 0.7151522 * l[1] + 0.0721750 * l[2];
    double Z = (0.0193339 * l[0] + 0.1191920 * l[1] + 0.9503041 * l[2]) / 1.08883;
    double t0 = pow(6.0 / 29.0, 3.0);
    double f[3], in[3] = {X, Y, Z};
    for (int c = 0; c < 3; c++)
        f[c] = in[c] > t0 ? cbrt(in[c]) : in[c] / (3.0 * pow(6.0 / 29.0, 2.0)) + 4.0 / 29.0;
    lab[0] = 116.0 * f[1] - 16.0;
    lab[1] = 500.0 * (f[0] - f[1]);
    lab[2] = 200.0 * (f[1] - f[2]);
}

static void test_lab(void)
{
    cgf_srgb_lut lut;
    cgf_srgb_lut_init(&lut);
    uint64_t s = 17;
    double worst = 0.0;
    for (int t = 0; t < 100000; t++) {
        float rgb[3] = {fx_uniform(&s), fx_uniform(&s), fx_uniform(&s)};
        if (t < 8) /* the cube's corners */
            for (int c = 0; c < 3; c++)
                rgb[c] = (float)((t >> c) & 1);
        float lab[3];
        double ref[3];
        cgf_lab(&lut, rgb, lab);
        lab_ref(rgb, ref);
        for (int c = 0; c < 3; c++)
            worst = fmax(worst, fabs(lab[c] - ref[c]));
    }
    g_test_message("worst Lab error %g", worst);
    g_assert_cmpfloat(worst, <, 0.01);
}

static void test_at_most_k(void)
{
    cg_image *in = fx_picture(120, 90, 4), *out = fx_new(120, 90);
    for (int k = 2; k <= 24; k += 3) {
        cg_quantize_params p = cg_quantize_defaults();
        p.colors = k;
        g_assert_cmpint(cg_filter_quantize(in, out, &p, NULL), ==, CG_OK);
        int n = distinct_colours(out, 1000);
        g_test_message("K=%d: %d colours", k, n);
        g_assert_cmpint(n, <=, k);
        g_assert_cmpint(n, >=, k / 2); /* a busy picture uses most of them */
        fx_assert_alpha_same(in, out);
        fx_assert_range01(out);
    }
    fx_free(in);
    fx_free(out);
}

static void test_deterministic(void)
{
    /* larger than the sample count, so sampling is exercised */
    cg_image *in = fx_picture(300, 260, 5), *a = fx_new(300, 260), *b = fx_new(300, 260);
    cg_quantize_params p = cg_quantize_defaults();
    p.samples = 4096;
    for (uint64_t seed = 1; seed < 4; seed++) {
        p.seed = seed;
        g_assert_cmpint(cg_filter_quantize(in, a, &p, NULL), ==, CG_OK);
        g_assert_cmpint(cg_filter_quantize(in, b, &p, NULL), ==, CG_OK);
        g_assert_true(fx_equal(a, b));
    }
    fx_free(in);
    fx_free(a);
    fx_free(b);
}

/* Four well-separated colours with light noise: K = 4 must find them. */
static void test_recovers_clusters(void)
{
    static const float pal[4][3] = {
        {0.9f, 0.1f, 0.1f}, {0.1f, 0.7f, 0.2f}, {0.2f, 0.2f, 0.9f}, {0.95f, 0.9f, 0.3f}};
    int w = 80, h = 60;
    cg_image *in = fx_new(w, h), *out = fx_new(w, h);
    uint64_t s = 8;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int k = (x < w / 2) + 2 * (y < h / 2);
            float *p = fx_px(in, x, y);
            for (int c = 0; c < 3; c++)
                p[c] = pal[k][c] + 0.04f * (fx_uniform(&s) - 0.5f);
            p[3] = 1.0f;
        }
    cg_quantize_params p = cg_quantize_defaults();
    p.colors = 4;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        p.seed = seed;
        g_assert_cmpint(cg_filter_quantize(in, out, &p, NULL), ==, CG_OK);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int k = (x < w / 2) + 2 * (y < h / 2);
                for (int c = 0; c < 3; c++)
                    g_assert_cmpfloat(fabsf(fx_px(out, x, y)[c] - pal[k][c]), <, 0.01f);
            }
    }
    fx_free(in);
    fx_free(out);
}

/* Fewer colours than K: each comes back exactly, nothing invented. */
static void test_few_colours_exact(void)
{
    cg_image *in = fx_square(40, 30, 10, 5, 30, 25, 0.25f, 0.75f), *out = fx_new(40, 30);
    fx_px(in, 0, 0)[0] = 1.0f;
    cg_quantize_params p = cg_quantize_defaults();
    p.colors = 8;
    g_assert_cmpint(cg_filter_quantize(in, out, &p, NULL), ==, CG_OK);
    g_assert_true(fx_equal(in, out));
    fx_free(in);
    fx_free(out);
}

static void test_transparent_ignored(void)
{
    /* Half the layer is transparent junk of a third colour: the palette
     * of two must be spent on the visible colours. */
    cg_image *in = fx_square(40, 40, 0, 0, 20, 40, 0.2f, 0.8f), *out = fx_new(40, 40);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 40; x++) {
            float *p = fx_px(in, x, y);
            if (y >= 20) {
                p[0] = 1.0f;
                p[1] = 0.0f;
                p[2] = 1.0f;
                p[3] = 0.0f;
            }
        }
    cg_quantize_params p = cg_quantize_defaults();
    p.colors = 2;
    g_assert_cmpint(cg_filter_quantize(in, out, &p, NULL), ==, CG_OK);
    g_assert_cmpfloat(fx_px(out, 5, 5)[0], ==, 0.2f);
    g_assert_cmpfloat(fx_px(out, 35, 5)[0], ==, 0.8f);
    fx_assert_alpha_same(in, out);
    fx_free(in);
    fx_free(out);
}

static void test_slic(void)
{
    int w = 96, h = 64;
    cg_image *in = fx_picture(w, h, 2), *out = fx_new(w, h), *again = fx_new(w, h);
    cg_slic_params p = cg_slic_defaults();
    p.region_size = 12;
    g_assert_cmpint(cg_filter_slic(in, out, &p, NULL), ==, CG_OK);
    g_assert_cmpint(cg_filter_slic(in, again, &p, NULL), ==, CG_OK);
    g_assert_true(fx_equal(out, again));
    fx_assert_alpha_same(in, out);
    fx_assert_range01(out);
    int grid = (w / 12) * (h / 12), n = distinct_colours(out, 1000);
    g_test_message("%d superpixel colours for a %d grid", n, grid);
    g_assert_cmpint(n, >=, grid / 3);
    g_assert_cmpint(n, <=, 2 * grid);
    fx_free(in);
    fx_free(out);
    fx_free(again);
}

/* Superpixels do not cross a strong edge: a two-colour image comes back. */
static void test_slic_edge(void)
{
    cg_image *in = fx_new(64, 48), *out = fx_new(64, 48);
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++) {
            float *p = fx_px(in, x, y);
            int left = x < 27 + y / 4; /* a slanted boundary */
            p[0] = left ? 0.9f : 0.1f;
            p[1] = 0.2f;
            p[2] = left ? 0.1f : 0.8f;
            p[3] = 1.0f;
        }
    g_assert_cmpint(cg_filter_slic(in, out, NULL, NULL), ==, CG_OK);
    g_assert_true(fx_equal(in, out));
    fx_free(in);
    fx_free(out);
}

static void test_bad_params(void)
{
    cg_image *in = fx_picture(8, 8, 1), *out = fx_new(8, 8);
    cg_error err = {0};
    cg_quantize_params q = cg_quantize_defaults();
    q.colors = 1;
    g_assert_cmpint(cg_filter_quantize(in, out, &q, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "colors"));
    q = cg_quantize_defaults();
    q.iterations = 0;
    g_assert_cmpint(cg_filter_quantize(in, out, &q, &err), ==, CG_ERR_INVALID);
    q = cg_quantize_defaults();
    q.samples = 10;
    g_assert_cmpint(cg_filter_quantize(in, out, &q, &err), ==, CG_ERR_INVALID);
    cg_slic_params s = cg_slic_defaults();
    s.compactness = NAN;
    g_assert_cmpint(cg_filter_slic(in, out, &s, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "compactness"));
    s = cg_slic_defaults();
    s.region_size = 2;
    g_assert_cmpint(cg_filter_slic(in, out, &s, &err), ==, CG_ERR_INVALID);
    fx_free(in);
    fx_free(out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/filters/quantize/lab", test_lab);
    g_test_add_func("/filters/quantize/at-most-k", test_at_most_k);
    g_test_add_func("/filters/quantize/deterministic", test_deterministic);
    g_test_add_func("/filters/quantize/recovers-clusters", test_recovers_clusters);
    g_test_add_func("/filters/quantize/few-colours-exact", test_few_colours_exact);
    g_test_add_func("/filters/quantize/transparent-ignored", test_transparent_ignored);
    g_test_add_func("/filters/quantize/slic", test_slic);
    g_test_add_func("/filters/quantize/slic-edge", test_slic_edge);
    g_test_add_func("/filters/quantize/bad-params", test_bad_params);
    return g_test_run();
}
