/* Large-image benchmark: time and peak memory of stylizing big canvases at
 * native scale, against the time a pixel takes at 1024², in one run.
 *
 *   bench-large MODEL [--runs N] [--budget MIB] [--sizes 1024x1024,2048x2048,4000x3000] [--long]
 *   bench-large MODEL --files [--scale S] [--budget MIB] [--sizes ...]
 *
 * Each stylize runs in a fresh process (this program again, as --child), so
 * its peak resident memory is its own: the image (16 bytes a pixel, in and out
 * the same) plus what the engine needs. Prints per size the median seconds of
 * N runs, the ratio of its time a pixel to the first size's, the peak RSS and
 * the work ratio: FLOPs planned over the FLOPs of one whole-image pass. The
 * first size, which every ratio divides by, runs at least FIRST_RUNS times:
 * one run of 1024² varied by a third on a shared machine (0.92 to 1.42 s).
 *
 * --files: what the comicgan command does instead: a PNG file to a PNG file,
 * streamed by rows (cg_stylize_file), at the automatic scale (the network sees
 * the image at 1024 px on its long side) or --scale S (1: native). What does
 * not stream is loaded whole, as the command does it. The input files are
 * written first, by this process, in $TMPDIR, and removed at the end; the
 * work ratio is then that of the network's copy. */
#include "comicgan/engine.h"
#include "comicgan/stylize.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum { FIRST_RUNS = 5 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A photo-like synthetic picture: gradients, discs, fine texture. */
static void fill(cg_image *img)
{
    GRand *r = g_rand_new_with_seed(7);
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            float *p = cg_image_at(img, x, y);
            int cx = x % 512 - 256, cy = y % 512 - 256;
            bool disc = cx * cx + cy * cy < 160 * 160;
            float u = (float)x / img->width, v = (float)y / img->height, n = (float)g_rand_double_range(r, -0.03, 0.03);
            p[0] = (disc ? 0.9f : u) + n;
            p[1] = (disc ? 0.2f : v) + n;
            p[2] = (disc ? 0.1f : 0.5f * (u + v)) + n;
            p[3] = 1;
        }
    g_rand_free(r);
}

/* A child's line for the parent: "seconds peak_rss_mib work_ratio memory_mib
 * temp_mib tile"; or the error. Returns the exit status. */
static int report(cg_status st, const cg_error *err, double seconds, const cg_stylize_cost *cost)
{
    if (st != CG_OK) {
        fprintf(stderr, "bench-large: %s\n", err->message);
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.3f %.1f %.3f %.1f %.1f %d\n", seconds, ru.ru_maxrss / 1024.0, cost->flops / cost->whole_flops,
           cost->memory / (1 << 20), cost->temp_file / (1 << 20), cost->tile);
    return 0;
}

/* The synthetic picture's PNG for --files: TMPDIR/bench-large-WxH.png (g_free). */
static char *input_file(int w, int h)
{
    char *name = g_strdup_printf("bench-large-%dx%d.png", w, h);
    char *path = g_build_filename(g_get_tmp_dir(), name, NULL);
    g_free(name);
    return path;
}

/* --child --files: one file-to-file stylize at the automatic scale. */
static int child_files(const char *model_file, int w, int h, double scale, size_t budget)
{
    cg_error err = {0};
    cg_model *m = cg_model_load(model_file, &err);
    char *in = input_file(w, h), *out = g_strdup_printf("%s.out.png", in);
    cg_stylize_options o = cg_stylize_defaults();
    o.scale = (float)scale;
    o.scale_side = scale > 0 ? 0 : CG_STYLIZE_AUTO_SIDE;
    o.memory_budget = budget;
    double sc = cg_stylize_scale_of(&o, w, h);
    int ww = (int)fmax(1, round(w * sc)), hh = (int)fmax(1, round(h * sc));
    cg_stylize_cost cost = {0};
    gint64 t0 = g_get_monotonic_time();
    cg_status st = m ? cg_stylize_estimate(m, ww, hh, &o, &cost, &err) : err.code;
    if (st == CG_OK)
        st = cg_stylize_file(m, in, out, &o, NULL, &err);
    if (st == CG_ERR_UNSUPPORTED) {
        /* An image no larger than the automatic side runs natively, whole,
         * as the comicgan command then runs it. */
        cg_image *img = cg_image_load(in, &err);
        st = img ? cg_stylize(m, img, img, &o, &err) : err.code;
        if (st == CG_OK)
            st = cg_image_save(img, out, NULL, &err);
        cg_image_free(img);
    }
    double seconds = (double)(g_get_monotonic_time() - t0) * 1e-6;
    remove(out);
    g_free(in);
    g_free(out);
    cg_model_free(m);
    return report(st, &err, seconds, &cost);
}

/* --child: one stylize in memory. */
static int child(const char *model_file, int w, int h, size_t budget)
{
    cg_error err = {0};
    cg_model *m = cg_model_load(model_file, &err);
    cg_image *img = m ? cg_image_new(w, h, &err) : NULL;
    if (!img) {
        fprintf(stderr, "bench-large: %s\n", err.message);
        return 1;
    }
    fill(img);
    cg_stylize_options o = cg_stylize_defaults();
    o.scale = 1;
    o.memory_budget = budget;
    cg_stylize_cost cost;
    if (cg_stylize_estimate(m, w, h, &o, &cost, &err) != CG_OK) {
        fprintf(stderr, "bench-large: %s\n", err.message);
        return 1;
    }
    gint64 t0 = g_get_monotonic_time();
    cg_status st = cg_stylize(m, img, img, &o, &err);
    double seconds = (double)(g_get_monotonic_time() - t0) * 1e-6;
    cg_image_free(img);
    cg_model_free(m);
    return report(st, &err, seconds, &cost);
}

