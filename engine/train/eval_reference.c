/* Reference fidelity (comicgan/train.h): every photo stylized with every
 * reference, and each output's distance to every reference in a fixed
 * feature space. A reference model is faithful when each output lands
 * nearest its own reference. */
#include "train/train_private.h"

#include "comicgan/model.h"
#include "comicgan/quality.h"
#include "comicgan/stylize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 8
/* A difference of this much in each Lab statistic counts as much as
 * unrelated feature statistics. */
#define LAB_SCALE 20.0

/* What the distance looks at in one picture. */
typedef struct descriptor {
    int layers;
    int64_t gram_len[MAX_LAYERS], mean_len[MAX_LAYERS];
    double *gram[MAX_LAYERS], *mean[MAX_LAYERS];
    double lab[6];
} descriptor;

static void descriptor_free(descriptor *d)
{
    for (int l = 0; l < d->layers; l++) {
        g_free(d->gram[l]);
        g_free(d->mean[l]);
    }
    memset(d, 0, sizeof *d);
}

static double *copy_doubles(const cg_tensor *t)
{
    double *v = g_new(double, t->size);
    for (int64_t i = 0; i < t->size; i++)
        v[i] = t->data[i];
    return v;
}

static cg_status describe_image(cg_net *features, const cg_image *img, descriptor *d, cg_error *err)
{
    memset(d, 0, sizeof *d);
    cg_status st = cg_quality_lab_stats(img, d->lab, err);
    if (st != CG_OK)
        return st;
    cg_graph *g = cg_graph_new(false, err);
    if (!g)
        return err->code;
    cg_tensor *x = cg_graph_tensor4(g, 1, 3, img->height, img->width);
    if (x)
        tr_image_planes(img, x->data);
    cg_tensor *f[MAX_LAYERS];
    int n = x ? tr_features(features, g, x, f, MAX_LAYERS) : 0;
    for (int l = 0; l < n && (st = cg_graph_status(g, err)) == CG_OK; l++) {
        cg_tensor *gram = cg_gram(g, f[l]), *mean = cg_global_avg_pool(g, f[l]);
        if ((st = cg_graph_status(g, err)) != CG_OK)
            break;
        d->gram[l] = copy_doubles(gram);
        d->mean[l] = copy_doubles(mean);
        d->gram_len[l] = gram->size;
        d->mean_len[l] = mean->size;
        d->layers = l + 1;
    }
    if (st == CG_OK)
        st = cg_graph_status(g, err);
    cg_graph_free(g);
    if (st != CG_OK)
        descriptor_free(d);
    return st;
}

/* With luma_only, img's luma in all three channels is described instead:
 * under --keep-colors the colours are the photo's by request, so what the
 * reference gave the output is its tones and marks (its Lab a and b
 * statistics are then 0 on every side). */
static cg_status describe(cg_net *features, const cg_image *img, bool luma_only, descriptor *d, cg_error *err)
{
    if (!luma_only)
        return describe_image(features, img, d, err);
    memset(d, 0, sizeof *d);
    cg_image *gray = cg_image_new(img->width, img->height, err);
    if (!gray)
        return err->code;
    float *luma = tr_luma(img);
    for (int64_t i = 0; i < (int64_t)img->width * img->height; i++) {
        gray->pixels[4 * i] = gray->pixels[4 * i + 1] = gray->pixels[4 * i + 2] = luma[i];
        gray->pixels[4 * i + 3] = 1;
    }
    g_free(luma);
    cg_status st = describe_image(features, gray, d, err);
    cg_image_free(gray);
    return st;
}

/* Squared error of a against b over the sum of their squares: symmetric, 0
 * for equal statistics, 1 for unrelated ones, at most 2; a reference with
 * large activations does not draw every picture near it. */
static double relative_error(const double *a, const double *b, int64_t n)
{
    double diff = 0, scale = 0;
    for (int64_t i = 0; i < n; i++) {
        diff += (a[i] - b[i]) * (a[i] - b[i]);
        scale += a[i] * a[i] + b[i] * b[i];
    }
    return diff / (scale + 1e-8 * (double)n);
}

