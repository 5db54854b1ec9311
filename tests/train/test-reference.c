/* Reference mode end to end on tiny data: it trains, exports one model with
 * the encoder and the generator, that model loads and encodes references, and
 * stylize takes the codes; different references give different outputs, the
 * same reference the same output; bad references and codes are refused. */
#include "fixture.h"

#include "comicgan/filters.h"
#include "comicgan/graph.h"
#include "comicgan/model.h"
#include "comicgan/net.h"
#include "comicgan/rng.h"
#include "comicgan/stylize.h"
#include "train/train_private.h"

/* The tiny runs' codes: the palette, the encoder's 4 values and the constant 1. */
#define CODE (CG_PALETTE_LENGTH + 5)

#include <math.h>
#include <string.h>

static char *data_root;

/* A flat picture of one colour with a few dark stripes: unlike the photos. */
static cg_image *stripes(int w, int h, float r, float g, float b)
{
    cg_error err = {0};
    cg_image *img = cg_image_new(w, h, &err);
    g_assert_nonnull(img);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = cg_image_at(img, x, y), k = (x / 3) % 2 ? 1.0f : 0.2f;
            p[0] = r * k;
            p[1] = g * k;
            p[2] = b * k;
            p[3] = 1;
        }
    return img;
}

static double mean_abs_diff(const cg_image *a, const cg_image *b)
{
    double s = 0;
    const size_t n = (size_t)a->width * a->height * 4;
    for (size_t i = 0; i < n; i++)
        s += fabs((double)a->pixels[i] - b->pixels[i]);
    return s / n;
}

/* Trains the run config text in dir/run; returns its log (caller frees), with
 * the parsed config and the run folder in *c and *run (caller frees). */
static char *train(const char *dir, const char *text, cg_train_config **c, char **run)
{
    char *path = fx_write_file(dir, "run.ini", text), *log = NULL;
    *c = fx_config(path);
    *run = g_build_filename(dir, "run", NULL);
    cg_error err = {0};
    if (fx_train(*c, *run, false, 0, &err) != CG_OK)
        g_error("train: %s", err.message);
    char *log_path = g_build_filename(*run, "log.jsonl", NULL);
    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    g_free(log_path);
    g_free(path);
    return log;
}

/* A tiny reference run's config: `steps` steps on the photos, with the folder
 * of style pictures and the manga teacher's renderings as references, then
 * `extra` (groups whose keys add to or replace these). Caller frees. */
static char *tiny_run(int steps, const char *extra)
{
    return g_strdup_printf(
        "[run]\nmode = reference\nname = ref\nsteps = %d\nbatch = 2\nsize = 16\nsamples = 2\nlog_every = 1\n"
        "sample_every = 0\ncheckpoint_every = 0\n"
        "[generator]\nwidth = 4\ndownsamples = 1\nblocks = 1\n[encoder]\nwidth = 4\nlayers = 2\ncode = 4\n"
        "[discriminator]\nwidth = 4\nlayers = 2\n"
        "[data]\nphotos = %s/photos\nreferences = %s/style\nreference_teachers = manga\n"
        "val_fraction = 0.2\ntest_fraction = 0\n%s",
        steps, data_root, data_root, extra);
}

/* The log of a tiny run (tiny_run(steps, extra)) in a folder of its own,
 * removed afterwards. Caller frees. */
static char *tiny_run_log(int steps, const char *extra)
{
    char *dir = fx_tmpdir(), *text = tiny_run(steps, extra), *run = NULL;
    cg_train_config *c = NULL;
    char *log = train(dir, text, &c, &run);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(run);
    g_free(text);
    g_free(dir);
    return log;
}

