/* comicgan — GIF through giflib: frames composed on the canvas as a browser
 * shows them (disposal and transparency honoured, the canvas starting
 * transparent), and frames written whole with a palette of their own. */
#include "io/anim_formats.h"
#include "io/palette.h"
#include "io/pixels.h"

#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <glib.h>

#define GIF_MAX_SIDE 65535

/* ---- reading ------------------------------------------------------------ */

typedef struct source {
    const uint8_t *data;
    size_t size, pos;
    bool short_read; /* giflib asked for bytes past the end */
} source;

static int read_bytes(GifFileType *g, GifByteType *buf, int len)
{
    source *s = g->UserData;
    size_t n = len > 0 ? (size_t)len : 0;
    if (n > s->size - s->pos) {
        n = s->size - s->pos;
        s->short_read = true;
    }
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return (int)n;
}

/* giflib's error code says what it was reading when the file ended, not
 * that it ended: a read past the end is reported as a truncation. */
static cg_status gif_fail(const source *s, int code, const char *name, cg_error *err)
{
    if (code == D_GIF_ERR_NOT_ENOUGH_MEM)
        return cg_fail(err, CG_ERR_NOMEM, "%s: out of memory decoding the GIF", name);
    if (s->short_read || code == D_GIF_ERR_READ_FAILED)
        return cg_fail(err, CG_ERR_FORMAT, "%s: broken GIF file: the file ends too early (truncated?)", name);
    const char *why = GifErrorString(code);
    if (!why || !*why)
        why = "unknown error";
    return cg_fail(err, CG_ERR_FORMAT, "%s: broken GIF file: %c%s", name, g_ascii_tolower(why[0]), why + 1);
}

/* What a pass over the file does with its frames. */
typedef enum { COUNT, FIRST, ALL } pass_kind;

typedef struct decoder {
    GifFileType *g;
    const char *name;
    pass_kind kind;
    int w, h;                /* the canvas, once the first frame is seen */
    cg_animation *anim;      /* FIRST and ALL */
    uint8_t *canvas, *saved; /* RGBA, the canvas's size */
    GifPixelType *line;
    int line_len;
    /* the graphics control block, for the next frame */
    int disposal, transparent, delay_cs;
    /* the last frame's disposal and rectangle (clipped to the canvas) */
    int prev_disposal, px0, py0, px1, py1;
    int frames, loop_count;
    bool clear;
} decoder;

static cg_status read_extension(decoder *d, int code, GifByteType *ext, cg_error *err)
{
    bool netscape = code == APPLICATION_EXT_FUNC_CODE && ext && ext[0] == 11 &&
                    (memcmp(ext + 1, "NETSCAPE2.0", 11) == 0 || memcmp(ext + 1, "ANIMEXTS1.0", 11) == 0);
    GraphicsControlBlock gcb;
    if (code == GRAPHICS_EXT_FUNC_CODE && ext && DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK) {
        d->disposal = gcb.DisposalMode;
        d->transparent = gcb.TransparentColor;
        d->delay_cs = gcb.DelayTime;
    }
    while (ext) {
        if (DGifGetExtensionNext(d->g, &ext) == GIF_ERROR)
            return gif_fail(d->g->UserData, d->g->Error, d->name, err);
        /* The repeat count counts plays after the first. */
        if (netscape && ext && ext[0] >= 3 && ext[1] == 1) {
            int repeats = ext[2] | ext[3] << 8;
            d->loop_count = repeats == 0 ? 0 : repeats + 1;
            netscape = false;
        }
    }
    return CG_OK;
}

/* Undoes the last frame as its disposal method says, before the next is drawn. */
static void dispose(decoder *d)
{
    int w = d->w;
    if (d->prev_disposal == DISPOSE_BACKGROUND) {
        for (int y = d->py0; y < d->py1; y++)
            memset(d->canvas + 4 * ((size_t)y * (size_t)w + (size_t)d->px0), 0, 4 * (size_t)(d->px1 - d->px0));
    } else if (d->prev_disposal == DISPOSE_PREVIOUS) {
        memcpy(d->canvas, d->saved, 4 * (size_t)w * (size_t)d->h);
    }
}

