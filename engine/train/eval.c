/* Evaluation of a model on held-out images: for each style, L1/PSNR/SSIM
 * against targets where the style is paired, a content-preservation score
 * (SSIM of edge maps, output against input), a style score (distance
 * between mean Gram matrices of outputs and of style references in a
 * discriminator's feature space) and the style-quality figures of
 * comicgan/quality.h. Baselines (teacher filters, outputs of other programs)
 * go through the same code as one more row each. */
#include "train/train_private.h"

#include "comicgan/filters.h"
#include "comicgan/model.h"
#include "comicgan/quality.h"
#include "comicgan/stylize.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* One style's material. */
typedef struct ev_case {
    GPtrArray *inputs, *targets, *refs; /* cg_image*; targets parallel to inputs (paired) */
    char **names;                       /* file names of the inputs, in their order */
    cg_net *features;
    bool conditional;                   /* the discriminator sees (input, image) pairs */
    bool paired;
    char features_kind[16];
} ev_case;

static void free_images(GPtrArray *a)
{
    if (a)
        g_ptr_array_free(a, TRUE);
}

static GPtrArray *image_list(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)cg_image_free);
}

/* The image at path with its shorter side at size (or exactly w x h when
 * w > 0), transparent areas on white as in training. */
static cg_image *load_sized(const char *path, int size, int w, int h, cg_error *err)
{
    cg_image *img = cg_image_load(path, err);
    if (!img)
        return NULL;
    if (w <= 0) {
        int shorter = img->width < img->height ? img->width : img->height;
        w = (int)lround((double)img->width * size / shorter);
        h = (int)lround((double)img->height * size / shorter);
    }
    cg_image *out = cg_image_resize(img, w > 0 ? w : 1, h > 0 ? h : 1, err);
    cg_image_free(img);
    if (out)
        for (size_t i = 0; i < (size_t)out->width * out->height; i++) {
            float *p = out->pixels + 4 * i, a = p[3] < 0 ? 0 : p[3] > 1 ? 1 : p[3];
            for (int c = 0; c < 3; c++)
                p[c] = p[c] * a + (1 - a);
            p[3] = 1;
        }
    return out;
}

static char *find_by_stem(const char *dir, const char *name)
{
    char *stem = g_strdup(name);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem)
        *dot = '\0';
    GDir *d = g_dir_open(dir, 0, NULL);
    char *found = NULL;
    const char *n;
    while (d && !found && (n = g_dir_read_name(d))) {
        const char *ndot = strrchr(n, '.');
        size_t len = ndot && ndot != n ? (size_t)(ndot - n) : strlen(n);
        if (len == strlen(stem) && strncmp(n, stem, len) == 0)
            found = g_build_filename(dir, n, NULL);
    }
    if (d)
        g_dir_close(d);
    g_free(stem);
    return found;
}

/* Names to load: a source's test split from split.json (falling back to
 * validation, then training), or every image of a folder. */
static char **split_names(JsonObject *split, const char *label, char **folder)
{
    JsonObject *sources = split ? json_object_get_object_member(split, "sources") : NULL;
    JsonObject *s = sources && json_object_has_member(sources, label) ? json_object_get_object_member(sources, label)
                                                                      : NULL;
    if (!s)
        return NULL;
    *folder = g_strdup(json_object_get_string_member(s, "folder"));
    static const char *const parts[] = {"test", "val", "train"};
    for (size_t k = 0; k < G_N_ELEMENTS(parts); k++) {
        JsonArray *a = json_object_get_array_member(s, parts[k]);
        guint n = a ? json_array_get_length(a) : 0;
        if (n == 0)
            continue;
        char **names = g_new0(char *, n + 1);
        for (guint i = 0; i < n; i++)
            names[i] = g_strdup(json_array_get_string_element(a, i));
        return names;
    }
    return NULL;
}

