/* Networks from architecture descriptions: ResNet and U-Net generators and a
 * PatchGAN discriminator (see comicgan/net.h for the JSON keys). */
#include "comicgan/optim.h"
#include "nn/nn.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cg_status add_stage_spec(cg_net *net, const char *name, cg_conv_spec spec, cg_arch_norm norm, cg_net_stage *s,
                                cg_error *err)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s.conv", name);
    spec.bias = true;
    spec.spectral = net->arch.spectral_norm;
    if (cg_conv_layer_add(net->params, prefix, &spec, &s->conv, err))
        return err->code;
    snprintf(prefix, sizeof prefix, "%s.norm", name);
    return cg_norm_layer_add(net->params, prefix, norm, spec.out_c, net->arch.styles, &s->norm, err);
}

static cg_status add_stage(cg_net *net, const char *name, int in_c, int out_c, int k, int stride, int pad,
                           cg_pad_mode mode, cg_arch_norm norm, cg_net_stage *s, cg_error *err)
{
    cg_conv_spec spec = {in_c, out_c, k, stride, pad, mode, true, false, false};
    return add_stage_spec(net, name, spec, norm, s, err);
}

static cg_status build_generator(cg_net *net, cg_error *err)
{
    const cg_arch *a = &net->arch;
    char name[32];
    int c = a->width;
    /* AdaLIN is the decoder's normalization in U-GAT-IT; the encoder keeps instance norm. */
    cg_arch_norm enc_norm = a->norm == CG_NORM_ADALIN ? CG_NORM_INSTANCE : a->norm;
    if (add_stage(net, "first", a->in_channels, c, 7, 1, 3, CG_PAD_REFLECT, enc_norm, &net->first, err))
        return err->code;
    for (int i = 0; i < a->downsamples; i++, c *= 2) {
        snprintf(name, sizeof name, "down%d", i);
        if (add_stage(net, name, c, 2 * c, 3, 2, 1, CG_PAD_REFLECT, enc_norm, &net->down[i], err))
            return err->code;
    }
    net->n_down = a->downsamples;
    for (int i = 0; i < a->blocks; i++)
        for (int j = 0; j < 2; j++) {
            snprintf(name, sizeof name, "block%d.%d", i, j);
            if (add_stage(net, name, c, c, 3, 1, 1, CG_PAD_REFLECT, a->norm, &net->block[i][j], err))
                return err->code;
        }
    for (int i = 0; i < a->n_attention; i++) {
        cg_status st = CG_OK;
        const char *kind = cg_arch_attention_name(a->attention[i]);
        snprintf(name, sizeof name, "attention.%s", kind);
        if (a->attention[i] == CG_ATTN_CAM)
            st = cg_cam_block_add(net->params, name, c, &net->cam, err);
        else if (a->attention[i] == CG_ATTN_SELF)
            st = cg_self_attention_block_add(net->params, name, c, &net->self_attention, err);
        else
            st = cg_cbam_block_add(net->params, name, c, &net->cbam, err);
        if (st != CG_OK)
            return st;
        snprintf(net->attention_names[net->n_attention_names++], sizeof net->attention_names[0], "%s", kind);
    }
    bool unet = a->type == CG_ARCH_UNET;
    for (int i = 0; i < a->downsamples; i++, c /= 2) {
        snprintf(name, sizeof name, "up%d", i);
        /* U-Net: the upsampled map is concatenated with the encoder's skip of c/2 channels. */
        int in_c = unet ? c + c / 2 : c;
        cg_net_stage *s = &net->up[i];
        if (a->upsample == CG_UP_TRANSPOSED) {
            cg_conv_spec spec = {c, c / 2, 3, 2, 1, CG_PAD_ZERO, true, false, true};
            if (add_stage_spec(net, name, spec, a->norm, s, err))
                return err->code;
        } else if (add_stage(net, name, in_c, c / 2, 3, 1, 1, CG_PAD_REFLECT, a->norm, s, err)) {
            return err->code;
        }
    }
    net->n_up = a->downsamples;
    if (unet && a->upsample == CG_UP_TRANSPOSED)
        return cg_fail(err, CG_ERR_FORMAT, "arch: unet supports nearest and bilinear upsampling");
    int heads = a->style_heads ? a->styles : 1;
    if (add_stage(net, "last", c, heads * a->out_channels, 7, 1, 3, CG_PAD_REFLECT, CG_NORM_NONE, &net->last, err))
        return err->code;
    return CG_OK;
}

