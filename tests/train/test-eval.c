/* comicgan eval's style-quality figures: a style that returns its input
 * scores as the input itself (temporal ratio 1), the figures of a row are
 * the per-image figures of comicgan/quality.h averaged where they apply,
 * baselines (a teacher filter, a folder of outputs) go through the same
 * code, and bad baselines are refused. */
#include "fixture.h"

#include "comicgan/filters.h"
#include "comicgan/model.h"
#include "comicgan/quality.h"
#include "comicgan/rng.h"

#include <math.h>
#include <string.h>

#define W 48
#define H 32
#define PHOTOS 3

static char *root, *photos, *model;

/* Two random-weight styles and an identity style, as tests/support/make-model. */
static void write_model(const char *path)
{
    cg_error err = {0};
    cg_model *m = cg_model_new("{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, "
                               "\"norm\": \"cond_instance\", \"styles\": 3}",
                               "[{\"name\": \"test-ink\", \"display_name\": \"Ink\", \"mode\": \"pix2pix\"},"
                               " {\"name\": \"test-paint\", \"display_name\": \"Paint\", \"mode\": \"cyclegan\"},"
                               " {\"name\": \"identity\", \"display_name\": \"Original\", \"mode\": \"identity\"}]",
                               &err);
    g_assert_nonnull(m);
    cg_rng rng;
    cg_rng_seed(&rng, 5);
    g_assert_cmpint(cg_net_init(cg_model_net(m), &rng, true, &err), ==, CG_OK);
    g_assert_cmpint(cg_model_save(m, path, "{\"recipe\": \"test\"}", &err), ==, CG_OK);
    cg_model_free(m);
}

static void save(const cg_image *img, const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    cg_error err = {0};
    g_assert_cmpint(cg_image_save(img, path, NULL, &err), ==, CG_OK);
    g_free(path);
}

static cg_image *load(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    cg_error err = {0};
    cg_image *img = cg_image_load(path, &err);
    g_assert_nonnull(img);
    g_free(path);
    return img;
}

/* Another program's output: the channels rotated (a hue change), scaled by
 * `scale` in size. */
static cg_image *rotated(const cg_image *in, int scale)
{
    cg_error err = {0};
    cg_image *out = cg_image_new(in->width * scale, in->height * scale, &err);
    for (int y = 0; y < out->height; y++)
        for (int x = 0; x < out->width; x++) {
            const float *p = cg_image_at(in, x / scale, y / scale);
            float *q = cg_image_at(out, x, y);
            q[0] = p[1];
            q[1] = p[2];
            q[2] = p[0];
            q[3] = 1;
        }
    return out;
}

static const cg_eval_style *row(const cg_eval_result *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->style[i].name, name) == 0)
            return &r->style[i];
    g_error("no row %s", name);
}

static void setup(void)
{
    root = fx_tmpdir();
    photos = g_build_filename(root, "photos", NULL);
    fx_write_photos(photos, PHOTOS - 1, W, H, 17);
    /* A grey photo: no hue to keep, so its hue shift is left out of the mean. */
    cg_image *grey = fx_photo(W, H, 99);
    for (int i = 0; i < W * H; i++) {
        float *p = grey->pixels + 4 * i;
        p[0] = p[1] = p[2] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
    }
    save(grey, photos, "grey.png");
    cg_image_free(grey);
    model = g_build_filename(root, "test.safetensors", NULL);
    write_model(model);
}

static void test_identity(void)
{
    cg_eval_options o = {.size = H, .temporal_images = 2};
    cg_eval_result *r = NULL;
    cg_error err = {0};
    g_assert_cmpint(cg_eval(model, photos, &o, &r, &err), ==, CG_OK);
    g_assert_cmpint(r->n, ==, 3);
    const cg_eval_style *id = row(r, "identity"), *ink = row(r, "test-ink");
    g_assert_cmpstr(id->kind, ==, "style");
    g_assert_cmpint(id->images, ==, PHOTOS);
    g_assert_cmpfloat(id->hue_shift, ==, 0);
    g_assert_cmpfloat(id->delta_e, ==, 0);
    g_assert_cmpfloat(id->flat_gained, ==, 0);
    g_assert_cmpfloat_with_epsilon(id->edge_corr, 1, 1e-9);
    g_assert_true(isfinite(id->flat_noise) && isfinite(id->mean_chroma));
    /* The identity's frames are the noisy frames themselves. */
    g_assert_cmpint(id->temporal_images, ==, 2);
    g_assert_cmpfloat_with_epsilon(id->temporal_ratio, 1, 1e-9);
    /* A network's output changes on the pan, but not as the noise does. */
    g_assert_cmpint(ink->temporal_images, ==, 2);
    g_assert_true(isfinite(ink->temporal_ratio) && ink->temporal_ratio > 0);
    g_assert_cmpfloat(fabs(ink->temporal_ratio - 1), >, 1e-3);
    g_assert_true(isfinite(ink->hue_shift) && isfinite(ink->delta_e) && ink->delta_e > 0);
    g_assert_true(ink->edge_corr > -1 && ink->edge_corr < 1);
    cg_eval_result_free(r);

    o.no_temporal = true;
    g_assert_cmpint(cg_eval(model, photos, &o, &r, &err), ==, CG_OK);
    g_assert_true(isnan(row(r, "test-ink")->temporal_ratio));
    g_assert_cmpint(row(r, "test-ink")->temporal_images, ==, 0);
    cg_eval_result_free(r);
}

