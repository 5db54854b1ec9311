/* comicgan-bridge — parsing request headers (PROTOCOL.md).
 *
 * The bytes come from another process and are trusted for nothing: lengths
 * are checked against fixed limits before anything is sized from them, and
 * every member is checked for its JSON type and range. */
#include "protocol.h"

#include "comicgan/stylize.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

/* json-glib parses recursively; a header nested deeper than any real one
 * would otherwise let a few kilobytes of brackets exhaust the stack. */
#define MAX_NESTING 8

static const char *const type_names[] = {
    [CGB_HELLO] = "hello",
    [CGB_LIST_STYLES] = "list-styles",
    [CGB_STYLIZE] = "stylize",
    [CGB_STYLIZE_FRAMES] = "stylize-frames",
    [CGB_ATTENTION] = "attention",
    [CGB_CANCEL] = "cancel",
    [CGB_ANIMATION] = "animation",
    [CGB_ANIMATION_FRAME] = "animation-frame",
    [CGB_ANIMATION_END] = "animation-end",
};

static const char *const depth_names[] = {
    [CGB_U8] = "U8", [CGB_U16] = "U16", [CGB_F16] = "F16", [CGB_F32] = "F32",
};

const char *cgb_type_name(cgb_type t)
{
    return (unsigned)t < G_N_ELEMENTS(type_names) ? type_names[t] : "?";
}

const char *cgb_depth_name(cgb_depth d)
{
    return (unsigned)d < G_N_ELEMENTS(depth_names) ? depth_names[d] : "?";
}

size_t cgb_depth_bytes(cgb_depth d)
{
    switch (d) {
    case CGB_U8: return 4;
    case CGB_U16: return 8;
    case CGB_F16: return 8;
    case CGB_F32: return 16;
    }
    return 0;
}

const char *cgb_status_code(cg_status s)
{
    switch (s) {
    case CG_OK: return "ok";
    case CG_ERR_INVALID: return "invalid";
    case CG_ERR_NOMEM: return "memory";
    case CG_ERR_IO: return "io";
    case CG_ERR_FORMAT: return "format";
    case CG_ERR_UNSUPPORTED: return "unsupported";
    case CG_ERR_CANCELLED: return "cancelled";
    case CG_ERR_NUMERIC: return "numeric";
    }
    return "invalid";
}

void cgb_write_preamble(uint8_t out[CGB_PREAMBLE], uint32_t header_len)
{
    memcpy(out, CGB_MAGIC, 4);
    for (int i = 0; i < 4; i++)
        out[4 + i] = (uint8_t)(header_len >> (8 * i));
}

cg_status cgb_parse_preamble(const uint8_t preamble[CGB_PREAMBLE], uint32_t *header_len,
                             const char **code, cg_error *err)
{
    if (memcmp(preamble, CGB_MAGIC, 4) != 0) {
        *code = "protocol";
        return cg_fail(err, CG_ERR_FORMAT, "frame does not start with the magic \"" CGB_MAGIC "\"");
    }
    uint32_t len = 0;
    for (int i = 0; i < 4; i++)
        len |= (uint32_t)preamble[4 + i] << (8 * i);
    if (len < 2) {
        *code = "protocol";
        return cg_fail(err, CG_ERR_FORMAT, "header length %u is too short for a JSON object", len);
    }
    if (len > CGB_MAX_HEADER) {
        *code = "too-large";
        return cg_fail(err, CG_ERR_FORMAT, "header length %u is over the limit of %d bytes", len,
                       CGB_MAX_HEADER);
    }
    *header_len = len;
    return CG_OK;
}

/* ---- reading members ---------------------------------------------------- */

/* Each getter returns false after filling err; `found` says whether the
 * member was there, so optional members keep their defaults. */

static JsonNode *member(JsonObject *o, const char *name)
{
    return json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
}

static bool is_integer(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64;
}

