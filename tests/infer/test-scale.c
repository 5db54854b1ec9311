/* The style scale: native scale is untouched by it, the automatic scale on a
 * small image is native, tiles still equal the whole image at any scale,
 * results stay finite with the input's alpha, cancellation and progress
 * still work, and bad scales are refused. */
#include "fixture.h"
#include "comicgan/quality.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>

static const char *const plain = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 2, "
                                 "\"norm\": \"instance\"}";
static const char *const cond = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, "
                                "\"norm\": \"cond_instance\", \"styles\": 2}";
static const char *const cond_styles = "[{\"name\": \"ink\"}, {\"name\": \"identity\", \"mode\": \"identity\"}]";

static bool same_bits(const cg_image *a, const cg_image *b)
{
    return memcmp(a->pixels, b->pixels, (size_t)a->width * a->height * 4 * sizeof(float)) == 0;
}

/* Scale 1, scale 0, and an automatic scale whose side the image does not
 * exceed all take the native path: the same bits as the default options. */
static void test_native_identical(void)
{
    cg_model *m = random_model(cond, cond_styles, 21);
    cg_image *in = test_image(150, 90, 1);
    cg_stylize_options o = cg_stylize_defaults();
    o.strength = 0.6f; /* the identity style's pass too */
    cg_image *ref = stylize_or_die(m, in, &o);
    const float scales[] = {1.0f, 0.0f};
    for (size_t k = 0; k < G_N_ELEMENTS(scales); k++) {
        o.scale = scales[k];
        cg_image *out = stylize_or_die(m, in, &o);
        g_assert_true(same_bits(ref, out));
        cg_image_free(out);
    }
    o.scale = 0.5f;
    o.scale_side = 150; /* the automatic side overrides the scale */
    cg_image *out = stylize_or_die(m, in, &o);
    g_assert_true(same_bits(ref, out));
    g_assert_cmpfloat(cg_stylize_scale_of(&o, 150, 90), ==, 1.0);
    /* a scale so close to 1 that the working size is the image's own is native too */
    o.scale_side = 0;
    o.scale = 0.999f;
    cg_image_free(out);
    out = stylize_or_die(m, in, &o);
    g_assert_true(same_bits(ref, out));
    /* and a real scale is not */
    o.scale = 0.5f;
    cg_image_free(out);
    out = stylize_or_die(m, in, &o);
    g_assert_false(same_bits(ref, out));
    cg_image_free(out);
    cg_image_free(ref);
    cg_image_free(in);
    cg_model_free(m);
}

static void test_scale_of(void)
{
    cg_stylize_options o = cg_stylize_defaults();
    g_assert_cmpfloat(cg_stylize_scale_of(&o, 4000, 3000), ==, 1.0);
    o.scale = 0.25f;
    g_assert_cmpfloat(cg_stylize_scale_of(&o, 4000, 3000), ==, 0.25);
    o.scale_side = CG_STYLIZE_AUTO_SIDE;
    g_assert_cmpfloat(fabs(cg_stylize_scale_of(&o, 3000, 4096) - CG_STYLIZE_AUTO_SIDE / 4096.0), <, 1e-12);
    g_assert_cmpfloat(cg_stylize_scale_of(&o, 600, 400), ==, 1.0);
}

/* Tiles equal the whole image within 1/255 at scales below and above 1,
 * for single images and frames. */
static void test_tiled_equals_whole(void)
{
    cg_model *m = random_model(plain, NULL, 22);
    const float scales[] = {0.5f, 0.3f, 1.5f};
    for (size_t k = 0; k < G_N_ELEMENTS(scales); k++) {
        cg_image *in = test_image(97, 70, (guint32)k);
        cg_stylize_options o = cg_stylize_defaults();
        o.scale = scales[k];
        cg_image *whole = stylize_or_die(m, in, &o);
        o.tile = 16;
        cg_image *tiled = stylize_or_die(m, in, &o);
        double d = max_diff(whole, tiled, false);
        g_test_message("scale %g: max |tiled - whole| = %.3g", scales[k], d);
        g_assert_cmpfloat(d, <=, 1.0 / 255);
        g_assert_cmpfloat(max_diff(whole, in, true), >, 0.01);
        cg_image_free(in);
        cg_image_free(whole);
        cg_image_free(tiled);
    }
    cg_model_free(m);
}

