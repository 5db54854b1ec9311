/* XDoG: the extended difference of Gaussians of Winnemoeller, Kyprianidis
 * and Olsen ("XDoG: An eXtended difference-of-Gaussians compendium", 2012),
 * in its sharpening form S = (1 + p) G_sigma - p G_{k sigma}: flat areas keep
 * their luma, edges get a dark undershoot on their dark side, and the
 * threshold turns that undershoot into an ink line. */
#include "comicgan/filters.h"
#include "filters/plane.h"
#include "filters/stages.h"

#include <stdlib.h>

cg_xdog_params cg_xdog_defaults(void)
{
    return (cg_xdog_params){
        .sigma = 1.0f, .k = 1.6f, .p = 40.0f, .epsilon = -0.05f, .phi = 20.0f, .hard = false};
}

cg_status cgf_xdog_check(const cg_xdog_params *p, cg_error *err)
{
    cg_status st;
    if ((st = cgf_check_above(p->sigma, 0.0f, 32.0f, "xdog sigma", err)) ||
        (st = cgf_check_above(p->k, 1.0f, 10.0f, "xdog k", err)) ||
        (st = cgf_check_range(p->p, 0.0f, 1000.0f, "xdog p", err)) ||
        (st = cgf_check_range(p->epsilon, -1.0f, 2.0f, "xdog epsilon", err)) ||
        (st = cgf_check_above(p->phi, 0.0f, 1e4f, "xdog phi", err)))
        return st;
    if (p->sigma * p->k > CGF_MAX_SIGMA)
        return cg_fail(err, CG_ERR_INVALID, "xdog sigma * k = %g exceeds %g",
                       (double)(p->sigma * p->k), (double)CGF_MAX_SIGMA);
    return CG_OK;
}

void cgf_xdog_plane(const float *luma, float *dst, float *t1, float *t2, int w, int h,
                    const cg_xdog_params *p)
{
    size_t n = (size_t)w * h;
    cgf_gauss_blur(luma, t1, dst, w, h, p->sigma);
    cgf_gauss_blur(luma, t2, dst, w, h, p->sigma * p->k);
    float a = 1.0f + p->p, b = p->p, eps = p->epsilon, phi = p->phi;
    for (size_t i = 0; i < n; i++) {
        float s = a * t1[i] - b * t2[i];
        float v = s >= eps ? 1.0f : p->hard ? 0.0f : 1.0f + tanhf(phi * (s - eps));
        dst[i] = v;
    }
}

cg_status cg_filter_xdog(const cg_image *in, cg_image *out, const cg_xdog_params *params,
                         cg_error *err)
{
    cg_xdog_params p = params ? *params : cg_xdog_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "xdog", err)) || (st = cgf_xdog_check(&p, err)))
        return st;
    int w = in->width, h = in->height;
    size_t n = cgf_npix(in);
    float *pl = cgf_planes(w, h, 4);
    if (!pl)
        return cg_fail(err, CG_ERR_NOMEM, "xdog: no memory for %dx%d", w, h);
    cgf_luma_plane(in, pl);
    cgf_xdog_plane(pl, pl + n, pl + 2 * n, pl + 3 * n, w, h, &p);
    cgf_store_grey(in, out, pl + n);
    free(pl);
    return CG_OK;
}
