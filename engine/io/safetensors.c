/* safetensors: the validating loader (file or memory) and its queries; the
 * writer is in safetensors_write.c.
 *
 * Loading runs in three stages, so that nothing big is allocated before the
 * file has proved consistent: (1) the header length against the file size and
 * the cap; (2) the header text (a strict JSON lexer first, see prescan, then
 * json-glib's parse and a check of every entry and of the way the tensors tile
 * the data); (3) one block for all tensors, filled in data order, then a
 * finiteness check. */
#include "comicgan/safetensors.h"
#include "core/half.h"
#include "io/read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 8          /* a valid header nests 3 deep */
#define MAX_INT_DIGITS 18    /* integers below 10^18 fit int64_t with room */
#define ALIGN_FLOATS 16      /* 64 bytes */
#define CHUNK_BYTES (64 << 10)
#define NAME_SHOWN "%.200s"  /* names in messages are cut to 200 bytes */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#else
#define HOST_BIG_ENDIAN 0
#endif

typedef enum { DT_F32, DT_F16, DT_BF16 } dtype_id;
static const char *const dtype_names[] = {"F32", "F16", "BF16"};
static const int dtype_bytes[] = {4, 2, 2};

/* Known to the format but not loadable here: CG_ERR_UNSUPPORTED, not FORMAT. */
static const char *const other_dtypes[] = {"F64", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8",
                                           "BOOL", "F8_E4M3", "F8_E5M2", "C64", NULL};

struct cg_safetensors {
    cg_safetensors_tensor *t;
    char **names;
    int n;
    float *block;        /* every tensor's values, or NULL when opened only */
    int fd;              /* opened only: the file, read on demand; else -1 */
    uint64_t data_start; /* file offset of the data */
    uint64_t *begin;     /* per tensor: data offset */
    uint8_t *dtype;      /* per tensor: dtype_id */
    char **meta_keys, **meta_values;
    int n_meta;
    GHashTable *by_name; /* name -> index + 1 */
    GHashTable *meta;    /* key -> value */
};

/* ---- shared helpers ------------------------------------------------------ */