static double distance(const descriptor *a, const descriptor *ref)
{
    double style = 0, colour = 0;
    for (int l = 0; l < ref->layers; l++)
        style += relative_error(a->gram[l], ref->gram[l], ref->gram_len[l]) +
                 relative_error(a->mean[l], ref->mean[l], ref->mean_len[l]);
    for (int k = 0; k < 6; k++)
        colour += (a->lab[k] - ref->lab[k]) * (a->lab[k] - ref->lab[k]);
    return style / ref->layers + colour / (6 * LAB_SCALE * LAB_SCALE);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void cg_eval_reference_result_free(cg_eval_reference_result *r)
{
    if (!r)
        return;
    g_strfreev(r->photo_names);
    g_strfreev(r->reference_names);
    g_free(r->distance);
    g_free(r->photo_distance);
    g_free(r);
}

/* Keeps the first `keep` names of a list (all when keep is 0). */
static void truncate_names(char **names, int keep)
{
    for (int i = keep, n = (int)g_strv_length(names); keep > 0 && i < n; i++) {
        g_free(names[i]);
        names[i] = NULL;
    }
}

cg_status cg_eval_reference(const char *model_path, const char *photos, const char *references,
                            const cg_eval_reference_options *opts, cg_eval_reference_result **out, cg_error *err)
{
    cg_eval_reference_options o = opts ? *opts : (cg_eval_reference_options){0};
    if (o.size <= 0)
        o.size = 256;
    *out = NULL;
    cg_model *m = cg_model_load(model_path, err);
    if (!m)
        return err->code;
    cg_eval_reference_result *r = g_new0(cg_eval_reference_result, 1);
    GPtrArray *pics = g_ptr_array_new_with_free_func((GDestroyNotify)cg_image_free);
    GPtrArray *refs = g_ptr_array_new_with_free_func((GDestroyNotify)cg_image_free);
    cg_net *features = NULL;
    descriptor *ref_d = NULL;
    float *codes = NULL;
    double *encode_ms = NULL;
    const int code_len = cg_model_code_length(m);
    cg_status st = CG_OK;
    if (code_len <= 0)
        st = cg_fail(err, CG_ERR_INVALID, "%s: not a reference model (the fidelity matrix needs one)", model_path);
    if (st == CG_OK) {
        r->photo_names = tr_folder_names(photos);
        r->reference_names = tr_folder_names(references);
        if (!r->photo_names || !r->photo_names[0])
            st = cg_fail(err, CG_ERR_INVALID, "%s: no photos", photos);
        else if (!r->reference_names || !r->reference_names[0] || !r->reference_names[1])
            st = cg_fail(err, CG_ERR_INVALID, "%s: the fidelity matrix needs at least 2 references", references);
    }
    if (st == CG_OK) {
        truncate_names(r->photo_names, o.max_photos);
        truncate_names(r->reference_names, o.max_references);
        st = tr_load_list(photos, r->photo_names, o.size, 0, pics, err);
    }
    if (st == CG_OK)
        st = tr_load_list(references, r->reference_names, o.size, 0, refs, err);
    if (st == CG_OK && !(features = tr_fixed_features(err)))
        st = err->code;
    const int np = (int)pics->len, nr = (int)refs->len;
    r->photos = np;
    r->references = nr;
    if (st == CG_OK) {
        ref_d = g_new0(descriptor, nr);
        codes = g_new(float, (size_t)nr * code_len);
        encode_ms = g_new(double, nr);
    }
    for (int k = 0; st == CG_OK && k < nr; k++) {
        gint64 t0 = g_get_monotonic_time();
        st = cg_model_encode_reference(m, refs->pdata[k], codes + (size_t)k * code_len, err);
        encode_ms[k] = (double)(g_get_monotonic_time() - t0) / 1000.0;
        if (st == CG_OK)
            st = describe(features, refs->pdata[k], o.keep_colors, &ref_d[k], err);
        if (st != CG_OK)
            cg_error_prefix(err, "%s", r->reference_names[k]);
    }
    if (st == CG_OK) {
        qsort(encode_ms, (size_t)nr, sizeof *encode_ms, compare_doubles);
        r->encode_ms = nr % 2 ? encode_ms[nr / 2] : (encode_ms[nr / 2 - 1] + encode_ms[nr / 2]) / 2;
        r->distance = g_new(double, (size_t)np * nr * nr);
        r->photo_distance = g_new(double, (size_t)np * nr);
    }
    double edges = 0;
    for (int p = 0; st == CG_OK && p < np; p++) {
        const cg_image *photo = pics->pdata[p];
        descriptor pd;
        if ((st = describe(features, photo, o.keep_colors, &pd, err)) != CG_OK)
            break;
        for (int k = 0; k < nr; k++)
            r->photo_distance[p * nr + k] = distance(&pd, &ref_d[k]);
        descriptor_free(&pd);
        for (int c = 0; st == CG_OK && c < nr; c++) {
            cg_stylize_options so = cg_stylize_defaults();
            so.code = codes + (size_t)c * code_len;
            so.keep_colors = o.keep_colors;
            cg_image *styled = cg_image_new(photo->width, photo->height, err);
            double corr = NAN;
            descriptor od;
            if (!styled)
                st = err->code;
            else if ((st = cg_stylize(m, photo, styled, &so, err)) == CG_OK &&
                     (st = cg_quality_edge_corr(photo, styled, &corr, err)) == CG_OK &&
                     (st = describe(features, styled, o.keep_colors, &od, err)) == CG_OK) {
                double *row = r->distance + ((size_t)p * nr + c) * nr;
                bool nearest = true;
                for (int k = 0; k < nr; k++)
                    row[k] = distance(&od, &ref_d[k]);
                for (int k = 0; k < nr; k++)
                    nearest &= k == c || row[k] > row[c];
                r->own_nearest += nearest;
                edges += isnan(corr) ? 0 : corr;
                descriptor_free(&od);
            }
            cg_image_free(styled);
        }
    }
    r->edge_corr = np > 0 && nr > 0 ? edges / (np * nr) : NAN;
    for (int k = 0; ref_d && k < nr; k++)
        descriptor_free(&ref_d[k]);
    g_free(ref_d);
    g_free(codes);
    g_free(encode_ms);
    cg_net_free(features);
    g_ptr_array_free(pics, TRUE);
    g_ptr_array_free(refs, TRUE);
    cg_model_free(m);
    if (st != CG_OK)
        cg_eval_reference_result_free(r);
    else
        *out = r;
    return st;
}