static cg_status start_canvas(decoder *d, const GifImageDesc *im, cg_error *err)
{
    /* A logical screen of no size: browsers take the first frame's extent. */
    long long w = d->g->SWidth > 0 ? d->g->SWidth : (long long)im->Left + im->Width;
    long long h = d->g->SHeight > 0 ? d->g->SHeight : (long long)im->Top + im->Height;
    if (cg_io_check_size(w, h, d->name, err) != CG_OK)
        return err->code;
    d->w = (int)w;
    d->h = (int)h;
    if (d->kind == COUNT)
        return CG_OK;
    cg_animation *a = g_try_new0(cg_animation, 1);
    d->canvas = calloc((size_t)w * (size_t)h, 4);
    d->saved = malloc((size_t)w * (size_t)h * 4);
    if (!a || !d->canvas || !d->saved) {
        g_free(a);
        return cg_fail(err, CG_ERR_NOMEM, "%s: out of memory for a %lldx%lld canvas", d->name, w, h);
    }
    a->width = (int)w;
    a->height = (int)h;
    d->anim = a;
    return CG_OK;
}

static cg_status read_frame(decoder *d, cg_error *err)
{
    GifFileType *g = d->g;
    if (DGifGetImageDesc(g) == GIF_ERROR)
        return gif_fail(g->UserData, g->Error, d->name, err);
    const GifImageDesc *im = &g->Image;
    char *frame_name = g_strdup_printf("%s: frame %d", d->name, d->frames + 1);
    cg_status st = cg_io_check_size(im->Width, im->Height, frame_name, err);
    g_free(frame_name);
    if (st != CG_OK)
        return st;
    if (d->frames == 0 && start_canvas(d, im, err) != CG_OK)
        return err->code;
    bool draw = d->kind == ALL || (d->kind == FIRST && d->frames == 0);
    if (!draw) {
        /* Only counted: skip the compressed data without decoding it. */
        int code_size;
        GifByteType *block;
        if (DGifGetCode(g, &code_size, &block) == GIF_ERROR)
            return gif_fail(g->UserData, g->Error, d->name, err);
        while (block)
            if (DGifGetCodeNext(g, &block) == GIF_ERROR)
                return gif_fail(g->UserData, g->Error, d->name, err);
        d->frames++;
        return CG_OK;
    }
    const ColorMapObject *cm = im->ColorMap ? im->ColorMap : g->SColorMap;
    if (!cm)
        return cg_fail(err, CG_ERR_FORMAT, "%s: broken GIF file: frame %d has no colour table", d->name,
                       d->frames + 1);
    if (im->Width > d->line_len) {
        free(d->line);
        if (!(d->line = malloc((size_t)im->Width)))
            return cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", d->name);
        d->line_len = im->Width;
    }

    int w = d->w, h = d->h;
    dispose(d);
    if (d->disposal == DISPOSE_PREVIOUS)
        memcpy(d->saved, d->canvas, 4 * (size_t)w * (size_t)h);
    static const int first_row[] = {0, 4, 2, 1}, row_step[] = {8, 8, 4, 2};
    int passes = im->Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; pass++)
        for (int y = im->Interlace ? first_row[pass] : 0; y < im->Height; y += im->Interlace ? row_step[pass] : 1) {
            if (DGifGetLine(g, d->line, im->Width) == GIF_ERROR)
                return gif_fail(g->UserData, g->Error, d->name, err);
            long long cy = (long long)im->Top + y;
            if (cy >= h)
                continue;
            for (int x = 0; x < im->Width && (long long)im->Left + x < w; x++) {
                int i = d->line[x];
                if (i == d->transparent || i >= cm->ColorCount)
                    continue;
                uint8_t *p = d->canvas + 4 * ((size_t)cy * (size_t)w + (size_t)im->Left + (size_t)x);
                p[0] = cm->Colors[i].Red;
                p[1] = cm->Colors[i].Green;
                p[2] = cm->Colors[i].Blue;
                p[3] = 255;
            }
        }
    d->prev_disposal = d->disposal;
    d->px0 = MIN(im->Left, w);
    d->py0 = MIN(im->Top, h);
    d->px1 = (int)MIN((long long)im->Left + im->Width, w);
    d->py1 = (int)MIN((long long)im->Top + im->Height, h);

    cg_image *f = cg_io_anim_add_frame(d->anim, d->delay_cs * 10, d->name, err);
    if (!f)
        return err->code;
    size_t n = (size_t)w * (size_t)h;
    cg_io_put_samples(f->pixels, d->canvas, n, 4, 4, 8);
    for (size_t i = 0; i < n && !d->clear; i++)
        d->clear = d->canvas[4 * i + 3] < 255;
    d->frames++;
    d->disposal = DISPOSAL_UNSPECIFIED;
    d->transparent = NO_TRANSPARENT_COLOR;
    d->delay_cs = 0;
    return CG_OK;
}

