/* Every training mode runs a few steps on tiny generated data and leaves a
 * complete run folder; the run exports to a model file that loads. */
#include "fixture.h"
#include "train/train_private.h"

#include "comicgan/model.h"
#include "comicgan/safetensors.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Tiny networks: the point is the machinery, not the look. */
#define TINY_GENERATOR "[generator]\nwidth = 4\ndownsamples = 1\nblocks = 1\n"
#define TINY_DISC "width = 4\nlayers = 2\n"

static char *data_root;

static void check_file(const char *dir, const char *name)
{
    char *p = g_build_filename(dir, name, NULL);
    if (!g_file_test(p, G_FILE_TEST_IS_REGULAR))
        g_error("missing %s", p);
    g_free(p);
}

/* Runs config text for `steps` steps, checks the run folder and export;
 * losses: space-separated loss names the log must hold (or NULL). */
static void run_mode(const char *name, const char *text, int styles, const char *losses)
{
    char *dir = fx_tmpdir();
    char *path = fx_write_file(dir, "run.ini", text);
    cg_train_config *c = fx_config(path);
    char *run = g_build_filename(dir, "run", NULL);
    cg_error err = {0};
    if (fx_train(c, run, false, 0, &err) != CG_OK)
        g_error("%s: %s", name, err.message);
    check_file(run, "config.ini");
    check_file(run, "split.json");
    check_file(run, "data-report.json");
    check_file(run, "log.jsonl");
    check_file(run, "checkpoint.safetensors");
    check_file(run, "samples/step-0000003.png");
    /* Every log line holds losses. */
    char *log = NULL;
    char *log_path = g_build_filename(run, "log.jsonl", NULL);
    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "\"losses\""));
    g_assert_nonnull(strstr(log, "\"step\":3"));
    char **want = g_strsplit(losses ? losses : "", " ", -1);
    for (char **w = want; *w; w++) {
        char *key = g_strdup_printf("\"%s\":", *w);
        if (*w[0] && !strstr(log, key))
            g_error("%s: no loss %s in the log", name, *w);
        g_free(key);
    }
    g_strfreev(want);
    /* Sample grid: one row per sample, input + outputs. */
    char *grid_path = g_build_filename(run, "samples", "step-0000003.png", NULL);
    cg_image *grid = cg_image_load(grid_path, &err);
    g_assert_nonnull(grid);
    g_assert_cmpint(grid->height, ==, 2 * 16 + 2);
    cg_image_free(grid);
    /* A new run refuses a folder that holds one. */
    g_assert_cmpint(fx_train(c, run, false, 0, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "already holds a run"));

    char *model_path = g_build_filename(dir, "model.safetensors", NULL);
    if (cg_run_export(run, model_path, NULL, &err) != CG_OK)
        g_error("%s export: %s", name, err.message);
    cg_model *m = cg_model_load(model_path, &err);
    if (!m)
        g_error("%s load: %s", name, err.message);
    g_assert_cmpint(cg_model_style_count(m), ==, styles);
    /* Styles learnt from the black-and-white manga teacher say so. */
    bool manga_teacher = strstr(text, "filter = manga") != NULL;
    g_assert_true(cg_model_style(m, 0)->monochrome == manga_teacher);
    const char *prov = cg_model_provenance_json(m);
    g_assert_nonnull(strstr(prov, "\"steps\":3"));
    g_assert_nonnull(strstr(prov, cg_train_config_hash(c)));
    g_assert_nonnull(strstr(prov, "dataset_manifest"));
    /* The recipe names its data folders without this machine's paths. */
    g_assert_null(strstr(prov, data_root));
    g_assert_nonnull(strstr(prov, "photos="));
    cg_model_free(m);

    /* Evaluation on the run's test split, in its discriminators' features. */
    cg_eval_result *r = NULL;
    cg_eval_options eo = {.size = 16};
    if (cg_eval(model_path, run, &eo, &r, &err) != CG_OK)
        g_error("%s eval: %s", name, err.message);
    g_assert_cmpint(r->n, ==, styles);
    g_assert_cmpstr(r->source, ==, "run");
    for (int i = 0; i < r->n; i++) {
        const cg_eval_style *e = &r->style[i];
        g_assert_cmpint(e->images, >=, 1);
        g_assert_true(e->content >= -1 && e->content <= 1);
        bool identity = strcmp(e->name, "identity") == 0;
        if (e->paired)
            g_assert_true(e->l1 >= 0 && e->l1 <= 2 && isfinite(e->psnr) && e->ssim <= 1);
        if (!identity) {
            g_assert_true(e->style >= 0);
            g_assert_cmpstr(e->features, ==, "discriminator");
        }
    }
    cg_eval_result_free(r);
    /* On a plain folder, with a teacher for targets: paired metrics, fixed features. */
    char *photos = g_build_filename(data_root, "photos", NULL);
    eo.target_filter = "cel";
    g_assert_cmpint(cg_eval(model_path, photos, &eo, &r, &err), ==, CG_OK);
    g_assert_cmpstr(r->source, ==, "folder");
    g_assert_cmpint(r->style[0].images, ==, 5);
    g_assert_true(r->style[0].paired);
    g_assert_cmpstr(r->style[0].features, ==, "fixed");
    cg_eval_result_free(r);
    g_free(photos);

    char *plot = g_build_filename(dir, "loss.png", NULL);
    g_assert_cmpint(cg_run_plot(run, plot, &err), ==, CG_OK);
    cg_image *img = cg_image_load(plot, &err);
    g_assert_nonnull(img);
    cg_image_free(img);

    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(plot);
    g_free(grid_path);
    g_free(log_path);
    g_free(log);
    g_free(model_path);
    g_free(run);
    g_free(path);
    g_free(dir);
}

