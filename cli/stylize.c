/* comicgan stylize: images in, stylized images out.
 *
 *   comicgan stylize [OPTION…] IN OUT
 *   comicgan stylize [OPTION…] IN… -o FOLDER [--format png|jpg|webp|tif|gif] [--frames]
 *   comicgan stylize --reference REF | --style-code CODE.json [OPTION…] IN OUT | IN… -o FOLDER
 *
 * With a reference model the style comes from a picture: REF is encoded
 * once for the whole run (or its code read from a style-code file) and every
 * input gets that code.
 *
 * An animated GIF or WebP is stylized whole, its frames sharing statistics,
 * into an animated GIF or WebP (durations and loop count kept), or with -o
 * into one numbered file per frame when the output type is a still one.
 *
 * Every output is all or nothing: with one output the image writer replaces
 * OUT atomically; with several (or with --attention) the files are written
 * under hidden temporary names and renamed into place only when every image
 * succeeded, so a failure or Ctrl-C leaves no new file and changes no old one. */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct settings {
    char *model_file, *style, *mix, *attention, *out_dir, *format, *scale, *reference, *style_code;
    double strength, line_weight, denoise, contrast;
    int tile, quality, memory_budget; /* MiB */
    gboolean keep_colors, frames, lossless, lock_motion;
    char **files;
} settings;

/* One input and where its result goes. */
typedef struct job {
    const char *in;
    char *out;
} job;

static const char *const formats[] = {"png", "jpg", "jpeg", "webp", "tif", "tiff", "gif"};

static bool check_settings(const settings *s, int n_files)
{
    const char *cmd = "stylize";
    if (!cli_check_range(cmd, "--strength", s->strength, 0, 1) ||
        !cli_check_range(cmd, "--line-weight", s->line_weight, -1, 1) ||
        !cli_check_range(cmd, "--denoise", s->denoise, 0, 1) ||
        !cli_check_range(cmd, "--contrast", s->contrast, 0.5, 2) ||
        !cli_check_range(cmd, "--tile", s->tile, 0, CG_STYLIZE_MAX_SIDE) ||
        !cli_check_range(cmd, "--memory-budget", s->memory_budget, 0, CG_STYLIZE_MAX_MEMORY_BUDGET_MIB) ||
        (s->quality != 0 && !cli_check_range(cmd, "--quality", s->quality, 1, 100)))
        return false;
    cg_stylize_options scale = cg_stylize_defaults();
    if (!cli_parse_scale(cmd, s->scale, &scale))
        return false;
    if (s->format) {
        bool known = false;
        for (size_t i = 0; i < G_N_ELEMENTS(formats); i++)
            known = known || g_ascii_strcasecmp(s->format, formats[i]) == 0;
        if (!known) {
            cli_fail(CLI_EXIT_USAGE, cmd, _("--format must be png, jpg, webp, tif or gif, not \"%s\""), s->format);
            return false;
        }
        if (!s->out_dir) {
            cli_fail(CLI_EXIT_USAGE, cmd, _("--format goes with -o FOLDER; with IN OUT, OUT's name gives the type"));
            return false;
        }
    }
    if (s->out_dir && n_files < 1) {
        cli_fail(CLI_EXIT_USAGE, cmd, _("no input images (see comicgan stylize --help)"));
        return false;
    }
    if (!s->out_dir && n_files != 2) {
        cli_fail(CLI_EXIT_USAGE, cmd, _("give IN OUT, or several inputs with -o FOLDER (see comicgan stylize --help)"));
        return false;
    }
    if (s->frames && !s->out_dir) {
        cli_fail(CLI_EXIT_USAGE, cmd, _("--frames goes with several inputs and -o FOLDER"));
        return false;
    }
    if (s->attention && s->out_dir) {
        cli_fail(CLI_EXIT_USAGE, cmd, _("--attention goes with one input (IN OUT), not -o FOLDER"));
        return false;
    }
    if (s->reference && s->style_code) {
        cli_fail(CLI_EXIT_USAGE, cmd, _("give --reference or --style-code, not both"));
        return false;
    }
    if ((s->reference || s->style_code) && s->mix) {
        cli_fail(CLI_EXIT_USAGE, cmd,
                 _("--mix blends the styles of one model; a reference takes the place of a style"));
        return false;
    }
    if (s->attention && !g_str_has_suffix(s->attention, ".png") && !g_str_has_suffix(s->attention, ".PNG")) {
        cli_fail(CLI_EXIT_USAGE, s->attention, _("the attention map is written as PNG; name it .png"));
        return false;
    }
    return true;
}

