/* Stylize: tiled output equals whole-image output, strength, alpha, gray,
 * cancellation, bad input, frames (with a flicker measure) and attention maps.
 * Models have seeded random weights: the checks are about the machinery, not
 * the look. */
#include "fixture.h"
#include "infer/motion.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const archs[] = {
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 2, \"norm\": \"instance\"}",
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"adalin\", "
    "\"attention\": [\"cam\", \"cbam\"], \"upsample\": \"bilinear\"}",
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, \"norm\": \"layer\", "
    "\"upsample\": \"transposed\"}",
    "{\"type\": \"unet\", \"width\": 8, \"downsamples\": 2, \"norm\": \"instance\"}",
    POST_ARCH,
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"instance\", "
    "\"residual\": true, \"residual_guided\": 2, \"guided_radius\": 5, \"guided_eps\": 0.02}",
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"instance\", "
    "\"residual\": true, \"residual_guided\": 1, \"post_kuwahara\": 2, \"post_kuwahara_radius\": 3}",
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"instance\", "
    "\"residual\": true, \"residual_blur\": 6}",
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"instance\", "
    "\"residual\": true}",
};

/* The tiled result equals the whole-image result within 1/255 on every pixel. */
static void test_tiled_equals_whole(void)
{
    const int sizes[][2] = {{37, 53}, {96, 80}, {1, 1}, {5, 130}, {130, 3}};
    for (size_t a = 0; a < G_N_ELEMENTS(archs); a++) {
        cg_model *m = random_model(archs[a], NULL, 10 + a);
        for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
            cg_image *in = test_image(sizes[s][0], sizes[s][1], (guint32)s);
            cg_stylize_options o = cg_stylize_defaults();
            cg_image *whole = stylize_or_die(m, in, &o);
            o.tile = 16;
            cg_image *tiled = stylize_or_die(m, in, &o);
            double d = max_diff(whole, tiled, false);
            g_test_message("arch %zu, %dx%d: max |tiled - whole| = %.3g", a, in->width, in->height, d);
            if (d > 1.0 / 255)
                g_error("arch %zu, %dx%d: tiled differs from whole by %g", a, in->width, in->height, d);
            /* the output is not the input: the network did something */
            g_assert_cmpfloat(max_diff(whole, in, true), >, 0.01);
            cg_image_free(in);
            cg_image_free(whole);
            cg_image_free(tiled);
        }
        cg_model_free(m);
    }
}

/* The executor against the training graph on a residual model, whole and
 * tiled: it adds the input (or its box mean, or its guided filtering) back
 * as the graph does. */
/* The executor, whole and tiled, against the training graph on in (whose
 * sides are multiples of the network's stride) with the style weights mix
 * (NULL: the first style): within 1/255. Returns the whole result. */
static cg_image *check_executor(const cg_model *m, const cg_image *in, const float *mix, const char *what)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    const int64_t plane = (int64_t)in->width * in->height, wdim[2] = {1, cg_model_style_count(m)};
    cg_tensor *x = cg_graph_tensor4(g, 1, 3, in->height, in->width), *w = NULL;
    for (int c = 0; c < 3; c++)
        for (int64_t i = 0; i < plane; i++)
            x->data[c * plane + i] = 2 * in->pixels[4 * i + c] - 1;
    if (mix) {
        w = cg_graph_tensor(g, 2, wdim);
        memcpy(w->data, mix, (size_t)wdim[1] * sizeof(float));
    }
    cg_tensor *y = cg_net_forward(cg_model_net(m), g, x, w, NULL);
    g_assert_nonnull(y);
    cg_stylize_options o = cg_stylize_defaults();
    o.mix = mix;
    cg_image *whole = NULL;
    for (int tiled = 0; tiled < 2; tiled++) {
        o.tile = tiled ? 16 : 0;
        cg_image *out = stylize_or_die(m, in, &o);
        double worst = 0;
        for (int c = 0; c < 3; c++)
            for (int64_t i = 0; i < plane; i++) {
                float v = (y->data[c * plane + i] + 1) / 2;
                v = v < 0 ? 0 : v > 1 ? 1 : v;
                worst = fmax(worst, fabs(out->pixels[4 * i + c] - v));
            }
        g_test_message("%s, tiled %d: max |executor - graph| = %.3g", what, tiled, worst);
        g_assert_cmpfloat(worst, <, 1.0 / 255);
        if (tiled)
            cg_image_free(out);
        else
            whole = out;
    }
    cg_graph_free(g);
    return whole;
}

static void check_residual_executor(const char *arch)
{
    cg_model *m = random_model(arch, NULL, 11);
    cg_image *in = test_image(44, 36, 12);
    cg_image_free(check_executor(m, in, NULL, arch));
    cg_image_free(in);
    cg_model_free(m);
}

/* A style_heads model: one style alone, and a mix (the executor mixes the
 * heads' weights, the graph their outputs); with conditional norm, and with
 * no norm or layer norm, where the heads are the only thing a style changes. */
