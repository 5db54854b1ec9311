/* Checks what the GIMP plug-in wrote against libcomicgan run on the same
 * input. The GIMP test (gimp-batch.sh) exports each layer before and after
 * a procedure as PNG and calls this once per check; it exits 0 when the
 * check holds and prints why not otherwise.
 *
 *   check-results stylize MODEL STYLE STRENGTH KEEP TILE IN OUT [X Y W H [feathered]]
 *       OUT is cg_stylize(IN). With a rectangle (the selection's bounds in
 *       layer coordinates) only its inside is stylized, from the rectangle
 *       plus the network's margin, and the outside must equal IN; feathered:
 *       inside, every pixel lies between IN and the stylized one.
 *   check-results frames MODEL STYLE STRENGTH KEEP TILE IN1 OUT1 IN2 OUT2 ...
 *       OUTi are cg_stylize_frames(IN1, IN2, ...), bottom frame first.
 *   check-results attention MODEL STYLE POINT IN HEATMAP
 *       HEATMAP is cg_heatmap(cg_stylize_attention(IN)), fully opaque.
 *   check-results same A B [TOLERANCE] / check-results changed A B
 *       Two images are equal (within TOLERANCE, default exactly) / differ. */
#include "comicgan/stylize.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plug-in and this program see the same input; they differ by the
 * export's rounding (8 or 16 bits) and the tiled engine's 1/255. */
#define TOLERANCE (2.5f / 255.0f)

static cg_image *load(const char *path)
{
    cg_error err = {0};
    cg_image *img = cg_image_load(path, &err);
    if (!img) {
        fprintf(stderr, "%s\n", err.message);
        exit(2);
    }
    return img;
}

static cg_model *load_model(const char *path, const char *style, int *index)
{
    cg_error err = {0};
    cg_model *m = cg_model_load(path, &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.message);
        exit(2);
    }
    *index = cg_model_find_style(m, style);
    if (*index < 0) {
        fprintf(stderr, "no style %s in %s\n", style, path);
        exit(2);
    }
    return m;
}

static void need(cg_status status, const cg_error *err)
{
    if (status != CG_OK) {
        fprintf(stderr, "comicgan: %s\n", err->message);
        exit(2);
    }
}

static bool same_size(const cg_image *a, const cg_image *b, const char *what)
{
    if (a->width == b->width && a->height == b->height)
        return true;
    printf("%s: size %dx%d, expected %dx%d\n", what, b->width, b->height, a->width, a->height);
    return false;
}

/* Compares b's rectangle (x, y, w, h) with a's at (ax, ay); prints the worst pixel. */
static bool compare(const cg_image *a, int ax, int ay, const cg_image *b, int x, int y, int w, int h,
                    float tolerance, const char *what)
{
    float worst = 0;
    int wx = 0, wy = 0, wc = 0;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            for (int c = 0; c < 4; c++) {
                float d = fabsf(cg_image_at(a, ax + i, ay + j)[c] - cg_image_at(b, x + i, y + j)[c]);
                if (d > worst) {
                    worst = d;
                    wx = x + i;
                    wy = y + j;
                    wc = c;
                }
            }
    if (worst <= tolerance)
        return true;
    printf("%s: pixel (%d, %d) channel %d differs by %.6f (%.2f/255)\n", what, wx, wy, wc, worst, worst * 255);
    return false;
}

static double mean_change(const cg_image *a, const cg_image *b)
{
    double sum = 0;
    size_t n = (size_t)a->width * a->height * 4;
    for (size_t i = 0; i < n; i++)
        sum += fabsf(a->pixels[i] - b->pixels[i]);
    return sum / n;
}

static cg_stylize_options options(char **argv, int style)
{
    cg_stylize_options o = cg_stylize_defaults();
    o.style = style;
    o.strength = strtof(argv[0], NULL);
    o.keep_colors = atoi(argv[1]) != 0;
    o.tile = atoi(argv[2]);
    return o;
}

