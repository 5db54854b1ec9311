/* Style-quality figures: each against a naive double-precision reference on
 * busy pictures, and against answers known in advance on synthetic ones. */
#include "fixture.h"

#include "comicgan/quality.h"

/* ---- naive references ---- */

static double srgb_decode(double c)
{
    c = c < 0 ? 0 : c > 1 ? 1 : c;
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double srgb_encode(double c)
{
    return c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055;
}

static double lab_f(double t)
{
    return t > 216.0 / 24389 ? cbrt(t) : t * 24389.0 / 27 / 116 + 16.0 / 116;
}

static void naive_lab(const double rgb[3], double lab[3])
{
    double r = srgb_decode(rgb[0]), g = srgb_decode(rgb[1]), b = srgb_decode(rgb[2]);
    double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
    double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
    lab[0] = 116 * lab_f(y) - 16;
    lab[1] = 500 * (lab_f(x) - lab_f(y));
    lab[2] = 200 * (lab_f(y) - lab_f(z));
}

static double lab_finv(double t)
{
    return t > 6.0 / 29 ? t * t * t : 3 * (6.0 / 29) * (6.0 / 29) * (t - 4.0 / 29);
}

/* R'G'B' of a Lab colour; false when it is outside the sRGB gamut. */
static bool naive_rgb(double L, double a, double b, float out[3])
{
    double fy = (L + 16) / 116, X = 0.95047 * lab_finv(fy + a / 500), Y = lab_finv(fy),
           Z = 1.08883 * lab_finv(fy - b / 200);
    double lin[3] = {3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z, -0.9692660 * X + 1.8760108 * Y + 0.0415560 * Z,
                     0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z};
    bool inside = true;
    for (int c = 0; c < 3; c++) {
        inside &= lin[c] >= 0 && lin[c] <= 1;
        out[c] = (float)srgb_encode(lin[c] < 0 ? 0 : lin[c] > 1 ? 1 : lin[c]);
    }
    return inside;
}

static double hue_deg(double a, double b)
{
    return atan2(b, a) * 180 / M_PI;
}

/* Lab of the box-blurred image: window (2r+1)^2 clipped, r = shorter / 64. */
static double *naive_lowfreq_lab(const cg_image *img)
{
    int w = img->width, h = img->height, r = (w < h ? w : h) / 64;
    double *lab = g_new(double, (size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double s[3] = {0, 0, 0};
            int count = 0;
            for (int v = y - r; v <= y + r; v++)
                for (int u = x - r; u <= x + r; u++)
                    if (u >= 0 && u < w && v >= 0 && v < h) {
                        for (int c = 0; c < 3; c++)
                            s[c] += fx_px(img, u, v)[c];
                        count++;
                    }
            for (int c = 0; c < 3; c++)
                s[c] /= count;
            naive_lab(s, lab + 3 * ((size_t)y * w + x));
        }
    return lab;
}

static void naive_colour(const cg_image *in, const cg_image *out, double *hue, double *de)
{
    size_t n = (size_t)in->width * in->height;
    double *li = naive_lowfreq_lab(in), *lo = naive_lowfreq_lab(out);
    double hs = 0, wsum = 0, ds = 0;
    for (size_t i = 0; i < n; i++) {
        const double *p = li + 3 * i, *q = lo + 3 * i;
        double c = hypot(p[1], p[2]), d = fabs(hue_deg(q[1], q[2]) - hue_deg(p[1], p[2]));
        if (d > 180)
            d = 360 - d;
        hs += c * d;
        wsum += c;
        ds += sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));
    }
    *hue = wsum / n < 0.01 ? NAN : hs / wsum;
    *de = ds / n;
    g_free(li);
    g_free(lo);
}

