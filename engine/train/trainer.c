/* What every training mode is made of: networks with their optimizers,
 * discriminators over one or more scales, data sources, the extra losses,
 * and the update (backward, gradients averaged over ranks, clipping, Adam). */
#include "train/train_private.h"

#include <math.h>
#include <string.h>

tr_net *tr_trainer_add_net(tr_trainer *t, const char *name, const char *arch, bool disc, cg_error *err)
{
    if (t->n_nets == TR_MAX_NETS) {
        cg_fail(err, CG_ERR_INVALID, "too many networks");
        return NULL;
    }
    tr_net *n = &t->nets[t->n_nets];
    memset(n, 0, sizeof *n);
    g_strlcpy(n->name, name, sizeof n->name);
    n->disc = disc;
    n->lr_factor = 1;
    if (!(n->net = cg_net_new(arch, err))) {
        cg_error_prefix(err, "%s", name);
        return NULL;
    }
    /* Each network has its own stream of the run's seed. */
    cg_rng rng;
    cg_rng_seed_stream(&rng, (uint64_t)t->cfg->seed, 1000 + (uint64_t)t->n_nets);
    cg_adam_options ao = cg_adam_defaults();
    ao.lr = (float)(disc ? t->cfg->lr_d : t->cfg->lr_g);
    ao.beta1 = (float)t->cfg->beta1;
    ao.beta2 = (float)t->cfg->beta2;
    if (cg_net_init(n->net, &rng, t->cfg->init == 1, err) != CG_OK ||
        !(n->opt = cg_optim_adam(cg_net_params(n->net), &ao, err))) {
        cg_net_free(n->net);
        n->net = NULL;
        cg_error_prefix(err, "%s", name);
        return NULL;
    }
    t->n_nets++;
    return n;
}

tr_net *tr_trainer_find_net(tr_trainer *t, const char *name)
{
    for (int i = 0; i < t->n_nets; i++)
        if (strcmp(t->nets[i].name, name) == 0)
            return &t->nets[i];
    return NULL;
}

cg_status tr_trainer_add_disc(tr_trainer *t, const char *name, int in_channels, bool cam, tr_disc *d, cg_error *err)
{
    memset(d, 0, sizeof *d);
    d->scales = t->cfg->d_scales;
    d->cam = cam && t->cfg->d_cam;
    char *arch = tr_disc_arch(t->cfg, in_channels);
    cg_status st = CG_OK;
    for (int s = 0; s < d->scales && st == CG_OK; s++) {
        char full[32];
        if (d->scales == 1)
            g_strlcpy(full, name, sizeof full);
        else
            g_snprintf(full, sizeof full, "%s.s%d", name, s);
        if (!(d->scale[s] = tr_trainer_add_net(t, full, arch, true, err)))
            st = err->code;
    }
    g_free(arch);
    return st;
}

cg_dataset *tr_trainer_load_data(tr_trainer *t, const char *dir, const char *targets, int teacher, cg_error *err)
{
    if (t->n_datasets == TR_MAX_SOURCES) {
        cg_fail(err, CG_ERR_INVALID, "too many data folders");
        return NULL;
    }
    cg_data_options o = {.min_side = t->cfg->min_side, .load_size = t->cfg->load_size,
                         .max_images = t->cfg->max_images};
    cg_dataset *d = cg_dataset_scan(dir, targets && targets[0] ? targets : NULL, &o, err);
    if (d && teacher && tr_dataset_apply_teacher(d, teacher, err) != CG_OK) {
        cg_dataset_free(d);
        d = NULL;
    }
    if (d)
        t->datasets[t->n_datasets++] = d;
    return d;
}

tr_source *tr_trainer_add_source(tr_trainer *t, const char *label, cg_dataset *d, cg_error *err)
{
    if (t->n_sources == TR_MAX_SOURCES) {
        cg_fail(err, CG_ERR_INVALID, "too many sources");
        return NULL;
    }
    int *assign = g_new(int, d->n);
    tr_source *s = &t->sources[t->n_sources];
    cg_status st = cg_dataset_split(d, (uint64_t)t->cfg->seed, t->cfg->val_fraction, t->cfg->test_fraction, assign,
                                    err);
    if (st == CG_OK)
        st = tr_source_init(s, label, d, assign, (uint64_t)t->n_sources + 1, err);
    g_free(assign);
    if (st != CG_OK) {
        tr_source_clear(s);
        return NULL;
    }
    tr_source_seek(s, (uint64_t)t->cfg->seed, 0, 0);
    t->n_sources++;
    return s;
}

