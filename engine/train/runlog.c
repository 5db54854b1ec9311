/* The run folder's text files: log.jsonl (one JSON object per logged step),
 * data-report.json (what cleaning skipped) and split.json (which files went
 * to training, validation and test). */
#include "train/train_private.h"
#include "io/read_file.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

struct tr_log {
    FILE *f;
};

cg_status tr_write_text(const char *path, const char *text, cg_error *err)
{
    GError *gerr = NULL;
    /* g_file_set_contents writes a temporary file and renames it: atomic. */
    if (!g_file_set_contents(path, text, -1, &gerr)) {
        cg_fail(err, CG_ERR_IO, "%s", gerr->message);
        g_error_free(gerr);
        return CG_ERR_IO;
    }
    return CG_OK;
}

static char *node_text(JsonNode *root, bool pretty)
{
    JsonGenerator *gen = json_generator_new();
    json_generator_set_pretty(gen, pretty);
    json_generator_set_root(gen, root);
    char *s = json_generator_to_data(gen, NULL);
    g_object_unref(gen);
    json_node_unref(root);
    return s;
}

/* The step of one log line, or -1. */
static int64_t line_step(const char *line)
{
    JsonParser *p = json_parser_new();
    int64_t step = -1;
    if (json_parser_load_from_data(p, line, -1, NULL)) {
        JsonNode *root = json_parser_get_root(p);
        if (root && JSON_NODE_HOLDS_OBJECT(root))
            step = json_object_get_int_member_with_default(json_node_get_object(root), "step", -1);
    }
    g_object_unref(p);
    return step;
}

tr_log *tr_log_open(const char *run_dir, int64_t keep_until_step, cg_error *err)
{
    char *path = g_build_filename(run_dir, "log.jsonl", NULL);
    char *old = NULL;
    size_t old_len = 0;
    if (keep_until_step >= 0 && cg_io_read_file(path, CG_IO_MAX_TEXT_FILE, &old, &old_len, NULL) == CG_OK) {
        /* A resumed run continues from its checkpoint: lines logged after it
         * are dropped, or the curves would show those steps twice. */
        GString *kept = g_string_new(NULL);
        char **lines = g_strsplit(old, "\n", -1);
        for (int i = 0; lines[i]; i++)
            if (lines[i][0] && line_step(lines[i]) >= 0 && line_step(lines[i]) <= keep_until_step)
                g_string_append_printf(kept, "%s\n", lines[i]);
        g_strfreev(lines);
        cg_status st = tr_write_text(path, kept->str, err);
        g_string_free(kept, TRUE);
        g_free(old);
        if (st != CG_OK) {
            g_free(path);
            return NULL;
        }
    }
    FILE *f = fopen(path, keep_until_step >= 0 ? "a" : "w");
    if (!f) {
        cg_fail(err, CG_ERR_IO, "%s: %s", path, g_strerror(errno));
        g_free(path);
        return NULL;
    }
    g_free(path);
    tr_log *l = g_new0(tr_log, 1);
    l->f = f;
    return l;
}

void tr_log_close(tr_log *l)
{
    if (!l)
        return;
    fclose(l->f);
    g_free(l);
}

cg_status tr_log_write(tr_log *l, int64_t step, const tr_losses *mean, float lr_g, float lr_d, double step_ms,
                       cg_error *err)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "step");
    json_builder_add_int_value(b, step);
    json_builder_set_member_name(b, "time");
    json_builder_add_int_value(b, g_get_real_time() / 1000000);
    json_builder_set_member_name(b, "step_ms");
    json_builder_add_double_value(b, step_ms);
    json_builder_set_member_name(b, "lr_g");
    json_builder_add_double_value(b, lr_g);
    json_builder_set_member_name(b, "lr_d");
    json_builder_add_double_value(b, lr_d);
    json_builder_set_member_name(b, "losses");
    json_builder_begin_object(b);
    for (int i = 0; i < mean->n; i++) {
        json_builder_set_member_name(b, mean->name[i]);
        json_builder_add_double_value(b, mean->value[i]);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    char *line = node_text(json_builder_get_root(b), false);
    g_object_unref(b);
    bool ok = fprintf(l->f, "%s\n", line) > 0 && fflush(l->f) == 0;
    g_free(line);
    return ok ? CG_OK : cg_fail(err, CG_ERR_IO, "log.jsonl: %s", g_strerror(errno));
}