static void test_style_heads_executor(void)
{
    const char *norms[] = {"cond_instance", "none", "layer", "cond_affine"};
    for (size_t k = 0; k < G_N_ELEMENTS(norms); k++) {
        char *arch = g_strdup_printf("{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, "
                                     "\"norm\": \"%s\", \"styles\": 3, \"style_heads\": true, \"residual\": true, "
                                     "\"residual_guided\": 1, \"guided_radius\": 3}",
                                     norms[k]);
        const char *styles =
            "[{\"name\": \"ink\"}, {\"name\": \"wash\"}, {\"name\": \"identity\", \"mode\": \"identity\"}]";
        cg_model *m = random_model(arch, styles, 21);
        cg_image *in = test_image(44, 36, 13);
        const float one[3] = {0, 1, 0}, mixed[3] = {0.5f, 0.3f, 0.2f};
        cg_image *a = check_executor(m, in, one, "style_heads, one style");
        cg_image *b = check_executor(m, in, mixed, "style_heads, a mix");
        g_test_message("%s: one style against a mix differs by %.3g", norms[k], max_diff(a, b, false));
        g_assert_cmpfloat(max_diff(a, b, false), >, 0.01); /* the heads differ: a mix is not the one style */
        cg_image_free(a);
        cg_image_free(b);
        cg_image_free(in);
        cg_model_free(m);
        g_free(arch);
    }
}

/* A post stage for one style of a mix (post_style): the executor, whole and
 * tiled, agrees with the graph; a picture without that style is the plain
 * network's, with it alone the post stage's, and a half mix is half way
 * between the two. */
static void test_post_style_executor(void)
{
    const char *base = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, "
                       "\"norm\": \"cond_affine\", \"styles\": 3, \"style_heads\": true, \"residual\": true, "
                       "\"residual_guided\": 1, \"guided_radius\": 3%s}";
    const char *stage = ", \"post_smooth\": 2, \"post_smooth_radius\": 2, \"post_bands\": 4";
    const char *styles = "[{\"name\": \"ink\"}, {\"name\": \"flat\"}, {\"name\": \"identity\", \"mode\": \"identity\"}]";
    char *plain_arch = g_strdup_printf(base, ""), *all_arch = g_strdup_printf(base, stage);
    char *gated = g_strdup_printf("%s, \"post_style\": 1", stage), *one_arch = g_strdup_printf(base, gated);
    cg_model *plain = random_model(plain_arch, styles, 31), *all = random_model(all_arch, styles, 31),
             *one = random_model(one_arch, styles, 31);
    g_assert_nonnull(strstr(cg_net_arch_json(cg_model_net(one)), "\"post_style\":1"));
    cg_image *in = test_image(44, 36, 14);
    const float ink[3] = {1, 0, 0}, flat[3] = {0, 1, 0}, half[3] = {0.5f, 0.5f, 0};
    cg_image *a = check_executor(one, in, ink, "post_style, another style");
    cg_image *b = check_executor(one, in, flat, "post_style, its style");
    cg_image *c = check_executor(one, in, half, "post_style, half of it");
    cg_stylize_options o = cg_stylize_defaults();
    o.mix = ink;
    cg_image *plain_ink = stylize_or_die(plain, in, &o);
    o.mix = flat;
    cg_image *all_flat = stylize_or_die(all, in, &o), *plain_flat = stylize_or_die(plain, in, &o);
    o.mix = half;
    cg_image *plain_half = stylize_or_die(plain, in, &o), *all_half = stylize_or_die(all, in, &o);
    g_assert_cmpfloat(max_diff(a, plain_ink, false), <, 1e-6);
    g_assert_cmpfloat(max_diff(b, all_flat, false), <, 1e-6);
    g_assert_cmpfloat(max_diff(b, plain_flat, false), >, 0.02); /* the stage did something */
    double worst = 0;
    for (int64_t i = 0; i < (int64_t)in->width * in->height; i++)
        for (int ch = 0; ch < 3; ch++) {
            float p = plain_half->pixels[4 * i + ch], q = all_half->pixels[4 * i + ch];
            if (p > 0 && p < 1 && q > 0 && q < 1) /* unclamped */
                worst = fmax(worst, fabs(c->pixels[4 * i + ch] - 0.5 * (p + q)));
        }
    g_test_message("half mix against the mean of plain and post: %.3g", worst);
    g_assert_cmpfloat(worst, <, 1e-5);
    cg_image *imgs[] = {a, b, c, plain_ink, all_flat, plain_flat, plain_half, all_half, in};
    for (size_t i = 0; i < G_N_ELEMENTS(imgs); i++)
        cg_image_free(imgs[i]);
    cg_model_free(plain);
    cg_model_free(all);
    cg_model_free(one);
    g_free(plain_arch);
    g_free(all_arch);
    g_free(one_arch);
    g_free(gated);
}

/* Post stages for two styles of a mix ("post": a list): the executor, whole
 * and tiled, agrees with the graph; a style alone gets its own stage (as a
 * model with that stage only), and a half-and-half mix gets half of each
 * stage's change. */