/* The output name for an input in folder mode: its name with the chosen
 * extension (or its own, where it is one we can write; else .png). */
static char *output_name(const settings *s, const char *in)
{
    char *base = g_path_get_basename(in);
    char *dot = strrchr(base, '.');
    char *ext = s->format ? g_strconcat(".", s->format, NULL) : g_strdup(cli_known_extension(in) ? dot : ".png");
    if (dot && dot != base)
        *dot = '\0';
    char *name = g_strconcat(base, ext, NULL);
    char *path = g_build_filename(s->out_dir, name, NULL);
    g_free(name);
    g_free(ext);
    g_free(base);
    return path;
}

/* The jobs, or NULL after printing why they cannot be done. */
static job *plan_jobs(const settings *s, int n)
{
    job *jobs = g_new0(job, n);
    bool ok = true;
    for (int i = 0; ok && i < n; i++) {
        jobs[i].in = s->files[i];
        if (access(jobs[i].in, R_OK) != 0) {
            ok = false;
            cli_fail(CLI_EXIT_FAILURE, jobs[i].in, _("cannot open: %s"), g_strerror(errno));
            break;
        }
        jobs[i].out = s->out_dir ? output_name(s, jobs[i].in) : g_strdup(s->files[1]);
        for (int j = 0; ok && j < i; j++)
            if (strcmp(jobs[i].out, jobs[j].out) == 0) {
                cli_fail(CLI_EXIT_USAGE, jobs[i].out, _("both %s and %s would be written here; rename one"),
                         jobs[j].in, jobs[i].in);
                ok = false;
            }
        const char *extra[] = {s->reference, s->style_code};
        for (size_t j = 0; ok && j < G_N_ELEMENTS(extra); j++)
            if (extra[j] && cli_same_file(jobs[i].out, extra[j])) {
                cli_fail(CLI_EXIT_USAGE, jobs[i].out, _("would replace %s; choose another name or folder"), extra[j]);
                ok = false;
            }
        for (int j = 0; ok && j < n; j++)
            if (cli_same_file(jobs[i].out, s->files[j])) {
                cli_fail(CLI_EXIT_USAGE, jobs[i].out, _("would replace the input %s; choose another name or folder"),
                         s->files[j]);
                ok = false;
            }
        ok = ok && cli_check_output(jobs[i].out, true);
        if (!s->out_dir)
            break; /* IN OUT: one job */
    }
    if (ok && s->attention)
        ok = cli_check_output(s->attention, true);
    if (!ok) {
        for (int i = 0; i < n; i++)
            g_free(jobs[i].out);
        g_free(jobs);
        return NULL;
    }
    return jobs;
}

/* After a failed write to path, makes err name final instead. */
static cg_status name_final(cg_status st, const char *path, const char *final, cg_error *err)
{
    size_t len = strlen(path);
    if (st != CG_OK && strncmp(err->message, path, len) == 0 && strncmp(err->message + len, ": ", 2) == 0)
        memmove(err->message, err->message + len + 2, strlen(err->message + len + 2) + 1);
    if (st != CG_OK && st != CG_ERR_CANCELLED)
        cg_error_prefix(err, "%s", final);
    return st;
}

/* Saves img through a temporary name (or straight to final when temp is
 * NULL); an error then names the final file, not the temporary one. */
