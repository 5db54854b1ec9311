/* comicgan export: a run's trained generator as a model file, with its
 * provenance (the config, data manifest, steps, date, engine version).
 *
 *   comicgan export RUN [-o FILE] [--recipe FILE] [--post-kuwahara N] [--post-smooth N] [--post-bands N]
 *                   [--post-style NAME]
 *   (default RUN/model.safetensors)
 *   comicgan export MODEL -o FILE [--post-kuwahara N] ...   (the model again, another post stage) */
#include "common.h"
#include "comicgan/train.h"

#include <stdio.h>
#include <string.h>

/* The [export] options of the recipe the run was trained from, or a failure
 * status when the recipe's training settings are not the run's (another
 * recipe, or one edited since). */
static int recipe_options(const char *run, const char *recipe, cg_export_options *opts)
{
    cg_error err = {0};
    char *run_config = g_build_filename(run, "config.ini", NULL);
    cg_train_config *r = cg_train_config_load(recipe, &err), *c = r ? cg_train_config_load(run_config, &err) : NULL;
    int status = CLI_EXIT_OK;
    if (!c)
        status = cli_fail_error("export", &err);
    else if (strcmp(cg_train_config_hash(r), cg_train_config_hash(c)) != 0)
        status = cli_fail(CLI_EXIT_FAILURE, recipe, _("not the recipe of this run: its training settings differ"));
    else
        *opts = cg_train_config_export(r);
    cg_train_config_free(r);
    cg_train_config_free(c);
    g_free(run_config);
    return status;
}

int cli_export(int argc, char **argv)
{
    char *out = NULL, *recipe = NULL, *post_style = NULL;
    cg_export_post stage = {0};
    const GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Model file to write (default: RUN/model.safetensors)"),
         N_("FILE")},
        {"recipe", 0, 0, G_OPTION_ARG_FILENAME, &recipe,
         N_("Apply the [export] group of the run's recipe (refused if FILE is not the run's recipe)"), N_("FILE")},
        {"post-kuwahara", 0, 0, G_OPTION_ARG_INT, &stage.kuwahara,
         N_("The model's post stage starts with N passes (1 to 4) of the Kuwahara filter: brush marks "
            "(over the recipe's)"),
         N_("N")},
        {"post-smooth", 0, 0, G_OPTION_ARG_INT, &stage.smooth,
         N_("The model's post stage smooths its output N times (1 to 8) instead of as often as in training "
            "(over the recipe's)"),
         N_("N")},
        {"post-bands", 0, 0, G_OPTION_ARG_INT, &stage.bands,
         N_("The model's post stage moves luma onto N flat bands (2 to 32; over the recipe's)"), N_("N")},
        {"post-style", 0, 0, G_OPTION_ARG_STRING, &post_style,
         N_("The post stage options are for this style of a mix alone, by its weight (over the recipe's "
            "stage for that style)"),
         N_("NAME")},
        {NULL},
    };
    if (!cli_parse("export", _("RUN | MODEL"),
                   _("Write the generator of a training run's latest checkpoint as a model file\n"
                     "that stylize, the GIMP plug-in and Krita can use; or write a model file again\n"
                     "(-o FILE) with another post stage, its weights unchanged."),
                   entries, &argc, &argv)) {
        g_free(out);
        g_free(recipe);
        g_free(post_style);
        return CLI_EXIT_USAGE;
    }
    int status = CLI_EXIT_OK;
    const bool model_in = argc == 2 && g_file_test(argv[1], G_FILE_TEST_IS_REGULAR);
    if (argc != 2) {
        status = cli_fail(CLI_EXIT_USAGE, "export", _("give one run folder or model file"));
    } else if (model_in && (!out || recipe)) {
        status = cli_fail(CLI_EXIT_USAGE, "export", _("a model file is written again with -o FILE and post stage "
                                                      "options, not --recipe"));
    } else if (!model_in && !g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
        status = cli_fail(CLI_EXIT_FAILURE, argv[1], _("not a run folder or a model file"));
    } else {
        cg_export_options opts = {0};
        if (recipe)
            status = recipe_options(argv[1], recipe, &opts);
        cg_error err = {0};
        if (post_style && g_strlcpy(stage.style, post_style, sizeof stage.style) >= sizeof stage.style)
            status = cli_fail(CLI_EXIT_USAGE, "export", _("--post-style: not a style name"));
        else if (status == CLI_EXIT_OK && (stage.kuwahara || stage.smooth || stage.bands || post_style) &&
                 cg_export_options_set(&opts, &stage, &err) != CG_OK)
            status = cli_fail_error("export", &err);
        char *path = out ? g_strdup(out) : g_build_filename(argv[1], "model.safetensors", NULL);
        if (status == CLI_EXIT_OK && (model_in ? cg_model_reexport(argv[1], path, &opts, &err)
                                               : cg_run_export(argv[1], path, &opts, &err)) != CG_OK)
            status = cli_fail_error("export", &err);
        else if (status == CLI_EXIT_OK)
            printf("%s\n", path);
        g_free(path);
    }
    g_free(out);
    g_free(recipe);
    g_free(post_style);
    return status;
}
