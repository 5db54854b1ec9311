/* comicgan — what the dispatcher (image.c) asks of each image format: a
 * reader and a writer per format (image_png.c, image_jpeg.c, image_webp.c,
 * image_tiff.c, anim_gif.c). The formats' own helpers are in pixels.h. */
#ifndef CG_IO_IMAGE_FORMATS_H
#define CG_IO_IMAGE_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "comicgan/image.h"

/* The resolved form of cg_image_save_options that a writer gets. */
typedef struct cg_io_save_spec {
    int channels; /* 1..4 */
    int bits;     /* 8, 16 or 32 */
    int quality;  /* 1..100 */
    bool lossless;
} cg_io_save_spec;

/* Per-format readers of whole images: the bytes start with the format's
 * magic. (PNG and JPEG read by rows, see image_rows.h.) */
cg_image *cg_io_webp_load(const uint8_t *data, size_t size, const char *name, cg_error *err);
cg_image *cg_io_tiff_load(const uint8_t *data, size_t size, const char *name, cg_error *err);
cg_image *cg_io_gif_load(const uint8_t *data, size_t size, const char *name, cg_error *err);

/* The writers of the formats encoded whole: write the file to fd (left open)
 * or fail. The spec has already been checked against what the format can
 * store. (PNG, JPEG and TIFF write by rows, see image_rows.h.) */
cg_status cg_io_webp_save(const cg_image *img, int fd, const cg_io_save_spec *spec,
                          const char *name, cg_error *err);
cg_status cg_io_gif_save(const cg_image *img, int fd, const cg_io_save_spec *spec,
                         const char *name, cg_error *err);

#endif
