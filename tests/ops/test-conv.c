/* conv2d and conv_transpose2d against naive double references, with gradient checks. */
#include "support/gradcheck.h"
#include "ops/conv_infer.h"
#include "ops/op.h"

#include <math.h>
#include <string.h>

typedef struct conv_case {
    cg_conv_params p;
    bool transposed;
} conv_case;

static cg_tensor *run_conv(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const conv_case *c = ctx;
    return c->transposed ? cg_conv_transpose2d(g, in[0], in[1], in[2], &c->p)
                         : cg_conv2d(g, in[0], in[1], in[2], &c->p);
}

static int64_t reflect(int64_t i, int64_t n)
{
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

/* out[n,co,oh,ow] = b[co] + sum over ci in co's group, ki, kj of
 * w[co, ci', ki, kj] * x[n, ci, oh*s - pad + ki*d, ow*s - pad + kj*d], where
 * x is read upsampled: x[n, ci, i, j] stands for the stored x[n, ci, i/up, j/up]. */
static void ref_conv2d(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const cg_conv_params *p = &((const conv_case *)ctx)->p;
    const cg_tensor *xs = shape[0], *ws = shape[1];
    const int64_t up = p->upsample > 1 ? p->upsample : 1;
    int64_t N = xs->dim[0], C = xs->dim[1], H = xs->dim[2] * up, W = xs->dim[3] * up;
    int64_t CO = ws->dim[0], CIG = ws->dim[1], KH = ws->dim[2], KW = ws->dim[3];
    int64_t COG = CO / p->groups;
    int64_t OH = (H + 2 * p->pad_h - p->dilation_h * (KH - 1) - 1) / p->stride_h + 1;
    int64_t OW = (W + 2 * p->pad_w - p->dilation_w * (KW - 1) - 1) / p->stride_w + 1;
    for (int64_t n = 0; n < N; n++)
        for (int64_t co = 0; co < CO; co++)
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++) {
                    double s = in[2] ? in[2][co] : 0;
                    int64_t grp = co / COG;
                    for (int64_t cig = 0; cig < CIG; cig++)
                        for (int64_t ki = 0; ki < KH; ki++)
                            for (int64_t kj = 0; kj < KW; kj++) {
                                int64_t ih = oh * p->stride_h - p->pad_h + ki * p->dilation_h;
                                int64_t iw = ow * p->stride_w - p->pad_w + kj * p->dilation_w;
                                if (p->pad_mode == CG_PAD_REFLECT) {
                                    ih = reflect(ih, H);
                                    iw = reflect(iw, W);
                                } else if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
                                    continue;
                                }
                                int64_t ci = grp * CIG + cig;
                                s += in[1][((co * CIG + cig) * KH + ki) * KW + kj] *
                                     in[0][((n * C + ci) * (H / up) + ih / up) * (W / up) + iw / up];
                            }
                    out[((n * CO + co) * OH + oh) * OW + ow] = s;
                }
    (void)C;
}

/* Scatter form, straight from the definition: every input pixel adds
 * w[ci, co', ki, kj] * x into out[oh*s - pad + ki*d, ...]. */
