/* Styles from a reference picture: a style encoder E turns a reference into a
 * code, and a generator G with conditional norms (cond_instance, AdaIN; or
 * cond_affine, the same without the statistics) takes the code as its style
 * weights, so every norm's gamma and beta is a learnt linear function of the
 * code (the code's constant last value gives the map its bias). A step
 * draws a batch of photos and one of references, and trains E and G together:
 *   style           the output's features against the reference's, on the
 *                   fixed random feature network (see style_loss)
 *   content         L1 between the deepest features of output and photo
 *   reconstruction  G(reference, E(reference)) against the reference: a
 *                   reference restyled by its own code stays itself
 *   adversarial     optional: a PatchGAN on the references
 *   l1              optional, every step and for every teacher: a photo
 *                   stylized with the code of another of that teacher's
 *                   renderings, by L1 to the teacher's rendering of the
 *                   photo. The style loss alone moves tone and palette; this
 *                   term shows G what drawing in a look means (ink and dots
 *                   for a manga page, flat fills for a cel frame). Tied only
 *                   on the steps of the teacher's own source, each look had
 *                   a quarter of the steps, and a manga reference still gave
 *                   a pale colour photo at 1,500 steps
 *   source_code     optional: the squared error of the codes of one
 *                   reference of every source against a fixed prototype of
 *                   their source, so that E gives each look its own region
 *                   of codes. Through G alone, E learnt to tell
 *                   manga from colour but gave the colour looks (anime, cel,
 *                   painted renderings) nearly one code. With [encoder]
 *                   detach, E learns from this term alone: G's losses,
 *                   reaching E through codes G had not learnt to use yet,
 *                   drove every reference to one code
 * The references come from folders and from teachers' renderings of the
 * photos (reference_teachers); with several sources, step s draws from
 * source s mod sources. */
#include "train/train_private.h"

#include <math.h>
#include <string.h>

#define MAX_FEATURES 8

typedef struct reference {
    tr_net *g, *e;
    tr_source *photos;
    tr_source *refs[TR_MAX_STYLES];
    bool rendered[TR_MAX_STYLES]; /* the references are a teacher's renderings (the source's targets) */
    int n_refs;
    tr_disc d;
    bool has_d;
    float *x, *r, *fake; /* this step's local batches */
    float *paired;       /* the l1 term's photos, their teacher's renderings, and the renderings it encodes */
    float *scratch;      /* the photos a teacher rendered into this step's references */
    float *prototype;    /* source_code: n_refs rows of the code's length */
    float *one_each;     /* source_code: one reference of every source */
} reference;

/* Orthogonal prototypes, one per source, each of mean 0 and variance 1 over
 * its values: what code_norm makes of a code, so a code can sit exactly on
 * its prototype. Gram-Schmidt of seeded normal vectors against the constant
 * vector and the rows before; needs rows < length. */
static void make_prototypes(uint64_t seed, int rows, int length, float *out)
{
    double *v = g_new(double, length);
    cg_rng rng;
    cg_rng_seed_stream(&rng, seed, 0x70726f746fu); /* a stream of its own: batches are not disturbed */
    for (int k = 0; k < rows; k++) {
        double norm = 0;
        do {
            double mean = 0;
            for (int i = 0; i < length; i++)
                mean += v[i] = cg_rng_normal(&rng);
            for (int i = 0; i < length; i++)
                v[i] -= mean / length;
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int i = 0; i < length; i++)
                    dot += v[i] * out[j * length + i];
                for (int i = 0; i < length; i++)
                    v[i] -= dot / length * out[j * length + i]; /* the rows' squared norm is length */
            }
            norm = 0;
            for (int i = 0; i < length; i++)
                norm += v[i] * v[i];
        } while (norm < 1e-6);
        for (int i = 0; i < length; i++)
            out[k * length + i] = (float)(v[i] * sqrt(length / norm));
    }
    g_free(v);
}

/* G starts as if it had one style: the code's rows of every conditional gamma
 * at 0 and the constant's at 1, so a fresh E (whose codes are small) gives
 * plain instance norm instead of gammas that sum the whole code. */
static void start_at_bias_row(cg_net *g)
{
    cg_params *p = cg_net_params(g);
    for (int i = 0; i < cg_params_count(p); i++) {
        cg_tensor *t = cg_params_get(p, i);
        const char *name = cg_params_name(p, i);
        if (t->ndim == 2 && g_str_has_suffix(name, ".gamma"))
            memset(t->data, 0, (size_t)((t->dim[0] - 1) * t->dim[1]) * sizeof(float));
    }
}

