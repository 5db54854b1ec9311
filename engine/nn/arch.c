/* Parsing "comicgan.arch" JSON into a cg_arch, and writing it back canonically. */
#include "nn/nn.h"
#include "filters/stages.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const norm_names[] = {"none", "instance", "cond_instance", "adalin", "layer", "cond_affine"};
static const char *const act_names[] = {"relu", "leaky_relu"};
static const char *const up_names[] = {"nearest", "bilinear", "transposed"};
static const char *const attn_names[] = {"cam", "self", "cbam"};
static const char *const type_names[] = {"resnet", "unet", "patchgan", "style_encoder"};

#define COUNT(a) ((int)(sizeof(a) / sizeof *(a)))

const char *cg_arch_type_name(cg_arch_type t) { return type_names[t]; }
const char *cg_arch_norm_name(cg_arch_norm n) { return norm_names[n]; }
const char *cg_arch_attention_name(cg_arch_attention a) { return attn_names[a]; }

static int lookup(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static cg_status get_int(JsonObject *o, const char *key, int def, int lo, int hi, int *out, cg_error *err)
{
    if (!json_object_has_member(o, key)) {
        *out = def;
        return CG_OK;
    }
    JsonNode *n = json_object_get_member(o, key);
    if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_INT64)
        return cg_fail(err, CG_ERR_FORMAT, "arch: \"%s\" must be an integer", key);
    gint64 v = json_node_get_int(n);
    if (v < lo || v > hi)
        return cg_fail(err, CG_ERR_FORMAT, "arch: \"%s\" is %lld, must be in %d..%d", key, (long long)v, lo, hi);
    *out = (int)v;
    return CG_OK;
}

/* A number in [lo, hi), or (lo, hi] when above_lo; def when the key is absent. */
static cg_status get_float(JsonObject *o, const char *key, float def, double lo, double hi, bool above_lo, float *out,
                           cg_error *err)
{
    *out = def;
    if (!json_object_has_member(o, key))
        return CG_OK;
    JsonNode *n = json_object_get_member(o, key);
    GType t = JSON_NODE_TYPE(n) == JSON_NODE_VALUE ? json_node_get_value_type(n) : G_TYPE_INVALID;
    if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
        return cg_fail(err, CG_ERR_FORMAT, "arch: \"%s\" must be a number", key);
    double v = json_node_get_double(n);
    if (above_lo ? !(v > lo && v <= hi) : !(v >= lo && v < hi))
        return cg_fail(err, CG_ERR_FORMAT, "arch: \"%s\" must be in %s%g, %g%s", key, above_lo ? "(" : "[", lo, hi,
                       above_lo ? "]" : ")");
    *out = (float)v;
    return CG_OK;
}

/* A float written as the short decimal it was read from (0.2, not 0.200000003). */
static void add_float(JsonBuilder *b, const char *key, float v)
{
    char text[32];
    snprintf(text, sizeof text, "%.7g", v);
    json_builder_set_member_name(b, key);
    json_builder_add_double_value(b, g_ascii_strtod(text, NULL));
}

static cg_status get_bool(JsonObject *o, const char *key, bool *out, cg_error *err)
{
    if (!json_object_has_member(o, key)) {
        *out = false;
        return CG_OK;
    }
    JsonNode *n = json_object_get_member(o, key);
    if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
        return cg_fail(err, CG_ERR_FORMAT, "arch: \"%s\" must be true or false", key);
    *out = json_node_get_boolean(n);
    return CG_OK;
}

static cg_status get_enum(JsonObject *o, const char *key, int def, const char *const *names, int n, int *out,
                          cg_error *err)
{
    if (!json_object_has_member(o, key)) {
        *out = def;
        return CG_OK;
    }
    JsonNode *node = json_object_get_member(o, key);
    const char *s = JSON_NODE_TYPE(node) == JSON_NODE_VALUE && json_node_get_value_type(node) == G_TYPE_STRING
                        ? json_node_get_string(node)
                        : NULL;
    int v = s ? lookup(s, names, n) : -1;
    if (v < 0) {
        GString *choices = g_string_new(NULL);
        for (int i = 0; i < n; i++)
            g_string_append_printf(choices, "%s\"%s\"", i ? ", " : "", names[i]);
        cg_fail(err, CG_ERR_FORMAT, "arch: \"%s\" must be one of %s", key, choices->str);
        g_string_free(choices, TRUE);
        return CG_ERR_FORMAT;
    }
    *out = v;
    return CG_OK;
}

