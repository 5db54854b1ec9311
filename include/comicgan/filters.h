/* comicgan — classical comic filters.
 *
 * Pure image-to-image functions: the teachers that make paired training
 * targets (manga, cel, painted) and the post-processing steps of inference.
 *
 * Conventions shared by every function here:
 *  - Images are cg_image (float RGBA, straight alpha, R'G'B' in [0, 1]).
 *    `out` is caller-owned, must have the same size as `in`, and may be the
 *    same image as `in` (every filter works in place). Nothing is kept.
 *  - Alpha is copied from `in` unchanged; colour is computed from R'G'B'
 *    whatever the alpha, and results are clamped to [0, 1].
 *  - Every filter takes a parameter struct; `params` NULL means the
 *    defaults returned by the matching cg_*_defaults(). Bad images, sizes,
 *    or parameters (NaN, out of range) give CG_ERR_INVALID with a message
 *    naming the field; an allocation failure gives CG_ERR_NOMEM. On error
 *    `out` may hold partial results but nothing leaks.
 *  - Deterministic: the same inputs and parameters (including any seed)
 *    give the same output. No global state; safe to call from any thread.
 *  - Lengths are in pixels; defaults suit 256-1024 px images.
 *  - "Luma" is Rec. 601 Y' = 0.299 R' + 0.587 G' + 0.114 B'. */
#ifndef COMICGAN_FILTERS_H
#define COMICGAN_FILTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "comicgan/error.h"
#include "comicgan/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Edge-preserving smoothing: guided filter (He, Sun, Tang 2010) ---- */

typedef enum cg_guide {
    CG_GUIDE_COLOR = 0, /* self-guided by R'G'B' (3x3 covariance): keeps colour edges */
    CG_GUIDE_LUMA,      /* guided by luma: cheaper, smooths across isoluminant edges */
} cg_guide;

typedef struct cg_guided_params {
    int radius;     /* window is (2 radius + 1)^2, clipped at borders; 1..256 */
    float eps;      /* regulariser, a variance in [0,1]^2 units: edges with
                     * contrast well above sqrt(eps) survive; (0, 1] */
    cg_guide guide;
} cg_guided_params;

/* radius 4, eps 0.01 (0.1^2), colour guide. Cost does not grow with the
 * radius (box sums); memory is 13 float planes (colour) or 10 (luma). */
cg_guided_params cg_guided_defaults(void);
cg_status cg_filter_guided(const cg_image *in, cg_image *out,
                           const cg_guided_params *params, cg_error *err);

/* ---- Painted look: anisotropic Kuwahara filter (Kyprianidis, Kang, Döllner
 * 2009) and the painted teacher ----
 * The colour structure tensor, Gaussian-smoothed, gives each pixel an
 * ellipse of area pi radius^2 stretched along the local edge direction by
 * the anisotropy A = (l1 - l2) / (l1 + l2): semi-axes radius (alpha + A) /
 * alpha along the edge and radius alpha / (alpha + A) across it. The
 * ellipse is mapped onto the unit disc and cut into `sectors` overlapping
 * sectors with smooth polynomial weights times a radial weight that falls
 * to 0 at the rim (Kyprianidis et al. 2010). Each sector gives a mean colour
 * m_k and standard deviation s_k (RMS over R'G'B'); the output is the mean
 * of the m_k weighted by 1 / (1 + (s_k / noise)^q): sectors quieter than
 * `noise` are mixed evenly, noisier ones fade. Every weight is a continuous
 * function of the pixels, so the output moves continuously with the input
 * (no hard choice of the quietest sector): flat areas get brush-like
 * smoothing, edges stay sharp. */
typedef struct cg_kuwahara_params {
    float radius;       /* window radius before stretching, pixels, [1, 32]:
                         * the size of the brush marks */
    int sectors;        /* 4..8 */
    float q;            /* sharpness of the choice of the quietest sectors,
                         * [0, 64]; 0 averages all sectors */
    float noise;        /* colour std treated as noise, in [0,1] units, (0, 1]:
                         * edges of lower contrast are smoothed over */
    float alpha;        /* anisotropy tuning, [0.25, 1000]: small stretches
                         * windows more along edges, large gives discs */
    float tensor_sigma; /* Gaussian smoothing of the structure tensor, pixels,
                         * (0, 16] */
} cg_kuwahara_params;

/* radius 6, 8 sectors, q 8, alpha 1, tensor_sigma 2 (the paper's values),
 * noise 0.01. Cost grows with radius^2 (about 0.1 s for 288x400 on one
 * core); the image plus a border of radius (1 + 1/alpha) is copied, and 4
 * float planes are used besides. */
cg_kuwahara_params cg_kuwahara_defaults(void);
cg_status cg_filter_kuwahara(const cg_image *in, cg_image *out,
                             const cg_kuwahara_params *params, cg_error *err);

