/* Element-wise and structural ops against naive double references, with
 * gradient checks.
 *
 * Small cases go through gc_check with its default tolerances: forward within
 * 1e-5 of the reference (relative to max(1, max |reference|)), gradients
 * within 1e-3 of central differences (step 1e-6) of the double reference.
 * Every op here is smooth in its inputs (softmax included: subtracting the
 * max changes nothing mathematically), so the central differences are valid
 * anywhere. Larger cases, too big for finite differences, check the forward
 * and the analytic gradients against double loops and check that gradients
 * come out bit-identical from run to run. */
#include "support/gradcheck.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static cg_tensor *rnd(int ndim, const int64_t *dim, guint32 seed)
{
    return gc_random(ndim, dim, -1.0, 1.0, seed);
}

/* Index of coordinate c (four dims) in t, reading dims of size 1 as broadcast. */
static int64_t bcast_index(const cg_tensor *t, const int64_t *c)
{
    int64_t idx = 0;
    for (int d = 0; d < CG_MAX_DIMS; d++)
        idx = idx * t->dim[d] + (t->dim[d] == 1 ? 0 : c[d]);
    return idx;
}

/* Calls fn for every coordinate of a four-dim box, in row-major order. */
#define FOR_EACH_COORD(c, dims)                                                                              \
    for (c[0] = 0; c[0] < (dims)[0]; c[0]++)                                                                 \
        for (c[1] = 0; c[1] < (dims)[1]; c[1]++)                                                             \
            for (c[2] = 0; c[2] < (dims)[2]; c[2]++)                                                         \
                for (c[3] = 0; c[3] < (dims)[3]; c[3]++)

static void expect_invalid(cg_graph *g, const cg_tensor *result, const char *op)
{
    cg_error err = {0};
    g_assert_null(result);
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_ERR_INVALID);
    if (!strstr(err.message, op))
        g_error("expected a message naming %s, got \"%s\"", op, err.message);
    cg_graph_reset(g);
}

/* Runs backward from out seeded with r; gradients land in the inputs' grad. */
static void backward(cg_graph *g, cg_tensor *out, const float *r)
{
    cg_error err = {0};
    if (cg_graph_backward_seeded(g, out, r, &err) != CG_OK)
        g_error("backward failed: %s", err.message);
}

static float *seed_for(int64_t n, guint32 seed)
{
    if (n < 1 || n > CG_TENSOR_MAX_ELEMENTS)
        g_error("seed of %lld floats", (long long)n);
    float *r = g_new(float, n);
    GRand *rng = g_rand_new_with_seed(seed);
    for (int64_t i = 0; i < n; i++)
        r[i] = (float)g_rand_double_range(rng, -1, 1);
    g_rand_free(rng);
    return r;
}

static void clear_grad(cg_tensor *t)
{
    if (t->grad)
        memset(t->grad, 0, (size_t)t->size * sizeof(float));
}

/* ---- add and mul ---------------------------------------------------------- */

static cg_tensor *run_binary(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    return *(const bool *)ctx ? cg_mul(g, in[0], in[1]) : cg_add(g, in[0], in[1]);
}

static void ref_binary(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    bool mul = *(const bool *)ctx;
    int64_t dims[4], c[4], o = 0;
    for (int d = 0; d < 4; d++)
        dims[d] = shape[0]->dim[d] > shape[1]->dim[d] ? shape[0]->dim[d] : shape[1]->dim[d];
    FOR_EACH_COORD(c, dims) {
        double a = in[0][bcast_index(shape[0], c)], b = in[1][bcast_index(shape[1], c)];
        out[o++] = mul ? a * b : a + b;
    }
}

static const struct {
    const char *name;
    int ndim;
    int64_t a[4], b[4];
} binary_shapes[] = {
    {"same shape", 4, {2, 3, 5, 4}, {2, 3, 5, 4}},
    {"per sample and channel", 4, {2, 3, 5, 4}, {2, 3, 1, 1}},
    {"per channel", 4, {2, 3, 5, 4}, {1, 3, 1, 1}},
    {"per channel, swapped", 4, {1, 3, 1, 1}, {2, 3, 5, 4}},
    {"spatial gate", 4, {2, 3, 5, 4}, {2, 1, 5, 4}},
    {"two-way", 4, {2, 1, 5, 1}, {1, 3, 1, 4}},
    {"mixed", 4, {1, 3, 5, 4}, {2, 3, 1, 4}},
    {"scalar", 4, {2, 3, 4, 5}, {1, 1, 1, 1}},
    {"all ones", 4, {1, 1, 1, 1}, {1, 1, 1, 1}},
    {"size-one dims", 4, {2, 1, 3, 1}, {2, 1, 1, 4}},
    {"2-D outer", 2, {3, 1}, {1, 5}},
    {"2-D row", 2, {4, 7}, {1, 7}},
    {"3-D", 3, {2, 3, 5}, {2, 1, 5}},
    {"1-D scalar", 1, {7}, {1}},
};

static void check_binary(bool mul)
{
    for (size_t i = 0; i < G_N_ELEMENTS(binary_shapes); i++) {
        char name[128];
        g_snprintf(name, sizeof name, "%s %s", mul ? "mul" : "add", binary_shapes[i].name);
        gc_case c = {.name = name, .n_in = 2,
                     .in = {rnd(binary_shapes[i].ndim, binary_shapes[i].a, 11 + (guint32)i),
                            rnd(binary_shapes[i].ndim, binary_shapes[i].b, 101 + (guint32)i)},
                     .diff = {true, true}, .run = run_binary, .ref = ref_binary, .ctx = &mul};
        gc_check(&c);
        gc_free(&c);
    }
}