static void test_train_export_stylize(void)
{
    char *dir = fx_tmpdir();
    char *text = g_strdup_printf(
        "[run]\nmode = reference\nname = ref\nsteps = 6\nbatch = 2\nsize = 16\nsamples = 2\nlog_every = 1\n"
        "sample_every = 6\ncheckpoint_every = 0\n"
        "[generator]\nwidth = 4\ndownsamples = 1\nblocks = 1\n[discriminator]\nwidth = 4\nlayers = 2\n"
        "[encoder]\nwidth = 4\nlayers = 2\ncode = 4\n[optim]\nlr_g = 0.01\n[loss]\nadversarial = 0.5\n"
        "[data]\nphotos = %s/photos\nreferences = %s/style;%s/art\nreference_teachers = manga\n"
        "val_fraction = 0.2\ntest_fraction = 0\n",
        data_root, data_root, data_root);
    cg_train_config *c = NULL;
    char *run = NULL, *log = train(dir, text, &c, &run);
    cg_error err = {0};
    const char *want[] = {"g_style", "g_content", "g_reconstruction", "g_adv", "d_real", "d_fake"};
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        char *key = g_strdup_printf("\"%s\":", want[i]);
        if (!strstr(log, key))
            g_error("no %s in the log", want[i]);
        g_free(key);
    }
    /* The manga teacher's renderings of the photos are a third source of references. */
    char *split = NULL, *split_path = g_build_filename(run, "split.json", NULL);
    g_assert_true(g_file_get_contents(split_path, &split, NULL, NULL));
    g_assert_nonnull(strstr(split, "\"teacher.manga\""));
    g_free(split);
    g_free(split_path);
    /* Samples: photo, reference, output per row. */
    char *grid_path = g_build_filename(run, "samples", "step-0000006.png", NULL);
    cg_image *grid = cg_image_load(grid_path, &err);
    g_assert_nonnull(grid);
    g_assert_cmpint(grid->width, ==, 3 * 16 + 4);
    cg_image_free(grid);

    char *model_path = g_build_filename(dir, "ref.safetensors", NULL);
    if (cg_run_export(run, model_path, NULL, &err) != CG_OK)
        g_error("export: %s", err.message);
    cg_model *m = cg_model_load(model_path, &err);
    if (!m)
        g_error("load: %s", err.message);
    g_assert_nonnull(cg_model_encoder(m));
    g_assert_cmpint(cg_model_code_length(m), ==, CODE);
    g_assert_cmpint(cg_model_style_count(m), ==, 1);
    g_assert_cmpstr(cg_model_style(m, 0)->mode, ==, "reference");
    g_assert_cmpint(cg_model_identity_style(m), ==, -1);
    /* The recipe in the provenance names every folder of the references'
     * list, without this machine's paths (only the last one was kept once). */
    char *base = g_path_get_basename(data_root), *style = g_strdup_printf("%s/style;", base),
         *art = g_strdup_printf("%s/art\\n", base); /* "\\n": a newline in JSON */
    const char *prov = cg_model_provenance_json(m), *line = strstr(prov, "references=");
    if (!line || !strstr(line, style) || !strstr(line, art) || strstr(prov, data_root))
        g_error("the recipe should name %s and %s, and no absolute folder: %s", style, art, prov);
    g_free(style);
    g_free(art);
    g_free(base);
    /* The header-only load checks the encoder's tensors too. */
    cg_model *header = cg_model_load_header(model_path, &err);
    g_assert_nonnull(header);
    g_assert_cmpint(cg_model_code_length(header), ==, CODE);
    cg_model_free(header);

    /* Two references, each encoded twice. */
    cg_image *ref_a = fx_photo(40, 30, 11), *ref_b = stripes(50, 20, 0.9f, 0.3f, 0.1f);
    float ca[CODE], ca2[CODE], cb[CODE];
    g_assert_cmpint(cg_model_encode_reference(m, ref_a, ca, &err), ==, CG_OK);
    g_assert_cmpint(cg_model_encode_reference(m, ref_a, ca2, &err), ==, CG_OK);
    g_assert_cmpint(cg_model_encode_reference(m, ref_b, cb, &err), ==, CG_OK);
    g_assert_cmpmem(ca, sizeof ca, ca2, sizeof ca2);
    g_assert_cmpfloat(ca[CODE - 1], ==, 1.0f);
    g_assert_true(memcmp(ca, cb, sizeof ca) != 0);

    cg_image *photo = fx_photo(24, 20, 5);
    cg_image *out_a = cg_image_new(24, 20, &err), *out_a2 = cg_image_new(24, 20, &err);
    cg_image *out_b = cg_image_new(24, 20, &err);
    cg_stylize_options o = cg_stylize_defaults();
    o.code = ca;
    g_assert_cmpint(cg_stylize(m, photo, out_a, &o, &err), ==, CG_OK);
    o.code = ca2;
    g_assert_cmpint(cg_stylize(m, photo, out_a2, &o, &err), ==, CG_OK);
    o.code = cb;
    g_assert_cmpint(cg_stylize(m, photo, out_b, &o, &err), ==, CG_OK);
    g_assert_cmpmem(out_a->pixels, 24 * 20 * 4 * sizeof(float), out_a2->pixels, 24 * 20 * 4 * sizeof(float));
    double d = mean_abs_diff(out_a, out_b);
    g_test_message("mean |out(ref a) - out(ref b)| = %g", d);
    /* Six steps have only begun to move the generator's code rows (they start
     * at 0): the outputs differ little, but far beyond rounding, which the
     * same reference's bit-identical output shows to be absent. */
    g_assert_cmpfloat(d, >, 1e-5);
    /* Strength 0 is the input: the blend path, not an identity style. */
    o.strength = 0;
    g_assert_cmpint(cg_stylize(m, photo, out_b, &o, &err), ==, CG_OK);
    g_assert_cmpfloat(mean_abs_diff(out_b, photo), <, 1e-6);
    o.strength = 1;

    /* Bad codes: none, a last value other than 1, NaN. Nothing written. */
    cg_image *untouched = cg_image_copy(out_a, &err);
    o.code = NULL;
    g_assert_cmpint(cg_stylize(m, photo, out_a, &o, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "needs a style code"));
    float bad[CODE];
    memcpy(bad, ca, sizeof bad);
    bad[CODE - 1] = 2;
    o.code = bad;
    g_assert_cmpint(cg_stylize(m, photo, out_a, &o, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "last value must be 1"));
    bad[CODE - 1] = 1;
    bad[CODE - 2] = NAN;
    g_assert_cmpint(cg_stylize(m, photo, out_a, &o, &err), ==, CG_ERR_INVALID);
    g_assert_cmpmem(out_a->pixels, 24 * 20 * 4 * sizeof(float), untouched->pixels, 24 * 20 * 4 * sizeof(float));

    /* Bad references: too small, NaN pixels, absurdly large; code untouched. */
    float kept[CODE];
    memcpy(kept, ca, sizeof kept);
    cg_image *tiny = stripes(1, 1, 0.5f, 0.5f, 0.5f);
    g_assert_cmpint(cg_model_encode_reference(m, tiny, ca, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "sides must be"));
    cg_image *nan_ref = fx_photo(32, 32, 4);
    nan_ref->pixels[4 * 40 + 1] = NAN;
    g_assert_cmpint(cg_model_encode_reference(m, nan_ref, ca, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "not a finite number"));
    cg_image huge = {.width = CG_STYLIZE_MAX_SIDE + 1, .height = 16, .pixels = nan_ref->pixels};
    g_assert_cmpint(cg_model_encode_reference(m, &huge, ca, &err), ==, CG_ERR_INVALID);
    g_assert_cmpmem(ca, sizeof ca, kept, sizeof kept);

    /* An ordinary model takes neither references nor codes. */
    cg_model *plain = cg_model_new("{\"type\": \"resnet\", \"width\": 4, \"downsamples\": 1, \"blocks\": 1}", NULL, &err);
    g_assert_cmpint(cg_model_code_length(plain), ==, 0);
    g_assert_cmpint(cg_model_encode_reference(plain, ref_a, ca, &err), ==, CG_ERR_INVALID);
    o.code = kept;
    g_assert_cmpint(cg_stylize_check_options(plain, &o, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "not a reference model"));

    cg_model_free(plain);
    cg_image_free(tiny);
    cg_image_free(nan_ref);
    cg_image_free(untouched);
    cg_image_free(out_a);
    cg_image_free(out_a2);
    cg_image_free(out_b);
    cg_image_free(photo);
    cg_image_free(ref_a);
    cg_image_free(ref_b);
    cg_model_free(m);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(model_path);
    g_free(grid_path);
    g_free(log);
    g_free(run);
    g_free(text);
    g_free(dir);
}

