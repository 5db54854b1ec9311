/* comicgan-bridge — the engine behind the Krita plug-in.
 *
 * Krita runs Python plug-ins; comicgan's stays thin and runs this program as
 * a child process, talking to it over standard input and output with the
 * frames of PROTOCOL.md. channel.c reads and writes the frames; this file
 * serves the requests: styles and their thumbnails, stylizing (one image,
 * the frames of an animation at once, or a streamed animation) and attention
 * maps. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <glib.h>

#include "cg_config.h"
#include "comicgan/catalog.h"
#include "comicgan/engine.h"
#include "comicgan/stylize.h"

#include "channel.h"
#include "pixels.h"

/* A streamed animation (protocol 3): its frames come one request at a
 * time, twice. First pass: each frame's copy at the network's working scale
 * goes to an unlinked temporary file, and after the last one the statistics
 * are computed over all of them. Second pass: each frame is stylized with
 * those statistics and sent back. */
typedef struct animation {
    int64_t id;              /* the animation request's id; -1 when none is open */
    cgb_request req;         /* its options */
    int next;                /* the frame index expected next */
    bool stylizing;          /* in the second pass */
    int fd;                  /* the working copies, frame after frame, page-aligned; -1 when closed */
    uint64_t file_size;
    cgb_size *sizes;         /* each frame's size */
    cgb_size *work;          /* each working copy's size */
    guint64 *sums;           /* each frame's pixel bytes hashed, to refuse other pixels in the second pass */
    cg_stylize_stats *stats;
} animation;

typedef struct bridge {
    cgb_channel *ch;
    cg_catalog *catalog;   /* rescanned by list-styles */
    GHashTable *models;    /* model path -> cg_model*, loaded once */
    GHashTable *thumbs;    /* "path|style|side" -> GBytes of U8 pixels */
    int protocol;          /* the version the client said hello with */
    animation anim;
} bridge;

/* What a request's progress frames say: the engine's fraction, scaled into
 * [base, base + scale] when one request runs several engine calls. */
typedef struct progress {
    bridge *b;
    int64_t id;
    float base, scale;
    gint64 last_sent;
} progress;

static bool on_progress(void *data, float fraction)
{
    progress *p = data;
    gint64 now = g_get_monotonic_time();
    /* About ten frames a second is plenty for a progress bar. */
    if (now - p->last_sent >= 100000) {
        p->last_sent = now;
        JsonBuilder *jb = cgb_reply_begin("progress", p->id);
        json_builder_set_member_name(jb, "fraction");
        json_builder_add_double_value(jb, p->base + p->scale * CLAMP(fraction, 0.0f, 1.0f));
        cgb_channel_send(p->b->ch, jb, NULL, 0);
    }
    return !cgb_channel_cancelled(p->b->ch);
}

static void send_failure(bridge *b, int64_t id, const cg_error *err)
{
    cgb_channel_send_error(b->ch, id, cgb_status_code(err->code), err->message);
}

static void add_string_array(JsonBuilder *jb, const char *name, const char *const *values, int n)
{
    json_builder_set_member_name(jb, name);
    json_builder_begin_array(jb);
    for (int i = 0; i < n; i++)
        json_builder_add_string_value(jb, values[i]);
    json_builder_end_array(jb);
}

/* ---- models and styles -------------------------------------------------- */

static const cg_catalog *catalog(bridge *b)
{
    if (!b->catalog)
        b->catalog = cg_catalog_new();
    return b->catalog;
}

static cg_model *model_at(bridge *b, const char *path, cg_error *err)
{
    cg_model *m = g_hash_table_lookup(b->models, path);
    if (!m && (m = cg_model_load(path, err)))
        g_hash_table_insert(b->models, g_strdup(path), m);
    return m;
}

/* The catalog entry of style `name`, or NULL with a message naming the styles
 * there are. */
static const cg_catalog_style *find_style(bridge *b, const char *name, cg_error *err)
{
    const cg_catalog_style *st = cg_catalog_find(catalog(b), name);
    if (st)
        return st;
    GString *known = g_string_new(NULL);
    for (int i = 0; i < cg_catalog_count(b->catalog); i++)
        g_string_append_printf(known, "%s%s", i ? ", " : "", cg_catalog_get(b->catalog, i)->name);
    cg_fail(err, CG_ERR_INVALID, "no style called \"%s\" (styles: %s)", name, known->len ? known->str : "none installed");
    g_string_free(known, TRUE);
    return NULL;
}

/* The model, style and mix weights a request names, into opts. *weights is
 * allocated for a mix (the caller frees it). */
static cg_model *resolve_style(bridge *b, const cgb_request *r, cg_stylize_options *opts, float **weights,
                               cg_error *err)
{
    *weights = NULL;
    if (r->n_mix == 0) {
        const cg_catalog_style *st = find_style(b, r->style, err);
        cg_model *m = st ? model_at(b, st->model_path, err) : NULL;
        if (m)
            opts->style = st->style_index;
        return m;
    }
    const char *path = NULL;
    for (int i = 0; i < r->n_mix; i++) {
        const cg_catalog_style *st = find_style(b, r->mix[i].name, err);
        if (!st)
            return NULL;
        if (path && strcmp(path, st->model_path) != 0) {
            cg_fail(err, CG_ERR_INVALID, "styles mixed together must come from one model file: \"%s\" is in %s, "
                    "\"%s\" in %s", r->mix[0].name, path, r->mix[i].name, st->model_path);
            return NULL;
        }
        path = st->model_path;
    }
    cg_model *m = model_at(b, path, err);
    if (!m)
        return NULL;
    *weights = g_new0(float, cg_model_style_count(m));
    for (int i = 0; i < r->n_mix; i++)
        (*weights)[cg_catalog_find(b->catalog, r->mix[i].name)->style_index] += r->mix[i].weight;
    opts->mix = *weights;
    return m;
}