/* pix2pix's PatchGAN: C64-C128-C256 (stride 2, 4x4), C512 (stride 1), 1-channel
 * output; 3 layers see 70x70 pixels. */
static cg_status build_patchgan(cg_net *net, cg_error *err)
{
    const cg_arch *a = &net->arch;
    char name[32];
    int c = a->width;
    if (add_stage(net, "first", a->in_channels, c, 4, 2, 1, CG_PAD_ZERO, CG_NORM_NONE, &net->first, err))
        return err->code;
    for (int i = 0; i < a->layers; i++) {
        int stride = i == a->layers - 1 ? 1 : 2;
        snprintf(name, sizeof name, "down%d", i);
        if (add_stage(net, name, c, 2 * c, 4, stride, 1, CG_PAD_ZERO, a->norm, &net->down[i], err))
            return err->code;
        c *= 2;
    }
    net->n_down = a->layers;
    if (a->cam) {
        cg_conv_layer *l[2] = {&net->disc_cam_gap, &net->disc_cam_gmp};
        const char *names[2] = {"cam.gap", "cam.gmp"};
        cg_conv_spec spec = {c, 1, 1, 1, 0, CG_PAD_ZERO, false, a->spectral_norm, false};
        for (int i = 0; i < 2; i++)
            if (cg_conv_layer_add(net->params, names[i], &spec, l[i], err))
                return err->code;
        snprintf(net->attention_names[net->n_attention_names++], sizeof net->attention_names[0], "cam");
    }
    return add_stage(net, "last", c, 1, 4, 1, 1, CG_PAD_ZERO, CG_NORM_NONE, &net->last, err);
}

/* The style encoder: `layers` stride-2 3x3 convs doubling the channels, no
 * normalization, then each channel's mean and variance over the image and a
 * 1x1 conv from those statistics to the code. */
static cg_status build_encoder(cg_net *net, cg_error *err)
{
    const cg_arch *a = &net->arch;
    char name[32];
    int c = a->width;
    if (add_stage(net, "first", a->in_channels, c, 3, 2, 1, CG_PAD_REFLECT, CG_NORM_NONE, &net->first, err))
        return err->code;
    for (int i = 0; i + 1 < a->layers; i++, c *= 2) {
        snprintf(name, sizeof name, "down%d", i);
        if (add_stage(net, name, c, 2 * c, 3, 2, 1, CG_PAD_REFLECT, CG_NORM_NONE, &net->down[i], err))
            return err->code;
    }
    net->n_down = a->layers - 1;
    return add_stage(net, "last", 2 * c, a->code, 1, 1, 0, CG_PAD_ZERO, CG_NORM_NONE, &net->last, err);
}

cg_net *cg_net_new(const char *arch_json, cg_error *err)
{
    cg_net *net = calloc(1, sizeof *net);
    if (!net) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for a network");
        return NULL;
    }
    if (cg_arch_parse(arch_json, &net->arch, err) != CG_OK)
        goto fail;
    if (net->arch.n_attention && net->arch.type == CG_ARCH_ENCODER) {
        cg_fail(err, CG_ERR_FORMAT, "arch: a style_encoder takes no attention blocks");
        goto fail;
    }
    if (net->arch.n_attention && net->arch.type == CG_ARCH_PATCHGAN) {
        cg_fail(err, CG_ERR_FORMAT, "arch: patchgan takes \"cam\": true, not an attention list");
        goto fail;
    }
    for (int i = 0; i < net->arch.n_attention; i++)
        for (int j = 0; j < i; j++)
            if (net->arch.attention[i] == net->arch.attention[j]) {
                cg_fail(err, CG_ERR_FORMAT, "arch: attention block \"%s\" listed twice",
                        cg_arch_attention_name(net->arch.attention[i]));
                goto fail;
            }
    net->arch_json = cg_arch_to_json(&net->arch);
    if (!(net->params = cg_params_new(err)))
        goto fail;
    cg_status st = net->arch.type == CG_ARCH_PATCHGAN   ? build_patchgan(net, err)
                   : net->arch.type == CG_ARCH_ENCODER ? build_encoder(net, err)
                                                       : build_generator(net, err);
    if (st != CG_OK || cg_params_finalize(net->params, err) != CG_OK)
        goto fail;
    return net;