/* extra goes at the end of [data] (and may open later groups); disc is the
 * [discriminator] group's body. */
static char *config_text(const char *mode, const char *extra, const char *disc)
{
    return g_strdup_printf("[run]\nmode = %s\nsteps = 3\nbatch = 2\nsize = 16\nsamples = 2\nlog_every = 1\n"
                           "sample_every = 3\ncheckpoint_every = 0\n" TINY_GENERATOR "[discriminator]\n%s"
                           "[data]\nphotos = %s/photos\nval_fraction = 0.2\ntest_fraction = 0.2\n%s",
                           mode, disc, data_root, extra);
}

static void test_pix2pix(void)
{
    char *extra = g_strdup_printf("targets = %s/targets\n", data_root);
    char *t = config_text("pix2pix", extra, TINY_DISC);
    run_mode("pix2pix", t, 1, NULL);
    g_free(t);
    g_free(extra);
}

static void test_pix2pix_teacher_and_extras(void)
{
    /* A manga teacher, augmentation, two discriminator scales with spectral
     * norm, hinge loss, a warm-up step, clipping and every extra loss. */
    char *t = config_text("pix2pix",
                          "target_filter = manga\njitter = 0.2\nrotate90 = true\nscale_max = 1.5\n"
                          "[loss]\nstyle = 1\ncontent = 1\ncolor = 1\nchroma = 1\nstability = 1\ntv = 1\ngradient = 1\n"
                          "edge_smooth = 1\ngan = hinge\n"
                          "[optim]\nwarmup_steps = 1\nclip = 10\n[generator]\nresidual = true\nresidual_blur = 2\n",
                          "width = 4\nlayers = 1\nscales = 2\nspectral_norm = true\n");
    run_mode("pix2pix+extras", t, 1, "g_style g_content g_color g_chroma g_stability g_tv g_gradient");
    g_free(t);
}

static void test_pix2pix_style_images(void)
{
    /* The cel recipe's setup: a teacher plus a second discriminator on
     * unpaired art, which both the generator and that discriminator train on. */
    char *extra = g_strdup_printf("target_filter = cel\nstyle = %s/style\n", data_root);
    char *t = config_text("pix2pix", extra, TINY_DISC);
    run_mode("pix2pix+style", t, 1, "g_adv g_l1 g_style_adv d_real d_fake d_style_real d_style_fake");
    g_free(t);
    g_free(extra);
}

static void test_cyclegan(void)
{
    char *extra = g_strdup_printf("style = %s/style\n[loss]\npool_size = 3\nedge_smooth = 0.5\n", data_root);
    char *t = config_text("cyclegan", extra, TINY_DISC);
    run_mode("cyclegan", t, 1, NULL);
    g_free(t);
    g_free(extra);
}

static void test_attention(void)
{
    char *extra = g_strdup_printf("style = %s/style\n[loss]\nstyle = 1\nfeatures = discriminator\n", data_root);
    char *t = config_text("attention", extra, TINY_DISC);
    run_mode("attention", t, 1, NULL);
    g_free(t);
    g_free(extra);
}

/* The gradient loss against a naive double sum, and its gradient against
 * central finite differences of that sum. */
