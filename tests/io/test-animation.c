/* Animated GIF and WebP <-> cg_animation: a hand-built GIF with known pixels
 * for the composition of frames (disposal, transparency, interlacing), round
 * trips keeping frames, durations and loop counts, palettes, and broken,
 * truncated and oversized files. */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include <gif_lib.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "comicgan/animation.h"
#include "image-testutil.h"

/* ---- GIFs written by hand with giflib ----------------------------------- */

typedef struct gif_frame {
    int left, top, width, height;
    bool interlace;
    int disposal, delay_cs, transparent; /* transparent: an index or -1 */
    const uint8_t *index;                /* width * height palette indices, rows top to bottom */
} gif_frame;

static int append(GifFileType *g, const GifByteType *buf, int len)
{
    g_byte_array_append(g->UserData, buf, (guint)len);
    return len;
}

/* A GIF of canvas w x h with the global palette {red, green, blue, white}
 * and these frames; repeats < 0: no NETSCAPE2.0 block. g_byte_array_unref it. */
static GByteArray *build_gif(int w, int h, int repeats, const gif_frame *f, int n)
{
    GifColorType colors[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
    ColorMapObject *cm = GifMakeMapObject(4, colors);
    GByteArray *out = g_byte_array_new();
    int e = 0;
    GifFileType *g = EGifOpen(out, append, &e);
    g_assert_nonnull(g);
    EGifSetGifVersion(g, true);
    g_assert_cmpint(EGifPutScreenDesc(g, w, h, 8, 0, cm), ==, GIF_OK);
    if (repeats >= 0) {
        const GifByteType loop[3] = {1, (GifByteType)(repeats & 0xff), (GifByteType)(repeats >> 8)};
        EGifPutExtensionLeader(g, APPLICATION_EXT_FUNC_CODE);
        EGifPutExtensionBlock(g, 11, "NETSCAPE2.0");
        EGifPutExtensionBlock(g, 3, loop);
        EGifPutExtensionTrailer(g);
    }
    for (int i = 0; i < n; i++) {
        GraphicsControlBlock gcb = {.DisposalMode = f[i].disposal, .DelayTime = f[i].delay_cs,
                                    .TransparentColor = f[i].transparent};
        GifByteType ext[4];
        size_t len = EGifGCBToExtension(&gcb, ext);
        g_assert_cmpint(EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)len, ext), ==, GIF_OK);
        g_assert_cmpint(EGifPutImageDesc(g, f[i].left, f[i].top, f[i].width, f[i].height, f[i].interlace, NULL), ==,
                        GIF_OK);
        /* giflib takes an interlaced frame's rows in the order they are stored. */
        static const int first_row[] = {0, 4, 2, 1}, row_step[] = {8, 8, 4, 2};
        for (int pass = 0; pass < (f[i].interlace ? 4 : 1); pass++)
            for (int y = f[i].interlace ? first_row[pass] : 0; y < f[i].height; y += f[i].interlace ? row_step[pass] : 1)
                g_assert_cmpint(EGifPutLine(g, (GifPixelType *)f[i].index + y * f[i].width, f[i].width), ==, GIF_OK);
    }
    g_assert_cmpint(EGifCloseFile(g, &e), ==, GIF_OK);
    GifFreeMapObject(cm);
    return out;
}

/* Pixel (x, y) of frame i must be the colour c (0 red, 1 green, 2 blue, 3
 * white; -1 transparent). */
static void expect_pixel(const cg_animation *a, int i, int x, int y, int c)
{
    static const float rgb[4][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}};
    const float *p = cg_image_at(a->frames[i], x, y);
    if (c < 0) {
        if (p[3] != 0)
            g_error("frame %d (%d,%d): alpha %g, expected transparent", i + 1, x, y, p[3]);
        return;
    }
    if (p[0] != rgb[c][0] || p[1] != rgb[c][1] || p[2] != rgb[c][2] || p[3] != 1)
        g_error("frame %d (%d,%d): (%g,%g,%g,%g), expected colour %d", i + 1, x, y, p[0], p[1], p[2], p[3], c);
}