static bool has_control_char(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return true;
    return false;
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int64_t padded(int64_t n)
{
    return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

static char *shape_str(const int64_t *dim, int ndim, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ", %lld" : "%lld", (long long)dim[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
    return buf;
}

/* ---- loading: the header ----------------------------------------------- */

typedef struct parsed {
    const char *name;    /* owned by the JSON tree until copied */
    dtype_id dtype;
    int ndim;
    int64_t dim[CG_MAX_DIMS];
    int64_t size;
    uint64_t begin, end;
    int order;           /* position in the header */
} parsed;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* One JSON number at h[*i] (RFC 8259 grammar); *i is left on its last byte. */
static cg_status scan_number(const char *h, size_t len, size_t *i, cg_error *err)
{
    size_t k = *i, digits = 0;
    bool integer = true;
    if (h[k] == '-')
        k++;
    if (k < len && h[k] == '0') {
        k++;
        digits = 1;
    } else {
        for (; k < len && is_digit(h[k]); k++)
            digits++;
    }
    if (digits == 0)
        return cg_fail(err, CG_ERR_FORMAT, "header has a malformed number at byte %zu", *i);
    if (k < len && h[k] == '.') {
        integer = false;
        size_t start = ++k;
        for (; k < len && is_digit(h[k]); k++) {
        }
        if (k == start)
            return cg_fail(err, CG_ERR_FORMAT, "header has a malformed number at byte %zu", *i);
    }
    if (k < len && (h[k] == 'e' || h[k] == 'E')) {
        integer = false;
        k++;
        if (k < len && (h[k] == '+' || h[k] == '-'))
            k++;
        size_t start = k;
        for (; k < len && is_digit(h[k]); k++) {
        }
        if (k == start)
            return cg_fail(err, CG_ERR_FORMAT, "header has a malformed number at byte %zu", *i);
    }
    /* "010" (octal to json-glib), "0x10" (hex), "1.5.5": not JSON */
    if (k < len && (g_ascii_isalnum(h[k]) || h[k] == '.' || h[k] == '+' || h[k] == '-'))
        return cg_fail(err, CG_ERR_FORMAT, "header has a malformed number at byte %zu", *i);
    if (integer && digits > MAX_INT_DIGITS)
        return cg_fail(err, CG_ERR_FORMAT, "header has an integer of more than %d digits", MAX_INT_DIGITS);
    *i = k - 1;
    return CG_OK;
}

/* One JSON string starting at the quote h[*i]; *i is left on the closing quote. */
static cg_status scan_string(const char *h, size_t len, size_t *i, cg_error *err)
{
    size_t k = *i + 1;
    for (; k < len && h[k] != '"'; k++) {
        unsigned char c = (unsigned char)h[k];
        if (c < 0x20)
            return cg_fail(err, CG_ERR_FORMAT, "header has a raw control character in a string at byte %zu", k);
        if (c != '\\')
            continue;
        if (k + 1 >= len)
            break;
        char x = h[k + 1];
        if (!strchr("\"\\/bfnrtu", x))
            /* json-glib would take C escapes such as \253, which can make invalid UTF-8 */
            return cg_fail(err, CG_ERR_FORMAT, "header has an invalid escape \"\\%c\" in a string",
                           x >= 0x20 && x < 0x7f ? x : '?');
        if (x == 'u') {
            for (int d = 2; d < 6; d++)
                if (k + (size_t)d >= len || !g_ascii_isxdigit(h[k + (size_t)d]))
                    return cg_fail(err, CG_ERR_FORMAT, "header has a \\u escape without 4 hex digits");
            if (memcmp(h + k + 2, "0000", 4) == 0)
                return cg_fail(err, CG_ERR_FORMAT, "header has an escaped NUL (\\u0000) in a string");
        }
        k++; /* skip the escaped character */
    }
    if (k >= len)
        return cg_fail(err, CG_ERR_FORMAT, "header has an unterminated string");
    *i = k;
    return CG_OK;
}

/* A strict JSON lexer run before json-glib, which is lenient where that is
 * dangerous here: it cuts strings at NUL bytes and escaped NULs, takes C
 * escapes (\253) that can make invalid UTF-8, reads 010 as octal and 0x10 as
 * hex, wraps integers too long for int64_t silently, accepts comments and
 * single-quoted strings, and recurses without limit. Only strict JSON, nested
 * at most MAX_DEPTH deep, gets through. */
static cg_status prescan(const char *h, size_t len, cg_error *err)
{
    if (memchr(h, '\0', len))
        return cg_fail(err, CG_ERR_FORMAT, "header contains a NUL byte");
    if (!g_utf8_validate(h, (gssize)len, NULL))
        return cg_fail(err, CG_ERR_FORMAT, "header is not valid UTF-8");
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        cg_status s = CG_OK;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == ',')
            continue;
        if (c == '"')
            s = scan_string(h, len, &i, err);
        else if (c == '-' || is_digit(c))
            s = scan_number(h, len, &i, err);
        else if (c == '{' || c == '[') {
            if (++depth > MAX_DEPTH)
                return cg_fail(err, CG_ERR_FORMAT, "header JSON nests deeper than %d levels", MAX_DEPTH);
        } else if (c == '}' || c == ']')
            depth--;
        else if (len - i >= 4 && (memcmp(h + i, "true", 4) == 0 || memcmp(h + i, "null", 4) == 0))
            i += 3;
        else if (len - i >= 5 && memcmp(h + i, "false", 5) == 0)
            i += 4;
        else
            return cg_fail(err, CG_ERR_FORMAT, "header has an unexpected character '%c' at byte %zu",
                           c >= 0x20 && c < 0x7f ? c : '?', i);
        if (s != CG_OK)
            return s;
    }
    return CG_OK;
}

/* json-glib keeps the last of duplicate keys; count members as they are
 * parsed to catch them. */
typedef struct dup_watch {
    GHashTable *counts; /* JsonObject* -> members seen */
    JsonObject *where;  /* the first object with a duplicate */
    char *name;
} dup_watch;

static void on_member(JsonParser *parser, JsonObject *object, const char *name, gpointer data)
{
    dup_watch *w = data;
    guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(w->counts, object)) + 1;
    g_hash_table_insert(w->counts, object, GUINT_TO_POINTER(seen));
    if (!w->name && json_object_get_size(object) != seen) {
        w->where = object;
        w->name = g_strdup(name);
    }
}

