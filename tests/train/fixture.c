#include "fixture.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

cg_image *fx_photo(int w, int h, guint32 seed)
{
    cg_error err = {0};
    cg_image *img = cg_image_new(w, h, &err);
    g_assert_nonnull(img);
    GRand *r = g_rand_new_with_seed(seed);
    double base[3], shape[3];
    for (int c = 0; c < 3; c++) {
        base[c] = g_rand_double_range(r, 0.2, 0.8);
        shape[c] = g_rand_double_range(r, 0, 1);
    }
    double cx = g_rand_double_range(r, 0.2, 0.8) * w, cy = g_rand_double_range(r, 0.2, 0.8) * h;
    double rad = g_rand_double_range(r, 0.15, 0.35) * (w < h ? w : h);
    int bx = g_rand_int_range(r, 0, w / 2), by = g_rand_int_range(r, 0, h / 2);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = cg_image_at(img, x, y);
            bool in_disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < rad * rad;
            bool in_box = x >= bx && x < bx + w / 3 && y >= by && y < by + h / 4;
            for (int c = 0; c < 3; c++) {
                double v = base[c] + 0.2 * ((double)x / w - 0.5) + 0.1 * ((double)y / h - 0.5);
                if (in_disc)
                    v = shape[c];
                if (in_box)
                    v = 1 - shape[c];
                v += g_rand_double_range(r, -0.03, 0.03);
                p[c] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
            }
            p[3] = 1;
        }
    g_rand_free(r);
    return img;
}

void fx_write_photos(const char *dir, int n, int w, int h, guint32 seed)
{
    g_mkdir_with_parents(dir, 0755);
    for (int i = 0; i < n; i++) {
        char name[32];
        g_snprintf(name, sizeof name, "p%02d.png", i);
        char *path = g_build_filename(dir, name, NULL);
        cg_image *img = fx_photo(w, h, seed + (guint32)i * 7919u);
        cg_error err = {0};
        g_assert_cmpint(cg_image_save(img, path, NULL, &err), ==, CG_OK);
        cg_image_free(img);
        g_free(path);
    }
}

void fx_write_targets(const char *photos_dir, const char *targets_dir)
{
    g_mkdir_with_parents(targets_dir, 0755);
    GDir *d = g_dir_open(photos_dir, 0, NULL);
    g_assert_nonnull(d);
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (!g_str_has_suffix(name, ".png"))
            continue;
        char *in = g_build_filename(photos_dir, name, NULL), *out = g_build_filename(targets_dir, name, NULL);
        cg_error err = {0};
        cg_image *img = cg_image_load(in, &err);
        if (!img || img->width < 16 || g_str_has_prefix(name, "zz-")) {
            /* Planted bad files get no target. */
            cg_image_free(img);
            g_free(in);
            g_free(out);
            continue;
        }
        for (size_t i = 0; i < (size_t)img->width * img->height; i++)
            for (int c = 0; c < 3; c++)
                img->pixels[4 * i + c] = 0.8f * (1.0f - img->pixels[4 * i + c]);
        g_assert_cmpint(cg_image_save(img, out, NULL, &err), ==, CG_OK);
        cg_image_free(img);
        g_free(in);
        g_free(out);
    }
    g_dir_close(d);
}

char *fx_write_file(const char *dir, const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

char *fx_tmpdir(void)
{
    GError *e = NULL;
    char *dir = g_dir_make_tmp("comicgan-train-XXXXXX", &e);
    g_assert_no_error(e);
    return dir;
}

void fx_rmtree(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            char *p = g_build_filename(path, name, NULL);
            fx_rmtree(p);
            g_free(p);
        }
        if (d)
            g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

cg_train_config *fx_config(const char *path)
{
    cg_error err = {0};
    cg_train_config *c = cg_train_config_load(path, &err);
    if (!c)
        g_error("%s", err.message);
    return c;
}

cg_status fx_train(const cg_train_config *c, const char *run_dir, bool resume, int64_t stop_after, cg_error *err)
{
    cg_train_options o = {.run_dir = run_dir, .resume = resume, .stop_after = stop_after};
    return cg_train(c, &o, err);
}
