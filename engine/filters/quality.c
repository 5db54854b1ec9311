/* Style-quality figures (comicgan/quality.h): colour kept at low frequency,
 * flatness, noise where the photo is smooth, edges kept, and stability on a
 * pan. Built on the filters' planes: luma, box means, Lab, Sobel. */
#include "comicgan/quality.h"
#include "filters/plane.h"

#include <stdlib.h>

#define LEVELS 255.0
/* 5x5 std thresholds in levels (DESIGN: "Style quality"). */
#define FLAT_STD 1.5
#define SMOOTH_STD 2.0
/* Mean input chroma below which a photo has no hue to keep. */
#define GREY_CHROMA 0.01

static cg_status check_pair(const cg_image *in, const cg_image *out, const char *what, double *result,
                            cg_error *err)
{
    *result = NAN;
    cg_status st;
    if ((st = cgf_check_images(in, out, what, err)) || (st = cgf_check_finite(in, what, err)) ||
        (st = cgf_check_finite(out, what, err)))
        return st;
    return CG_OK;
}

static cg_status no_memory(const cg_image *img, const char *what, cg_error *err)
{
    return cg_fail(err, CG_ERR_NOMEM, "%s: no memory for %dx%d", what, img->width, img->height);
}

/* Lab of img's low-frequency R'G'B' into three planes lab[0..2]; tmp is a
 * fourth plane. */
static void lowfreq_lab(const cg_image *img, float *const lab[3], float *tmp)
{
    const int w = img->width, h = img->height, shorter = w < h ? w : h;
    const size_t n = cgf_npix(img);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            lab[c][i] = img->pixels[4 * i + c];
    const int r = shorter / 64;
    if (r > 0)
        for (int c = 0; c < 3; c++)
            cgf_box_mean(lab[c], lab[c], tmp, w, h, r);
    cgf_srgb_lut lut;
    cgf_srgb_lut_init(&lut);
    for (size_t i = 0; i < n; i++) {
        float rgb[3] = {lab[0][i], lab[1][i], lab[2][i]}, v[3];
        cgf_lab(&lut, rgb, v);
        for (int c = 0; c < 3; c++)
            lab[c][i] = v[c];
    }
}

/* Hue shift and ΔE: both compare the low-frequency Lab of in and out. */
static cg_status colour_figures(const cg_image *in, const cg_image *out, const char *what, double *hue, double *de,
                                cg_error *err)
{
    double unused;
    cg_status st = check_pair(in, out, what, hue ? hue : &unused, err);
    if (de)
        *de = NAN;
    if (st)
        return st;
    const size_t n = cgf_npix(in);
    /* Planes 0-2 in's Lab, 3-5 out's, 6 scratch. */
    float *pl = cgf_planes(in->width, in->height, 7);
    if (!pl)
        return no_memory(in, what, err);
    lowfreq_lab(in, (float *const[3]){pl, pl + n, pl + 2 * n}, pl + 6 * n);
    lowfreq_lab(out, (float *const[3]){pl + 3 * n, pl + 4 * n, pl + 5 * n}, pl + 6 * n);
    const float *ia = pl + n, *ib = pl + 2 * n, *oa = pl + 4 * n, *ob = pl + 5 * n;
    double hue_sum = 0, weight = 0, de_sum = 0;
    for (size_t i = 0; i < n; i++) {
        double c = hypot(ia[i], ib[i]);
        double d = fabs(atan2(ob[i], oa[i]) - atan2(ib[i], ia[i])) * (180.0 / M_PI);
        if (d > 180)
            d = 360 - d;
        hue_sum += c * d;
        weight += c;
        double s = 0;
        for (int k = 0; k < 3; k++) {
            double dk = (double)pl[(size_t)(3 + k) * n + i] - pl[(size_t)k * n + i];
            s += dk * dk;
        }
        de_sum += sqrt(s);
    }
    free(pl);
    if (hue && weight / (double)n >= GREY_CHROMA)
        *hue = hue_sum / weight;
    if (de)
        *de = de_sum / (double)n;
    return CG_OK;
}

cg_status cg_quality_mean_levels(const cg_image *a, const cg_image *b, double *result, cg_error *err)
{
    cg_status st = check_pair(a, b, "mean levels", result, err);
    if (st != CG_OK)
        return st;
    double sum = 0;
    const size_t n = (size_t)a->width * a->height;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            sum += fabs(a->pixels[4 * i + c] - b->pixels[4 * i + c]);
    *result = 255.0 * sum / (3.0 * n);
    return CG_OK;
}

cg_status cg_quality_hue_shift(const cg_image *in, const cg_image *out, double *result, cg_error *err)
{
    return colour_figures(in, out, "hue shift", result, NULL, err);
}

