/* Attention blocks, composed from ops so autograd covers them:
 *  - CAM (U-GAT-IT): global average- and max-pooled logits whose weights scale
 *    the feature map; the map is the channel sum of the fused result.
 *  - SAGAN self-attention: 1x1 query/key/value, softmax over keys, a learned
 *    gamma (starting at 0) mixing the attended features into the input; the
 *    map is how much attention each position receives.
 *  - CBAM: a channel gate (shared MLP on average- and max-pooled features)
 *    then a spatial gate (7x7 conv on the channel mean and max); the map is
 *    the spatial gate. */
#include "nn/nn.h"

#include <stdio.h>

static cg_tensor *reshape4(cg_graph *g, cg_tensor *x, int64_t a, int64_t b, int64_t c, int64_t d)
{
    const int64_t dim[4] = {a, b, c, d};
    return cg_reshape(g, x, 4, dim);
}

static cg_tensor *reshape3(cg_graph *g, cg_tensor *x, int64_t a, int64_t b, int64_t c)
{
    const int64_t dim[3] = {a, b, c};
    return cg_reshape(g, x, 3, dim);
}

static cg_tensor *activate(cg_graph *g, cg_tensor *x, cg_arch_activation act, float slope)
{
    return act == CG_ACT_RELU ? cg_relu(g, x) : cg_leaky_relu(g, x, slope);
}

cg_status cg_cam_block_add(cg_params *ps, const char *prefix, int channels, cg_cam_block *b, cg_error *err)
{
    char name[CG_PARAM_NAME_MAX + 1];
    const int64_t wdim[2] = {1, channels};
    snprintf(name, sizeof name, "%s.gap_weight", prefix);
    if (!(b->gap_weight = cg_params_add(ps, name, 2, wdim, err)))
        return err->code;
    snprintf(name, sizeof name, "%s.gmp_weight", prefix);
    if (!(b->gmp_weight = cg_params_add(ps, name, 2, wdim, err)))
        return err->code;
    snprintf(name, sizeof name, "%s.fuse", prefix);
    return cg_conv_layer_add(ps, name, &(cg_conv_spec){2 * channels, channels, 1, 1, 0, CG_PAD_ZERO, true, false, false}, &b->fuse, err);
}

/* x scaled per channel by w (1, C), and the logit of pooled (N, C, 1, 1) under w. */
static cg_tensor *cam_branch(cg_graph *g, cg_tensor *x, cg_tensor *pooled, cg_tensor *w, cg_tensor **logit)
{
    int64_t n = x->dim[0], c = x->dim[1];
    const int64_t flat[2] = {n, c};
    *logit = cg_matmul(g, cg_reshape(g, pooled, 2, flat), w, false, true);
    return cg_mul(g, x, reshape4(g, w, 1, c, 1, 1));
}

cg_tensor *cg_cam_block_run(cg_graph *g, const cg_cam_block *b, cg_tensor *x, cg_arch_activation act, float slope,
                            cg_tensor **map, cg_tensor **logits)
{
    if (!x)
        return NULL;
    cg_tensor *logit_gap = NULL, *logit_gmp = NULL;
    cg_tensor *x_gap = cam_branch(g, x, cg_global_avg_pool(g, x), b->gap_weight, &logit_gap);
    cg_tensor *x_gmp = cam_branch(g, x, cg_global_max_pool(g, x), b->gmp_weight, &logit_gmp);
    if (logits) {
        cg_tensor *pair[2] = {logit_gap, logit_gmp};
        *logits = cg_concat(g, pair, 2, 1);
    }
    cg_tensor *both[2] = {x_gap, x_gmp};
    cg_tensor *h = activate(g, cg_conv_layer_run(g, &b->fuse, cg_concat(g, both, 2, 1)), act, slope);
    if (map)
        *map = cg_channel_sum(g, h, 1.0f);
    return h;
}

cg_status cg_self_attention_block_add(cg_params *ps, const char *prefix, int channels, cg_self_attention_block *b,
                                      cg_error *err)
{
    char name[CG_PARAM_NAME_MAX + 1];
    int inner = channels / 8 > 0 ? channels / 8 : 1;
    const int64_t gdim[1] = {1};
    snprintf(name, sizeof name, "%s.query", prefix);
    if (cg_conv_layer_add(ps, name, &(cg_conv_spec){channels, inner, 1, 1, 0, CG_PAD_ZERO, true, false, false}, &b->query, err))
        return err->code;
    snprintf(name, sizeof name, "%s.key", prefix);
    if (cg_conv_layer_add(ps, name, &(cg_conv_spec){channels, inner, 1, 1, 0, CG_PAD_ZERO, true, false, false}, &b->key, err))
        return err->code;
    snprintf(name, sizeof name, "%s.value", prefix);
    if (cg_conv_layer_add(ps, name, &(cg_conv_spec){channels, channels, 1, 1, 0, CG_PAD_ZERO, true, false, false}, &b->value, err))
        return err->code;
    snprintf(name, sizeof name, "%s.gamma", prefix);
    b->gamma = cg_params_add(ps, name, 1, gdim, err);
    return b->gamma ? CG_OK : err->code;
}

