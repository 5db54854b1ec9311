/* Reference styles: a picture through a reference model's style encoder into
 * the style code that stylize feeds its generator (comicgan/stylize.h). */
#include "comicgan/engine.h"
#include "comicgan/filters.h"
#include "comicgan/ops.h"
#include "comicgan/quality.h"
#include "comicgan/stylize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cg_status cg_model_encode_reference(const cg_model *m, const cg_image *ref, float *code, cg_error *err)
{
    cg_net *enc = cg_model_encoder(m);
    if (!enc)
        return cg_fail(err, CG_ERR_INVALID, "the model takes no reference picture");
    if (!ref || !ref->pixels)
        return cg_fail(err, CG_ERR_INVALID, "no reference picture");
    if (ref->width < CG_REFERENCE_MIN_SIDE || ref->height < CG_REFERENCE_MIN_SIDE ||
        ref->width > CG_STYLIZE_MAX_SIDE || ref->height > CG_STYLIZE_MAX_SIDE)
        return cg_fail(err, CG_ERR_INVALID, "reference picture %dx%d: sides must be %d..%d pixels", ref->width,
                       ref->height, CG_REFERENCE_MIN_SIDE, CG_STYLIZE_MAX_SIDE);
    const size_t floats = (size_t)ref->width * (size_t)ref->height * 4;
    for (size_t i = 0; i < floats; i++)
        if (!isfinite(ref->pixels[i]))
            return cg_fail(err, CG_ERR_INVALID, "reference picture: pixel (%zu, %zu) is not a finite number",
                           (i / 4) % (size_t)ref->width, (i / 4) / (size_t)ref->width);
    cg_status st = cg_engine_init(err);
    if (st != CG_OK)
        return st;
    /* The encoder learnt from square crops cut from pictures loaded at one
     * short side. A reference is shown to it the same way: scaled to that
     * short side, cut into crops that cover it, their codes averaged, so its
     * strokes and dots keep the size in pixels the encoder knows. A model
     * that does not say how its references were loaded sees the whole
     * picture with its long side at the crop's. */
    const int side = cg_net_reference_side(enc), load_side = cg_net_reference_load_side(enc);
    const int shortest = ref->width < ref->height ? ref->width : ref->height;
    const int longest = ref->width > ref->height ? ref->width : ref->height;
    const double f = load_side ? (double)load_side / shortest : (double)side / longest;
    int w = (int)lround(ref->width * f), h = (int)lround(ref->height * f);
    w = w < 1 ? 1 : w;
    h = h < 1 ? 1 : h;
    const int cw = load_side && w > side ? side : w, ch = load_side && h > side ? side : h;
    /* n: the encoder's values, after the palette in the code */
    const int nx = (w + cw - 1) / cw, ny = (h + ch - 1) / ch, n = cg_net_code_length(enc);
    cg_image *small = cg_image_resize(ref, w, h, err);
    cg_graph *g = small ? cg_graph_new(false, err) : NULL;
    if (!g) {
        cg_image_free(small);
        return err->code;
    }
    double *sum = calloc((size_t)n, sizeof *sum);
    if (!sum) {
        cg_graph_free(g);
        cg_image_free(small);
        return cg_fail(err, CG_ERR_NOMEM, "no memory for a style code");
    }
    /* As the training data: transparent areas become white. */
    for (size_t i = 0; i < (size_t)w * h; i++) {
        float *p = small->pixels + 4 * i, a = p[3] < 0 ? 0 : p[3] > 1 ? 1 : p[3];
        for (int c = 0; c < 3; c++)
            p[c] = p[c] * a + (1 - a);
        p[3] = 1;
    }
    double palette[CG_PALETTE_LENGTH];
    st = cg_quality_lab_stats(small, palette, err);
    for (int ty = 0; st == CG_OK && ty < ny; ty++)
        for (int tx = 0; st == CG_OK && tx < nx; tx++) {
            /* Crops spread evenly from edge to edge, overlapping where the sides are not multiples. */
            const int x0 = nx > 1 ? (int)lround((double)tx * (w - cw) / (nx - 1)) : 0;
            const int y0 = ny > 1 ? (int)lround((double)ty * (h - ch) / (ny - 1)) : 0;
            cg_graph_reset(g);
            cg_tensor *x = cg_graph_tensor4(g, 1, 3, ch, cw);
            const int64_t plane = (int64_t)cw * ch;
            for (int64_t i = 0; x && i < plane; i++) {
                const float *p = cg_image_at(small, x0 + (int)(i % cw), y0 + (int)(i / cw));
                for (int c = 0; c < 3; c++) {
                    float v = p[c] < 0 ? 0 : p[c] > 1 ? 1 : p[c];
                    x->data[c * plane + i] = 2 * v - 1; /* values in [-1, 1], as in training */
                }
            }
            cg_tensor *y = cg_net_forward(enc, g, x, NULL, NULL);
            st = cg_graph_status(g, err);
            for (int k = 0; st == CG_OK && k < n; k++)
                sum[k] += y->data[k];
        }
    for (int k = 0; st == CG_OK && k < n; k++)
        if (!isfinite(sum[k]))
            st = cg_fail(err, CG_ERR_NUMERIC, "the style encoder's code is not finite");
    float *weights = code + CG_PALETTE_LENGTH;
    for (int k = 0; st == CG_OK && k < n; k++)
        weights[k] = (float)(sum[k] / (nx * ny));
    /* An encoder that standardises its codes learnt from codes of unit
     * variance; the mean of crops' codes that point different ways is
     * shorter, so it is standardised again, as each crop's was. */
    if (st == CG_OK && cg_net_code_norm(enc) && n > 2) {
        double mean = 0, var = 0;
        for (int k = 0; k < n - 1; k++)
            mean += weights[k] / (double)(n - 1);
        for (int k = 0; k < n - 1; k++)
            var += (weights[k] - mean) * (weights[k] - mean) / (double)(n - 1);
        for (int k = 0; k < n - 1; k++)
            weights[k] = (float)((weights[k] - mean) / sqrt(var + 1e-5));
    }
    /* The constant stays exactly 1, as stylize checks. */
    if (st == CG_OK) {
        weights[n - 1] = 1.0f;
        for (int k = 0; k < CG_PALETTE_LENGTH; k++)
            code[k] = (float)palette[k];
    }
    free(sum);
    cg_graph_free(g);
    cg_image_free(small);
    return st;
}

cg_status cg_stylize_check_code(const cg_model *m, const float *code, cg_error *err)
{
    const int n = cg_model_code_length(m);
    if (!n)
        return cg_fail(err, CG_ERR_INVALID, "the model takes no style code; it is not a reference model");
    if (!code)
        return cg_fail(err, CG_ERR_INVALID, "a reference model needs a style code (from a reference picture)");
    for (int k = 0; k < n; k++)
        if (!isfinite(code[k]) || fabsf(code[k]) > CG_STYLE_CODE_MAX)
            return cg_fail(err, CG_ERR_INVALID, "style code value %d is %g: not a code of this model", k,
                           (double)code[k]);
    if (code[n - 1] != 1.0f)
        return cg_fail(err, CG_ERR_INVALID, "style code: the last value must be 1, not %g: not a code of this model",
                       (double)code[n - 1]);
    cg_status st = cg_palette_check(code, err);
    return st && err ? cg_error_prefix(err, "style code") : st;
}
