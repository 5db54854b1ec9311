/* comicgan — JPEG through libjpeg(-turbo). Fatal errors and the warnings
 * that mean the data is damaged both longjmp back to the function that owns
 * the codec; nothing is printed. */
#include "io/image_formats.h"
#include "io/pixels.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <jerror.h>
#include <jpeglib.h>

/* A progressive JPEG may hold any number of scans, each re-decoding the whole
 * image; real encoders write about ten. */
#define MAX_SCANS 500

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first, so the codec's err pointer is ours */
    struct jpeg_progress_mgr progress;
    jmp_buf jmp;
    char msg[JMSG_LENGTH_MAX];
} jpeg_ctx;

static void on_error(j_common_ptr c)
{
    jpeg_ctx *ctx = (jpeg_ctx *)c->err;
    c->err->format_message(c, ctx->msg);
    longjmp(ctx->jmp, 1);
}

static void on_message(j_common_ptr c, int level)
{
    /* Truncated or damaged entropy data only raises warnings, and libjpeg
     * then fills the rest with gray; we would rather refuse the file. */
    if (level == -1) {
        switch (c->err->msg_code) {
        case JWRN_JPEG_EOF: case JWRN_HIT_MARKER: case JWRN_HUFF_BAD_CODE:
        case JWRN_MUST_RESYNC: case JWRN_NOT_SEQUENTIAL:
        case JWRN_BOGUS_PROGRESSION:
            on_error(c);
        }
    }
}

static void on_output(j_common_ptr c)
{
    (void)c;
}

static void on_progress(j_common_ptr c)
{
    jpeg_ctx *ctx = (jpeg_ctx *)c->err;
    if (c->is_decompressor && ((j_decompress_ptr)c)->input_scan_number > MAX_SCANS) {
        g_snprintf(ctx->msg, sizeof ctx->msg, "more than %d progressive scans", MAX_SCANS);
        longjmp(ctx->jmp, 1);
    }
}

static void set_handlers(jpeg_ctx *ctx)
{
    jpeg_std_error(&ctx->pub);
    ctx->pub.error_exit = on_error;
    ctx->pub.emit_message = on_message;
    ctx->pub.output_message = on_output;
}

cg_image *cg_io_jpeg_load(const uint8_t *data, size_t size, const char *name, cg_error *err)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx ctx;
    cg_image *volatile img = NULL;
    JSAMPLE *volatile row = NULL;
    cinfo.err = &ctx.pub;
    set_handlers(&ctx);
    if (setjmp(ctx.jmp)) {
        cg_fail(err, CG_ERR_FORMAT, "%s: broken JPEG file: %s", name, ctx.msg);
        free(row);
        cg_image_free(img);
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    jpeg_create_decompress(&cinfo);
    ctx.progress.progress_monitor = on_progress;
    cinfo.progress = &ctx.progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int channels = cinfo.jpeg_color_space == JCS_GRAYSCALE ? 1 : 3;
    cinfo.out_color_space = cmyk ? JCS_CMYK : channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    img = cg_io_image_alloc(cinfo.image_width, cinfo.image_height, name, err);
    if (!img) {
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    jpeg_start_decompress(&cinfo);
    row = malloc((size_t)cinfo.output_width * (size_t)cinfo.output_components);
    if (!row) {
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory decoding the JPEG", name);
        cg_image_free(img);
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        int y = (int)cinfo.output_scanline;
        JSAMPROW rows[1] = {row};
        jpeg_read_scanlines(&cinfo, rows, 1);
        float *dst = cg_image_at(img, 0, y);
        if (!cmyk) {
            cg_io_put_samples(dst, row, cinfo.output_width, channels, channels, 8);
            continue;
        }
        /* Naive CMYK without a profile. Adobe's writers store the inks
         * inverted (255 = no ink), and they wrote nearly all CMYK JPEGs. */
        for (JDIMENSION x = 0; x < cinfo.output_width; x++, dst += 4) {
            const JSAMPLE *s = row + 4 * x;
            for (int c = 0; c < 3; c++) {
                float ink = s[c] / 255.0f, k = s[3] / 255.0f;
                dst[c] = cinfo.saw_Adobe_marker ? ink * k : (1.0f - ink) * (1.0f - k);
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    cg_io_finish_layout(img, channels);
    img->source_format = CG_SAMPLE_U8;
    return img;
}

cg_status cg_io_jpeg_save(const cg_image *img, int fd, const cg_io_save_spec *spec,
                          const char *name, cg_error *err)
{
    struct jpeg_compress_struct cinfo;
    jpeg_ctx ctx;
    volatile cg_status st = CG_OK;
    JSAMPLE *row = malloc((size_t)img->width * (size_t)spec->channels);
    int fd2 = dup(fd);
    FILE *f = fd2 >= 0 ? fdopen(fd2, "wb") : NULL;
    int saved_errno = errno;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = &ctx.pub;
    set_handlers(&ctx);
    if (setjmp(ctx.jmp)) {
        st = cg_fail(err, CG_ERR_IO, "%s: writing the JPEG failed: %s", name, ctx.msg);
        goto out;
    }
    jpeg_create_compress(&cinfo);
    if (!row || !f) {
        st = !f ? cg_fail(err, CG_ERR_IO, "%s: %s", name, g_strerror(saved_errno))
                : cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        goto out;
    }
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = (JDIMENSION)img->width;
    cinfo.image_height = (JDIMENSION)img->height;
    cinfo.input_components = spec->channels;
    cinfo.in_color_space = spec->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, spec->quality, TRUE);
    cinfo.optimize_coding = TRUE;
    /* Halved chroma smears thin coloured lines, which comics are made of. */
    if (spec->quality >= 90) {
        cinfo.comp_info[0].h_samp_factor = 1;
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    for (int y = 0; y < img->height; y++) {
        st = cg_io_pack_row(img, y, spec->channels, 8, row, name, err);
        if (st != CG_OK)
            goto out;
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);

out:
    jpeg_destroy_compress(&cinfo);
    if (f && fclose(f) != 0 && st == CG_OK)
        st = cg_fail(err, CG_ERR_IO, "%s: write failed: %s", name, g_strerror(errno));
    else if (!f && fd2 >= 0)
        close(fd2);
    free(row);
    return st;
}