/* With l1 set, every step ties the output to the teacher's rendering of a
 * photo, whatever the step's source (here the folder, then the manga
 * teacher); without it, no step does. */
static void test_paired_steps(void)
{
    for (int l1 = 0; l1 <= 10; l1 += 10) {
        char *extra = g_strdup_printf("[loss]\nl1 = %d\n", l1);
        char *log = tiny_run_log(6, extra);
        char **lines = g_strsplit(log, "\n", -1);
        int steps = 0;
        for (int i = 0; lines[i]; i++) {
            if (!strstr(lines[i], "\"step\":"))
                continue;
            if ((strstr(lines[i], "\"g_l1\":") != NULL) != (l1 > 0))
                g_error("l1 = %d, %s: g_l1 %s", l1, lines[i], l1 > 0 ? "missing" : "logged");
            g_assert_nonnull(strstr(lines[i], "\"g_style\":"));
            steps++;
        }
        g_assert_cmpint(steps, ==, 6);
        g_strfreev(lines);
        g_free(log);
        g_free(extra);
    }
}

/* The mean of a logged loss over steps [from, to). */
static double logged_mean(const char *log, const char *key, int from, int to)
{
    char **lines = g_strsplit(log, "\n", -1), *pattern = g_strdup_printf("\"%s\":", key);
    double sum = 0;
    int n = 0;
    for (int i = 0; lines[i]; i++) {
        const char *step = strstr(lines[i], "\"step\":"), *at = strstr(lines[i], pattern);
        long s = step ? strtol(step + 7, NULL, 10) - 1 : -1; /* logged after the step */
        if (at && s >= from && s < to) {
            sum += g_ascii_strtod(at + strlen(pattern), NULL);
            n++;
        }
    }
    g_strfreev(lines);
    g_free(pattern);
    if (n != to - from)
        g_error("%s: %d of steps %d to %d logged", key, n, from, to - 1);
    return sum / n;
}