/* One pass over the file, d filled as its kind says. */
static cg_status run_pass(decoder *d, const uint8_t *data, size_t size, cg_error *err)
{
    source src = {.data = data, .size = size};
    int code = 0;
    if (!(d->g = DGifOpen(&src, read_bytes, &code)))
        return gif_fail(&src, code, d->name, err);
    cg_status st = CG_OK;
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    while (st == CG_OK && type != TERMINATE_RECORD_TYPE) {
        if (DGifGetRecordType(d->g, &type) == GIF_ERROR) {
            st = gif_fail(d->g->UserData, d->g->Error, d->name, err);
        } else if (type == IMAGE_DESC_RECORD_TYPE) {
            st = read_frame(d, err);
        } else if (type == EXTENSION_RECORD_TYPE) {
            int ext_code;
            GifByteType *ext;
            if (DGifGetExtension(d->g, &ext_code, &ext) == GIF_ERROR)
                st = gif_fail(d->g->UserData, d->g->Error, d->name, err);
            else
                st = read_extension(d, ext_code, ext, err);
        }
    }
    if (st == CG_OK && d->frames == 0)
        st = cg_fail(err, CG_ERR_FORMAT, "%s: broken GIF file: it holds no image", d->name);
    DGifCloseFile(d->g, &code);
    free(d->canvas);
    free(d->saved);
    free(d->line);
    if (st != CG_OK) {
        cg_animation_free(d->anim);
        d->anim = NULL;
    }
    return st;
}

cg_animation *cg_io_gif_decode(const uint8_t *data, size_t size, const char *name, bool first_only,
                               int *frames_in_file, cg_error *err)
{
    cg_error local;
    if (!err)
        err = &local;
    const decoder start = {.name = name, .loop_count = 1, .transparent = NO_TRANSPARENT_COLOR};
    decoder d = start;
    /* All frames: counted first (no pixel decoded), so the limits are checked
     * before anything is allocated. */
    if (!first_only) {
        d.kind = COUNT;
        if (run_pass(&d, data, size, err) != CG_OK)
            return NULL;
        if (d.frames > CG_ANIMATION_MAX_FRAMES ||
            (size_t)d.frames * (size_t)d.w * (size_t)d.h > CG_ANIMATION_MAX_PIXELS) {
            cg_fail(err, CG_ERR_UNSUPPORTED,
                    "%s: %d frames of %dx%d are more than comicgan holds in memory (at most %d frames and %zu "
                    "pixels in all)",
                    name, d.frames, d.w, d.h, CG_ANIMATION_MAX_FRAMES, CG_ANIMATION_MAX_PIXELS);
            return NULL;
        }
        d = start;
    }
    d.kind = first_only ? FIRST : ALL;
    if (run_pass(&d, data, size, err) != CG_OK)
        return NULL;
    d.anim->loop_count = d.loop_count;
    for (int i = 0; i < d.anim->n_frames; i++) {
        d.anim->frames[i]->source_format = CG_SAMPLE_U8;
        d.anim->frames[i]->source_channels = d.clear ? 4 : 3;
    }
    if (frames_in_file)
        *frames_in_file = d.frames;
    return d.anim;
}

cg_image *cg_io_gif_load(const uint8_t *data, size_t size, const char *name, cg_error *err)
{
    int frames = 1;
    cg_animation *a = cg_io_gif_decode(data, size, name, true, &frames, err);
    return cg_io_first_frame(a, frames);
}

/* ---- writing ------------------------------------------------------------ */

static int write_bytes(GifFileType *g, const GifByteType *buf, int len)
{
    g_byte_array_append(g->UserData, buf, (guint)len);
    return len;
}

static bool has_clear(const cg_image *img)
{
    size_t n = (size_t)img->width * (size_t)img->height;
    for (size_t i = 0; i < n; i++)
        if (!(img->pixels[4 * i + 3] >= 0.5f))
            return true;
    return false;
}