static bool get_int(JsonNode *n, int64_t *out)
{
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return false;
    *out = json_node_get_int(n);
    return true;
}

static const char *node_string(JsonNode *n)
{
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static cg_status parse_entry(const char *name, JsonNode *node, uint64_t data_len, parsed *e, cg_error *err)
{
    if (!name[0])
        return cg_fail(err, CG_ERR_FORMAT, "a tensor has an empty name");
    if (!g_utf8_validate(name, -1, NULL))
        return cg_fail(err, CG_ERR_FORMAT, "a tensor name is not valid UTF-8 once unescaped");
    if (has_control_char(name))
        return cg_fail(err, CG_ERR_FORMAT, "tensor name \"" NAME_SHOWN "\" has a control character", name);
    if (!JSON_NODE_HOLDS_OBJECT(node))
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": entry is not an object", name);
    JsonObject *o = json_node_get_object(node);
    JsonNode *dt = NULL, *shape = NULL, *offs = NULL;
    GList *members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next) {
        const char *k = l->data;
        JsonNode *v = json_object_get_member(o, k);
        if (strcmp(k, "dtype") == 0)
            dt = v;
        else if (strcmp(k, "shape") == 0)
            shape = v;
        else if (strcmp(k, "data_offsets") == 0)
            offs = v;
        else {
            cg_status s = cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": unknown key \"%.40s\"", name, k);
            g_list_free(members);
            return s;
        }
    }
    g_list_free(members);
    if (!dt || !shape || !offs)
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": missing \"%s\"", name,
                       !dt ? "dtype" : !shape ? "shape" : "data_offsets");

    const char *dts = node_string(dt);
    if (!dts)
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": dtype is not a string", name);
    int id = -1;
    for (int k = 0; k < 3; k++)
        if (strcmp(dts, dtype_names[k]) == 0)
            id = k;
    if (id < 0) {
        for (int k = 0; other_dtypes[k]; k++)
            if (strcmp(dts, other_dtypes[k]) == 0)
                return cg_fail(err, CG_ERR_UNSUPPORTED,
                               "tensor \"" NAME_SHOWN "\": dtype %s is not supported (F32, F16, BF16 are)", name,
                               dts);
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": unknown dtype \"%.20s\"", name, dts);
    }
    e->dtype = (dtype_id)id;

    if (!JSON_NODE_HOLDS_ARRAY(shape))
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": shape is not an array", name);
    JsonArray *sa = json_node_get_array(shape);
    guint nd = json_array_get_length(sa);
    if (nd > CG_MAX_DIMS)
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": %u dimensions, at most %d allowed", name, nd,
                       CG_MAX_DIMS);
    e->ndim = (int)nd;
    e->size = 1;
    for (int d = 0; d < CG_MAX_DIMS; d++)
        e->dim[d] = 1;
    /* Check every dim before judging the product: a 0 anywhere makes it 0. */
    bool wrapped = false, zero = false;
    for (guint d = 0; d < nd; d++) {
        int64_t v;
        if (!get_int(json_array_get_element(sa, d), &v))
            return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": dimension %u is not an integer", name, d);
        if (v < 0)
            return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": dimension %u is negative (%lld)", name, d,
                           (long long)v);
        e->dim[d] = v;
        zero |= v == 0;
        if (!wrapped && __builtin_mul_overflow(e->size, v, &e->size))
            wrapped = true;
    }
    if (zero)
        e->size = 0;
    else if (wrapped)
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": element count overflows 64 bits", name);
    else if (e->size > CG_TENSOR_MAX_ELEMENTS)
        return cg_fail(err, CG_ERR_FORMAT,
                       "tensor \"" NAME_SHOWN "\": %lld elements, more than the limit of %lld elements", name,
                       (long long)e->size, (long long)CG_TENSOR_MAX_ELEMENTS);
    int64_t bytes = e->size * dtype_bytes[e->dtype]; /* < 2^35: no overflow */

    if (!JSON_NODE_HOLDS_ARRAY(offs) || json_array_get_length(json_node_get_array(offs)) != 2)
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": data_offsets is not a pair", name);
    JsonArray *oa = json_node_get_array(offs);
    int64_t b, en;
    if (!get_int(json_array_get_element(oa, 0), &b) || !get_int(json_array_get_element(oa, 1), &en))
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": data_offsets are not integers", name);
    if (b < 0 || en < 0)
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": negative data_offsets", name);
    if (en < b)
        return cg_fail(err, CG_ERR_FORMAT, "tensor \"" NAME_SHOWN "\": data_offsets end %lld before begin %lld", name,
                       (long long)en, (long long)b);
    if ((uint64_t)en > data_len)
        return cg_fail(err, CG_ERR_FORMAT,
                       "tensor \"" NAME_SHOWN "\": data_offsets [%lld, %lld] run past the end of the data (%llu bytes)",
                       name, (long long)b, (long long)en, (unsigned long long)data_len);
    if (en - b != bytes) {
        char sh[96];
        return cg_fail(err, CG_ERR_FORMAT,
                       "tensor \"" NAME_SHOWN "\": data_offsets span %lld bytes but %s %s needs %lld", name,
                       (long long)(en - b), dtype_names[e->dtype], shape_str(e->dim, e->ndim, sh, sizeof sh),
                       (long long)bytes);
    }
    e->begin = (uint64_t)b;
    e->end = (uint64_t)en;
    return CG_OK;
}