char **tr_folder_names(const char *dir)
{
    cg_data_options o = {.min_side = 1, .load_size = 8};
    cg_error e = {0};
    cg_dataset *d = cg_dataset_scan(dir, NULL, &o, &e);
    if (!d)
        return NULL;
    char **names = g_new0(char *, cg_dataset_count(d) + 1);
    for (int i = 0; i < cg_dataset_count(d); i++)
        names[i] = g_strdup(cg_dataset_name(d, i));
    cg_dataset_free(d);
    return names;
}

cg_status tr_load_list(const char *dir, char **names, int size, int max, GPtrArray *out, cg_error *err)
{
    for (int i = 0; names && names[i] && (max <= 0 || (int)out->len < max); i++) {
        char *p = g_build_filename(dir, names[i], NULL);
        cg_image *img = load_sized(p, size, 0, 0, err);
        g_free(p);
        if (!img)
            return err->code;
        g_ptr_array_add(out, img);
    }
    return CG_OK;
}

/* A teacher's (a tr_teacher) rendering of in; caller frees. */
static cg_image *apply_teacher(int teacher, const cg_image *in, cg_error *err)
{
    cg_image *t = cg_image_copy(in, err);
    if (t && tr_teacher_apply(teacher, t, err)) {
        cg_image_free(t);
        t = NULL;
    }
    return t;
}

/* Paired targets for the inputs: by file name from a folder, a teacher, or
 * the input itself (identity). */
static cg_status make_targets(ev_case *c, const char *dir, char **names, const char *targets_dir, int teacher,
                              bool identity, cg_error *err)
{
    c->targets = image_list();
    c->paired = true;
    for (guint i = 0; i < c->inputs->len; i++) {
        const cg_image *in = c->inputs->pdata[i];
        cg_image *t = NULL;
        if (identity || teacher) {
            if (!(t = identity ? cg_image_copy(in, err) : apply_teacher(teacher, in, err)))
                return err->code;
        } else {
            char *p = find_by_stem(targets_dir, names[i]);
            if (!p)
                return cg_fail(err, CG_ERR_INVALID, "%s: no target for %s in %s", dir, names[i], targets_dir);
            t = load_sized(p, 0, in->width, in->height, err);
            g_free(p);
            if (!t)
                return err->code;
        }
        g_ptr_array_add(c->targets, t);
    }
    return CG_OK;
}

/* The run's discriminator for a style, from its checkpoint (scale 0). */
static cg_net *run_discriminator(const char *run, const char *name, cg_error *err)
{
    char *path = g_build_filename(run, "checkpoint.safetensors", NULL);
    cg_safetensors *f = cg_safetensors_open(path, err);
    g_free(path);
    if (!f)
        return NULL;
    char *prefix = g_strdup(name), *key = g_strdup_printf("%s.arch", prefix);
    if (!cg_safetensors_metadata(f, key)) {
        g_free(prefix);
        g_free(key);
        prefix = g_strdup_printf("%s.s0", name);
        key = g_strdup_printf("%s.arch", prefix);
    }
    const char *arch = cg_safetensors_metadata(f, key);
    cg_net *net = arch ? cg_net_new(arch, err) : NULL;
    cg_params *p = net ? cg_net_params(net) : NULL;
    for (int i = 0; net && i < cg_params_count(p); i++) {
        char *tn = g_strdup_printf("%s/%s", prefix, cg_params_name(p, i));
        const cg_safetensors_tensor *t = cg_safetensors_find(f, tn);
        if (t && t->size == cg_params_get(p, i)->size) {
            if (cg_safetensors_read(f, t, cg_params_get(p, i)->data, err) != CG_OK) {
                cg_net_free(net);
                net = NULL;
            }
        } else {
            cg_fail(err, CG_ERR_FORMAT, "checkpoint: no tensor %s", tn);
            cg_net_free(net);
            net = NULL;
        }
        g_free(tn);
    }
    if (!arch)
        cg_fail(err, CG_ERR_FORMAT, "checkpoint: no discriminator %s", name);
    g_free(prefix);
    g_free(key);
    cg_safetensors_free(f);
    return net;
}

void tr_image_planes(const cg_image *img, float *planes)
{
    const size_t plane = (size_t)img->width * img->height;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++)
            planes[c * plane + i] = img->pixels[4 * i + c] * 2 - 1;
}

