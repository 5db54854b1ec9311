/* SLIC superpixels (Achanta et al., "SLIC Superpixels Compared to
 * State-of-the-Art Superpixel Methods", 2012): k-means in (L, a, b, x, y)
 * restricted to a 2S x 2S window per centre, then small or disconnected
 * pieces are merged into a neighbour, and every superpixel is filled with its
 * mean colour. */
#include "comicgan/filters.h"
#include "filters/plane.h"
#include "filters/stages.h"

#include <float.h>
#include <stdlib.h>

cg_slic_params cg_slic_defaults(void)
{
    return (cg_slic_params){.region_size = 16, .compactness = 10.0f, .iterations = 10};
}

typedef struct centre {
    float l, a, b, x, y;
} centre;

/* Moves a seed off an edge to the lowest-gradient pixel of its 3x3 block. */
static void settle(centre *c, const float *lab[3], int w, int h)
{
    int cx = (int)c->x, cy = (int)c->y, bx = cx, by = cy;
    float best = FLT_MAX;
    for (int y = cy - 1; y <= cy + 1; y++)
        for (int x = cx - 1; x <= cx + 1; x++) {
            if (x < 1 || y < 1 || x >= w - 1 || y >= h - 1)
                continue;
            float g = 0.0f;
            for (int k = 0; k < 3; k++) {
                const float *L = lab[k];
                float gx = L[(size_t)y * w + x + 1] - L[(size_t)y * w + x - 1];
                float gy = L[(size_t)(y + 1) * w + x] - L[(size_t)(y - 1) * w + x];
                g += gx * gx + gy * gy;
            }
            if (g < best) {
                best = g;
                bx = x;
                by = y;
            }
        }
    size_t i = (size_t)by * w + bx;
    *c = (centre){lab[0][i], lab[1][i], lab[2][i], (float)bx, (float)by};
}

/* Relabels 4-connected pieces; pieces under `min_size` join the piece met
 * just before them in scan order. Returns the number of labels. */
static int enforce_connectivity(const int *label, int *out, int *queue, int w, int h,
                                int min_size)
{
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++)
        out[i] = -1;
    static const int dx[4] = {-1, 1, 0, 0}, dy[4] = {0, 0, -1, 1};
    int next = 0;
    for (size_t start = 0; start < n; start++) {
        if (out[start] >= 0)
            continue;
        int sx = (int)(start % (size_t)w), sy = (int)(start / (size_t)w), adjacent = -1;
        for (int k = 0; k < 4; k++) {
            int x = sx + dx[k], y = sy + dy[k];
            if (x >= 0 && y >= 0 && x < w && y < h && out[(size_t)y * w + x] >= 0)
                adjacent = out[(size_t)y * w + x];
        }
        size_t head = 0, tail = 0;
        queue[tail++] = (int)start; /* n <= CG_IMAGE_MAX_SIDE^2 = 2^30 */
        out[start] = next;
        while (head < tail) {
            int i = queue[head++], x0 = i % w, y0 = i / w;
            for (int k = 0; k < 4; k++) {
                int x = x0 + dx[k], y = y0 + dy[k];
                if (x < 0 || y < 0 || x >= w || y >= h)
                    continue;
                size_t j = (size_t)y * w + x;
                if (out[j] < 0 && label[j] == label[start]) {
                    out[j] = next;
                    queue[tail++] = (int)j;
                }
            }
        }
        if ((int)tail < min_size && adjacent >= 0) {
            for (size_t q = 0; q < tail; q++)
                out[queue[q]] = adjacent;
        } else {
            next++;
        }
    }
    return next;
}

cg_status cgf_slic_check(const cg_slic_params *p, cg_error *err)
{
    cg_status st;
    if ((st = cgf_check_int(p->region_size, 4, 1024, "slic region_size", err)) ||
        (st = cgf_check_above(p->compactness, 0.0f, 100.0f, "slic compactness", err)) ||
        (st = cgf_check_int(p->iterations, 1, 100, "slic iterations", err)))
        return st;
    return CG_OK;
}