/* source_code gives each source its own region of codes: the distance of the
 * codes to their source's prototype falls as E learns to tell a folder of
 * colour pictures from the manga teacher's black-and-white renderings, at E's
 * own learning rate (lr_e; at lr_g's 0.0002 forty steps are far too few). A
 * cond_affine generator (no statistics) is taken in reference mode. */
static void test_source_codes(void)
{
    char *log = tiny_run_log(40, "[generator]\nnorm = cond_affine\n[encoder]\ncode_norm = true\n"
                                 "[optim]\nlr_e = 0.01\n[loss]\nsource_code = 10\n");
    double first = logged_mean(log, "g_source_code", 0, 1), last = logged_mean(log, "g_source_code", 30, 40);
    g_test_message("code against its prototype: %g at the first step, %g over the last 10", first, last);
    /* Fresh codes and prototypes are unrelated unit-variance vectors (mean
     * square error about 2 over the code, 1.6 with the constant). */
    g_assert_cmpfloat(first, >, 0.5);
    g_assert_cmpfloat(last, <, 0.1 * first);
    g_free(log);
}

/* The model of a tiny run (tiny_run(steps, extra)), trained and exported in a
 * folder of its own, removed afterwards. Caller frees. */
static cg_model *trained_model(int steps, const char *extra)
{
    char *dir = fx_tmpdir(), *text = tiny_run(steps, extra), *run = NULL;
    cg_train_config *c = NULL;
    char *log = train(dir, text, &c, &run);
    char *model_path = g_build_filename(dir, "ref.safetensors", NULL);
    cg_error err = {0};
    if (cg_run_export(run, model_path, NULL, &err) != CG_OK)
        g_error("export: %s", err.message);
    cg_model *m = cg_model_load(model_path, &err);
    if (!m)
        g_error("load: %s", err.message);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(model_path);
    g_free(log);
    g_free(run);
    g_free(text);
    g_free(dir);
    return m;
}

/* The code of ref from the model of a 6-step run whose [loss] group adds
 * `loss` to source_code, with or without [encoder] detach. */