static bool is_number(JsonNode *n)
{
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return false;
    GType t = json_node_get_value_type(n);
    return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

static bool get_int(JsonObject *o, const char *name, int64_t lo, int64_t hi, bool required, int64_t *out,
                    cg_error *err)
{
    JsonNode *n = member(o, name);
    if (!n) {
        if (required)
            cg_fail(err, CG_ERR_FORMAT, "the header has no \"%s\"", name);
        return !required;
    }
    if (!is_integer(n)) {
        cg_fail(err, CG_ERR_FORMAT, "\"%s\" must be an integer", name);
        return false;
    }
    int64_t v = json_node_get_int(n);
    if (v < lo || v > hi) {
        cg_fail(err, CG_ERR_INVALID, "\"%s\" must be in %" G_GINT64_FORMAT " … %" G_GINT64_FORMAT
                " (got %" G_GINT64_FORMAT ")", name, lo, hi, v);
        return false;
    }
    *out = v;
    return true;
}

static bool get_float(JsonObject *o, const char *name, double lo, double hi, float *out, cg_error *err)
{
    JsonNode *n = member(o, name);
    if (!n)
        return true;
    if (!is_number(n)) {
        cg_fail(err, CG_ERR_FORMAT, "\"%s\" must be a number", name);
        return false;
    }
    double v = json_node_get_value_type(n) == G_TYPE_INT64 ? (double)json_node_get_int(n)
                                                           : json_node_get_double(n);
    if (!(v >= lo && v <= hi)) {
        cg_fail(err, CG_ERR_INVALID, "\"%s\" must be in %g … %g (got %g)", name, lo, hi, v);
        return false;
    }
    *out = (float)v;
    return true;
}

static bool get_bool(JsonObject *o, const char *name, bool *out, cg_error *err)
{
    JsonNode *n = member(o, name);
    if (!n)
        return true;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
        cg_fail(err, CG_ERR_FORMAT, "\"%s\" must be true or false", name);
        return false;
    }
    *out = json_node_get_boolean(n);
    return true;
}

/* A string member, or NULL (err filled) when present but not a string. */
static const char *get_string(JsonObject *o, const char *name, bool required, cg_error *err)
{
    JsonNode *n = member(o, name);
    if (!n) {
        if (required)
            cg_fail(err, CG_ERR_FORMAT, "the header has no \"%s\"", name);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
        cg_fail(err, CG_ERR_FORMAT, "\"%s\" must be a string", name);
        return NULL;
    }
    return json_node_get_string(n);
}

/* Style and attention point names, as model.h defines them: [a-z0-9_-]+,
 * with '.' for attention points such as "cbam.channel". */
static bool copy_name(char dst[CGB_NAME_MAX], const char *src, const char *what, cg_error *err)
{
    size_t len = strlen(src);
    if (len == 0 || len >= CGB_NAME_MAX) {
        cg_fail(err, CG_ERR_INVALID, "%s must be 1 to %d characters long", what, CGB_NAME_MAX - 1);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) {
            cg_fail(err, CG_ERR_INVALID, "%s may hold only a-z, 0-9, '_', '-' and '.'", what);
            return false;
        }
    }
    memcpy(dst, src, len + 1);
    return true;
}

/* ---- the image requests ------------------------------------------------- */

static bool parse_size(JsonObject *o, cgb_size *s, const char **code, cg_error *err)
{
    static const char *const names[2] = {"width", "height"};
    int64_t v[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        *code = "protocol";
        if (!get_int(o, names[i], INT64_MIN, INT64_MAX, true, &v[i], err))
            return false;
        if (v[i] < 1 || v[i] > CGB_MAX_SIDE) {
            *code = v[i] < 1 ? "invalid" : "too-large";
            cg_fail(err, CG_ERR_INVALID, "\"%s\" must be in 1 … %d (got %" G_GINT64_FORMAT ")", names[i],
                    CGB_MAX_SIDE, v[i]);
            return false;
        }
    }
    s->width = (int)v[0];
    s->height = (int)v[1];
    return true;
}

