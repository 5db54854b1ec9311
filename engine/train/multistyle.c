/* Several styles in one generator (Dumoulin et al.'s conditional instance
 * norm): each style has its own gamma/beta rows, its own data source and,
 * when it has one, its own discriminator:
 *   filter    targets made from the photos by a teacher (manga, cel): paired
 *   targets   a folder of targets matched to photos by file name: paired
 *   images    unpaired style images (adversarial + content loss)
 *   identity  the target is the input, so strength can interpolate toward it
 * A step runs every style's batch through the generator (gradients add up in
 * one update), then updates each style's discriminator. */
#include "train/train_private.h"

#include <string.h>

typedef struct ms_style {
    const tr_style_config *cfg;
    tr_source *src;        /* inputs (with paired targets) */
    tr_source *style_src;  /* style images of an "images" style */
    tr_disc d;
    bool has_d, paired;
    float *x, *y, *fake;   /* this step's local batch */
} ms_style;

typedef struct multistyle {
    tr_net *g;
    ms_style s[TR_MAX_STYLES];
    int n;
    tr_source *photos;
} multistyle;

static cg_status setup(tr_trainer *t, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    multistyle *m = g_new0(multistyle, 1);
    t->mode = m;
    cg_dataset *photos = tr_trainer_load_data(t, c->photos, NULL, 0, err);
    if (!photos || !(m->photos = tr_trainer_add_source(t, "photos", photos, err)))
        return err->code;
    if (!(m->g = tr_trainer_add_net(t, "G", c->gen_arch, false, err)))
        return err->code;
    const int64_t floats = (int64_t)t->local_batch * 3 * c->size * c->size;
    m->n = c->n_styles;
    for (int k = 0; k < m->n; k++) {
        ms_style *s = &m->s[k];
        s->cfg = &c->styles[k];
        char label[64], dname[32];
        g_snprintf(label, sizeof label, "style.%s", s->cfg->name);
        g_snprintf(dname, sizeof dname, "D.%.24s", s->cfg->name);
        const char *inputs = s->cfg->photos[0] ? s->cfg->photos : c->photos;
        cg_dataset *d = NULL;
        s->src = m->photos;
        switch (s->cfg->kind) {
        case TR_STYLE_FILTER:
        case TR_STYLE_TARGETS:
            d = tr_trainer_load_data(t, inputs, s->cfg->kind == TR_STYLE_TARGETS ? s->cfg->dir : NULL,
                                     s->cfg->kind == TR_STYLE_FILTER ? s->cfg->filter : 0, err);
            if (!d || !(s->src = tr_trainer_add_source(t, label, d, err)))
                return err->code;
            s->paired = true;
            s->has_d = c->adv > 0; /* without an adversarial term a discriminator is work for nothing */
            break;
        case TR_STYLE_IMAGES:
            d = tr_trainer_load_data(t, s->cfg->dir, NULL, 0, err);
            if (!d || !(s->style_src = tr_trainer_add_source(t, label, d, err)))
                return err->code;
            s->has_d = c->adv > 0;
            break;
        case TR_STYLE_IDENTITY: break;
        }
        if (s->has_d && tr_trainer_add_disc(t, dname, s->paired ? 6 : 3, false, &s->d, err) != CG_OK)
            return err->code;
        s->x = g_malloc((size_t)floats * sizeof(float));
        s->y = g_malloc((size_t)floats * sizeof(float));
        s->fake = g_malloc((size_t)floats * sizeof(float));
    }
    if (c->features == TR_FEATURES_DISCRIMINATOR) {
        bool any = false;
        for (int k = 0; k < m->n; k++)
            any |= m->s[k].cfg->kind == TR_STYLE_IMAGES && m->s[k].has_d;
        if (!any)
            return cg_fail(err, CG_ERR_INVALID, "[loss] features = discriminator needs a style with source = images "
                                                "and adversarial > 0");
    }
    return CG_OK;
}

