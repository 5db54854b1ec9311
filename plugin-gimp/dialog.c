/* The GTK 3 dialog: named presets, style chooser with thumbnails, the
 * controls, and a live preview (fitted, or 100% and pannable, optionally
 * split into before and after) computed by the worker thread.
 *
 * Pixels are read from GIMP here, in the main thread, and handed to the
 * worker; everything the worker returns comes back through the main loop. */
#include "comicgan-gimp.h"
#include "preview.h"

#include <gtk/gtk.h>
#ifdef GDK_WINDOWING_X11
#include <gdk/gdkx.h>
#endif
#include <math.h>
#include <string.h>

#define FIT_SIDE 640      /* the fitted preview's longest side */
#define THUMB_SIDE 96     /* style thumbnails */
#define VIEW_MAX 1024     /* the 100% view's largest side */
#define PREVIEW_DELAY 150 /* ms after the last change before a preview starts */
/* The fitted preview stylizes its copy at the scale the full image implies,
 * so it shows the result's detail; a copy is enlarged at most this much (a
 * native-scale image much larger than the copy would otherwise make every
 * preview as slow as the result, and then shows coarser detail than it). */
#define FIT_MAX_SCALE 2.0

/* The "Detail size" choices: the settings' scale value and the label. */
static const struct {
    double scale;
    const char *label;
} scales[] = {
    {0, N_("Automatic")},
    {1, N_("Native")},
    {0.5, N_("Half size")},
    {0.25, N_("Quarter size")},
};

/* COL_REFERENCE: the row is a reference model's "From an image..." choice. */
enum { COL_PIXBUF, COL_LABEL, COL_NAME, COL_MODEL, COL_INDEX, COL_DESCRIPTION, COL_REFERENCE, N_COLS };

/* What the dialog knows about a model without keeping it loaded. */
typedef struct model_info {
    int margin;
    int styles; /* how many styles the model has */
    GPtrArray *points; /* attention point names */
} model_info;

typedef struct dialog {
    job_kind kind;
    gint32 drawable;
    settings *s;
    int width, height; /* the drawable's */

    GtkWidget *window, *area, *icons, *description, *strength, *keep_colors, *output, *tile, *scale, *memory;
    GtkWidget *attention, *point, *zoom, *spinner, *status;
    GtkWidget *style_b, *mix, *line_weight, *denoise, *contrast;
    GtkWidget *preset, *preset_save, *preset_delete, *preset_note, *split;
    GtkWidget *ref_box, *ref_layer, *ref_file, *ref_thumb; /* ref_box: NULL without reference choice */
    gboolean ref_from_file; /* the reference is ref_file's, not ref_layer's */
    GtkListStore *styles;
    GHashTable *infos; /* model path -> model_info */

    cg_image *fit;     /* the drawable scaled to fit, read once */
    double fit_scale;

    gboolean actual_size;   /* 100% view instead of fitted */
    int center_x, center_y; /* the 100% view's centre, drawable coordinates */
    gboolean dragging;
    double drag_x, drag_y, drag_dx, drag_dy;
    double split_at;         /* the before/after divider, a fraction of the area's width */
    gboolean dragging_split;

    /* What is drawn: the part (x, y, w, h) of the drawable at 100%, or the
     * whole fitted image; styled replaces original when it arrives. */
    GdkRectangle shown, requested;
    gboolean shown_fit;
    GdkPixbuf *original, *styled, *heat;

    preview_worker *worker;
    int generation;
    guint timer;

    /* The reference picture's style code, encoded here once per choice (the
     * worker gets a copy with each preview) by ref_model, the model of
     * ref_model_path, loaded when first needed. */
    cg_model *ref_model;
    char *ref_model_path;
    float *code; /* NULL until a usable reference is chosen */
    char *ref_error; /* why there is no code, or NULL */
} dialog;

static void model_info_free(gpointer data)
{
    model_info *info = data;
    g_ptr_array_free(info->points, TRUE);
    g_free(info);
}

/* Loaded once per model file, in the main thread: the worker has its own copy. */
static const model_info *info_for(dialog *d, const char *path)
{
    model_info *info = g_hash_table_lookup(d->infos, path);
    if (info)
        return info;
    info = g_new0(model_info, 1);
    info->points = g_ptr_array_new_with_free_func(g_free);
    cg_error err = {0};
    cg_model *m = cg_model_load(path, &err);
    if (m) {
        const cg_net *net = cg_model_net(m);
        info->margin = cg_net_receptive_radius(net);
        info->styles = cg_model_style_count(m);
        for (int i = 0; i < cg_net_attention_count(net); i++)
            g_ptr_array_add(info->points, g_strdup(cg_net_attention_name(net, i)));
        cg_model_free(m);
    }
    g_hash_table_insert(d->infos, g_strdup(path), info);
    return info;
}

/* The selected style's row, FALSE if none. */
static gboolean selected_style(dialog *d, GtkTreeIter *iter)
{
    GList *sel = gtk_icon_view_get_selected_items(GTK_ICON_VIEW(d->icons));
    gboolean ok = sel && gtk_tree_model_get_iter(GTK_TREE_MODEL(d->styles), iter, sel->data);
    g_list_free_full(sel, (GDestroyNotify)gtk_tree_path_free);
    return ok;
}

static int attention_point(dialog *d)
{
    gboolean shown = d->kind == JOB_ATTENTION || gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(d->attention));
    return shown && gtk_widget_get_sensitive(d->point) ? gtk_combo_box_get_active(GTK_COMBO_BOX(d->point)) : -1;
}

static int tile_value(dialog *d)
{
    int tile = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(d->tile));
    return tile == 0 ? 0 : CLAMP(tile, TILE_MIN, TILE_MAX);
}

/* The row of the style called name, FALSE if none. */
static gboolean style_row(dialog *d, const char *name, GtkTreeIter *iter)
{
    GtkTreeModel *model = GTK_TREE_MODEL(d->styles);
    for (gboolean ok = gtk_tree_model_get_iter_first(model, iter); ok; ok = gtk_tree_model_iter_next(model, iter)) {
        char *row = NULL;
        gtk_tree_model_get(model, iter, COL_NAME, &row, -1);
        gboolean same = g_strcmp0(row, name) == 0;
        g_free(row);
        if (same)
            return TRUE;
    }
    return FALSE;
}

static preview_job *job_for_style(dialog *d, GtkTreeIter *iter)
{
    preview_job *job = g_new0(preview_job, 1);
    gtk_tree_model_get(GTK_TREE_MODEL(d->styles), iter, COL_MODEL, &job->model_path, COL_INDEX, &job->style_index,
                       -1);
    gboolean reference = FALSE;
    gtk_tree_model_get(GTK_TREE_MODEL(d->styles), iter, COL_REFERENCE, &reference, -1);
    if (reference && d->code)
        job->code = g_memdup2(d->code, (guint)(cg_model_code_length(d->ref_model) * sizeof *d->code));
    job->stylize = TRUE;
    job->strength = (float)(gtk_range_get_value(GTK_RANGE(d->strength)) / 100.0);
    job->keep_colors = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(d->keep_colors));
    job->line_weight = (float)gtk_range_get_value(GTK_RANGE(d->line_weight));
    job->denoise = (float)gtk_range_get_value(GTK_RANGE(d->denoise));
    job->contrast = (float)gtk_range_get_value(GTK_RANGE(d->contrast));
    job->tile = tile_value(d);
    job->point = -1;
    /* The mix: style B's row in the list (same model), its share from the slider. */
    GtkTreeIter b;
    double share = gtk_range_get_value(GTK_RANGE(d->mix)) / 100.0;
    const char *id = gtk_combo_box_get_active_id(GTK_COMBO_BOX(d->style_b));
    if (id && *id && share > 0 && style_row(d, id, &b)) {
        int index_b = 0;
        gtk_tree_model_get(GTK_TREE_MODEL(d->styles), &b, COL_INDEX, &index_b, -1);
        const model_info *info = info_for(d, job->model_path);
        if (index_b < info->styles && job->style_index < info->styles) {
            job->mix = g_new0(float, info->styles);
            job->mix[job->style_index] += (float)(1 - share);
            job->mix[index_b] += (float)share;
        }
    }
    return job;
}

