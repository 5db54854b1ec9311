/* Augmentation: a random crop window, zoomed to the training size, flipped,
 * turned by quarter turns and colour-jittered, rendered straight into the
 * network's input layout (3 planes in [-1, 1]). And CartoonGAN's
 * edge-smoothed negatives. */
#include "train/train_private.h"

#include "filters/plane.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void tr_aug_draw(const cg_train_config *c, cg_rng *rng, tr_aug *a)
{
    /* Always the same number of draws, whatever is enabled, so a batch's
     * randomness does not shift when an option changes. */
    double u[8];
    for (int i = 0; i < 8; i++)
        u[i] = cg_rng_uniform(rng);
    a->zoom = (float)(c->scale_min + u[0] * (c->scale_max - c->scale_min));
    a->fx = (float)u[1];
    a->fy = (float)u[2];
    a->flip = c->flip && u[3] < 0.5;
    a->rot = c->rotate90 ? (int)(u[4] * 4) & 3 : 0;
    float j = (float)c->jitter;
    a->bright = (float)(2 * u[5] - 1) * 0.5f * j;
    a->contrast = 1 + (float)(2 * u[6] - 1) * j;
    a->saturation = 1 + (float)(2 * u[7] - 1) * j;
}

/* a's crop window in stored pixels: its top-left corner and side. */
static void crop_window(const tr_image *img, const tr_aug *a, int size, float *x0, float *y0, float *side)
{
    float shorter = (float)(img->w < img->h ? img->w : img->h);
    *side = a->zoom > 0 ? size / a->zoom : shorter;
    if (*side > shorter)
        *side = shorter;
    *x0 = a->fx * (img->w - *side);
    *y0 = a->fy * (img->h - *side);
}

/* The stored pixels the crop window covers. */
static void crop_pixels(const tr_image *img, const tr_aug *a, int size, int *x0, int *y0, int *x1, int *y1)
{
    float fx0, fy0, side;
    crop_window(img, a, size, &fx0, &fy0, &side);
    *x0 = (int)floorf(fx0);
    *y0 = (int)floorf(fy0);
    *x1 = (int)ceilf(fx0 + side);
    *y1 = (int)ceilf(fy0 + side);
    if (*x1 > img->w)
        *x1 = img->w;
    if (*y1 > img->h)
        *y1 = img->h;
}

bool tr_aug_is_flat(const tr_image *img, const tr_aug *a, int size)
{
    int x0, y0, x1, y1;
    crop_pixels(img, a, size, &x0, &y0, &x1, &y1);
    int64_t n = (int64_t)(x1 - x0) * (y1 - y0), sum[3] = {0}, sq[3] = {0};
    for (int y = y0; y < y1; y++) {
        const uint8_t *p = img->rgb + 3 * ((size_t)y * img->w + x0);
        for (int x = x0; x < x1; x++, p += 3)
            for (int c = 0; c < 3; c++) {
                sum[c] += p[c];
                sq[c] += p[c] * p[c];
            }
    }
    /* Variance in 8-bit levels squared, times n^2: n * sq - sum^2 < n^2. */
    for (int c = 0; c < 3; c++)
        if ((double)n * (double)sq[c] - (double)sum[c] * (double)sum[c] >= (double)n * (double)n)
            return false;
    return true;
}

void tr_aug_draw_detailed(const cg_train_config *c, cg_rng *rng, const tr_image *img, tr_aug *a)
{
    for (int tries = 0; tries < TR_FLAT_TRIES; tries++) {
        tr_aug_draw(c, rng, a);
        if (!tr_aug_is_flat(img, a, c->size))
            return;
    }
}

void tr_aug_center(tr_aug *a)
{
    *a = (tr_aug){.zoom = 0, .fx = 0.5f, .fy = 0.5f, .contrast = 1, .saturation = 1};
}

static float sample(const tr_image *img, float sx, float sy, int c)
{
    if (sx < 0)
        sx = 0;
    if (sy < 0)
        sy = 0;
    if (sx > img->w - 1)
        sx = (float)(img->w - 1);
    if (sy > img->h - 1)
        sy = (float)(img->h - 1);
    int x0 = (int)sx, y0 = (int)sy;
    int x1 = x0 + 1 < img->w ? x0 + 1 : x0, y1 = y0 + 1 < img->h ? y0 + 1 : y0;
    float fx = sx - x0, fy = sy - y0;
    const uint8_t *p = img->rgb;
    float a = p[3 * ((size_t)y0 * img->w + x0) + c], b = p[3 * ((size_t)y0 * img->w + x1) + c];
    float d = p[3 * ((size_t)y1 * img->w + x0) + c], e = p[3 * ((size_t)y1 * img->w + x1) + c];
    return ((a + (b - a) * fx) * (1 - fy) + (d + (e - d) * fx) * fy) * (1.0f / 255.0f);
}

