/* Antialiased resizing of float RGBA images (see cg_image_resize): PIL's
 * bilinear filter, a triangle widened by the scale factor when shrinking so
 * every source pixel contributes, one axis at a time. The weights of each
 * output position are computed once per axis; the lines are spread over the
 * engine's workers. */
#include "comicgan/image.h"
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

typedef struct pass {
    const float *src;
    float *dst;
    int sw, dw; /* row lengths in pixels of src and dst */
    const axis *a;
} pass;

/* Horizontal: each task takes whole rows. */
static void rows_task(void *ctx, int64_t begin, int64_t end)
{
    const pass *p = ctx;
    for (int64_t line = begin; line < end; line++)
        for (int o = 0; o < p->dw; o++) {
            const taps *t = &p->a->t[o];
            const double *w = p->a->w + t->at;
            const float *s = p->src + ((size_t)line * p->sw + t->lo) * 4;
            double acc[4] = {0, 0, 0, 0};
            for (int k = 0; k < t->count; k++)
                for (int c = 0; c < 4; c++)
                    acc[c] += w[k] * s[k * 4 + c];
            float *q = p->dst + ((size_t)line * p->dw + o) * 4;
            for (int c = 0; c < 4; c++)
                q[c] = (float)(acc[c] / t->wsum);
        }
}

/* Vertical: each task takes whole output rows (sw == dw here). */
static void columns_task(void *ctx, int64_t begin, int64_t end)
{
    const pass *p = ctx;
    for (int64_t o = begin; o < end; o++) {
        const taps *t = &p->a->t[o];
        const double *w = p->a->w + t->at;
        for (int x = 0; x < p->sw; x++) {
            double acc[4] = {0, 0, 0, 0};
            for (int k = 0; k < t->count; k++) {
                const float *s = p->src + ((size_t)(t->lo + k) * p->sw + x) * 4;
                for (int c = 0; c < 4; c++)
                    acc[c] += w[k] * s[c];
            }
            float *q = p->dst + ((size_t)o * p->sw + x) * 4;
            for (int c = 0; c < 4; c++)
                q[c] = (float)(acc[c] / t->wsum);
        }
    }
}

cg_image *cg_image_resize(const cg_image *src, int width, int height, cg_error *err)
{
    if (!src || !src->pixels) {
        cg_fail(err, CG_ERR_INVALID, "resize: no image");
        return NULL;
    }
    cg_image *mid = cg_image_new(width, src->height, err);
    cg_image *out = mid ? cg_image_new(width, height, err) : NULL;
    axis ax = {0}, ay = {0};
    bool ok = out && make_axis(src->width, width, &ax) && make_axis(src->height, height, &ay);
    if (ok) {
        pass h = {src->pixels, mid->pixels, src->width, width, &ax};
        cg_parallel_range(src->height, 8, rows_task, &h);
        pass v = {mid->pixels, out->pixels, width, width, &ay};
        cg_parallel_range(height, 8, columns_task, &v);
        out->source_channels = src->source_channels;
        out->source_format = src->source_format;
    } else if (out) {
        cg_fail(err, CG_ERR_NOMEM, "resize: out of memory for %dx%d", width, height);
        cg_image_free(out);
        out = NULL;
    }
    free_axis(&ax);
    free_axis(&ay);
    cg_image_free(mid);
    return out;
}
