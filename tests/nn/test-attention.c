/* Attention blocks (CAM, SAGAN self-attention, CBAM) against naive double
 * references written from their definitions, with gradient checks through the
 * ops they are composed of. Tolerances: forward 1e-5, gradients 1e-3 relative
 * to max(1, max |numeric|) (the gradcheck defaults). */
#include "support/gradcheck.h"
#include "nn/nn.h"

#include <math.h>
#include <string.h>

enum { OUT_FEATURES, OUT_MAP, OUT_LOGITS };

typedef struct block_ctx {
    int which; /* what the run returns */
} block_ctx;

static double lrelu(double v) { return v > 0 ? v : 0.2 * v; }
static double sigm(double v) { return 1 / (1 + exp(-v)); }

static cg_conv_layer conv1x1(cg_tensor *w, cg_tensor *b)
{
    cg_conv_layer l = {.weight = w, .bias = b, .p = cg_conv_defaults()};
    return l;
}

/* ---- CAM: in = x (N,C,H,W), gap_w (1,C), gmp_w (1,C), fuse W (C,2C,1,1), fuse b (C) ---- */

static cg_tensor *run_cam(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const block_ctx *c = ctx;
    cg_cam_block b = {.gap_weight = in[1], .gmp_weight = in[2], .fuse = conv1x1(in[3], in[4])};
    cg_tensor *map = NULL, *logits = NULL;
    cg_tensor *out = cg_cam_block_run(g, &b, in[0], CG_ACT_LEAKY_RELU, 0.2f, &map, &logits);
    return c->which == OUT_FEATURES ? out : c->which == OUT_MAP ? map : logits;
}

static void ref_cam(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const block_ctx *c = ctx;
    int64_t N = shape[0]->dim[0], C = shape[0]->dim[1], P = shape[0]->dim[2] * shape[0]->dim[3];
    const double *x = in[0], *wg = in[1], *wm = in[2], *W = in[3], *b = in[4];
    for (int64_t n = 0; n < N; n++) {
        double lg = 0, lm = 0;
        for (int64_t ch = 0; ch < C; ch++) {
            double sum = 0, mx = -INFINITY;
            for (int64_t p = 0; p < P; p++) {
                sum += x[(n * C + ch) * P + p];
                mx = fmax(mx, x[(n * C + ch) * P + p]);
            }
            lg += sum / P * wg[ch];
            lm += mx * wm[ch];
        }
        if (c->which == OUT_LOGITS) {
            out[n * 2] = lg;
            out[n * 2 + 1] = lm;
            continue;
        }
        for (int64_t p = 0; p < P; p++) {
            double total = 0;
            for (int64_t o = 0; o < C; o++) {
                double h = b[o];
                for (int64_t ch = 0; ch < C; ch++) {
                    double v = x[(n * C + ch) * P + p];
                    h += W[o * 2 * C + ch] * v * wg[ch] + W[o * 2 * C + C + ch] * v * wm[ch];
                }
                h = lrelu(h);
                total += h;
                if (c->which == OUT_FEATURES)
                    out[(n * C + o) * P + p] = h;
            }
            if (c->which == OUT_MAP)
                out[n * P + p] = total;
        }
    }
}

static void test_cam(void)
{
    for (int which = OUT_FEATURES; which <= OUT_LOGITS; which++) {
        block_ctx ctx = {which};
        const int64_t C = 4, wd[2] = {1, C}, bd[1] = {C};
        gc_case gc = {.name = which == OUT_FEATURES ? "cam features" : which == OUT_MAP ? "cam map" : "cam logits",
                      .n_in = 5, .run = run_cam, .ref = ref_cam, .ctx = &ctx,
                      .diff = {true, true, true, true, true}};
        gc.in[0] = gc_random4(2, C, 5, 3, -1, 1, 11);
        gc.in[1] = gc_random(2, wd, -1, 1, 12);
        gc.in[2] = gc_random(2, wd, -1, 1, 13);
        gc.in[3] = gc_random4(C, 2 * C, 1, 1, -0.5, 0.5, 14);
        gc.in[4] = gc_random(1, bd, -0.5, 0.5, 15);
        gc_check(&gc);
        gc_free(&gc);
    }
}

/* ---- self-attention: in = x, Wq (I,C,1,1), bq (I), Wk, bk, Wv (C,C,1,1), bv (C), gamma (1) ---- */

static cg_tensor *run_self(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const block_ctx *c = ctx;
    cg_self_attention_block b = {.query = conv1x1(in[1], in[2]), .key = conv1x1(in[3], in[4]),
                                 .value = conv1x1(in[5], in[6]), .gamma = in[7]};
    cg_tensor *map = NULL;
    cg_tensor *out = cg_self_attention_block_run(g, &b, in[0], &map);
    return c->which == OUT_FEATURES ? out : map;
}