static double naive_gradient_loss(const float *x, const float *t, int n, int c, int h, int w)
{
    double sx = 0, sy = 0;
    for (int i = 0; i < n * c; i++)
        for (int y = 0; y < h; y++)
            for (int k = 0; k < w; k++) {
                const float *a = x + (size_t)i * h * w, *b = t + (size_t)i * h * w;
                if (k + 1 < w)
                    sx += fabs((double)(a[y * w + k + 1] - a[y * w + k]) - (b[y * w + k + 1] - b[y * w + k]));
                if (y + 1 < h)
                    sy += fabs((double)(a[(y + 1) * w + k] - a[y * w + k]) - (b[(y + 1) * w + k] - b[y * w + k]));
            }
    return 0.5 * (sx / (n * c * h * (w - 1)) + sy / (n * c * (h - 1) * w));
}

static void test_gradient_loss(void)
{
    const int n = 2, c = 3, h = 5, w = 7;
    cg_error err = {0};
    cg_graph *g = cg_graph_new(true, &err);
    cg_params *ps = cg_params_new(&err);
    const int64_t dim[4] = {n, c, h, w};
    cg_tensor *x = cg_params_add(ps, "x", 4, dim, &err), *t = cg_graph_tensor4(g, n, c, h, w);
    g_assert_nonnull(x);
    g_assert_nonnull(t);
    g_assert_cmpint(cg_params_finalize(ps, &err), ==, CG_OK);
    x = cg_params_get(ps, 0);
    GRand *r = g_rand_new_with_seed(3);
    for (int64_t i = 0; i < x->size; i++) {
        x->data[i] = (float)g_rand_double_range(r, -1, 1);
        t->data[i] = (float)g_rand_double_range(r, -1, 1);
    }
    g_rand_free(r);
    cg_params_zero_grad(ps);
    cg_tensor *loss = tr_gradient_loss(g, x, t);
    g_assert_nonnull(loss);
    double want = naive_gradient_loss(x->data, t->data, n, c, h, w);
    g_assert_cmpfloat(fabs(loss->data[0] - want), <, 1e-6);
    g_assert_cmpint(cg_graph_backward(g, loss, &err), ==, CG_OK);
    for (int64_t i = 0; i < x->size; i += 7) {
        const float e = 1e-3f, keep = x->data[i];
        x->data[i] = keep + e;
        double up = naive_gradient_loss(x->data, t->data, n, c, h, w);
        x->data[i] = keep - e;
        double down = naive_gradient_loss(x->data, t->data, n, c, h, w);
        x->data[i] = keep;
        g_assert_cmpfloat(fabs(x->grad[i] - (up - down) / (2 * e)), <, 1e-3);
    }
    cg_graph_free(g);
    cg_params_free(ps);
}

static void test_multistyle(void)
{
    /* With an output head per style; the chroma test below trains without. */
    char *extra = g_strdup_printf("[generator]\nresidual = true\nstyle_heads = true\n"
                                  "[loss]\nstability = 1\nchroma = 1\ngradient = 1\n"
                                  "[style ink]\nsource = filter\nfilter = manga\n"
                                  "[style inverse]\nsource = targets\ndir = %s/targets\n"
                                  "[style paint]\nsource = images\ndir = %s/style\n",
                                  data_root, data_root);
    char *t = config_text("multistyle", extra, TINY_DISC);
    run_mode("multistyle", t, 4, "g_stability g_chroma g_gradient"); /* three styles and the identity style added */
    g_free(t);
    g_free(extra);
}

/* A style's own chroma weight trains the chroma term with no [loss] chroma,
 * and a weight that is not a number from 0 to 1e6 is refused. */
static void test_multistyle_style_chroma(void)
{
    char *extra = g_strdup_printf("[style ink]\nsource = filter\nfilter = manga\n"
                                  "[style inverse]\nsource = targets\ndir = %s/targets\nchroma = 2\n",
                                  data_root);
    char *t = config_text("multistyle", extra, TINY_DISC);
    run_mode("multistyle-style-chroma", t, 3, "g_chroma");
    g_free(t);
    g_free(extra);
    const char *bad[] = {"-1", "lots", "2e6"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        extra = g_strdup_printf("[style ink]\nsource = filter\nfilter = manga\nchroma = %s\n", bad[i]);
        t = config_text("multistyle", extra, TINY_DISC);
        cg_error err = {0};
        g_assert_null(cg_train_config_parse(t, data_root, "bad.ini", &err));
        g_assert_cmpint(err.code, ==, CG_ERR_INVALID);
        g_assert_nonnull(strstr(err.message, "chroma"));
        g_free(t);
        g_free(extra);
    }
}