/* ---- thumbnails --------------------------------------------------------- */

/* A small picture with what styles react to: a sky gradient, a face with
 * dark outlines and eyes, hills with a soft edge. Drawn, not loaded, so
 * thumbnails need no file. */
static void draw_sample(cg_image *img)
{
    int n = img->width;
    for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
            float u = (x + 0.5f) / n, v = (y + 0.5f) / n;
            float *p = cg_image_at(img, x, y);
            p[0] = 0.45f + 0.35f * v;
            p[1] = 0.65f + 0.15f * v;
            p[2] = 0.95f - 0.25f * v;
            p[3] = 1.0f;
            float hill = 0.78f + 0.05f * sinf(9.0f * u);
            if (v > hill) {
                p[0] = 0.25f + 0.2f * u;
                p[1] = 0.55f - 0.15f * (v - hill);
                p[2] = 0.2f;
            }
            float dx = u - 0.5f, dy = v - 0.45f, d = sqrtf(dx * dx + dy * dy);
            if (d < 0.26f) {
                bool outline = d > 0.235f;
                bool eye = (fabsf(fabsf(dx) - 0.09f) < 0.03f && fabsf(dy + 0.04f) < 0.04f);
                bool mouth = fabsf(dy - 0.1f) < 0.012f && fabsf(dx) < 0.09f;
                float shade = 1.0f - 0.6f * (dx + 0.26f) * (dy + 0.26f);
                p[0] = outline || eye || mouth ? 0.08f : 0.98f * shade;
                p[1] = outline || eye || mouth ? 0.06f : 0.80f * shade;
                p[2] = outline || eye || mouth ? 0.10f : 0.68f * shade;
            }
        }
    }
}

/* The style's thumbnail as U8 pixels, rendered once per run. NULL (and err
 * filled) if it cannot be rendered. */
static GBytes *thumbnail(bridge *b, const cg_catalog_style *st, int side, progress *prog, cg_error *err)
{
    char *key = g_strdup_printf("%s|%d|%d", st->model_path, st->style_index, side);
    GBytes *bytes = g_hash_table_lookup(b->thumbs, key);
    if (bytes) {
        g_free(key);
        return bytes;
    }
    cg_model *m = model_at(b, st->model_path, err);
    cg_image *img = m ? cg_image_new(side, side, err) : NULL;
    cg_status s = img ? CG_OK : err->code;
    if (img) {
        draw_sample(img);
        cg_stylize_options opts = cg_stylize_defaults();
        opts.style = st->style_index;
        opts.progress = on_progress;
        opts.progress_data = prog;
        /* A reference style has no picture to take its style from here but
         * the sample itself. */
        float code[CGB_MAX_CODE];
        if (cg_model_code_length(m) > 0) {
            s = cg_model_code_length(m) <= CGB_MAX_CODE ? cg_model_encode_reference(m, img, code, err)
                                                         : cg_fail(err, CG_ERR_UNSUPPORTED, "the style's codes are "
                                                                   "longer than the bridge takes");
            opts.code = code;
        }
        if (s == CG_OK)
            s = cg_stylize(m, img, img, &opts, err);
    }
    if (s == CG_OK) {
        size_t size = (size_t)side * side * 4;
        uint8_t *px = g_malloc(size);
        cgb_pack(img->pixels, CGB_U8, false, (size_t)side * side, px);
        bytes = g_bytes_new_take(px, size);
        g_hash_table_insert(b->thumbs, key, bytes);
        key = NULL;
    }
    g_free(key);
    cg_image_free(img);
    return bytes;
}

/* ---- requests ----------------------------------------------------------- */

/* Requests and members of a later version than the session's mean nothing
 * to a client that said hello with an older one; refusing them (name: the
 * request's or the member's) keeps such a session exactly as it was. */
static bool speaks(bridge *b, const cgb_request *r, int version, const char *name)
{
    if (b->protocol >= version)
        return true;
    char *msg = g_strdup_printf("\"%s\" is protocol version %d; this session said hello with version %d", name,
                                version, b->protocol);
    cgb_channel_send_error(b->ch, r->id, "version", msg);
    g_free(msg);
    return false;
}

