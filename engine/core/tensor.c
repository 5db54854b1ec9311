#include "comicgan/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Blocks from this size on are aligned to the 2 MiB of a huge page and asked
 * to be backed by huge pages: a large image's activations are written into
 * fresh memory once per statistic point, and with 4 KiB pages the page faults
 * alone took a fifth of a tiled run. */
#define HUGE_PAGE ((size_t)2 << 20)

void *cg_aligned_alloc(size_t size)
{
    size_t align = size >= 4 * HUGE_PAGE ? HUGE_PAGE : 64;
    size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded < size)
        return NULL;
    void *p = aligned_alloc(align, rounded ? rounded : align);
#ifdef MADV_HUGEPAGE
    if (p && align == HUGE_PAGE)
        madvise(p, rounded, MADV_HUGEPAGE); /* a hint: without huge pages the block works the same */
#endif
    return p;
}

void cg_aligned_free(void *p)
{
    free(p);
}

bool cg_mul_overflows(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0)
        return true;
    return __builtin_mul_overflow(a, b, out);
}

cg_status cg_tensor_set_shape(cg_tensor *t, int ndim, const int64_t *dim, cg_error *err)
{
    if (ndim < 1 || ndim > CG_MAX_DIMS)
        return cg_fail(err, CG_ERR_INVALID, "tensor rank %d is outside 1..%d", ndim, CG_MAX_DIMS);
    int64_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (dim[i] < 1)
            return cg_fail(err, CG_ERR_INVALID, "tensor dimension %d is %lld, must be >= 1", i,
                           (long long)dim[i]);
        if (cg_mul_overflows(size, dim[i], &size) || size > CG_TENSOR_MAX_ELEMENTS)
            return cg_fail(err, CG_ERR_NOMEM, "tensor of more than %lld elements refused",
                           (long long)CG_TENSOR_MAX_ELEMENTS);
    }
    for (int i = 0; i < CG_MAX_DIMS; i++)
        t->dim[i] = i < ndim ? dim[i] : 1;
    t->ndim = ndim;
    t->size = size;
    return CG_OK;
}

cg_tensor *cg_tensor_new(int ndim, const int64_t *dim, cg_error *err)
{
    cg_tensor *t = calloc(1, sizeof *t);
    if (!t) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for a tensor header");
        return NULL;
    }
    if (cg_tensor_set_shape(t, ndim, dim, err) != CG_OK) {
        free(t);
        return NULL;
    }
    t->data = cg_aligned_alloc((size_t)t->size * sizeof(float));
    if (!t->data) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for a tensor of %lld floats", (long long)t->size);
        free(t);
        return NULL;
    }
    memset(t->data, 0, (size_t)t->size * sizeof(float));
    t->owns_data = true;
    return t;
}

cg_tensor *cg_tensor_new4(int64_t n, int64_t c, int64_t h, int64_t w, cg_error *err)
{
    const int64_t dim[4] = {n, c, h, w};
    return cg_tensor_new(4, dim, err);
}

void cg_tensor_free(cg_tensor *t)
{
    if (!t)
        return;
    if (t->owns_data) {
        cg_aligned_free(t->data);
        cg_aligned_free(t->grad);
    }
    free(t);
}

bool cg_tensor_same_shape(const cg_tensor *a, const cg_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < CG_MAX_DIMS; i++)
        if (a->dim[i] != b->dim[i])
            return false;
    return true;
}

char *cg_tensor_shape_str(const cg_tensor *t, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf + used, len - used, "[");
    for (int i = 0; i < t->ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ", %lld" : "%lld", (long long)t->dim[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
    return buf;
}
