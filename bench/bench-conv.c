/* Convolution benchmark: the machine's sgemm rate and the engine's convolution
 * rate at generator shapes, measured in the same run, with their ratios.
 *
 *   bench-conv [--reps N] [--quick]
 *   bench-conv --winograd [--reps N]
 *
 * For each layer it prints the median time of N runs of forward and of
 * backward (data + weight gradients), their GFLOPS (2*Co*Ci*K*K*Ho*Wo per
 * forward, twice that per backward) and the ratio to cg_sgemm_parallel at
 * the same GEMM shape (M=Co, N=Ho*Wo, K=Ci*K*K) — the shape an ideal im2col
 * convolution reduces to.
 *
 * --winograd times inference's 3x3 convolutions with Winograd F(4x4) and
 * with F(2x2), alternated run by run so that both see
 * the same machine, at the shapes of the shipped and benchmark generators,
 * and prints each median and their ratio. */
#include "comicgan/engine.h"
#include "comicgan/ops.h"
#include "core/blas.h"
#include "ops/conv_infer.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reps = 7;

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

static float *random_floats(size_t n, guint32 seed)
{
    float *p = g_malloc(n * sizeof *p);
    GRand *r = g_rand_new_with_seed(seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)g_rand_double_range(r, -1, 1);
    g_rand_free(r);
    return p;
}

