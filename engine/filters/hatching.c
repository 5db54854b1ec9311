/* Pencil hatching: darkness drawn as parallel strokes whose width grows with
 * darkness. A second, crossing set starts only past the first set's share of
 * the tone range, so light areas stay single-hatched. Strokes are dashes of
 * random length with tapered ends and multiply like layered graphite. */
#include "comicgan/filters.h"
#include "filters/plane.h"

#include <stdlib.h>

cg_hatching_params cg_hatching_defaults(void)
{
    return (cg_hatching_params){.spacing = 6.0f,
                                .angle = 45.0f,
                                .cross_angle = 90.0f,
                                .directions = 2,
                                .white = 0.3f,
                                .stroke = 12.0f,
                                .blur = 1.0f,
                                .jitter = 0.4f,
                                .pencil = 0.15f,
                                .seed = 1};
}

static cg_status check_params(const cg_hatching_params *p, cg_error *err)
{
    cg_status st;
    if ((st = cgf_check_range(p->spacing, 2.0f, 256.0f, "hatching spacing", err)) ||
        (st = cgf_check_range(p->angle, -360.0f, 360.0f, "hatching angle", err)) ||
        (st = cgf_check_range(p->cross_angle, -180.0f, 180.0f, "hatching cross_angle", err)) ||
        (st = cgf_check_int(p->directions, 1, 2, "hatching directions", err)) ||
        (st = cgf_check_range(p->white, 0.0f, 0.999f, "hatching white", err)) ||
        (st = cgf_check_range(p->stroke, 0.0f, 1000.0f, "hatching stroke", err)) ||
        (st = cgf_check_range(p->blur, 0.0f, 32.0f, "hatching blur", err)) ||
        (st = cgf_check_range(p->jitter, 0.0f, 1.0f, "hatching jitter", err)))
        return st;
    if (!(p->pencil >= 0.0f && p->pencil < 1.0f))
        return cg_fail(err, CG_ERR_INVALID, "hatching pencil = %g is outside [0, 1)",
                       (double)p->pencil);
    return CG_OK;
}

static uint64_t mix(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t st = seed ^ (a * 0xD1B54A32D192ED03ull) ^ (b * 0x8CB92BA72F3D8DD7ull);
    return cgf_rand(&st);
}

static float unit(uint64_t h, int k)
{
    return (float)((h >> (16 * k)) & 0xFFFF) / 65536.0f;
}

/* Length of [pos - 1/2, pos + 1/2] (a pixel) inside [-half, half] (a stroke):
 * box-filtered coverage, so a stroke's ink is exactly its width. */
static float overlap(float pos, float half)
{
    float lo = pos - 0.5f > -half ? pos - 0.5f : -half;
    float hi = pos + 0.5f < half ? pos + 0.5f : half;
    return hi > lo ? hi - lo : 0.0f;
}

cg_status cg_filter_hatching(const cg_image *in, cg_image *out, const cg_hatching_params *params,
                             cg_error *err)
{
    cg_hatching_params p = params ? *params : cg_hatching_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "hatching", err)) || (st = check_params(&p, err)))
        return st;
    int w = in->width, h = in->height;
    size_t n = cgf_npix(in);
    float *pl = cgf_planes(w, h, 2);
    if (!pl)
        return cg_fail(err, CG_ERR_NOMEM, "hatching: no memory for %dx%d", w, h);
    float *Y = pl;
    cgf_luma_plane(in, Y);
    if (p.blur > 0.0f)
        cgf_gauss_blur(Y, Y, pl + n, w, h, p.blur);

    int nd = p.directions;
    double cs[2], sn[2];
    for (int k = 0; k < nd; k++) {
        double th = (p.angle + k * p.cross_angle) * (3.14159265358979323846 / 180.0);
        cs[k] = cos(th);
        sn[k] = sin(th);
    }
    float ink = 1.0f - p.pencil, sp = p.spacing, J = p.jitter;
    double dash = p.stroke * sp;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float d = (1.0f - cgf_clamp01(Y[i]) - p.white) / (1.0f - p.white), v = 1.0f;
            for (int k = 0; k < nd && d > 0.0f; k++) {
                float start = (float)k / (float)nd;
                float wd = (d - start) / (1.0f - start);
                if (wd <= 0.0f)
                    continue;
                double across = ((x + 0.5) * cs[k] + (y + 0.5) * sn[k]) / sp;
                double along = -(x + 0.5) * sn[k] + (y + 0.5) * cs[k];
                int64_t line = (int64_t)floor(across);
                uint64_t hl = mix(p.seed, (uint64_t)k, (uint64_t)line);
                float pressure = 1.0f, offset = (unit(hl, 0) - 0.5f) * 0.4f * J;
                if (dash > 0.0) {
                    /* Each line gets its own dash length and phase; each dash
                     * its own offset and pressure, fading out at its ends. */
                    double len = dash * (0.6 + 0.8 * unit(hl, 1));
                    double t = along / len + unit(hl, 2);
                    double seg = floor(t);
                    float f = (float)(t - seg);
                    uint64_t hs = mix(hl, 0x5EED, (uint64_t)(int64_t)seg);
                    offset = (unit(hs, 0) - 0.5f) * 0.4f * J;
                    pressure = 1.0f - 0.3f * J * unit(hs, 1);
                    float ends = 0.03f + 0.05f * unit(hs, 2);
                    pressure *= cgf_clamp01(fminf(f, 1.0f - f) / ends);
                } else {
                    pressure = 1.0f - 0.3f * J * unit(hl, 1);
                }
                float pos = ((float)(across - (double)line) - 0.5f - offset) * sp;
                float half = 0.5f * (wd > 1.0f ? 1.0f : wd) * sp;
                float cover = cgf_clamp01(overlap(pos, half) + overlap(pos - sp, half) +
                                          overlap(pos + sp, half));
                v *= 1.0f - ink * pressure * cover;
            }
            float *o = out->pixels + 4 * i;
            float a = in->pixels[4 * i + 3];
            o[0] = o[1] = o[2] = v;
            o[3] = a;
        }
    free(pl);
    return CG_OK;
}
