/* Guided filter and the box / Gaussian helpers under it, against direct
 * double-precision sums. */
#include "fixture.h"
#include "filters/plane.h"

/* Mean of v over the clipped (2r+1)^2 window at (x, y), directly. */
static double direct_box(const double *v, int w, int h, int x, int y, int r)
{
    double s = 0.0;
    int n = 0;
    for (int yy = y - r; yy <= y + r; yy++)
        for (int xx = x - r; xx <= x + r; xx++)
            if (xx >= 0 && yy >= 0 && xx < w && yy < h) {
                s += v[(size_t)yy * w + xx];
                n++;
            }
    return s / n;
}

static void solve3(double M[3][3], const double rhs[3], double out[3])
{
    double A[3][4];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            A[i][j] = M[i][j];
        A[i][3] = rhs[i];
    }
    for (int c = 0; c < 3; c++) {
        int piv = c;
        for (int i = c + 1; i < 3; i++)
            if (fabs(A[i][c]) > fabs(A[piv][c]))
                piv = i;
        for (int j = 0; j < 4; j++) {
            double t = A[c][j];
            A[c][j] = A[piv][j];
            A[piv][j] = t;
        }
        for (int i = 0; i < 3; i++)
            if (i != c) {
                double f = A[i][c] / A[c][c];
                for (int j = c; j < 4; j++)
                    A[i][j] -= f * A[c][j];
            }
    }
    for (int i = 0; i < 3; i++)
        out[i] = A[i][3] / A[i][i];
}

/* He et al.'s algorithm written out per window, in double. */
static cg_image *naive_guided(const cg_image *in, int r, double eps, cg_guide guide)
{
    int w = in->width, h = in->height;
    size_t n = (size_t)w * h;
    double *I[3], *Y = g_new(double, n);
    for (int c = 0; c < 3; c++)
        I[c] = g_new(double, n);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++)
            I[c][i] = in->pixels[4 * i + c];
        Y[i] = 0.299 * I[0][i] + 0.587 * I[1][i] + 0.114 * I[2][i];
    }
    /* per-window coefficients: colour guide a[c][j], luma guide a[c][0] */
    double *A[3][3], *B[3];
    for (int c = 0; c < 3; c++) {
        B[c] = g_new0(double, n);
        for (int j = 0; j < 3; j++)
            A[c][j] = g_new0(double, n);
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t k = (size_t)y * w + x;
            double m[3] = {0}, S[3][3] = {{0}}, my = 0, syy = 0, syp[3] = {0};
            int cnt = 0;
            for (int yy = y - r; yy <= y + r; yy++)
                for (int xx = x - r; xx <= x + r; xx++) {
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                        continue;
                    size_t i = (size_t)yy * w + xx;
                    cnt++;
                    for (int a = 0; a < 3; a++) {
                        m[a] += I[a][i];
                        syp[a] += Y[i] * I[a][i];
                        for (int b = 0; b < 3; b++)
                            S[a][b] += I[a][i] * I[b][i];
                    }
                    my += Y[i];
                    syy += Y[i] * Y[i];
                }
            for (int a = 0; a < 3; a++)
                m[a] /= cnt;
            my /= cnt;
            if (guide == CG_GUIDE_COLOR) {
                double M[3][3], Sig[3][3];
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++) {
                        Sig[a][b] = S[a][b] / cnt - m[a] * m[b];
                        M[a][b] = Sig[a][b] + (a == b ? eps : 0.0);
                    }
                for (int c = 0; c < 3; c++) {
                    double rhs[3] = {Sig[0][c], Sig[1][c], Sig[2][c]}, a[3];
                    solve3(M, rhs, a);
                    B[c][k] = m[c];
                    for (int j = 0; j < 3; j++) {
                        A[c][j][k] = a[j];
                        B[c][k] -= a[j] * m[j];
                    }
                }
            } else {
                double var = syy / cnt - my * my;
                for (int c = 0; c < 3; c++) {
                    double a = (syp[c] / cnt - my * m[c]) / (var + eps);
                    A[c][0][k] = a;
                    B[c][k] = m[c] - a * my;
                }
            }
        }
    cg_image *out = fx_new(w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            for (int c = 0; c < 3; c++) {
                double q = direct_box(B[c], w, h, x, y, r);
                if (guide == CG_GUIDE_COLOR)
                    for (int j = 0; j < 3; j++)
                        q += direct_box(A[c][j], w, h, x, y, r) * I[j][i];
                else
                    q += direct_box(A[c][0], w, h, x, y, r) * Y[i];
                out->pixels[4 * i + c] = (float)fmin(1.0, fmax(0.0, q));
            }
            out->pixels[4 * i + 3] = in->pixels[4 * i + 3];
        }
    for (int c = 0; c < 3; c++) {
        g_free(I[c]);
        g_free(B[c]);
        for (int j = 0; j < 3; j++)
            g_free(A[c][j]);
    }
    g_free(Y);
    return out;
}

