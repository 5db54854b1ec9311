/* Model files: safetensors + comicgan metadata <-> a network with styles. */
#include "comicgan/model.h"
#include "comicgan/safetensors.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STYLES 64

/* The encoder's tensors in a reference model file: "encoder/first.conv.weight". */
#define ENCODER_PREFIX "encoder/"

struct cg_model {
    cg_net *net;
    cg_net *encoder; /* reference models only */
    cg_style_info styles[MAX_STYLES];
    int n_styles;
    char *styles_json;
    char *provenance_json;
};

bool cg_style_name_valid(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

uint32_t cg_text_refused_char(const char *s, bool multiline)
{
    if (!g_utf8_validate(s, -1, NULL))
        return 0xFFFD;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (multiline && (c == '\t' || c == '\n'))
            continue;
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
            return c;
    }
    return 0;
}

/* CG_ERR_FORMAT naming what and field when text breaks cg_text_refused_char. */
static cg_status check_text(const char *text, bool multiline, const char *what, const char *field, cg_error *err)
{
    uint32_t c = cg_text_refused_char(text, multiline);
    if (!c)
        return CG_OK;
    return cg_fail(err, CG_ERR_FORMAT, "%s: %s holds a control or bidi character (U+%04X), refused", what, field,
                   (unsigned)c);
}

/* Every key and string of a JSON tree, by the multiline rule. */
static cg_status check_json_text(JsonNode *n, const char *what, cg_error *err)
{
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
        return check_text(json_node_get_string(n), true, what, "a string", err);
    cg_status st = CG_OK;
    if (JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a) && st == CG_OK; i++)
            st = check_json_text(json_array_get_element(a, i), what, err);
    } else if (JSON_NODE_HOLDS_OBJECT(n)) {
        JsonObject *o = json_node_get_object(n);
        GList *members = json_object_get_members(o);
        for (GList *l = members; l && st == CG_OK; l = l->next)
            if ((st = check_text(l->data, true, what, "a key", err)) == CG_OK)
                st = check_json_text(json_object_get_member(o, l->data), what, err);
        g_list_free(members);
    }
    return st;
}

static cg_status check_provenance(const char *json, cg_error *err)
{
    JsonParser *parser = json_parser_new();
    cg_status st = json_parser_load_from_data(parser, json, -1, NULL)
                       ? check_json_text(json_parser_get_root(parser), "provenance", err)
                       : check_text(json, true, "provenance", "the text", err);
    g_object_unref(parser);
    return st;
}

static char *member_string(JsonObject *o, const char *key, const char *fallback)
{
    if (!json_object_has_member(o, key))
        return fallback ? g_strdup(fallback) : NULL;
    JsonNode *n = json_object_get_member(o, key);
    if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return g_strdup(json_node_get_string(n));
}

static void free_styles(cg_model *m)
{
    for (int i = 0; i < m->n_styles; i++) {
        g_free((char *)m->styles[i].name);
        g_free((char *)m->styles[i].display_name);
        g_free((char *)m->styles[i].description);
        g_free((char *)m->styles[i].mode);
    }
    m->n_styles = 0;
}