static cg_status setup(tr_trainer *t, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    reference *m = g_new0(reference, 1);
    t->mode = m;
    if (c->features != TR_FEATURES_FIXED)
        return cg_fail(err, CG_ERR_INVALID, "reference mode uses [loss] features = fixed");
    cg_dataset *photos = tr_trainer_load_data(t, c->photos, NULL, 0, err);
    if (!photos || !(m->photos = tr_trainer_add_source(t, "photos", photos, err)))
        return err->code;
    char **dirs = g_strsplit(c->references, ";", -1);
    for (int k = 0; dirs[k] && m->n_refs < TR_MAX_STYLES; k++) {
        char label[32];
        g_snprintf(label, sizeof label, "references.%d", k);
        cg_dataset *d = tr_trainer_load_data(t, dirs[k], NULL, 0, err);
        if (!d || !(m->refs[m->n_refs++] = tr_trainer_add_source(t, label, d, err))) {
            g_strfreev(dirs);
            return err->code;
        }
    }
    g_strfreev(dirs);
    for (int k = 0; k < c->n_reference_teachers && m->n_refs < TR_MAX_STYLES; k++) {
        char *name = tr_teacher_name(c->reference_teacher[k]), *label = g_strdup_printf("teacher.%s", name);
        cg_dataset *d = tr_trainer_load_data(t, c->photos, NULL, c->reference_teacher[k], err);
        bool added = d && (m->refs[m->n_refs] = tr_trainer_add_source(t, label, d, err));
        g_free(label);
        g_free(name);
        if (!added)
            return err->code;
        m->rendered[m->n_refs++] = true;
    }
    if (!(m->g = tr_trainer_add_net(t, "G", c->gen_arch, false, err)) ||
        !(m->e = tr_trainer_add_net(t, "E", c->encoder_arch, false, err)))
        return err->code;
    start_at_bias_row(m->g->net);
    /* E's own pace, on lr_g's schedule: at lr_g, E's codes told the sources
     * apart so slowly that G had learnt to ignore them by then. */
    if (c->lr_e > 0)
        m->e->lr_factor = c->lr_e / c->lr_g;
    m->has_d = c->adv > 0;
    if (m->has_d && tr_trainer_add_disc(t, "D", 3, false, &m->d, err) != CG_OK)
        return err->code;
    const size_t floats = (size_t)t->local_batch * 3 * c->size * c->size;
    m->x = g_malloc(floats * sizeof(float));
    m->r = g_malloc(floats * sizeof(float));
    m->fake = g_malloc(floats * sizeof(float));
    m->paired = g_malloc(3 * floats * sizeof(float));
    m->scratch = g_malloc(floats * sizeof(float));
    if (c->source_code > 0) {
        m->prototype = g_new(float, (size_t)m->n_refs * c->e_code);
        make_prototypes((uint64_t)c->seed, m->n_refs, c->e_code, m->prototype);
        m->one_each = g_malloc((size_t)m->n_refs * 3 * c->size * c->size * sizeof(float));
    }
    return CG_OK;
}

/* term / scale, where scale is the mean square of the reference's statistic
 * (a constant: no gradient reaches the reference). */
static cg_tensor *relative(cg_graph *g, cg_tensor *term, const cg_tensor *ref_stat)
{
    if (!term || !ref_stat)
        return NULL;
    double sq = 0;
    for (int64_t i = 0; i < ref_stat->size; i++)
        sq += (double)ref_stat->data[i] * ref_stat->data[i];
    return cg_scale(g, term, (float)(1.0 / (sq / (double)ref_stat->size + 1e-8)), 0.0f);
}

/* The style loss: at each layer l of the fixed feature network, the squared
 * error of the output's Gram matrices and of its per-channel means against
 * the reference's, each divided by the mean square of the reference's own
 * (a relative error, about 1 for unrelated pictures whatever the layer's
 * scale), averaged over the layers: no layer dominates because its
 * activations happen to be larger. */
static cg_tensor *style_loss(cg_graph *g, cg_tensor *const *out, cg_tensor *const *ref, int layers)
{
    cg_tensor *sum = NULL;
    for (int l = 0; l < layers; l++) {
        cg_tensor *go = cg_gram(g, out[l]), *gr = cg_gram(g, ref[l]);
        cg_tensor *mo = cg_global_avg_pool(g, out[l]), *mr = cg_global_avg_pool(g, ref[l]);
        cg_tensor *term = cg_add(g, relative(g, cg_mse_loss(g, go, gr, 0), gr), relative(g, cg_mse_loss(g, mo, mr, 0), mr));
        sum = sum ? cg_add(g, sum, term) : term;
    }
    return cg_scale(g, sum, 1.0f / (float)layers, 0.0f);
}

