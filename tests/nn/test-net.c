/* Networks from architecture JSON, and model files: parameter counts, shapes,
 * refusals, and save -> load giving bit-identical outputs. */
#include "comicgan/filters.h"
#include "comicgan/model.h"
#include "comicgan/ops.h"
#include "comicgan/safetensors.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* The benchmark generator of the inference issue: c7s1-32, d64, d128, R128x4,
 * u64, u32, c7s1-3 with affine instance norm. */
#define BENCH_ARCH "{\"type\": \"resnet\", \"width\": 32, \"downsamples\": 2, \"blocks\": 4, \"norm\": \"instance\"}"

static cg_net *new_net(const char *json, uint64_t seed)
{
    cg_error err = {0};
    cg_net *net = cg_net_new(json, &err);
    if (!net)
        g_error("%s: %s", json, err.message);
    cg_rng rng;
    cg_rng_seed(&rng, seed);
    g_assert_cmpint(cg_net_init(net, &rng, false, &err), ==, CG_OK);
    return net;
}

static void test_benchmark_generator_size(void)
{
    cg_net *net = new_net(BENCH_ARCH, 1);
    g_assert_cmpint(cg_params_total(cg_net_params(net)), ==, 1377411);
    g_assert_cmpint(cg_net_size_multiple(net), ==, 4);
    /* 3 (7x7) + 2 + 4 (downsampling, with alignment) + 8 convs x 4 (bottleneck) + 4 + 2 (up) + 3 (7x7) */
    g_assert_cmpint(cg_net_receptive_radius(net), ==, 50);
    cg_net_free(net);
}

static cg_tensor *random_image(cg_graph *g, int64_t n, int64_t c, int64_t h, int64_t w, guint32 seed)
{
    cg_tensor *x = cg_graph_tensor4(g, n, c, h, w);
    GRand *r = g_rand_new_with_seed(seed);
    for (int64_t i = 0; i < x->size; i++)
        x->data[i] = (float)g_rand_double_range(r, -1, 1);
    g_rand_free(r);
    return x;
}

static void check_forward(const char *json, int64_t side, int64_t out_side, int64_t out_c, int maps)
{
    cg_net *net = new_net(json, 2);
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_net_taps taps;
    cg_tensor *y = cg_net_forward(net, g, random_image(g, 2, 3, side, side, 3), NULL, &taps);
    if (!y) {
        cg_graph_status(g, &err);
        g_error("%s: %s", json, err.message);
    }
    g_assert_cmpint(y->dim[0], ==, 2);
    g_assert_cmpint(y->dim[1], ==, out_c);
    g_assert_cmpint(y->dim[2], ==, out_side);
    g_assert_cmpint(y->dim[3], ==, out_side);
    g_assert_cmpint(taps.count, ==, maps);
    g_assert_cmpint(cg_net_attention_count(net), ==, maps);
    for (int i = 0; i < taps.count; i++) {
        g_assert_nonnull(taps.map[i]);
        g_assert_cmpint(taps.map[i]->dim[1], ==, 1);
    }
    for (int64_t i = 0; i < y->size; i++)
        g_assert_true(isfinite(y->data[i]));
    if (strstr(json, "resnet") || strstr(json, "unet"))
        for (int64_t i = 0; i < y->size; i++)
            g_assert_true(y->data[i] >= -1 && y->data[i] <= 1);
    cg_graph_free(g);
    cg_net_free(net);
}

static void test_forward_shapes(void)
{
    check_forward(BENCH_ARCH, 32, 32, 3, 0);
    check_forward("{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 2, \"norm\": \"cond_instance\", "
                  "\"styles\": 3, \"upsample\": \"bilinear\"}", 16, 16, 3, 0);
    check_forward("{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 2, \"norm\": \"adalin\", "
                  "\"upsample\": \"transposed\", \"attention\": [\"cam\", \"self\", \"cbam\"]}", 16, 16, 3, 3);
    check_forward("{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, \"norm\": \"layer\", "
                  "\"activation\": \"relu\"}", 12, 12, 3, 0);
    check_forward("{\"type\": \"unet\", \"width\": 8, \"downsamples\": 3, \"norm\": \"instance\"}", 16, 16, 3, 0);
    /* pix2pix's 70x70 PatchGAN on 64x64: 32, 16, 8, then two stride-1 4x4 convs: 7, 6 */
    check_forward("{\"type\": \"patchgan\", \"width\": 8, \"layers\": 3, \"norm\": \"instance\"}", 64, 6, 1, 0);
    check_forward("{\"type\": \"patchgan\", \"width\": 8, \"layers\": 2, \"norm\": \"none\", \"spectral_norm\": true, "
                  "\"cam\": true}", 32, 6, 1, 1);
}

static void expect_arch_error(const char *json, const char *substring)
{
    cg_error err = {0};
    cg_net *net = cg_net_new(json, &err);
    g_assert_null(net);
    g_assert_cmpint(err.code, ==, CG_ERR_FORMAT);
    if (!strstr(err.message, substring))
        g_error("arch %s: message '%s' lacks '%s'", json, err.message, substring);
}