static cg_status put_frame(GifFileType *g, const cg_image *img, int delay_cs, int disposal, uint8_t *rgba,
                           uint8_t *idx, const char *name, cg_error *err)
{
    int w = img->width;
    for (int y = 0; y < img->height; y++)
        if (cg_io_pack_row(cg_image_at(img, 0, y), w, y, 4, 8, rgba + 4 * (size_t)y * (size_t)w, name, err) != CG_OK)
            return err->code;
    cg_io_palette pal;
    if (cg_io_palette_make(rgba, (size_t)w * (size_t)img->height, &pal, idx, err) != CG_OK)
        return cg_error_prefix(err, "%s", name);
    GifColorType colors[256];
    memset(colors, 0, sizeof colors);
    for (int i = 0; i < pal.count; i++)
        colors[i] = (GifColorType){pal.rgb[i][0], pal.rgb[i][1], pal.rgb[i][2]};
    int bits = 1;
    while (1 << bits < pal.count)
        bits++;
    GraphicsControlBlock gcb = {.DisposalMode = disposal, .DelayTime = delay_cs,
                                .TransparentColor = pal.transparent >= 0 ? pal.transparent : NO_TRANSPARENT_COLOR};
    GifByteType ext[4];
    size_t ext_len = EGifGCBToExtension(&gcb, ext);
    ColorMapObject *cm = GifMakeMapObject(1 << bits, colors);
    if (!cm)
        return cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
    int ok = EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)ext_len, ext) != GIF_ERROR &&
             EGifPutImageDesc(g, 0, 0, w, img->height, false, cm) != GIF_ERROR;
    GifFreeMapObject(cm);
    for (int y = 0; ok && y < img->height; y++)
        ok = EGifPutLine(g, idx + (size_t)y * (size_t)w, w) != GIF_ERROR;
    if (!ok)
        return cg_fail(err, CG_ERR_IO, "%s: GIF encoder failed: %s", name, GifErrorString(g->Error));
    return CG_OK;
}

cg_status cg_io_gif_encode(const cg_image *const *frames, const int *duration_ms, int n, int loop_count, int fd,
                           const char *name, cg_io_progress_fn progress, void *progress_data, cg_error *err)
{
    int w = frames[0]->width, h = frames[0]->height;
    if (w > GIF_MAX_SIDE || h > GIF_MAX_SIDE)
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: %dx%d is too large for GIF (at most %d per side)", name, w, h,
                       GIF_MAX_SIDE);
    size_t px = (size_t)w * (size_t)h;
    uint8_t *rgba = malloc(px * 4), *idx = malloc(px);
    bool *clear = malloc((size_t)n * sizeof *clear);
    GByteArray *out = g_byte_array_new();
    int code = 0;
    GifFileType *g = rgba && idx && clear ? EGifOpen(out, write_bytes, &code) : NULL;
    cg_status st = CG_OK;
    if (!g)
        st = cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
    for (int i = 0; st == CG_OK && i < n; i++)
        clear[i] = has_clear(frames[i]);
    if (st == CG_OK) {
        EGifSetGifVersion(g, true);
        if (EGifPutScreenDesc(g, w, h, 8, 0, NULL) == GIF_ERROR)
            st = cg_fail(err, CG_ERR_IO, "%s: GIF encoder failed: %s", name, GifErrorString(g->Error));
    }
    if (st == CG_OK && n > 1 && loop_count != 1) {
        int repeats = loop_count == 0 ? 0 : MIN(loop_count - 1, 65535);
        const GifByteType loop[3] = {1, (GifByteType)(repeats & 0xff), (GifByteType)(repeats >> 8)};
        if (EGifPutExtensionLeader(g, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
            EGifPutExtensionBlock(g, 11, "NETSCAPE2.0") == GIF_ERROR || EGifPutExtensionBlock(g, 3, loop) == GIF_ERROR ||
            EGifPutExtensionTrailer(g) == GIF_ERROR)
            st = cg_fail(err, CG_ERR_IO, "%s: GIF encoder failed: %s", name, GifErrorString(g->Error));
    }
    for (int i = 0; st == CG_OK && i < n; i++) {
        /* Every frame is whole: where the next one has transparent pixels,
         * this one must be cleared away, not left showing through. */
        int disposal = clear[(i + 1) % n] ? DISPOSE_BACKGROUND : DISPOSE_DO_NOT;
        int delay_cs = MIN((MAX(duration_ms[i], 0) + 5) / 10, 65535);
        st = put_frame(g, frames[i], delay_cs, disposal, rgba, idx, name, err);
        if (st == CG_OK && progress && !progress(progress_data, (float)(i + 1) / (float)n))
            st = cg_fail(err, CG_ERR_CANCELLED, "cancelled");
    }
    if (g && EGifCloseFile(g, &code) == GIF_ERROR && st == CG_OK)
        st = cg_fail(err, CG_ERR_IO, "%s: GIF encoder failed: %s", name, GifErrorString(code));
    if (st == CG_OK)
        st = cg_io_write_all(fd, out->data, out->len, name, err);
    g_byte_array_free(out, TRUE);
    free(rgba);
    free(idx);
    free(clear);
    return st;
}

cg_status cg_io_gif_save(const cg_image *img, int fd, const cg_io_save_spec *spec, const char *name, cg_error *err)
{
    const int no_delay = 0;
    return cg_io_gif_encode(&img, &no_delay, 1, 1, fd, name, NULL, NULL, err);
}
