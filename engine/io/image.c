/* comicgan — cg_image in memory, format detection, and atomic saving. The
 * per-format code is in image_png.c, image_jpeg.c, image_webp.c, image_tiff.c. */
#include "io/image_private.h"
#include "io/atomic_file.h"
#include "io/read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

static cg_image *image_alloc(int w, int h, cg_error *err)
{
    size_t n = (size_t)w * (size_t)h; /* sides are checked, cannot overflow */
    cg_image *img = calloc(1, sizeof *img);
    void *p = NULL;
    if (!img || posix_memalign(&p, 64, n * 4 * sizeof(float)) != 0) {
        free(img);
        cg_fail(err, CG_ERR_NOMEM, "out of memory for a %dx%d image", w, h);
        return NULL;
    }
    img->width = w;
    img->height = h;
    img->pixels = p;
    img->source_channels = 4;
    img->source_format = CG_SAMPLE_F32;
    img->source_frames = 1;
    return img;
}

static bool size_ok(long long w, long long h)
{
    return w >= 1 && h >= 1 && w <= CG_IMAGE_MAX_SIDE && h <= CG_IMAGE_MAX_SIDE &&
           (size_t)w * (size_t)h <= CG_IMAGE_MAX_PIXELS;
}

cg_image *cg_image_new(int width, int height, cg_error *err)
{
    if (!size_ok(width, height)) {
        cg_fail(err, CG_ERR_INVALID,
                "image size %dx%d is outside 1..%d per side or above %zu pixels",
                width, height, CG_IMAGE_MAX_SIDE, CG_IMAGE_MAX_PIXELS);
        return NULL;
    }
    cg_image *img = image_alloc(width, height, err);
    if (img)
        memset(img->pixels, 0, (size_t)width * (size_t)height * 4 * sizeof(float));
    return img;
}

cg_status cg_io_check_size(long long w, long long h, const char *name, cg_error *err)
{
    if (w < 1 || h < 1)
        return cg_fail(err, CG_ERR_FORMAT, "%s: image has no pixels (%lldx%lld)", name, w, h);
    if (!size_ok(w, h))
        return cg_fail(err, CG_ERR_UNSUPPORTED,
                       "%s: image is %lldx%lld; the limits are %d pixels per side and %zu in all",
                       name, w, h, CG_IMAGE_MAX_SIDE, CG_IMAGE_MAX_PIXELS);
    return CG_OK;
}

cg_image *cg_io_image_alloc(long long w, long long h, const char *name, cg_error *err)
{
    if (cg_io_check_size(w, h, name, err) != CG_OK)
        return NULL;
    cg_image *img = image_alloc((int)w, (int)h, err);
    if (!img)
        cg_error_prefix(err, "%s", name);
    return img;
}

void cg_image_free(cg_image *img)
{
    if (img) {
        free(img->pixels);
        free(img);
    }
}

cg_image *cg_image_copy(const cg_image *img, cg_error *err)
{
    if (!img || !img->pixels || !size_ok(img->width, img->height)) {
        cg_fail(err, CG_ERR_INVALID, "cg_image_copy: not a valid image");
        return NULL;
    }
    cg_image *c = image_alloc(img->width, img->height, err);
    if (!c)
        return NULL;
    memcpy(c->pixels, img->pixels, (size_t)img->width * (size_t)img->height * 4 * sizeof(float));
    c->source_channels = img->source_channels;
    c->source_format = img->source_format;
    c->source_frames = img->source_frames;
    return c;
}

bool cg_image_is_gray(const cg_image *img)
{
    size_t n = (size_t)img->width * (size_t)img->height;
    for (const float *p = img->pixels; n--; p += 4)
        if (p[0] != p[1] || p[0] != p[2])
            return false;
    return true;
}

bool cg_image_has_alpha(const cg_image *img)
{
    size_t n = (size_t)img->width * (size_t)img->height;
    for (const float *p = img->pixels; n--; p += 4)
        if (!(p[3] >= 1.0f))
            return true;
    return false;
}

/* ---- sample conversion shared by the formats ---------------------------- */

void cg_io_put_samples(float *dst, const void *src, size_t n, int stride, int nchan, int bits)
{
    /* Division rather than multiplication by 1/255 so that saving with
     * lrintf(v * 255) gives back exactly the integer that was read. */
    for (size_t i = 0; i < n; i++, dst += 4) {
        for (int c = 0; c < nchan; c++) {
            size_t k = i * (size_t)stride + (size_t)c;
            if (bits == 8)
                dst[c] = ((const uint8_t *)src)[k] / 255.0f;
            else if (bits == 16)
                dst[c] = ((const uint16_t *)src)[k] / 65535.0f;
            else
                dst[c] = ((const float *)src)[k];
        }
    }
}