static cg_tensor *pair(cg_graph *g, cg_tensor *a, cg_tensor *b)
{
    cg_tensor *two[2] = {a, b};
    return a && b ? cg_concat(g, two, 2, 1) : NULL;
}

static cg_tensor *one_hot(cg_graph *g, int n, int styles, int k)
{
    const int64_t dim[2] = {n, styles};
    cg_tensor *w = cg_graph_tensor(g, 2, dim);
    for (int i = 0; w && i < n; i++)
        w->data[i * styles + k] = 1.0f;
    return w;
}

/* The generator's losses for style k; its output is kept for the discriminator. */
static cg_status generator_style(tr_trainer *t, multistyle *m, int k, bool warmup, tr_losses *l, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    ms_style *s = &m->s[k];
    const int n = t->local_batch, size = c->size;
    tr_source_batch(s->src, c, &t->rng, c->batch, t->local_lo, t->local_lo + n, s->x, s->paired ? s->y : NULL);
    if (s->style_src)
        tr_source_batch(s->style_src, c, &t->rng, c->batch, t->local_lo, t->local_lo + n, s->y, NULL);
    cg_graph *g = t->gg;
    cg_graph_reset(g);
    cg_tensor *x = tr_input(g, s->x, n, size), *y = s->paired || s->style_src ? tr_input(g, s->y, n, size) : NULL;
    cg_tensor *style = one_hot(g, n, m->n, k);
    cg_tensor *fake = cg_net_forward(m->g->net, g, x, style, NULL);
    tr_sum sum = {g, NULL, l};
    bool adversarial = s->has_d && !warmup;
    if (adversarial) {
        tr_disc_freeze(&s->d, true);
        cg_tensor *seen = s->paired ? pair(g, x, fake) : fake;
        tr_sum_add(&sum, "g_adv", (float)c->adv, tr_disc_loss(t, g, &s->d, seen, true, true));
    }
    if (s->paired) {
        tr_sum_add(&sum, "g_l1", (float)c->l1, cg_l1_loss(g, fake, y, 0));
        if (c->gradient > 0)
            tr_sum_add(&sum, "g_gradient", (float)c->gradient, tr_gradient_loss(g, fake, y));
    }
    else if (s->cfg->kind == TR_STYLE_IDENTITY || warmup)
        tr_sum_add(&sum, "g_identity", (float)(c->l1 > 0 ? c->l1 : 1), cg_l1_loss(g, fake, x, 0));
    if (s->cfg->kind != TR_STYLE_IDENTITY) {
        const tr_disc *fd = NULL;
        for (int j = 0; j < m->n && !fd; j++)
            if (m->s[j].cfg->kind == TR_STYLE_IMAGES && m->s[j].has_d)
                fd = &m->s[j].d;
        tr_extra_losses(t, &sum, m->g->net, style, fake, x, y, fd);
        /* Block-mean chroma against the target, or the photo for an unpaired
         * style: L1 over pixels barely sees a colour cast that instance norm
         * makes hard to undo; this term sees little else. */
        if (s->cfg->chroma > 0)
            tr_sum_add(&sum, "g_chroma", (float)s->cfg->chroma, tr_chroma_loss(g, fake, s->paired ? y : x));
    }
    cg_status st = cg_graph_status(g, err);
    if (st == CG_OK && sum.total)
        st = cg_graph_backward(g, sum.total, err);
    if (adversarial)
        tr_disc_freeze(&s->d, false);
    if (st == CG_OK && fake)
        memcpy(s->fake, fake->data, (size_t)fake->size * sizeof(float));
    return st;
}

