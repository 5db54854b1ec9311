/* Upsampler benchmark: how each guided-upsampling setting brings a result
 * computed at a working size back to full size, the way the stylizer's
 * working-scale path does, on real photos.
 *
 *   bench-upsample [--side N] [--work M] [--save DIR] -m MODEL [-m MODEL]... PHOTO...
 *
 * Each photo is resized to N pixels on its long side (default 2048), the
 * "full" image, and to M (default 1024), the working copy that each model
 * (style 0) stylizes natively, as the dialog's fitted preview does. Every
 * setting then brings that result back to full size, guided by the full
 * image, and is scored against the full image and the preview:
 *   preview   mean |result downscaled to the working size - preview|, in
 *             8-bit levels (what OK applies must look like the preview)
 *   edges     correlation of the result's Sobel magnitude with the photo's
 *             (outlines on the full image's edges, not the working size's)
 *   noise     the result's 5x5 luma std where the photo is smooth, 8-bit
 *             levels (photo texture brought back into flat regions)
 *   flat+     flat fraction gained over the photo
 * Prints one table per model (means over the photos) and ms a megapixel.
 * --save DIR writes the first photo's results there to look at: the preview
 * (MODEL-preview.png) and each setting's (MODEL-SETTING.png). */
#include "comicgan/engine.h"
#include "comicgan/quality.h"
#include "comicgan/stylize.h"
#include "filters/upsample.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct setting {
    const char *name;
    cgf_up_guide guide;
    int radius;
    float eps;
} setting;

static const setting settings[] = {
    {"bilinear", CGF_UP_BILINEAR, 0, 1e-3f},
    {"luma r1 1e-3", CGF_UP_LUMA, 1, 1e-3f},
    {"luma r2 1e-3", CGF_UP_LUMA, 2, 1e-3f},
    {"channel r1 1e-3", CGF_UP_CHANNEL, 1, 1e-3f},
    {"channel r2 1e-3", CGF_UP_CHANNEL, 2, 1e-3f},
    {"color r1 1e-4", CGF_UP_COLOR, 1, 1e-4f},
    {"color r1 1e-3", CGF_UP_COLOR, 1, 1e-3f},
    {"color r1 1e-2", CGF_UP_COLOR, 1, 1e-2f},
    {"color r2 1e-4", CGF_UP_COLOR, 2, 1e-4f},
    {"color r2 1e-3", CGF_UP_COLOR, 2, 1e-3f},
    {"color r2 1e-2", CGF_UP_COLOR, 2, 1e-2f},
    {"color r4 1e-3", CGF_UP_COLOR, 4, 1e-3f},
};
enum { N_SETTINGS = G_N_ELEMENTS(settings), N_FIGURES = 5 };

static void die(const char *what, const cg_error *err)
{
    fprintf(stderr, "bench-upsample: %s: %s\n", what, err->message);
    exit(1);
}

/* img resized so that its long side is side (never enlarged). */
static cg_image *fit(const cg_image *img, int side, cg_error *err)
{
    const int longest = img->width > img->height ? img->width : img->height;
    if (longest <= side)
        return cg_image_resize(img, img->width, img->height, err);
    const double f = (double)side / longest;
    int w = (int)lround(img->width * f), h = (int)lround(img->height * f);
    return cg_image_resize(img, w > 0 ? w : 1, h > 0 ? h : 1, err);
}

/* The result of setting s for the preview p of low (the working copy of full). */
static cg_image *upsample(const setting *s, const cg_image *low, const cg_image *p, const cg_image *full,
                          double *ms, cg_error *err)
{
    gint64 t0 = g_get_monotonic_time();
    cgf_upsampler *u = cgf_upsampler_new(low, p, s->radius, s->eps, s->guide, err);
    const size_t n = (size_t)full->width * full->height;
    uint16_t *px = u ? g_try_malloc(n * 3 * sizeof(uint16_t)) : NULL;
    cg_image *out = px ? cg_image_new(full->width, full->height, err) : NULL;
    if (out && !cgf_upsampler_apply(u, full->pixels, full->width, full->height, 0, full->height, px)) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory");
        cg_image_free(out);
        out = NULL;
    }
    *ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
    for (size_t i = 0; out && i < n; i++) {
        for (int c = 0; c < 3; c++)
            out->pixels[4 * i + c] = px[3 * i + c] / 65535.0f;
        out->pixels[4 * i + 3] = 1.0f;
    }
    g_free(px);
    cgf_upsampler_free(u);
    return out;
}

/* Writes img as DIR/STEM-NAME.png, spaces in NAME made dashes. */
static void save_as(const char *dir, const char *stem, const char *name, const cg_image *img)
{
    char *file = g_strdup_printf("%s-%s.png", stem, name);
    g_strdelimit(file, " ", '-');
    char *path = g_build_filename(dir, file, NULL);
    cg_error err = {0};
    if (cg_image_save(img, path, NULL, &err) != CG_OK)
        die(path, &err);
    g_free(path);
    g_free(file);
}

