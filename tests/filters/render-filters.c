/* Renders every filter with its defaults on real photos, for looking at:
 *   render-filters [--size N] OUTDIR PHOTO...
 * writes OUTDIR/NAME-FILTER.png (photo scaled so its longer side is N,
 * default 768) and prints each filter's time. */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>

#include "fixture.h"

static cg_image *from_pixbuf(GdkPixbuf *pb)
{
    int w = gdk_pixbuf_get_width(pb), h = gdk_pixbuf_get_height(pb);
    int nc = gdk_pixbuf_get_n_channels(pb), stride = gdk_pixbuf_get_rowstride(pb);
    const guchar *d = gdk_pixbuf_read_pixels(pb);
    cg_image *img = fx_new(w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const guchar *s = d + (size_t)y * stride + (size_t)x * nc;
            float *p = fx_px(img, x, y);
            for (int c = 0; c < 3; c++)
                p[c] = s[c] / 255.0f;
            p[3] = nc == 4 ? s[3] / 255.0f : 1.0f;
        }
    return img;
}

static gboolean save_png(const cg_image *img, const char *path)
{
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, TRUE, 8, img->width, img->height);
    int stride = gdk_pixbuf_get_rowstride(pb);
    guchar *d = gdk_pixbuf_get_pixels(pb);
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            const float *p = fx_px(img, x, y);
            for (int c = 0; c < 4; c++) {
                float v = fminf(1.0f, fmaxf(0.0f, p[c]));
                d[(size_t)y * stride + (size_t)x * 4 + c] = (guchar)lrintf(v * 255.0f);
            }
        }
    GError *gerr = NULL;
    gboolean ok = gdk_pixbuf_save(pb, path, "png", &gerr, NULL);
    if (!ok) {
        fprintf(stderr, "%s: %s\n", path, gerr->message);
        g_error_free(gerr);
    }
    g_object_unref(pb);
    return ok;
}

typedef cg_status (*filter_fn)(const cg_image *, cg_image *, cg_error *);

#define WRAP(name, call)                                                                 \
    static cg_status name(const cg_image *in, cg_image *out, cg_error *err)            \
    {                                                                                    \
        return call(in, out, NULL, err);                                                 \
    }
WRAP(f_guided, cg_filter_guided)
WRAP(f_kuwahara, cg_filter_kuwahara)
WRAP(f_quantize, cg_filter_quantize)
WRAP(f_slic, cg_filter_slic)
WRAP(f_xdog, cg_filter_xdog)
WRAP(f_screentone, cg_filter_screentone)
WRAP(f_hatching, cg_filter_hatching)
WRAP(f_line_weight, cg_filter_line_weight)
WRAP(f_denoise, cg_filter_denoise)
WRAP(f_contrast, cg_filter_contrast)
WRAP(f_manga, cg_filter_manga)
WRAP(f_cel, cg_filter_cel)
WRAP(f_painted, cg_filter_painted)
WRAP(f_anime, cg_filter_anime)

static const struct {
    const char *name;
    filter_fn fn;
} filters[] = {
    {"guided", f_guided},         {"kuwahara", f_kuwahara}, {"quantize", f_quantize},
    {"slic", f_slic},
    {"xdog", f_xdog},             {"screentone", f_screentone},
    {"hatching", f_hatching},     {"line-weight", f_line_weight},
    {"denoise", f_denoise},       {"contrast", f_contrast}, {"manga", f_manga},
    {"cel", f_cel},               {"painted", f_painted},   {"anime", f_anime},
};

int main(int argc, char **argv)
{
    int size = 768, first = 1;
    if (argc > 2 && strcmp(argv[1], "--size") == 0) {
        size = atoi(argv[2]);
        first = 3;
    }
    if (argc - first < 2 || size < 16) {
        fprintf(stderr, "usage: %s [--size N] OUTDIR PHOTO...\n", argv[0]);
        return 2;
    }
    const char *outdir = argv[first];
    int status = 0;
    for (int a = first + 1; a < argc; a++) {
        GError *gerr = NULL;
        GdkPixbuf *pb = gdk_pixbuf_new_from_file_at_scale(argv[a], size, size, TRUE, &gerr);
        if (!pb) {
            fprintf(stderr, "%s: %s\n", argv[a], gerr->message);
            g_error_free(gerr);
            status = 1;
            continue;
        }
        cg_image *in = from_pixbuf(pb);
        g_object_unref(pb);
        char *base = g_path_get_basename(argv[a]);
        char *dot = strrchr(base, '.');
        if (dot)
            *dot = '\0';
        char *path = g_strdup_printf("%s/%s-input.png", outdir, base);
        save_png(in, path);
        g_free(path);
        cg_image *out = fx_new(in->width, in->height);
        for (size_t f = 0; f < G_N_ELEMENTS(filters); f++) {
            cg_error err = {0};
            gint64 t0 = g_get_monotonic_time();
            cg_status st = filters[f].fn(in, out, &err);
            double ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
            if (st) {
                fprintf(stderr, "%s %s: %s\n", base, filters[f].name, err.message);
                status = 1;
                continue;
            }
            printf("%-14s %-12s %4dx%-4d %8.1f ms\n", base, filters[f].name, in->width,
                   in->height, ms);
            path = g_strdup_printf("%s/%s-%s.png", outdir, base, filters[f].name);
            if (!save_png(out, path))
                status = 1;
            g_free(path);
        }
        fx_free(out);
        fx_free(in);
        g_free(base);
    }
    return status;
}