float *tr_trainer_buffer(tr_trainer *t, int k, int64_t n)
{
    if (t->buf_len[k] < n) {
        g_free(t->buf[k]);
        t->buf[k] = g_malloc((size_t)n * sizeof(float));
        t->buf_len[k] = n;
    }
    return t->buf[k];
}

int tr_disc_run(cg_graph *g, const tr_disc *d, cg_tensor *x, cg_tensor **logits, cg_tensor **cam)
{
    /* pix2pixHD's pyramid: each scale sees the input halved once more. */
    const cg_pool_params down = {3, 3, 2, 2, 1, 1};
    cg_tensor *h = x;
    for (int s = 0; s < d->scales; s++) {
        if (s > 0)
            h = cg_avg_pool2d(g, h, &down);
        cg_net_taps taps;
        logits[s] = cg_net_forward(d->scale[s]->net, g, h, NULL, cam ? &taps : NULL);
        if (cam)
            cam[s] = taps.cam_logits;
        if (!logits[s])
            return 0;
    }
    return d->scales;
}

cg_tensor *tr_disc_loss(tr_trainer *t, cg_graph *g, const tr_disc *d, cg_tensor *x, bool real, bool for_generator)
{
    cg_tensor *logits[TR_MAX_SCALES], *cam[TR_MAX_SCALES];
    int n = tr_disc_run(g, d, x, logits, d->cam ? cam : NULL);
    if (n == 0)
        return NULL;
    cg_tensor *total = NULL;
    for (int s = 0; s < n; s++) {
        cg_tensor *l = tr_adv_loss(g, (tr_gan)t->cfg->gan, logits[s], real, for_generator);
        /* U-GAT-IT scores the CAM logits like the patch logits. */
        if (d->cam && cam[s])
            l = cg_add(g, l, tr_adv_loss(g, (tr_gan)t->cfg->gan, cam[s], real, for_generator));
        total = total ? cg_add(g, total, l) : l;
    }
    return n > 1 ? cg_scale(g, total, 1.0f / n, 0) : total;
}

int tr_disc_nets(const tr_disc *d, tr_net **nets, int n)
{
    for (int s = 0; s < d->scales; s++)
        nets[n++] = d->scale[s];
    return n;
}

void tr_disc_freeze(const tr_disc *d, bool frozen)
{
    for (int s = 0; s < d->scales; s++) {
        cg_params *p = cg_net_params(d->scale[s]->net);
        for (int i = 0; i < cg_params_count(p); i++)
            if (!cg_params_is_buffer(p, i))
                cg_params_set_frozen(p, i, frozen, NULL);
    }
}

/* The generator run on its input moved by a few pixels (not a multiple of
 * its stride) with sensor noise added must give its output moved the same
 * way, so textures neither swim nor streak when a picture moves. */
static cg_tensor *stability_loss(tr_trainer *t, cg_graph *g, cg_net *gen, cg_tensor *style, cg_tensor *out,
                                 cg_tensor *input)
{
    const float sigma = 2.0f * 2.0f / 255.0f; /* 2/255 of the [0, 1] picture, in [-1, 1] units */
    const int multiple = cg_net_size_multiple(gen);
    const int axis = 2 + (int)cg_rng_below(&t->rng, 2);
    const int64_t shift = multiple > 1 ? 1 + (int64_t)cg_rng_below(&t->rng, (uint64_t)multiple - 1) : 1;
    const int64_t side = input->dim[axis];
    const int64_t kept = (side - shift) / multiple * multiple;
    if (kept < multiple)
        return NULL;
    cg_tensor *moved = cg_slice(g, input, axis, shift, kept);
    cg_tensor *noise = moved ? cg_graph_tensor(g, moved->ndim, moved->dim) : NULL;
    if (!noise)
        return NULL;
    for (int64_t i = 0; i < noise->size; i++)
        noise->data[i] = cg_rng_normal_f(&t->rng, 0.0f, sigma);
    cg_tensor *again = cg_net_forward(gen, g, cg_add(g, moved, noise), style, NULL);
    cg_tensor *want = tr_detach(g, cg_slice(g, out, axis, shift, kept));
    if (!again || !want)
        return NULL;
    /* Away from the borders, where the two runs see different padding. */
    const int64_t margin = side / 16;
    if (kept > 2 * margin) {
        again = cg_slice(g, again, axis, margin, kept - 2 * margin);
        want = cg_slice(g, want, axis, margin, kept - 2 * margin);
    }
    return cg_l1_loss(g, again, want, 0);
}

