/* Manga screentone: a few flat tones, each printed as a regular dot screen.
 * A pixel is black when its tone exceeds the screen's threshold at that
 * point, so coverage grows monotonically with darkness and every pixel is
 * exactly 0 or 1. The threshold is the area rank of the PostScript
 * "Euclidean" spot function within a cell: round dots up to 50%, a
 * chequerboard at 50%, round white holes beyond. */
#include "comicgan/filters.h"
#include "filters/plane.h"
#include "filters/stages.h"

#include <stdlib.h>

cg_screentone_params cg_screentone_defaults(void)
{
    return (cg_screentone_params){.cell = 5.0f,
                                  .angle = 45.0f,
                                  .white = 0.35f,
                                  .black = 0.85f,
                                  .tones = 2,
                                  .max_tone = 0.35f,
                                  .blur = 1.5f};
}

cg_status cgf_screentone_check(const cg_screentone_params *p, cg_error *err)
{
    cg_status st;
    if ((st = cgf_check_range(p->cell, 2.0f, 256.0f, "screentone cell", err)) ||
        (st = cgf_check_range(p->angle, -360.0f, 360.0f, "screentone angle", err)) ||
        (st = cgf_check_range(p->white, 0.0f, 0.999f, "screentone white", err)) ||
        (st = cgf_check_range(p->black, 0.0f, 1.0f, "screentone black", err)) ||
        (st = cgf_check_int(p->tones, 0, 16, "screentone tones", err)) ||
        (st = cgf_check_above(p->max_tone, 0.0f, 1.0f, "screentone max_tone", err)) ||
        (st = cgf_check_range(p->blur, 0.0f, 32.0f, "screentone blur", err)))
        return st;
    if (!(p->black > p->white))
        return cg_fail(err, CG_ERR_INVALID, "screentone black = %g is not above white = %g",
                       (double)p->black, (double)p->white);
    return CG_OK;
}

/* u, v in [-1, 1]; larger values turn black first. The small tilt breaks
 * the ties of symmetric points, which on screens aligned with the pixel grid
 * would otherwise turn black in groups of four and make tones jump. */
static float spot(float u, float v)
{
    float tilt = 0.004f * u + 0.0015f * v;
    u = fabsf(u);
    v = fabsf(v);
    if (u + v > 1.0f)
        return (u - 1.0f) * (u - 1.0f) + (v - 1.0f) * (v - 1.0f) - 1.0f + tilt;
    return 1.0f - (u * u + v * v) + tilt;
}

enum { BINS = 4096, GRID = 256 };

/* Position of pixel (x, y) in its screen cell, both in [-1, 1). */
static void cell_pos(int x, int y, double cs, double sn, float *su, float *sv)
{
    double px = x + 0.5, py = y + 0.5;
    double u = px * cs + py * sn, t = -px * sn + py * cs;
    *su = (float)(2.0 * (u - floor(u)) - 1.0);
    *sv = (float)(2.0 * (t - floor(t)) - 1.0);
}

static int spot_bin(float su, float sv)
{
    int b = (int)((spot(su, sv) + 1.0f) * 0.5f * BINS);
    return b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
}

/* rank[b]: the darkness at which a pixel whose spot value falls in bin b
 * turns black, i.e. the share of pixels with higher spot values. Counting
 * the actual pixel positions of a GRID x GRID patch, not the continuous
 * cell, keeps coverage right on screens aligned with the pixel grid, where
 * a cell holds only a few distinct positions. */
static void spot_ranks(float *rank, double cs, double sn)
{
    int count[BINS] = {0};
    for (int y = 0; y < GRID; y++)
        for (int x = 0; x < GRID; x++) {
            float su, sv;
            cell_pos(x, y, cs, sn, &su, &sv);
            count[spot_bin(su, sv)]++;
        }
    double above = 0.0, total = (double)GRID * GRID;
    for (int b = BINS - 1; b >= 0; b--) {
        rank[b] = (float)((above + 0.5 * count[b]) / total);
        above += count[b];
    }
}

void cgf_screentone_plane(float *luma, float *dst, float *tmp, int w, int h,
                          const cg_screentone_params *p)
{
    if (p->blur > 0.0f)
        cgf_gauss_blur(luma, luma, tmp, w, h, p->blur);
    double th = p->angle * (3.14159265358979323846 / 180.0);
    double cs = cos(th) / p->cell, sn = sin(th) / p->cell;
    float rank[BINS];
    spot_ranks(rank, cs, sn);
    float lo = p->white, span = p->black - p->white;
    int T = p->tones;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float d = (1.0f - cgf_clamp01(luma[i]) - lo) / span;
            if (d >= 1.0f) {
                d = 1.0f;
            } else if (!(d > 0.0f)) {
                d = 0.0f;
            } else if (T) {
                int j = 1 + (int)(d * (float)T);
                d = p->max_tone * (float)(j > T ? T : j) / (float)T;
            }
            float v = 1.0f;
            if (d >= 1.0f) {
                v = 0.0f;
            } else if (d > 0.0f) {
                float su, sv;
                cell_pos(x, y, cs, sn, &su, &sv);
                v = d > rank[spot_bin(su, sv)] ? 0.0f : 1.0f;
            }
            dst[i] = v;
        }
    }
}

cg_status cg_filter_screentone(const cg_image *in, cg_image *out,
                               const cg_screentone_params *params, cg_error *err)
{
    cg_screentone_params p = params ? *params : cg_screentone_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "screentone", err)) ||
        (st = cgf_screentone_check(&p, err)))
        return st;
    int w = in->width, h = in->height;
    size_t n = cgf_npix(in);
    float *pl = cgf_planes(w, h, 3);
    if (!pl)
        return cg_fail(err, CG_ERR_NOMEM, "screentone: no memory for %dx%d", w, h);
    cgf_luma_plane(in, pl);
    cgf_screentone_plane(pl, pl + n, pl + 2 * n, w, h, &p);
    cgf_store_grey(in, out, pl + n);
    free(pl);
    return CG_OK;
}