static void test_arch_errors(void)
{
    expect_arch_error("not json", "not valid JSON");
    expect_arch_error("[1, 2]", "must be a JSON object");
    expect_arch_error("{}", "\"type\" is required");
    expect_arch_error("{\"type\": \"transformer\"}", "\"type\" must be one of");
    expect_arch_error("{\"type\": \"resnet\", \"widht\": 3}", "unknown key \"widht\"");
    expect_arch_error("{\"type\": \"resnet\", \"width\": \"big\"}", "\"width\" must be an integer");
    expect_arch_error("{\"type\": \"resnet\", \"width\": 100000}", "\"width\" is 100000");
    expect_arch_error("{\"type\": \"resnet\", \"blocks\": -1}", "\"blocks\" is -1");
    expect_arch_error("{\"type\": \"resnet\", \"norm\": \"batch\"}", "\"norm\" must be one of");
    expect_arch_error("{\"type\": \"resnet\", \"slope\": 2}", "\"slope\" must be in");
    expect_arch_error("{\"type\": \"resnet\", \"attention\": [\"cam\", \"cam\"]}", "listed twice");
    expect_arch_error("{\"type\": \"resnet\", \"attention\": \"cam\"}", "must be a list");
    expect_arch_error("{\"type\": \"resnet\", \"width\": 1024, \"downsamples\": 4}", "too wide");
    expect_arch_error("{\"type\": \"patchgan\", \"norm\": \"cond_instance\"}", "for generators");
    expect_arch_error("{\"type\": \"patchgan\", \"residual\": true}", "\"residual\" needs");
    expect_arch_error("{\"type\": \"resnet\", \"out_channels\": 1, \"residual\": true}", "\"residual\" needs");
    expect_arch_error("{\"type\": \"resnet\", \"residual\": 1}", "must be true or false");
    expect_arch_error("{\"type\": \"resnet\", \"residual_blur\": 4}", "needs \"residual\"");
    expect_arch_error("{\"type\": \"resnet\", \"residual_guided\": 2}", "needs \"residual\"");
    expect_arch_error("{\"type\": \"resnet\", \"residual\": true, \"residual_guided\": 2, \"residual_blur\": 2}",
                      "two bases");
    expect_arch_error("{\"type\": \"resnet\", \"residual\": true, \"residual_guided\": 9}", "\"residual_guided\" is 9");
    expect_arch_error("{\"type\": \"resnet\", \"residual\": true, \"residual_guided\": 1, \"guided_eps\": 0}",
                      "\"guided_eps\" must be");
    expect_arch_error("{\"type\": \"resnet\", \"residual\": true, \"residual_blur\": 65}", "\"residual_blur\" is 65");
    expect_arch_error("{\"type\": \"resnet\", \"post_bands\": 1}", "not 1");
    expect_arch_error("{\"type\": \"patchgan\", \"norm\": \"instance\", \"style_heads\": true}", "for generators");
    expect_arch_error("{\"type\": \"patchgan\", \"norm\": \"cond_affine\"}", "cond_affine norm is for generators");
    expect_arch_error("{\"type\": \"resnet\", \"post_bands\": 33}", "\"post_bands\" is 33");
    expect_arch_error("{\"type\": \"resnet\", \"post_smooth\": 9}", "\"post_smooth\" is 9");
    expect_arch_error("{\"type\": \"resnet\", \"post_kuwahara\": 5}", "\"post_kuwahara\" is 5");
    expect_arch_error("{\"type\": \"patchgan\", \"post_kuwahara\": 1}", "a post stage needs a generator");
    expect_arch_error("{\"type\": \"resnet\", \"post_smooth\": 1, \"post_smooth_eps\": 0}", "\"post_smooth_eps\" must be");
    expect_arch_error("{\"type\": \"resnet\", \"post_bands\": 4, \"post_band_width\": 0}", "\"post_band_width\" must be");
    expect_arch_error("{\"type\": \"patchgan\", \"post_smooth\": 1}", "3 output channels");
    expect_arch_error("{\"type\": \"resnet\", \"styles\": 2, \"post_style\": 1}", "needs post_kuwahara, post_smooth");
    expect_arch_error("{\"type\": \"resnet\", \"styles\": 2, \"post\": [{\"post_bands\": 4, \"post_style\": 1}, "
                      "{\"post_smooth\": 1, \"post_style\": 1}]}", "all different");
    expect_arch_error("{\"type\": \"resnet\", \"styles\": 2, \"post\": [{\"post_bands\": 4, \"post_style\": 1}, "
                      "{\"post_smooth\": 1}]}", "a \"post_style\" each");
    expect_arch_error("{\"type\": \"resnet\", \"post_bands\": 4, \"post\": [{\"post_smooth\": 1}]}", "not both");
    expect_arch_error("{\"type\": \"resnet\", \"post\": [{\"post_blur\": 1}]}", "\"post_blur\" in a post stage");
    expect_arch_error("{\"type\": \"resnet\", \"post\": []}", "a list of 1 to 4 stages");
    expect_arch_error("{\"type\": \"resnet\", \"styles\": 2, \"post_bands\": 4, \"post_style\": 2}", "(2 styles)");
    expect_arch_error("{\"type\": \"resnet\", \"post_bands\": 4, \"post_style\": -2}", "\"post_style\" is -2");
    expect_arch_error("{\"type\": \"resnet\", \"out_channels\": 1, \"post_bands\": 4}", "3 output channels");
}

/* A residual generator gives twice the plain generator's output (same weights)
 * plus its input, and says so in its arch JSON; a plain one does not mention it. */