fail:
    cg_net_free(net);
    return NULL;
}

void cg_net_free(cg_net *net)
{
    if (!net)
        return;
    cg_params_free(net->params);
    g_free(net->arch_json);
    free(net);
}

cg_params *cg_net_params(const cg_net *net) { return net->params; }
const char *cg_net_arch_json(const cg_net *net) { return net->arch_json; }
const char *cg_net_type(const cg_net *net) { return cg_arch_type_name(net->arch.type); }
int cg_net_styles(const cg_net *net)
{
    return cg_arch_norm_per_style(net->arch.norm) || net->arch.style_heads ? net->arch.styles : 1;
}
int cg_net_attention_count(const cg_net *net) { return net->n_attention_names; }

const char *cg_net_attention_name(const cg_net *net, int i)
{
    return i >= 0 && i < net->n_attention_names ? net->attention_names[i] : NULL;
}

int cg_net_code_length(const cg_net *net)
{
    return net->arch.type == CG_ARCH_ENCODER ? net->arch.code + 1 : 0;
}

int cg_net_reference_side(const cg_net *net)
{
    return net->arch.type == CG_ARCH_ENCODER ? net->arch.side : 0;
}

int cg_net_reference_load_side(const cg_net *net)
{
    return net->arch.type == CG_ARCH_ENCODER ? net->arch.load_side : 0;
}

bool cg_net_code_norm(const cg_net *net)
{
    return net->arch.type == CG_ARCH_ENCODER && net->arch.code_norm;
}

int cg_net_size_multiple(const cg_net *net)
{
    return net->arch.type == CG_ARCH_RESNET || net->arch.type == CG_ARCH_UNET ? 1 << net->arch.downsamples : 1;
}

int cg_net_receptive_radius(const cg_net *net)
{
    const cg_arch *a = &net->arch;
    if (a->type == CG_ARCH_ENCODER)
        return 0; /* its statistics pool the whole image: it has no local context to pad for */
    if (a->type == CG_ARCH_PATCHGAN) {
        int r = 0, jump = 1;
        for (int i = 0; i <= a->layers + 1; i++) {
            r += 2 * jump; /* a 4x4 kernel reaches 2 pixels beyond its centre */
            if (i < a->layers)
                jump *= 2;
        }
        return r;
    }
    /* Every 3x3 conv adds its jump (the input pixels between neighbouring
     * samples), every 7x7 adds 3. A stride-2 conv and a x2 upsampling each add
     * one more jump: their output pixels do not sit centred on their inputs. */
    int r = 3, jump = 1;
    for (int i = 0; i < a->downsamples; i++) {
        r += 2 * jump;
        jump *= 2;
    }
    r += 2 * a->blocks * jump;
    for (int i = 0; i < a->n_attention; i++)
        if (a->attention[i] == CG_ATTN_CBAM)
            r += 3 * jump; /* its 7x7 spatial gate */
    for (int i = 0; i < a->downsamples; i++) {
        jump /= 2;
        r += 2 * jump;
    }
    r += 3;
    /* The guided base: each pass reads a box of boxes, 2 radius away. */
    int base = a->residual_blur > 2 * a->guided_radius * a->residual_guided
                   ? a->residual_blur
                   : 2 * a->guided_radius * a->residual_guided;
    return (base > r ? base : r) + cg_arch_post_radius(a);
}

