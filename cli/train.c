/* comicgan train: runs or resumes a training run described by a config file
 * (docs/training.md), with a progress line on a terminal: step, losses,
 * step time and the time left. Ctrl-C stops after the current step with a
 * checkpoint; --resume continues exactly where it stopped.
 *
 *   comicgan train CONFIG [--run DIR] [--stop-after N] [--check]
 *   comicgan train --resume RUN|CONFIG [--run DIR]
 *   mpirun -np 4 comicgan train CONFIG --distributed */
#include "common.h"
#include "comicgan/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct train_ui {
    bool tty, quiet;
    bool drawn;
} train_ui;

static void format_duration(char *buf, size_t len, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        g_snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        g_snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

static bool on_report(void *data, const cg_train_report *r)
{
    train_ui *ui = data;
    if (r->notice) {
        if (!ui->quiet) {
            if (ui->drawn)
                fputs("\r\033[K", stderr);
            fprintf(stderr, "comicgan: %s\n", r->notice);
        }
        return !cli_interrupted;
    }
    if (ui->quiet)
        return !cli_interrupted;
    /* Not a terminal: about twenty lines per run, so logs stay readable. */
    int64_t every = r->steps / 20 > 0 ? r->steps / 20 : 1;
    if (!ui->tty && r->step % every != 0 && r->step != r->steps)
        return !cli_interrupted;
    GString *line = g_string_new(NULL);
    char eta[32];
    format_duration(eta, sizeof eta, r->seconds_per_step * (double)(r->steps - r->step));
    g_string_append_printf(line, _("step %lld/%lld"), (long long)r->step, (long long)r->steps);
    for (int i = 0; i < r->n_losses; i++)
        g_string_append_printf(line, "  %s %.4g", r->loss_name[i], r->loss[i]);
    g_string_append_printf(line, _("  %.0f ms/step  %s left"), r->step_seconds * 1000.0, eta);
    if (ui->tty) {
        fprintf(stderr, "\r%s\033[K", line->str);
        ui->drawn = true;
        if (r->step == r->steps) {
            fputc('\n', stderr);
            ui->drawn = false;
        }
    } else {
        fprintf(stderr, "%s\n", line->str);
    }
    fflush(stderr);
    g_string_free(line, TRUE);
    return !cli_interrupted;
}

int cli_train(int argc, char **argv)
{
    char *run_dir = NULL;
    gboolean resume = FALSE, check = FALSE, distributed = FALSE, quiet = FALSE;
    gint64 stop_after = 0;
    const GOptionEntry entries[] = {
        {"run", 'r', 0, G_OPTION_ARG_FILENAME, &run_dir, N_("Run folder (default: the config's [run] dir)"), N_("DIR")},
        {"resume", 0, 0, G_OPTION_ARG_NONE, &resume, N_("Continue the run in the run folder from its checkpoint"), NULL},
        {"stop-after", 0, 0, G_OPTION_ARG_INT64, &stop_after, N_("Stop (with a checkpoint) after N steps"), N_("N")},
        {"check", 0, 0, G_OPTION_ARG_NONE, &check, N_("Check the config and print every option's value"), NULL},
        {"distributed", 0, 0, G_OPTION_ARG_NONE, &distributed, N_("Train data-parallel over MPI ranks (under mpirun)"),
         NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("Print errors only"), NULL},
        {NULL},
    };
    if (!cli_parse("train", _("CONFIG|RUN"),
                   _("Train a style: pix2pix, CycleGAN, attention (U-GAT-IT) or multi-style, as the config says.\n"
                     "A run folder collects the config used, the data split, log.jsonl, sample grids and\n"
                     "checkpoints; every option is described in docs/training.md."),
                   entries, &argc, &argv)) {
        g_free(run_dir);
        return CLI_EXIT_USAGE;
    }
    int status = CLI_EXIT_OK;
    char *config_path = NULL;
    cg_train_config *config = NULL;
    cg_error err = {0};
    if (argc != 2) {
        status = cli_fail(CLI_EXIT_USAGE, "train", _("give one config file, or a run folder with --resume"));
        goto out;
    }
    if (stop_after < 0) {
        status = cli_fail(CLI_EXIT_USAGE, "train", _("--stop-after must be at least 0"));
        goto out;
    }
    if (g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
        /* A run folder holds its own config; resuming it needs nothing else. */
        if (!resume) {
            status = cli_fail(CLI_EXIT_USAGE, argv[1], _("is a folder: give --resume to continue that run"));
            goto out;
        }
        config_path = g_build_filename(argv[1], "config.ini", NULL);
        if (!run_dir)
            run_dir = g_strdup(argv[1]);
    } else {
        config_path = g_strdup(argv[1]);
    }
    if (!(config = cg_train_config_load(config_path, &err))) {
        status = cli_fail_error(NULL, &err);
        goto out;
    }
    if (check) {
        fputs(cg_train_config_canonical(config), stdout);
        goto out;
    }
    /* Ranks that do not know of each other would all write the same run folder. */
    const char *world = g_getenv("OMPI_COMM_WORLD_SIZE");
    if (!distributed && world && atoi(world) > 1) {
        status = cli_fail(CLI_EXIT_USAGE, "train", _("started by mpirun: add --distributed"));
        goto out;
    }
    if (distributed && cg_dist_init(&argc, &argv, &err) != CG_OK) {
        status = cli_fail_error("train", &err);
        goto out;
    }
    cli_catch_interrupt();
    train_ui ui = {.tty = isatty(STDERR_FILENO), .quiet = quiet || cg_dist_rank() != 0};
    cg_train_options o = {.run_dir = run_dir, .resume = resume, .stop_after = stop_after, .report = on_report,
                          .report_data = &ui};
    cg_status st = cg_train(config, &o, &err);
    if (ui.drawn)
        fputc('\n', stderr);
    if (st != CG_OK)
        status = cg_dist_rank() == 0 || st != CG_ERR_CANCELLED ? cli_fail_error("train", &err) : cli_cancel_status();
    else if (!ui.quiet)
        fprintf(stderr, _("comicgan: run folder: %s\n"), run_dir ? run_dir : cg_train_config_run_dir(config));
    if (distributed)
        cg_dist_finalize();
out:
    cg_train_config_free(config);
    g_free(config_path);
    g_free(run_dir);
    return status;
}
