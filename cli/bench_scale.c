/* comicgan bench --scale-consistency: does a fitted preview tell the truth?
 *
 * A dialog's fitted preview stylizes a copy of the image downscaled to
 * PREVIEW_SIDE pixels on its long side. For each photo (resized to --side on
 * its long side, as a large photo) and each style, this stylizes the large
 * image and the preview copy the way the dialogs do, at native scale (the
 * copy natively) and at the automatic scale (the copy at the scale the large
 * image implies), and prints the mean difference in 8-bit levels between the
 * large result downscaled to the preview's size and the preview, and at the
 * automatic scale also their low-frequency colour difference (the quality
 * figures' Delta E, on both blurred over 1/32 of the short side): a manga
 * preview's dots cannot fall on the downscaled result's dots pixel for
 * pixel, so its level difference stays high while its tone and lines match.
 * Then the time to stylize a 4000x3000 image at each scale (median of
 * --runs). */
#include "common.h"

#include "comicgan/quality.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREVIEW_SIDE 640 /* the GIMP dialog's fitted preview */
#define TIME_W 4000
#define TIME_H 3000

/* img resized so its long side is side (a new image; NULL after printing why). */
static cg_image *to_long_side(const cg_image *img, int side)
{
    cg_error err = {0};
    cg_image *out = cli_resize_long_side(img, side, 1, 1, &err);
    if (!out)
        cli_fail_error("bench", &err);
    return out;
}

/* Stylizes a copy of in; NULL after printing why. */
static cg_image *stylized(const cg_model *m, const cg_image *in, const cg_stylize_options *o)
{
    cg_error err = {0};
    cg_image *out = cg_image_copy(in, &err);
    if (out && cg_stylize(m, in, out, o, &err) != CG_OK) {
        cg_image_free(out);
        out = NULL;
    }
    if (!out)
        cli_fail_error("bench", &err);
    return out;
}

/* The preview's difference in levels for one photo, style and scale setting,
 * and when delta_e is not NULL its low-frequency Delta E; < 0 on failure. */
static double consistency(const cg_model *m, const cg_image *big, cg_stylize_options o, double *delta_e)
{
    double f = (double)PREVIEW_SIDE / (big->width > big->height ? big->width : big->height);
    /* At native scale the copy runs natively (the dialogs before the style
     * scale); at the automatic scale, at the scale the large image implies. */
    cg_stylize_options po = o;
    if (o.scale_side > 0) {
        po.scale = (float)(cg_stylize_scale_of(&o, big->width, big->height) / f);
        po.scale_side = 0;
        if (fabs(po.scale - 1) < 1e-6)
            po.scale = 1;
    }
    cg_image *full = stylized(m, big, &o), *full_small = full ? to_long_side(full, PREVIEW_SIDE) : NULL;
    cg_image *copy = to_long_side(big, PREVIEW_SIDE), *preview = copy ? stylized(m, copy, &po) : NULL;
    double d = -1;
    cg_error err = {0};
    if (full_small && preview && cg_quality_mean_levels(full_small, preview, &d, &err) != CG_OK) {
        cli_fail_error("bench", &err);
        d = -1;
    }
    if (d >= 0 && delta_e && cg_quality_delta_e(full_small, preview, delta_e, &err) != CG_OK) {
        cli_fail_error("bench", &err);
        d = -1;
    }
    cg_image_free(full);
    cg_image_free(full_small);
    cg_image_free(copy);
    cg_image_free(preview);
    return d;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median seconds of runs stylizings of img; < 0 on failure. */
static double median_seconds(const cg_model *m, const cg_image *img, const cg_stylize_options *o, int runs)
{
    double t[16];
    runs = runs < 1 ? 1 : runs > 16 ? 16 : runs;
    for (int r = 0; r < runs; r++) {
        gint64 start = g_get_monotonic_time();
        cg_image *out = stylized(m, img, o);
        t[r] = (g_get_monotonic_time() - start) / 1e6;
        if (!out)
            return -1;
        cg_image_free(out);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    return runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
}

int cli_bench_scale(char **files, int side, int auto_side, const char *only_style, int runs)
{
    int n = 0;
    cg_image **photos = cli_load_photos(files, side, 1, 1, &n);
    if (!photos)
        return CLI_EXIT_FAILURE;
    cg_catalog *cat = cg_catalog_new();
    int status = CLI_EXIT_OK;
    cg_stylize_options native = cg_stylize_defaults(), autos = cg_stylize_defaults();
    autos.scale_side = auto_side;
    printf("Fitted preview (%d px long side) against the full result downscaled to it: mean |difference| in 8-bit "
           "levels.\nPhotos resized to %d px on the long side; auto = as if the long side were %d px.\n",
           PREVIEW_SIDE, side, auto_side);
    printf("%-16s %-14s %8s %8s %8s\n", "style", "photo", "native", "auto", "auto dE");
    double sum[3] = {0, 0, 0};
    int count = 0;
    for (int s = 0; s < cg_catalog_count(cat) && status == CLI_EXIT_OK; s++) {
        const cg_catalog_style *cs = cg_catalog_get(cat, s);
        int index = 0;
        cg_model *m = cli_load_listed_style(cat, s, only_style, &index, &status);
        if (!m)
            continue;
        native.style = autos.style = index;
        for (int i = 0; i < n && status == CLI_EXIT_OK; i++) {
            double e = 0, a = consistency(m, photos[i], native, NULL),
                   b = a >= 0 ? consistency(m, photos[i], autos, &e) : -1;
            if (b < 0) {
                status = CLI_EXIT_FAILURE;
                break;
            }
            char *base = g_path_get_basename(files[i]);
            printf("%-16s %-14.14s %8.2f %8.2f %8.2f\n", cs->name, base, a, b, e);
            fflush(stdout);
            g_free(base);
            sum[0] += a;
            sum[1] += b;
            sum[2] += e;
            count++;
        }
        cg_model_free(m);
    }
    if (status == CLI_EXIT_OK && count)
        printf("%-31s %8.2f %8.2f %8.2f\n", "mean", sum[0] / count, sum[1] / count, sum[2] / count);

    /* Time at 4000x3000: the first photo (or the first style's model alone) resized to it. */
    if (status == CLI_EXIT_OK && runs > 0 && n > 0) {
        const cg_catalog_style *cs = NULL;
        for (int s = 0; s < cg_catalog_count(cat) && !cs; s++)
            if (strcmp(cg_catalog_get(cat, s)->mode, "identity") != 0 &&
                (!only_style || strcmp(only_style, cg_catalog_get(cat, s)->name) == 0))
                cs = cg_catalog_get(cat, s);
        cg_error err = {0};
        int index = 0;
        cg_model *m = cs ? cg_catalog_load_style(cat, cs->name, &index, &err) : NULL;
        cg_image *big = m ? cg_image_resize(photos[0], TIME_W, TIME_H, &err) : NULL;
        if (!big) {
            status = cs ? cli_fail_error("bench", &err) : CLI_EXIT_FAILURE;
        } else {
            native.style = autos.style = index;
            double tn = median_seconds(m, big, &native, runs), ta = median_seconds(m, big, &autos, runs);
            if (tn < 0 || ta < 0)
                status = CLI_EXIT_FAILURE;
            else
                printf("Time to stylize %dx%d with %s (median of %d): native %.2f s, auto %.2f s (%.1fx faster)\n",
                       TIME_W, TIME_H, cs->name, runs, tn, ta, tn / ta);
        }
        cg_image_free(big);
        cg_model_free(m);
    }
    cli_free_photos(photos);
    cg_catalog_free(cat);
    return status;
}
