/* comicgan — TIFF through libtiff (>= 4.5 for per-handle error handlers, so
 * nothing is printed and concurrent loads do not share state). Gray and RGB
 * with 8/16-bit unsigned or 32-bit float samples, with or without alpha, are
 * read natively at full precision; other kinds (palette, 1-bit, CMYK,
 * YCbCr...) go through libtiff's 8-bit RGBA reader. */
#include "io/image_formats.h"
#include "io/image_rows.h"
#include "io/pixels.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <tiffio.h>

/* libtiff's own buffers (strips, tiles) are refused above this. */
#define MAX_LIBTIFF_ALLOC ((tmsize_t)1 << 30)

typedef struct tiff_ctx {
    const char *name;
    const uint8_t *data;
    size_t size;
    toff_t pos;
    char msg[256];
} tiff_ctx;

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    tiff_ctx *ctx = user;
    (void)tif;
    (void)module;
    if (ctx->msg[0]) /* the first message says the most */
        return 1;
    g_vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
    /* Ours already name the file; some of libtiff's do too. */
    size_t n = strlen(ctx->name);
    if (strncmp(ctx->msg, ctx->name, n) == 0 && ctx->msg[n] == ':' && ctx->msg[n + 1] == ' ')
        memmove(ctx->msg, ctx->msg + n + 2, strlen(ctx->msg + n + 2) + 1);
    return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
    return 1;
}

static TIFFOpenOptions *open_options(tiff_ctx *ctx)
{
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (o) {
        TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, ctx);
        TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, ctx);
        TIFFOpenOptionsSetMaxSingleMemAlloc(o, MAX_LIBTIFF_ALLOC);
    }
    return o;
}

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n)
{
    tiff_ctx *ctx = h;
    size_t left = ctx->pos < ctx->size ? ctx->size - (size_t)ctx->pos : 0;
    size_t k = (size_t)n < left ? (size_t)n : left;
    if (k > 0)
        memcpy(buf, ctx->data + ctx->pos, k);
    ctx->pos += k;
    return (tmsize_t)k;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t n)
{
    (void)h, (void)buf, (void)n;
    return -1;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    tiff_ctx *ctx = h;
    toff_t base = whence == SEEK_CUR ? ctx->pos : whence == SEEK_END ? ctx->size : 0;
    ctx->pos = base + off;
    return ctx->pos;
}

static int mem_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t mem_size(thandle_t h)
{
    return ((tiff_ctx *)h)->size;
}

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    (void)h, (void)base, (void)size;
    return 0;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h, (void)base, (void)size;
}

/* Reads a gray or RGB image of 8/16-bit unsigned or float samples. */
static cg_status read_native(TIFF *tif, cg_image *img, int channels, int spp, int bits,
                             tiff_ctx *ctx, const char *name, cg_error *err)
{
    uint16_t planar = PLANARCONFIG_CONTIG;
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    bool separate = planar == PLANARCONFIG_SEPARATE;
    int stride = separate ? 1 : spp, nchan = separate ? 1 : channels;
    int planes = separate ? channels : 1;
    size_t bytes = (size_t)bits / 8, w = (size_t)img->width, h = (size_t)img->height;
    uint32_t tw = (uint32_t)w, th = 1;
    bool tiled = TIFFIsTiled(tif);
    if (tiled) {
        TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
        if (tw < 1 || th < 1 || tw > CG_IMAGE_MAX_SIDE || th > CG_IMAGE_MAX_SIDE)
            return cg_fail(err, CG_ERR_FORMAT, "%s: broken TIFF file: tile size %ux%u", name,
                           (unsigned)tw, (unsigned)th);
    }
    uint64_t need = (uint64_t)tw * th * (uint64_t)stride * bytes;
    uint64_t have = tiled ? TIFFTileSize64(tif) : TIFFScanlineSize64(tif);
    if (have < need || have > (uint64_t)MAX_LIBTIFF_ALLOC)
        return cg_fail(err, CG_ERR_FORMAT, "%s: broken TIFF file: inconsistent sizes", name);
    uint8_t *buf = malloc((size_t)have);
    if (!buf)
        return cg_fail(err, CG_ERR_NOMEM, "%s: out of memory decoding the TIFF", name);

    cg_status st = CG_OK;
    for (int s = 0; s < planes && st == CG_OK; s++) {
        for (size_t y0 = 0; y0 < h && st == CG_OK; y0 += th) {
            for (size_t x0 = 0; x0 < w; x0 += tw) {
                tmsize_t n = tiled ? TIFFReadTile(tif, buf, (uint32_t)x0, (uint32_t)y0, 0, (uint16_t)s)
                                   : TIFFReadScanline(tif, buf, (uint32_t)y0, (uint16_t)s);
                if (n < 0) {
                    st = cg_fail(err, CG_ERR_FORMAT, "%s: broken TIFF file: %s", name,
                                 ctx->msg[0] ? ctx->msg : "unreadable data");
                    break;
                }
                for (size_t r = 0; r < th && y0 + r < h; r++)
                    cg_io_put_samples(cg_image_at(img, (int)x0, (int)(y0 + r)) + s,
                                      buf + r * tw * (size_t)stride * bytes,
                                      w - x0 < tw ? w - x0 : tw, stride, nchan, bits);
            }
        }
    }
    free(buf);
    return st;
}

