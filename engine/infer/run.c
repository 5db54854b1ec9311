/* The inference executor (see run.h). One walk over the generator serves three
 * purposes: a dry walk counts FLOPs, statistic points and buffer sizes; a
 * collect walk stops at one statistic point; a full walk produces pixels.
 * Buffers come from a few slots sized by the dry walk, so a run allocates
 * once and a tile loop reuses them. */
#include "core/simd.h"
#include "core/threads.h"
#include "infer/run.h"
#include "ops/conv_infer.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#define MAX_SLOTS 8
#define NORM_EPS 1e-5

typedef struct act {
    float *d;
    int64_t c, h, w;
    int slot;
} act;

typedef struct walker {
    const cg_net *net;
    const cg_infer_request *req;
    const cg_infer_region *r;
    cg_infer_result *res;
    cg_error *err;
    bool dry;
    int stop_after;     /* dry walks: count FLOPs up to this point (-1: all) */
    int resume;         /* -1, or the statistic point the walk starts at (see run.h) */
    bool skipping;      /* before the resume point: layers are passed over, nothing runs */
    double flops;
    double radius;      /* input pixels of context the layers run so far read (dry walks) */
    cg_infer_plan *plan; /* dry walks: each point's state recorded here, when not NULL */
    act *held[CG_INFER_MAX_STATE]; /* tensors kept across statistic points (skips, a block's input) */
    int held_key[CG_INFER_MAX_STATE];
    int n_held;
    int point;          /* next statistic point */
    bool stopped;       /* a collect walk reached its point, or a dry walk its stop */
    cg_status status;
    /* slots */
    float *slot[MAX_SLOTS];
    int64_t slot_size[MAX_SLOTS]; /* floats: the real size (full walk) or the largest asked (dry walk) */
    bool slot_busy[MAX_SLOTS];
    float *scratch;
    int64_t scratch_size;
    int64_t scale;      /* input pixels per feature pixel at the current layer */
    const cg_conv_layer *layer; /* the convolution run last, to name in errors */
    float style[64];
} walker;

/* ---- slots ---------------------------------------------------------------- */

static bool acquire(walker *w, act *a, int64_t c, int64_t h, int64_t wd)
{
    int64_t need = c * h * wd;
    a->c = c;
    a->h = h;
    a->w = wd;
    a->d = NULL;
    for (int i = 0; i < MAX_SLOTS; i++) {
        if (w->slot_busy[i])
            continue;
        if (w->skipping) {
            /* nothing is written before the resume point: any free slot, sized at the resume (see resume_state) */
        } else if (w->dry) {
            if (need > w->slot_size[i])
                w->slot_size[i] = need;
        } else if (need > w->slot_size[i]) {
            continue; /* cannot happen after a matching dry walk */
        }
        w->slot_busy[i] = true;
        a->slot = i;
        a->d = w->dry ? NULL : w->slot[i];
        return true;
    }
    w->status = cg_fail(w->err, CG_ERR_NOMEM, "inference needs more buffers than planned");
    return false;
}

static void release(walker *w, act *a)
{
    if (a->slot >= 0)
        w->slot_busy[a->slot] = false;
    a->slot = -1;
}

static bool ok(const walker *w)
{
    return w->status == CG_OK && !w->stopped;
}

/* Whether this walk computes nothing here: a dry walk, or layers before the resume point. */
static bool idle(const walker *w)
{
    return w->dry || w->skipping;
}

/* A tensor that stays live across statistic points, so a pass that resumes
 * at a later point must be handed it too (see run.h). */
static bool hold(walker *w, act *a, int key)
{
    if (w->n_held == CG_INFER_MAX_STATE - 1) {
        w->status = cg_fail(w->err, CG_ERR_UNSUPPORTED, "the network keeps too many tensors across its layers");
        return false;
    }
    w->held[w->n_held] = a;
    w->held_key[w->n_held++] = key;
    return true;
}

static void let_go(walker *w, const act *a)
{
    for (int i = 0; i < w->n_held; i++)
        if (w->held[i] == a) {
            w->held[i] = w->held[--w->n_held];
            w->held_key[i] = w->held_key[w->n_held];
            return;
        }
}

/* Input pixels per pixel of a. */
static int64_t scale_of(const walker *w, const act *a)
{
    return w->r->width / a->w;
}

/* Every tensor live at a statistic point: its activation, then the held ones. */
static int state_of(walker *w, act *point, act **t, int *key, int k)
{
    t[0] = point;
    key[0] = k;
    for (int i = 0; i < w->n_held; i++) {
        t[1 + i] = w->held[i];
        key[1 + i] = w->held_key[i];
    }
    return 1 + w->n_held;
}

/* At the resume point: the live tensors get their slots sized (dry walks) or
 * their values loaded (real walks). */
static bool resume_state(walker *w, act *point, int k)
{
    act *t[CG_INFER_MAX_STATE];
    int key[CG_INFER_MAX_STATE];
    int n = state_of(w, point, t, key, k);
    for (int i = 0; i < n; i++) {
        int64_t need = t[i]->c * t[i]->h * t[i]->w;
        if (w->dry) {
            if (need > w->slot_size[t[i]->slot])
                w->slot_size[t[i]->slot] = need;
            continue;
        }
        if (need > w->slot_size[t[i]->slot]) {
            w->status = cg_fail(w->err, CG_ERR_NOMEM, "inference needs more buffers than planned");
            return false;
        }
        t[i]->d = w->slot[t[i]->slot];
        const cg_infer_io *io = w->req->io;
        if (!io || !io->load(io->user, key[i], t[i]->d, t[i]->c, t[i]->h, t[i]->w, scale_of(w, t[i]), w->err)) {
            w->status = io ? (w->err ? w->err->code : CG_ERR_IO) : cg_fail(w->err, CG_ERR_INVALID, "nothing to resume from");
            return false;
        }
    }
    return true;
}

