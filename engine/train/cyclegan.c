/* CycleGAN (Zhu et al. 2017) for unpaired photos (A) and style images (B):
 * two generators, two discriminators, LSGAN, cycle and identity losses and
 * an image pool. The attention mode is U-GAT-IT (Kim et al. 2020) on the
 * same skeleton: generators with a CAM block and AdaLIN, discriminators with
 * CAM logits, and the CAM loss teaching each generator's CAM classifier
 * which domain its input comes from. */
#include "train/train_private.h"

#include <string.h>

typedef struct cyclegan {
    tr_net *gab, *gba;
    tr_disc da, db;
    tr_source *a, *b;
    bool attention;
} cyclegan;

static cg_status setup(tr_trainer *t, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    cyclegan *m = g_new0(cyclegan, 1);
    t->mode = m;
    m->attention = c->mode == TR_ATTENTION;
    cg_dataset *da = tr_trainer_load_data(t, c->photos, NULL, 0, err);
    if (!da || !(m->a = tr_trainer_add_source(t, "photos", da, err)))
        return err->code;
    cg_dataset *db = tr_trainer_load_data(t, c->style, NULL, 0, err);
    if (!db || !(m->b = tr_trainer_add_source(t, "style", db, err)))
        return err->code;
    if (!(m->gab = tr_trainer_add_net(t, "G_AB", c->gen_arch, false, err)) ||
        !(m->gba = tr_trainer_add_net(t, "G_BA", c->gen_arch, false, err)))
        return err->code;
    if (tr_trainer_add_disc(t, "D_A", 3, m->attention, &m->da, err) ||
        tr_trainer_add_disc(t, "D_B", 3, m->attention, &m->db, err))
        return err->code;
    const int64_t image = (int64_t)3 * c->size * c->size;
    t->n_pools = 2;
    for (int k = 0; k < 2; k++)
        if (tr_pool_init(&t->pools[k], c->pool_size, image, (uint64_t)c->seed * 31 + (uint64_t)k + 1, err))
            return err->code;
    return CG_OK;
}

/* The generator's CAM classifier: its logits should say "source domain"
 * (1) for inputs it translates and 0 for inputs already in its target. */
static cg_tensor *cam_loss(cg_graph *g, const cg_net_taps *own, const cg_net_taps *other)
{
    if (!own->cam_logits || !other->cam_logits)
        return NULL;
    return cg_add(g, cg_bce_with_logits(g, own->cam_logits, NULL, 1.0f),
                  cg_bce_with_logits(g, other->cam_logits, NULL, 0.0f));
}

/* Gathers every rank's fakes, runs the pool on the whole batch and keeps
 * this rank's shard of its answer in a tensor of g. */
static cg_tensor *pooled(tr_trainer *t, cg_graph *g, tr_pool *pool, const cg_tensor *fake, int slot,
                         cg_error *err)
{
    const int size = t->cfg->size;
    const int64_t image = (int64_t)3 * size * size;
    float *all = tr_trainer_buffer(t, slot, (int64_t)t->cfg->batch * image);
    if (tr_gather(t, fake->data, all, image, err) != CG_OK)
        return NULL;
    tr_pool_query(pool, all, all, t->cfg->batch);
    return tr_input(g, all + (size_t)t->local_lo * (size_t)image, t->local_batch, size);
}

