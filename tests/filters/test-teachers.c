/* The manga, cel and anime teachers. */
#include "fixture.h"

static void test_manga_black_white(void)
{
    cg_image *in = fx_picture(96, 72, 21), *out = fx_new(96, 72);
    g_assert_cmpint(cg_filter_manga(in, out, NULL, NULL), ==, CG_OK);
    int black = 0;
    for (size_t i = 0; i < 96 * 72; i++) {
        const float *p = out->pixels + 4 * i;
        g_assert_true(p[0] == 0.0f || p[0] == 1.0f);
        g_assert_true(p[1] == p[0] && p[2] == p[0]); /* no colour cast */
        black += p[0] == 0.0f;
    }
    g_assert_cmpint(black, >, 96 * 72 / 20);
    g_assert_cmpint(black, <, 96 * 72 * 19 / 20);
    fx_assert_alpha_same(in, out);
    /* a soft-line request is made hard */
    cg_manga_params p = cg_manga_defaults();
    p.lines.hard = false;
    g_assert_cmpint(cg_filter_manga(in, out, &p, NULL), ==, CG_OK);
    for (size_t i = 0; i < 96 * 72; i++)
        g_assert_true(out->pixels[4 * i] == 0.0f || out->pixels[4 * i] == 1.0f);
    fx_free(in);
    fx_free(out);
}

/* White paper stays white, solid black stays black, and a dark square on
 * light grey gets an outline with screen dots inside. */
static void test_manga_shapes(void)
{
    cg_image *white = fx_square(40, 40, 0, 0, 0, 0, 0.0f, 1.0f), *out = fx_new(40, 40);
    g_assert_cmpint(cg_filter_manga(white, out, NULL, NULL), ==, CG_OK);
    for (size_t i = 0; i < 40 * 40; i++)
        g_assert_cmpfloat(out->pixels[4 * i], ==, 1.0f);
    cg_image *black = fx_square(40, 40, 0, 0, 0, 0, 0.0f, 0.0f);
    g_assert_cmpint(cg_filter_manga(black, out, NULL, NULL), ==, CG_OK);
    for (size_t i = 0; i < 40 * 40; i++)
        g_assert_cmpfloat(out->pixels[4 * i], ==, 0.0f);
    fx_free(out);

    int n = 96;
    cg_image *sq = fx_square(n, n, 32, 32, 64, 64, 0.45f, 0.95f);
    out = fx_new(n, n);
    g_assert_cmpint(cg_filter_manga(sq, out, NULL, NULL), ==, CG_OK);
    int inside_black = 0, inside = 0, outside_black = 0;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            int in_core = x >= 38 && x < 58 && y >= 38 && y < 58;
            int far = x < 24 || x >= 72 || y < 24 || y >= 72;
            float v = fx_px(out, x, y)[0];
            if (in_core) {
                inside++;
                inside_black += v == 0.0f;
            }
            if (far)
                outside_black += v == 0.0f;
        }
    g_assert_cmpint(outside_black, ==, 0);
    g_assert_cmpfloat((double)inside_black / inside, >, 0.1);  /* a screen ... */
    g_assert_cmpfloat((double)inside_black / inside, <, 0.6);  /* ... not a fill */
    for (int t = 34; t < 62; t++) { /* the outline: ink within 2 px of each side */
        int pts[4][2] = {{t, 32}, {t, 63}, {32, t}, {63, t}};
        for (int k = 0; k < 4; k++) {
            int inked = 0;
            for (int d = -2; d <= 2; d++)
                for (int e = -2; e <= 2; e++)
                    inked |= fx_px(out, pts[k][0] + d, pts[k][1] + e)[0] == 0.0f;
            g_assert_true(inked);
        }
    }
    fx_free(white);
    fx_free(black);
    fx_free(sq);
    fx_free(out);
}

static int distinct(const cg_image *img)
{
    int n = 0;
    float seen[300][3];
    for (size_t i = 0; i < (size_t)img->width * img->height; i++) {
        const float *p = img->pixels + 4 * i;
        int found = 0;
        for (int k = 0; k < n && !found; k++)
            found = memcmp(seen[k], p, 3 * sizeof(float)) == 0;
        if (!found) {
            if (n == 300)
                return n + 1;
            memcpy(seen[n++], p, 3 * sizeof(float));
        }
    }
    return n;
}

