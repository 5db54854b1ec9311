/* comicgan info: what a model holds, or which styles are installed.
 *
 *   comicgan info [--json] MODEL          one model file
 *   comicgan info [--json] --style NAME   the model holding a style
 *   comicgan info [--json]                the catalog: folders, styles, broken files */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* A JSON text as a node; a string node when it does not parse (it is shown
 * either way). */
static JsonNode *parse_json(const char *text)
{
    JsonNode *node = json_from_string(text ? text : "null", NULL);
    if (!node) {
        node = json_node_new(JSON_NODE_VALUE);
        json_node_set_string(node, text);
    }
    return node;
}

/* Channel widths of the network's levels: width, 2 width, ... */
static int level_widths(JsonObject *arch, int *widths, int max)
{
    const char *type = json_object_get_string_member_with_default(arch, "type", "");
    int width = (int)json_object_get_int_member_with_default(arch, "width", 0);
    int levels = (int)json_object_get_int_member_with_default(
        arch, strcmp(type, "patchgan") == 0 ? "layers" : "downsamples", 0);
    int n = 0;
    for (int i = 0; i <= levels && n < max && width > 0; i++, width *= 2)
        widths[n++] = width;
    return n;
}

/* One style per line, without trailing blanks when there is no description. */
static void print_style(const char *name, const char *display_name, const char *mode, const char *last)
{
    char *line = g_strdup_printf("  %-16s %-20s %-10s %s", name, display_name, mode, last ? last : "");
    printf("%s\n", g_strchomp(line));
    g_free(line);
}

/* The members every style's JSON object has, in a model or in the catalog. */
static void add_style_members(JsonBuilder *b, const char *name, const char *display_name, const char *mode,
                              const char *description)
{
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, name);
    json_builder_set_member_name(b, "display_name");
    json_builder_add_string_value(b, display_name);
    json_builder_set_member_name(b, "mode");
    json_builder_add_string_value(b, mode);
    json_builder_set_member_name(b, "description");
    json_builder_add_string_value(b, description ? description : "");
}

static void print_indented(const char *text)
{
    char **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++)
        printf("  %s\n", lines[i]);
    g_strfreev(lines);
}

