/* comicgan — style-quality figures: how a stylized image relates to the
 * photo it was made from (the figures of `comicgan eval`).
 *
 * Conventions shared by every function here:
 *  - Images are cg_image (float RGBA, R'G'B' in [0, 1], sRGB). Alpha is not
 *    looked at. `in` is the photo, `out` the stylized image; they must have
 *    the same size (CG_ERR_INVALID otherwise), and a NaN or Inf in R'G'B'
 *    gives CG_ERR_NUMERIC. Nothing is kept and nothing is modified.
 *  - On error *result is NaN and err says why; an allocation failure gives
 *    CG_ERR_NOMEM. A figure that does not apply to the images (said for each)
 *    is NaN with CG_OK.
 *  - Levels are 8-bit-scale values: the float value times 255, not rounded.
 *  - Luma is Rec. 601 Y' = 0.299 R' + 0.587 G' + 0.114 B', in levels.
 *  - Lab is CIELAB (D65) of the sRGB-decoded colour, values clamped to
 *    [0, 1] first; chroma is sqrt(a^2 + b^2), hue atan2(b, a).
 *  - "Low frequency": R'G'B' box-blurred over a (2r + 1)^2 window clipped at
 *    the borders, r = shorter side / 64 rounded down, so the window is about
 *    1/32 of the shorter side (9 px on a 256 px image; none below 64 px).
 *  - "5x5 std": the standard deviation (divided by the count) of luma over
 *    the 5x5 window around a pixel, clipped at the borders.
 *  - Deterministic, no global state, safe to call from any thread. */
#ifndef COMICGAN_QUALITY_H
#define COMICGAN_QUALITY_H

#include <stdint.h>

#include "comicgan/error.h"
#include "comicgan/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Mean absolute hue change in degrees (each in [0, 180]) between the low-
 * frequency Lab of in and out, weighted by in's low-frequency chroma. NaN
 * (not applicable) when in's mean chroma is below 0.01: a grey photo has no
 * hue to keep. */
cg_status cg_quality_hue_shift(const cg_image *in, const cg_image *out, double *result, cg_error *err);

/* Mean |a - b| over R, G and B, in 8-bit levels: how far one picture is
 * from another of the same size (a full result downscaled from its
 * preview, say). */
cg_status cg_quality_mean_levels(const cg_image *a, const cg_image *b, double *result, cg_error *err);

/* Mean CIE76 colour difference (Euclidean distance in Lab) between the
 * low-frequency in and out. */
cg_status cg_quality_delta_e(const cg_image *in, const cg_image *out, double *result, cg_error *err);

/* Share of out's pixels whose 5x5 std is below 1.5 levels, minus the same
 * share of in's: in [-1, 1], 1 when a busy photo became flat everywhere. */
cg_status cg_quality_flat_gained(const cg_image *in, const cg_image *out, double *result, cg_error *err);

/* Mean 5x5 std of out, in levels, over the pixels where in's 5x5 std is
 * below 2 levels: the noise, streaks or texture out has where the photo is
 * smooth. NaN when in has no such pixel. */
cg_status cg_quality_flat_noise(const cg_image *in, const cg_image *out, double *result, cg_error *err);

/* Pearson correlation of the Sobel gradient magnitudes (borders mirrored) of
 * in's and out's luma at full resolution: 1 when out has in's edges in the
 * same proportions. NaN when either magnitude is constant (a flat image). */
cg_status cg_quality_edge_corr(const cg_image *in, const cg_image *out, double *result, cg_error *err);

/* Mean Lab chroma of img's pixels at full resolution: near 0 for black and
 * white, 20 to 40 for a colourful photo. CG_ERR_NUMERIC for NaN pixels. */
cg_status cg_quality_mean_chroma(const cg_image *img, double *result, cg_error *err);

/* The mean and the standard deviation (divided by the count) of img's Lab
 * L, a and b at full resolution, in that order in stats[6]: a picture's
 * palette and its contrast in six numbers. CG_ERR_NUMERIC for NaN pixels;
 * on error stats are NaN. */
cg_status cg_quality_lab_stats(const cg_image *img, double stats[6], cg_error *err);

/* All the figures above for one pair. */
typedef struct cg_quality {
    double hue_shift, delta_e, flat_gained, flat_noise, edge_corr;
    double mean_chroma; /* of out */
} cg_quality;

/* Fills every field of *q (NaN where not applicable). On error every field
 * is NaN. */
cg_status cg_quality_measure(const cg_image *in, const cg_image *out, cg_quality *q, cg_error *err);

/* ---- Temporal stability on a pan ---- */

/* The n frames (2..256) of a camera panning right across photo, one pixel a
 * frame: frame t is photo(x + t, y) for x in [0, width - n), so every frame
 * is n pixels narrower than the photo (which must be at least n + 2 wide,
 * else CG_ERR_INVALID). Each frame gets its own Gaussian noise of standard
 * deviation `noise` (in [0, 1] units; 0 for none), drawn from `seed` and t,
 * then R'G'B' is clamped to [0, 1]; alpha is 1. frames[0..n-1] are filled
 * with new images the caller frees with cg_image_free; on error none are
 * left and every entry is NULL. */
cg_status cg_quality_pan(const cg_image *photo, int n, float noise, uint64_t seed, cg_image **frames, cg_error *err);

/* How much a sequence of pan frames (as cg_quality_pan makes, all the same
 * size, at least 2 wide) changes from one frame to the next once the 1-pixel
 * pan is undone: the mean over t >= 1, pixels x in [0, width - 1) and the
 * three colour channels of |f_t(x, y) - f_{t-1}(x + 1, y)|, in levels. 0 for
 * a noise-free pan of a still photo. The temporal ratio of a style is this
 * figure on its outputs over this figure on its (noisy) inputs.
 * CG_ERR_INVALID for n < 2 or frames of different sizes. */
cg_status cg_quality_pan_change(const cg_image *const *frames, int n, double *result, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