static cg_status save(const cg_image *img, const char *temp, const char *final, const cg_image_save_options *so,
                      cg_error *err)
{
    const char *path = temp ? temp : final;
    return name_final(cg_image_save(img, path, so, err), path, final, err);
}

/* The progress of a part of an item: from + span * the part's fraction. */
typedef struct part {
    cli_progress *p;
    float from, span;
} part;

static bool part_update(void *data, float fraction)
{
    part *q = data;
    return cli_progress_update(q->p, q->from + q->span * fraction);
}

/* FOLDER/NAME.EXT -> FOLDER/NAME-0007.EXT, the number at least 4 digits wide. */
static char *numbered(const char *path, int number, int count)
{
    const char *dot = strrchr(path, '.');
    int digits = 1;
    for (int c = count; c >= 10; c /= 10)
        digits++;
    digits = MAX(digits, 4);
    return g_strdup_printf("%.*s-%0*d%s", (int)(dot - path), path, digits, number, dot);
}

/* Stylizes a's frames in place with shared statistics and writes them to out:
 * an animation when out's type holds one, else (-o FOLDER) one numbered file
 * per frame. The stylizing is the first 90% of the item's progress. */
static cg_status stylize_animation(const settings *s, const cg_model *m, cg_stylize_options *o, cg_animation *a,
                                   const char *out, cli_outputs *outs, cli_progress *p, cg_error *err)
{
    const cg_image_save_options so = {.quality = s->quality, .lossless = s->lossless};
    part q = {p, 0, 0.9f};
    o->progress = part_update;
    o->progress_data = &q;
    cg_status st = cg_stylize_frames(m, (const cg_image *const *)a->frames, a->frames, a->n_frames, o, err);
    o->progress = cli_progress_update;
    o->progress_data = p;
    if (st == CG_OK && cg_animation_path_ok(out)) {
        q.from = 0.9f;
        q.span = 0.1f;
        const char *temp = cli_outputs_add(outs, out);
        st = name_final(cg_animation_save(a, temp, &so, part_update, &q, err), temp, out, err);
    }
    for (int i = 0; st == CG_OK && !cg_animation_path_ok(out) && i < a->n_frames; i++) {
        char *path = numbered(out, i + 1, a->n_frames);
        st = save(a->frames[i], cli_outputs_add(outs, path), path, &so, err);
        g_free(path);
    }
    return st;
}

/* Loads in as an animation; a still image (one frame) comes back as *img
 * instead. Returns the status, err filled on failure. */
static cg_status load_input(const char *in, cg_animation **anim, cg_image **img, cg_error *err)
{
    *anim = cg_animation_load(in, err);
    *img = NULL;
    if (!*anim)
        return err->code;
    if ((*anim)->n_frames == 1) {
        *img = (*anim)->frames[0];
        (*anim)->frames[0] = NULL;
        cg_animation_free(*anim);
        *anim = NULL;
    }
    return CG_OK;
}

/* Writes the heatmap of the first attention point for img into path. */
static cg_status write_attention(const cg_model *m, const cg_image *img, const cg_stylize_options *o, const char *temp,
                                 const char *final, cg_error *err)
{
    float *map = g_try_new(float, (size_t)img->width * img->height);
    if (!map)
        return cg_fail(err, CG_ERR_NOMEM, "out of memory for the attention map");
    cg_image *heat = NULL;
    cg_status st = cg_stylize_attention(m, img, 0, o, map, err);
    if (st == CG_OK && !(heat = cg_image_new(img->width, img->height, err)))
        st = err->code;
    if (st == CG_OK) {
        cg_heatmap(map, img->width, img->height, 1.0f, heat);
        cg_image_save_options so = {.bits = 8, .channels = 3};
        st = save(heat, temp, final, &so, err);
    }
    cg_image_free(heat);
    g_free(map);
    return st;
}