static void test_add(void) { check_binary(false); }
static void test_mul(void) { check_binary(true); }

/* add(x, x) and mul(x, x): both gradients land in one buffer. */
static void test_binary_same_input(void)
{
    cg_error err = {0};
    cg_tensor *x = rnd(2, (int64_t[]){3, 4}, 5);
    x->requires_grad = true;
    float *r = seed_for(x->size, 6);
    for (int mul = 0; mul < 2; mul++) {
        clear_grad(x);
        cg_graph *g = cg_graph_new(true, &err);
        cg_tensor *y = mul ? cg_mul(g, x, x) : cg_add(g, x, x);
        g_assert_nonnull(y);
        backward(g, y, r);
        for (int64_t i = 0; i < x->size; i++) {
            double want = mul ? 2.0 * x->data[i] * r[i] : 2.0 * r[i];
            g_assert_cmpfloat(fabs(x->grad[i] - want), <=, 1e-6);
        }
        cg_graph_free(g);
    }
    g_free(r);
    cg_tensor_free(x);
}

/* Big enough to cut rows between tasks. Gradients against double loops
 * (tolerance 1e-5 of the largest value) and bit-identical on a second run. */
static void test_binary_large(void)
{
    static const int64_t a_dim[4] = {2, 16, 33, 65};
    static const int64_t b_dims[][4] = {
        {2, 16, 33, 65}, {2, 16, 1, 1}, {1, 16, 1, 1}, {2, 1, 33, 65}, {1, 1, 1, 1}, {1, 16, 1, 65}, {2, 1, 33, 1},
    };
    cg_error err = {0};
    for (size_t s = 0; s < G_N_ELEMENTS(b_dims); s++)
        for (int mul = 0; mul < 2; mul++) {
            cg_tensor *a = rnd(4, a_dim, 21), *b = rnd(4, b_dims[s], 22 + (guint32)s);
            a->requires_grad = b->requires_grad = true;
            float *r = seed_for(a->size, 23);
            double *y = g_new0(double, a->size), *ga = g_new0(double, a->size), *gb = g_new0(double, b->size);
            int64_t c[4], o = 0;
            FOR_EACH_COORD(c, a_dim) {
                int64_t ia = bcast_index(a, c), ib = bcast_index(b, c);
                y[o] = mul ? (double)a->data[ia] * b->data[ib] : (double)a->data[ia] + b->data[ib];
                ga[ia] += r[o] * (mul ? (double)b->data[ib] : 1.0);
                gb[ib] += r[o] * (mul ? (double)a->data[ia] : 1.0);
                o++;
            }
            float *first_gb = NULL;
            for (int run = 0; run < 2; run++) {
                clear_grad(a);
                clear_grad(b);
                cg_graph *g = cg_graph_new(true, &err);
                cg_tensor *out = mul ? cg_mul(g, a, b) : cg_add(g, a, b);
                g_assert_nonnull(out);
                gc_assert_close("broadcast forward", out->data, y, out->size, 1e-6);
                backward(g, out, r);
                gc_assert_close("broadcast d(a)", a->grad, ga, a->size, 1e-5);
                gc_assert_close("broadcast d(b)", b->grad, gb, b->size, 1e-5);
                if (run == 0)
                    first_gb = g_memdup2(b->grad, (size_t)b->size * sizeof(float));
                else
                    g_assert_true(memcmp(first_gb, b->grad, (size_t)b->size * sizeof(float)) == 0);
                cg_graph_free(g);
            }
            g_free(first_gb);
            g_free(y);
            g_free(ga);
            g_free(gb);
            g_free(r);
            cg_tensor_free(a);
            cg_tensor_free(b);
        }
}

static void test_binary_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *a = rnd(2, (int64_t[]){2, 3}, 1), *b = rnd(2, (int64_t[]){2, 4}, 2);
    cg_tensor *c = rnd(3, (int64_t[]){2, 3, 1}, 3);
    expect_invalid(g, cg_add(g, a, b), "add");
    expect_invalid(g, cg_mul(g, a, b), "neither is 1");
    expect_invalid(g, cg_add(g, a, c), "ranks differ");
    expect_invalid(g, cg_mul(g, c, a), "mul");
    /* a NULL input (an earlier failure) gives NULL without a new error */
    g_assert_null(cg_add(g, a, NULL));
    g_assert_null(cg_mul(g, NULL, a));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    /* sticky: after a failure every op refuses */
    g_assert_null(cg_add(g, a, b));
    g_assert_null(cg_add(g, a, a));
    expect_invalid(g, NULL, "add");
    cg_tensor_free(a);
    cg_tensor_free(b);
    cg_tensor_free(c);
    cg_graph_free(g);
}

/* ---- scale ---------------------------------------------------------------- */

typedef struct scale_ctx {
    float alpha, beta;
} scale_ctx;

static cg_tensor *run_scale(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const scale_ctx *s = ctx;
    return cg_scale(g, in[0], s->alpha, s->beta);
}

static void ref_scale(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const scale_ctx *s = ctx;
    for (int64_t i = 0; i < shape[0]->size; i++)
        out[i] = (double)s->alpha * in[0][i] + s->beta;
}

static void test_scale(void)
{
    static const scale_ctx params[] = {{-1.5f, 0.25f}, {0.0f, 2.0f}, {3.0f, 0.0f}};
    static const int64_t dims[][4] = {{2, 3, 4, 5}, {7, 1, 1, 1}, {1, 3, 3, 1}};
    for (size_t i = 0; i < G_N_ELEMENTS(params); i++) {
        gc_case c = {.name = "scale", .n_in = 1, .in = {rnd(i == 1 ? 1 : 4, dims[i], 31)}, .diff = {true},
                     .run = run_scale, .ref = ref_scale, .ctx = &params[i]};
        gc_check(&c);
        gc_free(&c);
    }
}