static void test_outputs(void)
{
    char *outs = g_build_filename(root, "rotated", NULL);
    g_mkdir_with_parents(outs, 0755);
    const char *names[PHOTOS] = {"p00.png", "p01.png", "grey.png"};
    /* The expectation: each pair through comicgan/quality.h, averaged over
     * the images where the figure applies. */
    double sum[6] = {0};
    int count[6] = {0};
    for (int i = 0; i < PHOTOS; i++) {
        cg_image *in = load(photos, names[i]), *out = rotated(in, 1);
        /* Saved as float TIFF: matched by the stem, whatever the extension. */
        char *tif = g_strdup(names[i]);
        strcpy(strrchr(tif, '.'), ".tif");
        save(out, outs, tif);
        g_free(tif);
        cg_quality q;
        cg_error err = {0};
        g_assert_cmpint(cg_quality_measure(in, out, &q, &err), ==, CG_OK);
        const double v[6] = {q.hue_shift, q.delta_e, q.flat_gained, q.flat_noise, q.edge_corr, q.mean_chroma};
        for (int k = 0; k < 6; k++)
            if (isfinite(v[k])) {
                sum[k] += v[k];
                count[k]++;
            }
        cg_image_free(in);
        cg_image_free(out);
    }
    g_assert_cmpint(count[0], ==, PHOTOS - 1);
    g_assert_cmpint(count[3], >, 0);
    const char *filters[] = {"cel", NULL}, *outputs[] = {outs, NULL};
    cg_eval_options o = {.size = H, .temporal_images = 1, .filters = filters, .outputs = outputs};
    cg_eval_result *r = NULL;
    cg_error err = {0};
    /* No model: the baselines alone. */
    if (cg_eval(NULL, photos, &o, &r, &err) != CG_OK)
        g_error("%s", err.message);
    g_assert_cmpint(r->n, ==, 2);
    const cg_eval_style *s = row(r, "outputs:rotated");
    g_assert_cmpstr(s->kind, ==, "outputs");
    g_assert_cmpint(s->images, ==, PHOTOS);
    const double got[6] = {s->hue_shift, s->delta_e, s->flat_gained, s->flat_noise, s->edge_corr, s->mean_chroma};
    for (int k = 0; k < 6; k++)
        g_assert_cmpfloat_with_epsilon(got[k], sum[k] / count[k], 1e-6);
    g_assert_cmpfloat(s->hue_shift, >, 30);
    /* Files made elsewhere have no pan to measure. */
    g_assert_true(isnan(s->temporal_ratio));
    const cg_eval_style *f = row(r, "filter:cel");
    g_assert_cmpstr(f->kind, ==, "filter");
    g_assert_true(isfinite(f->hue_shift) && isfinite(f->delta_e) && isfinite(f->edge_corr));
    g_assert_cmpint(f->temporal_images, ==, 1);
    g_assert_true(isfinite(f->temporal_ratio) && f->temporal_ratio > 0);
    /* The cel teacher flattens the photos. */
    g_assert_cmpfloat(f->flat_gained, >, 0);
    cg_eval_result_free(r);

    /* With the model, the baselines come after its styles. */
    o.no_temporal = true;
    g_assert_cmpint(cg_eval(model, photos, &o, &r, &err), ==, CG_OK);
    g_assert_cmpint(r->n, ==, 5);
    g_assert_cmpstr(r->style[3].name, ==, "filter:cel");
    g_assert_cmpstr(r->style[4].name, ==, "outputs:rotated");
    cg_eval_result_free(r);

    /* Outputs at another resolution are resized to the photo's eval size. */
    cg_image *in = load(photos, "p00.png"), *big = rotated(in, 3);
    save(big, outs, "p00.tif");
    o.filters = NULL;
    g_assert_cmpint(cg_eval(NULL, photos, &o, &r, &err), ==, CG_OK);
    cg_eval_result_free(r);
    cg_image_free(big);
    cg_image_free(in);
    g_free(outs);
}

