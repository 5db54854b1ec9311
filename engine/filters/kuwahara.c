/* Anisotropic Kuwahara filter (Kyprianidis, Kang, Döllner, "Image and Video
 * Abstraction by Anisotropic Kuwahara Filtering", 2009), with the polynomial
 * sector weights of Kyprianidis, Semmo, Kang, Döllner ("Anisotropic Kuwahara
 * Filtering with Polynomial Weighting Functions", 2010).
 *
 * Two changes from the papers keep the output a continuous function of the
 * input, which a network learning it needs (a photo moved by a pixel must
 * not give a different painting):
 *  - the ellipse-to-disc map is the symmetric M = R S R^T rather than S R^T,
 *    so sectors keep their directions in the image instead of turning with
 *    the edge; M is then computed from the tensor without eigenvectors and
 *    is continuous even where the tensor is isotropic and the edge direction
 *    undefined;
 *  - the radial weight reaches 0 at the rim of the disc, so pixels enter and
 *    leave the window with zero weight. */
#include "comicgan/filters.h"
#include "core/simd.h"
#include "core/threads.h"
#include "filters/plane.h"
#include "filters/stages.h"

#include <stdlib.h>
#include <string.h>

/* Sector overlap at the centre, in disc radii: every sector contains the
 * centre pixel, so none is ever empty. */
#define ZETA (1.0f / 3.0f)
/* Tensor trace below which a region counts as flat (isotropic window): about
 * one 8-bit level of gradient. */
#define TENSOR_EPS 1.5e-5f
/* The padding at the largest radius (32) and smallest alpha (0.25). */
#define KW_MAX_BORDER 161

cg_kuwahara_params cg_kuwahara_defaults(void)
{
    return (cg_kuwahara_params){
        .radius = 6.0f, .sectors = 8, .q = 8.0f, .noise = 0.01f, .alpha = 1.0f, .tensor_sigma = 2.0f};
}

cg_status cgf_kuwahara_check(const cg_kuwahara_params *p, cg_error *err)
{
    cg_status st;
    if ((st = cgf_check_range(p->radius, 1.0f, 32.0f, "kuwahara radius", err)) ||
        (st = cgf_check_int(p->sectors, 4, 8, "kuwahara sectors", err)) ||
        (st = cgf_check_range(p->q, 0.0f, 64.0f, "kuwahara q", err)) ||
        (st = cgf_check_above(p->noise, 0.0f, 1.0f, "kuwahara noise", err)) ||
        (st = cgf_check_range(p->alpha, 0.25f, 1000.0f, "kuwahara alpha", err)) ||
        (st = cgf_check_above(p->tensor_sigma, 0.0f, 16.0f, "kuwahara tensor_sigma", err)))
        return st;
    return CG_OK;
}

typedef struct kw_sectors {
    /* lane k: sector k's axis; unused lanes get zeta -1 (no weight). X is
     * offset by zeta and Y scaled by sqrt(eta), so a sector's weight before
     * squaring is X' - Y'^2. */
    v8 cos, sin, zeta, root_eta;
} kw_sectors;

static void sectors_init(kw_sectors *s, int n)
{
    /* The parabola x = eta y^2 - zeta meets the unit circle exactly on the
     * sector's borders at +-pi/n. */
    float half = 3.14159265358979f / (float)n, sh = sinf(half);
    float eta = (ZETA + cosf(half)) / (sh * sh);
    for (int k = 0; k < 8; k++) {
        float a = 2.0f * half * (float)k;
        s->cos[k] = k < n ? cosf(a) : 0.0f;
        s->sin[k] = k < n ? sinf(a) : 0.0f;
        s->zeta[k] = k < n ? ZETA : -1.0f;
        s->root_eta[k] = sqrtf(eta);
    }
}

/* The ellipse-to-disc map M (symmetric: m11 m12 m22) from the tensor
 * (e, f, g). With t the edge direction and A the anisotropy,
 * M = I / b + (1/a - 1/b) t t^T, and A t t^T = (l1 I - T) / (l1 + l2), so M
 * needs no eigenvector and tends to I / radius as A -> 0. */
static void ellipse_map(float e, float f, float g, float radius, float alpha, float m[3])
{
    float tr = e + g + TENSOR_EPS, half = 0.5f * (e - g);
    float d = sqrtf(half * half + f * f), l1 = 0.5f * (e + g) + d;
    float A = 2.0f * d / tr;
    float inv_b = (alpha + A) / (radius * alpha);
    float c = (2.0f * alpha + A) / (radius * alpha * (alpha + A)); /* (1/b - 1/a) / A */
    m[0] = inv_b - c * (l1 - e) / tr;
    m[1] = c * f / tr;
    m[2] = inv_b - c * (l1 - g) / tr;
}

/* x^(q/2), the sector weight's power: by multiplication when q/2 is a whole
 * number (q = 8 by default), as powf for those costs as much as the rest of
 * a pixel's work after the window sums. */