/* Adds the Gram matrices of img's features (per layer, channels^2) to sums. */
static cg_status add_grams(cg_net *net, const cg_image *cond, const cg_image *img, double **sums, int *layers,
                           int64_t *lens, cg_error *err)
{
    cg_graph *g = cg_graph_new(false, err);
    if (!g)
        return err->code;
    const int w = img->width, h = img->height, ch = cond ? 6 : 3;
    cg_tensor *x = cg_graph_tensor4(g, 1, ch, h, w);
    if (x && cond)
        tr_image_planes(cond, x->data);
    if (x)
        tr_image_planes(img, x->data + (cond ? 3 * (size_t)w * h : 0));
    cg_tensor *f[8];
    int n = x ? tr_features(net, g, x, f, 8) : 0;
    cg_status st = cg_graph_status(g, err);
    for (int l = 0; l < n && st == CG_OK; l++) {
        cg_tensor *gram = cg_gram(g, f[l]);
        if ((st = cg_graph_status(g, err)) != CG_OK)
            break;
        if (!sums[l]) {
            sums[l] = g_new0(double, gram->size);
            lens[l] = gram->size;
        }
        for (int64_t k = 0; k < gram->size; k++)
            sums[l][k] += gram->data[k];
    }
    *layers = n;
    cg_graph_free(g);
    return st;
}

/* Mean over layers of |mean Gram(outputs) - mean Gram(refs)| / |mean Gram(refs)|. */
static cg_status style_score(const ev_case *c, GPtrArray *outputs, double *score, cg_error *err)
{
    GPtrArray *refs = c->paired ? c->targets : c->refs;
    *score = NAN;
    if (!refs || refs->len == 0 || !c->features)
        return CG_OK;
    double *so[8] = {0}, *sr[8] = {0};
    int64_t lo[8] = {0}, lr[8] = {0};
    int layers = 0;
    cg_status st = CG_OK;
    for (guint i = 0; i < outputs->len && st == CG_OK; i++)
        st = add_grams(c->features, c->conditional ? c->inputs->pdata[i] : NULL, outputs->pdata[i], so, &layers, lo,
                       err);
    for (guint i = 0; i < refs->len && st == CG_OK; i++)
        st = add_grams(c->features, c->conditional ? c->inputs->pdata[i] : NULL, refs->pdata[i], sr, &layers, lr, err);
    if (st == CG_OK && layers > 0) {
        double total = 0;
        for (int l = 0; l < layers; l++) {
            double diff = 0, norm = 0;
            for (int64_t k = 0; k < lo[l]; k++) {
                double a = so[l][k] / outputs->len, b = sr[l][k] / refs->len;
                diff += (a - b) * (a - b);
                norm += b * b;
            }
            total += sqrt(diff) / (sqrt(norm) + 1e-12);
        }
        *score = total / layers;
    }
    for (int l = 0; l < 8; l++) {
        g_free(so[l]);
        g_free(sr[l]);
    }
    return st;
}

/* What makes a row's outputs: a style of a model, a teacher filter, or files
 * made elsewhere. */
typedef struct ev_maker {
    const cg_model *m;
    int style;
    int teacher;         /* a tr_teacher, with m NULL */
    const char *outputs; /* a folder, with m NULL and no teacher */
} ev_maker;

/* An output file for in: same aspect ratio as the photo, resized to in. */
static cg_image *load_output(const char *dir, const char *name, const cg_image *in, cg_error *err)
{
    char *path = find_by_stem(dir, name);
    if (!path) {
        cg_fail(err, CG_ERR_INVALID, "%s: no output for %s", dir, name);
        return NULL;
    }
    cg_image *img = cg_image_load(path, err), *out = NULL;
    double aspect = img ? (double)img->width * in->height / ((double)img->height * in->width) : 1;
    if (img && fabs(aspect - 1) > 0.02)
        cg_fail(err, CG_ERR_INVALID, "%s is %dx%d: not the shape of the photo %s", path, img->width, img->height,
                name);
    else if (img)
        out = load_sized(path, 0, in->width, in->height, err);
    cg_image_free(img);
    g_free(path);
    return out;
}