static void test_scale_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *x = rnd(1, (int64_t[]){4}, 1);
    expect_invalid(g, cg_scale(g, x, NAN, 0), "scale");
    expect_invalid(g, cg_scale(g, x, 1, INFINITY), "finite");
    g_assert_null(cg_scale(g, NULL, 1, 0));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    cg_tensor_free(x);
    cg_graph_free(g);
}

/* ---- concat --------------------------------------------------------------- */

typedef struct axis_ctx {
    int n, axis;
} axis_ctx;

static cg_tensor *run_concat(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const axis_ctx *a = ctx;
    return cg_concat(g, in, a->n, a->axis);
}

static void ref_concat(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const axis_ctx *a = ctx;
    int64_t dims[4], c[4], o = 0;
    memcpy(dims, shape[0]->dim, sizeof dims);
    for (int i = 1; i < a->n; i++)
        dims[a->axis] += shape[i]->dim[a->axis];
    FOR_EACH_COORD(c, dims) {
        int64_t local[4];
        memcpy(local, c, sizeof local);
        int i = 0;
        while (local[a->axis] >= shape[i]->dim[a->axis]) {
            local[a->axis] -= shape[i]->dim[a->axis];
            i++;
        }
        out[o++] = in[i][bcast_index(shape[i], local)];
    }
}

static void check_concat(const char *name, int ndim, int n, int axis, const int64_t (*dims)[4], const bool *diff)
{
    axis_ctx a = {n, axis};
    gc_case c = {.name = name, .n_in = n, .run = run_concat, .ref = ref_concat, .ctx = &a};
    for (int i = 0; i < n; i++) {
        c.in[i] = rnd(ndim, dims[i], 41 + (guint32)i);
        c.diff[i] = diff ? diff[i] : true;
    }
    gc_check(&c);
    gc_free(&c);
}

static void test_concat(void)
{
    check_concat("concat channels", 4, 3, 1, (const int64_t[][4]){{2, 1, 3, 4}, {2, 2, 3, 4}, {2, 3, 3, 4}}, NULL);
    check_concat("concat batch", 4, 2, 0, (const int64_t[][4]){{1, 2, 3, 3}, {2, 2, 3, 3}}, NULL);
    check_concat("concat last", 4, 2, 3, (const int64_t[][4]){{2, 2, 3, 1}, {2, 2, 3, 5}}, NULL);
    check_concat("concat 2-D", 2, 2, 1, (const int64_t[][4]){{3, 2}, {3, 5}}, NULL);
    check_concat("concat one input", 3, 1, 2, (const int64_t[][4]){{2, 3, 4}}, NULL);
    check_concat("concat without some gradients", 4, 3, 1,
                 (const int64_t[][4]){{1, 2, 3, 3}, {1, 1, 3, 3}, {1, 2, 3, 3}}, (const bool[]){true, false, true});
    const int64_t eight[8][4] = {{2, 1, 2}, {2, 2, 2}, {2, 1, 2}, {2, 3, 2},
                                 {2, 1, 2}, {2, 1, 2}, {2, 2, 2}, {2, 1, 2}};
    check_concat("concat eight", 3, 8, 1, eight, NULL);
}

static void test_concat_large(void)
{
    cg_error err = {0};
    cg_tensor *xs[2] = {rnd(4, (int64_t[]){2, 3, 70, 90}, 1), rnd(4, (int64_t[]){2, 5, 70, 90}, 2)};
    xs[0]->requires_grad = xs[1]->requires_grad = true;
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *y = cg_concat(g, xs, 2, 1);
    g_assert_nonnull(y);
    int64_t plane = 70 * 90;
    for (int n = 0; n < 2; n++)
        for (int ch = 0; ch < 8; ch++) {
            const cg_tensor *src = ch < 3 ? xs[0] : xs[1];
            int64_t sc = ch < 3 ? ch : ch - 3;
            g_assert_true(memcmp(y->data + (n * 8 + ch) * plane, src->data + (n * src->dim[1] + sc) * plane,
                                 (size_t)plane * sizeof(float)) == 0);
        }
    float *r = seed_for(y->size, 3);
    backward(g, y, r);
    for (int n = 0; n < 2; n++)
        for (int ch = 0; ch < 8; ch++) {
            const cg_tensor *src = ch < 3 ? xs[0] : xs[1];
            int64_t sc = ch < 3 ? ch : ch - 3;
            g_assert_true(memcmp(r + (n * 8 + ch) * plane, src->grad + (n * src->dim[1] + sc) * plane,
                                 (size_t)plane * sizeof(float)) == 0);
        }
    g_free(r);
    cg_graph_free(g);
    cg_tensor_free(xs[0]);
    cg_tensor_free(xs[1]);
}