static inline float sector_power(float x, float q)
{
    float e = 0.5f * q;
    if (e != (float)(int)e)
        return powf(x, e);
    float r = 1.0f;
    for (int k = (int)e; k > 0; k >>= 1, x *= x)
        if (k & 1)
            r *= x;
    return r;
}

/* max(v, 0) lane by lane; a NaN gives 0. */
#define POSITIVE(v) ((v8)((v8i)(v) & ((v) > (v8){0})))

/* One output pixel: sector sums over the ellipse around pad (the padded
 * image at the pixel), then the variance-weighted mean of the sector means.
 * Colours are taken relative to the centre pixel so the float variances do
 * not lose their digits to cancellation. */
static inline __attribute__((always_inline)) void pixel(const float *pad, size_t stride, int border,
                                                        const float m[3], const kw_sectors *s,
                                                        int n, float q, float inv_noise2, float *o)
{
    const float c0 = pad[0], c1 = pad[1], c2 = pad[2];
    /* Q = M^2: rho^2 = d^T Q d; det Q = 1 / radius^4 (the area is kept). */
    float q11 = m[0] * m[0] + m[1] * m[1], q12 = m[1] * (m[0] + m[2]), q22 = m[1] * m[1] + m[2] * m[2];
    float det = q11 * q22 - q12 * q12, inv_q11 = 1.0f / q11;
    /* Written so that a NaN (from NaN or infinite pixels) gives no window
     * rather than a wild integer: the output is then clamped to 0. */
    float extent = sqrtf(q11 / det);
    int ymax = extent < (float)border ? (int)extent : border;
    /* Along a row the sector coordinates move by constant steps and rho^2 by
     * a linear one: additions instead of a 2x2 map per sample. */
    const v8 dX = m[0] * s->cos + m[1] * s->sin, dY = (m[1] * s->cos - m[0] * s->sin) * s->root_eta;
    v8 W = {0}, R = {0}, G = {0}, B = {0}, S = {0};
    /* The window's rows first, apart from the sums, so that their chains of
     * square root, rounding and conversion overlap instead of stalling each
     * row's first loads. */
    int row_dy[2 * KW_MAX_BORDER + 1], row_x0[2 * KW_MAX_BORDER + 1], row_x1[2 * KW_MAX_BORDER + 1], rows = 0;
    for (int dy = -ymax; dy <= ymax; dy++) {
        float fy = (float)dy, disc = q11 - det * fy * fy;
        if (!(disc > 0.0f))
            continue;
        float half = sqrtf(disc) * inv_q11, centre = -q12 * fy * inv_q11;
        int x0 = (int)ceilf(centre - half), x1 = (int)floorf(centre + half);
        row_dy[rows] = dy;
        row_x0[rows] = x0 < -border ? -border : x0;
        row_x1[rows] = x1 > border ? border : x1;
        rows++;
    }
    for (int row = 0; row < rows; row++) {
        int dy = row_dy[row], x0 = row_x0[row], x1 = row_x1[row];
        float fy = (float)dy, fx = (float)x0, vx = m[0] * fx + m[1] * fy, vy = m[1] * fx + m[2] * fy;
        float rho2 = vx * vx + vy * vy, step = q11 * (2.0f * fx + 1.0f) + 2.0f * q12 * fy;
        v8 X = vx * s->cos + vy * s->sin + s->zeta, Y = (vy * s->cos - vx * s->sin) * s->root_eta;
        const float *p = pad + (ptrdiff_t)dy * (ptrdiff_t)stride + 4 * x0;
        for (int dx = x0; dx <= x1; dx++, p += 4) {
            float radial = 1.0f - rho2;
            radial = radial > 0.0f ? radial * radial : 0.0f;
            v8 u = POSITIVE(X - Y * Y);
            v8 w = u * u * radial;
            float r = p[0] - c0, g = p[1] - c1, b = p[2] - c2;
            W += w;
            R += w * r;
            G += w * g;
            B += w * b;
            S += w * (r * r + g * g + b * b);
            X += dX;
            Y += dY;
            rho2 += step;
            step += 2.0f * q11;
        }
    }
    /* var sums three channels: (sigma / noise)^q with sigma their RMS std. */
    float sum = 0.0f, acc[3] = {0};
    for (int k = 0; k < n; k++) {
        float mr = R[k] / W[k], mg = G[k] / W[k], mb = B[k] / W[k];
        float var = S[k] / W[k] - (mr * mr + mg * mg + mb * mb);
        float a = 1.0f / (1.0f + sector_power(inv_noise2 * (var > 0.0f ? var : 0.0f), q));
        sum += a;
        acc[0] += a * mr;
        acc[1] += a * mg;
        acc[2] += a * mb;
    }
    o[0] = cgf_clamp01(c0 + acc[0] / sum);
    o[1] = cgf_clamp01(c1 + acc[1] / sum);
    o[2] = cgf_clamp01(c2 + acc[2] / sum);
    o[3] = pad[3];
}