static cg_status parse_sizes(JsonObject *o, cgb_request *r, const char **code, cg_error *err)
{
    if (r->type == CGB_ANIMATION)
        return CG_OK;
    if (r->type != CGB_STYLIZE_FRAMES) {
        r->n_frames = 1;
        if (!parse_size(o, &r->frames[0], code, err))
            return err->code;
        if ((uint64_t)r->frames[0].width * (uint64_t)r->frames[0].height > CGB_MAX_PIXELS) {
            *code = "too-large";
            return cg_fail(err, CG_ERR_INVALID, "%d x %d pixels is over the limit of %" G_GUINT64_FORMAT,
                           r->frames[0].width, r->frames[0].height, CGB_MAX_PIXELS);
        }
        return CG_OK;
    }
    JsonNode *n = member(o, "frames");
    if (!n || !JSON_NODE_HOLDS_ARRAY(n)) {
        *code = "protocol";
        return cg_fail(err, CG_ERR_FORMAT, "\"frames\" must be a list of {\"width\", \"height\"}");
    }
    JsonArray *a = json_node_get_array(n);
    guint count = json_array_get_length(a);
    if (count < 1 || count > CGB_MAX_FRAMES) {
        *code = count < 1 ? "invalid" : "too-large";
        return cg_fail(err, CG_ERR_INVALID, "\"frames\" must list 1 to %d frames (got %u)", CGB_MAX_FRAMES,
                       count);
    }
    uint64_t pixels = 0;
    for (guint i = 0; i < count; i++) {
        JsonNode *f = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_OBJECT(f)) {
            *code = "protocol";
            return cg_fail(err, CG_ERR_FORMAT, "frame %u must be an object {\"width\", \"height\"}", i);
        }
        if (!parse_size(json_node_get_object(f), &r->frames[i], code, err))
            return cg_error_prefix(err, "frame %u", i);
        pixels += (uint64_t)r->frames[i].width * (uint64_t)r->frames[i].height;
    }
    if (pixels > CGB_MAX_PIXELS) {
        *code = "too-large";
        return cg_fail(err, CG_ERR_INVALID, "the frames hold %" G_GUINT64_FORMAT " pixels, over the limit of %"
                       G_GUINT64_FORMAT, pixels, CGB_MAX_PIXELS);
    }
    r->n_frames = (int)count;
    return CG_OK;
}

/* The members "depth" and "transfer" of o into *d and *linear; a missing
 * one keeps what they hold unless required. */
static cg_status parse_depth(JsonObject *o, bool required, cgb_depth *d, bool *linear, const char **code,
                             cg_error *err)
{
    *code = "protocol";
    const char *depth = get_string(o, "depth", required, err);
    if (!depth && err->code != CG_OK)
        return err->code;
    size_t i;
    for (i = 0; depth && i < G_N_ELEMENTS(depth_names); i++)
        if (strcmp(depth, depth_names[i]) == 0)
            break;
    if (depth && i == G_N_ELEMENTS(depth_names)) {
        *code = "unsupported";
        return cg_fail(err, CG_ERR_UNSUPPORTED, "channel depth \"%.16s\" is not supported (U8, U16, F16 or F32)",
                       depth);
    }
    if (depth)
        *d = (cgb_depth)i;
    const char *transfer = get_string(o, "transfer", false, err);
    if (!transfer && err->code != CG_OK)
        return err->code;
    if (transfer && strcmp(transfer, "linear") != 0 && strcmp(transfer, "srgb") != 0) {
        *code = "invalid";
        return cg_fail(err, CG_ERR_INVALID, "\"transfer\" must be \"srgb\" or \"linear\"");
    }
    if (transfer)
        *linear = strcmp(transfer, "linear") == 0;
    return CG_OK;
}

static cg_status parse_layout(JsonObject *o, cgb_request *r, const char **code, cg_error *err)
{
    *code = "protocol";
    const char *model = get_string(o, "color_model", true, err);
    if (!model)
        return err->code;
    if (!get_string(o, "depth", true, err))
        return err->code;
    if (strcmp(model, "RGBA") != 0) {
        *code = "unsupported";
        return cg_fail(err, CG_ERR_UNSUPPORTED,
                       "%s layers are not supported: convert the layer or image to RGB/Alpha first "
                       "(Image > Convert Image Color Space)", strcmp(model, "GRAYA") == 0 ? "gray" : "this colour model's");
    }
    return parse_depth(o, true, &r->depth, &r->linear, code, err);
}

static cg_status parse_style(JsonObject *o, cgb_request *r, const char **code, cg_error *err)
{
    *code = "protocol";
    JsonNode *mix = member(o, "mix");
    if (!mix) {
        const char *style = get_string(o, "style", true, err);
        if (!style)
            return err->code;
        *code = "invalid";
        return copy_name(r->style, style, "a style name", err) ? CG_OK : err->code;
    }
    if (!JSON_NODE_HOLDS_OBJECT(mix))
        return cg_fail(err, CG_ERR_FORMAT, "\"mix\" must be an object of style name: weight");
    JsonObject *m = json_node_get_object(mix);
    guint count = json_object_get_size(m);
    *code = "invalid";
    if (count < 1 || count > CGB_MAX_MIX)
        return cg_fail(err, CG_ERR_INVALID, "\"mix\" must name 1 to %d styles", CGB_MAX_MIX);
    GList *names = json_object_get_members(m);
    float total = 0.0f;
    int i = 0;
    for (GList *l = names; l; l = l->next, i++) {
        cgb_mix_entry *e = &r->mix[i];
        if (!copy_name(e->name, l->data, "a style name in \"mix\"", err) ||
            !get_float(m, l->data, 0.0, 1e6, &e->weight, err))
            break;
        total += e->weight;
    }
    g_list_free(names);
    if (err->code != CG_OK) {
        *code = err->code == CG_ERR_FORMAT ? "protocol" : "invalid";
        return err->code;
    }
    if (!(total > 0.0f))
        return cg_fail(err, CG_ERR_INVALID, "the \"mix\" weights must not all be 0");
    r->n_mix = (int)count;
    return CG_OK;
}

