/* comicgan — animations in memory and on disk: animated GIF (giflib) and
 * animated WebP (libwebp's animation API).
 *
 * In memory an animation is a list of frames that are each the whole canvas
 * as a viewer shows it at that moment (the file's partial frames, disposal
 * and transparency already composed), in the pixel format of image.h, with
 * how long each frame shows and how many times the animation plays. All
 * frames are held in memory at once, so loading refuses animations over
 * CG_ANIMATION_MAX_PIXELS. */
#ifndef COMICGAN_ANIMATION_H
#define COMICGAN_ANIMATION_H

#include <stdbool.h>
#include <stddef.h>

#include "comicgan/error.h"
#include "comicgan/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most frames an animation may have. */
#define CG_ANIMATION_MAX_FRAMES 10000

/* Most pixels over all frames (frames * canvas width * height): 2^27, 2 GiB
 * as float RGBA; e.g. 64 frames of 1920x1080 or 512 frames of 512x512. */
#define CG_ANIMATION_MAX_PIXELS ((size_t)1 << 27)

typedef struct cg_animation {
    int width, height;  /* the canvas: every frame has this size */
    int n_frames;       /* >= 1 */
    cg_image **frames;  /* n_frames whole-canvas images; the caller may take one (set it to NULL) */
    int *duration_ms;   /* how long each frame shows, in milliseconds (>= 0) */
    int loop_count;     /* how many times it plays: 0 forever, 1 once, ... */
} cg_animation;

/* A new animation of n frames of width x height, every pixel (0,0,0,0),
 * every duration 0, playing forever. Caller frees with cg_animation_free.
 * NULL and err filled if the size or count is outside the limits above and
 * image.h's (CG_ERR_INVALID) or memory runs out (CG_ERR_NOMEM). */
cg_animation *cg_animation_new(int width, int height, int n, cg_error *err);

/* Frees the animation, its frames (NULL ones skipped) and durations; NULL is
 * fine. */
void cg_animation_free(cg_animation *a);

/* Reads an image file as an animation, the format told by its first bytes:
 * a GIF or a WebP gives all its frames, composed on the canvas; any other
 * file cg_image_load reads gives one frame (of a multi-page TIFF the first
 * page, its source_frames saying how many there are), duration 0. A GIF
 * frame's delay (centiseconds) becomes milliseconds; a GIF's NETSCAPE2.0
 * repeat count n becomes loop_count n + 1 (0 stays forever), none at all 1.
 * Frames have source_format U8 and source_channels 4 where the file has
 * transparency, else 3. Caller frees. NULL and err filled (message naming
 * the file) with cg_image_load's codes: a corrupt or truncated file
 * (CG_ERR_FORMAT), over the size limits or the frame or pixel limits above
 * (CG_ERR_UNSUPPORTED), unreadable (CG_ERR_IO), no memory (CG_ERR_NOMEM). */
cg_animation *cg_animation_load(const char *path, cg_error *err);

/* cg_animation_load on bytes in memory (not copied, not kept); name is only
 * used in messages and may be NULL. */
cg_animation *cg_animation_load_memory(const void *data, size_t size, const char *name, cg_error *err);

/* True if a file with this name's extension can hold an animation
 * (.gif, .webp, any case). */
bool cg_animation_path_ok(const char *path);

/* Writes a as an animated GIF or WebP, by path's extension. GIF: each frame
 * gets its own palette of up to 256 colours (exact when the frame has no
 * more; otherwise median cut), alpha below 0.5 becomes the transparent
 * index; durations are rounded to centiseconds; opts is ignored. WebP:
 * lossy at opts->quality (default 90) or lossless with opts->lossless; the
 * encoder may merge a frame identical to the one before into it, summing
 * their durations. progress (may be NULL) is called with the fraction done
 * after each frame; when it returns false the write stops with
 * CG_ERR_CANCELLED. Atomic like cg_image_save: on any error nothing is left
 * behind and an existing file at path is untouched. Errors: another
 * extension or a canvas too large for the format (CG_ERR_UNSUPPORTED),
 * frames missing or not width x height or bad options (CG_ERR_INVALID),
 * NaN or Inf pixels (CG_ERR_NUMERIC), write failure (CG_ERR_IO), no memory
 * (CG_ERR_NOMEM). */
cg_status cg_animation_save(const cg_animation *a, const char *path, const cg_image_save_options *opts,
                            bool (*progress)(void *data, float fraction), void *progress_data,
                            cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