/* The scale the full drawable is stylized at (1: native). */
static double full_scale(dialog *d)
{
    int k = gtk_combo_box_get_active(GTK_COMBO_BOX(d->scale));
    cg_stylize_options o = cg_stylize_defaults();
    o.scale = (float)scales[k < 0 ? 0 : k].scale;
    o.scale_side = o.scale > 0 ? 0 : CG_STYLIZE_AUTO_SIDE;
    return cg_stylize_scale_of(&o, d->width, d->height);
}

/* The scale for the fitted copy that shows the full result's detail. */
static float fit_scale_for(dialog *d)
{
    double s = MIN(full_scale(d) / d->fit_scale, FIT_MAX_SCALE);
    return fabs(s - 1) < 1e-6 ? 1.0f : (float)s;
}

/* The part of the drawable the 100% view shows, for the area's size now. */
static GdkRectangle view_rect(dialog *d)
{
    int w = MIN(MIN(gtk_widget_get_allocated_width(d->area), VIEW_MAX), d->width);
    int h = MIN(MIN(gtk_widget_get_allocated_height(d->area), VIEW_MAX), d->height);
    GdkRectangle r = {CLAMP(d->center_x - w / 2, 0, d->width - w), CLAMP(d->center_y - h / 2, 0, d->height - h),
                      MAX(w, 1), MAX(h, 1)};
    return r;
}

static void set_busy(dialog *d, gboolean busy, const char *message)
{
    if (busy)
        gtk_spinner_start(GTK_SPINNER(d->spinner));
    else
        gtk_spinner_stop(GTK_SPINNER(d->spinner));
    gtk_label_set_text(GTK_LABEL(d->status), message ? message : "");
}

static gboolean is_reference_row(dialog *d, GtkTreeIter *iter)
{
    gboolean reference = FALSE;
    gtk_tree_model_get(GTK_TREE_MODEL(d->styles), iter, COL_REFERENCE, &reference, -1);
    return reference;
}

static void send_preview(dialog *d)
{
    GtkTreeIter iter;
    if (!selected_style(d, &iter))
        return;
    if (is_reference_row(d, &iter) && !d->code) {
        /* Nothing to stylize with: the image as it is, and why. */
        ++d->generation;
        g_clear_object(&d->styled);
        g_clear_object(&d->heat);
        if (!d->original) {
            d->original = pixbuf_from_image(d->fit, 0, 0, d->fit->width, d->fit->height);
            d->shown = (GdkRectangle){0, 0, d->fit->width, d->fit->height};
            d->shown_fit = TRUE;
        }
        gtk_widget_queue_draw(d->area);
        set_busy(d, FALSE, d->ref_error ? d->ref_error : _("Choose the reference picture: a layer or a file."));
        return;
    }
    preview_job *job = job_for_style(d, &iter);
    const model_info *info = info_for(d, job->model_path);
    job->tag = ++d->generation;
    job->stylize = d->kind != JOB_ATTENTION;
    job->point = attention_point(d);

    GdkRectangle want = {0, 0, d->fit->width, d->fit->height};
    GError *error = NULL;
    job->scale = fit_scale_for(d);
    if (d->actual_size) {
        /* The part shown, with the network's context around it (in drawable
         * pixels: the network's margin grows as the scale shrinks). */
        job->scale = (float)full_scale(d);
        job->stats_scale = fit_scale_for(d);
        int margin = (int)ceil(info->margin / job->scale) + 4;
        want = view_rect(d);
        /* Near the edges the view stops at the drawable: centre it there. */
        d->center_x = want.x + want.width / 2;
        d->center_y = want.y + want.height / 2;
        /* The crop starts on a multiple of 16 so the network's stride-2 grid
         * lines up with the full image's, and it is stylized with the whole
         * drawable's statistics (from the fitted copy). */
        int x0 = MAX(0, want.x - margin) / 16 * 16, y0 = MAX(0, want.y - margin) / 16 * 16;
        int x1 = MIN(d->width, want.x + want.width + margin);
        int y1 = MIN(d->height, want.y + want.height + margin);
        job->input = read_pixels(d->drawable, x0, y0, x1 - x0, y1 - y0, &error);
        job->x = want.x - x0;
        job->y = want.y - y0;
        cg_error err = {0};
        job->stats_source = cg_image_copy(d->fit, &err);
    } else {
        /* The scaled-down image, at the scale the full image implies. */
        cg_error err = {0};
        job->input = cg_image_copy(d->fit, &err);
        if (!job->input)
            g_set_error_literal(&error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED, err.message);
    }
    if (!job->input) {
        set_busy(d, FALSE, error->message);
        g_error_free(error);
        preview_job_free(job);
        return;
    }
    job->width = want.width;
    job->height = want.height;

    /* A new region shows its original pixels until the styled ones come;
     * the same region keeps the old result, so sliders do not flicker. */
    if (d->shown_fit != !d->actual_size || !gdk_rectangle_equal(&d->shown, &want)) {
        g_clear_object(&d->original);
        g_clear_object(&d->styled);
        g_clear_object(&d->heat);
        d->original = pixbuf_from_image(job->input, job->x, job->y, want.width, want.height);
        d->shown = want;
        d->shown_fit = !d->actual_size;
        gtk_widget_queue_draw(d->area);
    }
    d->requested = want;
    set_busy(d, TRUE, _("Rendering the preview..."));
    preview_worker_submit(d->worker, job);
}

static gboolean preview_timer(gpointer data)
{
    dialog *d = data;
    d->timer = 0;
    send_preview(d);
    return G_SOURCE_REMOVE;
}

/* Coalesces changes (a slider drag sends many) into one preview. */
static void request_preview(dialog *d)
{
    if (d->timer)
        g_source_remove(d->timer);
    d->timer = g_timeout_add(PREVIEW_DELAY, preview_timer, d);
}

static void on_result(const preview_result *r, gpointer data)
{
    dialog *d = data;
    if (r->thumbnail) {
        GtkTreeIter iter;
        if (r->styled && gtk_tree_model_iter_nth_child(GTK_TREE_MODEL(d->styles), &iter, NULL, r->tag))
            gtk_list_store_set(d->styles, &iter, COL_PIXBUF, r->styled, -1);
        return;
    }
    if (r->tag != d->generation)
        return; /* a newer preview is on its way */
    set_busy(d, FALSE, r->error);
    g_clear_object(&d->styled);
    g_clear_object(&d->heat);
    if (r->styled)
        d->styled = g_object_ref(r->styled);
    if (r->heat)
        d->heat = g_object_ref(r->heat);
    d->shown = d->requested;
    gtk_widget_queue_draw(d->area);
}

/* Where the shown pixbuf goes in the area, and its scale. */
static void placement(dialog *d, double *x, double *y, double *scale)
{
    double aw = gtk_widget_get_allocated_width(d->area), ah = gtk_widget_get_allocated_height(d->area);
    if (d->shown_fit) {
        *scale = MIN(aw / d->shown.width, ah / d->shown.height);
        *x = (aw - d->shown.width * *scale) / 2;
        *y = (ah - d->shown.height * *scale) / 2;
    } else {
        *scale = 1.0;
        *x = floor(aw / 2 - (d->center_x - d->shown.x) + d->drag_dx);
        *y = floor(ah / 2 - (d->center_y - d->shown.y) + d->drag_dy);
    }
}

/* The before/after divider's place in the area, in pixels. */
static double split_x(dialog *d)
{
    return d->split_at * gtk_widget_get_allocated_width(d->area);
}