/* Painted teacher: a painting made from the photo in its own colours. The
 * Kuwahara filter applied `passes` times (each pass turns more texture into
 * brush marks), then a mild boost of saturation (around each pixel's luma)
 * and contrast (cg_filter_contrast around the mean luma), as paint is more
 * vivid than a photo. No outlines. */
typedef struct cg_painted_params {
    cg_kuwahara_params strokes;
    int passes;       /* 1..4 */
    float saturation; /* chroma gain around each pixel's luma, [0, 2]; 1 keeps it */
    float contrast;   /* cg_filter_contrast factor about the mean luma, [0, 2] */
} cg_painted_params;

/* Kuwahara defaults, 2 passes, saturation 1.2, contrast 1.05. */
cg_painted_params cg_painted_defaults(void);
cg_status cg_filter_painted(const cg_image *in, cg_image *out,
                            const cg_painted_params *params, cg_error *err);

/* ---- Colour flattening ---- */

/* K-means in CIELAB (sRGB, D65), greedy k-means++ seeding from `seed`, Lloyd
 * iterations on a seeded sample of the pixels, then every pixel is painted
 * with the mean R'G'B' of its cluster: at most `colors` distinct colours.
 * Fully transparent pixels do not take part in choosing the palette. */
typedef struct cg_quantize_params {
    int colors;       /* K, 2..256 */
    int iterations;   /* at most this many Lloyd iterations, 1..1000 */
    int samples;      /* pixels used to fit the palette, 256..16777216 */
    uint64_t seed;
} cg_quantize_params;

/* 16 colours, 12 iterations, 65536 samples, seed 1. */
cg_quantize_params cg_quantize_defaults(void);
cg_status cg_filter_quantize(const cg_image *in, cg_image *out,
                             const cg_quantize_params *params, cg_error *err);

/* SLIC superpixels (Achanta et al. 2012) in CIELAB, each filled with its mean
 * R'G'B'. Deterministic: grid-seeded, no randomness. */
typedef struct cg_slic_params {
    int region_size;   /* grid step S between seeds in pixels, 4..1024 */
    float compactness; /* m: weight of distance in space vs Lab colour, (0, 100] */
    int iterations;    /* 1..100 */
} cg_slic_params;

/* region 16, compactness 10, 10 iterations. */
cg_slic_params cg_slic_defaults(void);
cg_status cg_filter_slic(const cg_image *in, cg_image *out,
                         const cg_slic_params *params, cg_error *err);

/* ---- XDoG ink lines (Winnemoeller, Kyprianidis, Olsen 2012) ----
 * On luma Y: S = (1 + p) G_sigma(Y) - p G_{k sigma}(Y);
 * T = 1 where S >= epsilon, else 1 + tanh(phi (S - epsilon)) (0 when hard).
 * Output R' = G' = B' = T: black lines on white. */
typedef struct cg_xdog_params {
    float sigma;    /* inner Gaussian, pixels, (0, 32] */
    float k;        /* outer / inner sigma ratio, (1, 10] */
    float p;        /* sharpening, [0, 1000] */
    float epsilon;  /* threshold on S, [-1, 2] */
    float phi;      /* soft threshold steepness, (0, 1e4]; unused when hard */
    bool hard;      /* pure 0/1 output */
} cg_xdog_params;

/* sigma 1.0, k 1.6, p 40, epsilon -0.05, phi 20, soft: lines only, flat
 * areas of any grey stay white. */
cg_xdog_params cg_xdog_defaults(void);
cg_status cg_filter_xdog(const cg_image *in, cg_image *out,
                         const cg_xdog_params *params, cg_error *err);

/* ---- Manga screentone ----
 * Darkness d = 1 - Y' (luma, optionally Gaussian-smoothed) is mapped to paper
 * white (d <= white), solid black (d >= black), or in between to one of
 * `tones` dot screens of equal darkness range, screen j covering
 * max_tone * j / tones of the area (tones 0: coverage ramps continuously from
 * 0 to 1 between white and black). A screen is a regular grid of round dots
 * that merge into a chequerboard at 50% and leave round white holes beyond.
 * Coverage never decreases as darkness grows, pixel by pixel. Output is
 * exactly 0 or 1 in R' = G' = B'. */
typedef struct cg_screentone_params {
    float cell;     /* dot pitch in pixels, [2, 256] */
    float angle;    /* screen angle in degrees, [-360, 360] */
    float white;    /* darkness kept as paper, [0, 1) */
    float black;    /* darkness filled solid, (white, 1] */
    int tones;      /* dot screens between white and black, 0..16 */
    float max_tone; /* coverage of the darkest screen, (0, 1] */
    float blur;     /* Gaussian sigma applied to luma first, [0, 32]; 0 = none */
} cg_screentone_params;