/* The arch's keys, besides a single post stage's (post_keys below). */
static const char *const known_keys[] = {"type", "in_channels", "out_channels", "width", "downsamples", "blocks",
                                         "norm", "styles", "activation", "slope", "upsample", "attention",
                                         "layers", "spectral_norm", "cam", "residual", "residual_blur",
                                         "residual_guided", "guided_radius", "guided_eps", "post", "code", "side",
                                         "load_side", "code_norm", "style_heads"};

/* The keys of one post stage: in the arch object itself when there is one
 * stage (so models written before stages came in lists read as they were),
 * in each object of "post" when there are several. */
static const char *const post_keys[] = {"post_kuwahara", "post_kuwahara_radius", "post_smooth", "post_smooth_radius",
                                        "post_smooth_eps", "post_bands", "post_band_width", "post_style"};

cg_arch_post cg_arch_post_defaults(void)
{
    return (cg_arch_post){.style = -1, .kuwahara_radius = 6.0f, .smooth_radius = 3, .smooth_eps = 0.01f,
                          .band_width = 0.3f};
}

static bool has_post_key(JsonObject *o)
{
    for (int i = 0; i < COUNT(post_keys); i++)
        if (json_object_has_member(o, post_keys[i]))
            return true;
    return false;
}

/* One stage from o's post keys; styles is the generator's style count. */
static cg_status parse_post(JsonObject *o, int styles, cg_arch_post *p, cg_error *err)
{
    cg_arch_post d = cg_arch_post_defaults();
    cg_status st;
    if ((st = get_int(o, "post_kuwahara", 0, 0, 4, &p->kuwahara, err)) ||
        (st = get_int(o, "post_smooth", 0, 0, 8, &p->smooth, err)) ||
        (st = get_int(o, "post_smooth_radius", d.smooth_radius, 1, 32, &p->smooth_radius, err)) ||
        (st = get_int(o, "post_bands", 0, 0, 32, &p->bands, err)) ||
        (st = get_int(o, "post_style", -1, -1, 63, &p->style, err)) ||
        (st = get_float(o, "post_kuwahara_radius", d.kuwahara_radius, 1, 32, false, &p->kuwahara_radius, err)) ||
        (st = get_float(o, "post_smooth_eps", d.smooth_eps, 0, 1, true, &p->smooth_eps, err)) ||
        (st = get_float(o, "post_band_width", d.band_width, 0, 1, true, &p->band_width, err)))
        return st;
    if (p->bands == 1)
        return cg_fail(err, CG_ERR_FORMAT, "arch: \"post_bands\" is 0 (none) or 2 to 32, not 1");
    if (!p->kuwahara && !p->smooth && !p->bands)
        return cg_fail(err, CG_ERR_FORMAT, "arch: a post stage%s needs post_kuwahara, post_smooth or post_bands",
                       p->style >= 0 ? " for \"post_style\"" : "");
    if (p->style >= styles)
        return cg_fail(err, CG_ERR_FORMAT, "arch: \"post_style\" %d needs a style of that index (%d styles)",
                       p->style, styles);
    return CG_OK;
}

