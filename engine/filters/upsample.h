/* Guided upsampling (He and Sun, "Fast Guided Filter", 2015): a result
 * computed on a downscaled copy of an image is brought back to full size
 * with the full-size image's edges. At low resolution, the guided filter's
 * local linear models q = a I + b are fitted between the downscaled input I
 * and the low-resolution result p; the coefficients a and b are upsampled
 * bilinearly and applied to the full-resolution input. Internal to the
 * engine: the stylizer's working-resolution path uses it. */
#ifndef CG_FILTERS_UPSAMPLE_H
#define CG_FILTERS_UPSAMPLE_H

#include <stdint.h>

#include "comicgan/error.h"
#include "comicgan/image.h"

/* What each local model reads from the input. */
typedef enum cgf_up_guide {
    CGF_UP_COLOR,    /* all three colours: q_c = A_c . (R, G, B) + b_c (12 coefficients a pixel) */
    CGF_UP_CHANNEL,  /* the same channel: q_c = a_c I_c + b_c */
    CGF_UP_LUMA,     /* luma: q_c = a_c Y + b_c */
    CGF_UP_BILINEAR, /* no guide: p itself upsampled bilinearly (a baseline) */
} cgf_up_guide;

/* The coefficient planes at low resolution. */
typedef struct cgf_upsampler {
    int w, h;          /* low resolution */
    cgf_up_guide guide;
    int n_coef;        /* planes in coef */
    float *coef;       /* n_coef planes of w x h (for COLOR: a as 3x3 row-major per output
                          channel, then b; CHANNEL and LUMA: a per channel, then b;
                          BILINEAR: p's three channels) */
} cgf_upsampler;

/* Fits the models between guide (the downscaled input) and p (the result
 * at the same size; RGB read, alpha ignored) in windows of (2r+1)^2 pixels
 * with regularization eps (r >= 0, eps > 0). NULL with err filled when the
 * sizes differ or memory runs out. Free with cgf_upsampler_free. */
cgf_upsampler *cgf_upsampler_new(const cg_image *guide, const cg_image *p, int r, float eps, cgf_up_guide how,
                                 cg_error *err);

/* Rows y0 .. y1-1 of the full-size (width x height) result, guided by the
 * same rows of the full-size input (rows: RGBA floats, row y0 first; RGB
 * read), into dst (3 samples a pixel, row y0 first): values clamped to
 * [0, 1] and stored as lrintf(v * 65535). Pixel centres line up as in
 * cg_image_resize. Any band of rows gives the same values as the whole.
 * Returns false only when memory runs out (some rows may then be written). */
bool cgf_upsampler_apply(const cgf_upsampler *u, const float *rows, int width, int height, int y0, int y1,
                         uint16_t *dst);

void cgf_upsampler_free(cgf_upsampler *u);

#endif