static float max_diff(const cg_image *a, const cg_image *b)
{
    float m = 0.0f;
    for (size_t i = 0; i < (size_t)a->width * a->height * 4; i++)
        m = fmaxf(m, fabsf(a->pixels[i] - b->pixels[i]));
    return m;
}

static void test_against_naive(void)
{
    static const struct {
        int w, h, r;
        float eps;
    } cases[] = {{23, 17, 1, 0.01f}, {31, 20, 3, 0.001f}, {40, 33, 5, 0.05f}, {9, 7, 20, 0.01f}};
    for (size_t t = 0; t < G_N_ELEMENTS(cases); t++) {
        cg_image *in = fx_picture(cases[t].w, cases[t].h, 11 + t);
        for (int guide = 0; guide < 2; guide++) {
            cg_guided_params p = {.radius = cases[t].r, .eps = cases[t].eps, .guide = guide};
            cg_image *out = fx_new(in->width, in->height);
            cg_error err = {0};
            g_assert_cmpint(cg_filter_guided(in, out, &p, &err), ==, CG_OK);
            cg_image *ref = naive_guided(in, p.radius, p.eps, p.guide);
            float d = max_diff(out, ref);
            g_test_message("%dx%d r=%d eps=%g guide=%d: max diff %g", in->width, in->height,
                           p.radius, (double)p.eps, guide, (double)d);
            g_assert_cmpfloat(d, <, 1e-5f);
            fx_free(ref);
            fx_free(out);
        }
        fx_free(in);
    }
}

static void test_box_against_direct(void)
{
    int w = 37, h = 23;
    float *src = g_new(float, w * h), *dst = g_new(float, w * h), *tmp = g_new(float, w * h);
    double *v = g_new(double, w * h);
    uint64_t s = 5;
    for (int i = 0; i < w * h; i++)
        v[i] = src[i] = fx_uniform(&s);
    for (int r = 0; r <= 40; r += (r < 5 ? 1 : 13)) {
        cgf_box_mean(src, dst, tmp, w, h, r);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                g_assert_cmpfloat(fabs(dst[y * w + x] - direct_box(v, w, h, x, y, r)), <, 1e-6);
    }
    /* in place */
    cgf_box_mean(src, src, tmp, w, h, 2);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            g_assert_cmpfloat(fabs(src[y * w + x] - direct_box(v, w, h, x, y, 2)), <, 1e-6);
    g_free(src);
    g_free(dst);
    g_free(tmp);
    g_free(v);
}

static void test_gauss_against_direct(void)
{
    int w = 41, h = 6; /* h smaller than the kernel: mirroring repeats */
    float *src = g_new(float, w * h), *dst = g_new(float, w * h), *tmp = g_new(float, w * h);
    uint64_t s = 9;
    for (int i = 0; i < w * h; i++)
        src[i] = fx_uniform(&s);
    float sigmas[] = {0.3f, 1.0f, 1.6f, 3.7f};
    for (size_t t = 0; t < G_N_ELEMENTS(sigmas); t++) {
        double sg = sigmas[t];
        int R = (int)ceil(3.0 * sg);
        R = R < 1 ? 1 : R;
        double norm = 0.0;
        for (int k = -R; k <= R; k++)
            norm += exp(-0.5 * k * k / (sg * sg));
        cgf_gauss_blur(src, dst, tmp, w, h, sigmas[t]);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double acc = 0.0;
                for (int j = -R; j <= R; j++)
                    for (int i = -R; i <= R; i++) {
                        int xx = cgf_mirror(x + i, w), yy = cgf_mirror(y + j, h);
                        acc += exp(-0.5 * (i * i + j * j) / (sg * sg)) * src[yy * w + xx];
                    }
                g_assert_cmpfloat(fabs(dst[y * w + x] - acc / (norm * norm)), <, 1e-5);
            }
    }
    g_free(src);
    g_free(dst);
    g_free(tmp);
}

static void test_mirror(void)
{
    g_assert_cmpint(cgf_mirror(-1, 5), ==, 0);
    g_assert_cmpint(cgf_mirror(-2, 5), ==, 1);
    g_assert_cmpint(cgf_mirror(5, 5), ==, 4);
    g_assert_cmpint(cgf_mirror(6, 5), ==, 3);
    g_assert_cmpint(cgf_mirror(-12, 3), ==, 0);
    g_assert_cmpint(cgf_mirror(7, 1), ==, 0);
    for (int i = -50; i < 50; i++) {
        int m = cgf_mirror(i, 4);
        g_assert_true(m >= 0 && m < 4);
    }
}

