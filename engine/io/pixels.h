/* comicgan — the pixel helpers shared by the image formats and the
 * dispatcher (pixels.c). */
#ifndef CG_IO_PIXELS_H
#define CG_IO_PIXELS_H

#include <stddef.h>
#include <stdint.h>

#include "comicgan/image.h"

/* CG_OK if a file's w x h is within the limits, else CG_ERR_FORMAT (no
 * pixels) or CG_ERR_UNSUPPORTED (too large); err names `name`. */
cg_status cg_io_check_size(long long w, long long h, const char *name, cg_error *err);

/* An image of w x h with uninitialized pixels, after cg_io_check_size. */
cg_image *cg_io_image_alloc(long long w, long long h, const char *name, cg_error *err);

/* Converts n pixels of src (samples `stride` apart per pixel, `bits` 8 or 16
 * as native unsigned integers, 32 as float) into channels 0..nchan-1 of the
 * RGBA floats at dst. */
void cg_io_put_samples(float *dst, const void *src, size_t n, int stride, int nchan, int bits);

/* Completes n RGBA pixels whose first `channels` channels were filled by
 * cg_io_put_samples: gray spreads to G and B, missing alpha becomes 1. Once
 * only: a second pass would take gray+alpha's spread gray for alpha. */
void cg_io_finish_pixels(float *p, size_t n, int channels);

/* cg_io_finish_pixels over the whole image; also sets img->source_channels. */
void cg_io_finish_layout(cg_image *img, int channels);

/* CG_ERR_NUMERIC (naming the first bad pixel) if any value is NaN or Inf. */
cg_status cg_io_check_finite(const cg_image *img, const char *name, cg_error *err);

/* Packs a row of width RGBA floats (row y of the image, for messages) into
 * `channels` samples per pixel of `bits` (8 and 16 as native unsigned
 * integers, clamped and rounded; 32 as float). CG_ERR_NUMERIC on NaN or Inf. */
cg_status cg_io_pack_row(const float *row, int width, int y, int channels, int bits, void *dst, const char *name,
                         cg_error *err);

/* write() all of buf to fd, retrying short writes; CG_ERR_IO naming `name`. */
cg_status cg_io_write_all(int fd, const void *buf, size_t size, const char *name, cg_error *err);

#endif
