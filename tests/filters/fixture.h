/* Small helpers for the filter tests: images, synthetic pictures, checks. */
#ifndef CG_TEST_FILTERS_FIXTURE_H
#define CG_TEST_FILTERS_FIXTURE_H

#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "comicgan/filters.h"

/* The filters need only the struct, so the tests build their own images. */
static inline cg_image *fx_new(int w, int h)
{
    cg_image *img = g_new0(cg_image, 1);
    img->width = w;
    img->height = h;
    img->pixels = g_new0(float, (size_t)w * h * 4);
    img->source_channels = 4;
    img->source_format = CG_SAMPLE_F32;
    return img;
}

static inline void fx_free(cg_image *img)
{
    if (img) {
        g_free(img->pixels);
        g_free(img);
    }
}

static inline cg_image *fx_copy(const cg_image *src)
{
    cg_image *img = fx_new(src->width, src->height);
    memcpy(img->pixels, src->pixels, (size_t)src->width * src->height * 4 * sizeof(float));
    return img;
}

static inline float *fx_px(const cg_image *img, int x, int y)
{
    return img->pixels + ((size_t)y * img->width + x) * 4;
}

static inline uint64_t fx_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

static inline float fx_uniform(uint64_t *s)
{
    return (float)((double)fx_next(s) * 0x1.0p-53);
}

/* A busy test picture: smooth colour gradients, a few shapes, noise, and a
 * varying alpha so pass-through can be checked. */
static inline cg_image *fx_picture(int w, int h, uint64_t seed)
{
    cg_image *img = fx_new(w, h);
    uint64_t s = seed;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = fx_px(img, x, y);
            float u = (float)x / w, v = (float)y / h;
            p[0] = 0.5f + 0.4f * sinf(6.0f * u + 2.0f * v);
            p[1] = 0.3f + 0.5f * v;
            p[2] = 0.2f + 0.6f * u * v;
            if ((x - w / 3) * (x - w / 3) + (y - h / 2) * (y - h / 2) < (w * w) / 25) {
                p[0] = 0.9f;
                p[1] = 0.85f;
                p[2] = 0.1f;
            }
            if (x > 2 * w / 3 && y > h / 4 && y < 3 * h / 4)
                p[0] = p[1] = p[2] = 0.1f;
            for (int c = 0; c < 3; c++)
                p[c] = fminf(1.0f, fmaxf(0.0f, p[c] + 0.06f * (fx_uniform(&s) - 0.5f)));
            p[3] = (float)((x * 7 + y * 3) % 11) / 10.0f;
        }
    return img;
}

/* A grey image: value g inside [x0,x1)x[y0,y1), background b elsewhere. */
static inline cg_image *fx_square(int w, int h, int x0, int y0, int x1, int y1, float g,
                                  float b)
{
    cg_image *img = fx_new(w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = fx_px(img, x, y);
            float v = x >= x0 && x < x1 && y >= y0 && y < y1 ? g : b;
            p[0] = p[1] = p[2] = v;
            p[3] = 1.0f;
        }
    return img;
}

static inline void fx_assert_alpha_same(const cg_image *a, const cg_image *b)
{
    size_t n = (size_t)a->width * a->height;
    for (size_t i = 0; i < n; i++)
        if (a->pixels[4 * i + 3] != b->pixels[4 * i + 3]) {
            g_test_message("alpha differs at pixel %zu: %g vs %g", i,
                           (double)a->pixels[4 * i + 3], (double)b->pixels[4 * i + 3]);
            g_assert_not_reached();
        }
}

static inline void fx_assert_range01(const cg_image *a)
{
    size_t n = (size_t)a->width * a->height * 4;
    for (size_t i = 0; i < n; i++)
        g_assert_true(a->pixels[i] >= 0.0f && a->pixels[i] <= 1.0f);
}

static inline gboolean fx_equal(const cg_image *a, const cg_image *b)
{
    return memcmp(a->pixels, b->pixels, (size_t)a->width * a->height * 4 * sizeof(float)) == 0;
}

#endif
