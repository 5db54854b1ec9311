/* comicgan GIMP 2.10 plug-in: registers the PDB procedures and runs them.
 *
 * Every procedure takes run-mode, image and drawable first. INTERACTIVE shows
 * the dialog, NONINTERACTIVE checks every argument and never shows anything,
 * WITH_LAST_VALS repeats the last run's values. */
#include "comicgan-gimp.h"
#include "cg_config.h"

#include <math.h>
#include <string.h>

static void query(void);
static void run(const gchar *name, gint nparams, const GimpParam *param, gint *nreturn_vals,
                GimpParam **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = {NULL, NULL, query, run};

MAIN()

/* Arguments shared by stylize and stylize-layers; the index of each is fixed
 * because Script-Fu and Python-Fu pass them by position. */
static const GimpParamDef stylize_args[] = {
    {GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }"},
    {GIMP_PDB_IMAGE, "image", "Input image"},
    {GIMP_PDB_DRAWABLE, "drawable", "Input drawable (a layer or a layer group)"},
    {GIMP_PDB_STRING, "style", "Style name, as listed by 'comicgan info' (e.g. \"manga\")"},
    {GIMP_PDB_FLOAT, "strength", "0 keeps the image, 1 applies the full style (0..1)"},
    {GIMP_PDB_INT32, "keep-colors", "Keep the image's colours under the style's shading { FALSE (0), TRUE (1) }"},
    {GIMP_PDB_INT32, "output-mode", "{ Replace the layer (0), New layer above it (1) }"},
    {GIMP_PDB_INT32, "tile-size", "Tile side in pixels (32..8192), 0 for automatic"},
};

static const GimpParamDef reference_args[] = {
    {GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }"},
    {GIMP_PDB_IMAGE, "image", "Input image"},
    {GIMP_PDB_DRAWABLE, "drawable", "Input drawable (a layer or a layer group)"},
    {GIMP_PDB_DRAWABLE, "reference", "The reference picture: a drawable of any open image, at least 16x16 pixels"},
    {GIMP_PDB_FLOAT, "strength", "0 keeps the image, 1 applies the full style (0..1)"},
    {GIMP_PDB_INT32, "color-mode", "{ The reference's colours (0), The image's colours (1) }"},
    {GIMP_PDB_INT32, "output-mode", "{ Replace the layer (0), New layer above it (1) }"},
};

static const GimpParamDef attention_args[] = {
    {GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }"},
    {GIMP_PDB_IMAGE, "image", "Input image"},
    {GIMP_PDB_DRAWABLE, "drawable", "Input drawable (a layer or a layer group)"},
    {GIMP_PDB_STRING, "style", "Style name (the attention of a network depends on the style)"},
    {GIMP_PDB_STRING, "point", "Attention point of the style's network, \"\" for its first"},
};

static const GimpParamDef attention_return[] = {
    {GIMP_PDB_LAYER, "heatmap-layer", "The new heatmap layer"},
};

static const char *locale_dir(void)
{
    /* A per-user install (install-user.sh) keeps its translations beside
     * the program, where the installed locale folder is not ours. */
    static char *dir;
    if (!dir) {
        char *here = g_path_get_dirname(gimp_get_progname());
        char *local = g_build_filename(here, "locale", NULL);
        dir = g_file_test(local, G_FILE_TEST_IS_DIR) ? g_strdup(local) : g_strdup(CG_LOCALEDIR);
        g_free(local);
        g_free(here);
    }
    return dir;
}

/* The "point" argument's help, naming each installed style's attention
 * points as GIMP registers the plug-in, so a script writer sees real ones. */
static char *points_help(void)
{
    GString *help = g_string_new(attention_args[4].description);
    g_string_append(help, ". Installed styles:");
    cg_catalog *cat = cg_catalog_new();
    for (int i = 0; cat && i < cg_catalog_count(cat); i++) {
        const cg_catalog_style *st = cg_catalog_get(cat, i);
        cg_model *m = cg_model_load_header(st->model_path, NULL);
        if (!m)
            continue;
        const cg_net *net = cg_model_net(m);
        g_string_append_printf(help, " %s:", st->name);
        for (int k = 0; k < cg_net_attention_count(net); k++)
            g_string_append_printf(help, "%s \"%s\"", k ? "," : "", cg_net_attention_name(net, k));
        if (cg_net_attention_count(net) == 0)
            g_string_append(help, " none");
        g_string_append(help, i + 1 < cg_catalog_count(cat) ? ";" : ".");
        cg_model_free(m);
    }
    cg_catalog_free(cat);
    return g_string_free(help, FALSE);
}

static void query(void)
{
    gimp_plugin_domain_register(GETTEXT_PACKAGE, locale_dir());

    gimp_install_procedure(PROC_STYLIZE, N_("Turn a layer into a comic, manga or painted-anime style"),
                           N_("Stylizes the drawable with a comicgan style. Within a selection only the selection's "
                              "bounding box (plus the network's context margin) is processed and the selection mask, "
                              "feathering included, blends the result in. A layer group stylizes each of its layers. "
                              "Alpha, layer offsets and 8/16/32-bit precision are kept; indexed images are refused."),
                           "comicgan authors", "comicgan authors", "2026", N_("Comic Style (comicgan)..."),
                           "RGB*, GRAY*", GIMP_PLUGIN, G_N_ELEMENTS(stylize_args), 0, stylize_args, NULL);
    gimp_plugin_menu_register(PROC_STYLIZE, "<Image>/Filters/Artistic");

    GimpParamDef args[G_N_ELEMENTS(attention_args)];
    memcpy(args, attention_args, sizeof args);
    char *point = points_help();
    args[4].description = point;
    gimp_install_procedure(PROC_ATTENTION, N_("Show where a comicgan network looks, as a heatmap layer"),
                           N_("Adds the chosen attention map of the style's network as a new heatmap layer above "
                              "the drawable, with the same size and offsets, half transparent so the image shows "
                              "through."),
                           "comicgan authors", "comicgan authors", "2026",
                           N_("Comic Style Attention Map (comicgan)..."), "RGB*, GRAY*", GIMP_PLUGIN,
                           G_N_ELEMENTS(attention_args), G_N_ELEMENTS(attention_return), args,
                           attention_return);
    g_free(point);
    gimp_plugin_menu_register(PROC_ATTENTION, "<Image>/Filters/Artistic");

    gimp_install_procedure(PROC_LAYERS, N_("Stylize every layer as the frames of one animation"),
                           N_("Stylizes every layer of the image (or, when the drawable is a layer group, of that "
                              "group) as animation frames sharing one set of normalization statistics, so the result "
                              "does not flicker. The selection, if any, limits where results are painted."),
                           "comicgan authors", "comicgan authors", "2026", N_("Comic Style Frames (comicgan)..."),
                           "RGB*, GRAY*", GIMP_PLUGIN, G_N_ELEMENTS(stylize_args), 0, stylize_args, NULL);
    gimp_plugin_menu_register(PROC_LAYERS, "<Image>/Filters/Animation");

    /* No menu entry: in menus, the stylize dialog's "From an image..." does this. */
    gimp_install_procedure(PROC_REFERENCE, N_("Stylize a layer in the style of a reference picture"),
                           N_("Stylizes the drawable with the first installed reference model, taking the style "
                              "from the reference drawable (which may belong to another open image). Selection, "
                              "layer groups, alpha, offsets and precision are handled as by "
                              "plug-in-comicgan-stylize; the detail size is automatic, as in comicgan stylize."),
                           "comicgan authors", "comicgan authors", "2026", NULL, "RGB*, GRAY*", GIMP_PLUGIN,
                           G_N_ELEMENTS(reference_args), 0, reference_args, NULL);
}

void settings_defaults(settings *s)
{
    memset(s, 0, sizeof *s);
    s->version = SETTINGS_VERSION;
    s->strength = 1.0;
    s->output = OUTPUT_REPLACE;
    s->contrast = 1.0;
    s->memory = MEMORY_DEFAULT;
    s->reference = -1;
}

static void load_last_values(const char *proc, settings *s)
{
    settings stored;
    settings_defaults(s);
    if (gimp_get_data_size(proc) == sizeof stored) {
        gimp_get_data(proc, &stored);
        if (stored.version == SETTINGS_VERSION) {
            stored.style[sizeof stored.style - 1] = '\0';
            stored.point[sizeof stored.point - 1] = '\0';
            stored.style_b[sizeof stored.style_b - 1] = '\0';
            stored.reference_file[sizeof stored.reference_file - 1] = '\0';
            stored.memory = CLAMP(stored.memory, MEMORY_MIN, MEMORY_MAX);
            *s = stored;
        }
    }
}

static gboolean fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean fail(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, CG_GIMP_ERROR, CG_GIMP_ERROR_ARGUMENT, msg);
    g_free(msg);
    return FALSE;
}

