/* comicgan bench: how fast this machine runs the engine.
 *
 *   comicgan bench [--json] [--quick] [--memory] [--model FILE] [--baseline FILE]
 *   comicgan bench --scale-consistency [--side N] [--auto-side N] [--style NAME] [--runs N] PHOTO…
 *   comicgan bench --flicker [--side N] [--style NAME] PHOTO…
 *
 * Prints the engine's facts (CPU, the OpenBLAS loaded and its kernel type),
 * the machine's sgemm rate at 2048³, and the generator's forward pass at
 * 256², 512² and 1024² (median of several runs) with its GFLOPS and their
 * ratio to the sgemm rate measured in the same run. The generator is the
 * benchmark one (below, seeded random weights) unless --model names another.
 * A reference model is timed with the code of a synthetic reference, and the
 * encoding of that 1024x768 picture is timed too. --baseline times another
 * model at the same sizes in the same run and prints the ratio.
 * --memory adds the peak memory of stylizing a 4096² image with automatic
 * tiling, measured in a fresh process so that nothing allocated here counts.
 * --scale-consistency measures the style scale instead (bench_scale.c), --flicker
 * how much each style swims on moving shots (bench_flicker.c). */
#include "common.h"
#include "comicgan/engine.h"
#include "comicgan/rng.h"
#include "core/blas.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cg_config.h"

/* The benchmark generator: 1,377,411 parameters. */
#define BENCH_ARCH "{\"type\": \"resnet\", \"width\": 32, \"downsamples\": 2, \"blocks\": 4, \"norm\": \"instance\"}"
#define SGEMM_SIZE 2048
#define MEMORY_SIZE 4096
#define PREVIEW_MIN_SIDE 640 /* --side: not below the fitted preview's */
#define REFERENCE_W 1024 /* the synthetic reference whose encoding is timed */
#define REFERENCE_H 768

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

/* Resident memory now, from /proc (getrusage only knows the peak). */
static double current_rss_mib(void)
{
    char *status = NULL;
    double kib = 0;
    if (g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
        const char *line = strstr(status, "VmRSS:");
        if (line)
            kib = g_ascii_strtod(line + 6, NULL);
    }
    g_free(status);
    return kib / 1024.0;
}

/* ---- the network's arithmetic ---- */

static int arch_int(JsonObject *arch, const char *key)
{
    return (int)json_object_get_int_member_with_default(arch, key, 0);
}

/* Floating-point operations of one forward pass at h x w, counted from the
 * convolution weights' shapes: 2·Co·Ci·k²·Ho·Wo per convolution (a transposed
 * one per input position), plus self-attention's two (hw)x(hw) products.
 * Norms, activations and resampling are left out: a few percent at most. */
static double net_flops(const cg_net *net, JsonObject *arch, int h, int w)
{
    const int down = arch_int(arch, "downsamples");
    const bool transposed = g_strcmp0(json_object_get_string_member_with_default(arch, "upsample", ""),
                                      "transposed") == 0;
    const cg_params *ps = cg_net_params(net);
    double total = 0;
    int i_level;
    for (int i = 0; i < cg_params_count(ps); i++) {
        const char *name = cg_params_name(ps, i);
        const cg_tensor *t = cg_params_get(ps, i);
        if (t->ndim != 4 || !g_str_has_suffix(name, ".weight"))
            continue;
        int level; /* the output is (h >> level) x (w >> level) */
        double positions = -1;
        if (g_str_has_prefix(name, "first.") || g_str_has_prefix(name, "last."))
            level = 0;
        else if (sscanf(name, "down%d.", &i_level) == 1)
            level = i_level + 1;
        else if (sscanf(name, "up%d.", &i_level) == 1)
            level = transposed ? down - i_level : down - 1 - i_level; /* transposed: its input */
        else if (g_str_has_prefix(name, "attention.cbam.mlp"))
            level = 0, positions = 2; /* on the average- and max-pooled vectors */
        else if (g_str_has_prefix(name, "block") || g_str_has_prefix(name, "attention."))
            level = down;
        else
            continue;
        if (positions < 0)
            positions = (double)(h >> level) * (double)(w >> level);
        total += 2.0 * (double)t->dim[0] * (double)t->dim[1] * (double)t->dim[2] * (double)t->dim[3] * positions;
    }
    int q = cg_params_find(ps, "attention.self.query.weight"), v = cg_params_find(ps, "attention.self.value.weight");
    if (q >= 0 && v >= 0) {
        double n = (double)(h >> down) * (double)(w >> down);
        total += 2.0 * n * n * (double)(cg_params_get(ps, q)->dim[0] + cg_params_get(ps, v)->dim[0]);
    }
    return total;
}

