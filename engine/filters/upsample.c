/* Guided upsampling: see upsample.h. The low-resolution part follows the
 * guided filter of guided.c (box means of products, then a per-pixel solve)
 * with a result p that is not the guide; the full-resolution part is one
 * pass over the output rows, interpolating the coefficient planes as it
 * goes. */
#include "filters/upsample.h"
#include "core/threads.h"
#include "filters/plane.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>

static const int mi[6] = {0, 0, 0, 1, 1, 2}, mj[6] = {0, 1, 2, 1, 2, 2};

typedef struct fit_job {
    const cg_image *guide, *p;
    float **P;   /* moment planes */
    float *coef; /* the upsampler's planes */
    size_t n;    /* pixels a plane */
    double eps;
    cgf_up_guide how;
} fit_job;

/* The products whose box means the models need, per pixel. */
static void moments_task(void *ctx, int64_t begin, int64_t end)
{
    const fit_job *j = ctx;
    float **P = j->P;
    for (int64_t i = begin; i < end; i++) {
        const float *I = j->guide->pixels + 4 * i, *p = j->p->pixels + 4 * i;
        switch (j->how) {
        case CGF_UP_COLOR:
            for (int k = 0; k < 3; k++) {
                P[k][i] = I[k];
                P[9 + k][i] = p[k];
            }
            for (int k = 0; k < 6; k++)
                P[3 + k][i] = I[mi[k]] * I[mj[k]];
            for (int c = 0; c < 3; c++)
                for (int k = 0; k < 3; k++)
                    P[12 + 3 * c + k][i] = I[k] * p[c];
            break;
        case CGF_UP_CHANNEL:
            for (int c = 0; c < 3; c++) {
                P[c][i] = I[c];
                P[3 + c][i] = I[c] * I[c];
                P[6 + c][i] = p[c];
                P[9 + c][i] = I[c] * p[c];
            }
            break;
        case CGF_UP_LUMA: {
            float y = cgf_luma(I);
            P[0][i] = y;
            P[1][i] = y * y;
            for (int c = 0; c < 3; c++) {
                P[2 + c][i] = p[c];
                P[5 + c][i] = y * p[c];
            }
            break;
        }
        case CGF_UP_BILINEAR:
            break;
        }
    }
}

/* The models' coefficients from the box means, per pixel. */
static void solve_task(void *ctx, int64_t begin, int64_t end)
{
    const fit_job *j = ctx;
    float **P = j->P, *C = j->coef;
    const size_t n = j->n;
    const double eps = j->eps;
    for (int64_t i = begin; i < end; i++) {
        if (j->how == CGF_UP_COLOR) {
            double m[3] = {P[0][i], P[1][i], P[2][i]}, M[3][3];
            for (int k = 0; k < 6; k++) {
                double v = P[3 + k][i] - m[mi[k]] * m[mj[k]];
                M[mi[k]][mj[k]] = M[mj[k]][mi[k]] = v;
            }
            for (int k = 0; k < 3; k++)
                M[k][k] += eps;
            /* M is symmetric positive definite: invert by cofactors. */
            double inv[3][3] = {
                {M[1][1] * M[2][2] - M[1][2] * M[2][1], M[0][2] * M[2][1] - M[0][1] * M[2][2],
                 M[0][1] * M[1][2] - M[0][2] * M[1][1]},
                {M[1][2] * M[2][0] - M[1][0] * M[2][2], M[0][0] * M[2][2] - M[0][2] * M[2][0],
                 M[0][2] * M[1][0] - M[0][0] * M[1][2]},
                {M[1][0] * M[2][1] - M[1][1] * M[2][0], M[0][1] * M[2][0] - M[0][0] * M[2][1],
                 M[0][0] * M[1][1] - M[0][1] * M[1][0]},
            };
            double det = M[0][0] * inv[0][0] + M[0][1] * inv[1][0] + M[0][2] * inv[2][0];
            for (int c = 0; c < 3; c++) {
                double mp = P[9 + c][i], cov[3], b = mp;
                for (int k = 0; k < 3; k++)
                    cov[k] = P[12 + 3 * c + k][i] - m[k] * mp;
                for (int k = 0; k < 3; k++) {
                    double a = (inv[k][0] * cov[0] + inv[k][1] * cov[1] + inv[k][2] * cov[2]) / det;
                    C[(size_t)(3 * c + k) * n + i] = (float)a;
                    b -= a * m[k];
                }
                C[(size_t)(9 + c) * n + i] = (float)b;
            }
        } else {
            bool luma = j->how == CGF_UP_LUMA;
            for (int c = 0; c < 3; c++) {
                double mI = luma ? P[0][i] : P[c][i], mII = luma ? P[1][i] : P[3 + c][i];
                double mp = luma ? P[2 + c][i] : P[6 + c][i], mIp = luma ? P[5 + c][i] : P[9 + c][i];
                double a = (mIp - mI * mp) / (mII - mI * mI + eps);
                C[(size_t)c * n + i] = (float)a;
                C[(size_t)(3 + c) * n + i] = (float)(mp - a * mI);
            }
        }
    }
}

