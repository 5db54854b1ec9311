/* Adam(W) and SGD over a parameter set's gradient block, the linear-decay
 * learning-rate schedule, and global-norm gradient clipping. */
#include "comicgan/optim.h"
#include "core/threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CHUNK 16384

typedef enum { OPT_ADAM, OPT_SGD } opt_kind;

struct cg_optim {
    opt_kind kind;
    cg_params *params;
    int64_t n;          /* floats in the gradient block */
    float *state[2];    /* Adam m, v; SGD momentum */
    int n_state;
    float lr;
    int64_t steps;
    cg_adam_options adam;
    cg_sgd_options sgd;
};

cg_adam_options cg_adam_defaults(void)
{
    return (cg_adam_options){.lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .eps = 1e-8f};
}

static cg_optim *optim_new(cg_params *p, opt_kind kind, int n_state, float lr, cg_error *err)
{
    if (!p || !cg_params_is_finalized(p)) {
        cg_fail(err, CG_ERR_INVALID, "an optimizer needs a finalized parameter set");
        return NULL;
    }
    cg_optim *o = calloc(1, sizeof *o);
    if (!o) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for an optimizer");
        return NULL;
    }
    o->kind = kind;
    o->params = p;
    o->lr = lr;
    cg_params_grads(p, &o->n);
    for (int k = 0; k < n_state; k++) {
        o->state[k] = cg_aligned_alloc((size_t)o->n * sizeof(float));
        if (!o->state[k]) {
            cg_optim_free(o);
            cg_fail(err, CG_ERR_NOMEM, "out of memory for %lld floats of optimizer state", (long long)o->n);
            return NULL;
        }
        memset(o->state[k], 0, (size_t)o->n * sizeof(float));
        o->n_state++;
    }
    return o;
}

static bool finite_nonneg(float x)
{
    return isfinite(x) && x >= 0;
}

cg_optim *cg_optim_adam(cg_params *p, const cg_adam_options *opt, cg_error *err)
{
    if (!opt) {
        cg_fail(err, CG_ERR_INVALID, "Adam needs options (see cg_adam_defaults)");
        return NULL;
    }
    if (!finite_nonneg(opt->lr) || !(opt->beta1 >= 0 && opt->beta1 < 1) || !(opt->beta2 >= 0 && opt->beta2 < 1) ||
        !(isfinite(opt->eps) && opt->eps > 0) || !finite_nonneg(opt->weight_decay) || !finite_nonneg(opt->l2)) {
        cg_fail(err, CG_ERR_INVALID,
                "Adam options out of range: lr %g, beta1 %g, beta2 %g, eps %g, weight_decay %g, l2 %g "
                "(need lr, weight_decay, l2 >= 0, betas in [0, 1), eps > 0)",
                (double)opt->lr, (double)opt->beta1, (double)opt->beta2, (double)opt->eps,
                (double)opt->weight_decay, (double)opt->l2);
        return NULL;
    }
    cg_optim *o = optim_new(p, OPT_ADAM, 2, opt->lr, err);
    if (o)
        o->adam = *opt;
    return o;
}

cg_optim *cg_optim_sgd(cg_params *p, const cg_sgd_options *opt, cg_error *err)
{
    if (!opt) {
        cg_fail(err, CG_ERR_INVALID, "SGD needs options");
        return NULL;
    }
    if (!finite_nonneg(opt->lr) || !finite_nonneg(opt->momentum) || !finite_nonneg(opt->weight_decay) ||
        (opt->nesterov && opt->momentum <= 0)) {
        cg_fail(err, CG_ERR_INVALID,
                "SGD options out of range: lr %g, momentum %g, weight_decay %g, nesterov %d "
                "(need finite values >= 0; Nesterov needs momentum > 0)",
                (double)opt->lr, (double)opt->momentum, (double)opt->weight_decay, (int)opt->nesterov);
        return NULL;
    }
    cg_optim *o = optim_new(p, OPT_SGD, opt->momentum > 0 ? 1 : 0, opt->lr, err);
    if (o)
        o->sgd = *opt;
    return o;
}

