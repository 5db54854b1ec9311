/* comicgan — resizing an image fed a band of rows at a time (resize.c):
 * the same filter and the same arithmetic as cg_image_resize, which is this
 * resizer fed every row at once, holding only the source rows the output
 * rows still to come read. */
#ifndef CG_IO_RESIZE_H
#define CG_IO_RESIZE_H

#include "comicgan/image.h"

typedef struct cg_io_resizer cg_io_resizer;

/* A resizer from src_w x src_h to dst_w x dst_h taking at most max_push rows
 * a push. NULL and err on bad sizes or no memory. */
cg_io_resizer *cg_io_resizer_new(int src_w, int src_h, int dst_w, int dst_h, int max_push, cg_error *err);

/* Takes the next n source rows (RGBA floats, top to bottom) and writes every
 * output row they complete into dst (dst_w x dst_h, the caller's); once all
 * source rows are in, dst is whole. CG_ERR_INVALID for a wrong n or dst. */
cg_status cg_io_resizer_push(cg_io_resizer *r, const float *rows, int n, cg_image *dst, cg_error *err);

void cg_io_resizer_free(cg_io_resizer *r);

#endif