cgf_upsampler *cgf_upsampler_new(const cg_image *guide, const cg_image *p, int r, float eps, cgf_up_guide how,
                                 cg_error *err)
{
    if (guide->width != p->width || guide->height != p->height) {
        cg_fail(err, CG_ERR_INVALID, "guided upsampling: the guide is %dx%d, the result %dx%d", guide->width,
                guide->height, p->width, p->height);
        return NULL;
    }
    int w = guide->width, h = guide->height;
    size_t n = (size_t)w * h;
    static const int n_moments[] = {21, 12, 8, 0}, n_coefs[] = {12, 6, 6, 3};
    cgf_upsampler *u = calloc(1, sizeof *u);
    float *scratch = NULL;
    if (u) {
        u->w = w;
        u->h = h;
        u->guide = how;
        u->n_coef = n_coefs[how];
        u->coef = cgf_planes(w, h, u->n_coef);
        scratch = n_moments[how] ? cgf_planes(w, h, n_moments[how] + 1) : NULL;
    }
    if (!u || !u->coef || (n_moments[how] && !scratch)) {
        free(scratch);
        cgf_upsampler_free(u);
        cg_fail(err, CG_ERR_NOMEM, "guided upsampling: no memory for %dx%d", w, h);
        return NULL;
    }
    if (how == CGF_UP_BILINEAR) {
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                u->coef[(size_t)c * n + i] = p->pixels[4 * i + c];
        return u;
    }
    float *P[22], *tmp = scratch + (size_t)n_moments[how] * n;
    for (int k = 0; k < n_moments[how]; k++)
        P[k] = scratch + (size_t)k * n;
    fit_job j = {guide, p, P, u->coef, n, eps, how};
    cg_parallel_range((int64_t)n, 4096, moments_task, &j);
    for (int k = 0; k < n_moments[how]; k++)
        cgf_box_mean(P[k], P[k], tmp, w, h, r);
    cg_parallel_range((int64_t)n, 4096, solve_task, &j);
    /* Each pixel lies in many windows: average their models, as the guided filter does. */
    for (int k = 0; k < u->n_coef; k++)
        cgf_box_mean(u->coef + (size_t)k * n, u->coef + (size_t)k * n, tmp, w, h, r);
    free(scratch);
    return u;
}

typedef struct apply_job {
    const cgf_upsampler *u;
    const float *rows;  /* the full-size input's rows y0.. */
    int width, height;  /* the full size */
    int y0;
    const int *xa, *xb; /* per output column: the two low-resolution columns */
    const float *wx;    /* and the second one's weight */
    uint16_t *dst;
    gint failed;        /* atomic */
} apply_job;