static gboolean on_draw(GtkWidget *area, cairo_t *cr, gpointer data)
{
    dialog *d = data;
    GdkPixbuf *shown = d->styled ? d->styled : d->original;
    if (!shown)
        return FALSE;
    double x, y, scale;
    placement(d, &x, &y, &scale);
    cairo_translate(cr, x, y);
    cairo_scale(cr, scale, scale);
    cairo_rectangle(cr, 0, 0, d->shown.width, d->shown.height);
    cairo_clip(cr);

    /* A checkerboard under transparent pixels, as GIMP draws it. */
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    for (int j = 0; j * 8 < d->shown.height; j++)
        for (int i = j % 2; i * 8 < d->shown.width; i += 2)
            cairo_rectangle(cr, i * 8, j * 8, 8, 8);
    cairo_fill(cr);

    /* Split: the original left of the divider, the result right of it. */
    gboolean split = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(d->split)) && d->original;
    double divider = (split_x(d) - x) / scale;
    gdk_cairo_set_source_pixbuf(cr, shown, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), scale < 1 ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST);
    if (split) {
        cairo_save(cr);
        cairo_rectangle(cr, divider, 0, d->shown.width, d->shown.height);
        cairo_clip(cr);
    }
    cairo_paint(cr);
    if (d->heat && attention_point(d) >= 0) {
        gdk_cairo_set_source_pixbuf(cr, d->heat, 0, 0);
        cairo_paint(cr);
    }
    if (split) {
        cairo_restore(cr);
        cairo_save(cr);
        cairo_rectangle(cr, 0, 0, divider, d->shown.height);
        cairo_clip(cr);
        gdk_cairo_set_source_pixbuf(cr, d->original, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), scale < 1 ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST);
        cairo_paint(cr);
        cairo_restore(cr);
        /* The divider, light with a dark edge so it shows on any picture. */
        cairo_identity_matrix(cr);
        cairo_reset_clip(cr);
        double ah = gtk_widget_get_allocated_height(area);
        cairo_rectangle(cr, floor(split_x(d)) - 2, 0, 4, ah);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_fill(cr);
        cairo_rectangle(cr, floor(split_x(d)) - 1, 0, 2, ah);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill(cr);
    }
    return TRUE;
}

static void set_actual_size(dialog *d, gboolean actual)
{
    if (d->actual_size == actual)
        return;
    d->actual_size = actual;
    g_signal_handlers_block_matched(d->zoom, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, d);
    gtk_combo_box_set_active(GTK_COMBO_BOX(d->zoom), actual ? 1 : 0);
    g_signal_handlers_unblock_matched(d->zoom, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, d);
    send_preview(d);
}

static gboolean on_press(GtkWidget *area, GdkEventButton *event, gpointer data)
{
    dialog *d = data;
    if (event->button != 1)
        return FALSE;
    if (gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(d->split)) && fabs(event->x - split_x(d)) <= 8) {
        d->dragging_split = TRUE;
        return TRUE;
    }
    if (!d->actual_size) {
        /* A click on the fitted image looks at that spot at 100%. */
        double x, y, scale;
        placement(d, &x, &y, &scale);
        d->center_x = CLAMP((int)((event->x - x) / scale / d->fit_scale), 0, d->width - 1);
        d->center_y = CLAMP((int)((event->y - y) / scale / d->fit_scale), 0, d->height - 1);
        set_actual_size(d, TRUE);
        return TRUE;
    }
    d->dragging = TRUE;
    d->drag_x = event->x;
    d->drag_y = event->y;
    return TRUE;
}

static gboolean on_motion(GtkWidget *area, GdkEventMotion *event, gpointer data)
{
    dialog *d = data;
    if (d->dragging_split) {
        d->split_at = CLAMP(event->x / MAX(1, gtk_widget_get_allocated_width(area)), 0.0, 1.0);
        gtk_widget_queue_draw(area);
        return TRUE;
    }
    if (!d->dragging)
        return FALSE;
    d->drag_dx = event->x - d->drag_x;
    d->drag_dy = event->y - d->drag_y;
    gtk_widget_queue_draw(area);
    return TRUE;
}

static gboolean on_release(GtkWidget *area, GdkEventButton *event, gpointer data)
{
    dialog *d = data;
    if (d->dragging_split && event->button == 1) {
        d->dragging_split = FALSE;
        return TRUE;
    }
    if (!d->dragging || event->button != 1)
        return FALSE;
    d->dragging = FALSE;
    GdkRectangle before = view_rect(d);
    d->center_x = CLAMP(before.x + before.width / 2 - (int)lrint(d->drag_dx), 0, d->width - 1);
    d->center_y = CLAMP(before.y + before.height / 2 - (int)lrint(d->drag_dy), 0, d->height - 1);
    d->drag_dx = d->drag_dy = 0;
    send_preview(d);
    return TRUE;
}

static void on_area_resized(GtkWidget *area, GdkRectangle *allocation, gpointer data)
{
    dialog *d = data;
    GdkRectangle want = view_rect(d);
    if (d->actual_size && (want.width != d->requested.width || want.height != d->requested.height))
        request_preview(d);
}

static void on_zoom_changed(GtkComboBox *combo, gpointer data)
{
    dialog *d = data;
    d->actual_size = gtk_combo_box_get_active(combo) == 1;
    send_preview(d);
}

static void on_control_changed(GtkWidget *widget, gpointer data)
{
    request_preview(data);
}

static void update_mix_sensitive(dialog *d)
{
    const char *id = gtk_combo_box_get_active_id(GTK_COMBO_BOX(d->style_b));
    gtk_widget_set_sensitive(d->mix, id && *id);
}

static void on_style_b_changed(GtkWidget *widget, gpointer data)
{
    update_mix_sensitive(data);
    request_preview(data);
}

static void on_split_toggled(GtkToggleButton *button, gpointer data)
{
    dialog *d = data;
    gtk_widget_queue_draw(d->area);
}

static void on_attention_toggled(GtkToggleButton *button, gpointer data)
{
    dialog *d = data;
    gtk_widget_queue_draw(d->area);
    if (attention_point(d) >= 0 && !d->heat)
        request_preview(d);
}

/* The styles style A (of model file path) can be mixed with: the others of
 * its model. Keeps the chosen one where it is still there. */
static void fill_style_b(dialog *d, const char *path)
{
    char *current = g_strdup(gtk_combo_box_get_active_id(GTK_COMBO_BOX(d->style_b)));
    const char *wanted = current ? current : d->s->style_b;
    GtkTreeIter a, iter;
    char *name_a = NULL;
    if (selected_style(d, &a))
        gtk_tree_model_get(GTK_TREE_MODEL(d->styles), &a, COL_NAME, &name_a, -1);
    g_signal_handlers_block_matched(d->style_b, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, d);
    gtk_combo_box_text_remove_all(GTK_COMBO_BOX_TEXT(d->style_b));
    gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(d->style_b), "", _("None"));
    gtk_combo_box_set_active_id(GTK_COMBO_BOX(d->style_b), "");
    int others = 0;
    GtkTreeModel *model = GTK_TREE_MODEL(d->styles);
    for (gboolean ok = gtk_tree_model_get_iter_first(model, &iter); ok; ok = gtk_tree_model_iter_next(model, &iter)) {
        char *name = NULL, *label = NULL, *model_path = NULL;
        gtk_tree_model_get(model, &iter, COL_NAME, &name, COL_LABEL, &label, COL_MODEL, &model_path, -1);
        if (g_strcmp0(model_path, path) == 0 && g_strcmp0(name, name_a) != 0) {
            gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(d->style_b), name, label);
            if (strcmp(name, wanted) == 0)
                gtk_combo_box_set_active_id(GTK_COMBO_BOX(d->style_b), name);
            others++;
        }
        g_free(name);
        g_free(label);
        g_free(model_path);
    }
    g_signal_handlers_unblock_matched(d->style_b, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, d);
    gtk_widget_set_sensitive(d->style_b, others > 0);
    gtk_widget_set_tooltip_text(d->style_b, others > 0 ? _("A second style of the same network, blended in by the "
                                                           "slider beside it.")
                                                       : _("This style's network has no other style to mix in."));
    update_mix_sensitive(d);
    g_free(name_a);
    g_free(current);
}

/* OK needs a style to run: a reference row needs a usable reference. */
static void update_ok(dialog *d)
{
    GtkTreeIter iter;
    if (d->kind != JOB_ATTENTION && selected_style(d, &iter))
        gtk_dialog_set_response_sensitive(GTK_DIALOG(d->window), GTK_RESPONSE_OK,
                                          !is_reference_row(d, &iter) || d->code);
}

/* The reference chosen in the dialog into s; FALSE when none is. */
static gboolean reference_choice(dialog *d, settings *s)
{
    s->reference = -1;
    s->reference_file[0] = '\0';
    if (d->ref_from_file) {
        char *file = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(d->ref_file));
        gboolean ok = file && strlen(file) < sizeof s->reference_file;
        if (ok)
            g_strlcpy(s->reference_file, file, sizeof s->reference_file);
        g_free(file);
        return ok;
    }
    const char *id = gtk_combo_box_get_active_id(GTK_COMBO_BOX(d->ref_layer));
    if (!id)
        return FALSE;
    s->reference = (gint32)g_ascii_strtoll(id, NULL, 10);
    return gimp_item_is_valid(s->reference);
}