static int by_offset(const void *a, const void *b)
{
    const parsed *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->order - y->order;
}

static cg_status check_tiling(const parsed *e, int n, uint64_t data_len, cg_error *err)
{
    uint64_t cursor = 0;
    for (int i = 0; i < n; i++) {
        if (e[i].begin < cursor)
            return cg_fail(err, CG_ERR_FORMAT,
                           "tensor \"" NAME_SHOWN "\" overlaps the one before it (begins at %llu, before %llu)",
                           e[i].name, (unsigned long long)e[i].begin, (unsigned long long)cursor);
        if (e[i].begin > cursor)
            return cg_fail(err, CG_ERR_FORMAT, "gap of %llu bytes in the data before tensor \"" NAME_SHOWN "\"",
                           (unsigned long long)(e[i].begin - cursor), e[i].name);
        cursor = e[i].end;
    }
    if (cursor != data_len)
        return cg_fail(err, CG_ERR_FORMAT, "the tensors end at data byte %llu but the file has %llu data bytes",
                       (unsigned long long)cursor, (unsigned long long)data_len);
    return CG_OK;
}

static char *dup_or_null(const char *s)
{
    return s ? g_strdup(s) : NULL;
}

/* Parses and checks the header; on success f has names, shapes and
 * metadata, *entries the sorted entries (names pointing into f). */
