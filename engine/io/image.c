/* comicgan — loading and saving images: format detection, dispatch to the
 * per-format code (image_png.c, image_jpeg.c, image_webp.c, image_tiff.c,
 * anim_gif.c) and
 * atomic saving. cg_image objects and the helpers the formats share are in
 * pixels.c. */
#include "io/image_formats.h"
#include "io/image_rows.h"
#include "io/pixels.h"
#include "io/atomic_file.h"
#include "io/read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

/* ---- loading ------------------------------------------------------------ */

/* The formats decoded whole: their loaders get all the bytes. */
static cg_io_rows *whole(cg_image *(*load)(const uint8_t *, size_t, const char *, cg_error *), cg_io_source *src,
                         cg_error *err)
{
    if (src->fd < 0 && src->pos == src->head_len && src->head_pos == 0)
        return cg_io_rows_of_image(load(src->data, src->size, src->name, err), err);
    uint8_t *data = NULL;
    size_t size = 0;
    if (cg_io_source_slurp(src, &data, &size, err) != CG_OK)
        return NULL;
    cg_image *img = load(data, size, src->name, err);
    g_free(data);
    return cg_io_rows_of_image(img, err);
}

cg_io_rows *cg_io_rows_open(cg_io_source *src, cg_error *err)
{
    static const struct { const char *magic; size_t len; const char *what; } other[] = {
        {"BM", 2, "a BMP"}, {"8BPS", 4, "a Photoshop"},
        {"\x76\x2f\x31\x01", 4, "an OpenEXR"}, {"qoif", 4, "a QOI"},
        {"\0\0\0\x0cjP  ", 8, "a JPEG 2000"}, {"\0\0\0\x0c" "JXL ", 8, "a JPEG XL"},
        {"\xff\x0a", 2, "a JPEG XL"}, {"gimp xcf", 8, "a GIMP XCF"},
    };
    const char *name = src->name;
    size_t size = 0;
    const uint8_t *d = cg_io_source_peek(src, 12, &size);
    if (!d) {
        cg_fail(err, CG_ERR_IO, "%s: read failed: %s", name, g_strerror(errno));
        return NULL;
    }
    if (size == 0) {
        cg_fail(err, CG_ERR_FORMAT, "%s: empty file, not an image", name);
        return NULL;
    }
    if (size >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return cg_io_png_rows(src, err);
    if (size >= 3 && memcmp(d, "\xff\xd8\xff", 3) == 0)
        return cg_io_jpeg_rows(src, err);
    if (size >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return whole(cg_io_webp_load, src, err);
    if (size >= 4 && memcmp(d, "GIF8", 4) == 0)
        return whole(cg_io_gif_load, src, err);
    if (size >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0 ||
                      memcmp(d, "II+\0", 4) == 0 || memcmp(d, "MM\0+", 4) == 0))
        return whole(cg_io_tiff_load, src, err);
    for (size_t i = 0; i < G_N_ELEMENTS(other); i++) {
        if (size >= other[i].len && memcmp(d, other[i].magic, other[i].len) == 0) {
            cg_fail(err, CG_ERR_UNSUPPORTED,
                    "%s: %s image; comicgan reads PNG, JPEG, GIF, WebP and TIFF", name, other[i].what);
            return NULL;
        }
    }
    cg_fail(err, CG_ERR_FORMAT, "%s: not a PNG, JPEG, GIF, WebP or TIFF image", name);
    return NULL;
}

cg_image *cg_image_load_memory(const void *data, size_t size, const char *name, cg_error *err)
{
    if (!name)
        name = "<memory>";
    if (!data && size > 0) {
        cg_fail(err, CG_ERR_INVALID, "%s: no data", name);
        return NULL;
    }
    cg_io_source src = {.fd = -1, .data = data, .size = size, .name = name};
    return cg_io_rows_to_image(cg_io_rows_open(&src, err), name, err);
}

cg_image *cg_image_load(const char *path, cg_error *err)
{
    if (!path) {
        cg_fail(err, CG_ERR_INVALID, "cg_image_load: no path");
        return NULL;
    }
    int fd = cg_io_open_image_file(path, err);
    if (fd < 0)
        return NULL;
    cg_io_source src = {.fd = fd, .name = path};
    cg_image *img = cg_io_rows_to_image(cg_io_rows_open(&src, err), path, err);
    close(fd);
    return img;
}

/* ---- saving ------------------------------------------------------------- */

typedef enum { FMT_PNG, FMT_JPEG, FMT_WEBP, FMT_TIFF, FMT_GIF } file_format;

static int format_from_path(const char *path)
{
    static const struct { const char *ext; file_format fmt; } ext[] = {
        {".png", FMT_PNG}, {".jpg", FMT_JPEG}, {".jpeg", FMT_JPEG},
        {".webp", FMT_WEBP}, {".tif", FMT_TIFF}, {".tiff", FMT_TIFF}, {".gif", FMT_GIF},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < G_N_ELEMENTS(ext); i++)
            if (g_ascii_strcasecmp(dot, ext[i].ext) == 0)
                return (int)ext[i].fmt;
    return -1;
}

static const char *const format_names[] = {"PNG", "JPEG", "WebP", "TIFF", "GIF"};

/* Encoding a pixel, in units of decoding one. Measured on a 16.8 MP photo
 * (comicgan stylize --strength 0 from a JPEG to each format): about 0.02 us a
 * pixel to decode a PNG or JPEG, about as much to encode a JPEG, twice that
 * for a GIF, and 0.1 us for a PNG, TIFF or WebP (0.35 for a PNG of a noisy
 * picture). */
static const double encode_weights[] = {6, 1, 6, 6, 2};

double cg_io_encode_weight(const char *path)
{
    int fmt = format_from_path(path);
    return fmt < 0 ? 1 : encode_weights[fmt];
}

/* What the format can store. */
static cg_status check_spec(file_format fmt, int width, int height, const cg_io_save_spec *s, const char *path,
                            cg_error *err)
{
    static const int max_side[] = {CG_IMAGE_MAX_SIDE, 65500, 16383, CG_IMAGE_MAX_SIDE, CG_IMAGE_MAX_SIDE};
    if ((s->bits != 8 && s->bits != 16 && s->bits != 32) || s->channels < 1 || s->channels > 4 ||
        s->quality < 1 || s->quality > 100)
        return cg_fail(err, CG_ERR_INVALID, "%s: bad save options (bits %d, channels %d, quality %d)", path,
                       s->bits, s->channels, s->quality);
    if ((fmt == FMT_PNG && s->bits == 32) || ((fmt == FMT_JPEG || fmt == FMT_WEBP || fmt == FMT_GIF) && s->bits != 8))
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: %s cannot store %d-bit samples", path, format_names[fmt],
                       s->bits);
    if (fmt == FMT_JPEG && (s->channels == 2 || s->channels == 4))
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: JPEG cannot store alpha", path);
    if (width > max_side[fmt] || height > max_side[fmt])
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: %dx%d is too large for %s (at most %d per side)", path, width,
                       height, format_names[fmt], max_side[fmt]);
    return CG_OK;
}