/* cell 5, angle 45, white 0.35, black 0.85, 2 tones (17.5% and 35%),
 * blur 1.5. */
cg_screentone_params cg_screentone_defaults(void);
cg_status cg_filter_screentone(const cg_image *in, cg_image *out,
                               const cg_screentone_params *params, cg_error *err);

/* ---- Pencil hatching ----
 * Darkness d = 1 - Y' above `white` drawn as parallel pencil strokes whose
 * width grows with darkness; with two directions the second set (crossing at
 * `cross_angle`) appears only in the darker half. Strokes are broken into
 * dashes with tapered ends, vary a little in position and pressure (from
 * `seed`), and multiply like layered graphite. Grey output. */
typedef struct cg_hatching_params {
    float spacing;     /* distance between strokes in pixels, [2, 256] */
    float angle;       /* first direction in degrees, [-360, 360] */
    float cross_angle; /* second direction relative to the first, [-180, 180] */
    int directions;    /* 1 or 2 */
    float white;       /* darkness left as blank paper, [0, 1) */
    float stroke;      /* mean dash length in spacings, [0, 1000]; 0 = unbroken */
    float blur;        /* Gaussian sigma applied to luma first, [0, 32] */
    float jitter;      /* random stroke offset and pressure, [0, 1] */
    float pencil;      /* darkest stroke value: 0 black .. 1 invisible, [0, 1) */
    uint64_t seed;
} cg_hatching_params;

/* spacing 6, angle 45, cross 90, 2 directions, white 0.3, stroke 12,
 * blur 1, jitter 0.4, pencil 0.15, seed 1. */
cg_hatching_params cg_hatching_defaults(void);
cg_status cg_filter_hatching(const cg_image *in, cg_image *out,
                             const cg_hatching_params *params, cg_error *err);

/* ---- Post-processing for inference ---- */

/* Luma from `stylized`, chroma (Cb, Cr) from `original`: out = original +
 * (Y'_stylized - Y'_original), with chroma scaled down towards grey only
 * where that would leave [0, 1]. Returns `original` exactly when the two
 * are equal. `amount` blends from the stylized colours (0) to the original
 * chroma (1). Alpha comes from `stylized`; out may be either input. */
typedef struct cg_keep_colors_params {
    float amount;   /* [0, 1] */
} cg_keep_colors_params;

/* amount 1. */
cg_keep_colors_params cg_keep_colors_defaults(void);
cg_status cg_filter_keep_colors(const cg_image *stylized, const cg_image *original,
                                cg_image *out, const cg_keep_colors_params *params,
                                cg_error *err);

/* CG_OK when palette (the means of Lab L, a and b, then their standard
 * deviations, as cg_quality_lab_stats gives them) is within Lab's range: L
 * mean in [0, 100], a and b means in [-128, 128], deviations in [0, 128];
 * otherwise CG_ERR_INVALID naming the value. */
cg_status cg_palette_check(const float palette[6], cg_error *err);

/* A palette transfer (Reinhard et al. 2001, in CIELAB): each of L, a and b
 * is shifted and scaled so that its mean and standard deviation over the
 * image move `amount` of the way (0 keeps the image, 1 goes all the way) to
 * palette's. Colours leaving sRGB are clamped. A flat channel (deviation
 * near 0) is only shifted. Alpha is kept; out may be in. CG_ERR_INVALID for
 * a palette cg_palette_check refuses or amount outside [0, 1];
 * CG_ERR_NUMERIC for NaN pixels. */
cg_status cg_filter_palette(const cg_image *in, cg_image *out, const float palette[6], float amount,
                            cg_error *err);

/* Thickens (radius > 0) or thins (radius < 0) dark lines: a grey-level
 * dilation of darkness over a disc-like (octagonal) neighbourhood, each pixel
 * taking the colour of its darkest (or, when thinning, lightest) neighbour.
 * Fractional radii blend the two nearest whole radii. */
typedef struct cg_line_weight_params {
    float radius;   /* pixels, [-32, 32]; 0 leaves the image unchanged */
} cg_line_weight_params;

/* radius 1. */
cg_line_weight_params cg_line_weight_defaults(void);
cg_status cg_filter_line_weight(const cg_image *in, cg_image *out,
                                const cg_line_weight_params *params, cg_error *err);

/* Removes noise and grain while keeping edges: the colour-guided filter with
 * eps = sigma^2, blended with the input by `strength`. */
typedef struct cg_denoise_params {
    int radius;     /* 1..64 */
    float sigma;    /* noise level in [0,1] units, (0, 1] */
    float strength; /* 0 = input .. 1 = fully filtered, [0, 1] */
} cg_denoise_params;

/* radius 2, sigma 0.05, strength 1. */
cg_denoise_params cg_denoise_defaults(void);
cg_status cg_filter_denoise(const cg_image *in, cg_image *out,
                            const cg_denoise_params *params, cg_error *err);

