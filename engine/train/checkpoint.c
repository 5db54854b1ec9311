/* Checkpoints: the whole training state in one safetensors file, written
 * atomically (the writer's temporary file, fsync and rename; it refuses NaN
 * and Inf, so a diverged run never replaces its last good checkpoint).
 *
 * Tensors: every network's parameters and buffers ("G/first.conv.weight"),
 * its Adam moments as flat blocks ("G/adam.m", "G/adam.v"), and the image
 * pools ("pool.0"). Metadata: the step, the config hash, each network's arch
 * and optimizer step count, the augmentation generator's state, each pool's
 * generator and fill, and each data source's epoch and position. With all of
 * it restored, a resumed run computes exactly what an unbroken run would. */
#include "train/train_private.h"

#include "cg_config.h"

#include <stdlib.h>
#include <string.h>

#define CHECKPOINT_VERSION "1"

typedef struct meta_list {
    cg_safetensors_meta *m;
    GPtrArray *strings;
    int n, cap;
} meta_list;

static void meta_put(meta_list *l, const char *key, char *value)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->m = g_renew(cg_safetensors_meta, l->m, l->cap);
    }
    char *k = g_strdup(key);
    g_ptr_array_add(l->strings, k);
    g_ptr_array_add(l->strings, value);
    l->m[l->n++] = (cg_safetensors_meta){k, value};
}

/* The data a run trains on: the manifests of its datasets, in order. */
static char *dataset_manifest(const tr_trainer *t)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    for (int i = 0; i < t->n_datasets; i++)
        g_checksum_update(sum, (const guchar *)cg_dataset_manifest_hash(t->datasets[i]), -1);
    char *s = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    return s;
}

cg_status tr_checkpoint_save(tr_trainer *t, const char *path, cg_error *err)
{
    int cap = 8;
    for (int i = 0; i < t->n_nets; i++)
        cap += cg_params_count(cg_net_params(t->nets[i].net)) + cg_optim_state_count(t->nets[i].opt);
    cg_safetensors_entry *e = g_new0(cg_safetensors_entry, cap);
    cg_tensor *blocks = g_new0(cg_tensor, cap);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    meta_list meta = {NULL, g_ptr_array_new_with_free_func(g_free), 0, 0};
    int n = 0, nb = 0;
    char rng[CG_RNG_STRING_LEN];
    for (int i = 0; i < t->n_nets; i++) {
        tr_net *net = &t->nets[i];
        cg_params *p = cg_net_params(net->net);
        for (int k = 0; k < cg_params_count(p); k++) {
            char *name = g_strdup_printf("%s/%s", net->name, cg_params_name(p, k));
            g_ptr_array_add(names, name);
            e[n++] = (cg_safetensors_entry){name, cg_params_get(p, k)};
        }
        for (int k = 0; k < cg_optim_state_count(net->opt); k++) {
            int64_t len = 0;
            cg_tensor *b = &blocks[nb++];
            b->data = cg_optim_state(net->opt, k, &len);
            b->ndim = 1;
            b->dim[0] = b->size = len;
            b->dim[1] = b->dim[2] = b->dim[3] = 1;
            char *name = g_strdup_printf("%s/%s", net->name, cg_optim_state_name(net->opt, k));
            g_ptr_array_add(names, name);
            if (len > 0)
                e[n++] = (cg_safetensors_entry){name, b};
        }
        char *key = g_strdup_printf("%s.arch", net->name);
        meta_put(&meta, key, g_strdup(cg_net_arch_json(net->net)));
        g_free(key);
        key = g_strdup_printf("%s.optim_steps", net->name);
        meta_put(&meta, key, g_strdup_printf("%lld", (long long)cg_optim_steps(net->opt)));
        g_free(key);
    }
    for (int k = 0; k < t->n_pools; k++) {
        tr_pool *pool = &t->pools[k];
        char key[64];
        g_snprintf(key, sizeof key, "pool.%d.count", k);
        meta_put(&meta, key, g_strdup_printf("%d", pool->count));
        g_snprintf(key, sizeof key, "pool.%d.rng", k);
        meta_put(&meta, key, g_strdup(cg_rng_to_string(&pool->rng, rng)));
        if (pool->count > 0) {
            cg_tensor *b = &blocks[nb++];
            const int64_t dim[4] = {pool->count, 3, t->cfg->size, t->cfg->size};
            cg_tensor_set_shape(b, 4, dim, NULL);
            b->data = pool->data;
            char *name = g_strdup_printf("pool.%d", k);
            g_ptr_array_add(names, name);
            e[n++] = (cg_safetensors_entry){name, b};
        }
    }
    for (int k = 0; k < t->n_sources; k++) {
        char key[128];
        g_snprintf(key, sizeof key, "source.%s.epoch", t->sources[k].label);
        meta_put(&meta, key, g_strdup_printf("%lld", (long long)t->sources[k].epoch));
        g_snprintf(key, sizeof key, "source.%s.pos", t->sources[k].label);
        meta_put(&meta, key, g_strdup_printf("%d", t->sources[k].pos));
    }
    meta_put(&meta, "comicgan.checkpoint", g_strdup(CHECKPOINT_VERSION));
    meta_put(&meta, "step", g_strdup_printf("%lld", (long long)t->step));
    meta_put(&meta, "steps", g_strdup_printf("%lld", (long long)t->cfg->steps));
    meta_put(&meta, "mode", g_strdup(cg_train_config_mode(t->cfg)));
    meta_put(&meta, "config_hash", g_strdup(t->cfg->hash));
    meta_put(&meta, "config", g_strdup(t->cfg->canonical));
    meta_put(&meta, "rng", g_strdup(cg_rng_to_string(&t->rng, rng)));
    meta_put(&meta, "export_net", g_strdup(t->ops->export_net));
    if (t->ops->export_encoder)
        meta_put(&meta, "export_encoder", g_strdup(t->ops->export_encoder));
    meta_put(&meta, "styles", t->ops->styles_json(t));
    meta_put(&meta, "dataset_manifest", dataset_manifest(t));
    meta_put(&meta, "engine_version", g_strdup(CG_VERSION));
    cg_status st = cg_safetensors_write(path, e, n, meta.m, meta.n, err);
    g_free(meta.m);
    g_ptr_array_free(meta.strings, TRUE);
    g_ptr_array_free(names, TRUE);
    g_free(blocks);
    g_free(e);
    return st;
}