static void test_post_stages_executor(void)
{
    const char *base = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, "
                       "\"norm\": \"cond_affine\", \"styles\": 3, \"style_heads\": true, \"residual\": true, "
                       "\"residual_guided\": 1, \"guided_radius\": 3%s}";
    const char *flat_stage = "\"post_smooth\": 2, \"post_smooth_radius\": 2, \"post_bands\": 4, \"post_style\": 1";
    const char *ink_stage = "\"post_kuwahara\": 1, \"post_kuwahara_radius\": 3, \"post_style\": 0";
    const char *styles = "[{\"name\": \"ink\"}, {\"name\": \"flat\"}, {\"name\": \"identity\", \"mode\": \"identity\"}]";
    char *both = g_strdup_printf(", \"post\": [{%s}, {%s}]", flat_stage, ink_stage);
    char *flat_only = g_strdup_printf(", %s", flat_stage), *ink_only = g_strdup_printf(", %s", ink_stage);
    char *archs_text[4] = {g_strdup_printf(base, both), g_strdup_printf(base, flat_only),
                           g_strdup_printf(base, ink_only), g_strdup_printf(base, "")};
    cg_model *m[4];
    for (int i = 0; i < 4; i++)
        m[i] = random_model(archs_text[i], styles, 37);
    g_assert_nonnull(strstr(cg_net_arch_json(cg_model_net(m[0])), "\"post\":[{"));
    cg_image *in = test_image(52, 40, 15);
    const float ink[3] = {1, 0, 0}, flat[3] = {0, 1, 0}, half[3] = {0.5f, 0.5f, 0}, none[3] = {0, 0, 1};
    cg_image *a = check_executor(m[0], in, ink, "two stages, ink");
    cg_image *b = check_executor(m[0], in, flat, "two stages, flat");
    cg_image *c = check_executor(m[0], in, half, "two stages, half of each");
    cg_image *d = check_executor(m[0], in, none, "two stages, neither style");
    cg_stylize_options o = cg_stylize_defaults();
    o.mix = ink;
    cg_image *ink_alone = stylize_or_die(m[2], in, &o), *ink_plain = stylize_or_die(m[3], in, &o);
    o.mix = flat;
    cg_image *flat_alone = stylize_or_die(m[1], in, &o);
    o.mix = none;
    cg_image *none_plain = stylize_or_die(m[3], in, &o);
    o.mix = half;
    cg_image *half_flat = stylize_or_die(m[1], in, &o), *half_ink = stylize_or_die(m[2], in, &o),
             *half_plain = stylize_or_die(m[3], in, &o);
    g_assert_cmpfloat(max_diff(a, ink_alone, false), <, 1e-6);
    g_assert_cmpfloat(max_diff(b, flat_alone, false), <, 1e-6);
    g_assert_cmpfloat(max_diff(d, none_plain, false), <, 1e-6);
    g_assert_cmpfloat(max_diff(a, ink_plain, false), >, 0.02); /* the ink stage did something */
    double worst = 0;
    for (int64_t i = 0; i < (int64_t)in->width * in->height; i++)
        for (int ch = 0; ch < 3; ch++) {
            float p = half_plain->pixels[4 * i + ch], f = half_flat->pixels[4 * i + ch], k = half_ink->pixels[4 * i + ch];
            float two = c->pixels[4 * i + ch];
            if (p > 0 && p < 1 && f > 0 && f < 1 && k > 0 && k < 1 && two > 0 && two < 1) /* unclamped */
                worst = fmax(worst, fabs(two - (f + k - p)));
        }
    g_test_message("half mix against the sum of the two stages' half changes: %.3g", worst);
    g_assert_cmpfloat(worst, <, 1e-4); /* three rounded outputs summed */
    cg_image *imgs[] = {a, b, c, d, ink_alone, ink_plain, flat_alone, none_plain, half_flat, half_ink, half_plain, in};
    for (size_t i = 0; i < G_N_ELEMENTS(imgs); i++)
        cg_image_free(imgs[i]);
    for (int i = 0; i < 4; i++) {
        cg_model_free(m[i]);
        g_free(archs_text[i]);
    }
    g_free(both);
    g_free(flat_only);
    g_free(ink_only);
}

/* A residual model whose last layer gives no change returns its input: the
 * executor adds the input back, as the training graph does. */
static void test_residual_passes_input(void)
{
    check_residual_executor(archs[G_N_ELEMENTS(archs) - 1]);
    check_residual_executor(archs[G_N_ELEMENTS(archs) - 2]);
    check_residual_executor(archs[G_N_ELEMENTS(archs) - 3]);
    check_residual_executor(archs[G_N_ELEMENTS(archs) - 4]);
    check_residual_executor(POST_ARCH);
    cg_model *m = random_model(archs[G_N_ELEMENTS(archs) - 1], NULL, 11);
    cg_params *ps = cg_net_params(cg_model_net(m));
    for (int i = 0; i < cg_params_count(ps); i++)
        if (g_str_has_prefix(cg_params_name(ps, i), "last.")) {
            cg_tensor *t = cg_params_get(ps, i);
            memset(t->data, 0, (size_t)t->size * sizeof(float));
        }
    cg_image *in = test_image(45, 38, 12);
    cg_stylize_options o = cg_stylize_defaults();
    cg_image *out = stylize_or_die(m, in, &o);
    g_assert_cmpfloat(max_diff(out, in, true), <, 1.0 / 255);
    o.tile = 16;
    cg_image *tiled = stylize_or_die(m, in, &o);
    g_assert_cmpfloat(max_diff(tiled, in, true), <, 1.0 / 255);
    cg_image_free(tiled);
    cg_image_free(out);
    cg_image_free(in);
    cg_model_free(m);
}

