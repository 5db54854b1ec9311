/* Colour quantisation by k-means in CIELAB: flat regions, as in cel shading.
 * The palette is fitted on a seeded sample (greedy k-means++ seeding, Lloyd
 * iterations), then every pixel takes its nearest centre's mean colour. */
#include "comicgan/filters.h"
#include "filters/plane.h"
#include "filters/stages.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

cg_quantize_params cg_quantize_defaults(void)
{
    return (cg_quantize_params){.colors = 16, .iterations = 12, .samples = 65536, .seed = 1};
}

cg_status cgf_quantize_check(const cg_quantize_params *p, cg_error *err)
{
    cg_status st;
    if ((st = cgf_check_int(p->colors, 2, 256, "quantize colors", err)) ||
        (st = cgf_check_int(p->iterations, 1, 1000, "quantize iterations", err)) ||
        (st = cgf_check_int(p->samples, 256, 1 << 24, "quantize samples", err)))
        return st;
    return CG_OK;
}

static int nearest(const float *lab, const float *cent, int k)
{
    int best = 0;
    float bd = FLT_MAX;
    for (int j = 0; j < k; j++) {
        float d0 = lab[0] - cent[3 * j], d1 = lab[1] - cent[3 * j + 1],
              d2 = lab[2] - cent[3 * j + 2];
        float d = d0 * d0 + d1 * d1 + d2 * d2;
        if (d < bd) {
            bd = d;
            best = j;
        }
    }
    return best;
}

/* Draws up to `want` sample colours (Lab) into s; returns how many. */
static int draw_samples(const cg_image *in, const cgf_srgb_lut *lut, int want, uint64_t *rng,
                        float *s)
{
    size_t n = cgf_npix(in);
    const float *px = in->pixels;
    int m = 0;
    if (n <= (size_t)want) {
        for (size_t i = 0; i < n; i++)
            if (px[4 * i + 3] > 0.0f)
                cgf_lab(lut, px + 4 * i, s + 3 * m++);
    } else {
        /* Mostly transparent layers get a bounded number of tries. */
        for (size_t t = 0; t < 8 * (size_t)want && m < want; t++) {
            size_t i = (size_t)(cgf_rand(rng) % n);
            if (px[4 * i + 3] > 0.0f)
                cgf_lab(lut, px + 4 * i, s + 3 * m++);
        }
    }
    if (m == 0) /* nothing visible: fit on all pixels alike */
        for (size_t t = 0; t < (size_t)want && t < n; t++) {
            size_t i = n <= (size_t)want ? t : (size_t)(cgf_rand(rng) % n);
            cgf_lab(lut, px + 4 * i, s + 3 * m++);
        }
    return m;
}

static double dist2(const float *a, const float *b)
{
    double d0 = (double)a[0] - b[0], d1 = (double)a[1] - b[1], d2 = (double)a[2] - b[2];
    return d0 * d0 + d1 * d1 + d2 * d2;
}

/* Greedy k-means++ (Arthur & Vassilvitskii 2007, with the several-trials
 * refinement): each new centre is the best of a few D^2-weighted draws, so
 * one unlucky draw does not waste a centre next to an existing one. Returns
 * the number of centres found, fewer than k when the samples hold fewer
 * distinct colours. d2 is scratch of m doubles. */
static int seed_centres(const float *s, int m, int k, uint64_t *rng, float *cent, double *d2)
{
    int c0 = (int)(cgf_rand(rng) % (uint64_t)m);
    memcpy(cent, s + 3 * c0, 3 * sizeof(float));
    double total = 0.0;
    for (int i = 0; i < m; i++)
        total += d2[i] = dist2(s + 3 * i, cent);
    int tries = 2 + (int)log((double)k);
    int got = 1;
    while (got < k && total > 0.0) {
        int best = -1;
        double best_total = 0.0;
        for (int t = 0; t < tries; t++) {
            double u = cgf_rand01(rng) * total, acc = 0.0;
            int pick = -1;
            for (int i = 0; i < m; i++) {
                acc += d2[i];
                if (d2[i] > 0.0 && acc > u) {
                    pick = i;
                    break;
                }
            }
            if (pick < 0) /* rounding at the top end: take the last positive one */
                for (int i = m - 1; i >= 0 && pick < 0; i--)
                    if (d2[i] > 0.0)
                        pick = i;
            double sum = 0.0;
            for (int i = 0; i < m; i++)
                sum += fmin(d2[i], dist2(s + 3 * i, s + 3 * pick));
            if (best < 0 || sum < best_total) {
                best = pick;
                best_total = sum;
            }
        }
        memcpy(cent + 3 * got, s + 3 * best, 3 * sizeof(float));
        total = 0.0;
        for (int i = 0; i < m; i++) {
            double d = dist2(s + 3 * i, cent + 3 * got);
            if (d < d2[i])
                d2[i] = d;
            total += d2[i];
        }
        got++;
    }
    return got;
}

