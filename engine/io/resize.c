/* Antialiased resizing of float RGBA images (see cg_image_resize): PIL's
 * bilinear filter, a triangle widened by the scale factor when shrinking so
 * every source pixel contributes, one axis at a time. The weights of each
 * output position are computed once per axis; the lines are spread over the
 * engine's workers. */
#include "comicgan/image.h"
#include "io/resize.h"
#include "core/threads.h"

#include <glib.h>
#include <math.h>
#include <string.h>

/* The taps of one output position: source indices lo .. lo + count - 1. */
typedef struct taps {
    int lo, count;
    double wsum;
    size_t at; /* first weight in the axis' weight table */
} taps;

typedef struct axis {
    taps *t;
    double *w;
} axis;

static bool make_axis(int n_src, int n_dst, axis *a)
{
    double scale = (double)n_src / n_dst, support = scale > 1 ? scale : 1;
    int most = (int)ceil(2 * support) + 2;
    a->t = g_try_new(taps, (gsize)n_dst);
    a->w = g_try_new(double, (gsize)n_dst * (gsize)most);
    if (!a->t || !a->w)
        return false;
    for (int o = 0; o < n_dst; o++) {
        taps *t = &a->t[o];
        double centre = (o + 0.5) * scale;
        int lo = (int)floor(centre - support), hi = (int)ceil(centre + support);
        lo = lo < 0 ? 0 : lo;
        hi = hi > n_src ? n_src : hi;
        t->at = (size_t)o * (size_t)most;
        double *w = a->w + t->at;
        t->lo = lo;
        t->count = hi - lo;
        t->wsum = 0;
        for (int k = 0; k < t->count; k++) {
            double d = fabs(lo + k + 0.5 - centre) / support;
            w[k] = d < 1 ? 1 - d : 0;
            t->wsum += w[k];
        }
        if (t->wsum <= 0) {
            /* no source centre inside the triangle: the nearest pixel */
            w[0] = 1;
            t->wsum = 1;
            t->count = 1;
            t->lo = (int)centre < n_src ? (int)centre : n_src - 1;
        }
    }
    return true;
}

static void free_axis(axis *a)
{
    g_free(a->t);
    g_free(a->w);
}

struct cg_io_resizer {
    int sw, sh, dw, dh;
    axis ax, ay;
    float *mid;  /* horizontally resized source rows: row r in slot r % cap */
    int cap;     /* slots: the most rows one output row reads, plus one push */
    int max_push;
    int next;    /* source rows pushed so far */
    int done;    /* output rows written so far */
};

typedef struct pass {
    const float *src;
    float *dst;
    int sw, dw; /* row lengths in pixels of src and dst */
    const axis *a;
    int first, cap; /* vertical: output rows first.., source rows in slots */
} pass;

/* Horizontal: each task takes whole rows (line begin.. of src into the
 * slots of source rows first + begin..). */
static void rows_task(void *ctx, int64_t begin, int64_t end)
{
    const pass *p = ctx;
    for (int64_t line = begin; line < end; line++) {
        float *row = p->dst + (size_t)((p->first + line) % p->cap) * p->dw * 4;
        for (int o = 0; o < p->dw; o++) {
            const taps *t = &p->a->t[o];
            const double *w = p->a->w + t->at;
            const float *s = p->src + ((size_t)line * p->sw + t->lo) * 4;
            double acc[4] = {0, 0, 0, 0};
            for (int k = 0; k < t->count; k++)
                for (int c = 0; c < 4; c++)
                    acc[c] += w[k] * s[k * 4 + c];
            float *q = row + (size_t)o * 4;
            for (int c = 0; c < 4; c++)
                q[c] = (float)(acc[c] / t->wsum);
        }
    }
}