/* Where output index o (of n_out) falls among n_in samples: the two
 * neighbours and the second one's weight, clamped at the borders. */
static void locate(int o, int n_out, int n_in, int *a, int *b, float *wb)
{
    double f = (o + 0.5) * n_in / n_out - 0.5;
    int i = (int)floor(f);
    double t = f - i;
    *a = i < 0 ? 0 : i >= n_in ? n_in - 1 : i;
    *b = i + 1 < 0 ? 0 : i + 1 >= n_in ? n_in - 1 : i + 1;
    *wb = (float)t;
}

static void apply_task(void *ctx, int64_t begin, int64_t end)
{
    apply_job *j = ctx;
    const cgf_upsampler *u = j->u;
    const int W = j->width, H = j->height, nc = u->n_coef;
    const size_t n = (size_t)u->w * u->h;
    float *row = malloc((size_t)nc * u->w * sizeof(float)), k[12];
    if (!row) {
        g_atomic_int_set(&j->failed, 1);
        return;
    }
    for (int64_t y = j->y0 + begin; y < j->y0 + end; y++) {
        int ya, yb;
        float wy;
        locate((int)y, H, u->h, &ya, &yb, &wy);
        for (int c = 0; c < nc; c++) {
            const float *pa = u->coef + c * n + (size_t)ya * u->w, *pb = u->coef + c * n + (size_t)yb * u->w;
            float *r = row + (size_t)c * u->w;
            for (int x = 0; x < u->w; x++)
                r[x] = pa[x] + wy * (pb[x] - pa[x]);
        }
        const float *in = j->rows + (size_t)(y - j->y0) * W * 4;
        uint16_t *out = j->dst + (size_t)(y - j->y0) * W * 3;
        for (int x = 0; x < W; x++) {
            const float *r = row;
            int xa = j->xa[x], xb = j->xb[x];
            float wx = j->wx[x];
            for (int c = 0; c < nc; c++, r += u->w)
                k[c] = r[xa] + wx * (r[xb] - r[xa]);
            const float *I = in + 4 * (size_t)x;
            float q[3];
            switch (u->guide) {
            case CGF_UP_COLOR:
                for (int c = 0; c < 3; c++)
                    q[c] = k[3 * c] * I[0] + k[3 * c + 1] * I[1] + k[3 * c + 2] * I[2] + k[9 + c];
                break;
            case CGF_UP_CHANNEL:
                for (int c = 0; c < 3; c++)
                    q[c] = k[c] * I[c] + k[3 + c];
                break;
            case CGF_UP_LUMA: {
                float Y = cgf_luma(I);
                for (int c = 0; c < 3; c++)
                    q[c] = k[c] * Y + k[3 + c];
                break;
            }
            default:
                for (int c = 0; c < 3; c++)
                    q[c] = k[c];
            }
            for (int c = 0; c < 3; c++)
                out[3 * x + c] = (uint16_t)lrintf(cgf_clamp01(q[c]) * 65535.0f);
        }
    }
    free(row);
}

bool cgf_upsampler_apply(const cgf_upsampler *u, const float *rows, int width, int height, int y0, int y1,
                         uint16_t *dst)
{
    int W = width;
    int *xa = malloc((size_t)W * sizeof(int)), *xb = malloc((size_t)W * sizeof(int));
    float *wx = malloc((size_t)W * sizeof(float));
    bool ok = xa && xb && wx;
    if (ok) {
        for (int x = 0; x < W; x++)
            locate(x, W, u->w, &xa[x], &xb[x], &wx[x]);
        apply_job j = {u, rows, width, height, y0, xa, xb, wx, dst, 0};
        cg_parallel_range(y1 - y0, 4, apply_task, &j);
        ok = !g_atomic_int_get(&j.failed);
    }
    free(xa);
    free(xb);
    free(wx);
    return ok;
}

void cgf_upsampler_free(cgf_upsampler *u)
{
    if (!u)
        return;
    free(u->coef);
    free(u);
}
