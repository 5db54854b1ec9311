/* comicgan — stylizing images: the main job, and the API every front end
 * (the comicgan command, the GIMP plug-in, the Krita bridge) calls.
 *
 * Images are float RGBA (comicgan/image.h). Alpha passes through untouched.
 * Any size from 1x1 to CG_STYLIZE_MAX_SIDE per side: large images are cut
 * into tiles, and every global statistic (instance-norm means and variances,
 * attention pooling) is computed over the whole image before it is used, so
 * a tiled result equals the whole-image result (within 1/255). The passes
 * this takes start where the one before stopped, from activations kept in
 * memory up to a budget and in a temporary file beyond it, so a large image
 * costs little more work than one whole pass (see memory_budget).
 *
 * Nothing here keeps global state; a cg_model may be used by one call at a
 * time (calls on different models may run in parallel threads). Long calls
 * report progress and can be cancelled; on cancellation or error the output
 * is left untouched. */
#ifndef COMICGAN_STYLIZE_H
#define COMICGAN_STYLIZE_H

#include "comicgan/image.h"
#include "comicgan/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest width or height stylize accepts. */
#define CG_STYLIZE_MAX_SIDE 16384

/* The memory budget a memory_budget of 0 stands for (see below). */
#define CG_STYLIZE_DEFAULT_MEMORY_BUDGET ((size_t)768 << 20)
/* The largest memory budget the front ends take, in MiB (1 TiB). */
#define CG_STYLIZE_MAX_MEMORY_BUDGET_MIB (1 << 20)

/* Called with the fraction done in [0, 1]; return false to cancel, which makes
 * the call return CG_ERR_CANCELLED promptly. May be called from the calling
 * thread only. */
typedef bool (*cg_progress_fn)(void *user_data, float fraction);

typedef struct cg_stylize_options {
    int style;             /* style index (cg_model_find_style); ignored when mix is set */
    const float *mix;      /* one weight per style (>= 0, not all 0; normalized here), or NULL */
    const float *code;     /* a reference model's style code: cg_model_code_length(m) floats, as
                              cg_model_encode_reference writes them. Owned by the caller, only read
                              during the call. Required by a reference model (style and mix are then
                              ignored) and refused by others; a code with a non-finite value, a value
                              beyond CG_STYLE_CODE_MAX, a last value other than 1 or a palette out of
                              Lab's range is refused (CG_ERR_INVALID, see cg_stylize_check_code).
                              Unless keep_colors, the output takes the code's palette (the
                              reference's colours; cg_filter_palette, as far as strength says).
                              Strength blends toward the input, a reference model having no identity
                              style */
    float strength;        /* 0 returns the input, 1 the full style */
    int tile;              /* tile side in pixels, 0: automatic; see cg_stylize_tile */
    size_t memory_budget;  /* bytes for the network's buffers and the activations kept in memory
                              between the passes over a large image; 0: the default,
                              CG_STYLIZE_DEFAULT_MEMORY_BUDGET. Images whose buffers fit run whole;
                              larger ones in tiles with a quarter of the budget, the rest keeping
                              activations, and those beyond it go to an unlinked
                              temporary file in $TMPDIR (see cg_stylize_estimate). The images and a
                              6-byte-a-pixel copy of the result are not counted */
    float scale;           /* style scale (detail size): the network sees the image at this fraction of
                              its size, and the result is brought back to full size guided by the
                              input's own edges; 0 or 1: native (the network sees every pixel), below 1
                              larger strokes and faster, above 1 finer strokes; otherwise in
                              [CG_STYLIZE_MIN_SCALE, CG_STYLIZE_MAX_SCALE]. See cg_stylize_scale_of */
    int scale_side;        /* > 0: automatic scale, chosen as if the image's long side were scale_side
                              pixels, never enlarging (images no larger run natively); overrides scale.
                              0: scale decides. Front ends default to CG_STYLIZE_AUTO_SIDE */
    bool keep_colors;      /* the input's colours under the style's luminance */
    float line_weight;     /* -1..1: thin (<0) or thicken (>0) dark lines; 0 leaves them */
    float denoise;         /* 0..1: edge-preserving smoothing of the result */
    float contrast;        /* 0.5..2: 1 leaves it */
    bool lock_motion;      /* cg_stylize_frames: find each frame's whole-pixel shift against the one
                              before (a pan) and hand it to the network at the first frame's phase
                              of the network's stride, so the strokes and dots the network draws
                              move with the scene instead of swimming; still frames are unchanged */
    cg_progress_fn progress;
    void *progress_data;
} cg_stylize_options;

/* Style 0, strength 1, automatic tiles, native scale, no post-processing,
 * frames locked to a pan's motion. */
cg_stylize_options cg_stylize_defaults(void);