static void ref_conv_transpose2d(const double *const *in, const cg_tensor *const *shape, double *out,
                                 const void *ctx)
{
    const cg_conv_params *p = &((const conv_case *)ctx)->p;
    const cg_tensor *xs = shape[0], *ws = shape[1];
    int64_t N = xs->dim[0], CI = xs->dim[1], H = xs->dim[2], W = xs->dim[3];
    int64_t COG = ws->dim[1], KH = ws->dim[2], KW = ws->dim[3];
    int64_t CO = COG * p->groups, CIG = CI / p->groups;
    int64_t OH = (H - 1) * p->stride_h - 2 * p->pad_h + p->dilation_h * (KH - 1) + 1 + p->output_pad_h;
    int64_t OW = (W - 1) * p->stride_w - 2 * p->pad_w + p->dilation_w * (KW - 1) + 1 + p->output_pad_w;
    for (int64_t n = 0; n < N; n++)
        for (int64_t co = 0; co < CO; co++)
            for (int64_t i = 0; i < OH * OW; i++)
                out[(n * CO + co) * OH * OW + i] = in[2] ? in[2][co] : 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t ci = 0; ci < CI; ci++)
            for (int64_t ih = 0; ih < H; ih++)
                for (int64_t iw = 0; iw < W; iw++) {
                    double v = in[0][((n * CI + ci) * H + ih) * W + iw];
                    int64_t grp = ci / CIG;
                    for (int64_t cog = 0; cog < COG; cog++)
                        for (int64_t ki = 0; ki < KH; ki++)
                            for (int64_t kj = 0; kj < KW; kj++) {
                                int64_t oh = ih * p->stride_h - p->pad_h + ki * p->dilation_h;
                                int64_t ow = iw * p->stride_w - p->pad_w + kj * p->dilation_w;
                                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW)
                                    continue;
                                int64_t co = grp * COG + cog;
                                out[((n * CO + co) * OH + oh) * OW + ow] +=
                                    v * in[1][((ci * COG + cog) * KH + ki) * KW + kj];
                            }
                }
}

static void check_conv(const char *name, int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int kh,
                       int kw, cg_conv_params p, bool bias)
{
    conv_case c = {p, false};
    gc_case gc = {.name = name, .n_in = 3, .run = run_conv, .ref = ref_conv2d, .ctx = &c,
                  .diff = {true, true, true}, .fwd_tol = 1e-5, .grad_tol = 1e-3};
    gc.in[0] = gc_random4(n, ci, h, w, -1, 1, 1);
    gc.in[1] = gc_random4(co, ci / p.groups, kh, kw, -0.5, 0.5, 2);
    if (bias) {
        const int64_t d[1] = {co};
        gc.in[2] = gc_random(1, d, -0.5, 0.5, 3);
    }
    gc_check(&gc);
    gc_free(&gc);
}

static void check_convt(const char *name, int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int kh,
                        int kw, cg_conv_params p, bool bias)
{
    conv_case c = {p, true};
    gc_case gc = {.name = name, .n_in = 3, .run = run_conv, .ref = ref_conv_transpose2d, .ctx = &c,
                  .diff = {true, true, true}, .fwd_tol = 1e-5, .grad_tol = 1e-3};
    gc.in[0] = gc_random4(n, ci, h, w, -1, 1, 4);
    gc.in[1] = gc_random4(ci, co / p.groups, kh, kw, -0.5, 0.5, 5);
    if (bias) {
        const int64_t d[1] = {co};
        gc.in[2] = gc_random(1, d, -0.5, 0.5, 6);
    }
    gc_check(&gc);
    gc_free(&gc);
}

static void check_convt(const char *name, int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int kh,
                        int kw, cg_conv_params p, bool bias);

static cg_conv_params params(int stride, int pad, int dilation, int groups, cg_pad_mode mode)
{
    cg_conv_params p = cg_conv_defaults();
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = pad;
    p.dilation_h = p.dilation_w = dilation;
    p.groups = groups;
    p.pad_mode = mode;
    return p;
}

static void test_conv_basic(void)
{
    check_conv("conv 3x3 pad1", 2, 3, 7, 6, 4, 3, 3, params(1, 1, 1, 1, CG_PAD_ZERO), true);
    check_conv("conv 3x3 no bias", 1, 2, 5, 5, 3, 3, 3, params(1, 0, 1, 1, CG_PAD_ZERO), false);
    check_conv("conv 1x1 direct", 2, 5, 4, 3, 6, 1, 1, params(1, 0, 1, 1, CG_PAD_ZERO), true);
    check_conv("conv 1x3 rect kernel", 1, 2, 5, 7, 3, 1, 3, params(1, 1, 1, 1, CG_PAD_ZERO), true);
}

