/* Parameter sets: registration, arenas and their layout, names, buffers,
 * freezing, and gradients flowing into the gradient block through a graph. */
#include "comicgan/ops.h"
#include "comicgan/params.h"

#include <glib.h>
#include <string.h>

static cg_params *new_params(void)
{
    cg_error err = {0};
    cg_params *p = cg_params_new(&err);
    g_assert_nonnull(p);
    return p;
}

static void test_layout(void)
{
    cg_error err = {0};
    cg_params *p = new_params();
    const int64_t wdim[4] = {8, 3, 3, 3}, bdim[1] = {8}, udim[1] = {5}, gdim[2] = {2, 7};
    cg_tensor *w = cg_params_add(p, "enc.0.weight", 4, wdim, &err);
    cg_tensor *u = cg_params_add_buffer(p, "enc.0.sn_u", 1, udim, &err);
    cg_tensor *b = cg_params_add(p, "enc.0.bias", 1, bdim, &err);
    cg_tensor *g = cg_params_add(p, "norm.gamma", 2, gdim, &err);
    g_assert_nonnull(w);
    g_assert_nonnull(u);
    g_assert_nonnull(b);
    g_assert_nonnull(g);
    /* shapes valid before finalize, data not yet */
    g_assert_cmpint(w->size, ==, 216);
    g_assert_null(w->data);
    g_assert_false(cg_params_is_finalized(p));
    g_assert_null(cg_params_values(p, NULL));
    g_assert_cmpint(cg_params_offset(p, 0), ==, -1);
    g_assert_cmpint(cg_params_count(p), ==, 4);
    g_assert_cmpint(cg_params_total(p), ==, 216 + 5 + 8 + 14);
    g_assert_cmpint(cg_params_trained_total(p), ==, 216 + 8 + 14);

    g_assert_cmpint(cg_params_finalize(p, &err), ==, CG_OK);
    g_assert_true(cg_params_is_finalized(p));
    int64_t nv, ng;
    float *values = cg_params_values(p, &nv);
    float *grads = cg_params_grads(p, &ng);
    /* trained first (216 -> 224, 8 -> 16, 14 -> 16), then buffers (5 -> 16) */
    g_assert_cmpint(ng, ==, 224 + 16 + 16);
    g_assert_cmpint(nv, ==, ng + 16);
    g_assert_cmpint(cg_params_offset(p, 0), ==, 0);
    g_assert_cmpint(cg_params_offset(p, 2), ==, 224);
    g_assert_cmpint(cg_params_offset(p, 3), ==, 240);
    g_assert_cmpint(cg_params_offset(p, 1), ==, 256);
    g_assert_true(w->data == values && w->grad == grads);
    g_assert_true(b->data == values + 224 && b->grad == grads + 224);
    g_assert_true(g->data == values + 240 && g->grad == grads + 240);
    g_assert_true(u->data == values + 256);
    g_assert_null(u->grad);
    g_assert_false(u->requires_grad);
    g_assert_true(w->requires_grad && b->requires_grad && g->requires_grad);
    for (int i = 0; i < 4; i++) {
        cg_tensor *t = cg_params_get(p, i);
        g_assert_false(t->owns_data);
        g_assert_cmpuint((uintptr_t)t->data % 64, ==, 0);
        if (t->grad)
            g_assert_cmpuint((uintptr_t)t->grad % 64, ==, 0);
    }
    for (int64_t i = 0; i < nv; i++)
        g_assert_cmpfloat(values[i], ==, 0.0f);
    for (int64_t i = 0; i < ng; i++)
        g_assert_cmpfloat(grads[i], ==, 0.0f);

    /* lookups */
    g_assert_cmpint(cg_params_find(p, "enc.0.bias"), ==, 2);
    g_assert_cmpint(cg_params_find(p, "nope"), ==, -1);
    g_assert_cmpstr(cg_params_name(p, 1), ==, "enc.0.sn_u");
    g_assert_true(cg_params_is_buffer(p, 1));
    g_assert_false(cg_params_is_buffer(p, 0));
    g_assert_null(cg_params_get(p, 4));
    g_assert_null(cg_params_name(p, -1));

    /* zero_grad clears the whole block */
    for (int64_t i = 0; i < w->size; i++)
        w->grad[i] = 1.0f;
    b->grad[3] = 2.0f;
    cg_params_zero_grad(p);
    for (int64_t i = 0; i < ng; i++)
        g_assert_cmpfloat(grads[i], ==, 0.0f);

    /* nothing more after finalize */
    g_assert_null(cg_params_add(p, "late", 1, bdim, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "already finalized"));
    g_assert_cmpint(cg_params_finalize(p, &err), ==, CG_ERR_INVALID);
    cg_params_free(p);
}