void tr_extra_losses(tr_trainer *t, tr_sum *s, cg_net *gen, cg_tensor *style_weights, cg_tensor *out,
                     cg_tensor *input, cg_tensor *style_ref, const tr_disc *feature_disc)
{
    const cg_train_config *c = t->cfg;
    cg_graph *g = s->g;
    bool style = c->style_w > 0 && style_ref, content = c->content > 0 && input;
    cg_net *fnet = c->features == TR_FEATURES_FIXED ? t->features
                   : feature_disc                   ? feature_disc->scale[0]->net
                                                    : NULL;
    if ((style || content) && fnet) {
        cg_tensor *fo[8], *fr[8];
        int n = tr_features(fnet, g, out, fo, 8);
        if (style && n == tr_features(fnet, g, style_ref, fr, 8)) {
            cg_tensor *sum = NULL;
            for (int i = 0; i < n; i++) {
                cg_tensor *l = cg_gram_loss(g, fo[i], fr[i]);
                sum = sum ? cg_add(g, sum, l) : l;
            }
            tr_sum_add(s, "g_style", (float)c->style_w, sum);
        }
        if (content && n > 0 && n == tr_features(fnet, g, input, fr, 8))
            tr_sum_add(s, "g_content", (float)c->content, cg_l1_loss(g, fo[n - 1], fr[n - 1], 0));
    }
    if (c->color > 0 && input)
        tr_sum_add(s, "g_color", (float)c->color, tr_color_loss(g, out, input));
    if (c->chroma > 0 && input)
        tr_sum_add(s, "g_chroma", (float)c->chroma, tr_chroma_loss(g, out, input));
    if (c->stability > 0 && input && gen)
        tr_sum_add(s, "g_stability", (float)c->stability, stability_loss(t, g, gen, style_weights, out, input));
    if (c->tv > 0)
        tr_sum_add(s, "g_tv", (float)c->tv, cg_tv_loss(g, out));
}

void tr_zero_grads(tr_net *const *nets, int n)
{
    for (int i = 0; i < n; i++)
        cg_params_zero_grad(cg_net_params(nets[i]->net));
}

cg_status tr_trainer_reduce(tr_trainer *t, tr_net *n, cg_error *err)
{
    cg_params *p = cg_net_params(n->net);
    int64_t len = 0;
    float *grads = cg_params_grads(p, &len);
    if (t->ranks > 1 && grads) {
        /* One contiguous block per network: one allreduce. */
        cg_status st = tr_dist_allreduce_sum(grads, len, err);
        if (st != CG_OK)
            return st;
        const float inv = 1.0f / (float)t->ranks;
        for (int64_t i = 0; i < len; i++)
            grads[i] *= inv;
    }
    if (t->cfg->clip > 0)
        return cg_clip_grad_norm(p, (float)t->cfg->clip, NULL, err);
    return CG_OK;
}

/* U-GAT-IT keeps AdaLIN's rho in [0, 1]. */
static void clamp_rho(cg_net *net)
{
    cg_params *p = cg_net_params(net);
    for (int i = 0; i < cg_params_count(p); i++)
        if (g_str_has_suffix(cg_params_name(p, i), ".rho")) {
            cg_tensor *r = cg_params_get(p, i);
            for (int64_t k = 0; k < r->size; k++)
                r->data[k] = r->data[k] < 0 ? 0 : r->data[k] > 1 ? 1 : r->data[k];
        }
}

cg_status tr_trainer_update(tr_trainer *t, cg_graph *g, cg_tensor *loss, tr_net *const *nets, int n, cg_error *err)
{
    cg_status st = cg_graph_status(g, err);
    if (st == CG_OK && !loss)
        st = cg_fail(err, CG_ERR_INVALID, "a step built no loss");
    if (st == CG_OK)
        st = cg_graph_backward(g, loss, err);
    return st == CG_OK ? tr_trainer_apply(t, nets, n, err) : st;
}

cg_status tr_trainer_apply(tr_trainer *t, tr_net *const *nets, int n, cg_error *err)
{
    cg_status st = CG_OK;
    for (int i = 0; i < n && st == CG_OK; i++)
        st = tr_trainer_reduce(t, nets[i], err);
    for (int i = 0; i < n && st == CG_OK; i++) {
        st = cg_optim_step(nets[i]->opt, err);
        if (!nets[i]->disc)
            clamp_rho(nets[i]->net);
    }
    return st;
}

cg_status tr_gather(tr_trainer *t, const float *local, float *all, int64_t image_floats, cg_error *err)
{
    int64_t n = (int64_t)t->local_batch * image_floats;
    if (t->ranks == 1) {
        memmove(all, local, (size_t)n * sizeof(float));
        return CG_OK;
    }
    return tr_dist_allgather(local, n, all, err);
}