static void test_residual(void)
{
    const char *plain = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, \"norm\": \"instance\"}";
    const char *residual = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, "
                           "\"norm\": \"instance\", \"residual\": true}";
    cg_net *a = new_net(plain, 5), *b = new_net(residual, 5);
    g_assert_null(strstr(cg_net_arch_json(a), "residual"));
    g_assert_nonnull(strstr(cg_net_arch_json(b), "\"residual\":true"));
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *x = random_image(g, 2, 3, 12, 12, 6);
    cg_tensor *ya = cg_net_forward(a, g, x, NULL, NULL), *yb = cg_net_forward(b, g, x, NULL, NULL);
    g_assert_nonnull(ya);
    g_assert_nonnull(yb);
    double worst = 0;
    for (int64_t i = 0; i < x->size; i++)
        worst = fmax(worst, fabs(yb->data[i] - (x->data[i] + 2 * ya->data[i])));
    g_assert_cmpfloat(worst, <, 1e-6);
    /* With residual_blur the base is the input's box mean (border pixels
     * averaged over the part of the box inside the image). */
    const char *blurred = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, "
                          "\"norm\": \"instance\", \"residual\": true, \"residual_blur\": 2}";
    cg_net *c = new_net(blurred, 5);
    g_assert_nonnull(strstr(cg_net_arch_json(c), "\"residual_blur\":2"));
    g_assert_cmpint(cg_net_receptive_radius(c), ==, cg_net_receptive_radius(a));
    cg_tensor *yc = cg_net_forward(c, g, x, NULL, NULL);
    g_assert_nonnull(yc);
    worst = 0;
    for (int64_t n = 0; n < 2; n++)
        for (int64_t ch = 0; ch < 3; ch++)
            for (int64_t y = 0; y < 12; y++)
                for (int64_t xx = 0; xx < 12; xx++) {
                    double sum = 0;
                    int count = 0;
                    for (int64_t v = y - 2; v <= y + 2; v++)
                        for (int64_t u = xx - 2; u <= xx + 2; u++)
                            if (v >= 0 && v < 12 && u >= 0 && u < 12) {
                                sum += x->data[((n * 3 + ch) * 12 + v) * 12 + u];
                                count++;
                            }
                    int64_t i = ((n * 3 + ch) * 12 + y) * 12 + xx;
                    worst = fmax(worst, fabs(yc->data[i] - (sum / count + 2 * ya->data[i])));
                }
    g_assert_cmpfloat(worst, <, 1e-5);
    /* With residual_guided the base is the colour-guided filter, applied
     * residual_guided times to the image in [0, 1] as the teacher does. */
    const char *guided = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, "
                         "\"norm\": \"instance\", \"residual\": true, \"residual_guided\": 2, "
                         "\"guided_radius\": 3, \"guided_eps\": 0.02}";
    cg_net *d = new_net(guided, 5);
    g_assert_nonnull(strstr(cg_net_arch_json(d), "\"residual_guided\":2"));
    g_assert_nonnull(strstr(cg_net_arch_json(d), "\"guided_radius\":3"));
    g_assert_nonnull(strstr(cg_net_arch_json(d), "\"guided_eps\":0.02"));
    /* two passes, each a box of boxes of radius 3 */
    g_assert_cmpint(cg_net_receptive_radius(d), ==, MAX(12, cg_net_receptive_radius(a)));
    cg_tensor *yd = cg_net_forward(d, g, x, NULL, NULL);
    g_assert_nonnull(yd);
    cg_guided_params gp = {.radius = 3, .eps = 0.02f, .guide = CG_GUIDE_COLOR};
    worst = 0;
    for (int64_t n = 0; n < 2; n++) {
        cg_image *img = cg_image_new(12, 12, &err);
        g_assert_nonnull(img);
        for (int64_t i = 0; i < 144; i++) {
            for (int ch = 0; ch < 3; ch++)
                img->pixels[4 * i + ch] = (x->data[(n * 3 + ch) * 144 + i] + 1) / 2;
            img->pixels[4 * i + 3] = 1;
        }
        g_assert_cmpint(cg_filter_guided(img, img, &gp, &err), ==, CG_OK);
        g_assert_cmpint(cg_filter_guided(img, img, &gp, &err), ==, CG_OK);
        for (int64_t i = 0; i < 144; i++)
            for (int ch = 0; ch < 3; ch++) {
                int64_t k = (n * 3 + ch) * 144 + i;
                worst = fmax(worst, fabs(yd->data[k] - (2 * img->pixels[4 * i + ch] - 1 + 2 * ya->data[k])));
            }
        cg_image_free(img);
    }
    g_assert_cmpfloat(worst, <, 1e-5);
    cg_graph_free(g);
    cg_net_free(a);
    cg_net_free(b);
    cg_net_free(c);
    cg_net_free(d);
}

/* The level a luma lands on with n bands and a ramp of width w (in bands),
 * written out boundary by boundary: the reference for cg_arch_post's bands. */
static double naive_band(double luma, int n, double w)
{
    double t = fmin(fmax(luma, 0), 1) * n;
    for (int m = 1; m < n; m++)
        if (t > m - w / 2 && t < m + w / 2)
            return (m - 1 + (t - (m - w / 2)) / w) / (n - 1);
    int band = 0;
    while (band < n - 1 && t >= band + 1)
        band++;
    return (double)band / (n - 1);
}

/* A generator with a post stage gives the plain generator's output (same
 * weights) after post_smooth passes of its own colour-guided filter and then
 * flat luma bands that keep each pixel's chroma; its gradient passes straight
 * through the stage, so a linear loss gives the plain generator's gradients. */
