/* What the stylize tests share: seeded random models, a photo-like test
 * image, and comparisons. Models have random weights: the checks are about
 * the machinery, not the look. */
#ifndef CG_TESTS_INFER_FIXTURE_H
#define CG_TESTS_INFER_FIXTURE_H

#include "comicgan/stylize.h"

#include <glib.h>
#include <math.h>
#include <string.h>

static inline cg_model *random_model(const char *arch, const char *styles, uint64_t seed)
{
    cg_error err = {0};
    cg_model *m = cg_model_new(arch, styles, &err);
    if (!m)
        g_error("%s", err.message);
    cg_rng rng;
    cg_rng_seed(&rng, seed);
    g_assert_cmpint(cg_net_init(cg_model_net(m), &rng, true, &err), ==, CG_OK);
    /* Non-trivial norm parameters, so gamma/beta/rho paths matter. */
    cg_params *ps = cg_net_params(cg_model_net(m));
    for (int i = 0; i < cg_params_count(ps); i++) {
        cg_tensor *t = cg_params_get(ps, i);
        const char *name = cg_params_name(ps, i);
        if (g_str_has_suffix(name, ".gamma") || g_str_has_suffix(name, ".beta") || g_str_has_suffix(name, ".rho"))
            for (int64_t k = 0; k < t->size; k++)
                t->data[k] += 0.3f * (float)cg_rng_uniform_range(&rng, -1, 1) + (g_str_has_suffix(name, ".rho") ? 0.5f : 0);
    }
    return m;
}

/* A photo-like test image: smooth gradients, hard-edged shapes, fine texture, varying alpha. */
static inline cg_image *test_image(int w, int h, guint32 seed)
{
    cg_error err = {0};
    cg_image *img = cg_image_new(w, h, &err);
    GRand *r = g_rand_new_with_seed(seed);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *px = cg_image_at(img, x, y);
            float fx = (float)x / (w > 1 ? w - 1 : 1), fy = (float)y / (h > 1 ? h - 1 : 1);
            bool disc = (fx - 0.4f) * (fx - 0.4f) + (fy - 0.6f) * (fy - 0.6f) < 0.05f;
            bool bar = fx > 0.7f && fx < 0.8f;
            px[0] = disc ? 0.9f : 0.2f + 0.6f * fx;
            px[1] = bar ? 0.1f : 0.3f + 0.5f * fy;
            px[2] = 0.5f + 0.3f * sinf(12 * fx + 7 * fy);
            for (int c = 0; c < 3; c++)
                px[c] += (float)g_rand_double_range(r, -0.05, 0.05);
            px[3] = x % 7 == 0 ? 0.5f : 1.0f;
        }
    g_rand_free(r);
    img->source_channels = 4;
    return img;
}

static inline cg_image *stylize_or_die(const cg_model *m, const cg_image *in, const cg_stylize_options *o)
{
    cg_error err = {0};
    cg_image *out = cg_image_new(in->width, in->height, &err);
    if (cg_stylize(m, in, out, o, &err) != CG_OK)
        g_error("stylize %dx%d: %s", in->width, in->height, err.message);
    return out;
}

static inline double max_diff(const cg_image *a, const cg_image *b, bool rgb_only)
{
    double d = 0;
    for (size_t i = 0; i < (size_t)a->width * a->height * 4; i++)
        if (!rgb_only || i % 4 != 3)
            d = fmax(d, fabs(a->pixels[i] - b->pixels[i]));
    return d;
}

/* A residual generator with a post stage: the output's own guided filter, then
 * bands; its post radius is wider than the network's own reach, so a margin
 * that forgets the stage shows in tiled results. */
#define POST_ARCH                                                                                              \
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"instance\", "          \
    "\"residual\": true, \"residual_guided\": 1, \"guided_radius\": 3, \"post_smooth\": 3, "                       \
    "\"post_smooth_radius\": 6, \"post_bands\": 6}"

#endif