static void code_after_training(const char *loss, bool detach, const cg_image *ref, float *code)
{
    char *extra = g_strdup_printf("[generator]\nnorm = cond_affine\n[encoder]\ncode_norm = true\ndetach = %s\n"
                                  "[optim]\nlr_e = 0.01\n[loss]\nsource_code = 1\n%s\n",
                                  detach ? "true" : "false", loss);
    cg_model *m = trained_model(6, extra);
    cg_error err = {0};
    g_assert_cmpint(cg_model_encode_reference(m, ref, code, &err), ==, CG_OK);
    cg_model_free(m);
    g_free(extra);
}

/* With [encoder] detach, G's losses do not reach E: runs that weigh them
 * differently train the same encoder, bit for bit; without it they do not. */
static void test_detached_encoder(void)
{
    cg_image *ref = fx_photo(40, 30, 11);
    float a[CODE], b[CODE];
    code_after_training("style = 1\nreconstruction = 10", true, ref, a);
    code_after_training("style = 5\nreconstruction = 1", true, ref, b);
    g_assert_cmpmem(a, sizeof a, b, sizeof b);
    code_after_training("style = 1\nreconstruction = 10", false, ref, a);
    code_after_training("style = 5\nreconstruction = 1", false, ref, b);
    g_assert_true(memcmp(a, b, sizeof a) != 0);
    cg_image_free(ref);
}

/* A cond_affine generator at the shipped depth (two downsamplings, four
 * blocks) learns to use its code within a few dozen steps: a photo's output
 * moves between the codes of a folder picture and of a manga rendering. Its
 * default init is Xavier's (see init_keeps_signal), and every step ties it to
 * the teacher's rendering. */
static void test_generator_learns_codes(void)
{
    cg_model *m = trained_model(40, "[generator]\nwidth = 8\ndownsamples = 2\nblocks = 4\nnorm = cond_affine\n"
                                    "residual = true\n[encoder]\ncode_norm = true\ndetach = true\n"
                                    "[optim]\nlr_g = 0.002\nlr_e = 0.02\nclip = 1\n[loss]\nl1 = 20\nsource_code = 1\n");
    cg_error err = {0};
    cg_image *photo = fx_photo(24, 20, 5), *folder_ref = fx_photo(20, 22, 99);
    cg_image *manga_ref = cg_image_new(24, 20, &err);
    g_assert_cmpint(cg_filter_manga(photo, manga_ref, NULL, &err), ==, CG_OK);
    cg_image *a = cg_image_new(24, 20, &err), *b = cg_image_new(24, 20, &err);
    float ca[CODE], cb[CODE];
    g_assert_cmpint(cg_model_encode_reference(m, folder_ref, ca, &err), ==, CG_OK);
    g_assert_cmpint(cg_model_encode_reference(m, manga_ref, cb, &err), ==, CG_OK);
    cg_stylize_options o = cg_stylize_defaults();
    o.code = ca;
    g_assert_cmpint(cg_stylize(m, photo, a, &o, &err), ==, CG_OK);
    o.code = cb;
    g_assert_cmpint(cg_stylize(m, photo, b, &o, &err), ==, CG_OK);
    double d = mean_abs_diff(a, b);
    g_test_message("mean |out(folder code) - out(manga code)| = %g", d);
    g_assert_cmpfloat(d, >, 0.03);
    cg_image_free(a);
    cg_image_free(b);
    cg_image_free(photo);
    cg_image_free(folder_ref);
    cg_image_free(manga_ref);
    cg_model_free(m);
}

/* The spread of a fresh generator's output over a photo: the generator of a
 * tiny reference config with `generator` added to its [generator] group,
 * initialised as the config says, with a code of zeros (then the constant 1). */
