/* Run configurations: a GKeyFile read through one table of options, so that
 * parsing, defaults, range checks and the canonical copy written into the
 * run folder cannot disagree. docs/training.md documents every entry. */
#include "train/train_private.h"
#include "comicgan/model.h"
#include "io/read_file.h"

#include <json-glib/json-glib.h>
#include <stddef.h>
#include <string.h>

typedef enum { OPT_INT, OPT_I64, OPT_DBL, OPT_BOOL, OPT_STR, OPT_PATH, OPT_PATHS, OPT_ENUM } opt_type;

typedef struct opt_def {
    const char *group, *key;
    opt_type type;
    size_t offset;
    const char *def;     /* default as key-file text; NULL: set by the mode table or a rule below */
    double lo, hi;       /* numeric range */
    const char *choices; /* OPT_ENUM: "a|b|c", stored as the index */
} opt_def;

#define O(field) offsetof(cg_train_config, field)
#define BIG 1e15

static const opt_def options[] = {
    {"run", "mode", OPT_ENUM, O(mode), "pix2pix", 0, 0, "pix2pix|cyclegan|attention|multistyle|reference"},
    {"run", "name", OPT_STR, O(name), "style", 0, 0, NULL},
    {"run", "display_name", OPT_STR, O(display_name), "", 0, 0, NULL},
    {"run", "description", OPT_STR, O(description), "", 0, 0, NULL},
    {"run", "seed", OPT_I64, O(seed), "1", 0, BIG, NULL},
    {"run", "steps", OPT_I64, O(steps), "10000", 1, BIG, NULL},
    {"run", "batch", OPT_INT, O(batch), "1", 1, 256, NULL},
    {"run", "size", OPT_INT, O(size), "256", 8, 2048, NULL},
    {"run", "log_every", OPT_I64, O(log_every), "10", 1, BIG, NULL},
    {"run", "sample_every", OPT_I64, O(sample_every), "500", 0, BIG, NULL},
    {"run", "samples", OPT_INT, O(samples), "4", 1, 16, NULL},
    {"run", "checkpoint_every", OPT_I64, O(checkpoint_every), "1000", 0, BIG, NULL},
    {"run", "keep_checkpoints", OPT_BOOL, O(keep_checkpoints), "false", 0, 0, NULL},
    {"data", "photos", OPT_PATH, O(photos), "", 0, 0, NULL},
    {"data", "targets", OPT_PATH, O(targets), "", 0, 0, NULL},
    {"data", "target_filter", OPT_ENUM, O(target_filter), "none", 0, 0, TR_TEACHERS},
    {"data", "style", OPT_PATH, O(style), "", 0, 0, NULL},
    {"data", "references", OPT_PATHS, O(references), "", 0, 0, NULL},
    {"data", "reference_teachers", OPT_STR, O(reference_teachers), "", 0, 0, NULL},
    {"data", "load_size", OPT_INT, O(load_size), "0", 0, 4096, NULL},
    {"data", "min_side", OPT_INT, O(min_side), "0", 0, 4096, NULL},
    {"data", "max_images", OPT_INT, O(max_images), "0", 0, 1000000, NULL},
    {"data", "val_fraction", OPT_DBL, O(val_fraction), "0.1", 0, 0.9, NULL},
    {"data", "test_fraction", OPT_DBL, O(test_fraction), "0.1", 0, 0.9, NULL},
    {"data", "scale_min", OPT_DBL, O(scale_min), "1", 0.25, 4, NULL},
    {"data", "scale_max", OPT_DBL, O(scale_max), "1", 0.25, 4, NULL},
    {"data", "flip", OPT_BOOL, O(flip), "true", 0, 0, NULL},
    {"data", "rotate90", OPT_BOOL, O(rotate90), "false", 0, 0, NULL},
    {"data", "jitter", OPT_DBL, O(jitter), "0", 0, 1, NULL},
    {"generator", "type", OPT_ENUM, O(g_type), "resnet", 0, 0, "resnet|unet"},
    {"generator", "width", OPT_INT, O(g_width), "32", 1, 512, NULL},
    {"generator", "downsamples", OPT_INT, O(g_downsamples), "2", 0, 6, NULL},
    {"generator", "blocks", OPT_INT, O(g_blocks), "4", 0, 64, NULL},
    {"generator", "norm", OPT_ENUM, O(g_norm), NULL, 0, 0, "instance|cond_instance|adalin|layer|none|cond_affine"},
    {"generator", "upsample", OPT_ENUM, O(g_upsample), "nearest", 0, 0, "nearest|bilinear|transposed"},
    {"generator", "activation", OPT_ENUM, O(g_activation), "leaky_relu", 0, 0, "relu|leaky_relu"},
    {"generator", "attention", OPT_STR, O(g_attention), NULL, 0, 0, NULL},
    {"generator", "residual", OPT_BOOL, O(g_residual), "false", 0, 0, NULL},
    {"generator", "style_heads", OPT_BOOL, O(g_style_heads), "false", 0, 0, NULL},
    {"generator", "residual_blur", OPT_INT, O(g_residual_blur), "0", 0, 64, NULL},
    {"generator", "residual_guided", OPT_INT, O(g_residual_guided), "0", 0, 8, NULL},
    {"generator", "guided_radius", OPT_INT, O(g_guided_radius), "4", 1, 32, NULL},
    {"generator", "guided_eps", OPT_DBL, O(g_guided_eps), "0.01", 1e-6, 1, NULL},
    {"generator", "post_kuwahara", OPT_INT, O(g_post_kuwahara), "0", 0, 4, NULL},
    {"generator", "post_smooth", OPT_INT, O(g_post_smooth), "0", 0, 8, NULL},
    {"generator", "post_smooth_radius", OPT_INT, O(g_post_smooth_radius), "3", 1, 32, NULL},
    {"generator", "post_smooth_eps", OPT_DBL, O(g_post_smooth_eps), "0.01", 1e-6, 1, NULL},
    {"generator", "post_bands", OPT_INT, O(g_post_bands), "0", 0, 32, NULL},
    {"generator", "post_band_width", OPT_DBL, O(g_post_band_width), "0.3", 1e-6, 1, NULL},
    {"generator", "init", OPT_ENUM, O(init), NULL, 0, 0, "normal|xavier"}, /* default: see below */
    /* Read by the recipes' export step (comicgan export --post-smooth). */
    {"export", "post_smooth", OPT_INT, O(x_post_smooth), "0", 0, 8, NULL},
    {"export", "post_bands", OPT_INT, O(x_post_bands), "0", 0, 32, NULL},
    {"export", "post_kuwahara", OPT_INT, O(x_post_kuwahara), "0", 0, 4, NULL},
    {"encoder", "width", OPT_INT, O(e_width), "16", 1, 256, NULL},
    {"encoder", "layers", OPT_INT, O(e_layers), "4", 1, 8, NULL},
    {"encoder", "code", OPT_INT, O(e_code), "8", 1, 63, NULL},
    {"encoder", "code_norm", OPT_BOOL, O(e_code_norm), "false", 0, 0, NULL},
    {"encoder", "detach", OPT_BOOL, O(e_detach), "false", 0, 0, NULL},
    {"discriminator", "width", OPT_INT, O(d_width), "64", 1, 512, NULL},
    {"discriminator", "layers", OPT_INT, O(d_layers), "3", 1, 6, NULL},
    {"discriminator", "scales", OPT_INT, O(d_scales), "1", 1, TR_MAX_SCALES, NULL},
    {"discriminator", "norm", OPT_ENUM, O(d_norm), NULL, 0, 0, "instance|layer|none"},
    {"discriminator", "spectral_norm", OPT_BOOL, O(d_spectral_norm), NULL, 0, 0, NULL},
    {"discriminator", "cam", OPT_BOOL, O(d_cam), NULL, 0, 0, NULL},
    {"optim", "lr_g", OPT_DBL, O(lr_g), NULL, 0, 1, NULL},
    {"optim", "lr_d", OPT_DBL, O(lr_d), NULL, 0, 1, NULL},
    {"optim", "lr_e", OPT_DBL, O(lr_e), "0", 0, 1, NULL},
    {"optim", "beta1", OPT_DBL, O(beta1), "0.5", 0, 0.999999, NULL},
    {"optim", "beta2", OPT_DBL, O(beta2), "0.999", 0, 0.999999, NULL},
    {"optim", "constant_steps", OPT_I64, O(constant_steps), NULL, 0, BIG, NULL},
    {"optim", "decay_steps", OPT_I64, O(decay_steps), NULL, 0, BIG, NULL},
    {"optim", "warmup_steps", OPT_I64, O(warmup_steps), "0", 0, BIG, NULL},
    {"optim", "clip", OPT_DBL, O(clip), "0", 0, 1e9, NULL},
    {"loss", "gan", OPT_ENUM, O(gan), NULL, 0, 0, "bce|lsgan|hinge"},
    {"loss", "adversarial", OPT_DBL, O(adv), NULL, 0, 1e6, NULL},
    {"loss", "style_adversarial", OPT_DBL, O(style_adv), "1", 0, 1e6, NULL},
    {"loss", "l1", OPT_DBL, O(l1), NULL, 0, 1e6, NULL},
    {"loss", "cycle", OPT_DBL, O(cycle), NULL, 0, 1e6, NULL},
    {"loss", "identity", OPT_DBL, O(identity), NULL, 0, 1e6, NULL},
    {"loss", "cam", OPT_DBL, O(cam), NULL, 0, 1e6, NULL},
    {"loss", "pool_size", OPT_INT, O(pool_size), NULL, 0, 1000, NULL},
    {"loss", "style", OPT_DBL, O(style_w), NULL, 0, 1e9, NULL},
    {"loss", "reconstruction", OPT_DBL, O(reconstruction), NULL, 0, 1e6, NULL},
    {"loss", "source_code", OPT_DBL, O(source_code), "0", 0, 1e6, NULL},
    {"loss", "content", OPT_DBL, O(content), NULL, 0, 1e6, NULL},
    {"loss", "color", OPT_DBL, O(color), "0", 0, 1e6, NULL},
    {"loss", "chroma", OPT_DBL, O(chroma), "0", 0, 1e6, NULL},
    {"loss", "stability", OPT_DBL, O(stability), "0", 0, 1e6, NULL},
    {"loss", "gradient", OPT_DBL, O(gradient), "0", 0, 1e6, NULL},
    {"loss", "tv", OPT_DBL, O(tv), "0", 0, 1e6, NULL},
    {"loss", "edge_smooth", OPT_DBL, O(edge_smooth), "0", 0, 1e6, NULL},
    {"loss", "features", OPT_ENUM, O(features), "fixed", 0, 0, "fixed|discriminator"},
    {"debug", "nan_at_step", OPT_I64, O(debug_nan_step), "0", 0, BIG, NULL},
};
#define N_OPTIONS ((int)(sizeof options / sizeof *options))

