/* Upsampling and pooling against naive double references, with gradient checks.
 *
 * Tolerances: the defaults of gc_check (forward 1e-5 relative to the largest
 * reference value, gradients 1e-3 relative to the largest central difference
 * with step 1e-6). These ops are linear in their input (max pooling piecewise
 * so), so the differences come from float rounding only. Max pooling inputs
 * are distinct values at least 0.01 apart, far from ties for a 1e-6 step. */
#include "support/gradcheck.h"

#include <limits.h>
#include <math.h>
#include <string.h>

enum which { NEAREST, BILINEAR, AVG_POOL, MAX_POOL, GLOBAL_AVG, GLOBAL_MAX };

typedef struct rs_ctx {
    enum which which;
    int scale;
    cg_pool_params pool;
} rs_ctx;

static cg_tensor *run_op(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const rs_ctx *c = ctx;
    switch (c->which) {
    case NEAREST: return cg_upsample_nearest(g, in[0], c->scale);
    case BILINEAR: return cg_upsample_bilinear(g, in[0], c->scale);
    case AVG_POOL: return cg_avg_pool2d(g, in[0], &c->pool);
    case MAX_POOL: return cg_max_pool2d(g, in[0], &c->pool);
    case GLOBAL_AVG: return cg_global_avg_pool(g, in[0]);
    default: return cg_global_max_pool(g, in[0]);
    }
}

/* ---- references, straight from the definitions -------------------------- */

/* PyTorch's align_corners=False source coordinate, clamped at 0; the upper
 * neighbour is clamped to the last pixel. */
static void bilinear_source(int64_t o, int scale, int64_t size, int64_t *i0, int64_t *i1, double *frac)
{
    double src = (o + 0.5) / scale - 0.5;
    if (src < 0)
        src = 0;
    *i0 = (int64_t)floor(src);
    *i1 = *i0 + 1 < size ? *i0 + 1 : size - 1;
    *frac = src - (double)*i0;
}

static void ref_upsample(const rs_ctx *c, const double *x, const cg_tensor *shape, double *out)
{
    int64_t planes = shape->dim[0] * shape->dim[1], h = shape->dim[2], w = shape->dim[3];
    int s = c->scale;
    int64_t ho = h * s, wo = w * s;
    for (int64_t p = 0; p < planes; p++) {
        const double *in = x + p * h * w;
        for (int64_t oy = 0; oy < ho; oy++)
            for (int64_t ox = 0; ox < wo; ox++) {
                double v;
                if (c->which == NEAREST) {
                    v = in[(oy / s) * w + ox / s];
                } else {
                    int64_t y0, y1, x0, x1;
                    double fy, fx;
                    bilinear_source(oy, s, h, &y0, &y1, &fy);
                    bilinear_source(ox, s, w, &x0, &x1, &fx);
                    v = (1 - fy) * ((1 - fx) * in[y0 * w + x0] + fx * in[y0 * w + x1]) +
                        fy * ((1 - fx) * in[y1 * w + x0] + fx * in[y1 * w + x1]);
                }
                out[(p * ho + oy) * wo + ox] = v;
            }
    }
}

static void ref_pool(const rs_ctx *c, const double *x, const cg_tensor *shape, double *out)
{
    const cg_pool_params *p = &c->pool;
    int64_t planes = shape->dim[0] * shape->dim[1], h = shape->dim[2], w = shape->dim[3];
    int64_t ho = (h + 2 * p->pad_h - p->kernel_h) / p->stride_h + 1;
    int64_t wo = (w + 2 * p->pad_w - p->kernel_w) / p->stride_w + 1;
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t oy = 0; oy < ho; oy++)
            for (int64_t ox = 0; ox < wo; ox++) {
                double sum = 0, max = -INFINITY;
                int count = 0;
                for (int ky = 0; ky < p->kernel_h; ky++)
                    for (int kx = 0; kx < p->kernel_w; kx++) {
                        int64_t y = oy * p->stride_h - p->pad_h + ky;
                        int64_t xx = ox * p->stride_w - p->pad_w + kx;
                        if (y < 0 || y >= h || xx < 0 || xx >= w)
                            continue; /* padding: not counted, never the max */
                        double v = x[(pl * h + y) * w + xx];
                        sum += v;
                        max = fmax(max, v);
                        count++;
                    }
                out[(pl * ho + oy) * wo + ox] = c->which == AVG_POOL ? sum / count : max;
            }
}

static void ref_global(const rs_ctx *c, const double *x, const cg_tensor *shape, double *out)
{
    int64_t planes = shape->dim[0] * shape->dim[1], size = shape->dim[2] * shape->dim[3];
    for (int64_t p = 0; p < planes; p++) {
        double sum = 0, max = -INFINITY;
        for (int64_t i = 0; i < size; i++) {
            sum += x[p * size + i];
            max = fmax(max, x[p * size + i]);
        }
        out[p] = c->which == GLOBAL_AVG ? sum / size : max;
    }
}