/* Copies the style and the numbers from the PDB arguments, checking each. */
static gboolean args_to_settings(job_kind kind, gint nparams, const GimpParam *param, settings *s,
                                 GError **error)
{
    gint expected = kind == JOB_ATTENTION   ? (gint)G_N_ELEMENTS(attention_args)
                    : kind == JOB_REFERENCE ? (gint)G_N_ELEMENTS(reference_args)
                                            : (gint)G_N_ELEMENTS(stylize_args);
    if (nparams != expected)
        return fail(error, _("Expected %d arguments, got %d."), expected, nparams);
    if (kind == JOB_REFERENCE) {
        double strength = param[4].data.d_float;
        if (!isfinite(strength) || strength < 0 || strength > 1)
            return fail(error, _("strength must be between 0 and 1, got %g."), strength);
        if (param[5].data.d_int32 != COLORS_REFERENCE && param[5].data.d_int32 != COLORS_PHOTO)
            return fail(error, _("color-mode must be 0 (the reference's colours) or 1 (the image's colours), got %d."),
                        param[5].data.d_int32);
        if (param[6].data.d_int32 != OUTPUT_REPLACE && param[6].data.d_int32 != OUTPUT_NEW_LAYER)
            return fail(error, _("output-mode must be 0 (replace) or 1 (new layer), got %d."), param[6].data.d_int32);
        s->reference = param[3].data.d_drawable;
        s->strength = strength;
        s->keep_colors = param[5].data.d_int32 == COLORS_PHOTO;
        s->output = param[6].data.d_int32;
        /* Automatic detail size, as comicgan stylize --reference. */
        s->scale = 0;
        return TRUE;
    }
    const char *style = param[3].data.d_string ? param[3].data.d_string : "";
    if (strlen(style) >= sizeof s->style)
        return fail(error, _("The style name \"%s\" is too long."), style);
    g_strlcpy(s->style, style, sizeof s->style);
    if (kind == JOB_ATTENTION) {
        const char *point = param[4].data.d_string ? param[4].data.d_string : "";
        if (strlen(point) >= sizeof s->point)
            return fail(error, _("The attention point name \"%s\" is too long."), point);
        g_strlcpy(s->point, point, sizeof s->point);
        return TRUE;
    }
    double strength = param[4].data.d_float;
    if (!isfinite(strength) || strength < 0 || strength > 1)
        return fail(error, _("strength must be between 0 and 1, got %g."), strength);
    if (param[5].data.d_int32 != 0 && param[5].data.d_int32 != 1)
        return fail(error, _("keep-colors must be 0 or 1, got %d."), param[5].data.d_int32);
    if (param[6].data.d_int32 != OUTPUT_REPLACE && param[6].data.d_int32 != OUTPUT_NEW_LAYER)
        return fail(error, _("output-mode must be 0 (replace) or 1 (new layer), got %d."), param[6].data.d_int32);
    gint32 tile = param[7].data.d_int32;
    if (tile != 0 && (tile < TILE_MIN || tile > TILE_MAX))
        return fail(error, _("tile-size must be 0 (automatic) or between %d and %d, got %d."), TILE_MIN, TILE_MAX,
                    tile);
    s->strength = strength;
    s->keep_colors = param[5].data.d_int32;
    s->output = param[6].data.d_int32;
    s->tile = tile;
    /* These procedures predate the style scale: native, so scripts get what they always got. */
    s->scale = 1;
    return TRUE;
}

