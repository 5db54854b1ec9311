/* safetensors: the writer. The header is built with json-glib, padded with
 * spaces so the data starts 8-byte aligned, and the file replaced atomically
 * (temporary file in the same folder, fsync, rename). */
#include "comicgan/safetensors.h"
#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHUNK_BYTES (64 << 10)
#define NAME_SHOWN "%.200s"  /* names in messages are cut to 200 bytes */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#else
#define HOST_BIG_ENDIAN 0
#endif

/* The loader refuses the same names (safetensors.c). */
static bool has_control_char(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return true;
    return false;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static cg_status check_entries(const cg_safetensors_entry *tensors, int n, const cg_safetensors_meta *meta,
                               int n_meta, cg_error *err)
{
    if (n < 0 || n_meta < 0 || (n > 0 && !tensors) || (n_meta > 0 && !meta))
        return cg_fail(err, CG_ERR_INVALID, "bad tensor or metadata list");
    cg_status s = CG_OK;
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < n && s == CG_OK; i++) {
        const char *name = tensors[i].name;
        const cg_tensor *t = tensors[i].tensor;
        if (!name || !name[0])
            s = cg_fail(err, CG_ERR_INVALID, "tensor %d has no name", i);
        else if (!g_utf8_validate(name, -1, NULL))
            s = cg_fail(err, CG_ERR_INVALID, "tensor %d's name is not valid UTF-8", i);
        else if (has_control_char(name))
            s = cg_fail(err, CG_ERR_INVALID, "tensor name \"" NAME_SHOWN "\" has a control character", name);
        else if (strcmp(name, "__metadata__") == 0)
            s = cg_fail(err, CG_ERR_INVALID, "tensor name \"__metadata__\" is reserved");
        else if (!g_hash_table_add(seen, (gpointer)name))
            s = cg_fail(err, CG_ERR_INVALID, "duplicate tensor name \"" NAME_SHOWN "\"", name);
        else if (!t || !t->data || t->ndim < 1 || t->ndim > CG_MAX_DIMS || t->size < 1)
            s = cg_fail(err, CG_ERR_INVALID, "tensor \"" NAME_SHOWN "\" has no data or no valid shape", name);
        else
            for (int64_t k = 0; k < t->size; k++)
                if (!isfinite(t->data[k])) {
                    s = cg_fail(err, CG_ERR_NUMERIC,
                                "tensor \"" NAME_SHOWN "\" holds a non-finite value (%g) at element %lld", name,
                                (double)t->data[k], (long long)k);
                    break;
                }
    }
    g_hash_table_remove_all(seen);
    for (int i = 0; i < n_meta && s == CG_OK; i++) {
        const char *k = meta[i].key, *v = meta[i].value;
        if (!k || !v)
            s = cg_fail(err, CG_ERR_INVALID, "metadata pair %d has no key or no value", i);
        else if (!g_utf8_validate(k, -1, NULL) || !g_utf8_validate(v, -1, NULL))
            s = cg_fail(err, CG_ERR_INVALID, "metadata pair %d is not valid UTF-8", i);
        else if (!g_hash_table_add(seen, (gpointer)k))
            s = cg_fail(err, CG_ERR_INVALID, "duplicate metadata key \"" NAME_SHOWN "\"", k);
    }
    g_hash_table_destroy(seen);
    return s;
}

/* The header text, padded with spaces so that 8 + its length is a multiple of
 * 8; NULL and err filled when it would exceed the cap. */
static char *build_header(const cg_safetensors_entry *tensors, int n, const cg_safetensors_meta *meta, int n_meta,
                          size_t *len, uint64_t *data_len, cg_error *err)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    if (n_meta > 0) {
        json_builder_set_member_name(b, "__metadata__");
        json_builder_begin_object(b);
        for (int i = 0; i < n_meta; i++) {
            json_builder_set_member_name(b, meta[i].key);
            json_builder_add_string_value(b, meta[i].value);
        }
        json_builder_end_object(b);
    }
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        const cg_tensor *t = tensors[i].tensor;
        json_builder_set_member_name(b, tensors[i].name);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "dtype");
        json_builder_add_string_value(b, "F32");
        json_builder_set_member_name(b, "shape");
        json_builder_begin_array(b);
        for (int d = 0; d < t->ndim; d++)
            json_builder_add_int_value(b, t->dim[d]);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "data_offsets");
        json_builder_begin_array(b);
        json_builder_add_int_value(b, (gint64)offset);
        offset += (uint64_t)t->size * sizeof(float);
        json_builder_add_int_value(b, (gint64)offset);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, root);
    gsize text_len = 0;
    char *text = json_generator_to_data(gen, &text_len);
    g_object_unref(gen);
    json_node_unref(root);
    g_object_unref(b);

    size_t total = (text_len + 7) / 8 * 8; /* 8 + total is a multiple of 8 */
    if (total > CG_SAFETENSORS_MAX_HEADER) {
        g_free(text);
        cg_fail(err, CG_ERR_INVALID, "the header would be %zu bytes, over the limit of %zu", total,
                CG_SAFETENSORS_MAX_HEADER);
        return NULL;
    }
    char *padded_text = g_realloc(text, total + 1);
    memset(padded_text + text_len, ' ', total - text_len);
    padded_text[total] = '\0';
    *len = total;
    *data_len = offset;
    return padded_text;
}