/* The source term on one reference of every source, encoded together: with
 * a batch of one source a step, the statistics every picture shares moved
 * E's weights toward each source's prototype in turn, and Adam, scaling each
 * weight's step by its gradient's size, left too little for the differences
 * between sources (E stayed where it started). Targets: each source's
 * prototype, then the constant 1 that E appends to every code. */
static cg_tensor *source_term(tr_trainer *t, cg_graph *g)
{
    const cg_train_config *c = t->cfg;
    reference *m = t->mode;
    const size_t floats = (size_t)3 * c->size * c->size;
    for (int j = 0; j < m->n_refs; j++) {
        float *r = m->one_each + (size_t)j * floats;
        if (m->rendered[j])
            tr_source_batch(m->refs[j], c, &t->rng, 1, 0, 1, m->scratch, r);
        else
            tr_source_batch(m->refs[j], c, &t->rng, 1, 0, 1, r, NULL);
    }
    cg_tensor *code = cg_net_forward(m->e->net, g, tr_input(g, m->one_each, m->n_refs, c->size), NULL, NULL);
    const int length = c->e_code;
    const int64_t dim[2] = {m->n_refs, length + 1};
    cg_tensor *target = cg_graph_tensor(g, 2, dim);
    for (int j = 0; target && j < m->n_refs; j++) {
        memcpy(target->data + (size_t)j * (length + 1), m->prototype + (size_t)j * length,
               (size_t)length * sizeof(float));
        target->data[(size_t)j * (length + 1) + length] = 1.0f;
    }
    return cg_mse_loss(g, code, target, 0);
}

/* A copy of x that no gradient flows back through. */
static cg_tensor *detached(cg_graph *g, const cg_tensor *x)
{
    cg_tensor *y = x ? cg_graph_tensor(g, x->ndim, x->dim) : NULL;
    if (y)
        memcpy(y->data, x->data, (size_t)x->size * sizeof(float));
    return y;
}

/* The l1 term: for every teacher, a batch of its photos stylized with the
 * codes of as many other of its renderings, against its renderings of those
 * photos; the mean over the teachers. */
static cg_tensor *paired_term(tr_trainer *t, cg_graph *g)
{
    const cg_train_config *c = t->cfg;
    reference *m = t->mode;
    const int n = t->local_batch, size = c->size;
    const size_t floats = (size_t)n * 3 * size * size;
    float *photo = m->paired, *rendering = m->paired + floats, *ref = m->paired + 2 * floats;
    cg_tensor *sum = NULL;
    int teachers = 0;
    for (int j = 0; j < m->n_refs; j++) {
        if (!m->rendered[j])
            continue;
        tr_source_batch(m->refs[j], c, &t->rng, c->batch, t->local_lo, t->local_lo + n, m->scratch, ref);
        cg_tensor *code = cg_net_forward(m->e->net, g, tr_input(g, ref, n, size), NULL, NULL);
        if (c->e_detach)
            code = detached(g, code);
        tr_source_batch(m->refs[j], c, &t->rng, c->batch, t->local_lo, t->local_lo + n, photo, rendering);
        cg_tensor *out = cg_net_forward(m->g->net, g, tr_input(g, photo, n, size), code, NULL);
        cg_tensor *term = cg_l1_loss(g, out, tr_input(g, rendering, n, size), 0);
        sum = sum ? cg_add(g, sum, term) : term;
        teachers++;
    }
    return teachers ? cg_scale(g, sum, 1.0f / (float)teachers, 0.0f) : NULL;
}