/* Each frame as a browser shows it: what every disposal method leaves. */
static void test_gif_composition(void)
{
    enum { R, G, B, W };
    const uint8_t all_red[12] = {R, R, R, R, R, R, R, R, R, R, R, R};
    const uint8_t green_and_hole[2] = {G, W}; /* W is this frame's transparent index */
    const uint8_t blue[1] = {B}, white[1] = {W};
    const uint8_t rows[12] = {R, R, R, R, G, G, G, G, B, B, B, B};
    const gif_frame f[] = {
        {0, 0, 4, 3, false, DISPOSE_DO_NOT, 10, -1, all_red},
        {1, 1, 2, 1, false, DISPOSE_BACKGROUND, 20, W, green_and_hole},
        {0, 0, 1, 1, false, DISPOSE_PREVIOUS, 30, -1, blue},
        {3, 2, 1, 1, false, DISPOSE_DO_NOT, 40, -1, white},
        {0, 0, 4, 3, true, DISPOSE_DO_NOT, 50, -1, rows},
    };
    GByteArray *gif = build_gif(4, 3, 3, f, G_N_ELEMENTS(f));
    cg_error err = {0};
    cg_animation *a = cg_animation_load_memory(gif->data, gif->len, "hand.gif", &err);
    g_assert_nonnull(a);
    g_assert_cmpint(a->n_frames, ==, 5);
    g_assert_cmpint(a->width, ==, 4);
    g_assert_cmpint(a->height, ==, 3);
    g_assert_cmpint(a->loop_count, ==, 4); /* 3 repeats after the first play */
    for (int i = 0; i < 5; i++)
        g_assert_cmpint(a->duration_ms[i], ==, 100 * (i + 1));
    g_assert_cmpint(a->frames[0]->source_channels, ==, 4);

    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 4; x++) {
            /* 1: all red. */
            expect_pixel(a, 0, x, y, R);
            /* 2: green at (1,1); its transparent pixel at (2,1) shows the red below. */
            expect_pixel(a, 1, x, y, x == 1 && y == 1 ? G : R);
            /* 3: frame 2's rectangle cleared to transparent; blue at (0,0). */
            bool cleared = y == 1 && (x == 1 || x == 2);
            expect_pixel(a, 2, x, y, cleared ? -1 : x == 0 && y == 0 ? B : R);
            /* 4: frame 3 undone (red at (0,0) again), white at (3,2). */
            expect_pixel(a, 3, x, y, cleared ? -1 : x == 3 && y == 2 ? W : R);
            /* 5: interlaced, stored in the order 0, 2, 1: still red, green, blue from the top. */
            expect_pixel(a, 4, x, y, y == 0 ? R : y == 1 ? G : B);
        }
    cg_animation_free(a);

    /* A still load gives the first frame and says how many there are. */
    cg_image *img = cg_image_load_memory(gif->data, gif->len, "hand.gif", &err);
    g_assert_nonnull(img);
    g_assert_cmpint(img->source_frames, ==, 5);
    g_assert_cmpfloat(cg_image_at(img, 2, 1)[0], ==, 1.0f);
    cg_image_free(img);
    g_byte_array_unref(gif);

    /* No NETSCAPE2.0 block: played once; a repeat count of 0: forever. */
    for (int repeats = -1; repeats <= 0; repeats++) {
        gif = build_gif(4, 3, repeats, f, 2);
        a = cg_animation_load_memory(gif->data, gif->len, "loop.gif", &err);
        g_assert_nonnull(a);
        g_assert_cmpint(a->loop_count, ==, repeats < 0 ? 1 : 0);
        cg_animation_free(a);
        g_byte_array_unref(gif);
    }
}

/* ---- round trips -------------------------------------------------------- */

/* n frames of w x h, each of few colours (so a GIF palette holds them
 * exactly), some pixels transparent, different from frame to frame. */
static cg_animation *make_animation(int w, int h, int n)
{
    cg_error err = {0};
    cg_animation *a = cg_animation_new(w, h, n, &err);
    g_assert_nonnull(a);
    for (int i = 0; i < n; i++) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float *p = cg_image_at(a->frames[i], x, y);
                p[0] = (float)((x + i * 3) % 8) / 7.0f;
                p[1] = (float)(y % 5) / 4.0f;
                p[2] = (float)i / (float)n;
                p[3] = (x + y + i) % 7 == 0 ? 0.0f : 1.0f;
                if (p[3] == 0)
                    p[0] = p[1] = p[2] = 0;
            }
        a->duration_ms[i] = 40 + 30 * i;
    }
    a->loop_count = 3;
    return a;
}

