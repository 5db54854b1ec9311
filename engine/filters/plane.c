#include "filters/plane.h"
#include "core/simd.h"
#include "core/threads.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

cg_status cgf_check_images(const cg_image *in, const cg_image *out, const char *what,
                           cg_error *err)
{
    if (!in || !out)
        return cg_fail(err, CG_ERR_INVALID, "%s: image is NULL", what);
    if (!in->pixels || !out->pixels)
        return cg_fail(err, CG_ERR_INVALID, "%s: image has no pixels", what);
    if (in->width < 1 || in->height < 1 || in->width > CG_IMAGE_MAX_SIDE ||
        in->height > CG_IMAGE_MAX_SIDE)
        return cg_fail(err, CG_ERR_INVALID, "%s: bad image size %dx%d", what, in->width,
                       in->height);
    if (out->width != in->width || out->height != in->height)
        return cg_fail(err, CG_ERR_INVALID, "%s: output is %dx%d, input %dx%d", what,
                       out->width, out->height, in->width, in->height);
    return CG_OK;
}

cg_status cgf_check_finite(const cg_image *img, const char *what, cg_error *err)
{
    size_t n = cgf_npix(img);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            if (!isfinite(img->pixels[4 * i + c]))
                return cg_fail(err, CG_ERR_NUMERIC, "%s: pixel (%zu, %zu) is not a finite number", what,
                               i % (size_t)img->width, i / (size_t)img->width);
    return CG_OK;
}

cg_status cgf_check_range(float v, float lo, float hi, const char *field, cg_error *err)
{
    if (!(v >= lo && v <= hi))
        return cg_fail(err, CG_ERR_INVALID, "%s = %g is outside [%g, %g]", field, (double)v,
                       (double)lo, (double)hi);
    return CG_OK;
}

cg_status cgf_check_above(float v, float lo, float hi, const char *field, cg_error *err)
{
    if (!(v > lo && v <= hi))
        return cg_fail(err, CG_ERR_INVALID, "%s = %g is outside (%g, %g]", field, (double)v,
                       (double)lo, (double)hi);
    return CG_OK;
}

cg_status cgf_check_int(int v, int lo, int hi, const char *field, cg_error *err)
{
    if (v < lo || v > hi)
        return cg_fail(err, CG_ERR_INVALID, "%s = %d is outside [%d, %d]", field, v, lo, hi);
    return CG_OK;
}

float *cgf_planes(int w, int h, int n)
{
    size_t count = (size_t)w * (size_t)h;
    if (n < 1 || count > SIZE_MAX / sizeof(float) / (size_t)n)
        return NULL;
    return malloc(count * (size_t)n * sizeof(float));
}

void cgf_luma_plane(const cg_image *img, float *dst)
{
    size_t n = cgf_npix(img);
    const float *px = img->pixels;
    for (size_t i = 0; i < n; i++)
        dst[i] = cgf_luma(px + 4 * i);
}

void cgf_copy_alpha(const cg_image *in, cg_image *out)
{
    if (in->pixels == out->pixels)
        return;
    size_t n = cgf_npix(in);
    for (size_t i = 0; i < n; i++)
        out->pixels[4 * i + 3] = in->pixels[4 * i + 3];
}

void cgf_store_grey(const cg_image *in, cg_image *out, const float *grey)
{
    size_t n = cgf_npix(in);
    for (size_t i = 0; i < n; i++) {
        float *o = out->pixels + 4 * i;
        float g = cgf_clamp01(grey[i]);
        o[3] = in->pixels[4 * i + 3];
        o[0] = o[1] = o[2] = g;
    }
}

enum { STRIP = 64 };

typedef struct box_job {
    const float *src;
    float *dst, *tmp;
    int w, h, r;
} box_job;

/* Rows go four at a time through prefix sums in double: a window's sum is
 * the difference of two of them, so each row is one chain of dependent
 * additions, and four rows' chains overlap. */
enum { BOX_ROWS = 4 };

/* The mean of row values [x - r, x + r] cut to the row, from its prefix sums. */
static inline float cut_window_mean(const double *prefix, int64_t x, int r, int w)
{
    int64_t lo = x - r < 0 ? 0 : x - r, hi = x + r >= w ? w - 1 : x + r;
    return (float)((prefix[hi + 1] - prefix[lo]) / (double)(hi - lo + 1));
}