/* Encodes the chosen reference for the selected reference row and shows
 * its thumbnail, there and on the row; without one, says why. */
static void update_reference(dialog *d)
{
    g_clear_pointer(&d->code, g_free);
    g_clear_pointer(&d->ref_error, g_free);
    GtkTreeIter iter;
    settings r = *d->s;
    if (!selected_style(d, &iter) || !is_reference_row(d, &iter) || !reference_choice(d, &r)) {
        update_ok(d);
        return;
    }
    char *path = NULL;
    gtk_tree_model_get(GTK_TREE_MODEL(d->styles), &iter, COL_MODEL, &path, -1);
    cg_error err = {0};
    GError *error = NULL;
    if (g_strcmp0(path, d->ref_model_path) != 0) {
        cg_model_free(d->ref_model);
        g_free(d->ref_model_path);
        d->ref_model = cg_model_load(path, &err);
        d->ref_model_path = d->ref_model ? g_strdup(path) : NULL;
    }
    cg_image *ref = d->ref_model ? read_reference(&r, &error) : NULL;
    if (!d->ref_model) {
        d->ref_error = g_strdup(err.message);
    } else if (!ref) {
        d->ref_error = g_strdup(error->message);
    } else {
        d->code = g_new(float, cg_model_code_length(d->ref_model));
        if (cg_model_encode_reference(d->ref_model, ref, d->code, &err) != CG_OK) {
            d->ref_error = g_strdup_printf(_("The reference picture cannot be used: %s"), err.message);
            g_clear_pointer(&d->code, g_free);
        }
        double f = (double)THUMB_SIDE / MAX(ref->width, ref->height);
        cg_image *small = cg_image_resize(ref, MAX(1, (int)lround(ref->width * f)),
                                          MAX(1, (int)lround(ref->height * f)), &err);
        if (small) {
            GdkPixbuf *thumb = pixbuf_from_image(small, 0, 0, small->width, small->height);
            gtk_image_set_from_pixbuf(GTK_IMAGE(d->ref_thumb), thumb);
            gtk_list_store_set(d->styles, &iter, COL_PIXBUF, thumb, -1);
            g_clear_object(&thumb);
            cg_image_free(small);
        }
    }
    g_clear_error(&error);
    cg_image_free(ref);
    g_free(path);
    update_ok(d);
    request_preview(d);
}

static void on_reference_layer(GtkComboBox *combo, gpointer data)
{
    dialog *d = data;
    if (gtk_combo_box_get_active(combo) < 0)
        return;
    d->ref_from_file = FALSE;
    gtk_file_chooser_unselect_all(GTK_FILE_CHOOSER(d->ref_file));
    update_reference(d);
}

static void on_reference_file(GtkFileChooserButton *button, gpointer data)
{
    dialog *d = data;
    d->ref_from_file = TRUE;
    g_signal_handlers_block_matched(d->ref_layer, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, d);
    gtk_combo_box_set_active(GTK_COMBO_BOX(d->ref_layer), -1);
    g_signal_handlers_unblock_matched(d->ref_layer, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, d);
    update_reference(d);
}

/* Every layer below item (groups too: their composite), as "image / layer". */
static void add_reference_layers(dialog *d, gint32 item, const char *image_name)
{
    char *name = gimp_item_get_name(item);
    char *label = g_strdup_printf("%s / %s", image_name, name);
    char *id = g_strdup_printf("%d", item);
    gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(d->ref_layer), id, label);
    g_free(id);
    g_free(label);
    g_free(name);
    if (!gimp_item_is_group(item))
        return;
    gint n = 0;
    gint *children = gimp_item_get_children(item, &n);
    for (gint i = 0; i < n; i++)
        add_reference_layers(d, children[i], image_name);
    g_free(children);
}

/* The layers of every open image, the last reference chosen again. */
static void fill_reference_layers(dialog *d)
{
    gint n = 0;
    gint *images = gimp_image_list(&n);
    for (gint i = 0; i < n; i++) {
        char *image_name = gimp_image_get_name(images[i]);
        gint k = 0;
        gint *layers = gimp_image_get_layers(images[i], &k);
        for (gint j = 0; j < k; j++)
            add_reference_layers(d, layers[j], image_name ? image_name : "");
        g_free(layers);
        g_free(image_name);
    }
    g_free(images);
    if (d->s->reference_file[0]) {
        d->ref_from_file = gtk_file_chooser_set_filename(GTK_FILE_CHOOSER(d->ref_file), d->s->reference_file);
    } else {
        char *id = g_strdup_printf("%d", d->s->reference);
        gtk_combo_box_set_active_id(GTK_COMBO_BOX(d->ref_layer), id);
        g_free(id);
    }
}

/* Shows the selected style's description and its model's attention points. */
static void on_style_changed(GtkIconView *icons, gpointer data)
{
    dialog *d = data;
    GtkTreeIter iter;
    if (!selected_style(d, &iter))
        return;
    char *description = NULL, *path = NULL;
    gtk_tree_model_get(GTK_TREE_MODEL(d->styles), &iter, COL_DESCRIPTION, &description, COL_MODEL, &path, -1);
    gtk_label_set_text(GTK_LABEL(d->description), description);
    const model_info *info = info_for(d, path);
    char *current = gtk_combo_box_text_get_active_text(GTK_COMBO_BOX_TEXT(d->point));
    const char *wanted = current ? current : d->s->point;
    gtk_combo_box_text_remove_all(GTK_COMBO_BOX_TEXT(d->point));
    int active = 0;
    for (guint i = 0; i < info->points->len; i++) {
        const char *name = g_ptr_array_index(info->points, i);
        gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(d->point), name);
        if (strcmp(name, wanted) == 0)
            active = (int)i;
    }
    gboolean has_points = info->points->len > 0;
    if (d->ref_box) {
        gboolean reference = is_reference_row(d, &iter);
        gtk_widget_set_visible(d->ref_box, reference);
        if (reference)
            update_reference(d);
        update_ok(d);
    }
    if (has_points)
        gtk_combo_box_set_active(GTK_COMBO_BOX(d->point), active);
    gtk_widget_set_sensitive(d->point, has_points);
    gtk_widget_set_sensitive(d->attention, has_points);
    gtk_widget_set_tooltip_text(d->attention, has_points ? NULL : _("This style's network has no attention points."));
    if (d->kind == JOB_ATTENTION)
        gtk_dialog_set_response_sensitive(GTK_DIALOG(d->window), GTK_RESPONSE_OK, has_points);
    fill_style_b(d, path);
    g_free(current);
    g_free(description);
    g_free(path);
    request_preview(d);
}

/* Fills the style list, the identity style ("Original") too, as Krita's
 * dialog does, and queues a thumbnail of each on a square from the drawable. */
