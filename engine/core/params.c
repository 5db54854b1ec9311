/* Parameter sets: registration by name, then one block for values and one for
 * gradients, each tensor 64-byte aligned inside them. */
#include "comicgan/params.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN_FLOATS 16 /* 64 bytes */

typedef struct entry {
    char *name;
    cg_tensor *t;     /* separately allocated so pointers survive growth */
    bool buffer;
    bool frozen;
    int64_t offset;   /* floats from the start of the blocks; -1 before finalize */
} entry;

struct cg_params {
    entry *e;
    int n, cap;
    GHashTable *by_name;  /* name -> index + 1 (names owned by entries) */
    bool finalized;
    float *values, *grads;
    int64_t values_len, grads_len;
};

cg_params *cg_params_new(cg_error *err)
{
    cg_params *p = calloc(1, sizeof *p);
    if (!p) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for a parameter set");
        return NULL;
    }
    p->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    return p;
}

void cg_params_free(cg_params *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++) {
        free(p->e[i].name);
        free(p->e[i].t); /* data and grad live in the blocks */
    }
    free(p->e);
    g_hash_table_destroy(p->by_name);
    cg_aligned_free(p->values);
    cg_aligned_free(p->grads);
    free(p);
}

static cg_status check_name(const char *name, cg_error *err)
{
    if (!name || !name[0])
        return cg_fail(err, CG_ERR_INVALID, "a parameter name must not be empty");
    size_t len = strnlen(name, CG_PARAM_NAME_MAX + 1);
    if (len > CG_PARAM_NAME_MAX)
        return cg_fail(err, CG_ERR_INVALID, "parameter name \"%.40s...\" is longer than %d bytes", name,
                       CG_PARAM_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c > 0x7e)
            return cg_fail(err, CG_ERR_INVALID,
                           "parameter name has a byte 0x%02x at %zu that is not printable ASCII", c, i);
    }
    if (strcmp(name, "__metadata__") == 0)
        return cg_fail(err, CG_ERR_INVALID, "parameter name \"__metadata__\" is reserved");
    return CG_OK;
}

static cg_tensor *add_entry(cg_params *p, const char *name, int ndim, const int64_t *dim, bool buffer,
                            cg_error *err)
{
    if (p->finalized) {
        cg_fail(err, CG_ERR_INVALID, "cannot add \"%s\": the parameter set is already finalized",
                name ? name : "(null)");
        return NULL;
    }
    if (check_name(name, err) != CG_OK)
        return NULL;
    if (g_hash_table_contains(p->by_name, name)) {
        cg_fail(err, CG_ERR_INVALID, "parameter name \"%s\" is already taken", name);
        return NULL;
    }
    cg_tensor *t = calloc(1, sizeof *t);
    if (!t) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for parameter \"%s\"", name);
        return NULL;
    }
    if (!dim ? cg_fail(err, CG_ERR_INVALID, "no shape given") != CG_OK
             : cg_tensor_set_shape(t, ndim, dim, err) != CG_OK) {
        cg_error_prefix(err, "parameter \"%s\"", name);
        free(t);
        return NULL;
    }
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 32;
        entry *e = realloc(p->e, (size_t)cap * sizeof *e);
        if (!e) {
            free(t);
            cg_fail(err, CG_ERR_NOMEM, "out of memory for parameter \"%s\"", name);
            return NULL;
        }
        p->e = e;
        p->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) {
        free(t);
        cg_fail(err, CG_ERR_NOMEM, "out of memory for parameter \"%s\"", name);
        return NULL;
    }
    p->e[p->n] = (entry){.name = copy, .t = t, .buffer = buffer, .offset = -1};
    g_hash_table_insert(p->by_name, copy, GINT_TO_POINTER(p->n + 1));
    p->n++;
    return t;
}

cg_tensor *cg_params_add(cg_params *p, const char *name, int ndim, const int64_t *dim, cg_error *err)
{
    return add_entry(p, name, ndim, dim, false, err);
}

cg_tensor *cg_params_add_buffer(cg_params *p, const char *name, int ndim, const int64_t *dim, cg_error *err)
{
    return add_entry(p, name, ndim, dim, true, err);
}

static int64_t padded(int64_t size)
{
    return (size + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

cg_status cg_params_finalize(cg_params *p, cg_error *err)
{
    if (p->finalized)
        return cg_fail(err, CG_ERR_INVALID, "the parameter set is already finalized");
    /* Each size is at most CG_TENSOR_MAX_ELEMENTS (2^32) and there are fewer
     * than 2^31 entries, so the sums fit in int64_t; cap them anyway. */
    const int64_t cap = (int64_t)(SIZE_MAX / sizeof(float) / 2) < ((int64_t)1 << 40)
                            ? (int64_t)(SIZE_MAX / sizeof(float) / 2)
                            : ((int64_t)1 << 40);
    int64_t off = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < p->n; i++) {
            entry *e = &p->e[i];
            if (e->buffer != (pass == 1))
                continue;
            e->offset = off;
            off += padded(e->t->size);
            if (off > cap) {
                for (int k = 0; k < p->n; k++)
                    p->e[k].offset = -1;
                return cg_fail(err, CG_ERR_NOMEM, "parameter set of more than %lld floats refused",
                               (long long)cap);
            }
        }
        if (pass == 0)
            p->grads_len = off;
    }
    p->values_len = off;
    float *values = cg_aligned_alloc((size_t)p->values_len * sizeof(float));
    float *grads = p->grads_len ? cg_aligned_alloc((size_t)p->grads_len * sizeof(float)) : NULL;
    if (!values || (p->grads_len && !grads)) {
        long long want = (long long)(p->values_len + p->grads_len);
        cg_aligned_free(values);
        cg_aligned_free(grads);
        for (int k = 0; k < p->n; k++)
            p->e[k].offset = -1;
        p->grads_len = p->values_len = 0;
        return cg_fail(err, CG_ERR_NOMEM, "out of memory for %lld parameter floats", want);
    }
    memset(values, 0, (size_t)p->values_len * sizeof(float));
    if (grads)
        memset(grads, 0, (size_t)p->grads_len * sizeof(float));
    p->values = values;
    p->grads = grads;
    for (int i = 0; i < p->n; i++) {
        entry *e = &p->e[i];
        e->t->data = values + e->offset;
        e->t->owns_data = false;
        e->t->requires_grad = !e->buffer;
        e->t->grad = e->buffer ? NULL : grads + e->offset;
    }
    p->finalized = true;
    return CG_OK;
}