/* Defaults that differ between modes: the papers' settings. */
typedef struct mode_default {
    const char *key; /* "group.key" */
    const char *value[5]; /* pix2pix, cyclegan, attention, multistyle, reference */
} mode_default;

static const mode_default mode_defaults[] = {
    {"generator.norm", {"instance", "instance", "adalin", "cond_instance", "cond_instance"}},
    {"generator.attention", {"", "", "cam", "", ""}},
    {"discriminator.norm", {"instance", "instance", "none", "instance", "instance"}},
    {"discriminator.spectral_norm", {"false", "false", "true", "false", "false"}},
    {"discriminator.cam", {"false", "false", "true", "false", "false"}},
    {"optim.lr_g", {"0.0002", "0.0002", "0.0001", "0.0002", "0.0002"}},
    {"optim.lr_d", {"0.0002", "0.0002", "0.0001", "0.0002", "0.0002"}},
    {"loss.gan", {"bce", "lsgan", "lsgan", "lsgan", "lsgan"}},
    {"loss.adversarial", {"1", "1", "1", "1", "0"}},
    {"loss.l1", {"100", "0", "0", "10", "0"}},
    {"loss.cycle", {"0", "10", "10", "0", "0"}},
    {"loss.cam", {"0", "0", "1000", "0", "0"}},
    {"loss.pool_size", {"0", "50", "0", "0", "0"}},
    {"loss.style", {"0", "0", "0", "0", "1"}},
    {"loss.content", {"0", "0", "0", "1", "1"}},
    {"loss.reconstruction", {"0", "0", "0", "0", "10"}},
};

