/* The painted look: the anisotropic Kuwahara filter against a slow, direct
 * reference, its properties (flat stays flat, edges stay sharp, continuity
 * in the input), and the painted teacher. */
#include "fixture.h"

/* The filter's definition, as documented in comicgan/filters.h, plus its two
 * internal constants: the sectors' overlap at the centre and the tensor
 * trace under which a window is a disc. */
#define ZETA (1.0 / 3.0)
#define TENSOR_EPS 1.5e-5

static int mirror(int i, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * n;
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - 1 - i;
}

static double at(const cg_image *img, int x, int y, int c)
{
    return fx_px(img, mirror(x, img->width), mirror(y, img->height))[c];
}

/* Direct, double precision, one pixel at a time: the structure tensor from
 * Sobel gradients, blurred by a truncated, normalised, mirrored Gaussian; an
 * explicit eigen-decomposition; the ellipse mapped onto the disc by
 * R S R^T; every pixel of a generous square weighed by the sector and radial
 * weights. */
static cg_image *reference(const cg_image *in, const cg_kuwahara_params *p)
{
    int w = in->width, h = in->height;
    double *T = g_new0(double, (size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                double gx = (at(in, x + 1, y - 1, c) + 2 * at(in, x + 1, y, c) + at(in, x + 1, y + 1, c) -
                             at(in, x - 1, y - 1, c) - 2 * at(in, x - 1, y, c) - at(in, x - 1, y + 1, c)) / 4;
                double gy = (at(in, x - 1, y + 1, c) + 2 * at(in, x, y + 1, c) + at(in, x + 1, y + 1, c) -
                             at(in, x - 1, y - 1, c) - 2 * at(in, x, y - 1, c) - at(in, x + 1, y - 1, c)) / 4;
                double *t = T + 3 * ((size_t)y * w + x);
                t[0] += gx * gx;
                t[1] += gx * gy;
                t[2] += gy * gy;
            }
    int R = (int)ceil(3.0 * p->tensor_sigma);
    R = R < 1 ? 1 : R;
    double *g = g_new(double, R + 1), gs = 0;
    for (int k = 0; k <= R; k++) {
        g[k] = exp(-0.5 * k * k / ((double)p->tensor_sigma * p->tensor_sigma));
        gs += k ? 2 * g[k] : g[k];
    }
    int n = p->sectors, border = (int)ceil(p->radius * (1 + 1 / p->alpha)) + 2;
    double half = G_PI / n, eta = (ZETA + cos(half)) / (sin(half) * sin(half));
    cg_image *out = fx_new(w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double e = 0, f = 0, gg = 0;
            for (int j = -R; j <= R; j++)
                for (int i = -R; i <= R; i++) {
                    const double *t = T + 3 * ((size_t)mirror(y + j, h) * w + mirror(x + i, w));
                    double k = g[abs(i)] * g[abs(j)] / (gs * gs);
                    e += k * t[0];
                    f += k * t[1];
                    gg += k * t[2];
                }
            double d = sqrt((e - gg) * (e - gg) / 4 + f * f);
            double l1 = (e + gg) / 2 + d, l2 = (e + gg) / 2 - d;
            double A = (l1 - l2) / (l1 + l2 + TENSOR_EPS);
            /* t: the edge direction, the eigenvector of l2 */
            double phi = f == 0 && e >= gg ? G_PI / 2 : atan2(-f, l1 - e); /* (l1 - e, -f) */
            double a = p->radius * (p->alpha + A) / p->alpha, b = p->radius * p->alpha / (p->alpha + A);
            double cp = cos(phi), sp = sin(phi);
            double W[8] = {0}, S1[8][3] = {{0}}, S2[8][3] = {{0}};
            for (int dy = -border; dy <= border; dy++)
                for (int dx = -border; dx <= border; dx++) {
                    double ut = (cp * dx + sp * dy) / a, un = (-sp * dx + cp * dy) / b;
                    double vx = cp * ut - sp * un, vy = sp * ut + cp * un;
                    double radial = 1 - (vx * vx + vy * vy);
                    if (radial <= 0)
                        continue;
                    for (int k = 0; k < n; k++) {
                        double th = 2 * half * k;
                        double xs = vx * cos(th) + vy * sin(th), ys = -vx * sin(th) + vy * cos(th);
                        double u = ZETA + xs - eta * ys * ys;
                        if (u <= 0)
                            continue;
                        double wt = u * u * radial * radial;
                        W[k] += wt;
                        for (int c = 0; c < 3; c++) {
                            double v = at(in, x + dx, y + dy, c);
                            S1[k][c] += wt * v;
                            S2[k][c] += wt * v * v;
                        }
                    }
                }
            double num[3] = {0}, den = 0;
            for (int k = 0; k < n; k++) {
                double var = 0, m[3];
                for (int c = 0; c < 3; c++) {
                    m[c] = S1[k][c] / W[k];
                    var += S2[k][c] / W[k] - m[c] * m[c];
                }
                double wk = 1 / (1 + pow(sqrt(fmax(var, 0) / 3) / p->noise, p->q));
                den += wk;
                for (int c = 0; c < 3; c++)
                    num[c] += wk * m[c];
            }
            float *o = fx_px(out, x, y);
            for (int c = 0; c < 3; c++)
                o[c] = (float)fmin(1, fmax(0, num[c] / den));
            o[3] = fx_px(in, x, y)[3];
        }
    g_free(T);
    g_free(g);
    return out;
}

static cg_image *noise_picture(int w, int h, uint64_t seed)
{
    cg_image *img = fx_new(w, h);
    uint64_t s = seed;
    for (size_t i = 0; i < (size_t)w * h * 4; i++)
        img->pixels[i] = fx_uniform(&s);
    return img;
}

static double max_diff(const cg_image *a, const cg_image *b)
{
    double m = 0;
    for (size_t i = 0; i < (size_t)a->width * a->height * 4; i++)
        m = fmax(m, fabs((double)a->pixels[i] - b->pixels[i]));
    return m;
}

static void check_reference(cg_image *in, const cg_kuwahara_params *p, const char *what)
{
    cg_image *out = fx_new(in->width, in->height), *ref = reference(in, p);
    cg_error err = {0};
    g_assert_cmpint(cg_filter_kuwahara(in, out, p, &err), ==, CG_OK);
    double d = max_diff(out, ref), moved = max_diff(out, in);
    g_test_message("%s: max |filter - reference| %.2g (the filter moved pixels by up to %.3f)", what, d, moved);
    g_assert_cmpfloat(d, <, 1e-4);
    g_assert_cmpfloat(moved, >, 0.05); /* it did something */
    fx_free(out);
    fx_free(ref);
}

static void test_reference(void)
{
    cg_kuwahara_params p = cg_kuwahara_defaults();
    cg_image *noise = noise_picture(23, 19, 7), *pic = fx_picture(40, 31, 8), *tiny = noise_picture(9, 7, 9);
    check_reference(noise, &p, "noise, defaults");
    check_reference(pic, &p, "picture, defaults");
    p = (cg_kuwahara_params){
        .radius = 3.5f, .sectors = 5, .q = 3.0f, .noise = 0.05f, .alpha = 0.5f, .tensor_sigma = 1.2f};
    check_reference(pic, &p, "picture, radius 3.5, 5 sectors, q 3, noise 0.05, alpha 0.5");
    p = (cg_kuwahara_params){
        .radius = 11.0f, .sectors = 8, .q = 12.0f, .noise = 0.003f, .alpha = 4.0f, .tensor_sigma = 0.7f};
    check_reference(tiny, &p, "9x7 noise, radius 11 (windows wrap the image)");
    fx_free(noise);
    fx_free(pic);
    fx_free(tiny);
}

static void test_constant(void)
{
    cg_image *in = fx_new(30, 20), *out = fx_new(30, 20);
    for (size_t i = 0; i < 30 * 20; i++) {
        float *px = in->pixels + 4 * i;
        px[0] = 0.7f, px[1] = 0.25f, px[2] = 0.4f, px[3] = 1.0f;
    }
    g_assert_cmpint(cg_filter_kuwahara(in, out, NULL, NULL), ==, CG_OK);
    g_assert_cmpfloat(max_diff(in, out), <, 1e-6);
    fx_free(in);
    fx_free(out);
}

/* Pixels that are not numbers do not crash the filter or leave [0, 1]. */
static void test_not_numbers(void)
{
    cg_image *in = fx_picture(30, 20, 3), *out = fx_new(30, 20);
    fx_px(in, 10, 10)[1] = NAN;
    fx_px(in, 20, 5)[0] = INFINITY;
    fx_px(in, 0, 19)[2] = -INFINITY;
    g_assert_cmpint(cg_filter_kuwahara(in, out, NULL, NULL), ==, CG_OK);
    fx_assert_range01(out);
    g_assert_cmpint(cg_filter_painted(in, out, NULL, NULL), ==, CG_OK);
    fx_assert_range01(out);
    fx_free(in);
    fx_free(out);
}

/* An ideal step between two colours keeps its full contrast within a pixel
 * of the edge, as an edge-preserving filter must; a blur of the same radius
 * would spread it over a dozen pixels. Vertical and diagonal. */
static void test_step_edge(void)
{
    int n = 48;
    const float lo[3] = {0.15f, 0.3f, 0.6f}, hi[3] = {0.85f, 0.7f, 0.2f};
    for (int diag = 0; diag < 2; diag++) {
        cg_image *in = fx_new(n, n), *out = fx_new(n, n);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++) {
                float *px = fx_px(in, x, y);
                bool right = diag ? x + y >= n : x >= n / 2;
                for (int c = 0; c < 3; c++)
                    px[c] = right ? hi[c] : lo[c];
                px[3] = 1.0f;
            }
        g_assert_cmpint(cg_filter_kuwahara(in, out, NULL, NULL), ==, CG_OK);
        double worst_far = 0, worst_near = 0;
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++) {
                /* distance to the edge, in pixels */
                double dist = diag ? fabs(x + y - n + 0.5) / sqrt(2.0) : fabs(x - n / 2 + 0.5);
                double d = 0;
                for (int c = 0; c < 3; c++)
                    d = fmax(d, fabs(fx_px(out, x, y)[c] - fx_px(in, x, y)[c]));
                if (dist > 1.5)
                    worst_far = fmax(worst_far, d);
                else
                    worst_near = fmax(worst_near, d);
            }
        g_test_message("%s edge: largest change %.4f next to it, %.4f further away", diag ? "diagonal" : "vertical",
                       worst_near, worst_far);
        g_assert_cmpfloat(worst_far, <, 0.01);
        g_assert_cmpfloat(worst_near, <, 0.1);
        fx_free(in);
        fx_free(out);
    }
}