static void add_styles(dialog *d, const cg_catalog *catalog)
{
    int side = MIN(d->width, d->height);
    double scale = (double)THUMB_SIDE / side;
    cg_error err = {0};
    cg_image *sample = cg_image_new(THUMB_SIDE, THUMB_SIDE, &err);
    if (sample) {
        /* The centred square, scaled: GEGL takes the rectangle in scaled coordinates. */
        GeglBuffer *buffer = gimp_drawable_get_buffer(d->drawable);
        int x = (int)floor((d->width - side) / 2 * scale), y = (int)floor((d->height - side) / 2 * scale);
        gegl_buffer_get(buffer, GEGL_RECTANGLE(x, y, THUMB_SIDE, THUMB_SIDE), scale, babl_format("R'G'B'A float"),
                        sample->pixels, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
        g_object_unref(buffer);
    }
    GdkPixbuf *placeholder = sample ? pixbuf_from_image(sample, 0, 0, THUMB_SIDE, THUMB_SIDE) : NULL;
    int row = 0;
    for (int i = 0; i < cg_catalog_count(catalog); i++) {
        const cg_catalog_style *style = cg_catalog_get(catalog, i);
        gboolean reference = strcmp(style->mode, "reference") == 0;
        /* Only the stylize dialog takes a reference picture. */
        if (reference && !d->ref_box)
            continue;
        char *description = reference ? g_strdup_printf(_("The style of a picture you choose: a layer of an open "
                                                           "image, or a file (%s)."),
                                                         style->display_name)
                                       : g_strdup(style->description);
        GtkTreeIter iter;
        gtk_list_store_append(d->styles, &iter);
        gtk_list_store_set(d->styles, &iter, COL_PIXBUF, placeholder, COL_LABEL,
                           reference ? _("From an image...") : style->display_name, COL_NAME, style->name, COL_MODEL,
                           style->model_path, COL_INDEX, style->style_index, COL_DESCRIPTION, description,
                           COL_REFERENCE, reference, -1);
        g_free(description);
        if (sample && d->kind != JOB_ATTENTION && !reference) {
            preview_job *job = job_for_style(d, &iter);
            job->thumbnail = TRUE;
            job->tag = row;
            job->strength = 1.0f;
            job->keep_colors = FALSE;
            job->tile = 0;
            job->input = cg_image_copy(sample, &err);
            job->width = job->height = THUMB_SIDE;
            if (job->input)
                preview_worker_submit(d->worker, job);
            else
                preview_job_free(job);
        }
        if (strcmp(style->name, d->s->style) == 0) {
            GtkTreePath *path = gtk_tree_model_get_path(GTK_TREE_MODEL(d->styles), &iter);
            gtk_icon_view_select_path(GTK_ICON_VIEW(d->icons), path);
            gtk_icon_view_scroll_to_path(GTK_ICON_VIEW(d->icons), path, FALSE, 0, 0);
            gtk_tree_path_free(path);
        }
        row++;
    }
    g_clear_object(&placeholder);
    cg_image_free(sample);
}

static GtkWidget *section(GtkWidget *box, const char *title)
{
    GtkWidget *label = gtk_label_new(NULL);
    char *markup = g_markup_printf_escaped("<b>%s</b>", title);
    gtk_label_set_markup(GTK_LABEL(label), markup);
    g_free(markup);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);
    return label;
}

/* A slider from lo to hi with the value beside it. */
static GtkWidget *slider(double lo, double hi, double step, int digits, double value)
{
    GtkWidget *w = gtk_scale_new_with_range(GTK_ORIENTATION_HORIZONTAL, lo, hi, step);
    gtk_scale_set_value_pos(GTK_SCALE(w), GTK_POS_RIGHT);
    gtk_scale_set_digits(GTK_SCALE(w), digits);
    gtk_range_set_value(GTK_RANGE(w), value);
    gtk_widget_set_hexpand(w, TRUE);
    return w;
}

/* A label with a mnemonic for widget at (column, row) of grid, widget beside it. */
static void labelled(GtkWidget *grid, const char *text, GtkWidget *widget, int column, int row, int width)
{
    GtkWidget *label = gtk_label_new_with_mnemonic(text);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_label_set_mnemonic_widget(GTK_LABEL(label), widget);
    gtk_grid_attach(GTK_GRID(grid), label, column, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), widget, column + 1, row, width, 1);
}

static void on_preset_chosen(GtkComboBox *combo, gpointer data);
static void on_preset_save(GtkButton *button, gpointer data);
static void on_preset_delete(GtkButton *button, gpointer data);

static void build_presets(dialog *d, GtkWidget *box)
{
    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    GtkWidget *label = gtk_label_new_with_mnemonic(_("Pr_eset:"));
    d->preset = gtk_combo_box_text_new();
    gtk_widget_set_hexpand(d->preset, TRUE);
    gtk_widget_set_tooltip_text(d->preset, _("Choosing a preset sets every option below; the Krita plug-in "
                                             "shares these presets."));
    gtk_label_set_mnemonic_widget(GTK_LABEL(label), d->preset);
    d->preset_save = gtk_button_new_with_mnemonic(_("Sa_ve..."));
    d->preset_delete = gtk_button_new_with_label(_("Delete"));
    gtk_box_pack_start(GTK_BOX(row), label, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(row), d->preset, TRUE, TRUE, 0);
    gtk_box_pack_start(GTK_BOX(row), d->preset_save, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(row), d->preset_delete, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), row, FALSE, FALSE, 0);
    d->preset_note = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(d->preset_note), 0);
    gtk_label_set_line_wrap(GTK_LABEL(d->preset_note), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(d->preset_note), 50);
    gtk_widget_set_no_show_all(d->preset_note, TRUE);
    gtk_box_pack_start(GTK_BOX(box), d->preset_note, FALSE, FALSE, 0);
    g_signal_connect(d->preset, "changed", G_CALLBACK(on_preset_chosen), d);
    g_signal_connect(d->preset_save, "clicked", G_CALLBACK(on_preset_save), d);
    g_signal_connect(d->preset_delete, "clicked", G_CALLBACK(on_preset_delete), d);
}

/* The reference picker, shown while a "From an image..." row is chosen. */
static void build_reference(dialog *d, GtkWidget *box)
{
    d->ref_box = gtk_grid_new();
    gtk_grid_set_row_spacing(GTK_GRID(d->ref_box), 6);
    gtk_grid_set_column_spacing(GTK_GRID(d->ref_box), 12);
    d->ref_layer = gtk_combo_box_text_new();
    gtk_widget_set_hexpand(d->ref_layer, TRUE);
    gtk_widget_set_tooltip_text(d->ref_layer, _("A layer of any open image: its look becomes the style."));
    labelled(d->ref_box, _("Re_ference layer:"), d->ref_layer, 0, 0, 1);
    d->ref_file = gtk_file_chooser_button_new(_("Reference Picture (comicgan)"), GTK_FILE_CHOOSER_ACTION_OPEN);
    GtkFileFilter *filter = gtk_file_filter_new();
    gtk_file_filter_set_name(filter, _("Images"));
    gtk_file_filter_add_mime_type(filter, "image/*");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d->ref_file), filter);
    labelled(d->ref_box, _("or an ima_ge file:"), d->ref_file, 0, 1, 1);
    d->ref_thumb = gtk_image_new();
    gtk_widget_set_size_request(d->ref_thumb, THUMB_SIDE, THUMB_SIDE);
    gtk_grid_attach(GTK_GRID(d->ref_box), d->ref_thumb, 2, 0, 1, 2);
    gtk_widget_show_all(d->ref_box);
    /* Shown with its row only (on_style_changed). */
    gtk_widget_set_no_show_all(d->ref_box, TRUE);
    gtk_widget_hide(d->ref_box);
    gtk_box_pack_start(GTK_BOX(box), d->ref_box, FALSE, FALSE, 0);
    fill_reference_layers(d);
    g_signal_connect(d->ref_layer, "changed", G_CALLBACK(on_reference_layer), d);
    g_signal_connect(d->ref_file, "file-set", G_CALLBACK(on_reference_file), d);
}

