/* comicgan — PNG through libpng. libpng reports errors by calling our
 * handler, which must not return: it records the message and longjmps back
 * to the setjmp in the function that owns the png_struct. */
#include "io/image_formats.h"
#include "io/pixels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <png.h>

typedef struct png_ctx {
    const uint8_t *data;
    size_t size, pos;
    int fd;
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

static void read_memory(png_structp png, png_bytep out, size_t n)
{
    png_ctx *ctx = png_get_io_ptr(png);
    if (ctx->size - ctx->pos < n)
        png_error(png, "the file ends too early (truncated?)");
    memcpy(out, ctx->data + ctx->pos, n);
    ctx->pos += n;
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

cg_image *cg_io_png_load(const uint8_t *data, size_t size, const char *name, cg_error *err)
{
    /* IHDR must come first. Checking its size here refuses a bomb even when
     * nothing follows it, before libpng reads (and allocates) anything. */
    if (size >= 24 && memcmp(data + 12, "IHDR", 4) == 0 &&
        cg_io_check_size(be32(data + 16), be32(data + 20), name, err) != CG_OK)
        return NULL;
    png_ctx ctx = {.data = data, .size = size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    cg_image *volatile img = NULL;
    uint8_t *volatile buf = NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory starting libpng", name);
        return NULL;
    }
    if (setjmp(png_jmpbuf(png))) {
        cg_fail(err, CG_ERR_FORMAT, "%s: broken PNG file: %s", name, ctx.msg);
        goto fail;
    }
    png_set_read_fn(png, &ctx, read_memory);
    png_set_user_limits(png, CG_IMAGE_MAX_SIDE, CG_IMAGE_MAX_SIDE);
    png_read_info(png, info);

    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
    bool interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    img = cg_io_image_alloc(w, h, name, err);
    if (!img)
        goto fail;

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
    int channels = png_get_channels(png, info), bits = png_get_bit_depth(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);

    /* Interlaced images need every row kept across the passes. */
    buf = malloc(interlaced ? rowbytes * h : rowbytes);
    if (!buf) {
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory decoding the PNG", name);
        goto fail;
    }
    for (int pass = 0; pass < passes; pass++) {
        for (png_uint_32 y = 0; y < h; y++) {
            uint8_t *row = buf + (interlaced ? rowbytes * y : 0);
            png_read_row(png, row, NULL);
            if (!interlaced)
                cg_io_put_samples(cg_image_at(img, 0, (int)y), row, w, channels, channels, bits);
        }
    }
    if (interlaced)
        for (png_uint_32 y = 0; y < h; y++)
            cg_io_put_samples(cg_image_at(img, 0, (int)y), buf + rowbytes * y, w, channels,
                              channels, bits);
    png_read_end(png, NULL);

    cg_io_finish_layout(img, channels);
    img->source_format = bits == 16 ? CG_SAMPLE_U16 : CG_SAMPLE_U8;
    free(buf);
    png_destroy_read_struct(&png, &info, NULL);
    return img;

fail:
    free(buf);
    cg_image_free(img);
    png_destroy_read_struct(&png, &info, NULL);
    return NULL;
}

cg_status cg_io_png_save(const cg_image *img, int fd, const cg_io_save_spec *spec,
                         const char *name, cg_error *err)
{
    static const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_ctx ctx = {.fd = fd};
    size_t rowbytes = (size_t)img->width * (size_t)spec->channels * (size_t)(spec->bits / 8);
    uint8_t *row = malloc(rowbytes);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    cg_status st = CG_OK;
    if (!row || !info) {
        st = cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        goto out;
    }
    if (setjmp(png_jmpbuf(png))) {
        st = cg_fail(err, CG_ERR_IO, "%s: writing the PNG failed: %s", name, ctx.msg);
        goto out;
    }
    png_set_write_fn(png, &ctx, write_fd, flush_nothing);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, spec->bits,
                 types[spec->channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    if (spec->bits == 16)
        png_set_swap(png);
#endif
    for (int y = 0; y < img->height; y++) {
        st = cg_io_pack_row(img, y, spec->channels, spec->bits, row, name, err);
        if (st != CG_OK)
            goto out;
        png_write_row(png, row);
    }
    png_write_end(png, info);

out:
    png_destroy_write_struct(&png, &info);
    free(row);
    return st;
}