static void test_constant(void)
{
    cg_image *in = fx_square(50, 40, 0, 0, 0, 0, 0.0f, 0.37f);
    for (int guide = 0; guide < 2; guide++) {
        cg_image *out = fx_new(50, 40);
        cg_guided_params p = {.radius = 6, .eps = 1e-4f, .guide = guide};
        g_assert_cmpint(cg_filter_guided(in, out, &p, NULL), ==, CG_OK);
        for (size_t i = 0; i < 50 * 40 * 4; i++)
            g_assert_cmpfloat(fabsf(out->pixels[i] - in->pixels[i]), <, 1e-5f);
        fx_free(out);
    }
    fx_free(in);
}

/* A vertical step 0.2 | 0.8: the guided filter must stay much closer to it
 * than a box blur of the same radius. */
static void test_step_edge(void)
{
    int w = 64, h = 16, r = 4;
    cg_image *in = fx_square(w, h, 32, 0, 64, 16, 0.8f, 0.2f);
    for (int guide = 0; guide < 2; guide++) {
        cg_image *out = fx_new(w, h);
        cg_guided_params p = {.radius = r, .eps = 0.001f, .guide = guide};
        g_assert_cmpint(cg_filter_guided(in, out, &p, NULL), ==, CG_OK);
        double err_g = 0.0, err_box = 0.0;
        for (int x = 32 - 2 * r; x < 32 + 2 * r; x++) {
            double box = 0.0;
            int cnt = 0;
            for (int xx = x - r; xx <= x + r; xx++, cnt++)
                box += xx >= 32 ? 0.8 : 0.2;
            box /= cnt;
            double orig = x >= 32 ? 0.8 : 0.2;
            err_g += fabs(fx_px(out, x, 8)[0] - orig);
            err_box += fabs(box - orig);
        }
        g_test_message("guide %d: edge error %g vs box %g", guide, err_g, err_box);
        g_assert_cmpfloat(err_g, <, 0.2 * err_box);
        /* and the step is still one: the pixels either side differ a lot */
        g_assert_cmpfloat(fx_px(out, 32, 8)[0] - fx_px(out, 31, 8)[0], >, 0.4);
        fx_free(out);
    }
    fx_free(in);
}

static void test_smooths_noise(void)
{
    cg_image *in = fx_new(64, 64);
    uint64_t s = 3;
    for (size_t i = 0; i < 64 * 64; i++) {
        for (int c = 0; c < 3; c++)
            in->pixels[4 * i + c] = 0.5f + 0.05f * (fx_uniform(&s) - 0.5f);
        in->pixels[4 * i + 3] = 1.0f;
    }
    cg_image *out = fx_new(64, 64);
    g_assert_cmpint(cg_filter_guided(in, out, NULL, NULL), ==, CG_OK);
    double vin = 0, vout = 0;
    for (size_t i = 0; i < 64 * 64; i++) {
        vin += pow(in->pixels[4 * i] - 0.5, 2);
        vout += pow(out->pixels[4 * i] - 0.5, 2);
    }
    g_assert_cmpfloat(vout, <, 0.1 * vin);
    fx_free(in);
    fx_free(out);
}

static void test_bad_params(void)
{
    cg_image *in = fx_picture(8, 8, 1), *out = fx_new(8, 8), *small = fx_new(7, 8);
    cg_error err = {0};
    cg_guided_params p = cg_guided_defaults();
    p.eps = NAN;
    g_assert_cmpint(cg_filter_guided(in, out, &p, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "eps"));
    p = cg_guided_defaults();
    p.eps = 0.0f;
    g_assert_cmpint(cg_filter_guided(in, out, &p, &err), ==, CG_ERR_INVALID);
    p = cg_guided_defaults();
    p.radius = 0;
    g_assert_cmpint(cg_filter_guided(in, out, &p, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "radius"));
    p = cg_guided_defaults();
    p.guide = (cg_guide)7;
    g_assert_cmpint(cg_filter_guided(in, out, &p, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_filter_guided(in, small, NULL, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "7x8"));
    g_assert_cmpint(cg_filter_guided(NULL, out, NULL, NULL), ==, CG_ERR_INVALID);
    fx_free(in);
    fx_free(out);
    fx_free(small);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/filters/guided/box-direct", test_box_against_direct);
    g_test_add_func("/filters/guided/gauss-direct", test_gauss_against_direct);
    g_test_add_func("/filters/guided/mirror", test_mirror);
    g_test_add_func("/filters/guided/naive", test_against_naive);
    g_test_add_func("/filters/guided/constant", test_constant);
    g_test_add_func("/filters/guided/step-edge", test_step_edge);
    g_test_add_func("/filters/guided/smooths-noise", test_smooths_noise);
    g_test_add_func("/filters/guided/bad-params", test_bad_params);
    return g_test_run();
}