static void test_conv_stride_dilation(void)
{
    check_conv("conv stride 2", 2, 3, 9, 8, 4, 3, 3, params(2, 1, 1, 1, CG_PAD_ZERO), true);
    check_conv("conv stride 3 pad 2", 1, 2, 10, 11, 3, 4, 4, params(3, 2, 1, 1, CG_PAD_ZERO), true);
    check_conv("conv dilation 2", 1, 3, 9, 9, 2, 3, 3, params(1, 2, 2, 1, CG_PAD_ZERO), true);
    check_conv("conv 1x1 stride 2", 1, 3, 6, 5, 4, 1, 1, params(2, 0, 1, 1, CG_PAD_ZERO), true);
}

static void test_conv_reflect(void)
{
    check_conv("conv reflect 7x7", 1, 3, 9, 10, 4, 7, 7, params(1, 3, 1, 1, CG_PAD_REFLECT), true);
    check_conv("conv reflect 3x3 stride 2", 2, 2, 7, 8, 3, 3, 3, params(2, 1, 1, 1, CG_PAD_REFLECT), true);
    check_conv("conv reflect dilated", 1, 2, 8, 8, 2, 3, 3, params(1, 2, 2, 1, CG_PAD_REFLECT), false);
    check_conv("conv reflect tiny input", 1, 1, 2, 3, 2, 3, 3, params(1, 1, 1, 1, CG_PAD_REFLECT), true);
}

/* Layers with few output channels take the direct kernels forward and back
 * (an RGB output layer); rows of 19 end inside a vector. */
static void test_conv_few_outputs(void)
{
    check_conv("conv 3 outputs 7x7 reflect", 2, 5, 9, 19, 3, 7, 7, params(1, 3, 1, 1, CG_PAD_REFLECT), true);
    check_conv("conv 1 output 5x5 zero", 3, 2, 6, 11, 1, 5, 5, params(1, 2, 1, 1, CG_PAD_ZERO), false);
    check_conv("conv 2 outputs 3x3 reflect", 1, 9, 8, 8, 2, 3, 3, params(1, 1, 1, 1, CG_PAD_REFLECT), true);
}

/* Layers with few input channels (an RGB input layer) take the direct weight
 * gradient; rows of 19 end inside a vector, rows of 16 are read in place. */
static void test_conv_few_inputs(void)
{
    check_conv("conv 3 inputs 7x7 reflect", 2, 3, 9, 19, 6, 7, 7, params(1, 3, 1, 1, CG_PAD_REFLECT), true);
    check_conv("conv 2 inputs 5x5 zero", 3, 2, 6, 16, 5, 5, 5, params(1, 2, 1, 1, CG_PAD_ZERO), false);
    check_conv("conv 1 input 7x7 reflect", 1, 1, 8, 16, 9, 7, 7, params(1, 3, 1, 1, CG_PAD_REFLECT), true);
}

/* 3x3 stride-1 layers with more than four output channels train through
 * Winograd: forward, input and weight gradients against the reference. The
 * last case has few inputs, so its forward is direct and its backward Winograd. */
static void test_conv_winograd_grad(void)
{
    check_conv("conv winograd reflect", 2, 5, 7, 9, 6, 3, 3, params(1, 1, 1, 1, CG_PAD_REFLECT), true);
    check_conv("conv winograd zero", 1, 6, 6, 8, 5, 3, 3, params(1, 1, 1, 1, CG_PAD_ZERO), false);
    check_conv("conv winograd tiny", 2, 5, 2, 3, 5, 3, 3, params(1, 1, 1, 1, CG_PAD_REFLECT), true);
    check_conv("conv winograd few inputs", 2, 3, 5, 6, 6, 3, 3, params(1, 1, 1, 1, CG_PAD_REFLECT), true);
}

static cg_conv_params upsampled(cg_conv_params p, int factor)
{
    p.upsample = factor;
    return p;
}

/* A decoder's conv reading its input nearest-upsampled: Winograd for 3x3
 * stride 1, im2col for the rest. */
