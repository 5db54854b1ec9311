/* Exporting a run: the trained generator of the run's checkpoint as a model
 * file whose comicgan.provenance says where it came from. */
#include "train/train_private.h"
#include "nn/nn.h"

#include "cg_config.h"
#include "comicgan/model.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* The run's config with each absolute path cut to its last three folders
 * ("datasets/photos/images"), every path of a list too ("a; b"): a model
 * file travels, and the folders of the machine that trained it mean nothing
 * elsewhere (the data is named by its manifest hash). */
static void append_portable_path(GString *out, const char *path)
{
    char **parts = g_strsplit(path, "/", -1);
    int n = (int)g_strv_length(parts), first = n > 3 ? n - 3 : 1;
    for (int i = first; i < n; i++)
        g_string_append_printf(out, "%s%s", i > first ? "/" : "", parts[i]);
    g_strfreev(parts);
}

static char *portable_recipe(const char *config)
{
    GString *out = g_string_new(NULL);
    char **lines = g_strsplit(config ? config : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        const char *eq = strchr(*l, '=');
        g_string_append_len(out, *l, eq ? eq + 1 - *l : (gssize)strlen(*l));
        if (eq) {
            char **items = g_strsplit(eq + 1, ";", -1);
            for (char **it = items; *it; it++) {
                const char *item = *it + strspn(*it, " ");
                if (it != items)
                    g_string_append_c(out, ';');
                if (item[0] == '/')
                    append_portable_path(out, item);
                else
                    g_string_append(out, *it);
            }
            g_strfreev(items);
        }
        if (l[1])
            g_string_append_c(out, '\n');
    }
    g_strfreev(lines);
    return g_string_free(out, FALSE);
}

static bool changes_arch(const cg_export_options *opts)
{
    return opts && opts->n_post > 0;
}

cg_status cg_export_options_set(cg_export_options *o, const cg_export_post *p, cg_error *err)
{
    int i = 0;
    while (i < o->n_post && strcmp(o->post[i].style, p->style) != 0)
        i++;
    if (i == CG_EXPORT_MAX_POST)
        return cg_fail(err, CG_ERR_INVALID, "export: at most %d post stages", CG_EXPORT_MAX_POST);
    cg_export_post *dst = &o->post[i];
    if (i == o->n_post) {
        *dst = (cg_export_post){0};
        o->n_post++;
    }
    g_strlcpy(dst->style, p->style, sizeof dst->style);
    dst->kuwahara = p->kuwahara ? p->kuwahara : dst->kuwahara;
    dst->smooth = p->smooth ? p->smooth : dst->smooth;
    dst->bands = p->bands ? p->bands : dst->bands;
    return CG_OK;
}

/* What opts changed, added to the "post" list of the provenance's "export"
 * object x (a re-export adds to an export's list). */
static void set_export_members(JsonObject *x, const cg_export_options *opts)
{
    if (!json_object_has_member(x, "post") || !JSON_NODE_HOLDS_ARRAY(json_object_get_member(x, "post")))
        json_object_set_array_member(x, "post", json_array_new());
    JsonArray *list = json_object_get_array_member(x, "post");
    for (int i = 0; i < opts->n_post; i++) {
        const cg_export_post *p = &opts->post[i];
        JsonObject *o = json_object_new();
        if (p->style[0])
            json_object_set_string_member(o, "post_style", p->style);
        if (p->kuwahara)
            json_object_set_int_member(o, "post_kuwahara", p->kuwahara);
        if (p->smooth)
            json_object_set_int_member(o, "post_smooth", p->smooth);
        if (p->bands)
            json_object_set_int_member(o, "post_bands", p->bands);
        json_array_add_object_element(list, o);
    }
}