static void test_alpha_and_gray(void)
{
    cg_model *m = random_model(archs[0], NULL, 3);
    cg_image *in = test_image(40, 30, 1);
    cg_stylize_options o = cg_stylize_defaults();
    cg_image *out = stylize_or_die(m, in, &o);
    for (size_t i = 0; i < (size_t)40 * 30; i++)
        g_assert_cmpfloat(out->pixels[i * 4 + 3], ==, in->pixels[i * 4 + 3]);
    for (size_t i = 0; i < (size_t)40 * 30; i++) {
        float l = in->pixels[i * 4];
        in->pixels[i * 4 + 1] = in->pixels[i * 4 + 2] = l;
    }
    cg_image *gray = stylize_or_die(m, in, &o);
    g_assert_true(cg_image_is_gray(gray));
    cg_image_free(in);
    cg_image_free(out);
    cg_image_free(gray);
    cg_model_free(m);
}

static void test_strength(void)
{
    /* With an identity style strength moves the style weights; without, it blends. */
    const char *cond = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"cond_instance\", \"styles\": 2}";
    const char *styles = "[{\"name\": \"ink\"}, {\"name\": \"identity\", \"mode\": \"identity\"}]";
    cg_model *models[2] = {random_model(cond, styles, 4), random_model(archs[0], NULL, 5)};
    cg_image *in = test_image(33, 27, 2);
    for (int k = 0; k < 2; k++) {
        cg_stylize_options o = cg_stylize_defaults();
        o.strength = 0;
        cg_image *zero = stylize_or_die(models[k], in, &o);
        g_assert_cmpfloat(max_diff(zero, in, false), ==, 0);
        cg_image *prev = zero;
        double steps[10], total = 0;
        for (int i = 1; i <= 10; i++) {
            o.strength = i / 10.0f;
            cg_image *cur = stylize_or_die(models[k], in, &o);
            double mean = 0;
            for (size_t p = 0; p < (size_t)33 * 27 * 4; p++)
                mean += fabs(cur->pixels[p] - prev->pixels[p]);
            steps[i - 1] = mean / (33 * 27 * 3);
            total += steps[i - 1];
            cg_image_free(prev);
            prev = cur;
        }
        /* Smooth: no step of 0.1 in strength moves the picture much more than the average step. */
        for (int i = 0; i < 10; i++) {
            g_test_message("model %d strength %.1f -> %.1f: mean change %.4f", k, i / 10.0, (i + 1) / 10.0, steps[i]);
            g_assert_cmpfloat(steps[i], <=, 2 * total / 10);
        }
        g_assert_cmpfloat(total, >, 0.01);
        cg_image_free(prev);
    }
    /* The identity style chosen on its own is the input itself. */
    cg_stylize_options o = cg_stylize_defaults();
    o.style = cg_model_identity_style(models[0]);
    g_assert_cmpint(o.style, ==, 1);
    cg_image *same = stylize_or_die(models[0], in, &o);
    g_assert_cmpfloat(max_diff(same, in, false), ==, 0);
    cg_image_free(same);
    cg_image_free(in);
    cg_model_free(models[0]);
    cg_model_free(models[1]);
}

/* Largest difference between a pixel's channels, over the image. */
static float max_chroma(const cg_image *img)
{
    float worst = 0;
    for (size_t p = 0; p < (size_t)img->width * img->height; p++) {
        const float *v = img->pixels + 4 * p;
        worst = fmaxf(worst, fmaxf(v[0], fmaxf(v[1], v[2])) - fminf(v[0], fminf(v[1], v[2])));
    }
    return worst;
}

static void test_monochrome(void)
{
    /* A monochrome style comes out gray at full strength, mixed or not, and
     * strength brings the input's colours back smoothly; other styles keep
     * their colours. */
    const char *cond = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"cond_instance\", \"styles\": 3}";
    const char *styles = "[{\"name\": \"ink\", \"monochrome\": true}, {\"name\": \"paint\"},"
                         " {\"name\": \"identity\", \"mode\": \"identity\"}]";
    cg_model *m = random_model(cond, styles, 6);
    g_assert_true(cg_model_style(m, 0)->monochrome);
    g_assert_false(cg_model_style(m, 1)->monochrome);
    cg_image *in = test_image(40, 24, 3);
    cg_stylize_options o = cg_stylize_defaults();
    cg_image *ink = stylize_or_die(m, in, &o);
    g_assert_cmpfloat(max_chroma(ink), <, 1e-5);
    o.style = 1;
    cg_image *paint = stylize_or_die(m, in, &o);
    g_assert_cmpfloat(max_chroma(paint), >, 0.05);
    float half_mix[3] = {0.5f, 0.5f, 0};
    o.mix = half_mix;
    cg_image *mixed = stylize_or_die(m, in, &o);
    g_assert_cmpfloat(max_chroma(mixed), >, 0.01);
    o.mix = NULL;
    o.style = 0;
    o.strength = 0.5f;
    cg_image *half = stylize_or_die(m, in, &o);
    g_assert_cmpfloat(max_chroma(half), >, 0.2f * max_chroma(in));
    cg_image *images[] = {ink, paint, mixed, half, in};
    for (size_t i = 0; i < G_N_ELEMENTS(images); i++)
        cg_image_free(images[i]);
    cg_model_free(m);
    /* Anything but true or false is refused. */
    cg_error err = {0};
    g_assert_null(cg_model_new("{\"type\": \"resnet\"}", "[{\"name\": \"a\", \"monochrome\": \"yes\"}]", &err));
    g_assert_nonnull(strstr(err.message, "monochrome"));
}

static bool cancel_soon(void *user, float fraction)
{
    int *calls = user;
    return ++*calls < 3;
}