/* With adversarial = 0 a multistyle run makes no discriminators: the log has
 * no discriminator losses, yet the paired styles still learn from their
 * targets (L1), and the model exports. Its generator has output heads over a
 * body with no per-image statistics: no norm at all, or a per-style scale and
 * shift (cond_affine). */
static void check_multistyle_no_adversarial(const char *norm)
{
    char *dir = fx_tmpdir();
    char *extra = g_strdup_printf("[loss]\nadversarial = 0\n[generator]\nnorm = %s\nstyle_heads = true\n"
                                  "[style ink]\nsource = filter\nfilter = manga\n"
                                  "[style inverse]\nsource = targets\ndir = %s/targets\n",
                                  norm, data_root);
    char *text = config_text("multistyle", extra, TINY_DISC);
    char *path = fx_write_file(dir, "run.ini", text);
    cg_train_config *c = fx_config(path);
    char *run = g_build_filename(dir, "run", NULL), *model = g_build_filename(dir, "m.safetensors", NULL);
    cg_error err = {0};
    if (fx_train(c, run, false, 0, &err) != CG_OK)
        g_error("train: %s", err.message);
    char *log = NULL, *log_path = g_build_filename(run, "log.jsonl", NULL);
    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "\"g_l1\":"));
    g_assert_null(strstr(log, "\"d_real\""));
    g_assert_null(strstr(log, "\"g_adv\""));
    g_assert_cmpint(cg_run_export(run, model, NULL, &err), ==, CG_OK);
    cg_model *m = cg_model_load(model, &err);
    g_assert_nonnull(m);
    g_assert_cmpint(cg_model_style_count(m), ==, 3);
    g_assert_nonnull(strstr(cg_net_arch_json(cg_model_net(m)), norm));
    cg_model_free(m);
    g_free(log);
    g_free(log_path);
    g_free(model);
    g_free(run);
    g_free(path);
    g_free(text);
    g_free(extra);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(dir);
}

static void test_multistyle_no_adversarial(void)
{
    check_multistyle_no_adversarial("none");
    check_multistyle_no_adversarial("cond_affine");
}

/* The config text with its first `find` replaced by `with`, written to
 * dir/bad.ini, is refused with an error containing message. */
static void expect_edited_config_error(const char *dir, const char *text, const char *find, const char *with,
                                       const char *message)
{
    const char *at = strstr(text, find);
    g_assert_nonnull(at);
    char *bad = g_strdup_printf("%.*s%s%s", (int)(at - text), text, with, at + strlen(find));
    char *bad_path = fx_write_file(dir, "bad.ini", bad);
    cg_error err = {0};
    g_assert_null(cg_train_config_load(bad_path, &err));
    if (!strstr(err.message, message))
        g_error("%s: \"%s\" lacks \"%s\"", with, err.message, message);
    g_free(bad);
    g_free(bad_path);
}

/* Export adds a post stage per style of a mix ([export NAME] groups),
 * trained without one, and the provenance says so; a style the model lacks
 * is refused and nothing is written. A recipe's [export NAME] must name one
 * of its styles, and the old [export] post_style gets a pointed message. */