static void test_cel(void)
{
    int w = 96, h = 72;
    cg_image *in = fx_picture(w, h, 22), *flat = fx_new(w, h), *out = fx_new(w, h);
    cg_cel_params p = cg_cel_defaults();
    p.line_strength = 0.0f;
    g_assert_cmpint(cg_filter_cel(in, flat, &p, NULL), ==, CG_OK);
    g_assert_cmpint(distinct(flat), <=, p.flatten.colors);
    p = cg_cel_defaults();
    g_assert_cmpint(cg_filter_cel(in, out, &p, NULL), ==, CG_OK);
    fx_assert_alpha_same(in, out);
    fx_assert_range01(out);
    /* lines only darken the flat colours, by the same factor per pixel */
    int darkened = 0;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        const float *f = flat->pixels + 4 * i, *q = out->pixels + 4 * i;
        float m = -1.0f;
        for (int c = 0; c < 3; c++) {
            g_assert_cmpfloat(q[c], <=, f[c]);
            if (f[c] > 0.05f) {
                float mc = q[c] / f[c];
                if (m >= 0.0f)
                    g_assert_cmpfloat(fabsf(mc - m), <, 1e-4f);
                m = mc;
            }
        }
        darkened += q[0] + q[1] + q[2] < 0.5f * (f[0] + f[1] + f[2]);
    }
    g_assert_cmpint(darkened, >, 0);
    g_assert_cmpint(darkened, <, w * h / 4);
    fx_free(in);
    fx_free(flat);
    fx_free(out);
}

static void test_cel_outline(void)
{
    int n = 96;
    cg_image *sq = fx_square(n, n, 32, 32, 64, 64, 0.3f, 0.85f), *out = fx_new(n, n);
    g_assert_cmpint(cg_filter_cel(sq, out, NULL, NULL), ==, CG_OK);
    for (int t = 34; t < 62; t++) {
        int pts[4][2] = {{t, 32}, {t, 63}, {32, t}, {63, t}};
        for (int k = 0; k < 4; k++) {
            float darkest = 1.0f;
            for (int d = -2; d <= 2; d++)
                for (int e = -2; e <= 2; e++)
                    darkest = fminf(darkest, fx_px(out, pts[k][0] + d, pts[k][1] + e)[0]);
            g_assert_cmpfloat(darkest, <, 0.1f);
        }
    }
    /* flat inside and out, away from the outline; each fill is its colour
     * cluster's mean, which takes in some softened pixels near the edge */
    g_assert_cmpfloat(fabsf(fx_px(out, 48, 48)[0] - 0.3f), <, 0.025f);
    g_assert_cmpfloat(fabsf(fx_px(out, 8, 8)[0] - 0.85f), <, 0.025f);
    for (int d = -2; d <= 2; d += 2) {
        g_assert_cmpfloat(fx_px(out, 48 + d, 48 - d)[0], ==, fx_px(out, 48, 48)[0]);
        g_assert_cmpfloat(fx_px(out, 8 + d + 8, 8)[0], ==, fx_px(out, 8, 8)[0]);
    }
    fx_free(sq);
    fx_free(out);
}

/* Share of pixels whose 3x3 neighbourhood holds a single colour. */
static double flat_share(const cg_image *img)
{
    int flat = 0, total = 0;
    for (int y = 1; y < img->height - 1; y++)
        for (int x = 1; x < img->width - 1; x++, total++) {
            bool same = true;
            for (int d = -1; d <= 1 && same; d++)
                for (int e = -1; e <= 1 && same; e++)
                    same = memcmp(fx_px(img, x, y), fx_px(img, x + e, y + d), 3 * sizeof(float)) == 0;
            flat += same;
        }
    return (double)flat / total;
}

