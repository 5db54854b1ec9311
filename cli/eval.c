/* comicgan eval: how well a model does on held-out images, per style, as a
 * table (or JSON): L1/PSNR/SSIM against targets for paired styles, content
 * preservation (SSIM of edge maps against the input), a style score
 * (distance of Gram statistics to the style references; lower is closer),
 * and the style-quality figures (hue shift, ΔE, flat fraction gained,
 * flat-area noise, edge correlation, mean chroma, temporal ratio). Teacher
 * filters and other programs' outputs are scored as rows of the same table.
 *
 *   comicgan eval MODEL RUN             (the run's test split and references)
 *   comicgan eval [MODEL] FOLDER [--targets DIR | --target-filter manga|cel|painted|anime]
 *                               [--style-images DIR]
 *                               [--filter manga|cel|painted|anime]... [--outputs DIR]...
 *                               [--no-temporal | --temporal-images N] */
#include "common.h"
#include "comicgan/train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void add_number(JsonBuilder *b, const char *key, double v)
{
    json_builder_set_member_name(b, key);
    if (isfinite(v))
        json_builder_add_double_value(b, v);
    else
        json_builder_add_null_value(b);
}

static JsonNode *result_json(const cg_eval_result *r, const char *model, const char *data)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "model");
    if (model)
        json_builder_add_string_value(b, model);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "data");
    json_builder_add_string_value(b, data);
    json_builder_set_member_name(b, "source");
    json_builder_add_string_value(b, r->source);
    json_builder_set_member_name(b, "styles");
    json_builder_begin_array(b);
    for (int i = 0; i < r->n; i++) {
        const cg_eval_style *s = &r->style[i];
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "style");
        json_builder_add_string_value(b, s->name);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, s->kind);
        json_builder_set_member_name(b, "images");
        json_builder_add_int_value(b, s->images);
        json_builder_set_member_name(b, "paired");
        json_builder_add_boolean_value(b, s->paired);
        add_number(b, "l1", s->l1);
        add_number(b, "psnr", s->psnr);
        add_number(b, "ssim", s->ssim);
        add_number(b, "content", s->content);
        add_number(b, "style_score", s->style);
        add_number(b, "hue_shift", s->hue_shift);
        add_number(b, "delta_e", s->delta_e);
        add_number(b, "flat_gained", s->flat_gained);
        add_number(b, "flat_noise", s->flat_noise);
        add_number(b, "edge_corr", s->edge_corr);
        add_number(b, "mean_chroma", s->mean_chroma);
        add_number(b, "temporal_ratio", s->temporal_ratio);
        json_builder_set_member_name(b, "temporal_images");
        json_builder_add_int_value(b, s->temporal_images);
        json_builder_set_member_name(b, "features");
        json_builder_add_string_value(b, s->features);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}

static void print_table(const cg_eval_result *r)
{
    int name = 16;
    for (int i = 0; i < r->n; i++)
        if ((int)strlen(r->style[i].name) > name)
            name = (int)strlen(r->style[i].name);
    printf("%-*s %6s %7s %6s %6s %7s %6s %6s %6s %6s %6s %6s %6s %8s  %s\n", name, _("style"), _("images"), "L1",
           "PSNR", "SSIM", _("content"), _("style"), _("hue"), "dE", _("flat+"), _("noise"), _("edges"), _("chroma"),
           _("temporal"), _("features"));
    for (int i = 0; i < r->n; i++) {
        const cg_eval_style *s = &r->style[i];
        printf("%-*s %6d", name, s->name, s->images);
        const struct {
            double v;
            const char *fmt;
            int width;
        } cols[] = {
            {s->l1, " %*.4f", 7},         {s->psnr, " %*.2f", 6},        {s->ssim, " %*.3f", 6},
            {s->content, " %*.4f", 7},    {s->style, " %*.3f", 6},       {s->hue_shift, " %*.1f", 6},
            {s->delta_e, " %*.1f", 6},    {s->flat_gained, " %*.3f", 6}, {s->flat_noise, " %*.2f", 6},
            {s->edge_corr, " %*.3f", 6},  {s->mean_chroma, " %*.1f", 6}, {s->temporal_ratio, " %*.3f", 8},
        };
        for (size_t k = 0; k < G_N_ELEMENTS(cols); k++) {
            if (isfinite(cols[k].v))
                printf(cols[k].fmt, cols[k].width, cols[k].v);
            else
                printf(" %*s", cols[k].width, "-");
        }
        printf("  %s\n", s->features[0] ? s->features : "-");
    }
}

