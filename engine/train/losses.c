/* Losses of GAN training built from the engine's ops: adversarial (BCE,
 * LSGAN, hinge), features of a PatchGAN for the Gram-style and content
 * losses, AnimeGAN's colour loss in YUV, and the weighted sums a step
 * minimises. */
#include "train/train_private.h"

#include "nn/nn.h"

#include <string.h>

void tr_losses_put(tr_losses *l, const char *name, double value)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->name[i], name) == 0) {
            l->value[i] += value;
            return;
        }
    if (l->n < CG_TRAIN_MAX_LOSSES) {
        l->name[l->n] = name;
        l->value[l->n++] = value;
    }
}

void tr_sum_add(tr_sum *s, const char *name, float weight, cg_tensor *term)
{
    if (weight == 0)
        return;
    if (term && s->log && name)
        tr_losses_put(s->log, name, term->data[0]);
    cg_tensor *scaled = weight == 1 ? term : cg_scale(s->g, term, weight, 0);
    s->total = s->total ? cg_add(s->g, s->total, scaled) : scaled;
}

cg_tensor *tr_adv_loss(cg_graph *g, tr_gan kind, cg_tensor *logits, bool real, bool for_generator)
{
    switch (kind) {
    case TR_GAN_BCE: return cg_bce_with_logits(g, logits, NULL, real ? 1.0f : 0.0f);
    case TR_GAN_LSGAN: return cg_mse_loss(g, logits, NULL, real ? 1.0f : 0.0f);
    case TR_GAN_HINGE:
        /* The generator raises the critic's score; the critic uses margins. */
        if (for_generator)
            return cg_scale(g, cg_mean(g, logits), real ? -1.0f : 1.0f, 0);
        return cg_hinge_loss(g, logits, real ? 1.0f : -1.0f);
    }
    return NULL;
}

int tr_features(cg_net *net, cg_graph *g, cg_tensor *x, cg_tensor **feats, int max)
{
    /* The same stages as cg_net_forward's PatchGAN, keeping each output. */
    const cg_arch *a = &net->arch;
    int n = 0;
    cg_tensor *h = x;
    for (int i = -1; i < net->n_down && n < max; i++) {
        const cg_net_stage *s = i < 0 ? &net->first : &net->down[i];
        h = cg_norm_layer_run(g, &s->norm, cg_conv_layer_run(g, &s->conv, h), NULL);
        h = a->activation == CG_ACT_RELU ? cg_relu(g, h) : cg_leaky_relu(g, h, a->slope);
        feats[n++] = h;
    }
    return n;
}

/* x in [-1, 1] as Y'UV of the [0, 1] picture. */
static cg_tensor *to_yuv(cg_graph *g, cg_tensor *x)
{
    static const float yuv[9] = {0.299f,       0.587f,       0.114f,       -0.14714119f, -0.28886916f,
                                 0.43601035f,  0.61497538f,  -0.51496512f, -0.10001026f};
    cg_tensor *w = cg_graph_tensor4(g, 3, 3, 1, 1);
    if (!w)
        return NULL;
    memcpy(w->data, yuv, sizeof yuv);
    return cg_conv2d(g, cg_scale(g, x, 0.5f, 0.5f), w, NULL, NULL);
}

cg_tensor *tr_chroma_loss(cg_graph *g, cg_tensor *x, cg_tensor *ref)
{
    const cg_pool_params block = {8, 8, 8, 8, 0, 0};
    cg_tensor *a = to_yuv(g, cg_avg_pool2d(g, x, &block)), *b = to_yuv(g, cg_avg_pool2d(g, ref, &block));
    return cg_l1_loss(g, cg_slice(g, a, 1, 1, 2), cg_slice(g, b, 1, 1, 2), 0);
}

/* Differences of neighbours along axis (2: rows, 3: columns). */
static cg_tensor *differences(cg_graph *g, cg_tensor *x, int axis)
{
    int64_t len = x ? x->dim[axis] - 1 : 0;
    return cg_add(g, cg_slice(g, x, axis, 1, len), cg_scale(g, cg_slice(g, x, axis, 0, len), -1.0f, 0.0f));
}

cg_tensor *tr_gradient_loss(cg_graph *g, cg_tensor *x, cg_tensor *target)
{
    cg_tensor *h = cg_l1_loss(g, differences(g, x, 3), differences(g, target, 3), 0);
    cg_tensor *v = cg_l1_loss(g, differences(g, x, 2), differences(g, target, 2), 0);
    return cg_scale(g, cg_add(g, h, v), 0.5f, 0.0f);
}

cg_tensor *tr_color_loss(cg_graph *g, cg_tensor *x, cg_tensor *ref)
{
    cg_tensor *a = to_yuv(g, x), *b = to_yuv(g, ref);
    cg_tensor *loss = cg_l1_loss(g, cg_slice(g, a, 1, 0, 1), cg_slice(g, b, 1, 0, 1), 0);
    loss = cg_add(g, loss, cg_huber_loss(g, cg_slice(g, a, 1, 1, 1), cg_slice(g, b, 1, 1, 1), 1.0f));
    return cg_add(g, loss, cg_huber_loss(g, cg_slice(g, a, 1, 2, 1), cg_slice(g, b, 1, 2, 1), 1.0f));
}

cg_tensor *tr_detach(cg_graph *g, const cg_tensor *t)
{
    if (!t)
        return NULL;
    cg_tensor *c = cg_graph_tensor(g, t->ndim, t->dim);
    if (c)
        memcpy(c->data, t->data, (size_t)t->size * sizeof(float));
    return c;
}

cg_tensor *tr_input(cg_graph *g, const float *data, int n, int size)
{
    cg_tensor *t = cg_graph_tensor4(g, n, 3, size, size);
    if (t)
        memcpy(t->data, data, (size_t)t->size * sizeof(float));
    return t;
}

cg_net *tr_fixed_features(cg_error *err)
{
    /* Random convolutional features carry texture statistics well enough for
     * Gram matching (Ulyanov et al.; He et al. 2016). */
    cg_net *net = cg_net_new("{\"type\": \"patchgan\", \"in_channels\": 3, \"width\": 32, \"layers\": 3, "
                             "\"norm\": \"none\"}",
                             err);
    if (!net)
        return NULL;
    cg_rng rng;
    cg_rng_seed_stream(&rng, 0x636f6d696367ull, 1);
    cg_status st = cg_net_init(net, &rng, true, err);
    cg_params *p = cg_net_params(net);
    for (int i = 0; i < cg_params_count(p) && st == CG_OK; i++)
        if (!cg_params_is_buffer(p, i))
            st = cg_params_set_frozen(p, i, true, err);
    if (st != CG_OK) {
        cg_net_free(net);
        return NULL;
    }
    return net;
}