static void test_post_stage(void)
{
    const char *plain = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, "
                        "\"norm\": \"instance\", \"residual\": true}";
    const char *post = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, "
                       "\"norm\": \"instance\", \"residual\": true, \"post_smooth\": 2, \"post_smooth_radius\": 2, "
                       "\"post_smooth_eps\": 0.02, \"post_bands\": 5, \"post_band_width\": 0.4}";
    cg_net *a = new_net(plain, 5), *b = new_net(post, 5);
    g_assert_null(strstr(cg_net_arch_json(a), "post"));
    g_assert_nonnull(strstr(cg_net_arch_json(b), "\"post_smooth\":2"));
    g_assert_nonnull(strstr(cg_net_arch_json(b), "\"post_smooth_radius\":2"));
    g_assert_nonnull(strstr(cg_net_arch_json(b), "\"post_smooth_eps\":0.02"));
    g_assert_nonnull(strstr(cg_net_arch_json(b), "\"post_bands\":5"));
    g_assert_nonnull(strstr(cg_net_arch_json(b), "\"post_band_width\":0.4"));
    /* two passes of a box of boxes of radius 2 after the network */
    g_assert_cmpint(cg_net_receptive_radius(b), ==, cg_net_receptive_radius(a) + 8);
    cg_error err = {0};
    /* one graph each: a backward pass walks its whole tape */
    cg_graph *g = cg_graph_new(true, &err), *h = cg_graph_new(true, &err);
    cg_tensor *ya = cg_net_forward(a, g, random_image(g, 2, 3, 12, 12, 6), NULL, NULL);
    cg_tensor *yb = cg_net_forward(b, h, random_image(h, 2, 3, 12, 12, 6), NULL, NULL);
    g_assert_nonnull(ya);
    g_assert_nonnull(yb);
    cg_guided_params gp = {.radius = 2, .eps = 0.02f, .guide = CG_GUIDE_COLOR};
    double worst = 0, moved = 0;
    int bands_seen = 0;
    for (int64_t n = 0; n < 2; n++) {
        cg_image *img = cg_image_new(12, 12, &err);
        g_assert_nonnull(img);
        for (int64_t i = 0; i < 144; i++) {
            for (int ch = 0; ch < 3; ch++)
                img->pixels[4 * i + ch] = (ya->data[(n * 3 + ch) * 144 + i] + 1) / 2;
            img->pixels[4 * i + 3] = 1;
        }
        g_assert_cmpint(cg_filter_guided(img, img, &gp, &err), ==, CG_OK);
        g_assert_cmpint(cg_filter_guided(img, img, &gp, &err), ==, CG_OK);
        for (int64_t i = 0; i < 144; i++) {
            const float *p = img->pixels + 4 * i;
            double luma = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            double shift = naive_band(luma, 5, 0.4) - luma;
            bands_seen |= 1 << (int)lround(naive_band(luma, 5, 0.4) * 4);
            for (int ch = 0; ch < 3; ch++) {
                int64_t k = (n * 3 + ch) * 144 + i;
                worst = fmax(worst, fabs(yb->data[k] - (2 * (p[ch] + shift) - 1)));
                moved = fmax(moved, fabs(yb->data[k] - ya->data[k]));
            }
        }
        cg_image_free(img);
    }
    g_assert_cmpfloat(worst, <, 1e-5);
    g_assert_cmpfloat(moved, >, 0.05); /* the stage did something */
    g_assert_cmpint(__builtin_popcount(bands_seen), >=, 2);
    /* Straight through: d(sum(y * r))/d(params) is the same with and without the stage. */
    float *seed = g_new(float, ya->size);
    for (int64_t i = 0; i < ya->size; i++)
        seed[i] = (float)((i * 37) % 11 - 5) / 5;
    g_assert_cmpint(cg_graph_backward_seeded(g, ya, seed, &err), ==, CG_OK);
    g_assert_cmpint(cg_graph_backward_seeded(h, yb, seed, &err), ==, CG_OK);
    int64_t na = 0, nb = 0;
    const float *ga = cg_params_grads(cg_net_params(a), &na), *gb = cg_params_grads(cg_net_params(b), &nb);
    g_assert_cmpint(na, ==, nb);
    double gworst = 0, glargest = 0;
    for (int64_t i = 0; i < na; i++) {
        gworst = fmax(gworst, fabs(ga[i] - gb[i]));
        glargest = fmax(glargest, fabs(ga[i]));
    }
    g_assert_cmpfloat(glargest, >, 1e-3);
    g_assert_cmpfloat(gworst, <=, 1e-5 * glargest);
    g_free(seed);
    cg_graph_free(g);
    cg_graph_free(h);
    cg_net_free(a);
    cg_net_free(b);
}

/* post_kuwahara: the plain generator's output (same weights) after that many
 * passes of the public Kuwahara filter at post_kuwahara_radius (the rest its
 * defaults), run before the smoothing; the margin grows by each pass's reach. */
