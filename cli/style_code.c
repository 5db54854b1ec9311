/* comicgan style-code, and what stylize --reference and --style-code share:
 * finding the reference model, encoding a reference picture, and style code
 * files.
 *
 *   comicgan style-code [-m MODEL | -s STYLE] REF -o CODE.json
 *
 * A style code file is JSON:
 *   {"format": "comicgan-style-code", "version": 1,
 *    "model": "<sha256 of the model's networks, see cli_model_identity>",
 *    "style": "<the model's style name>", "reference": "<the picture's file name>",
 *    "length": N, "code": [N numbers: the reference's palette (6), then the
 *    encoder's code, the last 1]}
 * Only format, version, model, length and code are read back; a code is
 * used only with the model whose networks made it. */
#include "common.h"

#include "comicgan/files.h"

#include <string.h>

#define CODE_FORMAT "comicgan-style-code"
#define CODE_VERSION 1
/* A code file is a few hundred bytes; anything far larger is not one. */
#define CODE_MAX_FILE ((size_t)1 << 20)

/* The name the reference model is known by in messages: its file, or its style. */
static const char *model_label(const char *model_file, const char *style)
{
    return model_file ? model_file : style;
}

cg_model *cli_load_reference_model(const char *command, const char *model_file, const char *style)
{
    int index = 0;
    char *found = NULL;
    if (!model_file && !style) {
        cg_catalog *cat = cg_catalog_new();
        if (!cat) {
            cli_fail(CLI_EXIT_FAILURE, command, _("out of memory"));
            return NULL;
        }
        for (int i = 0; !found && i < cg_catalog_count(cat); i++)
            if (strcmp(cg_catalog_get(cat, i)->mode, "reference") == 0)
                found = g_strdup(cg_catalog_get(cat, i)->name);
        cg_catalog_free(cat);
        if (!found) {
            cli_fail(CLI_EXIT_FAILURE, command,
                     _("no reference model found (comicgan info lists the styles); give one with --model FILE"));
            return NULL;
        }
        style = found;
    }
    cg_model *m = cli_load_model(command, model_file, style, &index);
    if (m && cg_model_code_length(m) == 0) {
        cli_fail(CLI_EXIT_USAGE, model_label(model_file, style),
                 _("is not a reference model: --reference and --style-code need a model that takes reference "
                   "pictures (comicgan info says which do)"));
        cg_model_free(m);
        m = NULL;
    }
    g_free(found);
    return m;
}

/* Feeds the checksum the values as little-endian IEEE floats, so a code's
 * identity is the same on every machine. */
static void sum_floats(GChecksum *sum, const float *v, int64_t n)
{
    guint32 buf[1024];
    while (n > 0) {
        int64_t k = MIN(n, (int64_t)G_N_ELEMENTS(buf));
        for (int64_t i = 0; i < k; i++) {
            guint32 u;
            memcpy(&u, &v[i], sizeof u);
            buf[i] = GUINT32_TO_LE(u);
        }
        g_checksum_update(sum, (const guchar *)buf, (gssize)(k * sizeof buf[0]));
        v += k;
        n -= k;
    }
}

static void sum_net(GChecksum *sum, const cg_net *net)
{
    const char *arch = cg_net_arch_json(net);
    g_checksum_update(sum, (const guchar *)arch, (gssize)strlen(arch) + 1);
    const cg_params *p = cg_net_params(net);
    for (int i = 0; i < cg_params_count(p); i++) {
        const char *name = cg_params_name(p, i);
        const cg_tensor *t = cg_params_get(p, i);
        g_checksum_update(sum, (const guchar *)name, (gssize)strlen(name) + 1);
        sum_floats(sum, t->data, t->size);
    }
}

char *cli_model_identity(const cg_model *m)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    sum_net(sum, cg_model_net(m));
    if (cg_model_encoder(m))
        sum_net(sum, cg_model_encoder(m));
    char *hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    return hex;
}

int cli_encode_reference(const cg_model *m, const char *path, float *code)
{
    cg_error err = {0};
    cg_image *ref = cg_image_load(path, &err);
    cg_status st = ref ? CG_OK : err.code;
    cli_warn_frames(path, ref);
    if (st == CG_OK)
        st = cg_model_encode_reference(m, ref, code, &err);
    cg_image_free(ref);
    if (st == CG_OK)
        return CLI_EXIT_OK;
    /* The loader's messages start with the file's name; the encoder's do not. */
    return cli_fail_error(g_str_has_prefix(err.message, path) ? NULL : path, &err);
}

/* The member name of obj as a string, or NULL. */
static const char *member_string(JsonObject *obj, const char *name)
{
    JsonNode *n = json_object_get_member(obj, name);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
                                                                                          : NULL;
}

/* The member name of obj as a whole number, or -1. */
static gint64 member_count(JsonObject *obj, const char *name)
{
    JsonNode *n = json_object_get_member(obj, name);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n) : -1;
}

/* Fills code (length floats) from the JSON text of a code file; on failure
 * returns a message saying what is wrong (static or g_free'd into *owned). */