static cg_status parse_styles(cg_model *m, const char *json, cg_error *err)
{
    static const char *const modes[] = {"pix2pix", "cyclegan", "attention", "identity", "multi", "reference"};
    JsonParser *parser = json_parser_new();
    GError *gerr = NULL;
    cg_status st = CG_OK;
    if (!json_parser_load_from_data(parser, json, -1, &gerr)) {
        st = cg_fail(err, CG_ERR_FORMAT, "styles: not valid JSON: %s", gerr->message);
        g_error_free(gerr);
        goto out;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || JSON_NODE_TYPE(root) != JSON_NODE_ARRAY) {
        st = cg_fail(err, CG_ERR_FORMAT, "styles: must be a JSON list");
        goto out;
    }
    JsonArray *arr = json_node_get_array(root);
    int n = (int)json_array_get_length(arr);
    if (m->encoder && n != 1) {
        st = cg_fail(err, CG_ERR_FORMAT, "styles: a reference model lists one style, not %d", n);
        goto out;
    }
    if (!m->encoder && n != cg_net_styles(m->net)) {
        st = cg_fail(err, CG_ERR_FORMAT, "styles: the list has %d entries but the network has %d styles", n,
                     cg_net_styles(m->net));
        goto out;
    }
    for (int i = 0; i < n; i++) {
        JsonNode *e = json_array_get_element(arr, (guint)i);
        if (JSON_NODE_TYPE(e) != JSON_NODE_OBJECT) {
            st = cg_fail(err, CG_ERR_FORMAT, "styles: entry %d is not an object", i);
            goto out;
        }
        JsonObject *o = json_node_get_object(e);
        cg_style_info *s = &m->styles[m->n_styles++];
        s->name = member_string(o, "name", NULL);
        s->display_name = member_string(o, "display_name", s->name);
        s->description = member_string(o, "description", "");
        s->mode = member_string(o, "mode", "pix2pix");
        JsonNode *mono = json_object_get_member(o, "monochrome");
        if (mono && (JSON_NODE_TYPE(mono) != JSON_NODE_VALUE || json_node_get_value_type(mono) != G_TYPE_BOOLEAN)) {
            st = cg_fail(err, CG_ERR_FORMAT, "styles: entry %d: \"monochrome\" must be true or false", i);
            goto out;
        }
        s->monochrome = mono && json_node_get_boolean(mono);
        if (!s->name || !cg_style_name_valid(s->name)) {
            st = cg_fail(err, CG_ERR_FORMAT, "styles: entry %d needs a \"name\" of a-z, 0-9, _ and -", i);
            goto out;
        }
        if (!s->display_name || !s->description || !s->mode) {
            st = cg_fail(err, CG_ERR_FORMAT, "styles: \"%s\" has a non-string field", s->name);
            goto out;
        }
        char *what = g_strdup_printf("styles: \"%s\"", s->name);
        if ((st = check_text(s->display_name, false, what, "display_name", err)) == CG_OK)
            st = check_text(s->description, true, what, "description", err);
        g_free(what);
        if (st != CG_OK)
            goto out;
        bool known = false;
        for (size_t k = 0; k < sizeof modes / sizeof *modes; k++)
            known |= strcmp(s->mode, modes[k]) == 0;
        if (!known) {
            st = cg_fail(err, CG_ERR_FORMAT, "styles: \"%s\" has unknown mode \"%s\"", s->name, s->mode);
            goto out;
        }
        if ((strcmp(s->mode, "reference") == 0) != (m->encoder != NULL)) {
            st = cg_fail(err, CG_ERR_FORMAT, "styles: \"%s\": mode \"reference\" is %s", s->name,
                         m->encoder ? "the only mode of a reference model" : "for models with a style encoder");
            goto out;
        }
        for (int k = 0; k < i; k++)
            if (strcmp(m->styles[k].name, s->name) == 0) {
                st = cg_fail(err, CG_ERR_FORMAT, "styles: \"%s\" appears twice", s->name);
                goto out;
            }
    }
    m->styles_json = g_strdup(json);
out:
    g_object_unref(parser);
    return st;
}

void cg_model_free(cg_model *m)
{
    if (!m)
        return;
    free_styles(m);
    cg_net_free(m->net);
    cg_net_free(m->encoder);
    g_free(m->styles_json);
    g_free(m->provenance_json);
    free(m);
}

/* A reference model's generator is a cond_instance network whose style
 * weights are the encoder's codes. */
static cg_status check_reference_pair(const cg_model *m, cg_error *err)
{
    if (strcmp(cg_net_type(m->encoder), "style_encoder") != 0)
        return cg_fail(err, CG_ERR_FORMAT, "encoder: a %s, not a style_encoder", cg_net_type(m->encoder));
    const char *type = cg_net_type(m->net);
    if (strcmp(type, "resnet") != 0 && strcmp(type, "unet") != 0)
        return cg_fail(err, CG_ERR_FORMAT, "a reference model's network must be a generator, not a %s", type);
    if (cg_net_styles(m->net) != cg_net_code_length(m->encoder) || cg_net_styles(m->net) < 2)
        return cg_fail(err, CG_ERR_FORMAT,
                       "the generator has %d styles but the encoder's code has %d values (cond_instance, code + 1)",
                       cg_net_styles(m->net), cg_net_code_length(m->encoder));
    return CG_OK;
}