/* Each input on its own. Returns the exit status. */
static int stylize_each(const settings *s, const cg_model *m, cg_stylize_options *o, const job *jobs, int n,
                        cli_outputs *outs)
{
    const cg_image_save_options so = {.quality = s->quality, .lossless = s->lossless};
    cli_progress p;
    cli_progress_start(&p, s->attention ? 2 : n);
    o->progress = cli_progress_update;
    o->progress_data = &p;
    int status = CLI_EXIT_OK;
    for (int i = 0; i < n && status == CLI_EXIT_OK; i++) {
        cg_error err = {0};
        cg_animation *anim = NULL;
        cg_image *img = NULL;
        /* A still image the network sees smaller than it is streams from file
         * to file, so memory does not grow with the image; anything else is
         * loaded whole (the engine says which by CG_ERR_UNSUPPORTED). */
        bool streamed = false;
        cg_status st = CG_ERR_UNSUPPORTED;
        if (!s->attention) {
            cli_progress_item(&p, i, jobs[i].in);
            const char *path = s->out_dir ? cli_outputs_add(outs, jobs[i].out) : jobs[i].out;
            st = cli_interrupted ? cg_fail(&err, CG_ERR_CANCELLED, "cancelled")
                                 : cg_stylize_file(m, jobs[i].in, path, o, &so, &err);
            streamed = st != CG_ERR_UNSUPPORTED;
            if (streamed)
                st = name_final(st, path, jobs[i].out, &err);
            else {
                cg_error_clear(&err);
                if (s->out_dir)
                    cli_outputs_forget_last(outs);
            }
        }
        if (!streamed) {
            st = load_input(jobs[i].in, &anim, &img, &err);
            cli_warn_frames(jobs[i].in, img);
        }
        if (anim && (s->attention || (!s->out_dir && !cg_animation_path_ok(jobs[i].out)))) {
            int frames = anim->n_frames;
            cg_animation_free(anim);
            char *shown = g_filename_display_name(jobs[i].in);
            if (s->attention)
                status = cli_fail(CLI_EXIT_USAGE, shown, _("is an animation; --attention takes a still image"));
            else
                status = cli_fail(CLI_EXIT_USAGE, shown,
                                  _("is an animation of %d frames: name the output .gif or .webp to keep it, or "
                                    "give -o FOLDER for one numbered file per frame"),
                                  frames);
            g_free(shown);
            break;
        }
        if (anim) {
            char *label = g_strdup_printf("%s: %d frames", jobs[i].in, anim->n_frames);
            cli_progress_item(&p, i, label);
            g_free(label);
            if (cli_interrupted)
                st = cg_fail(&err, CG_ERR_CANCELLED, "cancelled");
            else
                st = stylize_animation(s, m, o, anim, jobs[i].out, outs, &p, &err);
            cg_animation_free(anim);
        } else if (st == CG_OK && s->attention) {
            cli_progress_item(&p, 0, s->attention);
            const char *temp = cli_outputs_add(outs, s->attention);
            if ((st = write_attention(m, img, o, temp, s->attention, &err)) == CG_OK)
                cli_progress_item(&p, 1, jobs[i].in);
        } else if (!streamed) {
            cli_progress_item(&p, i, jobs[i].in);
        }
        if (st == CG_OK && img && cli_interrupted)
            st = cg_fail(&err, CG_ERR_CANCELLED, "cancelled");
        if (st == CG_OK && img)
            st = cg_stylize(m, img, img, o, &err);
        /* One output: the image writer's own temp-and-rename is enough. */
        if (st == CG_OK && img)
            st = save(img, s->out_dir ? cli_outputs_add(outs, jobs[i].out) : NULL, jobs[i].out, &so, &err);
        cg_image_free(img);
        cli_progress_end(&p);
        /* Engine messages about files start with the file's name. */
        if (st == CG_ERR_CANCELLED)
            status = cli_fail_error("stylize", &err);
        else if (st != CG_OK)
            status = cli_fail_error(g_str_has_prefix(err.message, jobs[i].in) ||
                                            g_str_has_prefix(err.message, jobs[i].out) ||
                                            (s->attention && g_str_has_prefix(err.message, s->attention))
                                        ? NULL
                                        : jobs[i].in,
                                    &err);
    }
    return status;
}

