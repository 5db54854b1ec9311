/* comicgan — animations (comicgan/animation.h): the object, format
 * detection and dispatch to anim_gif.c and anim_webp.c, atomic saving. */
#include "io/anim_formats.h"
#include "io/atomic_file.h"
#include "io/pixels.h"
#include "io/read_file.h"

#include <string.h>

#include <glib.h>

void cg_animation_free(cg_animation *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n_frames; i++)
        cg_image_free(a->frames[i]);
    g_free(a->frames);
    g_free(a->duration_ms);
    g_free(a);
}

static bool within_limits(long long frames, long long w, long long h)
{
    return frames >= 1 && frames <= CG_ANIMATION_MAX_FRAMES &&
           (size_t)frames * (size_t)w * (size_t)h <= CG_ANIMATION_MAX_PIXELS;
}

cg_image *cg_io_anim_add_frame(cg_animation *a, int duration_ms, const char *name, cg_error *err)
{
    if (!within_limits((long long)a->n_frames + 1, a->width, a->height)) {
        cg_fail(err, CG_ERR_UNSUPPORTED,
                "%s: more than %d frames of %dx%d, more than comicgan holds in memory (at most %d frames and %zu "
                "pixels in all)",
                name, a->n_frames, a->width, a->height, CG_ANIMATION_MAX_FRAMES, CG_ANIMATION_MAX_PIXELS);
        return NULL;
    }
    /* The arrays double in size whenever the count reaches a power of two. */
    int n = a->n_frames;
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? 2 * (size_t)n : 1;
        cg_image **frames = g_try_renew(cg_image *, a->frames, cap);
        if (frames)
            a->frames = frames;
        int *duration = frames ? g_try_renew(int, a->duration_ms, cap) : NULL;
        if (duration)
            a->duration_ms = duration;
        if (!frames || !duration) {
            cg_fail(err, CG_ERR_NOMEM, "%s: out of memory for frame %d", name, n + 1);
            return NULL;
        }
    }
    cg_image *img = cg_io_image_alloc(a->width, a->height, name, err);
    if (!img)
        return NULL;
    a->frames[n] = img;
    a->duration_ms[n] = duration_ms > 0 ? duration_ms : 0;
    a->n_frames = n + 1;
    return img;
}

cg_animation *cg_animation_new(int width, int height, int n, cg_error *err)
{
    if (cg_io_check_size(width, height, "animation", NULL) != CG_OK || !within_limits(n, width, height)) {
        cg_fail(err, CG_ERR_INVALID, "animation of %d frames of %dx%d is outside the limits", n, width, height);
        return NULL;
    }
    cg_animation *a = g_try_new0(cg_animation, 1);
    if (!a) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for an animation");
        return NULL;
    }
    a->width = width;
    a->height = height;
    for (int i = 0; i < n; i++) {
        cg_image *f = cg_io_anim_add_frame(a, 0, "animation", err);
        if (!f) {
            cg_animation_free(a);
            return NULL;
        }
        memset(f->pixels, 0, (size_t)width * (size_t)height * 4 * sizeof(float));
    }
    return a;
}

cg_image *cg_io_first_frame(cg_animation *a, int frames_in_file)
{
    if (!a)
        return NULL;
    cg_image *img = a->frames[0];
    a->frames[0] = NULL;
    img->source_frames = frames_in_file;
    cg_animation_free(a);
    return img;
}

/* A still image as an animation of one frame. */
static cg_animation *wrap_still(cg_image *img, const char *name, cg_error *err)
{
    if (!img)
        return NULL;
    cg_animation *a = g_try_new0(cg_animation, 1);
    cg_image **frames = g_try_new(cg_image *, 1);
    int *duration = g_try_new0(int, 1);
    if (!a || !frames || !duration) {
        g_free(a);
        g_free(frames);
        g_free(duration);
        cg_image_free(img);
        cg_fail(err, CG_ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    frames[0] = img;
    *a = (cg_animation){.width = img->width, .height = img->height, .n_frames = 1, .frames = frames,
                        .duration_ms = duration};
    return a;
}

cg_animation *cg_animation_load_memory(const void *data, size_t size, const char *name, cg_error *err)
{
    const uint8_t *d = data;
    if (!name)
        name = "<memory>";
    if (!data) /* refused with its message by the still loader */
        return wrap_still(cg_image_load_memory(data, size, name, err), name, err);
    if (size >= 4 && memcmp(d, "GIF8", 4) == 0)
        return cg_io_gif_decode(d, size, name, false, NULL, err);
    /* An extended WebP (VP8X) with the animation flag. */
    if (size >= 21 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBPVP8X", 8) == 0 && (d[20] & 0x02))
        return cg_io_webp_anim_decode(d, size, name, false, NULL, err);
    return wrap_still(cg_image_load_memory(data, size, name, err), name, err);
}

cg_animation *cg_animation_load(const char *path, cg_error *err)
{
    if (!path) {
        cg_fail(err, CG_ERR_INVALID, "cg_animation_load: no path");
        return NULL;
    }
    char *buf = NULL;
    size_t size = 0;
    if (cg_io_read_image_file(path, &buf, &size, err) != CG_OK)
        return NULL;
    cg_animation *a = cg_animation_load_memory(buf, size, path, err);
    g_free(buf);
    return a;
}

static bool has_extension(const char *path, const char *ext)
{
    const char *dot = strrchr(path, '.');
    return dot && !strchr(dot, '/') && g_ascii_strcasecmp(dot, ext) == 0;
}

bool cg_animation_path_ok(const char *path)
{
    return path && (has_extension(path, ".gif") || has_extension(path, ".webp"));
}

cg_status cg_animation_save(const cg_animation *a, const char *path, const cg_image_save_options *opts,
                            bool (*progress)(void *data, float fraction), void *progress_data, cg_error *err)
{
    if (!path)
        return cg_fail(err, CG_ERR_INVALID, "cg_animation_save: no path");
    bool ok = a && a->n_frames >= 1 && a->frames && a->duration_ms;
    for (int i = 0; ok && i < a->n_frames; i++)
        ok = a->frames[i] && a->frames[i]->pixels && a->frames[i]->width == a->width &&
             a->frames[i]->height == a->height;
    if (!ok)
        return cg_fail(err, CG_ERR_INVALID, "%s: not a valid animation (every frame must be the canvas's size)",
                       path);
    if (!cg_animation_path_ok(path))
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: an animation is written as .gif or .webp", path);
    const cg_image_save_options none = {0};
    if (!opts)
        opts = &none;
    if (opts->quality < 0 || opts->quality > 100)
        return cg_fail(err, CG_ERR_INVALID, "%s: bad quality %d", path, opts->quality);
    if (opts->bits != 0 && opts->bits != 8)
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: animations hold 8-bit samples, not %d-bit", path, opts->bits);
    cg_io_save_spec spec = {.channels = 4, .bits = 8, .quality = opts->quality ? opts->quality : 90,
                            .lossless = opts->lossless};

    cg_atomic_file f;
    cg_status st = cg_atomic_file_begin_keeping_mode(&f, path, err);
    if (st != CG_OK)
        return st;
    const cg_image *const *frames = (const cg_image *const *)a->frames;
    if (has_extension(path, ".gif"))
        st = cg_io_gif_encode(frames, a->duration_ms, a->n_frames, a->loop_count, f.fd, path, progress,
                              progress_data, err);
    else
        st = cg_io_webp_anim_encode(frames, a->duration_ms, a->n_frames, a->loop_count, &spec, f.fd, path, progress,
                                    progress_data, err);
    return cg_atomic_file_finish(&f, path, st, err);
}