int main(int argc, char **argv)
{
    int side = 2048, work = 1024;
    char **models = NULL, *save = NULL;
    GOptionEntry entries[] = {
        {"model", 'm', 0, G_OPTION_ARG_FILENAME_ARRAY, &models, "A model to measure (repeatable)", "MODEL"},
        {"side", 0, 0, G_OPTION_ARG_INT, &side, "Long side of the full image (default 2048)", "N"},
        {"work", 0, 0, G_OPTION_ARG_INT, &work, "Long side of the working copy (default 1024)", "M"},
        {"save", 0, 0, G_OPTION_ARG_FILENAME, &save, "Write the first photo's results into DIR", "DIR"},
        {NULL},
    };
    GOptionContext *ctx = g_option_context_new("-m MODEL... PHOTO...");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *gerr = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
        fprintf(stderr, "bench-upsample: %s\n", gerr->message);
        return 2;
    }
    g_option_context_free(ctx);
    const int n_models = models ? (int)g_strv_length(models) : 0, n_photos = argc - 1;
    if (n_models < 1 || n_photos < 1 || work < 16 || side <= work) {
        fprintf(stderr, "usage: bench-upsample [--side N] [--work M < N] -m MODEL... PHOTO...\n");
        return 2;
    }
    cg_error err = {0};
    cg_engine_init(&err);
    double *sum = g_new0(double, (gsize)n_models * N_SETTINGS * N_FIGURES); /* [model][setting][figure] */
    double mpix = 0;
    for (int k = 0; k < n_photos; k++) {
        const char *path = argv[1 + k];
        cg_image *photo = cg_image_load(path, &err);
        cg_image *full = photo ? fit(photo, side, &err) : NULL, *low = full ? fit(full, work, &err) : NULL;
        if (!low)
            die(path, &err);
        mpix += full->width * (double)full->height / 1e6;
        for (int m = 0; m < n_models; m++) {
            cg_model *model = cg_model_load(models[m], &err);
            cg_image *p = model ? cg_image_new(low->width, low->height, &err) : NULL;
            cg_stylize_options o = cg_stylize_defaults();
            o.scale = 1;
            if (!p || cg_stylize(model, low, p, &o, &err) != CG_OK)
                die(models[m], &err);
            char *stem = g_path_get_basename(models[m]);
            char *dot = strrchr(stem, '.');
            if (dot)
                *dot = '\0';
            if (save && k == 0)
                save_as(save, stem, "preview", p);
            for (int s = 0; s < N_SETTINGS; s++) {
                double ms, preview, edges, noise, flat;
                cg_image *up = upsample(&settings[s], low, p, full, &ms, &err);
                if (save && k == 0 && up)
                    save_as(save, stem, settings[s].name, up);
                cg_image *down = up ? cg_image_resize(up, low->width, low->height, &err) : NULL;
                if (!down || cg_quality_mean_levels(down, p, &preview, &err) != CG_OK ||
                    cg_quality_edge_corr(full, up, &edges, &err) != CG_OK ||
                    cg_quality_flat_noise(full, up, &noise, &err) != CG_OK ||
                    cg_quality_flat_gained(full, up, &flat, &err) != CG_OK)
                    die(settings[s].name, &err);
                double *f = sum + ((size_t)m * N_SETTINGS + s) * N_FIGURES;
                f[0] += preview;
                f[1] += edges;
                f[2] += noise;
                f[3] += flat;
                f[4] += ms;
                cg_image_free(up);
                cg_image_free(down);
            }
            g_free(stem);
            cg_image_free(p);
            cg_model_free(model);
        }
        fprintf(stderr, "bench-upsample: %d/%d %s\n", k + 1, n_photos, path);
        cg_image_free(photo);
        cg_image_free(full);
        cg_image_free(low);
    }
    printf("%d photos, full long side %d, working long side %d; means over the photos\n", n_photos, side, work);
    for (int m = 0; m < n_models; m++) {
        printf("\n%s\n%-18s %8s %7s %7s %7s %9s\n", models[m], "setting", "preview", "edges", "noise", "flat+",
               "ms/MP");
        for (int s = 0; s < N_SETTINGS; s++) {
            const double *f = sum + ((size_t)m * N_SETTINGS + s) * N_FIGURES;
            printf("%-18s %8.2f %7.3f %7.2f %+7.3f %9.1f\n", settings[s].name, f[0] / n_photos, f[1] / n_photos,
                   f[2] / n_photos, f[3] / n_photos, f[4] / mpix);
        }
    }
    g_free(sum);
    g_strfreev(models);
    g_free(save);
    return 0;
}
