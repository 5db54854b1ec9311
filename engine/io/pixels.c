/* comicgan — cg_image objects, and the pixel helpers every format reader and
 * writer uses: size limits, sample conversion, row packing, whole writes.
 * Format code (image_*.c) and the dispatcher (image.c) both use these; this
 * file uses neither, so the dependencies run one way. */
#include "io/pixels.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

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

void cg_io_finish_pixels(float *p, size_t n, int channels)
{
    for (size_t i = 0; i < n; i++, p += 4) {
        if (channels <= 2) {
            p[3] = channels == 2 ? p[1] : 1.0f;
            p[1] = p[2] = p[0];
        } else if (channels == 3) {
            p[3] = 1.0f;
        }
    }
}

void cg_io_finish_layout(cg_image *img, int channels)
{
    cg_io_finish_pixels(img->pixels, (size_t)img->width * (size_t)img->height, channels);
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

cg_status cg_io_pack_row(const float *row, int width, int y, int channels, int bits, void *dst, const char *name,
                         cg_error *err)
{
    const float *p = row;
    for (int x = 0; x < width; x++, p += 4) {
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