static void serve_hello(bridge *b, const cgb_request *r)
{
    static const char *const models[] = {"RGBA"};
    static const char *const depths[] = {"U8", "U16", "F16", "F32"};
    static const char *const requests[] = {"hello", "list-styles", "stylize", "stylize-frames", "attention",
                                           "cancel", "animation", "animation-frame", "animation-end"};
    cg_error err = {0};
    const cg_engine_info *info = cg_engine_init(&err) == CG_OK ? cg_engine_get_info() : NULL;
    b->protocol = r->protocol;
    JsonBuilder *jb = cgb_reply_begin("hello", r->id);
    /* The session speaks the client's version; "protocols" says which this bridge knows. */
    json_builder_set_member_name(jb, "protocol");
    json_builder_add_int_value(jb, r->protocol);
    json_builder_set_member_name(jb, "protocols");
    json_builder_begin_array(jb);
    for (int v = CGB_PROTOCOL_OLDEST; v <= CGB_PROTOCOL_VERSION; v++)
        json_builder_add_int_value(jb, v);
    json_builder_end_array(jb);
    json_builder_set_member_name(jb, "bridge");
    json_builder_add_string_value(jb, CG_VERSION);
    json_builder_set_member_name(jb, "engine");
    json_builder_add_string_value(jb, info ? info->version : CG_VERSION);
    json_builder_set_member_name(jb, "blas");
    json_builder_add_string_value(jb, info ? info->blas_corename : err.message);
    add_string_array(jb, "color_models", models, G_N_ELEMENTS(models));
    add_string_array(jb, "depths", depths, G_N_ELEMENTS(depths));
    add_string_array(jb, "requests", requests, G_N_ELEMENTS(requests));
    json_builder_set_member_name(jb, "max_side");
    json_builder_add_int_value(jb, CGB_MAX_SIDE);
    json_builder_set_member_name(jb, "max_pixels");
    json_builder_add_int_value(jb, (gint64)CGB_MAX_PIXELS);
    json_builder_set_member_name(jb, "max_frames");
    json_builder_add_int_value(jb, CGB_MAX_FRAMES);
    json_builder_set_member_name(jb, "max_animation");
    json_builder_add_int_value(jb, CGB_MAX_ANIMATION);
    cgb_channel_send(b->ch, jb, NULL, 0);
}

/* Descriptions are cut so that a catalog of many styles still fits the
 * header limit. */
static void add_style(JsonBuilder *jb, const cg_catalog_style *st, const cg_model *m)
{
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "name");
    json_builder_add_string_value(jb, st->name);
    json_builder_set_member_name(jb, "display_name");
    json_builder_add_string_value(jb, st->display_name ? st->display_name : st->name);
    json_builder_set_member_name(jb, "description");
    gchar *desc = g_utf8_substring(st->description ? st->description : "", 0,
                                   MIN(g_utf8_strlen(st->description ? st->description : "", -1), 200));
    json_builder_add_string_value(jb, desc);
    g_free(desc);
    json_builder_set_member_name(jb, "mode");
    json_builder_add_string_value(jb, st->mode ? st->mode : "");
    json_builder_set_member_name(jb, "model");
    json_builder_add_string_value(jb, st->model_path);
    json_builder_set_member_name(jb, "attention");
    json_builder_begin_array(jb);
    for (int i = 0; m && i < cg_net_attention_count(cg_model_net(m)); i++)
        json_builder_add_string_value(jb, cg_net_attention_name(cg_model_net(m), i));
    json_builder_end_array(jb);
    /* version 4: the style comes from a reference picture (stylize's "reference") */
    json_builder_set_member_name(jb, "reference");
    json_builder_add_boolean_value(jb, m && cg_model_code_length(m) > 0);
}

static void serve_list_styles(bridge *b, const cgb_request *r)
{
    /* Rescan, so models installed while Krita runs show up. */
    cg_catalog_free(b->catalog);
    b->catalog = cg_catalog_new();
    const cg_catalog *c = b->catalog;
    int n = cg_catalog_count(c);
    GByteArray *payload = g_byte_array_new();
    JsonBuilder *jb = cgb_reply_begin("styles", r->id);
    json_builder_set_member_name(jb, "thumbnail_depth");
    json_builder_add_string_value(jb, "U8");
    json_builder_set_member_name(jb, "styles");
    json_builder_begin_array(jb);
    progress prog = {b, r->id, 0, 1, 0};
    cg_error err = {0};
    for (int i = 0; i < n && !cgb_channel_cancelled(b->ch); i++) {
        const cg_catalog_style *st = cg_catalog_get(c, i);
        prog.base = (float)i / n;
        prog.scale = 1.0f / n;
        cg_model *m = model_at(b, st->model_path, &err);
        add_style(jb, st, m);
        GBytes *thumb = m && r->thumbnail > 0 ? thumbnail(b, st, r->thumbnail, &prog, &err) : NULL;
        if (thumb) {
            json_builder_set_member_name(jb, "thumbnail");
            json_builder_begin_object(jb);
            json_builder_set_member_name(jb, "width");
            json_builder_add_int_value(jb, r->thumbnail);
            json_builder_set_member_name(jb, "height");
            json_builder_add_int_value(jb, r->thumbnail);
            json_builder_set_member_name(jb, "offset");
            json_builder_add_int_value(jb, payload->len);
            json_builder_set_member_name(jb, "size");
            json_builder_add_int_value(jb, (gint64)g_bytes_get_size(thumb));
            json_builder_end_object(jb);
            g_byte_array_append(payload, g_bytes_get_data(thumb, NULL), (guint)g_bytes_get_size(thumb));
        }
        json_builder_end_object(jb);
    }
    json_builder_end_array(jb);
    json_builder_set_member_name(jb, "broken");
    json_builder_begin_array(jb);
    for (int i = 0; i < cg_catalog_broken_count(c); i++) {
        json_builder_begin_object(jb);
        json_builder_set_member_name(jb, "path");
        json_builder_add_string_value(jb, cg_catalog_broken_path(c, i));
        json_builder_set_member_name(jb, "error");
        json_builder_add_string_value(jb, cg_catalog_broken_error(c, i));
        json_builder_end_object(jb);
    }
    json_builder_end_array(jb);
    json_builder_set_member_name(jb, "folders");
    json_builder_begin_array(jb);
    for (int i = 0; i < cg_catalog_folder_count(c); i++)
        json_builder_add_string_value(jb, cg_catalog_folder(c, i));
    json_builder_end_array(jb);
    if (cgb_channel_cancelled(b->ch)) {
        g_object_unref(jb);
        cgb_channel_send_error(b->ch, r->id, "cancelled", "cancelled");
    } else if (!cgb_channel_send(b->ch, jb, payload->data, payload->len)) {
        cgb_channel_send_error(b->ch, r->id, "too-large", "too many styles to list in one reply");
    }
    g_byte_array_unref(payload);
}