CG_KERNEL static void box_rows(void *ctx, int64_t begin, int64_t end)
{
    const box_job *j = ctx;
    const int w = j->w, r = j->r;
    const double inner = 1.0 / (2 * r + 1);
    double *prefix = g_new(double, (size_t)BOX_ROWS * (w + 1)); /* prefix[k][i]: the first i values of row k */
    for (int64_t y = begin; y < end; y += BOX_ROWS) {
        int rows = end - y < BOX_ROWS ? (int)(end - y) : BOX_ROWS;
        const float *row[BOX_ROWS];
        for (int k = 0; k < BOX_ROWS; k++)
            row[k] = j->src + (size_t)(y + (k < rows ? k : rows - 1)) * w; /* a missing row repeats the last */
        double s[BOX_ROWS] = {0};
        for (int i = 0; i < w; i++)
            for (int k = 0; k < BOX_ROWS; k++) {
                prefix[k * (w + 1) + i] = s[k];
                s[k] += row[k][i];
            }
        for (int k = 0; k < BOX_ROWS; k++)
            prefix[k * (w + 1) + w] = s[k];
        for (int k = 0; k < rows; k++) {
            const double *p = prefix + k * (w + 1);
            float *t = j->tmp + (size_t)(y + k) * w;
            /* interior windows are whole: x0 <= x < x1; near the borders
             * a window is cut and divided by its own count */
            int64_t x0 = r < w ? r : w, x1 = w - r > x0 ? w - r : x0;
            const double *add = p + x0 + r + 1, *sub = p + x0 - r;
            float *o = t + x0;
            for (int64_t i = 0; i < x1 - x0; i++)
                o[i] = (float)((add[i] - sub[i]) * inner);
            for (int64_t x = 0; x < x0; x++)
                t[x] = cut_window_mean(p, x, r, w);
            for (int64_t x = x1; x < w; x++)
                t[x] = cut_window_mean(p, x, r, w);
        }
    }
    g_free(prefix);
}

/* Column strips keep a row of double sums small enough for the stack. */
CG_KERNEL static void box_columns(void *ctx, int64_t begin, int64_t end)
{
    const box_job *j = ctx;
    const int w = j->w, h = j->h, r = j->r;
    const float *tmp = j->tmp;
    float *dst = j->dst;
    for (int64_t strip = begin; strip < end; strip++) {
        int x0 = (int)strip * STRIP;
        int n = w - x0 < STRIP ? w - x0 : STRIP;
        double cs[STRIP] = {0};
        for (int i = 0; i <= r && i < h; i++)
            for (int k = 0; k < n; k++)
                cs[k] += tmp[(size_t)i * w + x0 + k];
        for (int y = 0; y < h; y++) {
            int lo = y - r < 0 ? 0 : y - r;
            int hi = y + r >= h ? h - 1 : y + r;
            double inv = 1.0 / (hi - lo + 1);
            float *d = dst + (size_t)y * w + x0;
            for (int k = 0; k < n; k++)
                d[k] = (float)(cs[k] * inv);
            if (y + r + 1 < h) {
                const float *add = tmp + (size_t)(y + r + 1) * w + x0;
                for (int k = 0; k < n; k++)
                    cs[k] += add[k];
            }
            if (y - r >= 0) {
                const float *sub = tmp + (size_t)(y - r) * w + x0;
                for (int k = 0; k < n; k++)
                    cs[k] -= sub[k];
            }
        }
    }
}

/* Rows, then column strips, each spread over the engine's workers: every
 * output is computed the same way whichever worker does it. */
void cgf_box_mean(const float *src, float *dst, float *tmp, int w, int h, int r)
{
    box_job j = {src, dst, tmp, w, h, r};
    cg_parallel_range(h, 16, box_rows, &j);
    cg_parallel_range((w + STRIP - 1) / STRIP, 1, box_columns, &j);
}

void cgf_local_std(float *v, float *sq, float *tmp, int w, int h, int r)
{
    const size_t n = (size_t)w * h;
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += v[i];
    mean /= (double)n;
    /* Centred first: float moments of values near 0 lose less to E[v^2] - E[v]^2. */
    for (size_t i = 0; i < n; i++) {
        v[i] = (float)(v[i] - mean);
        sq[i] = v[i] * v[i];
    }
    cgf_box_mean(v, v, tmp, w, h, r);
    cgf_box_mean(sq, sq, tmp, w, h, r);
    for (size_t i = 0; i < n; i++) {
        double var = (double)sq[i] - (double)v[i] * v[i];
        v[i] = var > 0 ? (float)sqrt(var) : 0.0f;
    }
}

void cgf_sobel(const float *p, float *dst, int w, int h)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
#define P(dx, dy) p[(size_t)cgf_mirror(y + (dy), h) * w + cgf_mirror(x + (dx), w)]
            float gx = (P(1, -1) + 2 * P(1, 0) + P(1, 1) - P(-1, -1) - 2 * P(-1, 0) - P(-1, 1)) * 0.25f;
            float gy = (P(-1, 1) + 2 * P(0, 1) + P(1, 1) - P(-1, -1) - 2 * P(0, -1) - P(1, -1)) * 0.25f;