static void test_concat_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *a = rnd(4, (int64_t[]){1, 2, 3, 4}, 1), *b = rnd(4, (int64_t[]){1, 2, 5, 4}, 2);
    cg_tensor *c = rnd(3, (int64_t[]){1, 2, 3}, 3);
    cg_tensor *nine[9] = {a, a, a, a, a, a, a, a, a};
    expect_invalid(g, cg_concat(g, (cg_tensor *[]){a, b}, 2, 1), "dim 2 differs");
    expect_invalid(g, cg_concat(g, (cg_tensor *[]){a, c}, 2, 1), "ranks differ");
    expect_invalid(g, cg_concat(g, (cg_tensor *[]){a, a}, 2, 4), "axis");
    expect_invalid(g, cg_concat(g, (cg_tensor *[]){a, a}, 2, -1), "axis");
    expect_invalid(g, cg_concat(g, nine, 9, 1), "concat");
    expect_invalid(g, cg_concat(g, nine, 0, 1), "concat");
    expect_invalid(g, cg_concat(g, NULL, 2, 1), "concat");
    g_assert_nonnull(cg_concat(g, (cg_tensor *[]){a, b}, 2, 2));
    g_assert_null(cg_concat(g, (cg_tensor *[]){a, NULL}, 2, 1));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    cg_tensor_free(a);
    cg_tensor_free(b);
    cg_tensor_free(c);
    cg_graph_free(g);
}

/* ---- slice ---------------------------------------------------------------- */

typedef struct slice_ctx {
    int axis;
    int64_t start, len;
} slice_ctx;

static cg_tensor *run_slice(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const slice_ctx *s = ctx;
    return cg_slice(g, in[0], s->axis, s->start, s->len);
}

static void ref_slice(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const slice_ctx *s = ctx;
    int64_t dims[4], c[4], o = 0;
    memcpy(dims, shape[0]->dim, sizeof dims);
    dims[s->axis] = s->len;
    FOR_EACH_COORD(c, dims) {
        int64_t src[4];
        memcpy(src, c, sizeof src);
        src[s->axis] += s->start;
        out[o++] = in[0][bcast_index(shape[0], src)];
    }
}

static void test_slice(void)
{
    static const struct {
        int ndim;
        int64_t dim[4];
        slice_ctx s;
    } cases[] = {
        {4, {2, 5, 3, 4}, {1, 1, 3}}, {4, {2, 3, 4, 5}, {3, 4, 1}}, {4, {3, 2, 3, 2}, {0, 1, 2}},
        {4, {2, 3, 5, 3}, {2, 0, 5}}, {1, {9}, {0, 2, 5}},          {3, {2, 7, 3}, {1, 6, 1}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        gc_case c = {.name = "slice", .n_in = 1, .in = {rnd(cases[i].ndim, cases[i].dim, 51 + (guint32)i)},
                     .diff = {true}, .run = run_slice, .ref = ref_slice, .ctx = &cases[i].s};
        gc_check(&c);
        gc_free(&c);
    }
}

static void test_slice_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *x = rnd(3, (int64_t[]){2, 5, 3}, 1);
    expect_invalid(g, cg_slice(g, x, 3, 0, 1), "axis");
    expect_invalid(g, cg_slice(g, x, -1, 0, 1), "slice");
    expect_invalid(g, cg_slice(g, x, 1, -1, 2), "do not fit");
    expect_invalid(g, cg_slice(g, x, 1, 0, 0), "do not fit");
    expect_invalid(g, cg_slice(g, x, 1, 3, 3), "do not fit");
    expect_invalid(g, cg_slice(g, x, 1, INT64_MAX, 1), "do not fit");
    expect_invalid(g, cg_slice(g, x, 1, 1, INT64_MAX), "do not fit");
    g_assert_null(cg_slice(g, NULL, 0, 0, 1));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    cg_tensor_free(x);
    cg_graph_free(g);
}

/* ---- softmax -------------------------------------------------------------- */

static cg_tensor *run_softmax(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    return cg_softmax(g, in[0], *(const int *)ctx);
}

static void ref_softmax(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    int axis = *(const int *)ctx;
    int64_t dims[4], c[4];
    memcpy(dims, shape[0]->dim, sizeof dims);
    dims[axis] = 1; /* c walks the lanes; the loops below walk along axis */
    FOR_EACH_COORD(c, dims) {
        int64_t k[4];
        memcpy(k, c, sizeof k);
        double mx = -INFINITY, sum = 0;
        for (k[axis] = 0; k[axis] < shape[0]->dim[axis]; k[axis]++)
            mx = fmax(mx, in[0][bcast_index(shape[0], k)]);
        for (k[axis] = 0; k[axis] < shape[0]->dim[axis]; k[axis]++)
            sum += exp(in[0][bcast_index(shape[0], k)] - mx);
        for (k[axis] = 0; k[axis] < shape[0]->dim[axis]; k[axis]++) {
            int64_t i = bcast_index(shape[0], k);
            out[i] = exp(in[0][i] - mx) / sum;
        }
    }
}

