/* cg_train: sets a run up (run folder, data, networks, or the state of a
 * checkpoint), then steps: learning rates from the schedule, the mode's
 * step, losses averaged over ranks and checked for NaN/Inf, the log, sample
 * grids and checkpoints at their intervals, and a report to the caller. */
#include "train/train_private.h"
#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define CHECKPOINT_NAME "checkpoint.safetensors"
#define LOCK_NAME ".lock"

static const tr_mode_ops *mode_ops(int mode)
{
    switch (mode) {
    case TR_PIX2PIX: return &tr_pix2pix_ops;
    case TR_MULTISTYLE: return &tr_multistyle_ops;
    case TR_REFERENCE: return &tr_reference_ops;
    default: return &tr_cyclegan_ops;
    }
}

static void trainer_free(tr_trainer *t)
{
    if (t->ops && t->ops->release)
        t->ops->release(t);
    for (int i = 0; i < t->n_nets; i++) {
        cg_optim_free(t->nets[i].opt);
        cg_net_free(t->nets[i].net);
    }
    for (int i = 0; i < t->n_sources; i++)
        tr_source_clear(&t->sources[i]);
    for (int i = 0; i < t->n_datasets; i++)
        cg_dataset_free(t->datasets[i]);
    for (int i = 0; i < t->n_pools; i++)
        tr_pool_clear(&t->pools[i]);
    for (int i = 0; i < (int)G_N_ELEMENTS(t->buf); i++)
        g_free(t->buf[i]);
    cg_net_free(t->features);
    if (t->gg)
        cg_graph_free(t->gg);
    if (t->gd)
        cg_graph_free(t->gd);
    if (t->lock_fd >= 0)
        close(t->lock_fd);
    g_free(t->run_dir);
    g_free(t);
}

/* Takes the run folder for this process alone: an exclusive flock on its
 * lock file, which holds the owner's process id for the message another
 * training gets. The kernel drops the lock when the process ends, however it
 * ends, so a killed run leaves nothing to clean. */
static cg_status lock_run(tr_trainer *t, cg_error *err)
{
    char *path = g_build_filename(t->run_dir, LOCK_NAME, NULL);
    cg_status st = CG_OK;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        st = cg_fail(err, CG_ERR_IO, "%s: cannot create: %s", path, g_strerror(errno));
    } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char text[32] = "";
        ssize_t n = e == EWOULDBLOCK ? pread(fd, text, sizeof text - 1, 0) : -1;
        long pid = n > 0 ? strtol(text, NULL, 10) : 0;
        if (e != EWOULDBLOCK)
            st = cg_fail(err, CG_ERR_IO, "%s: cannot lock: %s", path, g_strerror(e));
        else if (pid > 0)
            st = cg_fail(err, CG_ERR_IO, "%s: run in use by process %ld", t->run_dir, pid);
        else
            st = cg_fail(err, CG_ERR_IO, "%s: run in use by another process", t->run_dir);
        close(fd);
    } else {
        char text[32];
        int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len)
            st = cg_fail(err, CG_ERR_IO, "%s: cannot write: %s", path, g_strerror(errno));
        if (st == CG_OK)
            t->lock_fd = fd;
        else
            close(fd);
    }
    g_free(path);
    return st;
}

static cg_status make_features(tr_trainer *t, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    if (c->features != TR_FEATURES_FIXED || (c->style_w <= 0 && c->content <= 0))
        return CG_OK;
    t->features = tr_fixed_features(err);
    return t->features ? CG_OK : err->code;
}

/* A run starts by writing its step-0 checkpoint, so a folder without one
 * holds nothing to resume: a run killed while setting up, which a fresh start
 * may replace. */
static bool holds_run(const char *dir)
{
    char *p = g_build_filename(dir, CHECKPOINT_NAME, NULL);
    bool found = g_file_test(p, G_FILE_TEST_EXISTS);
    g_free(p);
    return found;
}