/* ---- measurements ---- */

static double sgemm_gflops(int runs)
{
    const int n = SGEMM_SIZE;
    size_t bytes = (size_t)n * n * sizeof(float);
    float *a = cg_aligned_alloc(bytes), *b = cg_aligned_alloc(bytes), *c = cg_aligned_alloc(bytes);
    double t[16], rate = 0;
    if (a && b && c) {
        cg_rng rng;
        cg_rng_seed(&rng, 1);
        for (size_t i = 0; i < (size_t)n * n; i++) {
            a[i] = cg_rng_uniform_f(&rng) - 0.5f;
            b[i] = cg_rng_uniform_f(&rng) - 0.5f;
        }
        cg_sgemm_openblas_threaded(0, n, n, n, a, b, c); /* warm-up: threads started, pages touched */
        for (int r = 0; r < runs; r++) {
            gint64 t0 = g_get_monotonic_time();
            cg_sgemm_openblas_threaded(0, n, n, n, a, b, c);
            t[r] = (double)(g_get_monotonic_time() - t0) * 1e-6;
        }
        rate = 2.0 * n * n * (double)n / median(t, runs) / 1e9;
    }
    cg_aligned_free(a);
    cg_aligned_free(b);
    cg_aligned_free(c);
    return rate;
}

static void fill_synthetic(cg_image *img);

/* Median milliseconds of one end-to-end stylize of a size x size image (the
 * path every front end takes); -1 with err filled on failure. */
static double forward_ms(cg_model *m, int size, int runs, const float *code, cg_error *err)
{
    cg_image *in = cg_image_new(size, size, err), *out = in ? cg_image_new(size, size, err) : NULL;
    double t[16], ms = -1;
    if (!out)
        goto done;
    fill_synthetic(in);
    cg_stylize_options o = cg_stylize_defaults();
    o.code = code;
    /* Run 0 is a warm-up: pages touched, thread pool started. */
    for (int r = 0; r <= runs && !cli_interrupted; r++) {
        gint64 t0 = g_get_monotonic_time();
        if (cg_stylize(m, in, out, &o, err) != CG_OK)
            goto done;
        if (r > 0)
            t[r - 1] = (double)(g_get_monotonic_time() - t0) * 1e-3;
    }
    if (cli_interrupted)
        cg_fail(err, CG_ERR_CANCELLED, "cancelled");
    else
        ms = median(t, runs);
done:
    cg_image_free(in);
    cg_image_free(out);
    return ms;
}

/* The model to measure: --model, or the benchmark generator. */
static cg_model *bench_model(const char *model_file, cg_error *err)
{
    if (model_file)
        return cg_model_load(model_file, err);
    cg_model *m = cg_model_new(BENCH_ARCH, NULL, err);
    cg_rng rng;
    cg_rng_seed(&rng, 1);
    if (m && cg_net_init(cg_model_net(m), &rng, false, err) != CG_OK) {
        cg_model_free(m);
        return NULL;
    }
    return m;
}

/* The test picture: smooth gradients with hard-edged discs, so that a
 * style has edges and flat areas to work on. */
static void fill_synthetic(cg_image *img)
{
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            float *p = cg_image_at(img, x, y);
            float u = (float)x / img->width, v = (float)y / img->height;
            int cx = x % 512 - 256, cy = y % 512 - 256;
            bool disc = cx * cx + cy * cy < 160 * 160;
            p[0] = disc ? 0.9f : u;
            p[1] = disc ? 0.2f : v;
            p[2] = disc ? 0.1f : 0.5f * (u + v);
            p[3] = 1;
        }
}

/* A reference model's code for the synthetic reference (NULL, err untouched,
 * for other models); *ms gets the median time of encoding it over runs
 * (none when runs is 0). Caller g_frees. */