static const char *const style_keys[] = {"source",      "filter", "dir",          "photos",
                                         "display_name", "description", "chroma", "post_kuwahara"};

int cg_train_option_count(void) { return N_OPTIONS; }

void cg_train_option(int i, const char **group, const char **key)
{
    *group = i >= 0 && i < N_OPTIONS ? options[i].group : NULL;
    *key = i >= 0 && i < N_OPTIONS ? options[i].key : NULL;
}

static int enum_index(const char *choices, const char *value)
{
    char **names = g_strsplit(choices, "|", -1);
    int found = -1;
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], value) == 0)
            found = i;
    g_strfreev(names);
    return found;
}

static char *enum_name(const char *choices, int index)
{
    char **names = g_strsplit(choices, "|", -1);
    char *s = g_strdup(index >= 0 && index < (int)g_strv_length(names) ? names[index] : "");
    g_strfreev(names);
    return s;
}

void cg_train_config_free(cg_train_config *c)
{
    if (!c)
        return;
    for (int i = 0; i < N_OPTIONS; i++)
        if (options[i].type == OPT_STR || options[i].type == OPT_PATH || options[i].type == OPT_PATHS)
            g_free(*(char **)((char *)c + options[i].offset));
    for (int i = 0; i < c->n_styles; i++) {
        tr_style_config *s = &c->styles[i];
        g_free(s->name);
        g_free(s->display_name);
        g_free(s->description);
        g_free(s->dir);
        g_free(s->photos);
    }
    g_free(c->source_name);
    g_free(c->run_dir);
    g_free(c->gen_arch);
    g_free(c->encoder_arch);
    g_free(c->canonical);
    g_free(c->hash);
    g_free(c);
}

static char *resolve_path(const char *base_dir, const char *value)
{
    if (!value[0])
        return g_strdup("");
    if (g_path_is_absolute(value) || !base_dir)
        return g_canonicalize_filename(value, NULL);
    return g_canonicalize_filename(value, base_dir);
}

/* Parses one option's text into the struct. */
static cg_status set_option(cg_train_config *c, const opt_def *o, const char *text, const char *base_dir,
                            cg_error *err)
{
    void *field = (char *)c + o->offset;
    char *end = NULL;
    const char *what = c->source_name;
    switch (o->type) {
    case OPT_INT:
    case OPT_I64: {
        gint64 v = g_ascii_strtoll(text, &end, 10);
        if (!text[0] || *end || v < (gint64)o->lo || (double)v > o->hi)
            return cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s = \"%s\": must be a whole number in %.0f..%.0f", what,
                           o->group, o->key, text, o->lo, o->hi);
        if (o->type == OPT_INT)
            *(int *)field = (int)v;
        else
            *(int64_t *)field = v;
        return CG_OK;
    }
    case OPT_DBL: {
        double v = g_ascii_strtod(text, &end);
        if (!text[0] || *end || !(v >= o->lo && v <= o->hi))
            return cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s = \"%s\": must be a number in %g..%g", what, o->group,
                           o->key, text, o->lo, o->hi);
        *(double *)field = v;
        return CG_OK;
    }
    case OPT_BOOL:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s = \"%s\": must be true or false", what, o->group,
                           o->key, text);
        *(bool *)field = strcmp(text, "true") == 0;
        return CG_OK;
    case OPT_STR:
        g_free(*(char **)field);
        *(char **)field = g_strdup(text);
        return CG_OK;
    case OPT_PATH:
        g_free(*(char **)field);
        *(char **)field = resolve_path(base_dir, text);
        return CG_OK;
    case OPT_PATHS: {
        /* Folders separated by ';', as GKeyFile writes a list. */
        char **parts = g_strsplit(text, ";", -1);
        GString *out = g_string_new(NULL);
        for (int i = 0; parts[i]; i++) {
            char *p = g_strstrip(parts[i]);
            if (!p[0])
                continue;
            char *full = resolve_path(base_dir, p);
            g_string_append_printf(out, "%s%s", out->len ? ";" : "", full);
            g_free(full);
        }
        g_strfreev(parts);
        g_free(*(char **)field);
        *(char **)field = g_string_free(out, FALSE);
        return CG_OK;
    }
    case OPT_ENUM: {
        int v = enum_index(o->choices, text);
        if (v < 0)
            return cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s = \"%s\": must be one of %s", what, o->group, o->key,
                           text, o->choices);
        *(int *)field = v;
        return CG_OK;
    }
    }
    return CG_OK;
}

static char *option_text(const cg_train_config *c, const opt_def *o)
{
    const void *field = (const char *)c + o->offset;
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    switch (o->type) {
    case OPT_INT: return g_strdup_printf("%d", *(const int *)field);
    case OPT_I64: return g_strdup_printf("%lld", (long long)*(const int64_t *)field);
    case OPT_DBL: {
        /* The shortest text that reads back as the same double: 0.1, not 0.10000000000000001. */
        const double v = *(const double *)field;
        static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
        for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
            g_ascii_formatd(buf, sizeof buf, formats[i], v);
            if (g_ascii_strtod(buf, NULL) == v)
                break;
        }
        return g_strdup(buf);
    }
    case OPT_BOOL: return g_strdup(*(const bool *)field ? "true" : "false");
    case OPT_STR:
    case OPT_PATH:
    case OPT_PATHS: return g_strdup(*(char *const *)field);
    case OPT_ENUM: return enum_name(o->choices, *(const int *)field);
    }
    return g_strdup("");
}

static const char *mode_default_for(int mode, const opt_def *o)
{
    char *full = g_strdup_printf("%s.%s", o->group, o->key);
    const char *v = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(mode_defaults); i++)
        if (strcmp(mode_defaults[i].key, full) == 0)
            v = mode_defaults[i].value[mode];
    g_free(full);
    return v;
}

/* The text of a style as the model file will carry it: refused here by the
 * rule the model loader (and so export) applies, not after a whole training. */
static cg_status check_style_text(const cg_train_config *c, const char *group, const char *display_name,
                                  const char *description, cg_error *err)
{
    uint32_t bad = cg_text_refused_char(display_name, false);
    const char *key = "display_name";
    if (!bad) {
        bad = cg_text_refused_char(description, true);
        key = "description";
    }
    if (bad)
        return cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s holds a control or bidi character (U+%04X)", c->source_name,
                       group, key, (unsigned)bad);
    return CG_OK;
}

