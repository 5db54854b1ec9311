/* Encoding a reference picture: a model that says how its references were
 * loaded in training (the encoder's load_side) sees a picture scaled to that
 * short side and cut into crops of the training side, their codes averaged;
 * checked against a naive reference of that recipe built from the encoder
 * itself. A model that does not say sees the whole picture shrunk to the
 * crop side. */
#include "fixture.h"

#include "comicgan/engine.h"
#include "comicgan/net.h"
#include "comicgan/ops.h"
#include "comicgan/quality.h"
#include "comicgan/stylize.h"

#include <math.h>
#include <string.h>

#define GEN "{\"type\": \"resnet\", \"width\": 4, \"downsamples\": 1, \"blocks\": 1, \"norm\": \"cond_instance\", \"styles\": 4}"
#define STYLES "[{\"name\": \"ref\", \"mode\": \"reference\"}]"

static cg_model *reference_model(const char *encoder_json)
{
    cg_error err = {0};
    cg_model *m = cg_model_new_reference(GEN, encoder_json, STYLES, &err);
    if (!m)
        g_error("%s", err.message);
    cg_rng rng;
    cg_rng_seed(&rng, 3);
    g_assert_cmpint(cg_net_init(cg_model_encoder(m), &rng, true, &err), ==, CG_OK);
    return m;
}

/* The encoder's code of the w x h crop of img at (x0, y0), in double. */
static void crop_code(cg_net *enc, const cg_image *img, int x0, int y0, int w, int h, double *sum)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    cg_tensor *x = cg_graph_tensor4(g, 1, 3, h, w);
    for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++) {
            const float *p = cg_image_at(img, x0 + xx, y0 + y);
            for (int c = 0; c < 3; c++) {
                /* transparent areas count as white */
                double v = p[c] * p[3] + (1 - p[3]);
                x->data[(c * h + y) * w + xx] = (float)(2 * fmin(1, fmax(0, v)) - 1);
            }
        }
    cg_tensor *y = cg_net_forward(enc, g, x, NULL, NULL);
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_OK);
    for (int k = 0; k < cg_net_code_length(enc); k++)
        sum[k] += y->data[k];
    cg_graph_free(g);
}

/* Fails unless each of the code's 3 values is within tol (relative, at
 * least absolute) of want's. */
static void check_code(const float *code, const double *want, double tol, const char *what)
{
    for (int k = 0; k < 3; k++)
        if (fabs(code[k] - want[k]) > tol * fmax(1, fabs(want[k])))
            g_error("%s: code[%d] = %g, expected %g", what, k, code[k], want[k]);
}

/* Encodes a 96x72 picture with m (load side 32, crops of 16) into code (the
 * palette first), and
 * sums into want the codes of the crops the naive recipe cuts: short side
 * 72 -> 32, so 43x32, cut into 3 x 2 crops at x 0, 14, 27 (spread evenly,
 * overlapping) and y 0, 16. */
static void encode_96x72(cg_model *m, float *code, double *want)
{
    cg_error err = {0};
    cg_image *ref = test_image(96, 72, 8);
    g_assert_cmpint(cg_model_encode_reference(m, ref, code, &err), ==, CG_OK);
    cg_image *small = cg_image_resize(ref, 43, 32, &err);
    const int xs[] = {0, 14, 27}, ys[] = {0, 16};
    memset(want, 0, 4 * sizeof *want);
    for (int j = 0; j < 2; j++)
        for (int i = 0; i < 3; i++)
            crop_code(cg_model_encoder(m), small, xs[i], ys[j], 16, 16, want);
    cg_image_free(small);
    cg_image_free(ref);
}

static void test_crops_at_load_scale(void)
{
    cg_model *m = reference_model("{\"type\": \"style_encoder\", \"width\": 4, \"layers\": 2, \"code\": 3, "
                                  "\"side\": 16, \"load_side\": 32}");
    cg_net *enc = cg_model_encoder(m);
    g_assert_cmpint(cg_net_reference_load_side(enc), ==, 32);
    cg_error err = {0};
    float full[CG_PALETTE_LENGTH + 4], *code = full + CG_PALETTE_LENGTH;
    double want[4];
    encode_96x72(m, full, want);
    for (int k = 0; k < 3; k++)
        want[k] /= 6;
    check_code(code, want, 1e-5, "the crops' mean");
    g_assert_cmpfloat(code[3], ==, 1.0f);

    /* A small tall reference is scaled up: 16x40 -> 32x80. */
    cg_image *narrow = test_image(16, 40, 9);
    g_assert_cmpint(cg_model_encode_reference(m, narrow, full, &err), ==, CG_OK);
    cg_image *narrow_small = cg_image_resize(narrow, 32, 80, &err);
    memset(want, 0, sizeof want);
    for (int j = 0; j < 5; j++)
        for (int i = 0; i < 2; i++)
            crop_code(enc, narrow_small, 16 * i, 16 * j, 16, 16, want);
    for (int k = 0; k < 3; k++)
        want[k] /= 10;
    check_code(code, want, 1e-5, "narrow: the crops' mean");
    cg_image_free(narrow_small);
    cg_image_free(narrow);
    cg_model_free(m);
}