void cg_optim_free(cg_optim *o)
{
    if (!o)
        return;
    for (int k = 0; k < 2; k++)
        cg_aligned_free(o->state[k]);
    free(o);
}

void cg_optim_set_lr(cg_optim *o, float lr)
{
    o->lr = lr;
}

float cg_optim_lr(const cg_optim *o)
{
    return o->lr;
}

int64_t cg_optim_steps(const cg_optim *o)
{
    return o->steps;
}

void cg_optim_set_steps(cg_optim *o, int64_t steps)
{
    o->steps = steps < 0 ? 0 : steps;
}

int cg_optim_state_count(const cg_optim *o)
{
    return o->n_state;
}

float *cg_optim_state(const cg_optim *o, int k, int64_t *n)
{
    bool ok = k >= 0 && k < o->n_state;
    if (n)
        *n = ok ? o->n : 0;
    return ok ? o->state[k] : NULL;
}

const char *cg_optim_state_name(const cg_optim *o, int k)
{
    if (k < 0 || k >= o->n_state)
        return NULL;
    if (o->kind == OPT_ADAM)
        return k == 0 ? "adam.m" : "adam.v";
    return "sgd.momentum";
}

/* ---- the update kernels ------------------------------------------------- */

typedef struct step_job {
    const cg_optim *o;
    float *w, *g, *s0, *s1;  /* already offset to the current range's start */
    int64_t base;
    /* Adam */
    float b1, b2, one_b1, one_b2, step_size, inv_sqrt_bc2, eps, keep, l2;
    /* SGD */
    float lr, momentum, wd;
    bool first, nesterov;
} step_job;

static void adam_range(void *ctx, int64_t begin, int64_t end)
{
    const step_job *j = ctx;
    float *w = j->w, *g = j->g, *m = j->s0, *v = j->s1;
    for (int64_t i = begin; i < end; i++) {
        float gi = g[i] + j->l2 * w[i];
        float mi = j->b1 * m[i] + j->one_b1 * gi;
        float vi = j->b2 * v[i] + j->one_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) * j->inv_sqrt_bc2 + j->eps;
        w[i] = w[i] * j->keep - j->step_size * mi / denom;
    }
}

static void sgd_range(void *ctx, int64_t begin, int64_t end)
{
    const step_job *j = ctx;
    float *w = j->w, *g = j->g, *b = j->s0;
    for (int64_t i = begin; i < end; i++) {
        float gi = g[i] + j->wd * w[i];
        float d = gi;
        if (b) {
            float bi = j->first ? gi : j->momentum * b[i] + gi;
            b[i] = bi;
            d = j->nesterov ? gi + j->momentum * bi : bi;
        }
        w[i] -= j->lr * d;
    }
}

static void step_span(void *ctx, int64_t begin, int64_t end)
{
    step_job j = *(const step_job *)ctx;
    j.w += begin;
    j.g += begin;
    if (j.s0)
        j.s0 += begin;
    if (j.s1)
        j.s1 += begin;
    cg_parallel_range(end - begin, MIN_CHUNK, j.o->kind == OPT_ADAM ? adam_range : sgd_range, &j);
}

cg_status cg_optim_step(cg_optim *o, cg_error *err)
{
    if (!isfinite(o->lr))
        return cg_fail(err, CG_ERR_INVALID, "learning rate %g is not finite", (double)o->lr);
    step_job j = {.o = o};
    j.w = cg_params_values(o->params, NULL);
    j.g = cg_params_grads(o->params, NULL);
    j.s0 = o->state[0];
    j.s1 = o->state[1];
    if (o->n == 0) {
        o->steps++;
        return CG_OK;
    }
    if (o->kind == OPT_ADAM) {
        const cg_adam_options *a = &o->adam;
        double t = (double)(o->steps + 1);
        double bc1 = 1.0 - pow((double)a->beta1, t);
        double bc2 = 1.0 - pow((double)a->beta2, t);
        j.b1 = a->beta1;
        j.b2 = a->beta2;
        j.one_b1 = 1.0f - a->beta1;
        j.one_b2 = 1.0f - a->beta2;
        j.step_size = (float)((double)o->lr / bc1);
        j.inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
        j.eps = a->eps;
        j.keep = (float)(1.0 - (double)o->lr * (double)a->weight_decay);
        j.l2 = a->l2;
    } else {
        j.lr = o->lr;
        j.momentum = o->sgd.momentum;
        j.wd = o->sgd.weight_decay;
        j.first = o->steps == 0;
        j.nesterov = o->sgd.nesterov;
    }
    cg_params_foreach_trained_range(o->params, step_span, &j);
    o->steps++;
    return CG_OK;
}