/* The second smoothing pass leaves fewer speckles of texture inside regions. */
static void test_cel_passes(void)
{
    int w = 96, h = 72;
    cg_image *in = fx_picture(w, h, 23), *out = fx_new(w, h);
    /* fine texture over the whole picture, as in foliage or gravel */
    GRand *r = g_rand_new_with_seed(5);
    for (size_t i = 0; i < (size_t)w * h; i++)
        for (int c = 0; c < 3; c++)
            in->pixels[4 * i + c] = fminf(1.0f, fmaxf(0.0f, in->pixels[4 * i + c] + (float)g_rand_double_range(r, -0.08, 0.08)));
    g_rand_free(r);
    cg_cel_params p = cg_cel_defaults();
    p.line_strength = 0.0f;
    double share[2];
    for (int k = 0; k < 2; k++) {
        p.smooth_passes = k + 1;
        g_assert_cmpint(cg_filter_cel(in, out, &p, NULL), ==, CG_OK);
        share[k] = flat_share(out);
        g_test_message("%d passes: %.3f of pixels in flat 3x3 blocks", k + 1, share[k]);
    }
    g_assert_cmpfloat(share[1], >, share[0] + 0.02);
    fx_free(in);
    fx_free(out);
}

/* A small, low-contrast shape (an eye, a window) keeps its outline: the
 * outlines come from the light smoothing, not from the strong smoothing of
 * the fills, which all but erases it. */
static void test_cel_small_shape(void)
{
    int n = 64;
    cg_image *sq = fx_square(n, n, 29, 29, 35, 35, 0.35f, 0.6f), *out = fx_new(n, n);
    cg_cel_params p = cg_cel_defaults();
    double darkest[2];
    for (int k = 0; k < 2; k++) {
        if (k == 1) { /* outlines from the fills' smoothing instead */
            p.line_smooth = p.smooth;
            p.line_smooth_passes = p.smooth_passes;
        }
        g_assert_cmpint(cg_filter_cel(sq, out, &p, NULL), ==, CG_OK);
        darkest[k] = 1;
        for (int y = 26; y < 38; y++)
            for (int x = 26; x < 38; x++)
                darkest[k] = fmin(darkest[k], fx_px(out, x, y)[0]);
        g_test_message("outlines from %s smoothing: darkest %.3f", k ? "strong" : "light", darkest[k]);
    }
    g_assert_cmpfloat(darkest[0], <, 0.15);
    g_assert_cmpfloat(darkest[1], >, darkest[0] + 0.1);
    fx_free(sq);
    fx_free(out);
}

/* Without the unsharp step and the region fill, anime is a composition of
 * public filters: guided smoothing, then saturation and gamma, times soft
 * XDoG lines of a lighter smoothing. Rebuilt here from those filters, it
 * must agree. */
static void check_anime_reference(int line_radius)
{
    const int w = 80, h = 60;
    cg_image *in = fx_picture(w, h, 7), *out = fx_new(w, h);
    cg_anime_params p = cg_anime_defaults();
    p.region_fill = 0;
    p.sharpen = 0;
    p.line_smooth.radius = line_radius;
    g_assert_cmpint(cg_filter_anime(in, out, &p, NULL), ==, CG_OK);
    cg_image *fill = fx_new(w, h), *lsm = fx_new(w, h), *lines = fx_new(w, h);
    g_assert_cmpint(cg_filter_guided(in, fill, &p.smooth, NULL), ==, CG_OK);
    for (int i = 1; i < p.smooth_passes; i++)
        g_assert_cmpint(cg_filter_guided(fill, fill, &p.smooth, NULL), ==, CG_OK);
    g_assert_cmpint(cg_filter_guided(in, lsm, &p.line_smooth, NULL), ==, CG_OK);
    g_assert_cmpint(cg_filter_xdog(lsm, lines, &p.lines, NULL), ==, CG_OK);
    double worst = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float *f = fx_px(fill, x, y), *o = fx_px(out, x, y);
            double luma = 0.299 * f[0] + 0.587 * f[1] + 0.114 * f[2];
            double m = 1.0 - p.line_strength * (1.0 - fx_px(lines, x, y)[0]);
            for (int c = 0; c < 3; c++) {
                double v = luma + p.saturation * (f[c] - luma);
                v = v < 0 ? 0 : v > 1 ? 1 : v;
                worst = fmax(worst, fabs(pow(v, p.gamma) * m - o[c]));
            }
        }
    g_assert_cmpfloat(worst, <, 1e-5);
    fx_assert_alpha_same(in, out);
    fx_free(fill);
    fx_free(lsm);
    fx_free(lines);
    fx_free(in);
    fx_free(out);
}

