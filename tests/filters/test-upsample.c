/* Guided upsampling against a naive reference: windows summed directly,
 * the 3x3 system solved by Gaussian elimination, coefficients averaged over
 * the windows and interpolated bilinearly at each full-size pixel, all in
 * double. Also: cg_image_resize against a direct triangle filter. */
#include "fixture.h"
#include "filters/upsample.h"

static void random_image(cg_image *img, guint32 seed)
{
    GRand *r = g_rand_new_with_seed(seed);
    for (size_t i = 0; i < (size_t)img->width * img->height * 4; i++)
        img->pixels[i] = (float)g_rand_double(r);
    /* some structure: a bright block, so windows have real edges */
    for (int y = 0; y < img->height / 2; y++)
        for (int x = 0; x < img->width / 3; x++)
            fx_px(img, x, y)[1] = 0.95f;
    g_rand_free(r);
}

/* Solves M x = v (3x3) by Gaussian elimination with partial pivoting. */
static void solve3(double M[3][3], double v[3], double x[3])
{
    double A[3][4];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            A[i][j] = M[i][j];
        A[i][3] = v[i];
    }
    for (int c = 0; c < 3; c++) {
        int p = c;
        for (int i = c + 1; i < 3; i++)
            if (fabs(A[i][c]) > fabs(A[p][c]))
                p = i;
        for (int j = 0; j < 4; j++) {
            double t = A[c][j];
            A[c][j] = A[p][j];
            A[p][j] = t;
        }
        for (int i = c + 1; i < 3; i++) {
            double f = A[i][c] / A[c][c];
            for (int j = c; j < 4; j++)
                A[i][j] -= f * A[c][j];
        }
    }
    for (int i = 2; i >= 0; i--) {
        double s = A[i][3];
        for (int j = i + 1; j < 3; j++)
            s -= A[i][j] * x[j];
        x[i] = s / A[i][i];
    }
}