/* ---- schedule ----------------------------------------------------------- */

float cg_lr_at(const cg_lr_schedule *s, int64_t step)
{
    int64_t n = s->constant_steps > 0 ? s->constant_steps : 0;
    int64_t m = s->decay_steps > 0 ? s->decay_steps : 0;
    if (step < 0)
        step = 0;
    if (step < n)
        return s->base_lr;
    if (step - n >= m)
        return 0.0f;
    return (float)((double)s->base_lr * (1.0 - (double)(step - n) / (double)m));
}

/* ---- clipping ----------------------------------------------------------- */

#define NORM_TASKS 64
#define NORM_MIN_TASK 4096

typedef struct norm_job {
    float *g;
    int64_t n;
    int tasks;
    double partial[NORM_TASKS];
    float scale;
} norm_job;

/* Task boundaries depend only on n, never on the thread count. */
static void task_bounds(const norm_job *j, int task, int64_t *begin, int64_t *end)
{
    *begin = j->n * task / j->tasks;
    *end = j->n * (task + 1) / j->tasks;
}

static void norm_task(void *ctx, int task, int worker)
{
    norm_job *j = ctx;
    int64_t b, e;
    task_bounds(j, task, &b, &e);
    double sum = 0;
    for (int64_t i = b; i < e; i++)
        sum += (double)j->g[i] * (double)j->g[i];
    j->partial[task] = sum;
}

static void scale_task(void *ctx, int task, int worker)
{
    norm_job *j = ctx;
    int64_t b, e;
    task_bounds(j, task, &b, &e);
    for (int64_t i = b; i < e; i++)
        j->g[i] *= j->scale;
}

typedef struct clip_ctx {
    float *grads;
    double sum;
    float scale;
    bool scaling;
} clip_ctx;

static void clip_span(void *ctx, int64_t begin, int64_t end)
{
    clip_ctx *c = ctx;
    norm_job j = {.g = c->grads + begin, .n = end - begin, .scale = c->scale};
    int64_t tasks = (j.n + NORM_MIN_TASK - 1) / NORM_MIN_TASK;
    j.tasks = (int)(tasks < 1 ? 1 : tasks > NORM_TASKS ? NORM_TASKS : tasks);
    if (c->scaling) {
        cg_parallel_for(j.tasks, scale_task, &j);
        return;
    }
    cg_parallel_for(j.tasks, norm_task, &j);
    for (int t = 0; t < j.tasks; t++)
        c->sum += j.partial[t];
}

cg_status cg_clip_grad_norm(cg_params *p, float max_norm, double *norm, cg_error *err)
{
    if (!p || !cg_params_is_finalized(p))
        return cg_fail(err, CG_ERR_INVALID, "gradient clipping needs a finalized parameter set");
    if (!isfinite(max_norm))
        return cg_fail(err, CG_ERR_INVALID, "max_norm %g is not finite", (double)max_norm);
    clip_ctx c = {.grads = cg_params_grads(p, NULL)};
    if (c.grads)
        cg_params_foreach_trained_range(p, clip_span, &c);
    double total = sqrt(c.sum);
    if (norm)
        *norm = total;
    if (!isfinite(total))
        return cg_fail(err, CG_ERR_NUMERIC, "the gradient norm is not finite (%g)", total);
    if (max_norm > 0 && total > max_norm) {
        c.scale = (float)((double)max_norm / (total + 1e-6));
        c.scaling = true;
        cg_params_foreach_trained_range(p, clip_span, &c);
    }
    return CG_OK;
}
