/* libFuzzer target: the safetensors loader on arbitrary bytes.
 *
 * Besides crashes and sanitizer reports, it checks two properties of every
 * input the loader accepts: each tensor is found by its name with a size that
 * matches its shape, and writing the loaded tensors and metadata back out
 * and loading that again gives the same names, shapes, values and metadata. */
#include "comicgan/safetensors.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz-safetensors: property failed: %s\n", what);
        abort();
    }
}

static void round_trip(const cg_safetensors *f)
{
    int n = cg_safetensors_count(f), m = cg_safetensors_metadata_count(f);
    /* The writer takes cg_tensor, which has no 0-d or empty tensors. */
    for (int i = 0; i < n; i++) {
        const cg_safetensors_tensor *t = cg_safetensors_get(f, i);
        if (t->ndim == 0 || t->size == 0)
            return;
    }
    cg_tensor *ts = calloc((size_t)n + 1, sizeof *ts);
    cg_safetensors_entry *e = calloc((size_t)n + 1, sizeof *e);
    cg_safetensors_meta *meta = calloc((size_t)m + 1, sizeof *meta);
    for (int i = 0; i < n; i++) {
        const cg_safetensors_tensor *t = cg_safetensors_get(f, i);
        ts[i].data = (float *)t->data;
        ts[i].ndim = t->ndim;
        memcpy(ts[i].dim, t->dim, sizeof ts[i].dim);
        ts[i].size = t->size;
        e[i].name = t->name;
        e[i].tensor = &ts[i];
    }
    for (int i = 0; i < m; i++)
        meta[i] = (cg_safetensors_meta){cg_safetensors_metadata_key(f, i), cg_safetensors_metadata_value(f, i)};
    void *bytes = NULL;
    size_t len = 0;
    cg_error err = {0};
    cg_status s = cg_safetensors_write_bytes(e, n, meta, m, &bytes, &len, &err);
    if (s != CG_OK)
        fprintf(stderr, "write: %s\n", err.message);
    check(s == CG_OK, "a loaded file can be written back");
    cg_safetensors *g = cg_safetensors_load_bytes(bytes, len, &err);
    if (!g)
        fprintf(stderr, "reload: %s\n", err.message);
    check(g != NULL, "a written file loads");
    check(cg_safetensors_count(g) == n, "same tensor count");
    check(cg_safetensors_metadata_count(g) == m, "same metadata count");
    for (int i = 0; i < n; i++) {
        const cg_safetensors_tensor *a = cg_safetensors_get(f, i), *b = cg_safetensors_get(g, i);
        check(strcmp(a->name, b->name) == 0, "same names in the same order");
        check(a->ndim == b->ndim && memcmp(a->dim, b->dim, sizeof a->dim) == 0, "same shapes");
        check(memcmp(a->data, b->data, (size_t)a->size * sizeof(float)) == 0, "same values");
    }
    for (int i = 0; i < m; i++) {
        check(strcmp(cg_safetensors_metadata_key(f, i), cg_safetensors_metadata_key(g, i)) == 0, "same keys");
        check(strcmp(cg_safetensors_metadata_value(f, i), cg_safetensors_metadata_value(g, i)) == 0,
              "same values");
    }
    cg_safetensors_free(g);
    g_free(bytes);
    free(ts);
    free(e);
    free(meta);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_error err = {0};
    cg_safetensors *f = cg_safetensors_load_bytes(data, size, &err);
    if (!f) {
        check(err.code != CG_OK && err.message[0] != '\0', "a refusal has a status and a message");
        return 0;
    }
    double sum = 0;
    for (int i = 0; i < cg_safetensors_count(f); i++) {
        const cg_safetensors_tensor *t = cg_safetensors_get(f, i);
        check(cg_safetensors_find(f, t->name) == t, "find by name");
        int64_t size_from_dims = 1;
        for (int d = 0; d < t->ndim; d++)
            size_from_dims *= t->dim[d];
        check(size_from_dims == t->size, "size matches the shape");
        for (int64_t k = 0; k < t->size; k++)
            sum += t->data[k]; /* touches every float: ASan checks the bounds */
    }
    for (int i = 0; i < cg_safetensors_metadata_count(f); i++)
        check(cg_safetensors_metadata(f, cg_safetensors_metadata_key(f, i)) != NULL, "metadata by key");
    cg_safetensors_check_format(f, &err);
    (void)sum;
    round_trip(f);
    cg_safetensors_free(f);
    return 0;
}