static cg_status parse_header(const char *h, size_t len, uint64_t data_len, cg_safetensors *f, parsed **entries,
                              cg_error *err)
{
    if (prescan(h, len, err) != CG_OK)
        return CG_ERR_FORMAT;
    JsonParser *parser = json_parser_new();
    dup_watch watch = {.counts = g_hash_table_new(NULL, NULL)};
    g_signal_connect(parser, "object-member", G_CALLBACK(on_member), &watch);
    GError *gerr = NULL;
    cg_status s = CG_OK;
    parsed *e = NULL;
    GList *members = NULL;
    if (!json_parser_load_from_data(parser, h, (gssize)len, &gerr)) {
        s = cg_fail(err, CG_ERR_FORMAT, "header is not valid JSON: %s", gerr ? gerr->message : "parse error");
        goto out;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        s = cg_fail(err, CG_ERR_FORMAT, "header JSON is not an object");
        goto out;
    }
    JsonObject *top = json_node_get_object(root);
    JsonNode *meta_node = json_object_get_member(top, "__metadata__");
    JsonObject *meta = meta_node && JSON_NODE_HOLDS_OBJECT(meta_node) ? json_node_get_object(meta_node) : NULL;
    if (watch.name) {
        if (watch.where == top)
            s = cg_fail(err, CG_ERR_FORMAT, "duplicate tensor name \"" NAME_SHOWN "\"", watch.name);
        else if (watch.where == meta)
            s = cg_fail(err, CG_ERR_FORMAT, "duplicate metadata key \"" NAME_SHOWN "\"", watch.name);
        else
            s = cg_fail(err, CG_ERR_FORMAT, "duplicate key \"" NAME_SHOWN "\" in a tensor entry", watch.name);
        goto out;
    }
    if (meta_node && !meta) {
        s = cg_fail(err, CG_ERR_FORMAT, "__metadata__ is not an object");
        goto out;
    }
    if (meta) {
        GList *mk = json_object_get_members(meta);
        guint nm = g_list_length(mk);
        f->meta_keys = g_new0(char *, nm + 1);
        f->meta_values = g_new0(char *, nm + 1);
        for (GList *l = mk; l; l = l->next) {
            const char *v = node_string(json_object_get_member(meta, l->data));
            if (!v) {
                s = cg_fail(err, CG_ERR_FORMAT, "metadata value for key \"" NAME_SHOWN "\" is not a string",
                            (const char *)l->data);
                break;
            }
            if (!g_utf8_validate(l->data, -1, NULL) || !g_utf8_validate(v, -1, NULL)) {
                s = cg_fail(err, CG_ERR_FORMAT, "a metadata key or value is not valid UTF-8 once unescaped");
                break;
            }
            f->meta_keys[f->n_meta] = g_strdup(l->data);
            f->meta_values[f->n_meta] = g_strdup(v);
            g_hash_table_insert(f->meta, f->meta_keys[f->n_meta], f->meta_values[f->n_meta]);
            f->n_meta++;
        }
        g_list_free(mk);
        if (s != CG_OK)
            goto out;
    }
    members = json_object_get_members(top);
    int n = 0;
    e = g_new0(parsed, g_list_length(members) + 1);
    for (GList *l = members; l; l = l->next) {
        const char *name = l->data;
        if (strcmp(name, "__metadata__") == 0)
            continue;
        e[n].order = n;
        if ((s = parse_entry(name, json_object_get_member(top, name), data_len, &e[n], err)) != CG_OK)
            goto out;
        e[n].name = name;
        n++;
    }
    qsort(e, (size_t)n, sizeof *e, by_offset);
    if ((s = check_tiling(e, n, data_len, err)) != CG_OK)
        goto out;
    /* Copy the names out of the JSON tree, which is about to go. */
    f->names = g_new0(char *, n + 1);
    f->t = g_new0(cg_safetensors_tensor, n + 1);
    for (int i = 0; i < n; i++) {
        f->names[i] = dup_or_null(e[i].name);
        e[i].name = f->names[i];
        g_hash_table_insert(f->by_name, f->names[i], GINT_TO_POINTER(i + 1));
    }
    f->n = n;
out:
    g_list_free(members);
    g_free(watch.name);
    g_hash_table_destroy(watch.counts);
    g_clear_error(&gerr);
    g_object_unref(parser);
    if (s != CG_OK)
        g_free(e);
    else
        *entries = e;
    return s;
}

/* ---- loading: the data --------------------------------------------------- */

typedef struct source {
    const uint8_t *mem; /* memory image, or NULL for fd */
    int fd;
    uint64_t pos;       /* bytes consumed */
} source;

static cg_status src_read(source *src, void *buf, size_t len, cg_error *err)
{
    if (src->mem) {
        memcpy(buf, src->mem + src->pos, len);
        src->pos += len;
        return CG_OK;
    }
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t r = read(src->fd, p, len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return cg_fail(err, CG_ERR_IO, "read failed: %s", g_strerror(errno));
        if (r == 0)
            return cg_fail(err, CG_ERR_IO, "the file ended early (was it changed while being read?)");
        p += r;
        len -= (size_t)r;
        src->pos += (uint64_t)r;
    }
    return CG_OK;
}

