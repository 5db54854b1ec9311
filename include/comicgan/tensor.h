/* comicgan — tensors.
 *
 * fp32, up to 4 dimensions, row-major (the last dimension varies fastest), so
 * an image batch is NCHW. Storage is 64-byte aligned. A tensor either owns its
 * storage (cg_tensor_new) or points into an arena owned by a graph or a
 * parameter set, which then frees it. */
#ifndef COMICGAN_TENSOR_H
#define COMICGAN_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "comicgan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CG_MAX_DIMS 4
/* No tensor may hold more elements than this (16 GiB of floats). */
#define CG_TENSOR_MAX_ELEMENTS ((int64_t)1 << 32)

typedef struct cg_tensor {
    float *data;               /* size floats */
    float *grad;               /* same shape; NULL where no gradient is kept */
    int64_t dim[CG_MAX_DIMS];  /* dims past ndim are 1 */
    int ndim;
    int64_t size;              /* product of dims */
    bool requires_grad;        /* gradients flow into this tensor (training only) */
    bool owns_data;            /* cg_tensor_free frees data and grad */
} cg_tensor;

/* A new zero-filled tensor owning its storage; free with cg_tensor_free.
 * NULL and err filled if ndim is outside 1..4, a dim is < 1, the size exceeds
 * CG_TENSOR_MAX_ELEMENTS, or memory runs out. */
cg_tensor *cg_tensor_new(int ndim, const int64_t *dim, cg_error *err);

/* Shorthand for a 4-D NCHW tensor. Same ownership and errors as cg_tensor_new. */
cg_tensor *cg_tensor_new4(int64_t n, int64_t c, int64_t h, int64_t w, cg_error *err);

/* Frees an owning tensor and its storage (and grad, if allocated); NULL is fine.
 * Must not be called on tensors that live in a graph or parameter arena. */
void cg_tensor_free(cg_tensor *t);

/* Sets dim/ndim/size of a tensor header without touching storage. Returns
 * CG_ERR_INVALID for bad dims or an over-large size. */
cg_status cg_tensor_set_shape(cg_tensor *t, int ndim, const int64_t *dim, cg_error *err);

/* True when a and b have the same ndim and dims. */
bool cg_tensor_same_shape(const cg_tensor *a, const cg_tensor *b);

/* Writes "[2, 3, 64, 64]" into buf (always NUL-terminated); returns buf. */
char *cg_tensor_shape_str(const cg_tensor *t, char *buf, size_t len);

/* Allocates size bytes aligned to 64 (size rounded up); NULL on failure.
 * Blocks of 8 MiB and more are aligned to 2 MiB and asked for huge pages.
 * Free with cg_aligned_free. */
void *cg_aligned_alloc(size_t size);
void cg_aligned_free(void *p);

/* Multiplies a and b into *out; false on overflow or a negative operand. */
bool cg_mul_overflows(int64_t a, int64_t b, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
