/* safetensors: round trips, the on-disk layout checked byte by byte, loading
 * into parameter sets, atomic writes, and one hand-made malformed file per
 * rejection rule (each through the memory and the file loader), plus every
 * file of the fuzzing seed corpus and of the fuzz regressions. */
#include "comicgan/safetensors.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

static char *tmpdir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

/* A file image: 8-byte little-endian hlen (the header's length unless
 * forced), the header, then data_len bytes of data. */
static GByteArray *image_n(uint64_t hlen, const char *header, const void *data, size_t data_len)
{
    GByteArray *b = g_byte_array_new();
    uint8_t len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (uint8_t)(hlen >> (8 * i));
    g_byte_array_append(b, len8, 8);
    g_byte_array_append(b, (const guint8 *)header, (guint)strlen(header));
    if (data_len)
        g_byte_array_append(b, data, (guint)data_len);
    return b;
}

static GByteArray *image(const char *header, const void *data, size_t data_len)
{
    return image_n(strlen(header), header, data, data_len);
}

/* Loads b from memory and from a file; both must fail with code and a
 * message containing needle. */
static void expect_reject(const GByteArray *b, cg_status code, const char *needle, const char *what)
{
    cg_error err = {0};
    cg_safetensors *f = cg_safetensors_load_bytes(b->data, b->len, &err);
    if (f || err.code != code || !strstr(err.message, needle))
        g_error("%s (memory): expected %s with \"%s\", got %s: \"%s\"", what, cg_status_name(code), needle,
                f ? "success" : cg_status_name(err.code), err.message);
    char *path = tmp_path("reject.safetensors");
    g_assert_true(g_file_set_contents(path, (const char *)b->data, b->len, NULL));
    cg_error_clear(&err);
    f = cg_safetensors_load(path, &err);
    if (f || err.code != code || !strstr(err.message, needle))
        g_error("%s (file): expected %s with \"%s\", got %s: \"%s\"", what, cg_status_name(code), needle,
                f ? "success" : cg_status_name(err.code), err.message);
    g_assert_true(g_str_has_prefix(err.message, path)); /* file errors name the file */
    g_unlink(path);
    g_free(path);
}

static cg_tensor *filled(int ndim, const int64_t *dim, float base)
{
    cg_error err = {0};
    cg_tensor *t = cg_tensor_new(ndim, dim, &err);
    g_assert_nonnull(t);
    for (int64_t i = 0; i < t->size; i++)
        t->data[i] = base + (float)i * 0.37f - (float)(i % 7) * 1.5e-3f;
    return t;
}

static void test_round_trip(void)
{
    cg_error err = {0};
    const int64_t d1[1] = {5}, d2[2] = {3, 4}, d3[3] = {2, 1, 3}, d4[4] = {2, 3, 3, 3};
    cg_tensor *t[4] = {filled(1, d1, 1.0f), filled(2, d2, -2.0f), filled(3, d3, 0.5f), filled(4, d4, 3.0f)};
    /* awkward values survive bit-exact */
    t[0]->data[0] = -0.0f;
    t[0]->data[1] = 1.17549435e-38f / 3; /* subnormal */
    t[0]->data[2] = 3.40282347e38f;
    t[0]->data[3] = -1.0e-45f;
    const cg_safetensors_entry e[4] = {
        {"gen.enc.0.weight", t[3]}, {"gen.enc.0.bias", t[0]}, {"gen.norm \"q\" \\ \xc3\xa9", t[1]}, {"d/3", t[2]}};
    const cg_safetensors_meta meta[5] = {
        {CG_META_FORMAT, CG_MODEL_FORMAT_VERSION},
        {CG_META_ARCH, "{\"blocks\": [\"conv\", \"res\"], \"width\": 64}"},
        {CG_META_STYLES, "[{\"id\": \"manga\", \"name\": \"Manga \xe6\xbc\xab\xe7\x94\xbb\"}]"},
        {CG_META_PROVENANCE, "line\nbreak\ttab \"quoted\""},
        {"", "empty key"},
    };
    char *path = tmp_path("round.safetensors");
    g_assert_cmpint(cg_safetensors_write(path, e, 4, meta, 5, &err), ==, CG_OK);
    cg_safetensors *f = cg_safetensors_load(path, &err);
    g_assert_nonnull(f);
    g_assert_cmpint(cg_safetensors_count(f), ==, 4);
    for (int i = 0; i < 4; i++) {
        const cg_safetensors_tensor *s = cg_safetensors_get(f, i);
        g_assert_cmpstr(s->name, ==, e[i].name); /* data order is the order written */
        g_assert_true(cg_safetensors_find(f, e[i].name) == s);
        g_assert_cmpstr(s->dtype, ==, "F32");
        g_assert_cmpint(s->ndim, ==, e[i].tensor->ndim);
        for (int d = 0; d < CG_MAX_DIMS; d++)
            g_assert_cmpint(s->dim[d], ==, e[i].tensor->dim[d]);
        g_assert_cmpint(s->size, ==, e[i].tensor->size);
        g_assert_cmpmem(s->data, s->size * 4, e[i].tensor->data, e[i].tensor->size * 4);
        g_assert_cmpuint((uintptr_t)s->data % 64, ==, 0);
    }
    g_assert_null(cg_safetensors_get(f, 4));
    g_assert_null(cg_safetensors_find(f, "missing"));
    g_assert_cmpint(cg_safetensors_metadata_count(f), ==, 5);
    for (int i = 0; i < 5; i++) {
        g_assert_cmpstr(cg_safetensors_metadata(f, meta[i].key), ==, meta[i].value);
        g_assert_cmpstr(cg_safetensors_metadata_key(f, i), ==, meta[i].key);
        g_assert_cmpstr(cg_safetensors_metadata_value(f, i), ==, meta[i].value);
    }
    g_assert_null(cg_safetensors_metadata(f, "nope"));
    g_assert_cmpint(cg_safetensors_check_format(f, &err), ==, CG_OK);
    cg_safetensors_free(f);

    /* the memory image is the same bytes as the file */
    void *bytes = NULL;
    size_t len = 0;
    g_assert_cmpint(cg_safetensors_write_bytes(e, 4, meta, 5, &bytes, &len, &err), ==, CG_OK);
    char *contents = NULL;
    gsize clen = 0;
    g_assert_true(g_file_get_contents(path, &contents, &clen, NULL));
    g_assert_cmpmem(bytes, len, contents, clen);
    f = cg_safetensors_load_bytes(bytes, len, &err);
    g_assert_nonnull(f);
    g_assert_cmpint(cg_safetensors_count(f), ==, 4);
    cg_safetensors_free(f);
    g_free(bytes);
    g_free(contents);
    g_unlink(path);
    g_free(path);
    for (int i = 0; i < 4; i++)
        cg_tensor_free(t[i]);
}