static cg_status read_tensor(source *src, const parsed *e, float *dst, uint8_t *chunk, cg_error *err)
{
    if (e->dtype == DT_F32) {
        if (src_read(src, dst, (size_t)e->size * 4, err) != CG_OK)
            return CG_ERR_IO;
        if (HOST_BIG_ENDIAN)
            for (int64_t i = 0; i < e->size; i++) {
                uint8_t *b = (uint8_t *)&dst[i];
                uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
                memcpy(&dst[i], &v, 4);
            }
        return CG_OK;
    }
    const int64_t per = CHUNK_BYTES / 2;
    for (int64_t i = 0; i < e->size; i += per) {
        int64_t count = e->size - i < per ? e->size - i : per;
        if (src_read(src, chunk, (size_t)count * 2, err) != CG_OK)
            return CG_ERR_IO;
        for (int64_t k = 0; k < count; k++) {
            uint16_t v = (uint16_t)(chunk[2 * k] | chunk[2 * k + 1] << 8);
            if (e->dtype == DT_F16) {
                dst[i + k] = cg_half_to_float(v);
            } else {
                uint32_t bits = (uint32_t)v << 16;
                memcpy(&dst[i + k], &bits, 4);
            }
        }
    }
    return CG_OK;
}

static cg_safetensors *new_result(void)
{
    cg_safetensors *f = g_new0(cg_safetensors, 1);
    f->fd = -1;
    f->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    f->meta = g_hash_table_new(g_str_hash, g_str_equal);
    return f;
}

void cg_safetensors_free(cg_safetensors *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n; i++)
        g_free(f->names[i]);
    g_free(f->names);
    g_free(f->t);
    for (int i = 0; i < f->n_meta; i++) {
        g_free(f->meta_keys[i]);
        g_free(f->meta_values[i]);
    }
    g_free(f->meta_keys);
    g_free(f->meta_values);
    g_hash_table_destroy(f->by_name);
    g_hash_table_destroy(f->meta);
    cg_aligned_free(f->block);
    g_free(f->begin);
    g_free(f->dtype);
    if (f->fd >= 0)
        close(f->fd);
    g_free(f);
}

/* Everything after the 8 length bytes up to the data: the header checks.
 * The tensors get their names and shapes but no data. */
static cg_safetensors *load_header(source *src, uint64_t file_len, cg_error *err)
{
    if (file_len < 8) {
        cg_fail(err, CG_ERR_FORMAT, "file is %llu bytes, too short for the 8-byte header length",
                (unsigned long long)file_len);
        return NULL;
    }
    uint8_t len8[8];
    if (src_read(src, len8, 8, err) != CG_OK)
        return NULL;
    uint64_t hlen = get_le64(len8);
    if (hlen < 2) {
        cg_fail(err, CG_ERR_FORMAT, "header length %llu is below the minimum of 2", (unsigned long long)hlen);
        return NULL;
    }
    if (hlen > CG_SAFETENSORS_MAX_HEADER) {
        cg_fail(err, CG_ERR_FORMAT, "header length %llu is over the limit of %zu bytes", (unsigned long long)hlen,
                CG_SAFETENSORS_MAX_HEADER);
        return NULL;
    }
    if (hlen > file_len - 8) {
        cg_fail(err, CG_ERR_FORMAT, "header length %llu runs past the end of the file (%llu bytes)",
                (unsigned long long)hlen, (unsigned long long)file_len);
        return NULL;
    }
    uint64_t data_len = file_len - 8 - hlen;
    char *header = g_try_malloc(hlen);
    if (!header) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for a %llu-byte header", (unsigned long long)hlen);
        return NULL;
    }
    cg_safetensors *f = new_result();
    parsed *e = NULL;
    cg_status s = src_read(src, header, hlen, err);
    if (s == CG_OK)
        s = parse_header(header, hlen, data_len, f, &e, err);
    g_free(header);
    if (s != CG_OK) {
        cg_safetensors_free(f);
        return NULL;
    }
    f->data_start = 8 + hlen;
    f->begin = g_new0(uint64_t, f->n + 1);
    f->dtype = g_new0(uint8_t, f->n + 1);
    for (int i = 0; i < f->n; i++) {
        cg_safetensors_tensor *t = &f->t[i];
        t->name = f->names[i];
        t->dtype = dtype_names[e[i].dtype];
        t->ndim = e[i].ndim;
        memcpy(t->dim, e[i].dim, sizeof t->dim);
        t->size = e[i].size;
        f->begin[i] = e[i].begin;
        f->dtype[i] = (uint8_t)e[i].dtype;
    }
    g_free(e);
    return f;
}