static void test_export_post_style(void)
{
    char *dir = fx_tmpdir();
    char *extra = g_strdup_printf("[loss]\nadversarial = 0\n[generator]\nnorm = cond_affine\nstyle_heads = true\n"
                                  "[style ink]\nsource = filter\nfilter = manga\n"
                                  "[style flat]\nsource = filter\nfilter = cel\n"
                                  "[export flat]\npost_smooth = 3\npost_bands = 6\n"
                                  "[export ink]\npost_kuwahara = 1\n");
    char *text = config_text("multistyle", extra, TINY_DISC);
    char *path = fx_write_file(dir, "run.ini", text);
    cg_train_config *c = fx_config(path);
    cg_export_options o = cg_train_config_export(c);
    g_assert_cmpint(o.n_post, ==, 2);
    const cg_export_post *flat = strcmp(o.post[0].style, "flat") == 0 ? &o.post[0] : &o.post[1];
    const cg_export_post *ink = flat == &o.post[0] ? &o.post[1] : &o.post[0];
    g_assert_cmpstr(flat->style, ==, "flat");
    g_assert_cmpint(flat->smooth, ==, 3);
    g_assert_cmpint(flat->bands, ==, 6);
    g_assert_cmpint(flat->kuwahara, ==, 0);
    g_assert_cmpstr(ink->style, ==, "ink");
    g_assert_cmpint(ink->kuwahara, ==, 1);
    char *run = g_build_filename(dir, "run", NULL), *model = g_build_filename(dir, "m.safetensors", NULL);
    cg_error err = {0};
    if (fx_train(c, run, false, 0, &err) != CG_OK)
        g_error("train: %s", err.message);
    g_assert_cmpint(cg_run_export(run, model, &o, &err), ==, CG_OK);
    cg_model *m = cg_model_load(model, &err);
    g_assert_nonnull(m);
    const char *arch = cg_net_arch_json(cg_model_net(m));
    g_assert_nonnull(strstr(arch, "\"post_smooth\":3"));
    g_assert_nonnull(strstr(arch, "\"post_bands\":6"));
    g_assert_nonnull(strstr(arch, "\"post_style\":1"));
    g_assert_nonnull(strstr(arch, "\"post_kuwahara\":1"));
    g_assert_nonnull(strstr(arch, "\"post_style\":0"));
    g_assert_nonnull(strstr(cg_model_provenance_json(m), "{\"post_style\":\"flat\",\"post_smooth\":3,\"post_bands\":6}"));
    g_assert_nonnull(strstr(cg_model_provenance_json(m), "{\"post_style\":\"ink\",\"post_kuwahara\":1}"));
    cg_model_free(m);
    g_assert_cmpint(g_unlink(model), ==, 0);

    /* Setting a style's stage again changes it (the command line over the
     * recipe): its other settings stay, no stage is added. */
    cg_export_post more = {.style = "flat", .bands = 4};
    g_assert_cmpint(cg_export_options_set(&o, &more, &err), ==, CG_OK);
    g_assert_cmpint(o.n_post, ==, 2);
    g_assert_cmpint(flat->bands, ==, 4);
    g_assert_cmpint(flat->smooth, ==, 3);
    /* A stage for every style beside styles' own: which weight would it take? */
    cg_export_post every = {.smooth = 2};
    g_assert_cmpint(cg_export_options_set(&o, &every, &err), ==, CG_OK);
    g_assert_cmpint(cg_run_export(run, model, &o, &err), ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "a \"post_style\" each"));
    g_assert_false(g_file_test(model, G_FILE_TEST_EXISTS));
    cg_error_clear(&err);

    o = (cg_export_options){.n_post = 1, .post[0] = {.style = "wash", .smooth = 2}};
    g_assert_cmpint(cg_run_export(run, model, &o, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "no style \"wash\""));
    g_assert_false(g_file_test(model, G_FILE_TEST_EXISTS));
    cg_error_clear(&err);
    o = (cg_export_options){.n_post = 1, .post[0] = {.style = "flat"}};
    g_assert_cmpint(cg_run_export(run, model, &o, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "post_kuwahara, post_smooth or post_bands"));
    g_assert_false(g_file_test(model, G_FILE_TEST_EXISTS));
    cg_train_config_free(c);

    static const char *const bad_groups[][2] = {
        {"[export flat]", "[export wash]"},
        {"[export flat]", "[export]\npost_style = flat\n[export flat]"},
        {"post_kuwahara = 1", "post_kuwahara = 5"},
        {"post_kuwahara = 1", "post_blur = 1"},
    };
    static const char *const messages[] = {"\"wash\" is none of the [style NAME] groups", "[export NAME]",
                                           "post_kuwahara must be a whole number from 0 to 4", "post_blur: unknown key"};
    for (size_t i = 0; i < G_N_ELEMENTS(messages); i++)
        expect_edited_config_error(dir, text, bad_groups[i][0], bad_groups[i][1], messages[i]);

    g_free(model);
    g_free(run);
    g_free(path);
    g_free(text);
    g_free(extra);
    fx_rmtree(dir);
    g_free(dir);
}

/* A style of a mix may be trained through a Kuwahara stage of its own
 * ([style NAME] post_kuwahara): the recipe's hash names it, the trained arch
 * holds the stage for that style alone, and export adds another style's stage
 * beside it. A [generator] stage for every style beside it is refused. */
