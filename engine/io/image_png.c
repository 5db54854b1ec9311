/* comicgan — PNG through libpng. libpng reports errors by calling our
 * handler, which must not return: it records the message and longjmps back
 * to the setjmp in the function that owns the png_struct. */
#include "io/image_formats.h"
#include "io/image_rows.h"
#include "io/pixels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <png.h>

typedef struct png_ctx {
    cg_io_source *src; /* reading */
    int fd;            /* writing */
    char msg[256];
} png_ctx;

static void on_error(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    g_strlcpy(ctx->msg, msg, sizeof ctx->msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* the library never prints */
}

static void read_source(png_structp png, png_bytep out, size_t n)
{
    png_ctx *ctx = png_get_io_ptr(png);
    ssize_t k = cg_io_source_read(ctx->src, out, n);
    if (k < 0)
        png_error(png, g_strerror(errno));
    if ((size_t)k < n)
        png_error(png, "the file ends too early (truncated?)");
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void write_fd(png_structp png, png_bytep p, size_t n)
{
    png_ctx *ctx = png_get_io_ptr(png);
    while (n > 0) {
        ssize_t k = write(ctx->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            png_error(png, k < 0 ? g_strerror(errno) : "write failed");
        p += k;
        n -= (size_t)k;
    }
}

static void flush_nothing(png_structp png)
{
    (void)png;
}

typedef struct png_rows {
    cg_io_rows base;
    png_ctx ctx;
    const char *name;
    png_structp png;
    png_infop info;
    uint8_t *buf; /* one row, or every row of an interlaced image */
    size_t rowbytes;
    int samples, bits;
    bool interlaced;
} png_rows;

static void png_rows_close(cg_io_rows *r)
{
    png_rows *pr = (png_rows *)r;
    png_destroy_read_struct(&pr->png, &pr->info, NULL);
    free(pr->buf);
    g_free(pr);
}

static cg_status png_rows_read(cg_io_rows *r, float *dst, int n, cg_error *err)
{
    png_rows *pr = (png_rows *)r;
    if (setjmp(png_jmpbuf(pr->png)))
        return cg_fail(err, CG_ERR_FORMAT, "%s: broken PNG file: %s", pr->name, pr->ctx.msg);
    for (int i = 0; i < n; i++) {
        int y = r->next + i;
        uint8_t *row = pr->buf;
        if (pr->interlaced)
            row += pr->rowbytes * (size_t)y;
        else
            png_read_row(pr->png, row, NULL);
        cg_io_put_samples(dst + (size_t)4 * r->width * i, row, (size_t)r->width, pr->samples, pr->samples, pr->bits);
    }
    cg_io_finish_pixels(dst, (size_t)r->width * n, pr->samples);
    /* The end: what follows the pixels must be readable too. */
    if (r->next + n == r->height)
        png_read_end(pr->png, NULL);
    return CG_OK;
}

cg_io_rows *cg_io_png_rows(cg_io_source *src, cg_error *err)
{
    const char *name = src->name;
    /* IHDR must come first. Checking its size here refuses a bomb even when
     * nothing follows it, before libpng reads (and allocates) anything. */
    size_t got = 0;
    const uint8_t *head = cg_io_source_peek(src, 24, &got);
    if (!head) {
        cg_fail(err, CG_ERR_IO, "%s: read failed: %s", name, g_strerror(errno));
        return NULL;
    }
    if (got == 24 && memcmp(head + 12, "IHDR", 4) == 0 &&
        cg_io_check_size(be32(head + 16), be32(head + 20), name, err) != CG_OK)
        return NULL;
    png_rows *pr = g_try_new0(png_rows, 1);
    if (!pr) {
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory starting libpng", name);
        return NULL;
    }
    pr->ctx.src = src;
    pr->name = name;
    pr->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &pr->ctx, on_error, on_warning);
    pr->info = pr->png ? png_create_info_struct(pr->png) : NULL;
    if (!pr->info) {
        png_rows_close(&pr->base);
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory starting libpng", name);
        return NULL;
    }
    png_structp png = pr->png;
    png_infop info = pr->info;
    if (setjmp(png_jmpbuf(png))) {
        cg_fail(err, CG_ERR_FORMAT, "%s: broken PNG file: %s", name, pr->ctx.msg);
        png_rows_close(&pr->base);
        return NULL;
    }
    png_set_read_fn(png, &pr->ctx, read_source);
    png_set_user_limits(png, CG_IMAGE_MAX_SIDE, CG_IMAGE_MAX_SIDE);
    png_read_info(png, info);

    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
    pr->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    if (cg_io_check_size(w, h, name, err) != CG_OK) {
        png_rows_close(&pr->base);
        return NULL;
    }
    if (type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    if (depth == 16)
        png_set_swap(png);
#endif
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    pr->samples = png_get_channels(png, info);
    pr->bits = png_get_bit_depth(png, info);
    pr->rowbytes = png_get_rowbytes(png, info);
    /* Interlaced images need every row kept across the passes: they are
     * decoded whole here, in their packed samples. */
    pr->buf = malloc(pr->interlaced ? pr->rowbytes * h : pr->rowbytes);
    if (!pr->buf) {
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory decoding the PNG", name);
        png_rows_close(&pr->base);
        return NULL;
    }
    for (int pass = 0; pr->interlaced && pass < passes; pass++)
        for (png_uint_32 y = 0; y < h; y++)
            png_read_row(png, pr->buf + pr->rowbytes * y, NULL);
    pr->base = (cg_io_rows){.width = (int)w, .height = (int)h, .channels = pr->samples,
                            .format = pr->bits == 16 ? CG_SAMPLE_U16 : CG_SAMPLE_U8, .frames = 1,
                            .read = png_rows_read, .close = png_rows_close};
    return &pr->base;
}

typedef struct png_writer {
    cg_io_row_writer base;
    png_ctx ctx;
    png_structp png;
    png_infop info;
    uint8_t *row;
} png_writer;

static void png_writer_free(cg_io_row_writer *w)
{
    png_writer *pw = (png_writer *)w;
    png_destroy_write_struct(&pw->png, &pw->info);
    free(pw->row);
    g_free(pw);
}

static cg_status png_writer_write(cg_io_row_writer *w, const float *rgba, int n, cg_error *err)
{
    png_writer *pw = (png_writer *)w;
    if (setjmp(png_jmpbuf(pw->png)))
        return cg_fail(err, CG_ERR_IO, "%s: writing the PNG failed: %s", w->name, pw->ctx.msg);
    for (int i = 0; i < n; i++) {
        cg_status st = cg_io_pack_row(rgba + (size_t)4 * w->width * i, w->width, w->next + i, w->spec.channels,
                                      w->spec.bits, pw->row, w->name, err);
        if (st != CG_OK)
            return st;
        png_write_row(pw->png, pw->row);
    }
    return CG_OK;
}

static cg_status png_writer_finish(cg_io_row_writer *w, cg_error *err)
{
    png_writer *pw = (png_writer *)w;
    if (setjmp(png_jmpbuf(pw->png)))
        return cg_fail(err, CG_ERR_IO, "%s: writing the PNG failed: %s", w->name, pw->ctx.msg);
    png_write_end(pw->png, pw->info);
    return CG_OK;
}

cg_io_row_writer *cg_io_png_writer(int fd, int width, int height, const cg_io_save_spec *spec, const char *name,
                                   cg_error *err)
{
    static const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                PNG_COLOR_TYPE_RGB_ALPHA};
    png_writer *pw = g_try_new0(png_writer, 1);
    if (!pw) {
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    pw->base = (cg_io_row_writer){.width = width, .height = height, .spec = *spec, .name = name,
                                  .write = png_writer_write, .finish = png_writer_finish, .free = png_writer_free};
    pw->ctx.fd = fd;
    pw->row = malloc((size_t)width * (size_t)spec->channels * (size_t)(spec->bits / 8));
    pw->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &pw->ctx, on_error, on_warning);
    pw->info = pw->png ? png_create_info_struct(pw->png) : NULL;
    if (!pw->row || !pw->info) {
        png_writer_free(&pw->base);
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    if (setjmp(png_jmpbuf(pw->png))) {
        cg_fail(err, CG_ERR_IO, "%s: writing the PNG failed: %s", name, pw->ctx.msg);
        png_writer_free(&pw->base);
        return NULL;
    }
    png_set_write_fn(pw->png, &pw->ctx, write_fd, flush_nothing);
    png_set_IHDR(pw->png, pw->info, (png_uint_32)width, (png_uint_32)height, spec->bits, types[spec->channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(pw->png, pw->info);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    if (spec->bits == 16)
        png_set_swap(pw->png);
#endif
    return &pw->base;
}