static cg_status prepare_dir(tr_trainer *t, bool resume, cg_error *err)
{
    if (t->rank == 0) {
        if (!resume && g_mkdir_with_parents(t->run_dir, 0755) != 0)
            return cg_fail(err, CG_ERR_IO, "%s: cannot create the folder: %s", t->run_dir, g_strerror(errno));
        if (!g_file_test(t->run_dir, G_FILE_TEST_IS_DIR))
            return cg_fail(err, CG_ERR_IO, "%s: no %s to resume from", t->run_dir, CHECKPOINT_NAME);
        cg_status st = lock_run(t, err);
        if (st != CG_OK)
            return st;
        /* Temporaries of a run killed while writing; the lock says it is gone. */
        static const char *const written[] = {CHECKPOINT_NAME, "config.ini", "log.jsonl", "split.json",
                                              "data-report.json"};
        for (size_t i = 0; i < G_N_ELEMENTS(written); i++) {
            char *p = g_build_filename(t->run_dir, written[i], NULL);
            cg_atomic_file_clean(p);
            g_free(p);
        }
    }
    if (resume) {
        char *p = g_build_filename(t->run_dir, CHECKPOINT_NAME, NULL);
        bool ok = g_file_test(p, G_FILE_TEST_IS_REGULAR);
        g_free(p);
        return ok ? CG_OK
                  : cg_fail(err, CG_ERR_IO, "%s: no %s to resume from (start the run afresh)", t->run_dir,
                            CHECKPOINT_NAME);
    }
    if (holds_run(t->run_dir))
        return cg_fail(err, CG_ERR_INVALID, "%s already holds a run: resume it or choose another folder", t->run_dir);
    return CG_OK;
}

static bool report(const cg_train_options *o, const cg_train_report *r)
{
    return o->report ? o->report(o->report_data, r) : true;
}

static void notice(tr_trainer *t, const cg_train_options *o, const char *text)
{
    if (t->rank != 0)
        return;
    cg_train_report r = {.step = t->step, .steps = t->cfg->steps, .notice = text};
    report(o, &r);
}

static void data_notices(tr_trainer *t, const cg_train_options *o)
{
    for (int k = 0; k < t->n_sources; k++) {
        const tr_source *s = &t->sources[k];
        int skipped = cg_dataset_skipped_count(s->data);
        char *line = g_strdup_printf("%s: %d images (%d train, %d val, %d test) from %s", s->label,
                                     cg_dataset_count(s->data), s->n_train, s->n_val, s->n_test, s->data->dir);
        notice(t, o, line);
        g_free(line);
        if (skipped) {
            line = g_strdup_printf("%s: %d files skipped (listed in data-report.json), first: %s: %s", s->label,
                                   skipped, cg_dataset_skipped_path(s->data, 0), cg_dataset_skipped_reason(s->data, 0));
            notice(t, o, line);
            g_free(line);
        }
    }
}

static cg_status broadcast_weights(tr_trainer *t, cg_error *err)
{
    cg_status st = CG_OK;
    for (int i = 0; i < t->n_nets && st == CG_OK; i++) {
        int64_t n = 0;
        float *v = cg_params_values(cg_net_params(t->nets[i].net), &n);
        st = tr_dist_broadcast(v, n, err);
        for (int k = 0; k < cg_optim_state_count(t->nets[i].opt) && st == CG_OK; k++) {
            float *s = cg_optim_state(t->nets[i].opt, k, &n);
            st = tr_dist_broadcast(s, n, err);
        }
    }
    return st;
}

static cg_status save_checkpoint(tr_trainer *t, cg_error *err)
{
    cg_status st = CG_OK;
    if (t->rank == 0) {
        char *path = g_build_filename(t->run_dir, CHECKPOINT_NAME, NULL);
        st = tr_checkpoint_save(t, path, err);
        if (st == CG_OK && t->cfg->keep_checkpoints) {
            /* A hard link keeps this step's file when the next one replaces the name. */
            char *dir = g_build_filename(t->run_dir, "checkpoints", NULL);
            char *name = g_strdup_printf("step-%07lld.safetensors", (long long)t->step);
            char *keep = g_build_filename(dir, name, NULL);
            g_mkdir_with_parents(dir, 0755);
            g_unlink(keep);
            if (link(path, keep) != 0)
                st = cg_fail(err, CG_ERR_IO, "%s: %s", keep, g_strerror(errno));
            g_free(dir);
            g_free(name);
            g_free(keep);
        }
        g_free(path);
    }
    return tr_dist_agree(st, err);
}