static cg_image *make_output(const ev_maker *mk, const ev_case *c, guint i, cg_error *err)
{
    const cg_image *in = c->inputs->pdata[i];
    if (mk->outputs)
        return load_output(mk->outputs, c->names[i], in, err);
    if (!mk->m)
        return apply_teacher(mk->teacher, in, err);
    cg_stylize_options o = cg_stylize_defaults();
    o.style = mk->style;
    cg_image *out = cg_image_new(in->width, in->height, err);
    if (out && cg_stylize(mk->m, in, out, &o, err) != CG_OK) {
        cg_image_free(out);
        out = NULL;
    }
    return out;
}

/* The temporal ratio of one photo (see cg_eval_style). */
static cg_status temporal_ratio(const ev_maker *mk, const cg_image *photo, uint64_t seed, double *ratio,
                                cg_error *err)
{
    enum { N = CG_EVAL_PAN_FRAMES };
    cg_image *in[N] = {0}, *out[N] = {0};
    cg_status st = cg_quality_pan(photo, N, CG_EVAL_PAN_NOISE, seed, in, err);
    for (int t = 0; t < N && st == CG_OK; t++)
        if (!(out[t] = mk->m ? cg_image_new(in[t]->width, in[t]->height, err) : apply_teacher(mk->teacher, in[t], err)))
            st = err->code;
    if (st == CG_OK && mk->m) {
        /* One set of statistics for every frame, as an animation is stylized,
         * but from the first frame alone: pooling them over all frames
         * (cg_stylize_frames) takes one pass per statistic point, several
         * times the cost, for the same figure on near-identical frames. */
        cg_stylize_options o = cg_stylize_defaults();
        o.style = mk->style;
        cg_stylize_stats *stats = cg_stylize_compute_stats(mk->m, (const cg_image *const *)in, 1, &o, err);
        if (!stats)
            st = err->code;
        for (int t = 0; t < N && st == CG_OK; t++)
            st = cg_stylize_with_stats(mk->m, stats, in[t], out[t], &o, err);
        cg_stylize_stats_free(stats);
    }
    double before = NAN, after = NAN;
    if (st == CG_OK && (st = cg_quality_pan_change((const cg_image *const *)in, N, &before, err)) == CG_OK)
        st = cg_quality_pan_change((const cg_image *const *)out, N, &after, err);
    *ratio = after / before;
    for (int t = 0; t < N; t++) {
        cg_image_free(in[t]);
        cg_image_free(out[t]);
    }
    return st;
}

/* Running means of figures that may not apply to every image. */
typedef struct ev_mean {
    double sum;
    int n;
} ev_mean;

static void mean_add(ev_mean *m, double v)
{
    if (isfinite(v)) {
        m->sum += v;
        m->n++;
    }
}

static double mean_of(const ev_mean *m)
{
    return m->n ? m->sum / m->n : NAN;
}