static cg_status meta_int(const cg_safetensors *f, const char *key, int64_t lo, int64_t hi, int64_t *out,
                          cg_error *err)
{
    const char *v = cg_safetensors_metadata(f, key);
    char *end = NULL;
    gint64 x = v ? g_ascii_strtoll(v, &end, 10) : 0;
    if (!v || !v[0] || *end || x < lo || x > hi)
        return cg_fail(err, CG_ERR_FORMAT, "checkpoint: \"%s\" is missing or out of range", key);
    *out = x;
    return CG_OK;
}

static cg_status copy_tensor(const cg_safetensors *f, const char *name, float *dst, int64_t size, cg_error *err)
{
    const cg_safetensors_tensor *s = cg_safetensors_find(f, name);
    if (!s)
        return cg_fail(err, CG_ERR_FORMAT, "checkpoint: no tensor \"%s\"", name);
    if (s->size != size)
        return cg_fail(err, CG_ERR_FORMAT, "checkpoint: \"%s\" has %lld values, %lld expected", name,
                       (long long)s->size, (long long)size);
    return cg_safetensors_read(f, s, dst, err);
}

static cg_status load_net(const cg_safetensors *f, tr_net *net, cg_error *err)
{
    char key[96];
    g_snprintf(key, sizeof key, "%s.arch", net->name);
    const char *arch = cg_safetensors_metadata(f, key);
    if (!arch || strcmp(arch, cg_net_arch_json(net->net)) != 0)
        return cg_fail(err, CG_ERR_FORMAT, "checkpoint: network %s has another architecture", net->name);
    cg_params *p = cg_net_params(net->net);
    cg_status st = CG_OK;
    for (int k = 0; k < cg_params_count(p) && st == CG_OK; k++) {
        char *name = g_strdup_printf("%s/%s", net->name, cg_params_name(p, k));
        cg_tensor *v = cg_params_get(p, k);
        st = copy_tensor(f, name, v->data, v->size, err);
        g_free(name);
    }
    for (int k = 0; k < cg_optim_state_count(net->opt) && st == CG_OK; k++) {
        int64_t len = 0;
        float *block = cg_optim_state(net->opt, k, &len);
        char *name = g_strdup_printf("%s/%s", net->name, cg_optim_state_name(net->opt, k));
        if (len > 0)
            st = copy_tensor(f, name, block, len, err);
        g_free(name);
    }
    int64_t steps = 0;
    g_snprintf(key, sizeof key, "%s.optim_steps", net->name);
    if (st == CG_OK && (st = meta_int(f, key, 0, INT64_MAX, &steps, err)) == CG_OK)
        cg_optim_set_steps(net->opt, steps);
    return st;
}

