#include "comicgan/engine.h"
#include "comicgan/graph.h"
#include "core/arena.h"
#include "core/threads.h"
#include "ops/op.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK (16u << 20)

struct cg_graph {
    bool training;
    cg_error error;        /* sticky: the first failure */
    cg_arena arena;        /* tensors, their data, saved state, activation grads */
    cg_node *tape;
    size_t tape_len, tape_cap;
    float *scratch;        /* scratch_floats per pool worker */
    int64_t scratch_floats;
    int workers;
};

cg_graph *cg_graph_new(bool training, cg_error *err)
{
    if (cg_engine_init(err) != CG_OK)
        return NULL;
    cg_graph *g = calloc(1, sizeof *g);
    if (!g) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for a graph");
        return NULL;
    }
    g->training = training;
    g->workers = cg_thread_count();
    cg_arena_init(&g->arena, ARENA_BLOCK);
    return g;
}

void cg_graph_free(cg_graph *g)
{
    if (!g)
        return;
    cg_arena_free(&g->arena);
    free(g->tape);
    cg_aligned_free(g->scratch);
    free(g);
}

void cg_graph_reset(cg_graph *g)
{
    cg_arena_reset(&g->arena);
    g->tape_len = 0;
    cg_error_clear(&g->error);
}

bool cg_graph_is_training(const cg_graph *g)
{
    return g->training;
}

cg_status cg_graph_status(const cg_graph *g, cg_error *err)
{
    if (g->error.code != CG_OK && err)
        *err = g->error;
    return g->error.code;
}

void cg_graph_fail(cg_graph *g, const cg_error *err)
{
    if (g->error.code == CG_OK && err->code != CG_OK)
        g->error = *err;
}

size_t cg_graph_mark(const cg_graph *g)
{
    return cg_arena_mark(&g->arena);
}

void cg_graph_release(cg_graph *g, size_t mark)
{
    if (g->training) {
        cg_fail(&g->error, CG_ERR_INVALID, "cg_graph_release is for inference graphs only");
        return;
    }
    cg_arena_release(&g->arena, mark);
}

size_t cg_graph_memory(const cg_graph *g)
{
    return cg_arena_capacity(&g->arena) + (size_t)g->scratch_floats * (size_t)g->workers * sizeof(float);
}

static void *arena_floats(cg_graph *g, int64_t n)
{
    void *p = cg_arena_alloc(&g->arena, (size_t)n * sizeof(float));
    if (!p)
        cg_fail(&g->error, CG_ERR_NOMEM, "out of memory for %lld floats", (long long)n);
    return p;
}

static cg_tensor *new_tensor(cg_graph *g, int ndim, const int64_t *dim)
{
    cg_tensor *t = cg_arena_alloc(&g->arena, sizeof *t);
    if (!t) {
        cg_fail(&g->error, CG_ERR_NOMEM, "out of memory for a tensor");
        return NULL;
    }
    memset(t, 0, sizeof *t);
    if (cg_tensor_set_shape(t, ndim, dim, &g->error) != CG_OK)
        return NULL;
    t->data = arena_floats(g, t->size);
    return t->data ? t : NULL;
}

cg_tensor *cg_graph_tensor(cg_graph *g, int ndim, const int64_t *dim)
{
    if (g->error.code != CG_OK)
        return NULL;
    cg_tensor *t = new_tensor(g, ndim, dim);
    if (t)
        memset(t->data, 0, (size_t)t->size * sizeof(float));
    return t;
}

cg_tensor *cg_graph_tensor4(cg_graph *g, int64_t n, int64_t c, int64_t h, int64_t w)
{
    const int64_t dim[4] = {n, c, h, w};
    return cg_graph_tensor(g, 4, dim);
}

static bool ensure_scratch(cg_graph *g, int64_t floats)
{
    if (floats <= g->scratch_floats)
        return true;
    float *s = cg_aligned_alloc((size_t)floats * (size_t)g->workers * sizeof(float));
    if (!s) {
        cg_fail(&g->error, CG_ERR_NOMEM, "out of memory for %lld floats of scratch", (long long)floats);
        return false;
    }
    cg_aligned_free(g->scratch);
    g->scratch = s;
    g->scratch_floats = floats;
    return true;
}