static void add_names(JsonBuilder *b, const tr_source *s, const int *list, int n)
{
    json_builder_begin_array(b);
    for (int i = 0; i < n; i++)
        json_builder_add_string_value(b, cg_dataset_name(s->data, list[i]));
    json_builder_end_array(b);
}

cg_status tr_write_data_files(tr_trainer *t, cg_error *err)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "sources");
    json_builder_begin_array(b);
    for (int k = 0; k < t->n_sources; k++) {
        const tr_source *s = &t->sources[k];
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "source");
        json_builder_add_string_value(b, s->label);
        json_builder_set_member_name(b, "folder");
        json_builder_add_string_value(b, s->data->dir);
        json_builder_set_member_name(b, "kept");
        json_builder_add_int_value(b, cg_dataset_count(s->data));
        json_builder_set_member_name(b, "manifest");
        json_builder_add_string_value(b, cg_dataset_manifest_hash(s->data));
        json_builder_set_member_name(b, "skipped");
        json_builder_begin_array(b);
        for (int i = 0; i < cg_dataset_skipped_count(s->data); i++) {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "file");
            json_builder_add_string_value(b, cg_dataset_skipped_path(s->data, i));
            json_builder_set_member_name(b, "reason");
            json_builder_add_string_value(b, cg_dataset_skipped_reason(s->data, i));
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    char *report = node_text(json_builder_get_root(b), true);
    g_object_unref(b);

    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "seed");
    json_builder_add_int_value(b, t->cfg->seed);
    json_builder_set_member_name(b, "val_fraction");
    json_builder_add_double_value(b, t->cfg->val_fraction);
    json_builder_set_member_name(b, "test_fraction");
    json_builder_add_double_value(b, t->cfg->test_fraction);
    json_builder_set_member_name(b, "sources");
    json_builder_begin_object(b);
    for (int k = 0; k < t->n_sources; k++) {
        const tr_source *s = &t->sources[k];
        json_builder_set_member_name(b, s->label);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "folder");
        json_builder_add_string_value(b, s->data->dir);
        json_builder_set_member_name(b, "train");
        add_names(b, s, s->train, s->n_train);
        json_builder_set_member_name(b, "val");
        add_names(b, s, s->val, s->n_val);
        json_builder_set_member_name(b, "test");
        add_names(b, s, s->test, s->n_test);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    char *split = node_text(json_builder_get_root(b), true);
    g_object_unref(b);

    char *report_path = g_build_filename(t->run_dir, "data-report.json", NULL);
    char *split_path = g_build_filename(t->run_dir, "split.json", NULL);
    cg_status st = tr_write_text(report_path, report, err);
    if (st == CG_OK)
        st = tr_write_text(split_path, split, err);
    g_free(report_path);
    g_free(split_path);
    g_free(report);
    g_free(split);
    return st;
}

char *tr_style_entry_json(const char *name, const char *display, const char *description, const char *mode,
                          bool monochrome, bool list)
{
    JsonBuilder *b = json_builder_new();
    if (list)
        json_builder_begin_array(b);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, name);
    json_builder_set_member_name(b, "display_name");
    json_builder_add_string_value(b, display && display[0] ? display : name);
    json_builder_set_member_name(b, "description");
    json_builder_add_string_value(b, description ? description : "");
    json_builder_set_member_name(b, "mode");
    json_builder_add_string_value(b, mode);
    if (monochrome) {
        json_builder_set_member_name(b, "monochrome");
        json_builder_add_boolean_value(b, true);
    }
    json_builder_end_object(b);
    if (list)
        json_builder_end_array(b);
    char *s = node_text(json_builder_get_root(b), false);
    g_object_unref(b);
    return s;
}
