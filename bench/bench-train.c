/* Training-step benchmark: the benchmark generator of the inference issue
 * (c7s1-32, d64, d128, R128x4, u64, u32, c7s1-3, instance norm) on a batch
 * of 4 images of 128x128, L1 loss against a fixed target, backward, Adam.
 *
 *   bench-train [--reps N] [--batch B] [--size S]
 *
 * Prints every step's time and the median; the first (warm-up) step, which
 * grows the graph's arena, is not counted. Also the step's arithmetic
 * (convolutions: forward, weight gradients, and input gradients except for
 * the first layer, whose input needs none), its rate, and the machine's
 * sgemm rate (2048^3 on the engine's pool) measured in the same run, so a
 * figure from a busy machine can be read against what the machine gave. */
#include "comicgan/engine.h"
#include "comicgan/net.h"
#include "comicgan/ops.h"
#include "comicgan/optim.h"
#include "core/blas.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_ARCH "{\"type\": \"resnet\", \"width\": 32, \"downsamples\": 2, \"blocks\": 4, \"norm\": \"instance\"}"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* FLOPs of one training step of the resnet benchmark generator. */
static double step_flops(const cg_net *net, int batch, int size)
{
    const cg_params *p = cg_net_params(net);
    double total = 0;
    int down = 0;
    for (int i = 0; i < cg_params_count(p); i++)
        if (g_str_has_prefix(cg_params_name(p, i), "down") && g_str_has_suffix(cg_params_name(p, i), ".conv.weight"))
            down++;
    for (int i = 0; i < cg_params_count(p); i++) {
        const char *name = cg_params_name(p, i);
        const cg_tensor *w = cg_params_get(p, i);
        if (!g_str_has_suffix(name, ".conv.weight"))
            continue;
        int side = size;
        if (g_str_has_prefix(name, "down"))
            side = size >> (atoi(name + 4) + 1);
        else if (g_str_has_prefix(name, "block"))
            side = size >> down;
        else if (g_str_has_prefix(name, "up"))
            side = size >> (down - 1 - atoi(name + 2));
        double f = 2.0 * w->dim[0] * w->dim[1] * w->dim[2] * w->dim[3] * side * side * batch;
        total += g_str_has_prefix(name, "first") ? 2 * f : 3 * f;
    }
    return total;
}

static double sgemm_gflops(void)
{
    const int n = 2048;
    float *a = malloc((size_t)n * n * sizeof *a), *b = malloc((size_t)n * n * sizeof *b),
          *c = malloc((size_t)n * n * sizeof *c);
    for (size_t i = 0; i < (size_t)n * n; i++)
        a[i] = b[i] = (float)(i % 7) * 0.1f;
    cg_sgemm_parallel(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        gint64 t0 = g_get_monotonic_time();
        cg_sgemm_parallel(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
        double s = (g_get_monotonic_time() - t0) * 1e-6;
        best = s < best ? s : best;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * n / best * 1e-9;
}

int main(int argc, char **argv)
{
    int reps = 10, batch = 4, size = 128;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--reps") == 0)
            reps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--size") == 0)
            size = atoi(argv[i + 1]);
    }
    if (reps < 1 || reps > 1000 || batch < 1 || size < 4) {
        fprintf(stderr, "usage: bench-train [--reps N] [--batch B] [--size S]\n");
        return 2;
    }
    cg_error err = {0};
    if (cg_engine_init(&err) != CG_OK) {
        fprintf(stderr, "bench-train: %s\n", err.message);
        return 1;
    }
    const cg_engine_info *info = cg_engine_get_info();
    printf("engine %s, %d threads, OpenBLAS %s\n", info->version, info->threads, info->blas_corename);

    cg_net *net = cg_net_new(BENCH_ARCH, &err);
    cg_rng rng;
    cg_rng_seed(&rng, 1);
    cg_adam_options ao = cg_adam_defaults();
    cg_optim *opt = net ? cg_optim_adam(cg_net_params(net), &ao, &err) : NULL;
    cg_graph *g = opt ? cg_graph_new(true, &err) : NULL;
    if (!g || cg_net_init(net, &rng, false, &err) != CG_OK) {
        fprintf(stderr, "bench-train: %s\n", err.message);
        return 1;
    }
    const int64_t n = (int64_t)batch * 3 * size * size;
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++) {
        x[i] = cg_rng_uniform_f(&rng) * 2 - 1;
        y[i] = cg_rng_uniform_f(&rng) * 2 - 1;
    }
    double *t = calloc((size_t)reps, sizeof *t);
    for (int r = -1; r < reps; r++) {
        gint64 t0 = g_get_monotonic_time();
        cg_graph_reset(g);
        cg_params_zero_grad(cg_net_params(net));
        cg_tensor *in = cg_graph_tensor4(g, batch, 3, size, size);
        cg_tensor *target = cg_graph_tensor4(g, batch, 3, size, size);
        if (in && target) {
            memcpy(in->data, x, (size_t)n * sizeof *x);
            memcpy(target->data, y, (size_t)n * sizeof *y);
        }
        cg_tensor *loss = cg_l1_loss(g, cg_net_forward(net, g, in, NULL, NULL), target, 0);
        if (cg_graph_status(g, &err) != CG_OK || cg_graph_backward(g, loss, &err) != CG_OK ||
            cg_optim_step(opt, &err) != CG_OK) {
            fprintf(stderr, "bench-train: %s\n", err.message);
            return 1;
        }
        double s = (g_get_monotonic_time() - t0) * 1e-3;
        if (r >= 0) {
            t[r] = s;
            printf("step %d: %.1f ms (loss %.4f)\n", r + 1, s, loss->data[0]);
        }
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    double med = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    double gflop = step_flops(net, batch, size) * 1e-9, sgemm = sgemm_gflops();
    printf("training step, batch %d, %dx%d, L1, Adam: median %.1f ms over %d steps (min %.1f, max %.1f)\n", batch,
           size, size, med, reps, t[0], t[reps - 1]);
    printf("%.1f GFLOP per step: %.1f GFLOPS; sgemm 2048^3 in this run: best %.1f GFLOPS (step at %.0f%% of it)\n",
           gflop, gflop / (med * 1e-3), sgemm, 100.0 * gflop / (med * 1e-3) / sgemm);
    free(t);
    free(x);
    free(y);
    cg_graph_free(g);
    cg_optim_free(opt);
    cg_net_free(net);
    return 0;
}