/* All inputs as frames of one animation, sharing normalization statistics. */
static int stylize_frames(const settings *s, const cg_model *m, cg_stylize_options *o, const job *jobs, int n,
                          cli_outputs *outs)
{
    const cg_image_save_options so = {.quality = s->quality, .lossless = s->lossless};
    cg_image **in = g_new0(cg_image *, n), **out = g_new0(cg_image *, n);
    cg_error err = {0};
    cg_status st = CG_OK;
    for (int i = 0; i < n && st == CG_OK; i++) {
        if (cli_interrupted)
            st = cg_fail(&err, CG_ERR_CANCELLED, "cancelled");
        else if (!(in[i] = cg_image_load(jobs[i].in, &err)) || !(out[i] = cg_image_copy(in[i], &err)))
            st = err.code;
        else
            cli_warn_frames(jobs[i].in, in[i]);
    }
    cli_progress p;
    cli_progress_start(&p, 1);
    char label[32];
    snprintf(label, sizeof label, _("%d frames"), n);
    cli_progress_item(&p, 0, label);
    o->progress = cli_progress_update;
    o->progress_data = &p;
    if (st == CG_OK)
        st = cg_stylize_frames(m, (const cg_image *const *)in, out, n, o, &err);
    cli_progress_end(&p);
    for (int i = 0; i < n && st == CG_OK; i++)
        st = save(out[i], cli_outputs_add(outs, jobs[i].out), jobs[i].out, &so, &err);
    for (int i = 0; i < n; i++) {
        cg_image_free(in[i]);
        cg_image_free(out[i]);
    }
    g_free(in);
    g_free(out);
    if (st == CG_OK)
        return CLI_EXIT_OK;
    /* Engine messages about files start with the file's name; others get the command's. */
    bool named = false;
    for (int i = 0; i < n; i++)
        named = named || g_str_has_prefix(err.message, jobs[i].in) || g_str_has_prefix(err.message, jobs[i].out);
    return cli_fail_error(named && st != CG_ERR_CANCELLED ? NULL : "stylize", &err);
}

