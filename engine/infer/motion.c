/* comicgan — the whole-pixel shift between two frames of a pan, found by
 * matching their luma coarse to fine (no optical flow: one shift per frame). */
#include "infer/motion.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>

typedef struct plane {
    int w, h;
    float *v;
} plane;

static plane luma_of(const cg_image *img)
{
    plane p = {img->width, img->height, g_new(float, (size_t)img->width * img->height)};
    for (size_t i = 0; i < (size_t)p.w * p.h; i++) {
        const float *px = img->pixels + 4 * i;
        p.v[i] = 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2];
    }
    return p;
}

/* Half the size, each pixel the mean of a 2x2 block (an odd last row or
 * column is dropped). */
static plane halve(const plane *p)
{
    plane q = {p->w / 2, p->h / 2, NULL};
    q.v = g_new(float, (size_t)(q.w > 0 ? q.w : 1) * (q.h > 0 ? q.h : 1));
    for (int y = 0; y < q.h; y++)
        for (int x = 0; x < q.w; x++) {
            const float *a = p->v + (size_t)(2 * y) * p->w + 2 * x;
            q.v[(size_t)y * q.w + x] = 0.25f * (a[0] + a[1] + a[p->w] + a[p->w + 1]);
        }
    return q;
}

/* Mean |cur(x, y) - prev(x + dx, y + dy)| over the pixels both frames have,
 * or INFINITY when they share less than half of cur. */
static double mismatch(const plane *prev, const plane *cur, int dx, int dy)
{
    int x0 = dx < 0 ? -dx : 0, y0 = dy < 0 ? -dy : 0;
    int x1 = cur->w, y1 = cur->h;
    if (x1 + dx > prev->w)
        x1 = prev->w - dx;
    if (y1 + dy > prev->h)
        y1 = prev->h - dy;
    if (x1 <= x0 || y1 <= y0 || 2.0 * (x1 - x0) * (y1 - y0) < (double)cur->w * cur->h)
        return INFINITY;
    double sum = 0;
    for (int y = y0; y < y1; y++) {
        const float *c = cur->v + (size_t)y * cur->w, *p = prev->v + (size_t)(y + dy) * prev->w + dx;
        for (int x = x0; x < x1; x++)
            sum += fabsf(c[x] - p[x]);
    }
    return sum / ((double)(x1 - x0) * (y1 - y0));
}

/* The best shift within radius r of (*dx, *dy); ties keep the smaller shift,
 * so a still frame stays at 0. */
static void search(const plane *prev, const plane *cur, int r, int *dx, int *dy)
{
    int bx = *dx, by = *dy;
    double best = INFINITY;
    for (int sy = *dy - r; sy <= *dy + r; sy++)
        for (int sx = *dx - r; sx <= *dx + r; sx++) {
            double m = mismatch(prev, cur, sx, sy);
            if (m < best - 1e-9 || (m <= best + 1e-9 && abs(sx) + abs(sy) < abs(bx) + abs(by))) {
                best = m;
                bx = sx;
                by = sy;
            }
        }
    *dx = bx;
    *dy = by;
}

void cg_motion_shift(const cg_image *prev, const cg_image *cur, int max_shift, int *dx, int *dy)
{
    enum { LEVELS = 4 };
    plane a[LEVELS], b[LEVELS];
    a[0] = luma_of(prev);
    b[0] = luma_of(cur);
    int levels = 1;
    /* Coarser levels while both keep at least 16 pixels a side. */
    while (levels < LEVELS && (max_shift >> levels) >= 1 && a[levels - 1].w >= 32 && a[levels - 1].h >= 32 &&
           b[levels - 1].w >= 32 && b[levels - 1].h >= 32) {
        a[levels] = halve(&a[levels - 1]);
        b[levels] = halve(&b[levels - 1]);
        levels++;
    }
    int sx = 0, sy = 0;
    search(&a[levels - 1], &b[levels - 1], (max_shift >> (levels - 1)) + 1, &sx, &sy);
    for (int l = levels - 2; l >= 0; l--) {
        sx *= 2;
        sy *= 2;
        search(&a[l], &b[l], 2, &sx, &sy);
    }
    for (int l = 0; l < levels; l++) {
        g_free(a[l].v);
        g_free(b[l].v);
    }
    *dx = abs(sx) <= max_shift && abs(sy) <= max_shift ? sx : 0;
    *dy = abs(sx) <= max_shift && abs(sy) <= max_shift ? sy : 0;
}