static cg_status evaluate(const ev_maker *mk, ev_case *c, const cg_eval_options *opts, cg_eval_style *r,
                          cg_error *err)
{
    GPtrArray *outputs = image_list();
    double l1 = 0, mse_db = 0, ssim = 0, content = 0;
    ev_mean hue = {0}, de = {0}, gained = {0}, noise = {0}, corr = {0}, chroma = {0}, temporal = {0};
    cg_status st = CG_OK;
    for (guint i = 0; i < c->inputs->len && st == CG_OK; i++) {
        const cg_image *in = c->inputs->pdata[i];
        cg_image *out = make_output(mk, c, i, err);
        if (!out) {
            st = err->code;
            break;
        }
        g_ptr_array_add(outputs, out);
        cg_quality q;
        if ((st = cg_quality_measure(in, out, &q, err)) != CG_OK)
            break;
        mean_add(&hue, q.hue_shift);
        mean_add(&de, q.delta_e);
        mean_add(&gained, q.flat_gained);
        mean_add(&noise, q.flat_noise);
        mean_add(&corr, q.edge_corr);
        mean_add(&chroma, q.mean_chroma);
        const size_t n = (size_t)in->width * in->height;
        float *li = tr_luma(in), *lo = tr_luma(out);
        float *ei = tr_sobel(li, in->width, in->height), *eo = tr_sobel(lo, in->width, in->height);
        content += tr_ssim(eo, ei, in->width, in->height, 1.0);
        if (c->paired) {
            const cg_image *t = c->targets->pdata[i];
            double abs_sum = 0, sq = 0;
            for (size_t k = 0; k < n; k++)
                for (int ch = 0; ch < 3; ch++) {
                    double d = (double)out->pixels[4 * k + ch] - t->pixels[4 * k + ch];
                    abs_sum += fabs(d);
                    sq += d * d;
                }
            l1 += abs_sum / (3.0 * n);
            mse_db += 10 * log10(1.0 / (sq / (3.0 * n) + 1e-10));
            float *lt = tr_luma(t);
            ssim += tr_ssim(lo, lt, in->width, in->height, 1.0);
            g_free(lt);
        }
        g_free(li);
        g_free(lo);
        g_free(ei);
        g_free(eo);
    }
    const int pans = opts->no_temporal || mk->outputs ? 0 : opts->temporal_images;
    for (int i = 0; i < pans && i < (int)c->inputs->len && st == CG_OK; i++) {
        double ratio;
        if ((st = temporal_ratio(mk, c->inputs->pdata[i], (uint64_t)i + 1, &ratio, err)) == CG_OK)
            mean_add(&temporal, ratio);
    }
    int n = (int)c->inputs->len;
    r->images = n;
    r->paired = c->paired;
    r->content = content / n;
    r->l1 = c->paired ? l1 / n : NAN;
    r->psnr = c->paired ? mse_db / n : NAN;
    r->ssim = c->paired ? ssim / n : NAN;
    r->hue_shift = mean_of(&hue);
    r->delta_e = mean_of(&de);
    r->flat_gained = mean_of(&gained);
    r->flat_noise = mean_of(&noise);
    r->edge_corr = mean_of(&corr);
    r->mean_chroma = mean_of(&chroma);
    r->temporal_ratio = mean_of(&temporal);
    r->temporal_images = temporal.n;
    g_strlcpy(r->features, c->features_kind, sizeof r->features);
    if (st == CG_OK)
        st = style_score(c, outputs, &r->style, err);
    free_images(outputs);
    return st;
}

static JsonParser *read_json(const char *path, cg_error *err)
{
    JsonParser *p = json_parser_new();
    GError *gerr = NULL;
    if (!json_parser_load_from_file(p, path, &gerr)) {
        cg_fail(err, CG_ERR_FORMAT, "%s: %s", path, gerr->message);
        g_error_free(gerr);
        g_object_unref(p);
        return NULL;
    }
    return p;
}