void cg_io_finish_layout(cg_image *img, int channels)
{
    size_t n = (size_t)img->width * (size_t)img->height;
    float *p = img->pixels;
    for (size_t i = 0; i < n; i++, p += 4) {
        if (channels <= 2) {
            p[3] = channels == 2 ? p[1] : 1.0f;
            p[1] = p[2] = p[0];
        } else if (channels == 3) {
            p[3] = 1.0f;
        }
    }
    img->source_channels = channels;
}

cg_status cg_io_check_finite(const cg_image *img, const char *name, cg_error *err)
{
    size_t n = (size_t)img->width * (size_t)img->height * 4;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(img->pixels[i])) {
            size_t px = i / 4;
            return cg_fail(err, CG_ERR_NUMERIC, "%s: pixel (%zu, %zu) is %s", name,
                           px % (size_t)img->width, px / (size_t)img->width,
                           isnan(img->pixels[i]) ? "NaN" : "infinite");
        }
    }
    return CG_OK;
}

static float clamp01(float v)
{
    return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

cg_status cg_io_pack_row(const cg_image *img, int y, int channels, int bits, void *dst,
                         const char *name, cg_error *err)
{
    const float *p = cg_image_at(img, 0, y);
    for (int x = 0; x < img->width; x++, p += 4) {
        if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]) || !isfinite(p[3]))
            return cg_fail(err, CG_ERR_NUMERIC, "%s: pixel (%d, %d) is NaN or infinite; not saved",
                           name, x, y);
        float v[4] = {p[0], p[1], p[2], p[3]};
        if (channels <= 2) {
            /* Keeping an exact gray exact matters for float round trips. */
            if (!(p[0] == p[1] && p[0] == p[2]))
                v[0] = 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2];
            v[1] = p[3];
        }
        for (int c = 0; c < channels; c++) {
            size_t k = (size_t)x * (size_t)channels + (size_t)c;
            if (bits == 8)
                ((uint8_t *)dst)[k] = (uint8_t)lrintf(clamp01(v[c]) * 255.0f);
            else if (bits == 16)
                ((uint16_t *)dst)[k] = (uint16_t)lrintf(clamp01(v[c]) * 65535.0f);
            else
                ((float *)dst)[k] = v[c];
        }
    }
    return CG_OK;
}

cg_status cg_io_write_all(int fd, const void *buf, size_t size, const char *name, cg_error *err)
{
    const char *p = buf;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return cg_fail(err, CG_ERR_IO, "%s: write failed: %s", name,
                           n < 0 ? g_strerror(errno) : "no progress");
        p += n;
        size -= (size_t)n;
    }
    return CG_OK;
}

/* ---- loading ------------------------------------------------------------ */