static void test_multistyle_style_stage(void)
{
    char *dir = fx_tmpdir();
    char *extra = g_strdup_printf("[loss]\nadversarial = 0\n[generator]\nnorm = cond_affine\nstyle_heads = true\n"
                                  "[style ink]\nsource = filter\nfilter = manga\n"
                                  "[style oil]\nsource = filter\nfilter = painted\npost_kuwahara = 1\n"
                                  "[export ink]\npost_smooth = 2\n");
    char *text = config_text("multistyle", extra, TINY_DISC);
    char *path = fx_write_file(dir, "run.ini", text);
    cg_train_config *c = fx_config(path);
    g_assert_nonnull(strstr(cg_train_config_canonical(c), "[style oil]\nsource=filter\nfilter=painted\n"));
    g_assert_nonnull(strstr(cg_train_config_canonical(c), "post_kuwahara=1\n"));
    char *run = g_build_filename(dir, "run", NULL), *model = g_build_filename(dir, "m.safetensors", NULL);
    cg_error err = {0};
    if (fx_train(c, run, false, 0, &err) != CG_OK)
        g_error("train: %s", err.message);
    cg_export_options o = cg_train_config_export(c);
    g_assert_cmpint(cg_run_export(run, model, &o, &err), ==, CG_OK);
    cg_model *m = cg_model_load(model, &err);
    g_assert_nonnull(m);
    const char *arch = cg_net_arch_json(cg_model_net(m));
    g_test_message("%s", arch);
    g_assert_nonnull(strstr(arch, "{\"post_kuwahara\":1,\"post_kuwahara_radius\":6.0,\"post_style\":1}"));
    g_assert_nonnull(strstr(arch, "\"post_smooth\":2"));
    g_assert_nonnull(strstr(arch, "\"post_style\":0"));
    cg_model_free(m);
    cg_train_config_free(c);

    expect_edited_config_error(dir, text, "[style ink]", "[generator]\npost_smooth = 1\n[style ink]",
                               "give one or the other");

    g_free(model);
    g_free(run);
    g_free(path);
    g_free(text);
    g_free(extra);
    fx_rmtree(dir);
    g_free(dir);
}

/* The teachers added for reference models draw their looks: hatching and ink
 * in grey only (so their styles are marked monochrome), the poster in at most
 * 6 colours; each changes the photo. */
static void test_reference_look_teachers(void)
{
    static const char *const names[] = {"hatching", "ink", "poster"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        const int t = tr_teacher_of(names[i]);
        g_assert_cmpint(t, >, 0);
        g_assert_true(tr_teacher_monochrome(t) == (strcmp(names[i], "poster") != 0));
        cg_image *photo = fx_photo(64, 48, 5), *img = fx_photo(64, 48, 5);
        cg_error err = {0};
        if (tr_teacher_apply(t, img, &err) != CG_OK)
            g_error("%s: %s", names[i], err.message);
        GHashTable *colours = g_hash_table_new(g_direct_hash, g_direct_equal);
        double grey = 0, change = 0;
        const int64_t n = (int64_t)img->width * img->height;
        for (int64_t k = 0; k < n; k++) {
            const float *p = img->pixels + 4 * k, *q = photo->pixels + 4 * k;
            grey = fmax(grey, fmax(fabs(p[0] - p[1]), fabs(p[1] - p[2])));
            change += fabs(p[0] - q[0]) + fabs(p[1] - q[1]) + fabs(p[2] - q[2]);
            guint key = (guint)lrintf(p[0] * 255) << 16 | (guint)lrintf(p[1] * 255) << 8 | (guint)lrintf(p[2] * 255);
            g_hash_table_add(colours, GUINT_TO_POINTER(key + 1));
        }
        g_test_message("%s: %u colours, largest channel spread %.3g, mean change %.3g", names[i],
                       g_hash_table_size(colours), grey, change / (3.0 * n));
        if (tr_teacher_monochrome(t))
            g_assert_cmpfloat(grey, <, 1e-6);
        else
            g_assert_cmpuint(g_hash_table_size(colours), <=, 6);
        g_assert_cmpfloat(change / (3.0 * n), >, 0.01);
        g_hash_table_destroy(colours);
        cg_image_free(photo);
        cg_image_free(img);
    }
}

/* A 3-step pix2pix run on the fixture's targets into dir/NAME, its
 * [generator] extended by generator_extra. */
static char *train_pix2pix(const char *dir, const char *name, const char *generator_extra)
{
    char *extra = g_strdup_printf("targets = %s/targets\n[generator]\n%s", data_root, generator_extra);
    char *text = config_text("pix2pix", extra, TINY_DISC);
    char *ini = g_strdup_printf("%s.ini", name);
    char *path = fx_write_file(dir, ini, text);
    cg_train_config *c = fx_config(path);
    char *run = g_build_filename(dir, name, NULL);
    cg_error err = {0};
    if (fx_train(c, run, false, 0, &err) != CG_OK)
        g_error("train %s: %s", name, err.message);
    cg_train_config_free(c);
    g_free(path);
    g_free(ini);
    g_free(text);
    g_free(extra);
    return run;
}