/* A stylize request's reference picture or style code (version 4). Its
 * use (the style takes one, the session speaks version 4) is the bridge's
 * to check. */
static cg_status parse_reference(JsonObject *o, cgb_request *r, const char **code, cg_error *err)
{
    JsonNode *ref = member(o, "reference"), *values = member(o, "style_code");
    *code = "invalid";
    if ((ref || values) && r->type != CGB_STYLIZE)
        return cg_fail(err, CG_ERR_INVALID, "only a stylize request takes a reference picture or a style code");
    if (ref && values)
        return cg_fail(err, CG_ERR_INVALID, "give \"reference\" or \"style_code\", not both");
    if (ref) {
        if (!JSON_NODE_HOLDS_OBJECT(ref)) {
            *code = "protocol";
            return cg_fail(err, CG_ERR_FORMAT, "\"reference\" must be an object {\"width\", \"height\"}");
        }
        JsonObject *ro = json_node_get_object(ref);
        r->reference_depth = r->depth;
        r->reference_linear = r->linear;
        if (!parse_size(ro, &r->reference, code, err) ||
            parse_depth(ro, false, &r->reference_depth, &r->reference_linear, code, err) != CG_OK)
            return cg_error_prefix(err, "the reference picture");
        if ((uint64_t)r->reference.width * (uint64_t)r->reference.height > CGB_MAX_PIXELS) {
            *code = "too-large";
            return cg_fail(err, CG_ERR_INVALID, "the reference picture's %d x %d pixels are over the limit of %"
                           G_GUINT64_FORMAT, r->reference.width, r->reference.height, CGB_MAX_PIXELS);
        }
        r->has_reference = true;
    }
    if (values) {
        *code = "protocol";
        if (!JSON_NODE_HOLDS_ARRAY(values))
            return cg_fail(err, CG_ERR_FORMAT, "\"style_code\" must be a list of numbers");
        JsonArray *a = json_node_get_array(values);
        guint n = json_array_get_length(a);
        if (n < 1 || n > CGB_MAX_CODE) {
            *code = n < 1 ? "invalid" : "too-large";
            return cg_fail(err, CG_ERR_INVALID, "\"style_code\" must hold 1 to %d values (got %u)", CGB_MAX_CODE, n);
        }
        for (guint i = 0; i < n; i++) {
            JsonNode *v = json_array_get_element(a, i);
            if (!is_number(v))
                return cg_fail(err, CG_ERR_FORMAT, "value %u of \"style_code\" is not a number", i);
            r->code[i] = json_node_get_value_type(v) == G_TYPE_INT64 ? (float)json_node_get_int(v)
                                                                     : (float)json_node_get_double(v);
        }
        r->code_length = (int)n;
    }
    return CG_OK;
}

/* An animation's frame carries its size, layout and mask; the rest comes
 * from the animation request. */
static cg_status parse_animation_frame(JsonObject *o, cgb_request *r, const char **code, cg_error *err)
{
    cg_status s;
    if ((s = parse_sizes(o, r, code, err)) != CG_OK || (s = parse_layout(o, r, code, err)) != CG_OK)
        return s;
    int64_t animation = -1, index = -1;
    if (!get_int(o, "animation", 0, G_MAXINT32, true, &animation, err) ||
        !get_int(o, "index", 0, CGB_MAX_ANIMATION - 1, true, &index, err) || !get_bool(o, "mask", &r->mask, err)) {
        *code = err->code == CG_ERR_FORMAT ? "protocol" : "invalid";
        return err->code;
    }
    r->animation = animation;
    r->index = (int)index;
    return CG_OK;
}