static float *bench_code(const cg_model *m, int runs, double *ms, cg_error *err)
{
    const int len = cg_model_code_length(m);
    if (len <= 0)
        return NULL;
    cg_image *ref = cg_image_new(REFERENCE_W, REFERENCE_H, err);
    float *code = ref ? g_new(float, len) : NULL;
    double t[16];
    if (ref)
        fill_synthetic(ref);
    for (int r = 0; code && r <= runs; r++) {
        gint64 t0 = g_get_monotonic_time();
        if (cg_model_encode_reference(m, ref, code, err) != CG_OK) {
            g_free(code);
            code = NULL;
        } else if (r > 0) {
            t[r - 1] = (double)(g_get_monotonic_time() - t0) * 1e-3;
        }
    }
    if (code && runs > 0)
        *ms = median(t, runs);
    cg_image_free(ref);
    return code;
}

/* bench --memory-child: one stylize of a side² image in this fresh process;
 * prints one JSON line for the parent. */
static int run_memory_child(const char *model_file, int side)
{
    cg_error err = {0};
    cg_model *m = bench_model(model_file, &err);
    cg_image *img = m ? cg_image_new(side, side, &err) : NULL;
    if (!img) {
        cg_model_free(m);
        return cli_fail_error("bench", &err);
    }
    fill_synthetic(img);
    double ignored;
    float *code = bench_code(m, 0, &ignored, &err);
    if (cg_model_code_length(m) > 0 && !code) {
        cg_image_free(img);
        cg_model_free(m);
        return cli_fail_error("bench", &err);
    }
    double before = current_rss_mib();
    cg_stylize_options o = cg_stylize_defaults();
    o.code = code;
    gint64 t0 = g_get_monotonic_time();
    cg_status st = cg_stylize(m, img, img, &o, &err);
    double seconds = (double)(g_get_monotonic_time() - t0) * 1e-6;
    cg_image_free(img);
    cg_model_free(m);
    g_free(code);
    if (st != CG_OK)
        return cli_fail_error("bench", &err);
    printf("{\"size\": %d, \"seconds\": %.3f, \"rss_before_mib\": %.1f, \"peak_rss_mib\": %.1f}\n", side, seconds,
           before, peak_rss_mib());
    return CLI_EXIT_OK;
}

/* Runs this program again as "bench --memory-child" and reads its line. */
static JsonNode *measure_memory(const char *model_file, int side)
{
    char *self = g_file_read_link("/proc/self/exe", NULL), side_arg[32];
    snprintf(side_arg, sizeof side_arg, "--memory-side=%d", side);
    const char *argv[] = {self, "bench", "--memory-child", side_arg, model_file ? "--model" : NULL, model_file, NULL};
    char *out = NULL, *errors = NULL;
    int wait_status = 0;
    GError *error = NULL;
    JsonNode *node = NULL;
    if (!self)
        cli_fail(CLI_EXIT_FAILURE, "bench", _("cannot find this program to run the memory test"));
    else if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errors, &wait_status,
                           &error))
        cli_fail(CLI_EXIT_FAILURE, "bench", _("cannot run the memory test: %s"), error->message);
    else if (!g_spawn_check_wait_status(wait_status, NULL) || !(node = json_from_string(out, NULL)))
        fprintf(stderr, "%s", errors && *errors ? errors : _("comicgan: bench: the memory test failed\n"));
    g_clear_error(&error);
    g_free(out);
    g_free(errors);
    g_free(self);
    return node;
}

typedef struct result {
    int size;
    double ms, gflop, gflops;
    double baseline_ms; /* the --baseline model's, or 0 */
} result;

static void add_double(JsonBuilder *b, const char *name, double v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_double_value(b, v);
}

static void add_string(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, v ? v : "");
}

