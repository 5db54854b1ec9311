/* Named presets in a key file shared with the Krita plug-in (see
 * comicgan-gimp.h). Numbers are written with the C locale's dot and at most
 * six significant digits, as the Krita side writes them, so a file saved by
 * one plug-in reads the same in the other. */
#include "comicgan-gimp.h"

#include <errno.h>
#include <math.h>
#include <string.h>

char *presets_path(void)
{
    return g_build_filename(g_get_user_config_dir(), "comicgan", "presets.ini", NULL);
}

GKeyFile *presets_load(const char *path, GError **error)
{
    GKeyFile *kf = g_key_file_new();
    GError *e = NULL;
    if (g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, &e))
        return kf;
    if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        g_error_free(e);
        return kf;
    }
    g_set_error(error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED,
                _("The presets file %s cannot be read (%s). It is left as it is: correct or remove it to save "
                  "presets."),
                path, e->message);
    g_error_free(e);
    g_key_file_free(kf);
    return NULL;
}

gboolean presets_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= 64 || !g_utf8_validate(name, -1, NULL) || g_ascii_isspace(name[0]) ||
        g_ascii_isspace(name[len - 1]))
        return FALSE;
    for (const char *p = name; *p; p++)
        if (*p == '[' || *p == ']' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return FALSE;
    return TRUE;
}

/* A number of the preset, `fallback` when the key is absent. */
static gboolean get_number(GKeyFile *kf, const char *name, const char *key, double lo, double hi, double fallback,
                           double *out, GError **error)
{
    char *text = g_key_file_get_value(kf, name, key, NULL);
    if (!text) {
        *out = fallback;
        return TRUE;
    }
    char *end = NULL;
    double v = g_ascii_strtod(g_strstrip(text), &end);
    gboolean ok = end != text && *end == '\0' && isfinite(v) && v >= lo && v <= hi;
    if (ok)
        *out = v;
    else
        g_set_error(error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED,
                    _("Preset \"%s\": %s must be a number from %g to %g, not \"%s\"."), name, key, lo, hi, text);
    g_free(text);
    return ok;
}

gboolean presets_get(GKeyFile *kf, const char *name, settings *s, GError **error)
{
    settings p = *s;
    char *style = g_key_file_get_string(kf, name, "style", NULL);
    char *style_b = g_key_file_get_string(kf, name, "style_b", NULL);
    char *scale = g_key_file_get_string(kf, name, "scale", NULL);
    gboolean ok = TRUE;
    if (!style || !*style || strlen(style) >= sizeof p.style || (style_b && strlen(style_b) >= sizeof p.style_b)) {
        g_set_error(error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED, _("Preset \"%s\" names no style."), name);
        ok = FALSE;
    }
    if (ok) {
        g_strlcpy(p.style, style, sizeof p.style);
        g_strlcpy(p.style_b, style_b ? style_b : "", sizeof p.style_b);
        GError *e = NULL;
        p.keep_colors = g_key_file_has_key(kf, name, "keep_colors", NULL) &&
                        g_key_file_get_boolean(kf, name, "keep_colors", &e);
        if (e) {
            g_set_error(error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED,
                        _("Preset \"%s\": keep_colors must be true or false."), name);
            g_error_free(e);
            ok = FALSE;
        }
    }
    ok = ok && get_number(kf, name, "mix", 0, 1, 0, &p.mix, error) &&
         get_number(kf, name, "strength", 0, 1, 1, &p.strength, error) &&
         get_number(kf, name, "line_weight", -1, 1, 0, &p.line_weight, error) &&
         get_number(kf, name, "denoise", 0, 1, 0, &p.denoise, error) &&
         get_number(kf, name, "contrast", 0.5, 2, 1, &p.contrast, error);
    if (ok && scale && strcmp(g_strstrip(scale), "auto") != 0) {
        ok = get_number(kf, name, "scale", CG_STYLIZE_MIN_SCALE, CG_STYLIZE_MAX_SCALE, 0, &p.scale, error);
    } else if (ok) {
        p.scale = 0;
    }
    g_free(style);
    g_free(style_b);
    g_free(scale);
    if (ok)
        *s = p;
    return ok;
}

static void set_number(GKeyFile *kf, const char *name, const char *key, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_key_file_set_value(kf, name, key, g_ascii_formatd(buf, sizeof buf, "%.6g", v));
}

void presets_set(GKeyFile *kf, const char *name, const settings *s)
{
    g_key_file_remove_group(kf, name, NULL);
    g_key_file_set_string(kf, name, "style", s->style);
    g_key_file_set_string(kf, name, "style_b", s->style_b);
    set_number(kf, name, "mix", s->style_b[0] ? s->mix : 0);
    set_number(kf, name, "strength", s->strength);
    g_key_file_set_value(kf, name, "keep_colors", s->keep_colors ? "true" : "false");
    set_number(kf, name, "line_weight", s->line_weight);
    set_number(kf, name, "denoise", s->denoise);
    set_number(kf, name, "contrast", s->contrast);
    if (s->scale > 0)
        set_number(kf, name, "scale", s->scale);
    else
        g_key_file_set_value(kf, name, "scale", "auto");
}

gboolean presets_save(GKeyFile *kf, const char *path, GError **error)
{
    char *dir = g_path_get_dirname(path);
    int made = g_mkdir_with_parents(dir, 0700);
    int saved_errno = errno;
    g_free(dir);
    if (made != 0) {
        g_set_error(error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED, _("Could not save the presets in %s: %s"), path,
                    g_strerror(saved_errno));
        return FALSE;
    }
    gsize len = 0;
    char *text = g_key_file_to_data(kf, &len, NULL);
    GError *e = NULL;
    /* g_file_set_contents writes a new file and renames it over the old one. */
    gboolean ok = g_file_set_contents(path, text, (gssize)len, &e);
    if (!ok) {
        g_set_error(error, CG_GIMP_ERROR, CG_GIMP_ERROR_FAILED, _("Could not save the presets in %s: %s"), path,
                    e->message);
        g_error_free(e);
    }
    g_free(text);
    return ok;
}