static gboolean check_target(gint32 image, gint32 drawable, GError **error)
{
    if (!gimp_image_is_valid(image))
        return fail(error, _("The image does not exist."));
    if (!gimp_item_is_valid(drawable) || gimp_item_get_image(drawable) != image)
        return fail(error, _("The drawable does not exist or is not part of the image."));
    if (!gimp_item_is_layer(drawable))
        return fail(error, _("comicgan works on layers and layer groups; select a layer, not a channel or mask."));
    if (gimp_image_base_type(image) == GIMP_INDEXED)
        return fail(error, _("Indexed images are not supported; convert the image with Image > Mode > RGB first."));
    return TRUE;
}

/* Style names for a message saying which exist. */
static char *style_names(const cg_catalog *c)
{
    GString *names = g_string_new(NULL);
    for (int i = 0; i < cg_catalog_count(c); i++)
        g_string_append_printf(names, "%s%s", i ? ", " : "", cg_catalog_get(c, i)->name);
    return g_string_free(names, FALSE);
}

static gboolean is_reference(const cg_catalog_style *st)
{
    return strcmp(st->mode, "reference") == 0;
}

/* The first style that changes something without a reference picture, for
 * an empty style name. */
static const char *default_style(const cg_catalog *c)
{
    for (int i = 0; i < cg_catalog_count(c); i++)
        if (strcmp(cg_catalog_get(c, i)->mode, "identity") != 0 && !is_reference(cg_catalog_get(c, i)))
            return cg_catalog_get(c, i)->name;
    return cg_catalog_count(c) > 0 ? cg_catalog_get(c, 0)->name : NULL;
}