cg_image *cg_image_load_memory(const void *data, size_t size, const char *name, cg_error *err)
{
    static const struct { const char *magic; size_t len; const char *what; } other[] = {
        {"GIF8", 4, "a GIF"}, {"BM", 2, "a BMP"}, {"8BPS", 4, "a Photoshop"},
        {"\x76\x2f\x31\x01", 4, "an OpenEXR"}, {"qoif", 4, "a QOI"},
        {"\0\0\0\x0cjP  ", 8, "a JPEG 2000"}, {"\0\0\0\x0c" "JXL ", 8, "a JPEG XL"},
        {"\xff\x0a", 2, "a JPEG XL"}, {"gimp xcf", 8, "a GIMP XCF"},
    };
    const uint8_t *d = data;
    if (!name)
        name = "<memory>";
    if (!data && size > 0) {
        cg_fail(err, CG_ERR_INVALID, "%s: no data", name);
        return NULL;
    }
    if (size == 0) {
        cg_fail(err, CG_ERR_FORMAT, "%s: empty file, not an image", name);
        return NULL;
    }
    if (size >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return cg_io_png_load(d, size, name, err);
    if (size >= 3 && memcmp(d, "\xff\xd8\xff", 3) == 0)
        return cg_io_jpeg_load(d, size, name, err);
    if (size >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return cg_io_webp_load(d, size, name, err);
    if (size >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0 ||
                      memcmp(d, "II+\0", 4) == 0 || memcmp(d, "MM\0+", 4) == 0))
        return cg_io_tiff_load(d, size, name, err);
    for (size_t i = 0; i < G_N_ELEMENTS(other); i++) {
        if (size >= other[i].len && memcmp(d, other[i].magic, other[i].len) == 0) {
            cg_fail(err, CG_ERR_UNSUPPORTED,
                    "%s: %s image; comicgan reads PNG, JPEG, WebP and TIFF", name, other[i].what);
            return NULL;
        }
    }
    cg_fail(err, CG_ERR_FORMAT, "%s: not a PNG, JPEG, WebP or TIFF image", name);
    return NULL;
}

cg_image *cg_image_load(const char *path, cg_error *err)
{
    if (!path) {
        cg_fail(err, CG_ERR_INVALID, "cg_image_load: no path");
        return NULL;
    }
    char *buf = NULL;
    size_t size = 0;
    if (cg_io_read_file(path, CG_IO_MAX_IMAGE_FILE, &buf, &size, err) != CG_OK) {
        if (err && err->code == CG_ERR_UNSUPPORTED)
            cg_fail(err, CG_ERR_UNSUPPORTED, "%s: file is larger than any image comicgan accepts", path);
        return NULL;
    }
    cg_image *img = cg_image_load_memory(buf, size, path, err);
    g_free(buf);
    return img;
}

/* ---- saving ------------------------------------------------------------- */

typedef enum { FMT_PNG, FMT_JPEG, FMT_WEBP, FMT_TIFF } file_format;

static int format_from_path(const char *path)
{
    static const struct { const char *ext; file_format fmt; } ext[] = {
        {".png", FMT_PNG}, {".jpg", FMT_JPEG}, {".jpeg", FMT_JPEG},
        {".webp", FMT_WEBP}, {".tif", FMT_TIFF}, {".tiff", FMT_TIFF},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < G_N_ELEMENTS(ext); i++)
            if (g_ascii_strcasecmp(dot, ext[i].ext) == 0)
                return (int)ext[i].fmt;
    return -1;
}

static cg_status resolve_spec(const cg_image *img, file_format fmt, const cg_image_save_options *o,
                              const char *path, cg_io_save_spec *s, cg_error *err)
{
    static const char *names[] = {"PNG", "JPEG", "WebP", "TIFF"};
    static const int max_side[] = {CG_IMAGE_MAX_SIDE, 65500, 16383, CG_IMAGE_MAX_SIDE};
    const cg_image_save_options none = {0};
    if (!o)
        o = &none;
    if ((o->bits != 0 && o->bits != 8 && o->bits != 16 && o->bits != 32) ||
        o->channels < 0 || o->channels > 4 || o->quality < 0 || o->quality > 100)
        return cg_fail(err, CG_ERR_INVALID,
                       "%s: bad save options (bits %d, channels %d, quality %d)", path,
                       o->bits, o->channels, o->quality);

    int src_bits = img->source_format == CG_SAMPLE_U16 ? 16
                 : img->source_format == CG_SAMPLE_F32 ? 32 : 8;
    s->bits = o->bits;
    if (s->bits == 0)
        s->bits = fmt == FMT_TIFF ? src_bits : fmt == FMT_PNG ? (src_bits > 8 ? 16 : 8) : 8;
    if ((fmt == FMT_PNG && s->bits == 32) || ((fmt == FMT_JPEG || fmt == FMT_WEBP) && s->bits != 8))
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: %s cannot store %d-bit samples", path,
                       names[fmt], s->bits);

    s->channels = o->channels;
    if (s->channels == 0) {
        bool gray = img->source_channels <= 2 && cg_image_is_gray(img);
        bool alpha = fmt != FMT_JPEG &&
                     (img->source_channels == 2 || img->source_channels == 4 || cg_image_has_alpha(img));
        s->channels = (gray ? 1 : 3) + (alpha ? 1 : 0);
    }
    if (fmt == FMT_JPEG && (s->channels == 2 || s->channels == 4))
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: JPEG cannot store alpha", path);
    if (img->width > max_side[fmt] || img->height > max_side[fmt])
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: %dx%d is too large for %s (at most %d per side)",
                       path, img->width, img->height, names[fmt], max_side[fmt]);
    s->quality = o->quality ? o->quality : 90;
    s->lossless = o->lossless;
    return CG_OK;
}

cg_status cg_image_save(const cg_image *img, const char *path, const cg_image_save_options *opts,
                        cg_error *err)
{
    if (!path)
        return cg_fail(err, CG_ERR_INVALID, "cg_image_save: no path");
    if (!img || !img->pixels || !size_ok(img->width, img->height))
        return cg_fail(err, CG_ERR_INVALID, "%s: not a valid image", path);
    int fmt = format_from_path(path);
    if (fmt < 0)
        return cg_fail(err, CG_ERR_UNSUPPORTED,
                       "%s: unknown extension; use .png, .jpg, .jpeg, .webp, .tif or .tiff", path);
    cg_io_save_spec spec;
    cg_status st = resolve_spec(img, (file_format)fmt, opts, path, &spec, err);
    if (st != CG_OK)
        return st;

    cg_atomic_file f;
    if ((st = cg_atomic_file_begin(&f, path, err)) != CG_OK)
        return st;
    struct stat old;
    if (stat(path, &old) == 0 && S_ISREG(old.st_mode))
        (void)fchmod(f.fd, old.st_mode & 07777);

    static cg_status (*const writer[])(const cg_image *, int, const cg_io_save_spec *,
                                       const char *, cg_error *) = {
        cg_io_png_save, cg_io_jpeg_save, cg_io_webp_save, cg_io_tiff_save,
    };
    st = writer[fmt](img, f.fd, &spec, path, err);
    return cg_atomic_file_finish(&f, path, st, err);
}