static void ref_self(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const block_ctx *c = ctx;
    int64_t N = shape[0]->dim[0], C = shape[0]->dim[1], P = shape[0]->dim[2] * shape[0]->dim[3];
    int64_t I = shape[1]->dim[0];
    const double *x = in[0];
    double *q = g_new(double, I * P), *k = g_new(double, I * P), *v = g_new(double, C * P);
    double *attn = g_new(double, P * P);
    for (int64_t n = 0; n < N; n++) {
        const double *xn = x + n * C * P;
        for (int64_t i = 0; i < I; i++)
            for (int64_t p = 0; p < P; p++) {
                double sq = in[2][i], sk = in[4][i];
                for (int64_t ch = 0; ch < C; ch++) {
                    sq += in[1][i * C + ch] * xn[ch * P + p];
                    sk += in[3][i * C + ch] * xn[ch * P + p];
                }
                q[i * P + p] = sq;
                k[i * P + p] = sk;
            }
        for (int64_t o = 0; o < C; o++)
            for (int64_t p = 0; p < P; p++) {
                double s = in[6][o];
                for (int64_t ch = 0; ch < C; ch++)
                    s += in[5][o * C + ch] * xn[ch * P + p];
                v[o * P + p] = s;
            }
        for (int64_t a = 0; a < P; a++) {
            double mx = -INFINITY, z = 0;
            for (int64_t b = 0; b < P; b++) {
                double e = 0;
                for (int64_t i = 0; i < I; i++)
                    e += q[i * P + a] * k[i * P + b];
                attn[a * P + b] = e;
                mx = fmax(mx, e);
            }
            for (int64_t b = 0; b < P; b++)
                z += attn[a * P + b] = exp(attn[a * P + b] - mx);
            for (int64_t b = 0; b < P; b++)
                attn[a * P + b] /= z;
        }
        if (c->which == OUT_MAP) {
            for (int64_t b = 0; b < P; b++) {
                double s = 0;
                for (int64_t a = 0; a < P; a++)
                    s += attn[a * P + b];
                out[n * P + b] = s / P;
            }
            continue;
        }
        for (int64_t o = 0; o < C; o++)
            for (int64_t a = 0; a < P; a++) {
                double s = 0;
                for (int64_t b = 0; b < P; b++)
                    s += v[o * P + b] * attn[a * P + b];
                out[(n * C + o) * P + a] = xn[o * P + a] + in[7][0] * s;
            }
    }
    g_free(q);
    g_free(k);
    g_free(v);
    g_free(attn);
}

static void test_self_attention(void)
{
    for (int which = OUT_FEATURES; which <= OUT_MAP; which++) {
        block_ctx ctx = {which};
        const int64_t C = 8, I = 2, bi[1] = {I}, bc[1] = {C}, gd[1] = {1};
        gc_case gc = {.name = which == OUT_FEATURES ? "self-attention features" : "self-attention map", .n_in = 8,
                      .run = run_self, .ref = ref_self, .ctx = &ctx,
                      .diff = {true, true, true, true, true, true, true, true}};
        gc.in[0] = gc_random4(2, C, 3, 4, -1, 1, 21);
        gc.in[1] = gc_random4(I, C, 1, 1, -0.5, 0.5, 22);
        gc.in[2] = gc_random(1, bi, -0.5, 0.5, 23);
        gc.in[3] = gc_random4(I, C, 1, 1, -0.5, 0.5, 24);
        gc.in[4] = gc_random(1, bi, -0.5, 0.5, 25);
        gc.in[5] = gc_random4(C, C, 1, 1, -0.5, 0.5, 26);
        gc.in[6] = gc_random(1, bc, -0.5, 0.5, 27);
        gc.in[7] = gc_random(1, gd, 0.5, 1.0, 28); /* non-zero so every path carries gradient */
        gc_check(&gc);
        gc_free(&gc);
    }
}

/* A fresh block's gamma starts at 0, so the block is the identity. */
static void test_self_attention_starts_as_identity(void)
{
    cg_error err = {0};
    cg_net *net = cg_net_new("{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, "
                             "\"attention\": [\"self\"]}", &err);
    g_assert_nonnull(net);
    cg_rng rng;
    cg_rng_seed(&rng, 5);
    g_assert_cmpint(cg_net_init(net, &rng, false, &err), ==, CG_OK);
    cg_params *ps = cg_net_params(net);
    int i = cg_params_find(ps, "attention.self.gamma");
    g_assert_cmpint(i, >=, 0);
    g_assert_cmpfloat(cg_params_get(ps, i)->data[0], ==, 0.0f);
    cg_net_free(net);
}

/* ---- CBAM: in = x, W1 (I,C,1,1), b1 (I), W2 (C,I,1,1), b2 (C), Ws (1,2,7,7), bs (1) ---- */

