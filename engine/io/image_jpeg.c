/* comicgan — JPEG through libjpeg(-turbo). Fatal errors and the warnings
 * that mean the data is damaged both longjmp back to the function that owns
 * the codec; nothing is printed. */
#include "io/image_formats.h"
#include "io/image_rows.h"
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

/* libjpeg's source manager over a cg_io_source. */
#define JPEG_CHUNK 65536

typedef struct jpeg_source {
    struct jpeg_source_mgr pub;
    cg_io_source *src;
    JOCTET buf[JPEG_CHUNK];
} jpeg_source;

static const JOCTET fake_eoi[2] = {0xFF, JPEG_EOI};

static void source_init(j_decompress_ptr c)
{
    (void)c;
}

static boolean source_fill(j_decompress_ptr c)
{
    jpeg_source *s = (jpeg_source *)c->src;
    ssize_t k = cg_io_source_read(s->src, s->buf, sizeof s->buf);
    if (k <= 0) {
        /* As libjpeg's own sources do: a warning (which we turn into an
         * error, see on_message), then an end marker. */
        WARNMS(c, JWRN_JPEG_EOF);
        s->pub.next_input_byte = fake_eoi;
        s->pub.bytes_in_buffer = 2;
        return TRUE;
    }
    s->pub.next_input_byte = s->buf;
    s->pub.bytes_in_buffer = (size_t)k;
    return TRUE;
}

static void source_skip(j_decompress_ptr c, long n)
{
    while (n > 0) {
        if ((long)c->src->bytes_in_buffer >= n) {
            c->src->next_input_byte += n;
            c->src->bytes_in_buffer -= (size_t)n;
            return;
        }
        n -= (long)c->src->bytes_in_buffer;
        c->src->bytes_in_buffer = 0;
        source_fill(c);
    }
}

static void source_term(j_decompress_ptr c)
{
    (void)c;
}

typedef struct jpeg_rows {
    cg_io_rows base;
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx ctx;
    jpeg_source source;
    const char *name;
    JSAMPLE *row;
    bool cmyk, started;
} jpeg_rows;

static void jpeg_rows_close(cg_io_rows *r)
{
    jpeg_rows *jr = (jpeg_rows *)r;
    jpeg_destroy_decompress(&jr->cinfo);
    free(jr->row);
    g_free(jr);
}

static cg_status jpeg_rows_read(cg_io_rows *r, float *dst, int n, cg_error *err)
{
    jpeg_rows *jr = (jpeg_rows *)r;
    struct jpeg_decompress_struct *cinfo = &jr->cinfo;
    if (setjmp(jr->ctx.jmp))
        return cg_fail(err, CG_ERR_FORMAT, "%s: broken JPEG file: %s", jr->name, jr->ctx.msg);
    for (int i = 0; i < n; i++) {
        JSAMPROW rows[1] = {jr->row};
        jpeg_read_scanlines(cinfo, rows, 1);
        float *out = dst + (size_t)4 * r->width * i;
        if (!jr->cmyk) {
            cg_io_put_samples(out, jr->row, cinfo->output_width, r->channels, r->channels, 8);
            continue;
        }
        /* Naive CMYK without a profile. Adobe's writers store the inks
         * inverted (255 = no ink), and they wrote nearly all CMYK JPEGs. */
        for (JDIMENSION x = 0; x < cinfo->output_width; x++, out += 4) {
            const JSAMPLE *s = jr->row + 4 * x;
            for (int c = 0; c < 3; c++) {
                float ink = s[c] / 255.0f, k = s[3] / 255.0f;
                out[c] = cinfo->saw_Adobe_marker ? ink * k : (1.0f - ink) * (1.0f - k);
            }
        }
    }
    cg_io_finish_pixels(dst, (size_t)r->width * n, r->channels);
    if (r->next + n == r->height)
        jpeg_finish_decompress(cinfo);
    return CG_OK;
}

cg_io_rows *cg_io_jpeg_rows(cg_io_source *src, cg_error *err)
{
    jpeg_rows *jr = g_try_new0(jpeg_rows, 1);
    if (!jr) {
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory starting libjpeg", src->name);
        return NULL;
    }
    jr->name = src->name;
    struct jpeg_decompress_struct *cinfo = &jr->cinfo;
    cinfo->err = &jr->ctx.pub;
    set_handlers(&jr->ctx);
    jpeg_create_decompress(cinfo);
    if (setjmp(jr->ctx.jmp)) {
        cg_fail(err, CG_ERR_FORMAT, "%s: broken JPEG file: %s", jr->name, jr->ctx.msg);
        jpeg_rows_close(&jr->base);
        return NULL;
    }
    jr->ctx.progress.progress_monitor = on_progress;
    cinfo->progress = &jr->ctx.progress;
    jr->source = (jpeg_source){.pub = {.init_source = source_init, .fill_input_buffer = source_fill,
                                       .skip_input_data = source_skip, .resync_to_restart = jpeg_resync_to_restart,
                                       .term_source = source_term},
                               .src = src};
    cinfo->src = &jr->source.pub;
    jpeg_read_header(cinfo, TRUE);

    jr->cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
    int channels = cinfo->jpeg_color_space == JCS_GRAYSCALE ? 1 : 3;
    cinfo->out_color_space = jr->cmyk ? JCS_CMYK : channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    if (cg_io_check_size(cinfo->image_width, cinfo->image_height, jr->name, err) != CG_OK) {
        jpeg_rows_close(&jr->base);
        return NULL;
    }
    jpeg_start_decompress(cinfo);
    jr->row = malloc((size_t)cinfo->output_width * (size_t)cinfo->output_components);
    if (!jr->row) {
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory decoding the JPEG", jr->name);
        jpeg_rows_close(&jr->base);
        return NULL;
    }
    jr->base = (cg_io_rows){.width = (int)cinfo->output_width, .height = (int)cinfo->output_height,
                            .channels = channels, .format = CG_SAMPLE_U8, .frames = 1, .read = jpeg_rows_read,
                            .close = jpeg_rows_close};
    return &jr->base;
}