cg_status cg_io_resolve_spec(const char *path, int width, int height, cg_sample_format source_format, bool gray,
                             bool alpha, const cg_image_save_options *o, cg_io_save_spec *s, cg_error *err)
{
    const cg_image_save_options none = {0};
    if (!o)
        o = &none;
    int fmt = format_from_path(path);
    if (fmt < 0)
        return cg_fail(err, CG_ERR_UNSUPPORTED,
                       "%s: unknown extension; use .png, .jpg, .jpeg, .webp, .tif, .tiff or .gif", path);
    if ((o->bits != 0 && o->bits != 8 && o->bits != 16 && o->bits != 32) ||
        o->channels < 0 || o->channels > 4 || o->quality < 0 || o->quality > 100)
        return cg_fail(err, CG_ERR_INVALID,
                       "%s: bad save options (bits %d, channels %d, quality %d)", path,
                       o->bits, o->channels, o->quality);

    int src_bits = source_format == CG_SAMPLE_U16 ? 16 : source_format == CG_SAMPLE_F32 ? 32 : 8;
    s->bits = o->bits;
    if (s->bits == 0)
        s->bits = fmt == FMT_TIFF ? src_bits : fmt == FMT_PNG ? (src_bits > 8 ? 16 : 8) : 8;
    s->channels = o->channels;
    if (s->channels == 0)
        s->channels = (gray ? 1 : 3) + (alpha && fmt != FMT_JPEG ? 1 : 0);
    s->quality = o->quality ? o->quality : 90;
    s->lossless = o->lossless;
    return check_spec((file_format)fmt, width, height, s, path, err);
}