/* Vertical: each task takes whole output rows first + begin.. (sw == dw here). */
static void columns_task(void *ctx, int64_t begin, int64_t end)
{
    const pass *p = ctx;
    for (int64_t i = begin; i < end; i++) {
        int64_t o = p->first + i;
        const taps *t = &p->a->t[o];
        const double *w = p->a->w + t->at;
        for (int x = 0; x < p->sw; x++) {
            double acc[4] = {0, 0, 0, 0};
            for (int k = 0; k < t->count; k++) {
                const float *s = p->src + ((size_t)((t->lo + k) % p->cap) * p->sw + x) * 4;
                for (int c = 0; c < 4; c++)
                    acc[c] += w[k] * s[c];
            }
            float *q = p->dst + ((size_t)o * p->sw + x) * 4;
            for (int c = 0; c < 4; c++)
                q[c] = (float)(acc[c] / t->wsum);
        }
    }
}

void cg_io_resizer_free(cg_io_resizer *r)
{
    if (!r)
        return;
    free_axis(&r->ax);
    free_axis(&r->ay);
    g_free(r->mid);
    g_free(r);
}

cg_io_resizer *cg_io_resizer_new(int src_w, int src_h, int dst_w, int dst_h, int max_push, cg_error *err)
{
    if (src_w < 1 || src_h < 1 || dst_w < 1 || dst_h < 1 || max_push < 1) {
        cg_fail(err, CG_ERR_INVALID, "resize: bad sizes %dx%d to %dx%d", src_w, src_h, dst_w, dst_h);
        return NULL;
    }
    cg_io_resizer *r = g_try_new0(cg_io_resizer, 1);
    bool ok = r && make_axis(src_w, dst_w, &r->ax) && make_axis(src_h, dst_h, &r->ay);
    if (ok) {
        int most = 1;
        for (int o = 0; o < dst_h; o++)
            most = r->ay.t[o].count > most ? r->ay.t[o].count : most;
        r->max_push = max_push < src_h ? max_push : src_h;
        r->cap = most + r->max_push < src_h ? most + r->max_push : src_h;
        r->mid = g_try_new(float, (gsize)r->cap * (gsize)dst_w * 4);
        ok = r->mid != NULL;
    }
    if (!ok) {
        cg_io_resizer_free(r);
        cg_fail(err, CG_ERR_NOMEM, "resize: out of memory for %dx%d", dst_w, dst_h);
        return NULL;
    }
    r->sw = src_w, r->sh = src_h, r->dw = dst_w, r->dh = dst_h;
    return r;
}

cg_status cg_io_resizer_push(cg_io_resizer *r, const float *rows, int n, cg_image *dst, cg_error *err)
{
    if (n < 1 || n > r->max_push || n > r->sh - r->next || dst->width != r->dw || dst->height != r->dh)
        return cg_fail(err, CG_ERR_INVALID, "resize: %d rows pushed (at most %d, %d left) into %dx%d", n,
                       r->max_push, r->sh - r->next, dst->width, dst->height);
    /* Output rows are written as soon as their last source row is in; the
     * slots they read are not overwritten before (cap covers one push). */
    pass h = {rows, r->mid, r->sw, r->dw, &r->ax, r->next, r->cap};
    cg_parallel_range(n, 8, rows_task, &h);
    r->next += n;
    int ready = r->done;
    while (ready < r->dh && r->ay.t[ready].lo + r->ay.t[ready].count <= r->next)
        ready++;
    if (ready > r->done) {
        pass v = {r->mid, dst->pixels, r->dw, r->dw, &r->ay, r->done, r->cap};
        cg_parallel_range(ready - r->done, 8, columns_task, &v);
        r->done = ready;
    }
    return CG_OK;
}

cg_image *cg_image_resize(const cg_image *src, int width, int height, cg_error *err)
{
    if (!src || !src->pixels) {
        cg_fail(err, CG_ERR_INVALID, "resize: no image");
        return NULL;
    }
    cg_image *out = cg_image_new(width, height, err);
    cg_io_resizer *r = out ? cg_io_resizer_new(src->width, src->height, width, height, src->height, err) : NULL;
    if (!r || cg_io_resizer_push(r, src->pixels, src->height, out, err) != CG_OK) {
        cg_image_free(out);
        cg_io_resizer_free(r);
        return NULL;
    }
    cg_io_resizer_free(r);
    out->source_channels = src->source_channels;
    out->source_format = src->source_format;
    return out;
}