static void test_post_kuwahara(void)
{
    const char *plain = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, "
                        "\"norm\": \"instance\", \"residual\": true}";
    const char *post = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, "
                       "\"norm\": \"instance\", \"residual\": true, \"post_kuwahara\": 2, \"post_kuwahara_radius\": 3}";
    cg_net *a = new_net(plain, 5), *b = new_net(post, 5);
    g_assert_nonnull(strstr(cg_net_arch_json(b), "\"post_kuwahara\":2"));
    g_assert_nonnull(strstr(cg_net_arch_json(b), "\"post_kuwahara_radius\":3"));
    /* per pass: the window's longest axis 3 (1 + 1/alpha) = 6, Sobel 1, tensor blur 3 sigma = 6 */
    g_assert_cmpint(cg_net_receptive_radius(b), ==, cg_net_receptive_radius(a) + 2 * 13);
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err), *h = cg_graph_new(false, &err);
    const int side = 20;
    cg_tensor *ya = cg_net_forward(a, g, random_image(g, 2, 3, side, side, 7), NULL, NULL);
    cg_tensor *yb = cg_net_forward(b, h, random_image(h, 2, 3, side, side, 7), NULL, NULL);
    g_assert_nonnull(ya);
    g_assert_nonnull(yb);
    cg_kuwahara_params kp = cg_kuwahara_defaults();
    kp.radius = 3;
    const int64_t plane = side * side;
    double worst = 0, moved = 0;
    for (int64_t n = 0; n < 2; n++) {
        cg_image *img = cg_image_new(side, side, &err);
        g_assert_nonnull(img);
        for (int64_t i = 0; i < plane; i++) {
            for (int ch = 0; ch < 3; ch++)
                img->pixels[4 * i + ch] = (ya->data[(n * 3 + ch) * plane + i] + 1) / 2;
            img->pixels[4 * i + 3] = 1;
        }
        g_assert_cmpint(cg_filter_kuwahara(img, img, &kp, &err), ==, CG_OK);
        g_assert_cmpint(cg_filter_kuwahara(img, img, &kp, &err), ==, CG_OK);
        for (int64_t i = 0; i < plane; i++)
            for (int ch = 0; ch < 3; ch++) {
                int64_t k = (n * 3 + ch) * plane + i;
                worst = fmax(worst, fabs(yb->data[k] - (2 * img->pixels[4 * i + ch] - 1)));
                moved = fmax(moved, fabs(yb->data[k] - ya->data[k]));
            }
        cg_image_free(img);
    }
    g_assert_cmpfloat(worst, <, 1e-5);
    g_assert_cmpfloat(moved, >, 0.05); /* the stage did something */
    cg_graph_free(g);
    cg_graph_free(h);
    cg_net_free(a);
    cg_net_free(b);
}

/* One forward of net on x with the style weights of one image, in a training graph. */
static cg_tensor *forward_with_style(cg_graph *g, cg_net *net, cg_tensor *x, const float *style, int styles)
{
    const int64_t dim[2] = {1, styles};
    cg_tensor *w = cg_graph_tensor(g, 2, dim);
    memcpy(w->data, style, (size_t)styles * sizeof(float));
    cg_tensor *y = cg_net_forward(net, g, x, w, NULL);
    g_assert_nonnull(y);
    return y;
}

/* sum(y * r) for a fixed r, in double: the objective of the gradient check. */
static double projected(const cg_tensor *y)
{
    double sum = 0;
    for (int64_t i = 0; i < y->size; i++)
        sum += y->data[i] * (double)((i * 37) % 11 - 5) / 5;
    return sum;
}

typedef struct checked_param {
    const char *name;
    int64_t index;
} checked_param;

/* The backward pass's gradient of sum(y * r) for each checked parameter
 * entry, against central differences of the float forward, with the style
 * weights mix. */
static void check_param_gradients(cg_net *net, const float *mix, int styles, const checked_param *checked, size_t n)
{
    cg_params *ps = cg_net_params(net);
    cg_error err = {0};
    cg_params_zero_grad(ps);
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *x = random_image(g, 1, 3, 10, 12, 4);
    cg_tensor *y = forward_with_style(g, net, x, mix, styles);
    float *seed = g_new(float, y->size);
    for (int64_t i = 0; i < y->size; i++)
        seed[i] = (float)((i * 37) % 11 - 5) / 5;
    g_assert_cmpint(cg_graph_backward_seeded(g, y, seed, &err), ==, CG_OK);
    g_free(seed);
    cg_graph_free(g);
    int64_t n_grads = 0;
    const float *grads = cg_params_grads(ps, &n_grads);
    for (size_t c = 0; c < n; c++) {
        int i = cg_params_find(ps, checked[c].name);
        g_assert_cmpint(i, >=, 0);
        float *v = cg_params_get(ps, i)->data + checked[c].index;
        /* small enough for layer norm's curvature in a bias, large enough for float noise */
        const float h = 3e-3f, kept = *v;
        double ends[2];
        for (int side = 0; side < 2; side++) {
            *v = kept + (side ? h : -h);
            cg_graph *gs = cg_graph_new(false, &err);
            cg_tensor *xs = random_image(gs, 1, 3, 10, 12, 4);
            ends[side] = projected(forward_with_style(gs, net, xs, mix, styles));
            cg_graph_free(gs);
        }
        *v = kept;
        double numeric = (ends[1] - ends[0]) / (2 * h);
        double analytic = grads[cg_params_offset(ps, i) + checked[c].index];
        g_test_message("%s[%" G_GINT64_FORMAT "]: analytic %.6g, numeric %.6g", checked[c].name, checked[c].index,
                       analytic, numeric);
        g_assert_cmpfloat(fabs(analytic - numeric), <=, 2e-2 * fmax(1, fabs(numeric)));
        g_assert_cmpfloat(fabs(numeric), >, 1e-3); /* each checked value matters */
    }
}

/* style_heads: the reference is a plain network of the same norm with the
 * same trunk whose one last conv is the style-weighted sum of the heads'
 * weights; its output must be the heads network's, for a single style and for
 * a mix. Then central differences of sum(y * r) against the backward pass, for
 * weights of every head, their biases and a trunk parameter (cond_instance: a
 * norm's gamma; otherwise a conv bias, the only per-style path being the heads). */