static int run(settings *s)
{
    int n = s->files ? (int)g_strv_length(s->files) : 0;
    if (!check_settings(s, n))
        return CLI_EXIT_USAGE;
    if (!s->out_dir)
        n = 1;

    /* The output folder is made if missing, and removed again (if still
     * empty) when the run fails. */
    bool made_dir = false;
    if (s->out_dir && !g_file_test(s->out_dir, G_FILE_TEST_EXISTS)) {
        if (g_mkdir_with_parents(s->out_dir, 0777) != 0)
            return cli_fail(CLI_EXIT_FAILURE, s->out_dir, _("cannot create the folder: %s"), g_strerror(errno));
        made_dir = true;
    }
    job *jobs = plan_jobs(s, n);
    if (!jobs) {
        if (made_dir)
            rmdir(s->out_dir);
        return CLI_EXIT_FAILURE;
    }

    int status = CLI_EXIT_FAILURE, style = 0;
    float *mix = NULL, *code = NULL;
    char *mix_style = s->mix && !s->style && !s->model_file ? cli_mix_first_name(s->mix) : NULL;
    bool by_picture = s->reference || s->style_code;
    cg_model *m = by_picture ? cli_load_reference_model("stylize", s->model_file, s->style)
                             : cli_load_model("stylize", s->model_file, s->style ? s->style : mix_style, &style);
    if (m && !by_picture && cg_model_code_length(m) > 0) {
        cli_fail(CLI_EXIT_USAGE, s->model_file ? s->model_file : cg_model_style(m, style)->name,
                 _("takes its style from a picture: give --reference PICTURE or --style-code CODE.json"));
        cg_model_free(m);
        m = NULL;
    }
    /* Once for the whole run, before any input is read. */
    if (m && s->reference) {
        code = g_new(float, cg_model_code_length(m));
        if (cli_encode_reference(m, s->reference, code) != CLI_EXIT_OK) {
            cg_model_free(m);
            m = NULL;
        }
    } else if (m && s->style_code && !(code = cli_read_style_code(m, s->style_code))) {
        cg_model_free(m);
        m = NULL;
    }
    cli_outputs outs;
    cli_outputs_init(&outs);
    if (m && (!s->mix || (mix = cli_parse_mix("stylize", m, s->mix)))) {
        cg_stylize_options o = cg_stylize_defaults();
        o.style = style;
        o.mix = mix;
        o.code = code;
        o.strength = (float)s->strength;
        char note[256];
        o.tile = cg_stylize_tile(m, s->tile, note, sizeof note);
        if (note[0])
            fprintf(stderr, "comicgan: stylize: %s\n", note);
        o.memory_budget = (size_t)s->memory_budget << 20;
        cli_parse_scale("stylize", s->scale, &o); /* checked in check_settings */
        o.keep_colors = s->keep_colors;
        o.lock_motion = s->lock_motion;
        o.line_weight = (float)s->line_weight;
        o.denoise = (float)s->denoise;
        o.contrast = (float)s->contrast;
        cg_error err = {0};
        if (cg_stylize_check_options(m, &o, &err) != CG_OK) {
            status = cli_fail_error("stylize", &err);
        } else {
            cli_catch_interrupt();
            status = s->frames ? stylize_frames(s, m, &o, jobs, n, &outs) : stylize_each(s, m, &o, jobs, n, &outs);
            /* A Ctrl-C during the last write still cancels: the user asked for nothing. */
            if (status == CLI_EXIT_OK && cli_interrupted && outs.temp->len)
                status = cli_fail(cli_cancel_status(), "stylize", _("cancelled"));
            if (status == CLI_EXIT_OK && !cli_outputs_commit(&outs))
                status = CLI_EXIT_FAILURE;
        }
    }
    if (status != CLI_EXIT_OK) {
        cli_outputs_discard(&outs);
        if (made_dir)
            rmdir(s->out_dir);
    }
    cli_outputs_clear(&outs);
    for (int i = 0; i < n; i++)
        g_free(jobs[i].out);
    g_free(jobs);
    g_free(mix);
    g_free(code);
    g_free(mix_style);
    cg_model_free(m);
    return status;
}

