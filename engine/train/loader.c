/* Sources of training samples: a dataset's training items visited in a new
 * seeded order every epoch, and batches drawn from them. An epoch's order is
 * derived from (seed, source, epoch) alone, so (epoch, position) restores a
 * loader exactly; the augmentation draws come from the trainer's generator,
 * which checkpoints save. */
#include "train/train_private.h"

#include <string.h>

cg_status tr_source_init(tr_source *s, const char *label, cg_dataset *d, const int *assign, uint64_t stream,
                         cg_error *err)
{
    memset(s, 0, sizeof *s);
    g_strlcpy(s->label, label, sizeof s->label);
    s->data = d;
    s->stream = stream;
    s->assign = g_new(int, d->n);
    s->train = g_new(int, d->n);
    s->val = g_new(int, d->n);
    s->test = g_new(int, d->n);
    s->perm = g_new(int, d->n);
    memcpy(s->assign, assign, (size_t)d->n * sizeof *assign);
    for (int i = 0; i < d->n; i++) {
        if (assign[i] == 0)
            s->train[s->n_train++] = i;
        else if (assign[i] == 1)
            s->val[s->n_val++] = i;
        else
            s->test[s->n_test++] = i;
    }
    if (s->n_train == 0)
        return cg_fail(err, CG_ERR_INVALID, "%s: no training images after the split", label);
    return CG_OK;
}

void tr_source_clear(tr_source *s)
{
    g_free(s->assign);
    g_free(s->train);
    g_free(s->val);
    g_free(s->test);
    g_free(s->perm);
    memset(s, 0, sizeof *s);
}

void tr_source_seek(tr_source *s, uint64_t seed, int64_t epoch, int pos)
{
    cg_rng r;
    cg_rng_seed_stream(&r, seed, s->stream * 0x100000000ull + (uint64_t)epoch);
    memcpy(s->perm, s->train, (size_t)s->n_train * sizeof *s->perm);
    for (int i = s->n_train - 1; i > 0; i--) {
        int j = (int)cg_rng_below(&r, (uint64_t)i + 1);
        int t = s->perm[i];
        s->perm[i] = s->perm[j];
        s->perm[j] = t;
    }
    s->epoch = epoch;
    s->pos = pos;
}

int tr_source_next(tr_source *s, uint64_t seed)
{
    if (s->pos >= s->n_train)
        tr_source_seek(s, seed, s->epoch + 1, 0);
    return s->perm[s->pos++];
}

void tr_source_batch(tr_source *s, const cg_train_config *c, cg_rng *rng, int n, int lo, int hi, float *x,
                     float *aux)
{
    const size_t image = (size_t)3 * c->size * c->size;
    for (int i = 0; i < n; i++) {
        /* Every rank draws the whole batch so the generators stay in step;
         * each renders only its own shard. */
        int item = tr_source_next(s, (uint64_t)c->seed);
        const tr_item *it = &s->data->items[item];
        tr_aug a;
        tr_aug_draw_detailed(c, rng, &it->img, &a);
        if (i < lo || i >= hi)
            continue;
        tr_aug_apply(&it->img, &a, c->size, x + (size_t)(i - lo) * image);
        if (aux && it->aux.rgb)
            tr_aug_apply(&it->aux, &a, c->size, aux + (size_t)(i - lo) * image);
    }
}