/* The arch's post stages: its own post keys, or the objects of "post". */
static cg_status parse_posts(JsonObject *o, cg_arch *a, cg_error *err)
{
    const bool listed = json_object_has_member(o, "post");
    if (listed && has_post_key(o))
        return cg_fail(err, CG_ERR_FORMAT, "arch: post stages go in \"post\" or in the arch's own keys, not both");
    if (!listed && !has_post_key(o))
        return CG_OK;
    if (!listed) {
        a->n_post = 1;
        return parse_post(o, a->styles, &a->post[0], err);
    }
    JsonNode *n = json_object_get_member(o, "post");
    JsonArray *arr = JSON_NODE_TYPE(n) == JSON_NODE_ARRAY ? json_node_get_array(n) : NULL;
    if (!arr || json_array_get_length(arr) < 1 || json_array_get_length(arr) > CG_ARCH_MAX_POST)
        return cg_fail(err, CG_ERR_FORMAT, "arch: \"post\" must be a list of 1 to %d stages", CG_ARCH_MAX_POST);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonNode *e = json_array_get_element(arr, i);
        if (JSON_NODE_TYPE(e) != JSON_NODE_OBJECT)
            return cg_fail(err, CG_ERR_FORMAT, "arch: each \"post\" stage must be an object");
        JsonObject *stage = json_node_get_object(e);
        GList *members = json_object_get_members(stage);
        const char *unknown = NULL;
        for (GList *m = members; m && !unknown; m = m->next)
            if (lookup(m->data, post_keys, COUNT(post_keys)) < 0)
                unknown = m->data;
        cg_status st = unknown ? cg_fail(err, CG_ERR_FORMAT, "arch: unknown key \"%s\" in a post stage", unknown)
                               : parse_post(stage, a->styles, &a->post[a->n_post], err);
        g_list_free(members);
        if (st != CG_OK)
            return st;
        a->n_post++;
    }
    /* Several stages blend by their styles' weights: each has its own style. */
    for (int i = 0; a->n_post > 1 && i < a->n_post; i++) {
        bool shared = a->post[i].style < 0;
        for (int j = 0; j < i; j++)
            shared |= a->post[j].style == a->post[i].style;
        if (shared)
            return cg_fail(err, CG_ERR_FORMAT, "arch: several post stages need a \"post_style\" each, all different");
    }
    return CG_OK;
}