CG_KERNEL static void filter_rows(const float *pad, size_t stride, int border, const float *E, const float *F,
                                  const float *G, const cg_kuwahara_params *p, cg_image *out, int y0, int y1)
{
    kw_sectors s;
    sectors_init(&s, p->sectors);
    float inv_noise2 = 1.0f / (3.0f * p->noise * p->noise);
    int w = out->width;
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float m[3];
            ellipse_map(E[i], F[i], G[i], p->radius, p->alpha, m);
            pixel(pad + ((size_t)(y + border) * stride + (size_t)(x + border)) * 4, stride * 4, border, m, &s,
                  p->sectors, p->q, inv_noise2, out->pixels + 4 * i);
        }
}

/* The filtering of the rows, in bands over the thread pool: each pixel reads
 * only the padded copy and its own tensor, so the bands are independent. */
enum { KW_BAND_ROWS = 8 };
typedef struct kw_job {
    const float *pad, *E, *F, *G;
    size_t stride;
    int border;
    const cg_kuwahara_params *p;
    cg_image *out;
} kw_job;

static void filter_band(void *ctx, int task, int worker)
{
    (void)worker;
    const kw_job *j = ctx;
    int y0 = task * KW_BAND_ROWS, y1 = y0 + KW_BAND_ROWS < j->out->height ? y0 + KW_BAND_ROWS : j->out->height;
    filter_rows(j->pad, j->stride, j->border, j->E, j->F, j->G, j->p, j->out, y0, y1);
}

/* The padding of the copy the windows read: the longest semi-axis is
 * radius (1 + 1/alpha); one more for Sobel. At most KW_MAX_BORDER. */
static int kuwahara_border(const cg_kuwahara_params *p)
{
    return (int)ceilf(p->radius * (1.0f + 1.0f / p->alpha)) + 1;
}

int cgf_kuwahara_reach(const cg_kuwahara_params *p)
{
    return kuwahara_border(p) + (int)ceilf(3.0f * p->tensor_sigma);
}

cg_status cg_filter_kuwahara(const cg_image *in, cg_image *out, const cg_kuwahara_params *params,
                             cg_error *err)
{
    cg_kuwahara_params p = params ? *params : cg_kuwahara_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "kuwahara", err)) || (st = cgf_kuwahara_check(&p, err)))
        return st;
    int w = in->width, h = in->height;
    int border = kuwahara_border(&p);
    size_t stride = (size_t)w + 2 * (size_t)border, rows = (size_t)h + 2 * (size_t)border;
    float *pad = cgf_planes((int)stride, (int)rows, 4), *pl = cgf_planes(w, h, 4);
    if (!pad || !pl) {
        free(pad);
        free(pl);
        return cg_fail(err, CG_ERR_NOMEM, "kuwahara: no memory for %dx%d", w, h);
    }
    for (size_t y = 0; y < rows; y++) {
        const float *src = in->pixels + (size_t)cgf_mirror((int)y - border, h) * w * 4;
        for (size_t x = 0; x < stride; x++)
            memcpy(pad + (y * stride + x) * 4, src + (size_t)cgf_mirror((int)x - border, w) * 4,
                   4 * sizeof(float));
    }
    /* Colour structure tensor: Sobel gradients (divided by 4) of R'G'B'. */
    size_t n = cgf_npix(in);
    float *E = pl, *F = pl + n, *G = pl + 2 * n, *tmp = pl + 3 * n;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float *c = pad + ((size_t)(y + border) * stride + (size_t)(x + border)) * 4;
            const size_t up = stride * 4;
            float e = 0.0f, f = 0.0f, g = 0.0f;
            for (int k = 0; k < 3; k++) {
#define P(dx, dy) c[(ptrdiff_t)(dy) * (ptrdiff_t)up + 4 * (dx) + k]
                float gx = (P(1, -1) + 2 * P(1, 0) + P(1, 1) - P(-1, -1) - 2 * P(-1, 0) - P(-1, 1)) * 0.25f;
                float gy = (P(-1, 1) + 2 * P(0, 1) + P(1, 1) - P(-1, -1) - 2 * P(0, -1) - P(1, -1)) * 0.25f;
#undef P
                e += gx * gx;
                f += gx * gy;
                g += gy * gy;
            }
            size_t i = (size_t)y * w + x;
            E[i] = e;
            F[i] = f;
            G[i] = g;
        }
    cgf_gauss_blur(E, E, tmp, w, h, p.tensor_sigma);
    cgf_gauss_blur(F, F, tmp, w, h, p.tensor_sigma);
    cgf_gauss_blur(G, G, tmp, w, h, p.tensor_sigma);
    kw_job job = {pad, E, F, G, stride, border, &p, out};
    cg_parallel_for((h + KW_BAND_ROWS - 1) / KW_BAND_ROWS, filter_band, &job);
    free(pad);
    free(pl);
    return CG_OK;
}