static double luma(const cg_image *img, int x, int y)
{
    const float *p = fx_px(img, x, y);
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

/* 5x5 luma std in levels, two-pass, window clipped at the borders. */
static double *naive_std5(const cg_image *img)
{
    int w = img->width, h = img->height;
    double *sd = g_new(double, (size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double m = 0, v = 0;
            int count = 0;
            for (int pass = 0; pass < 2; pass++)
                for (int j = y - 2; j <= y + 2; j++)
                    for (int i = x - 2; i <= x + 2; i++)
                        if (i >= 0 && i < w && j >= 0 && j < h) {
                            double l = 255 * luma(img, i, j);
                            if (pass == 0) {
                                m += l;
                                count++;
                            } else {
                                v += (l - m / count) * (l - m / count);
                            }
                        }
            sd[(size_t)y * w + x] = sqrt(v / count);
        }
    return sd;
}

static void naive_flat(const cg_image *in, const cg_image *out, double *gained, double *noise)
{
    size_t n = (size_t)in->width * in->height, count = 0;
    double *si = naive_std5(in), *so = naive_std5(out), g = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        g += (so[i] < 1.5) - (si[i] < 1.5);
        if (si[i] < 2) {
            s += so[i];
            count++;
        }
    }
    *gained = g / n;
    *noise = count ? s / count : NAN;
    g_free(si);
    g_free(so);
}

static double naive_sobel(const cg_image *img, int x, int y)
{
    int w = img->width, h = img->height;
#define L(dx, dy) luma(img, CLAMP(x + (dx), 0, w - 1), CLAMP(y + (dy), 0, h - 1))
    double gx = L(1, -1) + 2 * L(1, 0) + L(1, 1) - L(-1, -1) - 2 * L(-1, 0) - L(-1, 1);
    double gy = L(-1, 1) + 2 * L(0, 1) + L(1, 1) - L(-1, -1) - 2 * L(0, -1) - L(1, -1);
#undef L
    return hypot(gx, gy);
}

static double naive_edge_corr(const cg_image *in, const cg_image *out)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    int n = in->width * in->height;
    for (int y = 0; y < in->height; y++)
        for (int x = 0; x < in->width; x++) {
            double a = naive_sobel(in, x, y), b = naive_sobel(out, x, y);
            sa += a;
            sb += b;
            saa += a * a;
            sbb += b * b;
            sab += a * b;
        }
    return (sab - sa * sb / n) / sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
}

/* ---- pictures ---- */

static cg_image *uniform(int w, int h, float r, float g, float b)
{
    cg_image *img = fx_new(w, h);
    for (int i = 0; i < w * h; i++) {
        float *p = img->pixels + 4 * i;
        p[0] = r;
        p[1] = g;
        p[2] = b;
        p[3] = 1;
    }
    return img;
}