cg_status cg_arch_parse(const char *json, cg_arch *a, cg_error *err)
{
    memset(a, 0, sizeof *a);
    if (!json)
        return cg_fail(err, CG_ERR_FORMAT, "arch: missing");
    JsonParser *parser = json_parser_new();
    GError *gerr = NULL;
    cg_status st = CG_OK;
    if (!json_parser_load_from_data(parser, json, -1, &gerr)) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: not valid JSON: %s", gerr->message);
        g_error_free(gerr);
        goto out;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || JSON_NODE_TYPE(root) != JSON_NODE_OBJECT) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: must be a JSON object");
        goto out;
    }
    JsonObject *o = json_node_get_object(root);
    GList *members = json_object_get_members(o);
    for (GList *m = members; m; m = m->next)
        if (lookup(m->data, known_keys, COUNT(known_keys)) < 0 && lookup(m->data, post_keys, COUNT(post_keys)) < 0) {
            st = cg_fail(err, CG_ERR_FORMAT, "arch: unknown key \"%s\"", (const char *)m->data);
            break;
        }
    g_list_free(members);
    if (st != CG_OK)
        goto out;
    if (!json_object_has_member(o, "type")) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: \"type\" is required");
        goto out;
    }
    int type = 0, norm = 0, act = 0, up = 0;
    if ((st = get_enum(o, "type", 0, type_names, COUNT(type_names), &type, err)) != CG_OK)
        goto out;
    a->type = (cg_arch_type)type;
    bool gen = a->type == CG_ARCH_RESNET || a->type == CG_ARCH_UNET;
    bool enc = a->type == CG_ARCH_ENCODER;
    if ((st = get_int(o, "in_channels", 3, 1, 16, &a->in_channels, err)) ||
        (st = get_int(o, "out_channels", 3, 1, 16, &a->out_channels, err)) ||
        (st = get_int(o, "width", gen || enc ? 32 : 64, 1, 1024, &a->width, err)) ||
        (st = get_int(o, "downsamples", 2, 0, 6, &a->downsamples, err)) ||
        (st = get_int(o, "blocks", a->type == CG_ARCH_RESNET ? 4 : 0, 0, 64, &a->blocks, err)) ||
        (st = get_int(o, "styles", 1, 1, 64, &a->styles, err)) ||
        (st = get_int(o, "layers", enc ? 4 : 3, 1, 8, &a->layers, err)) ||
        (st = get_int(o, "code", 8, 1, 63, &a->code, err)) ||
        (st = get_int(o, "side", 128, 16, 1024, &a->side, err)) ||
        (st = get_int(o, "load_side", 0, 0, 4096, &a->load_side, err)) ||
        (st = get_int(o, "residual_blur", 0, 0, 64, &a->residual_blur, err)) ||
        (st = get_int(o, "residual_guided", 0, 0, 8, &a->residual_guided, err)) ||
        (st = get_int(o, "guided_radius", 4, 1, 32, &a->guided_radius, err)) ||
        (st = get_enum(o, "norm", enc ? CG_NORM_NONE : CG_NORM_INSTANCE, norm_names, COUNT(norm_names), &norm, err)) ||
        (st = get_enum(o, "activation", CG_ACT_LEAKY_RELU, act_names, COUNT(act_names), &act, err)) ||
        (st = get_enum(o, "upsample", CG_UP_NEAREST, up_names, COUNT(up_names), &up, err)) ||
        (st = get_bool(o, "spectral_norm", &a->spectral_norm, err)) || (st = get_bool(o, "cam", &a->cam, err)) ||
        (st = get_bool(o, "residual", &a->residual, err)) || (st = get_bool(o, "style_heads", &a->style_heads, err)) ||
        (st = get_bool(o, "code_norm", &a->code_norm, err)))
        goto out;
    a->norm = (cg_arch_norm)norm;
    a->activation = (cg_arch_activation)act;
    a->upsample = (cg_arch_upsample)up;
    if ((st = get_float(o, "slope", 0.2f, 0, 1, false, &a->slope, err)) ||
        (st = get_float(o, "guided_eps", 0.01f, 0, 1, true, &a->guided_eps, err)) ||
        (st = parse_posts(o, a, err)))
        goto out;
    if (json_object_has_member(o, "attention")) {
        JsonNode *n = json_object_get_member(o, "attention");
        if (JSON_NODE_TYPE(n) != JSON_NODE_ARRAY) {
            st = cg_fail(err, CG_ERR_FORMAT, "arch: \"attention\" must be a list");
            goto out;
        }
        JsonArray *arr = json_node_get_array(n);
        guint len = json_array_get_length(arr);
        if (len > CG_ARCH_MAX_ATTENTION) {
            st = cg_fail(err, CG_ERR_FORMAT, "arch: at most %d attention blocks", CG_ARCH_MAX_ATTENTION);
            goto out;
        }
        for (guint i = 0; i < len; i++) {
            JsonNode *e = json_array_get_element(arr, i);
            const char *s = JSON_NODE_TYPE(e) == JSON_NODE_VALUE && json_node_get_value_type(e) == G_TYPE_STRING
                                ? json_node_get_string(e)
                                : NULL;
            int v = s ? lookup(s, attn_names, COUNT(attn_names)) : -1;
            if (v < 0) {
                st = cg_fail(err, CG_ERR_FORMAT, "arch: attention entries must be \"cam\", \"self\" or \"cbam\"");
                goto out;
            }
            a->attention[a->n_attention++] = (cg_arch_attention)v;
        }
    }
    if (enc && a->norm != CG_NORM_NONE) {
        /* A reference's feature statistics are its style: normalising them away would blind the encoder. */
        st = cg_fail(err, CG_ERR_FORMAT, "arch: a style_encoder takes no norm (\"none\")");
        goto out;
    }
    if (!enc && (json_object_has_member(o, "code") || json_object_has_member(o, "side") ||
                 json_object_has_member(o, "load_side") || json_object_has_member(o, "code_norm"))) {
        st = cg_fail(err, CG_ERR_FORMAT,
                     "arch: \"code\", \"side\", \"load_side\" and \"code_norm\" are for a style_encoder");
        goto out;
    }
    if (cg_arch_norm_per_style(a->norm) && !gen) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: %s norm is for generators", norm_names[a->norm]);
        goto out;
    }
    if (a->style_heads && !gen) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: \"style_heads\" is for generators");
        goto out;
    }
    if (a->residual && (!gen || a->in_channels != a->out_channels)) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: \"residual\" needs a generator with as many output channels as input");
        goto out;
    }
    if ((a->residual_blur || a->residual_guided) && !a->residual) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: \"%s\" needs \"residual\": true",
                     a->residual_blur ? "residual_blur" : "residual_guided");
        goto out;
    }
    if (a->residual_blur && a->residual_guided) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: \"residual_blur\" and \"residual_guided\" are two bases; give one");
        goto out;
    }
    if (a->residual_guided && a->in_channels != 3) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: \"residual_guided\" needs 3 channels, not %d", a->in_channels);
        goto out;
    }
    if (cg_arch_has_post(a) && (!gen || a->out_channels != 3)) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: a post stage needs a generator with 3 output channels");
        goto out;
    }
    if ((int64_t)a->width << (gen ? a->downsamples : a->layers) > 4096) {
        st = cg_fail(err, CG_ERR_FORMAT, "arch: width %d doubled %d times is too wide", a->width,
                     gen ? a->downsamples : a->layers);
        goto out;
    }