/* Finite results in [0, 1], the input's alpha, gray kept gray. */
static void test_finite_alpha_gray(void)
{
    cg_model *m = random_model(cond, cond_styles, 23);
    cg_image *in = test_image(120, 77, 4);
    cg_stylize_options o = cg_stylize_defaults();
    o.scale_side = 64;
    o.strength = 0.8f;
    cg_image *out = stylize_or_die(m, in, &o);
    for (size_t i = 0; i < (size_t)in->width * in->height; i++) {
        for (int c = 0; c < 3; c++) {
            float v = out->pixels[4 * i + c];
            g_assert_true(isfinite(v) && v >= 0 && v <= 1);
        }
        g_assert_cmpfloat(out->pixels[4 * i + 3], ==, in->pixels[4 * i + 3]);
    }
    for (size_t i = 0; i < (size_t)in->width * in->height; i++)
        in->pixels[4 * i + 1] = in->pixels[4 * i + 2] = in->pixels[4 * i];
    cg_image_free(out);
    out = stylize_or_die(m, in, &o);
    g_assert_true(cg_image_is_gray(out));
    cg_image_free(out);
    cg_image_free(in);
    cg_model_free(m);
}

/* The upsampled result follows the full-size input's edges: a sharp step
 * in the input stays sharp, where plain bilinear upsampling of the
 * low-resolution result would spread it over several pixels. */
static void test_edges_follow_input(void)
{
    cg_model *m = random_model(plain, NULL, 24);
    cg_error err = {0};
    cg_image *in = cg_image_new(256, 64, &err);
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 256; x++) {
            float *px = cg_image_at(in, x, y);
            px[0] = px[1] = px[2] = x < 129 ? 0.2f : 0.8f;
            px[3] = 1;
        }
    cg_stylize_options o = cg_stylize_defaults();
    o.scale = 0.25f;
    cg_image *out = stylize_or_die(m, in, &o);
    /* Across the step the output changes within two pixels. */
    int y = 32;
    double left = cg_image_at(out, 124, y)[0], right = cg_image_at(out, 134, y)[0];
    double a = cg_image_at(out, 128, y)[0], b = cg_image_at(out, 129, y)[0];
    g_test_message("left %.3f, 128: %.3f, 129: %.3f, right %.3f", left, a, b, right);
    g_assert_cmpfloat(fabs(right - left), >, 0.02);
    g_assert_cmpfloat(fabs(b - a), >, 0.6 * fabs(right - left));
    cg_image_free(out);
    cg_image_free(in);
    cg_model_free(m);
}

/* How far a result at scale 0.5, downscaled to the working size, is from
 * the working size's own result (the dialog's fitted preview). */
static double preview_distance(const cg_model *m, const cg_image *in)
{
    cg_error err = {0};
    cg_stylize_options o = cg_stylize_defaults();
    o.scale = 0.5f;
    cg_image *out = stylize_or_die(m, in, &o);
    cg_image *small = cg_image_resize(in, in->width / 2, in->height / 2, &err);
    cg_image *back = cg_image_resize(out, in->width / 2, in->height / 2, &err);
    o.scale = 1;
    cg_image *preview = stylize_or_die(m, small, &o);
    double d = NAN;
    g_assert_cmpint(cg_quality_mean_levels(back, preview, &d, &err), ==, CG_OK);
    cg_image_free(out);
    cg_image_free(small);
    cg_image_free(back);
    cg_image_free(preview);
    return d;
}

/* A black-and-white style's tones are finer than the guide's windows: the
 * guided upsampler broke them into the photo's texture, so a monochrome
 * style is upsampled bilinearly and stays as close to its preview as the
 * colour styles do (here at most half as far as the same network under the
 * guide). */
static void test_monochrome_keeps_preview(void)
{
    const char *ink = "[{\"name\": \"ink\", \"monochrome\": true}]", *colour = "[{\"name\": \"ink\"}]";
    cg_model *mono = random_model(plain, ink, 25), *guided = random_model(plain, colour, 25);
    cg_image *in = test_image(256, 192, 10);
    /* The same weights as a colour style, which the guide brings back: under
     * the guide the monochrome one was 15.1 levels from its preview. */
    double d_mono = preview_distance(mono, in), d_guided = preview_distance(guided, in);
    g_test_message("preview distance: monochrome %.2f levels, the same network guided %.2f", d_mono, d_guided);
    g_assert_cmpfloat(d_mono, <, 0.5 * d_guided);
    cg_image_free(in);
    cg_model_free(mono);
    cg_model_free(guided);
}