static void expect_bad_name(cg_params *p, const char *name, const char *needle)
{
    cg_error err = {0};
    const int64_t dim[1] = {3};
    g_assert_null(cg_params_add(p, name, 1, dim, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_INVALID);
    if (!strstr(err.message, needle))
        g_error("name check: expected \"%s\" in \"%s\"", needle, err.message);
}

static void test_names(void)
{
    cg_error err = {0};
    cg_params *p = new_params();
    const int64_t dim[1] = {3};
    g_assert_nonnull(cg_params_add(p, "a b/c.d-e_f:0", 1, dim, &err));
    expect_bad_name(p, "a b/c.d-e_f:0", "already taken");
    expect_bad_name(p, "", "must not be empty");
    expect_bad_name(p, NULL, "must not be empty");
    expect_bad_name(p, "tab\there", "not printable ASCII");
    expect_bad_name(p, "caf\xc3\xa9", "not printable ASCII");
    expect_bad_name(p, "__metadata__", "reserved");
    char longest[CG_PARAM_NAME_MAX + 2];
    memset(longest, 'x', sizeof longest);
    longest[CG_PARAM_NAME_MAX + 1] = '\0';
    expect_bad_name(p, longest, "longer than 255");
    longest[CG_PARAM_NAME_MAX] = '\0';
    g_assert_nonnull(cg_params_add(p, longest, 1, dim, &err));
    /* a buffer's name is in the same namespace */
    g_assert_null(cg_params_add_buffer(p, longest, 1, dim, &err));
    g_assert_nonnull(strstr(err.message, "already taken"));
    /* bad shapes name the parameter */
    const int64_t bad[2] = {3, 0};
    g_assert_null(cg_params_add(p, "zero", 2, bad, &err));
    g_assert_nonnull(strstr(err.message, "\"zero\""));
    g_assert_null(cg_params_add(p, "rank5", 5, bad, &err));
    g_assert_nonnull(strstr(err.message, "rank 5"));
    g_assert_null(cg_params_add(p, "noshape", 1, NULL, &err));
    g_assert_cmpint(cg_params_count(p), ==, 2);
    cg_params_free(p);
}

static void test_empty(void)
{
    cg_error err = {0};
    cg_params *p = new_params();
    g_assert_cmpint(cg_params_finalize(p, &err), ==, CG_OK);
    int64_t n = -1;
    g_assert_nonnull(cg_params_values(p, &n));
    g_assert_cmpint(n, ==, 0);
    g_assert_null(cg_params_grads(p, &n));
    g_assert_cmpint(n, ==, 0);
    cg_params_zero_grad(p);
    cg_params_free(p);
    cg_params_free(NULL);
}

typedef struct range_log {
    int64_t r[8][2];
    int n;
} range_log;

static void log_range(void *ctx, int64_t begin, int64_t end)
{
    range_log *l = ctx;
    l->r[l->n][0] = begin;
    l->r[l->n][1] = end;
    l->n++;
}

static void test_frozen(void)
{
    cg_error err = {0};
    cg_params *p = new_params();
    const int64_t d16[1] = {16}, d20[1] = {20}, d4[1] = {4};
    cg_tensor *a = cg_params_add(p, "a", 1, d16, &err);
    cg_tensor *b = cg_params_add(p, "b", 1, d20, &err);
    cg_params_add_buffer(p, "buf", 1, d4, &err);
    cg_tensor *c = cg_params_add(p, "c", 1, d4, &err);
    g_assert_cmpint(cg_params_set_frozen(p, 0, true, &err), ==, CG_ERR_INVALID); /* not finalized */
    g_assert_cmpint(cg_params_finalize(p, &err), ==, CG_OK);

    range_log l = {0};
    cg_params_foreach_trained_range(p, log_range, &l);
    g_assert_cmpint(l.n, ==, 1);
    g_assert_cmpint(l.r[0][0], ==, 0);
    g_assert_cmpint(l.r[0][1], ==, 16 + 32 + 16);

    b->grad[1] = 3.0f;
    float *bgrad = b->grad;
    g_assert_cmpint(cg_params_set_frozen(p, 1, true, &err), ==, CG_OK);
    g_assert_true(cg_params_is_frozen(p, 1));
    g_assert_null(b->grad);
    g_assert_false(b->requires_grad);
    g_assert_cmpfloat(bgrad[1], ==, 0.0f); /* slot cleared */
    memset(&l, 0, sizeof l);
    cg_params_foreach_trained_range(p, log_range, &l);
    g_assert_cmpint(l.n, ==, 2);
    g_assert_cmpint(l.r[0][0], ==, 0);
    g_assert_cmpint(l.r[0][1], ==, 16);
    g_assert_cmpint(l.r[1][0], ==, 48);
    g_assert_cmpint(l.r[1][1], ==, 64);

    g_assert_cmpint(cg_params_set_frozen(p, 0, true, &err), ==, CG_OK);
    g_assert_cmpint(cg_params_set_frozen(p, 3, true, &err), ==, CG_OK);
    memset(&l, 0, sizeof l);
    cg_params_foreach_trained_range(p, log_range, &l);
    g_assert_cmpint(l.n, ==, 0);

    g_assert_cmpint(cg_params_set_frozen(p, 1, false, &err), ==, CG_OK);
    g_assert_true(b->grad == bgrad && b->requires_grad);
    g_assert_cmpint(cg_params_set_frozen(p, 2, true, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "buffer"));
    g_assert_cmpint(cg_params_set_frozen(p, 9, true, &err), ==, CG_ERR_INVALID);
    (void)a;
    (void)c;
    cg_params_free(p);
}

/* Gradients reach the block through a training graph; frozen parameters and
 * buffers get none, and the graph gives them no private gradient either. */
static void test_graph_gradients(void)
{
    cg_error err = {0};
    cg_params *p = new_params();
    const int64_t d[2] = {2, 3};
    cg_tensor *w = cg_params_add(p, "w", 2, d, &err);
    cg_tensor *f = cg_params_add(p, "f", 2, d, &err);
    cg_tensor *u = cg_params_add_buffer(p, "u", 2, d, &err);
    g_assert_cmpint(cg_params_finalize(p, &err), ==, CG_OK);
    for (int i = 0; i < 6; i++) {
        w->data[i] = (float)(i + 1);
        f->data[i] = (float)(10 * i);
        u->data[i] = 0.5f;
    }
    g_assert_cmpint(cg_params_set_frozen(p, 1, true, &err), ==, CG_OK);
    int64_t ng;
    float *grads = cg_params_grads(p, &ng);

    cg_graph *g = cg_graph_new(true, &err);
    g_assert_nonnull(g);
    /* loss = mean(w * f) + mean(w * u): d/dw = (f + u) / 6 */
    cg_tensor *loss = cg_add(g, cg_mean(g, cg_mul(g, w, f)), cg_mean(g, cg_mul(g, w, u)));
    g_assert_nonnull(loss);
    g_assert_cmpint(cg_graph_backward(g, loss, &err), ==, CG_OK);
    for (int i = 0; i < 6; i++)
        g_assert_cmpfloat_with_epsilon(w->grad[i], (10.0f * i + 0.5f) / 6.0f, 1e-5);
    g_assert_null(f->grad);
    g_assert_null(u->grad);
    for (int64_t i = 16; i < ng; i++) /* f's slot and the padding stay zero */
        g_assert_cmpfloat(grads[i], ==, 0.0f);
    cg_graph_free(g);
    cg_params_free(p);
}

static void test_copy_values(void)
{
    cg_error err = {0};
    cg_params *a = new_params(), *b = new_params(), *c = new_params();
    const int64_t d[1] = {5}, e[1] = {6};
    cg_params_add(a, "x", 1, d, &err);
    cg_params_add_buffer(a, "y", 1, d, &err);
    cg_params_add(b, "x", 1, d, &err);
    cg_params_add_buffer(b, "y", 1, d, &err);
    cg_params_add(c, "x", 1, d, &err);
    cg_params_add_buffer(c, "y", 1, e, &err);
    g_assert_cmpint(cg_params_copy_values(b, a, &err), ==, CG_ERR_INVALID); /* not finalized */
    cg_params_finalize(a, &err);
    cg_params_finalize(b, &err);
    cg_params_finalize(c, &err);
    for (int i = 0; i < 5; i++) {
        cg_params_get(a, 0)->data[i] = (float)i;
        cg_params_get(a, 1)->data[i] = (float)-i;
    }
    g_assert_cmpint(cg_params_copy_values(b, a, &err), ==, CG_OK);
    g_assert_cmpmem(cg_params_get(b, 0)->data, 20, cg_params_get(a, 0)->data, 20);
    g_assert_cmpmem(cg_params_get(b, 1)->data, 20, cg_params_get(a, 1)->data, 20);
    g_assert_cmpint(cg_params_copy_values(c, a, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "\"y\""));
    g_assert_cmpfloat(cg_params_get(c, 0)->data[3], ==, 0.0f);
    cg_params_free(a);
    cg_params_free(b);
    cg_params_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/core/params/layout", test_layout);
    g_test_add_func("/core/params/names", test_names);
    g_test_add_func("/core/params/empty", test_empty);
    g_test_add_func("/core/params/frozen", test_frozen);
    g_test_add_func("/core/params/graph_gradients", test_graph_gradients);
    g_test_add_func("/core/params/copy_values", test_copy_values);
    return g_test_run();
}