static cg_animation *save_and_load_animation(const cg_animation *a, const char *name,
                                             const cg_image_save_options *o)
{
    char *path = tmp_path(name);
    cg_error err = {0};
    if (cg_animation_save(a, path, o, NULL, NULL, &err) != CG_OK)
        g_error("saving %s: %s", name, err.message);
    cg_animation *back = cg_animation_load(path, &err);
    if (!back)
        g_error("loading %s: %s", name, err.message);
    g_free(path);
    return back;
}

static void expect_same_timing(const cg_animation *a, const cg_animation *b)
{
    g_assert_cmpint(b->n_frames, ==, a->n_frames);
    g_assert_cmpint(b->width, ==, a->width);
    g_assert_cmpint(b->height, ==, a->height);
    g_assert_cmpint(b->loop_count, ==, a->loop_count);
    for (int i = 0; i < a->n_frames; i++)
        g_assert_cmpint(b->duration_ms[i], ==, a->duration_ms[i]);
}

static void test_gif_roundtrip(void)
{
    cg_animation *a = make_animation(21, 13, 4);
    cg_animation *b = save_and_load_animation(a, "rt.gif", NULL);
    expect_same_timing(a, b);
    for (int i = 0; i < a->n_frames; i++)
        g_assert_cmpfloat(max_diff(a->frames[i], b->frames[i], NULL), <=, 0.51 / 255);
    g_assert_cmpint(b->frames[0]->source_channels, ==, 4);
    cg_animation_free(b);
    /* Played once, forever. */
    for (int loops = 0; loops <= 1; loops++) {
        a->loop_count = loops;
        b = save_and_load_animation(a, "loops.gif", NULL);
        g_assert_cmpint(b->loop_count, ==, loops);
        cg_animation_free(b);
    }
    cg_animation_free(a);

    /* One frame through cg_image_save and cg_image_load. */
    cg_image *img = make_image(19, 11, 3, 8, 5);
    for (size_t i = 0; i < (size_t)19 * 11 * 4; i++) /* 4 levels per channel: 64 colours */
        img->pixels[i] = i % 4 == 3 ? 1.0f : roundf(img->pixels[i] * 3) / 3;
    cg_image *back = save_and_load(img, "still.gif", NULL);
    g_assert_cmpfloat(max_diff(img, back, NULL), <=, 0.51 / 255);
    g_assert_cmpint(back->source_channels, ==, 3);
    g_assert_cmpint(back->source_frames, ==, 1);
    cg_image_free(back);
    cg_image_free(img);
}

/* More colours than a palette holds: a median cut, close to the frame. */
static void test_gif_palette(void)
{
    cg_error err = {0};
    cg_animation *a = cg_animation_new(64, 64, 1, &err);
    g_assert_nonnull(a);
    cg_image *smooth = make_smooth(64, 64, false);
    memcpy(a->frames[0]->pixels, smooth->pixels, sizeof(float) * 64 * 64 * 4);
    cg_image_free(smooth);
    cg_animation *b = save_and_load_animation(a, "smooth.gif", NULL);
    double mean, worst = max_diff(a->frames[0], b->frames[0], &mean);
    g_test_message("median cut: mean error %.4f, largest %.4f", mean, worst);
    /* 256 entries over this 2-D ramp: steps of about 16 levels in red and green. */
    g_assert_cmpfloat(mean, <, 4.0 / 255);
    g_assert_cmpfloat(worst, <, 20.0 / 255);
    cg_animation_free(b);
    cg_animation_free(a);
}

static void test_webp_roundtrip(void)
{
    cg_animation *a = make_animation(23, 17, 3);
    cg_image_save_options lossless = {.lossless = true};
    cg_animation *b = save_and_load_animation(a, "rt.webp", &lossless);
    expect_same_timing(a, b);
    for (int i = 0; i < a->n_frames; i++)
        g_assert_cmpfloat(max_diff(a->frames[i], b->frames[i], NULL), <=, 0.51 / 255);
    cg_animation_free(b);
    a->loop_count = 0;
    b = save_and_load_animation(a, "lossy.webp", NULL);
    expect_same_timing(a, b);
    cg_animation_free(b);
    cg_animation_free(a);

    /* Still images load as one frame. */
    cg_image *img = make_image(9, 7, 3, 8, 1);
    char *path = tmp_path("still.png");
    cg_error err = {0};
    g_assert_cmpint(cg_image_save(img, path, NULL, &err), ==, CG_OK);
    a = cg_animation_load(path, &err);
    g_assert_nonnull(a);
    g_assert_cmpint(a->n_frames, ==, 1);
    g_assert_cmpfloat(max_diff(img, a->frames[0], NULL), ==, 0);
    cg_animation_free(a);
    g_free(path);
    cg_image_free(img);
}