/* The request's images, unpacked from the payload into float RGBA. */
static cg_image **unpack_frames(const cgb_message *msg, cg_error *err)
{
    const cgb_request *r = &msg->req;
    cg_image **imgs = g_new0(cg_image *, r->n_frames);
    const uint8_t *p = msg->payload;
    for (int i = 0; i < r->n_frames; i++) {
        size_t n = (size_t)r->frames[i].width * r->frames[i].height, bad = 0;
        if (!(imgs[i] = cg_image_new(r->frames[i].width, r->frames[i].height, err)))
            goto fail;
        if (!cgb_unpack(p, r->depth, r->linear, n, imgs[i]->pixels, &bad)) {
            cg_fail(err, CG_ERR_NUMERIC, "pixel (%zu, %zu)%s is NaN or infinite", bad % (size_t)r->frames[i].width,
                    bad / (size_t)r->frames[i].width, r->n_frames > 1 ? " of a frame" : "");
            goto fail;
        }
        p += n * (cgb_depth_bytes(r->depth) + (r->mask ? 1 : 0));
    }
    return imgs;
fail:
    for (int i = 0; i < r->n_frames; i++)
        cg_image_free(imgs[i]);
    g_free(imgs);
    return NULL;
}

static void free_frames(cg_image **imgs, int n)
{
    for (int i = 0; imgs && i < n; i++)
        cg_image_free(imgs[i]);
    g_free(imgs);
}

static cg_stylize_options request_options(const cgb_request *r, progress *prog)
{
    cg_stylize_options o = cg_stylize_defaults();
    o.strength = r->strength;
    o.tile = r->tile;
    o.keep_colors = r->keep_colors;
    o.line_weight = r->line_weight;
    o.denoise = r->denoise;
    o.contrast = r->contrast;
    o.scale = r->scale;
    o.scale_side = r->scale_auto ? CG_STYLIZE_AUTO_SIDE : 0;
    o.memory_budget = (size_t)r->memory_budget << 20;
    o.progress = on_progress;
    o.progress_data = prog;
    return o;
}

/* code: the style code a reference style used (code_length values), sent
 * back so that the client can ask again without the reference; NULL for
 * other styles. */
static void send_result(bridge *b, const cgb_request *r, const uint8_t *pixels, uint64_t size, const float *code,
                        int code_length)
{
    JsonBuilder *jb = cgb_reply_begin("result", r->id);
    if (r->type == CGB_STYLIZE_FRAMES) {
        json_builder_set_member_name(jb, "frames");
        json_builder_begin_array(jb);
        for (int i = 0; i < r->n_frames; i++) {
            json_builder_begin_object(jb);
            json_builder_set_member_name(jb, "width");
            json_builder_add_int_value(jb, r->frames[i].width);
            json_builder_set_member_name(jb, "height");
            json_builder_add_int_value(jb, r->frames[i].height);
            json_builder_end_object(jb);
        }
        json_builder_end_array(jb);
    } else {
        if (r->type == CGB_ANIMATION_FRAME) {
            json_builder_set_member_name(jb, "index");
            json_builder_add_int_value(jb, r->index);
        }
        json_builder_set_member_name(jb, "width");
        json_builder_add_int_value(jb, r->frames[0].width);
        json_builder_set_member_name(jb, "height");
        json_builder_add_int_value(jb, r->frames[0].height);
    }
    json_builder_set_member_name(jb, "color_model");
    json_builder_add_string_value(jb, "RGBA");
    json_builder_set_member_name(jb, "depth");
    json_builder_add_string_value(jb, cgb_depth_name(r->depth));
    json_builder_set_member_name(jb, "transfer");
    json_builder_add_string_value(jb, r->linear ? "linear" : "srgb");
    if (code) {
        json_builder_set_member_name(jb, "style_code");
        json_builder_begin_array(jb);
        /* A float survives the trip through a double's shortest text exactly. */
        for (int i = 0; i < code_length; i++)
            json_builder_add_double_value(jb, code[i]);
        json_builder_end_array(jb);
    }
    cgb_channel_send(b->ch, jb, pixels, size);
}

/* The reference picture of a stylize request (version 4): after the image's
 * pixels and mask in the payload, in its own layout, encoded with m's style
 * encoder. */