/* Rank 0's decision to stop, shared with every rank. */
static bool everyone_continues(tr_trainer *t, bool mine)
{
    if (t->ranks == 1)
        return mine;
    double stop = t->rank == 0 && !mine ? 1 : 0;
    tr_dist_allreduce_sum_double(&stop, 1, NULL);
    return stop == 0;
}

static cg_status setup(tr_trainer *t, const cg_train_options *o, cg_error *err)
{
    const cg_train_config *c = t->cfg;
    if (c->batch % t->ranks != 0)
        return cg_fail(err, CG_ERR_INVALID, "[run] batch %d must be a multiple of the %d ranks", c->batch, t->ranks);
    t->local_batch = c->batch / t->ranks;
    t->local_lo = t->rank * t->local_batch;
    cg_status st = prepare_dir(t, o->resume, err);
    st = tr_dist_agree(st, err);
    if (st != CG_OK)
        return st;
    if (!(t->gg = cg_graph_new(true, err)) || !(t->gd = cg_graph_new(true, err)))
        return err->code;
    if ((st = t->ops->setup(t, err)) != CG_OK || (st = make_features(t, err)) != CG_OK)
        return st;
    cg_rng_seed_stream(&t->rng, (uint64_t)c->seed, 7);
    if (o->resume) {
        char *path = g_build_filename(t->run_dir, CHECKPOINT_NAME, NULL);
        st = tr_checkpoint_load(t, path, err);
        g_free(path);
    }
    if ((st = tr_dist_agree(st, err)) != CG_OK)
        return st;
    if (t->ranks > 1 && (st = broadcast_weights(t, err)) != CG_OK)
        return st;
    if (t->rank == 0 && !o->resume) {
        char *path = g_build_filename(t->run_dir, "config.ini", NULL);
        st = tr_write_text(path, c->canonical, err);
        g_free(path);
        if (st == CG_OK)
            st = tr_write_data_files(t, err);
    }
    return tr_dist_agree(st, err);
}