static void check_style_heads(const char *norm)
{
    char *heads_json = g_strdup_printf("{\"type\": \"resnet\", \"width\": 6, \"downsamples\": 1, \"blocks\": 1, "
                                       "\"norm\": \"%s\", \"styles\": 3, \"style_heads\": true, \"residual\": true}",
                                       norm);
    char *plain_json = g_strdup_printf("{\"type\": \"resnet\", \"width\": 6, \"downsamples\": 1, \"blocks\": 1, "
                                       "\"norm\": \"%s\", \"styles\": 3, \"residual\": true}",
                                       norm);
    const bool cond = strcmp(norm, "cond_instance") == 0 || strcmp(norm, "cond_affine") == 0;
    cg_net *heads = new_net(heads_json, 7), *plain = new_net(plain_json, 8);
    g_free(heads_json);
    g_free(plain_json);
    g_assert_cmpint(cg_net_styles(heads), ==, 3);
    g_assert_cmpint(cg_net_styles(plain), ==, cond ? 3 : 1);
    g_assert_nonnull(strstr(cg_net_arch_json(heads), "\"style_heads\":true"));
    g_assert_null(strstr(cg_net_arch_json(plain), "style_heads"));
    cg_params *hp = cg_net_params(heads), *pp = cg_net_params(plain);
    cg_tensor *head_w = cg_params_get(hp, cg_params_find(hp, "last.conv.weight"));
    cg_tensor *head_b = cg_params_get(hp, cg_params_find(hp, "last.conv.bias"));
    g_assert_cmpint(head_w->dim[0], ==, 9);
    /* random heads (the init's are 0.02-small) and random trunk norms, so each
     * style differs; random biases, since at the init's zero biases a ReLU
     * after a dead input sits exactly on its kink, where differences mislead */
    GRand *r = g_rand_new_with_seed(9);
    for (int i = 0; i < cg_params_count(hp); i++) {
        cg_tensor *t = cg_params_get(hp, i);
        if (strstr(cg_params_name(hp, i), "last.") || strstr(cg_params_name(hp, i), ".norm.") ||
            strstr(cg_params_name(hp, i), ".bias"))
            for (int64_t k = 0; k < t->size; k++)
                t->data[k] = (float)g_rand_double_range(r, -0.3, 0.3) + (strstr(cg_params_name(hp, i), "gamma") ? 1 : 0);
    }
    g_rand_free(r);
    const float mixes[][3] = {{0, 1, 0}, {0.2f, 0.5f, 0.3f}, {-0.4f, 0.9f, 0.5f}};
    cg_error err = {0};
    for (size_t m = 0; m < G_N_ELEMENTS(mixes); m++) {
        for (int i = 0; i < cg_params_count(pp); i++) {
            cg_tensor *t = cg_params_get(pp, i);
            const char *name = cg_params_name(pp, i);
            if (strcmp(name, "last.conv.weight") == 0 || strcmp(name, "last.conv.bias") == 0) {
                const cg_tensor *from = strcmp(name, "last.conv.weight") == 0 ? head_w : head_b;
                for (int64_t k = 0; k < t->size; k++) {
                    double sum = 0;
                    for (int s = 0; s < 3; s++)
                        sum += mixes[m][s] * from->data[s * t->size + k];
                    t->data[k] = (float)sum;
                }
            } else {
                memcpy(t->data, cg_params_get(hp, cg_params_find(hp, name))->data, (size_t)t->size * sizeof(float));
            }
        }
        cg_graph *g = cg_graph_new(true, &err);
        cg_tensor *x = random_image(g, 1, 3, 10, 12, 4);
        cg_tensor *yh = forward_with_style(g, heads, x, mixes[m], 3), *yp = forward_with_style(g, plain, x, mixes[m], 3);
        double worst = 0, moved = 0;
        for (int64_t i = 0; i < yh->size; i++) {
            worst = fmax(worst, fabs(yh->data[i] - yp->data[i]));
            moved = fmax(moved, fabs(yh->data[i] - x->data[i]));
        }
        g_test_message("mix %zu: max |heads - reference| = %.3g", m, worst);
        g_assert_cmpfloat(worst, <, 1e-5);
        g_assert_cmpfloat(moved, >, 0.05);
        cg_graph_free(g);
    }
    /* A batch of two images with two mixes gives each image's own result. */
    {
        cg_graph *g = cg_graph_new(false, &err);
        cg_tensor *pair = random_image(g, 2, 3, 10, 12, 4);
        const int64_t wdim[2] = {2, 3};
        cg_tensor *w = cg_graph_tensor(g, 2, wdim);
        memcpy(w->data, mixes[1], 3 * sizeof(float));
        memcpy(w->data + 3, mixes[2], 3 * sizeof(float));
        cg_tensor *both = cg_net_forward(heads, g, pair, w, NULL);
        g_assert_nonnull(both);
        const int64_t plane = 3 * 10 * 12, one_dim[4] = {1, 3, 10, 12};
        for (int k = 0; k < 2; k++) {
            cg_tensor *x = cg_graph_tensor(g, 4, one_dim);
            memcpy(x->data, pair->data + k * plane, (size_t)plane * sizeof(float));
            const int64_t sdim[2] = {1, 3};
            cg_tensor *ws = cg_graph_tensor(g, 2, sdim);
            memcpy(ws->data, mixes[1 + k], 3 * sizeof(float));
            cg_tensor *alone = cg_net_forward(heads, g, x, ws, NULL);
            double worst = 0;
            for (int64_t i = 0; i < plane; i++)
                worst = fmax(worst, fabs(alone->data[i] - both->data[k * plane + i]));
            g_assert_cmpfloat(worst, <, 1e-5);
        }
        cg_graph_free(g);
    }
    /* The gradient, against central differences of the float forward. */
    const checked_param checked[] = {
        {"last.conv.weight", 5}, {"last.conv.weight", 3 * 6 * 49 + 100}, {"last.conv.weight", 6 * 6 * 49 + 7},
        {"last.conv.bias", 2}, {"last.conv.bias", 7},
        {cond ? "block0.0.norm.gamma" : "up0.conv.bias", cond ? 12 + 4 : 2},
    };
    check_param_gradients(heads, mixes[1], 3, checked, G_N_ELEMENTS(checked));
    cg_net_free(heads);
    cg_net_free(plain);
}