static void build_controls(dialog *d, GtkWidget *box)
{
    /* Presets hold the stylize options: the attention dialog has none. */
    if (d->kind != JOB_ATTENTION)
        build_presets(d, box);
    section(box, _("Style"));
    d->styles = gtk_list_store_new(N_COLS, GDK_TYPE_PIXBUF, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT,
                                   G_TYPE_STRING, G_TYPE_BOOLEAN);
    d->icons = gtk_icon_view_new_with_model(GTK_TREE_MODEL(d->styles));
    gtk_icon_view_set_pixbuf_column(GTK_ICON_VIEW(d->icons), COL_PIXBUF);
    gtk_icon_view_set_text_column(GTK_ICON_VIEW(d->icons), COL_LABEL);
    gtk_icon_view_set_tooltip_column(GTK_ICON_VIEW(d->icons), COL_DESCRIPTION);
    gtk_icon_view_set_selection_mode(GTK_ICON_VIEW(d->icons), GTK_SELECTION_BROWSE);
    gtk_icon_view_set_item_width(GTK_ICON_VIEW(d->icons), THUMB_SIDE + 8);
    /* Four across and two down: every shipped style (seven, the original
     * included) in view at once, without scrolling. */
    gtk_icon_view_set_columns(GTK_ICON_VIEW(d->icons), 4);
    GtkWidget *scroll = gtk_scrolled_window_new(NULL, NULL);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_shadow_type(GTK_SCROLLED_WINDOW(scroll), GTK_SHADOW_IN);
    gtk_widget_set_size_request(scroll, 4 * (THUMB_SIDE + 8) + 5 * 12 + 8, 2 * (THUMB_SIDE + 56));
    gtk_container_add(GTK_CONTAINER(scroll), d->icons);
    gtk_box_pack_start(GTK_BOX(box), scroll, TRUE, TRUE, 0);
    d->description = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(d->description), 0);
    gtk_label_set_line_wrap(GTK_LABEL(d->description), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(d->description), 40);
    gtk_box_pack_start(GTK_BOX(box), d->description, FALSE, FALSE, 0);
    if (d->kind == JOB_STYLIZE)
        build_reference(d, box);

    /* The attention dialog makes a heatmap layer: only style and point
     * matter there, so it leaves out the first grid. */
    GtkWidget *grid = gtk_grid_new();
    gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
    gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
    gtk_box_pack_start(GTK_BOX(box), grid, FALSE, FALSE, 0);
    gtk_widget_set_no_show_all(grid, d->kind == JOB_ATTENTION);

    d->strength = slider(0, 100, 1, 0, d->s->strength * 100);
    labelled(grid, _("_Strength:"), d->strength, 0, 0, 3);

    /* The ranges and defaults are the engine's (and the comicgan command's). */
    d->style_b = gtk_combo_box_text_new();
    labelled(grid, _("Mi_x with:"), d->style_b, 0, 1, 1);
    d->mix = slider(0, 100, 1, 0, d->s->mix * 100);
    gtk_widget_set_tooltip_text(d->mix, _("How much of the second style: 0 is the first style alone, 100 the "
                                          "second alone."));
    gtk_grid_attach(GTK_GRID(grid), d->mix, 2, 1, 2, 1);

    d->line_weight = slider(-1, 1, 0.05, 2, d->s->line_weight);
    gtk_widget_set_tooltip_text(d->line_weight, _("Thins (below 0) or thickens (above 0) the dark lines."));
    labelled(grid, _("_Line weight:"), d->line_weight, 0, 2, 1);
    d->denoise = slider(0, 1, 0.05, 2, d->s->denoise);
    gtk_widget_set_tooltip_text(d->denoise, _("Smooths the result, keeping its edges."));
    labelled(grid, _("Deno_ise:"), d->denoise, 2, 2, 1);
    d->contrast = slider(0.5, 2, 0.05, 2, d->s->contrast);
    labelled(grid, _("Co_ntrast:"), d->contrast, 0, 3, 1);

    d->keep_colors = gtk_check_button_new_with_mnemonic(_("_Keep the image's colours"));
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(d->keep_colors), d->s->keep_colors);
    gtk_grid_attach(GTK_GRID(grid), d->keep_colors, 2, 3, 2, 1);

    d->output = gtk_combo_box_text_new();
    gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(d->output), _("Replace the layer"));
    gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(d->output), _("New layer above it"));
    gtk_combo_box_set_active(GTK_COMBO_BOX(d->output), d->s->output);
    labelled(grid, _("_Result:"), d->output, 0, 4, 1);

    d->memory = gtk_spin_button_new_with_range(MEMORY_MIN, MEMORY_MAX, 256);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(d->memory), d->s->memory);
    gtk_widget_set_tooltip_text(d->memory, _("Memory in MiB for the network's work on large images. More is faster: "
                                             "what does not fit goes to a temporary file (in TMPDIR) and is read "
                                             "back; less leaves more for GIMP and other programs. The result is "
                                             "the same either way."));
    /* Beside the result choice, so the dialog keeps its height. */
    labelled(grid, _("_Memory (MiB):"), d->memory, 2, 4, 1);

    d->tile = gtk_spin_button_new_with_range(0, TILE_MAX, 32);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(d->tile), d->s->tile);
    gtk_widget_set_tooltip_text(d->tile, _("Pixels per side of the pieces the image is processed in; 0 chooses "
                                           "by the memory available. The result is the same either way."));
    labelled(grid, _("_Tile size:"), d->tile, 0, 5, 1);

    GtkWidget *label = gtk_label_new_with_mnemonic(_("_Detail size:"));
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    d->scale = gtk_combo_box_text_new();
    int active = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(scales); i++) {
        gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(d->scale), _(scales[i].label));
        if (fabs(scales[i].scale - d->s->scale) < 1e-9)
            active = (int)i;
    }
    gtk_combo_box_set_active(GTK_COMBO_BOX(d->scale), active);
    gtk_widget_set_tooltip_text(d->scale, _("How large the strokes, dots and outlines are. Automatic draws them as "
                                            "on a 1024-pixel image whatever the image's size, so the preview shows "
                                            "what OK gives; native draws them at the network's own size in pixels, "
                                            "thin on a large image."));
    gtk_label_set_mnemonic_widget(GTK_LABEL(label), d->scale);
    /* Beside the tile size, so the dialog keeps its height. */
    gtk_grid_attach(GTK_GRID(grid), label, 2, 5, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), d->scale, 3, 5, 1, 1);

    grid = gtk_grid_new();
    gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
    gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
    gtk_box_pack_start(GTK_BOX(box), grid, FALSE, FALSE, 0);
    d->attention = gtk_check_button_new_with_mnemonic(_("Show the _attention map"));
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(d->attention), d->s->show_attention);
    gtk_widget_set_no_show_all(d->attention, d->kind == JOB_ATTENTION);
    gtk_grid_attach(GTK_GRID(grid), d->attention, 0, 0, 2, 1);
    label = gtk_label_new_with_mnemonic(_("Attention _point:"));
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    d->point = gtk_combo_box_text_new();
    gtk_widget_set_hexpand(d->point, TRUE);
    gtk_label_set_mnemonic_widget(GTK_LABEL(label), d->point);
    gtk_grid_attach(GTK_GRID(grid), label, 0, 1, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), d->point, 1, 1, 1, 1);

    g_signal_connect(d->icons, "selection-changed", G_CALLBACK(on_style_changed), d);
    g_signal_connect(d->strength, "value-changed", G_CALLBACK(on_control_changed), d);
    g_signal_connect(d->keep_colors, "toggled", G_CALLBACK(on_control_changed), d);
    g_signal_connect(d->style_b, "changed", G_CALLBACK(on_style_b_changed), d);
    g_signal_connect(d->mix, "value-changed", G_CALLBACK(on_control_changed), d);
    g_signal_connect(d->line_weight, "value-changed", G_CALLBACK(on_control_changed), d);
    g_signal_connect(d->denoise, "value-changed", G_CALLBACK(on_control_changed), d);
    g_signal_connect(d->contrast, "value-changed", G_CALLBACK(on_control_changed), d);
    g_signal_connect(d->tile, "value-changed", G_CALLBACK(on_control_changed), d);
    g_signal_connect(d->scale, "changed", G_CALLBACK(on_control_changed), d);
    g_signal_connect(d->attention, "toggled", G_CALLBACK(on_attention_toggled), d);
    g_signal_connect(d->point, "changed", G_CALLBACK(on_control_changed), d);
}

static GtkWidget *build_preview(dialog *d)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    GtkWidget *frame = gtk_frame_new(NULL);
    gtk_frame_set_shadow_type(GTK_FRAME(frame), GTK_SHADOW_IN);
    d->area = gtk_drawing_area_new();
    gtk_widget_set_size_request(d->area, 360, 300);
    gtk_widget_add_events(d->area, GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK | GDK_POINTER_MOTION_MASK);
    gtk_widget_set_tooltip_text(d->area, _("Click to see that spot at 100%; drag to move around."));
    gtk_container_add(GTK_CONTAINER(frame), d->area);
    gtk_box_pack_start(GTK_BOX(box), frame, TRUE, TRUE, 0);

    GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    d->zoom = gtk_combo_box_text_new();
    gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(d->zoom), _("Fit"));
    gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(d->zoom), _("100%"));
    gtk_combo_box_set_active(GTK_COMBO_BOX(d->zoom), 0);
    d->spinner = gtk_spinner_new();
    d->status = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(d->status), 0);
    gtk_label_set_ellipsize(GTK_LABEL(d->status), PANGO_ELLIPSIZE_END);
    d->split = gtk_toggle_button_new_with_mnemonic(_("_Before/after"));
    gtk_widget_set_tooltip_text(d->split, _("Shows the original left of a line and the result right of it; "
                                            "drag the line to move it."));
    gtk_box_pack_start(GTK_BOX(bar), d->zoom, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(bar), d->split, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(bar), d->spinner, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(bar), d->status, TRUE, TRUE, 0);
    gtk_box_pack_start(GTK_BOX(box), bar, FALSE, FALSE, 0);

    g_signal_connect(d->area, "draw", G_CALLBACK(on_draw), d);
    g_signal_connect(d->area, "button-press-event", G_CALLBACK(on_press), d);
    g_signal_connect(d->area, "motion-notify-event", G_CALLBACK(on_motion), d);
    g_signal_connect(d->area, "button-release-event", G_CALLBACK(on_release), d);
    g_signal_connect(d->area, "size-allocate", G_CALLBACK(on_area_resized), d);
    g_signal_connect(d->zoom, "changed", G_CALLBACK(on_zoom_changed), d);
    g_signal_connect(d->split, "toggled", G_CALLBACK(on_split_toggled), d);
    return box;
}