static void test_softmax(void)
{
    static const struct {
        int ndim;
        int64_t dim[4];
        int axis;
    } cases[] = {
        {4, {2, 3, 4, 5}, 3}, {4, {2, 3, 4, 5}, 1}, {4, {2, 3, 4, 5}, 0}, {4, {2, 3, 4, 5}, 2},
        {2, {3, 7}, 1},       {2, {3, 7}, 0},       {3, {2, 1, 5}, 1},    {2, {3, 300}, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        gc_case c = {.name = "softmax", .n_in = 1,
                     .in = {gc_random(cases[i].ndim, cases[i].dim, -3, 3, 61 + (guint32)i)}, .diff = {true},
                     .run = run_softmax, .ref = ref_softmax, .ctx = &cases[i].axis};
        gc_check(&c);
        gc_free(&c);
    }
}

/* Large logits: subtracting the max keeps exp finite. */
static void test_softmax_stable(void)
{
    cg_error err = {0};
    cg_tensor *x = gc_random(2, (int64_t[]){3, 6}, 1000, 1010, 7);
    x->data[0] = -1000;
    cg_graph *g = cg_graph_new(false, &err);
    for (int axis = 0; axis < 2; axis++) {
        cg_tensor *y = cg_softmax(g, x, axis);
        g_assert_nonnull(y);
        double *want = g_new(double, x->size), *in = g_new(double, x->size);
        for (int64_t i = 0; i < x->size; i++)
            in[i] = x->data[i];
        ref_softmax((const double *const[]){in}, (const cg_tensor *const[]){x}, want, &axis);
        gc_assert_close("softmax of large logits", y->data, want, y->size, 1e-6);
        g_free(want);
        g_free(in);
    }
    cg_tensor_free(x);
    cg_graph_free(g);
}

/* Rows (softmax over the last axis) and lanes (over a middle axis), big
 * enough to spread over tasks: forward and the analytic gradient. */
static void test_softmax_large(void)
{
    static const struct {
        int64_t dim[3];
        int axis;
    } cases[] = {{{2, 64, 700}, 2}, {{2, 300, 70}, 1}, {{3, 40, 600}, 1}};
    cg_error err = {0};
    for (size_t s = 0; s < G_N_ELEMENTS(cases); s++) {
        cg_tensor *x = gc_random(3, cases[s].dim, -4, 4, 8);
        x->requires_grad = true;
        double *in = g_new(double, x->size), *y = g_new(double, x->size), *gx = g_new0(double, x->size);
        for (int64_t i = 0; i < x->size; i++)
            in[i] = x->data[i];
        ref_softmax((const double *const[]){in}, (const cg_tensor *const[]){x}, y, &cases[s].axis);
        float *r = seed_for(x->size, 9);
        /* dx_i = y_i (r_i - sum_j r_j y_j) along each lane */
        int64_t dims[4] = {1, 1, 1, 1}, c[4];
        memcpy(dims, x->dim, 3 * sizeof *dims);
        int axis = cases[s].axis;
        dims[axis] = 1;
        FOR_EACH_COORD(c, dims) {
            int64_t k[4];
            memcpy(k, c, sizeof k);
            double dot = 0;
            for (k[axis] = 0; k[axis] < x->dim[axis]; k[axis]++) {
                int64_t i = bcast_index(x, k);
                dot += r[i] * y[i];
            }
            for (k[axis] = 0; k[axis] < x->dim[axis]; k[axis]++) {
                int64_t i = bcast_index(x, k);
                gx[i] = y[i] * (r[i] - dot);
            }
        }
        cg_graph *g = cg_graph_new(true, &err);
        cg_tensor *out = cg_softmax(g, x, axis);
        g_assert_nonnull(out);
        gc_assert_close("softmax forward", out->data, y, x->size, 1e-6);
        backward(g, out, r);
        gc_assert_close("softmax backward", x->grad, gx, x->size, 1e-5);
        cg_graph_free(g);
        g_free(r);
        g_free(in);
        g_free(y);
        g_free(gx);
        cg_tensor_free(x);
    }
}

static void test_softmax_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *x = rnd(2, (int64_t[]){2, 5}, 1);
    expect_invalid(g, cg_softmax(g, x, 2), "softmax");
    expect_invalid(g, cg_softmax(g, x, -1), "axis");
    g_assert_null(cg_softmax(g, NULL, 0));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    cg_tensor_free(x);
    cg_graph_free(g);
}

/* ---- matmul --------------------------------------------------------------- */

typedef struct mm_ctx {
    bool ta, tb;
} mm_ctx;

static cg_tensor *run_matmul(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const mm_ctx *m = ctx;
    return cg_matmul(g, in[0], in[1], m->ta, m->tb);
}

static void ref_matmul(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const mm_ctx *t = ctx;
    const cg_tensor *a = shape[0], *b = shape[1];
    int r = a->ndim - 2;
    int64_t batch = r ? a->dim[0] : 1, ra = a->dim[r], ca = a->dim[r + 1], rb = b->dim[r], cb = b->dim[r + 1];
    int64_t m = t->ta ? ca : ra, k = t->ta ? ra : ca, n = t->tb ? rb : cb;
    for (int64_t p = 0; p < batch; p++)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double s = 0;
                for (int64_t l = 0; l < k; l++) {
                    double av = t->ta ? in[0][p * ra * ca + l * ca + i] : in[0][p * ra * ca + i * ca + l];
                    double bv = t->tb ? in[1][p * rb * cb + j * cb + l] : in[1][p * rb * cb + l * cb + j];
                    s += av * bv;
                }
                out[(p * m + i) * n + j] = s;
            }
}

/* Stored shapes of A and B for op(A) (batch, m, k) and op(B) (batch, k, n);
 * 2-D shapes leave out the batch. */
static void mm_dims(bool batched, int64_t batch, int64_t m, int64_t k, int64_t n, const mm_ctx *t, int64_t *ad,
                    int64_t *bd)
{
    int r = batched ? 1 : 0;
    ad[0] = bd[0] = batch;
    ad[r] = t->ta ? k : m;
    ad[r + 1] = t->ta ? m : k;
    bd[r] = t->tb ? n : k;
    bd[r + 1] = t->tb ? k : n;
}

static void test_matmul(void)
{
    static const int64_t sizes[][4] = {{1, 3, 5, 4}, {2, 3, 5, 4}, {1, 1, 6, 1}, {2, 4, 1, 3}, {3, 2, 3, 2}};
    for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++)
        for (int batched = 0; batched < 2; batched++)
            for (int tr = 0; tr < 4; tr++) {
                if (!batched && sizes[s][0] != 1)
                    continue;
                mm_ctx t = {tr & 1, tr & 2};
                int64_t ad[3], bd[3];
                mm_dims(batched, sizes[s][0], sizes[s][1], sizes[s][2], sizes[s][3], &t, ad, bd);
                char name[64];
                g_snprintf(name, sizeof name, "matmul %s%s%s", batched ? "batched" : "2-D", t.ta ? " A^T" : "",
                           t.tb ? " B^T" : "");
                gc_case c = {.name = name, .n_in = 2,
                             .in = {rnd(2 + batched, ad, 71 + (guint32)s), rnd(2 + batched, bd, 81 + (guint32)s)},
                             .diff = {true, true}, .run = run_matmul, .ref = ref_matmul, .ctx = &t};
                gc_check(&c);
                gc_free(&c);
            }
}