static cg_status check_finite(const cg_safetensors_tensor *t, const float *v, cg_error *err)
{
    for (int64_t k = 0; k < t->size; k++)
        if (!isfinite(v[k]))
            return cg_fail(err, CG_ERR_NUMERIC, "tensor \"" NAME_SHOWN "\" holds a non-finite value (%s) at element %lld",
                           t->name, isnan(v[k]) ? "NaN" : "Inf", (long long)k);
    return CG_OK;
}

/* The data stage of a whole load: one block for every tensor, filled in data
 * order from src, which stands at the start of the data. */
static cg_status load_data(cg_safetensors *f, source *src, cg_error *err)
{
    /* Each size is below 2^32 and the count below 2^24: no overflow. */
    int64_t floats = 0;
    for (int i = 0; i < f->n; i++)
        floats += padded(f->t[i].size);
    f->block = cg_aligned_alloc((size_t)floats * sizeof(float));
    uint8_t *chunk = g_try_malloc(CHUNK_BYTES);
    cg_status s = CG_OK;
    if (!f->block || !chunk)
        s = cg_fail(err, CG_ERR_NOMEM, "out of memory for %lld floats of tensors", (long long)floats);
    int64_t off = 0;
    for (int i = 0; i < f->n && s == CG_OK; i++) {
        cg_safetensors_tensor *t = &f->t[i];
        const parsed e = {.dtype = (dtype_id)f->dtype[i], .size = t->size};
        t->data = f->block + off;
        if ((s = read_tensor(src, &e, f->block + off, chunk, err)) == CG_OK)
            s = check_finite(t, t->data, err);
        off += padded(t->size);
    }
    g_free(chunk);
    return s;
}

static cg_safetensors *load(source *src, uint64_t file_len, cg_error *err)
{
    cg_safetensors *f = load_header(src, file_len, err);
    if (f && load_data(f, src, err) != CG_OK) {
        cg_safetensors_free(f);
        return NULL;
    }
    return f;
}

cg_safetensors *cg_safetensors_load_bytes(const void *data, size_t len, cg_error *err)
{
    if (!data && len > 0) {
        cg_fail(err, CG_ERR_INVALID, "no data given");
        return NULL;
    }
    source src = {.mem = data ? data : (const uint8_t *)"", .fd = -1};
    return load(&src, len, err);
}

cg_safetensors *cg_safetensors_load(const char *path, cg_error *err)
{
    if (!path) {
        cg_fail(err, CG_ERR_INVALID, "no path given");
        return NULL;
    }
    struct stat st;
    int fd = cg_io_open_regular(path, &st, err);
    if (fd < 0)
        return NULL;
    source src = {.fd = fd};
    cg_safetensors *f = load(&src, (uint64_t)st.st_size, err);
    close(fd);
    if (!f)
        cg_error_prefix(err, "%s", path);
    return f;
}

cg_safetensors *cg_safetensors_open(const char *path, cg_error *err)
{
    struct stat st;
    int fd = cg_io_open_regular(path, &st, err);
    if (fd < 0)
        return NULL;
    source src = {.fd = fd};
    cg_safetensors *f = load_header(&src, (uint64_t)st.st_size, err);
    if (!f) {
        close(fd);
        cg_error_prefix(err, "%s", path);
        return NULL;
    }
    f->fd = fd;
    return f;
}

cg_status cg_safetensors_read(const cg_safetensors *f, const cg_safetensors_tensor *t, float *dst, cg_error *err)
{
    int i = (int)(t - f->t);
    if (i < 0 || i >= f->n)
        return cg_fail(err, CG_ERR_INVALID, "cg_safetensors_read: not a tensor of this file");
    if (t->data) {
        memcpy(dst, t->data, (size_t)t->size * sizeof(float));
        return CG_OK;
    }
    if (lseek(f->fd, (off_t)(f->data_start + f->begin[i]), SEEK_SET) < 0)
        return cg_fail(err, CG_ERR_IO, "seek failed: %s", g_strerror(errno));
    uint8_t *chunk = g_try_malloc(CHUNK_BYTES);
    if (!chunk)
        return cg_fail(err, CG_ERR_NOMEM, "out of memory for a read buffer");
    source src = {.fd = f->fd};
    const parsed e = {.dtype = (dtype_id)f->dtype[i], .size = t->size};
    cg_status s = read_tensor(&src, &e, dst, chunk, err);
    g_free(chunk);
    return s == CG_OK ? check_finite(t, dst, err) : s;
}

