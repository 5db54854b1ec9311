/* pix2pix (Isola et al. 2017): a generator conditioned on the input photo,
 * trained against a conditional PatchGAN that sees (input, image) pairs,
 * with adversarial + lambda * L1 to the paired target. Targets come from a
 * folder matched by file name or from a teacher filter (manga, cel). With a
 * [data] style folder, a second, unconditional PatchGAN also learns those
 * unpaired style images against the generator's output, so the generator is
 * pulled toward real art of the style and not only toward its teacher. */
#include "train/train_private.h"

#include <string.h>

typedef struct pix2pix {
    tr_net *g;
    tr_disc d;
    tr_disc ds; /* on the unpaired style images; unused (0 scales) without them */
    tr_source *src, *style;
} pix2pix;

static cg_status setup(tr_trainer *t, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    pix2pix *m = g_new0(pix2pix, 1);
    t->mode = m;
    cg_dataset *d = tr_trainer_load_data(t, c->photos, c->targets, c->target_filter, err);
    if (!d || !(m->src = tr_trainer_add_source(t, "photos", d, err)))
        return err->code;
    if (!(m->g = tr_trainer_add_net(t, "G", c->gen_arch, false, err)))
        return err->code;
    if (c->style[0]) {
        cg_dataset *ds = tr_trainer_load_data(t, c->style, NULL, 0, err);
        if (!ds || !(m->style = tr_trainer_add_source(t, "style", ds, err)))
            return err->code;
        if (tr_trainer_add_disc(t, "D_style", 3, false, &m->ds, err))
            return err->code;
    }
    return tr_trainer_add_disc(t, "D", 6, false, &m->d, err);
}

static cg_tensor *pair(cg_graph *g, cg_tensor *a, cg_tensor *b)
{
    cg_tensor *two[2] = {a, b};
    return a && b ? cg_concat(g, two, 2, 1) : NULL;
}

static cg_status step(tr_trainer *t, bool warmup, tr_losses *l, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    pix2pix *m = t->mode;
    const int n = t->local_batch, size = c->size;
    const int64_t image = (int64_t)3 * size * size;
    float *x = tr_trainer_buffer(t, 0, n * image), *y = tr_trainer_buffer(t, 1, n * image);
    tr_source_batch(m->src, c, &t->rng, c->batch, t->local_lo, t->local_lo + n, x, y);

    /* Generator: fool the discriminator and stay near the target. */
    cg_graph *g = t->gg;
    cg_graph_reset(g);
    tr_zero_grads(&m->g, 1);
    cg_tensor *in = tr_input(g, x, n, size), *target = tr_input(g, y, n, size);
    cg_tensor *fake = cg_net_forward(m->g->net, g, in, NULL, NULL);
    tr_sum s = {g, NULL, l};
    if (!warmup) {
        tr_disc_freeze(&m->d, true);
        tr_sum_add(&s, "g_adv", (float)c->adv, tr_disc_loss(t, g, &m->d, pair(g, in, fake), true, true));
        if (m->style) {
            tr_disc_freeze(&m->ds, true);
            tr_sum_add(&s, "g_style_adv", (float)c->style_adv, tr_disc_loss(t, g, &m->ds, fake, true, true));
        }
    }
    tr_sum_add(&s, "g_l1", (float)c->l1, cg_l1_loss(g, fake, target, 0));
    if (c->gradient > 0)
        tr_sum_add(&s, "g_gradient", (float)c->gradient, tr_gradient_loss(g, fake, target));
    tr_extra_losses(t, &s, m->g->net, NULL, fake, in, target, NULL);
    cg_status st = tr_trainer_update(t, g, s.total, &m->g, 1, err);
    if (!warmup) {
        tr_disc_freeze(&m->d, false);
        tr_disc_freeze(&m->ds, false);
    }
    if (st != CG_OK || warmup)
        return st;

    /* Discriminators: real pairs (and style images) against the generator's
     * (detached) output. */
    cg_graph *gd = t->gd;
    cg_graph_reset(gd);
    tr_net *discs[2 * TR_MAX_SCALES];
    int nd = tr_disc_nets(&m->ds, discs, tr_disc_nets(&m->d, discs, 0));
    tr_zero_grads(discs, nd);
    cg_tensor *din = tr_input(gd, x, n, size), *dreal = tr_input(gd, y, n, size), *dfake = tr_detach(gd, fake);
    tr_sum sd = {gd, NULL, l};
    tr_sum_add(&sd, "d_real", 0.5f, tr_disc_loss(t, gd, &m->d, pair(gd, din, dreal), true, false));
    tr_sum_add(&sd, "d_fake", 0.5f, tr_disc_loss(t, gd, &m->d, pair(gd, din, dfake), false, false));
    if (c->edge_smooth > 0) {
        float *e = tr_trainer_buffer(t, 2, n * image);
        memcpy(e, y, (size_t)(n * image) * sizeof(float));
        if ((st = tr_edge_smooth(e, n, size, err)) != CG_OK)
            return st;
        tr_sum_add(&sd, "d_edge", 0.5f * (float)c->edge_smooth,
                   tr_disc_loss(t, gd, &m->d, pair(gd, din, tr_input(gd, e, n, size)), false, false));
    }
    if (m->style) {
        float *art = tr_trainer_buffer(t, 3, n * image);
        tr_source_batch(m->style, c, &t->rng, c->batch, t->local_lo, t->local_lo + n, art, NULL);
        tr_sum_add(&sd, "d_style_real", 0.5f, tr_disc_loss(t, gd, &m->ds, tr_input(gd, art, n, size), true, false));
        tr_sum_add(&sd, "d_style_fake", 0.5f, tr_disc_loss(t, gd, &m->ds, dfake, false, false));
    }
    return tr_trainer_update(t, gd, sd.total, discs, nd, err);
}

static int sample(tr_trainer *t, int n, float **cols, int max_cols, float *heat, bool *has_heat, cg_error *err)
{
    pix2pix *m = t->mode;
    if (max_cols < 3)
        return 0;
    tr_val_batch(t, m->src, n, cols[0], cols[2]);
    *has_heat = false;
    return tr_generate(t, m->g->net, NULL, cols[0], n, cols[1], heat, has_heat, err) == CG_OK ? 3 : -1;
}

static char *styles_json(const tr_trainer *t)
{
    return tr_style_entry_json(t->cfg->name, t->cfg->display_name, t->cfg->description, "pix2pix",
                               tr_teacher_monochrome(t->cfg->target_filter), true);
}

static void release(tr_trainer *t)
{
    g_free(t->mode);
    t->mode = NULL;
}

const tr_mode_ops tr_pix2pix_ops = {setup, step, sample, "G", styles_json, release, NULL};