static double fresh_output_spread(const char *generator, const char *expect_init)
{
    char *dir = fx_tmpdir(), *extra = g_strdup_printf("[generator]\n%s\n", generator);
    char *text = tiny_run(1, extra), *path = fx_write_file(dir, "run.ini", text);
    cg_train_config *c = fx_config(path);
    g_assert_nonnull(strstr(cg_train_config_canonical(c), expect_init));
    cg_error err = {0};
    cg_net *net = cg_net_new(c->gen_arch, &err);
    g_assert_nonnull(net);
    cg_rng rng;
    cg_rng_seed(&rng, 7);
    g_assert_cmpint(cg_net_init(net, &rng, c->init == 1, &err), ==, CG_OK);
    cg_graph *g = cg_graph_new(false, &err);
    cg_image *photo = fx_photo(32, 32, 5);
    cg_tensor *x = cg_graph_tensor4(g, 1, 3, 32, 32);
    for (int ch = 0; ch < 3; ch++)
        for (int i = 0; i < 32 * 32; i++)
            x->data[ch * 32 * 32 + i] = photo->pixels[(size_t)i * 4 + ch] * 2 - 1;
    const int64_t dim[2] = {1, 5};
    cg_tensor *code = cg_graph_tensor(g, 2, dim);
    memset(code->data, 0, 5 * sizeof(float));
    code->data[4] = 1;
    cg_tensor *y = cg_net_forward(net, g, x, code, NULL);
    g_assert_cmpint(cg_graph_status(g, &err), ==, CG_OK);
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < y->size; i++) {
        sum += y->data[i];
        sq += (double)y->data[i] * y->data[i];
    }
    double mean = sum / (double)y->size, spread = sqrt(fmax(0, sq / (double)y->size - mean * mean));
    cg_image_free(photo);
    cg_graph_free(g);
    cg_net_free(net);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(path);
    g_free(text);
    g_free(extra);
    g_free(dir);
    return spread;
}

/* A cond_affine generator has no statistics to undo a small init. With the
 * N(0, 0.02) weights every conv shrank the signal, the code rows got no
 * gradient worth the name, and a 2,000-step reference run gave one output
 * for every reference. Without statistics the default init is Xavier's,
 * and the photo's signal reaches a fresh generator's output; with instance
 * norm the default stays N(0, 0.02). */
static void test_init_keeps_signal(void)
{
    const char *deep = "width = 24\ndownsamples = 2\nblocks = 4\nnorm = cond_affine";
    char *normal = g_strdup_printf("%s\ninit = normal", deep);
    double by_default = fresh_output_spread(deep, "init=xavier"), small = fresh_output_spread(normal, "init=normal");
    g_test_message("output spread of a fresh cond_affine generator: %g by default, %g at init = normal", by_default,
                   small);
    g_assert_cmpfloat(by_default, >, 0.05);
    g_assert_cmpfloat(by_default, >, 100 * small);
    fresh_output_spread("norm = cond_instance", "init=normal");
    g_free(normal);
}

/* A reference config with one folder of references and `extra` is refused,
 * with a message that says `why`. */
static void refused_reference(const char *dir, const char *extra, const char *why)
{
    cg_error err = {0};
    char *t = g_strdup_printf("[run]\nmode = reference\n[data]\nphotos = %s/photos\nreferences = %s/style\n%s",
                              data_root, data_root, extra);
    g_assert_null(cg_train_config_parse(t, dir, "r.ini", &err));
    if (!strstr(err.message, why))
        g_error("%s: %s", extra, err.message);
    g_free(t);
}

