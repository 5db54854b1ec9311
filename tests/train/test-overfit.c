/* A small pix2pix run overfits four pairs: the L1 loss to the targets falls
 * by at least OVERFIT_FACTOR between the first and the last logged steps. */
#include "fixture.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define OVERFIT_FACTOR 5.0
#define STEPS 300

/* g_l1 of each log line, in order. */
static GArray *read_l1(const char *run)
{
    char *path = g_build_filename(run, "log.jsonl", NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    GArray *out = g_array_new(FALSE, FALSE, sizeof(double));
    char **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        if (!lines[i][0])
            continue;
        JsonParser *p = json_parser_new();
        g_assert_true(json_parser_load_from_data(p, lines[i], -1, NULL));
        JsonObject *o = json_node_get_object(json_parser_get_root(p));
        double v = json_object_get_double_member(json_object_get_object_member(o, "losses"), "g_l1");
        g_array_append_val(out, v);
        g_object_unref(p);
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return out;
}

static void test_overfit(void)
{
    char *dir = fx_tmpdir();
    char *photos = g_build_filename(dir, "photos", NULL), *targets = g_build_filename(dir, "targets", NULL);
    fx_write_photos(photos, 4, 32, 32, 11);
    fx_write_targets(photos, targets);
    char *text = g_strdup_printf("[run]\nmode = pix2pix\nsteps = %d\nbatch = 4\nsize = 32\nlog_every = 1\n"
                                 "sample_every = 0\ncheckpoint_every = 0\n"
                                 "[data]\nphotos = %s\ntargets = %s\nload_size = 32\nflip = false\n"
                                 "val_fraction = 0\ntest_fraction = 0\n"
                                 "[generator]\nwidth = 16\ndownsamples = 1\nblocks = 2\n"
                                 "[discriminator]\nwidth = 8\nlayers = 2\n"
                                 "[optim]\nlr_g = 0.001\nconstant_steps = %d\n",
                                 STEPS, photos, targets, STEPS);
    char *path = fx_write_file(dir, "overfit.ini", text);
    cg_train_config *c = fx_config(path);
    char *run = g_build_filename(dir, "run", NULL);
    cg_error err = {0};
    if (fx_train(c, run, false, 0, &err) != CG_OK)
        g_error("%s", err.message);
    GArray *l1 = read_l1(run);
    g_assert_cmpint(l1->len, ==, STEPS);
    double first = g_array_index(l1, double, 0), last = g_array_index(l1, double, l1->len - 1);
    g_test_message("g_l1: first %.4f, last %.4f, factor %.1f", first, last, first / last);
    if (!(first / last >= OVERFIT_FACTOR))
        g_error("g_l1 fell from %.4f to %.4f, less than %.0fx", first, last, OVERFIT_FACTOR);
    g_array_free(l1, TRUE);
    cg_train_config_free(c);
    fx_rmtree(dir);
    g_free(run);
    g_free(path);
    g_free(text);
    g_free(photos);
    g_free(targets);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/train/overfit/pix2pix", test_overfit);
    return g_test_run();
}
