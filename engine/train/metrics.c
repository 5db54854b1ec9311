/* Image metrics for evaluation: luma, Sobel edges and SSIM (Wang et al.
 * 2004: Gaussian window sigma 1.5, K1 0.01, K2 0.03). */
#include "train/train_private.h"

#include "filters/plane.h"

#include <math.h>
#include <stdlib.h>

float *tr_luma(const cg_image *img)
{
    float *p = g_new(float, (size_t)img->width * img->height);
    cgf_luma_plane(img, p);
    return p;
}

float *tr_sobel(const float *p, int w, int h)
{
    float *out = g_new(float, (size_t)w * h);
    cgf_sobel(p, out, w, h);
    return out;
}

double tr_ssim(const float *a, const float *b, int w, int h, double range)
{
    const size_t n = (size_t)w * h;
    float *buf = cgf_planes(w, h, 6);
    if (!buf)
        return NAN;
    float *ma = buf, *mb = buf + n, *saa = buf + 2 * n, *sbb = buf + 3 * n, *sab = buf + 4 * n, *tmp = buf + 5 * n;
    for (size_t i = 0; i < n; i++) {
        saa[i] = a[i] * a[i];
        sbb[i] = b[i] * b[i];
        sab[i] = a[i] * b[i];
    }
    cgf_gauss_blur(a, ma, tmp, w, h, 1.5f);
    cgf_gauss_blur(b, mb, tmp, w, h, 1.5f);
    cgf_gauss_blur(saa, saa, tmp, w, h, 1.5f);
    cgf_gauss_blur(sbb, sbb, tmp, w, h, 1.5f);
    cgf_gauss_blur(sab, sab, tmp, w, h, 1.5f);
    const double c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double va = saa[i] - (double)ma[i] * ma[i], vb = sbb[i] - (double)mb[i] * mb[i];
        double cov = sab[i] - (double)ma[i] * mb[i];
        sum += ((2.0 * ma[i] * mb[i] + c1) * (2 * cov + c2)) /
               (((double)ma[i] * ma[i] + (double)mb[i] * mb[i] + c1) * (va + vb + c2));
    }
    free(buf);
    return sum / (double)n;
}