static void lloyd(const float *s, int m, int k, int iters, float *cent, int *label,
                  double (*sum)[4])
{
    for (int i = 0; i < m; i++)
        label[i] = -1;
    for (int it = 0; it < iters; it++) {
        int changed = 0;
        memset(sum, 0, (size_t)k * sizeof *sum);
        for (int i = 0; i < m; i++) {
            int j = nearest(s + 3 * i, cent, k);
            changed += j != label[i];
            label[i] = j;
            sum[j][0] += s[3 * i];
            sum[j][1] += s[3 * i + 1];
            sum[j][2] += s[3 * i + 2];
            sum[j][3] += 1.0;
        }
        if (!changed)
            break;
        for (int j = 0; j < k; j++)
            if (sum[j][3] > 0.0) /* an emptied cluster keeps its centre */
                for (int c = 0; c < 3; c++)
                    cent[3 * j + c] = (float)(sum[j][c] / sum[j][3]);
    }
}

cg_status cg_filter_quantize(const cg_image *in, cg_image *out, const cg_quantize_params *params,
                             cg_error *err)
{
    cg_quantize_params p = params ? *params : cg_quantize_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "quantize", err)) || (st = cgf_quantize_check(&p, err)))
        return st;
    size_t n = cgf_npix(in);
    int want = p.samples;
    float *s = malloc((size_t)want * 3 * sizeof(float));
    double *d2 = malloc((size_t)want * sizeof(double));
    int *label = malloc((size_t)want * sizeof(int));
    uint8_t *pix_label = malloc(n);
    float *cent = malloc((size_t)p.colors * 3 * sizeof(float));
    /* per cluster: colour sums of visible pixels, then of all pixels */
    double (*rgb)[4] = calloc(2 * (size_t)p.colors, sizeof *rgb);
    cgf_srgb_lut *lut = malloc(sizeof *lut);
    if (!s || !d2 || !label || !pix_label || !cent || !rgb || !lut) {
        st = cg_fail(err, CG_ERR_NOMEM, "quantize: no memory for %dx%d", in->width, in->height);
        goto done;
    }
    cgf_srgb_lut_init(lut);
    uint64_t rng = p.seed;
    int m = draw_samples(in, lut, want, &rng, s);
    int k = seed_centres(s, m, p.colors, &rng, cent, d2);
    lloyd(s, m, k, p.iterations, cent, label, rgb);
    memset(rgb, 0, 2 * (size_t)p.colors * sizeof *rgb);

    const float *px = in->pixels;
    for (size_t i = 0; i < n; i++) {
        float lab[3];
        cgf_lab(lut, px + 4 * i, lab);
        int j = nearest(lab, cent, k);
        pix_label[i] = (uint8_t)j;
        double *acc = rgb[px[4 * i + 3] > 0.0f ? j : p.colors + j];
        for (int c = 0; c < 3; c++)
            acc[c] += cgf_clamp01(px[4 * i + c]);
        acc[3] += 1.0;
    }
    /* Hidden pixels' colours are often junk: they count only for a cluster
     * that no visible pixel joined. */
    float pal[256][3];
    for (int j = 0; j < k; j++) {
        const double *acc = rgb[j][3] > 0.0 ? rgb[j] : rgb[p.colors + j];
        for (int c = 0; c < 3; c++)
            pal[j][c] = acc[3] > 0.0 ? (float)(acc[c] / acc[3]) : 0.0f;
    }
    float *o = out->pixels;
    for (size_t i = 0; i < n; i++) {
        const float *c = pal[pix_label[i]];
        o[4 * i] = c[0];
        o[4 * i + 1] = c[1];
        o[4 * i + 2] = c[2];
        o[4 * i + 3] = px[4 * i + 3];
    }
    st = CG_OK;
done:
    free(s);
    free(d2);
    free(label);
    free(pix_label);
    free(cent);
    free(rgb);
    free(lut);
    return st;
}