static int check_stylize(int argc, char **argv)
{
    if (argc != 8 && argc != 12 && argc != 13)
        return fprintf(stderr, "stylize: wrong arguments\n"), 2;
    int style;
    cg_model *m = load_model(argv[1], argv[2], &style);
    cg_stylize_options o = options(argv + 3, style);
    cg_image *in = load(argv[6]), *out = load(argv[7]);
    if (!same_size(in, out, "result"))
        return 1;
    int x = 0, y = 0, w = in->width, h = in->height;
    if (argc >= 12) {
        x = atoi(argv[8]);
        y = atoi(argv[9]);
        w = atoi(argv[10]);
        h = atoi(argv[11]);
    }
    bool feathered = argc == 13 && strcmp(argv[12], "feathered") == 0;
    int margin = cg_net_receptive_radius(cg_model_net(m));
    int x0 = x - margin > 0 ? x - margin : 0, y0 = y - margin > 0 ? y - margin : 0;
    int x1 = x + w + margin < in->width ? x + w + margin : in->width;
    int y1 = y + h + margin < in->height ? y + h + margin : in->height;

    cg_error err = {0};
    cg_image *context = cg_image_new(x1 - x0, y1 - y0, &err);
    need(context ? CG_OK : err.code, &err);
    for (int j = y0; j < y1; j++)
        memcpy(cg_image_at(context, 0, j - y0), cg_image_at(in, x0, j), (size_t)(x1 - x0) * 4 * sizeof(float));
    cg_image *styled = cg_image_copy(context, &err);
    need(styled ? CG_OK : err.code, &err);
    need(cg_stylize(m, context, styled, &o, &err), &err);

    bool ok = true;
    if (o.strength > 0 && mean_change(context, styled) < 0.01) {
        printf("the style barely changes this input, so the check would prove nothing\n");
        ok = false;
    }
    if (!feathered) {
        ok = compare(styled, x - x0, y - y0, out, x, y, w, h, TOLERANCE, "inside the selection") && ok;
    } else {
        /* The selection mask blends: between the input and the stylized
         * pixel, and some pixels really mixed. */
        int mixed = 0, outside = 0;
        for (int j = 0; j < h; j++)
            for (int i = 0; i < w; i++)
                for (int c = 0; c < 4; c++) {
                    float a = cg_image_at(in, x + i, y + j)[c], s = cg_image_at(styled, x - x0 + i, y - y0 + j)[c];
                    float v = cg_image_at(out, x + i, y + j)[c];
                    float lo = fminf(a, s) - TOLERANCE, hi = fmaxf(a, s) + TOLERANCE;
                    outside += v < lo || v > hi;
                    mixed += fabsf(a - s) > 0.1f && fabsf(v - a) > 0.02f && fabsf(v - s) > 0.02f;
                }
        if (outside) {
            printf("feathered selection: %d samples outside [input, stylized]\n", outside);
            ok = false;
        }
        if (!mixed) {
            printf("feathered selection: no pixel is a mix of input and stylized\n");
            ok = false;
        }
    }
    /* Outside the rectangle the layer must be as it was. */
    ok = compare(in, 0, 0, out, 0, 0, in->width, y, 0.0f, "above the selection") && ok;
    ok = compare(in, 0, y + h, out, 0, y + h, in->width, in->height - y - h, 0.0f, "below the selection") && ok;
    ok = compare(in, 0, y, out, 0, y, x, h, 0.0f, "left of the selection") && ok;
    ok = compare(in, x + w, y, out, x + w, y, in->width - x - w, h, 0.0f, "right of the selection") && ok;
    cg_image_free(context);
    cg_image_free(styled);
    cg_image_free(in);
    cg_image_free(out);
    cg_model_free(m);
    return ok ? 0 : 1;
}