/* WebP and GIF are encoded whole: their rows are collected, then saved. */
typedef struct whole_writer {
    cg_io_row_writer base;
    cg_image *img;
    int fd;
    cg_status (*save)(const cg_image *, int, const cg_io_save_spec *, const char *, cg_error *);
} whole_writer;

static cg_status whole_write(cg_io_row_writer *w, const float *rgba, int n, cg_error *err)
{
    (void)err;
    whole_writer *ww = (whole_writer *)w;
    memcpy(cg_image_at(ww->img, 0, w->next), rgba, (size_t)4 * w->width * n * sizeof(float));
    return CG_OK;
}

static cg_status whole_finish(cg_io_row_writer *w, cg_error *err)
{
    whole_writer *ww = (whole_writer *)w;
    return ww->save(ww->img, ww->fd, &w->spec, w->name, err);
}

static void whole_free(cg_io_row_writer *w)
{
    whole_writer *ww = (whole_writer *)w;
    cg_image_free(ww->img);
    g_free(ww);
}

static cg_io_row_writer *whole_writer_new(file_format fmt, int fd, int width, int height, const cg_io_save_spec *spec,
                                          const char *name, cg_error *err)
{
    whole_writer *ww = g_try_new0(whole_writer, 1);
    cg_image *img = ww ? cg_image_new(width, height, err) : NULL;
    if (!img) {
        g_free(ww);
        if (err && err->code == CG_OK)
            cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    ww->img = img;
    ww->fd = fd;
    ww->save = fmt == FMT_WEBP ? cg_io_webp_save : cg_io_gif_save;
    ww->base = (cg_io_row_writer){.width = width, .height = height, .spec = *spec, .name = name,
                                  .write = whole_write, .finish = whole_finish, .free = whole_free};
    return &ww->base;
}

struct cg_io_image_writer {
    cg_atomic_file file;
    char *path;
    cg_io_row_writer *rows;
};

cg_io_image_writer *cg_io_image_writer_open(const char *path, int width, int height, const cg_io_save_spec *spec,
                                            cg_error *err)
{
    if (!path) {
        cg_fail(err, CG_ERR_INVALID, "no path to write to");
        return NULL;
    }
    if (cg_io_check_size(width, height, path, NULL) != CG_OK) {
        cg_fail(err, CG_ERR_INVALID, "%s: not a valid image size (%dx%d)", path, width, height);
        return NULL;
    }
    int fmt = format_from_path(path);
    if (fmt < 0) {
        cg_fail(err, CG_ERR_UNSUPPORTED, "%s: unknown extension; use .png, .jpg, .jpeg, .webp, .tif, .tiff or .gif",
                path);
        return NULL;
    }
    if (check_spec((file_format)fmt, width, height, spec, path, err) != CG_OK)
        return NULL;
    cg_io_image_writer *w = g_try_new0(cg_io_image_writer, 1);
    if (!w || !(w->path = g_strdup(path))) {
        g_free(w);
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    if (cg_atomic_file_begin_keeping_mode(&w->file, path, err) != CG_OK) {
        g_free(w->path);
        g_free(w);
        return NULL;
    }
    int fd = w->file.fd;
    switch ((file_format)fmt) {
    case FMT_PNG: w->rows = cg_io_png_writer(fd, width, height, spec, w->path, err); break;
    case FMT_JPEG: w->rows = cg_io_jpeg_writer(fd, width, height, spec, w->path, err); break;
    case FMT_TIFF: w->rows = cg_io_tiff_writer(fd, width, height, spec, w->path, err); break;
    default: w->rows = whole_writer_new((file_format)fmt, fd, width, height, spec, w->path, err); break;
    }
    if (!w->rows) {
        cg_atomic_file_finish(&w->file, path, err ? err->code : CG_ERR_IO, NULL);
        g_free(w->path);
        g_free(w);
        return NULL;
    }
    return w;
}

cg_status cg_io_image_writer_rows(cg_io_image_writer *w, const float *rgba, int n, cg_error *err)
{
    cg_io_row_writer *r = w->rows;
    if (n < 1 || n > r->height - r->next)
        return cg_fail(err, CG_ERR_INVALID, "%s: %d rows given with %d left", w->path, n, r->height - r->next);
    cg_status st = r->write(r, rgba, n, err);
    if (st == CG_OK)
        r->next += n;
    return st;
}

static void writer_free(cg_io_image_writer *w)
{
    if (w->rows)
        w->rows->free(w->rows);
    g_free(w->path);
    g_free(w);
}

cg_status cg_io_image_writer_finish(cg_io_image_writer *w, cg_error *err)
{
    cg_io_row_writer *r = w->rows;
    cg_status st = r->next < r->height
                       ? cg_fail(err, CG_ERR_INVALID, "%s: %d of %d rows written", w->path, r->next, r->height)
                       : r->finish(r, err);
    /* The format's writer lets go of its copies of the descriptor first. */
    r->free(r);
    w->rows = NULL;
    st = cg_atomic_file_finish(&w->file, w->path, st, err);
    writer_free(w);
    return st;
}

void cg_io_image_writer_abort(cg_io_image_writer *w)
{
    if (!w)
        return;
    w->rows->free(w->rows);
    w->rows = NULL;
    cg_atomic_file_finish(&w->file, w->path, CG_ERR_CANCELLED, NULL);
    writer_free(w);
}

cg_status cg_image_save(const cg_image *img, const char *path, const cg_image_save_options *opts,
                        cg_error *err)
{
    if (!path)
        return cg_fail(err, CG_ERR_INVALID, "cg_image_save: no path");
    if (!img || !img->pixels || cg_io_check_size(img->width, img->height, path, NULL) != CG_OK)
        return cg_fail(err, CG_ERR_INVALID, "%s: not a valid image", path);
    /* Gray when loaded gray and still gray; alpha when the file had it or
     * some pixel is not opaque. */
    bool gray = img->source_channels <= 2 && cg_image_is_gray(img);
    bool alpha = img->source_channels == 2 || img->source_channels == 4 || cg_image_has_alpha(img);
    cg_io_save_spec spec;
    cg_status st = cg_io_resolve_spec(path, img->width, img->height, img->source_format, gray, alpha, opts, &spec, err);
    if (st != CG_OK)
        return st;
    cg_io_image_writer *w = cg_io_image_writer_open(path, img->width, img->height, &spec, err);
    if (!w)
        return err ? err->code : CG_ERR_IO;
    if ((st = cg_io_image_writer_rows(w, img->pixels, img->height, err)) != CG_OK) {
        cg_io_image_writer_abort(w);
        return st;
    }
    return cg_io_image_writer_finish(w, err);
}