static void test_cancel_leaves_output(void)
{
    cg_model *m = random_model(archs[0], NULL, 6);
    cg_image *in = test_image(64, 64, 3);
    cg_error err = {0};
    cg_image *out = cg_image_new(64, 64, &err);
    for (size_t i = 0; i < (size_t)64 * 64 * 4; i++)
        out->pixels[i] = 0.25f;
    int calls = 0;
    cg_stylize_options o = cg_stylize_defaults();
    o.tile = 16;
    o.progress = cancel_soon;
    o.progress_data = &calls;
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_CANCELLED);
    g_assert_cmpint(calls, ==, 3);
    for (size_t i = 0; i < (size_t)64 * 64 * 4; i++)
        g_assert_cmpfloat(out->pixels[i], ==, 0.25f);
    cg_image_free(in);
    cg_image_free(out);
    cg_model_free(m);
}

static void test_bad_input(void)
{
    cg_model *m = random_model(archs[0], NULL, 7);
    cg_error err = {0};
    cg_image *in = test_image(8, 8, 4), *out = cg_image_new(8, 8, &err);
    in->pixels[13] = NAN;
    g_assert_cmpint(cg_stylize(m, in, out, NULL, &err), ==, CG_ERR_NUMERIC);
    g_assert_nonnull(strstr(err.message, "not a finite number"));
    in->pixels[13] = 0.5f;
    cg_stylize_options o = cg_stylize_defaults();
    o.strength = 1.5f;
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_INVALID);
    o = cg_stylize_defaults();
    o.style = 4;
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_INVALID);
    cg_image *wide = cg_image_new(CG_STYLIZE_MAX_SIDE + 1, 1, &err);
    cg_image *wide_out = cg_image_new(CG_STYLIZE_MAX_SIDE + 1, 1, &err);
    g_assert_cmpint(cg_stylize(m, wide, wide_out, NULL, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "sides must be"));
    cg_image *other = cg_image_new(9, 8, &err);
    g_assert_cmpint(cg_stylize(m, in, other, NULL, &err), ==, CG_ERR_INVALID);
    cg_image_free(in);
    cg_image_free(out);
    cg_image_free(wide);
    cg_image_free(wide_out);
    cg_image_free(other);
    cg_model_free(m);
}

/* Weights so large that the network overflows: an error naming the layer,
 * never a black image, and the output untouched. Tiled or not, with norms
 * (the statistics overflow first) and without (only the output shows it). */
static void test_overflow_is_an_error(void)
{
    const char *const nets[] = {archs[0], archs[3],
                                "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, "
                                "\"norm\": \"none\"}"};
    for (size_t a = 0; a < G_N_ELEMENTS(nets); a++) {
        cg_model *m = random_model(nets[a], NULL, 3);
        cg_params *ps = cg_net_params(cg_model_net(m));
        for (int i = 0; i < cg_params_count(ps); i++) {
            cg_tensor *t = cg_params_get(ps, i);
            for (int64_t k = 0; k < t->size; k++)
                t->data[k] = 3e38f;
        }
        cg_error err = {0};
        cg_image *in = test_image(40, 36, 5), *out = cg_image_new(40, 36, &err);
        for (int tile = 0; tile <= 32; tile += 32) {
            cg_stylize_options o = cg_stylize_defaults();
            o.tile = tile;
            g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_NUMERIC);
            g_test_message("%s", err.message);
            g_assert_nonnull(strstr(err.message, "layer "));
            for (size_t i = 0; i < (size_t)40 * 36 * 4; i++)
                g_assert_cmpfloat(out->pixels[i], ==, 0.0f);
        }
        cg_image_free(in);
        cg_image_free(out);
        cg_model_free(m);
    }
}

/* One rule for tiles below twice the margin: raised to it, with a note. */
static void test_small_tile_raised(void)
{
    cg_model *m = random_model(archs[0], NULL, 3);
    const cg_net *net = cg_model_net(m);
    int mult = cg_net_size_multiple(net);
    int margin = (cg_net_receptive_radius(net) + mult - 1) / mult * mult;
    char note[256] = "x";
    g_assert_cmpint(cg_stylize_tile(m, 0, note, sizeof note), ==, 0);
    g_assert_cmpstr(note, ==, "");
    g_assert_cmpint(cg_stylize_tile(m, 1, note, sizeof note), ==, 2 * margin);
    g_test_message("%s", note);
    g_assert_nonnull(strstr(note, "raised"));
    g_assert_cmpint(cg_stylize_tile(m, 2 * margin - 1, NULL, 0), ==, 2 * margin);
    g_assert_cmpint(cg_stylize_tile(m, 2 * margin + 1, note, sizeof note), ==, 2 * margin + mult);
    g_assert_cmpstr(note, ==, "");
    cg_model_free(m);
}

/* Frames of a static scene with a small moving square: with statistics shared
 * by all frames, the static part changes less between consecutive outputs than
 * with each frame's own statistics. */