static void test_conv_upsampled_grad(void)
{
    check_conv("conv up2 winograd reflect", 2, 5, 3, 4, 6, 3, 3, upsampled(params(1, 1, 1, 1, CG_PAD_REFLECT), 2), true);
    check_conv("conv up2 winograd zero", 1, 6, 4, 3, 5, 3, 3, upsampled(params(1, 1, 1, 1, CG_PAD_ZERO), 2), false);
    check_conv("conv up2 5x5", 1, 3, 3, 4, 4, 5, 5, upsampled(params(1, 2, 1, 1, CG_PAD_REFLECT), 2), true);
    check_conv("conv up3 stride 2", 2, 2, 3, 3, 3, 3, 3, upsampled(params(2, 1, 1, 1, CG_PAD_ZERO), 3), true);
    check_conv("conv up2 few outputs", 1, 4, 3, 5, 3, 3, 3, upsampled(params(1, 1, 1, 1, CG_PAD_REFLECT), 2), true);
}

/* One training step of a conv layer, returning its output and the gradients
 * of x, w and b for the output gradient seed. */
static void conv_step(cg_tensor *x, cg_tensor *w, cg_tensor *b, const cg_conv_params *p, const float *seed,
                      float **y, float **grads)
{
    cg_tensor *in[3] = {x, w, b};
    for (int i = 0; i < 3; i++) {
        in[i]->requires_grad = true;
        if (!in[i]->grad)
            in[i]->grad = cg_aligned_alloc((size_t)in[i]->size * sizeof(float));
        memset(in[i]->grad, 0, (size_t)in[i]->size * sizeof(float));
    }
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    cg_tensor *out = cg_conv2d(g, x, w, b, p);
    g_assert_nonnull(out);
    g_assert_cmpint(cg_graph_backward_seeded(g, out, seed, &err), ==, CG_OK);
    *y = g_memdup2(out->data, (size_t)out->size * sizeof(float));
    for (int i = 0; i < 3; i++)
        grads[i] = g_memdup2(in[i]->grad, (size_t)in[i]->size * sizeof(float));
    cg_graph_free(g);
}

static void expect_close(const char *what, const float *got, const float *want, int64_t n)
{
    double *w = g_new(double, n);
    for (int64_t i = 0; i < n; i++)
        w[i] = want[i];
    gc_assert_close(what, got, w, n, 1e-5);
    g_free(w);
}

/* Layers large enough for everything the gradient checks are too slow to
 * reach: the vector paths of interior tiles, several blocks of tiles per
 * image, channels in several tasks, a batch. Winograd against im2col. */
static void test_conv_winograd_large(void)
{
    const int cases[][6] = {/* n, in, h, w, out, upsample */
                            {2, 20, 33, 40, 18, 1}, {1, 17, 40, 37, 9, 1}, {3, 8, 12, 70, 16, 1},
                            {2, 20, 17, 20, 18, 2}, {1, 9, 20, 19, 7, 2}};
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < (int)G_N_ELEMENTS(cases); k++) {
            const int *c = cases[k];
            cg_tensor *x = gc_random4(c[0], c[1], c[2], c[3], -1, 1, 70 + k), *w = gc_random4(c[4], c[1], 3, 3, -1, 1, 71);
            const int64_t bd[1] = {c[4]};
            cg_tensor *b = gc_random(1, bd, -1, 1, 72);
            int64_t out_size = (int64_t)c[0] * c[4] * c[2] * c[3] * c[5] * c[5];
            float *seed = g_new(float, out_size);
            for (int64_t i = 0; i < out_size; i++)
                seed[i] = (float)((i * 7919) % 201) / 100.0f - 1.0f;
            cg_conv_params p = upsampled(params(1, 1, 1, 1, m ? CG_PAD_ZERO : CG_PAD_REFLECT), c[5]);
            float *y[2], *grads[2][3];
            for (int wino = 0; wino < 2; wino++) {
                cg_conv_use_winograd(wino);
                conv_step(x, w, b, &p, seed, &y[wino], grads[wino]);
            }
            char what[64];
            g_snprintf(what, sizeof what, "case %d pad %d output", k, m);
            expect_close(what, y[1], y[0], out_size);
            const char *names[3] = {"input", "weight", "bias"};
            cg_tensor *in[3] = {x, w, b};
            for (int i = 0; i < 3; i++) {
                g_snprintf(what, sizeof what, "case %d pad %d %s gradient", k, m, names[i]);
                expect_close(what, grads[1][i], grads[0][i], in[i]->size);
            }
            for (int wino = 0; wino < 2; wino++) {
                g_free(y[wino]);
                for (int i = 0; i < 3; i++)
                    g_free(grads[wino][i]);
            }
            g_free(seed);
            cg_tensor_free(x);
            cg_tensor_free(w);
            cg_tensor_free(b);
        }
    cg_conv_use_winograd(true);
}