static void ref_op(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const rs_ctx *c = ctx;
    switch (c->which) {
    case NEAREST:
    case BILINEAR: ref_upsample(c, in[0], shape[0], out); break;
    case AVG_POOL:
    case MAX_POOL: ref_pool(c, in[0], shape[0], out); break;
    default: ref_global(c, in[0], shape[0], out); break;
    }
}

/* ---- inputs --------------------------------------------------------------- */

/* A random permutation of -1, -1 + 0.01, ...: no two elements within 0.01,
 * so max pooling has no ties. */
static cg_tensor *distinct_values(int64_t n, int64_t c, int64_t h, int64_t w, guint32 seed)
{
    cg_error err = {0};
    cg_tensor *t = cg_tensor_new4(n, c, h, w, &err);
    g_assert_nonnull(t);
    for (int64_t i = 0; i < t->size; i++)
        t->data[i] = (float)(-1 + 0.01 * (double)i);
    GRand *r = g_rand_new_with_seed(seed);
    for (int64_t i = t->size - 1; i > 0; i--) {
        int64_t j = g_rand_int_range(r, 0, (gint32)(i + 1));
        float keep = t->data[i];
        t->data[i] = t->data[j];
        t->data[j] = keep;
    }
    g_rand_free(r);
    return t;
}

static void check(const rs_ctx *ctx, cg_tensor *x, const char *name)
{
    gc_case c = {.name = name, .n_in = 1, .in = {x}, .diff = {true},
                 .run = run_op, .ref = ref_op, .ctx = ctx};
    gc_check(&c);
    gc_free(&c);
}

static cg_pool_params pool_params(int kh, int kw, int sh, int sw, int ph, int pw)
{
    cg_pool_params p = {kh, kw, sh, sw, ph, pw};
    return p;
}

/* ---- the checks ----------------------------------------------------------- */

static void test_nearest(void)
{
    for (int scale = 1; scale <= 3; scale++) {
        rs_ctx c = {.which = NEAREST, .scale = scale};
        check(&c, gc_random4(2, 3, 3, 5, -1, 1, 11 + scale), "upsample_nearest 2x3x3x5");
    }
    rs_ctx c2 = {.which = NEAREST, .scale = 2};
    check(&c2, gc_random4(1, 2, 7, 9, -1, 1, 21), "upsample_nearest x2 1x2x7x9");
    rs_ctx c4 = {.which = NEAREST, .scale = 4};
    check(&c4, gc_random4(3, 1, 1, 2, -1, 1, 22), "upsample_nearest x4 3x1x1x2");
}

static void test_bilinear(void)
{
    for (int scale = 1; scale <= 4; scale++) {
        rs_ctx c = {.which = BILINEAR, .scale = scale};
        check(&c, gc_random4(2, 2, 3, 4, -1, 1, 31 + scale), "upsample_bilinear 2x2x3x4");
    }
    rs_ctx c2 = {.which = BILINEAR, .scale = 2};
    check(&c2, gc_random4(1, 3, 5, 7, -1, 1, 41), "upsample_bilinear x2 1x3x5x7");
    /* A single row and column: every tap is clamped at an edge. */
    check(&c2, gc_random4(2, 1, 1, 1, -1, 1, 42), "upsample_bilinear x2 2x1x1x1");
    rs_ctx c3 = {.which = BILINEAR, .scale = 3};
    check(&c3, gc_random4(1, 2, 2, 5, -1, 1, 43), "upsample_bilinear x3 1x2x2x5");
}

/* Pool settings shared by average and max: plain, overlapping and padded,
 * uneven kernels and strides, a kernel covering the whole padded input. */
static void check_pools(enum which which, const char *name)
{
    const struct {
        cg_pool_params p;
        int64_t n, c, h, w;
    } cases[] = {
        {pool_params(2, 2, 2, 2, 0, 0), 2, 3, 6, 4},
        {pool_params(2, 2, 2, 2, 0, 0), 1, 2, 5, 7}, /* odd sides: last row and column dropped */
        {pool_params(3, 3, 1, 1, 1, 1), 2, 2, 5, 4},
        {pool_params(3, 3, 2, 2, 1, 1), 1, 3, 7, 6},
        {pool_params(3, 2, 2, 1, 2, 0), 2, 1, 5, 5},
        {pool_params(4, 4, 3, 3, 3, 3), 1, 2, 4, 5}, /* windows mostly padding */
        {pool_params(5, 3, 1, 1, 1, 1), 1, 1, 3, 3}, /* one output row */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rs_ctx c = {.which = which, .pool = cases[i].p};
        char label[96];
        g_snprintf(label, sizeof label, "%s case %zu", name, i);
        check(&c, distinct_values(cases[i].n, cases[i].c, cases[i].h, cases[i].w, 51 + (guint32)i), label);
    }
}