#undef P
            dst[(size_t)y * w + x] = sqrtf(gx * gx + gy * gy);
        }
}

static int gauss_kernel(float sigma, float *g)
{
    int R = (int)ceilf(3.0f * sigma);
    if (R < 1)
        R = 1;
    double sum = 0.0, gd[3 * (int)CGF_MAX_SIGMA + 2];
    for (int k = 0; k <= R; k++) {
        gd[k] = exp(-0.5 * (double)k * k / ((double)sigma * sigma));
        sum += k ? 2.0 * gd[k] : gd[k];
    }
    for (int k = 0; k <= R; k++)
        g[k] = (float)(gd[k] / sum);
    return R;
}

void cgf_gauss_blur(const float *src, float *dst, float *tmp, int w, int h, float sigma)
{
    float g[3 * (int)CGF_MAX_SIGMA + 2];
    int R = gauss_kernel(sigma, g);
    for (int y = 0; y < h; y++) {
        const float *row = src + (size_t)y * w;
        float *t = tmp + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float s = g[0] * row[x];
            if (x >= R && x + R < w) {
                for (int k = 1; k <= R; k++)
                    s += g[k] * (row[x - k] + row[x + k]);
            } else {
                for (int k = 1; k <= R; k++)
                    s += g[k] * (row[cgf_mirror(x - k, w)] + row[cgf_mirror(x + k, w)]);
            }
            t[x] = s;
        }
    }
    for (int y = 0; y < h; y++) {
        float *d = dst + (size_t)y * w;
        const float *c = tmp + (size_t)y * w;
        for (int x = 0; x < w; x++)
            d[x] = g[0] * c[x];
        for (int k = 1; k <= R; k++) {
            const float *a = tmp + (size_t)cgf_mirror(y - k, h) * w;
            const float *b = tmp + (size_t)cgf_mirror(y + k, h) * w;
            float gk = g[k];
            for (int x = 0; x < w; x++)
                d[x] += gk * (a[x] + b[x]);
        }
    }
}

void cgf_srgb_lut_init(cgf_srgb_lut *lut)
{
    for (int i = 0; i <= CGF_LUT_N + 1; i++) {
        double c = i >= CGF_LUT_N ? 1.0 : (double)i / CGF_LUT_N;
        lut->t[i] = (float)(c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4));
    }
}

static float srgb_decode(const cgf_srgb_lut *lut, float c)
{
    float t = cgf_clamp01(c) * CGF_LUT_N;
    int i = (int)t;
    float f = t - (float)i;
    return lut->t[i] + f * (lut->t[i + 1] - lut->t[i]);
}

static float lab_f(float t)
{
    return t > 0.008856452f ? cbrtf(t) : t * 7.787037f + 0.137931034f;
}

static float lab_f_inverse(float f)
{
    return f > 0.206896552f ? f * f * f : (f - 0.137931034f) / 7.787037f;
}

static float srgb_encode(float c)
{
    c = cgf_clamp01(c);
    return c <= 0.0031308f ? 12.92f * c : 1.055f * powf(c, 1.0f / 2.4f) - 0.055f;
}

void cgf_lab_to_rgb(const float lab[3], float rgb[3])
{
    float fy = (lab[0] + 16.0f) / 116.0f, fx = fy + lab[1] / 500.0f, fz = fy - lab[2] / 200.0f;
    float x = 0.95047f * lab_f_inverse(fx), y = lab_f_inverse(fy), z = 1.08883f * lab_f_inverse(fz);
    float r = 3.2404542f * x - 1.5371385f * y - 0.4985314f * z;
    float g = -0.9692660f * x + 1.8760108f * y + 0.0415560f * z;
    float b = 0.0556434f * x - 0.2040259f * y + 1.0572252f * z;
    rgb[0] = srgb_encode(r);
    rgb[1] = srgb_encode(g);
    rgb[2] = srgb_encode(b);
}

void cgf_lab(const cgf_srgb_lut *lut, const float *rgb, float lab[3])
{
    float r = srgb_decode(lut, rgb[0]), g = srgb_decode(lut, rgb[1]), b = srgb_decode(lut, rgb[2]);
    float x = (0.4124564f * r + 0.3575761f * g + 0.1804375f * b) / 0.95047f;
    float y = 0.2126729f * r + 0.7151522f * g + 0.0721750f * b;
    float z = (0.0193339f * r + 0.1191920f * g + 0.9503041f * b) / 1.08883f;
    float fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
    lab[0] = 116.0f * fy - 16.0f;
    lab[1] = 500.0f * (fx - fy);
    lab[2] = 200.0f * (fy - fz);
}
