/* Helpers for the Krita tests, so that they need no image library of their own:
 *   krita-testtool make-input OUT.png WIDTH HEIGHT BITS
 *       a deterministic picture with shapes, gradients and varying alpha
 *   krita-testtool to-raw IN.png OUT.raw DEPTH
 *       an image file's pixels in Krita's layout (U8, U16: BGRA; F16, F32: RGBA)
 *   krita-testtool from-raw IN.raw WIDTH HEIGHT DEPTH OUT.tif
 *       the other way, into a float TIFF (which keeps the values exactly)
 *   krita-testtool stylize IN OUT STYLE STRENGTH
 *       cg_stylize on a file, for when the comicgan command is not built
 * Styles come from the catalog (COMICGAN_MODEL_PATH). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "comicgan/catalog.h"
#include "comicgan/stylize.h"
#include "pixels.h"

static int fail(const cg_error *err)
{
    fprintf(stderr, "krita-testtool: %s\n", err->message);
    return 1;
}

static int make_input(const char *path, int w, int h, int bits)
{
    cg_error err = {0};
    cg_image *img = cg_image_new(w, h, &err);
    if (!img)
        return fail(&err);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            float u = (float)x / w, v = (float)y / h, *p = cg_image_at(img, x, y);
            float dx = u - 0.5f, dy = v - 0.5f;
            bool disc = dx * dx + dy * dy < 0.09f;
            p[0] = disc ? 0.95f : 0.2f + 0.7f * u;
            p[1] = disc ? 0.8f - 0.3f * v : 0.5f + 0.4f * sinf(12.0f * u);
            p[2] = ((x / 8 + y / 8) % 2) ? 0.85f : 0.3f * v;
            /* Alpha never 0, so the layer's bounds are the whole image. */
            p[3] = 0.25f + 0.75f * (1.0f - fabsf(dy));
        }
    }
    cg_image_save_options opts = {.bits = bits, .channels = 4};
    cg_status s = cg_image_save(img, path, &opts, &err);
    cg_image_free(img);
    return s == CG_OK ? 0 : fail(&err);
}

static int depth_of(const char *name)
{
    static const char *const names[] = {"U8", "U16", "F16", "F32"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    fprintf(stderr, "krita-testtool: unknown depth %s\n", name);
    return -1;
}

static int to_raw(const char *in, const char *out, const char *depth_name)
{
    int d = depth_of(depth_name);
    if (d < 0)
        return 2;
    cg_error err = {0};
    cg_image *img = cg_image_load(in, &err);
    if (!img)
        return fail(&err);
    size_t n = (size_t)img->width * img->height, size = n * cgb_depth_bytes((cgb_depth)d);
    uint8_t *raw = g_malloc(size);
    cgb_pack(img->pixels, (cgb_depth)d, false, n, raw);
    GError *gerr = NULL;
    bool ok = g_file_set_contents(out, (const char *)raw, (gssize)size, &gerr);
    if (!ok) {
        fprintf(stderr, "krita-testtool: %s\n", gerr->message);
        g_error_free(gerr);
    }
    g_free(raw);
    cg_image_free(img);
    return ok ? 0 : 1;
}

static int from_raw(const char *in, int w, int h, const char *depth_name, const char *out)
{
    int d = depth_of(depth_name);
    if (d < 0)
        return 2;
    gchar *raw = NULL;
    gsize size = 0;
    cg_error err = {0};
    if (!g_file_get_contents(in, &raw, &size, NULL) || size != (gsize)w * h * cgb_depth_bytes((cgb_depth)d)) {
        fprintf(stderr, "krita-testtool: %s is missing or not %d x %d %s pixels\n", in, w, h, depth_name);
        g_free(raw);
        return 1;
    }
    cg_image *img = cg_image_new(w, h, &err);
    cg_status s = img ? CG_OK : err.code;
    if (img && !cgb_unpack((const uint8_t *)raw, (cgb_depth)d, false, (size_t)w * h, img->pixels, NULL))
        s = cg_fail(&err, CG_ERR_NUMERIC, "%s holds NaN or infinite samples", in);
    cg_image_save_options opts = {.bits = 32, .channels = 4};
    if (s == CG_OK)
        s = cg_image_save(img, out, &opts, &err);
    cg_image_free(img);
    g_free(raw);
    return s == CG_OK ? 0 : fail(&err);
}

static int stylize(const char *in, const char *out, const char *style, double strength)
{
    cg_error err = {0};
    cg_catalog *c = cg_catalog_new();
    int index = 0;
    cg_model *m = cg_catalog_load_style(c, style, &index, &err);
    cg_image *img = m ? cg_image_load(in, &err) : NULL;
    cg_stylize_options o = cg_stylize_defaults();
    o.style = index;
    o.strength = (float)strength;
    cg_status s = img ? cg_stylize(m, img, img, &o, &err) : err.code;
    if (s == CG_OK)
        s = cg_image_save(img, out, NULL, &err);
    cg_image_free(img);
    cg_model_free(m);
    cg_catalog_free(c);
    return s == CG_OK ? 0 : fail(&err);
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "make-input") == 0)
        return make_input(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (argc == 5 && strcmp(argv[1], "to-raw") == 0)
        return to_raw(argv[2], argv[3], argv[4]);
    if (argc == 7 && strcmp(argv[1], "from-raw") == 0)
        return from_raw(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], argv[6]);
    if (argc == 6 && strcmp(argv[1], "stylize") == 0)
        return stylize(argv[2], argv[3], argv[4], atof(argv[5]));
    fprintf(stderr, "usage: krita-testtool make-input OUT.png W H BITS | to-raw IN.png OUT.raw DEPTH |"
                    " from-raw IN.raw W H DEPTH OUT.tif | stylize IN OUT STYLE STRENGTH\n");
    return 2;
}