/* Nudging one pixel in small steps moves the output in small steps: a filter
 * that picks the quietest sector outright jumps when the choice changes. */
static void test_continuity(void)
{
    int w = 40, h = 31;
    cg_image *in = fx_picture(w, h, 11), *a = fx_new(w, h), *b = fx_new(w, h);
    const float step = 1e-3f;
    double worst = 0;
    /* pixels on the dark bar's border, in flat colour and in the yellow disc */
    const int spots[][2] = {{27, 12}, {28, 15}, {5, 25}, {13, 16}, {20, 8}};
    for (size_t s = 0; s < G_N_ELEMENTS(spots); s++) {
        float *px = fx_px(in, spots[s][0], spots[s][1]), keep = px[1];
        for (int k = 0; k <= 100; k++) {
            px[1] = 0.35f + step * (float)k;
            g_assert_cmpint(cg_filter_kuwahara(in, k % 2 ? b : a, NULL, NULL), ==, CG_OK);
            if (k)
                worst = fmax(worst, max_diff(a, b));
        }
        px[1] = keep;
    }
    g_test_message("largest output change for an input step of %g: %.2g", (double)step, worst);
    g_assert_cmpfloat(worst, <, 20 * step);
    fx_free(in);
    fx_free(a);
    fx_free(b);
}