static double luma(const float *p)
{
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

/* The coefficients of the model fitted in the window around (x, y): 12 for
 * the colour guide, 6 for the others (a per channel, then b), 3 (p) for none. */
static void window_model(const cg_image *I, const cg_image *p, int x, int y, int r, double eps, cgf_up_guide how,
                         double *k)
{
    if (how == CGF_UP_BILINEAR) {
        for (int c = 0; c < 3; c++)
            k[c] = fx_px(p, x, y)[c];
        return;
    }
    double n = 0, mI[3] = {0}, mII[3][3] = {{0}}, mp[3] = {0}, mIp[3][3] = {{0}};
    for (int yy = y - r; yy <= y + r; yy++)
        for (int xx = x - r; xx <= x + r; xx++) {
            if (xx < 0 || yy < 0 || xx >= I->width || yy >= I->height)
                continue;
            const float *g = fx_px(I, xx, yy), *q = fx_px(p, xx, yy);
            double gv[3];
            for (int c = 0; c < 3; c++)
                gv[c] = how == CGF_UP_LUMA ? luma(g) : g[c];
            n++;
            for (int i = 0; i < 3; i++) {
                mI[i] += gv[i];
                mp[i] += q[i];
                for (int j = 0; j < 3; j++) {
                    mII[i][j] += gv[i] * gv[j];
                    mIp[i][j] += gv[i] * q[j];
                }
            }
        }
    for (int i = 0; i < 3; i++) {
        mI[i] /= n;
        mp[i] /= n;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            mII[i][j] = mII[i][j] / n - mI[i] * mI[j];
            mIp[i][j] = mIp[i][j] / n - mI[i] * mp[j];
        }
    if (how == CGF_UP_COLOR) {
        for (int i = 0; i < 3; i++)
            mII[i][i] += eps;
        for (int c = 0; c < 3; c++) {
            double cov[3] = {mIp[0][c], mIp[1][c], mIp[2][c]}, a[3];
            solve3(mII, cov, a);
            k[9 + c] = mp[c];
            for (int i = 0; i < 3; i++) {
                k[3 * c + i] = a[i];
                k[9 + c] -= a[i] * mI[i];
            }
        }
    } else {
        for (int c = 0; c < 3; c++) {
            double a = mIp[c][c] / (mII[c][c] + eps);
            k[c] = a;
            k[3 + c] = mp[c] - a * mI[c];
        }
    }
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static double naive_at(const cg_image *I, const cg_image *p, const cg_image *full, int X, int Y, int r, double eps,
                       cgf_up_guide how, int c)
{
    int w = I->width, h = I->height, nk = how == CGF_UP_COLOR ? 12 : how == CGF_UP_BILINEAR ? 3 : 6;
    /* the averaged model at a low-resolution pixel */
    double avg[4][12];
    double fx = (X + 0.5) * w / full->width - 0.5, fy = (Y + 0.5) * h / full->height - 0.5;
    int x0 = (int)floor(fx), y0 = (int)floor(fy);
    double tx = fx - x0, ty = fy - y0;
    int xs[2] = {x0 < 0 ? 0 : x0 >= w ? w - 1 : x0, x0 + 1 < 0 ? 0 : x0 + 1 >= w ? w - 1 : x0 + 1};
    int ys[2] = {y0 < 0 ? 0 : y0 >= h ? h - 1 : y0, y0 + 1 < 0 ? 0 : y0 + 1 >= h ? h - 1 : y0 + 1};
    for (int q = 0; q < 4; q++) {
        int x = xs[q & 1], y = ys[q >> 1];
        double n = 0, k[12];
        for (int i = 0; i < nk; i++)
            avg[q][i] = 0;
        for (int yy = y - (how == CGF_UP_BILINEAR ? 0 : r); yy <= y + (how == CGF_UP_BILINEAR ? 0 : r); yy++)
            for (int xx = x - (how == CGF_UP_BILINEAR ? 0 : r); xx <= x + (how == CGF_UP_BILINEAR ? 0 : r); xx++) {
                if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                    continue;
                window_model(I, p, xx, yy, r, eps, how, k);
                for (int i = 0; i < nk; i++)
                    avg[q][i] += k[i];
                n++;
            }
        for (int i = 0; i < nk; i++)
            avg[q][i] /= n;
    }
    double k[12];
    for (int i = 0; i < nk; i++)
        k[i] = (1 - ty) * ((1 - tx) * avg[0][i] + tx * avg[1][i]) + ty * ((1 - tx) * avg[2][i] + tx * avg[3][i]);
    const float *g = fx_px(full, X, Y);
    switch (how) {
    case CGF_UP_COLOR: return clamp01(k[3 * c] * g[0] + k[3 * c + 1] * g[1] + k[3 * c + 2] * g[2] + k[9 + c]);
    case CGF_UP_CHANNEL: return clamp01(k[c] * g[c] + k[3 + c]);
    case CGF_UP_LUMA: return clamp01(k[c] * luma(g) + k[3 + c]);
    default: return clamp01(k[c]);
    }
}

static void test_against_naive(void)
{
    const cgf_up_guide guides[] = {CGF_UP_COLOR, CGF_UP_CHANNEL, CGF_UP_LUMA, CGF_UP_BILINEAR};
    const int sizes[][4] = {{13, 9, 50, 37}, {7, 11, 29, 40}, {1, 5, 3, 17}};
    for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++)
        for (int r = 1; r <= 2; r++)
            for (size_t g = 0; g < G_N_ELEMENTS(guides); g++) {
                cg_image *I = fx_new(sizes[s][0], sizes[s][1]), *p = fx_new(sizes[s][0], sizes[s][1]);
                cg_image *full = fx_new(sizes[s][2], sizes[s][3]);
                random_image(I, 1 + (guint32)s);
                random_image(p, 2 + (guint32)s);
                random_image(full, 3 + (guint32)s);
                const float eps = 1e-2f;
                cg_error err = {0};
                cgf_upsampler *u = cgf_upsampler_new(I, p, r, eps, guides[g], &err);
                g_assert_nonnull(u);
                uint16_t *dst = g_new0(uint16_t, (size_t)full->width * full->height * 3);
                /* in bands of 1, 2, 3... rows, as the stylizer calls it */
                const int FW = full->width, FH = full->height;
                for (int y = 0, k = 1; y < FH; y += k, k++) {
                    int y1 = y + k < FH ? y + k : FH;
                    g_assert_true(cgf_upsampler_apply(u, cg_image_at(full, 0, y), FW, FH, y, y1,
                                                      dst + (size_t)3 * FW * y));
                }
                double worst = 0;
                for (int Y = 0; Y < full->height; Y++)
                    for (int X = 0; X < full->width; X++)
                        for (int c = 0; c < 3; c++) {
                            double ref = naive_at(I, p, full, X, Y, r, eps, guides[g], c);
                            worst = fmax(worst, fabs(dst[((size_t)Y * full->width + X) * 3 + c] / 65535.0 - ref));
                        }
                g_test_message("sizes %zu, r %d, guide %zu: max |fast - naive| = %.3g", s, r, g, worst);
                g_assert_cmpfloat(worst, <, 3e-5); /* 16-bit rounding is 7.6e-6 */
                g_free(dst);
                cgf_upsampler_free(u);
                fx_free(I);
                fx_free(p);
                fx_free(full);
            }
}

/* With the result equal to its guide and a tiny eps, the colour-guided
 * upsampling gives the full-size guide back: the models are the identity. */
static void test_identity(void)
{
    cg_image *full = fx_new(60, 44);
    random_image(full, 9);
    cg_error err = {0};
    cg_image *low = cg_image_resize(full, 15, 11, &err);
    cgf_upsampler *u = cgf_upsampler_new(low, low, 1, 1e-6f, CGF_UP_COLOR, &err);
    uint16_t *dst = g_new0(uint16_t, 60 * 44 * 3);
    g_assert_true(cgf_upsampler_apply(u, full->pixels, 60, 44, 0, 44, dst));
    double worst = 0;
    for (int i = 0; i < 60 * 44; i++)
        for (int c = 0; c < 3; c++)
            worst = fmax(worst, fabs(dst[3 * i + c] / 65535.0 - full->pixels[4 * i + c]));
    g_test_message("identity: max error %.3g", worst);
    g_assert_cmpfloat(worst, <, 0.01);
    g_free(dst);
    cgf_upsampler_free(u);
    cg_image_free(low);
    fx_free(full);
}

/* cg_image_resize against a direct triangle filter, shrinking and enlarging. */
static void test_resize(void)
{
    cg_image *src = fx_new(37, 23);
    random_image(src, 4);
    const int sizes[][2] = {{10, 7}, {37, 23}, {80, 50}, {1, 1}, {19, 40}};
    for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
        int W = sizes[s][0], H = sizes[s][1];
        cg_error err = {0};
        cg_image *out = cg_image_resize(src, W, H, &err);
        g_assert_nonnull(out);
        double sx = (double)src->width / W, sy = (double)src->height / H;
        double supx = sx > 1 ? sx : 1, supy = sy > 1 ? sy : 1, worst = 0;
        for (int Y = 0; Y < H; Y++)
            for (int X = 0; X < W; X++)
                for (int c = 0; c < 4; c++) {
                    double cx = (X + 0.5) * sx, cy = (Y + 0.5) * sy, acc = 0, wsum = 0;
                    for (int y = 0; y < src->height; y++)
                        for (int x = 0; x < src->width; x++) {
                            double wx = 1 - fabs(x + 0.5 - cx) / supx, wy = 1 - fabs(y + 0.5 - cy) / supy;
                            if (wx <= 0 || wy <= 0)
                                continue;
                            acc += wx * wy * fx_px(src, x, y)[c];
                            wsum += wx * wy;
                        }
                    worst = fmax(worst, fabs(fx_px(out, X, Y)[c] - acc / wsum));
                }
        g_test_message("resize to %dx%d: max error %.3g", W, H, worst);
        g_assert_cmpfloat(worst, <, 1e-5);
        cg_image_free(out);
    }
    fx_free(src);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/upsample/against_naive", test_against_naive);
    g_test_add_func("/upsample/identity", test_identity);
    g_test_add_func("/upsample/resize", test_resize);
    return g_test_run();
}
