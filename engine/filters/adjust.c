/* Post-processing steps of inference: keep the original colours, take a
 * reference's palette, denoise, contrast. Each works pixel by pixel (on
 * R'G'B', the palette on CIELAB) except denoise, which is the guided filter
 * blended with its input. */
#include "comicgan/filters.h"
#include "comicgan/quality.h"
#include "filters/plane.h"

#include <stdlib.h>
#include <string.h>

cg_keep_colors_params cg_keep_colors_defaults(void)
{
    return (cg_keep_colors_params){.amount = 1.0f};
}

/* Y'CbCr chroma is (B' - Y', R' - Y') up to scale, so keeping the original's
 * chroma while taking the stylized luma adds the same luma difference to all
 * three channels. */
cg_status cg_filter_keep_colors(const cg_image *stylized, const cg_image *original,
                                cg_image *out, const cg_keep_colors_params *params,
                                cg_error *err)
{
    cg_keep_colors_params p = params ? *params : cg_keep_colors_defaults();
    cg_status st;
    if ((st = cgf_check_images(stylized, out, "keep colors", err)) ||
        (st = cgf_check_images(stylized, original, "keep colors (original)", err)) ||
        (st = cgf_check_range(p.amount, 0.0f, 1.0f, "keep colors amount", err)))
        return st;
    size_t n = cgf_npix(stylized);
    for (size_t i = 0; i < n; i++) {
        const float *s = stylized->pixels + 4 * i, *o = original->pixels + 4 * i;
        float ys = cgf_luma(s), yo = cgf_luma(o), delta = ys - yo, alpha = s[3];
        float k[3];
        int inside = 1;
        for (int c = 0; c < 3; c++) {
            k[c] = o[c] + delta;
            inside &= k[c] >= 0.0f && k[c] <= 1.0f;
        }
        if (!inside) {
            /* Out of gamut: keep the hue, shrink the chroma until it fits. */
            float y = cgf_clamp01(ys), t = 1.0f;
            for (int c = 0; c < 3; c++) {
                float ch = o[c] - yo;
                if (ch > 0.0f && y + ch > 1.0f)
                    t = fminf(t, (1.0f - y) / ch);
                else if (ch < 0.0f && y + ch < 0.0f)
                    t = fminf(t, y / -ch);
            }
            for (int c = 0; c < 3; c++)
                k[c] = cgf_clamp01(y + t * (o[c] - yo));
        }
        float *q = out->pixels + 4 * i;
        for (int c = 0; c < 3; c++)
            q[c] = p.amount == 1.0f ? k[c] : s[c] + p.amount * (k[c] - s[c]);
        q[3] = alpha;
    }
    return CG_OK;
}

cg_status cg_palette_check(const float palette[6], cg_error *err)
{
    static const float lo[6] = {0, -128, -128, 0, 0, 0}, hi[6] = {100, 128, 128, 128, 128, 128};
    static const char *const names[6] = {"L mean", "a mean", "b mean", "L deviation", "a deviation", "b deviation"};
    for (int k = 0; k < 6; k++)
        if (!(palette[k] >= lo[k] && palette[k] <= hi[k]))
            return cg_fail(err, CG_ERR_INVALID, "palette %s is %g: it must be in [%g, %g]", names[k],
                           (double)palette[k], (double)lo[k], (double)hi[k]);
    return CG_OK;
}

cg_status cg_filter_palette(const cg_image *in, cg_image *out, const float palette[6], float amount,
                            cg_error *err)
{
    cg_status st;
    double own[6];
    if ((st = cgf_check_images(in, out, "palette", err)) ||
        (st = cgf_check_range(amount, 0.0f, 1.0f, "palette amount", err)) || (st = cg_palette_check(palette, err)) ||
        (st = cg_quality_lab_stats(in, own, err)))
        return st;
    /* v' = wanted mean + (v - mean) * wanted deviation / deviation, per channel */
    float scale[3], shift[3];
    for (int c = 0; c < 3; c++) {
        double mean = own[c], dev = own[3 + c];
        double want_mean = mean + amount * (palette[c] - mean), want_dev = dev + amount * (palette[3 + c] - dev);
        scale[c] = dev > 1e-3 ? (float)(want_dev / dev) : 1.0f;
        shift[c] = (float)(want_mean - scale[c] * mean);
    }
    cgf_srgb_lut lut;
    cgf_srgb_lut_init(&lut);
    const size_t n = cgf_npix(in);
    for (size_t i = 0; i < n; i++) {
        float lab[3], alpha = in->pixels[4 * i + 3];
        cgf_lab(&lut, in->pixels + 4 * i, lab);
        for (int c = 0; c < 3; c++)
            lab[c] = shift[c] + scale[c] * lab[c];
        cgf_lab_to_rgb(lab, out->pixels + 4 * i);
        out->pixels[4 * i + 3] = alpha;
    }
    return CG_OK;
}