static void print_json(const cg_engine_info *info, double sgemm, int runs, const char *model, const cg_net *net,
                       const result *res, int n, JsonNode *memory, double encode_ms, const char *baseline)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    add_string(b, "version", CG_VERSION);
    json_builder_set_member_name(b, "engine");
    json_builder_begin_object(b);
    add_string(b, "cpu", info->cpu);
    add_string(b, "blas_library", info->blas_library);
    add_string(b, "blas_corename", info->blas_corename);
    add_string(b, "blas_config", info->blas_config);
    add_string(b, "coretype_set", info->coretype_set);
    add_string(b, "coretype_reason", info->coretype_reason);
    json_builder_set_member_name(b, "threads");
    json_builder_add_int_value(b, info->threads);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "sgemm");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, SGEMM_SIZE);
    add_double(b, "gflops", sgemm);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "generator");
    json_builder_begin_object(b);
    add_string(b, "model", model ? model : "benchmark");
    json_builder_set_member_name(b, "arch");
    json_builder_add_value(b, json_from_string(cg_net_arch_json(net), NULL));
    json_builder_set_member_name(b, "parameters");
    json_builder_add_int_value(b, cg_params_total(cg_net_params(net)));
    json_builder_set_member_name(b, "runs");
    json_builder_add_int_value(b, runs);
    add_string(b, "flops_counted", "2*Co*Ci*k*k*Ho*Wo per convolution, plus self-attention products");
    if (encode_ms >= 0) {
        add_double(b, "encode_reference_ms", encode_ms);
        json_builder_set_member_name(b, "reference_size");
        json_builder_begin_array(b);
        json_builder_add_int_value(b, REFERENCE_W);
        json_builder_add_int_value(b, REFERENCE_H);
        json_builder_end_array(b);
    }
    if (baseline)
        add_string(b, "baseline", baseline);
    json_builder_set_member_name(b, "inference");
    json_builder_begin_array(b);
    for (int i = 0; i < n; i++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "size");
        json_builder_add_int_value(b, res[i].size);
        add_double(b, "ms", res[i].ms);
        add_double(b, "gflop", res[i].gflop);
        add_double(b, "gflops", res[i].gflops);
        add_double(b, "ratio_to_sgemm", sgemm > 0 ? res[i].gflops / sgemm : 0);
        if (baseline) {
            add_double(b, "baseline_ms", res[i].baseline_ms);
            add_double(b, "ratio_to_baseline", res[i].ms / res[i].baseline_ms);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    add_double(b, "peak_rss_mib", peak_rss_mib());
    if (memory) {
        json_builder_set_member_name(b, "stylize_memory");
        json_builder_add_value(b, json_node_copy(memory));
    }
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    cli_print_json(root);
    json_node_unref(root);
    g_object_unref(b);
}

