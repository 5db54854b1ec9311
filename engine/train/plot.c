/* Loss curves of a run as a PNG (cairo): the generator's losses in the top
 * panel, the discriminator's below, against steps, read from log.jsonl. */
#include "train/train_private.h"
#include "io/atomic_file.h"
#include "io/read_file.h"

#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define WIDTH 960
#define PANEL_HEIGHT 340
#define MARGIN_L 70
#define MARGIN_R 170
#define MARGIN_T 34
#define MARGIN_B 36

typedef struct series {
    char *name;
    GArray *x, *y; /* double */
} series;

static series *find_series(GPtrArray *all, const char *name)
{
    for (guint i = 0; i < all->len; i++) {
        series *s = all->pdata[i];
        if (strcmp(s->name, name) == 0)
            return s;
    }
    series *s = g_new0(series, 1);
    s->name = g_strdup(name);
    s->x = g_array_new(FALSE, FALSE, sizeof(double));
    s->y = g_array_new(FALSE, FALSE, sizeof(double));
    g_ptr_array_add(all, s);
    return s;
}

static void free_series(gpointer p)
{
    series *s = p;
    g_free(s->name);
    g_array_free(s->x, TRUE);
    g_array_free(s->y, TRUE);
    g_free(s);
}

static cg_status read_log(const char *path, GPtrArray *all, cg_error *err)
{
    char *text = NULL;
    size_t len = 0;
    cg_status rs = cg_io_read_file(path, CG_IO_MAX_TEXT_FILE, &text, &len, err);
    if (rs != CG_OK)
        return rs;
    char **lines = g_strsplit(text, "\n", -1);
    JsonParser *parser = json_parser_new();
    cg_status st = CG_OK;
    for (int i = 0; lines[i] && st == CG_OK; i++) {
        if (!lines[i][0])
            continue;
        JsonNode *root = json_parser_load_from_data(parser, lines[i], -1, NULL) ? json_parser_get_root(parser) : NULL;
        JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
        JsonObject *losses = o && json_object_has_member(o, "losses") ? json_object_get_object_member(o, "losses") : NULL;
        if (!losses) {
            st = cg_fail(err, CG_ERR_FORMAT, "%s: line %d is not a log entry", path, i + 1);
            break;
        }
        double step = (double)json_object_get_int_member_with_default(o, "step", 0);
        GList *names = json_object_get_members(losses);
        for (GList *n = names; n; n = n->next) {
            series *s = find_series(all, n->data);
            double v = json_object_get_double_member_with_default(losses, n->data, NAN);
            g_array_append_val(s->x, step);
            g_array_append_val(s->y, v);
        }
        g_list_free(names);
    }
    g_object_unref(parser);
    g_strfreev(lines);
    g_free(text);
    if (st == CG_OK && all->len == 0)
        st = cg_fail(err, CG_ERR_FORMAT, "%s: no logged steps yet", path);
    return st;
}