cg_status cg_quality_delta_e(const cg_image *in, const cg_image *out, double *result, cg_error *err)
{
    return colour_figures(in, out, "delta E", NULL, result, err);
}

/* The 5x5 luma std of img, in levels, into sd; sq and tmp are scratch. */
static void std5(const cg_image *img, float *sd, float *sq, float *tmp)
{
    const size_t n = cgf_npix(img);
    for (size_t i = 0; i < n; i++)
        sd[i] = (float)(cgf_luma(img->pixels + 4 * i) * LEVELS);
    cgf_local_std(sd, sq, tmp, img->width, img->height, 2);
}

/* Flat fraction gained and flat-area noise: both from the 5x5 stds of in and out. */
static cg_status flat_figures(const cg_image *in, const cg_image *out, const char *what, double *gained,
                              double *noise, cg_error *err)
{
    double unused;
    cg_status st = check_pair(in, out, what, gained ? gained : &unused, err);
    if (noise)
        *noise = NAN;
    if (st)
        return st;
    const size_t n = cgf_npix(in);
    /* Planes 0 and 1 the stds of in and out, 2 and 3 scratch. */
    float *pl = cgf_planes(in->width, in->height, 4);
    if (!pl)
        return no_memory(in, what, err);
    std5(in, pl, pl + 2 * n, pl + 3 * n);
    std5(out, pl + n, pl + 2 * n, pl + 3 * n);
    long flat = 0;
    double smooth_sum = 0;
    size_t smooth = 0;
    for (size_t i = 0; i < n; i++) {
        flat += (pl[n + i] < FLAT_STD) - (pl[i] < FLAT_STD);
        if (pl[i] < SMOOTH_STD) {
            smooth_sum += pl[n + i];
            smooth++;
        }
    }
    free(pl);
    if (gained)
        *gained = (double)flat / (double)n;
    if (noise && smooth > 0)
        *noise = smooth_sum / (double)smooth;
    return CG_OK;
}

cg_status cg_quality_flat_gained(const cg_image *in, const cg_image *out, double *result, cg_error *err)
{
    return flat_figures(in, out, "flat fraction", result, NULL, err);
}

cg_status cg_quality_flat_noise(const cg_image *in, const cg_image *out, double *result, cg_error *err)
{
    return flat_figures(in, out, "flat-area noise", NULL, result, err);
}

cg_status cg_quality_edge_corr(const cg_image *in, const cg_image *out, double *result, cg_error *err)
{
    cg_status st = check_pair(in, out, "edge correlation", result, err);
    if (st)
        return st;
    const int w = in->width, h = in->height;
    const size_t n = cgf_npix(in);
    float *pl = cgf_planes(w, h, 4);
    if (!pl)
        return no_memory(in, "edge correlation", err);
    float *ly = pl, *gi = pl + n, *gy = pl + 2 * n, *go = pl + 3 * n;
    cgf_luma_plane(in, ly);
    cgf_sobel(ly, gi, w, h);
    cgf_luma_plane(out, gy);
    cgf_sobel(gy, go, w, h);
    double mi = 0, mo = 0;
    for (size_t i = 0; i < n; i++) {
        mi += gi[i];
        mo += go[i];
    }
    mi /= (double)n;
    mo /= (double)n;
    double cov = 0, vi = 0, vo = 0;
    for (size_t i = 0; i < n; i++) {
        double a = gi[i] - mi, b = go[i] - mo;
        cov += a * b;
        vi += a * a;
        vo += b * b;
    }
    free(pl);
    /* Luma is scaled to levels nowhere here: a correlation does not care. */
    if (vi > 0 && vo > 0)
        *result = cov / sqrt(vi * vo);
    return CG_OK;
}

cg_status cg_quality_mean_chroma(const cg_image *img, double *result, cg_error *err)
{
    *result = NAN;
    cg_status st;
    if ((st = cgf_check_images(img, img, "mean chroma", err)) || (st = cgf_check_finite(img, "mean chroma", err)))
        return st;
    cgf_srgb_lut lut;
    cgf_srgb_lut_init(&lut);
    const size_t n = cgf_npix(img);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        float lab[3];
        cgf_lab(&lut, img->pixels + 4 * i, lab);
        sum += hypot(lab[1], lab[2]);
    }
    *result = sum / (double)n;
    return CG_OK;
}

