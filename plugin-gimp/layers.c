/* Moving pixels between GIMP and comicgan, and the work of each procedure.
 *
 * Pixels travel as GEGL's "R'G'B'A float", which is comicgan's in-memory
 * format, so 8-, 16- and 32-bit and grayscale drawables all read and write
 * through the same code (GEGL converts). Results go through the shadow
 * buffer and gimp_drawable_merge_shadow, which blends them in through the
 * selection mask, feathering included, and records the undo step. */
#include "comicgan-gimp.h"

#include <math.h>
#include <string.h>

static const Babl *float_rgba(void)
{
    return babl_format("R'G'B'A float");
}

static gboolean set_cg_error(GError **error, const cg_error *err)
{
    g_set_error_literal(error, CG_GIMP_ERROR,
                        err->code == CG_ERR_CANCELLED ? CG_GIMP_ERROR_CANCELLED : CG_GIMP_ERROR_FAILED,
                        err->message);
    return FALSE;
}

static cg_image *new_image(int width, int height, GError **error)
{
    cg_error err = {0};
    cg_image *img = cg_image_new(width, height, &err);
    if (!img)
        set_cg_error(error, &err);
    return img;
}

static void clamp_pixels(cg_image *img)
{
    size_t n = (size_t)img->width * img->height * 4;
    for (size_t i = 0; i < n; i++) {
        float v = img->pixels[i];
        img->pixels[i] = !(v > 0.0f) ? 0.0f : v > 1.0f ? 1.0f : v; /* NaN fails v > 0 */
    }
}

