/* Model files as an attacker writes them: what the loader must refuse before
 * it reads any tensor data, and text that must never reach a terminal or a
 * dialog. */
#include "comicgan/catalog.h"
#include "comicgan/model.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define ARCH "{\"type\": \"resnet\", \"width\": 4, \"downsamples\": 1, \"blocks\": 1, \"norm\": \"instance\"}"
#define STYLES "[{\"name\": \"plain\", \"display_name\": \"Plain\", \"mode\": \"pix2pix\"}]"

static char *tmp_dir;

/* A valid model file's bytes. */
static GBytes *good_model(void)
{
    cg_error err = {0};
    cg_model *m = cg_model_new(ARCH, STYLES, &err);
    g_assert_nonnull(m);
    char *path = g_build_filename(tmp_dir, "good.safetensors", NULL);
    g_assert_cmpint(cg_model_save(m, path, "{\"recipe\": \"test\"}", &err), ==, CG_OK);
    cg_model_free(m);
    char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_free(path);
    return g_bytes_new_take(data, len);
}

typedef void (*edit_fn)(JsonObject *header, uint64_t data_len, void *data);

/* The good model with its JSON header edited by fn, written to name; the
 * tensor data stays as it was. Returns the path (g_free) and the data's
 * offset in the file. */
static char *edited_model(const char *name, edit_fn fn, void *data, uint64_t *data_start, uint64_t *data_len)
{
    GBytes *good = good_model();
    gsize len = 0;
    const uint8_t *b = g_bytes_get_data(good, &len);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++)
        hlen |= (uint64_t)b[i] << (8 * i);
    JsonParser *parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, (const char *)b + 8, (gssize)hlen, NULL));
    JsonObject *top = json_node_get_object(json_parser_get_root(parser));
    *data_len = len - 8 - hlen;
    fn(top, *data_len, data);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, json_parser_get_root(parser));
    char *text = json_generator_to_data(gen, NULL);
    GString *h = g_string_new(text);
    g_free(text);
    while (h->len % 8)
        g_string_append_c(h, ' ');
    uint8_t len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (uint8_t)((uint64_t)h->len >> (8 * i));
    char *path = g_build_filename(tmp_dir, name, NULL);
    FILE *f = fopen(path, "wb");
    g_assert_nonnull(f);
    fwrite(len8, 1, 8, f);
    fwrite(h->str, 1, h->len, f);
    fwrite(b + 8 + hlen, 1, *data_len, f);
    fclose(f);
    *data_start = 8 + h->len;
    g_string_free(h, TRUE);
    g_object_unref(gen);
    g_object_unref(parser);
    g_bytes_unref(good);
    return path;
}

/* ---- tensors checked against the architecture before any data is read ---- */

#define HUGE_FLOATS ((int64_t)1 << 30) /* 4 GiB of F32 */

static void add_huge(JsonObject *top, uint64_t data_len, void *data)
{
    (void)data;
    JsonObject *e = json_object_new();
    json_object_set_string_member(e, "dtype", "F32");
    JsonArray *shape = json_array_new();
    json_array_add_int_element(shape, HUGE_FLOATS);
    json_object_set_array_member(e, "shape", shape);
    JsonArray *offs = json_array_new();
    json_array_add_int_element(offs, (gint64)data_len);
    json_array_add_int_element(offs, (gint64)data_len + HUGE_FLOATS * 4);
    json_object_set_array_member(e, "data_offsets", offs);
    json_object_set_object_member(top, "zz.huge", e);
}