/* At the point a collect walk stops: hands every live tensor to io->store. */
static bool keep_state(walker *w, act *point, int k)
{
    act *t[CG_INFER_MAX_STATE];
    int key[CG_INFER_MAX_STATE];
    int n = state_of(w, point, t, key, k);
    const cg_infer_io *io = w->req->io;
    for (int i = 0; i < n; i++)
        if (!io->store(io->user, key[i], t[i]->d, t[i]->c, t[i]->h, t[i]->w, scale_of(w, t[i]), w->err)) {
            w->status = w->err ? w->err->code : CG_ERR_IO;
            return false;
        }
    return true;
}

/* A dry walk's record of the state at point k. */
static void record_state(walker *w, act *point, int k)
{
    if (!w->plan || k >= CG_INFER_MAX_POINTS)
        return;
    act *t[CG_INFER_MAX_STATE];
    int key[CG_INFER_MAX_STATE];
    cg_infer_state *s = &w->plan->state[k];
    s->n = state_of(w, point, t, key, k);
    for (int i = 0; i < s->n; i++)
        s->t[i] = (cg_infer_tensor){key[i], t[i]->c, scale_of(w, t[i])};
}

/* A pass of the colour-guided filter over a pixel, counted as this many
 * FLOPs so that the work counts it (progress, plans): at 1024² the cel
 * model's seven passes took 29 % of its time, 37 ns a pixel each, where the
 * convolutions ran at about 160 GFLOP/s. */
#define GUIDED_FLOPS_PER_PIXEL 6000.0

static bool report(walker *w)
{
    if (idle(w) || !w->req->layer_done)
        return true;
    if (!w->req->layer_done(w->req->user, w->flops)) {
        w->status = cg_fail(w->err, CG_ERR_CANCELLED, "cancelled");
        return false;
    }
    return true;
}

/* ---- convolution ------------------------------------------------------------ */

/* out = conv(in) with layer l; in read nearest-upsampled by `up`. */
static bool conv(walker *w, const cg_conv_layer *l, const act *in, int up, act *out)
{
    const cg_tensor *wt = l->weight;
    int k = (int)wt->dim[2];
    cg_conv_infer_shape s = {1, in->c, in->h, in->w, l->transposed ? wt->dim[1] : wt->dim[0], k,
                             l->p.stride_h, l->p.pad_h, l->p.pad_mode == CG_PAD_REFLECT, up};
    int64_t oh, ow, scratch;
    if (l->transposed) {
        oh = (in->h - 1) * l->p.stride_h - 2 * l->p.pad_h + k + l->p.output_pad_h;
        ow = (in->w - 1) * l->p.stride_w - 2 * l->p.pad_w + k + l->p.output_pad_w;
        scratch = cg_conv_transpose_infer_scratch(&s, oh, ow);
    } else {
        cg_conv_infer_out_size(&s, &oh, &ow);
        scratch = cg_conv_infer_scratch(&s);
    }
    if (!acquire(w, out, s.out_c, oh, ow))
        return false;
    if (w->skipping)
        return true;
    w->layer = l;
    w->flops += 2.0 * (double)s.out_c * (double)in->c * k * k * (l->transposed ? (double)in->h * in->w : (double)oh * ow);
    /* Reach: k/2 pixels of the coarser side, one more where the grids do not
     * sit centred on each other (strided, upsampled); a generous bound. */
    if (k > 1 || l->p.stride_h > 1 || up > 1 || l->transposed) {
        int64_t coarse = scale_of(w, in) > scale_of(w, out) ? scale_of(w, in) : scale_of(w, out);
        w->radius += (double)(k / 2 + 1) * (double)coarse;
    }
    if (w->dry) {
        if (scratch > w->scratch_size)
            w->scratch_size = scratch;
        return true;
    }
    const float *bias = l->bias ? l->bias->data : NULL;
    if (l->transposed)
        cg_conv_transpose_infer(&s, oh, ow, in->d, wt->data, bias, out->d, w->scratch);
    else
        cg_conv_infer(&s, in->d, wt->data, bias, out->d, w->scratch);
    return report(w);
}

/* ---- numeric failures -------------------------------------------------------- */

/* Fails with CG_ERR_NUMERIC naming the layer run last by the name its weight
 * is registered under, less ".weight" ("down.0.conv"). */
static bool not_finite(walker *w, const char *what)
{
    const cg_params *ps = w->net->params;
    const char *name = "?";
    for (int i = 0; w->layer && i < cg_params_count(ps); i++)
        if (cg_params_get(ps, i) == w->layer->weight)
            name = cg_params_name(ps, i);
    size_t len = g_str_has_suffix(name, ".weight") ? strlen(name) - strlen(".weight") : strlen(name);
    w->status = cg_fail(w->err, CG_ERR_NUMERIC, "layer %.*s: %s not finite numbers (the model's weights overflow)",
                        (int)len, name, what);
    return false;
}

static bool stats_finite(const cg_stat_point *p, const cg_norm_layer *l, int64_t channels)
{
    if ((l->kind == CG_NORM_LAYER || l->kind == CG_NORM_ADALIN) && !(isfinite(p->ln_mean) && isfinite(p->ln_rstd)))
        return false;
    if (l->kind == CG_NORM_LAYER)
        return true;
    for (int64_t c = 0; c < channels; c++)
        if (!isfinite(p->mean[c]) || !isfinite(p->rstd[c]))
            return false;
    return true;
}