static cg_status step(tr_trainer *t, bool warmup, tr_losses *l, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    cyclegan *m = t->mode;
    const int n = t->local_batch, size = c->size;
    const int64_t image = (int64_t)3 * size * size;
    float *xa = tr_trainer_buffer(t, 0, n * image), *xb = tr_trainer_buffer(t, 1, n * image);
    tr_source_batch(m->a, c, &t->rng, c->batch, t->local_lo, t->local_lo + n, xa, NULL);
    tr_source_batch(m->b, c, &t->rng, c->batch, t->local_lo, t->local_lo + n, xb, NULL);

    cg_graph *g = t->gg;
    cg_graph_reset(g);
    tr_net *gens[2] = {m->gab, m->gba};
    tr_zero_grads(gens, 2);
    cg_tensor *a = tr_input(g, xa, n, size), *b = tr_input(g, xb, n, size);
    cg_net_taps ab_a, ba_b, ab_b, ba_a;
    /* U-GAT-IT needs each generator's CAM logits on both domains. */
    cg_net_taps *want[4] = {NULL, NULL, NULL, NULL};
    if (m->attention) {
        want[0] = &ab_a;
        want[1] = &ba_b;
        want[2] = &ab_b;
        want[3] = &ba_a;
    }
    cg_tensor *fake_b = cg_net_forward(m->gab->net, g, a, NULL, want[0]);
    cg_tensor *fake_a = cg_net_forward(m->gba->net, g, b, NULL, want[1]);
    tr_sum s = {g, NULL, l};
    if (warmup) {
        /* Content-only start: each generator learns to reproduce its input. */
        tr_sum_add(&s, "g_warmup", 1.0f, cg_add(g, cg_l1_loss(g, fake_b, a, 0), cg_l1_loss(g, fake_a, b, 0)));
        tr_extra_losses(t, &s, m->gab->net, NULL, fake_b, a, NULL, NULL);
        return tr_trainer_update(t, g, s.total, gens, 2, err);
    }
    tr_disc_freeze(&m->da, true);
    tr_disc_freeze(&m->db, true);
    tr_sum_add(&s, "g_adv", (float)c->adv,
               cg_add(g, tr_disc_loss(t, g, &m->db, fake_b, true, true), tr_disc_loss(t, g, &m->da, fake_a, true, true)));
    cg_tensor *rec_a = cg_net_forward(m->gba->net, g, fake_b, NULL, NULL);
    cg_tensor *rec_b = cg_net_forward(m->gab->net, g, fake_a, NULL, NULL);
    tr_sum_add(&s, "g_cycle", (float)c->cycle, cg_add(g, cg_l1_loss(g, rec_a, a, 0), cg_l1_loss(g, rec_b, b, 0)));
    if (c->identity > 0 || (m->attention && c->cam > 0)) {
        cg_tensor *idt_b = cg_net_forward(m->gab->net, g, b, NULL, want[2]);
        cg_tensor *idt_a = cg_net_forward(m->gba->net, g, a, NULL, want[3]);
        tr_sum_add(&s, "g_identity", (float)c->identity,
                   cg_add(g, cg_l1_loss(g, idt_b, b, 0), cg_l1_loss(g, idt_a, a, 0)));
        if (m->attention)
            tr_sum_add(&s, "g_cam", (float)c->cam, cg_add(g, cam_loss(g, &ab_a, &ab_b), cam_loss(g, &ba_b, &ba_a)));
    }
    tr_extra_losses(t, &s, m->gab->net, NULL, fake_b, a, b, &m->db);
    cg_status st = tr_trainer_update(t, g, s.total, gens, 2, err);
    tr_disc_freeze(&m->da, false);
    tr_disc_freeze(&m->db, false);
    if (st != CG_OK)
        return st;

    cg_graph *gd = t->gd;
    cg_graph_reset(gd);
    tr_net *discs[2 * TR_MAX_SCALES];
    int nd = tr_disc_nets(&m->db, discs, tr_disc_nets(&m->da, discs, 0));
    tr_zero_grads(discs, nd);
    cg_tensor *ra = tr_input(gd, xa, n, size), *rb = tr_input(gd, xb, n, size);
    cg_tensor *pa = pooled(t, gd, &t->pools[0], fake_a, 2, err), *pb = pooled(t, gd, &t->pools[1], fake_b, 3, err);
    if (!pa || !pb)
        return err->code ? err->code : cg_graph_status(gd, err);
    tr_sum sd = {gd, NULL, l};
    tr_sum_add(&sd, "d_real", 0.5f,
               cg_add(gd, tr_disc_loss(t, gd, &m->da, ra, true, false), tr_disc_loss(t, gd, &m->db, rb, true, false)));
    tr_sum_add(&sd, "d_fake", 0.5f,
               cg_add(gd, tr_disc_loss(t, gd, &m->da, pa, false, false), tr_disc_loss(t, gd, &m->db, pb, false, false)));
    if (c->edge_smooth > 0) {
        float *e = tr_trainer_buffer(t, 4, n * image);
        memcpy(e, xb, (size_t)(n * image) * sizeof(float));
        if ((st = tr_edge_smooth(e, n, size, err)) != CG_OK)
            return st;
        tr_sum_add(&sd, "d_edge", 0.5f * (float)c->edge_smooth,
                   tr_disc_loss(t, gd, &m->db, tr_input(gd, e, n, size), false, false));
    }
    return tr_trainer_update(t, gd, sd.total, discs, nd, err);
}

static int sample(tr_trainer *t, int n, float **cols, int max_cols, float *heat, bool *has_heat, cg_error *err)
{
    cyclegan *m = t->mode;
    if (max_cols < 3)
        return 0;
    tr_val_batch(t, m->a, n, cols[0], NULL);
    /* input | translated | translated back */
    if (tr_generate(t, m->gab->net, NULL, cols[0], n, cols[1], heat, has_heat, err) != CG_OK ||
        tr_generate(t, m->gba->net, NULL, cols[1], n, cols[2], NULL, NULL, err) != CG_OK)
        return -1;
    return 3;
}

static char *styles_json(const tr_trainer *t)
{
    return tr_style_entry_json(t->cfg->name, t->cfg->display_name, t->cfg->description,
                               t->cfg->mode == TR_ATTENTION ? "attention" : "cyclegan", false, true);
}

static void release(tr_trainer *t)
{
    g_free(t->mode);
    t->mode = NULL;
}

const tr_mode_ops tr_cyclegan_ops = {setup, step, sample, "G_AB", styles_json, release, NULL};