/* The dialog's size, kept between GIMP sessions in GIMP's folder. */
static char *size_file(void)
{
    return g_build_filename(gimp_directory(), "comicgan-dialog.ini", NULL);
}

static void restore_size(GtkWidget *window)
{
    char *path = size_file();
    GKeyFile *kf = g_key_file_new();
    int w = 980, h = 640;
    if (g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL)) {
        int kw = g_key_file_get_integer(kf, "dialog", "width", NULL);
        int kh = g_key_file_get_integer(kf, "dialog", "height", NULL);
        if (kw >= 300 && kh >= 200 && kw <= 16384 && kh <= 16384) {
            w = kw;
            h = kh;
        }
    }
    gtk_window_set_default_size(GTK_WINDOW(window), w, h);
    g_key_file_free(kf);
    g_free(path);
}

static void save_size(GtkWidget *window)
{
    int w = 0, h = 0;
    gtk_window_get_size(GTK_WINDOW(window), &w, &h);
    char *path = size_file();
    GKeyFile *kf = g_key_file_new();
    g_key_file_set_integer(kf, "dialog", "width", w);
    g_key_file_set_integer(kf, "dialog", "height", h);
    g_key_file_save_to_file(kf, path, NULL); /* losing the size is harmless */
    g_key_file_free(kf);
    g_free(path);
}

/* Keeps the dialog above GIMP's image window, where the windowing system
 * lets a GTK 3 window name a foreign (GTK 2) one as its parent. */
static void set_transient_for_gimp(GtkWidget *window)
{
#ifdef GDK_WINDOWING_X11
    GdkDisplay *display = gtk_widget_get_display(window);
    gint32 gimp_display = gimp_default_display();
    /* Called from a script there is no display of our own; any of GIMP's
     * (their IDs count from 1) still keeps the dialog above GIMP. */
    for (gint32 id = 1; gimp_display <= 0 && id <= 64; id++)
        if (gimp_display_is_valid(id))
            gimp_display = id;
    if (!GDK_IS_X11_DISPLAY(display) || gimp_display <= 0)
        return;
    gint handle = gimp_display_get_window_handle(gimp_display);
    if (handle == 0)
        return;
    GdkWindow *parent = gdk_x11_window_foreign_new_for_display(display, (Window)handle);
    if (!parent)
        return;
    gtk_widget_realize(window);
    gdk_window_set_transient_for(gtk_widget_get_window(window), parent);
    g_object_unref(parent);
#else
    (void)window;
#endif
}

static gboolean init_gtk(GError **error)
{
    /* What gimp_ui_init does for GTK 2 plug-ins: the display GIMP is on. */
    const char *display = gimp_display_name();
    if (display && *display)
        g_setenv("DISPLAY", display, TRUE);
    gdk_set_program_class(gimp_wm_class());
    if (!gtk_init_check(NULL, NULL)) {
        g_set_error_literal(error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED,
                            _("Could not open the display for the comicgan dialog."));
        return FALSE;
    }
    return TRUE;
}

static const char *dialog_title(job_kind kind)
{
    switch (kind) {
    case JOB_ATTENTION: return _("Attention Map (comicgan)");
    case JOB_LAYERS: return _("Comic Style Frames (comicgan)");
    default: return _("Comic Style (comicgan)");
    }
}

/* The controls' values into *s. */
static void read_choices(dialog *d, settings *s)
{
    GtkTreeIter iter;
    if (selected_style(d, &iter)) {
        char *name = NULL;
        gtk_tree_model_get(GTK_TREE_MODEL(d->styles), &iter, COL_NAME, &name, -1);
        g_strlcpy(s->style, name, sizeof s->style);
        g_free(name);
        if (is_reference_row(d, &iter))
            reference_choice(d, s);
    }
    s->strength = gtk_range_get_value(GTK_RANGE(d->strength)) / 100.0;
    s->keep_colors = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(d->keep_colors));
    const char *b = gtk_combo_box_get_active_id(GTK_COMBO_BOX(d->style_b));
    g_strlcpy(s->style_b, b ? b : "", sizeof s->style_b);
    s->mix = s->style_b[0] ? gtk_range_get_value(GTK_RANGE(d->mix)) / 100.0 : 0;
    s->line_weight = gtk_range_get_value(GTK_RANGE(d->line_weight));
    s->denoise = gtk_range_get_value(GTK_RANGE(d->denoise));
    s->contrast = gtk_range_get_value(GTK_RANGE(d->contrast));
    s->output = gtk_combo_box_get_active(GTK_COMBO_BOX(d->output)) == 1 ? OUTPUT_NEW_LAYER : OUTPUT_REPLACE;
    s->tile = tile_value(d);
    s->memory = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(d->memory));
    int k = gtk_combo_box_get_active(GTK_COMBO_BOX(d->scale));
    s->scale = scales[k < 0 ? 0 : k].scale;
    s->show_attention = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(d->attention));
    char *point = gtk_combo_box_text_get_active_text(GTK_COMBO_BOX_TEXT(d->point));
    g_strlcpy(s->point, point ? point : "", sizeof s->point);
    g_free(point);
}

/* ---- presets ---------------------------------------------------------- */

static void preset_note(dialog *d, const char *text)
{
    gtk_label_set_text(GTK_LABEL(d->preset_note), text ? text : "");
    gtk_widget_set_visible(d->preset_note, text && *text);
}

/* The file's presets into the list, `select` (may be NULL) chosen. The
 * file is read afresh each time: the Krita plug-in may have changed it. A
 * file that cannot be read leaves Save and Delete off, so it is never
 * written over. */
static void fill_presets(dialog *d, const char *select)
{
    char *path = presets_path();
    GError *error = NULL;
    GKeyFile *kf = presets_load(path, &error);
    g_signal_handlers_block_matched(d->preset, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, d);
    gtk_combo_box_text_remove_all(GTK_COMBO_BOX_TEXT(d->preset));
    gsize n = 0;
    char **names = kf ? g_key_file_get_groups(kf, &n) : NULL;
    for (gsize i = 0; i < n; i++)
        gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(d->preset), names[i], names[i]);
    if (select)
        gtk_combo_box_set_active_id(GTK_COMBO_BOX(d->preset), select);
    g_signal_handlers_unblock_matched(d->preset, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, d);
    gtk_widget_set_sensitive(d->preset, n > 0);
    gtk_widget_set_sensitive(d->preset_save, kf != NULL);
    gtk_widget_set_sensitive(d->preset_delete, kf && gtk_combo_box_get_active(GTK_COMBO_BOX(d->preset)) >= 0);
    preset_note(d, error ? error->message : NULL);
    g_clear_error(&error);
    g_strfreev(names);
    if (kf)
        g_key_file_free(kf);
    g_free(path);
}