/* With the defaults, whose fills go on from the lines' smoothing, and with
 * a lighter smoothing for the lines. */
static void test_anime_reference(void)
{
    check_anime_reference(cg_anime_defaults().smooth.radius);
    check_anime_reference(2);
}

/* Mean of v over the 5x5 window around (x, y) clipped to the image. */
static double window_mean(const double *v, int w, int h, int x, int y)
{
    double sum = 0;
    int count = 0;
    for (int dy = -2; dy <= 2; dy++)
        for (int dx = -2; dx <= 2; dx++) {
            int xx = x + dx, yy = y + dy;
            if (xx >= 0 && xx < w && yy >= 0 && yy < h) {
                sum += v[yy * w + xx];
                count++;
            }
        }
    return sum / count;
}

/* The region fill, rebuilt naively: superpixels of one guided smoothing,
 * blended into the photo by the smoothstep of the 5x5 luma std, box-averaged
 * over 5x5; anime with the fill must equal anime without it on that blend. */
static void test_anime_region_fill_reference(void)
{
    const int w = 80, h = 60, n = w * h;
    cg_image *in = fx_picture(w, h, 11), *out = fx_new(w, h), *blend = fx_new(w, h),
             *expect = fx_new(w, h);
    cg_anime_params p = cg_anime_defaults();
    g_assert_cmpint(cg_filter_anime(in, out, &p, NULL), ==, CG_OK);
    g_assert_cmpint(cg_filter_guided(in, blend, &p.smooth, NULL), ==, CG_OK);
    g_assert_cmpint(cg_filter_slic(blend, blend, &p.regions, NULL), ==, CG_OK);
    double *y = g_new(double, n), *y2 = g_new(double, n), *k = g_new(double, n);
    for (int i = 0; i < n; i++) {
        const float *q = in->pixels + 4 * i;
        y[i] = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
        y2[i] = y[i] * y[i];
    }
    for (int yy = 0; yy < h; yy++)
        for (int x = 0; x < w; x++) {
            double m = window_mean(y, w, h, x, yy), sd = sqrt(fmax(0, window_mean(y2, w, h, x, yy) - m * m));
            double t = (sd - p.texture_low) / (p.texture_high - p.texture_low);
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            k[yy * w + x] = t * t * (3 - 2 * t);
        }
    for (int yy = 0; yy < h; yy++)
        for (int x = 0; x < w; x++) {
            double kk = p.region_fill * window_mean(k, w, h, x, yy);
            float *b = fx_px(blend, x, yy);
            const float *src = fx_px(in, x, yy);
            for (int c = 0; c < 3; c++)
                b[c] = (float)(kk * b[c] + (1 - kk) * src[c]);
            b[3] = src[3];
        }
    p.region_fill = 0;
    g_assert_cmpint(cg_filter_anime(blend, expect, &p, NULL), ==, CG_OK);
    double worst = 0;
    for (int i = 0; i < 4 * n; i++)
        worst = fmax(worst, fabs(out->pixels[i] - expect->pixels[i]));
    g_assert_cmpfloat(worst, <, 1e-3);
    fx_assert_alpha_same(in, out);
    g_free(y);
    g_free(y2);
    g_free(k);
    fx_free(in);
    fx_free(out);
    fx_free(blend);
    fx_free(expect);
}

/* Std of the luma of img over [x0, x1) x [0, h). */
static double luma_std(const cg_image *img, int x0, int x1)
{
    double s = 0, s2 = 0;
    int count = 0;
    for (int y = 0; y < img->height; y++)
        for (int x = x0; x < x1; x++) {
            const float *q = fx_px(img, x, y);
            double v = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
            s += v, s2 += v * v, count++;
        }
    s /= count;
    return sqrt(fmax(0, s2 / count - s * s));
}

/* Texture (left: green with strong pixel noise) becomes flat patches; a
 * smooth gradient (right) is left to the smoothing, as without the fill. */
