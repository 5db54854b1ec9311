/* Convolution and normalization layers: parameter registration and running. */
#include "nn/nn.h"

#include <stdio.h>
#include <string.h>

static cg_tensor *add_param(cg_params *ps, const char *prefix, const char *name, int ndim, const int64_t *dim,
                            bool buffer, cg_error *err)
{
    char full[CG_PARAM_NAME_MAX + 1];
    snprintf(full, sizeof full, "%s.%s", prefix, name);
    return buffer ? cg_params_add_buffer(ps, full, ndim, dim, err) : cg_params_add(ps, full, ndim, dim, err);
}

cg_status cg_conv_layer_add(cg_params *ps, const char *prefix, const cg_conv_spec *s, cg_conv_layer *l,
                            cg_error *err)
{
    memset(l, 0, sizeof *l);
    /* Transposed weights are (in, out, k, k). */
    const int64_t wdim[4] = {s->transposed ? s->in_c : s->out_c, s->transposed ? s->out_c : s->in_c, s->k, s->k};
    const int64_t bdim[1] = {s->out_c}, udim[1] = {wdim[0]};
    if (!(l->weight = add_param(ps, prefix, "weight", 4, wdim, false, err)))
        return err->code;
    if (s->bias && !(l->bias = add_param(ps, prefix, "bias", 1, bdim, false, err)))
        return err->code;
    if (s->spectral && !(l->u = add_param(ps, prefix, "sn_u", 1, udim, true, err)))
        return err->code;
    l->p = cg_conv_defaults();
    l->p.stride_h = l->p.stride_w = s->stride;
    l->p.pad_h = l->p.pad_w = s->pad;
    l->p.pad_mode = s->mode;
    l->transposed = s->transposed;
    if (s->transposed)
        l->p.output_pad_h = l->p.output_pad_w = s->stride - 1;
    return CG_OK;
}

cg_status cg_norm_layer_add(cg_params *ps, const char *prefix, cg_arch_norm kind, int channels, int styles,
                            cg_norm_layer *l, cg_error *err)
{
    memset(l, 0, sizeof *l);
    l->kind = kind;
    if (kind == CG_NORM_NONE)
        return CG_OK;
    const int64_t cdim[1] = {channels}, sdim[2] = {styles, channels};
    bool cond = cg_arch_norm_per_style(kind);
    if (!(l->gamma = add_param(ps, prefix, "gamma", cond ? 2 : 1, cond ? sdim : cdim, false, err)) ||
        !(l->beta = add_param(ps, prefix, "beta", cond ? 2 : 1, cond ? sdim : cdim, false, err)))
        return err->code;
    if (kind == CG_NORM_ADALIN && !(l->rho = add_param(ps, prefix, "rho", 1, cdim, false, err)))
        return err->code;
    return CG_OK;
}

cg_tensor *cg_conv_layer_run(cg_graph *g, const cg_conv_layer *l, cg_tensor *x)
{
    cg_tensor *w = l->u ? cg_spectral_norm(g, l->weight, l->u, 1) : l->weight;
    if (l->transposed)
        return cg_conv_transpose2d(g, x, w, l->bias, &l->p);
    return cg_conv2d(g, x, w, l->bias, &l->p);
}

#define NORM_EPS 1e-5f

/* y = x * (w gamma) + (w beta) per image and channel, w the image's style
 * weights: conditional instance norm's affine part without its statistics. */
static cg_tensor *cond_affine(cg_graph *g, cg_tensor *x, const cg_norm_layer *l, cg_tensor *style_weights)
{
    if (!x || !style_weights)
        return NULL;
    const int64_t per_channel[4] = {x->dim[0], x->dim[1], 1, 1};
    cg_tensor *scale = cg_reshape(g, cg_matmul(g, style_weights, l->gamma, false, false), 4, per_channel);
    cg_tensor *shift = cg_reshape(g, cg_matmul(g, style_weights, l->beta, false, false), 4, per_channel);
    return cg_add(g, cg_mul(g, x, scale), shift);
}

cg_tensor *cg_norm_layer_run(cg_graph *g, const cg_norm_layer *l, cg_tensor *x, cg_tensor *style_weights)
{
    switch (l->kind) {
    case CG_NORM_NONE: return x;
    case CG_NORM_INSTANCE: return cg_instance_norm(g, x, l->gamma, l->beta, NORM_EPS);
    case CG_NORM_COND_INSTANCE: return cg_cond_instance_norm(g, x, l->gamma, l->beta, style_weights, NORM_EPS);
    case CG_NORM_ADALIN: return cg_adalin(g, x, l->rho, l->gamma, l->beta, NORM_EPS);
    case CG_NORM_LAYER: return cg_layer_norm(g, x, l->gamma, l->beta, NORM_EPS);
    case CG_NORM_COND_AFFINE: return cond_affine(g, x, l, style_weights);
    }
    return NULL;
}

cg_tensor *cg_norm_layer_run_leaky(cg_graph *g, const cg_norm_layer *l, cg_tensor *x, cg_tensor *style_weights,
                                   float slope)
{
    switch (l->kind) {
    case CG_NORM_INSTANCE: return cg_instance_norm_leaky(g, x, l->gamma, l->beta, NULL, NORM_EPS, slope);
    case CG_NORM_COND_INSTANCE:
        return style_weights ? cg_instance_norm_leaky(g, x, l->gamma, l->beta, style_weights, NORM_EPS, slope)
                             : NULL;
    default: {
        cg_tensor *y = cg_norm_layer_run(g, l, x, style_weights);
        return slope == 0.0f ? cg_relu(g, y) : cg_leaky_relu(g, y, slope);
    }
    }
}

cg_tensor *cg_channel_sum(cg_graph *g, cg_tensor *x, float scale)
{
    if (!x)
        return NULL;
    cg_tensor *ones = cg_graph_tensor4(g, 1, x->dim[1], 1, 1);
    if (!ones)
        return NULL;
    for (int64_t i = 0; i < ones->size; i++)
        ones->data[i] = scale;
    return cg_conv2d(g, x, ones, NULL, NULL);
}