static cg_status encode_reference(const cgb_message *msg, const cg_model *m, float *code, cg_error *err)
{
    const cgb_request *r = &msg->req;
    size_t bpp = cgb_depth_bytes(r->depth), bad = 0;
    size_t n = (size_t)r->reference.width * r->reference.height;
    size_t offset = (size_t)r->frames[0].width * r->frames[0].height * (bpp + (r->mask ? 1 : 0));
    cg_image *ref = cg_image_new(r->reference.width, r->reference.height, err);
    cg_status s = ref ? CG_OK : err->code;
    if (s == CG_OK &&
        !cgb_unpack(msg->payload + offset, r->reference_depth, r->reference_linear, n, ref->pixels, &bad))
        s = cg_fail(err, CG_ERR_NUMERIC, "pixel (%zu, %zu) of the reference picture is NaN or infinite",
                    bad % (size_t)r->reference.width, bad / (size_t)r->reference.width);
    if (s == CG_OK)
        s = cg_model_encode_reference(m, ref, code, err); /* its messages name the reference picture */
    cg_image_free(ref);
    return s;
}

/* The style code a stylize request's style needs, into code (room for
 * CGB_MAX_CODE values): from its reference picture or the code it sent back.
 * *length is 0 for a style that takes none; a reference or code for such a
 * style is refused, as is a reference style without one. */
static cg_status request_code(const cgb_message *msg, const cg_model *m, float *code, int *length, cg_error *err)
{
    const cgb_request *r = &msg->req;
    const char *style = r->n_mix ? r->mix[0].name : r->style;
    int n = cg_model_code_length(m);
    *length = 0;
    if (n == 0)
        return r->has_reference || r->code_length
                   ? cg_fail(err, CG_ERR_UNSUPPORTED, "style \"%s\" does not take a reference picture (list-styles "
                             "marks the styles that do with \"reference\": true)", style)
                   : CG_OK;
    if (n > CGB_MAX_CODE)
        return cg_fail(err, CG_ERR_UNSUPPORTED, "style \"%s\"'s codes have %d values, more than the bridge's %d",
                       style, n, CGB_MAX_CODE);
    if (r->n_mix)
        return cg_fail(err, CG_ERR_INVALID, "style \"%s\" takes its style from a reference picture, so it cannot be "
                       "mixed with other styles", style);
    if (!r->has_reference && !r->code_length)
        return cg_fail(err, CG_ERR_INVALID, "style \"%s\" takes its style from a reference picture: send one "
                       "(\"reference\"), or the \"style_code\" a result for one gave back", style);
    cg_status s;
    if (r->has_reference) {
        s = encode_reference(msg, m, code, err);
    } else if (r->code_length != n) {
        s = cg_fail(err, CG_ERR_INVALID, "a style code of %d values, but style \"%s\"'s codes have %d: it was made "
                    "for another style", r->code_length, style, n);
    } else {
        memcpy(code, r->code, (size_t)n * sizeof *code);
        s = cg_stylize_check_code(m, code, err);
    }
    if (s == CG_OK)
        *length = n;
    return s;
}

/* Stylizes every image of the request and sends them back packed, through
 * their masks, in the payload's own memory. */
static void serve_stylize(bridge *b, cgb_message *msg)
{
    const cgb_request *r = &msg->req;
    if ((r->has_reference && !speaks(b, r, 4, "reference")) ||
        (r->code_length && !speaks(b, r, 4, "style_code")))
        return;
    cg_error err = {0};
    progress prog = {b, r->id, 0, 1, 0};
    cg_stylize_options opts = request_options(r, &prog);
    float *weights = NULL, code[CGB_MAX_CODE];
    int code_length = 0;
    cg_image **imgs = NULL;
    cg_model *m = resolve_style(b, r, &opts, &weights, &err);
    cg_status s = m ? request_code(msg, m, code, &code_length, &err) : err.code;
    if (code_length)
        opts.code = code;
    if (s == CG_OK)
        s = cg_stylize_check_options(m, &opts, &err);
    if (s == CG_OK)
        s = (imgs = unpack_frames(msg, &err)) ? CG_OK : err.code;
    if (s == CG_OK)
        s = cg_stylize_frames(m, (const cg_image *const *)imgs, imgs, r->n_frames, &opts, &err);
    if (s != CG_OK) {
        send_failure(b, r->id, &err);
    } else {
        /* Pixels, then the mask if any, frame after frame; the result is
         * the pixels alone, moved forward over the masks. */
        size_t bpp = cgb_depth_bytes(r->depth), in_off = 0, out_off = 0;
        for (int i = 0; i < r->n_frames; i++) {
            size_t n = (size_t)r->frames[i].width * r->frames[i].height;
            uint8_t *px = msg->payload + in_off;
            if (r->mask)
                cgb_pack_masked(imgs[i]->pixels, px + n * bpp, r->depth, r->linear, n, px);
            else
                cgb_pack(imgs[i]->pixels, r->depth, r->linear, n, px);
            memmove(msg->payload + out_off, px, n * bpp);
            in_off += n * (bpp + (r->mask ? 1 : 0));
            out_off += n * bpp;
        }
        send_result(b, r, msg->payload, out_off, code_length ? code : NULL, code_length);
    }
    free_frames(imgs, r->n_frames);
    g_free(weights);
}

static int attention_point(const cg_model *m, const cgb_request *r, cg_error *err)
{
    const cg_net *net = cg_model_net(m);
    int n = cg_net_attention_count(net);
    if (n == 0) {
        cg_fail(err, CG_ERR_UNSUPPORTED, "style \"%s\" has no attention maps (its model has no attention points)",
                r->n_mix ? r->mix[0].name : r->style);
        return -1;
    }
    if (r->point[0]) {
        for (int i = 0; i < n; i++)
            if (strcmp(cg_net_attention_name(net, i), r->point) == 0)
                return i;
        cg_fail(err, CG_ERR_INVALID, "the model has no attention point \"%s\"", r->point);
        return -1;
    }
    if (r->point_index >= n) {
        cg_fail(err, CG_ERR_INVALID, "attention point %d does not exist (the model has %d)", r->point_index, n);
        return -1;
    }
    return r->point_index < 0 ? 0 : r->point_index;
}

