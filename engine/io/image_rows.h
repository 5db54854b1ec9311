/* comicgan — reading and writing an image top to bottom, a band of rows at a
 * time, so that a large file never has to be in memory whole: neither its
 * bytes nor its pixels. PNG (not interlaced) and JPEG decode row by row from
 * the file, and PNG, JPEG and TIFF encode row by row into it; the other
 * formats (and interlaced PNGs) are decoded whole first and handed out by
 * rows, or collected whole and encoded at the end. Whole-image loading and
 * saving (cg_image_load, cg_image_save) are a reader read to the end and a
 * writer given every row, so both ways give the same pixels and bytes. */
#ifndef CG_IO_IMAGE_ROWS_H
#define CG_IO_IMAGE_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "comicgan/image.h"
#include "io/image_formats.h"
#include "io/read_file.h"

/* Where a reader's bytes come from: an open file (fd >= 0, read from its
 * current offset) or a block of memory (fd < 0, data and size). name is for
 * messages. The first bytes can be looked at before they are read. */
#define CG_IO_PEEK_MAX 32
typedef struct cg_io_source {
    int fd;
    const uint8_t *data;
    size_t size, pos;
    const char *name;
    uint8_t head[CG_IO_PEEK_MAX]; /* bytes peeked at and not yet read */
    size_t head_len, head_pos;
} cg_io_source;

/* Reads up to n bytes into buf: the count read, 0 at the end, -1 on a read
 * error (errno set). Retries interrupted and short reads. */
ssize_t cg_io_source_read(cg_io_source *s, void *buf, size_t n);

/* The next n (at most CG_IO_PEEK_MAX) bytes without reading them: a pointer
 * to them, *got of them (fewer at the end of the source), or NULL on a read
 * error (errno set). Only before the first read. */
const uint8_t *cg_io_source_peek(cg_io_source *s, size_t n, size_t *got);

/* The rest of the source in memory: *data (g_free) and *size. A file over
 * CG_IO_MAX_IMAGE_FILE bytes is CG_ERR_UNSUPPORTED; CG_ERR_IO, CG_ERR_NOMEM. */
cg_status cg_io_source_slurp(cg_io_source *s, uint8_t **data, size_t *size, cg_error *err);

typedef struct cg_io_rows cg_io_rows;
struct cg_io_rows {
    int width, height;
    int channels;            /* the file's channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
    cg_sample_format format; /* the file's samples */
    int frames;              /* frames or pages the file holds (only the first is read) */
    int next;                /* rows read so far */
    /* The format's: fills n rows of RGBA floats, complete (cg_io_finish_pixels).
     * Called by cg_io_rows_read only, with n rows left. */
    cg_status (*read)(cg_io_rows *r, float *dst, int n, cg_error *err);
    void (*close)(cg_io_rows *r);
};

/* The next n rows (1..rows left) as RGBA floats, 4 * width * n of them at dst:
 * gray spread to G and B, a missing alpha 1. A damaged file fails at the row
 * where the damage shows (CG_ERR_FORMAT); rows already read stay valid. */
cg_status cg_io_rows_read(cg_io_rows *r, float *dst, int n, cg_error *err);

/* Frees the reader (NULL is fine); closes nothing of the source. */
void cg_io_rows_close(cg_io_rows *r);

/* A reader handing out img's rows; it owns img from now on, also on failure
 * (NULL then, with err filled). For the formats decoded whole. */
cg_io_rows *cg_io_rows_of_image(cg_image *img, cg_error *err);

/* Reads every row left into a new image (with the file's channels, format and
 * frames) and closes the reader, also on failure. NULL and err on failure. */
cg_image *cg_io_rows_to_image(cg_io_rows *r, const char *name, cg_error *err);

/* A reader for the image src holds, whatever its format (image.c): NULL and
 * err filled for an empty, unknown, unsupported or broken file. The source
 * must outlive the reader. */
cg_io_rows *cg_io_rows_open(cg_io_source *src, cg_error *err);

/* The row readers of the formats that decode row by row: src positioned at
 * the file's first byte. NULL and err filled (naming src->name) on failure. */
cg_io_rows *cg_io_png_rows(cg_io_source *src, cg_error *err);
cg_io_rows *cg_io_jpeg_rows(cg_io_source *src, cg_error *err);

/* ---- writing ---------------------------------------------------------- */

typedef struct cg_io_row_writer cg_io_row_writer;
struct cg_io_row_writer {
    int width, height;
    int next;              /* rows written so far */
    cg_io_save_spec spec;
    const char *name;
    /* The format's: encodes n rows of RGBA floats (called with n rows left). */
    cg_status (*write)(cg_io_row_writer *w, const float *rgba, int n, cg_error *err);
    /* The format's: after the last row, writes the end of the file. */
    cg_status (*finish)(cg_io_row_writer *w, cg_error *err);
    void (*free)(cg_io_row_writer *w);
};

/* The formats' row writers: write the file to fd (left open) as rows come,
 * spec already checked against what the format stores; name is for messages
 * and must outlive the writer. NULL and err on failure. */
cg_io_row_writer *cg_io_png_writer(int fd, int width, int height, const cg_io_save_spec *spec, const char *name,
                                   cg_error *err);
cg_io_row_writer *cg_io_jpeg_writer(int fd, int width, int height, const cg_io_save_spec *spec, const char *name,
                                    cg_error *err);
cg_io_row_writer *cg_io_tiff_writer(int fd, int width, int height, const cg_io_save_spec *spec, const char *name,
                                    cg_error *err);

/* The spec cg_image_save writes path with (image.c): the options' zeros filled
 * from what is known of the image: the sample format it was loaded from,
 * whether it is gray (loaded gray and still gray) and whether it has alpha
 * (the file had it, or a pixel is not opaque); then checked against what the
 * format stores. CG_ERR_UNSUPPORTED (unknown extension, what the format
 * cannot store), CG_ERR_INVALID (bad options). */
cg_status cg_io_resolve_spec(const char *path, int width, int height, cg_sample_format source_format, bool gray,
                             bool alpha, const cg_image_save_options *o, cg_io_save_spec *spec, cg_error *err);

/* About what encoding a pixel to path's format costs, in units of decoding
 * one (1 for JPEG; deflate and WebP several times more): for progress that
 * counts the codecs' time. 1 for an unknown extension. */
double cg_io_encode_weight(const char *path);

/* Writing an image file by rows (image.c): the format from path's extension,
 * the bytes into a temporary file (io/atomic_file.h) that finishing renames
 * over path; nothing is left behind on failure or abort. */
typedef struct cg_io_image_writer cg_io_image_writer;

/* Starts writing path with spec (from cg_io_resolve_spec). NULL and err on
 * failure: an unknown extension, what the format cannot hold, no temporary
 * file. */
cg_io_image_writer *cg_io_image_writer_open(const char *path, int width, int height, const cg_io_save_spec *spec,
                                            cg_error *err);

/* Encodes the next n rows (1..rows left) of RGBA floats. After a failure (a
 * NaN: CG_ERR_NUMERIC; a full disk: CG_ERR_IO) only abort is left. */
cg_status cg_io_image_writer_rows(cg_io_image_writer *w, const float *rgba, int n, cg_error *err);

/* After the last row: ends the file and renames it over path; frees the
 * writer whatever happens. On failure path is as it was. */
cg_status cg_io_image_writer_finish(cg_io_image_writer *w, cg_error *err);

/* Drops what was written (path as it was) and frees the writer; NULL is fine. */
void cg_io_image_writer_abort(cg_io_image_writer *w);

#endif
