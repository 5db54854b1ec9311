/* comicgan attention: where a model looks, as a heatmap PNG.
 *
 *   comicgan attention [--model FILE | --style NAME] [--point NAME|N] [--overlay] [--opacity A] IN OUT.png */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The attention point's index from its name or number; -1 after printing why
 * there is none. */
static int find_point(const cg_model *m, const char *point)
{
    const cg_net *net = cg_model_net(m);
    int count = cg_net_attention_count(net);
    if (count == 0) {
        cli_fail(CLI_EXIT_FAILURE, "attention", _("this model has no attention points"));
        return -1;
    }
    if (!point)
        return 0;
    char *end = NULL;
    long n = strtol(point, &end, 10);
    if (*point && !*end && n >= 0 && n < count)
        return (int)n;
    for (int i = 0; i < count; i++)
        if (strcmp(point, cg_net_attention_name(net, i)) == 0)
            return i;
    GString *names = g_string_new(NULL);
    for (int i = 0; i < count; i++)
        g_string_append_printf(names, "%s%d %s", i ? ", " : "", i, cg_net_attention_name(net, i));
    cli_fail(CLI_EXIT_USAGE, "attention", _("--point: no attention point \"%s\" (the model has: %s)"), point,
             names->str);
    g_string_free(names, TRUE);
    return -1;
}

/* heat drawn over img, in place in img ("over" with straight alpha). */
static void composite_over(const cg_image *heat, cg_image *img)
{
    size_t n = (size_t)img->width * img->height;
    for (size_t i = 0; i < n; i++) {
        const float *h = heat->pixels + 4 * i;
        float *p = img->pixels + 4 * i;
        float a = h[3] + p[3] * (1 - h[3]);
        for (int c = 0; c < 3; c++)
            p[c] = a > 0 ? (h[c] * h[3] + p[c] * p[3] * (1 - h[3])) / a : 0;
        p[3] = a;
    }
}

static int run(const char *model_file, const char *style, const char *point_name, bool overlay, double opacity,
               char **files)
{
    int n = files ? (int)g_strv_length(files) : 0;
    if (n != 2)
        return cli_fail(CLI_EXIT_USAGE, "attention", _("give IN OUT.png (see comicgan attention --help)"));
    if (isnan(opacity))
        opacity = overlay ? 0.6 : 1.0;
    if (!cli_check_range("attention", "--opacity", opacity, 0, 1))
        return CLI_EXIT_USAGE;
    const char *in_path = files[0], *out_path = files[1];
    if (!g_str_has_suffix(out_path, ".png") && !g_str_has_suffix(out_path, ".PNG"))
        return cli_fail(CLI_EXIT_USAGE, out_path, _("the heatmap is written as PNG; name it .png"));
    if (!cli_check_output(out_path, true))
        return CLI_EXIT_FAILURE;
    if (cli_same_file(in_path, out_path))
        return cli_fail(CLI_EXIT_USAGE, out_path, _("would replace the input; choose another name"));

    int style_index = 0, status = CLI_EXIT_FAILURE;
    cg_model *m = cli_load_model("attention", model_file, style, &style_index);
    int point = m ? find_point(m, point_name) : -1;
    if (point < 0) {
        status = m ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
        cg_model_free(m);
        return status;
    }
    cg_error err = {0};
    cg_image *img = cg_image_load(in_path, &err), *heat = NULL;
    cli_warn_frames(in_path, img);
    float *map = NULL;
    cg_status st = img ? CG_OK : err.code;
    if (st == CG_OK && !(map = g_try_new(float, (size_t)img->width * img->height)))
        st = cg_fail(&err, CG_ERR_NOMEM, "%s: out of memory for the map", in_path);
    if (st == CG_OK && !(heat = cg_image_new(img->width, img->height, &err)))
        st = err.code;
    if (st == CG_OK) {
        cli_progress p;
        cli_progress_start(&p, 1);
        cli_progress_item(&p, 0, in_path);
        cg_stylize_options o = cg_stylize_defaults();
        o.style = style_index;
        o.progress = cli_progress_update;
        o.progress_data = &p;
        cli_catch_interrupt();
        st = cg_stylize_attention(m, img, point, &o, map, &err);
        cli_progress_end(&p);
    }
    if (st == CG_OK) {
        cg_heatmap(map, img->width, img->height, (float)opacity, heat);
        cg_image_save_options so = {.bits = 8};
        if (overlay) {
            composite_over(heat, img);
            st = cg_image_save(img, out_path, &so, &err);
        } else {
            so.channels = opacity < 1 ? 4 : 3;
            st = cg_image_save(heat, out_path, &so, &err);
        }
    }
    if (st == CG_OK && cli_interrupted)
        st = cg_fail(&err, CG_ERR_CANCELLED, "cancelled");
    if (st == CG_OK)
        status = CLI_EXIT_OK;
    else
        status = cli_fail_error(g_str_has_prefix(err.message, in_path) || g_str_has_prefix(err.message, out_path)
                                    ? NULL
                                    : in_path,
                                &err);
    g_free(map);
    cg_image_free(heat);
    cg_image_free(img);
    cg_model_free(m);
    return status;
}

int cli_attention(int argc, char **argv)
{
    char *model_file = NULL, *style = NULL, *point = NULL;
    char **files = NULL;
    gboolean overlay = FALSE;
    double opacity = NAN; /* not given */
    const GOptionEntry entries[] = {
        {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model_file, N_("Model file to use"), N_("FILE")},
        {"style", 's', 0, G_OPTION_ARG_STRING, &style, N_("Style whose attention to show (default: the first)"),
         N_("NAME")},
        {"point", 'p', 0, G_OPTION_ARG_STRING, &point, N_("Attention point, by name or number (default: the first)"),
         N_("NAME|N")},
        {"overlay", 0, 0, G_OPTION_ARG_NONE, &overlay, N_("Draw the heatmap over the input image"), NULL},
        {"opacity", 0, 0, G_OPTION_ARG_DOUBLE, &opacity,
         N_("Heatmap opacity, 0 to 1 (default 1, or 0.6 with --overlay)"), N_("A")},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    if (cli_parse("attention", _("IN OUT.png"),
                  _("Writes the attention map of a model's attention point for IN as a heatmap PNG (dark blue: "
                    "little attention, yellow: most)."),
                  entries, &argc, &argv))
        status = run(model_file, style, point, overlay, opacity, files);
    g_free(model_file);
    g_free(style);
    g_free(point);
    g_strfreev(files);
    return status;
}