static cg_tensor *run_stage(const cg_net *net, cg_graph *g, const cg_net_stage *s, cg_tensor *x, cg_tensor *style,
                            bool act)
{
    cg_tensor *y = cg_conv_layer_run(g, &s->conv, x);
    if (act)
        return cg_norm_layer_run_leaky(g, &s->norm, y, style,
                                       net->arch.activation == CG_ACT_RELU ? 0.0f : net->arch.slope);
    return cg_norm_layer_run(g, &s->norm, y, style);
}

/* A decoder stage on x upsampled by 2: nearest upsampling is read by the
 * stage's conv itself, so the upsampled map is never stored. */
static cg_tensor *run_up_stage(const cg_net *net, cg_graph *g, const cg_net_stage *s, cg_tensor *x, cg_tensor *style)
{
    cg_net_stage upsampled = *s;
    upsampled.conv.p.upsample = 2;
    return run_stage(net, g, &upsampled, x, style, true);
}

static cg_tensor *default_style(cg_graph *g, int64_t n, int styles)
{
    const int64_t dim[2] = {n, styles};
    cg_tensor *w = cg_graph_tensor(g, 2, dim);
    if (w)
        for (int64_t i = 0; i < n; i++)
            w->data[i * styles] = 1.0f;
    return w;
}

static void tap(cg_net_taps *taps, cg_tensor *map)
{
    if (taps && taps->count < CG_NET_MAX_ATTENTION)
        taps->map[taps->count++] = map;
}

/* The style-weighted sum of the heads (N, styles x C, H, W) -> (N, C, H, W),
 * as one batched product of (N, 1, styles) weights and (N, styles, C H W) heads. */
static cg_tensor *mix_heads(cg_graph *g, cg_tensor *heads, cg_tensor *style, int styles)
{
    const int64_t n = heads->dim[0], c = heads->dim[1] / styles, h = heads->dim[2], w = heads->dim[3];
    const int64_t weights_dim[3] = {n, 1, styles}, heads_dim[3] = {n, styles, c * h * w}, out_dim[4] = {n, c, h, w};
    cg_tensor *mixed = cg_matmul(g, cg_reshape(g, style, 3, weights_dim), cg_reshape(g, heads, 3, heads_dim), false,
                                 false);
    return mixed ? cg_reshape(g, mixed, 4, out_dim) : NULL;
}

