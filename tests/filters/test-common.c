/* What every filter promises: alpha untouched, in place equals out of
 * place, NULL params mean the defaults, deterministic, odd sizes work, bad
 * images refused. */
#include "fixture.h"

typedef cg_status (*filter_fn)(const cg_image *in, cg_image *out, bool defaults,
                               cg_error *err);

static cg_image *original; /* keep-colors' second input */

#define WRAP(name, call, defaults_fn)                                                  \
    static cg_status name(const cg_image *in, cg_image *out, bool defaults,          \
                          cg_error *err)                                              \
    {                                                                                  \
        if (defaults)                                                                  \
            return call(in, out, NULL, err);                                           \
        __typeof__(defaults_fn()) p = defaults_fn();                                   \
        return call(in, out, &p, err);                                                 \
    }
WRAP(f_guided, cg_filter_guided, cg_guided_defaults)
WRAP(f_quantize, cg_filter_quantize, cg_quantize_defaults)
WRAP(f_slic, cg_filter_slic, cg_slic_defaults)
WRAP(f_xdog, cg_filter_xdog, cg_xdog_defaults)
WRAP(f_screentone, cg_filter_screentone, cg_screentone_defaults)
WRAP(f_hatching, cg_filter_hatching, cg_hatching_defaults)
WRAP(f_line_weight, cg_filter_line_weight, cg_line_weight_defaults)
WRAP(f_denoise, cg_filter_denoise, cg_denoise_defaults)
WRAP(f_contrast, cg_filter_contrast, cg_contrast_defaults)
WRAP(f_manga, cg_filter_manga, cg_manga_defaults)
WRAP(f_cel, cg_filter_cel, cg_cel_defaults)
WRAP(f_kuwahara, cg_filter_kuwahara, cg_kuwahara_defaults)
WRAP(f_painted, cg_filter_painted, cg_painted_defaults)
WRAP(f_anime, cg_filter_anime, cg_anime_defaults)

static cg_status f_keep_colors(const cg_image *in, cg_image *out, bool defaults, cg_error *err)
{
    cg_keep_colors_params p = cg_keep_colors_defaults();
    const cg_image *orig = original;
    if (!in || !in->pixels || orig->width != in->width || orig->height != in->height)
        orig = in; /* the image checks are what is under test then */
    return cg_filter_keep_colors(in, orig, out, defaults ? NULL : &p, err);
}

static const struct {
    const char *name;
    filter_fn fn;
} filters[] = {
    {"guided", f_guided},           {"quantize", f_quantize},   {"slic", f_slic},
    {"xdog", f_xdog},               {"screentone", f_screentone}, {"hatching", f_hatching},
    {"line_weight", f_line_weight}, {"denoise", f_denoise},     {"contrast", f_contrast},
    {"keep_colors", f_keep_colors}, {"manga", f_manga},         {"cel", f_cel},
    {"kuwahara", f_kuwahara},       {"painted", f_painted},     {"anime", f_anime},
};

static void test_contract(const void *data)
{
    filter_fn fn = filters[GPOINTER_TO_SIZE(data)].fn;
    int w = 77, h = 53;
    cg_image *in = fx_picture(w, h, 31), *keep = fx_copy(in);
    original = fx_picture(w, h, 32);
    cg_image *a = fx_new(w, h), *b = fx_new(w, h), *c = fx_copy(in);
    cg_error err = {0};
    g_assert_cmpint(fn(in, a, false, &err), ==, CG_OK);
    g_assert_true(fx_equal(in, keep)); /* input untouched */
    fx_assert_alpha_same(in, a);
    fx_assert_range01(a);
    g_assert_cmpint(fn(in, b, true, NULL), ==, CG_OK);
    g_assert_true(fx_equal(a, b)); /* NULL params = defaults, and deterministic */
    g_assert_cmpint(fn(c, c, false, &err), ==, CG_OK);
    g_assert_true(fx_equal(a, c)); /* in place */
    fx_free(in);
    fx_free(keep);
    fx_free(original);
    fx_free(a);
    fx_free(b);
    fx_free(c);
}

static void test_odd_sizes(const void *data)
{
    filter_fn fn = filters[GPOINTER_TO_SIZE(data)].fn;
    static const int sizes[][2] = {{1, 1}, {1, 9}, {13, 1}, {2, 3}, {5, 40}};
    for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
        int w = sizes[s][0], h = sizes[s][1];
        cg_image *in = fx_picture(w, h, 40 + s), *out = fx_new(w, h);
        original = fx_picture(w, h, 50 + s);
        cg_error err = {0};
        g_assert_cmpint(fn(in, out, true, &err), ==, CG_OK);
        fx_assert_alpha_same(in, out);
        fx_assert_range01(out);
        fx_free(in);
        fx_free(out);
        fx_free(original);
    }
}

static void test_bad_images(const void *data)
{
    filter_fn fn = filters[GPOINTER_TO_SIZE(data)].fn;
    cg_image *in = fx_picture(10, 8, 1), *wide = fx_new(11, 8), *tall = fx_new(10, 9);
    original = fx_picture(10, 8, 2);
    cg_error err = {0};
    g_assert_cmpint(fn(in, wide, true, &err), ==, CG_ERR_INVALID);
    g_assert_cmpuint(strlen(err.message), >, 0);
    g_assert_cmpint(fn(in, tall, true, NULL), ==, CG_ERR_INVALID);
    g_assert_cmpint(fn(NULL, tall, true, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(fn(in, NULL, true, &err), ==, CG_ERR_INVALID);
    cg_image empty = *in;
    empty.pixels = NULL;
    g_assert_cmpint(fn(&empty, in, true, &err), ==, CG_ERR_INVALID);
    cg_image zero = *in;
    zero.width = 0;
    g_assert_cmpint(fn(&zero, &zero, true, &err), ==, CG_ERR_INVALID);
    fx_free(in);
    fx_free(wide);
    fx_free(tall);
    fx_free(original);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(filters); i++) {
        char *path = g_strdup_printf("/filters/common/%s/contract", filters[i].name);
        g_test_add_data_func(path, GSIZE_TO_POINTER(i), test_contract);
        g_free(path);
        path = g_strdup_printf("/filters/common/%s/odd-sizes", filters[i].name);
        g_test_add_data_func(path, GSIZE_TO_POINTER(i), test_odd_sizes);
        g_free(path);
        path = g_strdup_printf("/filters/common/%s/bad-images", filters[i].name);
        g_test_add_data_func(path, GSIZE_TO_POINTER(i), test_bad_images);
        g_free(path);
    }
    return g_test_run();
}
