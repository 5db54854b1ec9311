/* Exact resume: N+M steps straight and N steps, stop, resume, M steps give
 * bit-identical checkpoints (weights, Adam moments, generator states, image
 * pools, loader positions), in every mode; a changed config is refused; and
 * a NaN loss stops the run, keeping the last good checkpoint. */
#include "fixture.h"

#include "comicgan/safetensors.h"

#include <string.h>

static char *data_root;

/* A 7-step run; "@" in extra stands for the data folder. The data is
 * augmented (crop, zoom, flip, jitter) so the generators' states matter. */
static char *config(const char *dir, const char *mode, const char *extra)
{
    char **parts = g_strsplit(extra, "@", -1);
    char *body = g_strjoinv(data_root, parts);
    g_strfreev(parts);
    char *text = g_strdup_printf(
        "[run]\nmode = %s\nsteps = 7\nbatch = 2\nsize = 16\nsamples = 1\nlog_every = 1\nsample_every = 0\n"
        "checkpoint_every = 0\nseed = 5\n"
        "[generator]\nwidth = 4\ndownsamples = 1\nblocks = 1\n[discriminator]\nwidth = 4\nlayers = 2\n"
        "[optim]\nconstant_steps = 3\ndecay_steps = 4\n"
        "[data]\nphotos = %s/photos\nval_fraction = 0.2\ntest_fraction = 0\njitter = 0.1\nscale_max = 1.3\n%s",
        mode, data_root, body);
    g_free(body);
    char *path = fx_write_file(dir, "run.ini", text);
    g_free(text);
    return path;
}

/* Every tensor and the state metadata of two checkpoints, compared exactly. */
static void assert_same_checkpoint(const char *a_path, const char *b_path)
{
    cg_error err = {0};
    cg_safetensors *a = cg_safetensors_load(a_path, &err), *b = cg_safetensors_load(b_path, &err);
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_cmpint(cg_safetensors_count(a), ==, cg_safetensors_count(b));
    for (int i = 0; i < cg_safetensors_count(a); i++) {
        const cg_safetensors_tensor *ta = cg_safetensors_get(a, i);
        const cg_safetensors_tensor *tb = cg_safetensors_find(b, ta->name);
        g_assert_nonnull(tb);
        g_assert_cmpint(ta->size, ==, tb->size);
        if (memcmp(ta->data, tb->data, (size_t)ta->size * sizeof(float)) != 0)
            g_error("tensor %s differs between the straight and the resumed run", ta->name);
    }
    for (int i = 0; i < cg_safetensors_metadata_count(a); i++) {
        const char *key = cg_safetensors_metadata_key(a, i);
        g_assert_cmpstr(cg_safetensors_metadata_value(a, i), ==, cg_safetensors_metadata(b, key));
    }
    cg_safetensors_free(a);
    cg_safetensors_free(b);
}

static bool checkpoints_equal(const char *a_path, const char *b_path)
{
    cg_error err = {0};
    cg_safetensors *a = cg_safetensors_load(a_path, &err), *b = cg_safetensors_load(b_path, &err);
    bool same = true;
    for (int i = 0; i < cg_safetensors_count(a) && same; i++) {
        const cg_safetensors_tensor *ta = cg_safetensors_get(a, i);
        const cg_safetensors_tensor *tb = cg_safetensors_find(b, ta->name);
        same = tb && tb->size == ta->size && memcmp(ta->data, tb->data, (size_t)ta->size * sizeof(float)) == 0;
    }
    cg_safetensors_free(a);
    cg_safetensors_free(b);
    return same;
}

static void check_resume(const char *mode, const char *extra)
{
    char *dir = fx_tmpdir();
    char *path = config(dir, mode, extra);
    cg_train_config *c = fx_config(path);
    char *straight = g_build_filename(dir, "straight", NULL), *split = g_build_filename(dir, "split", NULL);
    cg_error err = {0};
    if (fx_train(c, straight, false, 0, &err) != CG_OK)
        g_error("%s straight: %s", mode, err.message);
    if (fx_train(c, split, false, 3, &err) != CG_OK)
        g_error("%s first part: %s", mode, err.message);
    char *a = g_build_filename(straight, "checkpoint.safetensors", NULL);
    char *b = g_build_filename(split, "checkpoint.safetensors", NULL);
    /* Stopped after 3 steps: not yet the straight run's state. */
    g_assert_false(checkpoints_equal(a, b));
    /* The run's own config.ini resumes it, as `comicgan train --resume RUN` does. */
    char *own = g_build_filename(split, "config.ini", NULL);
    cg_train_config *c2 = fx_config(own);
    g_assert_cmpstr(cg_train_config_hash(c2), ==, cg_train_config_hash(c));
    if (fx_train(c2, split, true, 0, &err) != CG_OK)
        g_error("%s resume: %s", mode, err.message);
    assert_same_checkpoint(a, b);
    /* The log was continued, not restarted: steps 1..7, once each. */
    char *log_path = g_build_filename(split, "log.jsonl", NULL), *log = NULL;
    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "\"step\":1,"));
    g_assert_nonnull(strstr(log, "\"step\":7,"));
    g_assert_null(strstr(strstr(log, "\"step\":3,") + 1, "\"step\":3,"));
    cg_train_config_free(c2);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(log);
    g_free(log_path);
    g_free(own);
    g_free(a);
    g_free(b);
    g_free(straight);
    g_free(split);
    g_free(path);
    g_free(dir);
}