static void expect_bad(const cg_kuwahara_params *p, const char *field)
{
    cg_image *in = fx_picture(8, 8, 1), *out = fx_new(8, 8);
    cg_error err = {0};
    g_assert_cmpint(cg_filter_kuwahara(in, out, p, &err), ==, CG_ERR_INVALID);
    if (!strstr(err.message, field))
        g_error("\"%s\" does not name %s", err.message, field);
    g_assert_cmpint(cg_filter_kuwahara(in, out, p, NULL), ==, CG_ERR_INVALID);
    cg_painted_params pp = cg_painted_defaults();
    pp.strokes = *p;
    g_assert_cmpint(cg_filter_painted(in, out, &pp, &err), ==, CG_ERR_INVALID);
    if (!strstr(err.message, field) || !strstr(err.message, "painted"))
        g_error("\"%s\" does not name painted and %s", err.message, field);
    fx_free(in);
    fx_free(out);
}

static void test_bad_params(void)
{
    static const struct {
        size_t offset;
        float value;
        const char *field;
    } floats[] = {
        {offsetof(cg_kuwahara_params, radius), NAN, "radius"},
        {offsetof(cg_kuwahara_params, radius), 0.5f, "radius"},
        {offsetof(cg_kuwahara_params, radius), 33.0f, "radius"},
        {offsetof(cg_kuwahara_params, q), NAN, "q"},
        {offsetof(cg_kuwahara_params, q), -1.0f, "q"},
        {offsetof(cg_kuwahara_params, q), 65.0f, "q"},
        {offsetof(cg_kuwahara_params, noise), NAN, "noise"},
        {offsetof(cg_kuwahara_params, noise), 0.0f, "noise"},
        {offsetof(cg_kuwahara_params, noise), 1.5f, "noise"},
        {offsetof(cg_kuwahara_params, alpha), NAN, "alpha"},
        {offsetof(cg_kuwahara_params, alpha), 0.2f, "alpha"},
        {offsetof(cg_kuwahara_params, alpha), INFINITY, "alpha"},
        {offsetof(cg_kuwahara_params, tensor_sigma), NAN, "tensor_sigma"},
        {offsetof(cg_kuwahara_params, tensor_sigma), 0.0f, "tensor_sigma"},
        {offsetof(cg_kuwahara_params, tensor_sigma), 17.0f, "tensor_sigma"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(floats); i++) {
        cg_kuwahara_params p = cg_kuwahara_defaults();
        memcpy((char *)&p + floats[i].offset, &floats[i].value, sizeof(float));
        expect_bad(&p, floats[i].field);
    }
    static const int sectors[] = {3, 9, 0, -8};
    for (size_t i = 0; i < G_N_ELEMENTS(sectors); i++) {
        cg_kuwahara_params p = cg_kuwahara_defaults();
        p.sectors = sectors[i];
        expect_bad(&p, "sectors");
    }
}

/* Six saturated blocks (red, orange, yellow-green, cyan, blue, magenta) with
 * a gentle gradient and strong per-pixel texture. */
static cg_image *saturated_blocks(int w, int h, uint64_t seed)
{
    static const float colours[6][3] = {{0.85f, 0.1f, 0.1f}, {0.9f, 0.5f, 0.1f}, {0.5f, 0.8f, 0.1f},
                                        {0.1f, 0.75f, 0.8f}, {0.15f, 0.2f, 0.85f}, {0.75f, 0.15f, 0.7f}};
    cg_image *img = fx_new(w, h);
    uint64_t s = seed;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float *c = colours[(x * 3 / w) + 3 * (y * 2 / h)];
            float *p = fx_px(img, x, y), shade = 0.9f + 0.2f * (float)y / (float)h;
            for (int k = 0; k < 3; k++)
                p[k] = fminf(1.0f, fmaxf(0.0f, c[k] * shade + 0.16f * (fx_uniform(&s) - 0.5f)));
            p[3] = 1.0f;
        }
    return img;
}

