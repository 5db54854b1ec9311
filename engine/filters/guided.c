/* Guided filter (He, Sun, Tang, "Guided Image Filtering", 2010/2013),
 * self-guided: each output pixel is an average of local linear models
 * q = a I + b fitted in every window that covers it, so it smooths where the
 * window variance is below eps and keeps edges where it is above. */
#include "comicgan/filters.h"
#include "filters/plane.h"
#include "filters/stages.h"
#include "core/simd.h"
#include "core/threads.h"

#include <stdlib.h>

cg_guided_params cg_guided_defaults(void)
{
    return (cg_guided_params){.radius = 4, .eps = 0.01f, .guide = CG_GUIDE_COLOR};
}

cg_status cgf_guided_check(const cg_guided_params *p, cg_error *err)
{
    cg_status st;
    if ((st = cgf_check_int(p->radius, 1, 256, "guided radius", err)))
        return st;
    if ((st = cgf_check_above(p->eps, 0.0f, 1.0f, "guided eps", err)))
        return st;
    if (p->guide != CG_GUIDE_COLOR && p->guide != CG_GUIDE_LUMA)
        return cg_fail(err, CG_ERR_INVALID, "guided guide = %d is not a cg_guide", (int)p->guide);
    return CG_OK;
}

/* Colour guide: per window, a (3x3) = (Sigma + eps U)^-1 Sigma, where Sigma is
 * the colour covariance; because p = I, cov(I, p) is Sigma itself, so nine
 * box means (3 means, 6 second moments) give everything. The per-pixel loops
 * are spread over the engine's workers in ranges of pixels. */
typedef struct guided_job {
    const float *const *src;
    float *const *dst;
    size_t stride;
    float **P; /* planes 0-2 means, 3-8 moments rr rg rb gg gb bb; then the
                * 12 coefficient planes reuse 0-11 (a as 3x3 row-major, then b) */
    float eps;
} guided_job;

static const int mi[6] = {0, 0, 0, 1, 1, 2}, mj[6] = {0, 1, 2, 1, 2, 2};

static void guided_moments(void *ctx, int64_t begin, int64_t end)
{
    const guided_job *j = ctx;
    /* locals, so the stores below are not taken to change them */
    const float *s0 = j->src[0], *s1 = j->src[1], *s2 = j->src[2];
    const size_t stride = j->stride;
    float *P[9];
    for (int k = 0; k < 9; k++)
        P[k] = j->P[k];
    for (int64_t i = begin; i < end; i++) {
        float c[3] = {s0[i * stride], s1[i * stride], s2[i * stride]};
        for (int k = 0; k < 3; k++)
            P[k][i] = c[k];
        for (int k = 0; k < 6; k++)
            P[3 + k][i] = c[mi[k]] * c[mj[k]];
    }
}

CG_KERNEL static void guided_coefficients(void *ctx, int64_t begin, int64_t end)
{
    const guided_job *j = ctx;
    float *P[12];
    for (int k = 0; k < 12; k++)
        P[k] = j->P[k];
    const double eps = j->eps;
    for (int64_t i = begin; i < end; i++) {
        double m[3] = {P[0][i], P[1][i], P[2][i]}, S[3][3];
        for (int k = 0; k < 6; k++) {
            double v = P[3 + k][i] - m[mi[k]] * m[mj[k]];
            S[mi[k]][mj[k]] = S[mj[k]][mi[k]] = v;
        }
        double M[3][3];
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                M[a][b] = S[a][b] + (a == b ? eps : 0.0);
        /* M is symmetric positive definite: invert by cofactors. */
        double c00 = M[1][1] * M[2][2] - M[1][2] * M[2][1];
        double c01 = M[1][2] * M[2][0] - M[1][0] * M[2][2];
        double c02 = M[1][0] * M[2][1] - M[1][1] * M[2][0];
        double det = M[0][0] * c00 + M[0][1] * c01 + M[0][2] * c02, inv_det = 1.0 / det;
        double inv[3][3] = {
            {c00, M[0][2] * M[2][1] - M[0][1] * M[2][2], M[0][1] * M[1][2] - M[0][2] * M[1][1]},
            {c01, M[0][0] * M[2][2] - M[0][2] * M[2][0], M[0][2] * M[1][0] - M[0][0] * M[1][2]},
            {c02, M[0][1] * M[2][0] - M[0][0] * M[2][1], M[0][0] * M[1][1] - M[0][1] * M[1][0]},
        };
        /* Channel c's coefficients: a_c = M^-1 Sigma[:, c]; b_c = m_c - a_c . m. */
        for (int c = 0; c < 3; c++) {
            double b = m[c];
            for (int k = 0; k < 3; k++) {
                double a = 0.0;
                for (int l = 0; l < 3; l++)
                    a += inv[k][l] * S[l][c];
                a *= inv_det;
                P[3 * c + k][i] = (float)a;
                b -= a * m[k];
            }
            P[9 + c][i] = (float)b;
        }
    }
}