static char *provenance_json(const cg_safetensors *f, const char *run_dir, const cg_export_options *opts)
{
    static const char *const keys[] = {"mode", "config_hash", "dataset_manifest", "engine_version"};
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "recipe");
    char *recipe = portable_recipe(cg_safetensors_metadata(f, "config"));
    json_builder_add_string_value(b, recipe);
    g_free(recipe);
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        const char *v = cg_safetensors_metadata(f, keys[i]);
        json_builder_set_member_name(b, keys[i]);
        json_builder_add_string_value(b, v ? v : "");
    }
    json_builder_set_member_name(b, "steps");
    json_builder_add_int_value(b, g_ascii_strtoll(cg_safetensors_metadata(f, "step"), NULL, 10));
    json_builder_set_member_name(b, "run");
    char *base = g_path_get_basename(run_dir);
    json_builder_add_string_value(b, base);
    g_free(base);
    if (changes_arch(opts)) {
        JsonObject *x = json_object_new();
        set_export_members(x, opts);
        json_builder_set_member_name(b, "export");
        json_builder_add_value(b, json_node_init_object(json_node_alloc(), x));
        json_object_unref(x);
    }
    json_builder_set_member_name(b, "date");
    GDateTime *now = g_date_time_new_now_utc();
    char *date = g_date_time_format_iso8601(now);
    json_builder_add_string_value(b, date);
    g_free(date);
    g_date_time_unref(now);
    json_builder_set_member_name(b, "exported_by");
    json_builder_add_string_value(b, "comicgan " CG_VERSION);
    json_builder_end_object(b);
    JsonGenerator *gen = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    char *s = json_generator_to_data(gen, NULL);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    return s;
}

/* Copies the checkpoint's tensors of network net_name into the set p. */
static cg_status copy_net(const cg_safetensors *f, const char *path, const char *net_name, cg_params *p, cg_error *err)
{
    cg_status st = CG_OK;
    for (int i = 0; st == CG_OK && i < cg_params_count(p); i++) {
        char *name = g_strdup_printf("%s/%s", net_name, cg_params_name(p, i));
        const cg_safetensors_tensor *src = cg_safetensors_find(f, name);
        cg_tensor *dst = cg_params_get(p, i);
        if (!src || src->size != dst->size)
            st = cg_fail(err, CG_ERR_FORMAT, "%s: tensor %s is missing or of another size", path, name);
        else
            st = cg_safetensors_read(f, src, dst->data, err);
        g_free(name);
    }
    return st;
}

/* The index of the style called name in a model's styles JSON, or -1. */
static int style_index(const char *styles, const char *name)
{
    JsonParser *p = json_parser_new();
    int found = -1;
    if (json_parser_load_from_data(p, styles, -1, NULL) && JSON_NODE_HOLDS_ARRAY(json_parser_get_root(p))) {
        JsonArray *arr = json_node_get_array(json_parser_get_root(p));
        for (guint i = 0; i < json_array_get_length(arr) && found < 0; i++) {
            JsonObject *o = json_array_get_object_element(arr, i);
            const char *n = o ? json_object_get_string_member_with_default(o, "name", NULL) : NULL;
            if (n && strcmp(n, name) == 0)
                found = (int)i;
        }
    }
    g_object_unref(p);
    return found;
}

/* The trained architecture arch (JSON) with opts applied, as new JSON; NULL
 * with err filled when an option does not fit it. A post stage is a fixed
 * function, so it may be added to a network trained without one (the card
 * then says the losses never saw it). */