bool cg_params_is_finalized(const cg_params *p)
{
    return p->finalized;
}

int cg_params_count(const cg_params *p)
{
    return p->n;
}

static const entry *get_entry(const cg_params *p, int i)
{
    return p && i >= 0 && i < p->n ? &p->e[i] : NULL;
}

cg_tensor *cg_params_get(const cg_params *p, int i)
{
    const entry *e = get_entry(p, i);
    return e ? e->t : NULL;
}

const char *cg_params_name(const cg_params *p, int i)
{
    const entry *e = get_entry(p, i);
    return e ? e->name : NULL;
}

bool cg_params_is_buffer(const cg_params *p, int i)
{
    const entry *e = get_entry(p, i);
    return e && e->buffer;
}

bool cg_params_is_frozen(const cg_params *p, int i)
{
    const entry *e = get_entry(p, i);
    return e && e->frozen;
}

int cg_params_find(const cg_params *p, const char *name)
{
    if (!name)
        return -1;
    return GPOINTER_TO_INT(g_hash_table_lookup(p->by_name, name)) - 1;
}

int64_t cg_params_offset(const cg_params *p, int i)
{
    const entry *e = get_entry(p, i);
    return e && p->finalized ? e->offset : -1;
}

int64_t cg_params_total(const cg_params *p)
{
    int64_t total = 0;
    for (int i = 0; i < p->n; i++)
        total += p->e[i].t->size;
    return total;
}

int64_t cg_params_trained_total(const cg_params *p)
{
    int64_t total = 0;
    for (int i = 0; i < p->n; i++)
        if (!p->e[i].buffer)
            total += p->e[i].t->size;
    return total;
}

float *cg_params_values(const cg_params *p, int64_t *n)
{
    if (n)
        *n = p->finalized ? p->values_len : 0;
    return p->finalized ? p->values : NULL;
}

float *cg_params_grads(const cg_params *p, int64_t *n)
{
    if (n)
        *n = p->finalized ? p->grads_len : 0;
    return p->finalized ? p->grads : NULL;
}

void cg_params_zero_grad(cg_params *p)
{
    if (p->finalized && p->grads)
        memset(p->grads, 0, (size_t)p->grads_len * sizeof(float));
}

cg_status cg_params_set_frozen(cg_params *p, int i, bool frozen, cg_error *err)
{
    if (!p->finalized)
        return cg_fail(err, CG_ERR_INVALID, "freezing needs a finalized parameter set");
    if (i < 0 || i >= p->n)
        return cg_fail(err, CG_ERR_INVALID, "parameter index %d is outside 0..%d", i, p->n - 1);
    entry *e = &p->e[i];
    if (e->buffer)
        return cg_fail(err, CG_ERR_INVALID, "\"%s\" is a buffer and cannot be frozen or unfrozen", e->name);
    e->frozen = frozen;
    e->t->requires_grad = !frozen;
    e->t->grad = frozen ? NULL : p->grads + e->offset;
    if (frozen)
        memset(p->grads + e->offset, 0, (size_t)e->t->size * sizeof(float));
    return CG_OK;
}

void cg_params_foreach_trained_range(const cg_params *p, void (*fn)(void *ctx, int64_t begin, int64_t end),
                                     void *ctx)
{
    if (!p->finalized)
        return;
    int64_t begin = -1, end = -1;
    /* Trained entries appear in the gradient block in registration order. */
    for (int i = 0; i < p->n; i++) {
        const entry *e = &p->e[i];
        if (e->buffer)
            continue;
        if (e->frozen) {
            if (begin >= 0)
                fn(ctx, begin, end);
            begin = -1;
            continue;
        }
        if (begin < 0)
            begin = e->offset;
        end = e->offset + padded(e->t->size);
    }
    if (begin >= 0)
        fn(ctx, begin, end);
}

cg_status cg_params_copy_values(cg_params *dst, const cg_params *src, cg_error *err)
{
    if (!dst->finalized || !src->finalized)
        return cg_fail(err, CG_ERR_INVALID, "copying values needs two finalized parameter sets");
    if (dst->n != src->n)
        return cg_fail(err, CG_ERR_INVALID, "parameter sets differ in size: %d and %d entries", dst->n,
                       src->n);
    for (int i = 0; i < dst->n; i++) {
        const entry *a = &dst->e[i], *b = &src->e[i];
        if (strcmp(a->name, b->name) != 0)
            return cg_fail(err, CG_ERR_INVALID, "entry %d is \"%s\" in one set and \"%s\" in the other", i,
                           a->name, b->name);
        if (a->buffer != b->buffer || !cg_tensor_same_shape(a->t, b->t))
            return cg_fail(err, CG_ERR_INVALID, "\"%s\" differs in kind or shape between the sets", a->name);
    }
    /* Same entries in the same order give the same layout. */
    memcpy(dst->values, src->values, (size_t)dst->values_len * sizeof(float));
    return CG_OK;
}