static const char *parse_code(const char *text, size_t len, const char *identity, int length, float *code,
                              char **owned)
{
    JsonParser *parser = json_parser_new();
    const char *why = NULL;
    JsonObject *obj = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)len, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
        why = _("not a style code file (comicgan style-code writes them)");
    else
        obj = json_node_get_object(json_parser_get_root(parser));
    if (!why && (g_strcmp0(member_string(obj, "format"), CODE_FORMAT) != 0 ||
                 member_count(obj, "version") != CODE_VERSION))
        why = _("not a style code file (comicgan style-code writes them)");
    const char *made_by = why ? NULL : member_string(obj, "model");
    gint64 n = why ? 0 : member_count(obj, "length");
    JsonNode *values = why ? NULL : json_object_get_member(obj, "code");
    JsonArray *array = values && JSON_NODE_HOLDS_ARRAY(values) ? json_node_get_array(values) : NULL;
    if (!why && (!made_by || !array || n < 1 || json_array_get_length(array) != (guint)n))
        why = _("a style code file without its model, length or values");
    else if (!why && n != length)
        why = *owned = g_strdup_printf(_("a code of %d values, but this model's codes have %d: it was made by "
                                         "another model"),
                                       (int)n, length);
    else if (!why && strcmp(made_by, identity) != 0)
        why = _("made by another model (its model identity differs); encode the reference again with this model");
    for (int i = 0; !why && i < length; i++) {
        JsonNode *v = json_array_get_element(array, (guint)i);
        GType type = JSON_NODE_HOLDS_VALUE(v) ? json_node_get_value_type(v) : G_TYPE_INVALID;
        if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
            code[i] = (float)json_node_get_double(v);
        else
            why = _("a style code value is not a number");
    }
    g_object_unref(parser);
    return why;
}

float *cli_read_style_code(const cg_model *m, const char *path)
{
    cg_error err = {0};
    char *text = NULL;
    size_t len = 0;
    if (cg_file_read(path, CODE_MAX_FILE, &text, &len, &err) != CG_OK) {
        cli_fail_error(g_str_has_prefix(err.message, path) ? NULL : path, &err);
        return NULL;
    }
    int length = cg_model_code_length(m);
    float *code = g_new(float, length);
    char *identity = cli_model_identity(m), *owned = NULL;
    const char *why = parse_code(text, len, identity, length, code, &owned);
    if (!why && cg_stylize_check_code(m, code, &err) != CG_OK)
        why = err.message;
    if (why) {
        cli_fail(CLI_EXIT_FAILURE, path, "%s", why);
        g_free(code);
        code = NULL;
    }
    g_free(owned);
    g_free(identity);
    g_free(text);
    return code;
}

/* The code file's text. */
static char *code_json(const cg_model *m, const char *reference, const float *code)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "format");
    json_builder_add_string_value(b, CODE_FORMAT);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, CODE_VERSION);
    char *identity = cli_model_identity(m);
    json_builder_set_member_name(b, "model");
    json_builder_add_string_value(b, identity);
    g_free(identity);
    json_builder_set_member_name(b, "style");
    json_builder_add_string_value(b, cg_model_style(m, 0)->name);
    char *base = g_path_get_basename(reference), *shown = g_filename_display_name(base);
    json_builder_set_member_name(b, "reference");
    json_builder_add_string_value(b, shown);
    g_free(shown);
    g_free(base);
    json_builder_set_member_name(b, "length");
    json_builder_add_int_value(b, cg_model_code_length(m));
    json_builder_set_member_name(b, "code");
    json_builder_begin_array(b);
    /* A float survives the trip through a double's shortest text exactly. */
    for (int i = 0; i < cg_model_code_length(m); i++)
        json_builder_add_double_value(b, code[i]);
    json_builder_end_array(b);
    json_builder_end_object(b);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    char *text = json_generator_to_data(gen, NULL);
    char *line = g_strconcat(text, "\n", NULL);
    g_free(text);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    return line;
}

int cli_style_code(int argc, char **argv)
{
    char *model_file = NULL, *style = NULL, *output = NULL, **files = NULL;
    const GOptionEntry entries[] = {
        {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model_file,
         N_("Reference model file (default: the first reference style found)"), N_("FILE")},
        {"style", 's', 0, G_OPTION_ARG_STRING, &style, N_("Reference style to use, by name"), N_("NAME")},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write the code here (JSON)"), N_("CODE.json")},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    if (!cli_parse("style-code", _("REF -o CODE.json"),
                   _("Encodes the reference picture REF with a reference model's style encoder and saves the style "
                     "code, so that \"comicgan stylize --style-code CODE.json\" can use it without encoding REF "
                     "again.\nThe file names the model that made it (a hash of its networks); another model "
                     "refuses it."),
                   entries, &argc, &argv))
        goto out;
    if (!files || g_strv_length(files) != 1 || !output) {
        cli_fail(CLI_EXIT_USAGE, "style-code", _("give one reference picture and -o CODE.json (see comicgan "
                                                  "style-code --help)"));
        goto out;
    }
    if (cli_same_file(output, files[0])) {
        cli_fail(CLI_EXIT_USAGE, output, _("would replace the reference picture; choose another name"));
        goto out;
    }
    if (!cli_check_output(output, false)) {
        status = CLI_EXIT_FAILURE;
        goto out;
    }
    cg_model *m = cli_load_reference_model("style-code", model_file, style);
    status = CLI_EXIT_FAILURE;
    if (m) {
        float *code = g_new(float, cg_model_code_length(m));
        status = cli_encode_reference(m, files[0], code);
        if (status == CLI_EXIT_OK) {
            char *text = code_json(m, files[0], code);
            cg_error err = {0};
            if (cg_file_write(output, text, strlen(text), &err) != CG_OK)
                status = cli_fail_error(g_str_has_prefix(err.message, output) ? NULL : output, &err);
            g_free(text);
        }
        g_free(code);
        cg_model_free(m);
    }
out:
    g_free(model_file);
    g_free(style);
    g_free(output);
    g_strfreev(files);
    return status;
}