static char *exported_arch(const char *arch, const char *styles, const cg_export_options *opts, cg_error *err)
{
    cg_arch a;
    if (cg_arch_parse(arch, &a, err) != CG_OK)
        return NULL;
    for (int i = 0; i < opts->n_post; i++) {
        const cg_export_post *p = &opts->post[i];
        const char *what = p->style[0] ? p->style : "every style";
        if (p->smooth && (p->smooth < 1 || p->smooth > 8)) {
            cg_fail(err, CG_ERR_INVALID, "post_smooth %d (%s): must be 1..8 (0 keeps the training's)", p->smooth, what);
            return NULL;
        }
        if (p->bands && (p->bands < 2 || p->bands > 32)) {
            cg_fail(err, CG_ERR_INVALID, "post_bands %d (%s): must be 2..32 (0 keeps the training's)", p->bands, what);
            return NULL;
        }
        if (p->kuwahara && (p->kuwahara < 1 || p->kuwahara > 4)) {
            cg_fail(err, CG_ERR_INVALID, "post_kuwahara %d (%s): must be 1..4 (0 keeps the training's)", p->kuwahara,
                    what);
            return NULL;
        }
        const int style = p->style[0] ? style_index(styles, p->style) : -1;
        if (p->style[0] && style < 0) {
            cg_fail(err, CG_ERR_INVALID, "post_style: the model has no style \"%s\"", p->style);
            return NULL;
        }
        /* The stage for that style; else the one for every style, which
         * becomes that style's; else a new one. */
        int k = 0;
        while (k < a.n_post && a.post[k].style != style)
            k++;
        if (k == a.n_post && style >= 0 && a.n_post == 1 && a.post[0].style < 0)
            k = 0;
        if (k == a.n_post) {
            if (k == CG_ARCH_MAX_POST) {
                cg_fail(err, CG_ERR_INVALID, "export: at most %d post stages", CG_ARCH_MAX_POST);
                return NULL;
            }
            a.post[a.n_post++] = cg_arch_post_defaults();
        }
        cg_arch_post *q = &a.post[k];
        q->style = style;
        q->kuwahara = p->kuwahara ? p->kuwahara : q->kuwahara;
        q->smooth = p->smooth ? p->smooth : q->smooth;
        q->bands = p->bands ? p->bands : q->bands;
        if (!q->kuwahara && !q->smooth && !q->bands) {
            cg_fail(err, CG_ERR_INVALID, "post_style %s: give post_kuwahara, post_smooth or post_bands for the stage it is for",
                    what);
            return NULL;
        }
    }
    /* Parsed again for the rules between stages (each its own style). */
    char *json = cg_arch_to_json(&a);
    if (cg_arch_parse(json, &a, err) != CG_OK) {
        g_free(json);
        return NULL;
    }
    return json;
}

cg_status cg_run_export(const char *run_dir, const char *out_model, const cg_export_options *opts, cg_error *err)
{
    char *path = g_build_filename(run_dir, "checkpoint.safetensors", NULL);
    cg_safetensors *f = cg_safetensors_open(path, err);
    cg_model *m = NULL;
    char *prov = NULL;
    cg_status st = f ? CG_OK : err->code;
    const char *net_name = f ? cg_safetensors_metadata(f, "export_net") : NULL;
    const char *styles = f ? cg_safetensors_metadata(f, "styles") : NULL;
    char *arch_key = net_name ? g_strdup_printf("%s.arch", net_name) : NULL;
    const char *arch = arch_key ? cg_safetensors_metadata(f, arch_key) : NULL;
    /* A reference run's style encoder goes into the same model file. */
    const char *enc_name = f ? cg_safetensors_metadata(f, "export_encoder") : NULL;
    char *enc_key = enc_name ? g_strdup_printf("%s.arch", enc_name) : NULL;
    const char *enc_arch = enc_key ? cg_safetensors_metadata(f, enc_key) : NULL;
    if (st == CG_OK && (!net_name || !styles || !arch || (enc_name && !enc_arch) ||
                        !cg_safetensors_metadata(f, "config") || !cg_safetensors_metadata(f, "step")))
        st = cg_fail(err, CG_ERR_FORMAT, "%s: not a comicgan training checkpoint", path);
    char *changed = NULL;
    if (st == CG_OK && changes_arch(opts)) {
        if (!(changed = exported_arch(arch, styles, opts, err)))
            st = cg_error_prefix(err, "%s", path);
        arch = changed;
    }
    if (st == CG_OK && !(m = enc_name ? cg_model_new_reference(arch, enc_arch, styles, err)
                                      : cg_model_new(arch, styles, err)))
        st = cg_error_prefix(err, "%s", path);
    if (st == CG_OK)
        st = copy_net(f, path, net_name, cg_net_params(cg_model_net(m)), err);
    if (st == CG_OK && enc_name)
        st = copy_net(f, path, enc_name, cg_net_params(cg_model_encoder(m)), err);
    if (st == CG_OK) {
        prov = provenance_json(f, run_dir, opts);
        st = cg_model_save(m, out_model, prov, err);
    }
    g_free(prov);
    g_free(changed);
    g_free(arch_key);
    g_free(enc_key);
    cg_model_free(m);
    cg_safetensors_free(f);
    g_free(path);
    return st;
}