/* ---- failures ----------------------------------------------------------- */

/* Loading these bytes fails with code, a message naming the file and holding needle. */
static void expect_broken(const void *data, size_t size, const char *name, cg_status code, const char *needle)
{
    write_all(name, data, size);
    char *path = tmp_path(name);
    cg_error err = {0};
    g_assert_null(cg_animation_load(path, &err));
    g_test_message("%s: %s", name, err.message);
    g_assert_cmpint(err.code, ==, code);
    g_assert_nonnull(strstr(err.message, path));
    if (needle && !strstr(err.message, needle))
        g_error("%s: \"%s\" does not say \"%s\"", name, err.message, needle);
    /* The still loader refuses it too. */
    cg_error_clear(&err);
    g_assert_null(cg_image_load(path, &err));
    g_assert_cmpint(err.code, ==, code);
    g_free(path);
}

static void test_broken(void)
{
    cg_animation *a = make_animation(16, 16, 3);
    char *gif_path = tmp_path("good.gif"), *webp_path = tmp_path("good.webp");
    cg_error err = {0};
    g_assert_cmpint(cg_animation_save(a, gif_path, NULL, NULL, NULL, &err), ==, CG_OK);
    g_assert_cmpint(cg_animation_save(a, webp_path, NULL, NULL, NULL, &err), ==, CG_OK);
    cg_animation_free(a);
    gsize gif_len, webp_len;
    gchar *gif = read_all("good.gif", &gif_len), *webp = read_all("good.webp", &webp_len);

    expect_broken(gif, gif_len / 2, "half.gif", CG_ERR_FORMAT, "truncated");
    expect_broken(gif, gif_len - 1, "no-trailer.gif", CG_ERR_FORMAT, "truncated");
    expect_broken(gif, 10, "header-only.gif", CG_ERR_FORMAT, "truncated");
    /* The record after the screen descriptor is neither an image nor an extension. */
    gchar *bad = g_memdup2(gif, gif_len);
    bad[13] = 'X';
    expect_broken(bad, gif_len, "bad-record.gif", CG_ERR_FORMAT, "broken GIF");
    g_free(bad);

    expect_broken(webp, webp_len / 2, "half.webp", CG_ERR_FORMAT, "truncated");
    expect_broken(webp, webp_len - 7, "short.webp", CG_ERR_FORMAT, "truncated");
    /* The first frame's bitstream overwritten from its start. */
    bad = g_memdup2(webp, webp_len);
    char *vp8 = memmem(bad, webp_len, "ANMF", 4);
    g_assert_nonnull(vp8);
    vp8 = memmem(vp8, webp_len - (size_t)(vp8 - bad), "VP8", 3);
    g_assert_nonnull(vp8);
    memset(vp8 + 8, 0xff, 16);
    expect_broken(bad, webp_len, "bad-frame.webp", CG_ERR_FORMAT, "broken WebP");
    g_free(bad);
    g_free(gif);
    g_free(webp);
    g_free(gif_path);
    g_free(webp_path);
}

