/* comicgan bench --flicker: do animations swim?
 *
 * From each photo (resized to --side on its long side) three moving shots of
 * FRAMES frames are made, each with sensor noise (σ 2/255, as `comicgan eval`
 * uses): a pan (the view moves one pixel a frame), a slow zoom (1 % a frame,
 * about the centre) and a still shot (only the noise changes). Every shot is
 * stylized three ways: each frame alone, as frames sharing statistics
 * (cg_stylize_frames), and as frames with the motion lock. For each the
 * warped temporal error is printed: the mean change of the output from one
 * frame to the next once the camera's motion is undone, over the same for
 * the input. 1 means the style adds no flicker of its own. */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAMES 8
#define NOISE (2.0f / 255)
#define ZOOM_STEP 0.01

typedef enum shot { PAN, ZOOM, STILL, SHOTS } shot;
static const char *const shot_names[SHOTS] = {"pan", "zoom", "still"};

typedef enum way { ALONE, SHARED, LOCKED, WAYS } way;
static const char *const way_names[WAYS] = {"alone", "frames", "locked"};

/* The zoom's frame t in frame 0's coordinates: x0 = cx + (x - cx) / z^t. */
static double zoom_of(int t)
{
    return pow(1 + ZOOM_STEP, t);
}

/* Bilinear sample of img's colour at (x, y), clamped to the image. */
static void sample(const cg_image *img, double x, double y, float *rgb)
{
    x = fmin(fmax(x, 0), img->width - 1);
    y = fmin(fmax(y, 0), img->height - 1);
    int x0 = (int)x, y0 = (int)y, x1 = x0 + 1 < img->width ? x0 + 1 : x0, y1 = y0 + 1 < img->height ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    for (int c = 0; c < 3; c++) {
        const float *p = img->pixels + c;
        double top = (1 - fx) * p[4 * ((size_t)y0 * img->width + x0)] + fx * p[4 * ((size_t)y0 * img->width + x1)];
        double bot = (1 - fx) * p[4 * ((size_t)y1 * img->width + x0)] + fx * p[4 * ((size_t)y1 * img->width + x1)];
        rgb[c] = (float)((1 - fy) * top + fy * bot);
    }
}

/* Frame t of a shot of photo: FRAMES - 1 pixels narrower than the photo (the
 * pan's room), noise from rng. */
static cg_image *make_frame(const cg_image *photo, shot s, int t, GRand *rng, cg_error *err)
{
    int w = photo->width - (FRAMES - 1), h = photo->height;
    cg_image *f = cg_image_new(w, h, err);
    if (!f)
        return NULL;
    double cx = 0.5 * (w - 1), cy = 0.5 * (h - 1), z = s == ZOOM ? zoom_of(t) : 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *px = f->pixels + 4 * ((size_t)y * w + x);
            if (s == PAN)
                memcpy(px, photo->pixels + 4 * ((size_t)y * photo->width + x + t), 3 * sizeof(float));
            else
                sample(photo, cx + (x - cx) / z, cy + (y - cy) / z, px);
            for (int c = 0; c < 3; c++)
                px[c] = fminf(fmaxf(px[c] + NOISE * (float)g_rand_double_range(rng, -1.7320508, 1.7320508), 0), 1);
            px[3] = 1;
        }
    return f;
}

/* The mean change (in levels) from each frame to the next with the camera's
 * motion undone, over pixels away from the borders. */
static double warped_change(cg_image *const *f, shot s)
{
    const int w = f[0]->width, h = f[0]->height, border = 8;
    double sum = 0, count = 0, cx = 0.5 * (w - 1), cy = 0.5 * (h - 1);
    for (int t = 1; t < FRAMES; t++) {
        /* frame t at x shows what frame t-1 showed at x + 1 (pan), or at
         * cx + (x - cx) / (1 + ZOOM_STEP) (zoom) */
        for (int y = border; y < h - border; y++)
            for (int x = border; x < w - border - 1; x++) {
                float prev[3];
                if (s == PAN)
                    memcpy(prev, f[t - 1]->pixels + 4 * ((size_t)y * w + x + 1), sizeof prev);
                else if (s == ZOOM)
                    sample(f[t - 1], cx + (x - cx) / (1 + ZOOM_STEP), cy + (y - cy) / (1 + ZOOM_STEP), prev);
                else
                    memcpy(prev, f[t - 1]->pixels + 4 * ((size_t)y * w + x), sizeof prev);
                const float *cur = f[t]->pixels + 4 * ((size_t)y * w + x);
                for (int c = 0; c < 3; c++)
                    sum += fabsf(cur[c] - prev[c]);
                count += 3;
            }
    }
    return 255 * sum / count;
}