static void test_frames_flicker(void)
{
    cg_model *m = random_model(archs[0], NULL, 8);
    enum { N = 5, W = 64, H = 48 };
    cg_image *in[N], *shared[N], *single[N];
    cg_error err = {0};
    for (int f = 0; f < N; f++) {
        in[f] = test_image(W, H, 9);
        /* a bright square moving across, changing the frame's global statistics */
        for (int y = 10; y < 30; y++)
            for (int x = 4 + 10 * f; x < 24 + 10 * f; x++)
                for (int c = 0; c < 3; c++)
                    cg_image_at(in[f], x, y)[c] = 1.0f;
        shared[f] = cg_image_new(W, H, &err);
        single[f] = cg_image_new(W, H, &err);
        g_assert_cmpint(cg_stylize(m, in[f], single[f], NULL, &err), ==, CG_OK);
    }
    g_assert_cmpint(cg_stylize_frames(m, (const cg_image *const *)in, shared, N, NULL, &err), ==, CG_OK);
    double flicker_shared = 0, flicker_single = 0;
    int count = 0;
    for (int f = 1; f < N; f++)
        for (int y = 36; y < H; y++) /* rows the square never reaches (nor its receptive field much) */
            for (int x = 0; x < W; x++)
                for (int c = 0; c < 3; c++) {
                    flicker_shared += fabs(cg_image_at(shared[f], x, y)[c] - cg_image_at(shared[f - 1], x, y)[c]);
                    flicker_single += fabs(cg_image_at(single[f], x, y)[c] - cg_image_at(single[f - 1], x, y)[c]);
                    count++;
                }
    flicker_shared /= count;
    flicker_single /= count;
    printf("# flicker on static content: shared statistics %.5f, per-frame statistics %.5f (ratio %.2f)\n",
           flicker_shared, flicker_single, flicker_single > 0 ? flicker_shared / flicker_single : 0);
    g_assert_cmpfloat(flicker_shared, <, flicker_single);
    /* In place (out[f] == in[f]) the frames come out the same, post-processed or not. */
    cg_stylize_options o = cg_stylize_defaults();
    for (int post = 0; post < 2; post++) {
        o.keep_colors = post;
        cg_image *copy[N];
        for (int f = 0; f < N; f++)
            copy[f] = cg_image_copy(in[f], &err);
        if (post)
            g_assert_cmpint(cg_stylize_frames(m, (const cg_image *const *)in, shared, N, &o, &err), ==, CG_OK);
        g_assert_cmpint(cg_stylize_frames(m, (const cg_image *const *)copy, copy, N, &o, &err), ==, CG_OK);
        for (int f = 0; f < N; f++) {
            g_assert_cmpmem(copy[f]->pixels, W * H * 4 * sizeof(float), shared[f]->pixels, W * H * 4 * sizeof(float));
            cg_image_free(copy[f]);
        }
    }
    for (int f = 0; f < N; f++) {
        cg_image_free(in[f]);
        cg_image_free(shared[f]);
        cg_image_free(single[f]);
    }
    cg_model_free(m);
}

static void test_attention_tiled(void)
{
    cg_model *m = random_model(archs[1], NULL, 9);
    cg_image *in = test_image(70, 50, 5);
    cg_error err = {0};
    float *whole = g_new(float, 70 * 50), *tiled = g_new(float, 70 * 50);
    for (int point = 0; point < 2; point++) {
        cg_stylize_options o = cg_stylize_defaults();
        g_assert_cmpint(cg_stylize_attention(m, in, point, &o, whole, &err), ==, CG_OK);
        o.tile = 16;
        g_assert_cmpint(cg_stylize_attention(m, in, point, &o, tiled, &err), ==, CG_OK);
        double d = 0, lo = 1, hi = 0;
        for (int i = 0; i < 70 * 50; i++) {
            d = fmax(d, fabs(whole[i] - tiled[i]));
            lo = fmin(lo, whole[i]);
            hi = fmax(hi, whole[i]);
        }
        g_test_message("attention point %d: max |tiled - whole| = %.3g", point, d);
        g_assert_cmpfloat(d, <, 1.0 / 255);
        g_assert_cmpfloat(lo, ==, 0);
        g_assert_cmpfloat(hi, ==, 1);
    }
    g_assert_cmpint(cg_stylize_attention(m, in, 2, NULL, whole, &err), ==, CG_ERR_INVALID);
    g_free(whole);
    g_free(tiled);
    cg_image_free(in);
    cg_model_free(m);
}

/* Statistics computed once: with them, an image gives its cg_stylize result,
 * and a crop gives the whole image's result away from the crop's edges. */