/* The written file follows the format's layout rules, checked by hand. */
static void test_layout(void)
{
    cg_error err = {0};
    const int64_t d1[1] = {3}, d2[2] = {2, 2};
    cg_tensor *a = filled(1, d1, 1.0f), *b = filled(2, d2, -1.0f);
    const cg_safetensors_entry e[2] = {{"a", a}, {"b", b}};
    const cg_safetensors_meta meta[1] = {{"comicgan.format", "1"}};
    void *bytes;
    size_t len;
    g_assert_cmpint(cg_safetensors_write_bytes(e, 2, meta, 1, &bytes, &len, &err), ==, CG_OK);
    const uint8_t *p = bytes;
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n |= (uint64_t)p[i] << (8 * i);
    g_assert_cmpuint((8 + n) % 8, ==, 0); /* data aligned to 8 */
    g_assert_cmpuint(len, ==, 8 + n + (3 + 4) * 4);
    g_assert_cmpint(p[8], ==, '{');
    /* padding is spaces after the JSON object */
    const char *h = (const char *)p + 8;
    size_t end = n;
    while (end > 0 && h[end - 1] == ' ')
        end--;
    g_assert_cmpint(h[end - 1], ==, '}');
    g_assert_cmpuint(n - end, <, 8);

    JsonParser *parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, h, (gssize)n, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    g_assert_cmpuint(json_object_get_size(o), ==, 3);
    JsonObject *m = json_object_get_object_member(o, "__metadata__");
    g_assert_cmpstr(json_object_get_string_member(m, "comicgan.format"), ==, "1");
    const char *names[2] = {"a", "b"};
    const cg_tensor *ts[2] = {a, b};
    int64_t cursor = 0;
    for (int i = 0; i < 2; i++) {
        JsonObject *t = json_object_get_object_member(o, names[i]);
        g_assert_cmpuint(json_object_get_size(t), ==, 3);
        g_assert_cmpstr(json_object_get_string_member(t, "dtype"), ==, "F32");
        JsonArray *shape = json_object_get_array_member(t, "shape");
        g_assert_cmpuint(json_array_get_length(shape), ==, (guint)ts[i]->ndim);
        for (int d = 0; d < ts[i]->ndim; d++)
            g_assert_cmpint(json_array_get_int_element(shape, d), ==, ts[i]->dim[d]);
        JsonArray *offs = json_object_get_array_member(t, "data_offsets");
        int64_t begin = json_array_get_int_element(offs, 0), stop = json_array_get_int_element(offs, 1);
        g_assert_cmpint(begin, ==, cursor);
        g_assert_cmpint(stop - begin, ==, ts[i]->size * 4);
        /* little-endian float bits at 8 + n + begin */
        for (int64_t k = 0; k < ts[i]->size; k++) {
            const uint8_t *q = p + 8 + n + begin + 4 * k;
            uint32_t bits = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24, want;
            memcpy(&want, &ts[i]->data[k], 4);
            g_assert_cmphex(bits, ==, want);
        }
        cursor = stop;
    }
    g_assert_cmpuint(8 + n + (uint64_t)cursor, ==, len);
    g_object_unref(parser);
    g_free(bytes);
    cg_tensor_free(a);
    cg_tensor_free(b);
}

