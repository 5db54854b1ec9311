/* Data cleaning (planted corrupt, truncated, tiny, duplicate and unpaired
 * files), pairing by name, the seeded split, configs (refusals, defaults,
 * the canonical copy) and that docs/training.md documents every option. */
#include "fixture.h"

#include <glib/gstdio.h>
#include <string.h>

static char *root;

static const char *reason_of(const cg_dataset *d, const char *file)
{
    for (int i = 0; i < cg_dataset_skipped_count(d); i++)
        if (g_str_has_suffix(cg_dataset_skipped_path(d, i), file))
            return cg_dataset_skipped_reason(d, i);
    return NULL;
}

static void expect_reason(const cg_dataset *d, const char *file, const char *words)
{
    const char *r = reason_of(d, file);
    if (!r || !strstr(r, words))
        g_error("%s: expected a reason with \"%s\", got \"%s\"", file, words, r ? r : "(not skipped)");
}

static void plant_bad_files(const char *dir)
{
    char *p00 = g_build_filename(dir, "p00.png", NULL), *bytes = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(p00, &bytes, &len, NULL));
    char *dup = g_build_filename(dir, "zz-copy.png", NULL);
    g_assert_true(g_file_set_contents(dup, bytes, (gssize)len, NULL));
    char *trunc = g_build_filename(dir, "p99-truncated.png", NULL);
    g_assert_true(g_file_set_contents(trunc, bytes, (gssize)(len / 2), NULL));
    g_free(fx_write_file(dir, "corrupt.jpg", "this is not a JPEG at all, just text"));
    g_free(fx_write_file(dir, "notes.txt", "ignored: not an image extension"));
    g_free(fx_write_file(dir, ".hidden.png", "ignored: hidden"));
    cg_image *tiny = fx_photo(12, 40, 5);
    char *tiny_path = g_build_filename(dir, "tiny.png", NULL);
    cg_error err = {0};
    g_assert_cmpint(cg_image_save(tiny, tiny_path, NULL, &err), ==, CG_OK);
    cg_image_free(tiny);
    g_free(tiny_path);
    g_free(trunc);
    g_free(dup);
    g_free(bytes);
    g_free(p00);
}