typedef struct progress_log {
    GArray *fractions;
    float stop_above; /* cancel once past this fraction */
} progress_log;

static bool log_progress(void *user, float fraction)
{
    progress_log *p = user;
    g_array_append_val(p->fractions, fraction);
    return fraction <= p->stop_above;
}

/* Progress runs from 0 to 1 without going back, reaches the upsampling
 * (which is a share of the work), and a cancel there leaves out untouched. */
static void test_progress_and_cancel(void)
{
    cg_model *m = random_model(plain, NULL, 25);
    cg_image *in = test_image(400, 300, 5);
    cg_error err = {0};
    cg_image *out = cg_image_new(400, 300, &err);
    progress_log log = {g_array_new(FALSE, FALSE, sizeof(float)), 2.0f};
    cg_stylize_options o = cg_stylize_defaults();
    o.scale = 0.25f;
    o.progress = log_progress;
    o.progress_data = &log;
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_OK);
    float last = 0;
    guint after_network = 0;
    for (guint i = 0; i < log.fractions->len; i++) {
        float f = g_array_index(log.fractions, float, i);
        g_assert_cmpfloat(f, >=, last);
        last = f;
    }
    g_assert_cmpfloat(last, ==, 1.0f);
    /* the last few calls come from the upsampling bands, below 1 */
    for (guint i = 0; i + 1 < log.fractions->len; i++)
        after_network += g_array_index(log.fractions, float, i) > 0.5f;
    g_assert_cmpuint(after_network, >=, 2);
    g_assert_cmpfloat(g_array_index(log.fractions, float, 0), >, 0.0f); /* the downscale counted */

    for (size_t i = 0; i < (size_t)400 * 300 * 4; i++)
        out->pixels[i] = 0.25f;
    g_array_set_size(log.fractions, 0);
    log.stop_above = 0.9f;
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_CANCELLED);
    for (size_t i = 0; i < (size_t)400 * 300 * 4; i++)
        g_assert_cmpfloat(out->pixels[i], ==, 0.25f);
    g_array_free(log.fractions, TRUE);
    cg_image_free(in);
    cg_image_free(out);
    cg_model_free(m);
}

static void expect_invalid(const cg_model *m, const cg_image *in, cg_stylize_options o, const char *words)
{
    cg_error err = {0};
    cg_image *out = cg_image_new(in->width, in->height, &err);
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_INVALID);
    g_test_message("%s", err.message);
    g_assert_nonnull(strstr(err.message, words));
    cg_image_free(out);
}

static void test_bad_scales(void)
{
    cg_model *m = random_model(plain, NULL, 26);
    cg_image *in = test_image(40, 30, 6);
    cg_stylize_options o = cg_stylize_defaults();
    const float bad[] = {NAN, INFINITY, -1.0f, 1e-4f, 4.5f, 1e9f};
    for (size_t k = 0; k < G_N_ELEMENTS(bad); k++) {
        o.scale = bad[k];
        expect_invalid(m, in, o, "scale must be 0 or 1 (native)");
    }
    o.scale = 0;
    const int bad_sides[] = {-1, 10, CG_STYLIZE_MAX_SIDE + 1};
    for (size_t k = 0; k < G_N_ELEMENTS(bad_sides); k++) {
        o.scale_side = bad_sides[k];
        expect_invalid(m, in, o, "scale side must be");
    }
    o.scale_side = 0;
    o.scale = 4;
    cg_error err = {0};
    cg_image *wide = test_image(CG_STYLIZE_MAX_SIDE / 2, 2, 7);
    expect_invalid(m, wide, o, "at most 16384");
    cg_image_free(wide);
    /* bad pixels are named in the caller's image, not the resized copy */
    o.scale = 0.5f;
    cg_image *out = cg_image_new(40, 30, &err);
    in->pixels[4 * (31 * 1 + 0) + 2] = NAN; /* pixel (31, 0) */
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_NUMERIC);
    g_assert_nonnull(strstr(err.message, "(31, 0)"));
    cg_image_free(out);
    cg_image_free(in);
    cg_model_free(m);
}