typedef enum cg_contrast_pivot {
    CG_PIVOT_MID_GREY = 0, /* 0.5 */
    CG_PIVOT_MEAN,         /* mean luma of the image, alpha-weighted */
} cg_contrast_pivot;

/* out = pivot + factor (in - pivot) on each of R'G'B', clamped. */
typedef struct cg_contrast_params {
    float factor;   /* [0, 10]; 1 leaves an image in [0, 1] unchanged */
    cg_contrast_pivot pivot;
} cg_contrast_params;

/* factor 1.2, mid-grey pivot. */
cg_contrast_params cg_contrast_defaults(void);
cg_status cg_filter_contrast(const cg_image *in, cg_image *out,
                             const cg_contrast_params *params, cg_error *err);

/* ---- Teachers: the styles the conditional GAN learns ---- */

/* Manga: guided smoothing, then XDoG lines (forced hard) drawn over a
 * screentone of the smoothed image. Pure black and white. */
typedef struct cg_manga_params {
    cg_guided_params smooth;
    cg_xdog_params lines;
    cg_screentone_params tone;
} cg_manga_params;

/* Guided and screentone defaults, XDoG defaults made hard. */
cg_manga_params cg_manga_defaults(void);
cg_status cg_filter_manga(const cg_image *in, cg_image *out,
                          const cg_manga_params *params, cg_error *err);

/* Cel: guided smoothing (repeated) -> colour quantisation, for the fills;
 * XDoG outlines of a lighter guided smoothing, multiplied over the fills. The
 * fills want strong smoothing (texture gone, regions flat); the outlines want
 * light smoothing, or small features such as eyes lose theirs. */
typedef struct cg_cel_params {
    cg_guided_params smooth;
    int smooth_passes;   /* guided smoothing of the fills, applied this many
                          * times, 1..8: each pass flattens more texture */
    cg_quantize_params flatten;
    cg_guided_params line_smooth;
    int line_smooth_passes; /* guided smoothing before the outlines, 1..8 */
    cg_xdog_params lines;
    float line_strength; /* how dark outlines are multiplied in, [0, 1] */
} cg_cel_params;

/* Fills: guided radius 6, eps 0.02, three passes, then quantize defaults (16
 * colours). Outlines: XDoG defaults with sigma 1.5 on the guided defaults
 * applied twice; line_strength 1. */
cg_cel_params cg_cel_defaults(void);
cg_status cg_filter_cel(const cg_image *in, cg_image *out,
                        const cg_cel_params *params, cg_error *err);

/* Anime: the look of anime backgrounds. Textured areas of the photo (foliage,
 * brick, fur, grain: a high 5x5 luma std) are first replaced by superpixels
 * (SLIC of a guided smoothing) filled with their mean colour, blended in by a
 * smoothstep of that std, so they become flat painted patches with clean
 * borders while smooth areas (skies, skin) keep their gradients. Then
 * edge-preserving guided smoothing (repeated) clears what texture is left
 * (no colour quantisation: skies stay gradients, unlike cel); an unsharp
 * mask of the smoothed image makes shapes crisp; saturation is raised
 * around each pixel's luma (hues stay) and mid-tones brightened by a gamma
 * below 1; thin soft XDoG lines of a lighter smoothing are multiplied in at
 * part strength, so edges are drawn in a darker shade of their own colour,
 * not in black. */
typedef struct cg_anime_params {
    float region_fill;     /* how far textured areas become flat patches, [0, 1]; 0: none */
    cg_slic_params regions;
    float texture_low;     /* 5x5 luma std (0..1 units) below which nothing is filled, [0, 1) */
    float texture_high;    /* std from which an area is filled fully, (texture_low, 1] */
    cg_guided_params smooth;
    int smooth_passes;     /* 1..8 */
    float sharpen;         /* unsharp amount, [0, 4] */
    float sharpen_sigma;   /* unsharp Gaussian, pixels, (0, 32] */
    float saturation;      /* chroma gain around each pixel's luma, [0, 2] */
    float gamma;           /* out = in^gamma on R'G'B', (0, 4]; below 1 brightens */
    cg_guided_params line_smooth;
    cg_xdog_params lines;
    float line_strength;   /* how dark lines are multiplied in, [0, 1] */
} cg_anime_params;

/* Region fill 1 with SLIC region 10, compactness 20, over stds 0.02..0.08;
 * guided radius 4, eps 0.01, two passes; unsharp 0.6 at sigma 2; saturation
 * 1.35; gamma 0.9; lines: XDoG defaults on a guided (defaults) smoothing, at
 * strength 0.45. */
cg_anime_params cg_anime_defaults(void);
cg_status cg_filter_anime(const cg_image *in, cg_image *out,
                          const cg_anime_params *params, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