/* The material of style `style` from a run folder. */
static cg_status run_case(const char *run, const cg_train_config *cfg, JsonObject *split, const cg_style_info *si,
                          const cg_eval_options *o, ev_case *c, cg_error *err)
{
    const tr_style_config *sc = NULL;
    for (int k = 0; k < cfg->n_styles; k++)
        if (strcmp(cfg->styles[k].name, si->name) == 0)
            sc = &cfg->styles[k];
    if (cfg->mode == TR_MULTISTYLE && !sc)
        return cg_fail(err, CG_ERR_INVALID, "%s: the run has no style %s", run, si->name);
    bool own_inputs = sc && (sc->kind == TR_STYLE_FILTER || sc->kind == TR_STYLE_TARGETS);
    char *label = own_inputs ? g_strdup_printf("style.%s", sc->name) : g_strdup("photos");
    char *folder = NULL, **names = split_names(split, label, &folder);
    cg_status st = names ? tr_load_list(folder, names, o->size, o->max_images, c->inputs, err)
                         : cg_fail(err, CG_ERR_FORMAT, "%s: split.json has no source %s", run, label);
    const char *dname = cfg->mode == TR_PIX2PIX ? "D" : cfg->mode == TR_MULTISTYLE ? NULL : "D_B";
    char *ms_dname = sc ? g_strdup_printf("D.%.24s", sc->name) : NULL;
    if (st == CG_OK) {
        if (cfg->mode == TR_PIX2PIX)
            st = make_targets(c, folder, names, cfg->targets, cfg->target_filter, false, err);
        else if (sc && sc->kind != TR_STYLE_IMAGES)
            st = make_targets(c, folder, names, sc->dir, sc->kind == TR_STYLE_FILTER ? sc->filter : 0,
                              sc->kind == TR_STYLE_IDENTITY, err);
    }
    if (st == CG_OK && !c->paired) {
        char *slabel = sc ? g_strdup_printf("style.%s", sc->name) : g_strdup("style");
        char *sfolder = NULL, **snames = split_names(split, slabel, &sfolder);
        c->refs = image_list();
        if (snames)
            st = tr_load_list(sfolder, snames, o->size, o->max_images, c->refs, err);
        g_strfreev(snames);
        g_free(sfolder);
        g_free(slabel);
    }
    if (st == CG_OK && !(sc && sc->kind == TR_STYLE_IDENTITY)) {
        cg_error derr = {0};
        c->features = run_discriminator(run, dname ? dname : ms_dname, &derr);
        if (c->features) {
            g_strlcpy(c->features_kind, "discriminator", sizeof c->features_kind);
            c->conditional = cg_params_get(cg_net_params(c->features), 0)->dim[1] == 6;
        }
    }
    g_free(ms_dname);
    g_strfreev(names);
    g_free(folder);
    g_free(label);
    return st;
}

static cg_status folder_case(const char *dir, bool identity, const cg_eval_options *o, ev_case *c, cg_error *err)
{
    char **names = c->names = tr_folder_names(dir);
    if (!names || !names[0])
        return cg_fail(err, CG_ERR_INVALID, "%s: no images to evaluate on", dir);
    cg_status st = tr_load_list(dir, names, o->size, o->max_images, c->inputs, err);
    int teacher = o->target_filter ? tr_teacher_of(o->target_filter) : 0;
    if (st == CG_OK && (identity || teacher || o->targets))
        st = make_targets(c, dir, names, o->targets, teacher, identity, err);
    if (st == CG_OK && !c->paired && o->style_images) {
        char **snames = tr_folder_names(o->style_images);
        c->refs = image_list();
        st = tr_load_list(o->style_images, snames, o->size, o->max_images, c->refs, err);
        g_strfreev(snames);
    }
    return st;
}

void cg_eval_result_free(cg_eval_result *r)
{
    if (r) {
        g_free(r->style);
        g_free(r);
    }
}

static int count(const char *const *list)
{
    int n = 0;
    while (list && list[n])
        n++;
    return n;
}

/* Scores one row: its material from the run or the folder, then the figures. */
static cg_status eval_row(const ev_maker *mk, const cg_style_info *si, const char *data, const cg_train_config *cfg,
                          JsonParser *split, const cg_eval_options *o, cg_net **fixed, cg_eval_style *r,
                          cg_error *err)
{
    ev_case c = {.inputs = image_list()};
    bool identity = si && strcmp(si->mode, "identity") == 0;
    JsonNode *root = split ? json_parser_get_root(split) : NULL;
    cg_status st = cfg ? run_case(data, cfg, root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL,
                                  si, o, &c, err)
                       : folder_case(data, identity, o, &c, err);
    bool borrowed = false;
    if (st == CG_OK && !c.features && !identity) {
        if (!*fixed && !(*fixed = tr_fixed_features(err)))
            st = err->code;
        c.features = *fixed;
        borrowed = true;
        g_strlcpy(c.features_kind, "fixed", sizeof c.features_kind);
    }
    if (st == CG_OK && c.inputs->len == 0)
        st = cg_fail(err, CG_ERR_INVALID, "%s: no test images for %s", data, r->name);
    if (st == CG_OK)
        st = evaluate(mk, &c, o, r, err);
    if (!borrowed)
        cg_net_free(c.features);
    free_images(c.inputs);
    free_images(c.targets);
    free_images(c.refs);
    g_strfreev(c.names);
    return st;
}