cg_status cg_train(const cg_train_config *c, const cg_train_options *opts, cg_error *err)
{
    cg_train_options o = opts ? *opts : (cg_train_options){0};
    tr_trainer *t = g_new0(tr_trainer, 1);
    t->cfg = c;
    t->ops = mode_ops(c->mode);
    t->run_dir = g_strdup(o.run_dir ? o.run_dir : c->run_dir);
    t->lock_fd = -1;
    t->rank = cg_dist_rank();
    t->ranks = cg_dist_size();
    tr_log *log = NULL;
    cg_status st = setup(t, &o, err);
    if (st == CG_OK && t->rank == 0 && !(log = tr_log_open(t->run_dir, o.resume ? t->step : -1, err)))
        st = err->code;
    if ((st = tr_dist_agree(st, err)) != CG_OK)
        goto out;
    data_notices(t, &o);
    if (t->ranks > 1) {
        char *line = g_strdup_printf("data-parallel over %d ranks, %d images each per step", t->ranks, t->local_batch);
        notice(t, &o, line);
        g_free(line);
    }
    if (o.resume) {
        char *line = g_strdup_printf("resuming at step %lld of %lld", (long long)t->step, (long long)c->steps);
        notice(t, &o, line);
        g_free(line);
    }

    /* Step 0 saved before any step: every run can be resumed, and the NaN
     * stop always has a checkpoint to point to. */
    if (!o.resume && (st = save_checkpoint(t, err)) != CG_OK)
        goto out;

    const cg_lr_schedule sg = {(float)c->lr_g, c->constant_steps, c->decay_steps};
    const cg_lr_schedule sd = {(float)c->lr_d, c->constant_steps, c->decay_steps};
    tr_losses acc = {0};
    int acc_steps = 0;
    double acc_ms = 0, session_s = 0;
    int64_t done = 0, saved_step = t->step;
    bool go_on = true;
    while (t->step < c->steps && go_on && !(o.stop_after > 0 && done >= o.stop_after)) {
        float lr_g = cg_lr_at(&sg, t->step), lr_d = cg_lr_at(&sd, t->step);
        for (int i = 0; i < t->n_nets; i++)
            cg_optim_set_lr(t->nets[i].opt, t->nets[i].disc ? lr_d : (float)(lr_g * t->nets[i].lr_factor));
        gint64 t0 = g_get_monotonic_time();
        tr_losses l = {0};
        st = t->ops->step(t, t->step < c->warmup_steps, &l, err);
        if ((st = tr_dist_agree(st, err)) != CG_OK)
            goto out;
        if (t->ranks > 1) {
            if ((st = tr_dist_allreduce_sum_double(l.value, l.n, err)) != CG_OK)
                goto out;
            for (int i = 0; i < l.n; i++)
                l.value[i] /= t->ranks;
        }
        t->step++;
        done++;
        if (c->debug_nan_step == t->step && l.n > 0)
            l.value[0] = NAN; /* [debug] nan_at_step: proves the stop works */
        for (int i = 0; i < l.n; i++)
            if (!isfinite(l.value[i])) {
                st = cg_fail(err, CG_ERR_NUMERIC,
                             "step %lld: the loss %s is %s; training stopped. The last good checkpoint (step %lld) "
                             "is kept in %s/%s",
                             (long long)t->step, l.name[i], isnan(l.value[i]) ? "NaN" : "infinite",
                             (long long)saved_step, t->run_dir, CHECKPOINT_NAME);
                goto out;
            }
        double ms = (g_get_monotonic_time() - t0) / 1000.0;
        session_s += ms / 1000.0;
        for (int i = 0; i < l.n; i++)
            tr_losses_put(&acc, l.name[i], l.value[i]);
        acc_steps++;
        acc_ms += ms;
        if (log && (t->step % c->log_every == 0 || t->step == c->steps)) {
            for (int i = 0; i < acc.n; i++)
                acc.value[i] /= acc_steps;
            st = tr_log_write(log, t->step, &acc, lr_g, lr_d, acc_ms / acc_steps, err);
            memset(&acc, 0, sizeof acc);
            acc_steps = 0;
            acc_ms = 0;
        }
        if ((st = tr_dist_agree(st, err)) != CG_OK)
            goto out;
        bool mine = true;
        if (t->rank == 0) {
            cg_train_report r = {.step = t->step, .steps = c->steps, .step_seconds = ms / 1000.0,
                                 .seconds_per_step = session_s / done, .lr_g = lr_g, .lr_d = lr_d, .n_losses = l.n};
            for (int i = 0; i < l.n; i++) {
                r.loss_name[i] = l.name[i];
                r.loss[i] = (float)l.value[i];
            }
            mine = report(&o, &r);
        }
        go_on = everyone_continues(t, mine);
        if (c->sample_every > 0 && (t->step % c->sample_every == 0 || t->step == c->steps) && t->rank == 0) {
            if ((st = tr_write_samples(t, err)) != CG_OK)
                goto out;
        }
        if (c->checkpoint_every > 0 && t->step % c->checkpoint_every == 0) {
            if ((st = save_checkpoint(t, err)) != CG_OK)
                goto numeric;
            saved_step = t->step;
        }
    }
    if (saved_step != t->step && (st = save_checkpoint(t, err)) != CG_OK)
        goto numeric;
    if (!go_on)
        st = cg_fail(err, CG_ERR_CANCELLED, "stopped at step %lld; resume to continue", (long long)t->step);
    goto out;
numeric:
    /* The writer refuses non-finite weights: the diverged state is not saved. */
    if (st == CG_ERR_NUMERIC)
        cg_error_prefix(err, "step %lld: weights are no longer finite; training stopped, the last good checkpoint "
                             "(step %lld) is kept",
                        (long long)t->step, (long long)saved_step);
out:
    tr_log_close(log);
    trainer_free(t);
    return st;
}