static void test_resume_pix2pix(void)
{
    check_resume("pix2pix", "targets = @/targets\n[loss]\nedge_smooth = 0.5\nstability = 1\nchroma = 1\n");
}

static void test_resume_pix2pix_style(void)
{
    check_resume("pix2pix", "target_filter = cel\nstyle = @/style\n");
}

static void test_resume_cyclegan(void)
{
    /* A pool smaller than the run's fakes: it fills, then swaps at random. */
    check_resume("cyclegan", "style = @/style\n[loss]\npool_size = 3\n");
}

static void test_resume_attention(void)
{
    check_resume("attention", "style = @/style\n[loss]\nstyle = 1\n");
}

static void test_resume_reference(void)
{
    /* Two reference folders (step s draws from folder s mod 2) and the
     * discriminator on references. */
    check_resume("reference", "references = @/style; @/targets\n[encoder]\nwidth = 4\nlayers = 2\ncode = 3\n"
                              "[loss]\nadversarial = 1\n");
}

static void test_resume_multistyle(void)
{
    check_resume("multistyle", "[style ink]\nsource = filter\nfilter = manga\n"
                               "[style paint]\nsource = images\ndir = @/style\n");
}

static void test_config_changed(void)
{
    char *dir = fx_tmpdir();
    char *path = config(dir, "pix2pix", "targets = @/targets\n");
    cg_train_config *c = fx_config(path);
    char *run = g_build_filename(dir, "run", NULL);
    cg_error err = {0};
    g_assert_cmpint(fx_train(c, run, false, 2, &err), ==, CG_OK);
    char *path2 = config(dir, "pix2pix", "targets = @/targets\n[loss]\nl1 = 50\n");
    cg_train_config *c2 = fx_config(path2);
    g_assert_cmpint(fx_train(c2, run, true, 0, &err), ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "another configuration"));
    char *elsewhere = g_build_filename(dir, "none", NULL);
    g_assert_cmpint(fx_train(c, elsewhere, true, 0, &err), ==, CG_ERR_IO);
    g_assert_nonnull(strstr(err.message, "no checkpoint.safetensors"));
    cg_train_config_free(c);
    cg_train_config_free(c2);
    fx_rmtree(dir);
    g_free(elsewhere);
    g_free(path2);
    g_free(run);
    g_free(path);
    g_free(dir);
}

static void test_nan_stop(void)
{
    char *dir = fx_tmpdir();
    char *path = config(dir, "pix2pix", "targets = @/targets\n[debug]\nnan_at_step = 5\n");
    /* Checkpoints every 2 steps: the last good one is step 4. */
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    char **parts = g_strsplit(text, "checkpoint_every = 0", -1);
    char *edited = g_strjoinv("checkpoint_every = 2", parts);
    g_strfreev(parts);
    g_assert_true(g_file_set_contents(path, edited, -1, NULL));
    cg_train_config *c = fx_config(path);
    char *run = g_build_filename(dir, "run", NULL);
    cg_error err = {0};
    g_assert_cmpint(fx_train(c, run, false, 0, &err), ==, CG_ERR_NUMERIC);
    g_assert_nonnull(strstr(err.message, "step 5"));
    g_assert_nonnull(strstr(err.message, "NaN"));
    g_assert_nonnull(strstr(err.message, "step 4"));
    char *ckpt = g_build_filename(run, "checkpoint.safetensors", NULL);
    cg_safetensors *f = cg_safetensors_load(ckpt, &err);
    g_assert_nonnull(f);
    g_assert_cmpstr(cg_safetensors_metadata(f, "step"), ==, "4");
    cg_safetensors_free(f);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(ckpt);
    g_free(run);
    g_free(edited);
    g_free(text);
    g_free(path);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    data_root = fx_tmpdir();
    char *photos = g_build_filename(data_root, "photos", NULL), *targets = g_build_filename(data_root, "targets", NULL);
    char *style = g_build_filename(data_root, "style", NULL);
    fx_write_photos(photos, 5, 24, 20, 3);
    fx_write_targets(photos, targets);
    fx_write_photos(style, 4, 20, 22, 77);
    g_test_add_func("/train/resume/pix2pix", test_resume_pix2pix);
    g_test_add_func("/train/resume/pix2pix_style", test_resume_pix2pix_style);
    g_test_add_func("/train/resume/cyclegan", test_resume_cyclegan);
    g_test_add_func("/train/resume/attention", test_resume_attention);
    g_test_add_func("/train/resume/multistyle", test_resume_multistyle);
    g_test_add_func("/train/resume/reference", test_resume_reference);
    g_test_add_func("/train/resume/config_changed", test_config_changed);
    g_test_add_func("/train/nan_stop", test_nan_stop);
    int rc = g_test_run();
    fx_rmtree(data_root);
    g_free(photos);
    g_free(targets);
    g_free(style);
    g_free(data_root);
    return rc;
}