static float gauss(uint64_t *s)
{
    double u1 = 1.0 - fx_uniform(s), u2 = fx_uniform(s);
    return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

/* img plus Gaussian noise of sigma on every channel, not clamped. */
static cg_image *noisy(const cg_image *img, float sigma, uint64_t seed)
{
    cg_image *o = fx_copy(img);
    uint64_t s = seed;
    for (int i = 0; i < img->width * img->height; i++)
        for (int c = 0; c < 3; c++)
            o->pixels[4 * i + c] += sigma * gauss(&s);
    return o;
}

typedef struct figures {
    double hue, de, gained, noise, corr;
} figures;

static bool same(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static figures measure(const cg_image *in, const cg_image *out)
{
    figures f;
    cg_error err = {0};
    g_assert_cmpint(cg_quality_hue_shift(in, out, &f.hue, &err), ==, CG_OK);
    g_assert_cmpint(cg_quality_delta_e(in, out, &f.de, &err), ==, CG_OK);
    g_assert_cmpint(cg_quality_flat_gained(in, out, &f.gained, &err), ==, CG_OK);
    g_assert_cmpint(cg_quality_flat_noise(in, out, &f.noise, &err), ==, CG_OK);
    g_assert_cmpint(cg_quality_edge_corr(in, out, &f.corr, &err), ==, CG_OK);
    /* The all-in-one call gives the same numbers. */
    cg_quality q;
    g_assert_cmpint(cg_quality_measure(in, out, &q, &err), ==, CG_OK);
    g_assert_true(same(q.hue_shift, f.hue) && same(q.delta_e, f.de) && same(q.flat_gained, f.gained) &&
                  same(q.flat_noise, f.noise) && same(q.edge_corr, f.corr));
    return f;
}

/* ---- tests ---- */

static void test_identical(void)
{
    cg_image *a = fx_picture(97, 71, 3);
    figures f = measure(a, a);
    g_assert_cmpfloat(f.hue, ==, 0);
    g_assert_cmpfloat(f.de, ==, 0);
    g_assert_cmpfloat(f.gained, ==, 0);
    g_assert_cmpfloat_with_epsilon(f.corr, 1, 1e-9);
    g_assert_true(f.noise >= 0 && f.noise < 2);
    fx_free(a);
}

static void test_against_naive(void)
{
    /* Shorter side 130: a 5x5 low-frequency window. */
    for (int k = 0; k < 3; k++) {
        cg_image *in = fx_picture(150, 130, 10 + k), *out = fx_picture(150, 130, 20 + k);
        if (k == 1) /* out a smoothed, shifted-colour version of in: correlated edges */
            for (int i = 0; i < 150 * 130; i++) {
                float *p = out->pixels + 4 * i, *q = in->pixels + 4 * i;
                p[0] = q[1];
                p[1] = 0.8f * q[0] + 0.1f;
                p[2] = q[2];
            }
        if (k == 2) /* flat areas in both, some flat only in out */
            for (int y = 0; y < 130; y++)
                for (int x = 0; x < 150; x++) {
                    float *p = fx_px(in, x, y), *q = fx_px(out, x, y);
                    if (x < 40)
                        p[0] = p[1] = p[2] = 0.3f;
                    if (x < 80)
                        q[0] = q[1] = q[2] = 0.7f;
                }
        figures f = measure(in, out);
        double hue, de, gained, noise;
        naive_colour(in, out, &hue, &de);
        naive_flat(in, out, &gained, &noise);
        g_test_message("hue %g/%g de %g/%g gained %g/%g noise %g/%g corr %g/%g", f.hue, hue, f.de, de, f.gained,
                       gained, f.noise, noise, f.corr, naive_edge_corr(in, out));
        g_assert_cmpfloat_with_epsilon(f.hue, hue, 0.02);
        g_assert_cmpfloat_with_epsilon(f.de, de, 0.01);
        /* A pixel or two may sit on a threshold within float rounding. */
        g_assert_cmpfloat_with_epsilon(f.gained, gained, 2.0 / (150 * 130));
        g_assert_cmpfloat_with_epsilon(f.noise, noise, 0.01);
        g_assert_cmpfloat_with_epsilon(f.corr, naive_edge_corr(in, out), 1e-5);
        g_assert_true(f.gained != 0 || k != 2);
        fx_free(in);
        fx_free(out);
    }
}

/* Mean levels: 0 for a picture against itself; against two known offsets
 * (alpha not counted) exactly the offsets' mean in levels; mismatched sizes
 * and NaN pixels refused. */
static void test_mean_levels(void)
{
    cg_image *a = fx_picture(40, 30, 4), *b = fx_picture(40, 30, 4), *c = fx_picture(30, 40, 4);
    cg_error err = {0};
    double d = -1;
    g_assert_cmpint(cg_quality_mean_levels(a, b, &d, &err), ==, CG_OK);
    g_assert_cmpfloat(d, ==, 0);
    for (int i = 0; i < 40 * 30; i++) {
        b->pixels[4 * i] = a->pixels[4 * i] + 3.0f / 255; /* R up 3 levels, G down 6, alpha changed */
        b->pixels[4 * i + 1] = a->pixels[4 * i + 1] - 6.0f / 255;
        b->pixels[4 * i + 3] = 0;
    }
    g_assert_cmpint(cg_quality_mean_levels(a, b, &d, &err), ==, CG_OK);
    g_assert_cmpfloat_with_epsilon(d, 3.0, 1e-4);
    g_assert_cmpint(cg_quality_mean_levels(a, c, &d, &err), ==, CG_ERR_INVALID);
    b->pixels[5] = NAN;
    g_assert_cmpint(cg_quality_mean_levels(a, b, &d, &err), !=, CG_OK);
    fx_free(a);
    fx_free(b);
    fx_free(c);
}

/* Lab statistics against the naive Lab, and what they say of two known pictures. */
static void test_lab_stats(void)
{
    cg_image *img = fx_picture(90, 70, 5);
    double got[6], want[6] = {0}, sq[3] = {0};
    cg_error err = {0};
    g_assert_cmpint(cg_quality_lab_stats(img, got, &err), ==, CG_OK);
    for (int i = 0; i < 90 * 70; i++) {
        const double rgb[3] = {img->pixels[4 * i], img->pixels[4 * i + 1], img->pixels[4 * i + 2]};
        double lab[3];
        naive_lab(rgb, lab);
        for (int c = 0; c < 3; c++) {
            want[c] += lab[c] / (90 * 70);
            sq[c] += lab[c] * lab[c] / (90 * 70);
        }
    }
    for (int c = 0; c < 3; c++)
        want[3 + c] = sqrt(sq[c] - want[c] * want[c]);
    for (int k = 0; k < 6; k++) {
        g_test_message("stat %d: %g, naive %g", k, got[k], want[k]);
        g_assert_cmpfloat_with_epsilon(got[k], want[k], 0.02);
    }
    g_assert_cmpfloat(got[3], >, 1); /* a busy picture has contrast */
    /* A flat red: L 53.2, a 80.1, b 67.2 (sRGB red in D65 Lab), no spread. */
    for (int i = 0; i < 90 * 70; i++) {
        float *p = img->pixels + 4 * i;
        p[0] = 1, p[1] = p[2] = 0;
    }
    g_assert_cmpint(cg_quality_lab_stats(img, got, &err), ==, CG_OK);
    g_assert_cmpfloat_with_epsilon(got[0], 53.24, 0.05);
    g_assert_cmpfloat_with_epsilon(got[1], 80.09, 0.1);
    g_assert_cmpfloat_with_epsilon(got[2], 67.20, 0.1);
    for (int c = 3; c < 6; c++)
        g_assert_cmpfloat(got[c], <, 1e-3);
    img->pixels[4 * 17 + 1] = NAN;
    g_assert_cmpint(cg_quality_lab_stats(img, got, &err), ==, CG_ERR_NUMERIC);
    g_assert_true(isnan(got[0]));
    fx_free(img);
}

static void test_red_to_green(void)
{
    cg_image *red = uniform(40, 30, 1, 0, 0), *green = uniform(40, 30, 0, 1, 0);
    double lr[3], lg[3];
    naive_lab((double[]){1, 0, 0}, lr);
    naive_lab((double[]){0, 1, 0}, lg);
    double expect = hue_deg(lg[1], lg[2]) - hue_deg(lr[1], lr[2]);
    /* sRGB red sits at 40 degrees in Lab, green at 136. */
    g_assert_cmpfloat_with_epsilon(expect, 96.0, 0.5);
    figures f = measure(red, green);
    g_assert_cmpfloat_with_epsilon(f.hue, expect, 0.02);
    g_assert_cmpfloat_with_epsilon(f.de, sqrt(pow(lg[0] - lr[0], 2) + pow(lg[1] - lr[1], 2) + pow(lg[2] - lr[2], 2)),
                                   0.05);
    /* The other way round it is the same angle. */
    g_assert_cmpfloat_with_epsilon(measure(green, red).hue, expect, 0.02);
    fx_free(red);
    fx_free(green);
}

/* Stripes of 12 hues at L 60, chroma c, in a 48x32 image (no blur below 64
 * px), and the same rotated by `turn` degrees. */
static void hue_stripes(cg_image *img, double c, double turn, int x0, int x1)
{
    for (int y = 0; y < img->height; y++)
        for (int x = x0; x < x1; x++) {
            double h = (30 * ((x - x0) / 4) + turn) * M_PI / 180;
            float *p = fx_px(img, x, y);
            g_assert_true(naive_rgb(60, c * cos(h), c * sin(h), p));
            p[3] = 1;
        }
}

static void test_hue_rotation(void)
{
    cg_image *in = fx_new(48, 32), *out = fx_new(48, 32);
    hue_stripes(in, 30, 0, 0, 48);
    hue_stripes(out, 30, 25, 0, 48);
    figures f = measure(in, out);
    g_assert_cmpfloat_with_epsilon(f.hue, 25, 0.05);
    /* Same lightness and chroma: the colour difference is the chord. */
    g_assert_cmpfloat_with_epsilon(f.de, 2 * 30 * sin(12.5 * M_PI / 180), 0.05);
    fx_free(in);
    fx_free(out);

    /* Weighted by the input's chroma: 30 turned by 10 degrees, 10 by 60. */
    in = fx_new(96, 32);
    out = fx_new(96, 32);
    hue_stripes(in, 30, 0, 0, 48);
    hue_stripes(out, 30, 10, 0, 48);
    hue_stripes(in, 10, 0, 48, 96);
    hue_stripes(out, 10, 60, 48, 96);
    g_assert_cmpfloat_with_epsilon(measure(in, out).hue, (30.0 * 10 + 10.0 * 60) / 40, 0.05);
    fx_free(in);
    fx_free(out);
}

static void test_grey_input(void)
{
    cg_image *grey = fx_square(80, 70, 10, 10, 50, 40, 0.2f, 0.8f), *red = uniform(80, 70, 0.9f, 0.1f, 0.1f);
    figures f = measure(grey, red);
    g_assert_true(isnan(f.hue));
    g_assert_true(isfinite(f.de) && f.de > 10);
    /* A grey output of a colourful input is a real, large shift. */
    f = measure(red, grey);
    g_assert_true(isfinite(f.hue) && f.hue > 30);
    double chroma;
    cg_error err = {0};
    g_assert_cmpint(cg_quality_mean_chroma(grey, &chroma, &err), ==, CG_OK);
    g_assert_cmpfloat(chroma, <, 0.01);
    g_assert_cmpint(cg_quality_mean_chroma(red, &chroma, &err), ==, CG_OK);
    double lab[3];
    naive_lab((double[]){0.9, 0.1, 0.1}, lab);
    g_assert_cmpfloat_with_epsilon(chroma, hypot(lab[1], lab[2]), 0.05);
    fx_free(grey);
    fx_free(red);
}

static void test_low_frequency(void)
{
    /* Fine colour dither around grey against plain grey: invisible at 1/32 of
     * the shorter side, large pixel by pixel. */
    cg_image *in = fx_new(256, 256), *out = uniform(256, 256, 0.5f, 0.5f, 0.5f);
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++) {
            float *p = fx_px(in, x, y), d = (x + y) % 2 ? 0.1f : -0.1f;
            p[0] = 0.5f + d;
            p[1] = 0.5f - d;
            p[2] = 0.5f;
            p[3] = 1;
        }
    figures f = measure(in, out);
    g_assert_cmpfloat(f.de, <, 1);
    double hue, de;
    naive_colour(in, out, &hue, &de);
    g_assert_cmpfloat_with_epsilon(f.de, de, 0.01);
    fx_free(in);
    fx_free(out);
}

static void test_flat(void)
{
    cg_image *flat = uniform(64, 48, 0.4f, 0.5f, 0.6f), *busy = noisy(flat, 0.05f, 7);
    g_assert_cmpfloat(measure(busy, flat).gained, ==, 1);
    g_assert_cmpfloat(measure(flat, busy).gained, ==, -1);
    g_assert_cmpfloat(measure(flat, flat).gained, ==, 0);
    /* No smooth pixel in the input: flat-area noise does not apply. */
    g_assert_true(isnan(measure(busy, flat).noise));
    fx_free(flat);
    fx_free(busy);
}

static void test_flat_noise(void)
{
    cg_image *flat = uniform(128, 128, 0.5f, 0.5f, 0.5f);
    for (int k = 0; k < 2; k++) {
        float sigma = k ? 0.02f : 3.0f / 255;
        cg_image *out = noisy(flat, sigma, 11 + k);
        /* Grey noise: luma gets the same sigma when the channels move together. */
        for (int i = 0; i < 128 * 128; i++)
            out->pixels[4 * i + 1] = out->pixels[4 * i + 2] = out->pixels[4 * i];
        double noise = measure(flat, out).noise;
        /* The 25-sample std (divided by 25) averages 0.97 sigma for Gaussian noise. */
        g_test_message("sigma %g levels: flat-area noise %g", sigma * 255.0, noise);
        g_assert_cmpfloat_with_epsilon(noise / (sigma * 255), 0.97, 0.02);
        fx_free(out);
    }
    fx_free(flat);
}

static void test_edges(void)
{
    cg_image *in = fx_picture(90, 60, 5), *dim = fx_copy(in), *flat = uniform(90, 60, 0.3f, 0.3f, 0.3f),
             *other = fx_square(90, 60, 60, 5, 85, 20, 0.9f, 0.1f);
    for (int i = 0; i < 90 * 60; i++)
        for (int c = 0; c < 3; c++)
            dim->pixels[4 * i + c] = 0.5f * in->pixels[4 * i + c] + 0.2f;
    g_assert_cmpfloat_with_epsilon(measure(in, dim).corr, 1, 1e-5);
    g_assert_true(isnan(measure(in, flat).corr));
    double corr = measure(in, other).corr;
    g_assert_cmpfloat(corr, <, 0.5);
    g_assert_cmpfloat_with_epsilon(corr, naive_edge_corr(in, other), 1e-5);
    fx_free(in);
    fx_free(dim);
    fx_free(flat);
    fx_free(other);
}

static void free_frames(cg_image **f, int n)
{
    for (int t = 0; t < n; t++)
        cg_image_free(f[t]);
}

static void test_pan(void)
{
    cg_image *photo = fx_picture(72, 40, 9), *f[8], *g[8];
    for (int i = 0; i < 72 * 40; i++)
        photo->pixels[4 * i + 3] = 1;
    cg_error err = {0};
    g_assert_cmpint(cg_quality_pan(photo, 8, 0, 1, f, &err), ==, CG_OK);
    g_assert_cmpint(f[7]->width, ==, 64);
    g_assert_cmpint(f[7]->height, ==, 40);
    g_assert_cmpfloat(fx_px(f[5], 3, 7)[1], ==, fx_px(photo, 8, 7)[1]);
    double change;
    const cg_image *const *cf = (const cg_image *const *)f;
    g_assert_cmpint(cg_quality_pan_change(cf, 8, &change, &err), ==, CG_OK);
    g_assert_cmpfloat(change, ==, 0);
    free_frames(f, 8);

    /* Independent noise of sigma 2 levels: E|n1 - n2| = 2 sigma / sqrt(pi). */
    cg_image *grey = uniform(72, 64, 0.5f, 0.5f, 0.5f);
    g_assert_cmpint(cg_quality_pan(grey, 8, 2.0f / 255, 1, f, &err), ==, CG_OK);
    g_assert_cmpint(cg_quality_pan_change(cf, 8, &change, &err), ==, CG_OK);
    g_test_message("pan change with noise: %g levels", change);
    g_assert_cmpfloat_with_epsilon(change, 4 / sqrt(M_PI), 0.03);
    /* Each frame its own noise: on a grey photo no two frames are alike. */
    g_assert_false(fx_equal(f[3], f[4]));
    /* Seeded: the same seed gives the same frames, another seed others. */
    g_assert_cmpint(cg_quality_pan(grey, 8, 2.0f / 255, 1, g, &err), ==, CG_OK);
    g_assert_true(fx_equal(f[3], g[3]));
    free_frames(g, 8);
    g_assert_cmpint(cg_quality_pan(grey, 8, 2.0f / 255, 2, g, &err), ==, CG_OK);
    g_assert_false(fx_equal(f[3], g[3]));
    free_frames(g, 8);
    free_frames(f, 8);
    fx_free(grey);
    fx_free(photo);
}

static void test_bad_input(void)
{
    cg_image *a = fx_picture(40, 30, 1), *b = fx_picture(41, 30, 2), *c = fx_copy(a);
    cg_error err = {0};
    double r = 0;
    cg_status (*fn[])(const cg_image *, const cg_image *, double *, cg_error *) = {
        cg_quality_hue_shift, cg_quality_delta_e, cg_quality_flat_gained, cg_quality_flat_noise,
        cg_quality_edge_corr};
    for (size_t k = 0; k < G_N_ELEMENTS(fn); k++) {
        r = 0;
        g_assert_cmpint(fn[k](a, b, &r, &err), ==, CG_ERR_INVALID);
        g_assert_nonnull(strstr(err.message, "41x30"));
        g_assert_true(isnan(r));
        fx_px(c, 7, 3)[1] = NAN;
        r = 0;
        g_assert_cmpint(fn[k](a, c, &r, &err), ==, CG_ERR_NUMERIC);
        g_assert_nonnull(strstr(err.message, "(7, 3)"));
        g_assert_true(isnan(r));
        g_assert_cmpint(fn[k](c, a, &r, &err), ==, CG_ERR_NUMERIC);
        fx_px(c, 7, 3)[1] = INFINITY;
        g_assert_cmpint(fn[k](a, c, &r, &err), ==, CG_ERR_NUMERIC);
        fx_px(c, 7, 3)[1] = 0.5f;
        g_assert_cmpint(fn[k](a, NULL, &r, &err), ==, CG_ERR_INVALID);
    }
    cg_quality q;
    g_assert_cmpint(cg_quality_measure(a, b, &q, &err), ==, CG_ERR_INVALID);
    g_assert_true(isnan(q.hue_shift) && isnan(q.edge_corr) && isnan(q.mean_chroma));

    cg_image *f[8];
    g_assert_cmpint(cg_quality_pan(a, 39, 0, 1, f, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_quality_pan(a, 1, 0, 1, f, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_quality_pan(a, 8, NAN, 1, f, &err), ==, CG_ERR_INVALID);
    const cg_image *two[2] = {a, b};
    g_assert_cmpint(cg_quality_pan_change(two, 2, &r, &err), ==, CG_ERR_INVALID);
    g_assert_true(isnan(r));
    g_assert_cmpint(cg_quality_pan_change(two, 1, &r, &err), ==, CG_ERR_INVALID);
    fx_free(a);
    fx_free(b);
    fx_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/quality/identical", test_identical);
    g_test_add_func("/quality/against-naive", test_against_naive);
    g_test_add_func("/quality/mean-levels", test_mean_levels);
    g_test_add_func("/quality/lab-stats", test_lab_stats);
    g_test_add_func("/quality/red-to-green", test_red_to_green);
    g_test_add_func("/quality/hue-rotation", test_hue_rotation);
    g_test_add_func("/quality/grey-input", test_grey_input);
    g_test_add_func("/quality/low-frequency", test_low_frequency);
    g_test_add_func("/quality/flat", test_flat);
    g_test_add_func("/quality/flat-noise", test_flat_noise);
    g_test_add_func("/quality/edges", test_edges);
    g_test_add_func("/quality/pan", test_pan);
    g_test_add_func("/quality/bad-input", test_bad_input);
    return g_test_run();
}