static char *key_string(GKeyFile *kf, const char *group, const char *key)
{
    char *v = g_key_file_get_string(kf, group, key, NULL);
    if (v)
        g_strstrip(v);
    return v;
}

static cg_status parse_style_group(cg_train_config *c, GKeyFile *kf, const char *group, const char *base_dir,
                                   cg_error *err)
{
    const char *name = group + strlen("style ");
    if (c->n_styles == TR_MAX_STYLES)
        return cg_fail(err, CG_ERR_INVALID, "%s: at most %d styles", c->source_name, TR_MAX_STYLES);
    if (!cg_style_name_valid(name))
        return cg_fail(err, CG_ERR_INVALID, "%s: [%s]: a style name is made of a-z, 0-9, _ and -", c->source_name,
                       group);
    char **keys = g_key_file_get_keys(kf, group, NULL, NULL);
    for (int i = 0; keys && keys[i]; i++) {
        bool known = false;
        for (size_t k = 0; k < G_N_ELEMENTS(style_keys); k++)
            known |= strcmp(keys[i], style_keys[k]) == 0;
        if (!known) {
            cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s: unknown key", c->source_name, group, keys[i]);
            g_strfreev(keys);
            return CG_ERR_INVALID;
        }
    }
    g_strfreev(keys);
    tr_style_config *s = &c->styles[c->n_styles++];
    s->name = g_strdup(name);
    char *source = key_string(kf, group, "source"), *filter = key_string(kf, group, "filter");
    char *dir = key_string(kf, group, "dir"), *photos = key_string(kf, group, "photos");
    s->display_name = key_string(kf, group, "display_name");
    s->description = key_string(kf, group, "description");
    if (!s->display_name)
        s->display_name = g_strdup(name);
    if (!s->description)
        s->description = g_strdup("");
    int kind = enum_index("filter|targets|images|identity", source ? source : "");
    cg_status st = CG_OK;
    if (kind < 0)
        st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] source must be one of filter|targets|images|identity",
                     c->source_name, group);
    s->kind = (tr_style_kind)kind;
    s->filter = filter ? enum_index(TR_TEACHERS, filter) : 0;
    if (st == CG_OK && s->kind == TR_STYLE_FILTER && s->filter <= 0)
        st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] source = filter needs filter = " TR_TEACHER_CHOICES,
                     c->source_name, group);
    if (st == CG_OK && (s->kind == TR_STYLE_TARGETS || s->kind == TR_STYLE_IMAGES) && !(dir && dir[0]))
        st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] source = %s needs dir = FOLDER", c->source_name, group, source);
    s->dir = resolve_path(base_dir, dir ? dir : "");
    s->photos = resolve_path(base_dir, photos ? photos : "");
    if (st == CG_OK && g_key_file_has_key(kf, group, "post_kuwahara", NULL)) {
        GError *e = NULL;
        s->post_kuwahara = g_key_file_get_integer(kf, group, "post_kuwahara", &e);
        if (e || s->post_kuwahara < 0 || s->post_kuwahara > 4)
            st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] post_kuwahara must be a whole number from 0 to 4",
                         c->source_name, group);
        g_clear_error(&e);
    }
    if (st == CG_OK && g_key_file_has_key(kf, group, "chroma", NULL)) {
        GError *e = NULL;
        s->chroma = g_key_file_get_double(kf, group, "chroma", &e);
        if (e || !(s->chroma >= 0 && s->chroma <= 1e6))
            st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] chroma must be a number from 0 to 1e6", c->source_name,
                         group);
        g_clear_error(&e);
    }
    g_free(source);
    g_free(filter);
    g_free(dir);
    g_free(photos);
    return st;
}

/* [export NAME]: the post stage the export gives style NAME of a mix alone,
 * by its weight (its keys those of [export]). */
static cg_status parse_export_group(cg_train_config *c, GKeyFile *kf, const char *group, cg_error *err)
{
    static const char *const keys[] = {"post_kuwahara", "post_smooth", "post_bands"};
    static const int most[] = {4, 8, 32};
    cg_export_post p = {0};
    int *value[] = {&p.kuwahara, &p.smooth, &p.bands};
    if (g_strlcpy(p.style, group + strlen("export "), sizeof p.style) >= sizeof p.style ||
        !cg_style_name_valid(p.style))
        return cg_fail(err, CG_ERR_INVALID, "%s: [%s]: a style name is made of a-z, 0-9, _ and -", c->source_name,
                       group);
    char **names = g_key_file_get_keys(kf, group, NULL, NULL);
    cg_status st = CG_OK;
    for (int i = 0; names && names[i] && st == CG_OK; i++) {
        int k = 0;
        while (k < 3 && strcmp(names[i], keys[k]) != 0)
            k++;
        GError *e = NULL;
        int v = k < 3 ? g_key_file_get_integer(kf, group, names[i], &e) : 0;
        if (k == 3)
            st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s: unknown key", c->source_name, group, names[i]);
        else if (e || v < 0 || v > most[k])
            st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s must be a whole number from 0 to %d", c->source_name, group,
                         names[i], most[k]);
        else
            *value[k] = v;
        g_clear_error(&e);
    }
    g_strfreev(names);
    if (st == CG_OK && !p.kuwahara && !p.smooth && !p.bands)
        st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] needs post_kuwahara, post_smooth or post_bands", c->source_name,
                     group);
    return st == CG_OK ? cg_export_options_set(&c->x_styles, &p, err) : st;
}

/* [generator] norm's values, in the order of its option's list */
static const char *const generator_norms[] = {"instance", "cond_instance", "adalin", "layer", "none", "cond_affine"};
enum { NORM_COND_INSTANCE = 1, NORM_NONE = 4, NORM_COND_AFFINE = 5 };
enum { INIT_NORMAL = 0, INIT_XAVIER = 1 };

/* A norm with a gamma and beta row per style. */
static bool per_style_norm(const cg_train_config *c)
{
    return c->g_norm == NORM_COND_INSTANCE || c->g_norm == NORM_COND_AFFINE;
}