static int describe_model(const char *path, bool json)
{
    cg_error err = {0};
    cg_model *m = cg_model_load(path, &err);
    if (!m)
        return cli_fail_error(NULL, &err);
    struct stat st;
    gint64 size = stat(path, &st) == 0 ? (gint64)st.st_size : -1;
    cg_net *net = cg_model_net(m);
    JsonNode *arch = parse_json(cg_net_arch_json(net));
    JsonObject *arch_obj = JSON_NODE_HOLDS_OBJECT(arch) ? json_node_get_object(arch) : json_object_new();
    JsonNode *provenance = parse_json(cg_model_provenance_json(m));
    int widths[16];
    int n_widths = level_widths(arch_obj, widths, 16);
    gint64 params = cg_params_total(cg_net_params(net));

    if (json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, path);
        json_builder_set_member_name(b, "file_size");
        json_builder_add_int_value(b, size);
        json_builder_set_member_name(b, "takes_reference");
        json_builder_add_boolean_value(b, cg_model_code_length(m) > 0);
        if (cg_model_code_length(m) > 0) {
            json_builder_set_member_name(b, "code_length");
            json_builder_add_int_value(b, cg_model_code_length(m));
        }
        json_builder_set_member_name(b, "styles");
        json_builder_begin_array(b);
        for (int i = 0; i < cg_model_style_count(m); i++) {
            const cg_style_info *s = cg_model_style(m, i);
            json_builder_begin_object(b);
            add_style_members(b, s->name, s->display_name, s->mode, s->description);
            json_builder_set_member_name(b, "monochrome");
            json_builder_add_boolean_value(b, s->monochrome);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_set_member_name(b, "architecture");
        json_builder_add_value(b, json_node_copy(arch));
        json_builder_set_member_name(b, "widths");
        json_builder_begin_array(b);
        for (int i = 0; i < n_widths; i++)
            json_builder_add_int_value(b, widths[i]);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "attention_points");
        json_builder_begin_array(b);
        for (int i = 0; i < cg_net_attention_count(net); i++)
            json_builder_add_string_value(b, cg_net_attention_name(net, i));
        json_builder_end_array(b);
        json_builder_set_member_name(b, "parameters");
        json_builder_add_int_value(b, params);
        json_builder_set_member_name(b, "receptive_radius");
        json_builder_add_int_value(b, cg_net_receptive_radius(net));
        json_builder_set_member_name(b, "size_multiple");
        json_builder_add_int_value(b, cg_net_size_multiple(net));
        json_builder_set_member_name(b, "provenance");
        json_builder_add_value(b, json_node_copy(provenance));
        json_builder_end_object(b);
        JsonNode *root = json_builder_get_root(b);
        cli_print_json(root);
        json_node_unref(root);
        g_object_unref(b);
    } else {
        printf("%-18s %s\n", _("Model"), path);
        if (size >= 0) {
            char *human = g_format_size((guint64)size), count[32];
            printf("%-18s %s (%s %s)\n", _("File size"), human, cli_format_count(size, count), _("bytes"));
            g_free(human);
        }
        printf("%s\n", _("Styles"));
        for (int i = 0; i < cg_model_style_count(m); i++) {
            const cg_style_info *s = cg_model_style(m, i);
            print_style(s->name, s->display_name, s->mode, s->description);
        }
        if (cg_model_code_length(m) > 0)
            printf("%-18s %s (%s %d)\n", _("Reference"), _("takes a reference picture as its style"),
                   _("style code length"), cg_model_code_length(m));
        printf("%-18s %s\n", _("Architecture"), cg_net_type(net));
        GString *w = g_string_new(NULL);
        for (int i = 0; i < n_widths; i++)
            g_string_append_printf(w, "%s%d", i ? ", " : "", widths[i]);
        printf("  %-16s %s\n", _("widths"), w->str);
        g_string_free(w, TRUE);
        if (json_object_has_member(arch_obj, "blocks"))
            printf("  %-16s %" G_GINT64_FORMAT "\n", _("blocks"), json_object_get_int_member(arch_obj, "blocks"));
        printf("  %-16s %s\n", _("norm"), json_object_get_string_member_with_default(arch_obj, "norm", "?"));
        if (json_object_has_member(arch_obj, "upsample"))
            printf("  %-16s %s\n", _("upsample"), json_object_get_string_member(arch_obj, "upsample"));
        GString *a = g_string_new(NULL);
        for (int i = 0; i < cg_net_attention_count(net); i++)
            g_string_append_printf(a, "%s%s", i ? ", " : "", cg_net_attention_name(net, i));
        printf("  %-16s %s\n", _("attention points"), a->len ? a->str : _("none"));
        g_string_free(a, TRUE);
        char count[32];
        printf("%-18s %s\n", _("Parameters"), cli_format_count(params, count));
        printf("%-18s %d px\n", _("Receptive radius"), cg_net_receptive_radius(net));
        printf("%s\n", _("Provenance"));
        JsonGenerator *gen = json_generator_new();
        json_generator_set_pretty(gen, TRUE);
        json_generator_set_indent(gen, 2);
        json_generator_set_root(gen, provenance);
        char *text = json_generator_to_data(gen, NULL);
        print_indented(text);
        g_free(text);
        g_object_unref(gen);
    }
    if (!JSON_NODE_HOLDS_OBJECT(arch))
        json_object_unref(arch_obj);
    json_node_unref(arch);
    json_node_unref(provenance);
    cg_model_free(m);
    return CLI_EXIT_OK;
}