static void test_config_rules(void)
{
    char *dir = fx_tmpdir();
    cg_error err = {0};
    /* Reference mode needs references; its keys are refused in other modes. */
    char *t1 = g_strdup_printf("[run]\nmode = reference\n[data]\nphotos = %s/photos\n", data_root);
    char *t2 = g_strdup_printf("[run]\nmode = pix2pix\n[data]\nphotos = %s/photos\ntarget_filter = cel\n"
                               "[encoder]\ncode = 4\n",
                               data_root);
    g_assert_null(cg_train_config_parse(t1, dir, "a.ini", &err));
    g_assert_nonnull(strstr(err.message, "references is needed"));
    g_assert_null(cg_train_config_parse(t2, dir, "b.ini", &err));
    g_assert_nonnull(strstr(err.message, "is for reference mode"));
    /* reference_teachers names teachers, and counts toward the sources' limit. */
    const char *bad_teachers[] = {"mango", "none", "manga, cel, painted, anime, manga, cel, painted, anime"};
    const char *why[] = {"\"mango\" is not a teacher", "\"none\" is not a teacher", "at most"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad_teachers); i++) {
        char *extra = g_strdup_printf("reference_teachers = %s\n", bad_teachers[i]);
        refused_reference(dir, extra, why[i]);
        g_free(extra);
    }
    /* l1 needs a teacher to render the photos. */
    refused_reference(dir, "[loss]\nl1 = 10\n", "needs [data] reference_teachers");
    char *t4 = g_strdup_printf("[run]\nmode = pix2pix\n[data]\nphotos = %s/photos\ntarget_filter = cel\n"
                               "reference_teachers = manga\n",
                               data_root);
    g_assert_null(cg_train_config_parse(t4, dir, "d.ini", &err));
    g_assert_nonnull(strstr(err.message, "is for reference mode"));
    g_free(t4);
    /* source_code: one orthogonal prototype per source, at most code - 1 of
     * them (three sources here); refused in other modes. */
    for (int code = 3; code <= 4; code++) {
        char *t = g_strdup_printf("[run]\nmode = reference\n[data]\nphotos = %s/photos\nreferences = %s/style;%s/art\n"
                                  "reference_teachers = manga\n[encoder]\ncode = %d\n[loss]\nsource_code = 1\n",
                                  data_root, data_root, data_root, code);
        cg_train_config *sc = cg_train_config_parse(t, dir, "s.ini", &err);
        if (code == 3) {
            g_assert_null(sc);
            g_assert_nonnull(strstr(err.message, "source_code needs [encoder] code above the number of sources (3)"));
        } else {
            g_assert_nonnull(sc);
            g_assert_nonnull(strstr(cg_train_config_canonical(sc), "source_code"));
            cg_train_config_free(sc);
        }
        g_free(t);
    }
    char *t6 = g_strdup_printf("[run]\nmode = pix2pix\n[data]\nphotos = %s/photos\ntarget_filter = cel\n"
                               "[loss]\nsource_code = 1\n",
                               data_root);
    g_assert_null(cg_train_config_parse(t6, dir, "f.ini", &err));
    g_assert_nonnull(strstr(err.message, "is for reference mode"));
    g_free(t6);
    /* lr_e follows lr_g's schedule, as a multiple of it; detach leaves E the
     * source term alone, so it must be there; a generator without
     * conditional norms cannot take a code. */
    refused_reference(dir, "[optim]\nlr_g = 0\nlr_e = 0.001\n", "lr_e follows lr_g's schedule");
    refused_reference(dir, "[encoder]\ndetach = true\n", "detach leaves the encoder only [loss] source_code");
    refused_reference(dir, "[generator]\nnorm = instance\n", "needs [generator] norm = cond_instance or cond_affine");
    /* Other modes' canonical configs do not mention reference options. */
    char *t3 = g_strdup_printf("[run]\nmode = pix2pix\n[data]\nphotos = %s/photos\ntarget_filter = cel\n", data_root);
    cg_train_config *c = cg_train_config_parse(t3, dir, "c.ini", &err);
    g_assert_nonnull(c);
    g_assert_null(strstr(cg_train_config_canonical(c), "[encoder]"));
    g_assert_null(strstr(cg_train_config_canonical(c), "reconstruction"));
    cg_train_config_free(c);
    g_free(t1);
    g_free(t2);
    g_free(t3);
    fx_rmtree(dir);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    data_root = fx_tmpdir();
    char *photos = g_build_filename(data_root, "photos", NULL), *style = g_build_filename(data_root, "style", NULL);
    char *art = g_build_filename(data_root, "art", NULL);
    fx_write_photos(photos, 5, 24, 20, 1);
    fx_write_photos(style, 4, 20, 22, 99);
    fx_write_photos(art, 4, 22, 20, 42);
    g_test_add_func("/train/reference/train_export_stylize", test_train_export_stylize);
    g_test_add_func("/train/reference/paired_steps", test_paired_steps);
    g_test_add_func("/train/reference/source_codes", test_source_codes);
    g_test_add_func("/train/reference/detached_encoder", test_detached_encoder);
    g_test_add_func("/train/reference/init_keeps_signal", test_init_keeps_signal);
    g_test_add_func("/train/reference/generator_learns_codes", test_generator_learns_codes);
    g_test_add_func("/train/reference/config_rules", test_config_rules);
    int rc = g_test_run();
    fx_rmtree(data_root);
    g_free(photos);
    g_free(style);
    g_free(art);
    g_free(data_root);
    return rc;
}
