/* comicgan eval: how well a model does on held-out images, per style, as a
 * table (or JSON): L1/PSNR/SSIM against targets for paired styles, content
 * preservation (SSIM of edge maps against the input) and a style score
 * (distance of Gram statistics to the style references; lower is closer).
 *
 *   comicgan eval MODEL RUN             (the run's test split and references)
 *   comicgan eval MODEL FOLDER [--targets DIR | --target-filter manga|cel]
 *                             [--style-images DIR] */
#include "common.h"
#include "comicgan/train.h"

#include <math.h>
#include <stdio.h>

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
    json_builder_add_string_value(b, model);
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
        json_builder_set_member_name(b, "images");
        json_builder_add_int_value(b, s->images);
        json_builder_set_member_name(b, "paired");
        json_builder_add_boolean_value(b, s->paired);
        add_number(b, "l1", s->l1);
        add_number(b, "psnr", s->psnr);
        add_number(b, "ssim", s->ssim);
        add_number(b, "content", s->content);
        add_number(b, "style_score", s->style);
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

static void cell(double v, const char *fmt)
{
    if (isfinite(v))
        printf(fmt, v);
    else
        printf("%9s", "-");
}

static void print_table(const cg_eval_result *r)
{
    printf("%-16s %6s %9s %9s %9s %9s %9s  %s\n", _("style"), _("images"), "L1", "PSNR", "SSIM", _("content"),
           _("style"), _("features"));
    for (int i = 0; i < r->n; i++) {
        const cg_eval_style *s = &r->style[i];
        printf("%-16s %6d ", s->name, s->images);
        cell(s->l1, "%9.4f");
        putchar(' ');
        cell(s->psnr, "%9.2f");
        putchar(' ');
        cell(s->ssim, "%9.4f");
        putchar(' ');
        cell(s->content, "%9.4f");
        putchar(' ');
        cell(s->style, "%9.4f");
        printf("  %s\n", s->features[0] ? s->features : "-");
    }
}

int cli_eval(int argc, char **argv)
{
    gboolean json = FALSE;
    char *targets = NULL, *filter = NULL, *style_images = NULL, *output = NULL;
    int size = 256, max_images = 0;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON instead of the table"), NULL},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Also write the JSON to FILE"), N_("FILE")},
        {"size", 0, 0, G_OPTION_ARG_INT, &size, N_("Shorter side test images are resized to (default 256)"), N_("PX")},
        {"max-images", 0, 0, G_OPTION_ARG_INT, &max_images, N_("Use at most N test images per style"), N_("N")},
        {"targets", 0, 0, G_OPTION_ARG_FILENAME, &targets, N_("Folder of targets matched by file name"), N_("DIR")},
        {"target-filter", 0, 0, G_OPTION_ARG_STRING, &filter, N_("Make targets with a teacher: manga or cel"),
         N_("NAME")},
        {"style-images", 0, 0, G_OPTION_ARG_FILENAME, &style_images, N_("Folder of style images for the style score"),
         N_("DIR")},
        {NULL},
    };
    int status = CLI_EXIT_OK;
    if (!cli_parse("eval", _("MODEL DATA"),
                   _("Evaluate a model per style on held-out images. DATA is a run folder (its test split\n"
                     "and references) or a folder of images (give references with the options)."),
                   entries, &argc, &argv)) {
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if (argc != 3) {
        status = cli_fail(CLI_EXIT_USAGE, "eval", _("give a model file and a run folder or image folder"));
        goto out;
    }
    if (!cli_check_range("eval", "--size", size, 16, 4096) || !cli_check_range("eval", "--max-images", max_images, 0, 1e6)) {
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if (output && !cli_check_output(output, false)) {
        status = CLI_EXIT_USAGE;
        goto out;
    }
    cg_eval_options o = {.size = size, .max_images = max_images, .targets = targets, .target_filter = filter,
                         .style_images = style_images};
    cg_eval_result *r = NULL;
    cg_error err = {0};
    if (cg_eval(argv[1], argv[2], &o, &r, &err) != CG_OK) {
        status = cli_fail_error("eval", &err);
        goto out;
    }
    JsonNode *node = result_json(r, argv[1], argv[2]);
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
    return status;
}