cg_denoise_params cg_denoise_defaults(void)
{
    return (cg_denoise_params){.radius = 2, .sigma = 0.05f, .strength = 1.0f};
}

cg_status cg_filter_denoise(const cg_image *in, cg_image *out, const cg_denoise_params *params,
                            cg_error *err)
{
    cg_denoise_params p = params ? *params : cg_denoise_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "denoise", err)) ||
        (st = cgf_check_int(p.radius, 1, 64, "denoise radius", err)) ||
        (st = cgf_check_above(p.sigma, 0.0f, 1.0f, "denoise sigma", err)) ||
        (st = cgf_check_range(p.strength, 0.0f, 1.0f, "denoise strength", err)))
        return st;
    cg_guided_params g = {.radius = p.radius, .eps = p.sigma * p.sigma, .guide = CG_GUIDE_COLOR};
    if (p.strength == 1.0f)
        return cg_filter_guided(in, out, &g, err);
    /* Blending needs the input after the filter has written out, which may be it. */
    cg_image tmp = *in;
    tmp.pixels = cgf_planes(in->width, in->height, 4);
    if (!tmp.pixels)
        return cg_fail(err, CG_ERR_NOMEM, "denoise: no memory for %dx%d", in->width, in->height);
    if ((st = cg_filter_guided(in, &tmp, &g, err))) {
        free(tmp.pixels);
        return st;
    }
    size_t n = cgf_npix(in);
    for (size_t i = 0; i < n; i++) {
        const float *a = in->pixels + 4 * i, *b = tmp.pixels + 4 * i;
        float *q = out->pixels + 4 * i;
        float alpha = a[3];
        for (int c = 0; c < 3; c++)
            q[c] = a[c] + p.strength * (b[c] - a[c]);
        q[3] = alpha;
    }
    free(tmp.pixels);
    return CG_OK;
}

cg_contrast_params cg_contrast_defaults(void)
{
    return (cg_contrast_params){.factor = 1.2f, .pivot = CG_PIVOT_MID_GREY};
}

cg_status cg_filter_contrast(const cg_image *in, cg_image *out, const cg_contrast_params *params,
                             cg_error *err)
{
    cg_contrast_params p = params ? *params : cg_contrast_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "contrast", err)) ||
        (st = cgf_check_range(p.factor, 0.0f, 10.0f, "contrast factor", err)))
        return st;
    if (p.pivot != CG_PIVOT_MID_GREY && p.pivot != CG_PIVOT_MEAN)
        return cg_fail(err, CG_ERR_INVALID, "contrast pivot = %d is not a cg_contrast_pivot",
                       (int)p.pivot);
    size_t n = cgf_npix(in);
    float pivot = 0.5f;
    if (p.pivot == CG_PIVOT_MEAN) {
        double sy = 0.0, sa = 0.0, sy1 = 0.0;
        for (size_t i = 0; i < n; i++) {
            const float *c = in->pixels + 4 * i;
            double y = cgf_clamp01(cgf_luma(c)), a = cgf_clamp01(c[3]);
            sy += a * y;
            sa += a;
            sy1 += y;
        }
        pivot = (float)(sa > 0.0 ? sy / sa : sy1 / (double)n);
    }
    /* Written as a change to c so that factor 1 returns c bit for bit. */
    float gain = p.factor - 1.0f;
    for (size_t i = 0; i < n; i++) {
        const float *c = in->pixels + 4 * i;
        float *q = out->pixels + 4 * i;
        float alpha = c[3];
        for (int k = 0; k < 3; k++)
            q[k] = cgf_clamp01(c[k] + gain * (c[k] - pivot));
        q[3] = alpha;
    }
    return CG_OK;
}