static char *build_gen_arch(const cg_train_config *c)
{
    static const char *const ups[] = {"nearest", "bilinear", "transposed"};
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, c->g_type == 0 ? "resnet" : "unet");
    json_builder_set_member_name(b, "width");
    json_builder_add_int_value(b, c->g_width);
    json_builder_set_member_name(b, "downsamples");
    json_builder_add_int_value(b, c->g_downsamples);
    if (c->g_type == 0) {
        json_builder_set_member_name(b, "blocks");
        json_builder_add_int_value(b, c->g_blocks);
    }
    json_builder_set_member_name(b, "norm");
    json_builder_add_string_value(b, generator_norms[c->g_norm]);
    if (per_style_norm(c) || c->g_style_heads) {
        /* reference: one style row per value of the encoder's code */
        json_builder_set_member_name(b, "styles");
        json_builder_add_int_value(b, c->mode == TR_REFERENCE ? c->e_code + 1 : c->n_styles);
    }
    json_builder_set_member_name(b, "upsample");
    json_builder_add_string_value(b, ups[c->g_upsample]);
    json_builder_set_member_name(b, "activation");
    json_builder_add_string_value(b, c->g_activation == 0 ? "relu" : "leaky_relu");
    json_builder_set_member_name(b, "attention");
    json_builder_begin_array(b);
    char **list = g_strsplit(c->g_attention, ",", -1);
    for (int i = 0; list[i]; i++) {
        g_strstrip(list[i]);
        if (list[i][0])
            json_builder_add_string_value(b, list[i]);
    }
    g_strfreev(list);
    json_builder_end_array(b);
    if (c->g_style_heads) {
        json_builder_set_member_name(b, "style_heads");
        json_builder_add_boolean_value(b, true);
    }
    if (c->g_residual) {
        json_builder_set_member_name(b, "residual");
        json_builder_add_boolean_value(b, true);
    }
    if (c->g_residual_blur) {
        json_builder_set_member_name(b, "residual_blur");
        json_builder_add_int_value(b, c->g_residual_blur);
    }
    if (c->g_residual_guided) {
        json_builder_set_member_name(b, "residual_guided");
        json_builder_add_int_value(b, c->g_residual_guided);
        json_builder_set_member_name(b, "guided_radius");
        json_builder_add_int_value(b, c->g_guided_radius);
        json_builder_set_member_name(b, "guided_eps");
        json_builder_add_double_value(b, c->g_guided_eps);
    }
    if (c->g_post_kuwahara) {
        json_builder_set_member_name(b, "post_kuwahara");
        json_builder_add_int_value(b, c->g_post_kuwahara);
    }
    if (c->g_post_smooth) {
        json_builder_set_member_name(b, "post_smooth");
        json_builder_add_int_value(b, c->g_post_smooth);
        json_builder_set_member_name(b, "post_smooth_radius");
        json_builder_add_int_value(b, c->g_post_smooth_radius);
        json_builder_set_member_name(b, "post_smooth_eps");
        json_builder_add_double_value(b, c->g_post_smooth_eps);
    }
    if (c->g_post_bands) {
        json_builder_set_member_name(b, "post_bands");
        json_builder_add_int_value(b, c->g_post_bands);
        json_builder_set_member_name(b, "post_band_width");
        json_builder_add_double_value(b, c->g_post_band_width);
    }
    /* [style NAME] post_kuwahara: stages of single styles, trained through
     * (check_config keeps them apart from the [generator] stage). */
    bool listed = false;
    for (int i = 0; i < c->n_styles; i++) {
        if (!c->styles[i].post_kuwahara)
            continue;
        if (!listed) {
            json_builder_set_member_name(b, "post");
            json_builder_begin_array(b);
            listed = true;
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "post_kuwahara");
        json_builder_add_int_value(b, c->styles[i].post_kuwahara);
        json_builder_set_member_name(b, "post_style");
        json_builder_add_int_value(b, i);
        json_builder_end_object(b);
    }
    if (listed)
        json_builder_end_array(b);
    json_builder_end_object(b);
    JsonGenerator *gen = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    char *s = json_generator_to_data(gen, NULL);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    return s;
}

char *tr_disc_arch(const cg_train_config *c, int in_channels)
{
    static const char *const norms[] = {"instance", "layer", "none"};
    return g_strdup_printf("{\"type\": \"patchgan\", \"in_channels\": %d, \"width\": %d, \"layers\": %d, "
                           "\"norm\": \"%s\", \"spectral_norm\": %s, \"cam\": %s}",
                           in_channels, c->d_width, c->d_layers, norms[c->d_norm],
                           c->d_spectral_norm ? "true" : "false", c->d_cam ? "true" : "false");
}

static cg_status check_dir(const cg_train_config *c, const char *group, const char *key, const char *dir,
                           cg_error *err)
{
    if (!dir || !dir[0])
        return cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s is needed in %s mode", c->source_name, group, key,
                       cg_train_config_mode(c));
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        return cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s: \"%s\" is not a folder", c->source_name, group, key, dir);
    return CG_OK;
}