/* A "nice" tick step near range / 5. */
static double tick_step(double range)
{
    double raw = range / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static const double palette[][3] = {{0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17},
                                    {0.84, 0.15, 0.16}, {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29},
                                    {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50}, {0.74, 0.74, 0.13}};

static void draw_panel(cairo_t *cr, int top, const char *title, GPtrArray *all, const char *prefix, double x_max)
{
    const double x0 = MARGIN_L, x1 = WIDTH - MARGIN_R, y0 = top + MARGIN_T, y1 = top + PANEL_HEIGHT - MARGIN_B;
    double lo = INFINITY, hi = -INFINITY;
    for (guint i = 0; i < all->len; i++) {
        series *s = all->pdata[i];
        if (!g_str_has_prefix(s->name, prefix))
            continue;
        for (guint k = 0; k < s->y->len; k++) {
            double v = g_array_index(s->y, double, k);
            if (isfinite(v)) {
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 14);
    cairo_move_to(cr, x0, top + 22);
    cairo_show_text(cr, title);
    if (!isfinite(lo)) {
        cairo_set_font_size(cr, 12);
        cairo_move_to(cr, x0 + 10, (y0 + y1) / 2);
        cairo_show_text(cr, "(none logged)");
        return;
    }
    if (hi - lo < 1e-9) {
        hi += 0.5;
        lo -= 0.5;
    }
    double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
    if (x_max <= 0)
        x_max = 1;
    /* Axes and grid. */
    cairo_set_line_width(cr, 1);
    cairo_set_font_size(cr, 11);
    double ys = tick_step(hi - lo), xs = tick_step(x_max);
    for (double v = ceil(lo / ys) * ys; v <= hi; v += ys) {
        double y = y1 - (v - lo) / (hi - lo) * (y1 - y0);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x1, y);
        cairo_stroke(cr);
        char label[32];
        g_snprintf(label, sizeof label, "%.4g", fabs(v) < ys * 1e-6 ? 0.0 : v);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, 8, y + 4);
        cairo_show_text(cr, label);
    }
    for (double v = 0; v <= x_max; v += xs) {
        double x = x0 + v / x_max * (x1 - x0);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, x, y0);
        cairo_line_to(cr, x, y1);
        cairo_stroke(cr);
        char label[32];
        g_snprintf(label, sizeof label, "%.0f", v);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_move_to(cr, x - 8, y1 + 16);
        cairo_show_text(cr, label);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    cairo_stroke(cr);
    cairo_move_to(cr, x1 - 30, y1 + 30);
    cairo_show_text(cr, "step");
    /* Curves and legend. */
    int shown = 0;
    cairo_set_line_width(cr, 1.5);
    for (guint i = 0; i < all->len; i++) {
        series *s = all->pdata[i];
        if (!g_str_has_prefix(s->name, prefix))
            continue;
        const double *c = palette[shown % G_N_ELEMENTS(palette)];
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        bool pen = false;
        for (guint k = 0; k < s->y->len; k++) {
            double v = g_array_index(s->y, double, k), st = g_array_index(s->x, double, k);
            if (!isfinite(v)) {
                pen = false;
                continue;
            }
            double x = x0 + st / x_max * (x1 - x0), y = y1 - (v - lo) / (hi - lo) * (y1 - y0);
            if (pen)
                cairo_line_to(cr, x, y);
            else
                cairo_move_to(cr, x, y);
            pen = true;
        }
        if (s->y->len == 1)
            cairo_rel_line_to(cr, 1, 0);
        cairo_stroke(cr);
        double ly = y0 + 14 + shown * 18;
        cairo_move_to(cr, x1 + 12, ly - 4);
        cairo_rel_line_to(cr, 22, 0);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, x1 + 40, ly);
        cairo_show_text(cr, s->name);
        shown++;
    }
}

static cairo_status_t write_fd(void *closure, const unsigned char *data, unsigned int length)
{
    int fd = *(int *)closure;
    while (length > 0) {
        ssize_t w = write(fd, data, length);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return CAIRO_STATUS_WRITE_ERROR;
        data += w;
        length -= (unsigned int)w;
    }
    return CAIRO_STATUS_SUCCESS;
}

/* The PNG written atomically (io/atomic_file.h). */
static cg_status save_png(cairo_surface_t *surface, const char *path, cg_error *err)
{
    cg_atomic_file f;
    cg_status st = cg_atomic_file_begin(&f, path, err);
    if (st != CG_OK)
        return st;
    if (cairo_surface_write_to_png_stream(surface, write_fd, &f.fd) != CAIRO_STATUS_SUCCESS)
        st = cg_fail(err, CG_ERR_IO, "%s: cannot write the plot", path);
    return cg_atomic_file_finish(&f, path, st, err);
}

cg_status cg_run_plot(const char *run_dir, const char *out_png, cg_error *err)
{
    char *path = g_build_filename(run_dir, "log.jsonl", NULL);
    GPtrArray *all = g_ptr_array_new_with_free_func(free_series);
    cg_status st = read_log(path, all, err);
    if (st == CG_OK) {
        double x_max = 0;
        for (guint i = 0; i < all->len; i++) {
            series *s = all->pdata[i];
            double last = g_array_index(s->x, double, s->x->len - 1);
            x_max = last > x_max ? last : x_max;
        }
        cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, WIDTH, 2 * PANEL_HEIGHT);
        cairo_t *cr = cairo_create(surface);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        char *base = g_path_get_basename(run_dir);
        char *title = g_strdup_printf("%s: generator losses", base);
        draw_panel(cr, 0, title, all, "g_", x_max);
        g_free(title);
        title = g_strdup_printf("%s: discriminator losses", base);
        draw_panel(cr, PANEL_HEIGHT, title, all, "d_", x_max);
        g_free(title);
        g_free(base);
        cairo_destroy(cr);
        cairo_surface_flush(surface);
        st = save_png(surface, out_png, err);
        cairo_surface_destroy(surface);
    }
    g_ptr_array_free(all, TRUE);
    g_free(path);
    return st;
}