/* Products big enough to take the parallel paths: one big 2-D product, one
 * entry, and several entries. The gradients against double loops
 * (tolerance 1e-5 of the largest value). */
static void test_matmul_large(void)
{
    static const int64_t sizes[][4] = {{1, 130, 70, 150}, {1, 97, 160, 129}, {5, 70, 33, 90}};
    cg_error err = {0};
    for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++)
        for (int tr = 0; tr < 4; tr++) {
            mm_ctx t = {tr & 1, tr & 2};
            bool batched = s > 0;
            int64_t ad[3], bd[3], batch = sizes[s][0], m = sizes[s][1], k = sizes[s][2], n = sizes[s][3];
            mm_dims(batched, batch, m, k, n, &t, ad, bd);
            cg_tensor *a = rnd(2 + batched, ad, 91), *b = rnd(2 + batched, bd, 92);
            a->requires_grad = b->requires_grad = true;
            double *in[2] = {g_new(double, a->size), g_new(double, b->size)};
            for (int64_t i = 0; i < a->size; i++)
                in[0][i] = a->data[i];
            for (int64_t i = 0; i < b->size; i++)
                in[1][i] = b->data[i];
            double *y = g_new(double, batch * m * n);
            ref_matmul((const double *const *)in, (const cg_tensor *const[]){a, b}, y, &t);
            float *r = seed_for(batch * m * n, 93);
            /* dA and dB from the definition, through the stored layouts */
            double *ga = g_new0(double, a->size), *gb = g_new0(double, b->size);
            for (int64_t p = 0; p < batch; p++)
                for (int64_t i = 0; i < m; i++)
                    for (int64_t j = 0; j < n; j++) {
                        double gr = r[(p * m + i) * n + j];
                        for (int64_t l = 0; l < k; l++) {
                            int64_t ia = p * m * k + (t.ta ? l * m + i : i * k + l);
                            int64_t ib = p * k * n + (t.tb ? j * k + l : l * n + j);
                            ga[ia] += gr * in[1][ib];
                            gb[ib] += gr * in[0][ia];
                        }
                    }
            cg_graph *g = cg_graph_new(true, &err);
            cg_tensor *out = cg_matmul(g, a, b, t.ta, t.tb);
            g_assert_nonnull(out);
            gc_assert_close("matmul forward", out->data, y, out->size, 1e-5);
            backward(g, out, r);
            gc_assert_close("matmul d(a)", a->grad, ga, a->size, 1e-5);
            gc_assert_close("matmul d(b)", b->grad, gb, b->size, 1e-5);
            cg_graph_free(g);
            g_free(r);
            g_free(y);
            g_free(ga);
            g_free(gb);
            g_free(in[0]);
            g_free(in[1]);
            cg_tensor_free(a);
            cg_tensor_free(b);
        }
}

/* matmul(x, x) with each pair of flags: both gradients add into one buffer,
 * so a GEMM that overwrote instead of adding (beta 0) would show. */
static void test_matmul_same_input(void)
{
    cg_error err = {0};
    enum { S = 4 };
    cg_tensor *x = rnd(2, (int64_t[]){S, S}, 5);
    x->requires_grad = true;
    float *r = seed_for(S * S, 6);
    for (int tr = 0; tr < 4; tr++) {
        bool ta = tr & 1, tb = tr & 2;
        cg_graph *g = cg_graph_new(true, &err);
        cg_tensor *y = cg_matmul(g, x, x, ta, tb);
        g_assert_nonnull(y);
        if (x->grad) /* a gradient already there must be added to, not replaced */
            for (int i = 0; i < S * S; i++)
                x->grad[i] = 0.5f;
        backward(g, y, r);
        /* y[i][j] = sum_l A[i][l] B[l][j] with A[i][l] = x at (i, l) or (l, i)
         * and B[l][j] = x at (l, j) or (j, l): add r[i][j] times the other
         * factor into the element each factor reads. */
        double want[S * S];
        for (int i = 0; i < S * S; i++)
            want[i] = tr == 0 ? 0.0 : 0.5;
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++)
                for (int l = 0; l < S; l++) {
                    int ia = ta ? l * S + i : i * S + l, ib = tb ? j * S + l : l * S + j;
                    want[ia] += (double)r[i * S + j] * x->data[ib];
                    want[ib] += (double)r[i * S + j] * x->data[ia];
                }
        gc_assert_close("matmul(x, x) gradient", x->grad, want, S * S, 1e-6);
        cg_graph_free(g);
    }
    g_free(r);
    cg_tensor_free(x);
}