typedef struct figures {
    double seconds, rss, work, memory, temp;
    int tile;
} figures;

static bool run_child(const char *self, const char *model, int w, int h, size_t budget, bool files, double scale,
                      figures *f)
{
    char size[64], mib[32], sc[32];
    snprintf(size, sizeof size, "%dx%d", w, h);
    snprintf(mib, sizeof mib, "%zu", budget >> 20);
    g_ascii_dtostr(sc, sizeof sc, scale);
    const char *argv[] = {self, model, "--child", size, "--budget", mib, "--scale", sc, files ? "--files" : NULL, NULL};
    char *out = NULL;
    int status = 0;
    GError *error = NULL;
    bool good = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, &out, NULL, &status,
                             &error) &&
                g_spawn_check_wait_status(status, NULL) &&
                sscanf(out, "%lf %lf %lf %lf %lf %d", &f->seconds, &f->rss, &f->work, &f->memory, &f->temp, &f->tile) == 6;
    if (error)
        fprintf(stderr, "bench-large: %s\n", error->message);
    g_clear_error(&error);
    g_free(out);
    return good;
}

int main(int argc, char **argv)
{
    int runs = 3, budget_mib = 0;
    char *sizes = NULL, *child_size = NULL;
    gboolean is_child = FALSE, files = FALSE, with_long = FALSE;
    double scale = 0;
    GOptionEntry entries[] = {
        {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "Runs a size (median; default 3; the first size at least 5)", "N"},
        {"budget", 0, 0, G_OPTION_ARG_INT, &budget_mib, "Memory budget in MiB (0: the default)", "MIB"},
        {"sizes", 0, 0, G_OPTION_ARG_STRING, &sizes, "WxH,... (default 1024x1024,2048x2048,4000x3000; see --long)",
         "LIST"},
        {"long", 0, 0, G_OPTION_ARG_NONE, &with_long, "Add 8192x8192 (64 MP) to the default sizes", NULL},
        {"files", 0, 0, G_OPTION_ARG_NONE, &files,
         "PNG file to PNG file at the automatic scale, streamed by rows (the comicgan command's default)", NULL},
        {"scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale, "With --files: the style scale (1: native; default: automatic)",
         "S"},
        {"child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &is_child, NULL, NULL},
        {NULL},
    };
    GOptionContext *ctx = g_option_context_new("MODEL");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc < 2) {
        fprintf(stderr, "usage: bench-large MODEL [--runs N] [--budget MIB] [--sizes WxH,...] [--long] [--files [--scale S]]%s%s\n",
                error ? ": " : "", error ? error->message : "");
        return 2;
    }
    g_option_context_free(ctx);
    size_t budget = (size_t)budget_mib << 20;
    if (is_child) {
        int w = 0, h = 0;
        child_size = argv[2];
        if (argc < 3 || sscanf(child_size, "%dx%d", &w, &h) != 2)
            return 2;
        return files ? child_files(argv[1], w, h, scale, budget) : child(argv[1], w, h, budget);
    }
    char *self = g_file_read_link("/proc/self/exe", NULL);
    char **list = g_strsplit(sizes ? sizes : with_long ? "1024x1024,2048x2048,4000x3000,8192x8192"
                                                       : "1024x1024,2048x2048,4000x3000",
                             ",", -1);
    printf("%-11s %9s %13s %9s %9s %11s %9s %6s\n", "size", "seconds", "per px vs 1st", "peak RSS", "work", "planned mem",
           "temp file", "tile");
    double first = 0;
    for (int i = 0; list[i]; i++) {
        int w = 0, h = 0;
        if (sscanf(list[i], "%dx%d", &w, &h) != 2)
            continue;
        const int n = first == 0 && runs < FIRST_RUNS ? FIRST_RUNS : runs;
        double *t = g_new(double, (gsize)n);
        figures f = {0};
        double rss = 0;
        char *in = files ? input_file(w, h) : NULL;
        if (in) {
            cg_error err = {0};
            cg_image *img = cg_image_new(w, h, &err);
            if (img)
                fill(img);
            if (!img || cg_image_save(img, in, NULL, &err) != CG_OK) {
                fprintf(stderr, "bench-large: %s\n", err.message);
                return 1;
            }
            cg_image_free(img);
        }
        for (int r = 0; r < n; r++) {
            if (!run_child(self, argv[1], w, h, budget, files, scale, &f)) {
                fprintf(stderr, "bench-large: the %s run failed\n", list[i]);
                if (in)
                    remove(in);
                return 1;
            }
            t[r] = f.seconds;
            rss = f.rss > rss ? f.rss : rss;
        }
        if (in)
            remove(in);
        g_free(in);
        qsort(t, (size_t)n, sizeof *t, cmp_double);
        double med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
        double per_px = med / ((double)w * h);
        if (first == 0)
            first = per_px;
        printf("%-11s %9.2f %12.2fx %5.0f MiB %8.2fx %7.0f MiB %5.0f MiB %6d\n", list[i], med, per_px / first, rss,
               f.work, f.memory, f.temp, f.tile);
        fflush(stdout);
        g_free(t);
    }
    g_strfreev(list);
    g_free(self);
    g_free(sizes);
    return 0;
}
