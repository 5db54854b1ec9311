/* comicgan export: a run's trained generator as a model file, with its
 * provenance (the config, data manifest, steps, date, engine version).
 *
 *   comicgan export RUN [-o FILE] [--post-smooth N]   (default RUN/model.safetensors) */
#include "common.h"
#include "comicgan/train.h"

#include <stdio.h>

int cli_export(int argc, char **argv)
{
    char *out = NULL;
    cg_export_options opts = {0};
    const GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Model file to write (default: RUN/model.safetensors)"),
         N_("FILE")},
        {"post-smooth", 0, 0, G_OPTION_ARG_INT, &opts.post_smooth,
         N_("The model's post stage smooths its output N times (1 to 8) instead of as often as in training"), N_("N")},
        {NULL},
    };
    if (!cli_parse("export", _("RUN"),
                   _("Write the generator of a training run's latest checkpoint as a model file\n"
                     "that stylize, the GIMP plug-in and Krita can use."),
                   entries, &argc, &argv)) {
        g_free(out);
        return CLI_EXIT_USAGE;
    }
    int status = CLI_EXIT_OK;
    if (argc != 2) {
        status = cli_fail(CLI_EXIT_USAGE, "export", _("give one run folder"));
    } else {
        char *path = out ? g_strdup(out) : g_build_filename(argv[1], "model.safetensors", NULL);
        cg_error err = {0};
        if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR))
            status = cli_fail(CLI_EXIT_FAILURE, argv[1], _("not a run folder"));
        else if (cg_run_export(argv[1], path, &opts, &err) != CG_OK)
            status = cli_fail_error("export", &err);
        else
            printf("%s\n", path);
        g_free(path);
    }
    g_free(out);
    return status;
}
