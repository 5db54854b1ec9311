/* comicgan — parameter sets: named tensors in contiguous arenas.
 *
 * A network registers its parameters by name and shape, then finalizes the
 * set. Finalizing allocates one 64-byte-aligned block for every value and one
 * for every gradient (optimizers add one block per moment, laid out like the
 * gradient block: see comicgan/optim.h), so a checkpoint is one write per
 * block and distributed training can allreduce all gradients in one call.
 *
 * Layout. Every tensor starts at a multiple of 16 floats (64 bytes) in its
 * block; the padding floats between tensors are zero and stay zero (gradients
 * and updates of padding are zero). The trained parameters come first in the
 * value block, in registration order, then the buffers. The gradient block
 * covers the trained part only: grads[i] is the gradient of values[i] for
 * every i below the gradient block's length.
 *
 * Two kinds of entries:
 *  - parameters (cg_params_add): trained; after finalize requires_grad is true
 *    and grad points into the gradient block. A parameter can be frozen
 *    (cg_params_set_frozen): requires_grad false, grad NULL, and optimizers
 *    leave it alone; unfreezing gives it back its gradient slot.
 *  - buffers (cg_params_add_buffer): saved with the model but never trained,
 *    e.g. spectral norm's power-iteration vectors; no gradient, no optimizer
 *    state, requires_grad false, grad NULL.
 *
 * Every returned cg_tensor is owned by the set (owns_data false): never pass
 * it to cg_tensor_free. Its shape is valid as soon as it is added; its data
 * (zero-filled) and grad only after cg_params_finalize. */
#ifndef COMICGAN_PARAMS_H
#define COMICGAN_PARAMS_H

#include "comicgan/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest name, in bytes (without the terminating NUL). */
#define CG_PARAM_NAME_MAX 255

typedef struct cg_params cg_params;

/* A new empty set; free with cg_params_free. NULL and err filled when memory
 * runs out. */
cg_params *cg_params_new(cg_error *err);

/* Frees the set, its tensors and its blocks; NULL is fine. */
void cg_params_free(cg_params *p);

/* Registers a trained parameter. Returns its tensor (owned by p) with the
 * shape set and data NULL until finalize; NULL and err filled when: the set
 * is already finalized, the name is invalid (empty, longer than
 * CG_PARAM_NAME_MAX, a byte outside printable ASCII 0x20..0x7e, or the
 * reserved "__metadata__"), the name is taken (CG_ERR_INVALID naming it), the
 * shape is bad (as cg_tensor_set_shape), or memory runs out. */
cg_tensor *cg_params_add(cg_params *p, const char *name, int ndim, const int64_t *dim, cg_error *err);

/* Registers a buffer: saved and loaded like a parameter, never trained. Same
 * errors as cg_params_add. */
cg_tensor *cg_params_add_buffer(cg_params *p, const char *name, int ndim, const int64_t *dim,
                                cg_error *err);

/* Allocates the blocks (zero-filled) and points every tensor into them.
 * CG_ERR_INVALID if already finalized, CG_ERR_NOMEM if the total is too
 * large or memory runs out (the set stays unfinalized and can be freed). An
 * empty set finalizes fine. */
cg_status cg_params_finalize(cg_params *p, cg_error *err);

bool cg_params_is_finalized(const cg_params *p);

/* Entries (parameters and buffers) in registration order. */
int cg_params_count(const cg_params *p);

/* The i-th entry's tensor, name, kind; i in [0, count) (NULL / false outside). */
cg_tensor *cg_params_get(const cg_params *p, int i);
const char *cg_params_name(const cg_params *p, int i);
bool cg_params_is_buffer(const cg_params *p, int i);
bool cg_params_is_frozen(const cg_params *p, int i);

/* The index of the entry called name, or -1. */
int cg_params_find(const cg_params *p, const char *name);

/* The i-th entry's offset in floats from the start of the value block (and,
 * for a parameter, of the gradient and moment blocks); -1 before finalize or
 * for a bad i. */
int64_t cg_params_offset(const cg_params *p, int i);

/* Elements in all entries / in trained parameters only (frozen included),
 * padding excluded. Valid before finalize too. */
int64_t cg_params_total(const cg_params *p);
int64_t cg_params_trained_total(const cg_params *p);

/* The value block and its length in floats (padding included) via *n;
 * NULL (and *n = 0) before finalize. */
float *cg_params_values(const cg_params *p, int64_t *n);

/* The gradient block, covering the trained parameters (the first *n floats of
 * the value block's layout); NULL (and *n = 0) before finalize or when there
 * is nothing to train. */
float *cg_params_grads(const cg_params *p, int64_t *n);

/* Zeroes the whole gradient block. */
void cg_params_zero_grad(cg_params *p);

/* Freezes or unfreezes parameter i. CG_ERR_INVALID for a bad index, a buffer
 * or before finalize. A frozen parameter's gradient slot is zeroed. */
cg_status cg_params_set_frozen(cg_params *p, int i, bool frozen, cg_error *err);

/* Calls fn(ctx, begin, end) for each maximal range [begin, end) of the
 * gradient block whose parameters are not frozen, in increasing order
 * (ranges include the padding after each parameter). Used by optimizers. */
void cg_params_foreach_trained_range(const cg_params *p, void (*fn)(void *ctx, int64_t begin, int64_t end),
                                     void *ctx);

/* Copies every value (parameters and buffers) from src into dst, which must
 * have the same names, kinds and shapes in the same order (e.g. an exponential
 * moving average copy of a generator). CG_ERR_INVALID naming the first
 * difference; dst is untouched then. */
cg_status cg_params_copy_values(cg_params *dst, const cg_params *src, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