/* The first reference style, or NULL. */
static const char *reference_style(const cg_catalog *c)
{
    for (int i = 0; i < cg_catalog_count(c); i++)
        if (is_reference(cg_catalog_get(c, i)))
            return cg_catalog_get(c, i)->name;
    return NULL;
}

/* The reference drawable of *s, unless it is a file: it must exist and be
 * large enough for the style encoder. */
static gboolean check_reference(const settings *s, GError **error)
{
    if (s->reference_file[0])
        return TRUE;
    if (s->reference < 0 || !gimp_item_is_valid(s->reference) || !gimp_item_is_drawable(s->reference))
        return fail(error, _("The reference drawable does not exist (was its image closed?)."));
    gint w = gimp_drawable_width(s->reference), h = gimp_drawable_height(s->reference);
    if (w < CG_REFERENCE_MIN_SIDE || h < CG_REFERENCE_MIN_SIDE || w > CG_STYLIZE_MAX_SIDE || h > CG_STYLIZE_MAX_SIDE) {
        char *name = gimp_item_get_name(s->reference);
        fail(error, _("The reference \"%s\" is %dx%d pixels; a reference must be %d to %d pixels wide and high."),
             name, w, h, CG_REFERENCE_MIN_SIDE, CG_STYLIZE_MAX_SIDE);
        g_free(name);
        return FALSE;
    }
    return TRUE;
}

/* A reference model's style code from the reference picture of *s. */
static gboolean encode_reference(const settings *s, loaded_style *st, GError **error)
{
    if (!check_reference(s, error))
        return FALSE;
    cg_image *ref = read_reference(s, error);
    if (!ref)
        return FALSE;
    cg_error err = {0};
    st->code = g_new(float, cg_model_code_length(st->model));
    gboolean ok = cg_model_encode_reference(st->model, ref, st->code, &err) == CG_OK;
    if (!ok)
        fail(error, _("The reference picture cannot be used: %s"), err.message);
    cg_image_free(ref);
    return ok;
}

static gboolean no_models(const cg_catalog *c, GError **error)
{
    GString *list = g_string_new(NULL);
    for (int i = 0; i < cg_catalog_folder_count(c); i++)
        g_string_append_printf(list, "%s%s", i ? ", " : "", cg_catalog_folder(c, i));
    fail(error, _("No comicgan models were found. Put model files (*.safetensors) in one of: %s, or set "
                  "COMICGAN_MODEL_PATH."),
         list->str);
    g_string_free(list, TRUE);
    return FALSE;
}