typedef struct jpeg_writer {
    cg_io_row_writer base;
    struct jpeg_compress_struct cinfo;
    jpeg_ctx ctx;
    FILE *f;
    JSAMPLE *row;
} jpeg_writer;

static void jpeg_writer_free(cg_io_row_writer *w)
{
    jpeg_writer *jw = (jpeg_writer *)w;
    jpeg_destroy_compress(&jw->cinfo);
    if (jw->f)
        fclose(jw->f);
    free(jw->row);
    g_free(jw);
}

static cg_status jpeg_writer_write(cg_io_row_writer *w, const float *rgba, int n, cg_error *err)
{
    jpeg_writer *jw = (jpeg_writer *)w;
    if (setjmp(jw->ctx.jmp))
        return cg_fail(err, CG_ERR_IO, "%s: writing the JPEG failed: %s", w->name, jw->ctx.msg);
    for (int i = 0; i < n; i++) {
        cg_status st = cg_io_pack_row(rgba + (size_t)4 * w->width * i, w->width, w->next + i, w->spec.channels, 8,
                                      jw->row, w->name, err);
        if (st != CG_OK)
            return st;
        JSAMPROW rows[1] = {jw->row};
        jpeg_write_scanlines(&jw->cinfo, rows, 1);
    }
    return CG_OK;
}

static cg_status jpeg_writer_finish(cg_io_row_writer *w, cg_error *err)
{
    jpeg_writer *jw = (jpeg_writer *)w;
    if (setjmp(jw->ctx.jmp))
        return cg_fail(err, CG_ERR_IO, "%s: writing the JPEG failed: %s", w->name, jw->ctx.msg);
    jpeg_finish_compress(&jw->cinfo);
    FILE *f = jw->f;
    jw->f = NULL;
    if (fclose(f) != 0)
        return cg_fail(err, CG_ERR_IO, "%s: write failed: %s", w->name, g_strerror(errno));
    return CG_OK;
}

cg_io_row_writer *cg_io_jpeg_writer(int fd, int width, int height, const cg_io_save_spec *spec, const char *name,
                                    cg_error *err)
{
    jpeg_writer *jw = g_try_new0(jpeg_writer, 1);
    if (!jw) {
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    jw->base = (cg_io_row_writer){.width = width, .height = height, .spec = *spec, .name = name,
                                  .write = jpeg_writer_write, .finish = jpeg_writer_finish, .free = jpeg_writer_free};
    struct jpeg_compress_struct *cinfo = &jw->cinfo;
    cinfo->err = &jw->ctx.pub;
    set_handlers(&jw->ctx);
    jpeg_create_compress(cinfo);
    jw->row = malloc((size_t)width * (size_t)spec->channels);
    int fd2 = dup(fd);
    jw->f = fd2 >= 0 ? fdopen(fd2, "wb") : NULL;
    if (!jw->f || !jw->row) {
        if (!jw->f)
            cg_fail(err, CG_ERR_IO, "%s: %s", name, g_strerror(errno));
        else
            cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        if (!jw->f && fd2 >= 0)
            close(fd2);
        jpeg_writer_free(&jw->base);
        return NULL;
    }
    if (setjmp(jw->ctx.jmp)) {
        cg_fail(err, CG_ERR_IO, "%s: writing the JPEG failed: %s", name, jw->ctx.msg);
        jpeg_writer_free(&jw->base);
        return NULL;
    }
    jpeg_stdio_dest(cinfo, jw->f);
    cinfo->image_width = (JDIMENSION)width;
    cinfo->image_height = (JDIMENSION)height;
    cinfo->input_components = spec->channels;
    cinfo->in_color_space = spec->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, spec->quality, TRUE);
    cinfo->optimize_coding = TRUE;
    /* Halved chroma smears thin coloured lines, which comics are made of. */
    if (spec->quality >= 90) {
        cinfo->comp_info[0].h_samp_factor = 1;
        cinfo->comp_info[0].v_samp_factor = 1;
    }
    jpeg_start_compress(cinfo, TRUE);
    return &jw->base;
}
