/* comicgan — WebP through libwebp: still images, and the first frame of an
 * animation (anim_webp.c) with the frame count. */
#include "io/anim_formats.h"
#include "io/pixels.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/encode.h>

static const char *status_text(VP8StatusCode s)
{
    switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "corrupt data";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "decoding suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "the file ends too early (truncated?)";
    default: return "unknown error";
    }
}

static cg_status status_code(VP8StatusCode s)
{
    return s == VP8_STATUS_OUT_OF_MEMORY ? CG_ERR_NOMEM
         : s == VP8_STATUS_UNSUPPORTED_FEATURE ? CG_ERR_UNSUPPORTED : CG_ERR_FORMAT;
}

cg_image *cg_io_webp_load(const uint8_t *data, size_t size, const char *name, cg_error *err)
{
    WebPDecoderConfig cfg;
    if (!WebPInitDecoderConfig(&cfg)) {
        cg_fail(err, CG_ERR_UNSUPPORTED, "%s: libwebp version mismatch", name);
        return NULL;
    }
    VP8StatusCode s = WebPGetFeatures(data, size, &cfg.input);
    if (s != VP8_STATUS_OK) {
        cg_fail(err, status_code(s), "%s: broken WebP file: %s", name, status_text(s));
        return NULL;
    }
    if (cfg.input.has_animation) {
        int frames = 1;
        cg_animation *a = cg_io_webp_anim_decode(data, size, name, true, &frames, err);
        return cg_io_first_frame(a, frames);
    }
    cg_image *img = cg_io_image_alloc(cfg.input.width, cfg.input.height, name, err);
    if (!img)
        return NULL;
    size_t n = (size_t)img->width * (size_t)img->height;
    uint8_t *rgba = malloc(n * 4);
    if (!rgba) {
        cg_image_free(img);
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory decoding the WebP", name);
        return NULL;
    }
    cfg.output.colorspace = MODE_RGBA;
    cfg.output.is_external_memory = 1;
    cfg.output.u.RGBA.rgba = rgba;
    cfg.output.u.RGBA.stride = img->width * 4;
    cfg.output.u.RGBA.size = n * 4;
    s = WebPDecode(data, size, &cfg);
    WebPFreeDecBuffer(&cfg.output);
    if (s != VP8_STATUS_OK) {
        free(rgba);
        cg_image_free(img);
        cg_fail(err, status_code(s), "%s: broken WebP file: %s", name, status_text(s));
        return NULL;
    }
    cg_io_put_samples(img->pixels, rgba, n, 4, 4, 8);
    free(rgba);
    cg_io_finish_layout(img, cfg.input.has_alpha ? 4 : 3);
    img->source_format = CG_SAMPLE_U8;
    return img;
}

cg_status cg_io_webp_save(const cg_image *img, int fd, const cg_io_save_spec *spec,
                          const char *name, cg_error *err)
{
    WebPConfig cfg;
    WebPPicture pic;
    WebPMemoryWriter out;
    if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic))
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: libwebp version mismatch", name);
    cfg.quality = (float)spec->quality;
    if (spec->lossless) {
        cfg.lossless = 1;
        cfg.exact = 1; /* a round trip keeps the colour under alpha 0 too */
    }

    /* WebP has no gray layout: gray is packed, then spread to R, G and B. */
    bool alpha = spec->channels == 2 || spec->channels == 4;
    int packed = spec->channels, stored = alpha ? 4 : 3;
    size_t stride = (size_t)img->width * (size_t)stored;
    uint8_t *buf = malloc(stride * (size_t)img->height);
    if (!buf)
        return cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
    for (int y = 0; y < img->height; y++) {
        uint8_t *row = buf + stride * (size_t)y;
        cg_status st = cg_io_pack_row(cg_image_at(img, 0, y), img->width, y, packed, 8, row, name, err);
        if (st != CG_OK) {
            free(buf);
            return st;
        }
        if (packed <= 2) {
            for (int x = img->width - 1; x >= 0; x--) {
                uint8_t g = row[x * packed], a = alpha ? row[x * packed + 1] : 255;
                uint8_t *p = row + (size_t)x * (size_t)stored;
                p[0] = p[1] = p[2] = g;
                if (alpha)
                    p[3] = a;
            }
        }
    }

    pic.width = img->width;
    pic.height = img->height;
    pic.use_argb = cfg.lossless;
    int ok = alpha ? WebPPictureImportRGBA(&pic, buf, (int)stride)
                   : WebPPictureImportRGB(&pic, buf, (int)stride);
    free(buf);
    if (!ok) {
        WebPPictureFree(&pic);
        return cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
    }
    WebPMemoryWriterInit(&out);
    pic.writer = WebPMemoryWrite;
    pic.custom_ptr = &out;
    cg_status st = CG_OK;
    if (!WebPEncode(&cfg, &pic))
        st = cg_fail(err, pic.error_code == VP8_ENC_ERROR_OUT_OF_MEMORY ? CG_ERR_NOMEM : CG_ERR_IO,
                     "%s: WebP encoder failed (error %d)", name, (int)pic.error_code);
    else
        st = cg_io_write_all(fd, out.mem, out.size, name, err);
    WebPPictureFree(&pic);
    WebPMemoryWriterClear(&out);
    return st;
}