static int run(bool json, bool quick, bool memory, int memory_side, const char *model_file, const char *baseline_file)
{
    cg_error err = {0};
    if (cg_engine_init(&err) != CG_OK)
        return cli_fail_error("bench", &err);
    const cg_engine_info *info = cg_engine_get_info();
    cg_model *m = bench_model(model_file, &err);
    if (!m)
        return cli_fail_error(model_file ? NULL : "bench", &err);
    cg_net *net = cg_model_net(m);
    if (strcmp(cg_net_type(net), "patchgan") == 0) {
        cg_model_free(m);
        return cli_fail(CLI_EXIT_FAILURE, model_file, _("a discriminator, not a generator: nothing to benchmark"));
    }
    const int runs = quick ? 3 : 5;
    cg_model *base = NULL;
    if (baseline_file && !(base = cg_model_load(baseline_file, &err))) {
        cg_model_free(m);
        return cli_fail_error(NULL, &err);
    }
    if (base && cg_model_code_length(base) > 0) {
        cg_model_free(m);
        cg_model_free(base);
        return cli_fail(CLI_EXIT_USAGE, baseline_file, _("the baseline must be a model of fixed styles"));
    }
    double encode_ms = -1;
    float *code = bench_code(m, runs, &encode_ms, &err);
    if (cg_model_code_length(m) > 0 && !code) {
        cg_model_free(m);
        cg_model_free(base);
        return cli_fail_error("bench", &err);
    }
    JsonNode *arch_node = json_from_string(cg_net_arch_json(net), NULL);
    JsonObject *arch = json_node_get_object(arch_node);
    cli_catch_interrupt();

    if (!json) {
        printf("comicgan %s\n", CG_VERSION);
        printf("%-16s %s\n", _("CPU"), info->cpu);
        printf("%-16s %s, %s %s\n", _("OpenBLAS"), info->blas_library, _("kernels"), info->blas_corename);
        printf("%-16s %s%s%s\n", _("Kernel choice"), *info->coretype_set ? info->coretype_set : _("OpenBLAS's own"),
               *info->coretype_reason ? ": " : "", info->coretype_reason);
        printf("%-16s %d\n", _("Threads"), info->threads);
        fflush(stdout);
    }
    double sgemm = sgemm_gflops(runs);
    if (!json) {
        printf("%-16s %.1f GFLOPS (%dx%dx%d, OpenBLAS threads, median of %d)\n", _("sgemm"), sgemm, SGEMM_SIZE,
               SGEMM_SIZE, SGEMM_SIZE, runs);
        char count[32];
        printf("%-16s %s, %s %s\n", _("Generator"), model_file ? model_file : _("benchmark"),
               cli_format_count(cg_params_total(cg_net_params(net)), count), _("parameters"));
        printf("  %s\n", cg_net_arch_json(net));
        if (encode_ms >= 0)
            printf("  %s: %.2f ms (%dx%d, median of %d)\n", _("Encoding a reference"), encode_ms, REFERENCE_W,
                   REFERENCE_H, runs);
        if (base)
            printf("  %s: %s\n", _("Baseline"), baseline_file);
        printf("  %-8s %10s %10s %10s %10s", _("size"), "ms", "GFLOP", "GFLOPS", _("of sgemm"));
        if (base)
            printf(" %12s %8s", _("baseline ms"), _("ratio"));
        printf("\n");
        fflush(stdout);
    }
    const int sizes[] = {256, 512, 1024};
    result res[3];
    int n = 0, status = CLI_EXIT_OK;
    for (size_t i = 0; i < G_N_ELEMENTS(sizes) && !(quick && sizes[i] > 512); i++) {
        double ms = forward_ms(m, sizes[i], runs, code, &err);
        double base_ms = ms < 0 || !base ? 0 : forward_ms(base, sizes[i], runs, NULL, &err);
        if (ms < 0 || base_ms < 0) {
            status = cli_fail_error("bench", &err);
            break;
        }
        res[n] = (result){sizes[i], ms, net_flops(net, arch, sizes[i], sizes[i]) / 1e9, 0, base_ms};
        res[n].gflops = res[n].gflop / (ms / 1e3);
        if (!json) {
            char label[16];
            snprintf(label, sizeof label, "%d²", sizes[i]);
            printf("  %-9s %10.2f %10.2f %10.1f %9.0f%%", label, ms, res[n].gflop, res[n].gflops,
                   sgemm > 0 ? 100 * res[n].gflops / sgemm : 0);
            if (base)
                printf(" %12.2f %8.2f", base_ms, ms / base_ms);
            printf("\n");
            fflush(stdout);
        }
        n++;
    }
    JsonNode *mem = NULL;
    if (status == CLI_EXIT_OK && memory && !(mem = measure_memory(model_file, memory_side)))
        status = CLI_EXIT_FAILURE;
    if (status == CLI_EXIT_OK) {
        if (json) {
            print_json(info, sgemm, runs, model_file, net, res, n, mem, encode_ms, baseline_file);
        } else {
            printf("%-16s %.1f MiB\n", _("Peak memory"), peak_rss_mib());
            if (mem) {
                JsonObject *o = json_node_get_object(mem);
                char label[32];
                snprintf(label, sizeof label, _("Stylize %d²"), memory_side);
                printf("%-16s %.1f MiB peak, %.1f MiB before stylizing (the image: %.0f MiB), %.1f s\n", label,
                       json_object_get_double_member(o, "peak_rss_mib"),
                       json_object_get_double_member(o, "rss_before_mib"),
                       (double)memory_side * memory_side * 16 / (1 << 20), json_object_get_double_member(o, "seconds"));
            }
        }
    }
    if (mem)
        json_node_unref(mem);
    json_node_unref(arch_node);
    g_free(code);
    cg_model_free(base);
    cg_model_free(m);
    return status;
}