/* Frames at a scale, the attention map at a scale, and statistics computed
 * at a scale reused for the same image. */
static void test_frames_attention_stats(void)
{
    cg_model *m = random_model(cond, cond_styles, 27);
    cg_image *a = test_image(96, 64, 8), *b = test_image(50, 120, 9);
    cg_error err = {0};
    cg_image *oa = cg_image_new(96, 64, &err), *ob = cg_image_new(50, 120, &err);
    const cg_image *in[2] = {a, b};
    cg_image *out[2] = {oa, ob};
    cg_stylize_options o = cg_stylize_defaults();
    o.scale = 0.5f;
    g_assert_cmpint(cg_stylize_frames(m, in, out, 2, &o, &err), ==, CG_OK);
    g_assert_cmpfloat(max_diff(oa, a, true), >, 0.01);
    for (size_t i = 0; i < (size_t)50 * 120 * 4; i++)
        g_assert_true(isfinite(ob->pixels[i]));

    cg_stylize_stats *stats = cg_stylize_compute_stats(m, in, 1, &o, &err);
    g_assert_nonnull(stats);
    cg_image *own = stylize_or_die(m, a, &o);
    g_assert_cmpint(cg_stylize_with_stats(m, stats, a, oa, &o, &err), ==, CG_OK);
    g_assert_cmpfloat(max_diff(own, oa, false), <=, 1.0 / 255);
    cg_stylize_stats_free(stats);
    cg_image_free(own);

    const char *attn = "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"adalin\", "
                       "\"attention\": [\"cam\"]}";
    cg_model *am = random_model(attn, NULL, 28);
    float *map = g_new(float, 96 * 64);
    g_assert_cmpint(cg_stylize_attention(am, a, 0, &o, map, &err), ==, CG_OK);
    float lo = 1, hi = 0;
    for (int i = 0; i < 96 * 64; i++) {
        g_assert_true(isfinite(map[i]));
        lo = fminf(lo, map[i]);
        hi = fmaxf(hi, map[i]);
    }
    g_assert_cmpfloat(lo, >=, 0);
    g_assert_cmpfloat(hi, <=, 1);
    g_assert_cmpfloat(hi - lo, >, 0.5);
    g_free(map);
    cg_model_free(am);
    cg_image_free(a);
    cg_image_free(b);
    cg_image_free(oa);
    cg_image_free(ob);
    cg_model_free(m);
}

static gchar *file_bytes(const char *path, gsize *len)
{
    gchar *b = NULL;
    g_assert_true(g_file_get_contents(path, &b, len, NULL));
    return b;
}

/* cg_stylize_file of in to out writes the bytes that load, cg_stylize and
 * save write (to whole). */
static void expect_whole_bytes(const cg_model *m, const char *in, const char *out, const char *whole,
                               const cg_stylize_options *o)
{
    cg_error err = {0};
    cg_image *loaded = cg_image_load(in, &err);
    g_assert_nonnull(loaded);
    g_assert_cmpint(cg_stylize(m, loaded, loaded, o, &err), ==, CG_OK);
    g_assert_cmpint(cg_image_save(loaded, whole, NULL, &err), ==, CG_OK);
    if (cg_stylize_file(m, in, out, o, NULL, &err) != CG_OK)
        g_error("%s: %s", in, err.message);
    gsize la = 0, lb = 0;
    gchar *a = file_bytes(whole, &la), *b = file_bytes(out, &lb);
    g_assert_cmpmem(a, la, b, lb);
    g_free(a);
    g_free(b);
    cg_image_free(loaded);
}