static cg_status discriminator_style(tr_trainer *t, ms_style *s, tr_losses *l, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    const int n = t->local_batch, size = c->size;
    cg_graph *g = t->gd;
    cg_graph_reset(g);
    tr_zero_grads(s->d.scale, s->d.scales);
    cg_tensor *x = tr_input(g, s->x, n, size), *y = tr_input(g, s->y, n, size), *f = tr_input(g, s->fake, n, size);
    tr_sum sum = {g, NULL, l};
    tr_sum_add(&sum, "d_real", 0.5f, tr_disc_loss(t, g, &s->d, s->paired ? pair(g, x, y) : y, true, false));
    tr_sum_add(&sum, "d_fake", 0.5f, tr_disc_loss(t, g, &s->d, s->paired ? pair(g, x, f) : f, false, false));
    if (c->edge_smooth > 0) {
        float *e = tr_trainer_buffer(t, 0, (int64_t)n * 3 * size * size);
        memcpy(e, s->y, (size_t)n * 3 * size * size * sizeof(float));
        cg_status st = tr_edge_smooth(e, n, size, err);
        if (st != CG_OK)
            return st;
        cg_tensor *es = tr_input(g, e, n, size);
        tr_sum_add(&sum, "d_edge", 0.5f * (float)c->edge_smooth,
                   tr_disc_loss(t, g, &s->d, s->paired ? pair(g, x, es) : es, false, false));
    }
    return tr_trainer_update(t, g, sum.total, s->d.scale, s->d.scales, err);
}

static cg_status step(tr_trainer *t, bool warmup, tr_losses *l, cg_error *err)
{
    multistyle *m = t->mode;
    tr_zero_grads(&m->g, 1);
    cg_status st = CG_OK;
    for (int k = 0; k < m->n && st == CG_OK; k++)
        st = generator_style(t, m, k, warmup, l, err);
    if (st == CG_OK)
        st = tr_trainer_apply(t, &m->g, 1, err);
    for (int k = 0; k < m->n && st == CG_OK && !warmup; k++)
        if (m->s[k].has_d)
            st = discriminator_style(t, &m->s[k], l, err);
    return st;
}

static int sample(tr_trainer *t, int n, float **cols, int max_cols, float *heat, bool *has_heat, cg_error *err)
{
    multistyle *m = t->mode;
    if (max_cols < 1 + m->n)
        return 0;
    tr_val_batch(t, m->photos, n, cols[0], NULL);
    float *w = g_new0(float, (size_t)n * m->n);
    cg_status st = CG_OK;
    for (int k = 0; k < m->n && st == CG_OK; k++) {
        memset(w, 0, (size_t)n * m->n * sizeof *w);
        for (int i = 0; i < n; i++)
            w[i * m->n + k] = 1.0f;
        st = tr_generate(t, m->g->net, w, cols[0], n, cols[1 + k], k == 0 ? heat : NULL, k == 0 ? has_heat : NULL,
                         err);
    }
    g_free(w);
    return st == CG_OK ? 1 + m->n : -1;
}

static char *styles_json(const tr_trainer *t)
{
    const cg_train_config *c = t->cfg;
    GString *s = g_string_new("[");
    for (int k = 0; k < c->n_styles; k++) {
        const tr_style_config *sc = &c->styles[k];
        const char *mode = sc->kind == TR_STYLE_IDENTITY ? "identity" : sc->kind == TR_STYLE_IMAGES ? "multi" : "pix2pix";
        char *e = tr_style_entry_json(sc->name, sc->display_name, sc->description, mode,
                                      sc->kind == TR_STYLE_FILTER && tr_teacher_monochrome(sc->filter), false);
        g_string_append_printf(s, "%s%s", k ? ", " : "", e);
        g_free(e);
    }
    g_string_append(s, "]");
    return g_string_free(s, FALSE);
}

static void release(tr_trainer *t)
{
    multistyle *m = t->mode;
    for (int k = 0; m && k < m->n; k++) {
        g_free(m->s[k].x);
        g_free(m->s[k].y);
        g_free(m->s[k].fake);
    }
    g_free(m);
    t->mode = NULL;
}

const tr_mode_ops tr_multistyle_ops = {setup, step, sample, "G", styles_json, release, NULL};