static cg_status step(tr_trainer *t, bool warmup, tr_losses *l, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    reference *m = t->mode;
    const int n = t->local_batch, size = c->size;
    const int k = (int)(t->step % m->n_refs);
    tr_source_batch(m->photos, c, &t->rng, c->batch, t->local_lo, t->local_lo + n, m->x, NULL);
    if (m->rendered[k])
        tr_source_batch(m->refs[k], c, &t->rng, c->batch, t->local_lo, t->local_lo + n, m->scratch, m->r);
    else
        tr_source_batch(m->refs[k], c, &t->rng, c->batch, t->local_lo, t->local_lo + n, m->r, NULL);
    tr_net *nets[2] = {m->g, m->e};
    tr_zero_grads(nets, 2);
    cg_graph *g = t->gg;
    cg_graph_reset(g);
    cg_tensor *x = tr_input(g, m->x, n, size), *r = tr_input(g, m->r, n, size);
    cg_tensor *code = cg_net_forward(m->e->net, g, r, NULL, NULL);
    cg_tensor *g_code = c->e_detach ? detached(g, code) : code;
    cg_tensor *out = cg_net_forward(m->g->net, g, x, g_code, NULL);
    tr_sum sum = {g, NULL, l};
    cg_tensor *fo[MAX_FEATURES], *fr[MAX_FEATURES], *fx[MAX_FEATURES];
    int layers = out ? tr_features(t->features, g, out, fo, MAX_FEATURES) : 0;
    if (layers && tr_features(t->features, g, r, fr, MAX_FEATURES) == layers &&
        tr_features(t->features, g, x, fx, MAX_FEATURES) == layers) {
        tr_sum_add(&sum, "g_style", (float)c->style_w, style_loss(g, fo, fr, layers));
        tr_sum_add(&sum, "g_content", (float)c->content, cg_l1_loss(g, fo[layers - 1], fx[layers - 1], 0));
    }
    if (c->l1 > 0)
        tr_sum_add(&sum, "g_l1", (float)c->l1, paired_term(t, g));
    if (m->prototype)
        tr_sum_add(&sum, "g_source_code", (float)c->source_code, source_term(t, g));
    if (c->reconstruction > 0)
        tr_sum_add(&sum, "g_reconstruction", (float)c->reconstruction,
                   cg_l1_loss(g, cg_net_forward(m->g->net, g, r, g_code, NULL), r, 0));
    bool adversarial = m->has_d && !warmup;
    if (adversarial) {
        tr_disc_freeze(&m->d, true);
        tr_sum_add(&sum, "g_adv", (float)c->adv, tr_disc_loss(t, g, &m->d, out, true, true));
    }
    cg_status st = cg_graph_status(g, err);
    if (st == CG_OK && !sum.total)
        st = cg_fail(err, CG_ERR_INVALID, "reference mode: every loss weight is 0");
    if (st == CG_OK)
        st = cg_graph_backward(g, sum.total, err);
    if (adversarial)
        tr_disc_freeze(&m->d, false);
    if (st == CG_OK)
        memcpy(m->fake, out->data, (size_t)out->size * sizeof(float));
    /* E and G in one update: the style's gradient reaches E through G's norms. */
    if (st == CG_OK)
        st = tr_trainer_apply(t, nets, 2, err);
    if (st != CG_OK || !adversarial)
        return st;
    cg_graph *gd = t->gd;
    cg_graph_reset(gd);
    tr_zero_grads(m->d.scale, m->d.scales);
    tr_sum dsum = {gd, NULL, l};
    tr_sum_add(&dsum, "d_real", 0.5f, tr_disc_loss(t, gd, &m->d, tr_input(gd, m->r, n, size), true, false));
    tr_sum_add(&dsum, "d_fake", 0.5f, tr_disc_loss(t, gd, &m->d, tr_input(gd, m->fake, n, size), false, false));
    return tr_trainer_update(t, gd, dsum.total, m->d.scale, m->d.scales, err);
}

/* Codes of n references (3 x size x size each) from E, in inference. */
static cg_status encode(tr_trainer *t, cg_net *e, const float *r, int n, float *code, cg_error *err)
{
    cg_graph *g = cg_graph_new(false, err);
    if (!g)
        return err->code;
    cg_tensor *y = cg_net_forward(e, g, tr_input(g, r, n, t->cfg->size), NULL, NULL);
    cg_status st = cg_graph_status(g, err);
    if (st == CG_OK)
        memcpy(code, y->data, (size_t)y->size * sizeof(float));
    cg_graph_free(g);
    return st;
}

/* Columns: photo, reference, the photo in the reference's style. */
static int sample(tr_trainer *t, int n, float **cols, int max_cols, float *heat, bool *has_heat, cg_error *err)
{
    (void)heat;
    reference *m = t->mode;
    if (max_cols < 3)
        return 0;
    *has_heat = false;
    tr_val_batch(t, m->photos, n, cols[0], NULL);
    tr_val_batch(t, m->refs[0], n, cols[1], NULL);
    float *code = g_new(float, (size_t)n * cg_net_code_length(m->e->net));
    cg_status st = encode(t, m->e->net, cols[1], n, code, err);
    if (st == CG_OK)
        st = tr_generate(t, m->g->net, code, cols[0], n, cols[2], NULL, NULL, err);
    g_free(code);
    return st == CG_OK ? 3 : -1;
}

static char *styles_json(const tr_trainer *t)
{
    const cg_train_config *c = t->cfg;
    return tr_style_entry_json(c->name, c->display_name, c->description, "reference", false, true);
}

static void release(tr_trainer *t)
{
    reference *m = t->mode;
    if (m) {
        g_free(m->x);
        g_free(m->r);
        g_free(m->fake);
        g_free(m->paired);
        g_free(m->scratch);
        g_free(m->prototype);
        g_free(m->one_each);
    }
    g_free(m);
    t->mode = NULL;
}

const tr_mode_ops tr_reference_ops = {setup, step, sample, "G", styles_json, release, "E"};