static void test_cleaning_report(void)
{
    char *dir = g_build_filename(root, "dirty", NULL);
    fx_write_photos(dir, 5, 40, 36, 1);
    plant_bad_files(dir);
    cg_data_options o = {.min_side = 32, .load_size = 32};
    cg_error err = {0};
    cg_dataset *d = cg_dataset_scan(dir, NULL, &o, &err);
    g_assert_nonnull(d);
    g_assert_cmpint(cg_dataset_count(d), ==, 5);
    g_assert_cmpint(cg_dataset_skipped_count(d), ==, 4);
    expect_reason(d, "corrupt.jpg", "corrupt or not an image");
    expect_reason(d, "p99-truncated.png", "corrupt or not an image");
    expect_reason(d, "tiny.png", "too small: 12x40");
    expect_reason(d, "zz-copy.png", "duplicate of p00.png");
    g_assert_null(reason_of(d, "notes.txt"));
    g_assert_null(reason_of(d, ".hidden.png"));
    g_assert_cmpstr(cg_dataset_name(d, 0), ==, "p00.png");
    g_assert_cmpint(strlen(cg_dataset_manifest_hash(d)), ==, 64);
    cg_dataset_free(d);

    /* Paired: p04 has no target; a target has no photo; a broken target. */
    char *targets = g_build_filename(root, "dirty-targets", NULL);
    fx_write_targets(dir, targets);
    char *p04 = g_build_filename(targets, "p04.png", NULL);
    g_unlink(p04);
    g_free(fx_write_file(targets, "p03.png", "broken"));
    char *orphan = g_build_filename(targets, "orphan.png", NULL), *p00 = g_build_filename(targets, "p00.png", NULL);
    g_assert_cmpint(rename(p00, orphan), ==, 0);
    d = cg_dataset_scan(dir, targets, &o, &err);
    g_assert_nonnull(d);
    g_assert_true(cg_dataset_paired(d));
    g_assert_cmpint(cg_dataset_count(d), ==, 2); /* p01, p02 */
    expect_reason(d, "p04.png", "no target with the same name");
    expect_reason(d, "p00.png", "no target with the same name");
    expect_reason(d, "orphan.png", "no photo with the same name");
    expect_reason(d, "p03.png", "its target");
    cg_dataset_free(d);

    /* Nothing usable, and no folder. */
    char *empty = g_build_filename(root, "empty", NULL);
    g_mkdir_with_parents(empty, 0755);
    g_assert_null(cg_dataset_scan(empty, NULL, &o, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "no usable image"));
    g_assert_null(cg_dataset_scan("/nonexistent/photos", NULL, &o, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_IO);
    g_free(empty);
    g_free(orphan);
    g_free(p00);
    g_free(p04);
    g_free(targets);
    g_free(dir);
}

static void test_split(void)
{
    char *dir = g_build_filename(root, "split", NULL);
    fx_write_photos(dir, 20, 32, 32, 2);
    cg_error err = {0};
    cg_dataset *d = cg_dataset_scan(dir, NULL, NULL, &err);
    g_assert_nonnull(d);
    int a[20], b[20], c[20], count[3] = {0, 0, 0};
    g_assert_cmpint(cg_dataset_split(d, 7, 0.1, 0.2, a, &err), ==, CG_OK);
    g_assert_cmpint(cg_dataset_split(d, 7, 0.1, 0.2, b, &err), ==, CG_OK);
    g_assert_cmpint(cg_dataset_split(d, 8, 0.1, 0.2, c, &err), ==, CG_OK);
    g_assert_cmpmem(a, sizeof a, b, sizeof b);
    g_assert_true(memcmp(a, c, sizeof a) != 0);
    for (int i = 0; i < 20; i++)
        count[a[i]]++;
    g_assert_cmpint(count[0], ==, 14);
    g_assert_cmpint(count[1], ==, 2);
    g_assert_cmpint(count[2], ==, 4);
    g_assert_cmpint(cg_dataset_split(d, 7, 0.6, 0.5, a, &err), ==, CG_ERR_INVALID);
    cg_dataset_free(d);
    g_free(dir);
}

static char *photos_dir(void)
{
    char *dir = g_build_filename(root, "cfg-photos", NULL);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        fx_write_photos(dir, 3, 32, 32, 4);
    return dir;
}

static void expect_config_error(const char *text, const char *words)
{
    cg_error err = {0};
    char *dir = photos_dir();
    char *full = g_strdup_printf("%s", text);
    char **parts = g_strsplit(full, "@", -1);
    char *body = g_strjoinv(dir, parts);
    cg_train_config *c = cg_train_config_parse(body, root, "bad.ini", &err);
    if (c || !strstr(err.message, words))
        g_error("config %s: expected an error with \"%s\", got \"%s\"", text, words, c ? "(accepted)" : err.message);
    g_assert_nonnull(strstr(err.message, "bad.ini"));
    g_strfreev(parts);
    g_free(body);
    g_free(full);
    g_free(dir);
}

static void test_config(void)
{
    expect_config_error("[run]\nmode = pix2pix\n", "[data] photos is needed");
    expect_config_error("[data]\nphotos = @\n", "exactly one of [data] targets and target_filter");
    expect_config_error("[data]\nphotos = @\ntarget_filter = manga\n[loss]\nlamda = 3\n", "[loss] lamda: unknown key");
    expect_config_error("[data]\nphotos = @\ntarget_filter = manga\n[lossy]\nl1 = 3\n", "[lossy]: unknown group");
    expect_config_error("[data]\nphotos = @\ntarget_filter = manga\n[loss]\nl1 = much\n", "must be a number");
    expect_config_error("[data]\nphotos = @\ntarget_filter = sketch\n", "must be one of none|manga|cel");
    expect_config_error("[run]\nmode = cyclegan\n[data]\nphotos = @\n", "[data] style is needed");
    expect_config_error("[run]\nmode = multistyle\n[data]\nphotos = @\n", "at least one [style NAME]");
    expect_config_error("[run]\nmode = multistyle\n[data]\nphotos = @\n[style Bad Name]\nsource = identity\n",
                        "a style name is made of");
    expect_config_error("[run]\nmode = multistyle\n[data]\nphotos = @\n[style ink]\nsource = filter\nfilter = manga\n"
                        "[generator]\nnorm = none\n",
                        "norm = cond_instance or cond_affine, or style_heads");
    expect_config_error("[data]\nphotos = @\ntarget_filter = cel\n[generator]\nstyle_heads = true\n",
                        "style_heads is for multistyle");
    expect_config_error("[data]\nphotos = @\ntarget_filter = cel\n[generator]\nnorm = cond_affine\n",
                        "norm = cond_affine is for multistyle mode");
    expect_config_error("[run]\nsize = 30\n[data]\nphotos = @\ntarget_filter = cel\n", "multiple of 4");
    expect_config_error("[data]\nphotos = @\ntarget_filter = cel\n[generator]\nattention = magic\n", "[generator]");
    expect_config_error("not a key file", "bad.ini");

    /* Defaults follow the mode; the canonical text parses to the same config. */
    cg_error err = {0};
    char *dir = photos_dir();
    char *text = g_strdup_printf("[run]\nmode = cyclegan\nsteps = 200\n[data]\nphotos = %s\nstyle = %s\n", dir, dir);
    cg_train_config *c = cg_train_config_parse(text, root, "ok.ini", &err);
    g_assert_nonnull(c);
    const char *canon = cg_train_config_canonical(c);
    g_assert_nonnull(strstr(canon, "gan=lsgan"));
    g_assert_nonnull(strstr(canon, "cycle=10"));
    g_assert_nonnull(strstr(canon, "identity=5"));
    g_assert_nonnull(strstr(canon, "pool_size=50"));
    g_assert_nonnull(strstr(canon, "constant_steps=100"));
    g_assert_nonnull(strstr(canon, "beta1=0.5"));
    /* an option added later is written only when set: older runs keep their hash */
    g_assert_null(strstr(canon, "style_heads"));
    cg_train_config *again = cg_train_config_parse(canon, NULL, "canonical", &err);
    g_assert_nonnull(again);
    g_assert_cmpstr(cg_train_config_hash(again), ==, cg_train_config_hash(c));
    g_assert_cmpstr(cg_train_config_canonical(again), ==, canon);
    cg_train_config_free(again);
    /* [export] changes the model file, not the training: same run, same hash. */
    char *exported = g_strdup_printf("%s[export]\npost_smooth = 4\n", text);
    again = cg_train_config_parse(exported, root, "ok.ini", &err);
    g_assert_nonnull(again);
    g_assert_cmpstr(cg_train_config_hash(again), ==, cg_train_config_hash(c));
    cg_train_config_free(again);
    g_free(exported);
    expect_config_error("[data]\nphotos = @\ntarget_filter = cel\n[export]\npost_smooth = 9\n", "post_smooth");
    cg_train_config_free(c);
    g_free(text);
    g_free(dir);
}

/* Every teacher is a target_filter and a style's filter; the canonical copy
 * (whose hash names the run) tells them apart; other names are refused with
 * the list of teachers. */
static void test_config_teachers(void)
{
    static const char *const teachers[] = {"manga", "cel", "painted", "anime", "hatching", "ink", "poster"};
    enum { N = G_N_ELEMENTS(teachers) };
    char *dir = photos_dir(), *hash[N];
    cg_error err = {0};
    for (int i = 0; i < N; i++) {
        char *text = g_strdup_printf("[data]\nphotos = %s\ntarget_filter = %s\n", dir, teachers[i]);
        cg_train_config *c = cg_train_config_parse(text, root, "ok.ini", &err);
        if (!c)
            g_error("target_filter = %s: %s", teachers[i], err.message);
        char *line = g_strdup_printf("target_filter=%s\n", teachers[i]);
        g_assert_nonnull(strstr(cg_train_config_canonical(c), line));
        hash[i] = g_strdup(cg_train_config_hash(c));
        for (int k = 0; k < i; k++)
            g_assert_cmpstr(hash[k], !=, hash[i]);
        cg_train_config_free(c);
        g_free(line);
        g_free(text);
    }
    char *text = g_strdup_printf("[run]\nmode = multistyle\n[data]\nphotos = %s\n[generator]\nnorm = cond_instance\n"
                                 "[style oil]\nsource = filter\nfilter = painted\n",
                                 dir);
    cg_train_config *c = cg_train_config_parse(text, root, "ok.ini", &err);
    if (!c)
        g_error("[style oil] filter = painted: %s", err.message);
    g_assert_nonnull(strstr(cg_train_config_canonical(c), "[style oil]\nsource=filter\nfilter=painted\n"));
    cg_train_config_free(c);
    expect_config_error("[data]\nphotos = @\ntarget_filter = oil\n", "must be one of none|manga|cel|painted|anime|hatching|ink|poster");
    expect_config_error("[run]\nmode = multistyle\n[data]\nphotos = @\n[generator]\nnorm = cond_instance\n"
                        "[style oil]\nsource = filter\nfilter = oil\n",
                        "needs filter = manga, cel, painted, anime, hatching, ink or poster");
    for (int i = 0; i < N; i++)
        g_free(hash[i]);
    g_free(text);
    g_free(dir);
}

/* docs/training.md has a table row for every option under its group's heading. */
static void test_options_documented(void)
{
    const char *src = g_getenv("CG_SOURCE_ROOT");
    if (!src) {
        g_test_skip("CG_SOURCE_ROOT not set");
        return;
    }
    char *path = g_build_filename(src, "docs", "training.md", NULL), *doc = NULL;
    g_assert_true(g_file_get_contents(path, &doc, NULL, NULL));
    for (int i = 0; i < cg_train_option_count(); i++) {
        const char *group, *key;
        cg_train_option(i, &group, &key);
        char *heading = g_strdup_printf("### [%s]", group), *row = g_strdup_printf("| `%s` |", key);
        const char *section = strstr(doc, heading);
        if (!section)
            g_error("docs/training.md: no \"%s\" section", heading);
        const char *end = strstr(section + 1, "\n### ");
        char *body = g_strndup(section, end ? (size_t)(end - section) : strlen(section));
        if (!strstr(body, row))
            g_error("docs/training.md: [%s] %s is not documented", group, key);
        g_free(body);
        g_free(heading);
        g_free(row);
    }
    g_free(doc);
    g_free(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    root = fx_tmpdir();
    g_test_add_func("/train/data/cleaning_report", test_cleaning_report);
    g_test_add_func("/train/data/split", test_split);
    g_test_add_func("/train/config/parse", test_config);
    g_test_add_func("/train/config/teachers", test_config_teachers);
    g_test_add_func("/train/config/documented", test_options_documented);
    int rc = g_test_run();
    fx_rmtree(root);
    g_free(root);
    return rc;
}
