/* The pieces of the filters that the teachers chain on planes, without
 * going through whole images. Parameters must already be checked. */
#ifndef CG_FILTERS_STAGES_H
#define CG_FILTERS_STAGES_H

#include "comicgan/filters.h"

cg_status cgf_guided_check(const cg_guided_params *p, cg_error *err);
cg_status cgf_quantize_check(const cg_quantize_params *p, cg_error *err);
cg_status cgf_xdog_check(const cg_xdog_params *p, cg_error *err);
cg_status cgf_screentone_check(const cg_screentone_params *p, cg_error *err);
cg_status cgf_kuwahara_check(const cg_kuwahara_params *p, cg_error *err);
/* How far cg_filter_kuwahara reads from a pixel with these parameters: the
 * window's longest semi-axis, its Sobel, and the tensor's Gaussian blur. */
int cgf_kuwahara_reach(const cg_kuwahara_params *p);
cg_status cgf_slic_check(const cg_slic_params *p, cg_error *err);

/* The colour-guided filter (radius r, eps) of three channels, channel c of
 * pixel i at src[c][i * stride] (RGBA pixels: stride 4; planes: stride 1),
 * into dst laid out the same way, which may be src. scratch holds 13 planes
 * of w x h floats. Results are clamped to [0, 1]. */
void cgf_guided_color(const float *const src[3], float *const dst[3], size_t stride, float *scratch,
                      int w, int h, int r, float eps);

/* XDoG of a luma plane into dst (values in [0, 1]); t1, t2 scratch planes. */
void cgf_xdog_plane(const float *luma, float *dst, float *t1, float *t2, int w, int h,
                    const cg_xdog_params *p);

/* Screentone of a luma plane into dst (0 or 1); tmp is a scratch plane, and
 * luma is left blurred when p->blur > 0. */
void cgf_screentone_plane(float *luma, float *dst, float *tmp, int w, int h,
                          const cg_screentone_params *p);

#endif