/* The rules between options, after every value is known. */
static cg_status check_config(cg_train_config *c, cg_error *err)
{
    const char *f = c->source_name;
    if (!cg_style_name_valid(c->name))
        return cg_fail(err, CG_ERR_INVALID, "%s: [run] name must be a style name: 1 to 64 of a-z, 0-9, _ and -", f);
    cg_status st = check_style_text(c, "run", c->display_name, c->description, err);
    for (int i = 0; i < c->n_styles && st == CG_OK; i++) {
        char *group = g_strdup_printf("style %s", c->styles[i].name);
        st = check_style_text(c, group, c->styles[i].display_name, c->styles[i].description, err);
        g_free(group);
    }
    if (st)
        return st;
    st = check_dir(c, "data", "photos", c->photos, err);
    if (st)
        return st;
    if (c->mode == TR_PIX2PIX) {
        if (!c->targets[0] == !c->target_filter)
            return cg_fail(err, CG_ERR_INVALID, "%s: pix2pix needs exactly one of [data] targets and target_filter",
                           f);
        if (c->targets[0] && (st = check_dir(c, "data", "targets", c->targets, err)))
            return st;
        if (c->style[0] && (st = check_dir(c, "data", "style", c->style, err)))
            return st;
    } else if (c->mode == TR_CYCLEGAN || c->mode == TR_ATTENTION) {
        if ((st = check_dir(c, "data", "style", c->style, err)))
            return st;
    }
    if (c->mode == TR_MULTISTYLE) {
        bool has_identity = false;
        int real_styles = 0;
        for (int i = 0; i < c->n_styles; i++) {
            tr_style_config *s = &c->styles[i];
            has_identity |= s->kind == TR_STYLE_IDENTITY;
            real_styles += s->kind != TR_STYLE_IDENTITY;
            if ((s->kind == TR_STYLE_TARGETS || s->kind == TR_STYLE_IMAGES) && !g_file_test(s->dir, G_FILE_TEST_IS_DIR))
                return cg_fail(err, CG_ERR_INVALID, "%s: [style %s] dir: \"%s\" is not a folder", f, s->name, s->dir);
            if (s->photos[0] && !g_file_test(s->photos, G_FILE_TEST_IS_DIR))
                return cg_fail(err, CG_ERR_INVALID, "%s: [style %s] photos: \"%s\" is not a folder", f, s->name,
                               s->photos);
        }
        if (real_styles == 0)
            return cg_fail(err, CG_ERR_INVALID, "%s: multistyle needs at least one [style NAME] group", f);
        /* The identity style is what strength interpolates toward. */
        if (!has_identity && c->n_styles < TR_MAX_STYLES) {
            tr_style_config *s = &c->styles[c->n_styles++];
            s->name = g_strdup("identity");
            s->display_name = g_strdup("Original");
            s->description = g_strdup("The input unchanged");
            s->kind = TR_STYLE_IDENTITY;
            s->dir = g_strdup("");
            s->photos = g_strdup("");
        }
        if (!per_style_norm(c) && !c->g_style_heads)
            return cg_fail(err, CG_ERR_INVALID,
                           "%s: multistyle needs [generator] norm = cond_instance or cond_affine, or style_heads = true",
                           f);
        for (int i = 0; i < c->n_styles; i++)
            if (c->styles[i].post_kuwahara && (c->g_post_kuwahara || c->g_post_smooth || c->g_post_bands))
                return cg_fail(err, CG_ERR_INVALID,
                               "%s: [style %s] post_kuwahara is that style's own stage; the [generator] post stage "
                               "is every style's: give one or the other",
                               f, c->styles[i].name);
        for (int k = 0; k < c->x_styles.n_post; k++) {
            bool found = false;
            for (int i = 0; i < c->n_styles && !found; i++)
                found = strcmp(c->styles[i].name, c->x_styles.post[k].style) == 0;
            if (!found)
                return cg_fail(err, CG_ERR_INVALID, "%s: [export %s]: \"%s\" is none of the [style NAME] groups", f,
                               c->x_styles.post[k].style, c->x_styles.post[k].style);
        }
    } else if (c->n_styles > 0) {
        return cg_fail(err, CG_ERR_INVALID, "%s: [style %s] groups are for multistyle mode", f, c->styles[0].name);
    } else if (c->x_styles.n_post > 0) {
        return cg_fail(err, CG_ERR_INVALID, "%s: [export %s] groups are for multistyle mode", f,
                       c->x_styles.post[0].style);
    } else if (c->mode == TR_REFERENCE) {
        if (!c->references[0])
            return cg_fail(err, CG_ERR_INVALID, "%s: [data] references is needed in reference mode", f);
        char **dirs = g_strsplit(c->references, ";", -1);
        int n = (int)g_strv_length(dirs);
        for (int i = 0; dirs[i] && st == CG_OK; i++)
            st = check_dir(c, "data", "references", dirs[i], err);
        g_strfreev(dirs);
        if (st)
            return st;
        char **teachers = g_strsplit(c->reference_teachers, ",", -1);
        c->n_reference_teachers = 0;
        for (int i = 0; teachers[i] && st == CG_OK; i++) {
            char *name = g_strstrip(teachers[i]);
            if (!name[0])
                continue;
            int teacher = tr_teacher_of(name);
            if (teacher <= 0)
                st = cg_fail(err, CG_ERR_INVALID, "%s: [data] reference_teachers: \"%s\" is not a teacher (%s)", f,
                             name, TR_TEACHERS);
            else if (c->n_reference_teachers < TR_MAX_STYLES)
                c->reference_teacher[c->n_reference_teachers++] = teacher;
            n++;
        }
        g_strfreev(teachers);
        if (st)
            return st;
        if (n > TR_MAX_STYLES)
            return cg_fail(err, CG_ERR_INVALID, "%s: [data] references and reference_teachers: at most %d in all", f,
                           TR_MAX_STYLES);
        if (c->l1 > 0 && c->n_reference_teachers == 0)
            return cg_fail(err, CG_ERR_INVALID,
                           "%s: [loss] l1 in reference mode ties the output to a teacher's rendering of the photo: "
                           "it needs [data] reference_teachers", f);
        if (!per_style_norm(c))
            return cg_fail(err, CG_ERR_INVALID,
                           "%s: reference mode needs [generator] norm = cond_instance or cond_affine", f);
        if (c->e_detach && c->source_code == 0)
            return cg_fail(err, CG_ERR_INVALID,
                           "%s: [encoder] detach leaves the encoder only [loss] source_code to learn from: set it", f);
        if (c->lr_e > 0 && c->lr_g == 0)
            return cg_fail(err, CG_ERR_INVALID, "%s: [optim] lr_e follows lr_g's schedule: it needs lr_g above 0", f);
        /* The sources' prototypes are orthogonal and free of the mean that
         * code_norm takes out: at most code - 1 of them. */
        if (c->source_code > 0 && n > c->e_code - 1)
            return cg_fail(err, CG_ERR_INVALID,
                           "%s: [loss] source_code needs [encoder] code above the number of sources (%d)", f, n);
    } else if (per_style_norm(c)) {
        return cg_fail(err, CG_ERR_INVALID, "%s: [generator] norm = %s is for multistyle mode", f,
                       generator_norms[c->g_norm]);
    } else if (c->g_style_heads) {
        return cg_fail(err, CG_ERR_INVALID, "%s: [generator] style_heads is for multistyle and reference modes", f);
    }
    if (c->scale_min > c->scale_max)
        return cg_fail(err, CG_ERR_INVALID, "%s: [data] scale_min is above scale_max", f);
    if (c->val_fraction + c->test_fraction > 0.9)
        return cg_fail(err, CG_ERR_INVALID, "%s: [data] val_fraction + test_fraction must stay below 0.9", f);
    if (c->d_cam && c->d_scales > 1)
        return cg_fail(err, CG_ERR_INVALID, "%s: [discriminator] cam works with one scale", f);
    if (c->mode == TR_ATTENTION && !strstr(c->g_attention, "cam"))
        return cg_fail(err, CG_ERR_INVALID, "%s: attention mode needs \"cam\" in [generator] attention", f);
    if (c->features == TR_FEATURES_DISCRIMINATOR && c->mode == TR_PIX2PIX)
        return cg_fail(err, CG_ERR_INVALID,
                       "%s: [loss] features = discriminator needs an unpaired discriminator; pix2pix's sees pairs", f);
    int multiple = 1 << c->g_downsamples;
    if (c->size % multiple)
        return cg_fail(err, CG_ERR_INVALID, "%s: [run] size %d must be a multiple of %d (2^downsamples)", f, c->size,
                       multiple);
    if (c->size >> (c->d_layers + c->d_scales) < 2)
        return cg_fail(err, CG_ERR_INVALID, "%s: [run] size %d is too small for %d discriminator layers", f, c->size,
                       c->d_layers);
    if (c->load_size == 0)
        c->load_size = c->size + c->size / 8;
    if (c->load_size < c->size)
        return cg_fail(err, CG_ERR_INVALID, "%s: [data] load_size must be at least [run] size", f);
    if (c->min_side == 0)
        c->min_side = c->size / 2 < 32 ? c->size / 2 : 32;
    c->gen_arch = build_gen_arch(c);
    cg_net *probe = cg_net_new(c->gen_arch, err);
    if (!probe)
        return cg_error_prefix(err, "%s: [generator]", f);
    cg_net_free(probe);
    if (c->mode == TR_REFERENCE) {
        /* The encoder learns from crops of the training size cut from pictures
         * loaded at load_size; stylize shows it a reference the same way. */
        char *load_side = c->load_size > 0 ? g_strdup_printf(", \"load_side\": %d", c->load_size) : g_strdup("");
        c->encoder_arch = g_strdup_printf("{\"type\": \"style_encoder\", \"width\": %d, \"layers\": %d, "
                                          "\"code\": %d, \"side\": %d%s%s}",
                                          c->e_width, c->e_layers, c->e_code, c->size, load_side,
                                          c->e_code_norm ? ", \"code_norm\": true" : "");
        g_free(load_side);
        if (!(probe = cg_net_new(c->encoder_arch, err)))
            return cg_error_prefix(err, "%s: [encoder]", f);
        cg_net_free(probe);
    }
    return CG_OK;
}