cg_status cg_quality_lab_stats(const cg_image *img, double stats[6], cg_error *err)
{
    for (int k = 0; k < 6; k++)
        stats[k] = NAN;
    cg_status st;
    if ((st = cgf_check_images(img, img, "Lab statistics", err)) || (st = cgf_check_finite(img, "Lab statistics", err)))
        return st;
    cgf_srgb_lut lut;
    cgf_srgb_lut_init(&lut);
    const size_t n = cgf_npix(img);
    double sum[3] = {0}, sumsq[3] = {0};
    for (size_t i = 0; i < n; i++) {
        float lab[3];
        cgf_lab(&lut, img->pixels + 4 * i, lab);
        for (int c = 0; c < 3; c++) {
            sum[c] += lab[c];
            sumsq[c] += (double)lab[c] * lab[c];
        }
    }
    for (int c = 0; c < 3; c++) {
        double mean = sum[c] / (double)n, var = sumsq[c] / (double)n - mean * mean;
        stats[c] = mean;
        stats[3 + c] = sqrt(var > 0 ? var : 0);
    }
    return CG_OK;
}

cg_status cg_quality_measure(const cg_image *in, const cg_image *out, cg_quality *q, cg_error *err)
{
    cg_status st;
    if ((st = colour_figures(in, out, "quality", &q->hue_shift, &q->delta_e, err)) ||
        (st = flat_figures(in, out, "quality", &q->flat_gained, &q->flat_noise, err)) ||
        (st = cg_quality_edge_corr(in, out, &q->edge_corr, err)) ||
        (st = cg_quality_mean_chroma(out, &q->mean_chroma, err)))
        *q = (cg_quality){NAN, NAN, NAN, NAN, NAN, NAN};
    return st;
}

/* ---- pans ---------------------------------------------------------------- */

/* Box-Muller on the seeded generator: two standard normal draws. */
static void gauss2(uint64_t *state, double z[2])
{
    double u1 = 1.0 - cgf_rand01(state), u2 = cgf_rand01(state);
    double rad = sqrt(-2.0 * log(u1));
    z[0] = rad * cos(2 * M_PI * u2);
    z[1] = rad * sin(2 * M_PI * u2);
}

cg_status cg_quality_pan(const cg_image *photo, int n, float noise, uint64_t seed, cg_image **frames, cg_error *err)
{
    cg_status st;
    if ((st = cgf_check_images(photo, photo, "pan", err)) || (st = cgf_check_finite(photo, "pan", err)) ||
        (st = cgf_check_int(n, 2, 256, "pan frames", err)) ||
        (st = cgf_check_range(noise, 0.0f, 1.0f, "pan noise", err)))
        return st;
    if (photo->width < n + 2)
        return cg_fail(err, CG_ERR_INVALID, "pan: a photo %d px wide is too narrow for %d frames", photo->width, n);
    const int w = photo->width - n, h = photo->height;
    for (int t = 0; t < n; t++)
        frames[t] = NULL;
    for (int t = 0; t < n; t++) {
        cg_image *f = frames[t] = cg_image_new(w, h, err);
        if (!f) {
            for (int k = 0; k < t; k++) {
                cg_image_free(frames[k]);
                frames[k] = NULL;
            }
            return err->code;
        }
        /* Per-frame streams: a frame's noise does not depend on the others. */
        uint64_t state = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(t + 1));
        double z[2];
        int k = 2;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                const float *p = cg_image_at(photo, x + t, y);
                float *q = cg_image_at(f, x, y);
                for (int c = 0; c < 3; c++) {
                    if (k == 2) {
                        gauss2(&state, z);
                        k = 0;
                    }
                    q[c] = cgf_clamp01(p[c] + noise * (float)z[k++]);
                }
                q[3] = 1.0f;
            }
    }
    return CG_OK;
}

cg_status cg_quality_pan_change(const cg_image *const *frames, int n, double *result, cg_error *err)
{
    *result = NAN;
    if (n < 2)
        return cg_fail(err, CG_ERR_INVALID, "pan change: %d frames, at least 2 needed", n);
    cg_status st;
    for (int t = 0; t < n; t++)
        if ((st = cgf_check_images(frames[0], frames[t], "pan change", err)) ||
            (st = cgf_check_finite(frames[t], "pan change", err)))
            return st;
    const int w = frames[0]->width, h = frames[0]->height;
    if (w < 2)
        return cg_fail(err, CG_ERR_INVALID, "pan change: frames 1 px wide");
    double sum = 0;
    for (int t = 1; t < n; t++)
        for (int y = 0; y < h; y++) {
            const float *a = cg_image_at(frames[t], 0, y), *b = cg_image_at(frames[t - 1], 1, y);
            for (int i = 0; i < (w - 1) * 4; i++)
                if (i % 4 != 3)
                    sum += fabs((double)a[i] - b[i]);
        }
    *result = sum * LEVELS / (3.0 * (w - 1) * h * (n - 1));
    return CG_OK;
}