static void test_special_tensors(void)
{
    cg_error err = {0};
    /* a scalar (shape []), an empty tensor, F16 and BF16 conversions */
    const uint8_t data[] = {
        0x00, 0x00, 0x80, 0x3f,                         /* s: F32 1.0 */
        0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, /* h: F16 1, -2, 65504, 2^-24 */
        0x00, 0x38,                                     /* h: 0.5 */
        0x80, 0x3f, 0x20, 0xc1,                         /* b: BF16 1, -10 */
    };
    GByteArray *b = image("{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                          "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
                          "\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[4,14]},"
                          "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[14,18]}}",
                          data, sizeof data);
    cg_safetensors *f = cg_safetensors_load_bytes(b->data, b->len, &err);
    g_assert_nonnull(f);
    g_assert_cmpint(cg_safetensors_count(f), ==, 4);
    const cg_safetensors_tensor *s = cg_safetensors_find(f, "s");
    g_assert_cmpint(s->ndim, ==, 0);
    g_assert_cmpint(s->size, ==, 1);
    g_assert_cmpfloat(s->data[0], ==, 1.0f);
    const cg_safetensors_tensor *em = cg_safetensors_find(f, "empty");
    g_assert_cmpint(em->size, ==, 0);
    g_assert_cmpint(em->dim[0], ==, 0);
    g_assert_cmpint(em->dim[1], ==, 3);
    const cg_safetensors_tensor *h = cg_safetensors_find(f, "h");
    g_assert_cmpstr(h->dtype, ==, "F16");
    g_assert_cmpfloat(h->data[0], ==, 1.0f);
    g_assert_cmpfloat(h->data[1], ==, -2.0f);
    g_assert_cmpfloat(h->data[2], ==, 65504.0f);
    g_assert_cmpfloat(h->data[3], ==, ldexpf(1.0f, -24));
    g_assert_cmpfloat(h->data[4], ==, 0.5f);
    const cg_safetensors_tensor *bf = cg_safetensors_find(f, "b");
    g_assert_cmpstr(bf->dtype, ==, "BF16");
    g_assert_cmpfloat(bf->data[0], ==, 1.0f);
    g_assert_cmpfloat(bf->data[1], ==, -10.0f);
    /* data order: s, empty (offset 4, header order before h), h, b */
    g_assert_cmpstr(cg_safetensors_get(f, 0)->name, ==, "s");
    g_assert_cmpstr(cg_safetensors_get(f, 1)->name, ==, "empty");
    g_assert_cmpstr(cg_safetensors_get(f, 3)->name, ==, "b");
    g_assert_cmpint(cg_safetensors_metadata_count(f), ==, 0);
    g_assert_cmpint(cg_safetensors_check_format(f, &err), ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "no \"comicgan.format\""));
    cg_safetensors_free(f);
    g_byte_array_unref(b);

    /* the smallest valid file: "{}" and no data; tensors listed out of order */
    b = image("{}", NULL, 0);
    f = cg_safetensors_load_bytes(b->data, b->len, &err);
    g_assert_nonnull(f);
    g_assert_cmpint(cg_safetensors_count(f), ==, 0);
    cg_safetensors_free(f);
    g_byte_array_unref(b);
    const float two[3] = {1, 2, 3};
    b = image("{\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},  "
              "\"__metadata__\":{\"comicgan.format\":\"2\"}, \"y\":{\"dtype\":\"F32\",\"shape\":[2],"
              "\"data_offsets\":[0,8]}}   ",
              two, sizeof two);
    f = cg_safetensors_load_bytes(b->data, b->len, &err);
    g_assert_nonnull(f);
    g_assert_cmpstr(cg_safetensors_get(f, 0)->name, ==, "y");
    g_assert_cmpfloat(cg_safetensors_find(f, "z")->data[0], ==, 3.0f);
    g_assert_cmpint(cg_safetensors_check_format(f, &err), ==, CG_ERR_UNSUPPORTED);
    g_assert_nonnull(strstr(err.message, "\"2\" is not supported"));
    cg_safetensors_free(f);
    g_byte_array_unref(b);
}

typedef struct bad_case {
    const char *what;
    const char *header;  /* the JSON header */
    size_t data_len;     /* bytes of data (zero-filled, or 1.0f where ones) */
    cg_status code;
    const char *needle;
} bad_case;