static void test_reused_stats(void)
{
    const char *cond = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 2, \"norm\": \"cond_instance\", \"styles\": 2}";
    const char *styles = "[{\"name\": \"ink\"}, {\"name\": \"identity\", \"mode\": \"identity\"}]";
    cg_model *m = random_model(cond, styles, 12);
    cg_image *in = test_image(160, 120, 6);
    cg_error err = {0};
    cg_stylize_options o = cg_stylize_defaults();
    o.strength = 0.7f; /* exercises the identity-style statistics too */
    cg_stylize_stats *stats = cg_stylize_compute_stats(m, (const cg_image *const *)&in, 1, &o, &err);
    g_assert_nonnull(stats);
    cg_image *whole = stylize_or_die(m, in, &o);
    cg_image *again = cg_image_new(160, 120, &err);
    g_assert_cmpint(cg_stylize_with_stats(m, stats, in, again, &o, &err), ==, CG_OK);
    g_assert_cmpfloat(max_diff(whole, again, false), <=, 1.0 / 255);

    /* a crop at a multiple of the network's size multiple, so the grids line up */
    const int x0 = 40, y0 = 20, cw = 100, ch = 92, keep = cg_net_receptive_radius(cg_model_net(m)) + 4;
    cg_image *crop = cg_image_new(cw, ch, &err), *crop_out = cg_image_new(cw, ch, &err);
    for (int y = 0; y < ch; y++)
        memcpy(cg_image_at(crop, 0, y), cg_image_at(in, x0, y0 + y), (size_t)cw * 4 * sizeof(float));
    g_assert_cmpint(cg_stylize_with_stats(m, stats, crop, crop_out, &o, &err), ==, CG_OK);
    double d = 0, d_own = 0;
    cg_image *own = stylize_or_die(m, crop, &o);
    for (int y = keep; y < ch - keep; y++)
        for (int x = keep; x < cw - keep; x++)
            for (int c = 0; c < 3; c++) {
                float ref = cg_image_at(whole, x0 + x, y0 + y)[c];
                d = fmax(d, fabs(cg_image_at(crop_out, x, y)[c] - ref));
                d_own = fmax(d_own, fabs(cg_image_at(own, x, y)[c] - ref));
            }
    g_test_message("crop interior vs whole: %.2g with the whole image's statistics, %.2g with its own", d, d_own);
    g_assert_cmpfloat(d, <=, 1.0 / 255);
    g_assert_cmpfloat(d_own, >, d); /* its own statistics would not do */

    o.strength = 1;
    g_assert_cmpint(cg_stylize_with_stats(m, stats, in, again, &o, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "another style"));
    cg_stylize_stats_free(stats);
    cg_image_free(in);
    cg_image_free(whole);
    cg_image_free(again);
    cg_image_free(crop);
    cg_image_free(crop_out);
    cg_image_free(own);
    cg_model_free(m);
}

/* A textured scene: smooth blobs plus fine noise, so every shift looks different. */
static cg_image *scene(int w, int h, guint32 seed)
{
    cg_error err = {0};
    cg_image *img = cg_image_new(w, h, &err);
    GRand *r = g_rand_new_with_seed(seed);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 4; c++)
                img->pixels[4 * ((size_t)y * w + x) + c] =
                    c == 3 ? 1.0f
                           : (float)(0.5 + 0.3 * sin(x * 0.07 + c) * cos(y * 0.05 - c) + 0.1 * g_rand_double(r));
    g_rand_free(r);
    return img;
}

static cg_image *crop(const cg_image *src, int x0, int y0, int w, int h, double noise, guint32 seed)
{
    cg_error err = {0};
    cg_image *img = cg_image_new(w, h, &err);
    GRand *r = g_rand_new_with_seed(seed);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 4; c++) {
                float v = src->pixels[4 * ((size_t)(y + y0) * src->width + x + x0) + c];
                img->pixels[4 * ((size_t)y * w + x) + c] = c == 3 ? v : v + (float)(noise * (g_rand_double(r) - 0.5));
            }
    g_rand_free(r);
    return img;
}

/* A pan's shift is found exactly, with sensor noise, in every direction and
 * up to the search's limit; a still shot and a flat frame stay at 0. */
static void test_motion_shift(void)
{
    cg_image *world = scene(260, 200, 4);
    const int shifts[][2] = {{1, 0}, {-1, 0}, {0, 1}, {3, -2}, {-7, 5}, {12, 0}, {0, -16}, {16, 16}, {0, 0}};
    for (size_t i = 0; i < G_N_ELEMENTS(shifts); i++) {
        int sx = shifts[i][0], sy = shifts[i][1];
        /* prev at (30, 30); cur at (30 + sx, 30 + sy): cur(x) = prev(x + s) */
        cg_image *prev = crop(world, 30, 30, 180, 130, 4.0 / 255, 1);
        cg_image *cur = crop(world, 30 + sx, 30 + sy, 180, 130, 4.0 / 255, 2 + (guint32)i);
        int dx = 99, dy = 99;
        cg_motion_shift(prev, cur, 16, &dx, &dy);
        if (dx != sx || dy != sy)
            g_error("shift (%d, %d) found as (%d, %d)", sx, sy, dx, dy);
        cg_image_free(prev);
        cg_image_free(cur);
    }
    /* beyond the limit: not claimed */
    cg_image *prev = crop(world, 10, 30, 180, 130, 0, 1), *cur = crop(world, 50, 30, 180, 130, 0, 1);
    int dx = 99, dy = 99;
    cg_motion_shift(prev, cur, 16, &dx, &dy);
    g_assert_true(abs(dx) <= 16 && abs(dy) <= 16);
    cg_image_free(prev);
    cg_image_free(cur);
    cg_error err = {0};
    cg_image *flat = cg_image_new(64, 48, &err);
    for (size_t k = 0; k < (size_t)64 * 48 * 4; k++)
        flat->pixels[k] = 0.5f;
    cg_motion_shift(flat, flat, 16, &dx, &dy);
    g_assert_cmpint(dx, ==, 0);
    g_assert_cmpint(dy, ==, 0);
    cg_image *tiny = cg_image_new(1, 1, &err);
    cg_motion_shift(tiny, flat, 16, &dx, &dy);
    g_assert_cmpint(dx, ==, 0);
    g_assert_cmpint(dy, ==, 0);
    cg_image_free(tiny);
    cg_image_free(flat);
    cg_image_free(world);
}