static void test_style_heads(void) { check_style_heads("cond_instance"); }
static void test_style_heads_without_norm(void) { check_style_heads("none"); }
static void test_style_heads_layer_norm(void) { check_style_heads("layer"); }
static void test_style_heads_cond_affine(void) { check_style_heads("cond_affine"); }

/* cond_affine: a per-style scale and shift after each conv, without
 * statistics. The reference is a network without norm whose convs have the
 * mixed scale and shift folded in (gamma W, gamma b + beta). Then central
 * differences for entries of two styles' gamma and beta rows. */
static void test_cond_affine(void)
{
    const char *affine_json = "{\"type\": \"resnet\", \"width\": 6, \"downsamples\": 1, \"blocks\": 1, "
                              "\"norm\": \"cond_affine\", \"styles\": 3, \"residual\": true}";
    const char *plain_json = "{\"type\": \"resnet\", \"width\": 6, \"downsamples\": 1, \"blocks\": 1, "
                             "\"norm\": \"none\", \"residual\": true}";
    cg_net *affine = new_net(affine_json, 5), *plain = new_net(plain_json, 6);
    g_assert_cmpint(cg_net_styles(affine), ==, 3);
    g_assert_nonnull(strstr(cg_net_arch_json(affine), "\"cond_affine\""));
    cg_params *ap = cg_net_params(affine), *pp = cg_net_params(plain);
    /* Xavier weights: without statistics, N(0, 0.02) weights shrink the signal
     * so far that the inner layers' gradients drown in float noise. */
    cg_rng rng;
    cg_rng_seed(&rng, 3);
    cg_error init_err = {0};
    g_assert_cmpint(cg_net_init(affine, &rng, true, &init_err), ==, CG_OK);
    GRand *r = g_rand_new_with_seed(4);
    for (int i = 0; i < cg_params_count(ap); i++) {
        const char *name = cg_params_name(ap, i);
        cg_tensor *t = cg_params_get(ap, i);
        bool gamma = g_str_has_suffix(name, ".gamma");
        if (gamma || g_str_has_suffix(name, ".beta") || g_str_has_suffix(name, ".bias"))
            for (int64_t k = 0; k < t->size; k++)
                t->data[k] = (float)g_rand_double_range(r, -0.3, 0.3) + (gamma ? 1 : 0);
    }
    g_rand_free(r);
    const float mix[3] = {0.2f, 0.5f, 0.3f};
    /* the reference: every conv folded with the norm after it */
    for (int i = 0; i < cg_params_count(pp); i++) {
        const char *name = cg_params_name(pp, i);
        cg_tensor *t = cg_params_get(pp, i);
        const cg_tensor *from = cg_params_get(ap, cg_params_find(ap, name));
        g_assert_cmpint(from->size, ==, t->size);
        memcpy(t->data, from->data, (size_t)t->size * sizeof(float));
        const char *conv = strstr(name, ".conv.");
        if (!conv)
            continue;
        char *gamma_name = g_strdup_printf("%.*s.norm.gamma", (int)(conv - name), name);
        char *beta_name = g_strdup_printf("%.*s.norm.beta", (int)(conv - name), name);
        int gi = cg_params_find(ap, gamma_name), bi = cg_params_find(ap, beta_name);
        g_free(gamma_name);
        g_free(beta_name);
        if (gi < 0)
            continue; /* the last conv has no norm */
        const cg_tensor *gamma = cg_params_get(ap, gi), *beta = cg_params_get(ap, bi);
        const int64_t channels = gamma->dim[1], per_out = t->size / channels;
        bool is_bias = g_str_has_suffix(name, ".bias");
        for (int64_t o = 0; o < channels; o++) {
            double scale = 0, shift = 0;
            for (int s = 0; s < 3; s++) {
                scale += mix[s] * gamma->data[s * channels + o];
                shift += mix[s] * beta->data[s * channels + o];
            }
            for (int64_t k = 0; k < per_out; k++)
                t->data[o * per_out + k] = (float)(scale * t->data[o * per_out + k] + (is_bias ? shift : 0));
        }
    }
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *x = random_image(g, 1, 3, 10, 12, 4);
    cg_tensor *ya = forward_with_style(g, affine, x, mix, 3);
    cg_tensor *yp = cg_net_forward(plain, g, x, NULL, NULL);
    g_assert_nonnull(ya);
    g_assert_nonnull(yp);
    double worst = 0, moved = 0;
    for (int64_t i = 0; i < ya->size; i++) {
        worst = fmax(worst, fabs(ya->data[i] - yp->data[i]));
        moved = fmax(moved, fabs(ya->data[i] - x->data[i]));
    }
    g_test_message("max |cond_affine - folded reference| = %.3g (output moved %.3g)", worst, moved);
    g_assert_cmpfloat(worst, <, 1e-5);
    g_assert_cmpfloat(moved, >, 0.01);
    cg_graph_free(g);
    /* the gradient of style rows, against central differences */
    const checked_param checked[] = {
        {"block0.0.norm.gamma", 0 * 12 + 5}, {"block0.0.norm.gamma", 2 * 12 + 9},
        {"down0.norm.beta", 1 * 12 + 3},     {"first.norm.beta", 2 * 6 + 1},
    };
    check_param_gradients(affine, mix, 3, checked, G_N_ELEMENTS(checked));
    cg_net_free(affine);
    cg_net_free(plain);
}