static bool all_finite(const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

/* ---- statistic points ------------------------------------------------------ */

typedef struct plane_job {
    const act *a;
    cg_stat_point *p;
    int64_t x0, y0, x1, y1;
} plane_job;

/* Each row is summed in float vectors (rows are at most 16384 wide, so a lane
 * adds at most 2048 values) and the rows in double. */
CG_KERNEL static void collect_plane(void *ctx, int c, int worker)
{
    const plane_job *j = ctx;
    const float *d = j->a->d + (int64_t)c * j->a->h * j->a->w;
    double sum = 0, sumsq = 0;
    float mx = -INFINITY;
    for (int64_t y = j->y0; y < j->y1; y++) {
        const float *row = d + y * j->a->w;
        v8 vsum = {0}, vsq = {0}, vmax;
        for (int l = 0; l < 8; l++)
            vmax[l] = -INFINITY;
        int64_t x = j->x0;
        for (; x + 8 <= j->x1; x += 8) {
            v8 v = LOAD8(row + x);
            vsum += v;
            vsq += v * v;
            v8i larger = v > vmax;
            vmax = (v8)(((v8i)v & larger) | ((v8i)vmax & ~larger));
        }
        float rsum = 0, rsq = 0;
        for (; x < j->x1; x++) {
            rsum += row[x];
            rsq += row[x] * row[x];
            mx = row[x] > mx ? row[x] : mx;
        }
        for (int l = 0; l < 8; l++) {
            rsum += vsum[l];
            rsq += vsq[l];
            mx = vmax[l] > mx ? vmax[l] : mx;
        }
        sum += rsum;
        sumsq += rsq;
    }
    j->p->sum[c] += sum;
    j->p->sumsq[c] += sumsq;
    if (mx > j->p->max[c])
        j->p->max[c] = mx;
}

/* Adds the centre of a (scaled to this layer) into point p. */
static void collect(walker *w, const act *a, cg_stat_point *p, bool whole)
{
    plane_job j = {a, p, 0, 0, a->w, a->h};
    if (!whole) {
        j.x0 = w->r->cx0 / w->scale;
        j.y0 = w->r->cy0 / w->scale;
        j.x1 = w->r->cx1 / w->scale;
        j.y1 = w->r->cy1 / w->scale;
    }
    cg_parallel_for((int)a->c, collect_plane, &j);
    p->count += (double)(j.x1 - j.x0) * (double)(j.y1 - j.y0);
}

/* The point reached next: in a dry walk counts it; returns the stats to use, or
 * NULL when the walk must stop (collected its point). */
static cg_stat_point *reach_point(walker *w, act *a)
{
    int k = w->point++;
    if (w->skipping) {
        if (k < w->resume)
            return NULL;
        w->skipping = false;
        if (!resume_state(w, a, k))
            return NULL;
    }
    if (w->dry) {
        record_state(w, a, k);
        if (w->stop_after >= 0 && k >= w->stop_after)
            w->stopped = true;
        return NULL;
    }
    cg_infer_stats *s = w->req->stats;
    if (k >= s->n_points) {
        w->status = cg_fail(w->err, CG_ERR_INVALID, "statistics planned for fewer points than the network has");
        return NULL;
    }
    cg_stat_point *p = &s->point[k];
    if (w->req->mode == CG_INFER_WHOLE) {
        cg_infer_stats_clear_point(p);
        collect(w, a, p, true);
        cg_infer_stats_finish(s, k);
    } else if (w->req->mode == CG_INFER_COLLECT && k == w->req->collect) {
        collect(w, a, p, false);
        if (w->req->io)
            keep_state(w, a, k);
        w->stopped = true;
        return NULL;
    } else if (!p->ready) {
        w->status = cg_fail(w->err, CG_ERR_INVALID, "statistic point %d used before it was collected", k);
        return NULL;
    }
    return p;
}

/* ---- normalization + activation, in place ---------------------------------- */

typedef struct norm_job {
    const walker *w;
    const cg_norm_layer *l;
    const cg_stat_point *p;
    act *a;
    int activation; /* 0 none, 1 relu, 2 leaky */
    float slope;
} norm_job;

CG_KERNEL static void norm_plane(void *ctx, int c, int worker)
{
    const norm_job *j = ctx;
    const cg_norm_layer *l = j->l;
    float gamma = 1, beta = 0;
    if (cg_arch_norm_per_style(l->kind)) {
        int styles = (int)l->gamma->dim[0];
        int64_t cs = l->gamma->dim[1];
        gamma = beta = 0;
        for (int s = 0; s < styles; s++) {
            gamma += j->w->style[s] * l->gamma->data[s * cs + c];
            beta += j->w->style[s] * l->beta->data[s * cs + c];
        }
    } else if (l->gamma) {
        gamma = l->gamma->data[c];
        beta = l->beta->data[c];
    }
    /* y = x * scale + shift, folding mean, 1/std, gamma and beta (and AdaLIN's mix). */
    float scale, shift;
    const cg_stat_point *p = j->p;
    if (l->kind == CG_NORM_COND_AFFINE) { /* no statistics */
        scale = gamma;
        shift = beta;
    } else if (l->kind == CG_NORM_LAYER) {
        scale = p->ln_rstd * gamma;
        shift = beta - p->ln_mean * scale;
    } else if (l->kind == CG_NORM_ADALIN) {
        float rho = l->rho->data[c];
        float in_scale = rho * p->rstd[c], ln_scale = (1 - rho) * p->ln_rstd;
        scale = (in_scale + ln_scale) * gamma;
        shift = beta - (in_scale * p->mean[c] + ln_scale * p->ln_mean) * gamma;
    } else {
        scale = p->rstd[c] * gamma;
        shift = beta - p->mean[c] * scale;
    }
    float *d = j->a->d + (int64_t)c * j->a->h * j->a->w;
    int64_t n = j->a->h * j->a->w;
    if (j->activation == 0)
        for (int64_t i = 0; i < n; i++)
            d[i] = d[i] * scale + shift;
    else {
        float slope = j->activation == 1 ? 0.0f : j->slope;
        for (int64_t i = 0; i < n; i++) {
            float v = d[i] * scale + shift;
            d[i] = v > 0 ? v : v * slope;
        }
    }
}

typedef struct act_job {
    act *a;
    float slope;
} act_job;

CG_KERNEL static void activate_plane(void *ctx, int c, int worker)
{
    const act_job *j = ctx;
    float *d = j->a->d + (int64_t)c * j->a->h * j->a->w;
    for (int64_t i = 0; i < j->a->h * j->a->w; i++)
        d[i] = d[i] > 0 ? d[i] : d[i] * j->slope;
}

static int activation_code(const cg_net *net)
{
    return net->arch.activation == CG_ACT_RELU ? 1 : 2;
}

/* A stage's norm (a statistic point unless "none") and its activation. */
static bool norm_act(walker *w, const cg_norm_layer *l, act *a, bool activate)
{
    int code = activate ? activation_code(w->net) : 0;
    if (l->kind == CG_NORM_NONE) {
        if (!idle(w) && code) {
            act_job j = {a, code == 1 ? 0.0f : w->net->arch.slope};
            cg_parallel_for((int)a->c, activate_plane, &j);
        }
        return ok(w);
    }
    const cg_stat_point *p = NULL;
    if (l->kind == CG_NORM_COND_AFFINE) { /* a per-pixel map: no statistic point */
        if (idle(w))
            return ok(w);
    } else {
        if (!(p = reach_point(w, a))) /* a dry or skipping walk goes on; a stopped or failed one not */
            return ok(w);
        /* Statistics of overflowed values would silently turn every later pixel black. */
        if (!stats_finite(p, l, a->c))
            return not_finite(w, "its normalization statistics are");
    }
    norm_job j = {w, l, p, a, code, w->net->arch.slope};
    cg_parallel_for((int)a->c, norm_plane, &j);
    return ok(w);
}

static bool stage(walker *w, const cg_net_stage *s, act *cur, int up, bool activate)
{
    act out;
    if (!conv(w, &s->conv, cur, up, &out))
        return false;
    release(w, cur);
    *cur = out;
    return norm_act(w, &s->norm, cur, activate);
}

/* The last stage of a style_heads network: the heads are linear, so mixing
 * their weights by the style weights gives what the graph's mix of their
 * outputs gives, for the cost of one head. */
static bool style_heads_stage(walker *w, act *cur)
{
    const cg_net_stage *last = &w->net->last;
    const cg_tensor *weight = last->conv.weight, *bias = last->conv.bias;
    const int styles = w->net->arch.styles;
    const int64_t out_c = weight->dim[0] / styles, per_head = weight->size / styles;
    float *mixed = calloc((size_t)(per_head + out_c), sizeof *mixed);
    if (!mixed) {
        w->status = cg_fail(w->err, CG_ERR_NOMEM, "out of memory for the style heads");
        return false;
    }
    for (int s = 0; s < styles; s++) {
        for (int64_t i = 0; i < per_head; i++)
            mixed[i] += w->style[s] * weight->data[s * per_head + i];
        for (int64_t i = 0; i < out_c; i++)
            mixed[per_head + i] += w->style[s] * bias->data[s * out_c + i];
    }
    cg_tensor head_weight = *weight, head_bias = *bias;
    head_weight.dim[0] = out_c;
    head_weight.size = per_head;
    head_weight.data = mixed;
    head_bias.dim[0] = out_c;
    head_bias.size = out_c;
    head_bias.data = mixed + per_head;
    cg_net_stage head = *last;
    head.conv.weight = &head_weight;
    head.conv.bias = &head_bias;
    bool good = stage(w, &head, cur, 1, false);
    w->layer = &last->conv; /* errors name the stored layer, not this call's copy */
    free(mixed);
    return good;
}

/* ---- attention blocks ------------------------------------------------------- */

static void keep_map(walker *w, const act *map)
{
    if (idle(w) || !w->res || w->res->attention)
        return;
    w->res->attention = g_memdup2(map->d, (gsize)(map->h * map->w) * sizeof(float));
    w->res->attention_w = map->w;
    w->res->attention_h = map->h;
}

typedef struct scale_job {
    const float *src;
    float *dst;
    const float *weights; /* per channel */
    int64_t plane;
} scale_job;

static void scale_plane(void *ctx, int c, int worker)
{
    const scale_job *j = ctx;
    const float *s = j->src + c * j->plane;
    float *d = j->dst + c * j->plane, f = j->weights[c];
    for (int64_t i = 0; i < j->plane; i++)
        d[i] = s[i] * f;
}

static void channel_sum(const act *a, act *map)
{
    int64_t plane = a->h * a->w;
    memset(map->d, 0, (size_t)plane * sizeof(float));
    for (int64_t c = 0; c < a->c; c++)
        for (int64_t i = 0; i < plane; i++)
            map->d[i] += a->d[c * plane + i];
}

static bool cam_block(walker *w, act *cur, bool want_map)
{
    const cg_cam_block *b = &w->net->cam;
    /* Only the logits (a training signal) use the pooled features; the output
     * is local, so CAM needs no statistic point. */
    act cat;
    if (!acquire(w, &cat, 2 * cur->c, cur->h, cur->w))
        return false;
    if (!idle(w)) {
        scale_job j1 = {cur->d, cat.d, b->gap_weight->data, cur->h * cur->w};
        scale_job j2 = {cur->d, cat.d + cur->c * cur->h * cur->w, b->gmp_weight->data, cur->h * cur->w};
        cg_parallel_for((int)cur->c, scale_plane, &j1);
        cg_parallel_for((int)cur->c, scale_plane, &j2);
    }
    release(w, cur);
    act out;
    bool good = conv(w, &b->fuse, &cat, 1, &out);
    release(w, &cat);
    if (!good)
        return false;
    *cur = out;
    if (!idle(w)) {
        act_job j = {cur, w->net->arch.activation == CG_ACT_RELU ? 0.0f : w->net->arch.slope};
        cg_parallel_for((int)cur->c, activate_plane, &j);
    }
    if (want_map) {
        act map;
        if (!acquire(w, &map, 1, cur->h, cur->w))
            return false;
        if (!idle(w)) {
            channel_sum(cur, &map);
            keep_map(w, &map);
        }
        release(w, &map);
    }
    return ok(w);
}

static float sigmoidf(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

static bool cbam_block(walker *w, act *cur, bool want_map)
{
    const cg_cbam_block *b = &w->net->cbam;
    cg_stat_point *p = reach_point(w, cur);
    if (!p && !ok(w))
        return false;
    int64_t c = cur->c, plane = cur->h * cur->w, inner = b->mlp1.weight->dim[0];
    if (!idle(w)) {
        /* Channel gate: the shared MLP on the global average and max. */
        float gate[4096], hidden[4096];
        for (int64_t o = 0; o < c; o++)
            gate[o] = 2 * b->mlp2.bias->data[o];
        for (int pass = 0; pass < 2; pass++) {
            for (int64_t i = 0; i < inner; i++) {
                float s = b->mlp1.bias->data[i];
                for (int64_t k = 0; k < c; k++)
                    s += b->mlp1.weight->data[i * c + k] * (pass ? p->max[k] : p->mean[k]);
                hidden[i] = s > 0 ? s : 0;
            }
            for (int64_t o = 0; o < c; o++)
                for (int64_t i = 0; i < inner; i++)
                    gate[o] += b->mlp2.weight->data[o * inner + i] * hidden[i];
        }
        for (int64_t o = 0; o < c; o++)
            gate[o] = sigmoidf(gate[o]);
        scale_job j = {cur->d, cur->d, gate, plane};
        cg_parallel_for((int)c, scale_plane, &j);
    }
    /* Spatial gate: a 7x7 conv over the per-position channel mean and max. */
    act pooled, gate_map;
    if (!acquire(w, &pooled, 2, cur->h, cur->w))
        return false;
    if (!idle(w))
        for (int64_t i = 0; i < plane; i++) {
            float s = 0, mx = -INFINITY;
            for (int64_t k = 0; k < c; k++) {
                float v = cur->d[k * plane + i];
                s += v;
                mx = v > mx ? v : mx;
            }
            pooled.d[i] = s / (float)c;
            pooled.d[plane + i] = mx;
        }
    bool good = conv(w, &b->spatial, &pooled, 1, &gate_map);
    release(w, &pooled);
    if (!good)
        return false;
    if (!idle(w)) {
        for (int64_t i = 0; i < plane; i++)
            gate_map.d[i] = sigmoidf(gate_map.d[i]);
        for (int64_t k = 0; k < c; k++)
            for (int64_t i = 0; i < plane; i++)
                cur->d[k * plane + i] *= gate_map.d[i];
        if (want_map)
            keep_map(w, &gate_map);
    }
    release(w, &gate_map);
    return ok(w);
}

/* Self-attention is global over positions and quadratic in them: it runs
 * through a graph, on whole images only. */
static bool self_attention_block(walker *w, act *cur, bool want_map)
{
    if (idle(w))
        return true;
    if (w->req->mode != CG_INFER_WHOLE) {
        w->status = cg_fail(w->err, CG_ERR_UNSUPPORTED,
                            "self-attention models run on whole images only; this image needs tiles");
        return false;
    }
    cg_graph *g = cg_graph_new(false, w->err);
    if (!g) {
        w->status = w->err ? w->err->code : CG_ERR_NOMEM;
        return false;
    }
    cg_tensor *x = cg_graph_tensor4(g, 1, cur->c, cur->h, cur->w);
    if (x)
        memcpy(x->data, cur->d, (size_t)x->size * sizeof(float));
    cg_tensor *map = NULL;
    cg_tensor *y = cg_self_attention_block_run(g, &w->net->self_attention, x, want_map ? &map : NULL);
    if (!y) {
        w->status = cg_graph_status(g, w->err);
        cg_graph_free(g);
        return false;
    }
    memcpy(cur->d, y->data, (size_t)y->size * sizeof(float));
    if (map) {
        act m = {map->data, 1, cur->h, cur->w, -1};
        keep_map(w, &m);
    }
    cg_graph_free(g);
    return true;
}

/* ---- the generator ----------------------------------------------------------- */

static void add_in_place(void *ctx, int c, int worker)
{
    act *const *pair = ctx;
    int64_t plane = pair[0]->h * pair[0]->w;
    float *a = pair[0]->d + c * plane;
    const float *b = pair[1]->d + c * plane;
    for (int64_t i = 0; i < plane; i++)
        a[i] += b[i];
}

typedef struct tanh_job {
    const act *a;
    float scale;
} tanh_job;

static void tanh_plane(void *ctx, int c, int worker)
{
    const tanh_job *j = ctx;
    float *d = j->a->d + (int64_t)c * j->a->h * j->a->w;
    for (int64_t i = 0; i < j->a->h * j->a->w; i++)
        d[i] = j->scale * tanhf(d[i]);
}

/* The residual's base: the input's mean over a (2r+1)^2 box, pixels outside
 * the region not counted (as cg_avg_pool2d), added to the output. A box mean
 * is separable even at the borders (the count is a product), so rows first
 * into `rows`, then columns straight into the output, with running sums. */
typedef struct box_job {
    const act *in, *rows, *out;
    int radius;
} box_job;

static void box_mean_add_plane(void *ctx, int c, int worker)
{
    const box_job *j = ctx;
    const int64_t h = j->in->h, wd = j->in->w, r = j->radius;
    const float *src = j->in->d + c * h * wd;
    float *rows = j->rows->d + c * h * wd, *dst = j->out->d + c * h * wd;
    for (int64_t y = 0; y < h; y++) {
        const float *s = src + y * wd;
        double sum = 0;
        for (int64_t x = 0; x < r && x < wd; x++)
            sum += s[x];
        for (int64_t x = 0; x < wd; x++) {
            if (x + r < wd)
                sum += s[x + r];
            if (x - r - 1 >= 0)
                sum -= s[x - r - 1];
            int64_t lo = x - r < 0 ? 0 : x - r, hi = x + r + 1 < wd ? x + r + 1 : wd;
            rows[y * wd + x] = (float)(sum / (double)(hi - lo));
        }
    }
    for (int64_t x = 0; x < wd; x++) {
        double sum = 0;
        for (int64_t y = 0; y < r && y < h; y++)
            sum += rows[y * wd + x];
        for (int64_t y = 0; y < h; y++) {
            if (y + r < h)
                sum += rows[(y + r) * wd + x];
            if (y - r - 1 >= 0)
                sum -= rows[(y - r - 1) * wd + x];
            int64_t lo = y - r < 0 ? 0 : y - r, hi = y + r + 1 < h ? y + r + 1 : h;
            dst[y * wd + x] += (float)(sum / (double)(hi - lo));
        }
    }
}

static void walk(walker *w, const float *x)
{
    const cg_net *net = w->net;
    const cg_arch *a = &net->arch;
    act in = {(float *)x, a->in_channels, w->r->height, w->r->width, -1}, cur = in;
    act skips[MAX_STAGES];
    bool unet = a->type == CG_ARCH_UNET;
    w->scale = 1;
    if (!stage(w, &net->first, &cur, 1, true))
        return;
    for (int i = 0; i < net->n_down; i++) {
        if (unet) {
            /* keep the encoder output for the skip: copy it out of the slot the stage will release */
            if (!acquire(w, &skips[i], cur.c, cur.h, cur.w))
                return;
            if (!idle(w))
                memcpy(skips[i].d, cur.d, (size_t)(cur.c * cur.h * cur.w) * sizeof(float));
            if (!hold(w, &skips[i], CG_INFER_KEY_SKIP(i)))
                return;
        }
        w->scale *= 2;
        if (!stage(w, &net->down[i], &cur, 1, true))
            return;
    }
    for (int i = 0; i < a->blocks; i++) {
        act r1, r2;
        /* the block's input is added back after its two statistic points */
        if (!hold(w, &cur, CG_INFER_KEY_BLOCK(i)))
            return;
        if (!conv(w, &net->block[i][0].conv, &cur, 1, &r1))
            return;
        if (!norm_act(w, &net->block[i][0].norm, &r1, true))
            return;
        bool good = conv(w, &net->block[i][1].conv, &r1, 1, &r2);
        release(w, &r1);
        if (!good || !norm_act(w, &net->block[i][1].norm, &r2, false))
            return;
        if (!idle(w)) {
            act *pair[2] = {&cur, &r2};
            cg_parallel_for((int)cur.c, add_in_place, pair);
        }
        release(w, &r2);
        let_go(w, &cur);
    }
    int want = w->req ? w->req->attention_point : -1;
    for (int i = 0; i < a->n_attention; i++) {
        bool good = true;
        switch (a->attention[i]) {
        case CG_ATTN_CAM: good = cam_block(w, &cur, want == i); break;
        case CG_ATTN_SELF: good = self_attention_block(w, &cur, want == i); break;
        case CG_ATTN_CBAM: good = cbam_block(w, &cur, want == i); break;
        }
        if (!good)
            return;
    }
    for (int i = 0; i < net->n_up; i++) {
        w->scale /= 2;
        int up = a->upsample == CG_UP_NEAREST ? 2 : 1;
        if (a->upsample == CG_UP_BILINEAR || unet) {
            /* materialize the upsampled (and, for U-Net, concatenated) input */
            act skip = unet ? skips[net->n_down - 1 - i] : (act){0};
            act big;
            if (!acquire(w, &big, cur.c + (unet ? skip.c : 0), cur.h * 2, cur.w * 2))
                return;
            if (a->upsample == CG_UP_BILINEAR && !w->skipping)
                w->radius += 2.0 * (double)w->scale; /* one coarse pixel */
            if (!idle(w)) {
                int64_t ow = cur.w * 2, oh = cur.h * 2;
                for (int64_t c = 0; c < cur.c; c++)
                    for (int64_t y = 0; y < oh; y++)
                        for (int64_t xx = 0; xx < ow; xx++) {
                            float v;
                            if (a->upsample == CG_UP_BILINEAR) {
                                double sy = (y + 0.5) / 2 - 0.5, sx = (xx + 0.5) / 2 - 0.5;
                                int64_t y0 = (int64_t)floor(sy), x0 = (int64_t)floor(sx);
                                double fy = sy - y0, fx = sx - x0;
                                int64_t ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= cur.h ? cur.h - 1 : y0 + 1;
                                int64_t xa = x0 < 0 ? 0 : x0, xb = x0 + 1 >= cur.w ? cur.w - 1 : x0 + 1;
                                const float *p = cur.d + c * cur.h * cur.w;
                                v = (float)((1 - fy) * ((1 - fx) * p[ya * cur.w + xa] + fx * p[ya * cur.w + xb]) +
                                            fy * ((1 - fx) * p[yb * cur.w + xa] + fx * p[yb * cur.w + xb]));
                            } else {
                                v = cur.d[(c * cur.h + y / 2) * cur.w + xx / 2];
                            }
                            big.d[(c * oh + y) * ow + xx] = v;
                        }
                if (unet)
                    memcpy(big.d + cur.c * oh * ow, skip.d, (size_t)(skip.c * oh * ow) * sizeof(float));
            }
            release(w, &cur);
            if (unet) {
                let_go(w, &skips[net->n_down - 1 - i]);
                release(w, &skips[net->n_down - 1 - i]);
            }
            cur = big;
            up = 1;
        }
        if (!stage(w, &net->up[i], &cur, up, true))
            return;
    }
    if (!(a->style_heads ? style_heads_stage(w, &cur) : stage(w, &net->last, &cur, 1, false)))
        return;
    if (!w->skipping) {
        /* the residual's base and the post stage read around each pixel too (cg_net_receptive_radius) */
        double base = a->residual_blur > 2 * a->guided_radius * a->residual_guided
                          ? a->residual_blur
                          : 2 * a->guided_radius * a->residual_guided;
        w->radius = (base > w->radius ? base : w->radius) + cg_arch_post_radius(a);
        w->flops += GUIDED_FLOPS_PER_PIXEL * cg_arch_guided_passes(a) * (double)cur.h * cur.w;
    }
    act rows = {.slot = -1};
    if (a->residual_blur && !acquire(w, &rows, in.c, in.h, in.w))
        return;
    if (a->residual_guided && !acquire(w, &rows, in.c + CG_ARCH_GUIDED_SCRATCH, in.h, in.w))
        return;
    /* The post stages (sized from the arch alone: a dry walk that plans the
     * buffers has no weights). */
    act post = {.slot = -1};
    if (cg_arch_has_post(a) && !acquire(w, &post, CG_ARCH_POST_SCRATCH, cur.h, cur.w)) {
        release(w, &rows);
        return;
    }
    if (!idle(w)) {
        tanh_job squash = {&cur, a->residual ? 2.0f : 1.0f}; /* as cg_net_forward */
        cg_parallel_for((int)cur.c, tanh_plane, &squash);
        if (a->residual_blur) {
            box_job job = {&in, &rows, &cur, a->residual_blur};
            cg_parallel_for((int)cur.c, box_mean_add_plane, &job);
        } else if (a->residual_guided) {
            cg_arch_guided_base(a, in.d, 1, in.h, in.w, rows.d, rows.d + in.c * in.h * in.w);
            act base = {rows.d, in.c, in.h, in.w, -1}, *pair[2] = {&cur, &base};
            cg_parallel_for((int)cur.c, add_in_place, pair);
        } else if (a->residual) {
            act *pair[2] = {&cur, &in};
            cg_parallel_for((int)cur.c, add_in_place, pair);
        }
        cg_error failed = {0};
        if (cg_arch_has_post(a) && cg_arch_post_apply(a, cur.d, cur.h, cur.w, w->style, post.d, &failed) != CG_OK) {
            w->status = failed.code;
            if (w->err)
                *w->err = failed;
            release(w, &post);
            release(w, &rows);
            release(w, &cur);
            return;
        }
        if (!all_finite(cur.d, cur.c * cur.h * cur.w)) {
            not_finite(w, "its outputs are");
            release(w, &cur);
            return;
        }
        if (w->res)
            w->res->image = g_memdup2(cur.d, (gsize)(cur.c * cur.h * cur.w) * sizeof(float));
    }
    release(w, &post);
    release(w, &rows);
    release(w, &cur);
}

/* ---- planning and running ------------------------------------------------------ */

static void dry_walk(walker *w, const cg_net *net, int64_t width, int64_t height, int resume, int stop_after,
                     cg_infer_plan *plan)
{
    static const cg_infer_request no_request = {.attention_point = -1, .resume = -1};
    cg_infer_region r = {width, height, 0, 0, width, height};
    memset(w, 0, sizeof *w);
    w->net = net;
    w->r = &r;
    w->req = &no_request;
    w->dry = true;
    w->resume = resume;
    w->skipping = resume >= 0;
    w->stop_after = stop_after;
    w->plan = plan;
    walk(w, NULL);
    w->r = NULL;
}

double cg_infer_flops(const cg_net *net, int64_t width, int64_t height, int stop_after)
{
    return cg_infer_span_flops(net, width, height, -1, stop_after);
}

double cg_infer_span_flops(const cg_net *net, int64_t width, int64_t height, int resume, int stop_after)
{
    walker w;
    dry_walk(&w, net, width, height, resume, stop_after, NULL);
    return w.flops;
}

static double bytes_of(const walker *w)
{
    double floats = (double)w->scratch_size;
    for (int i = 0; i < MAX_SLOTS; i++)
        floats += (double)w->slot_size[i];
    return floats * sizeof(float);
}

double cg_infer_bytes(const cg_net *net, int64_t width, int64_t height)
{
    return cg_infer_span_bytes(net, width, height, -1, -1);
}

double cg_infer_span_bytes(const cg_net *net, int64_t width, int64_t height, int resume, int stop_after)
{
    walker w;
    dry_walk(&w, net, width, height, resume, stop_after, NULL);
    return bytes_of(&w);
}

cg_infer_plan *cg_infer_plan_new(const cg_net *net)
{
    cg_infer_plan *p = g_new0(cg_infer_plan, 1);
    /* A region of 64 bottleneck pixels a side: every scale's size is exact. */
    int64_t side = 64 * (int64_t)cg_net_size_multiple(net);
    walker w;
    dry_walk(&w, net, side, side, -1, -1, p); /* counts the points, records each one's state */
    p->n_points = w.point < CG_INFER_MAX_POINTS ? w.point : CG_INFER_MAX_POINTS;
    for (int s = 0; s <= p->n_points; s++) {
        dry_walk(&w, net, side, side, s - 1, s < p->n_points ? s : -1, NULL);
        p->radius[s] = (int)ceil(w.radius);
    }
    return p;
}

cg_status cg_infer_run(const cg_net *net, const float *x, const cg_infer_region *r, const cg_infer_request *req,
                       cg_infer_result *res, cg_error *err)
{
    walker plan;
    int resume = req->mode == CG_INFER_WHOLE ? -1 : req->resume;
    dry_walk(&plan, net, r->width, r->height, resume, req->mode == CG_INFER_COLLECT ? req->collect : -1, NULL);
    walker w;
    memset(&w, 0, sizeof w);
    w.net = net;
    w.req = req;
    w.r = r;
    w.res = res;
    w.err = err;
    w.resume = resume;
    w.skipping = resume >= 0;
    int styles = cg_net_styles(net);
    for (int s = 0; s < styles && s < 64; s++)
        w.style[s] = req->style_weights ? req->style_weights[s] : (s == 0);
    /* Every buffer in one block, the workspace's when there is one: a tile
     * loop then touches fresh memory (page faults, the kernel zeroing it)
     * only when a run needs more than any before. */
    int64_t total = plan.scratch_size;
    for (int i = 0; i < MAX_SLOTS; i++)
        total += plan.slot_size[i];
    cg_infer_workspace own = {0}, *ws = req->workspace ? req->workspace : &own;
    cg_status st = CG_OK;
    if (total > ws->size) {
        cg_aligned_free(ws->data);
        ws->size = 0;
        if (!(ws->data = cg_aligned_alloc((size_t)total * sizeof(float))))
            st = cg_fail(err, CG_ERR_NOMEM, "out of memory for a %lldx%lld region", (long long)r->width,
                         (long long)r->height);
        else
            ws->size = total;
    }
    if (st == CG_OK) {
        float *next = ws->data;
        for (int i = 0; i < MAX_SLOTS; i++) {
            w.slot_size[i] = plan.slot_size[i];
            w.slot[i] = plan.slot_size[i] ? next : NULL;
            next += plan.slot_size[i];
        }
        w.scratch_size = plan.scratch_size;
        w.scratch = plan.scratch_size ? next : NULL;
        walk(&w, x);
        st = w.status;
    }
    cg_aligned_free(own.data);
    return st;
}

/* ---- statistics ----------------------------------------------------------------- */

cg_infer_stats *cg_infer_stats_new(const cg_net *net, cg_error *err)
{
    walker w;
    dry_walk(&w, net, 64, 64, -1, -1, NULL);
    /* Channels of each point: a second dry walk is not needed — size every
     * point for the widest layer. */
    int64_t channels = (int64_t)net->arch.width << (net->arch.downsamples + 1);
    cg_infer_stats *s = g_try_malloc0(sizeof *s);
    if (!s || w.point > CG_INFER_MAX_POINTS) {
        g_free(s);
        cg_fail(err, CG_ERR_NOMEM, "too many statistic points");
        return NULL;
    }
    s->n_points = w.point;
    for (int k = 0; k < s->n_points; k++) {
        cg_stat_point *p = &s->point[k];
        p->channels = channels;
        p->sum = g_new0(double, channels);
        p->sumsq = g_new0(double, channels);
        p->max = g_new(float, channels);
        p->mean = g_new0(float, channels);
        p->rstd = g_new0(float, channels);
        cg_infer_stats_clear_point(p);
    }
    return s;
}

void cg_infer_stats_free(cg_infer_stats *s)
{
    if (!s)
        return;
    for (int k = 0; k < s->n_points; k++) {
        g_free(s->point[k].sum);
        g_free(s->point[k].sumsq);
        g_free(s->point[k].max);
        g_free(s->point[k].mean);
        g_free(s->point[k].rstd);
    }
    g_free(s);
}

void cg_infer_stats_clear_point(cg_stat_point *p)
{
    memset(p->sum, 0, (size_t)p->channels * sizeof(double));
    memset(p->sumsq, 0, (size_t)p->channels * sizeof(double));
    for (int64_t c = 0; c < p->channels; c++)
        p->max[c] = -INFINITY;
    p->count = 0;
    p->ready = false;
}

void cg_infer_stats_clear(cg_infer_stats *s)
{
    for (int k = 0; k < s->n_points; k++)
        cg_infer_stats_clear_point(&s->point[k]);
}

void cg_infer_stats_finish(cg_infer_stats *s, int k)
{
    cg_stat_point *p = &s->point[k];
    double all_sum = 0, all_sumsq = 0;
    int64_t used = 0;
    for (int64_t c = 0; c < p->channels; c++) {
        if (p->max[c] == -INFINITY)
            continue; /* a channel this point does not have */
        double mean = p->count > 0 ? p->sum[c] / p->count : 0;
        double var = p->count > 0 ? p->sumsq[c] / p->count - mean * mean : 0;
        p->mean[c] = (float)mean;
        p->rstd[c] = (float)(1 / sqrt((var > 0 ? var : 0) + NORM_EPS));
        all_sum += p->sum[c];
        all_sumsq += p->sumsq[c];
        used++;
    }
    double n = p->count * (double)used;
    double mean = n > 0 ? all_sum / n : 0, var = n > 0 ? all_sumsq / n - mean * mean : 0;
    p->ln_mean = (float)mean;
    p->ln_rstd = (float)(1 / sqrt((var > 0 ? var : 0) + NORM_EPS));
    p->ready = true;
}