static void test_matmul_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *a = rnd(2, (int64_t[]){3, 4}, 1), *b = rnd(2, (int64_t[]){5, 2}, 2);
    cg_tensor *v = rnd(1, (int64_t[]){4}, 3), *a3 = rnd(3, (int64_t[]){2, 3, 4}, 4);
    cg_tensor *b3 = rnd(3, (int64_t[]){3, 4, 2}, 5), *x4 = rnd(4, (int64_t[]){1, 2, 3, 4}, 6);
    expect_invalid(g, cg_matmul(g, a, b, false, false), "inner dims 4 and 5 differ");
    expect_invalid(g, cg_matmul(g, a, a, false, false), "matmul");
    expect_invalid(g, cg_matmul(g, a, b, true, true), "inner dims 3 and 2 differ");
    expect_invalid(g, cg_matmul(g, v, v, false, false), "2-D");
    expect_invalid(g, cg_matmul(g, a, a3, false, false), "2-D");
    expect_invalid(g, cg_matmul(g, x4, x4, false, true), "2-D");
    expect_invalid(g, cg_matmul(g, a3, b3, false, false), "batch sizes differ");
    g_assert_nonnull(cg_matmul(g, a, a, false, true));
    g_assert_nonnull(cg_matmul(g, a, a, true, false));
    g_assert_null(cg_matmul(g, a, NULL, false, false));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    cg_tensor *list[] = {a, b, v, a3, b3, x4};
    for (size_t i = 0; i < G_N_ELEMENTS(list); i++)
        cg_tensor_free(list[i]);
    cg_graph_free(g);
}

/* ---- reshape and transpose ------------------------------------------------ */

typedef struct reshape_ctx {
    int ndim;
    int64_t dim[4];
} reshape_ctx;

static cg_tensor *run_reshape(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const reshape_ctx *s = ctx;
    cg_tensor *y = cg_reshape(g, in[0], s->ndim, s->dim);
    if (y) {
        g_assert_cmpint(y->ndim, ==, s->ndim);
        for (int d = 0; d < s->ndim; d++)
            g_assert_cmpint(y->dim[d], ==, s->dim[d]);
    }
    return y;
}

static void ref_copy(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    memcpy(out, in[0], (size_t)shape[0]->size * sizeof(double));
}

static void test_reshape(void)
{
    static const reshape_ctx shapes[] = {{2, {6, 20}}, {1, {120}}, {3, {2, 60, 1}}, {4, {5, 4, 3, 2}}};
    for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
        gc_case c = {.name = "reshape", .n_in = 1, .in = {rnd(4, (int64_t[]){2, 3, 4, 5}, 111)}, .diff = {true},
                     .run = run_reshape, .ref = ref_copy, .ctx = &shapes[i]};
        gc_check(&c);
        gc_free(&c);
    }
}

static void test_reshape_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *x = rnd(2, (int64_t[]){4, 6}, 1);
    expect_invalid(g, cg_reshape(g, x, 2, (int64_t[]){5, 5}), "holds 25 elements, not 24");
    expect_invalid(g, cg_reshape(g, x, 2, (int64_t[]){48, 1}), "reshape");
    expect_invalid(g, cg_reshape(g, x, 0, (int64_t[]){24}), "rank");
    expect_invalid(g, cg_reshape(g, x, 5, (int64_t[]){1, 2, 3, 4, 1}), "rank");
    expect_invalid(g, cg_reshape(g, x, 2, (int64_t[]){0, 24}), ">= 1");
    expect_invalid(g, cg_reshape(g, x, 2, (int64_t[]){-4, -6}), ">= 1");
    expect_invalid(g, cg_reshape(g, x, 3, (int64_t[]){INT64_C(1) << 40, INT64_C(1) << 40, 2}), "reshape");
    expect_invalid(g, cg_reshape(g, x, 2, NULL), "missing");
    g_assert_null(cg_reshape(g, NULL, 1, (int64_t[]){24}));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    cg_tensor_free(x);
    cg_graph_free(g);
}

static cg_tensor *run_transpose(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    return cg_transpose(g, in[0], ctx);
}

static void ref_transpose(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const int *perm = ctx;
    const cg_tensor *x = shape[0];
    int64_t dims[4] = {1, 1, 1, 1}, c[4], o = 0;
    for (int i = 0; i < x->ndim; i++)
        dims[i] = x->dim[perm[i]];
    FOR_EACH_COORD(c, dims) {
        int64_t src[4] = {0, 0, 0, 0};
        for (int i = 0; i < x->ndim; i++)
            src[perm[i]] = c[i];
        out[o++] = in[0][bcast_index(x, src)];
    }
}

static void test_transpose(void)
{
    static const struct {
        int ndim;
        int64_t dim[4];
        int perm[4];
    } cases[] = {
        {4, {2, 3, 4, 5}, {0, 2, 3, 1}}, {4, {2, 3, 4, 5}, {3, 2, 1, 0}}, {4, {2, 3, 4, 5}, {0, 1, 3, 2}},
        {4, {2, 3, 4, 5}, {0, 1, 2, 3}}, {2, {3, 7}, {1, 0}},             {3, {2, 3, 5}, {0, 2, 1}},
        {3, {2, 3, 5}, {2, 0, 1}},       {1, {6}, {0}},                   {4, {2, 3, 4, 5}, {1, 0, 2, 3}},
        {4, {2, 1, 4, 5}, {2, 1, 0, 3}}, {4, {3, 1, 1, 4}, {3, 1, 2, 0}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        gc_case c = {.name = "transpose", .n_in = 1, .in = {rnd(cases[i].ndim, cases[i].dim, 121 + (guint32)i)},
                     .diff = {true}, .run = run_transpose, .ref = ref_transpose, .ctx = cases[i].perm};
        gc_check(&c);
        gc_free(&c);
    }
}

/* Big enough to cut rows between tasks; a permutation is exact both ways. */
static void test_transpose_large(void)
{
    cg_error err = {0};
    const int perm[3] = {0, 2, 1};
    cg_tensor *x = rnd(3, (int64_t[]){3, 130, 170}, 7);
    x->requires_grad = true;
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *y = cg_transpose(g, x, perm);
    g_assert_nonnull(y);
    float *r = seed_for(y->size, 8);
    backward(g, y, r);
    for (int64_t b = 0; b < 3; b++)
        for (int64_t i = 0; i < 130; i++)
            for (int64_t j = 0; j < 170; j++) {
                g_assert_true(y->data[(b * 170 + j) * 130 + i] == x->data[(b * 130 + i) * 170 + j]);
                g_assert_true(x->grad[(b * 130 + i) * 170 + j] == r[(b * 170 + j) * 130 + i]);
            }
    g_free(r);
    cg_graph_free(g);
    cg_tensor_free(x);
}

static void test_transpose_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *x = rnd(3, (int64_t[]){2, 3, 4}, 1);
    expect_invalid(g, cg_transpose(g, x, (const int[]){0, 1, 1}), "not a permutation");
    expect_invalid(g, cg_transpose(g, x, (const int[]){0, 1, 3}), "transpose");
    expect_invalid(g, cg_transpose(g, x, (const int[]){-1, 0, 1}), "permutation");
    expect_invalid(g, cg_transpose(g, x, NULL), "missing");
    g_assert_null(cg_transpose(g, NULL, (const int[]){0}));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    cg_tensor_free(x);
    cg_graph_free(g);
}