out:
    g_object_unref(parser);
    return st;
}

/* A post stage's keys, the settings of each part it has. */
static void add_post(JsonBuilder *b, const cg_arch_post *p)
{
#define INT(k, v) (json_builder_set_member_name(b, k), json_builder_add_int_value(b, v))
    if (p->kuwahara) {
        INT("post_kuwahara", p->kuwahara);
        add_float(b, "post_kuwahara_radius", p->kuwahara_radius);
    }
    if (p->smooth) {
        INT("post_smooth", p->smooth);
        INT("post_smooth_radius", p->smooth_radius);
        add_float(b, "post_smooth_eps", p->smooth_eps);
    }
    if (p->bands) {
        INT("post_bands", p->bands);
        add_float(b, "post_band_width", p->band_width);
    }
    if (p->style >= 0)
        INT("post_style", p->style);
#undef INT
}

char *cg_arch_to_json(const cg_arch *a)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, type_names[a->type]);
#define INT(k, v) (json_builder_set_member_name(b, k), json_builder_add_int_value(b, v))
    INT("in_channels", a->in_channels);
    INT("width", a->width);
    json_builder_set_member_name(b, "norm");
    json_builder_add_string_value(b, norm_names[a->norm]);
    json_builder_set_member_name(b, "activation");
    json_builder_add_string_value(b, act_names[a->activation]);
    add_float(b, "slope", a->slope);
    if (a->type == CG_ARCH_ENCODER) {
        INT("layers", a->layers);
        INT("code", a->code);
        INT("side", a->side);
        if (a->load_side)
            INT("load_side", a->load_side);
        if (a->code_norm) {
            json_builder_set_member_name(b, "code_norm");
            json_builder_add_boolean_value(b, true);
        }
    } else if (a->type != CG_ARCH_PATCHGAN) {
        INT("out_channels", a->out_channels);
        INT("downsamples", a->downsamples);
        INT("blocks", a->blocks);
        INT("styles", a->styles);
        json_builder_set_member_name(b, "upsample");
        json_builder_add_string_value(b, up_names[a->upsample]);
        json_builder_set_member_name(b, "attention");
        json_builder_begin_array(b);
        for (int i = 0; i < a->n_attention; i++)
            json_builder_add_string_value(b, attn_names[a->attention[i]]);
        json_builder_end_array(b);
        if (a->residual) { /* written only when set, so older models keep their arch text */
            json_builder_set_member_name(b, "residual");
            json_builder_add_boolean_value(b, true);
        }
        if (a->style_heads) {
            json_builder_set_member_name(b, "style_heads");
            json_builder_add_boolean_value(b, true);
        }
        if (a->residual_blur)
            INT("residual_blur", a->residual_blur);
        if (a->residual_guided) {
            INT("residual_guided", a->residual_guided);
            INT("guided_radius", a->guided_radius);
            add_float(b, "guided_eps", a->guided_eps);
        }
        if (a->n_post == 1)
            add_post(b, &a->post[0]);
        if (a->n_post > 1) {
            json_builder_set_member_name(b, "post");
            json_builder_begin_array(b);
            for (int i = 0; i < a->n_post; i++) {
                json_builder_begin_object(b);
                add_post(b, &a->post[i]);
                json_builder_end_object(b);
            }
            json_builder_end_array(b);
        }
    } else {
        INT("layers", a->layers);
        json_builder_set_member_name(b, "spectral_norm");
        json_builder_add_boolean_value(b, a->spectral_norm);
        json_builder_set_member_name(b, "cam");
        json_builder_add_boolean_value(b, a->cam);
    }
