/* Helpers shared by the comicgan subcommands. */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg_config.h"

volatile sig_atomic_t cli_interrupted = 0;

int cli_fail(int status, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "comicgan: %s: %s\n", what, why);
    g_free(why);
    return status;
}

int cli_fail_error(const char *what, const cg_error *err)
{
    const char *message = err->message[0] ? err->message : cg_status_name(err->code);
    if (err->code == CG_ERR_CANCELLED)
        message = _("cancelled");
    if (what)
        fprintf(stderr, "comicgan: %s: %s\n", what, message);
    else
        fprintf(stderr, "comicgan: %s\n", message);
    return err->code == CG_ERR_CANCELLED ? cli_cancel_status() : CLI_EXIT_FAILURE;
}

bool cli_parse(const char *command, const char *parameters, const char *summary, const GOptionEntry *entries,
               int *argc, char ***argv)
{
    /* The usage line GLib prints starts with the program name. */
    char *prgname = g_strdup_printf("comicgan %s", command);
    g_set_prgname(prgname);
    g_free(prgname);
    GOptionContext *ctx = g_option_context_new(parameters);
    g_option_context_set_translation_domain(ctx, CG_GETTEXT_PACKAGE);
    g_option_context_set_summary(ctx, summary);
    g_option_context_add_main_entries(ctx, entries, CG_GETTEXT_PACKAGE);
    GError *error = NULL;
    bool ok = g_option_context_parse(ctx, argc, argv, &error);
    if (!ok) {
        cli_fail(CLI_EXIT_USAGE, command, _("%s (see comicgan %s --help)"), error->message, command);
        g_error_free(error);
    }
    g_option_context_free(ctx);
    return ok;
}

bool cli_check_range(const char *command, const char *option, double value, double lo, double hi)
{
    if (value >= lo && value <= hi)
        return true;
    cli_fail(CLI_EXIT_USAGE, command, _("%s must be between %g and %g, not %g"), option, lo, hi, value);
    return false;
}

bool cli_parse_scale(const char *command, const char *text, cg_stylize_options *o)
{
    if (!text || g_ascii_strcasecmp(text, "auto") == 0) {
        o->scale = 0;
        o->scale_side = CG_STYLIZE_AUTO_SIDE;
        return true;
    }
    char *end = NULL;
    double v = g_ascii_strtod(text, &end);
    if (end == text || *end) {
        cli_fail(CLI_EXIT_USAGE, command, _("--scale must be \"auto\" or a number, not \"%s\""), text);
        return false;
    }
    if (v != 1 && !cli_check_range(command, "--scale", v, CG_STYLIZE_MIN_SCALE, CG_STYLIZE_MAX_SCALE))
        return false;
    o->scale = (float)v;
    o->scale_side = 0;
    return true;
}

/* ---- Ctrl-C ---- */

static void on_interrupt(int sig)
{
    cli_interrupted = sig;
}

int cli_cancel_status(void)
{
    return cli_interrupted ? 128 + cli_interrupted : CLI_EXIT_CANCELLED;
}

