/* Internal: helpers shared by the element-wise (elementwise.c), shape
 * (shape.c) and matrix (matmul.c) op families. */
#ifndef CG_OPS_ELEMENTWISE_H
#define CG_OPS_ELEMENTWISE_H

#include "ops/op.h"

/* Floats of work that make a task worth handing to the pool. */
#define CG_EW_MIN_CHUNK 16384

static inline int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* A chunk size that gives each task about CG_EW_MIN_CHUNK floats of work when
 * one item costs `work` floats. */
static inline int64_t chunk_for(int64_t work)
{
    return work >= CG_EW_MIN_CHUNK ? 1 : CG_EW_MIN_CHUNK / (work > 0 ? work : 1);
}

static inline void copy_shape(const cg_tensor *x, int *ndim, int64_t *dim)
{
    *ndim = x->ndim;
    for (int i = 0; i < CG_MAX_DIMS; i++)
        dim[i] = x->dim[i];
}

static inline cg_status check_axis(const cg_tensor *x, int axis, cg_error *err)
{
    if (axis < 0 || axis >= x->ndim)
        return cg_fail(err, CG_ERR_INVALID, "axis %d is outside 0..%d", axis, x->ndim - 1);
    return CG_OK;
}

/* Products of the dims before and after axis: x viewed as (outer, dim[axis], inner). */
static inline void split_at_axis(const cg_tensor *x, int axis, int64_t *outer, int64_t *inner)
{
    *outer = *inner = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < axis)
            *outer *= x->dim[d];
        if (d > axis)
            *inner *= x->dim[d];
    }
}

typedef struct copy_job {
    float *dst;
    const float *src;
} copy_job;

/* For cg_parallel_range with a copy_job: dst = src / dst += src over a range. */
void cg_ew_copy_range(void *ctx, int64_t begin, int64_t end);
void cg_ew_add_range(void *ctx, int64_t begin, int64_t end);

/* dst[i] += src[i]: the backward of every op that moves elements one to one. */
void cg_ew_accumulate(float *dst, const float *src, int64_t n);

/* sum a[i] * b[i] (or sum a[i] when b is NULL) over [0, n), in double, cut
 * into blocks that depend only on n and added in block order: the same result
 * on every run, whatever the number of threads. */
double cg_ew_fixed_order_sum(const float *a, const float *b, int64_t n);
/* The same on the calling thread: for a task's own reduction. */
double cg_ew_sum(const float *a, const float *b, int64_t n);

#endif