/* Little-endian float bytes of t into out (size * 4 bytes). */
static void floats_to_le(const float *src, int64_t count, uint8_t *out)
{
    if (!HOST_BIG_ENDIAN) {
        memcpy(out, src, (size_t)count * sizeof(float));
        return;
    }
    for (int64_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &src[i], 4);
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = (uint8_t)(bits >> (8 * k));
    }
}

cg_status cg_safetensors_write_bytes(const cg_safetensors_entry *tensors, int n, const cg_safetensors_meta *meta,
                                     int n_meta, void **out, size_t *len, cg_error *err)
{
    if (!out || !len)
        return cg_fail(err, CG_ERR_INVALID, "no output given");
    *out = NULL;
    *len = 0;
    cg_status bad = check_entries(tensors, n, meta, n_meta, err);
    if (bad != CG_OK)
        return bad;
    size_t hlen;
    uint64_t data_len;
    char *header = build_header(tensors, n, meta, n_meta, &hlen, &data_len, err);
    if (!header)
        return CG_ERR_INVALID;
    if (data_len > SIZE_MAX - 8 - hlen) {
        g_free(header);
        return cg_fail(err, CG_ERR_NOMEM, "%llu bytes of tensors do not fit in memory",
                       (unsigned long long)data_len);
    }
    size_t total = 8 + hlen + (size_t)data_len;
    uint8_t *buf = g_try_malloc(total);
    if (!buf) {
        g_free(header);
        return cg_fail(err, CG_ERR_NOMEM, "out of memory for a %zu-byte file image", total);
    }
    put_le64(buf, hlen);
    memcpy(buf + 8, header, hlen);
    g_free(header);
    uint8_t *p = buf + 8 + hlen;
    for (int i = 0; i < n; i++) {
        floats_to_le(tensors[i].tensor->data, tensors[i].tensor->size, p);
        p += (size_t)tensors[i].tensor->size * sizeof(float);
    }
    *out = buf;
    *len = total;
    return CG_OK;
}

static bool write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        len -= (size_t)w;
    }
    return true;
}

static bool write_tensor(int fd, const cg_tensor *t, uint8_t *chunk)
{
    if (!HOST_BIG_ENDIAN)
        return write_all(fd, t->data, (size_t)t->size * sizeof(float));
    const int64_t per = CHUNK_BYTES / 4;
    for (int64_t i = 0; i < t->size; i += per) {
        int64_t count = t->size - i < per ? t->size - i : per;
        floats_to_le(t->data + i, count, chunk);
        if (!write_all(fd, chunk, (size_t)count * 4))
            return false;
    }
    return true;
}

cg_status cg_safetensors_write(const char *path, const cg_safetensors_entry *tensors, int n,
                               const cg_safetensors_meta *meta, int n_meta, cg_error *err)
{
    if (!path || !path[0])
        return cg_fail(err, CG_ERR_INVALID, "no path given");
    cg_status bad = check_entries(tensors, n, meta, n_meta, err);
    if (bad != CG_OK)
        return bad;
    size_t hlen;
    uint64_t data_len;
    char *header = build_header(tensors, n, meta, n_meta, &hlen, &data_len, err);
    if (!header)
        return CG_ERR_INVALID;

    cg_atomic_file f;
    cg_status s = cg_atomic_file_begin(&f, path, err);
    if (s != CG_OK) {
        g_free(header);
        return s;
    }
    uint8_t *chunk = HOST_BIG_ENDIAN ? g_malloc(CHUNK_BYTES) : NULL;
    uint8_t len8[8];
    put_le64(len8, hlen);
    bool ok = write_all(f.fd, len8, 8) && write_all(f.fd, header, hlen);
    for (int i = 0; ok && i < n; i++)
        ok = write_tensor(f.fd, tensors[i].tensor, chunk);
    if (!ok)
        s = cg_fail(err, CG_ERR_IO, "cannot write \"%s\": %s", f.tmp, g_strerror(errno));
    s = cg_atomic_file_finish(&f, path, s, err);
    g_free(chunk);
    g_free(header);
    return s;
}

cg_status cg_safetensors_write_params(const char *path, const cg_params *p, const cg_safetensors_meta *meta,
                                      int n_meta, cg_error *err)
{
    if (!p || !cg_params_is_finalized(p))
        return cg_fail(err, CG_ERR_INVALID, "writing parameters needs a finalized parameter set");
    int n = cg_params_count(p);
    cg_safetensors_entry *e = g_new(cg_safetensors_entry, n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        e[i] = (cg_safetensors_entry){cg_params_name(p, i), cg_params_get(p, i)};
    cg_status s = cg_safetensors_write(path, e, n, meta, n_meta, err);
    g_free(e);
    return s;
}