static void test_avg_pool(void) { check_pools(AVG_POOL, "avg_pool2d"); }
static void test_max_pool(void) { check_pools(MAX_POOL, "max_pool2d"); }

static void check_globals(enum which which, const char *name)
{
    const int64_t shapes[][4] = {{2, 3, 5, 7}, {1, 4, 1, 1}, {3, 2, 4, 3}, {1, 1, 9, 1}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        rs_ctx c = {.which = which};
        check(&c, distinct_values(shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], 61 + (guint32)i),
              name);
    }
}

static void test_global_avg(void) { check_globals(GLOBAL_AVG, "global_avg_pool"); }
static void test_global_max(void) { check_globals(GLOBAL_MAX, "global_max_pool"); }

/* Enough planes and elements that the work is split over several tasks. */
static void test_many_planes(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    g_assert_nonnull(g);
    cg_tensor *x = gc_random4(3, 40, 16, 24, -1, 1, 71);
    double *xd = g_new(double, x->size);
    for (int64_t i = 0; i < x->size; i++)
        xd[i] = x->data[i];
    const double *in[1] = {xd};
    const cg_tensor *shape[1] = {x};
    rs_ctx cases[] = {
        {.which = NEAREST, .scale = 2}, {.which = NEAREST, .scale = 3}, {.which = BILINEAR, .scale = 2},
        {.which = AVG_POOL, .pool = pool_params(3, 3, 2, 2, 1, 1)},
        {.which = MAX_POOL, .pool = pool_params(3, 3, 2, 2, 1, 1)},
        {.which = GLOBAL_AVG}, {.which = GLOBAL_MAX},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cg_tensor *y = run_op(g, &x, &cases[k]);
        g_assert_nonnull(y);
        double *ref = g_new(double, y->size);
        ref_op(in, shape, ref, &cases[k]);
        for (int64_t i = 0; i < y->size; i++)
            g_assert_cmpfloat_with_epsilon(y->data[i], ref[i], 1e-5);
        g_free(ref);
    }
    g_free(xd);
    cg_tensor_free(x);
    cg_graph_free(g);
}

/* Outputs past the size where x86 switches to streaming stores: an even width
 * that is no multiple of 4, so each row ends in the scalar tail, and an odd
 * one, whose odd output rows are not 16-byte aligned. Backward against the
 * definition: each input gets the sum of its 2x2 block. */
static void check_nearest_x2_large(int64_t w)
{
    const int64_t planes = 16, h = 184;
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    g_assert_nonnull(g);
    cg_tensor *x = gc_random4(2, 8, h, w, -1, 1, 81);
    x->requires_grad = true;
    cg_tensor *y = cg_upsample_nearest(g, x, 2);
    g_assert_nonnull(y);
    g_assert_cmpint(y->size * (int64_t)sizeof(float), >, 8 << 20);
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oy = 0; oy < 2 * h; oy++)
            for (int64_t ox = 0; ox < 2 * w; ox++)
                if (y->data[(p * 2 * h + oy) * 2 * w + ox] != x->data[(p * h + oy / 2) * w + ox / 2])
                    g_error("upsample_nearest x2, width %lld: output (%lld, %lld, %lld) is wrong",
                            (long long)w, (long long)p, (long long)oy, (long long)ox);
    float *seed = g_new(float, y->size);
    GRand *r = g_rand_new_with_seed(82);
    for (int64_t i = 0; i < y->size; i++)
        seed[i] = (float)g_rand_double_range(r, -1, 1);
    g_rand_free(r);
    g_assert_cmpint(cg_graph_backward_seeded(g, y, seed, &err), ==, CG_OK);
    for (int64_t p = 0; p < planes; p++)
        for (int64_t iy = 0; iy < h; iy++)
            for (int64_t ix = 0; ix < w; ix++) {
                double sum = 0;
                for (int ky = 0; ky < 2; ky++)
                    for (int kx = 0; kx < 2; kx++)
                        sum += seed[(p * 2 * h + 2 * iy + ky) * 2 * w + 2 * ix + kx];
                g_assert_cmpfloat_with_epsilon(x->grad[(p * h + iy) * w + ix], sum, 1e-5);
            }
    g_free(seed);
    cg_graph_free(g);
    cg_tensor_free(x);
}

static void test_nearest_x2_large(void)
{
    check_nearest_x2_large(182);
    check_nearest_x2_large(183);
}