/* Everything else libtiff can turn into 8-bit RGBA. */
static cg_status read_rgba(TIFF *tif, cg_image *img, tiff_ctx *ctx, const char *name,
                           cg_error *err)
{
    size_t n = (size_t)img->width * (size_t)img->height;
    uint32_t *raster = malloc(n * sizeof *raster);
    if (!raster)
        return cg_fail(err, CG_ERR_NOMEM, "%s: out of memory decoding the TIFF", name);
    if (TIFFReadRGBAImageOriented(tif, (uint32_t)img->width, (uint32_t)img->height, raster,
                                  ORIENTATION_TOPLEFT, 1) != 1) {
        free(raster);
        return cg_fail(err, CG_ERR_FORMAT, "%s: broken TIFF file: %s", name,
                       ctx->msg[0] ? ctx->msg : "unreadable data");
    }
    for (size_t i = 0; i < n; i++) {
        float *p = img->pixels + 4 * i;
        p[0] = TIFFGetR(raster[i]) / 255.0f;
        p[1] = TIFFGetG(raster[i]) / 255.0f;
        p[2] = TIFFGetB(raster[i]) / 255.0f;
        p[3] = TIFFGetA(raster[i]) / 255.0f;
    }
    free(raster);
    return CG_OK;
}

/* In an integer file a colour above its alpha is not premultiplied data: it
 * is kept at 1, so the values stay in [0, 1]. Float files may hold any value. */
static void unpremultiply(cg_image *img)
{
    bool clamp = img->source_format != CG_SAMPLE_F32;
    size_t n = (size_t)img->width * (size_t)img->height;
    for (float *p = img->pixels; n--; p += 4)
        if (p[3] > 0.0f)
            for (int c = 0; c < 3; c++)
                p[c] = clamp && p[c] >= p[3] ? 1.0f : p[c] / p[3];
}

cg_image *cg_io_tiff_load(const uint8_t *data, size_t size, const char *name, cg_error *err)
{
    tiff_ctx ctx = {.name = name, .data = data, .size = size};
    TIFFOpenOptions *opts = open_options(&ctx);
    TIFF *tif = opts ? TIFFClientOpenExt(name, "rm", &ctx, mem_read, mem_write, mem_seek,
                                         mem_close, mem_size, mem_map, mem_unmap, opts)
                     : NULL;
    bool no_memory = !opts;
    TIFFOpenOptionsFree(opts);
    if (!tif) {
        cg_fail(err, no_memory ? CG_ERR_NOMEM : CG_ERR_FORMAT, "%s: broken TIFF file: %s", name,
                ctx.msg[0] ? ctx.msg : "cannot read the header");
        return NULL;
    }
    uint32_t w = 0, h = 0;
    uint16_t spp = 1, bits = 1, format = SAMPLEFORMAT_UINT, photometric = 0xffff, nextra = 0;
    uint16_t *extra = NULL;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &nextra, &extra);

    cg_image *img = cg_io_image_alloc(w, h, name, err);
    if (!img) {
        TIFFClose(tif);
        return NULL;
    }
    int color = photometric == PHOTOMETRIC_RGB ? 3 : 1;
    bool gray = photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE;
    bool depth_ok = ((bits == 8 || bits == 16) && format == SAMPLEFORMAT_UINT) ||
                    (bits == 32 && format == SAMPLEFORMAT_IEEEFP);
    /* An unspecified extra sample right after the colour is alpha in practice. */
    bool alpha = nextra > 0 && spp > color;
    bool assoc = alpha && extra[0] == EXTRASAMPLE_ASSOCALPHA;
    int channels = color + (alpha ? 1 : 0);
    char why[1024] = "";
    cg_status st;
    if ((gray || photometric == PHOTOMETRIC_RGB) && depth_ok && spp >= color) {
        st = read_native(tif, img, channels, spp, bits, &ctx, name, err);
        if (st == CG_OK) {
            cg_io_finish_layout(img, channels);
            img->source_format = bits == 32 ? CG_SAMPLE_F32 : bits == 16 ? CG_SAMPLE_U16 : CG_SAMPLE_U8;
            if (bits == 32)
                st = cg_io_check_finite(img, name, err);
        }
        if (st == CG_OK && photometric == PHOTOMETRIC_MINISWHITE) {
            size_t n = (size_t)img->width * (size_t)img->height;
            for (float *p = img->pixels; n--; p += 4)
                p[0] = p[1] = p[2] = 1.0f - p[0];
        }
    } else if (TIFFRGBAImageOK(tif, why)) {
        st = read_rgba(tif, img, &ctx, name, err);
        /* libtiff's RGBA reader hands out premultiplied alpha. */
        assoc = st == CG_OK && alpha;
        img->source_channels = (gray ? 1 : 3) + (alpha ? 1 : 0);
        img->source_format = CG_SAMPLE_U8;
    } else {
        st = cg_fail(err, CG_ERR_UNSUPPORTED,
                     "%s: unsupported TIFF (photometric %d, %d samples of %d bits, format %d): %s",
                     name, photometric, spp, bits, format, why);
    }
    if (st == CG_OK && assoc)
        unpremultiply(img);
    if (st == CG_OK) {
        tdir_t pages = TIFFNumberOfDirectories(tif);
        img->source_frames = pages > 1 ? (pages < INT32_MAX ? (int)pages : INT32_MAX) : 1;
    }
    TIFFClose(tif);
    if (st != CG_OK) {
        cg_image_free(img);
        return NULL;
    }
    return img;
}