static void test_conv_groups(void)
{
    check_conv("conv groups 2", 2, 4, 6, 6, 6, 3, 3, params(1, 1, 1, 2, CG_PAD_ZERO), true);
    check_conv("conv depthwise", 1, 5, 6, 7, 5, 3, 3, params(1, 1, 1, 5, CG_PAD_REFLECT), true);
    check_conv("conv depthwise x2", 1, 3, 5, 5, 6, 3, 3, params(2, 1, 1, 3, CG_PAD_ZERO), false);
}

/* Tiles smaller than the image, split across workers: a layer large enough that
 * the column matrix is cut into many tiles. */
static void test_conv_many_tiles(void)
{
    cg_conv_set_column_budget(16 * 6 * 9);
    check_conv("conv tiled", 2, 6, 9, 20, 4, 3, 3, params(1, 1, 1, 1, CG_PAD_REFLECT), true);
    check_convt("convT tiled", 1, 6, 5, 9, 4, 3, 3, params(2, 1, 1, 1, CG_PAD_ZERO), true);
    cg_conv_set_column_budget(0);
}

static void test_convt(void)
{
    check_convt("convT 3x3 stride 2", 2, 3, 4, 5, 4, 3, 3, params(2, 1, 1, 1, CG_PAD_ZERO), true);
    cg_conv_params p = params(2, 1, 1, 1, CG_PAD_ZERO);
    p.output_pad_h = p.output_pad_w = 1;
    check_convt("convT output pad", 1, 2, 3, 4, 3, 3, 3, p, true);
    check_convt("convT 4x4 s2 p1", 1, 3, 4, 4, 2, 4, 4, params(2, 1, 1, 1, CG_PAD_ZERO), false);
    check_convt("convT dilation", 1, 2, 4, 3, 2, 3, 3, params(1, 0, 2, 1, CG_PAD_ZERO), true);
    check_convt("convT groups", 1, 4, 3, 3, 6, 3, 3, params(2, 1, 1, 2, CG_PAD_ZERO), true);
    check_convt("convT 1x1", 2, 3, 4, 4, 5, 1, 1, params(1, 0, 1, 1, CG_PAD_ZERO), true);
}

static void expect_invalid(cg_tensor *(*build)(cg_graph *g), const char *substring)
{
    cg_error err = {0};
    cg_graph *g = cg_graph_new(false, &err);
    g_assert_null(build(g));
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_ERR_INVALID);
    if (!strstr(err.message, substring))
        g_error("message '%s' lacks '%s'", err.message, substring);
    cg_graph_free(g);
}