/* The painted teacher by name, as a baseline and as the maker of targets:
 * scored against its own targets it matches them exactly. */
static void test_painted_teacher(void)
{
    const char *filters[] = {"painted", "cel", NULL};
    cg_eval_options o = {.size = H, .temporal_images = 1, .target_filter = "painted", .filters = filters};
    cg_eval_result *r = NULL;
    cg_error err = {0};
    if (cg_eval(NULL, photos, &o, &r, &err) != CG_OK)
        g_error("%s", err.message);
    g_assert_cmpint(r->n, ==, 2);
    const cg_eval_style *p = row(r, "filter:painted"), *c = row(r, "filter:cel");
    g_assert_cmpstr(p->kind, ==, "filter");
    g_assert_true(p->paired && c->paired);
    g_assert_cmpfloat(p->l1, ==, 0.0);
    g_assert_cmpfloat(c->l1, >, 0.001);
    g_assert_true(isfinite(p->hue_shift) && isfinite(p->edge_corr));
    g_assert_true(isfinite(p->temporal_ratio) && p->temporal_ratio > 0);
    cg_eval_result_free(r);
}

static void expect_invalid(const char *model_path, const char *data, const cg_eval_options *o, const char *words)
{
    cg_eval_result *r = (cg_eval_result *)1;
    cg_error err = {0};
    g_assert_cmpint(cg_eval(model_path, data, o, &r, &err), ==, CG_ERR_INVALID);
    g_assert_null(r);
    if (!strstr(err.message, words))
        g_error("expected \"%s\" in \"%s\"", words, err.message);
}

static void test_bad_baselines(void)
{
    char *outs = g_build_filename(root, "partial", NULL), *squashed = g_build_filename(root, "squashed", NULL);
    g_mkdir_with_parents(outs, 0755);
    g_mkdir_with_parents(squashed, 0755);
    cg_image *p = load(photos, "p00.png"), *wide = fx_photo(W * 2, H, 3);
    save(p, outs, "p00.png");
    for (int i = 0; i < PHOTOS; i++)
        save(wide, squashed, i == 0 ? "p00.png" : i == 1 ? "p01.png" : "grey.png");
    const char *missing[] = {outs, NULL}, *shape[] = {squashed, NULL}, *nofolder[] = {"/nonexistent/out", NULL},
               *sepia[] = {"sepia", NULL}, *cel[] = {"cel", NULL};
    cg_eval_options o = {.size = H, .outputs = missing};
    expect_invalid(NULL, photos, &o, "no output for grey.png");
    o.outputs = shape;
    expect_invalid(NULL, photos, &o, "not the shape of the photo");
    o.outputs = nofolder;
    expect_invalid(NULL, photos, &o, "not a folder of outputs");
    o.outputs = NULL;
    o.filters = sepia;
    expect_invalid(NULL, photos, &o, "must be manga, cel, painted, anime, hatching, ink or poster");
    o.filters = NULL;
    o.target_filter = "sepia";
    expect_invalid(NULL, photos, &o, "must be manga, cel, painted, anime, hatching, ink or poster");
    o.target_filter = NULL;
    o.filters = NULL;
    expect_invalid(NULL, photos, &o, "no model and no baseline");
    /* Baselines are scored on a folder of photos, not on a run's split. */
    char *run = g_build_filename(root, "run", NULL);
    g_mkdir_with_parents(run, 0755);
    g_free(fx_write_file(run, "config.ini", "[run]\n"));
    g_free(fx_write_file(run, "split.json", "{}"));
    o.filters = cel;
    expect_invalid(model, run, &o, "not a run");
    cg_image_free(p);
    cg_image_free(wide);
    g_free(run);
    g_free(outs);
    g_free(squashed);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    setup();
    g_test_add_func("/eval/identity", test_identity);
    g_test_add_func("/eval/outputs", test_outputs);
    g_test_add_func("/eval/bad-baselines", test_bad_baselines);
    g_test_add_func("/eval/painted-teacher", test_painted_teacher);
    int rc = g_test_run();
    fx_rmtree(root);
    g_free(root);
    g_free(photos);
    g_free(model);
    return rc;
}