/* The style scale's limits, and the long side the automatic scale aims at
 * by default: the networks' strokes look as they do on an image of about
 * this size, whatever the image's own size, and a preview computed on a
 * copy that size (or smaller) tells the truth about the full-size result. */
#define CG_STYLIZE_MIN_SCALE (1.0f / 64)
#define CG_STYLIZE_MAX_SCALE 4.0f
#define CG_STYLIZE_AUTO_SIDE 1024
#define CG_STYLIZE_MIN_AUTO_SIDE 64

/* The scale stylize uses for an image of width x height under o (options
 * assumed checked): 1 for native, else the fraction of its size at which
 * the network sees it. The network's image is
 * max(1, lround(width * scale)) x max(1, lround(height * scale)) pixels;
 * when that is the image's own size the call runs natively. A preview of a
 * copy downscaled by f that should match the full image's result uses
 * scale = cg_stylize_scale_of(o, full width, full height) / f. */
double cg_stylize_scale_of(const cg_stylize_options *o, int width, int height);

/* The tile side stylize uses for a requested side on this model, the one
 * rule every front end shows: 0 stays 0 (automatic); a side below twice the
 * network's margin (the context read around each tile, which would then cost
 * many times the work of the tile itself) is raised to twice the margin;
 * any side is rounded up to the network's size multiple. When the side is
 * raised, note (note_len bytes, may be NULL) gets one line for people saying
 * so; otherwise note is "". */
int cg_stylize_tile(const cg_model *m, int tile, char *note, size_t note_len);

/* Checks options against the model (style index, mix weights, ranges);
 * CG_ERR_INVALID with a message naming the option. */
cg_status cg_stylize_check_options(const cg_model *m, const cg_stylize_options *o, cg_error *err);

/* Stylizes in into out (same size; the caller allocates both). out may be in.
 * At a scale other than native (see cg_stylize_options.scale) the network
 * runs on an antialiased resized copy (cg_image_resize) and its result is
 * brought back to full size by guided upsampling with the full-size input as
 * guide; strength, alpha and post-processing then apply at full size.
 * At native scale nothing is resized.
 * CG_ERR_INVALID for bad sizes or options, CG_ERR_IO when the temporary
 * file cannot be made or written (a full disk: the message says where),
 * CG_ERR_NUMERIC for NaN/Inf
 * pixels or when the network's values stop being finite numbers (weights that
 * overflow; the message names the layer), CG_ERR_CANCELLED when the progress callback said stop; out is
 * untouched on any error. */
cg_status cg_stylize(const cg_model *m, const cg_image *in, cg_image *out, const cg_stylize_options *o,
                     cg_error *err);

/* Stylizes the image file in_path into the file out_path (format from its
 * extension, save options as cg_image_save takes them) a band of rows at a
 * time, so that memory does not grow with the image. At a working scale
 * below native the network's copy is made as the input's rows stream in, and
 * the result is brought back to full size band by band while the input is
 * read a second time. At native scale, when the image runs in tiles, the
 * first pass and the last read the rows they need from the file as they go,
 * and each row of tiles is written as the last pass completes it (strength
 * toward an identity style runs that style first and keeps its output exactly
 * in a temporary file, 12 bytes a pixel, read back by rows). The pixels
 * and bytes are those of cg_image_load, cg_stylize and cg_image_save.
 * CG_ERR_UNSUPPORTED, with nothing written, when the call does not stream:
 * an image that runs whole at native scale, a scale above native, post-processing (keep_colors,
 * line_weight, denoise, contrast, a reference's palette), strength 0, or an
 * animation; the caller then loads the image whole. Otherwise the errors of
 * those three calls; on any error or cancellation out_path is as it was and
 * no temporary file is left. */
cg_status cg_stylize_file(const cg_model *m, const char *in_path, const char *out_path, const cg_stylize_options *o,
                          const cg_image_save_options *save, cg_error *err);

/* What stylizing a width x height image with these options costs, as
 * cg_stylize plans it (the style scale applied): */
typedef struct cg_stylize_cost {
    double flops;       /* the network's work, in FLOPs (2 a multiply-add; a guided filter pass counted by its time) */
    double whole_flops; /* the work of one pass over the whole image, for comparison */
    double memory;      /* bytes the memory budget covers at most: the network's buffers and the
                           activations kept in memory between passes */
    double temp_file;   /* bytes of temporary files in $TMPDIR at most (activations beyond the budget) */
    int tile;           /* tile side, or 0 when the image runs whole */
} cg_stylize_cost;

/* Fills cost; CG_ERR_INVALID for bad options or sizes (cost is then zeros). */
cg_status cg_stylize_estimate(const cg_model *m, int width, int height, const cg_stylize_options *o,
                              cg_stylize_cost *cost, cg_error *err);

/* Stylizes n frames of one animation with normalization statistics shared by
 * all of them, so static content does not flicker. Frames may differ in size.
 * out[i] matches in[i]'s size and may be in[i] (an animation's frames are
 * stylized in place, holding one copy of them). All or nothing: on error no
 * output is touched. */