#undef INT
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

void cg_arch_guided_base(const cg_arch *a, const float *x, int64_t n, int64_t h, int64_t w, float *out,
                         float *scratch)
{
    /* The network sees [-1, 1]; the filter, like the teacher's, works in
     * [0, 1], where eps is a variance of 8-bit-scaled colour. */
    const int64_t plane = h * w;
    for (int64_t i = 0; i < 3 * n * plane; i++)
        out[i] = 0.5f * x[i] + 0.5f;
    for (int64_t i = 0; i < n; i++) {
        float *p[3] = {out + (3 * i) * plane, out + (3 * i + 1) * plane, out + (3 * i + 2) * plane};
        const float *src[3] = {p[0], p[1], p[2]};
        for (int pass = 0; pass < a->residual_guided; pass++)
            cgf_guided_color(src, p, 1, scratch, (int)w, (int)h, a->guided_radius, a->guided_eps);
    }
    for (int64_t i = 0; i < 3 * n * plane; i++)
        out[i] = 2.0f * out[i] - 1.0f;
}

bool cg_arch_has_post(const cg_arch *a)
{
    return a->n_post > 0;
}

/* How much of stage p's change a picture with these style weights gets. */
static float post_weight(const cg_arch_post *p, const float *style_weights)
{
    if (p->style < 0)
        return 1.0f;
    float f = style_weights ? style_weights[p->style] : (p->style == 0);
    return f < 0 ? 0.0f : f > 1 ? 1.0f : f;
}

/* The Kuwahara filter of a post stage: the painted teacher's, at its radius. */
static cg_kuwahara_params post_kuwahara_params(const cg_arch_post *p)
{
    cg_kuwahara_params k = cg_kuwahara_defaults();
    k.radius = p->kuwahara_radius;
    return k;
}

int cg_arch_post_radius(const cg_arch *a)
{
    int far = 0;
    for (int i = 0; i < a->n_post; i++) {
        const cg_arch_post *p = &a->post[i];
        cg_kuwahara_params k = post_kuwahara_params(p);
        int r = 2 * p->smooth_radius * p->smooth + cgf_kuwahara_reach(&k) * p->kuwahara;
        far = r > far ? r : far;
    }
    return far;
}

int cg_arch_guided_passes(const cg_arch *a)
{
    int passes = a->residual_blur ? 0 : a->residual_guided;
    for (int i = 0; i < a->n_post; i++)
        passes += a->post[i].smooth;
    return passes;
}

/* The stage's Kuwahara passes over planes p (in [0, 1]), through an RGBA
 * image as the filter takes it. */