cg_status tr_checkpoint_load(tr_trainer *t, const char *path, cg_error *err)
{
    /* Opened, not loaded: each tensor is read once its size has been checked. */
    cg_safetensors *f = cg_safetensors_open(path, err);
    if (!f)
        return err->code;
    cg_status st = CG_OK;
    const char *version = cg_safetensors_metadata(f, "comicgan.checkpoint");
    const char *hash = cg_safetensors_metadata(f, "config_hash");
    int64_t step = 0;
    if (!version || strcmp(version, CHECKPOINT_VERSION) != 0)
        st = cg_fail(err, CG_ERR_FORMAT, "%s: not a comicgan checkpoint of version %s", path, CHECKPOINT_VERSION);
    else if (!hash || strcmp(hash, t->cfg->hash) != 0)
        st = cg_fail(err, CG_ERR_INVALID,
                     "%s: written with another configuration (config hash %.12s, this one %.12s); resume with the "
                     "run's own config.ini",
                     path, hash ? hash : "?", t->cfg->hash);
    else
        st = meta_int(f, "step", 0, t->cfg->steps, &step, err);
    for (int i = 0; i < t->n_nets && st == CG_OK; i++)
        st = load_net(f, &t->nets[i], err);
    const char *rng = cg_safetensors_metadata(f, "rng");
    if (st == CG_OK)
        st = rng ? cg_rng_from_string(&t->rng, rng, err) : cg_fail(err, CG_ERR_FORMAT, "checkpoint: no \"rng\"");
    for (int k = 0; k < t->n_pools && st == CG_OK; k++) {
        tr_pool *pool = &t->pools[k];
        char key[64];
        int64_t count = 0;
        g_snprintf(key, sizeof key, "pool.%d.count", k);
        if ((st = meta_int(f, key, 0, pool->cap, &count, err)) != CG_OK)
            break;
        g_snprintf(key, sizeof key, "pool.%d.rng", k);
        const char *prng = cg_safetensors_metadata(f, key);
        st = prng ? cg_rng_from_string(&pool->rng, prng, err) : cg_fail(err, CG_ERR_FORMAT, "checkpoint: no \"%s\"", key);
        pool->count = (int)count;
        g_snprintf(key, sizeof key, "pool.%d", k);
        if (st == CG_OK && count > 0)
            st = copy_tensor(f, key, pool->data, count * pool->image_floats, err);
    }
    for (int k = 0; k < t->n_sources && st == CG_OK; k++) {
        tr_source *s = &t->sources[k];
        char key[128];
        int64_t epoch = 0, pos = 0;
        g_snprintf(key, sizeof key, "source.%s.epoch", s->label);
        if ((st = meta_int(f, key, 0, INT64_MAX, &epoch, err)) != CG_OK)
            break;
        g_snprintf(key, sizeof key, "source.%s.pos", s->label);
        if ((st = meta_int(f, key, 0, s->n_train, &pos, err)) == CG_OK)
            tr_source_seek(s, (uint64_t)t->cfg->seed, epoch, (int)pos);
    }
    if (st == CG_OK)
        t->step = step;
    cg_safetensors_free(f);
    return st;
}