static cg_tensor *forward_generator(cg_net *net, cg_graph *g, cg_tensor *x, cg_tensor *style, cg_net_taps *taps)
{
    const cg_arch *a = &net->arch;
    cg_tensor *skips[MAX_STAGES];
    cg_tensor *h = run_stage(net, g, &net->first, x, style, true);
    for (int i = 0; i < net->n_down; i++) {
        skips[i] = h;
        h = run_stage(net, g, &net->down[i], h, style, true);
    }
    for (int i = 0; i < a->blocks; i++) {
        cg_tensor *r = run_stage(net, g, &net->block[i][0], h, style, true);
        r = run_stage(net, g, &net->block[i][1], r, style, false);
        h = cg_add(g, h, r);
    }
    for (int i = 0; i < a->n_attention; i++) {
        cg_tensor *map = NULL, **want = taps ? &map : NULL;
        switch (a->attention[i]) {
        case CG_ATTN_CAM:
            h = cg_cam_block_run(g, &net->cam, h, a->activation, a->slope, want, taps ? &taps->cam_logits : NULL);
            break;
        case CG_ATTN_SELF: h = cg_self_attention_block_run(g, &net->self_attention, h, want); break;
        case CG_ATTN_CBAM: h = cg_cbam_block_run(g, &net->cbam, h, want); break;
        }
        tap(taps, map);
    }
    for (int i = 0; i < net->n_up; i++) {
        if (a->upsample == CG_UP_NEAREST && a->type != CG_ARCH_UNET) {
            h = run_up_stage(net, g, &net->up[i], h, style);
            continue;
        }
        if (a->upsample == CG_UP_NEAREST)
            h = cg_upsample_nearest(g, h, 2);
        else if (a->upsample == CG_UP_BILINEAR)
            h = cg_upsample_bilinear(g, h, 2);
        if (a->type == CG_ARCH_UNET) {
            cg_tensor *pair[2] = {h, skips[net->n_down - 1 - i]};
            h = cg_concat(g, pair, 2, 1);
        }
        h = run_stage(net, g, &net->up[i], h, style, true);
    }
    cg_tensor *last = run_stage(net, g, &net->last, h, style, false);
    if (a->style_heads && last)
        last = mix_heads(g, last, style, a->styles);
    cg_tensor *out = cg_tanh(g, last);
    if (a->residual) {
        /* A change of up to 2 reaches black from white: ink over a bright area. */
        out = cg_scale(g, out, 2.0f, 0.0f);
        cg_tensor *base = x;
        if (a->residual_blur) {
            const int r = a->residual_blur;
            const cg_pool_params box = {2 * r + 1, 2 * r + 1, 1, 1, r, r};
            base = cg_avg_pool2d(g, x, &box);
        } else if (a->residual_guided) {
            /* A fixed function of the input: no gradient flows through it. */
            const int64_t n = x->dim[0], ih = x->dim[2], iw = x->dim[3];
            base = cg_graph_tensor4(g, n, 3, ih, iw);
            cg_tensor *scratch = cg_graph_tensor4(g, 1, CG_ARCH_GUIDED_SCRATCH, ih, iw);
            if (!base || !scratch)
                return NULL;
            cg_arch_guided_base(a, x->data, n, ih, iw, base->data, scratch->data);
        }
        out = cg_add(g, base, out);
    }
    if (!out || !cg_arch_has_post(a))
        return out;
    /* The post stage's flat bands have no useful derivative: its change is
     * added as a constant, so the gradient passes straight through it. */
    const int64_t n = out->dim[0], oh = out->dim[2], ow = out->dim[3];
    cg_tensor *change = cg_graph_tensor4(g, n, 3, oh, ow);
    cg_tensor *scratch = cg_graph_tensor4(g, 1, CG_ARCH_POST_SCRATCH, oh, ow);
    if (!change || !scratch)
        return NULL;
    memcpy(change->data, out->data, (size_t)(n * 3 * oh * ow) * sizeof(float));
    const int64_t per = 3 * oh * ow;
    for (int64_t i = 0; i < n; i++) {
        cg_error err = {0};
        if (cg_arch_post_apply(a, change->data + i * per, oh, ow, style ? style->data + i * a->styles : NULL,
                               scratch->data, &err) != CG_OK) {
            cg_graph_fail(g, &err);
            return NULL;
        }
    }
    for (int64_t k = 0; k < n * per; k++)
        change->data[k] -= out->data[k];
    return cg_add(g, out, change);
}

static cg_tensor *forward_patchgan(cg_net *net, cg_graph *g, cg_tensor *x, cg_net_taps *taps)
{
    cg_tensor *h = run_stage(net, g, &net->first, x, NULL, true);
    for (int i = 0; i < net->n_down; i++)
        h = run_stage(net, g, &net->down[i], h, NULL, true);
    if (net->arch.cam && h) {
        /* U-GAT-IT's discriminator CAM: 1x1 "logit" weights on pooled features
         * score the image; the same weights applied per position give the map. */
        cg_tensor *gap = cg_conv_layer_run(g, &net->disc_cam_gap, cg_global_avg_pool(g, h));
        cg_tensor *gmp = cg_conv_layer_run(g, &net->disc_cam_gmp, cg_global_max_pool(g, h));
        if (taps) {
            const int64_t d[2] = {h->dim[0], 1};
            cg_tensor *pair[2] = {cg_reshape(g, gap, 2, d), cg_reshape(g, gmp, 2, d)};
            taps->cam_logits = cg_concat(g, pair, 2, 1);
            cg_tensor *sum = cg_add(g, cg_conv_layer_run(g, &net->disc_cam_gap, h),
                                    cg_conv_layer_run(g, &net->disc_cam_gmp, h));
            tap(taps, sum);
        }
    }
    return cg_conv_layer_run(g, &net->last.conv, h);
}

/* Each channel's mean and variance over the image, (N, 2C, 1, 1): what the
 * encoder keeps of a reference is its feature statistics, whatever its size. */