static void guided_output(void *ctx, int64_t begin, int64_t end)
{
    const guided_job *j = ctx;
    float *P[12], *dst[3] = {j->dst[0], j->dst[1], j->dst[2]};
    for (int k = 0; k < 12; k++)
        P[k] = j->P[k];
    const float *s0 = j->src[0], *s1 = j->src[1], *s2 = j->src[2];
    const size_t stride = j->stride;
    for (int64_t i = begin; i < end; i++) {
        size_t at = (size_t)i * stride;
        float I0 = s0[at], I1 = s1[at], I2 = s2[at];
        for (int ch = 0; ch < 3; ch++) {
            float q = P[3 * ch][i] * I0 + P[3 * ch + 1][i] * I1 + P[3 * ch + 2][i] * I2 + P[9 + ch][i];
            dst[ch][at] = cgf_clamp01(q);
        }
    }
}

void cgf_guided_color(const float *const src[3], float *const dst[3], size_t stride, float *scratch,
                      int w, int h, int r, float eps)
{
    size_t n = (size_t)w * h;
    float *P[13];
    for (int k = 0; k < 13; k++)
        P[k] = scratch + (size_t)k * n;
    float *tmp = P[12];
    guided_job j = {src, dst, stride, P, eps};
    cg_parallel_range((int64_t)n, 4096, guided_moments, &j);
    for (int k = 0; k < 9; k++)
        cgf_box_mean(P[k], P[k], tmp, w, h, r);
    cg_parallel_range((int64_t)n, 4096, guided_coefficients, &j);
    for (int k = 0; k < 12; k++)
        cgf_box_mean(P[k], P[k], tmp, w, h, r);
    cg_parallel_range((int64_t)n, 4096, guided_output, &j);
}

static cg_status guided_color(const cg_image *in, cg_image *out, int r, float eps,
                              cg_error *err)
{
    float *scratch = cgf_planes(in->width, in->height, 13);
    if (!scratch)
        return cg_fail(err, CG_ERR_NOMEM, "guided filter: no memory for %dx%d", in->width, in->height);
    const float *src[3] = {in->pixels, in->pixels + 1, in->pixels + 2};
    float *dst[3] = {out->pixels, out->pixels + 1, out->pixels + 2};
    cgf_guided_color(src, dst, 4, scratch, in->width, in->height, r, eps);
    cgf_copy_alpha(in, out);
    free(scratch);
    return CG_OK;
}

/* Luma guide: one scalar model per channel, q_c = a_c Y + b_c. */
static cg_status guided_luma(const cg_image *in, cg_image *out, int r, float eps,
                             cg_error *err)
{
    int w = in->width, h = in->height;
    size_t n = cgf_npix(in);
    /* Y, mean Y, mean YY, mean p (3), mean Yp (3), scratch. */
    float *pl = cgf_planes(w, h, 10);
    if (!pl)
        return cg_fail(err, CG_ERR_NOMEM, "guided filter: no memory for %dx%d", w, h);
    float *Y = pl, *mY = pl + n, *mYY = pl + 2 * n, *mp[3], *mYp[3], *tmp = pl + 9 * n;
    for (int c = 0; c < 3; c++) {
        mp[c] = pl + (size_t)(3 + c) * n;
        mYp[c] = pl + (size_t)(6 + c) * n;
    }
    const float *px = in->pixels;
    for (size_t i = 0; i < n; i++) {
        const float *c = px + 4 * i;
        float y = cgf_luma(c);
        Y[i] = mY[i] = y;
        mYY[i] = y * y;
        for (int k = 0; k < 3; k++) {
            mp[k][i] = c[k];
            mYp[k][i] = y * c[k];
        }
    }
    for (int k = 1; k < 9; k++)
        cgf_box_mean(pl + (size_t)k * n, pl + (size_t)k * n, tmp, w, h, r);
    /* a_c over mp[c], b_c over mYp[c]. */
    for (size_t i = 0; i < n; i++) {
        double my = mY[i], var = (double)mYY[i] - my * my;
        for (int c = 0; c < 3; c++) {
            double cov = (double)mYp[c][i] - my * mp[c][i];
            double a = cov / (var + eps);
            mYp[c][i] = (float)(mp[c][i] - a * my);
            mp[c][i] = (float)a;
        }
    }
    for (int k = 3; k < 9; k++)
        cgf_box_mean(pl + (size_t)k * n, pl + (size_t)k * n, tmp, w, h, r);
    float *o = out->pixels;
    for (size_t i = 0; i < n; i++) {
        float alpha = px[4 * i + 3];
        for (int c = 0; c < 3; c++)
            o[4 * i + c] = cgf_clamp01(mp[c][i] * Y[i] + mYp[c][i]);
        o[4 * i + 3] = alpha;
    }
    free(pl);
    return CG_OK;
}

cg_status cg_filter_guided(const cg_image *in, cg_image *out, const cg_guided_params *params,
                           cg_error *err)
{
    cg_guided_params p = params ? *params : cg_guided_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "guided filter", err)) || (st = cgf_guided_check(&p, err)))
        return st;
    if (p.guide == CG_GUIDE_LUMA)
        return guided_luma(in, out, p.radius, p.eps, err);
    return guided_color(in, out, p.radius, p.eps, err);
}