static int check_frames(int argc, char **argv)
{
    if (argc < 8 || (argc - 6) % 2)
        return fprintf(stderr, "frames: wrong arguments\n"), 2;
    int style;
    cg_model *m = load_model(argv[1], argv[2], &style);
    cg_stylize_options o = options(argv + 3, style);
    int n = (argc - 6) / 2;
    cg_image **in = calloc(n, sizeof *in), **out = calloc(n, sizeof *out), **want = calloc(n, sizeof *want);
    cg_error err = {0};
    bool ok = true;
    for (int i = 0; i < n; i++) {
        in[i] = load(argv[6 + 2 * i]);
        out[i] = load(argv[7 + 2 * i]);
        want[i] = cg_image_new(in[i]->width, in[i]->height, &err);
        need(want[i] ? CG_OK : err.code, &err);
        ok = same_size(in[i], out[i], argv[7 + 2 * i]) && ok;
    }
    if (!ok)
        return 1;
    need(cg_stylize_frames(m, (const cg_image *const *)in, want, n, &o, &err), &err);
    for (int i = 0; i < n; i++) {
        ok = compare(want[i], 0, 0, out[i], 0, 0, in[i]->width, in[i]->height, TOLERANCE, argv[7 + 2 * i]) && ok;
        cg_image_free(in[i]);
        cg_image_free(out[i]);
        cg_image_free(want[i]);
    }
    free(in);
    free(out);
    free(want);
    cg_model_free(m);
    return ok ? 0 : 1;
}

static int check_attention(int argc, char **argv)
{
    if (argc != 6)
        return fprintf(stderr, "attention: wrong arguments\n"), 2;
    int style;
    cg_model *m = load_model(argv[1], argv[2], &style);
    const cg_net *net = cg_model_net(m);
    int point = -1;
    for (int i = 0; i < cg_net_attention_count(net); i++)
        if (strcmp(cg_net_attention_name(net, i), argv[3]) == 0)
            point = i;
    if (point < 0)
        return fprintf(stderr, "no attention point %s\n", argv[3]), 2;
    cg_image *in = load(argv[4]), *out = load(argv[5]);
    if (!same_size(in, out, "heatmap"))
        return 1;
    cg_stylize_options o = cg_stylize_defaults();
    o.style = style;
    cg_error err = {0};
    float *map = malloc((size_t)in->width * in->height * sizeof *map);
    cg_image *want = cg_image_new(in->width, in->height, &err);
    need(want && map ? CG_OK : CG_ERR_NOMEM, &err);
    need(cg_stylize_attention(m, in, point, &o, map, &err), &err);
    cg_heatmap(map, in->width, in->height, 1.0f, want);
    bool ok = compare(want, 0, 0, out, 0, 0, in->width, in->height, TOLERANCE, "heatmap");
    free(map);
    cg_image_free(want);
    cg_image_free(in);
    cg_image_free(out);
    cg_model_free(m);
    return ok ? 0 : 1;
}

static int check_same(int argc, char **argv, bool want_same)
{
    if (argc != 3 && argc != 4)
        return fprintf(stderr, "same/changed: wrong arguments\n"), 2;
    cg_image *a = load(argv[1]), *b = load(argv[2]);
    float tolerance = argc == 4 ? strtof(argv[3], NULL) : 0.0f;
    bool sized = a->width == b->width && a->height == b->height;
    bool same = sized && compare(a, 0, 0, b, 0, 0, a->width, a->height, tolerance,
                                 want_same ? "image" : "(expected to differ)");
    if (!want_same && same)
        printf("the image did not change\n");
    cg_image_free(a);
    cg_image_free(b);
    return same == want_same ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: check-results stylize|frames|attention|same|changed ...\n");
        return 2;
    }
    const char *what = argv[1];
    if (strcmp(what, "stylize") == 0)
        return check_stylize(argc - 1, argv + 1);
    if (strcmp(what, "frames") == 0)
        return check_frames(argc - 1, argv + 1);
    if (strcmp(what, "attention") == 0)
        return check_attention(argc - 1, argv + 1);
    if (strcmp(what, "same") == 0 || strcmp(what, "changed") == 0)
        return check_same(argc - 1, argv + 1, strcmp(what, "same") == 0);
    fprintf(stderr, "check-results: unknown check %s\n", what);
    return 2;
}