void cli_catch_interrupt(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    /* SA_RESETHAND: a second Ctrl-C is not caught and ends the process at once. */
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* ---- progress bar ---- */

#define BAR_WIDTH 24

void cli_progress_start(cli_progress *p, int items)
{
    memset(p, 0, sizeof *p);
    p->draw = isatty(STDERR_FILENO);
    p->items = items > 0 ? items : 1;
    p->start_us = g_get_monotonic_time();
    p->drawn_us = p->draw ? 0 : p->start_us; /* a bar draws at once, a line after `every` */
    const char *every = g_getenv("COMICGAN_PROGRESS_SECONDS");
    char *end = NULL;
    p->every = every ? g_ascii_strtod(every, &end) : 10.0;
    if (every && (end == every || *end || !(p->every >= 0)))
        p->every = 10.0;
}

void cli_progress_item(cli_progress *p, int item, const char *label)
{
    p->item = item;
    /* File names need not be UTF-8; the terminal wants it, cut at a character. */
    char *base = g_path_get_basename(label), *shown = g_filename_display_name(base), *full;
    if (p->items > 1)
        full = g_strdup_printf("%d/%d %s", item + 1, p->items, shown);
    else
        full = g_strdup(shown);
    g_utf8_strncpy(p->label, full, MIN(g_utf8_strlen(full, -1), 28));
    g_free(full);
    g_free(shown);
    g_free(base);
}

static void format_time(char *buf, size_t len, double seconds)
{
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

bool cli_progress_update(void *progress, float fraction)
{
    cli_progress *p = progress;
    if (!p)
        return !cli_interrupted;
    gint64 now = g_get_monotonic_time();
    /* A bar on a terminal about ten times a second (and at the end); a plain
     * line for logs every `every` seconds. */
    bool due = p->draw ? now - p->drawn_us >= 100000 || fraction >= 1.0f
                       : p->every > 0 && (double)(now - p->drawn_us) / 1e6 >= p->every;
    if (!due)
        return !cli_interrupted;
    p->drawn_us = now;
    double f = ((double)p->item + CLAMP(fraction, 0.0f, 1.0f)) / p->items;
    double elapsed = (double)(now - p->start_us) / 1e6;
    char spent[16], left[16] = "--:--";
    format_time(spent, sizeof spent, elapsed);
    /* Too early for the rate to mean anything below 2%. */
    if (f >= 0.02)
        format_time(left, sizeof left, elapsed * (1.0 - f) / f);
    if (p->draw) {
        char bar[BAR_WIDTH + 1];
        int filled = (int)(f * BAR_WIDTH + 0.5);
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < filled ? '#' : '-';
        bar[BAR_WIDTH] = '\0';
        /* \033[K clears what a longer previous line left at the end. */
        fprintf(stderr, "\r%-28s [%s] %3d%%  %s %s  %s %s\033[K", p->label, bar, (int)(f * 100), spent,
                _("elapsed"), left, _("left"));
    } else {
        fprintf(stderr, "comicgan: %s: %d%%, %s %s, %s %s\n", p->label, (int)(f * 100), spent, _("elapsed"), left,
                _("left"));
    }
    fflush(stderr);
    return !cli_interrupted;
}

void cli_progress_end(cli_progress *p)
{
    if (p->draw && p->drawn_us) {
        fputc('\n', stderr);
        p->drawn_us = 0;
    }
}

void cli_warn_frames(const char *path, const cg_image *img)
{
    if (img && img->source_frames > 1) {
        char *shown = g_filename_display_name(path);
        fprintf(stderr, _("comicgan: %s: holds %d frames or pages; only the first is used\n"), shown,
                img->source_frames);
        g_free(shown);
    }
}

/* ---- models ---- */

static char *style_names(const cg_model *m)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < cg_model_style_count(m); i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", cg_model_style(m, i)->name);
    return g_string_free(s, FALSE);
}

cg_model *cli_load_model(const char *command, const char *model_file, const char *style, int *style_index)
{
    cg_error err = {0};
    if (model_file) {
        cg_model *m = cg_model_load(model_file, &err);
        if (!m) {
            cli_fail_error(NULL, &err);
            return NULL;
        }
        *style_index = style ? cg_model_find_style(m, style) : 0;
        if (*style_index < 0) {
            char *names = style_names(m);
            cli_fail(CLI_EXIT_FAILURE, model_file, _("no style called \"%s\" in this model (its styles: %s)"), style,
                     names);
            g_free(names);
            cg_model_free(m);
            return NULL;
        }
        return m;
    }
    cg_catalog *cat = cg_catalog_new();
    if (!cat) {
        cli_fail(CLI_EXIT_FAILURE, command, _("out of memory"));
        return NULL;
    }
    cg_model *m = NULL;
    if (!style && cg_catalog_count(cat) == 0) {
        GString *folders = g_string_new(NULL);
        for (int i = 0; i < cg_catalog_folder_count(cat); i++)
            g_string_append_printf(folders, "%s%s", i ? ", " : "", cg_catalog_folder(cat, i));
        cli_fail(CLI_EXIT_FAILURE, command,
                 _("no model files found (searched: %s); set COMICGAN_MODEL_PATH or use --model FILE"),
                 folders->str);
        g_string_free(folders, TRUE);
    } else {
        /* A reference style needs a picture: the default is the first style that does not. */
        int first = 0;
        while (!style && first + 1 < cg_catalog_count(cat) &&
               strcmp(cg_catalog_get(cat, first)->mode, "reference") == 0)
            first++;
        const char *name = style ? style : cg_catalog_get(cat, first)->name;
        m = cg_catalog_load_style(cat, name, style_index, &err);
        if (!m)
            cli_fail_error(command, &err);
    }
    cg_catalog_free(cat);
    return m;
}

char *cli_mix_first_name(const char *mix)
{
    const char *end = mix + strcspn(mix, "=,");
    char *name = g_strndup(mix, (gsize)(end - mix));
    return g_strstrip(name);
}

float *cli_parse_mix(const char *command, const cg_model *m, const char *mix)
{
    int n = cg_model_style_count(m);
    float *w = g_new0(float, n);
    bool *seen = g_new0(bool, n);
    char **parts = g_strsplit(mix, ",", -1);
    bool ok = true;
    double total = 0;
    for (int i = 0; ok && parts[i]; i++) {
        char *eq = strchr(parts[i], '=');
        if (!eq) {
            ok = false;
            cli_fail(CLI_EXIT_USAGE, command, _("--mix: \"%s\" is not NAME=WEIGHT"), g_strstrip(parts[i]));
            break;
        }
        *eq = '\0';
        const char *name = g_strstrip(parts[i]), *value = g_strstrip(eq + 1);
        char *end = NULL;
        double v = g_ascii_strtod(value, &end);
        int s = cg_model_find_style(m, name);
        if (s < 0) {
            char *names = style_names(m);
            cli_fail(CLI_EXIT_USAGE, command, _("--mix: no style called \"%s\" in the model (its styles: %s)"), name,
                     names);
            g_free(names);
            ok = false;
        } else if (seen[s]) {
            cli_fail(CLI_EXIT_USAGE, command, _("--mix: style \"%s\" is given twice"), name);
            ok = false;
        } else if (!*value || *end || !(v >= 0 && v <= 1e6)) {
            cli_fail(CLI_EXIT_USAGE, command, _("--mix: the weight of \"%s\" must be a number >= 0, not \"%s\""),
                     name, value);
            ok = false;
        } else {
            seen[s] = true;
            w[s] = (float)v;
            total += v;
        }
    }
    if (ok && total <= 0) {
        cli_fail(CLI_EXIT_USAGE, command, _("--mix: at least one weight must be above 0"));
        ok = false;
    }
    g_strfreev(parts);
    g_free(seen);
    if (!ok) {
        g_free(w);
        return NULL;
    }
    return w;
}

/* ---- output files ---- */

bool cli_known_extension(const char *path)
{
    static const char *const known[] = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".gif"};
    char *base = g_path_get_basename(path);
    const char *dot = strrchr(base, '.');
    bool ok = false;
    for (size_t i = 0; dot && i < G_N_ELEMENTS(known); i++)
        ok = ok || g_ascii_strcasecmp(dot, known[i]) == 0;
    g_free(base);
    return ok;
}