/* Chroma-weighted mean hue of a block, as an angle of the summed
 * (B' - Y', R' - Y') vectors, in degrees; *chroma gets their mean length. */
static double block_hue(const cg_image *img, int x0, int y0, int x1, int y1, double *chroma)
{
    double cb = 0, cr = 0, len = 0;
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, n++) {
            const float *p = fx_px(img, x, y);
            double Y = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            cb += p[2] - Y;
            cr += p[0] - Y;
            len += hypot(p[2] - Y, p[0] - Y);
        }
    *chroma = len / n;
    return atan2(cr, cb) * 180 / G_PI;
}

/* Mean of the 3x3 luma standard deviation inside a block: texture. */
static double block_texture(const cg_image *img, int x0, int y0, int x1, int y1)
{
    double sum = 0;
    int n = 0;
    for (int y = y0 + 1; y < y1 - 1; y++)
        for (int x = x0 + 1; x < x1 - 1; x++, n++) {
            double s1 = 0, s2 = 0;
            for (int d = -1; d <= 1; d++)
                for (int e = -1; e <= 1; e++) {
                    const float *p = fx_px(img, x + e, y + d);
                    double Y = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
                    s1 += Y;
                    s2 += Y * Y;
                }
            sum += sqrt(fmax(0, s2 / 9 - s1 * s1 / 81));
        }
    return sum / n;
}

