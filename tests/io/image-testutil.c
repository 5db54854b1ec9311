/* Helpers shared by the image tests. */
#include "image-testutil.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

char *tmpdir;

char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

cg_image *make_image(int w, int h, int channels, int bits, guint32 seed)
{
    cg_image *img = cg_image_new(w, h, NULL);
    GRand *r = g_rand_new_with_seed(seed);
    g_assert_nonnull(img);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            float *p = cg_image_at(img, x, y);
            for (int c = 0; c < 4; c++) {
                if (bits == 8)
                    p[c] = g_rand_int_range(r, 0, 256) / 255.0f;
                else if (bits == 16)
                    p[c] = g_rand_int_range(r, 0, 65536) / 65535.0f;
                else
                    p[c] = (float)g_rand_double_range(r, -0.5, 1.5);
            }
            if (channels <= 2)
                p[1] = p[2] = p[0];
            if (channels == 1 || channels == 3)
                p[3] = 1.0f;
        }
    }
    g_rand_free(r);
    img->source_channels = channels;
    img->source_format = bits == 8 ? CG_SAMPLE_U8 : bits == 16 ? CG_SAMPLE_U16 : CG_SAMPLE_F32;
    return img;
}

cg_image *make_smooth(int w, int h, bool gray)
{
    cg_image *img = cg_image_new(w, h, NULL);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = cg_image_at(img, x, y);
            p[0] = (float)x / (float)(w - 1);
            p[1] = gray ? p[0] : (float)y / (float)(h - 1);
            p[2] = gray ? p[0] : 0.5f + 0.4f * sinf((float)(x + y) * 0.05f);
            p[3] = 1.0f;
        }
    img->source_channels = gray ? 1 : 3;
    img->source_format = CG_SAMPLE_U8;
    return img;
}

double max_diff(const cg_image *a, const cg_image *b, double *mean)
{
    g_assert_cmpint(a->width, ==, b->width);
    g_assert_cmpint(a->height, ==, b->height);
    size_t n = (size_t)a->width * (size_t)a->height * 4;
    double m = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a->pixels[i] - (double)b->pixels[i]);
        g_assert_false(isnan(d));
        m = MAX(m, d);
        sum += d;
    }
    if (mean)
        *mean = sum / (double)n;
    return m;
}

cg_image *save_and_load(const cg_image *img, const char *name,
                               const cg_image_save_options *o)
{
    cg_error err = {0};
    char *path = tmp_path(name);
    if (cg_image_save(img, path, o, &err) != CG_OK)
        g_error("saving %s: %s", name, err.message);
    cg_image *back = cg_image_load(path, &err);
    if (!back)
        g_error("loading %s: %s", name, err.message);
    g_free(path);
    return back;
}

gchar *read_all(const char *name, gsize *len)
{
    char *path = tmp_path(name);
    gchar *data = NULL;
    g_assert_true(g_file_get_contents(path, &data, len, NULL));
    g_free(path);
    return data;
}

void write_all(const char *name, const void *data, size_t len)
{
    char *path = tmp_path(name);
    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
    g_free(path);
}

void expect_load_failure(const char *name, cg_status code, const char *needle)
{
    cg_error err = {0};
    char *path = tmp_path(name);
    cg_image *img = cg_image_load(path, &err);
    if (img)
        g_error("%s loaded but should not have", name);
    if (err.code != code)
        g_error("%s: status %d (%s), wanted %d", name, err.code, err.message, code);
    g_assert_nonnull(strstr(err.message, path));
    if (needle && !strstr(err.message, needle))
        g_error("%s: message \"%s\" lacks \"%s\"", name, err.message, needle);
    g_test_message("%s", err.message);
    g_free(path);
}

cg_image *load_ok(const char *name)
{
    cg_error err = {0};
    char *path = tmp_path(name);
    cg_image *img = cg_image_load(path, &err);
    if (!img)
        g_error("%s: %s", name, err.message);
    g_free(path);
    return img;
}

void remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            remove_tree(p);
        else
            g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}