cg_status cg_eval(const char *model_path, const char *data, const cg_eval_options *opts, cg_eval_result **out,
                  cg_error *err)
{
    cg_eval_options o = opts ? *opts : (cg_eval_options){0};
    if (o.size <= 0)
        o.size = 256;
    if (o.temporal_images <= 0)
        o.temporal_images = 4;
    *out = NULL;
    if (o.target_filter && !tr_teacher_of(o.target_filter))
        return cg_fail(err, CG_ERR_INVALID, "target filter \"%s\": must be " TR_TEACHER_CHOICES, o.target_filter);
    const int filters = count(o.filters), outputs = count(o.outputs);
    for (int k = 0; k < filters; k++)
        if (!tr_teacher_of(o.filters[k]))
            return cg_fail(err, CG_ERR_INVALID, "filter \"%s\": must be " TR_TEACHER_CHOICES, o.filters[k]);
    for (int k = 0; k < outputs; k++)
        if (!g_file_test(o.outputs[k], G_FILE_TEST_IS_DIR))
            return cg_fail(err, CG_ERR_INVALID, "%s: not a folder of outputs", o.outputs[k]);
    if (!model_path && filters + outputs == 0)
        return cg_fail(err, CG_ERR_INVALID, "nothing to evaluate: no model and no baseline");
    cg_model *m = NULL;
    if (model_path && !(m = cg_model_load(model_path, err)))
        return err->code;
    char *config_path = g_build_filename(data, "config.ini", NULL);
    char *split_path = g_build_filename(data, "split.json", NULL);
    bool run = g_file_test(config_path, G_FILE_TEST_IS_REGULAR) && g_file_test(split_path, G_FILE_TEST_IS_REGULAR);
    cg_train_config *cfg = NULL;
    JsonParser *split = NULL;
    cg_status st = CG_OK;
    if (run && filters + outputs > 0)
        st = cg_fail(err, CG_ERR_INVALID, "%s: baselines are scored on a folder of images, not a run", data);
    else if (run && (!(cfg = cg_train_config_load(config_path, err)) || !(split = read_json(split_path, err))))
        st = err->code;
    else if (!run && !g_file_test(data, G_FILE_TEST_IS_DIR))
        st = cg_fail(err, CG_ERR_INVALID, "%s: not a run folder or a folder of images", data);
    const int styles = m ? cg_model_style_count(m) : 0;
    cg_eval_result *r = g_new0(cg_eval_result, 1);
    r->n = styles + filters + outputs;
    r->style = g_new0(cg_eval_style, r->n);
    g_strlcpy(r->source, run ? "run" : "folder", sizeof r->source);
    cg_net *fixed = NULL;
    for (int k = 0; k < r->n && st == CG_OK; k++) {
        cg_eval_style *row = &r->style[k];
        const cg_style_info *si = k < styles ? cg_model_style(m, k) : NULL;
        ev_maker mk = {0};
        if (si) {
            mk = (ev_maker){.m = m, .style = k};
            g_strlcpy(row->name, si->name, sizeof row->name);
            g_strlcpy(row->kind, "style", sizeof row->kind);
        } else if (k < styles + filters) {
            const char *f = o.filters[k - styles];
            mk.teacher = tr_teacher_of(f);
            g_snprintf(row->name, sizeof row->name, "filter:%s", f);
            g_strlcpy(row->kind, "filter", sizeof row->kind);
        } else {
            mk.outputs = o.outputs[k - styles - filters];
            char *base = g_path_get_basename(mk.outputs);
            g_snprintf(row->name, sizeof row->name, "outputs:%.60s", base);
            g_free(base);
            g_strlcpy(row->kind, "outputs", sizeof row->kind);
        }
        st = eval_row(&mk, si, data, cfg, split, &o, &fixed, row, err);
    }
    cg_net_free(fixed);
    if (split)
        g_object_unref(split);
    cg_train_config_free(cfg);
    g_free(config_path);
    g_free(split_path);
    cg_model_free(m);
    if (st != CG_OK)
        cg_eval_result_free(r);
    else
        *out = r;
    return st;
}