static cg_status kuwahara_planes(const cg_arch_post *post, float *p[3], int64_t h, int64_t w, cg_error *err)
{
    cg_image *img = cg_image_new((int)w, (int)h, err);
    if (!img)
        return err->code;
    const int64_t plane = h * w;
    for (int64_t k = 0; k < plane; k++) {
        for (int c = 0; c < 3; c++)
            img->pixels[4 * k + c] = p[c][k];
        img->pixels[4 * k + 3] = 1.0f;
    }
    cg_kuwahara_params kp = post_kuwahara_params(post);
    cg_status st = CG_OK;
    for (int pass = 0; pass < post->kuwahara && st == CG_OK; pass++)
        st = cg_filter_kuwahara(img, img, &kp, err);
    for (int64_t k = 0; k < plane && st == CG_OK; k++)
        for (int c = 0; c < 3; c++)
            p[c][k] = img->pixels[4 * k + c];
    cg_image_free(img);
    return st;
}

/* Where a luma lands: on the level of its band, except within width/2 of a
 * boundary, where a straight ramp joins the two levels, so a slow gradient
 * becomes flat steps without a jagged edge between them. The levels run from
 * black to white (band k of n at k / (n - 1)), so ink stays ink and paper paper. */
static float band_luma(float luma, int bands, float width)
{
    float t = (luma < 0 ? 0 : luma > 1 ? 1 : luma) * bands;
    float m = floorf(t + 0.5f), d = t - m; /* the nearest boundary and how far off */
    float k = floorf(t < bands ? t : t - 1);
    if (m > 0 && m < bands && fabsf(d) < 0.5f * width)
        k = m - 0.5f + d / width;
    return k / (bands - 1);
}

/* Stage p on the 3 planes at y (values in [-1, 1]), in place. */
static cg_status run_post(const cg_arch_post *post, float *y, int64_t h, int64_t w, float *scratch, cg_error *err)
{
    /* In [0, 1] colour units, as the guided base; eps is a variance there. */
    const int64_t plane = h * w;
    for (int64_t i = 0; i < 3 * plane; i++)
        y[i] = 0.5f * y[i] + 0.5f;
    float *p[3] = {y, y + plane, y + 2 * plane};
    const float *src[3] = {p[0], p[1], p[2]};
    cg_status st = post->kuwahara ? kuwahara_planes(post, p, h, w, err) : CG_OK;
    for (int pass = 0; pass < post->smooth && st == CG_OK; pass++)
        cgf_guided_color(src, p, 1, scratch, (int)w, (int)h, post->smooth_radius, post->smooth_eps);
    if (post->bands && st == CG_OK)
        for (int64_t k = 0; k < plane; k++) {
            /* The same shift on R, G and B moves luma and keeps B - Y and R - Y. */
            float luma = 0.299f * p[0][k] + 0.587f * p[1][k] + 0.114f * p[2][k];
            float shift = band_luma(luma, post->bands, post->band_width) - luma;
            for (int c = 0; c < 3; c++)
                p[c][k] += shift;
        }
    for (int64_t i = 0; i < 3 * plane; i++)
        y[i] = 2.0f * y[i] - 1.0f;
    return st;
}

cg_status cg_arch_post_apply(const cg_arch *a, float *y, int64_t h, int64_t w, const float *style_weights,
                             float *scratch, cg_error *err)
{
    const int64_t n = 3 * h * w;
    float *kept = scratch + CG_ARCH_GUIDED_SCRATCH * h * w, *work = kept + n;
    int active = 0, whole = -1;
    for (int i = 0; i < a->n_post; i++)
        if (post_weight(&a->post[i], style_weights) > 0) {
            active++;
            whole = post_weight(&a->post[i], style_weights) == 1 ? i : -1;
        }
    /* One stage at full weight replaces the output outright. */
    if (active == 1 && whole >= 0)
        return run_post(&a->post[whole], y, h, w, scratch, err);
    if (!active)
        return CG_OK;
    memcpy(kept, y, (size_t)n * sizeof(float));
    for (int i = 0; i < a->n_post; i++) {
        const float f = post_weight(&a->post[i], style_weights);
        if (f <= 0)
            continue;
        memcpy(work, kept, (size_t)n * sizeof(float));
        cg_status st = run_post(&a->post[i], work, h, w, scratch, err);
        if (st != CG_OK)
            return st;
        for (int64_t k = 0; k < n; k++)
            y[k] += f * (work[k] - kept[k]);
    }
    return CG_OK;
}