/* Export can change the model's post stage from the one the network was
 * trained through (the cel recipe smooths more at inference than in
 * training), or add one to a network trained without (painted's Kuwahara
 * pass); the provenance says so. A value out of range is refused and
 * nothing is written. */
static void test_export_post_smooth(void)
{
    char *dir = fx_tmpdir(), *model = g_build_filename(dir, "m.safetensors", NULL);
    char *run = train_pix2pix(dir, "post", "residual = true\nresidual_guided = 1\npost_smooth = 1\npost_bands = 4\n");
    cg_error err = {0};
    cg_export_options o = {.n_post = 1, .post[0] = {.smooth = 3}};
    g_assert_cmpint(cg_run_export(run, model, &o, &err), ==, CG_OK);
    cg_model *m = cg_model_load(model, &err);
    g_assert_nonnull(m);
    const char *arch = cg_net_arch_json(cg_model_net(m));
    g_assert_nonnull(strstr(arch, "\"post_smooth\":3"));
    g_assert_nonnull(strstr(arch, "\"post_bands\":4"));
    g_assert_nonnull(strstr(cg_model_provenance_json(m), "\"export\":{\"post\":[{\"post_smooth\":3}]}"));
    cg_model_free(m);
    g_assert_cmpint(g_unlink(model), ==, 0);

    o.post[0].smooth = 9;
    g_assert_cmpint(cg_run_export(run, model, &o, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "post_smooth"));
    g_assert_false(g_file_test(model, G_FILE_TEST_EXISTS));
    g_free(run);

    /* A network trained without a post stage gets the one asked for. */
    run = train_pix2pix(dir, "plain", "");
    o = (cg_export_options){.n_post = 1, .post[0] = {.kuwahara = 1}};
    cg_error_clear(&err);
    g_assert_cmpint(cg_run_export(run, model, &o, &err), ==, CG_OK);
    m = cg_model_load(model, &err);
    g_assert_nonnull(m);
    g_assert_nonnull(strstr(cg_net_arch_json(cg_model_net(m)), "\"post_kuwahara\":1"));
    g_assert_null(strstr(cg_net_arch_json(cg_model_net(m)), "post_smooth"));
    g_assert_nonnull(strstr(cg_model_provenance_json(m), "\"export\":{\"post\":[{\"post_kuwahara\":1}]}"));
    cg_model_free(m);
    g_assert_cmpint(g_unlink(model), ==, 0);
    o.post[0].kuwahara = 5;
    g_assert_cmpint(cg_run_export(run, model, &o, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "post_kuwahara 5"));
    g_assert_false(g_file_test(model, G_FILE_TEST_EXISTS));

    g_free(run);
    g_free(model);
    fx_rmtree(dir);
    g_free(dir);
}

/* Photos whose right half is white: most 16-pixel crops of them are one flat
 * colour. */
static char *write_half_white_photos(const char *dir)
{
    char *photos = g_build_filename(dir, "half-white", NULL);
    g_assert_cmpint(g_mkdir_with_parents(photos, 0755), ==, 0);
    cg_error err = {0};
    for (int i = 0; i < 5; i++) {
        cg_image *img = fx_photo(64, 64, 300 + (guint32)i);
        for (int y = 0; y < 64; y++)
            for (int x = 32; x < 64; x++)
                for (int c = 0; c < 4; c++)
                    img->pixels[4 * (y * 64 + x) + c] = 1;
        char *name = g_strdup_printf("w%d.png", i), *path = g_build_filename(photos, name, NULL);
        g_assert_cmpint(cg_image_save(img, path, NULL, &err), ==, CG_OK);
        cg_image_free(img);
        g_free(path);
        g_free(name);
    }
    return photos;
}

/* A window that is one colour is drawn again; the check agrees with the
 * rendered crop. */