static cg_tensor *bad_channels(cg_graph *g)
{
    return cg_conv2d(g, cg_graph_tensor4(g, 1, 3, 8, 8), cg_graph_tensor4(g, 4, 2, 3, 3), NULL, NULL);
}
static cg_tensor *bad_kernel(cg_graph *g)
{
    return cg_conv2d(g, cg_graph_tensor4(g, 1, 1, 2, 2), cg_graph_tensor4(g, 1, 1, 3, 3), NULL, NULL);
}
static cg_tensor *bad_reflect(cg_graph *g)
{
    cg_conv_params p = params(1, 3, 1, 1, CG_PAD_REFLECT);
    return cg_conv2d(g, cg_graph_tensor4(g, 1, 1, 3, 8), cg_graph_tensor4(g, 1, 1, 7, 7), NULL, &p);
}
static cg_tensor *bad_groups(cg_graph *g)
{
    cg_conv_params p = params(1, 1, 1, 2, CG_PAD_ZERO);
    return cg_conv2d(g, cg_graph_tensor4(g, 1, 3, 4, 4), cg_graph_tensor4(g, 2, 1, 3, 3), NULL, &p);
}
static cg_tensor *bad_stride(cg_graph *g)
{
    cg_conv_params p = params(0, 1, 1, 1, CG_PAD_ZERO);
    return cg_conv2d(g, cg_graph_tensor4(g, 1, 1, 4, 4), cg_graph_tensor4(g, 1, 1, 3, 3), NULL, &p);
}
static cg_tensor *bad_bias(cg_graph *g)
{
    const int64_t d[1] = {5};
    return cg_conv2d(g, cg_graph_tensor4(g, 1, 1, 4, 4), cg_graph_tensor4(g, 2, 1, 3, 3),
                     cg_graph_tensor(g, 1, d), NULL);
}
static cg_tensor *bad_transposed_reflect(cg_graph *g)
{
    cg_conv_params p = params(2, 1, 1, 1, CG_PAD_REFLECT);
    return cg_conv_transpose2d(g, cg_graph_tensor4(g, 1, 2, 4, 4), cg_graph_tensor4(g, 2, 1, 3, 3), NULL, &p);
}
static cg_tensor *bad_upsample(cg_graph *g)
{
    cg_conv_params p = upsampled(params(1, 1, 1, 1, CG_PAD_ZERO), -2);
    return cg_conv2d(g, cg_graph_tensor4(g, 1, 2, 4, 4), cg_graph_tensor4(g, 3, 2, 3, 3), NULL, &p);
}

static cg_tensor *bad_transposed_upsample(cg_graph *g)
{
    cg_conv_params p = upsampled(params(2, 1, 1, 1, CG_PAD_ZERO), 2);
    return cg_conv_transpose2d(g, cg_graph_tensor4(g, 1, 2, 4, 4), cg_graph_tensor4(g, 2, 3, 3, 3), NULL, &p);
}

static cg_tensor *bad_output_pad(cg_graph *g)
{
    cg_conv_params p = params(2, 1, 1, 1, CG_PAD_ZERO);
    p.output_pad_h = 2;
    return cg_conv_transpose2d(g, cg_graph_tensor4(g, 1, 2, 4, 4), cg_graph_tensor4(g, 2, 1, 3, 3), NULL, &p);
}

static void test_conv_errors(void)
{
    expect_invalid(bad_channels, "does not match");
    expect_invalid(bad_kernel, "larger than the padded input");
    expect_invalid(bad_reflect, "reflect padding");
    expect_invalid(bad_groups, "not divisible");
    expect_invalid(bad_stride, "stride");
    expect_invalid(bad_bias, "bias");
    expect_invalid(bad_transposed_reflect, "zero padding only");
    expect_invalid(bad_output_pad, "output padding");
    expect_invalid(bad_upsample, "upsampling factor");
    expect_invalid(bad_transposed_upsample, "conv2d only");
}

/* The inference entry point with nearest x2 upsampling folded into the conv's
 * reads equals upsample-then-conv through the graph. */