static void serve_attention(bridge *b, cgb_message *msg)
{
    const cgb_request *r = &msg->req;
    cg_error err = {0};
    progress prog = {b, r->id, 0, 1, 0};
    cg_stylize_options opts = request_options(r, &prog);
    float *weights = NULL, *map = NULL;
    cg_image **imgs = NULL;
    int w = r->frames[0].width, h = r->frames[0].height, point = -1;
    cg_model *m = resolve_style(b, r, &opts, &weights, &err);
    cg_status s = m ? cg_stylize_check_options(m, &opts, &err) : err.code;
    if (s == CG_OK && (point = attention_point(m, r, &err)) < 0)
        s = err.code;
    if (s == CG_OK)
        s = (imgs = unpack_frames(msg, &err)) ? CG_OK : err.code;
    if (s == CG_OK && !(map = g_try_malloc((size_t)w * h * sizeof(float))))
        s = cg_fail(&err, CG_ERR_NOMEM, "not enough memory for a %d x %d attention map", w, h);
    if (s == CG_OK)
        s = cg_stylize_attention(m, imgs[0], point, &opts, map, &err);
    if (s != CG_OK) {
        send_failure(b, r->id, &err);
    } else {
        cg_heatmap(map, w, h, r->opacity, imgs[0]);
        cgb_pack(imgs[0]->pixels, r->depth, r->linear, (size_t)w * h, msg->payload);
        send_result(b, r, msg->payload, r->payload, NULL, 0);
    }
    g_free(map);
    free_frames(imgs, 1);
    g_free(weights);
}

/* ---- streamed animations (protocol 3) ------------------------------------ */

static void close_animation(bridge *b)
{
    animation *a = &b->anim;
    if (a->fd >= 0)
        close(a->fd);
    g_free(a->sizes);
    g_free(a->work);
    g_free(a->sums);
    cg_stylize_stats_free(a->stats);
    memset(a, 0, sizeof *a);
    a->id = -1;
    a->fd = -1;
}

/* FNV-1a over 8-byte words: enough to notice a frame that changed between
 * the two passes, and fast next to stylizing it. */
static guint64 hash_bytes(const uint8_t *p, size_t n)
{
    guint64 h = 14695981039346656037ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        guint64 w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 1099511628211ull;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static bool write_at(int fd, const void *data, size_t size, uint64_t offset)
{
    const uint8_t *p = data;
    while (size > 0) {
        ssize_t put = pwrite(fd, p, size, (off_t)offset);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return false;
        p += put;
        size -= (size_t)put;
        offset += (uint64_t)put;
    }
    return true;
}

static uint64_t page_round(uint64_t v)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    return (v + page - 1) / page * page;
}

/* The animation's model and options (weights: see resolve_style). */
static cg_model *animation_options(bridge *b, progress *prog, cg_stylize_options *opts, float **weights,
                                   cg_error *err)
{
    *opts = request_options(&b->anim.req, prog);
    cg_model *m = resolve_style(b, &b->anim.req, opts, weights, err);
    return m && cg_stylize_check_options(m, opts, err) == CG_OK ? m : NULL;
}

static void serve_animation(bridge *b, const cgb_request *r)
{
    if (!speaks(b, r, 3, cgb_type_name(r->type)))
        return;
    close_animation(b); /* a new animation replaces an open one */
    animation *a = &b->anim;
    a->req = *r;
    cg_error err = {0};
    float *weights = NULL;
    cg_stylize_options opts;
    cg_model *m = animation_options(b, NULL, &opts, &weights, &err);
    g_free(weights);
    if (m) {
        GError *gerr = NULL;
        char *path = NULL;
        a->fd = g_file_open_tmp("comicgan-animation-XXXXXX", &path, &gerr);
        if (a->fd < 0) {
            cg_fail(&err, CG_ERR_IO, "cannot make a temporary file for the animation: %s", gerr->message);
            g_error_free(gerr);
        } else {
            unlink(path); /* the file goes when it is closed, whatever happens */
        }
        g_free(path);
    }
    if (!m || a->fd < 0) {
        send_failure(b, r->id, &err);
        close_animation(b);
        return;
    }
    a->id = r->id;
    a->sizes = g_new0(cgb_size, r->count);
    a->work = g_new0(cgb_size, r->count);
    a->sums = g_new0(guint64, r->count);
    JsonBuilder *jb = cgb_reply_begin("animation", r->id);
    json_builder_set_member_name(jb, "count");
    json_builder_add_int_value(jb, r->count);
    json_builder_set_member_name(jb, "pass");
    json_builder_add_string_value(jb, "statistics");
    cgb_channel_send(b->ch, jb, NULL, 0);
}

/* The reply to a frame of the first pass: what the animation wants next. */
static void send_stored(bridge *b, const cgb_request *r)
{
    JsonBuilder *jb = cgb_reply_begin("stored", r->id);
    json_builder_set_member_name(jb, "index");
    json_builder_add_int_value(jb, r->index);
    json_builder_set_member_name(jb, "pass");
    json_builder_add_string_value(jb, b->anim.stylizing ? "stylize" : "statistics");
    json_builder_set_member_name(jb, "next");
    json_builder_add_int_value(jb, b->anim.next);
    cgb_channel_send(b->ch, jb, NULL, 0);
}