static cg_model *model_new(const char *arch_json, const char *encoder_json, const char *styles_json, cg_error *err)
{
    cg_model *m = calloc(1, sizeof *m);
    if (!m) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for a model");
        return NULL;
    }
    if (!(m->net = cg_net_new(arch_json, err)))
        goto fail;
    if (encoder_json) {
        if (!(m->encoder = cg_net_new(encoder_json, err))) {
            cg_error_prefix(err, "encoder");
            goto fail;
        }
        if (check_reference_pair(m, err) != CG_OK)
            goto fail;
        if (!styles_json) {
            cg_fail(err, CG_ERR_INVALID, "a reference model needs its style listed");
            goto fail;
        }
    }
    if (!styles_json && cg_net_styles(m->net) == 1)
        styles_json = "[{\"name\": \"default\", \"display_name\": \"Default\", \"mode\": \"pix2pix\"}]";
    if (!styles_json) {
        cg_fail(err, CG_ERR_INVALID, "a multi-style network needs its styles listed");
        goto fail;
    }
    if (parse_styles(m, styles_json, err) != CG_OK)
        goto fail;
    m->provenance_json = g_strdup("{}");
    return m;
fail:
    cg_model_free(m);
    return NULL;
}

cg_model *cg_model_new(const char *arch_json, const char *styles_json, cg_error *err)
{
    return model_new(arch_json, NULL, styles_json, err);
}

cg_model *cg_model_new_reference(const char *arch_json, const char *encoder_json, const char *styles_json,
                                 cg_error *err)
{
    if (!encoder_json) {
        cg_fail(err, CG_ERR_INVALID, "a reference model needs an encoder");
        return NULL;
    }
    return model_new(arch_json, encoder_json, styles_json, err);
}

/* The encoder's tensors of a reference model file: every one present under
 * ENCODER_PREFIX with its shape, checked before any is read; read when
 * weights is true. The generator's are checked by the safetensors loader,
 * which is told to allow the encoder's as extras; the count then shows that
 * the file holds nothing else. */
static cg_status load_encoder(const cg_safetensors *f, cg_model *m, bool weights, cg_error *err)
{
    cg_params *gp = cg_net_params(m->net), *ep = cg_net_params(m->encoder);
    if (cg_safetensors_count(f) != cg_params_count(gp) + cg_params_count(ep))
        return cg_fail(err, CG_ERR_FORMAT, "%d tensors, but the generator and encoder have %d",
                       cg_safetensors_count(f), cg_params_count(gp) + cg_params_count(ep));
    for (int pass = 0; pass < (weights ? 2 : 1); pass++)
        for (int i = 0; i < cg_params_count(ep); i++) {
            char *name = g_strdup_printf(ENCODER_PREFIX "%s", cg_params_name(ep, i));
            const cg_safetensors_tensor *t = cg_safetensors_find(f, name);
            cg_tensor *dst = cg_params_get(ep, i);
            cg_status st = CG_OK;
            bool same = t && t->ndim == dst->ndim;
            for (int d = 0; same && d < t->ndim; d++)
                same = t->dim[d] == dst->dim[d];
            if (!same)
                st = cg_fail(err, CG_ERR_FORMAT, "tensor %s is missing or of another shape", name);
            else if (pass == 1)
                st = cg_safetensors_read(f, t, dst->data, err);
            g_free(name);
            if (st != CG_OK)
                return st;
        }
    return CG_OK;
}

/* The header checks, then (with weights) the tensors the network has, read
 * only once every name and shape in the file matches it. */