int cli_eval(int argc, char **argv)
{
    gboolean json = FALSE;
    gboolean no_temporal = FALSE;
    char *targets = NULL, *filter = NULL, *style_images = NULL, *output = NULL;
    char **filters = NULL, **outputs = NULL;
    int size = 256, max_images = 0, temporal_images = 4;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON instead of the table"), NULL},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Also write the JSON to FILE"), N_("FILE")},
        {"size", 0, 0, G_OPTION_ARG_INT, &size, N_("Shorter side test images are resized to (default 256)"), N_("PX")},
        {"max-images", 0, 0, G_OPTION_ARG_INT, &max_images, N_("Use at most N test images per style"), N_("N")},
        {"targets", 0, 0, G_OPTION_ARG_FILENAME, &targets, N_("Folder of targets matched by file name"), N_("DIR")},
        {"target-filter", 0, 0, G_OPTION_ARG_STRING, &filter, N_("Make targets with a teacher: manga, cel, painted or anime"),
         N_("NAME")},
        {"style-images", 0, 0, G_OPTION_ARG_FILENAME, &style_images, N_("Folder of style images for the style score"),
         N_("DIR")},
        {"filter", 0, 0, G_OPTION_ARG_STRING_ARRAY, &filters,
         N_("Also score a teacher filter, manga, cel, painted or anime, as a baseline (repeatable)"), N_("NAME")},
        {"outputs", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &outputs,
         N_("Also score another program's outputs in DIR, found by each photo's name without extension "
            "(repeatable)"),
         N_("DIR")},
        {"no-temporal", 0, 0, G_OPTION_ARG_NONE, &no_temporal, N_("Skip the temporal ratio (8 stylized frames a photo)"),
         NULL},
        {"temporal-images", 0, 0, G_OPTION_ARG_INT, &temporal_images,
         N_("Pan the first N photos for the temporal ratio (default 4)"), N_("N")},
        {NULL},
    };
    int status = CLI_EXIT_OK;
    if (!cli_parse("eval", _("[MODEL] DATA"),
                   _("Evaluate a model per style on held-out images. DATA is a run folder (its test split\n"
                     "and references) or a folder of images (give references with the options).\n"
                     "Beside L1/PSNR/SSIM (against targets), content and style scores, every row has the\n"
                     "style-quality figures: hue (shift in degrees of low-frequency hue, weighted by the\n"
                     "photo's chroma), dE (low-frequency CIE76 difference), flat+ (flat fraction gained),\n"
                     "noise (luma std in 8-bit levels where the photo is smooth), edges (correlation of\n"
                     "Sobel magnitudes), chroma (the outputs' mean Lab chroma) and temporal (change on a\n"
                     "noisy 1-pixel pan over the noise's own change).\n"
                     "Baselines go in the same table: --filter cel scores the cel teacher, --outputs DIR\n"
                     "the files another program made from the photos of DATA (a folder of images); with\n"
                     "baselines, MODEL may be left out:\n"
                     "  comicgan eval --filter cel --outputs gmic-out photos/"),
                   entries, &argc, &argv)) {
        status = CLI_EXIT_USAGE;
        goto out;
    }
    const bool baselines = (filters && filters[0]) || (outputs && outputs[0]);
    if (argc != 3 && !(argc == 2 && baselines)) {
        status = cli_fail(CLI_EXIT_USAGE, "eval",
                          _("give a model file and a run folder or image folder (or a folder and --filter or "
                            "--outputs)"));
        goto out;
    }
    const char *model = argc == 3 ? argv[1] : NULL, *data = argv[argc - 1];
    if (!cli_check_range("eval", "--size", size, 16, 4096) || !cli_check_range("eval", "--max-images", max_images, 0, 1e6) ||
        !cli_check_range("eval", "--temporal-images", temporal_images, 1, 1e6)) {
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if (output && !cli_check_output(output, false)) {
        status = CLI_EXIT_USAGE;
        goto out;
    }
    cg_eval_options o = {.size = size, .max_images = max_images, .targets = targets, .target_filter = filter,
                         .style_images = style_images, .filters = (const char *const *)filters,
                         .outputs = (const char *const *)outputs, .no_temporal = no_temporal,
                         .temporal_images = temporal_images};
    cg_eval_result *r = NULL;
    cg_error err = {0};
    if (cg_eval(model, data, &o, &r, &err) != CG_OK) {
        status = cli_fail_error("eval", &err);
        goto out;
    }
    JsonNode *node = result_json(r, model, data);
    if (json)
        cli_print_json(node);
    else
        print_table(r);
    if (output) {
        JsonGenerator *gen = json_generator_new();
        json_generator_set_pretty(gen, TRUE);
        json_generator_set_root(gen, node);
        char *text = json_generator_to_data(gen, NULL);
        GError *gerr = NULL;
        if (!g_file_set_contents(output, text, -1, &gerr)) {
            status = cli_fail(CLI_EXIT_FAILURE, output, "%s", gerr->message);
            g_error_free(gerr);
        }
        g_free(text);
        g_object_unref(gen);
    }
    json_node_unref(node);
    cg_eval_result_free(r);
out:
    g_free(targets);
    g_free(filter);
    g_free(style_images);
    g_free(output);
    g_strfreev(filters);
    g_strfreev(outputs);
    return status;
}