/* ---- errors ----------------------------------------------------------------- */

/* Runs one bad call on a fresh graph; it must fail with a message naming the op. */
static void expect_invalid(const rs_ctx *c, cg_tensor *x, const char *op, const char *words)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    g_assert_nonnull(g);
    g_assert_null(run_op(g, &x, c));
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_ERR_INVALID);
    if (!strstr(err.message, op) || !strstr(err.message, words))
        g_error("expected \"%s\" and \"%s\" in \"%s\"", op, words, err.message);
    cg_graph_free(g);
}

static void test_errors(void)
{
    cg_error err = {0};
    cg_tensor *x = cg_tensor_new4(2, 3, 4, 5, &err);
    const int64_t dim3[3] = {3, 4, 5};
    cg_tensor *flat = cg_tensor_new(3, dim3, &err);
    g_assert_nonnull(x);
    g_assert_nonnull(flat);

    rs_ctx up = {.which = NEAREST, .scale = 2};
    expect_invalid(&up, flat, "upsample_nearest", "4-D");
    up.scale = 0;
    expect_invalid(&up, x, "upsample_nearest", "scale");
    up.which = BILINEAR;
    up.scale = -3;
    expect_invalid(&up, x, "upsample_bilinear", "scale");
    up.scale = INT_MAX;
    expect_invalid(&up, x, "upsample_bilinear", "too large");

    const struct {
        cg_pool_params p;
        const char *words;
    } bad[] = {
        {pool_params(0, 2, 1, 1, 0, 0), "kernel height"},
        {pool_params(2, -1, 1, 1, 0, 0), "kernel width"},
        {pool_params(2, 2, 0, 1, 0, 0), "stride along height"},
        {pool_params(2, 2, 1, -2, 0, 0), "stride along width"},
        {pool_params(2, 2, 1, 1, -1, 0), "padding along height"},
        {pool_params(2, 2, 1, 1, 0, 2), "padding along width"}, /* pad >= kernel */
        {pool_params(7, 2, 1, 1, 1, 0), "larger than the padded input"},
        {pool_params(2, 8, 1, 1, 0, 1), "larger than the padded input"},
    };
    for (int which = AVG_POOL; which <= MAX_POOL; which++) {
        const char *op = which == AVG_POOL ? "avg_pool2d" : "max_pool2d";
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            rs_ctx c = {.which = which, .pool = bad[i].p};
            expect_invalid(&c, x, op, bad[i].words);
        }
        rs_ctx ok = {.which = which, .pool = pool_params(2, 2, 2, 2, 0, 0)};
        expect_invalid(&ok, flat, op, "4-D");

        /* Missing parameters are refused like a zero kernel. */
        cg_graph *g = cg_graph_new(false, &err);
        g_assert_null(which == AVG_POOL ? cg_avg_pool2d(g, x, NULL) : cg_max_pool2d(g, x, NULL));
        g_assert_cmpint(cg_graph_status(g, &err), ==, CG_ERR_INVALID);
        cg_graph_free(g);
    }
    rs_ctx ga = {.which = GLOBAL_AVG}, gm = {.which = GLOBAL_MAX};
    expect_invalid(&ga, flat, "global_avg_pool", "4-D");
    expect_invalid(&gm, flat, "global_max_pool", "4-D");

    /* A NULL input is an earlier failure: NULL out, no new error. */
    cg_graph *g = cg_graph_new(false, &err);
    const cg_pool_params p = pool_params(2, 2, 2, 2, 0, 0);
    g_assert_null(cg_upsample_nearest(g, NULL, 2));
    g_assert_null(cg_upsample_bilinear(g, NULL, 2));
    g_assert_null(cg_avg_pool2d(g, NULL, &p));
    g_assert_null(cg_max_pool2d(g, NULL, &p));
    g_assert_null(cg_global_avg_pool(g, NULL));
    g_assert_null(cg_global_max_pool(g, NULL));
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_OK);
    cg_graph_free(g);

    cg_tensor_free(x);
    cg_tensor_free(flat);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ops/resample/upsample_nearest", test_nearest);
    g_test_add_func("/ops/resample/upsample_bilinear", test_bilinear);
    g_test_add_func("/ops/resample/avg_pool2d", test_avg_pool);
    g_test_add_func("/ops/resample/max_pool2d", test_max_pool);
    g_test_add_func("/ops/resample/global_avg_pool", test_global_avg);
    g_test_add_func("/ops/resample/global_max_pool", test_global_max);
    g_test_add_func("/ops/resample/many_planes", test_many_planes);
    g_test_add_func("/ops/resample/nearest_x2_large", test_nearest_x2_large);
    g_test_add_func("/ops/resample/errors", test_errors);
    return g_test_run();
}