/* Options only reference mode reads. Other modes neither take them nor write
 * them into their canonical config, so the hashes of their runs stay what
 * they were before the mode existed. */
static bool reference_only(const opt_def *o)
{
    return strcmp(o->group, "encoder") == 0 || strcmp(o->key, "references") == 0 ||
           strcmp(o->key, "reference_teachers") == 0 ||
           strcmp(o->key, "reconstruction") == 0 || strcmp(o->key, "source_code") == 0 || strcmp(o->key, "lr_e") == 0;
}

/* Options added after runs were made with the config format: written only
 * when set, so those runs keep their hash and can still be resumed. */
static bool written_when_set(const cg_train_config *c, const opt_def *o)
{
    return (strcmp(o->group, "generator") == 0 && strcmp(o->key, "style_heads") == 0 && !c->g_style_heads) ||
           (strcmp(o->group, "generator") == 0 && strcmp(o->key, "post_kuwahara") == 0 && !c->g_post_kuwahara) ||
           (strcmp(o->group, "encoder") == 0 && strcmp(o->key, "code_norm") == 0 && !c->e_code_norm) ||
           (strcmp(o->group, "encoder") == 0 && strcmp(o->key, "detach") == 0 && !c->e_detach) ||
           (strcmp(o->key, "source_code") == 0 && c->source_code == 0) ||
           (strcmp(o->key, "lr_e") == 0 && c->lr_e == 0);
}

/* Options of the export step: they change the model file, not the training,
 * so they are not part of the canonical config (a run keeps its hash). */
static bool export_only(const opt_def *o)
{
    return strcmp(o->group, "export") == 0;
}

static void build_canonical(cg_train_config *c)
{
    GKeyFile *kf = g_key_file_new();
    for (int i = 0; i < N_OPTIONS; i++) {
        if ((c->mode != TR_REFERENCE && reference_only(&options[i])) || written_when_set(c, &options[i]) ||
            export_only(&options[i]))
            continue;
        char *v = option_text(c, &options[i]);
        g_key_file_set_string(kf, options[i].group, options[i].key, v);
        g_free(v);
    }
    for (int i = 0; i < c->n_styles; i++) {
        const tr_style_config *s = &c->styles[i];
        char *group = g_strdup_printf("style %s", s->name);
        char *source = enum_name("filter|targets|images|identity", s->kind);
        g_key_file_set_string(kf, group, "source", source);
        if (s->kind == TR_STYLE_FILTER) {
            char *filter = enum_name(TR_TEACHERS, s->filter);
            g_key_file_set_string(kf, group, "filter", filter);
            g_free(filter);
        }
        if (s->dir[0])
            g_key_file_set_string(kf, group, "dir", s->dir);
        if (s->photos[0])
            g_key_file_set_string(kf, group, "photos", s->photos);
        g_key_file_set_string(kf, group, "display_name", s->display_name);
        g_key_file_set_string(kf, group, "description", s->description);
        if (s->chroma > 0) /* written only when set, so older runs keep their hash */
            g_key_file_set_double(kf, group, "chroma", s->chroma);
        if (s->post_kuwahara > 0) /* the same */
            g_key_file_set_integer(kf, group, "post_kuwahara", s->post_kuwahara);
        g_free(source);
        g_free(group);
    }
    c->canonical = g_key_file_to_data(kf, NULL, NULL);
    c->hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, c->canonical, -1);
    g_key_file_free(kf);
}

