/* comicgan: the command line. Finds the subcommand and hands it the rest of
 * the arguments; each subcommand lives in its own file. */
#include "common.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cg_config.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"stylize", cli_stylize, N_("Turn images into a comic, manga or painted style")},
    {"style-code", cli_style_code, N_("Save a reference picture's style code for stylize --style-code")},
    {"info", cli_info, N_("Describe a model, or list the styles installed")},
    {"attention", cli_attention, N_("Show where a model looks: an attention heatmap")},
    {"bench", cli_bench, N_("Measure the machine and the engine's speed")},
    {"train", cli_train, N_("Train a style from a run config (docs/training.md)")},
    {"plot", cli_plot, N_("Draw a training run's loss curves as a PNG")},
    {"eval", cli_eval, N_("Score a model on held-out images, per style")},
    {"export", cli_export, N_("Write a training run's generator as a model file")},
};

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    bindtextdomain(CG_GETTEXT_PACKAGE, CG_LOCALEDIR);
    bind_textdomain_codeset(CG_GETTEXT_PACKAGE, "UTF-8");
    textdomain(CG_GETTEXT_PACKAGE);
    g_set_prgname("comicgan");

    gboolean version = FALSE;
    const GOptionEntry entries[] = {
        {"version", 'V', 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL},
        {NULL},
    };
    GString *summary = g_string_new(_("Commands:"));
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        g_string_append_printf(summary, "\n  %-11s %s", commands[i].name, _(commands[i].summary));
    g_string_append(summary, _("\n\nRun \"comicgan COMMAND --help\" for a command's options."));

    GOptionContext *ctx = g_option_context_new(_("COMMAND [ARGUMENTS…]"));
    g_option_context_set_translation_domain(ctx, CG_GETTEXT_PACKAGE);
    g_option_context_set_summary(ctx, summary->str);
    g_option_context_add_main_entries(ctx, entries, CG_GETTEXT_PACKAGE);
    /* Stop at the command's name: the options after it are the command's. */
    g_option_context_set_strict_posix(ctx, TRUE);
    GError *error = NULL;
    bool parsed = g_option_context_parse(ctx, &argc, &argv, &error);
    char *help = g_option_context_get_help(ctx, TRUE, NULL);
    g_option_context_free(ctx);
    g_string_free(summary, TRUE);

    int status = CLI_EXIT_USAGE;
    if (!parsed) {
        cli_fail(status, "comicgan", _("%s (see comicgan --help)"), error->message);
        g_error_free(error);
    } else if (version) {
        printf("comicgan %s\n", CG_VERSION);
        status = CLI_EXIT_OK;
    } else if (argc < 2) {
        fputs(help, stderr);
    } else {
        const command *found = NULL;
        for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                found = &commands[i];
        if (found) {
            status = found->run(argc - 1, argv + 1);
        } else {
            GString *names = g_string_new(NULL);
            for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
                g_string_append_printf(names, "%s%s", i ? ", " : "", commands[i].name);
            cli_fail(status, argv[1], _("no such command (commands: %s)"), names->str);
            g_string_free(names, TRUE);
        }
    }
    g_free(help);
    return status;
}