static bool push_node(cg_graph *g, const cg_node *n)
{
    if (g->tape_len == g->tape_cap) {
        size_t cap = g->tape_cap ? g->tape_cap * 2 : 256;
        cg_node *t = realloc(g->tape, cap * sizeof *t);
        if (!t) {
            cg_fail(&g->error, CG_ERR_NOMEM, "out of memory for the tape");
            return false;
        }
        g->tape = t;
        g->tape_cap = cap;
    }
    g->tape[g->tape_len++] = *n;
    return true;
}

cg_tensor *cg_graph_apply(cg_graph *g, cg_op op, cg_tensor *const *in, int n_in, const cg_op_params *p)
{
    if (!g || g->error.code != CG_OK)
        return NULL;
    const cg_op_def *def = cg_op_table[op];
    if (n_in < def->min_inputs || n_in > def->max_inputs) {
        cg_fail(&g->error, CG_ERR_INVALID, "%s: takes %d to %d inputs, got %d", def->name, def->min_inputs,
                def->max_inputs, n_in);
        return NULL;
    }
    cg_node n = {.op = op, .n_in = n_in, .training = g->training};
    if (p)
        n.p = *p;
    bool needs_grad = false;
    for (int i = 0; i < n_in; i++) {
        n.in[i] = in[i];
        if (in[i] && in[i]->requires_grad)
            needs_grad = true;
    }
    int ndim = 0;
    int64_t dim[CG_MAX_DIMS];
    if (def->infer(&n, &ndim, dim, &g->error) != CG_OK) {
        cg_error_prefix(&g->error, "%s", def->name);
        return NULL;
    }
    n.out = new_tensor(g, ndim, dim);
    if (!n.out)
        return NULL;
    int64_t saved = def->saved_size ? def->saved_size(&n) : 0;
    if (saved > 0 && !(n.saved = arena_floats(g, saved)))
        return NULL;
    int64_t scratch = def->scratch_size ? def->scratch_size(&n) : 0;
    if (!ensure_scratch(g, scratch))
        return NULL;
    def->forward(&n, g->scratch);
    if (g->training && needs_grad) {
        n.out->requires_grad = true;
        if (!push_node(g, &n))
            return NULL;
    }
    return n.out;
}

static void zero_range(void *ctx, int64_t begin, int64_t end)
{
    memset((float *)ctx + begin, 0, (size_t)(end - begin) * sizeof(float));
}

static bool ensure_grad(cg_graph *g, cg_tensor *t)
{
    if (t->grad)
        return true;
    size_t bytes = (size_t)t->size * sizeof(float);
    /* Tensors the caller owns get grads they own; the rest live in the arena. */
    t->grad = t->owns_data ? cg_aligned_alloc(bytes) : cg_arena_alloc(&g->arena, bytes);
    if (!t->grad) {
        cg_fail(&g->error, CG_ERR_NOMEM, "out of memory for a gradient");
        return false;
    }
    cg_parallel_range(t->size, 1 << 16, zero_range, t->grad);
    return true;
}

static cg_status run_tape(cg_graph *g, cg_error *err)
{
    for (size_t i = g->tape_len; i-- > 0;) {
        cg_node *n = &g->tape[i];
        if (!n->out->grad)
            continue; /* nothing downstream of this node reached the objective */
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] && n->in[k]->requires_grad && !ensure_grad(g, n->in[k]))
                return cg_graph_status(g, err);
        const cg_op_def *def = cg_op_table[n->op];
        int64_t scratch = def->scratch_size ? def->scratch_size(n) : 0;
        if (!ensure_scratch(g, scratch))
            return cg_graph_status(g, err);
        def->backward(n, g->scratch);
    }
    return CG_OK;
}

cg_status cg_graph_backward_seeded(cg_graph *g, cg_tensor *t, const float *seed, cg_error *err)
{
    if (g->error.code != CG_OK)
        return cg_graph_status(g, err);
    if (!g->training)
        return cg_fail(err, CG_ERR_INVALID, "backward needs a graph made in training mode");
    if (!t || !t->requires_grad)
        return cg_fail(err, CG_ERR_INVALID, "backward needs a tensor that depends on parameters");
    if (!ensure_grad(g, t))
        return cg_graph_status(g, err);
    for (int64_t i = 0; i < t->size; i++)
        t->grad[i] += seed[i];
    return run_tape(g, err);
}

cg_status cg_graph_backward(cg_graph *g, cg_tensor *loss, cg_error *err)
{
    if (loss && loss->size != 1)
        return cg_fail(err, CG_ERR_INVALID, "backward needs a 1-element loss, got %lld elements",
                       (long long)loss->size);
    const float one = 1.0f;
    return cg_graph_backward_seeded(g, loss, &one, err);
}