/* Sets the controls from a preset's values. */
static void apply_settings(dialog *d, const char *name, const settings *p)
{
    GtkTreeIter iter;
    GString *missing = g_string_new(NULL);
    if (style_row(d, p->style, &iter)) {
        GtkTreePath *path = gtk_tree_model_get_path(GTK_TREE_MODEL(d->styles), &iter);
        gtk_icon_view_select_path(GTK_ICON_VIEW(d->icons), path);
        gtk_icon_view_scroll_to_path(GTK_ICON_VIEW(d->icons), path, FALSE, 0, 0);
        gtk_tree_path_free(path);
    } else {
        g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", p->style);
    }
    if (!gtk_combo_box_set_active_id(GTK_COMBO_BOX(d->style_b), p->style_b)) {
        gtk_combo_box_set_active_id(GTK_COMBO_BOX(d->style_b), "");
        g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", p->style_b);
    }
    gtk_range_set_value(GTK_RANGE(d->mix), p->mix * 100);
    gtk_range_set_value(GTK_RANGE(d->strength), p->strength * 100);
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(d->keep_colors), p->keep_colors);
    gtk_range_set_value(GTK_RANGE(d->line_weight), p->line_weight);
    gtk_range_set_value(GTK_RANGE(d->denoise), p->denoise);
    gtk_range_set_value(GTK_RANGE(d->contrast), p->contrast);
    /* A detail size the list does not have (written by hand) gets the nearest. */
    size_t best = 0;
    for (size_t i = 1; i < G_N_ELEMENTS(scales); i++)
        if (p->scale > 0 && (best == 0 || fabs(log(scales[i].scale / p->scale)) < fabs(log(scales[best].scale / p->scale))))
            best = i;
    gtk_combo_box_set_active(GTK_COMBO_BOX(d->scale), (int)best);
    if (missing->len) {
        char *note = g_strdup_printf(_("Preset \"%s\" uses styles that are not installed: %s."), name, missing->str);
        preset_note(d, note);
        g_free(note);
    } else {
        preset_note(d, NULL);
    }
    g_string_free(missing, TRUE);
}

static void on_preset_chosen(GtkComboBox *combo, gpointer data)
{
    dialog *d = data;
    const char *name = gtk_combo_box_get_active_id(combo);
    if (!name)
        return;
    char *chosen = g_strdup(name);
    char *path = presets_path();
    GError *error = NULL;
    GKeyFile *kf = presets_load(path, &error);
    settings p = *d->s;
    if (kf && presets_get(kf, chosen, &p, &error))
        apply_settings(d, chosen, &p);
    if (error)
        preset_note(d, error->message);
    gtk_widget_set_sensitive(d->preset_delete, kf != NULL);
    g_clear_error(&error);
    if (kf)
        g_key_file_free(kf);
    g_free(path);
    g_free(chosen);
}

/* Asks for a preset's name; NULL on Cancel. */
static char *ask_preset_name(dialog *d)
{
    GtkWidget *ask = gtk_dialog_new_with_buttons(_("Save Preset (comicgan)"), GTK_WINDOW(d->window),
                                                 GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, _("_Cancel"),
                                                 GTK_RESPONSE_CANCEL, _("_Save"), GTK_RESPONSE_OK, NULL);
    gtk_dialog_set_default_response(GTK_DIALOG(ask), GTK_RESPONSE_OK);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    gtk_container_set_border_width(GTK_CONTAINER(box), 12);
    GtkWidget *label = gtk_label_new_with_mnemonic(_("Preset _name (an existing one is replaced):"));
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    GtkWidget *entry = gtk_entry_new();
    gtk_entry_set_max_length(GTK_ENTRY(entry), 63);
    gtk_entry_set_activates_default(GTK_ENTRY(entry), TRUE);
    char *current = gtk_combo_box_text_get_active_text(GTK_COMBO_BOX_TEXT(d->preset));
    gtk_entry_set_text(GTK_ENTRY(entry), current ? current : "");
    g_free(current);
    gtk_label_set_mnemonic_widget(GTK_LABEL(label), entry);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), entry, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(gtk_dialog_get_content_area(GTK_DIALOG(ask))), box, TRUE, TRUE, 0);
    gtk_widget_show_all(ask);
    char *name = NULL;
    if (gtk_dialog_run(GTK_DIALOG(ask)) == GTK_RESPONSE_OK)
        name = g_strstrip(g_strdup(gtk_entry_get_text(GTK_ENTRY(entry))));
    gtk_widget_destroy(ask);
    return name;
}

static void on_preset_save(GtkButton *button, gpointer data)
{
    dialog *d = data;
    char *name = ask_preset_name(d);
    if (!name)
        return;
    char *path = presets_path();
    GError *error = NULL;
    GKeyFile *kf = NULL;
    if (!presets_name_ok(name)) {
        g_set_error(&error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED,
                    _("\"%s\" cannot be a preset's name: use 1 to 63 characters, without [ or ]."), name);
    } else if ((kf = presets_load(path, &error))) {
        settings p = *d->s;
        read_choices(d, &p);
        presets_set(kf, name, &p);
        presets_save(kf, path, &error);
        g_key_file_free(kf);
    }
    fill_presets(d, name);
    /* Back on the button, as before the question (Delete is next to it). */
    gtk_widget_grab_focus(d->preset_save);
    if (error)
        preset_note(d, error->message);
    g_clear_error(&error);
    g_free(path);
    g_free(name);
}

static void on_preset_delete(GtkButton *button, gpointer data)
{
    dialog *d = data;
    char *name = gtk_combo_box_text_get_active_text(GTK_COMBO_BOX_TEXT(d->preset));
    if (!name)
        return;
    char *path = presets_path();
    GError *error = NULL;
    GKeyFile *kf = presets_load(path, &error);
    if (kf) {
        if (g_key_file_remove_group(kf, name, NULL))
            presets_save(kf, path, &error);
        g_key_file_free(kf);
    }
    fill_presets(d, NULL);
    if (error)
        preset_note(d, error->message);
    g_clear_error(&error);
    g_free(path);
    g_free(name);
}

gboolean dialog_run(job_kind kind, gint32 drawable, const cg_catalog *catalog, settings *s, GError **error)
{
    if (!init_gtk(error))
        return FALSE;

    dialog d = {.kind = kind, .drawable = drawable, .s = s};
    d.width = gimp_drawable_width(drawable);
    d.height = gimp_drawable_height(drawable);
    d.fit_scale = MIN(1.0, (double)FIT_SIDE / MAX(d.width, d.height));
    d.fit = read_scaled(drawable, d.fit_scale, error);
    if (!d.fit)
        return FALSE;
    d.split_at = 0.5;
    d.center_x = d.width / 2;
    d.center_y = d.height / 2;
    d.infos = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, model_info_free);

    d.window = gtk_dialog_new_with_buttons(dialog_title(kind), NULL, 0, _("_Cancel"), GTK_RESPONSE_CANCEL,
                                           kind == JOB_ATTENTION ? _("_Add Layer") : _("_OK"), GTK_RESPONSE_OK,
                                           NULL);
    gtk_window_set_role(GTK_WINDOW(d.window), "comicgan");
    gtk_dialog_set_default_response(GTK_DIALOG(d.window), GTK_RESPONSE_OK);
    restore_size(d.window);
    GtkWidget *content = gtk_dialog_get_content_area(GTK_DIALOG(d.window));
    GtkWidget *paned = gtk_paned_new(GTK_ORIENTATION_HORIZONTAL);
    gtk_container_set_border_width(GTK_CONTAINER(paned), 12);
    gtk_box_pack_start(GTK_BOX(content), paned, TRUE, TRUE, 0);
    gtk_paned_pack1(GTK_PANED(paned), build_preview(&d), TRUE, FALSE);
    GtkWidget *controls = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    gtk_widget_set_margin_start(controls, 12);
    gtk_paned_pack2(GTK_PANED(paned), controls, FALSE, FALSE);
    build_controls(&d, controls);

    d.worker = preview_worker_new(on_result, &d);
    add_styles(&d, catalog);
    on_style_changed(GTK_ICON_VIEW(d.icons), &d);
    if (d.preset)
        fill_presets(&d, NULL);

    gtk_widget_show_all(d.window);
    set_transient_for_gimp(d.window);
    gint response = gtk_dialog_run(GTK_DIALOG(d.window));
    if (response == GTK_RESPONSE_OK)
        read_choices(&d, d.s);
    save_size(d.window);

    if (d.timer)
        g_source_remove(d.timer);
    preview_worker_free(d.worker);
    gtk_widget_destroy(d.window);
    /* Results still queued for the main loop free themselves when run. */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_clear_object(&d.original);
    g_clear_object(&d.styled);
    g_clear_object(&d.heat);
    g_object_unref(d.styles);
    g_hash_table_destroy(d.infos);
    cg_image_free(d.fit);
    cg_model_free(d.ref_model);
    g_free(d.ref_model_path);
    g_free(d.code);
    g_free(d.ref_error);
    return response == GTK_RESPONSE_OK;
}