static cg_status stylize_shot(const cg_model *m, cg_image *const *in, cg_image *const *out, way how, int style,
                              cg_error *err)
{
    cg_stylize_options o = cg_stylize_defaults();
    o.style = style;
    o.lock_motion = how == LOCKED;
    if (how != ALONE)
        return cg_stylize_frames(m, (const cg_image *const *)in, out, FRAMES, &o, err);
    cg_status st = CG_OK;
    for (int t = 0; t < FRAMES && st == CG_OK; t++)
        st = cg_stylize(m, in[t], out[t], &o, err);
    return st;
}

/* The ratios of one photo and style into ratio[shot][way]. */
static cg_status measure(const cg_model *m, int style, const cg_image *photo, guint32 seed,
                         double ratio[SHOTS][WAYS], cg_error *err)
{
    cg_image *in[FRAMES] = {0}, *out[FRAMES] = {0};
    cg_status st = CG_OK;
    for (int s = 0; s < SHOTS && st == CG_OK; s++) {
        GRand *rng = g_rand_new_with_seed(seed);
        for (int t = 0; t < FRAMES && st == CG_OK; t++)
            if (!(in[t] = make_frame(photo, (shot)s, t, rng, err)) ||
                !(out[t] = cg_image_new(in[t]->width, in[t]->height, err)))
                st = err->code;
        g_rand_free(rng);
        double before = st == CG_OK ? warped_change(in, (shot)s) : 0;
        for (int h = 0; h < WAYS && st == CG_OK; h++)
            if ((st = stylize_shot(m, in, out, (way)h, style, err)) == CG_OK)
                ratio[s][h] = warped_change(out, (shot)s) / before;
        for (int t = 0; t < FRAMES; t++) {
            cg_image_free(in[t]);
            cg_image_free(out[t]);
            in[t] = out[t] = NULL;
        }
    }
    return st;
}

int cli_bench_flicker(char **files, int side, const char *only_style)
{
    int n = 0;
    cg_image **photos = cli_load_photos(files, side, FRAMES + 16, 16, &n);
    if (!photos)
        return CLI_EXIT_FAILURE;
    cg_catalog *cat = cg_catalog_new();
    int status = CLI_EXIT_OK;
    printf("Warped temporal error of the output over the input's own (%d frames, noise σ 2/255, photos %d px on "
           "the long side;\nmean over %d photo(s)). alone: each frame by itself; frames: shared statistics; "
           "locked: shared statistics and the motion lock.\n",
           FRAMES, side, n);
    printf("%-16s", "style");
    for (int s = 0; s < SHOTS; s++)
        for (int h = 0; h < WAYS; h++) {
            char head[32];
            snprintf(head, sizeof head, "%s/%s", shot_names[s], way_names[h]);
            printf(" %12s", head);
        }
    printf("\n");
    for (int k = 0; k < cg_catalog_count(cat) && status == CLI_EXIT_OK; k++) {
        const cg_catalog_style *cs = cg_catalog_get(cat, k);
        int index = 0;
        cg_model *m = cli_load_listed_style(cat, k, only_style, &index, &status);
        if (!m)
            continue;
        double mean[SHOTS][WAYS] = {{0}};
        cg_error err = {0};
        for (int i = 0; i < n && status == CLI_EXIT_OK; i++) {
            double r[SHOTS][WAYS];
            if (measure(m, index, photos[i], (guint32)i + 1, r, &err) != CG_OK) {
                status = cli_fail_error(cs->name, &err);
                break;
            }
            for (int s = 0; s < SHOTS; s++)
                for (int h = 0; h < WAYS; h++)
                    mean[s][h] += r[s][h] / n;
        }
        if (status == CLI_EXIT_OK) {
            printf("%-16s", cs->name);
            for (int s = 0; s < SHOTS; s++)
                for (int h = 0; h < WAYS; h++)
                    printf(" %12.3f", mean[s][h]);
            printf("\n");
            fflush(stdout);
        }
        cg_model_free(m);
    }
    cli_free_photos(photos);
    cg_catalog_free(cat);
    return status;
}
