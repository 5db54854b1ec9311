/* Activations against naive double references, with gradient checks. */
#include "support/gradcheck.h"

#include <math.h>
#include <string.h>

typedef struct act_ctx {
    int which; /* 0 relu, 1 leaky, 2 tanh, 3 sigmoid */
    float slope;
} act_ctx;

static cg_tensor *run_act(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const act_ctx *a = ctx;
    switch (a->which) {
    case 0: return cg_relu(g, in[0]);
    case 1: return cg_leaky_relu(g, in[0], a->slope);
    case 2: return cg_tanh(g, in[0]);
    default: return cg_sigmoid(g, in[0]);
    }
}

static void ref_act(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const act_ctx *a = ctx;
    for (int64_t i = 0; i < shape[0]->size; i++) {
        double x = in[0][i];
        switch (a->which) {
        case 0: out[i] = x > 0 ? x : 0; break;
        case 1: out[i] = x > 0 ? x : a->slope * x; break;
        case 2: out[i] = tanh(x); break;
        default: out[i] = 1 / (1 + exp(-x)); break;
        }
    }
}

/* Inputs kept away from 0, where relu has no derivative. */
static cg_tensor *away_from_zero(guint32 seed)
{
    cg_tensor *t = gc_random4(2, 3, 5, 4, 0.05, 2.0, seed);
    for (int64_t i = 0; i < t->size; i += 2)
        t->data[i] = -t->data[i];
    return t;
}

static void check(int which, float slope, const char *name)
{
    act_ctx a = {which, slope};
    gc_case c = {.name = name, .n_in = 1, .in = {away_from_zero(7)}, .diff = {true},
                 .run = run_act, .ref = ref_act, .ctx = &a};
    gc_check(&c);
    gc_free(&c);
}

static void test_relu(void) { check(0, 0, "relu"); }
static void test_leaky(void) { check(1, 0.2f, "leaky_relu"); }
static void test_tanh(void) { check(2, 0, "tanh"); }
static void test_sigmoid(void) { check(3, 0, "sigmoid"); }

static void test_bad_slope(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *x = cg_graph_tensor4(g, 1, 1, 2, 2);
    g_assert_null(cg_leaky_relu(g, x, NAN));
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "leaky_relu"));
    /* sticky: later ops refuse too */
    g_assert_null(cg_relu(g, x));
    cg_graph_free(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ops/activation/relu", test_relu);
    g_test_add_func("/ops/activation/leaky_relu", test_leaky);
    g_test_add_func("/ops/activation/tanh", test_tanh);
    g_test_add_func("/ops/activation/sigmoid", test_sigmoid);
    g_test_add_func("/ops/activation/bad_slope", test_bad_slope);
    return g_test_run();
}