static gboolean load_style(const cg_catalog *c, settings *s, loaded_style *st, GError **error)
{
    if (cg_catalog_count(c) == 0)
        return no_models(c, error);
    if (!s->style[0])
        g_strlcpy(s->style, default_style(c), sizeof s->style);
    if (!cg_catalog_find(c, s->style)) {
        char *names = style_names(c);
        fail(error, _("There is no style \"%s\". The styles are: %s."), s->style, names);
        g_free(names);
        return FALSE;
    }
    cg_error err = {0};
    st->model = cg_catalog_load_style(c, s->style, &st->index, &err);
    if (!st->model)
        return fail(error, _("Could not load the style \"%s\": %s"), s->style, err.message);
    st->display_name = cg_model_style(st->model, st->index)->display_name;
    if (cg_model_code_length(st->model) > 0) {
        /* A reference model: the style comes from the picture, never mixed. */
        if (s->reference < 0 && !s->reference_file[0]) {
            loaded_style_clear(st);
            return fail(error, _("Style \"%s\" takes its style from a reference picture: use %s, or \"From an "
                                 "image...\" in the dialog."),
                        s->style, PROC_REFERENCE);
        }
        if (!encode_reference(s, st, error)) {
            loaded_style_clear(st);
            return FALSE;
        }
    } else if (s->style_b[0] && s->mix > 0) {
        /* Weights over the model's styles: A gets 1 - mix, B mix. */
        const cg_catalog_style *a = cg_catalog_find(c, s->style), *b = cg_catalog_find(c, s->style_b);
        if (!b || strcmp(a->model_path, b->model_path) != 0) {
            loaded_style_clear(st);
            return fail(error, _("Style \"%s\" cannot be mixed with \"%s\": mixed styles must come from one model."),
                        s->style_b, s->style);
        }
        st->mix = g_new0(float, cg_model_style_count(st->model));
        st->mix[st->index] += (float)(1 - s->mix);
        st->mix[b->style_index] += (float)s->mix;
    }
    cg_stylize_options o = stylize_options(st, s);
    if (cg_stylize_check_options(st->model, &o, &err) != CG_OK) {
        loaded_style_clear(st);
        return fail(error, "%s", err.message);
    }
    return TRUE;
}

static void setup_i18n(void)
{
    bindtextdomain(GETTEXT_PACKAGE, locale_dir());
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
}

static gboolean run_job(job_kind kind, const char *proc, gint nparams, const GimpParam *param,
                        gint32 *result_layer, GError **error)
{
    GimpRunMode mode = param[0].data.d_int32;
    gint32 image = param[1].data.d_image;
    gint32 drawable = param[2].data.d_drawable;
    settings s;

    if (!check_target(image, drawable, error))
        return FALSE;
    switch (mode) {
    case GIMP_RUN_NONINTERACTIVE:
        settings_defaults(&s);
        if (!args_to_settings(kind, nparams, param, &s, error))
            return FALSE;
        break;
    case GIMP_RUN_WITH_LAST_VALS:
    case GIMP_RUN_INTERACTIVE:
        load_last_values(proc, &s);
        break;
    default:
        return fail(error, _("Unknown run mode %d."), (int)mode);
    }

    cg_catalog *catalog = cg_catalog_new();
    if (!catalog)
        return fail(error, _("Out of memory."));
    if (kind == JOB_REFERENCE && mode != GIMP_RUN_WITH_LAST_VALS) {
        const char *style = reference_style(catalog);
        if (!style) {
            cg_catalog_free(catalog);
            return fail(error, _("No reference model is installed: %s needs a model that takes its style from a "
                                 "picture (comicgan info says which do)."),
                        PROC_REFERENCE);
        }
        g_strlcpy(s.style, style, sizeof s.style);
        if (mode == GIMP_RUN_INTERACTIVE && nparams == (gint)G_N_ELEMENTS(reference_args)) {
            s.reference = param[3].data.d_drawable;
            s.reference_file[0] = '\0';
        }
    }
    if (mode == GIMP_RUN_INTERACTIVE) {
        if (cg_catalog_count(catalog) == 0) {
            no_models(catalog, error);
            cg_catalog_free(catalog);
            return FALSE;
        }
        if (!s.style[0] || !cg_catalog_find(catalog, s.style))
            g_strlcpy(s.style, default_style(catalog), sizeof s.style);
        GError *dialog_error = NULL;
        if (!dialog_run(kind == JOB_REFERENCE ? JOB_STYLIZE : kind, drawable, catalog, &s, &dialog_error)) {
            cg_catalog_free(catalog);
            if (dialog_error) {
                g_propagate_error(error, dialog_error);
                return FALSE;
            }
            g_set_error_literal(error, CG_GIMP_ERROR, CG_GIMP_ERROR_CANCELLED, "");
            return FALSE;
        }
    }

    loaded_style st = {0};
    gboolean ok = load_style(catalog, &s, &st, error);
    cg_catalog_free(catalog);
    if (!ok)
        return FALSE;
    if (kind == JOB_ATTENTION && find_attention_point(st.model, s.point) < 0) {
        const cg_net *net = cg_model_net(st.model);
        GString *names = g_string_new(NULL);
        for (int i = 0; i < cg_net_attention_count(net); i++)
            g_string_append_printf(names, "%s%s", i ? ", " : "", cg_net_attention_name(net, i));
        if (cg_net_attention_count(net) == 0)
            fail(error, _("The model of style \"%s\" has no attention points."), s.style);
        else
            fail(error, _("The model of style \"%s\" has no attention point \"%s\"; it has: %s."), s.style,
                 s.point, names->str);
        g_string_free(names, TRUE);
        loaded_style_clear(&st);
        return FALSE;
    }

    switch (kind) {
    case JOB_STYLIZE:
    case JOB_REFERENCE: ok = run_stylize(image, drawable, &st, &s, error); break;
    case JOB_LAYERS: ok = run_layers(image, drawable, &st, &s, error); break;
    case JOB_ATTENTION: ok = run_attention(image, drawable, &st, &s, result_layer, error); break;
    }
    loaded_style_clear(&st);
    if (ok) {
        gimp_set_data(proc, &s, sizeof s);
        if (mode != GIMP_RUN_NONINTERACTIVE)
            gimp_displays_flush();
    }
    return ok;
}