typedef struct tiff_writer {
    cg_io_row_writer base;
    tiff_ctx ctx;
    TIFF *tif;
    uint8_t *row;
} tiff_writer;

static void tiff_writer_free(cg_io_row_writer *w)
{
    tiff_writer *tw = (tiff_writer *)w;
    if (tw->tif)
        TIFFClose(tw->tif); /* closes its copy of the descriptor */
    free(tw->row);
    g_free(tw);
}

static cg_status tiff_write_failed(tiff_writer *tw, cg_error *err)
{
    return cg_fail(err, CG_ERR_IO, "%s: writing the TIFF failed: %s", tw->base.name,
                   tw->ctx.msg[0] ? tw->ctx.msg : "write error");
}

static cg_status tiff_writer_write(cg_io_row_writer *w, const float *rgba, int n, cg_error *err)
{
    tiff_writer *tw = (tiff_writer *)w;
    for (int i = 0; i < n; i++) {
        int y = w->next + i;
        cg_status st = cg_io_pack_row(rgba + (size_t)4 * w->width * i, w->width, y, w->spec.channels, w->spec.bits,
                                      tw->row, w->name, err);
        if (st != CG_OK)
            return st;
        if (TIFFWriteScanline(tw->tif, tw->row, (uint32_t)y, 0) < 0)
            return tiff_write_failed(tw, err);
    }
    return CG_OK;
}

static cg_status tiff_writer_finish(cg_io_row_writer *w, cg_error *err)
{
    tiff_writer *tw = (tiff_writer *)w;
    return TIFFFlush(tw->tif) ? CG_OK : tiff_write_failed(tw, err);
}

cg_io_row_writer *cg_io_tiff_writer(int fd, int width, int height, const cg_io_save_spec *spec, const char *name,
                                    cg_error *err)
{
    tiff_writer *tw = g_try_new0(tiff_writer, 1);
    if (!tw) {
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    tw->base = (cg_io_row_writer){.width = width, .height = height, .spec = *spec, .name = name,
                                  .write = tiff_writer_write, .finish = tiff_writer_finish, .free = tiff_writer_free};
    tw->ctx.name = name;
    size_t rowbytes = (size_t)width * (size_t)spec->channels * (size_t)(spec->bits / 8);
    /* Classic TIFF offsets are 32-bit; BigTIFF only when it may not fit. */
    bool big = rowbytes * (size_t)height > ((size_t)1 << 32) - ((size_t)1 << 28);
    TIFFOpenOptions *opts = open_options(&tw->ctx);
    tw->row = malloc(rowbytes);
    int fd2 = opts && tw->row ? dup(fd) : -1;
    tw->tif = fd2 >= 0 ? TIFFFdOpenExt(fd2, name, big ? "w8" : "w", opts) : NULL;
    bool no_memory = !opts || !tw->row;
    TIFFOpenOptionsFree(opts);
    if (!tw->tif) {
        if (fd2 >= 0)
            close(fd2);
        if (no_memory)
            cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        else
            cg_fail(err, CG_ERR_IO, "%s: cannot start the TIFF: %s", name,
                    tw->ctx.msg[0] ? tw->ctx.msg : g_strerror(errno));
        tiff_writer_free(&tw->base);
        return NULL;
    }
    TIFF *tif = tw->tif;
    bool alpha = spec->channels == 2 || spec->channels == 4;
    uint16_t compression = TIFFIsCODECConfigured(COMPRESSION_ADOBE_DEFLATE) ? COMPRESSION_ADOBE_DEFLATE
                                                                           : COMPRESSION_NONE;
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)height);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)spec->channels);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)spec->bits);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, spec->bits == 32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, spec->channels <= 2 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, compression);
    if (compression != COMPRESSION_NONE)
        TIFFSetField(tif, TIFFTAG_PREDICTOR, spec->bits == 32 ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL);
    if (alpha) {
        uint16_t kind = EXTRASAMPLE_UNASSALPHA;
        TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &kind);
    }
    /* Strips of about 256 KiB: large enough for deflate to do well. */
    size_t rps = rowbytes < 262144 ? 262144 / rowbytes : 1;
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)(rps < (size_t)height ? rps : (size_t)height));
    return &tw->base;
}