/* Save -> load -> the same outputs, bit for bit; the arch JSON round-trips. */
static void test_model_round_trip(void)
{
    const char *arch = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 2, "
                       "\"norm\": \"cond_instance\", \"styles\": 2, \"attention\": [\"cam\"]}";
    const char *styles = "[{\"name\": \"ink\", \"display_name\": \"Ink\", \"mode\": \"pix2pix\"},"
                         " {\"name\": \"identity\", \"mode\": \"identity\"}]";
    cg_error err = {0};
    cg_model *m = cg_model_new(arch, styles, &err);
    g_assert_nonnull(m);
    cg_rng rng;
    cg_rng_seed(&rng, 9);
    g_assert_cmpint(cg_net_init(cg_model_net(m), &rng, true, &err), ==, CG_OK);
    /* Give every parameter a distinct non-trivial value so nothing is left at init defaults. */
    int64_t n = 0;
    float *values = cg_params_values(cg_net_params(cg_model_net(m)), &n);
    for (int64_t i = 0; i < n; i++)
        values[i] += 0.001f * (float)((i * 7919) % 101 - 50);

    char *dir = g_dir_make_tmp("comicgan-net-XXXXXX", NULL);
    char *path = g_build_filename(dir, "model.safetensors", NULL);
    g_assert_cmpint(cg_model_save(m, path, "{\"recipe\": \"test\"}", &err), ==, CG_OK);
    cg_model *loaded = cg_model_load(path, &err);
    if (!loaded)
        g_error("load: %s", err.message);
    g_assert_cmpstr(cg_net_arch_json(cg_model_net(loaded)), ==, cg_net_arch_json(cg_model_net(m)));
    g_assert_cmpstr(cg_model_provenance_json(loaded), ==, "{\"recipe\": \"test\"}");
    g_assert_cmpint(cg_model_style_count(loaded), ==, 2);
    g_assert_cmpint(cg_model_find_style(loaded, "ink"), ==, 0);
    g_assert_cmpint(cg_model_identity_style(loaded), ==, 1);

    cg_tensor *out[2];
    cg_graph *gs[2];
    cg_model *models[2] = {m, loaded};
    for (int k = 0; k < 2; k++) {
        gs[k] = cg_graph_new(false, &err);
        const int64_t wd[2] = {2, 2};
        cg_tensor *style = cg_graph_tensor(gs[k], 2, wd);
        style->data[0] = 0.3f;
        style->data[1] = 0.7f;
        style->data[2] = 1.0f;
        out[k] = cg_net_forward(cg_model_net(models[k]), gs[k], random_image(gs[k], 2, 3, 20, 20, 4), style, NULL);
        g_assert_nonnull(out[k]);
    }
    g_assert_cmpmem(out[0]->data, out[0]->size * 4, out[1]->data, out[1]->size * 4);

    /* A model file whose tensors do not match its architecture is refused by name. */
    cg_model *other = cg_model_new("{\"type\": \"resnet\", \"width\": 4, \"downsamples\": 1, \"blocks\": 1}", NULL, &err);
    g_assert_nonnull(other);
    char *bad = g_build_filename(dir, "bad.safetensors", NULL);
    const cg_safetensors_meta meta[] = {{CG_META_FORMAT, CG_MODEL_FORMAT_VERSION},
                                        {CG_META_ARCH, cg_net_arch_json(cg_model_net(m))},
                                        {CG_META_STYLES, cg_model_styles_json(m)}};
    g_assert_cmpint(cg_safetensors_write_params(bad, cg_net_params(cg_model_net(other)), meta, 3, &err), ==, CG_OK);
    g_assert_null(cg_model_load(bad, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "bad.safetensors"));

    for (int k = 0; k < 2; k++)
        cg_graph_free(gs[k]);
    cg_model_free(other);
    cg_model_free(loaded);
    cg_model_free(m);
    g_unlink(path);
    g_unlink(bad);
    g_rmdir(dir);
    g_free(bad);
    g_free(path);
    g_free(dir);
}

static void test_model_errors(void)
{
    cg_error err = {0};
    g_assert_null(cg_model_new("{\"type\": \"resnet\", \"norm\": \"cond_instance\", \"styles\": 2}",
                               "[{\"name\": \"a\"}]", &err));
    g_assert_nonnull(strstr(err.message, "2 styles"));
    g_assert_null(cg_model_new("{\"type\": \"resnet\"}", "[{\"name\": \"Bad Name\"}]", &err));
    g_assert_nonnull(strstr(err.message, "needs a \"name\""));
    g_assert_null(cg_model_new("{\"type\": \"resnet\"}", "[{\"name\": \"a\", \"mode\": \"magic\"}]", &err));
    g_assert_nonnull(strstr(err.message, "unknown mode"));
    g_assert_null(cg_model_load("/nonexistent/model.safetensors", &err));
    g_assert_cmpint(err.code, ==, CG_ERR_IO);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nn/net/benchmark_generator_size", test_benchmark_generator_size);
    g_test_add_func("/nn/net/forward_shapes", test_forward_shapes);
    g_test_add_func("/nn/net/arch_errors", test_arch_errors);
    g_test_add_func("/nn/net/residual", test_residual);
    g_test_add_func("/nn/net/post_stage", test_post_stage);
    g_test_add_func("/nn/net/post_kuwahara", test_post_kuwahara);
    g_test_add_func("/nn/net/style_heads", test_style_heads);
    g_test_add_func("/nn/net/style_heads_without_norm", test_style_heads_without_norm);
    g_test_add_func("/nn/net/style_heads_layer_norm", test_style_heads_layer_norm);
    g_test_add_func("/nn/net/style_heads_cond_affine", test_style_heads_cond_affine);
    g_test_add_func("/nn/net/cond_affine", test_cond_affine);
    g_test_add_func("/nn/model/round_trip", test_model_round_trip);
    g_test_add_func("/nn/model/errors", test_model_errors);
    return g_test_run();
}