static void test_anime_region_fill_flattens(void)
{
    const int w = 96, h = 64;
    cg_image *in = fx_new(w, h), *filled = fx_new(w, h), *plain = fx_new(w, h);
    uint64_t seed = 5;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *q = fx_px(in, x, y);
            float noise = x < w / 2 ? 0.3f * (fx_uniform(&seed) - 0.5f) : 0.0f;
            float base = x < w / 2 ? 0.5f : 0.3f + 0.4f * (float)y / h;
            q[0] = base * 0.5f + noise, q[1] = base + noise, q[2] = base * 0.4f + noise, q[3] = 1;
        }
    cg_anime_params p = cg_anime_defaults();
    g_assert_cmpint(cg_filter_anime(in, filled, &p, NULL), ==, CG_OK);
    p.region_fill = 0;
    g_assert_cmpint(cg_filter_anime(in, plain, &p, NULL), ==, CG_OK);
    double textured_filled = luma_std(filled, 4, w / 2 - 8), textured_plain = luma_std(plain, 4, w / 2 - 8);
    g_assert_cmpfloat(textured_filled, <, 0.6 * textured_plain);
    double worst = 0;
    for (int y = 0; y < h; y++)
        for (int x = w / 2 + 12; x < w; x++)
            for (int c = 0; c < 3; c++)
                worst = fmax(worst, fabs(fx_px(filled, x, y)[c] - fx_px(plain, x, y)[c]));
    g_assert_cmpfloat(worst, <, 0.01);
    fx_free(in);
    fx_free(filled);
    fx_free(plain);
}

/* A flat colour stays one flat colour, more saturated and brighter, its hue
 * kept; the unsharp step makes a step edge steeper, and in place equals out
 * of place. */
static void test_anime_colour_and_edges(void)
{
    const int n = 48;
    cg_image *flat = fx_new(n, n), *out = fx_new(n, n);
    for (int i = 0; i < n * n; i++) {
        float *q = flat->pixels + 4 * i;
        q[0] = 0.3f, q[1] = 0.5f, q[2] = 0.2f, q[3] = 1;
    }
    g_assert_cmpint(cg_filter_anime(flat, out, NULL, NULL), ==, CG_OK);
    const float *o = fx_px(out, n / 2, n / 2);
    g_assert_cmpfloat(o[1] - o[0], >, 0.5f - 0.3f); /* more saturated */
    g_assert_cmpfloat(o[1], >, 0.5f);               /* brighter */
    g_assert_true(o[1] > o[0] && o[0] > o[2]);      /* the same order of channels: the same hue */
    for (int i = 0; i < n * n; i++)
        for (int c = 0; c < 3; c++)
            g_assert_cmpfloat(fabsf(out->pixels[4 * i + c] - o[c]), <, 1e-5f);

    cg_image *sq = fx_square(n, n, 16, 0, n, n, 0.3f, 0.7f), *soft = fx_new(n, n);
    cg_anime_params p = cg_anime_defaults();
    p.line_strength = 0; /* the lines would darken the edge in both */
    p.sharpen = 0;
    g_assert_cmpint(cg_filter_anime(sq, soft, &p, NULL), ==, CG_OK);
    p.sharpen = 1;
    g_assert_cmpint(cg_filter_anime(sq, out, &p, NULL), ==, CG_OK);
    float step_soft = fabsf(fx_px(soft, 17, n / 2)[0] - fx_px(soft, 14, n / 2)[0]);
    float step_sharp = fabsf(fx_px(out, 17, n / 2)[0] - fx_px(out, 14, n / 2)[0]);
    g_assert_cmpfloat(step_sharp, >, step_soft + 0.02f);
    g_assert_cmpint(cg_filter_anime(sq, sq, &p, NULL), ==, CG_OK);
    for (int i = 0; i < 4 * n * n; i++)
        g_assert_cmpfloat(sq->pixels[i], ==, out->pixels[i]);
    fx_free(flat);
    fx_free(sq);
    fx_free(soft);
    fx_free(out);
}