static void test_flat_crops_redrawn(void)
{
    char *dir = fx_tmpdir(), *photos = write_half_white_photos(dir);
    char *text = g_strdup_printf("[run]\nmode = pix2pix\nsize = 16\n[discriminator]\n" TINY_DISC
                                 "[data]\nphotos = %s\nload_size = 64\ntarget_filter = cel\nflip = true\n"
                                 "scale_min = 0.8\nscale_max = 1.2\n",
                                 photos);
    char *path = fx_write_file(dir, "run.ini", text);
    cg_train_config *c = fx_config(path);
    cg_error err = {0};
    char *photo = g_build_filename(photos, "w0.png", NULL);
    cg_image *img = cg_image_load(photo, &err);
    g_assert_nonnull(img);
    tr_image t = {img->width, img->height, g_malloc((size_t)3 * img->width * img->height)};
    for (int64_t k = 0; k < (int64_t)img->width * img->height; k++)
        for (int ch = 0; ch < 3; ch++)
            t.rgb[3 * k + ch] = (uint8_t)lrintf(img->pixels[4 * k + ch] * 255);
    float crop[3 * 16 * 16];
    cg_rng rng;
    cg_rng_seed(&rng, 7);
    int flat_plain = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 300; i++) {
            tr_aug a;
            if (round == 0)
                tr_aug_draw(c, &rng, &a);
            else
                tr_aug_draw_detailed(c, &rng, &t, &a);
            tr_aug_apply(&t, &a, 16, crop);
            float lo = 2, hi = -2;
            for (int k = 0; k < 3 * 16 * 16; k++) {
                lo = crop[k] < lo ? crop[k] : lo;
                hi = crop[k] > hi ? crop[k] : hi;
            }
            bool flat = hi - lo < 1e-6f;
            if (flat)
                g_assert_true(tr_aug_is_flat(&t, &a, 16));
            if (round == 0)
                flat_plain += flat;
            else
                g_assert_false(flat);
        }
    /* The photos do give flat crops: a third of the plain draws. */
    g_assert_cmpint(flat_plain, >, 50);
    g_free(t.rgb);
    cg_image_free(img);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(photo);
    g_free(path);
    g_free(text);
    g_free(photos);
    g_free(dir);
}

/* The cel run's divergence, small: a deep generator on crops of white. Each
 * of its 21 instance norms multiplies a flat crop's gradient by
 * 1/sqrt(eps); the Adam moment overflowed and the run stopped. */
static void test_pix2pix_flat_photos(void)
{
    char *dir = fx_tmpdir(), *photos = write_half_white_photos(dir);
    char *text = g_strdup_printf("[run]\nmode = pix2pix\nsteps = 8\nbatch = 2\nsize = 16\nlog_every = 1\n"
                                 "sample_every = 0\ncheckpoint_every = 0\n[generator]\nwidth = 4\ndownsamples = 2\n"
                                 "blocks = 8\n[discriminator]\n" TINY_DISC "[data]\nphotos = %s\nload_size = 64\n"
                                 "target_filter = cel\nval_fraction = 0.2\ntest_fraction = 0\n", photos);
    char *path = fx_write_file(dir, "run.ini", text);
    cg_train_config *c = fx_config(path);
    char *run = g_build_filename(dir, "run", NULL);
    cg_error err = {0};
    if (fx_train(c, run, false, 0, &err) != CG_OK)
        g_error("half-white photos: %s", err.message);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(run);
    g_free(path);
    g_free(text);
    g_free(photos);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    data_root = fx_tmpdir();
    char *photos = g_build_filename(data_root, "photos", NULL), *targets = g_build_filename(data_root, "targets", NULL);
    char *style = g_build_filename(data_root, "style", NULL);
    fx_write_photos(photos, 5, 24, 20, 1);
    fx_write_targets(photos, targets);
    fx_write_photos(style, 4, 20, 22, 99);
    g_test_add_func("/train/modes/pix2pix", test_pix2pix);
    g_test_add_func("/train/modes/reference_look_teachers", test_reference_look_teachers);
    g_test_add_func("/train/modes/multistyle_style_stage", test_multistyle_style_stage);
    g_test_add_func("/train/modes/pix2pix_teacher_extras", test_pix2pix_teacher_and_extras);
    g_test_add_func("/train/modes/pix2pix_style_images", test_pix2pix_style_images);
    g_test_add_func("/train/modes/cyclegan", test_cyclegan);
    g_test_add_func("/train/modes/attention", test_attention);
    g_test_add_func("/train/modes/multistyle", test_multistyle);
    g_test_add_func("/train/modes/multistyle_style_chroma", test_multistyle_style_chroma);
    g_test_add_func("/train/modes/multistyle_no_adversarial", test_multistyle_no_adversarial);
    g_test_add_func("/train/modes/export_post_style", test_export_post_style);
    g_test_add_func("/train/losses/gradient", test_gradient_loss);
    g_test_add_func("/train/augment/flat_crops_redrawn", test_flat_crops_redrawn);
    g_test_add_func("/train/modes/pix2pix_flat_photos", test_pix2pix_flat_photos);
    g_test_add_func("/train/export/post_smooth", test_export_post_smooth);
    int rc = g_test_run();
    fx_rmtree(data_root);
    g_free(photos);
    g_free(targets);
    g_free(style);
    g_free(data_root);
    return rc;
}