cg_tensor *cg_self_attention_block_run(cg_graph *g, const cg_self_attention_block *b, cg_tensor *x, cg_tensor **map)
{
    if (!x)
        return NULL;
    int64_t n = x->dim[0], c = x->dim[1], h = x->dim[2], w = x->dim[3], hw = h * w;
    int64_t inner = b->query.weight->dim[0];
    cg_tensor *q = reshape3(g, cg_conv_layer_run(g, &b->query, x), n, inner, hw);
    cg_tensor *k = reshape3(g, cg_conv_layer_run(g, &b->key, x), n, inner, hw);
    cg_tensor *v = reshape3(g, cg_conv_layer_run(g, &b->value, x), n, c, hw);
    /* attn[i, j]: how much query position i takes from key position j. */
    cg_tensor *attn = cg_softmax(g, cg_matmul(g, q, k, true, false), 2);
    cg_tensor *o = reshape4(g, cg_matmul(g, v, attn, false, true), n, c, h, w);
    cg_tensor *out = cg_add(g, x, cg_mul(g, o, reshape4(g, b->gamma, 1, 1, 1, 1)));
    if (map && attn) {
        const int64_t odim[3] = {n, 1, hw};
        cg_tensor *mean_row = cg_graph_tensor(g, 3, odim);
        if (mean_row)
            for (int64_t i = 0; i < mean_row->size; i++)
                mean_row->data[i] = 1.0f / (float)hw;
        *map = reshape4(g, cg_matmul(g, mean_row, attn, false, false), n, 1, h, w);
    }
    return out;
}

#define CBAM_REDUCTION 8

cg_status cg_cbam_block_add(cg_params *ps, const char *prefix, int channels, cg_cbam_block *b, cg_error *err)
{
    char name[CG_PARAM_NAME_MAX + 1];
    int inner = channels / CBAM_REDUCTION > 0 ? channels / CBAM_REDUCTION : 1;
    snprintf(name, sizeof name, "%s.mlp1", prefix);
    if (cg_conv_layer_add(ps, name, &(cg_conv_spec){channels, inner, 1, 1, 0, CG_PAD_ZERO, true, false, false}, &b->mlp1, err))
        return err->code;
    snprintf(name, sizeof name, "%s.mlp2", prefix);
    if (cg_conv_layer_add(ps, name, &(cg_conv_spec){inner, channels, 1, 1, 0, CG_PAD_ZERO, true, false, false}, &b->mlp2, err))
        return err->code;
    snprintf(name, sizeof name, "%s.spatial", prefix);
    return cg_conv_layer_add(ps, name, &(cg_conv_spec){2, 1, 7, 1, 3, CG_PAD_ZERO, true, false, false}, &b->spatial, err);
}

cg_tensor *cg_cbam_block_run(cg_graph *g, const cg_cbam_block *b, cg_tensor *x, cg_tensor **map)
{
    if (!x)
        return NULL;
    int64_t n = x->dim[0], c = x->dim[1], h = x->dim[2], w = x->dim[3];
    cg_tensor *from_avg = cg_conv_layer_run(g, &b->mlp2, cg_relu(g, cg_conv_layer_run(g, &b->mlp1, cg_global_avg_pool(g, x))));
    cg_tensor *from_max = cg_conv_layer_run(g, &b->mlp2, cg_relu(g, cg_conv_layer_run(g, &b->mlp1, cg_global_max_pool(g, x))));
    cg_tensor *x1 = cg_mul(g, x, cg_sigmoid(g, cg_add(g, from_avg, from_max)));
    if (!x1)
        return NULL;
    cg_tensor *mean_c = cg_channel_sum(g, x1, 1.0f / (float)c);
    /* The channel max: positions become the "channels" of a global max pool. */
    static const int perm[4] = {0, 2, 1, 3};
    cg_tensor *by_position = cg_transpose(g, reshape4(g, x1, n, c, h * w, 1), perm);
    cg_tensor *max_c = reshape4(g, cg_global_max_pool(g, by_position), n, 1, h, w);
    cg_tensor *pair[2] = {mean_c, max_c};
    cg_tensor *gate = cg_sigmoid(g, cg_conv_layer_run(g, &b->spatial, cg_concat(g, pair, 2, 1)));
    if (map)
        *map = gate;
    return cg_mul(g, x1, gate);
}