/* The statistics of every working copy in the file, read through a mapping
 * so that the kernel, not the bridge, decides how much of it is in memory. */
static cg_status compute_statistics(bridge *b, const cg_model *m, const cg_stylize_options *o, cg_error *err)
{
    animation *a = &b->anim;
    int n = a->req.count;
    if (ftruncate(a->fd, (off_t)a->file_size) != 0)
        return cg_fail(err, CG_ERR_IO, "cannot size the animation's temporary file: %s", g_strerror(errno));
    void *map = mmap(NULL, a->file_size, PROT_READ, MAP_SHARED, a->fd, 0);
    if (map == MAP_FAILED)
        return cg_fail(err, CG_ERR_NOMEM, "cannot map the animation's temporary file: %s", g_strerror(errno));
    cg_image *imgs = g_new0(cg_image, n);
    const cg_image **in = g_new0(const cg_image *, n);
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        imgs[i].width = a->work[i].width;
        imgs[i].height = a->work[i].height;
        imgs[i].pixels = (float *)((uint8_t *)map + offset);
        imgs[i].source_channels = 4;
        imgs[i].source_format = CG_SAMPLE_F32;
        imgs[i].source_frames = 1;
        in[i] = &imgs[i];
        offset += page_round((uint64_t)imgs[i].width * imgs[i].height * 4 * sizeof(float));
    }
    /* The copies are at the working scale already. */
    cg_stylize_options native = *o;
    native.scale = 0;
    native.scale_side = 0;
    a->stats = cg_stylize_compute_stats(m, in, n, &native, err);
    munmap(map, a->file_size);
    g_free(in);
    g_free(imgs);
    close(a->fd);
    a->fd = -1;
    return a->stats ? CG_OK : err->code;
}

/* First pass: keeps the frame's working copy; after the last, the statistics. */
static cg_status store_frame(bridge *b, const cgb_request *r, const cg_image *img, guint64 sum, cg_error *err)
{
    animation *a = &b->anim;
    progress prog = {b, r->id, 0, 1, 0};
    float *weights = NULL;
    cg_stylize_options opts;
    cg_model *m = animation_options(b, &prog, &opts, &weights, err);
    cg_image *work = m ? cg_stylize_network_image(m, img, &opts, err) : NULL;
    cg_status s = work ? CG_OK : err->code;
    if (s == CG_OK) {
        size_t size = (size_t)work->width * work->height * 4 * sizeof(float);
        if (!write_at(a->fd, work->pixels, size, a->file_size))
            s = cg_fail(err, CG_ERR_IO, "cannot write the animation's temporary file: %s", g_strerror(errno));
        a->sizes[r->index] = r->frames[0];
        a->work[r->index] = (cgb_size){work->width, work->height};
        a->sums[r->index] = sum;
        a->file_size += page_round(size);
    }
    cg_image_free(work);
    if (s == CG_OK && ++a->next == a->req.count) {
        s = compute_statistics(b, m, &opts, err);
        a->stylizing = true;
        a->next = 0;
    }
    g_free(weights);
    return s;
}

/* Second pass: the frame stylized with the animation's statistics, sent
 * back through its mask in the payload's own memory. */
static cg_status stylize_frame(bridge *b, cgb_message *msg, cg_image *img, cg_error *err)
{
    animation *a = &b->anim;
    const cgb_request *r = &msg->req;
    progress prog = {b, r->id, 0, 1, 0};
    float *weights = NULL;
    cg_stylize_options opts;
    cg_model *m = animation_options(b, &prog, &opts, &weights, err);
    cg_status s = m ? cg_stylize_frame_with_stats(m, a->stats, r->index, img, img, &opts, err) : err->code;
    g_free(weights);
    if (s != CG_OK)
        return s;
    size_t n = (size_t)img->width * img->height, bpp = cgb_depth_bytes(r->depth);
    if (r->mask)
        cgb_pack_masked(img->pixels, msg->payload + n * bpp, r->depth, a->req.linear, n, msg->payload);
    else
        cgb_pack(img->pixels, r->depth, a->req.linear, n, msg->payload);
    cgb_request reply = *r;
    reply.linear = a->req.linear;
    send_result(b, &reply, msg->payload, n * bpp, NULL, 0);
    if (++a->next == a->req.count)
        close_animation(b);
    return CG_OK;
}

/* Why frame r does not belong where it came, or NULL when it does. A frame
 * refused here leaves the animation as it was. */