/* The painted teacher keeps each block's hue and roughly its chroma,
 * smooths the texture into paint, draws no dark outlines between blocks,
 * and gives the same result every time. */
static void test_painted_colours(void)
{
    int w = 96, h = 64;
    cg_image *in = saturated_blocks(w, h, 17), *out = fx_new(w, h), *again = fx_new(w, h);
    g_assert_cmpint(cg_filter_painted(in, out, NULL, NULL), ==, CG_OK);
    g_assert_cmpint(cg_filter_painted(in, again, NULL, NULL), ==, CG_OK);
    g_assert_true(fx_equal(out, again));
    fx_assert_alpha_same(in, out);
    fx_assert_range01(out);
    for (int b = 0; b < 6; b++) {
        /* the block's inside, 4 px from its borders */
        int x0 = (b % 3) * w / 3 + 4, x1 = (b % 3 + 1) * w / 3 - 4;
        int y0 = (b / 3) * h / 2 + 4, y1 = (b / 3 + 1) * h / 2 - 4;
        double cin, cout, hin = block_hue(in, x0, y0, x1, y1, &cin), hout = block_hue(out, x0, y0, x1, y1, &cout);
        double dh = fabs(remainder(hout - hin, 360.0));
        double tin = block_texture(in, x0, y0, x1, y1), tout = block_texture(out, x0, y0, x1, y1);
        g_test_message("block %d: hue %.1f -> %.1f, chroma %.3f -> %.3f, texture %.4f -> %.4f", b, hin, hout, cin, cout,
                       tin, tout);
        g_assert_cmpfloat(dh, <, 3.0);
        g_assert_cmpfloat(cout, >, 0.9 * cin);
        g_assert_cmpfloat(cout, <, 1.3 * cin);
        g_assert_cmpfloat(tout, <, 0.5 * tin);
    }
    /* no ink: nothing much darker than the darker neighbour block */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float *p = fx_px(out, x, y);
            g_assert_cmpfloat(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2], >, 0.12);
        }
    fx_free(in);
    fx_free(out);
    fx_free(again);
}

static void test_painted_bad_params(void)
{
    cg_image *in = fx_picture(8, 8, 1), *out = fx_new(8, 8);
    cg_error err = {0};
    static const struct {
        int passes;
        float saturation, contrast;
        const char *field;
    } bad[] = {{0, 1, 1, "passes"},      {5, 1, 1, "passes"},      {1, NAN, 1, "saturation"},
               {1, -0.1f, 1, "saturation"}, {1, 2.5f, 1, "saturation"}, {1, 1, NAN, "contrast"},
               {1, 1, 3, "contrast"}};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        cg_painted_params p = cg_painted_defaults();
        p.passes = bad[i].passes;
        p.saturation = bad[i].saturation;
        p.contrast = bad[i].contrast;
        g_assert_cmpint(cg_filter_painted(in, out, &p, &err), ==, CG_ERR_INVALID);
        if (!strstr(err.message, bad[i].field) || !strstr(err.message, "painted"))
            g_error("\"%s\" does not name painted and %s", err.message, bad[i].field);
        g_assert_cmpint(cg_filter_painted(in, out, &p, NULL), ==, CG_ERR_INVALID);
    }
    fx_free(in);
    fx_free(out);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/filters/painted/kuwahara-reference", test_reference);
    g_test_add_func("/filters/painted/kuwahara-constant", test_constant);
    g_test_add_func("/filters/painted/kuwahara-not-numbers", test_not_numbers);
    g_test_add_func("/filters/painted/kuwahara-step-edge", test_step_edge);
    g_test_add_func("/filters/painted/kuwahara-continuity", test_continuity);
    g_test_add_func("/filters/painted/bad-params", test_bad_params);
    g_test_add_func("/filters/painted/teacher-colours", test_painted_colours);
    g_test_add_func("/filters/painted/teacher-bad-params", test_painted_bad_params);
    return g_test_run();
}