static cg_model *load(const char *path, bool weights, cg_error *err)
{
    cg_safetensors *f = cg_safetensors_open(path, err);
    cg_model *m = NULL;
    if (!f)
        goto fail;
    if (cg_safetensors_check_format(f, err) != CG_OK)
        goto fail;
    const char *arch = cg_safetensors_metadata(f, CG_META_ARCH);
    const char *styles = cg_safetensors_metadata(f, CG_META_STYLES);
    const char *prov = cg_safetensors_metadata(f, CG_META_PROVENANCE);
    if (!arch) {
        cg_fail(err, CG_ERR_FORMAT, "no \"%s\" metadata: not a comicgan model", CG_META_ARCH);
        goto fail;
    }
    if (!styles) {
        cg_fail(err, CG_ERR_FORMAT, "no \"%s\" metadata", CG_META_STYLES);
        goto fail;
    }
    const char *encoder = cg_safetensors_metadata(f, CG_META_ENCODER);
    if (!(m = model_new(arch, encoder, styles, err)))
        goto fail;
    if (prov && check_provenance(prov, err) != CG_OK)
        goto fail;
    unsigned flags = encoder ? CG_SAFETENSORS_ALLOW_EXTRA : 0;
    if (encoder && load_encoder(f, m, false, err) != CG_OK)
        goto fail;
    if (weights && cg_safetensors_to_params(f, cg_net_params(m->net), flags, err) != CG_OK)
        goto fail;
    if (!weights && cg_safetensors_check_params(f, cg_net_params(m->net), flags, err) != CG_OK)
        goto fail;
    if (encoder && weights && load_encoder(f, m, true, err) != CG_OK)
        goto fail;
    g_free(m->provenance_json);
    m->provenance_json = g_strdup(prov ? prov : "{}");
    cg_safetensors_free(f);
    return m;
fail:
    cg_model_free(m);
    cg_safetensors_free(f);
    /* file-level errors already name the file */
    if (err && !g_str_has_prefix(err->message, path))
        cg_error_prefix(err, "%s", path);
    return NULL;
}

cg_model *cg_model_load(const char *path, cg_error *err)
{
    return load(path, true, err);
}

cg_model *cg_model_load_header(const char *path, cg_error *err)
{
    return load(path, false, err);
}

cg_status cg_model_save(const cg_model *m, const char *path, const char *provenance_json, cg_error *err)
{
    const cg_safetensors_meta meta[] = {
        {CG_META_FORMAT, CG_MODEL_FORMAT_VERSION},
        {CG_META_ARCH, cg_net_arch_json(m->net)},
        {CG_META_STYLES, m->styles_json},
        {CG_META_PROVENANCE, provenance_json ? provenance_json : m->provenance_json},
        {CG_META_ENCODER, m->encoder ? cg_net_arch_json(m->encoder) : NULL},
    };
    if (!m->encoder)
        return cg_safetensors_write_params(path, cg_net_params(m->net), meta, 4, err);
    /* The generator's tensors under their own names, then the encoder's. */
    const cg_params *gp = cg_net_params(m->net), *ep = cg_net_params(m->encoder);
    int ng = cg_params_count(gp), n = ng + cg_params_count(ep);
    cg_safetensors_entry *e = g_new(cg_safetensors_entry, n);
    char **names = g_new0(char *, n + 1);
    for (int i = 0; i < n; i++) {
        const cg_params *p = i < ng ? gp : ep;
        int k = i < ng ? i : i - ng;
        names[i] = g_strdup_printf("%s%s", i < ng ? "" : ENCODER_PREFIX, cg_params_name(p, k));
        e[i] = (cg_safetensors_entry){names[i], cg_params_get(p, k)};
    }
    cg_status st = cg_safetensors_write(path, e, n, meta, 5, err);
    g_strfreev(names);
    g_free(e);
    return st;
}

cg_net *cg_model_encoder(const cg_model *m) { return m->encoder; }
int cg_model_code_length(const cg_model *m)
{
    return m->encoder ? CG_PALETTE_LENGTH + cg_net_code_length(m->encoder) : 0;
}

cg_net *cg_model_net(const cg_model *m) { return m->net; }
int cg_model_style_count(const cg_model *m) { return m->n_styles; }
const char *cg_model_styles_json(const cg_model *m) { return m->styles_json; }
const char *cg_model_provenance_json(const cg_model *m) { return m->provenance_json; }

const cg_style_info *cg_model_style(const cg_model *m, int i)
{
    return i >= 0 && i < m->n_styles ? &m->styles[i] : NULL;
}

int cg_model_find_style(const cg_model *m, const char *name)
{
    for (int i = 0; i < m->n_styles; i++)
        if (strcmp(m->styles[i].name, name) == 0)
            return i;
    return -1;
}

int cg_model_identity_style(const cg_model *m)
{
    for (int i = 0; i < m->n_styles; i++)
        if (strcmp(m->styles[i].mode, "identity") == 0)
            return i;
    return -1;
}