static void test_conv_infer_upsampled(void)
{
    const cg_pad_mode modes[2] = {CG_PAD_REFLECT, CG_PAD_ZERO};
    for (int m = 0; m < 4; m++) {
        /* the graph's convolution through im2col is the reference; the executor's is Winograd for m 0, 1 */
        cg_conv_use_winograd(false);
        cg_error err = {0};
        const int ih = 7, iw = m % 2 ? 9 : 30; /* 30: wide enough for the eight-tile interior path */
        cg_tensor *x = gc_random4(1, 5, ih, iw, -1, 1, 40), *w = gc_random4(4, 5, 3, 3, -1, 1, 41);
        const int64_t bd[1] = {4};
        cg_tensor *b = gc_random(1, bd, -1, 1, 42);
        cg_graph *g = cg_graph_new(false, &err);
        cg_conv_params p = params(1, 1, 1, 1, modes[m % 2]);
        cg_tensor *y = cg_conv2d(g, cg_upsample_nearest(g, x, 2), w, b, &p);
        g_assert_nonnull(y);
        cg_conv_infer_shape s = {1, 5, ih, iw, 4, 3, 1, 1, modes[m % 2] == CG_PAD_REFLECT, 2};
        int64_t oh, ow;
        cg_conv_infer_out_size(&s, &oh, &ow);
        g_assert_cmpint(oh, ==, 2 * ih);
        g_assert_cmpint(ow, ==, 2 * iw);
        cg_conv_use_winograd(m < 2);
        float *out = g_new(float, 4 * oh * ow), *scratch = g_new(float, cg_conv_infer_scratch(&s) + 1);
        cg_conv_infer(&s, x->data, w->data, b->data, out, scratch);
        for (int64_t i = 0; i < y->size; i++)
            g_assert_cmpfloat(fabsf(out[i] - y->data[i]), <, 1e-5f);
        g_free(out);
        g_free(scratch);
        cg_graph_free(g);
        cg_tensor_free(x);
        cg_tensor_free(w);
        cg_tensor_free(b);
    }
    cg_conv_use_winograd(true);
}

/* Winograd F(4x4) and F(2x2) against the graph's im2col convolution on odd
 * sizes, both paddings, with few channels and with many (F(4x4)'s larger
 * transform entries cost more rounding as a sum grows). */
static void test_conv_infer_winograd(void)
{
    /* wide enough for the eight-tile paths too: in place (70), through the
     * padding at a row's left end (41, 70), at its right end (47: F(4x4)'s
     * group of tiles 4 .. 11 in the second tile row) and at both (32) */
    const int sizes[][3] = {{7, 9, 6},  {8, 8, 6},  {2, 3, 6},  {13, 6, 6},  {9, 41, 6},
                            {6, 70, 6}, {9, 47, 6}, {5, 32, 6}, {21, 19, 96}};
    for (int f4 = 0; f4 < 2; f4++)
        for (int m = 0; m < 2; m++)
            for (int k = 0; k < (int)G_N_ELEMENTS(sizes); k++) {
                cg_error err = {0};
                int h = sizes[k][0], w = sizes[k][1], ci = sizes[k][2];
                cg_tensor *x = gc_random4(1, ci, h, w, -1, 1, 50 + k), *wt = gc_random4(5, ci, 3, 3, -1, 1, 51);
                const int64_t bd[1] = {5};
                cg_tensor *b = gc_random(1, bd, -1, 1, 52);
                cg_graph *g = cg_graph_new(false, &err);
                cg_conv_params p = params(1, 1, 1, 1, m ? CG_PAD_ZERO : CG_PAD_REFLECT);
                cg_conv_use_winograd(false);
                cg_tensor *y = cg_conv2d(g, x, wt, b, &p);
                cg_conv_use_winograd(true);
                cg_conv_infer_shape s = {1, ci, h, w, 5, 3, 1, 1, m == 0, 1};
                g_assert_true(cg_winograd_applies(&s) && cg_winograd4_applies(&s));
                int64_t scratch_size = f4 ? cg_winograd4_scratch(&s) : cg_winograd_scratch(&s);
                float *out = g_new(float, 5 * h * w), *scratch = g_new(float, scratch_size);
                if (f4)
                    cg_winograd4_conv(&s, x->data, wt->data, b->data, out, scratch);
                else
                    cg_winograd_conv(&s, x->data, wt->data, b->data, out, scratch);
                /* relative to the sum's size: 9 ci terms of up to 1 */
                float tol = 1e-5f * (ci > 6 ? sqrtf(ci / 6.0f) : 1.0f) * (f4 ? 8 : 1);
                double worst = 0;
                for (int64_t i = 0; i < y->size; i++) {
                    worst = fmax(worst, fabsf(out[i] - y->data[i]));
                    if (fabsf(out[i] - y->data[i]) > tol)
                        g_error("winograd F(%dx%d) %dx%dx%d pad %d: element %lld %g vs %g", f4 ? 4 : 2, f4 ? 4 : 2, h,
                                w, ci, m, (long long)i, out[i], y->data[i]);
                }
                g_test_message("F(%d) %dx%dx%d pad %d: worst %.2e", f4 ? 4 : 2, h, w, ci, m, worst);
                g_free(out);
                g_free(scratch);
                cg_graph_free(g);
                cg_tensor_free(x);
                cg_tensor_free(wt);
                cg_tensor_free(b);
            }
}

