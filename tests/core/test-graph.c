/* The graph: tape only in training, sticky errors, backward's refusals, arena
 * reuse (no growth after the first step), mark/release, and the engine facts. */
#include "comicgan/engine.h"
#include "comicgan/ops.h"

#include <glib.h>
#include <string.h>

static void test_engine_info(void)
{
    cg_error err = {0};
    g_assert_cmpint(cg_engine_init(&err), ==, CG_OK);
    const cg_engine_info *info = cg_engine_get_info();
    g_assert_nonnull(info);
    g_assert_nonnull(strstr(info->blas_library, "openblas"));
    g_assert_cmpstr(info->blas_corename, !=, "");
    g_assert_cmpint(info->threads, >=, 1);
    /* Where the engine asked for a core type, OpenBLAS must be using it. */
    if (info->coretype_set[0])
        g_assert_cmpint(g_ascii_strcasecmp(info->blas_corename, info->coretype_set), ==, 0);
    g_test_message("cpu %s: OpenBLAS core %s (%s)", info->cpu, info->blas_corename, info->coretype_reason);
}

static void test_inference_records_nothing(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *w = cg_tensor_new4(1, 1, 2, 2, &err);
    w->requires_grad = true;
    cg_tensor *y = cg_mean(g, cg_relu(g, cg_add(g, cg_graph_tensor4(g, 1, 1, 2, 2), w)));
    g_assert_nonnull(y);
    g_assert_false(y->requires_grad);
    g_assert_cmpint(cg_graph_backward(g, y, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "training mode"));
    cg_tensor_free(w);
    cg_graph_free(g);
}

static void test_backward_refusals(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *w = cg_tensor_new4(1, 1, 2, 2, &err);
    w->requires_grad = true;
    cg_tensor *y = cg_relu(g, w);
    g_assert_cmpint(cg_graph_backward(g, y, &err), ==, CG_ERR_INVALID); /* 4 elements, not 1 */
    g_assert_nonnull(strstr(err.message, "1-element"));
    cg_tensor *c = cg_mean(g, cg_graph_tensor4(g, 1, 1, 2, 2)); /* depends on no parameter */
    g_assert_cmpint(cg_graph_backward(g, c, &err), ==, CG_ERR_INVALID);
    cg_tensor_free(w);
    cg_graph_free(g);
}

static void test_sticky_error_and_reset(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *a = cg_graph_tensor4(g, 1, 2, 3, 3), *b = cg_graph_tensor4(g, 1, 3, 3, 3);
    g_assert_null(cg_add(g, a, b));
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "add"));
    g_assert_null(cg_graph_tensor4(g, 1, 1, 1, 1)); /* everything refuses until reset */
    g_assert_cmpint(cg_graph_backward(g, a, &err), ==, CG_ERR_INVALID);
    cg_graph_reset(g);
    g_assert_cmpint(cg_graph_status(g, NULL), ==, CG_OK);
    g_assert_nonnull(cg_graph_tensor4(g, 1, 1, 1, 1));
    cg_graph_free(g);
}

/* A training step allocates nothing after the first: the arena keeps its blocks. */
static void test_steps_reuse_memory(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *w = cg_tensor_new4(8, 3, 3, 3, &err);
    w->requires_grad = true;
    size_t first = 0;
    for (int step = 0; step < 5; step++) {
        cg_graph_reset(g);
        cg_tensor *x = cg_graph_tensor4(g, 2, 3, 32, 32);
        cg_tensor *loss = cg_mean(g, cg_tanh(g, cg_conv2d(g, x, w, NULL, NULL)));
        g_assert_cmpint(cg_graph_backward(g, loss, &err), ==, CG_OK);
        if (step == 0)
            first = cg_graph_memory(g);
        else
            g_assert_cmpuint(cg_graph_memory(g), ==, first);
    }
    cg_tensor_free(w);
    cg_graph_free(g);
}

static void test_mark_release(void)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *keep = cg_graph_tensor4(g, 1, 1, 64, 64);
    size_t mark = cg_graph_mark(g);
    cg_tensor *tmp = cg_relu(g, keep);
    g_assert_nonnull(tmp);
    cg_graph_release(g, mark);
    cg_tensor *again = cg_graph_tensor4(g, 1, 1, 64, 64);
    g_assert_true(again->data == tmp->data || (void *)again == (void *)tmp); /* the released space is reused */
    g_assert_cmpuint(cg_graph_mark(g), >, mark);
    cg_graph_free(g);

    g = cg_graph_new(true, &err);
    cg_graph_release(g, 0);
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_ERR_INVALID);
    cg_graph_free(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/core/engine_info", test_engine_info);
    g_test_add_func("/core/graph/inference_records_nothing", test_inference_records_nothing);
    g_test_add_func("/core/graph/backward_refusals", test_backward_refusals);
    g_test_add_func("/core/graph/sticky_error_and_reset", test_sticky_error_and_reset);
    g_test_add_func("/core/graph/steps_reuse_memory", test_steps_reuse_memory);
    g_test_add_func("/core/graph/mark_release", test_mark_release);
    return g_test_run();
}