static void test_whole_without_load_side(void)
{
    cg_model *m = reference_model("{\"type\": \"style_encoder\", \"width\": 4, \"layers\": 2, \"code\": 3, \"side\": 16}");
    cg_net *enc = cg_model_encoder(m);
    g_assert_cmpint(cg_net_reference_load_side(enc), ==, 0);
    cg_error err = {0};
    cg_image *ref = test_image(96, 72, 8);
    float full[CG_PALETTE_LENGTH + 4], *code = full + CG_PALETTE_LENGTH;
    g_assert_cmpint(cg_model_encode_reference(m, ref, full, &err), ==, CG_OK);
    cg_image *small = cg_image_resize(ref, 16, 12, &err);
    double want[4] = {0};
    crop_code(enc, small, 0, 0, 16, 12, want);
    check_code(code, want, 1e-5, "the whole picture's");
    cg_image_free(small);
    cg_image_free(ref);
    cg_model_free(m);
}

/* An encoder with code_norm learnt from codes of unit variance: the crops'
 * mean code is standardised again. */
static void test_code_norm_restandardised(void)
{
    cg_model *m = reference_model("{\"type\": \"style_encoder\", \"width\": 4, \"layers\": 2, \"code\": 3, "
                                  "\"side\": 16, \"load_side\": 32, \"code_norm\": true}");
    cg_net *enc = cg_model_encoder(m);
    g_assert_true(cg_net_code_norm(enc));
    float full[CG_PALETTE_LENGTH + 4], *code = full + CG_PALETTE_LENGTH;
    double want[4];
    encode_96x72(m, full, want);
    const double mean = (want[0] + want[1] + want[2]) / 3;
    double var = 0;
    for (int k = 0; k < 3; k++)
        var += (want[k] - mean) * (want[k] - mean) / 3;
    for (int k = 0; k < 3; k++)
        want[k] = (want[k] - mean) / sqrt(var + 1e-5);
    check_code(code, want, 1e-4, "the crops' mean standardised");
    g_assert_cmpfloat(code[3], ==, 1.0f);
    cg_model_free(m);
}

/* The code starts with the palette of the picture the encoder saw: the Lab
 * means and deviations of the scaled copy, transparent areas as white. */
static void test_palette_first(void)
{
    cg_model *m = reference_model("{\"type\": \"style_encoder\", \"width\": 4, \"layers\": 2, \"code\": 3, "
                                  "\"side\": 16, \"load_side\": 32}");
    cg_error err = {0};
    cg_image *ref = test_image(96, 72, 8);
    for (int y = 0; y < 72; y++)
        for (int x = 0; x < 48; x++)
            cg_image_at(ref, x, y)[3] = 0; /* the left half transparent */
    float code[CG_PALETTE_LENGTH + 4];
    g_assert_cmpint(cg_model_encode_reference(m, ref, code, &err), ==, CG_OK);
    cg_image *small = cg_image_resize(ref, 43, 32, &err);
    for (int i = 0; i < 43 * 32; i++) {
        float *p = small->pixels + 4 * i, a = fminf(1, fmaxf(0, p[3]));
        for (int c = 0; c < 3; c++)
            p[c] = p[c] * a + (1 - a);
    }
    double want[CG_PALETTE_LENGTH];
    g_assert_cmpint(cg_quality_lab_stats(small, want, &err), ==, CG_OK);
    for (int k = 0; k < CG_PALETTE_LENGTH; k++)
        if (fabs(code[k] - want[k]) > 1e-3 * fmax(1, fabs(want[k])))
            g_error("palette value %d: %g, expected %g", k, code[k], want[k]);
    g_assert_cmpfloat(code[0], >, 60); /* half white */
    g_assert_cmpfloat(code[CG_PALETTE_LENGTH + 3], ==, 1.0f);
    g_assert_cmpint(cg_stylize_check_code(m, code, &err), ==, CG_OK);
    /* A palette out of Lab's range is not a code. */
    code[0] = 101;
    g_assert_cmpint(cg_stylize_check_code(m, code, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "palette"));
    code[0] = 50;
    code[4] = -1;
    g_assert_cmpint(cg_stylize_check_code(m, code, &err), ==, CG_ERR_INVALID);
    cg_image_free(small);
    cg_image_free(ref);
    cg_model_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/infer/reference/crops_at_load_scale", test_crops_at_load_scale);
    g_test_add_func("/infer/reference/whole_without_load_side", test_whole_without_load_side);
    g_test_add_func("/infer/reference/code_norm_restandardised", test_code_norm_restandardised);
    g_test_add_func("/infer/reference/palette_first", test_palette_first);
    return g_test_run();
}
