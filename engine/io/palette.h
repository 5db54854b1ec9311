/* comicgan — an indexed-colour palette for one frame of 8-bit RGBA pixels,
 * for the GIF writer (palette.c). */
#ifndef CG_IO_PALETTE_H
#define CG_IO_PALETTE_H

#include <stddef.h>
#include <stdint.h>

#include "comicgan/error.h"

typedef struct cg_io_palette {
    uint8_t rgb[256][3];
    int count;       /* entries used, 1..256 (the transparent one included) */
    int transparent; /* the index of pixels with alpha < 128, or -1 when there are none */
} cg_io_palette;

/* Chooses a palette for the n pixels at rgba and writes each pixel's index
 * to idx (n bytes). A frame with at most 256 colours (255 with transparency)
 * keeps them exactly; a frame with more gets a median cut of its colours at 6
 * bits per channel, each pixel the mean of its box. CG_ERR_NOMEM on no
 * memory. */
cg_status cg_io_palette_make(const uint8_t *rgba, size_t n, cg_io_palette *pal, uint8_t *idx, cg_error *err);

#endif
