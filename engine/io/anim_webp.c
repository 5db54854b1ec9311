/* comicgan — animated WebP through libwebp's animation API: the decoder
 * (libwebpdemux) composes every frame on the canvas, the encoder (libwebpmux)
 * takes whole frames and finds what changed itself. */
#include "io/anim_formats.h"
#include "io/pixels.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

#define WEBP_MAX_SIDE 16383

/* Why the demuxer refused the file: a RIFF size past the end is a truncation. */
static cg_status broken(const uint8_t *data, size_t size, const char *name, cg_error *err)
{
    if (size >= 8) {
        size_t riff = (size_t)data[4] | (size_t)data[5] << 8 | (size_t)data[6] << 16 | (size_t)data[7] << 24;
        if (riff + 8 > size)
            return cg_fail(err, CG_ERR_FORMAT, "%s: broken WebP file: the file ends too early (truncated?)", name);
    }
    return cg_fail(err, CG_ERR_FORMAT, "%s: broken WebP file: its frames cannot be read (corrupt data)", name);
}

cg_animation *cg_io_webp_anim_decode(const uint8_t *data, size_t size, const char *name, bool first_only,
                                     int *frames_in_file, cg_error *err)
{
    WebPAnimDecoderOptions o;
    if (!WebPAnimDecoderOptionsInit(&o)) {
        cg_fail(err, CG_ERR_UNSUPPORTED, "%s: libwebp version mismatch", name);
        return NULL;
    }
    o.color_mode = MODE_RGBA;
    o.use_threads = 0;
    const WebPData in = {data, size};
    WebPAnimDecoder *dec = WebPAnimDecoderNew(&in, &o);
    WebPAnimInfo info;
    cg_animation *a = NULL;
    cg_status st = CG_OK;
    if (!dec || !WebPAnimDecoderGetInfo(dec, &info))
        st = broken(data, size, name, err);
    else
        st = cg_io_check_size(info.canvas_width, info.canvas_height, name, err);
    /* Refused before any frame is decoded. */
    if (st == CG_OK && !first_only &&
        (info.frame_count > CG_ANIMATION_MAX_FRAMES ||
         (size_t)info.frame_count * info.canvas_width * info.canvas_height > CG_ANIMATION_MAX_PIXELS))
        st = cg_fail(err, CG_ERR_UNSUPPORTED,
                     "%s: %u frames of %ux%u are more than comicgan holds in memory (at most %d frames and %zu "
                     "pixels in all)",
                     name, info.frame_count, info.canvas_width, info.canvas_height, CG_ANIMATION_MAX_FRAMES,
                     CG_ANIMATION_MAX_PIXELS);
    if (st == CG_OK && !(a = g_try_new0(cg_animation, 1)))
        st = cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
    if (st == CG_OK) {
        a->width = (int)info.canvas_width;
        a->height = (int)info.canvas_height;
        a->loop_count = (int)info.loop_count;
    }
    bool clear = false;
    int prev = 0;
    size_t n = st == CG_OK ? (size_t)a->width * (size_t)a->height : 0;
    for (uint32_t i = 0; st == CG_OK && i < (first_only ? 1 : info.frame_count); i++) {
        uint8_t *rgba;
        int ts;
        cg_image *f;
        if (!WebPAnimDecoderGetNext(dec, &rgba, &ts)) {
            st = cg_fail(err, CG_ERR_FORMAT, "%s: broken WebP file: frame %u cannot be decoded", name, i + 1);
        } else if (!(f = cg_io_anim_add_frame(a, ts - prev, name, err))) {
            st = err ? err->code : CG_ERR_NOMEM;
        } else {
            cg_io_put_samples(f->pixels, rgba, n, 4, 4, 8);
            for (size_t p = 0; p < n && !clear; p++)
                clear = rgba[4 * p + 3] < 255;
            prev = ts;
        }
    }
    WebPAnimDecoderDelete(dec);
    if (st != CG_OK) {
        cg_animation_free(a);
        return NULL;
    }
    for (int i = 0; i < a->n_frames; i++) {
        a->frames[i]->source_format = CG_SAMPLE_U8;
        a->frames[i]->source_channels = clear ? 4 : 3;
    }
    if (frames_in_file)
        *frames_in_file = (int)MIN(info.frame_count, (uint32_t)INT32_MAX);
    return a;
}

cg_status cg_io_webp_anim_encode(const cg_image *const *frames, const int *duration_ms, int n, int loop_count,
                                 const cg_io_save_spec *spec, int fd, const char *name, cg_io_progress_fn progress,
                                 void *progress_data, cg_error *err)
{
    int w = frames[0]->width, h = frames[0]->height;
    if (w > WEBP_MAX_SIDE || h > WEBP_MAX_SIDE)
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: %dx%d is too large for WebP (at most %d per side)", name, w, h,
                       WEBP_MAX_SIDE);
    WebPAnimEncoderOptions eo;
    WebPConfig cfg;
    if (!WebPAnimEncoderOptionsInit(&eo) || !WebPConfigInit(&cfg))
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: libwebp version mismatch", name);
    eo.anim_params.loop_count = MIN(MAX(loop_count, 0), 65535);
    cfg.quality = (float)spec->quality;
    if (spec->lossless) {
        cfg.lossless = 1;
        cfg.exact = 1;
    }
    WebPAnimEncoder *enc = WebPAnimEncoderNew(w, h, &eo);
    uint8_t *rgba = malloc((size_t)w * (size_t)h * 4);
    cg_status st = enc && rgba ? CG_OK : cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
    long long ts = 0;
    for (int i = 0; st == CG_OK && i < n; i++) {
        for (int y = 0; y < h && st == CG_OK; y++)
            st = cg_io_pack_row(cg_image_at(frames[i], 0, y), w, y, 4, 8, rgba + 4 * (size_t)y * (size_t)w, name, err);
        WebPPicture pic;
        if (st != CG_OK)
            break;
        if (!WebPPictureInit(&pic)) {
            st = cg_fail(err, CG_ERR_UNSUPPORTED, "%s: libwebp version mismatch", name);
            break;
        }
        pic.width = w;
        pic.height = h;
        pic.use_argb = 1;
        if (!WebPPictureImportRGBA(&pic, rgba, w * 4) || !WebPAnimEncoderAdd(enc, &pic, (int)ts, &cfg))
            st = cg_fail(err, pic.error_code == VP8_ENC_ERROR_OUT_OF_MEMORY ? CG_ERR_NOMEM : CG_ERR_IO,
                         "%s: WebP encoder failed: %s", name, WebPAnimEncoderGetError(enc));
        WebPPictureFree(&pic);
        /* WebP has no frame of no time: such a frame shows for 1 ms. */
        ts += MAX(duration_ms[i], 1);
        if (st == CG_OK && ts > INT32_MAX)
            st = cg_fail(err, CG_ERR_UNSUPPORTED, "%s: the animation is too long for WebP", name);
        if (st == CG_OK && progress && !progress(progress_data, (float)(i + 1) / (float)n))
            st = cg_fail(err, CG_ERR_CANCELLED, "cancelled");
    }
    WebPData out = {0};
    if (st == CG_OK && (!WebPAnimEncoderAdd(enc, NULL, (int)ts, NULL) || !WebPAnimEncoderAssemble(enc, &out)))
        st = cg_fail(err, CG_ERR_IO, "%s: WebP encoder failed: %s", name, WebPAnimEncoderGetError(enc));
    if (st == CG_OK)
        st = cg_io_write_all(fd, out.bytes, out.size, name, err);
    WebPDataClear(&out);
    WebPAnimEncoderDelete(enc);
    free(rgba);
    return st;
}
