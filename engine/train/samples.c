/* Sample grids: the same validation images at every sample step, one row
 * each: input | output(s) | target | attention heatmap, as a PNG in the run
 * folder's samples/. */
#include "train/train_private.h"

#include "comicgan/stylize.h"

#include <glib/gstdio.h>
#include <string.h>

#define GAP 2
#define MAX_COLS (TR_MAX_STYLES + 2)

void tr_val_batch(tr_trainer *t, tr_source *src, int n, float *x, float *aux)
{
    const int size = t->cfg->size;
    const size_t image = (size_t)3 * size * size;
    const int *list = src->n_val > 0 ? src->val : src->train;
    int count = src->n_val > 0 ? src->n_val : src->n_train;
    tr_aug a;
    tr_aug_center(&a);
    for (int i = 0; i < n; i++) {
        const tr_item *it = &src->data->items[list[i % count]];
        tr_aug_apply(&it->img, &a, size, x + i * image);
        if (aux && it->aux.rgb)
            tr_aug_apply(&it->aux, &a, size, aux + i * image);
        else if (aux)
            memset(aux + i * image, 0, image * sizeof(float));
    }
}

/* Bilinear resampling of an h x w map to size x size, normalized to [0, 1]. */
static void map_to_heat(const float *map, int h, int w, int size, float *heat)
{
    float lo = map[0], hi = map[0];
    for (int i = 1; i < h * w; i++) {
        lo = map[i] < lo ? map[i] : lo;
        hi = map[i] > hi ? map[i] : hi;
    }
    float scale = hi > lo ? 1.0f / (hi - lo) : 0.0f;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            float sy = (y + 0.5f) * h / size - 0.5f, sx = (x + 0.5f) * w / size - 0.5f;
            sy = sy < 0 ? 0 : sy > h - 1 ? (float)(h - 1) : sy;
            sx = sx < 0 ? 0 : sx > w - 1 ? (float)(w - 1) : sx;
            int y0 = (int)sy, x0 = (int)sx, y1 = y0 + 1 < h ? y0 + 1 : y0, x1 = x0 + 1 < w ? x0 + 1 : x0;
            float fy = sy - y0, fx = sx - x0;
            float v = (map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx) * (1 - fy) +
                      (map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx) * fy;
            heat[y * size + x] = (v - lo) * scale;
        }
}

cg_status tr_generate(tr_trainer *t, cg_net *net, const float *style, const float *x, int n, float *out, float *heat,
                      bool *has_heat, cg_error *err)
{
    const int size = t->cfg->size;
    cg_graph *g = cg_graph_new(false, err);
    if (!g)
        return err->code;
    cg_tensor *in = tr_input(g, x, n, size), *w = NULL;
    if (style) {
        const int64_t dim[2] = {n, cg_net_styles(net)};
        if ((w = cg_graph_tensor(g, 2, dim)))
            memcpy(w->data, style, (size_t)w->size * sizeof(float));
    }
    cg_net_taps taps;
    cg_tensor *y = cg_net_forward(net, g, in, w, heat ? &taps : NULL);
    cg_status st = cg_graph_status(g, err);
    if (st == CG_OK) {
        memcpy(out, y->data, (size_t)y->size * sizeof(float));
        if (has_heat)
            *has_heat = heat && taps.count > 0 && taps.map[0];
        if (heat && taps.count > 0 && taps.map[0]) {
            const cg_tensor *m = taps.map[0];
            const int64_t plane = m->dim[2] * m->dim[3];
            for (int i = 0; i < n; i++)
                map_to_heat(m->data + i * plane, (int)m->dim[2], (int)m->dim[3], size, heat + (size_t)i * size * size);
        }
    }
    cg_graph_free(g);
    return st;
}

static void put_cell(cg_image *grid, int col, int row, int size, const float *planes)
{
    const size_t plane = (size_t)size * size;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            float *p = cg_image_at(grid, col * (size + GAP) + x, row * (size + GAP) + y);
            for (int c = 0; c < 3; c++) {
                float v = planes[c * plane + (size_t)y * size + x] * 0.5f + 0.5f;
                p[c] = v < 0 ? 0 : v > 1 ? 1 : v;
            }
            p[3] = 1;
        }
}

cg_status tr_write_samples(tr_trainer *t, cg_error *err)
{
    const int size = t->cfg->size, n = t->cfg->samples;
    const size_t image = (size_t)3 * size * size;
    float *cols[MAX_COLS];
    for (int k = 0; k < MAX_COLS; k++)
        cols[k] = g_malloc0(n * image * sizeof(float));
    float *heat = g_malloc0((size_t)n * size * size * sizeof(float));
    bool has_heat = false;
    int ncols = t->ops->sample(t, n, cols, MAX_COLS, heat, &has_heat, err);
    cg_status st = ncols > 0 ? CG_OK : ncols == 0 ? cg_fail(err, CG_ERR_INVALID, "too many sample columns") : err->code;
    int total = ncols + (has_heat ? 1 : 0);
    cg_image *grid = NULL, *cell = NULL;
    if (st == CG_OK && (grid = cg_image_new(total * (size + GAP) - GAP, n * (size + GAP) - GAP, err)) &&
        (cell = cg_image_new(size, size, err))) {
        for (size_t i = 0; i < (size_t)grid->width * grid->height; i++)
            for (int c = 0; c < 4; c++)
                grid->pixels[4 * i + c] = 1.0f;
        for (int row = 0; row < n; row++) {
            for (int k = 0; k < ncols; k++)
                put_cell(grid, k, row, size, cols[k] + row * image);
            if (has_heat) {
                cg_heatmap(heat + (size_t)row * size * size, size, size, 1.0f, cell);
                for (int y = 0; y < size; y++)
                    memcpy(cg_image_at(grid, ncols * (size + GAP), row * (size + GAP) + y), cg_image_at(cell, 0, y),
                           (size_t)size * 4 * sizeof(float));
            }
        }
        char *dir = g_build_filename(t->run_dir, "samples", NULL);
        char *name = g_strdup_printf("step-%07lld.png", (long long)t->step);
        char *path = g_build_filename(dir, name, NULL);
        g_mkdir_with_parents(dir, 0755);
        cg_image_save_options o = {.bits = 8, .channels = 3};
        st = cg_image_save(grid, path, &o, err);
        g_free(dir);
        g_free(name);
        g_free(path);
    } else if (st == CG_OK) {
        st = err->code;
    }
    cg_image_free(grid);
    cg_image_free(cell);
    for (int k = 0; k < MAX_COLS; k++)
        g_free(cols[k]);
    g_free(heat);
    return st;
}