/* One case per header rule; every needle is distinct (checked below). */
static const bad_case header_cases[] = {
    {"header not JSON", "{\"a\":1,}", 0, CG_ERR_FORMAT, "not valid JSON"},
    {"bare word", "{\"a\": nope}", 0, CG_ERR_FORMAT, "unexpected character 'n' at byte 6"},
    {"single quotes", "{'a':1}", 0, CG_ERR_FORMAT, "unexpected character '''"},
    {"comment", "{/* c */}", 0, CG_ERR_FORMAT, "unexpected character '/'"},
    {"octal number", "{\"a\":{\"dtype\":\"F32\",\"shape\":[010],\"data_offsets\":[0,32]}}", 32, CG_ERR_FORMAT,
     "malformed number at byte 29"},
    {"hex number", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0x1FFFFFFFFFFFFFFFF],\"data_offsets\":[0,4]}}", 4,
     CG_ERR_FORMAT, "malformed number at byte"},
    {"raw control character", "{\"__metadata__\":{\"k\":\"a\tb\"}}", 0, CG_ERR_FORMAT,
     "raw control character in a string"},
    {"short u escape", "{\"a\\u12\":1}", 0, CG_ERR_FORMAT, "without 4 hex digits"},
    {"unterminated string", "{\"abc", 0, CG_ERR_FORMAT, "unterminated string"},
    {"header JSON not an object", "[1, 2, 3]", 0, CG_ERR_FORMAT, "JSON is not an object"},
    {"header a JSON string", "\"tensors\"", 0, CG_ERR_FORMAT, "JSON is not an object"},
    {"NUL byte in the header", "{\"a\0\":1}", 0, CG_ERR_FORMAT, "contains a NUL byte"},
    {"escaped NUL", "{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0, CG_ERR_FORMAT, "escaped NUL"},
    {"invalid UTF-8", "{\"\xff\xfe\":1}", 0, CG_ERR_FORMAT, "header is not valid UTF-8"},
    /* found by the fuzzer: json-glib decodes C escapes like \253 into bytes
     * that are not UTF-8 (tests/model/fuzz-regressions/invalid-octal-escape-in-metadata) */
    {"octal escape", "{\"__metadata__\":{\"name\":\"\\u6fb7u\\253b\"}}", 0, CG_ERR_FORMAT,
     "invalid escape \"\\2\""},
    {"C escape", "{\"a\\x41\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, CG_ERR_FORMAT,
     "invalid escape \"\\x\""},
    {"deep nesting", "{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}", 0, CG_ERR_FORMAT, "nests deeper than 8"},
    {"integer too long", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1234567890123456789],\"data_offsets\":[0,4]}}", 4,
     CG_ERR_FORMAT, "more than 18 digits"},
    {"unsupported dtype", "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, CG_ERR_UNSUPPORTED,
     "dtype I64 is not supported"},
    {"unknown dtype", "{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, CG_ERR_FORMAT,
     "unknown dtype \"F33\""},
    {"dtype not a string", "{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, CG_ERR_FORMAT,
     "dtype is not a string"},
    {"negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}", 8, CG_ERR_FORMAT,
     "dimension 1 is negative (-1)"},
    {"huge dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967297],\"data_offsets\":[0,4]}}", 4, CG_ERR_FORMAT,
     "more than the limit of 4294967296 elements"},
    {"count x size overflow",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,4]}}", 4, CG_ERR_FORMAT,
     "element count overflows 64 bits"},
    {"5 dims", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, CG_ERR_FORMAT,
     "5 dimensions, at most 4"},
    {"dim not an integer", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, CG_ERR_FORMAT,
     "dimension 0 is not an integer"},
    {"shape not an array", "{\"a\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}}", 4, CG_ERR_FORMAT,
     "shape is not an array"},
    {"offsets overlapping",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
     12, CG_ERR_FORMAT, "overlaps the one before it"},
    {"offsets with a gap",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
     20, CG_ERR_FORMAT, "gap of 4 bytes"},
    {"gap at the start", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, CG_ERR_FORMAT,
     "gap of 4 bytes in the data before tensor \"a\""},
    {"offsets out of range", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, CG_ERR_FORMAT,
     "run past the end of the data (4 bytes)"},
    {"end != file length", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, CG_ERR_FORMAT,
     "end at data byte 8 but the file has 12"},
    {"offsets disagree with the shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12,
     CG_ERR_FORMAT, "span 12 bytes but F32 [2] needs 8"},
    {"offsets reversed", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8, CG_ERR_FORMAT,
     "end 0 before begin 8"},
    {"negative offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 0, CG_ERR_FORMAT,
     "negative data_offsets"},
    {"offsets not a pair", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8, CG_ERR_FORMAT,
     "data_offsets is not a pair"},
    {"offsets not integers", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",8]}}", 8,
     CG_ERR_FORMAT, "data_offsets are not integers"},
    {"duplicate name",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
     16, CG_ERR_FORMAT, "duplicate tensor name \"a\""},
    {"duplicate name by escape",
     "{\"ab\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"a\\u0062\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
     16, CG_ERR_FORMAT, "duplicate tensor name \"ab\""},
    {"duplicate key in an entry", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
     8, CG_ERR_FORMAT, "duplicate key \"dtype\" in a tensor entry"},
    {"duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, CG_ERR_FORMAT,
     "duplicate metadata key \"k\""},
    {"non-string metadata", "{\"__metadata__\":{\"comicgan.format\":1}}", 0, CG_ERR_FORMAT,
     "metadata value for key \"comicgan.format\" is not a string"},
    {"metadata not an object", "{\"__metadata__\":[\"a\",\"b\"]}", 0, CG_ERR_FORMAT, "__metadata__ is not an object"},
    {"entry not an object", "{\"a\":[0,8]}", 8, CG_ERR_FORMAT, "entry is not an object"},
    {"missing key", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, CG_ERR_FORMAT, "missing \"data_offsets\""},
    {"unknown key", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", 8, CG_ERR_FORMAT,
     "unknown key \"extra\""},
    {"empty name", "{\"\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, CG_ERR_FORMAT,
     "empty name"},
    {"control character in a name", "{\"a\\u0007\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
     CG_ERR_FORMAT, "has a control character"},
};