cg_train_config *cg_train_config_parse(const char *text, const char *base_dir, const char *name, cg_error *err)
{
    cg_train_config *c = g_new0(cg_train_config, 1);
    c->source_name = g_strdup(name ? name : "config");
    GKeyFile *kf = g_key_file_new();
    GError *gerr = NULL;
    cg_status st = CG_OK;
    char **groups = NULL;
    if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &gerr)) {
        st = cg_fail(err, CG_ERR_FORMAT, "%s: %s", c->source_name, gerr->message);
        g_error_free(gerr);
        goto out;
    }
    /* Typos must not silently fall back to defaults. */
    groups = g_key_file_get_groups(kf, NULL);
    for (int gi = 0; groups[gi] && st == CG_OK; gi++) {
        if (g_str_has_prefix(groups[gi], "style ")) {
            st = parse_style_group(c, kf, groups[gi], base_dir, err);
            continue;
        }
        if (g_str_has_prefix(groups[gi], "export ")) {
            st = parse_export_group(c, kf, groups[gi], err);
            continue;
        }
        char **keys = g_key_file_get_keys(kf, groups[gi], NULL, NULL);
        bool group_known = false;
        for (int i = 0; i < N_OPTIONS; i++)
            group_known |= strcmp(options[i].group, groups[gi]) == 0;
        if (!group_known && strcmp(groups[gi], "run") != 0)
            st = cg_fail(err, CG_ERR_INVALID, "%s: [%s]: unknown group", c->source_name, groups[gi]);
        for (int k = 0; keys && keys[k] && st == CG_OK; k++) {
            bool known = strcmp(groups[gi], "run") == 0 && strcmp(keys[k], "dir") == 0;
            for (int i = 0; i < N_OPTIONS; i++)
                known |= strcmp(options[i].group, groups[gi]) == 0 && strcmp(options[i].key, keys[k]) == 0;
            if (!known && strcmp(groups[gi], "export") == 0 && strcmp(keys[k], "post_style") == 0)
                st = cg_fail(err, CG_ERR_INVALID, "%s: [export] post_style: give that style's post stage a group of "
                             "its own, [export NAME]", c->source_name);
            else if (!known)
                st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s: unknown key", c->source_name, groups[gi], keys[k]);
        }
        g_strfreev(keys);
    }
    /* The mode first: other defaults depend on it. */
    for (int i = 0; i < N_OPTIONS && st == CG_OK; i++) {
        const opt_def *o = &options[i];
        char *v = key_string(kf, o->group, o->key);
        const char *text_v = v ? v : o->def ? o->def : mode_default_for(c->mode, o);
        if (text_v)
            st = set_option(c, o, text_v, base_dir, err);
        g_free(v);
    }
    for (int i = 0; i < N_OPTIONS && st == CG_OK; i++)
        if (c->mode != TR_REFERENCE && reference_only(&options[i]) &&
            g_key_file_has_key(kf, options[i].group, options[i].key, NULL))
            st = cg_fail(err, CG_ERR_INVALID, "%s: [%s] %s is for reference mode", c->source_name, options[i].group,
                         options[i].key);
    if (st != CG_OK)
        goto out;
    /* Rules relating options: identity 0.5 x cycle (CycleGAN) or 1 x (U-GAT-IT);
     * the learning rate constant for half the run, then decaying to 0. */
    if (!g_key_file_has_key(kf, "loss", "identity", NULL))
        c->identity = c->mode == TR_CYCLEGAN ? 0.5 * c->cycle : c->mode == TR_ATTENTION ? c->cycle : 0;
    /* Without statistics the scale of the weights is the scale of the
     * signal: N(0, 0.02) shrinks it at every conv, and a reference run's
     * deep cond_affine generator stayed at its residual base, whatever the
     * code, for 2,000 steps. Xavier keeps it. Norms that divide by the
     * statistics do not care, and keep the papers' N(0, 0.02). */
    if (!g_key_file_has_key(kf, "generator", "init", NULL))
        c->init = c->g_norm == NORM_NONE || c->g_norm == NORM_COND_AFFINE ? INIT_XAVIER : INIT_NORMAL;
    if (!g_key_file_has_key(kf, "optim", "constant_steps", NULL))
        c->constant_steps = c->steps / 2;
    if (!g_key_file_has_key(kf, "optim", "decay_steps", NULL))
        c->decay_steps = c->steps > c->constant_steps ? c->steps - c->constant_steps : 0;
    char *dir = key_string(kf, "run", "dir");
    char *base = g_path_get_basename(c->source_name);
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = '\0';
    char *def_dir = g_build_filename("runs", base, NULL);
    c->run_dir = resolve_path(base_dir, dir && dir[0] ? dir : def_dir);
    g_free(def_dir);
    g_free(base);
    g_free(dir);
    if ((st = check_config(c, err)) == CG_OK)
        build_canonical(c);
out:
    g_strfreev(groups);
    g_key_file_free(kf);
    if (st != CG_OK) {
        cg_train_config_free(c);
        return NULL;
    }
    return c;
}

cg_train_config *cg_train_config_load(const char *path, cg_error *err)
{
    char *text = NULL;
    size_t len = 0;
    if (cg_io_read_file(path, CG_IO_MAX_TEXT_FILE, &text, &len, err) != CG_OK)
        return NULL;
    char *abs = g_canonicalize_filename(path, NULL);
    char *dir = g_path_get_dirname(abs);
    cg_train_config *c = cg_train_config_parse(text, dir, path, err);
    g_free(dir);
    g_free(abs);
    g_free(text);
    return c;
}

const char *cg_train_config_canonical(const cg_train_config *c) { return c->canonical; }
const char *cg_train_config_hash(const cg_train_config *c) { return c->hash; }
const char *cg_train_config_run_dir(const cg_train_config *c) { return c->run_dir; }

cg_export_options cg_train_config_export(const cg_train_config *c)
{
    cg_export_options o = c->x_styles;
    cg_export_post every = {.kuwahara = c->x_post_kuwahara, .smooth = c->x_post_smooth, .bands = c->x_post_bands};
    if (every.kuwahara || every.smooth || every.bands)
        cg_export_options_set(&o, &every, NULL); /* room: one group per style at most */
    return o;
}

const char *cg_train_config_mode(const cg_train_config *c)
{
    static const char *const modes[] = {"pix2pix", "cyclegan", "attention", "multistyle", "reference"};
    return modes[c->mode];
}