cg_status cg_filter_slic(const cg_image *in, cg_image *out, const cg_slic_params *params,
                         cg_error *err)
{
    cg_slic_params p = params ? *params : cg_slic_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "slic", err)) || (st = cgf_slic_check(&p, err)))
        return st;
    int w = in->width, h = in->height, S = p.region_size;
    size_t n = cgf_npix(in);
    int gx = (w + S - 1) / S, gy = (h + S - 1) / S, nc = gx * gy;
    float *pl = cgf_planes(w, h, 4);
    int *label = malloc(n * sizeof(int)), *conn = malloc(n * sizeof(int));
    int *queue = malloc(n * sizeof(int));
    centre *c = malloc((size_t)nc * sizeof *c);
    double(*sum)[6] = malloc((size_t)nc * sizeof *sum);
    cgf_srgb_lut *lut = malloc(sizeof *lut);
    if (!pl || !label || !conn || !queue || !c || !sum || !lut) {
        st = cg_fail(err, CG_ERR_NOMEM, "slic: no memory for %dx%d", w, h);
        goto done;
    }
    cgf_srgb_lut_init(lut);
    const float *lab[3] = {pl, pl + n, pl + 2 * n};
    float *dist = pl + 3 * n;
    for (size_t i = 0; i < n; i++) {
        float v[3];
        cgf_lab(lut, in->pixels + 4 * i, v);
        pl[i] = v[0];
        pl[n + i] = v[1];
        pl[2 * n + i] = v[2];
    }
    for (int j = 0; j < gy; j++)
        for (int i = 0; i < gx; i++) {
            centre *ci = &c[j * gx + i];
            ci->x = fminf((float)(i * S + S / 2), (float)(w - 1));
            ci->y = fminf((float)(j * S + S / 2), (float)(h - 1));
            settle(ci, lab, w, h);
        }
    /* D = d_lab^2 + (m / S)^2 d_xy^2 */
    float sw = (p.compactness / (float)S) * (p.compactness / (float)S);
    for (int it = 0; it < p.iterations; it++) {
        for (size_t i = 0; i < n; i++) {
            dist[i] = FLT_MAX;
            label[i] = 0;
        }
        for (int k = 0; k < nc; k++) {
            const centre *ck = &c[k];
            int x0 = (int)ck->x - S, x1 = (int)ck->x + S, y0 = (int)ck->y - S,
                y1 = (int)ck->y + S;
            x0 = x0 < 0 ? 0 : x0;
            y0 = y0 < 0 ? 0 : y0;
            x1 = x1 >= w ? w - 1 : x1;
            y1 = y1 >= h ? h - 1 : y1;
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++) {
                    size_t i = (size_t)y * w + x;
                    float dl = lab[0][i] - ck->l, da = lab[1][i] - ck->a,
                          db = lab[2][i] - ck->b, ddx = (float)x - ck->x,
                          ddy = (float)y - ck->y;
                    float d = dl * dl + da * da + db * db + sw * (ddx * ddx + ddy * ddy);
                    if (d < dist[i]) {
                        dist[i] = d;
                        label[i] = k;
                    }
                }
        }
        for (int k = 0; k < nc; k++)
            for (int q = 0; q < 6; q++)
                sum[k][q] = 0.0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                double *s = sum[label[i]];
                s[0] += lab[0][i];
                s[1] += lab[1][i];
                s[2] += lab[2][i];
                s[3] += x;
                s[4] += y;
                s[5] += 1.0;
            }
        for (int k = 0; k < nc; k++)
            if (sum[k][5] > 0.0) {
                double inv = 1.0 / sum[k][5];
                c[k] = (centre){(float)(sum[k][0] * inv), (float)(sum[k][1] * inv),
                                (float)(sum[k][2] * inv), (float)(sum[k][3] * inv),
                                (float)(sum[k][4] * inv)};
            }
    }
    int nl = enforce_connectivity(label, conn, queue, w, h, S * S / 4);
    if (nl > nc) {
        void *more = realloc(sum, (size_t)nl * sizeof *sum);
        if (!more) {
            st = cg_fail(err, CG_ERR_NOMEM, "slic: no memory for %d regions", nl);
            goto done;
        }
        sum = more;
    }
    for (int k = 0; k < nl; k++)
        for (int q = 0; q < 4; q++)
            sum[k][q] = 0.0;
    for (size_t i = 0; i < n; i++) {
        double *s = sum[conn[i]];
        for (int q = 0; q < 3; q++)
            s[q] += cgf_clamp01(in->pixels[4 * i + q]);
        s[3] += 1.0;
    }
    for (size_t i = 0; i < n; i++) {
        const double *s = sum[conn[i]];
        float *o = out->pixels + 4 * i;
        float alpha = in->pixels[4 * i + 3];
        for (int q = 0; q < 3; q++)
            o[q] = (float)(s[q] / s[3]);
        o[3] = alpha;
    }
    st = CG_OK;
done:
    free(pl);
    free(label);
    free(conn);
    free(queue);
    free(c);
    free(sum);
    free(lut);
    return st;
}