static char *misplaced_frame(const animation *a, const cgb_request *r, guint64 sum, const char **code)
{
    const char *pass = a->stylizing ? "stylize" : "statistics";
    *code = "order";
    if (a->id < 0)
        return g_strdup_printf("no animation is open (frame for animation %" G_GINT64_FORMAT "): send an "
                               "\"animation\" request first", r->animation);
    if (r->animation != a->id)
        return g_strdup_printf("animation %" G_GINT64_FORMAT " is not open (the open one is %" G_GINT64_FORMAT ")",
                               r->animation, a->id);
    if (r->index != a->next)
        return g_strdup_printf("frame %d came, but the animation expects frame %d of its %s pass (frames go in "
                               "order, twice: for the statistics, then to be stylized)", r->index, a->next, pass);
    *code = "invalid";
    if (r->depth != a->req.depth)
        return g_strdup_printf("frame %d is %s, but the animation is %s", r->index, cgb_depth_name(r->depth),
                               cgb_depth_name(a->req.depth));
    if (!a->stylizing && r->mask)
        return g_strdup_printf("frame %d: frames of the statistics pass have no mask (a mask goes with the frame "
                               "in the stylize pass)", r->index);
    const cgb_size *was = &a->sizes[r->index];
    if (a->stylizing && (r->frames[0].width != was->width || r->frames[0].height != was->height))
        return g_strdup_printf("frame %d is %d x %d, but was %d x %d in the statistics pass", r->index,
                               r->frames[0].width, r->frames[0].height, was->width, was->height);
    if (a->stylizing && sum != a->sums[r->index])
        return g_strdup_printf("frame %d's pixels differ from those sent for the statistics", r->index);
    return NULL;
}

static void serve_animation_frame(bridge *b, cgb_message *msg)
{
    const cgb_request *r = &msg->req;
    if (!speaks(b, r, 3, cgb_type_name(r->type)))
        return;
    animation *a = &b->anim;
    size_t n = (size_t)r->frames[0].width * r->frames[0].height;
    guint64 sum = hash_bytes(msg->payload, n * cgb_depth_bytes(r->depth));
    const char *code = NULL;
    char *why = misplaced_frame(a, r, sum, &code);
    if (why) {
        cgb_channel_send_error(b->ch, r->id, code, why);
        g_free(why);
        return;
    }
    cg_error err = {0};
    cg_image *img = cg_image_new(r->frames[0].width, r->frames[0].height, &err);
    size_t bad = 0;
    if (img && !cgb_unpack(msg->payload, r->depth, a->req.linear, n, img->pixels, &bad)) {
        cg_fail(&err, CG_ERR_NUMERIC, "frame %d: pixel (%zu, %zu) is NaN or infinite", r->index,
                bad % (size_t)r->frames[0].width, bad / (size_t)r->frames[0].width);
        cgb_channel_send_error(b->ch, r->id, "numeric", err.message);
        cg_image_free(img);
        return;
    }
    cg_status s = !img ? err.code : a->stylizing ? stylize_frame(b, msg, img, &err) : store_frame(b, r, img, sum, &err);
    cg_image_free(img);
    if (s != CG_OK) {
        /* Failed while in use (cancelled, out of memory): the animation ends. */
        send_failure(b, r->id, &err);
        close_animation(b);
    } else if (a->id >= 0 && (!a->stylizing || a->next == 0)) {
        send_stored(b, r);
    }
}

static void serve_animation_end(bridge *b, const cgb_request *r)
{
    if (!speaks(b, r, 3, cgb_type_name(r->type)))
        return;
    if (b->anim.id == r->animation)
        close_animation(b);
    JsonBuilder *jb = cgb_reply_begin("ended", r->id);
    json_builder_set_member_name(jb, "animation");
    json_builder_add_int_value(jb, r->animation);
    cgb_channel_send(b->ch, jb, NULL, 0);
}

static void serve(bridge *b, cgb_message *msg)
{
    switch (msg->req.type) {
    case CGB_HELLO:
        serve_hello(b, &msg->req);
        break;
    case CGB_LIST_STYLES:
        serve_list_styles(b, &msg->req);
        break;
    case CGB_STYLIZE:
    case CGB_STYLIZE_FRAMES:
        serve_stylize(b, msg);
        break;
    case CGB_ATTENTION:
        serve_attention(b, msg);
        break;
    case CGB_ANIMATION:
        serve_animation(b, &msg->req);
        break;
    case CGB_ANIMATION_FRAME:
        serve_animation_frame(b, msg);
        break;
    case CGB_ANIMATION_END:
        serve_animation_end(b, &msg->req);
        break;
    case CGB_CANCEL: /* handled by the reader */
        break;
    }
}

static void free_model(gpointer m)
{
    cg_model_free(m);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0)) {
        printf("comicgan-bridge %s (protocol %d)\n", CG_VERSION, CGB_PROTOCOL_VERSION);
        return 0;
    }
    if (argc > 1 || isatty(STDIN_FILENO) || isatty(STDOUT_FILENO)) {
        fprintf(stderr,
                "usage: comicgan-bridge [--version]\n"
                "comicgan's Krita plug-in runs this program and talks to it over standard input and\n"
                "output with the framed protocol of PROTOCOL.md; it is not meant to be run by hand.\n");
        return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    /* A parent that goes away closes our pipes; writing to a closed pipe must
     * end the program through the write error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
#ifdef __linux__
    /* Standard input can outlive the parent if someone else holds it open. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
    bridge b = {0};
    b.models = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_model);
    b.thumbs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
    b.anim.id = -1;
    b.anim.fd = -1;
    b.ch = cgb_channel_start(STDIN_FILENO, STDOUT_FILENO);
    cgb_message *msg;
    while ((msg = cgb_channel_next(b.ch))) {
        serve(&b, msg);
        cgb_channel_done(b.ch);
        cgb_message_free(msg);
    }
    close_animation(&b);
    cgb_channel_free(b.ch);
    g_hash_table_destroy(b.thumbs);
    g_hash_table_destroy(b.models);
    cg_catalog_free(b.catalog);
    return 0;
}