static int describe_catalog(const cg_catalog *cat, bool json)
{
    if (json) {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "folders");
        json_builder_begin_array(b);
        for (int i = 0; i < cg_catalog_folder_count(cat); i++)
            json_builder_add_string_value(b, cg_catalog_folder(cat, i));
        json_builder_end_array(b);
        json_builder_set_member_name(b, "styles");
        json_builder_begin_array(b);
        for (int i = 0; i < cg_catalog_count(cat); i++) {
            const cg_catalog_style *s = cg_catalog_get(cat, i);
            json_builder_begin_object(b);
            add_style_members(b, s->name, s->display_name, s->mode, s->description);
            json_builder_set_member_name(b, "model");
            json_builder_add_string_value(b, s->model_path);
            json_builder_set_member_name(b, "index");
            json_builder_add_int_value(b, s->style_index);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_set_member_name(b, "broken");
        json_builder_begin_array(b);
        for (int i = 0; i < cg_catalog_broken_count(cat); i++) {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "path");
            json_builder_add_string_value(b, cg_catalog_broken_path(cat, i));
            json_builder_set_member_name(b, "error");
            json_builder_add_string_value(b, cg_catalog_broken_error(cat, i));
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
        JsonNode *root = json_builder_get_root(b);
        cli_print_json(root);
        json_node_unref(root);
        g_object_unref(b);
        return CLI_EXIT_OK;
    }
    printf("%s\n", _("Folders searched, first match wins:"));
    for (int i = 0; i < cg_catalog_folder_count(cat); i++) {
        const char *f = cg_catalog_folder(cat, i);
        printf("  %s%s\n", f, g_file_test(f, G_FILE_TEST_IS_DIR) ? "" : _("  (missing)"));
    }
    if (cg_catalog_count(cat) == 0)
        printf("%s\n", _("No styles found: put model files (.safetensors) in one of these folders, or set "
                         "COMICGAN_MODEL_PATH."));
    else
        printf("%s\n", _("Styles:"));
    for (int i = 0; i < cg_catalog_count(cat); i++) {
        const cg_catalog_style *s = cg_catalog_get(cat, i);
        char *file = g_path_get_basename(s->model_path);
        print_style(s->name, s->display_name, s->mode, file);
        g_free(file);
    }
    if (cg_catalog_broken_count(cat) > 0)
        printf("%s\n", _("Model files that could not be read:"));
    for (int i = 0; i < cg_catalog_broken_count(cat); i++)
        printf("  %s\n    %s\n", cg_catalog_broken_path(cat, i), cg_catalog_broken_error(cat, i));
    return CLI_EXIT_OK;
}

int cli_info(int argc, char **argv)
{
    gboolean json = FALSE;
    char *style = NULL;
    char **files = NULL;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL},
        {"style", 's', 0, G_OPTION_ARG_STRING, &style, N_("Describe the model holding this style"), N_("NAME")},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    if (!cli_parse("info", _("[MODEL]"),
                   _("Describes a model file: its styles, architecture, size and provenance.\nWithout MODEL, lists "
                     "the styles installed, the folders searched and any broken model files."),
                   entries, &argc, &argv))
        goto out;
    int n = files ? (int)g_strv_length(files) : 0;
    if (n > 1 || (n == 1 && style)) {
        cli_fail(status, "info", _("give one MODEL or --style NAME (see comicgan info --help)"));
        goto out;
    }
    if (n == 1) {
        status = describe_model(files[0], json);
        goto out;
    }
    cg_catalog *cat = cg_catalog_new();
    if (!cat) {
        status = cli_fail(CLI_EXIT_FAILURE, "info", _("out of memory"));
        goto out;
    }
    if (style) {
        const cg_catalog_style *s = cg_catalog_find(cat, style);
        if (s) {
            status = describe_model(s->model_path, json);
        } else {
            cg_error err = {0};
            int index;
            /* Loading by name gives the message that lists the styles there are. */
            cg_model_free(cg_catalog_load_style(cat, style, &index, &err));
            status = cli_fail_error("info", &err);
        }
    } else {
        status = describe_catalog(cat, json);
    }
    cg_catalog_free(cat);
out:
    g_free(style);
    g_strfreev(files);
    return status;
}
