/* comicgan — what animation.c asks of the animated formats: a decoder and
 * an encoder each for GIF (anim_gif.c) and WebP (anim_webp.c). The still
 * image readers use the decoders' first_only mode. */
#ifndef CG_IO_ANIM_FORMATS_H
#define CG_IO_ANIM_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "comicgan/animation.h"
#include "io/image_formats.h"

typedef bool (*cg_io_progress_fn)(void *data, float fraction);

/* Decode the whole file into an animation (the limits of animation.h
 * checked before anything is allocated), or with first_only just its first
 * frame, the file still read to its end so a broken file fails either way.
 * *frames_in_file (may be NULL) gets how many frames the file holds. */
cg_animation *cg_io_gif_decode(const uint8_t *data, size_t size, const char *name, bool first_only,
                               int *frames_in_file, cg_error *err);
cg_animation *cg_io_webp_anim_decode(const uint8_t *data, size_t size, const char *name, bool first_only,
                                     int *frames_in_file, cg_error *err);

/* Encode n frames (all the same size) with their durations and loop count
 * (as in cg_animation) and write the file to fd (left open). progress as in
 * cg_animation_save. */
cg_status cg_io_gif_encode(const cg_image *const *frames, const int *duration_ms, int n, int loop_count, int fd,
                           const char *name, cg_io_progress_fn progress, void *progress_data, cg_error *err);
cg_status cg_io_webp_anim_encode(const cg_image *const *frames, const int *duration_ms, int n, int loop_count,
                                 const cg_io_save_spec *spec, int fd, const char *name, cg_io_progress_fn progress,
                                 void *progress_data, cg_error *err);

/* Appends a frame of a's canvas size (pixels uninitialized) with its
 * duration and returns it, or NULL with err filled (naming `name`) when
 * one more frame would pass the limits of animation.h or memory runs out. */
cg_image *cg_io_anim_add_frame(cg_animation *a, int duration_ms, const char *name, cg_error *err);

/* The first frame of a (NULL: returns NULL) as a still image, its
 * source_frames set to frames_in_file; a is freed. */
cg_image *cg_io_first_frame(cg_animation *a, int frames_in_file);

#endif