/* A panned shot (content moving left a pixel a frame): with the motion lock
 * each frame reaches the network at the first frame's phase of its stride,
 * so away from the borders every output is the one before moved by the pan,
 * exactly; without it the network draws differently at each phase. A still
 * shot comes out the same either way. */
static void test_lock_motion(void)
{
    cg_model *m = random_model(archs[0], NULL, 8);
    const int r = cg_net_receptive_radius(cg_model_net(m));
    enum { N = 6, W = 120, H = 100 };
    cg_image *world = scene(W + N, H, 5), *in[N], *locked[N], *free_[N];
    cg_error err = {0};
    for (int t = 0; t < N; t++) {
        in[t] = crop(world, t, 0, W, H, 0, 1);
        locked[t] = cg_image_new(W, H, &err);
        free_[t] = cg_image_new(W, H, &err);
    }
    cg_stylize_options o = cg_stylize_defaults();
    g_assert_true(o.lock_motion); /* every front end's frames get it */
    g_assert_cmpint(cg_stylize_frames(m, (const cg_image *const *)in, locked, N, &o, &err), ==, CG_OK);
    o.lock_motion = false;
    g_assert_cmpint(cg_stylize_frames(m, (const cg_image *const *)in, free_, N, &o, &err), ==, CG_OK);
    double worst_locked = 0, mean_locked = 0, mean_free = 0;
    int count = 0;
    for (int t = 1; t < N; t++)
        for (int y = r; y < H - r; y++)
            for (int x = r; x < W - r - 1; x++)
                for (int c = 0; c < 3; c++) {
                    double dl = fabs(cg_image_at(locked[t], x, y)[c] - cg_image_at(locked[t - 1], x + 1, y)[c]);
                    double df = fabs(cg_image_at(free_[t], x, y)[c] - cg_image_at(free_[t - 1], x + 1, y)[c]);
                    worst_locked = fmax(worst_locked, dl);
                    mean_locked += dl;
                    mean_free += df;
                    count++;
                }
    mean_locked /= count;
    mean_free /= count;
    printf("# pan: mean warped change locked %.6f, free %.6f; worst locked %.6f\n", mean_locked, mean_free,
           worst_locked);
    g_assert_cmpfloat(worst_locked, <, 1.0 / 255);
    g_assert_cmpfloat(mean_free, >, 20 * mean_locked + 1e-3);
    /* One frame at a time (a stream) with statistics computed over all of
     * them gives what cg_stylize_frames gives, the lock included. */
    o = cg_stylize_defaults();
    cg_stylize_stats *stats = cg_stylize_compute_stats(m, (const cg_image *const *)in, N, &o, &err);
    g_assert_nonnull(stats);
    for (int t = 0; t < N; t++) {
        cg_image *one = cg_image_new(W, H, &err);
        g_assert_cmpint(cg_stylize_frame_with_stats(m, stats, t, in[t], one, &o, &err), ==, CG_OK);
        g_assert_cmpfloat(max_diff(one, locked[t], false), <, 1.0 / 255);
        cg_image_free(one);
    }
    g_assert_cmpint(cg_stylize_frame_with_stats(m, stats, N, in[0], locked[0], &o, &err), ==, CG_ERR_INVALID);
    cg_stylize_stats_free(stats);
    /* still: the same frame twice gives the same output with the lock on or off */
    cg_image *still[2] = {in[0], in[0]}, *a[2] = {locked[0], locked[1]}, *b[2] = {free_[0], free_[1]};
    o.lock_motion = true;
    g_assert_cmpint(cg_stylize_frames(m, (const cg_image *const *)still, a, 2, &o, &err), ==, CG_OK);
    o.lock_motion = false;
    g_assert_cmpint(cg_stylize_frames(m, (const cg_image *const *)still, b, 2, &o, &err), ==, CG_OK);
    g_assert_cmpfloat(max_diff(a[1], b[1], false), ==, 0);
    for (int t = 0; t < N; t++) {
        cg_image_free(in[t]);
        cg_image_free(locked[t]);
        cg_image_free(free_[t]);
    }
    cg_image_free(world);
    cg_model_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/infer/tiled_equals_whole", test_tiled_equals_whole);
    g_test_add_func("/infer/residual_passes_input", test_residual_passes_input);
    g_test_add_func("/infer/style_heads_executor", test_style_heads_executor);
    g_test_add_func("/infer/post_style_executor", test_post_style_executor);
    g_test_add_func("/infer/post_stages_executor", test_post_stages_executor);
    g_test_add_func("/infer/alpha_and_gray", test_alpha_and_gray);
    g_test_add_func("/infer/strength", test_strength);
    g_test_add_func("/infer/monochrome", test_monochrome);
    g_test_add_func("/infer/cancel_leaves_output", test_cancel_leaves_output);
    g_test_add_func("/infer/bad_input", test_bad_input);
    g_test_add_func("/infer/overflow_is_an_error", test_overflow_is_an_error);
    g_test_add_func("/infer/small_tile_raised", test_small_tile_raised);
    g_test_add_func("/infer/frames_flicker", test_frames_flicker);
    g_test_add_func("/infer/attention_tiled", test_attention_tiled);
    g_test_add_func("/infer/reused_stats", test_reused_stats);
    g_test_add_func("/infer/motion_shift", test_motion_shift);
    g_test_add_func("/infer/lock_motion", test_lock_motion);
    return g_test_run();
}