/* ---- queries ---------------------------------------------------------------- */

int cg_safetensors_count(const cg_safetensors *f)
{
    return f->n;
}

const cg_safetensors_tensor *cg_safetensors_get(const cg_safetensors *f, int i)
{
    return i >= 0 && i < f->n ? &f->t[i] : NULL;
}

const cg_safetensors_tensor *cg_safetensors_find(const cg_safetensors *f, const char *name)
{
    int i = name ? GPOINTER_TO_INT(g_hash_table_lookup(f->by_name, name)) - 1 : -1;
    return i >= 0 ? &f->t[i] : NULL;
}

const char *cg_safetensors_metadata(const cg_safetensors *f, const char *key)
{
    return key ? g_hash_table_lookup(f->meta, key) : NULL;
}

int cg_safetensors_metadata_count(const cg_safetensors *f)
{
    return f->n_meta;
}

const char *cg_safetensors_metadata_key(const cg_safetensors *f, int i)
{
    return i >= 0 && i < f->n_meta ? f->meta_keys[i] : NULL;
}

const char *cg_safetensors_metadata_value(const cg_safetensors *f, int i)
{
    return i >= 0 && i < f->n_meta ? f->meta_values[i] : NULL;
}

cg_status cg_safetensors_check_format(const cg_safetensors *f, cg_error *err)
{
    const char *v = cg_safetensors_metadata(f, CG_META_FORMAT);
    if (!v)
        return cg_fail(err, CG_ERR_FORMAT, "not a comicgan model: no \"%s\" metadata", CG_META_FORMAT);
    if (strcmp(v, CG_MODEL_FORMAT_VERSION) != 0)
        return cg_fail(err, CG_ERR_UNSUPPORTED, "model format \"%.20s\" is not supported (this build reads \"%s\")", v,
                       CG_MODEL_FORMAT_VERSION);
    return CG_OK;
}

cg_status cg_safetensors_check_params(const cg_safetensors *f, const cg_params *p, unsigned flags, cg_error *err)
{
    if (!p || !cg_params_is_finalized(p))
        return cg_fail(err, CG_ERR_INVALID, "loading needs a finalized parameter set");
    int n = cg_params_count(p);
    for (int i = 0; i < n; i++) {
        const char *name = cg_params_name(p, i);
        const cg_tensor *t = cg_params_get(p, i);
        const cg_safetensors_tensor *s = cg_safetensors_find(f, name);
        if (!s)
            return cg_fail(err, CG_ERR_FORMAT, "tensor \"%s\" is missing from the file", name);
        bool same = s->ndim == t->ndim;
        for (int d = 0; same && d < t->ndim; d++)
            same = s->dim[d] == t->dim[d];
        if (!same) {
            char a[96], b[96];
            return cg_fail(err, CG_ERR_FORMAT, "tensor \"%s\" has shape %s in the file but %s in the model", name,
                           shape_str(s->dim, s->ndim, a, sizeof a), shape_str(t->dim, t->ndim, b, sizeof b));
        }
    }
    if (!(flags & CG_SAFETENSORS_ALLOW_EXTRA))
        for (int i = 0; i < f->n; i++)
            if (cg_params_find(p, f->t[i].name) < 0)
                return cg_fail(err, CG_ERR_FORMAT, "the file has a tensor \"" NAME_SHOWN "\" that the model does not",
                               f->t[i].name);
    return CG_OK;
}

cg_status cg_safetensors_to_params(const cg_safetensors *f, cg_params *p, unsigned flags, cg_error *err)
{
    cg_status st = cg_safetensors_check_params(f, p, flags, err);
    if (st != CG_OK)
        return st;
    int n = cg_params_count(p);
    for (int i = 0; i < n; i++) {
        cg_tensor *t = cg_params_get(p, i);
        cg_status s = cg_safetensors_read(f, cg_safetensors_find(f, cg_params_name(p, i)), t->data, err);
        if (s != CG_OK)
            return s;
    }
    return CG_OK;
}