cg_image *read_pixels(gint32 drawable, int x, int y, int width, int height, GError **error)
{
    cg_image *img = new_image(width, height, error);
    if (!img)
        return NULL;
    GeglBuffer *buffer = gimp_drawable_get_buffer(drawable);
    gegl_buffer_get(buffer, GEGL_RECTANGLE(x, y, width, height), 1.0, float_rgba(), img->pixels,
                    GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
    g_object_unref(buffer);
    clamp_pixels(img);
    return img;
}

cg_image *read_scaled(gint32 drawable, double scale, GError **error)
{
    int width = MAX(1, (int)floor(gimp_drawable_width(drawable) * scale));
    int height = MAX(1, (int)floor(gimp_drawable_height(drawable) * scale));
    cg_image *img = new_image(width, height, error);
    if (!img)
        return NULL;
    GeglBuffer *buffer = gimp_drawable_get_buffer(drawable);
    gegl_buffer_get(buffer, GEGL_RECTANGLE(0, 0, width, height), scale, float_rgba(), img->pixels,
                    GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
    g_object_unref(buffer);
    clamp_pixels(img);
    return img;
}

cg_image *read_reference(const settings *s, GError **error)
{
    if (!s->reference_file[0])
        return read_pixels(s->reference, 0, 0, gimp_drawable_width(s->reference), gimp_drawable_height(s->reference),
                           error);
    cg_error err = {0};
    cg_image *img = cg_image_load(s->reference_file, &err);
    if (!img)
        set_cg_error(error, &err);
    return img;
}

void loaded_style_clear(loaded_style *st)
{
    cg_model_free(st->model);
    g_free(st->mix);
    g_free(st->code);
    memset(st, 0, sizeof *st);
}

cg_stylize_options stylize_options(const loaded_style *st, const settings *s)
{
    cg_stylize_options o = cg_stylize_defaults();
    o.style = st->index;
    o.strength = (float)s->strength;
    o.keep_colors = s->keep_colors != 0;
    o.tile = s->tile;
    o.memory_budget = (size_t)s->memory << 20;
    o.scale = s->scale > 0 ? (float)s->scale : 0.0f;
    o.scale_side = s->scale > 0 ? 0 : CG_STYLIZE_AUTO_SIDE;
    o.mix = st->mix;
    o.code = st->code;
    o.line_weight = (float)s->line_weight;
    o.denoise = (float)s->denoise;
    o.contrast = (float)s->contrast;
    return o;
}

int find_attention_point(const cg_model *m, const char *name)
{
    const cg_net *net = cg_model_net(m);
    int n = cg_net_attention_count(net);
    if (!name || !*name)
        return n > 0 ? 0 : -1;
    for (int i = 0; i < n; i++)
        if (strcmp(cg_net_attention_name(net, i), name) == 0)
            return i;
    return -1;
}

/* GIMP's progress bar, fed from comicgan's progress callback. Cancelling
 * is GIMP's to do (it kills the plug-in), so this never asks to stop. On a
 * long run the status text also says how long is left. */
typedef struct progress {
    double base, span, shown;
    char label[160];            /* the text without the time left */
    gint64 start_us, told_us;   /* 0 until the first callback */
} progress;

static void progress_text(progress *p, const char *label)
{
    g_strlcpy(p->label, label, sizeof p->label);
    gimp_progress_set_text(label);
}

static bool on_progress(void *data, float fraction)
{
    progress *p = data;
    double done = p->base + p->span * fraction;
    if (done - p->shown >= 0.005 || fraction >= 1.0f) {
        gimp_progress_update(done);
        p->shown = done;
    }
    gint64 now = g_get_monotonic_time();
    if (!p->start_us)
        p->start_us = p->told_us = now;
    double elapsed = (now - p->start_us) / 1e6;
    /* After a few seconds, when the rate means something; once a second. */
    if (elapsed >= 3 && done >= 0.02 && done < 1 && now - p->told_us >= 1000000) {
        long left = (long)(elapsed * (1 - done) / done + 0.5);
        char when[32];
        if (left >= 3600)
            g_snprintf(when, sizeof when, "%ld:%02ld:%02ld", left / 3600, left / 60 % 60, left % 60);
        else
            g_snprintf(when, sizeof when, "%ld:%02ld", left / 60, left % 60);
        gimp_progress_set_text_printf(_("%s (%s left)"), p->label[0] ? p->label : _("Comic style"), when);
        p->told_us = now;
    }
    return true;
}

/* The layers below item that hold pixels (groups are walked, not painted),
 * top first as GIMP lists them. */
static void collect_layers(gint32 item, GArray *out)
{
    if (!gimp_item_is_group(item)) {
        g_array_append_val(out, item);
        return;
    }
    gint n = 0;
    gint *children = gimp_item_get_children(item, &n);
    for (gint i = 0; i < n; i++)
        collect_layers(children[i], out);
    g_free(children);
}

static gboolean check_paintable(GArray *layers, GError **error)
{
    if (layers->len == 0) {
        g_set_error_literal(error, CG_GIMP_ERROR, CG_GIMP_ERROR_ARGUMENT, _("There are no layers to stylize."));
        return FALSE;
    }
    for (guint i = 0; i < layers->len; i++) {
        gint32 layer = g_array_index(layers, gint32, i);
        if (gimp_item_get_lock_content(layer)) {
            char *name = gimp_item_get_name(layer);
            g_set_error(error, CG_GIMP_ERROR, CG_GIMP_ERROR_ARGUMENT,
                        _("The pixels of layer \"%s\" are locked; unlock them first."), name);
            g_free(name);
            return FALSE;
        }
    }
    return TRUE;
}

/* A computed result waiting to be painted: pixels holds a region of layer
 * (context included); the rectangle (x, y, width, height) of the layer is
 * painted from pixels' point (ox, oy). */
typedef struct result {
    gint32 layer;
    int x, y, width, height;
    cg_image *pixels;
    int ox, oy;
} result;

static void clear_result(gpointer data)
{
    cg_image_free(((result *)data)->pixels);
}

static GArray *new_results(void)
{
    GArray *results = g_array_new(FALSE, TRUE, sizeof(result));
    g_array_set_clear_func(results, clear_result);
    return results;
}

/* Paints r into its layer, or into a copy above it; returns the layer painted. */
static gint32 paint_result(gint32 image, const result *r, const settings *s, const char *style_name)
{
    gint32 target = r->layer;
    if (s->output == OUTPUT_NEW_LAYER) {
        target = gimp_layer_copy(r->layer);
        char *name = gimp_item_get_name(r->layer);
        /* TRANSLATORS: a new layer's name: the layer it comes from, then the style. */
        char *new_name = g_strdup_printf(_("%s (%s)"), name, style_name);
        gimp_item_set_name(target, new_name);
        g_free(new_name);
        g_free(name);
        gimp_image_insert_layer(image, target, gimp_item_get_parent(r->layer),
                                gimp_image_get_item_position(image, r->layer));
    }
    GeglBuffer *shadow = gimp_drawable_get_shadow_buffer(target);
    gegl_buffer_set(shadow, GEGL_RECTANGLE(r->x, r->y, r->width, r->height), 0, float_rgba(),
                    cg_image_at(r->pixels, r->ox, r->oy), (gint)(r->pixels->width * 4 * sizeof(float)));
    gegl_buffer_flush(shadow);
    g_object_unref(shadow);
    gimp_drawable_merge_shadow(target, TRUE);
    gimp_drawable_update(target, r->x, r->y, r->width, r->height);
    return target;
}

/* Everything is computed before this, so a cancel (which kills the plug-in)
 * cannot leave half the layers changed. */
static void paint_results(gint32 image, GArray *results, const settings *s, const char *style_name)
{
    if (results->len == 0)
        return;
    gimp_progress_set_text(_("Applying the result"));
    gimp_image_undo_group_start(image);
    gint32 last = -1;
    for (guint i = 0; i < results->len; i++)
        last = paint_result(image, &g_array_index(results, result, i), s, style_name);
    gimp_image_undo_group_end(image);
    if (s->output == OUTPUT_NEW_LAYER)
        gimp_image_set_active_layer(image, last);
}

gboolean run_stylize(gint32 image, gint32 drawable, const loaded_style *st, const settings *s, GError **error)
{
    GArray *layers = g_array_new(FALSE, FALSE, sizeof(gint32));
    collect_layers(drawable, layers);
    if (!check_paintable(layers, error)) {
        g_array_free(layers, TRUE);
        return FALSE;
    }
    int margin = cg_net_receptive_radius(cg_model_net(st->model));
    cg_stylize_options o = stylize_options(st, s);
    progress p = {0};
    o.progress = on_progress;
    o.progress_data = &p;
    GArray *results = new_results();
    gboolean ok = TRUE;

    gimp_progress_init(_("Comic style"));
    g_strlcpy(p.label, _("Comic style"), sizeof p.label);
    for (guint i = 0; ok && i < layers->len; i++) {
        result r = {.layer = g_array_index(layers, gint32, i)};
        if (!gimp_drawable_mask_intersect(r.layer, &r.x, &r.y, &r.width, &r.height))
            continue; /* the selection misses this layer */
        /* Only the selection's bounding box, with the network's context around it. */
        int x0 = MAX(0, r.x - margin), y0 = MAX(0, r.y - margin);
        int x1 = MIN(gimp_drawable_width(r.layer), r.x + r.width + margin);
        int y1 = MIN(gimp_drawable_height(r.layer), r.y + r.height + margin);
        r.ox = r.x - x0;
        r.oy = r.y - y0;
        if (layers->len > 1) {
            char *text = g_strdup_printf(_("Comic style: layer %u of %u"), i + 1, layers->len);
            progress_text(&p, text);
            g_free(text);
        }
        p.base = (double)i / layers->len;
        p.span = 1.0 / layers->len;
        r.pixels = read_pixels(r.layer, x0, y0, x1 - x0, y1 - y0, error);
        cg_error err = {0};
        if (!r.pixels)
            ok = FALSE;
        else if (cg_stylize(st->model, r.pixels, r.pixels, &o, &err) != CG_OK)
            ok = set_cg_error(error, &err);
        g_array_append_val(results, r);
    }
    if (ok)
        paint_results(image, results, s, st->display_name);
    gimp_progress_end();
    g_array_free(results, TRUE);
    g_array_free(layers, TRUE);
    return ok;
}

gboolean run_layers(gint32 image, gint32 drawable, const loaded_style *st, const settings *s, GError **error)
{
    GArray *layers = g_array_new(FALSE, FALSE, sizeof(gint32));
    if (gimp_item_is_group(drawable)) {
        collect_layers(drawable, layers);
    } else {
        gint n = 0;
        gint *top = gimp_image_get_layers(image, &n);
        for (gint i = 0; i < n; i++)
            collect_layers(top[i], layers);
        g_free(top);
    }
    if (!check_paintable(layers, error)) {
        g_array_free(layers, TRUE);
        return FALSE;
    }
    int n = (int)layers->len;
    cg_image **in = g_new0(cg_image *, n);
    cg_image **out = g_new0(cg_image *, n);
    GArray *results = new_results();
    gboolean ok = TRUE;

    gimp_progress_init_printf(_("Comic style: %d frames"), n);
    /* Frames run bottom to top, the order of GIMP animations. */
    for (int i = 0; ok && i < n; i++) {
        gint32 layer = g_array_index(layers, gint32, n - 1 - i);
        int width = gimp_drawable_width(layer), height = gimp_drawable_height(layer);
        in[i] = read_pixels(layer, 0, 0, width, height, error);
        out[i] = in[i] ? new_image(width, height, error) : NULL;
        ok = out[i] != NULL;
    }
    if (ok) {
        cg_stylize_options o = stylize_options(st, s);
        progress p = {.span = 1.0};
        g_snprintf(p.label, sizeof p.label, _("Comic style: %d frames"), n);
        o.progress = on_progress;
        o.progress_data = &p;
        cg_error err = {0};
        if (cg_stylize_frames(st->model, (const cg_image *const *)in, out, n, &o, &err) != CG_OK)
            ok = set_cg_error(error, &err);
    }
    for (int i = 0; ok && i < n; i++) {
        result r = {.layer = g_array_index(layers, gint32, n - 1 - i)};
        if (!gimp_drawable_mask_intersect(r.layer, &r.x, &r.y, &r.width, &r.height))
            continue;
        r.pixels = out[i];
        r.ox = r.x;
        r.oy = r.y;
        out[i] = NULL; /* results owns it now */
        g_array_append_val(results, r);
    }
    if (ok)
        paint_results(image, results, s, st->display_name);
    gimp_progress_end();
    for (int i = 0; i < n; i++) {
        cg_image_free(in[i]);
        cg_image_free(out[i]);
    }
    g_free(in);
    g_free(out);
    g_array_free(results, TRUE);
    g_array_free(layers, TRUE);
    return ok;
}

gboolean run_attention(gint32 image, gint32 drawable, const loaded_style *st, const settings *s,
                       gint32 *heatmap_layer, GError **error)
{
    int width = gimp_drawable_width(drawable), height = gimp_drawable_height(drawable);
    int point = find_attention_point(st->model, s->point);
    const char *point_name = cg_net_attention_name(cg_model_net(st->model), point);
    cg_image *img = read_pixels(drawable, 0, 0, width, height, error);
    if (!img)
        return FALSE;
    float *map = g_try_new(float, (gsize)width * height);
    if (!map) {
        cg_image_free(img);
        g_set_error_literal(error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED, _("Out of memory."));
        return FALSE;
    }
    cg_stylize_options o = stylize_options(st, s);
    progress p = {.span = 1.0};
    g_snprintf(p.label, sizeof p.label, _("Attention map \"%s\""), point_name);
    o.progress = on_progress;
    o.progress_data = &p;
    cg_error err = {0};

    gimp_progress_init_printf(_("Attention map \"%s\""), point_name);
    gboolean ok = cg_stylize_attention(st->model, img, point, &o, map, &err) == CG_OK;
    if (!ok) {
        set_cg_error(error, &err);
    } else {
        /* Opaque colours in a half-transparent layer: the image shows
         * through, and the layer's opacity slider can change how much. */
        cg_heatmap(map, width, height, 1.0f, img);
        gint x = 0, y = 0;
        gimp_drawable_offsets(drawable, &x, &y);
        /* TRANSLATORS: a layer's name: the attention point, then the style. */
        char *name = g_strdup_printf(_("Attention %s (%s)"), point_name, st->display_name);
        gimp_image_undo_group_start(image);
        gint32 layer = gimp_layer_new(image, name,
                                      width, height,
                                      gimp_image_base_type(image) == GIMP_GRAY ? GIMP_GRAYA_IMAGE : GIMP_RGBA_IMAGE,
                                      60.0, GIMP_LAYER_MODE_NORMAL);
        gimp_image_insert_layer(image, layer, gimp_item_get_parent(drawable),
                                gimp_image_get_item_position(image, drawable));
        gimp_layer_set_offsets(layer, x, y);
        GeglBuffer *buffer = gimp_drawable_get_buffer(layer);
        gegl_buffer_set(buffer, GEGL_RECTANGLE(0, 0, width, height), 0, float_rgba(), img->pixels,
                        GEGL_AUTO_ROWSTRIDE);
        gegl_buffer_flush(buffer);
        g_object_unref(buffer);
        gimp_drawable_update(layer, 0, 0, width, height);
        gimp_image_undo_group_end(image);
        gimp_image_set_active_layer(image, layer);
        *heatmap_layer = layer;
        g_free(name);
    }
    gimp_progress_end();
    g_free(map);
    cg_image_free(img);
    return ok;
}