static void test_extra_huge_tensor(void)
{
    uint64_t start = 0, len = 0;
    char *path = edited_model("huge.safetensors", add_huge, NULL, &start, &len);
    /* Sparse: a few kilobytes on disk that claim 4 GiB. */
    g_assert_cmpint(truncate(path, (off_t)(start + len + (uint64_t)HUGE_FLOATS * 4)), ==, 0);
    if (g_test_subprocess()) {
        /* Far below the 4 GiB the extra tensor claims: reading it in full
         * fails for memory instead of being refused for what it is. */
        if (!UNDER_ASAN) {
            struct rlimit rl = {(rlim_t)1 << 30, (rlim_t)1 << 30};
            g_assert_cmpint(setrlimit(RLIMIT_AS, &rl), ==, 0);
        }
        cg_error err = {0};
        g_assert_null(cg_model_load(path, &err));
        g_test_message("%s", err.message);
        g_assert_cmpint(err.code, ==, CG_ERR_FORMAT);
        g_assert_nonnull(strstr(err.message, "zz.huge"));
        g_assert_null(cg_model_load_header(path, &err));
        g_assert_nonnull(strstr(err.message, "zz.huge"));
        g_free(path);
        return;
    }
    g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
    g_unlink(path);
    g_free(path);
}

/* ---- text a model carries, shown in terminals and dialogs ---- */

typedef struct meta_edit {
    const char *key, *value;
} meta_edit;

static void set_meta(JsonObject *top, uint64_t data_len, void *data)
{
    (void)data_len;
    const meta_edit *e = data;
    json_object_set_string_member(json_object_get_object_member(top, "__metadata__"), e->key, e->value);
}

static void expect_refused(const char *key, const char *value, const char *field)
{
    meta_edit e = {key, value};
    uint64_t start, len;
    char *path = edited_model("text.safetensors", set_meta, &e, &start, &len);
    cg_error err = {0};
    cg_model *m = cg_model_load(path, &err);
    if (m)
        g_test_message("loaded: %s", value);
    g_assert_null(m);
    g_test_message("%s", err.message);
    g_assert_cmpint(err.code, ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, field));
    g_assert_null(cg_model_load_header(path, &err));
    g_unlink(path);
    g_free(path);
}

static void expect_loaded(const char *key, const char *value)
{
    meta_edit e = {key, value};
    uint64_t start, len;
    char *path = edited_model("text.safetensors", set_meta, &e, &start, &len);
    cg_error err = {0};
    cg_model *m = cg_model_load(path, &err);
    if (!m)
        g_test_message("%s", err.message);
    g_assert_nonnull(m);
    cg_model_free(m);
    g_unlink(path);
    g_free(path);
}

static void test_control_characters(void)
{
    static const char *const bad[] = {
        "\\u001b[2J\\u001b[31mRed", "Back\\rspace", "Bell\\u0007", "Del\\u007f", "C1\\u009b31m",
        "\\u202eevil", "\\u202aLRE", "\\u2066isolate", "\\u2069pop", "Tab\\there", "two\\nlines",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *styles = g_strdup_printf("[{\"name\": \"plain\", \"display_name\": \"%s\", \"mode\": \"pix2pix\"}]",
                                       bad[i]);
        expect_refused("comicgan.styles", styles, "display_name");
        g_free(styles);
    }
    /* Descriptions and provenance may hold lines and tabs, nothing else. */
    for (size_t i = 0; i < 9; i++) {
        char *styles = g_strdup_printf("[{\"name\": \"plain\", \"description\": \"%s\", \"mode\": \"pix2pix\"}]",
                                       bad[i]);
        expect_refused("comicgan.styles", styles, "description");
        g_free(styles);
        char *prov = g_strdup_printf("{\"recipe\": \"a\", \"run\": {\"note\": \"%s\"}}", bad[i]);
        expect_refused("comicgan.provenance", prov, "provenance");
        g_free(prov);
    }
    expect_loaded("comicgan.styles",
                  "[{\"name\": \"plain\", \"display_name\": \"Plain \\u00e9\\u4e2d\", "
                  "\"description\": \"one\\ttwo\\nthree\", \"mode\": \"pix2pix\"}]");
    expect_loaded("comicgan.provenance", "{\"recipe\": \"[run]\\nname = x\\n\", \"steps\": 3}");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("comicgan-model-XXXXXX", NULL);
    g_test_add_func("/model-file/extra-huge-tensor", test_extra_huge_tensor);
    g_test_add_func("/model-file/control-characters", test_control_characters);
    int rc = g_test_run();
    char *cmd = g_strdup_printf("rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0)
        rc = 1;
    g_free(cmd);
    g_free(tmp_dir);
    return rc;
}