/* The direct kernel for few output or few input channels against the graph's
 * convolution: output groups of four, a last group of three or fewer, rows
 * that end inside a chunk of pixels. */
static void test_conv_infer_direct(void)
{
    const int cases[][5] = {/* h, w, k, in, out */
                            {9, 37, 7, 5, 3},  {3, 5, 3, 5, 1},  {20, 16, 7, 5, 3}, {4, 4, 3, 5, 1},
                            {11, 50, 5, 5, 3}, {10, 29, 7, 3, 9}, {6, 24, 3, 1, 32}, {5, 70, 7, 4, 6}};
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < (int)G_N_ELEMENTS(cases); k++) {
            cg_error err = {0};
            int h = cases[k][0], w = cases[k][1], ks = cases[k][2], ci = cases[k][3], co = cases[k][4];
            cg_tensor *x = gc_random4(1, ci, h, w, -1, 1, 60 + k), *wt = gc_random4(co, ci, ks, ks, -1, 1, 61);
            const int64_t bd[1] = {co};
            cg_tensor *b = gc_random(1, bd, -1, 1, 62);
            cg_graph *g = cg_graph_new(false, &err);
            cg_conv_params p = params(1, ks / 2, 1, 1, m ? CG_PAD_ZERO : CG_PAD_REFLECT);
            cg_tensor *y = cg_conv2d(g, x, wt, b, &p);
            g_assert_nonnull(y);
            cg_conv_infer_shape s = {1, ci, h, w, co, ks, 1, ks / 2, m == 0, 1};
            g_assert_true(cg_conv_direct_applies(&s));
            float *out = g_new(float, co * h * w), *scratch = g_new(float, cg_conv_infer_scratch(&s));
            cg_conv_infer(&s, x->data, wt->data, b->data, out, scratch);
            for (int64_t i = 0; i < y->size; i++)
                if (fabsf(out[i] - y->data[i]) > 1e-4f)
                    g_error("direct %dx%d k%d pad %d: element %lld %g vs %g", h, w, ks, m, (long long)i, out[i],
                            y->data[i]);
            g_free(out);
            g_free(scratch);
            cg_graph_free(g);
            cg_tensor_free(x);
            cg_tensor_free(wt);
            cg_tensor_free(b);
        }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ops/conv/basic", test_conv_basic);
    g_test_add_func("/ops/conv/stride_dilation", test_conv_stride_dilation);
    g_test_add_func("/ops/conv/reflect", test_conv_reflect);
    g_test_add_func("/ops/conv/few_outputs", test_conv_few_outputs);
    g_test_add_func("/ops/conv/winograd_grad", test_conv_winograd_grad);
    g_test_add_func("/ops/conv/upsampled_grad", test_conv_upsampled_grad);
    g_test_add_func("/ops/conv/winograd_large", test_conv_winograd_large);
    g_test_add_func("/ops/conv/groups", test_conv_groups);
    g_test_add_func("/ops/conv/many_tiles", test_conv_many_tiles);
    g_test_add_func("/ops/conv/transposed", test_convt);
    g_test_add_func("/ops/conv/errors", test_conv_errors);
    g_test_add_func("/ops/conv/infer_upsampled", test_conv_infer_upsampled);
    g_test_add_func("/ops/conv/infer_winograd", test_conv_infer_winograd);
    g_test_add_func("/ops/conv/infer_direct", test_conv_infer_direct);
    g_test_add_func("/ops/conv/few_inputs", test_conv_few_inputs);
    return g_test_run();
}