static cg_tensor *run_cbam(cg_graph *g, cg_tensor *const *in, const void *ctx)
{
    const block_ctx *c = ctx;
    cg_cbam_block b = {.mlp1 = conv1x1(in[1], in[2]), .mlp2 = conv1x1(in[3], in[4]), .spatial = conv1x1(in[5], in[6])};
    b.spatial.p.pad_h = b.spatial.p.pad_w = 3;
    cg_tensor *map = NULL;
    cg_tensor *out = cg_cbam_block_run(g, &b, in[0], &map);
    return c->which == OUT_FEATURES ? out : map;
}

static void ref_cbam(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx)
{
    const block_ctx *c = ctx;
    int64_t N = shape[0]->dim[0], C = shape[0]->dim[1], H = shape[0]->dim[2], W = shape[0]->dim[3], P = H * W;
    int64_t I = shape[1]->dim[0];
    double *x1 = g_new(double, C * P), *pooled = g_new(double, 2 * P), *gate = g_new(double, C);
    for (int64_t n = 0; n < N; n++) {
        const double *xn = in[0] + n * C * P;
        for (int64_t o = 0; o < C; o++)
            gate[o] = 0;
        for (int pass = 0; pass < 2; pass++) {
            double z[64], hidden[64];
            for (int64_t ch = 0; ch < C; ch++) {
                double s = 0, mx = -INFINITY;
                for (int64_t p = 0; p < P; p++) {
                    s += xn[ch * P + p];
                    mx = fmax(mx, xn[ch * P + p]);
                }
                z[ch] = pass == 0 ? s / P : mx;
            }
            for (int64_t i = 0; i < I; i++) {
                double s = in[2][i];
                for (int64_t ch = 0; ch < C; ch++)
                    s += in[1][i * C + ch] * z[ch];
                hidden[i] = s > 0 ? s : 0;
            }
            for (int64_t o = 0; o < C; o++) {
                double s = in[4][o];
                for (int64_t i = 0; i < I; i++)
                    s += in[3][o * I + i] * hidden[i];
                gate[o] += s;
            }
        }
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t p = 0; p < P; p++)
                x1[ch * P + p] = xn[ch * P + p] * sigm(gate[ch]);
        for (int64_t p = 0; p < P; p++) {
            double s = 0, mx = -INFINITY;
            for (int64_t ch = 0; ch < C; ch++) {
                s += x1[ch * P + p];
                mx = fmax(mx, x1[ch * P + p]);
            }
            pooled[p] = s / C;
            pooled[P + p] = mx;
        }
        for (int64_t y = 0; y < H; y++)
            for (int64_t xx = 0; xx < W; xx++) {
                double s = in[6][0];
                for (int ci = 0; ci < 2; ci++)
                    for (int ki = 0; ki < 7; ki++)
                        for (int kj = 0; kj < 7; kj++) {
                            int64_t iy = y - 3 + ki, ix = xx - 3 + kj;
                            if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                                s += in[5][(ci * 7 + ki) * 7 + kj] * pooled[ci * P + iy * W + ix];
                        }
                double sp = sigm(s);
                if (c->which == OUT_MAP)
                    out[n * P + y * W + xx] = sp;
                else
                    for (int64_t ch = 0; ch < C; ch++)
                        out[(n * C + ch) * P + y * W + xx] = x1[ch * P + y * W + xx] * sp;
            }
    }
    g_free(x1);
    g_free(pooled);
    g_free(gate);
}

static void test_cbam(void)
{
    for (int which = OUT_FEATURES; which <= OUT_MAP; which++) {
        block_ctx ctx = {which};
        const int64_t C = 6, I = 3, bi[1] = {I}, bc[1] = {C}, b1[1] = {1};
        gc_case gc = {.name = which == OUT_FEATURES ? "cbam features" : "cbam map", .n_in = 7, .run = run_cbam,
                      .ref = ref_cbam, .ctx = &ctx, .diff = {true, true, true, true, true, true, true}};
        gc.in[0] = gc_random4(2, C, 4, 5, -1, 1, 31);
        gc.in[1] = gc_random4(I, C, 1, 1, -1, 1, 32);
        gc.in[2] = gc_random(1, bi, -0.5, 0.5, 33);
        gc.in[3] = gc_random4(C, I, 1, 1, -1, 1, 34);
        gc.in[4] = gc_random(1, bc, -0.5, 0.5, 35);
        gc.in[5] = gc_random4(1, 2, 7, 7, -0.5, 0.5, 36);
        gc.in[6] = gc_random(1, b1, -0.5, 0.5, 37);
        gc_check(&gc);
        gc_free(&gc);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nn/attention/cam", test_cam);
    g_test_add_func("/nn/attention/self", test_self_attention);
    g_test_add_func("/nn/attention/self_identity_at_start", test_self_attention_starts_as_identity);
    g_test_add_func("/nn/attention/cbam", test_cbam);
    return g_test_run();
}