static cg_status parse_image_request(JsonObject *o, cgb_request *r, const char **code, cg_error *err)
{
    cg_status s;
    if ((s = parse_sizes(o, r, code, err)) != CG_OK || (s = parse_layout(o, r, code, err)) != CG_OK ||
        (s = parse_style(o, r, code, err)) != CG_OK || (s = parse_reference(o, r, code, err)) != CG_OK)
        return s;
    if (r->type == CGB_ANIMATION) {
        int64_t count = 0;
        *code = "protocol";
        if (!get_int(o, "count", INT64_MIN, INT64_MAX, true, &count, err))
            return err->code;
        if (count < 1 || count > CGB_MAX_ANIMATION) {
            *code = count < 1 ? "invalid" : "too-large";
            return cg_fail(err, CG_ERR_INVALID, "\"count\" must be in 1 … %d (got %" G_GINT64_FORMAT ")",
                           CGB_MAX_ANIMATION, count);
        }
        r->count = (int)count;
    }
    int64_t tile = 0, point = -1, budget = 0;
    bool ok = get_float(o, "strength", 0.0, 1.0, &r->strength, err) &&
              get_bool(o, "keep_colors", &r->keep_colors, err) &&
              get_int(o, "tile", 0, 4096, false, &tile, err) &&
              get_int(o, "memory_budget", 0, CG_STYLIZE_MAX_MEMORY_BUDGET_MIB, false, &budget, err) &&
              get_float(o, "line_weight", -1.0, 1.0, &r->line_weight, err) &&
              get_float(o, "denoise", 0.0, 1.0, &r->denoise, err) &&
              get_float(o, "contrast", 0.5, 2.0, &r->contrast, err) &&
              get_bool(o, "mask", &r->mask, err);
    r->tile = (int)tile;
    r->memory_budget = (int)budget;
    JsonNode *scale = member(o, "scale");
    if (ok && scale && JSON_NODE_HOLDS_VALUE(scale) && json_node_get_value_type(scale) == G_TYPE_STRING) {
        r->scale_auto = strcmp(json_node_get_string(scale), "auto") == 0;
        if (!r->scale_auto) {
            cg_fail(err, CG_ERR_INVALID, "\"scale\" must be a number or \"auto\"");
            ok = false;
        }
    } else if (ok && scale) {
        ok = get_float(o, "scale", 0.0, 4.0, &r->scale, err);
        if (ok && r->scale != 0 && r->scale < 1.0f / 64) {
            cg_fail(err, CG_ERR_INVALID, "\"scale\" must be 0 or in 1/64 … 4 (got %g)", (double)r->scale);
            ok = false;
        }
    }
    if (ok && r->type == CGB_ATTENTION) {
        ok = get_float(o, "opacity", 0.0, 1.0, &r->opacity, err);
        JsonNode *p = member(o, "point");
        if (ok && p && is_integer(p)) {
            ok = get_int(o, "point", 0, 1000, false, &point, err);
        } else if (ok && p) {
            const char *name = get_string(o, "point", false, err);
            ok = name && copy_name(r->point, name, "\"point\"", err);
        }
        if (ok && r->mask) {
            cg_fail(err, CG_ERR_INVALID, "an attention request cannot have a mask");
            ok = false;
        }
    }
    if (ok && r->type == CGB_ANIMATION && r->mask) {
        cg_fail(err, CG_ERR_INVALID, "an animation's masks go with its frames (\"mask\" in animation-frame)");
        ok = false;
    }
    r->point_index = (int)point;
    if (!ok) {
        *code = err->code == CG_ERR_FORMAT ? "protocol" : "invalid";
        return err->code;
    }
    return CG_OK;
}

/* ---- the header --------------------------------------------------------- */

/* Nesting depth of brackets outside strings; > MAX_NESTING stops early. */
static int nesting(const char *s, size_t len)
{
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < len && deepest <= MAX_NESTING; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest)
                deepest = depth;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return deepest;
}

uint64_t cgb_expected_payload(const cgb_request *r)
{
    if (r->type != CGB_STYLIZE && r->type != CGB_STYLIZE_FRAMES && r->type != CGB_ATTENTION &&
        r->type != CGB_ANIMATION_FRAME)
        return 0;
    uint64_t per_pixel = cgb_depth_bytes(r->depth) + (r->mask ? 1 : 0);
    uint64_t total = 0;
    for (int i = 0; i < r->n_frames; i++)
        total += (uint64_t)r->frames[i].width * (uint64_t)r->frames[i].height * per_pixel;
    if (r->has_reference)
        total += (uint64_t)r->reference.width * (uint64_t)r->reference.height * cgb_depth_bytes(r->reference_depth);
    return total;
}