/* Files in dir, hidden ones too (a writer's temporary file is hidden). */
static int entries(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    int n = 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

/* From file to file by rows: the bytes of load, stylize and save, for
 * colour, gray, alpha and 16-bit files, a JPEG in and a TIFF out, strength
 * toward the identity style, and a monochrome mix; what cannot stream is
 * refused before anything is written; a cancelled call leaves the old file
 * and no temporary one. */
/* Counts progress calls, and those made while a file the run made in dir
 * (one not in `old`) is at the size limit: a write has failed there. */
typedef struct limit_watch {
    const char *dir;
    GHashTable *old;
    off_t limit;
    int calls, after;
} limit_watch;

static bool watch_limit(void *user, float fraction)
{
    (void)fraction;
    limit_watch *w = user;
    w->calls++;
    GDir *d = g_dir_open(w->dir, 0, NULL);
    bool hit = false;
    for (const char *name; d && (name = g_dir_read_name(d));) {
        if (g_hash_table_contains(w->old, name))
            continue;
        char *path = g_build_filename(w->dir, name, NULL);
        GStatBuf sb;
        hit = hit || (g_stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= w->limit);
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    w->after += hit;
    return true;
}

static void test_file_by_rows(void)
{
    cg_error err = {0};
    cg_model *m = random_model(cond, cond_styles, 31);
    char *dir = g_dir_make_tmp("comicgan-rows-XXXXXX", NULL);
    static const struct { const char *in, *out; int channels, bits; float strength; } cases[] = {
        {"rgb.png", "rgb-out.png", 3, 8, 1}, {"gray.png", "gray-out.png", 1, 8, 1},
        {"alpha.png", "alpha-out.png", 4, 16, 0.6f}, {"photo.jpg", "photo-out.tif", 3, 8, 0.3f},
        {"rgb2.png", "rgb2-out.jpg", 3, 8, 1},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        cg_image *img = test_image(301, 157, 40 + (guint32)i);
        for (int p = 0; p < 301 * 157; p++) {
            float *px = img->pixels + 4 * p;
            if (cases[i].channels <= 2)
                px[1] = px[2] = px[0];
            px[3] = cases[i].channels == 4 ? (float)(p % 7) / 6.0f : 1.0f;
        }
        char *in = g_build_filename(dir, cases[i].in, NULL), *out = g_build_filename(dir, cases[i].out, NULL);
        char *whole = g_strdup_printf("%s/whole-%s", dir, cases[i].out);
        cg_image_save_options so = {.channels = cases[i].channels, .bits = cases[i].bits};
        g_assert_cmpint(cg_image_save(img, in, &so, &err), ==, CG_OK);
        cg_stylize_options o = cg_stylize_defaults();
        o.scale = 0.3f;
        o.strength = cases[i].strength;
        if (i == 4) {
            static const float mostly_ink[2] = {0.8f, 0.2f};
            o.mix = mostly_ink;
        }
        expect_whole_bytes(m, in, out, whole, &o);
        cg_image_free(img);
        g_free(in);
        g_free(out);
        g_free(whole);
    }

    /* At native scale in tiles, the rows are read once for the first pass and
     * once for the last, and each row of tiles is written as it completes:
     * the bytes of the tiled whole-image path. */
    static const char *const natives[] = {"rgb.png", "gray.png", "photo.jpg", "alpha.png"};
    for (size_t i = 0; i < G_N_ELEMENTS(natives); i++) {
        char *in = g_build_filename(dir, natives[i], NULL), *out = g_build_filename(dir, "native.png", NULL);
        char *whole = g_build_filename(dir, "native-whole.png", NULL);
        cg_stylize_options o = cg_stylize_defaults();
        o.tile = 48 + 16 * (int)i;
        o.strength = i >= 2 ? 0.4f : 1; /* the identity style's run too, kept in a temporary file */
        expect_whole_bytes(m, in, out, whole, &o);
        g_remove(out);
        g_remove(whole);
        g_free(in);
        g_free(out);
        g_free(whole);
    }

    /* Refused without writing: native scale when the image runs whole,
     * post-processing, strength 0. */
    char *in = g_build_filename(dir, "rgb.png", NULL), *out = g_build_filename(dir, "refused.png", NULL);
    cg_stylize_options o = cg_stylize_defaults();
    g_assert_cmpint(cg_stylize_file(m, in, out, &o, NULL, &err), ==, CG_ERR_UNSUPPORTED);
    o.scale = 0.3f;
    o.denoise = 0.5f;
    g_assert_cmpint(cg_stylize_file(m, in, out, &o, NULL, &err), ==, CG_ERR_UNSUPPORTED);
    o.denoise = 0;
    o.strength = 0;
    g_assert_cmpint(cg_stylize_file(m, in, out, &o, NULL, &err), ==, CG_ERR_UNSUPPORTED);
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));

    /* Cancelled at any point: the old output stays, nothing else is left. */
    char *keep = g_build_filename(dir, "rgb-out.png", NULL);
    gsize lk = 0;
    gchar *kept = file_bytes(keep, &lk);
    int before = entries(dir);
    const float stops[] = {0.005f, 0.5f, 0.9f, 0.3f, 0.95f, 0.2f, 0.8f};
    for (size_t k = 0; k < G_N_ELEMENTS(stops); k++) {
        progress_log log = {g_array_new(FALSE, FALSE, sizeof(float)), stops[k]};
        o.strength = k >= 5 ? 0.5f : 1; /* at native scale: the identity's run, then the style's */
        if (k >= 3) { /* native, in tiles: the first pass, the last */
            o.scale = 1;
            o.tile = 48;
        }
        o.progress = log_progress;
        o.progress_data = &log;
        g_assert_cmpint(cg_stylize_file(m, in, keep, &o, NULL, &err), ==, CG_ERR_CANCELLED);
        g_assert_cmpint(entries(dir), ==, before);
        gsize l2 = 0;
        gchar *now = file_bytes(keep, &l2);
        g_assert_cmpmem(kept, lk, now, l2);
        g_free(now);
        g_array_free(log.fractions, TRUE);
    }
    /* A write that fails (a file size limit standing in for a full disk)
     * stops the run there: the error, the old output as it was, and no
     * progress reported (no more of the network run) once a file has met
     * the limit. */
    {
        o.scale = 1;
        o.tile = 48;
        o.strength = 1;
        limit_watch watch = {dir, g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL), 8 << 10, 0, 0};
        GDir *d = g_dir_open(dir, 0, NULL);
        for (const char *name; (name = g_dir_read_name(d));)
            g_hash_table_add(watch.old, g_strdup(name));
        g_dir_close(d);
        o.progress = watch_limit;
        o.progress_data = &watch;
        struct rlimit old, small;
        g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
        small = old;
        small.rlim_cur = (rlim_t)watch.limit;
        void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
        cg_status st = cg_stylize_file(m, in, keep, &o, NULL, &err);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
        signal(SIGXFSZ, was);
        g_test_message("write error: %s; %d progress calls, %d of them after the limit", err.message, watch.calls,
                       watch.after);
        g_assert_cmpint(st, ==, CG_ERR_IO);
        g_assert_cmpint(watch.calls, >, 10);
        g_assert_cmpint(watch.after, ==, 0);
        g_hash_table_destroy(watch.old);
        g_assert_cmpint(entries(dir), ==, before);
        gsize l2 = 0;
        gchar *now = file_bytes(keep, &l2);
        g_assert_cmpmem(kept, lk, now, l2);
        g_free(now);
    }
    /* A broken input: its error, nothing written. */
    char *broken = g_build_filename(dir, "broken.png", NULL);
    g_assert_true(g_file_set_contents(broken, kept, (gssize)(lk / 2), NULL));
    o.progress = NULL;
    g_assert_cmpint(cg_stylize_file(m, broken, out, &o, NULL, &err), ==, CG_ERR_FORMAT);
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_free(kept);
    g_free(keep);
    g_free(broken);
    g_free(in);
    g_free(out);
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *name; (name = g_dir_read_name(d));) {
        char *path = g_build_filename(dir, name, NULL);
        g_remove(path);
        g_free(path);
    }
    g_dir_close(d);
    g_rmdir(dir);
    g_free(dir);
    cg_model_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/scale/native_identical", test_native_identical);
    g_test_add_func("/scale/scale_of", test_scale_of);
    g_test_add_func("/scale/tiled_equals_whole", test_tiled_equals_whole);
    g_test_add_func("/scale/finite_alpha_gray", test_finite_alpha_gray);
    g_test_add_func("/scale/edges_follow_input", test_edges_follow_input);
    g_test_add_func("/scale/monochrome_keeps_preview", test_monochrome_keeps_preview);
    g_test_add_func("/scale/progress_and_cancel", test_progress_and_cancel);
    g_test_add_func("/scale/bad_scales", test_bad_scales);
    g_test_add_func("/scale/frames_attention_stats", test_frames_attention_stats);
    g_test_add_func("/scale/file_by_rows", test_file_by_rows);
    return g_test_run();
}