static void test_malformed_headers(void)
{
    const size_t n = G_N_ELEMENTS(header_cases);
    for (size_t i = 0; i < n; i++) {
        const bad_case *c = &header_cases[i];
        /* the NUL case carries its NUL inside the header: measure it by hand */
        size_t hlen = strcmp(c->what, "NUL byte in the header") == 0 ? 8 : strlen(c->header);
        uint8_t *data = g_malloc0(c->data_len + 1);
        GByteArray *b = g_byte_array_new();
        uint8_t len8[8] = {0};
        for (int k = 0; k < 8; k++)
            len8[k] = (uint8_t)((uint64_t)hlen >> (8 * k));
        g_byte_array_append(b, len8, 8);
        g_byte_array_append(b, (const guint8 *)c->header, (guint)hlen);
        g_byte_array_append(b, data, (guint)c->data_len);
        expect_reject(b, c->code, c->needle, c->what);
        g_byte_array_unref(b);
        g_free(data);
        /* messages are told apart by their needles */
        for (size_t k = 0; k < i; k++)
            if (strcmp(header_cases[k].needle, c->needle) == 0 && strcmp(c->needle, "JSON is not an object") != 0)
                g_error("needle \"%s\" used twice", c->needle);
    }
}

static void test_malformed_lengths(void)
{
    const float ones[2] = {1, 1};
    GByteArray *good = image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", ones, sizeof ones);
    cg_error err = {0};
    cg_safetensors *f = cg_safetensors_load_bytes(good->data, good->len, &err);
    g_assert_nonnull(f);
    cg_safetensors_free(f);
    const size_t hlen = good->len - 8 - 8;

    /* truncated at several points, each with the message of the stage it hits */
    struct {
        size_t at;
        const char *needle;
    } cuts[] = {
        {0, "too short for the 8-byte header length"},
        {4, "too short for the 8-byte header length"},
        {7, "too short for the 8-byte header length"},
        {8, "runs past the end of the file"},
        {8 + hlen / 2, "runs past the end of the file"},
        {8 + hlen - 1, "runs past the end of the file"},
        {8 + hlen, "run past the end of the data (0 bytes)"},
        {8 + hlen + 3, "run past the end of the data (3 bytes)"},
        {good->len - 1, "run past the end of the data (7 bytes)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
        GByteArray *b = g_byte_array_new();
        g_byte_array_append(b, good->data, (guint)cuts[i].at);
        char what[64];
        snprintf(what, sizeof what, "truncated at %zu", cuts[i].at);
        expect_reject(b, CG_ERR_FORMAT, cuts[i].needle, what);
        g_byte_array_unref(b);
    }

    /* header length beyond the file, over the cap, below the minimum */
    GByteArray *b = image_n(1000, "{}", NULL, 0);
    expect_reject(b, CG_ERR_FORMAT, "header length 1000 runs past the end of the file (10 bytes)", "hlen > file");
    g_byte_array_unref(b);
    b = image_n(G_GUINT64_CONSTANT(0xffffffffffffffff), "{}", NULL, 0);
    expect_reject(b, CG_ERR_FORMAT, "over the limit of 16777216", "hlen 2^64-1");
    g_byte_array_unref(b);
    b = image_n((16u << 20) + 1, "{}", NULL, 0);
    expect_reject(b, CG_ERR_FORMAT, "over the limit", "hlen cap + 1");
    g_byte_array_unref(b);
    b = image_n(1, "{}", NULL, 0);
    expect_reject(b, CG_ERR_FORMAT, "below the minimum of 2", "hlen 1");
    g_byte_array_unref(b);
    b = image_n(0, "", NULL, 0);
    expect_reject(b, CG_ERR_FORMAT, "below the minimum of 2", "hlen 0");
    g_byte_array_unref(b);
    g_byte_array_unref(good);
}

static void test_non_finite(void)
{
    const float nan_data[3] = {1, NAN, 2}, inf_data[2] = {-INFINITY, 0};
    GByteArray *b = image("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", nan_data, 12);
    expect_reject(b, CG_ERR_NUMERIC, "tensor \"w\" holds a non-finite value (NaN) at element 1", "NaN weight");
    g_byte_array_unref(b);
    b = image("{\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", inf_data, 8);
    expect_reject(b, CG_ERR_NUMERIC, "tensor \"v\" holds a non-finite value (Inf) at element 0", "Inf weight");
    g_byte_array_unref(b);
    const uint8_t half_inf[2] = {0x00, 0x7c};
    b = image("{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", half_inf, 2);
    expect_reject(b, CG_ERR_NUMERIC, "tensor \"h\" holds a non-finite value (Inf)", "F16 Inf");
    g_byte_array_unref(b);
    const uint8_t bf_nan[2] = {0xc1, 0x7f};
    b = image("{\"bf\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", bf_nan, 2);
    expect_reject(b, CG_ERR_NUMERIC, "tensor \"bf\" holds a non-finite value (NaN)", "BF16 NaN");
    g_byte_array_unref(b);
}

static void test_write_refusals(void)
{
    cg_error err = {0};
    const int64_t d[1] = {4};
    cg_tensor *t = filled(1, d, 0.0f);
    char *path = tmp_path("refused.safetensors");
    void *bytes = NULL;
    size_t len = 7;
    struct {
        cg_safetensors_entry e[2];
        int n;
        cg_safetensors_meta m[2];
        int n_meta;
        cg_status code;
        const char *needle;
    } cases[] = {
        {{{"x", t}, {"x", t}}, 2, {{0}}, 0, CG_ERR_INVALID, "duplicate tensor name \"x\""},
        {{{"", t}}, 1, {{0}}, 0, CG_ERR_INVALID, "has no name"},
        {{{"__metadata__", t}}, 1, {{0}}, 0, CG_ERR_INVALID, "is reserved"},
        {{{"a\nb", t}}, 1, {{0}}, 0, CG_ERR_INVALID, "control character"},
        {{{"\xc3", t}}, 1, {{0}}, 0, CG_ERR_INVALID, "not valid UTF-8"},
        {{{"x", NULL}}, 1, {{0}}, 0, CG_ERR_INVALID, "no data"},
        {{{"x", t}}, 1, {{"k", "1"}, {"k", "2"}}, 2, CG_ERR_INVALID, "duplicate metadata key \"k\""},
        {{{"x", t}}, 1, {{"k", NULL}}, 1, CG_ERR_INVALID, "no key or no value"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        cg_error_clear(&err);
        g_assert_cmpint(cg_safetensors_write(path, cases[i].e, cases[i].n, cases[i].m, cases[i].n_meta, &err), ==,
                        cases[i].code);
        if (!strstr(err.message, cases[i].needle))
            g_error("write case %zu: \"%s\" lacks \"%s\"", i, err.message, cases[i].needle);
        g_assert_cmpint(cg_safetensors_write_bytes(cases[i].e, cases[i].n, cases[i].m, cases[i].n_meta, &bytes, &len,
                                                   &err),
                        ==, cases[i].code);
        g_assert_null(bytes);
        g_assert_cmpuint(len, ==, 0);
        g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    }
    /* a NaN weight is not written: a diverged run keeps its last good file */
    t->data[2] = NAN;
    const cg_safetensors_entry e[1] = {{"gen.w", t}};
    g_assert_cmpint(cg_safetensors_write(path, e, 1, NULL, 0, &err), ==, CG_ERR_NUMERIC);
    g_assert_nonnull(strstr(err.message, "tensor \"gen.w\" holds a non-finite value"));
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_free(path);
    cg_tensor_free(t);
}

static int count_entries(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    int n = 0;
    if (!d)
        return -1;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

static void test_atomic_write(void)
{
    cg_error err = {0};
    const int64_t big[2] = {64, 1000}, small[1] = {3};
    cg_tensor *a = filled(2, big, 1.0f), *b = filled(1, small, 2.0f);

    /* a missing folder: IO error, nothing created */
    char *missing = tmp_path("no-such-folder");
    char *inside = g_build_filename(missing, "model.safetensors", NULL);
    const cg_safetensors_entry ea[1] = {{"a", a}}, eb[1] = {{"b", b}};
    g_assert_cmpint(cg_safetensors_write(inside, ea, 1, NULL, 0, &err), ==, CG_ERR_IO);
    g_assert_nonnull(strstr(err.message, "no-such-folder"));
    g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
    g_free(inside);
    g_free(missing);

    /* an existing file is replaced whole, and no temporary file stays */
    char *sub = tmp_path("atomic");
    g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
    char *path = g_build_filename(sub, "model.safetensors", NULL);
    g_assert_cmpint(cg_safetensors_write(path, ea, 1, NULL, 0, &err), ==, CG_OK);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_size, >, 256000);
    const cg_safetensors_meta m[1] = {{"comicgan.format", "1"}};
    g_assert_cmpint(cg_safetensors_write(path, eb, 1, m, 1, &err), ==, CG_OK);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    cg_safetensors *f = cg_safetensors_load(path, &err);
    g_assert_nonnull(f);
    g_assert_cmpint(cg_safetensors_count(f), ==, 1);
    g_assert_cmpmem(cg_safetensors_find(f, "b")->data, 12, b->data, 12);
    cg_safetensors_free(f);
    g_assert_cmpint(count_entries(sub), ==, 1);

    /* a failure after the temporary file exists (the target is a folder):
     * IO error, the temporary file is gone, the folder untouched */
    char *as_dir = g_build_filename(sub, "taken", NULL);
    g_assert_cmpint(g_mkdir(as_dir, 0755), ==, 0);
    g_assert_cmpint(cg_safetensors_write(as_dir, eb, 1, NULL, 0, &err), ==, CG_ERR_IO);
    g_assert_nonnull(strstr(err.message, "cannot replace"));
    g_assert_cmpint(count_entries(sub), ==, 2);
    g_assert_cmpint(count_entries(as_dir), ==, 0);
    g_rmdir(as_dir);
    g_free(as_dir);

    /* a file that cannot be opened, or is not a regular file */
    g_assert_null(cg_safetensors_load(sub, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_IO);
    g_assert_nonnull(strstr(err.message, "not a regular file"));
    char *nofile = g_build_filename(sub, "absent.safetensors", NULL);
    g_assert_null(cg_safetensors_load(nofile, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_IO);
    g_assert_nonnull(strstr(err.message, "cannot open"));
    g_free(nofile);

    g_unlink(path);
    g_rmdir(sub);
    g_free(path);
    g_free(sub);
    cg_tensor_free(a);
    cg_tensor_free(b);
}

static cg_params *model(int64_t width, bool with_extra)
{
    cg_error err = {0};
    cg_params *p = cg_params_new(&err);
    const int64_t w[4] = {width, 3, 3, 3}, bias[1] = {width}, u[1] = {width};
    g_assert_nonnull(cg_params_add(p, "conv.weight", 4, w, &err));
    g_assert_nonnull(cg_params_add(p, "conv.bias", 1, bias, &err));
    g_assert_nonnull(cg_params_add_buffer(p, "conv.sn_u", 1, u, &err));
    if (with_extra)
        g_assert_nonnull(cg_params_add(p, "head.bias", 1, bias, &err));
    g_assert_cmpint(cg_params_finalize(p, &err), ==, CG_OK);
    return p;
}

static void test_params(void)
{
    cg_error err = {0};
    cg_params *src = model(4, false);
    int64_t n;
    float *v = cg_params_values(src, &n);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)i * 0.01f - 1.0f;
    char *path = tmp_path("params.safetensors");
    const cg_safetensors_meta m[1] = {{CG_META_FORMAT, CG_MODEL_FORMAT_VERSION}};
    g_assert_cmpint(cg_safetensors_write_params(path, src, m, 1, &err), ==, CG_OK);
    cg_safetensors *f = cg_safetensors_load(path, &err);
    g_assert_nonnull(f);
    g_assert_cmpint(cg_safetensors_count(f), ==, 3);

    /* the same architecture: every value (buffers too) comes back */
    cg_params *dst = model(4, false);
    g_assert_cmpint(cg_safetensors_to_params(f, dst, 0, &err), ==, CG_OK);
    for (int i = 0; i < 3; i++)
        g_assert_cmpmem(cg_params_get(dst, i)->data, cg_params_get(dst, i)->size * 4, cg_params_get(src, i)->data,
                        cg_params_get(src, i)->size * 4);
    cg_params_free(dst);

    /* another width: the mis-shaped tensor is named with both shapes */
    dst = model(8, false);
    g_assert_cmpint(cg_safetensors_to_params(f, dst, 0, &err), ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "tensor \"conv.weight\" has shape [4, 3, 3, 3] in the file but [8, 3, 3, 3]"));
    for (int i = 0; i < 3; i++) /* untouched */
        for (int64_t k = 0; k < cg_params_get(dst, i)->size; k++)
            g_assert_cmpfloat(cg_params_get(dst, i)->data[k], ==, 0.0f);
    cg_params_free(dst);

    /* a parameter the file lacks */
    dst = model(4, true);
    g_assert_cmpint(cg_safetensors_to_params(f, dst, 0, &err), ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "tensor \"head.bias\" is missing from the file"));
    g_assert_cmpfloat(cg_params_get(dst, 0)->data[5], ==, 0.0f);
    cg_params_free(dst);
    cg_safetensors_free(f);

    /* a file with a tensor the model lacks: refused unless allowed */
    cg_params *wide = model(4, true);
    g_assert_cmpint(cg_safetensors_write_params(path, wide, NULL, 0, &err), ==, CG_OK);
    f = cg_safetensors_load(path, &err);
    dst = model(4, false);
    g_assert_cmpint(cg_safetensors_to_params(f, dst, 0, &err), ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "the file has a tensor \"head.bias\" that the model does not"));
    g_assert_cmpint(cg_safetensors_to_params(f, dst, CG_SAFETENSORS_ALLOW_EXTRA, &err), ==, CG_OK);
    cg_params_free(dst);

    /* an unfinalized set is refused */
    cg_params *raw = cg_params_new(&err);
    g_assert_cmpint(cg_safetensors_to_params(f, raw, 0, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_safetensors_write_params(path, raw, NULL, 0, &err), ==, CG_ERR_INVALID);
    cg_params_free(raw);
    cg_safetensors_free(f);
    cg_params_free(wide);
    cg_params_free(src);
    g_unlink(path);
    g_free(path);
}

/* Every seed-corpus and regression file loads or is refused cleanly (no
 * crash, no leak under the sanitizers); the valid seeds really are valid. */
static void load_folder(const char *dir, int *loaded, int *refused)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        char *path = g_build_filename(dir, name, NULL);
        char *contents = NULL;
        gsize len = 0;
        g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
        cg_error err = {0};
        cg_safetensors *f = cg_safetensors_load_bytes(contents, len, &err);
        if (f) {
            (*loaded)++;
            for (int i = 0; i < cg_safetensors_count(f); i++)
                g_assert_nonnull(cg_safetensors_find(f, cg_safetensors_get(f, i)->name));
            cg_safetensors_free(f);
        } else {
            (*refused)++;
            g_assert_cmpint(err.code, !=, CG_OK);
            g_assert_cmpuint(strlen(err.message), >, 0);
        }
        if (g_str_has_prefix(name, "valid-") && !f)
            g_error("seed %s should load: %s", name, err.message);
        if (g_str_has_prefix(name, "invalid-") && f)
            g_error("seed %s should be refused", name);
        g_free(contents);
        g_free(path);
    }
    g_dir_close(d);
}

