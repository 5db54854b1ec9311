/* comicgan plot: a run's loss curves as a PNG.
 *
 *   comicgan plot RUN [-o FILE]     (default RUN/loss.png) */
#include "common.h"
#include "comicgan/train.h"

#include <stdio.h>

int cli_plot(int argc, char **argv)
{
    char *out = NULL;
    const GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("PNG to write (default: RUN/loss.png)"), N_("FILE")},
        {NULL},
    };
    if (!cli_parse("plot", _("RUN"), _("Draw a training run's loss curves (from RUN/log.jsonl) as a PNG."), entries,
                   &argc, &argv)) {
        g_free(out);
        return CLI_EXIT_USAGE;
    }
    int status = CLI_EXIT_OK;
    if (argc != 2) {
        status = cli_fail(CLI_EXIT_USAGE, "plot", _("give one run folder"));
    } else {
        char *path = out ? g_strdup(out) : g_build_filename(argv[1], "loss.png", NULL);
        cg_error err = {0};
        if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR))
            status = cli_fail(CLI_EXIT_FAILURE, argv[1], _("not a run folder"));
        else if (!g_str_has_suffix(path, ".png") && !g_str_has_suffix(path, ".PNG"))
            status = cli_fail(CLI_EXIT_USAGE, path, _("the plot is a PNG: give a name ending in .png"));
        else if (cg_run_plot(argv[1], path, &err) != CG_OK)
            status = cli_fail_error("plot", &err);
        else
            printf("%s\n", path);
        g_free(path);
    }
    g_free(out);
    return status;
}