/* Median seconds of the engine's parallel sgemm at one shape. */
static double time_sgemm(int m, int n, int k)
{
    float *a = random_floats((size_t)m * k, 1), *b = random_floats((size_t)k * n, 2);
    float *c = g_malloc((size_t)m * n * sizeof *c);
    double t[64];
    cg_sgemm_parallel(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
    for (int r = 0; r < reps; r++) {
        gint64 t0 = g_get_monotonic_time();
        cg_sgemm_parallel(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
        t[r] = (g_get_monotonic_time() - t0) * 1e-6;
    }
    g_free(a);
    g_free(b);
    g_free(c);
    return median(t, reps);
}

/* OpenBLAS's own threading on a square product: the machine's sgemm rate. */
static double time_sgemm_openblas(int size)
{
    float *a = random_floats((size_t)size * size, 1), *b = random_floats((size_t)size * size, 2);
    float *c = g_malloc((size_t)size * size * sizeof *c);
    double t[64];
    cg_sgemm_openblas_threaded(0, size, size, size, a, b, c);
    for (int r = 0; r < reps; r++) {
        gint64 t0 = g_get_monotonic_time();
        cg_sgemm_openblas_threaded(0, size, size, size, a, b, c);
        t[r] = (g_get_monotonic_time() - t0) * 1e-6;
    }
    g_free(a);
    g_free(b);
    g_free(c);
    return median(t, reps);
}

typedef struct layer {
    const char *name;
    int ci, co, k, stride, side;
    cg_pad_mode pad;
} layer;

static void bench_layer(const layer *l)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *x = cg_tensor_new4(1, l->ci, l->side, l->side, &err);
    cg_tensor *w = cg_tensor_new4(l->co, l->ci, l->k, l->k, &err);
    const int64_t bd[1] = {l->co};
    cg_tensor *b = cg_tensor_new(1, bd, &err);
    float *xr = random_floats((size_t)x->size, 3), *wr = random_floats((size_t)w->size, 4);
    memcpy(x->data, xr, (size_t)x->size * sizeof(float));
    memcpy(w->data, wr, (size_t)w->size * sizeof(float));
    x->requires_grad = w->requires_grad = b->requires_grad = true;
    cg_conv_params p = cg_conv_defaults();
    p.stride_h = p.stride_w = l->stride;
    p.pad_h = p.pad_w = l->k / 2;
    p.pad_mode = l->pad;

    double tf[64], tb[64];
    cg_tensor *y = NULL;
    float *seed = NULL;
    for (int r = -1; r < reps; r++) {
        cg_graph_reset(g);
        gint64 t0 = g_get_monotonic_time();
        y = cg_conv2d(g, x, w, b, &p);
        gint64 t1 = g_get_monotonic_time();
        if (!y) {
            cg_graph_status(g, &err);
            fprintf(stderr, "bench-conv: %s\n", err.message);
            exit(1);
        }
        if (!seed)
            seed = random_floats((size_t)y->size, 5);
        cg_graph_backward_seeded(g, y, seed, &err);
        gint64 t2 = g_get_monotonic_time();
        if (r >= 0) {
            tf[r] = (t1 - t0) * 1e-6;
            tb[r] = (t2 - t1) * 1e-6;
        }
    }
    int64_t m = l->co, n = y->dim[2] * y->dim[3], k = (int64_t)l->ci * l->k * l->k;
    double flops = 2.0 * m * n * k;
    double fwd = median(tf, reps), bwd = median(tb, reps);
    double gemm = time_sgemm((int)m, (int)n, (int)k);
    double gemm_rate = flops / gemm * 1e-9, fwd_rate = flops / fwd * 1e-9, bwd_rate = 2 * flops / bwd * 1e-9;
    printf("%-26s  %4lldx%-6lld %5lld  fwd %7.2f ms %6.1f GF/s (%3.0f%%)  bwd %7.2f ms %6.1f GF/s (%3.0f%%)  sgemm %6.1f GF/s\n",
           l->name, (long long)m, (long long)n, (long long)k, fwd * 1e3, fwd_rate, 100 * fwd_rate / gemm_rate,
           bwd * 1e3, bwd_rate, 100 * bwd_rate / gemm_rate, gemm_rate);
    g_free(seed);
    g_free(xr);
    g_free(wr);
    cg_tensor_free(x);
    cg_tensor_free(w);
    cg_tensor_free(b);
    cg_graph_free(g);
}

/* F(4x4) against F(2x2) on one 3x3 layer of inference. */
static void bench_winograd(int ci, int co, int side)
{
    cg_conv_infer_shape s = {1, ci, side, side, co, 3, 1, 1, true, 1};
    float *x = random_floats((size_t)ci * side * side, 6), *w = random_floats((size_t)co * ci * 9, 7);
    float *b = random_floats((size_t)co, 8), *out = g_malloc((size_t)co * side * side * sizeof *out);
    int64_t size2 = cg_winograd_scratch(&s), size4 = cg_winograd4_scratch(&s);
    float *scratch = g_malloc((size_t)(size2 > size4 ? size2 : size4) * sizeof *scratch);
    double t[2][64];
    for (int r = -1; r < reps; r++)
        for (int f4 = 0; f4 < 2; f4++) {
            gint64 t0 = g_get_monotonic_time();
            if (f4)
                cg_winograd4_conv(&s, x, w, b, out, scratch);
            else
                cg_winograd_conv(&s, x, w, b, out, scratch);
            if (r >= 0)
                t[f4][r] = (g_get_monotonic_time() - t0) * 1e-6;
        }
    double m2 = median(t[0], reps), m4 = median(t[1], reps);
    printf("3x3 %4d->%-4d %5d^2   F(2x2) %8.2f ms   F(4x4) %8.2f ms   F(4x4)/F(2x2) %.2f\n", ci, co, side, m2 * 1e3,
           m4 * 1e3, m4 / m2);
    g_free(x);
    g_free(w);
    g_free(b);
    g_free(out);
    g_free(scratch);
}

int main(int argc, char **argv)
{
    bool quick = false, winograd = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick"))
            quick = true;
        else if (!strcmp(argv[i], "--winograd"))
            winograd = true;
        else {
            fprintf(stderr, "usage: bench-conv [--reps N] [--quick | --winograd]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 64)
        reps = 7;
    cg_error err = {0};
    if (cg_engine_init(&err) != CG_OK) {
        fprintf(stderr, "bench-conv: %s\n", err.message);
        return 1;
    }
    const cg_engine_info *info = cg_engine_get_info();
    printf("cpu %s; OpenBLAS %s core %s (asked for '%s': %s); %d worker threads\n", info->cpu,
           info->blas_library, info->blas_corename, info->coretype_set, info->coretype_reason, info->threads);
    if (winograd) {
        printf("inference's 3x3 convolutions, median of %d, F(2x2) and F(4x4) alternated\n", reps);
        const int shapes[][3] = {{24, 24, 1024}, {24, 24, 512}, {48, 48, 512}, {48, 48, 256}, {64, 64, 256},
                                 {96, 96, 256},  {128, 128, 256}, {128, 128, 128}, {32, 32, 1024}};
        for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++)
            bench_winograd(shapes[i][0], shapes[i][1], shapes[i][2]);
        return 0;
    }
    int big = quick ? 1024 : 2048;
    double t = time_sgemm_openblas(big);
    printf("sgemm %d^3, OpenBLAS threads: %.1f GFLOPS (median of %d)\n", big, 2.0 * big * big * big / t * 1e-9,
           reps);
    t = time_sgemm(big, big, big);
    printf("sgemm %d^3, engine pool:      %.1f GFLOPS\n", big, 2.0 * big * big * big / t * 1e-9);

    printf("\nlayer                        GEMM MxN      K    forward (%% of sgemm at that shape)    backward\n");
    const layer layers[] = {
        {"c7s1-32  7x7   3->32  256", 3, 32, 7, 1, 256, CG_PAD_REFLECT},
        {"3x3  32->32   256", 32, 32, 3, 1, 256, CG_PAD_REFLECT},
        {"d64  3x3 s2 32->64   256", 32, 64, 3, 2, 256, CG_PAD_REFLECT},
        {"3x3  64->64   128", 64, 64, 3, 1, 128, CG_PAD_REFLECT},
        {"d128 3x3 s2 64->128 128", 64, 128, 3, 2, 128, CG_PAD_REFLECT},
        {"R128 3x3 128->128   64", 128, 128, 3, 1, 64, CG_PAD_REFLECT},
        {"R128 3x3 128->128  128", 128, 128, 3, 1, 128, CG_PAD_REFLECT},
        {"7x7  32->32   128", 32, 32, 7, 1, 128, CG_PAD_REFLECT},
        {"c7s1-3  7x7  32->3   256", 32, 3, 7, 1, 256, CG_PAD_REFLECT},
        {"1x1  128->128  64", 128, 128, 1, 1, 64, CG_PAD_ZERO},
    };
    for (size_t i = 0; i < sizeof layers / sizeof *layers; i++)
        bench_layer(&layers[i]);
    return 0;
}