static void request_defaults(cgb_request *r)
{
    memset(r, 0, sizeof *r);
    r->id = -1;
    r->thumbnail = 96;
    r->target = -1;
    r->animation = -1;
    r->index = -1;
    r->strength = 1.0f;
    r->contrast = 1.0f;
    r->opacity = 1.0f;
    r->point_index = -1;
}

/* Type, id and payload: what the reader needs even when the rest is bad. */
static cg_status parse_common(JsonObject *o, cgb_request *r, const char **code, cg_error *err)
{
    *code = "protocol";
    JsonNode *id = member(o, "id");
    if (is_integer(id) && json_node_get_int(id) >= 0 && json_node_get_int(id) <= G_MAXINT32)
        r->id = json_node_get_int(id);
    int64_t payload = 0;
    if (!get_int(o, "payload", 0, INT64_MAX, false, &payload, err))
        return err->code;
    if ((uint64_t)payload > CGB_MAX_PAYLOAD) {
        *code = "too-large";
        return cg_fail(err, CG_ERR_FORMAT, "payload of %" G_GINT64_FORMAT " bytes is over the limit", payload);
    }
    r->payload = (uint64_t)payload;
    r->payload_known = true;
    if (!id)
        return cg_fail(err, CG_ERR_FORMAT, "the header has no \"id\"");
    if (r->id < 0)
        return cg_fail(err, CG_ERR_FORMAT, "\"id\" must be an integer in 0 … %d", G_MAXINT32);
    const char *type = get_string(o, "type", true, err);
    if (!type)
        return err->code;
    for (size_t i = 0; i < G_N_ELEMENTS(type_names); i++) {
        if (strcmp(type, type_names[i]) == 0) {
            r->type = (cgb_type)i;
            return CG_OK;
        }
    }
    return cg_fail(err, CG_ERR_FORMAT, "unknown request type \"%.32s\"", type);
}

cg_status cgb_parse_header(const char *json, size_t len, cgb_request *r, const char **code, cg_error *err)
{
    request_defaults(r);
    cg_error_clear(err);
    *code = "protocol";
    if (!g_utf8_validate_len(json, len, NULL))
        return cg_fail(err, CG_ERR_FORMAT, "the header is not UTF-8 text (or holds a NUL byte)");
    if (nesting(json, len) > MAX_NESTING)
        return cg_fail(err, CG_ERR_FORMAT, "the header is nested more than %d levels deep", MAX_NESTING);

    JsonParser *parser = json_parser_new_immutable();
    GError *gerr = NULL;
    cg_status s = CG_OK;
    if (!json_parser_load_from_data(parser, json, (gssize)len, &gerr)) {
        s = cg_fail(err, CG_ERR_FORMAT, "the header is not JSON: %s", gerr->message);
        g_error_free(gerr);
        goto out;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        s = cg_fail(err, CG_ERR_FORMAT, "the header must be a JSON object");
        goto out;
    }
    JsonObject *o = json_node_get_object(root);
    if ((s = parse_common(o, r, code, err)) != CG_OK)
        goto out;

    int64_t v = 0;
    switch (r->type) {
    case CGB_HELLO:
        if (!get_int(o, "protocol", 0, G_MAXINT32, true, &v, err))
            s = err->code;
        r->protocol = (int)v;
        break;
    case CGB_LIST_STYLES:
        v = r->thumbnail;
        if (!get_int(o, "thumbnail", 0, CGB_MAX_THUMBNAIL, false, &v, err))
            s = err->code;
        r->thumbnail = (int)v;
        break;
    case CGB_CANCEL:
        if (!get_int(o, "target", 0, G_MAXINT32, true, &v, err))
            s = err->code;
        r->target = v;
        break;
    case CGB_STYLIZE:
    case CGB_STYLIZE_FRAMES:
    case CGB_ATTENTION:
    case CGB_ANIMATION:
        s = parse_image_request(o, r, code, err);
        break;
    case CGB_ANIMATION_FRAME:
        s = parse_animation_frame(o, r, code, err);
        break;
    case CGB_ANIMATION_END:
        if (!get_int(o, "animation", 0, G_MAXINT32, true, &v, err))
            s = err->code;
        r->animation = v;
        break;
    }
    if (s != CG_OK && (r->type == CGB_HELLO || r->type == CGB_LIST_STYLES || r->type == CGB_CANCEL ||
                       r->type == CGB_ANIMATION_END))
        *code = s == CG_ERR_FORMAT ? "protocol" : "invalid";
out:
    g_object_unref(parser);
    return s;
}