bool cli_check_output(const char *path, bool check_extension)
{
    struct stat st;
    if (check_extension && !cli_known_extension(path)) {
        cli_fail(CLI_EXIT_USAGE, path, _("unknown image type; name it .png, .jpg, .webp, .tif or .gif"));
        return false;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_fail(CLI_EXIT_USAGE, path, _("is a folder; give a file name"));
        return false;
    }
    char *dir = g_path_get_dirname(path);
    bool ok = false;
    if (stat(dir, &st) != 0)
        cli_fail(CLI_EXIT_FAILURE, path, _("cannot use folder %s: %s"), dir, g_strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        cli_fail(CLI_EXIT_FAILURE, path, _("%s is not a folder"), dir);
    else if (access(dir, W_OK | X_OK) != 0)
        cli_fail(CLI_EXIT_FAILURE, path, _("cannot write in folder %s: %s"), dir, g_strerror(errno));
    else
        ok = true;
    g_free(dir);
    return ok;
}

bool cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void cli_outputs_init(cli_outputs *o)
{
    o->temp = g_ptr_array_new_with_free_func(g_free);
    o->final = g_ptr_array_new_with_free_func(g_free);
}

const char *cli_outputs_add(cli_outputs *o, const char *final)
{
    char *dir = g_path_get_dirname(final), *base = g_path_get_basename(final);
    char *dot = strrchr(base, '.');
    char *ext = g_strdup(dot ? dot : "");
    if (dot)
        *dot = '\0';
    /* Hidden, and named after this process so two runs never collide. The
     * extension stays last: the image writer chooses the format by it. */
    char *name = g_strdup_printf(".%s.comicgan-%ld-%u%s", base, (long)getpid(), o->temp->len, ext);
    g_free(ext);
    char *temp = g_build_filename(dir, name, NULL);
    g_free(name);
    g_free(dir);
    g_free(base);
    g_ptr_array_add(o->temp, temp);
    g_ptr_array_add(o->final, g_strdup(final));
    return temp;
}

void cli_outputs_forget_last(cli_outputs *o)
{
    if (o->temp->len > 0) {
        g_ptr_array_set_size(o->temp, o->temp->len - 1);
        g_ptr_array_set_size(o->final, o->final->len - 1);
    }
}

bool cli_outputs_commit(cli_outputs *o)
{
    for (guint i = 0; i < o->temp->len; i++) {
        const char *temp = g_ptr_array_index(o->temp, i), *final = g_ptr_array_index(o->final, i);
        struct stat st;
        if (stat(final, &st) == 0)
            chmod(temp, st.st_mode & 07777);
        if (rename(temp, final) != 0) {
            cli_fail(CLI_EXIT_FAILURE, final, _("cannot move the finished file into place: %s"), g_strerror(errno));
            for (guint j = i; j < o->temp->len; j++)
                unlink(g_ptr_array_index(o->temp, j));
            return false;
        }
    }
    return true;
}

void cli_outputs_discard(cli_outputs *o)
{
    for (guint i = 0; i < o->temp->len; i++)
        unlink(g_ptr_array_index(o->temp, i));
}

void cli_outputs_clear(cli_outputs *o)
{
    g_ptr_array_free(o->temp, TRUE);
    g_ptr_array_free(o->final, TRUE);
}

char *cli_format_count(gint64 n, char buf[32])
{
    char digits[24];
    snprintf(digits, sizeof digits, "%" G_GINT64_FORMAT, n);
    size_t len = strlen(digits), j = 0, first = digits[0] == '-';
    for (size_t i = 0; i < len; i++) {
        if (i > first && (len - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
    return buf;
}

void cli_print_json(JsonNode *node)
{
    JsonGenerator *gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, node);
    char *text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
    g_free(text);
    g_object_unref(gen);
}

cg_model *cli_load_listed_style(cg_catalog *cat, int k, const char *only_style, int *index, int *status)
{
    const cg_catalog_style *cs = cg_catalog_get(cat, k);
    if (strcmp(cs->mode, "identity") == 0 || strcmp(cs->mode, "reference") == 0 ||
        (only_style && strcmp(only_style, cs->name) != 0))
        return NULL;
    cg_error err = {0};
    cg_model *m = cg_catalog_load_style(cat, cs->name, index, &err);
    if (!m)
        *status = cli_fail_error(cs->name, &err);
    return m;
}

cg_image *cli_resize_long_side(const cg_image *img, int side, int min_w, int min_h, cg_error *err)
{
    int longer = img->width > img->height ? img->width : img->height;
    double f = (double)side / longer;
    return cg_image_resize(img, (int)fmax(min_w, lround(img->width * f)), (int)fmax(min_h, lround(img->height * f)),
                           err);
}

cg_image **cli_load_photos(char *const *files, int side, int min_w, int min_h, int *n)
{
    *n = (int)g_strv_length((char **)files);
    cg_image **photos = g_new0(cg_image *, *n + 1);
    for (int i = 0; i < *n; i++) {
        cg_error err = {0};
        cg_image *img = cg_image_load(files[i], &err);
        photos[i] = img ? cli_resize_long_side(img, side, min_w, min_h, &err) : NULL;
        cg_image_free(img);
        if (!photos[i]) {
            cli_fail_error(NULL, &err); /* the loader's message names the file */
            cli_free_photos(photos);
            return NULL;
        }
    }
    return photos;
}

void cli_free_photos(cg_image **photos)
{
    for (int i = 0; photos && photos[i]; i++)
        cg_image_free(photos[i]);
    g_free(photos);
}