static void test_corpus(void)
{
    const char *root = g_getenv("CG_SOURCE_ROOT");
    if (!root) {
        g_test_skip("CG_SOURCE_ROOT is not set");
        return;
    }
    int loaded = 0, refused = 0;
    char *corpus = g_build_filename(root, "fuzz", "corpus", "safetensors", NULL);
    char *regress = g_build_filename(root, "tests", "model", "fuzz-regressions", NULL);
    load_folder(corpus, &loaded, &refused);
    int seeds = loaded + refused;
    load_folder(regress, &loaded, &refused);
    g_test_message("corpus: %d seeds, %d regressions; %d loaded, %d refused", seeds, loaded + refused - seeds, loaded,
                   refused);
    g_assert_cmpint(seeds, >, 10);
    g_free(corpus);
    g_free(regress);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("cg-safetensors-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_func("/model/safetensors/round_trip", test_round_trip);
    g_test_add_func("/model/safetensors/layout", test_layout);
    g_test_add_func("/model/safetensors/special_tensors", test_special_tensors);
    g_test_add_func("/model/safetensors/malformed_headers", test_malformed_headers);
    g_test_add_func("/model/safetensors/malformed_lengths", test_malformed_lengths);
    g_test_add_func("/model/safetensors/non_finite", test_non_finite);
    g_test_add_func("/model/safetensors/write_refusals", test_write_refusals);
    g_test_add_func("/model/safetensors/atomic_write", test_atomic_write);
    g_test_add_func("/model/safetensors/params", test_params);
    g_test_add_func("/model/safetensors/corpus", test_corpus);
    int rc = g_test_run();
    g_rmdir(tmpdir);
    g_free(tmpdir);
    return rc;
}