/* Copies every tensor of net src into net dst (the same architecture but for
 * its post stage, which has no weights). */
static void copy_weights(const cg_net *src, cg_net *dst)
{
    cg_params *from = cg_net_params((cg_net *)src), *to = cg_net_params(dst);
    for (int i = 0; i < cg_params_count(to); i++) {
        cg_tensor *a = cg_params_get(from, i), *b = cg_params_get(to, i);
        memcpy(b->data, a->data, (size_t)b->size * sizeof(float));
    }
}

/* The provenance prov with opts' changes set in its "export" object and the
 * date of this export as "reexported". */
static char *reexported_provenance(const char *prov, const cg_export_options *opts)
{
    JsonParser *p = json_parser_new();
    JsonNode *root = json_parser_load_from_data(p, prov ? prov : "{}", -1, NULL) &&
                             JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))
                         ? json_node_copy(json_parser_get_root(p))
                         : json_node_init_object(json_node_alloc(), json_object_new());
    g_object_unref(p);
    JsonObject *o = json_node_get_object(root);
    if (!json_object_has_member(o, "export") || !JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "export")))
        json_object_set_object_member(o, "export", json_object_new());
    set_export_members(json_object_get_object_member(o, "export"), opts);
    GDateTime *now = g_date_time_new_now_utc();
    char *date = g_date_time_format_iso8601(now);
    json_object_set_string_member(o, "reexported", date);
    g_free(date);
    g_date_time_unref(now);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, root);
    char *s = json_generator_to_data(gen, NULL);
    g_object_unref(gen);
    json_node_unref(root);
    return s;
}

cg_status cg_model_reexport(const char *in_model, const char *out_model, const cg_export_options *opts, cg_error *err)
{
    if (!changes_arch(opts))
        return cg_fail(err, CG_ERR_INVALID, "%s: nothing to change (give a post stage option)", in_model);
    cg_model *m = cg_model_load(in_model, err), *out = NULL;
    if (!m)
        return err->code;
    const cg_net *enc = cg_model_encoder(m);
    char *arch = exported_arch(cg_net_arch_json(cg_model_net(m)), cg_model_styles_json(m), opts, err), *prov = NULL;
    cg_status st = arch ? CG_OK : cg_error_prefix(err, "%s", in_model);
    if (st == CG_OK && !(out = enc ? cg_model_new_reference(arch, cg_net_arch_json(enc), cg_model_styles_json(m), err)
                                   : cg_model_new(arch, cg_model_styles_json(m), err)))
        st = cg_error_prefix(err, "%s", in_model);
    if (st == CG_OK) {
        copy_weights(cg_model_net(m), cg_model_net(out));
        if (enc)
            copy_weights(enc, cg_model_encoder(out));
        prov = reexported_provenance(cg_model_provenance_json(m), opts);
        st = cg_model_save(out, out_model, prov, err);
    }
    g_free(prov);
    g_free(arch);
    cg_model_free(out);
    cg_model_free(m);
    return st;
}
