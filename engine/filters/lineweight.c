/* Line weight: grey-level morphology on darkness. Thickening is a dilation of
 * the dark (each pixel takes its darkest neighbour's colour, so coloured
 * lines stay their colour); thinning is the dual. Alternating plus-shaped
 * and square 3x3 passes grow an octagon, close to a disc, at O(radius) cost
 * per pixel. */
#include "comicgan/filters.h"
#include "filters/plane.h"

#include <stdlib.h>

cg_line_weight_params cg_line_weight_defaults(void)
{
    return (cg_line_weight_params){.radius = 1.0f};
}

/* One pass from src to dst; pixels are (R', G', B', luma). */
static void pass(const float *src, float *dst, int w, int h, int square, int darker)
{
    static const int dx[9] = {0, -1, 1, 0, 0, -1, 1, -1, 1};
    static const int dy[9] = {0, 0, 0, -1, 1, -1, -1, 1, 1};
    int nn = square ? 9 : 5;
    float sign = darker ? 1.0f : -1.0f;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float *best = src + 4 * ((size_t)y * w + x);
            float bv = sign * best[3];
            for (int k = 1; k < nn; k++) {
                int xx = x + dx[k], yy = y + dy[k];
                if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                    continue;
                const float *c = src + 4 * ((size_t)yy * w + xx);
                if (sign * c[3] < bv) {
                    bv = sign * c[3];
                    best = c;
                }
            }
            float *d = dst + 4 * ((size_t)y * w + x);
            d[0] = best[0];
            d[1] = best[1];
            d[2] = best[2];
            d[3] = best[3];
        }
}

cg_status cg_filter_line_weight(const cg_image *in, cg_image *out,
                                const cg_line_weight_params *params, cg_error *err)
{
    cg_line_weight_params p = params ? *params : cg_line_weight_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "line weight", err)) ||
        (st = cgf_check_range(p.radius, -32.0f, 32.0f, "line weight radius", err)))
        return st;
    int w = in->width, h = in->height;
    size_t n = cgf_npix(in);
    float *buf = cgf_planes(w, h, 8);
    if (!buf)
        return cg_fail(err, CG_ERR_NOMEM, "line weight: no memory for %dx%d", w, h);
    float *a = buf, *b = buf + 4 * n;
    for (size_t i = 0; i < n; i++) {
        const float *c = in->pixels + 4 * i;
        a[4 * i] = c[0];
        a[4 * i + 1] = c[1];
        a[4 * i + 2] = c[2];
        a[4 * i + 3] = cgf_luma(c);
    }
    float r = fabsf(p.radius);
    int whole = (int)r, darker = p.radius > 0.0f;
    float frac = r - (float)whole;
    for (int k = 0; k < whole; k++) {
        pass(a, b, w, h, k & 1, darker);
        float *t = a;
        a = b;
        b = t;
    }
    if (frac > 0.0f)
        pass(a, b, w, h, whole & 1, darker);
    for (size_t i = 0; i < n; i++) {
        float *q = out->pixels + 4 * i;
        float alpha = in->pixels[4 * i + 3];
        for (int c = 0; c < 3; c++)
            q[c] = frac > 0.0f ? a[4 * i + c] + frac * (b[4 * i + c] - a[4 * i + c])
                               : a[4 * i + c];
        q[3] = alpha;
    }
    free(buf);
    return CG_OK;
}