void tr_aug_apply(const tr_image *img, const tr_aug *a, int size, float *dst)
{
    float x0, y0, side;
    crop_window(img, a, size, &x0, &y0, &side);
    const float step = side / size;
    const size_t plane = (size_t)size * size;
    bool jitter = a->bright != 0 || a->contrast != 1 || a->saturation != 1;
    for (int oy = 0; oy < size; oy++)
        for (int ox = 0; ox < size; ox++) {
            int u, v, m = size - 1;
            switch (a->rot) {
            case 1: u = oy, v = m - ox; break;
            case 2: u = m - ox, v = m - oy; break;
            case 3: u = m - oy, v = ox; break;
            default: u = ox, v = oy; break;
            }
            if (a->flip)
                u = m - u;
            float sx = x0 + (u + 0.5f) * step - 0.5f, sy = y0 + (v + 0.5f) * step - 0.5f;
            float rgb[3];
            for (int c = 0; c < 3; c++)
                rgb[c] = sample(img, sx, sy, c);
            if (jitter) {
                float grey = cgf_luma(rgb);
                for (int c = 0; c < 3; c++) {
                    float t = grey + (rgb[c] - grey) * a->saturation;
                    rgb[c] = cgf_clamp01((t - 0.5f) * a->contrast + 0.5f + a->bright);
                }
            }
            size_t at = (size_t)oy * size + ox;
            for (int c = 0; c < 3; c++)
                dst[c * plane + at] = rgb[c] * 2 - 1;
        }
}

/* Edges: Sobel magnitude of luma (a unit step gives 1) above this. */
#define EDGE_THRESHOLD 0.1f
#define EDGE_DILATE 2
#define EDGE_SIGMA 1.0f

cg_status tr_edge_smooth(float *x, int n, int size, cg_error *err)
{
    const size_t plane = (size_t)size * size;
    float *buf = cgf_planes(size, size, 4);
    if (!buf)
        return cg_fail(err, CG_ERR_NOMEM, "out of memory for edge smoothing");
    float *luma = buf, *mask = buf + plane, *blur = buf + 2 * plane, *tmp = buf + 3 * plane;
    for (int i = 0; i < n; i++) {
        float *img = x + (size_t)i * 3 * plane;
        for (size_t k = 0; k < plane; k++)
            luma[k] = 0.5f * (0.299f * img[k] + 0.587f * img[plane + k] + 0.114f * img[2 * plane + k] + 1);
        memset(mask, 0, plane * sizeof *mask);
        for (int y = 0; y < size; y++)
            for (int xx = 0; xx < size; xx++) {
#define L(dx, dy) luma[(size_t)cgf_mirror(y + (dy), size) * size + cgf_mirror(xx + (dx), size)]
                float gx = (L(1, -1) + 2 * L(1, 0) + L(1, 1) - L(-1, -1) - 2 * L(-1, 0) - L(-1, 1)) * 0.25f;
                float gy = (L(-1, 1) + 2 * L(0, 1) + L(1, 1) - L(-1, -1) - 2 * L(0, -1) - L(1, -1)) * 0.25f;
#undef L
                if (gx * gx + gy * gy <= EDGE_THRESHOLD * EDGE_THRESHOLD)
                    continue;
                for (int dy = -EDGE_DILATE; dy <= EDGE_DILATE; dy++)
                    for (int dx = -EDGE_DILATE; dx <= EDGE_DILATE; dx++) {
                        int yy = y + dy, xq = xx + dx;
                        if (yy >= 0 && yy < size && xq >= 0 && xq < size)
                            mask[(size_t)yy * size + xq] = 1;
                    }
            }
        for (int c = 0; c < 3; c++) {
            float *ch = img + c * plane;
            cgf_gauss_blur(ch, blur, tmp, size, size, EDGE_SIGMA);
            for (size_t k = 0; k < plane; k++)
                if (mask[k] > 0)
                    ch[k] = blur[k];
        }
    }
    free(buf);
    return CG_OK;
}