/* ---- mean ----------------------------------------------------------------- */

static cg_tensor *run_mean(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    cg_tensor *y = cg_mean(g, in[0]);
    if (y)
        g_assert_true(y->ndim == 1 && y->size == 1);
    return y;
}

static void ref_mean(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    double s = 0;
    for (int64_t i = 0; i < shape[0]->size; i++)
        s += in[0][i];
    out[0] = s / shape[0]->size;
}

static void test_mean(void)
{
    static const int64_t dims[][4] = {{2, 3, 4, 5}, {7}, {1}};
    for (size_t i = 0; i < G_N_ELEMENTS(dims); i++) {
        gc_case c = {.name = "mean", .n_in = 1, .in = {rnd(i ? 1 : 4, dims[i], 131 + (guint32)i)}, .diff = {true},
                     .run = run_mean, .ref = ref_mean};
        gc_check(&c);
        gc_free(&c);
    }
}

/* Millions of elements: within 1e-6 of the double sum, bit-identical twice. */
static void test_mean_large(void)
{
    cg_error err = {0};
    cg_tensor *x = gc_random(1, (int64_t[]){3000017}, 0.5, 1.5, 9);
    x->requires_grad = true;
    double want = 0;
    for (int64_t i = 0; i < x->size; i++)
        want += x->data[i];
    want /= x->size;
    float first = 0;
    for (int run = 0; run < 2; run++) {
        cg_graph *g = cg_graph_new(true, &err);
        cg_tensor *y = cg_mean(g, x);
        g_assert_nonnull(y);
        g_assert_cmpfloat(fabs(y->data[0] - want), <=, 1e-6 * want);
        if (run == 0)
            first = y->data[0];
        else
            g_assert_true(memcmp(&first, y->data, sizeof first) == 0);
        clear_grad(x);
        cg_graph_backward(g, y, &err);
        for (int64_t i = 0; i < x->size; i += 9973)
            g_assert_cmpfloat(fabs(x->grad[i] - 1.0 / x->size), <=, 1e-12);
        cg_graph_free(g);
    }
    cg_tensor_free(x);
}

static void test_mean_errors(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    g_assert_null(cg_mean(g, NULL));
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    cg_graph_free(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ops/elementwise/add", test_add);
    g_test_add_func("/ops/elementwise/mul", test_mul);
    g_test_add_func("/ops/elementwise/binary_same_input", test_binary_same_input);
    g_test_add_func("/ops/elementwise/binary_large", test_binary_large);
    g_test_add_func("/ops/elementwise/binary_errors", test_binary_errors);
    g_test_add_func("/ops/elementwise/scale", test_scale);
    g_test_add_func("/ops/elementwise/scale_errors", test_scale_errors);
    g_test_add_func("/ops/elementwise/concat", test_concat);
    g_test_add_func("/ops/elementwise/concat_large", test_concat_large);
    g_test_add_func("/ops/elementwise/concat_errors", test_concat_errors);
    g_test_add_func("/ops/elementwise/slice", test_slice);
    g_test_add_func("/ops/elementwise/slice_errors", test_slice_errors);
    g_test_add_func("/ops/elementwise/softmax", test_softmax);
    g_test_add_func("/ops/elementwise/softmax_stable", test_softmax_stable);
    g_test_add_func("/ops/elementwise/softmax_large", test_softmax_large);
    g_test_add_func("/ops/elementwise/softmax_errors", test_softmax_errors);
    g_test_add_func("/ops/elementwise/matmul", test_matmul);
    g_test_add_func("/ops/elementwise/matmul_large", test_matmul_large);
    g_test_add_func("/ops/elementwise/matmul_same_input", test_matmul_same_input);
    g_test_add_func("/ops/elementwise/matmul_errors", test_matmul_errors);
    g_test_add_func("/ops/elementwise/reshape", test_reshape);
    g_test_add_func("/ops/elementwise/reshape_errors", test_reshape_errors);
    g_test_add_func("/ops/elementwise/transpose", test_transpose);
    g_test_add_func("/ops/elementwise/transpose_large", test_transpose_large);
    g_test_add_func("/ops/elementwise/transpose_errors", test_transpose_errors);
    g_test_add_func("/ops/elementwise/mean", test_mean);
    g_test_add_func("/ops/elementwise/mean_large", test_mean_large);
    g_test_add_func("/ops/elementwise/mean_errors", test_mean_errors);
    return g_test_run();
}