cg_status cg_stylize_frames(const cg_model *m, const cg_image *const *in, cg_image *const *out, int n,
                            const cg_stylize_options *o, cg_error *err);

/* Statistics computed once and reused: for previews of a crop (or of a
 * downscaled copy) that should look like the final full-size result, use the
 * statistics of the whole image, or of a downscaled copy of it.
 * cg_stylize_compute_stats runs the network over the n images (as
 * cg_stylize_frames would) and keeps every normalization statistic for the
 * style weights the options select; NULL with err filled on failure. Free
 * with cg_stylize_stats_free. cg_stylize_with_stats stylizes in with those
 * statistics instead of in's own; CG_ERR_INVALID if the options select other
 * style weights or strength than the statistics were computed for. Both
 * take the scale from their own options: a preview that stylizes a part of
 * the full image at the full image's scale computes its statistics on a
 * downscaled copy with the scale that copy implies (see cg_stylize_scale_of). */
typedef struct cg_stylize_stats cg_stylize_stats;
cg_stylize_stats *cg_stylize_compute_stats(const cg_model *m, const cg_image *const *in, int n,
                                           const cg_stylize_options *o, cg_error *err);
cg_status cg_stylize_with_stats(const cg_model *m, const cg_stylize_stats *stats, const cg_image *in,
                                cg_image *out, const cg_stylize_options *o, cg_error *err);
/* Frame `frame` (0..n-1) of the n images the statistics were computed over,
 * stylized as cg_stylize_frames would stylize it among them: with those
 * statistics and, when they were computed with lock_motion, at the phase
 * found for that frame. So frames can be stylized one at a time (streamed)
 * and still equal cg_stylize_frames' result (within 1/255). CG_ERR_INVALID for a frame
 * outside 0..n-1, otherwise as cg_stylize_with_stats. */
cg_status cg_stylize_frame_with_stats(const cg_model *m, const cg_stylize_stats *stats, int frame,
                                      const cg_image *in, cg_image *out, const cg_stylize_options *o,
                                      cg_error *err);
void cg_stylize_stats_free(cg_stylize_stats *s);

/* The image the network sees for in under o: at a scale other than native
 * the resized copy that cg_stylize makes, else a plain copy. Statistics
 * computed from these copies with a native scale equal those computed from
 * the images themselves with o's scale, so a caller that streams a long
 * animation can keep the small copies instead of every full-size frame.
 * Caller frees; NULL with err filled on failure. */
cg_image *cg_stylize_network_image(const cg_model *m, const cg_image *in, const cg_stylize_options *o,
                                   cg_error *err);

/* ---- reference styles -------------------------------------------------------- */

/* The smallest side of a reference picture, and the largest magnitude of a
 * style code's value (an encoder's codes stay far below it: a value beyond is
 * not a code this model made). */
#define CG_REFERENCE_MIN_SIDE 16
#define CG_STYLE_CODE_MAX 1e4f

/* Encodes the reference picture ref (float RGBA, any size from
 * CG_REFERENCE_MIN_SIDE to CG_STYLIZE_MAX_SIDE per side; transparent areas
 * count as white) with m's style encoder, on a copy resized so its long side
 * is the encoder's side: code gets cg_model_code_length(m) floats (the
 * caller's buffer): the copy's palette (see CG_PALETTE_LENGTH), then the
 * encoder's code, the last value 1. CG_ERR_INVALID (code untouched) when m is
 * not a reference model, or for a picture too small, too large or with
 * non-finite pixels; CG_ERR_NUMERIC if the code is not finite. */
cg_status cg_model_encode_reference(const cg_model *m, const cg_image *ref, float *code, cg_error *err);

/* CG_OK when code is a style code m can use (see cg_stylize_options.code);
 * otherwise CG_ERR_INVALID with a message saying what is wrong. */
cg_status cg_stylize_check_code(const cg_model *m, const float *code, cg_error *err);

/* The attention map of attention point `point` (0..cg_net_attention_count-1)
 * for this image and options, at image resolution, into map (width * height
 * floats in [0, 1], normalized by the map's own range). Tiled like cg_stylize;
 * at a scale other than native, computed on the resized copy and upsampled
 * bilinearly.
 * CG_ERR_UNSUPPORTED when the model has no attention points. */
cg_status cg_stylize_attention(const cg_model *m, const cg_image *in, int point, const cg_stylize_options *o,
                               float *map, cg_error *err);

/* Colours a map of values in [0, 1] (width * height floats) as a heatmap
 * (dark blue through red to yellow) into out, same size, with the given
 * opacity in alpha. */
void cg_heatmap(const float *map, int width, int height, float opacity, cg_image *out);

#ifdef __cplusplus
}
#endif
#endif