/* Over the frame and pixel limits: refused before the frames are allocated. */
static void test_limits(void)
{
    const uint8_t one[1] = {0};
    gif_frame f = {0, 0, 1, 1, false, DISPOSE_DO_NOT, 1, -1, one};
    /* 8192 x 8192 x 3 frames = 3 * 2^26 pixels, over the 2^27 limit. */
    gif_frame three[3] = {f, f, f};
    GByteArray *gif = build_gif(8192, 8192, 0, three, 3);
    cg_error err = {0};
    g_assert_null(cg_animation_load_memory(gif->data, gif->len, "too-many-pixels.gif", &err));
    g_assert_cmpint(err.code, ==, CG_ERR_UNSUPPORTED);
    g_assert_nonnull(strstr(err.message, "too-many-pixels.gif: 3 frames of 8192x8192"));
    g_byte_array_unref(gif);

    gif_frame *many = g_new(gif_frame, CG_ANIMATION_MAX_FRAMES + 1);
    for (int i = 0; i <= CG_ANIMATION_MAX_FRAMES; i++)
        many[i] = f;
    gif = build_gif(1, 1, 0, many, CG_ANIMATION_MAX_FRAMES + 1);
    write_all("too-many-frames.gif", gif->data, gif->len);
    char *path = tmp_path("too-many-frames.gif");
    g_assert_null(cg_animation_load(path, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_UNSUPPORTED);
    g_assert_nonnull(strstr(err.message, "10001 frames"));
    /* As a still image it is fine: only the first frame is decoded. */
    cg_image *img = cg_image_load(path, &err);
    g_assert_nonnull(img);
    g_assert_cmpint(img->source_frames, ==, CG_ANIMATION_MAX_FRAMES + 1);
    cg_image_free(img);
    g_free(path);
    g_free(many);
    g_byte_array_unref(gif);

    g_assert_null(cg_animation_new(8192, 8192, 3, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_INVALID);
    g_assert_null(cg_animation_new(4, 4, 0, &err));
}

/* ---- saving: atomic, cancellable ---------------------------------------- */

static bool stop_after_two(void *data, float fraction)
{
    int *calls = data;
    return ++*calls < 2;
}

static int count_files(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    int n = 0;
    while (d && g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

static void test_save_failures(void)
{
    char *dir = tmp_path("save");
    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    cg_animation *a = make_animation(12, 10, 3);
    const char *names[] = {"out.gif", "out.webp"};
    for (size_t k = 0; k < G_N_ELEMENTS(names); k++) {
        char *path = g_build_filename(dir, names[k], NULL);
        cg_error err = {0};
        int calls = 0;
        g_assert_cmpint(cg_animation_save(a, path, NULL, stop_after_two, &calls, &err), ==, CG_ERR_CANCELLED);
        g_assert_cmpint(calls, ==, 2);
        g_assert_cmpint(count_files(dir), ==, 0);
        /* NaN in the last frame: nothing written, an existing file untouched. */
        g_assert_true(g_file_set_contents(path, "old", 3, NULL));
        a->frames[2]->pixels[5] = NAN;
        g_assert_cmpint(cg_animation_save(a, path, NULL, NULL, NULL, &err), ==, CG_ERR_NUMERIC);
        a->frames[2]->pixels[5] = 0.5f;
        gchar *text = NULL;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        g_assert_cmpstr(text, ==, "old");
        g_free(text);
        g_assert_cmpint(count_files(dir), ==, 1);
        g_unlink(path);
        g_free(path);
    }
    cg_error err = {0};
    char *png = g_build_filename(dir, "out.png", NULL);
    g_assert_cmpint(cg_animation_save(a, png, NULL, NULL, NULL, &err), ==, CG_ERR_UNSUPPORTED);
    g_assert_nonnull(strstr(err.message, ".gif or .webp"));
    g_free(png);
    cg_image *taken = a->frames[1];
    a->frames[1] = NULL;
    char *gif = g_build_filename(dir, "out.gif", NULL);
    g_assert_cmpint(cg_animation_save(a, gif, NULL, NULL, NULL, &err), ==, CG_ERR_INVALID);
    a->frames[1] = taken;
    g_assert_cmpint(count_files(dir), ==, 0);
    g_assert_true(cg_animation_path_ok("a/b.GIF") && cg_animation_path_ok("x.webp"));
    g_assert_false(cg_animation_path_ok("x.png") || cg_animation_path_ok("gif") || cg_animation_path_ok("a.gif/b"));
    g_free(gif);
    cg_animation_free(a);
    g_rmdir(dir);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    umask(022);
    tmpdir = g_dir_make_tmp("comicgan-anim-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_func("/io/animation/gif-composition", test_gif_composition);
    g_test_add_func("/io/animation/gif-roundtrip", test_gif_roundtrip);
    g_test_add_func("/io/animation/gif-palette", test_gif_palette);
    g_test_add_func("/io/animation/webp-roundtrip", test_webp_roundtrip);
    g_test_add_func("/io/animation/broken", test_broken);
    g_test_add_func("/io/animation/limits", test_limits);
    g_test_add_func("/io/animation/save-failures", test_save_failures);
    int rc = g_test_run();
    remove_tree(tmpdir);
    g_free(tmpdir);
    return rc;
}