static void run(const gchar *name, gint nparams, const GimpParam *param, gint *nreturn_vals,
                GimpParam **return_vals)
{
    static GimpParam values[2];
    static char *message;
    job_kind kind;

    setup_i18n();
    gegl_init(NULL, NULL);
    /* Without this GIMP hands out 8-bit copies of 16- and 32-bit drawables. */
    gimp_plugin_enable_precision();

    *nreturn_vals = 1;
    *return_vals = values;
    values[0].type = GIMP_PDB_STATUS;
    values[0].data.d_status = GIMP_PDB_SUCCESS;

    if (strcmp(name, PROC_STYLIZE) == 0)
        kind = JOB_STYLIZE;
    else if (strcmp(name, PROC_ATTENTION) == 0)
        kind = JOB_ATTENTION;
    else if (strcmp(name, PROC_LAYERS) == 0)
        kind = JOB_LAYERS;
    else if (strcmp(name, PROC_REFERENCE) == 0)
        kind = JOB_REFERENCE;
    else {
        values[0].data.d_status = GIMP_PDB_CALLING_ERROR;
        return;
    }
    if (nparams < 3) {
        values[0].data.d_status = GIMP_PDB_CALLING_ERROR;
        return;
    }

    GError *error = NULL;
    gint32 layer = -1;
    if (run_job(kind, name, nparams, param, &layer, &error)) {
        if (kind == JOB_ATTENTION) {
            *nreturn_vals = 2;
            values[1].type = GIMP_PDB_LAYER;
            values[1].data.d_layer = layer;
        }
        return;
    }
    if (g_error_matches(error, CG_GIMP_ERROR, CG_GIMP_ERROR_CANCELLED)) {
        values[0].data.d_status = GIMP_PDB_CANCEL;
    } else {
        values[0].data.d_status = g_error_matches(error, CG_GIMP_ERROR, CG_GIMP_ERROR_ARGUMENT)
                                      ? GIMP_PDB_CALLING_ERROR
                                      : GIMP_PDB_EXECUTION_ERROR;
        /* GIMP shows this message to the user or passes it to the script. */
        g_free(message);
        message = g_strdup(error->message);
        *nreturn_vals = 2;
        values[1].type = GIMP_PDB_STRING;
        values[1].data.d_string = message;
    }
    g_error_free(error);
}