static void test_bad_params(void)
{
    cg_image *in = fx_picture(8, 8, 1), *out = fx_new(8, 8);
    cg_error err = {0};
    cg_manga_params m = cg_manga_defaults();
    m.smooth.eps = NAN;
    g_assert_cmpint(cg_filter_manga(in, out, &m, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "manga"));
    g_assert_nonnull(strstr(err.message, "eps"));
    m = cg_manga_defaults();
    m.lines.p = NAN;
    g_assert_cmpint(cg_filter_manga(in, out, &m, &err), ==, CG_ERR_INVALID);
    m = cg_manga_defaults();
    m.tone.cell = NAN;
    g_assert_cmpint(cg_filter_manga(in, out, &m, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "cell"));
    g_assert_cmpint(cg_filter_manga(in, out, &m, NULL), ==, CG_ERR_INVALID);
    cg_cel_params c = cg_cel_defaults();
    c.line_strength = NAN;
    g_assert_cmpint(cg_filter_cel(in, out, &c, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "cel"));
    c = cg_cel_defaults();
    c.flatten.colors = 0;
    g_assert_cmpint(cg_filter_cel(in, out, &c, &err), ==, CG_ERR_INVALID);
    c = cg_cel_defaults();
    c.lines.sigma = NAN;
    g_assert_cmpint(cg_filter_cel(in, out, &c, &err), ==, CG_ERR_INVALID);
    c = cg_cel_defaults();
    c.smooth.radius = -1;
    g_assert_cmpint(cg_filter_cel(in, out, &c, &err), ==, CG_ERR_INVALID);
    c = cg_cel_defaults();
    c.smooth_passes = 0;
    g_assert_cmpint(cg_filter_cel(in, out, &c, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "smooth_passes"));
    c = cg_cel_defaults();
    c.line_smooth_passes = 9;
    g_assert_cmpint(cg_filter_cel(in, out, &c, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "line_smooth_passes"));
    c = cg_cel_defaults();
    c.line_smooth.eps = 0;
    g_assert_cmpint(cg_filter_cel(in, out, &c, &err), ==, CG_ERR_INVALID);
#define ANIME_BAD(field, value)                                                    \
    do {                                                                           \
        cg_anime_params a = cg_anime_defaults();                                   \
        a.field = value;                                                           \
        g_assert_cmpint(cg_filter_anime(in, out, &a, &err), ==, CG_ERR_INVALID);   \
        g_assert_nonnull(strstr(err.message, "anime"));                            \
        g_assert_nonnull(strstr(err.message, #field));                             \
    } while (0)
    ANIME_BAD(region_fill, NAN);
    ANIME_BAD(region_fill, 1.5f);
    ANIME_BAD(texture_low, -0.1f);
    ANIME_BAD(texture_high, 0.01f); /* below texture_low */
    ANIME_BAD(smooth_passes, 0);
    ANIME_BAD(sharpen, -1);
    ANIME_BAD(sharpen_sigma, 0);
    ANIME_BAD(saturation, NAN);
    ANIME_BAD(gamma, 0);
    ANIME_BAD(line_strength, 2);
#undef ANIME_BAD
    cg_anime_params a = cg_anime_defaults();
    a.regions.region_size = 2;
    g_assert_cmpint(cg_filter_anime(in, out, &a, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "region_size"));
    fx_free(in);
    fx_free(out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/filters/teachers/manga-black-white", test_manga_black_white);
    g_test_add_func("/filters/teachers/manga-shapes", test_manga_shapes);
    g_test_add_func("/filters/teachers/cel", test_cel);
    g_test_add_func("/filters/teachers/cel-outline", test_cel_outline);
    g_test_add_func("/filters/teachers/cel-passes", test_cel_passes);
    g_test_add_func("/filters/teachers/cel-small-shape", test_cel_small_shape);
    g_test_add_func("/filters/teachers/anime-reference", test_anime_reference);
    g_test_add_func("/filters/teachers/anime-colour-and-edges", test_anime_colour_and_edges);
    g_test_add_func("/filters/teachers/anime-region-fill-reference", test_anime_region_fill_reference);
    g_test_add_func("/filters/teachers/anime-region-fill-flattens", test_anime_region_fill_flattens);
    g_test_add_func("/filters/teachers/bad-params", test_bad_params);
    return g_test_run();
}
