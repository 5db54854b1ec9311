/* comicgan — graphs: eager execution with a reverse-mode tape.
 *
 * Ops (comicgan/ops.h) run immediately when called and return their output,
 * which lives in the graph's arena. In training mode every op whose inputs
 * need gradients is recorded on a tape, and cg_graph_backward walks it in
 * reverse. In inference mode nothing is recorded, and cg_graph_mark /
 * cg_graph_release let a network give its intermediate buffers back.
 *
 * Errors are sticky, as in cairo: an op given bad input returns NULL and puts
 * the graph in an error state; every later op returns NULL until
 * cg_graph_reset. Check cg_graph_status once after building a step. */
#ifndef COMICGAN_GRAPH_H
#define COMICGAN_GRAPH_H

#include "comicgan/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_graph cg_graph;

/* A new empty graph; training selects tape recording. Caller frees with
 * cg_graph_free. NULL and err filled when memory runs out. */
cg_graph *cg_graph_new(bool training, cg_error *err);

/* Frees the graph, its tape and every tensor in its arena; NULL is fine. */
void cg_graph_free(cg_graph *g);

/* Forgets the tape, the tensors and any error, keeping the memory for reuse:
 * after the first step of a loop, a step allocates nothing. */
void cg_graph_reset(cg_graph *g);

bool cg_graph_is_training(const cg_graph *g);

/* CG_OK, or the first error an op met (copied into err). */
cg_status cg_graph_status(const cg_graph *g, cg_error *err);

/* Puts the graph in err's error state, unless it already has one: for a
 * failure met outside the ops (a fixed function run on a tensor's data). */
void cg_graph_fail(cg_graph *g, const cg_error *err);

/* A new zero-filled tensor in the graph's arena (inputs, targets). It lives
 * until reset/release; NULL when the graph is in an error state. */
cg_tensor *cg_graph_tensor(cg_graph *g, int ndim, const int64_t *dim);
cg_tensor *cg_graph_tensor4(cg_graph *g, int64_t n, int64_t c, int64_t h, int64_t w);

/* Arena position, for inference code that frees intermediates in stack order:
 * everything allocated after mark is given back by release. Not allowed in
 * training mode (the tape still needs those tensors). */
size_t cg_graph_mark(const cg_graph *g);
void cg_graph_release(cg_graph *g, size_t mark);

/* Backpropagates from loss (which must be a 1-element tensor produced in this
 * graph): seeds d(loss)=1 and accumulates gradients into every recorded
 * tensor's grad, parameters included (their grad buffers are not zeroed here).
 * Fails with CG_ERR_INVALID in inference mode or when loss is not recorded. */
cg_status cg_graph_backward(cg_graph *g, cg_tensor *loss, cg_error *err);

/* The general form: backpropagates from any recorded tensor t, seeded with
 * seed (t->size floats) as d(objective)/d(t); seed is copied. */
cg_status cg_graph_backward_seeded(cg_graph *g, cg_tensor *t, const float *seed, cg_error *err);

/* Bytes currently held by the arena and the scratch buffer (for benchmarks). */
size_t cg_graph_memory(const cg_graph *g);

#ifdef __cplusplus
}
#endif
#endif