int cli_bench(int argc, char **argv)
{
    gboolean json = FALSE, quick = FALSE, memory = FALSE, memory_child = FALSE;
    char *model_file = NULL, *baseline_file = NULL;
    char **rest = NULL;
    int memory_side = MEMORY_SIZE;
    gboolean scale_consistency = FALSE, flicker = FALSE;
    int side = 0, auto_side = CG_STYLIZE_AUTO_SIDE, runs = 3;
    char *style = NULL;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL},
        {"quick", 0, 0, G_OPTION_ARG_NONE, &quick, N_("Fewer runs, and no 1024² pass"), NULL},
        {"memory", 0, 0, G_OPTION_ARG_NONE, &memory, N_("Also measure the memory of stylizing a 4096² image"), NULL},
        {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model_file, N_("Measure this model's generator instead"),
         N_("FILE")},
        {"baseline", 0, 0, G_OPTION_ARG_FILENAME, &baseline_file,
         N_("Also time this model at the same sizes and print the ratio (a reference model against a shipped "
            "style of its width)"),
         N_("FILE")},
        {"memory-child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &memory_child, NULL, NULL},
        /* Tests measure a smaller image: 4096² takes minutes with a slow BLAS. */
        {"memory-side", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &memory_side, NULL, NULL},
        {"scale-consistency", 0, 0, G_OPTION_ARG_NONE, &scale_consistency,
         N_("Compare fitted previews with full-size results on the PHOTOs, at native and automatic scale, and time "
            "both at 4000x3000"),
         NULL},
        {"flicker", 0, 0, G_OPTION_ARG_NONE, &flicker,
         N_("Make panned, zoomed and still shots with sensor noise from the PHOTOs and print each style's warped "
            "temporal error over the input's, with each frame alone, shared statistics and the motion lock"),
         NULL},
        {"side", 0, 0, G_OPTION_ARG_INT, &side,
         N_("The photos' long side (default 3200 with --scale-consistency, 384 with --flicker)"), N_("PX")},
        {"auto-side", 0, 0, G_OPTION_ARG_INT, &auto_side,
         N_("With --scale-consistency: the automatic scale's long side (default 1024)"), N_("PX")},
        {"style", 's', 0, G_OPTION_ARG_STRING, &style, N_("With --scale-consistency or --flicker: only this style"),
         N_("NAME")},
        {"runs", 0, 0, G_OPTION_ARG_INT, &runs, N_("With --scale-consistency: timing runs, 0 for none (default 3)"),
         N_("N")},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    if (cli_parse("bench", _("[PHOTO…]"),
                  _("Measures the machine's matrix-multiply rate and the generator's speed at 256², 512² and "
                    "1024²,\nand how the two compare. The default generator is the benchmark one (ResNet, width "
                    "32, 2 downsamples, 4 blocks, instance norm; seeded random weights)."),
                  entries, &argc, &argv)) {
        if (side == 0)
            side = flicker ? 384 : 3200;
        if (scale_consistency && flicker)
            status = cli_fail(CLI_EXIT_USAGE, "bench", _("give --scale-consistency or --flicker, not both"));
        else if (flicker && !rest)
            status = cli_fail(CLI_EXIT_USAGE, "bench", _("--flicker needs photos to make the shots from"));
        else if (flicker && !cli_check_range("bench", "--side", side, 32, 4096))
            status = CLI_EXIT_USAGE;
        else if (flicker)
            status = cli_bench_flicker(rest, side, style);
        else if (scale_consistency && !rest)
            status = cli_fail(CLI_EXIT_USAGE, "bench", _("--scale-consistency needs photos to measure on"));
        else if (scale_consistency && (!cli_check_range("bench", "--side", side, PREVIEW_MIN_SIDE, CG_STYLIZE_MAX_SIDE) ||
                                       !cli_check_range("bench", "--auto-side", auto_side, CG_STYLIZE_MIN_AUTO_SIDE,
                                                        CG_STYLIZE_MAX_SIDE) ||
                                       !cli_check_range("bench", "--runs", runs, 0, 16)))
            status = CLI_EXIT_USAGE;
        else if (scale_consistency)
            status = cli_bench_scale(rest, side, auto_side, style, runs);
        else if (rest)
            status = cli_fail(CLI_EXIT_USAGE, "bench", _("unexpected argument \"%s\""), rest[0]);
        else if (!cli_check_range("bench", "--memory-side", memory_side, 1, CG_STYLIZE_MAX_SIDE))
            status = CLI_EXIT_USAGE;
        else if (memory_child)
            status = run_memory_child(model_file, memory_side);
        else
            status = run(json, quick, memory, memory_side, model_file, baseline_file);
    }
    g_free(model_file);
    g_free(baseline_file);
    g_free(style);
    g_strfreev(rest);
    return status;
}