static cg_tensor *channel_statistics(cg_graph *g, cg_tensor *h)
{
    cg_tensor *mean = cg_global_avg_pool(g, h);
    cg_tensor *square_mean = cg_global_avg_pool(g, cg_mul(g, h, h));
    cg_tensor *variance = cg_add(g, square_mean, cg_scale(g, cg_mul(g, mean, mean), -1.0f, 0.0f));
    cg_tensor *pair[2] = {mean, variance};
    return mean && variance ? cg_concat(g, pair, 2, 1) : NULL;
}

static cg_tensor *forward_encoder(cg_net *net, cg_graph *g, cg_tensor *x)
{
    cg_tensor *h = run_stage(net, g, &net->first, x, NULL, true);
    for (int i = 0; i < net->n_down; i++)
        h = run_stage(net, g, &net->down[i], h, NULL, true);
    cg_tensor *code = cg_conv_layer_run(g, &net->last.conv, channel_statistics(g, h));
    /* Codes of unit scale: the generator's code rows start at 0 and move by
     * about the learning rate a step, so with a fresh encoder's codes (about
     * 0.1) they would take tens of thousands of steps to make references
     * differ. */
    if (net->arch.code_norm)
        code = cg_layer_norm(g, code, NULL, NULL, 1e-5f);
    if (!code)
        return NULL;
    /* The constant 1 at the end lets the generator's linear map from the code
     * to each norm's gamma and beta have a bias: its last row. */
    const int64_t n = x->dim[0], dim[2] = {n, net->arch.code}, one_dim[2] = {n, 1};
    cg_tensor *one = cg_graph_tensor(g, 2, one_dim);
    if (!one)
        return NULL;
    for (int64_t i = 0; i < n; i++)
        one->data[i] = 1.0f;
    cg_tensor *pair[2] = {cg_reshape(g, code, 2, dim), one};
    return cg_concat(g, pair, 2, 1);
}

cg_tensor *cg_net_forward(cg_net *net, cg_graph *g, cg_tensor *x, cg_tensor *style_weights, cg_net_taps *taps)
{
    if (!x)
        return NULL;
    if (taps)
        memset(taps, 0, sizeof *taps);
    if (net->arch.type == CG_ARCH_PATCHGAN)
        return forward_patchgan(net, g, x, taps);
    if (net->arch.type == CG_ARCH_ENCODER)
        return forward_encoder(net, g, x);
    if (cg_net_styles(net) > 1 && !style_weights)
        style_weights = default_style(g, x->dim[0], net->arch.styles);
    return forward_generator(net, g, x, style_weights, taps);
}

static bool name_ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && strcmp(name + n - s, suffix) == 0;
}

cg_status cg_net_init(cg_net *net, cg_rng *rng, bool xavier, cg_error *err)
{
    cg_params *ps = net->params;
    for (int i = 0; i < cg_params_count(ps); i++) {
        const char *name = cg_params_name(ps, i);
        cg_tensor *t = cg_params_get(ps, i);
        cg_status st = CG_OK;
        if (name_ends_with(name, ".weight") && t->ndim >= 2)
            st = xavier ? cg_init_xavier_normal(t, 1.0f, rng, err) : cg_init_normal(t, 0.0f, 0.02f, rng, err);
        else if (name_ends_with(name, "_weight")) /* CAM logit weights */
            st = cg_init_normal(t, 0.0f, 0.02f, rng, err);
        else if (name_ends_with(name, ".gamma") && t->ndim >= 1 && !strstr(name, "attention.self"))
            st = cg_init_constant(t, 1.0f, err);
        else if (name_ends_with(name, ".rho"))
            /* U-GAT-IT starts the decoder's AdaLIN at layer norm (rho 0). */
            st = cg_init_constant(t, 0.0f, err);
        else if (name_ends_with(name, ".sn_u"))
            st = cg_init_normal(t, 0.0f, 1.0f, rng, err);
        else
            st = cg_init_constant(t, 0.0f, err); /* biases, betas, self-attention gamma */
        if (st != CG_OK)
            return cg_error_prefix(err, "%s", name);
    }
    return CG_OK;
}