int cli_stylize(int argc, char **argv)
{
    settings s = {.strength = 1, .contrast = 1, .lock_motion = TRUE};
    const GOptionEntry entries[] = {
        {"model", 'm', 0, G_OPTION_ARG_FILENAME, &s.model_file, N_("Model file to use"), N_("FILE")},
        {"style", 's', 0, G_OPTION_ARG_STRING, &s.style, N_("Style to apply (default: the first one found)"),
         N_("NAME")},
        {"mix", 0, 0, G_OPTION_ARG_STRING, &s.mix, N_("Blend styles of one model, e.g. ink=0.7,paint=0.3"),
         N_("NAME=W,…")},
        {"reference", 'r', 0, G_OPTION_ARG_FILENAME, &s.reference,
         N_("Take the style from this picture, with a reference model (--model, --style, or the first reference "
            "style found); its colours too, unless --keep-colors"),
         N_("PICTURE")},
        {"style-code", 0, 0, G_OPTION_ARG_FILENAME, &s.style_code,
         N_("Take the style from a code saved by comicgan style-code (the same result as --reference with its "
            "picture, without encoding it again)"),
         N_("CODE.json")},
        {"strength", 0, 0, G_OPTION_ARG_DOUBLE, &s.strength, N_("0 keeps the input, 1 the full style (default 1)"),
         N_("S")},
        {"scale", 0, 0, G_OPTION_ARG_STRING, &s.scale,
         N_("Style scale: \"auto\" (the default) stylizes as if the long side were 1024 pixels, so the look does "
            "not depend on the image's size; 1 is native (the network sees every pixel); 0.25 shows the network "
            "the image at a quarter of its size (larger strokes, faster)"),
         N_("S|auto")},
        {"tile", 0, 0, G_OPTION_ARG_INT, &s.tile, N_("Tile side in pixels (default: chosen from memory)"), N_("N")},
        {"memory-budget", 0, 0, G_OPTION_ARG_INT, &s.memory_budget,
         N_("Memory for the network on large images, in MiB (default 768): more is faster; what does not fit "
            "goes to a temporary file in $TMPDIR"),
         N_("MIB")},
        {"keep-colors", 0, 0, G_OPTION_ARG_NONE, &s.keep_colors,
         N_("Keep the input's colours (hues) under the style's light and dark; by default the colours are the "
            "style's, with --reference the reference picture's"),
         NULL},
        {"line-weight", 0, 0, G_OPTION_ARG_DOUBLE, &s.line_weight, N_("Thin (-1) or thicken (1) lines (default 0)"),
         N_("X")},
        {"denoise", 0, 0, G_OPTION_ARG_DOUBLE, &s.denoise, N_("Smooth the result, 0 to 1 (default 0)"), N_("X")},
        {"contrast", 0, 0, G_OPTION_ARG_DOUBLE, &s.contrast, N_("Contrast, 0.5 to 2 (default 1)"), N_("X")},
        {"attention", 0, 0, G_OPTION_ARG_FILENAME, &s.attention, N_("Also write the attention heatmap here"),
         N_("OUT.png")},
        {"quality", 'q', 0, G_OPTION_ARG_INT, &s.quality, N_("JPEG and WebP quality, 1 to 100 (default 90)"),
         N_("Q")},
        {"lossless", 0, 0, G_OPTION_ARG_NONE, &s.lossless, N_("Write WebP lossless"), NULL},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &s.out_dir, N_("Write every result into this folder"),
         N_("FOLDER")},
        {"format", 'f', 0, G_OPTION_ARG_STRING, &s.format, N_("Type of the files written with -o (default: as the input)"),
         N_("png|jpg|webp|tif|gif")},
        {"frames", 0, 0, G_OPTION_ARG_NONE, &s.frames, N_("The inputs are frames of one animation: share statistics"),
         NULL},
        {"no-lock-motion", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &s.lock_motion,
         N_("Frames and animations: do not follow a pan (by default each frame's shift is found and the frame "
            "stylized at the first frame's phase, so screentone and strokes move with the scene)"),
         NULL},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &s.files, NULL, NULL},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    if (cli_parse("stylize", _("IN OUT | IN… -o FOLDER"),
                  _("Stylizes IN into OUT (the type from OUT's name: .png, .jpg, .webp, .tif, .gif), or every IN "
                    "into FOLDER.\nBit depth and channels follow the input. Styles come from the model files found "
                    "(see comicgan info).\n\nAn animated GIF or WebP is stylized whole, every frame with the same "
                    "statistics, into an animated .gif or .webp (frame times and loop count kept; GIF gets a palette "
                    "per frame), or with -o FOLDER and a still type (--format png) into NAME-0001.png, "
                    "NAME-0002.png... A still OUT for an animated IN is refused. All frames are held in memory: at "
                    "most 10000 frames and 2^27 pixels in all. Of a multi-page TIFF only the first page is used."
                    "\n\nWith a reference model (comicgan info: \"takes a reference picture\"), --reference "
                    "PICTURE gives the style, its colours included unless --keep-colors: the picture is encoded once "
                    "for every input; comicgan style-code saves its code for --style-code."),
                  entries, &argc, &argv))
        status = run(&s);
    g_free(s.model_file);
    g_free(s.style);
    g_free(s.mix);
    g_free(s.attention);
    g_free(s.out_dir);
    g_free(s.format);
    g_free(s.scale);
    g_free(s.reference);
    g_free(s.style_code);
    g_strfreev(s.files);
    return status;
}
