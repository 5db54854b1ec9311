/* Single-channel float planes and helpers shared by the filters: argument
 * checks, luma, box means and Gaussian blur. Internal to the engine. */
#ifndef CG_FILTERS_PLANE_H
#define CG_FILTERS_PLANE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "comicgan/error.h"
#include "comicgan/image.h"

/* Largest Gaussian sigma cgf_gauss_blur accepts (kernel radius 3 sigma). */
#define CGF_MAX_SIGMA 64.0f

static inline float cgf_clamp01(float v)
{
    /* Comparisons rather than fminf/fmaxf, which are library calls without
     * -ffast-math; a NaN becomes 0 rather than spreading. */
    return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

static inline float cgf_luma(const float *px)
{
    return 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2];
}

/* Checks in/out are usable images of the same size. `what` names the call. */
cg_status cgf_check_images(const cg_image *in, const cg_image *out, const char *what,
                           cg_error *err);

/* Fails with CG_ERR_INVALID unless lo <= v <= hi (NaN fails). */
cg_status cgf_check_range(float v, float lo, float hi, const char *field, cg_error *err);
/* CG_ERR_NUMERIC, naming the pixel, when a colour value of img is NaN or infinite. */
cg_status cgf_check_finite(const cg_image *img, const char *what, cg_error *err);
/* Same, but lo is exclusive. */
cg_status cgf_check_above(float v, float lo, float hi, const char *field, cg_error *err);
cg_status cgf_check_int(int v, int lo, int hi, const char *field, cg_error *err);

/* w*h floats, or NULL; n planes in one block so one free releases them. */
float *cgf_planes(int w, int h, int n);

static inline size_t cgf_npix(const cg_image *img)
{
    return (size_t)img->width * (size_t)img->height;
}

/* Luma of every pixel into dst (w*h). */
void cgf_luma_plane(const cg_image *img, float *dst);

/* Copies in's alpha into out (nothing when they are the same image). */
void cgf_copy_alpha(const cg_image *in, cg_image *out);

/* Writes a grey value per pixel into out's R'G'B', alpha from in. */
void cgf_store_grey(const cg_image *in, cg_image *out, const float *grey);

/* Mean over the (2r+1)^2 window clipped to the image, as in He et al.'s
 * N-normalised box filter. Sums are kept in double so large radii do not
 * drift. src may equal dst; tmp is a separate w*h plane. */
void cgf_box_mean(const float *src, float *dst, float *tmp, int w, int h, int r);

/* Standard deviation over the (2r+1)^2 window (cgf_box_mean's) of every
 * value of v, in place: v holds the values on entry and their local stds on
 * return. sq and tmp are separate w*h scratch planes. */
void cgf_local_std(float *v, float *sq, float *tmp, int w, int h, int r);

/* Separable Gaussian, kernel radius ceil(3 sigma), borders mirrored (edge
 * pixel repeated). sigma in (0, CGF_MAX_SIGMA]. src may equal dst; tmp is a
 * separate w*h plane. */
void cgf_gauss_blur(const float *src, float *dst, float *tmp, int w, int h, float sigma);

/* Sobel gradient magnitude of src into dst (both w*h, separate planes),
 * borders mirrored; the kernels are divided by 4, so a unit step gives 1. */
void cgf_sobel(const float *src, float *dst, int w, int h);

/* Mirror an index into [0, n): -1 -> 0, n -> n-1, repeating as needed. */
static inline int cgf_mirror(int i, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * n;
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - 1 - i;
}

/* splitmix64: small, seedable, the same sequence everywhere. */
static inline uint64_t cgf_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double cgf_rand01(uint64_t *state)
{
    return (double)(cgf_rand(state) >> 11) * 0x1.0p-53;
}

/* sRGB decoding by table: pow for every pixel would dominate quantisation.
 * Linear interpolation on 1024 steps is within 1e-5. Built per call, so the
 * library keeps no global state. */
#define CGF_LUT_N 1024
typedef struct cgf_srgb_lut {
    float t[CGF_LUT_N + 2];
} cgf_srgb_lut;
void cgf_srgb_lut_init(cgf_srgb_lut *lut);

/* CIELAB (D65) of a gamma-encoded sRGB pixel, inputs clamped to [0, 1]. */
void cgf_lab(const cgf_srgb_lut *lut, const float *rgb, float lab[3]);
/* The inverse: gamma-encoded sRGB of a Lab colour, clamped to [0, 1]. */
void cgf_lab_to_rgb(const float lab[3], float rgb[3]);

#endif
