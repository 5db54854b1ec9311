/* comicgan eval: how well a model does on held-out images, per style, as a
 * table (or JSON): L1/PSNR/SSIM against targets for paired styles, content
 * preservation (SSIM of edge maps against the input), a style score
 * (distance of Gram statistics to the style references; lower is closer),
 * and the style-quality figures (hue shift, ΔE, flat fraction gained,
 * flat-area noise, edge correlation, mean chroma, temporal ratio). Teacher
 * filters and other programs' outputs are scored as rows of the same table.
 *
 *   comicgan eval MODEL RUN             (the run's test split and references)
 *   comicgan eval [MODEL] FOLDER [--targets DIR | --target-filter TEACHER]
 *                               [--style-images DIR]
 *                               [--filter TEACHER]... [--outputs DIR]...
 *                               [--no-temporal | --temporal-images N]
 *   comicgan eval REFERENCE-MODEL PHOTOS --references DIR [--keep-colors] [--max-references N]
 *                               (the fidelity matrix: every photo in every reference's style) */
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

/* Writes node as pretty JSON to path; false (and said) on failure. */
static bool write_json(const char *path, JsonNode *node)
{
    JsonGenerator *gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, node);
    char *text = json_generator_to_data(gen, NULL);
    GError *gerr = NULL;
    bool good = g_file_set_contents(path, text, -1, &gerr);
    if (!good) {
        cli_fail(CLI_EXIT_FAILURE, path, "%s", gerr->message);
        g_error_free(gerr);
    }
    g_free(text);
    g_object_unref(gen);
    return good;
}

static void add_names(JsonBuilder *b, const char *key, char **names)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (int i = 0; names[i]; i++)
        json_builder_add_string_value(b, names[i]);
    json_builder_end_array(b);
}

static JsonNode *fidelity_json(const cg_eval_reference_result *r, const char *model, const char *photos,
                               const char *references, bool keep_colors)
{
    const int np = r->photos, nr = r->references;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "model");
    json_builder_add_string_value(b, model);
    json_builder_set_member_name(b, "photos");
    json_builder_add_string_value(b, photos);
    json_builder_set_member_name(b, "references");
    json_builder_add_string_value(b, references);
    add_names(b, "photo_names", r->photo_names);
    add_names(b, "reference_names", r->reference_names);
    /* with the photo's colours the distance compares luma alone */
    json_builder_set_member_name(b, "keep_colors");
    json_builder_add_boolean_value(b, keep_colors);
    json_builder_set_member_name(b, "own_nearest");
    json_builder_add_int_value(b, r->own_nearest);
    json_builder_set_member_name(b, "cells");
    json_builder_add_int_value(b, np * nr);
    add_number(b, "own_nearest_fraction", (double)r->own_nearest / (np * nr));
    add_number(b, "edge_corr", r->edge_corr);
    add_number(b, "encode_ms", r->encode_ms);
    /* distance[p][r][k]: photo p in reference r's style, to reference k */
    json_builder_set_member_name(b, "distance");
    json_builder_begin_array(b);
    for (int p = 0; p < np; p++) {
        json_builder_begin_array(b);
        for (int c = 0; c < nr; c++) {
            json_builder_begin_array(b);
            for (int k = 0; k < nr; k++)
                json_builder_add_double_value(b, r->distance[((size_t)p * nr + c) * nr + k]);
            json_builder_end_array(b);
        }
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "photo_distance");
    json_builder_begin_array(b);
    for (int p = 0; p < np; p++) {
        json_builder_begin_array(b);
        for (int k = 0; k < nr; k++)
            json_builder_add_double_value(b, r->photo_distance[(size_t)p * nr + k]);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    JsonNode *node = json_builder_get_root(b);
    g_object_unref(b);
    return node;
}

/* Two tables: the mean distance over the photos of the outputs made with
 * each reference (rows) to each reference (columns), whose diagonal should
 * be each row's least; and per photo and reference, the rank of the own
 * reference among all (1: nearest). */
static void print_fidelity(const cg_eval_reference_result *r, bool keep_colors)
{
    if (keep_colors)
        printf("%s\n", _("With the photo's colours: every picture compared by its luma alone."));
    const int np = r->photos, nr = r->references;
    printf("%s\n", _("Mean distance of the outputs made with each reference (rows) to each reference (columns):"));
    printf("%-16s", "");
    for (int k = 0; k < nr; k++)
        printf(" %8.8s", r->reference_names[k]);
    printf(" %8s\n", _("photo"));
    for (int c = 0; c < nr; c++) {
        printf("%-16.16s", r->reference_names[c]);
        double photo = 0;
        for (int k = 0; k < nr; k++) {
            double sum = 0;
            for (int p = 0; p < np; p++)
                sum += r->distance[((size_t)p * nr + c) * nr + k];
            printf(" %7.3f%s", sum / np, k == c ? "*" : " ");
        }
        for (int p = 0; p < np; p++)
            photo += r->photo_distance[(size_t)p * nr + c];
        printf(" %8.3f\n", photo / np);
    }
    printf("\n%s\n", _("Rank of each output's own reference among all (1: nearest), photos (rows) by references:"));
    for (int p = 0; p < np; p++) {
        printf("%-16.16s", r->photo_names[p]);
        for (int c = 0; c < nr; c++) {
            const double *row = r->distance + ((size_t)p * nr + c) * nr;
            int rank = 1;
            for (int k = 0; k < nr; k++)
                rank += k != c && row[k] <= row[c];
            printf(" %8d", rank);
        }
        printf("\n");
    }
    printf("\n%s %d / %d (%.0f %%)\n", _("Own reference nearest:"), r->own_nearest, np * nr,
           100.0 * r->own_nearest / (np * nr));
    printf("%s %.3f\n", _("Edge correlation with the photo (mean):"), r->edge_corr);
    printf("%s %.1f ms\n", _("Encoding a reference (median):"), r->encode_ms);
}

int cli_eval(int argc, char **argv)
{
    gboolean json = FALSE;
    gboolean no_temporal = FALSE;
    gboolean keep_colors = FALSE;
    char *targets = NULL, *filter = NULL, *style_images = NULL, *output = NULL, *references = NULL;
    int max_references = 0;
    char **filters = NULL, **outputs = NULL;
    int size = 256, max_images = 0, temporal_images = 4;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON instead of the table"), NULL},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Also write the JSON to FILE"), N_("FILE")},
        {"size", 0, 0, G_OPTION_ARG_INT, &size, N_("Shorter side test images are resized to (default 256)"), N_("PX")},
        {"max-images", 0, 0, G_OPTION_ARG_INT, &max_images, N_("Use at most N test images per style"), N_("N")},
        {"targets", 0, 0, G_OPTION_ARG_FILENAME, &targets, N_("Folder of targets matched by file name"), N_("DIR")},
        {"target-filter", 0, 0, G_OPTION_ARG_STRING, &filter, N_("Make targets with a teacher: manga, cel, painted, anime, hatching, ink or poster"),
         N_("NAME")},
        {"style-images", 0, 0, G_OPTION_ARG_FILENAME, &style_images, N_("Folder of style images for the style score"),
         N_("DIR")},
        {"filter", 0, 0, G_OPTION_ARG_STRING_ARRAY, &filters,
         N_("Also score a teacher filter (manga, cel, painted, anime, hatching, ink or poster) as a baseline (repeatable)"), N_("NAME")},
        {"outputs", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &outputs,
         N_("Also score another program's outputs in DIR, found by each photo's name without extension "
            "(repeatable)"),
         N_("DIR")},
        {"no-temporal", 0, 0, G_OPTION_ARG_NONE, &no_temporal, N_("Skip the temporal ratio (8 stylized frames a photo)"),
         NULL},
        {"temporal-images", 0, 0, G_OPTION_ARG_INT, &temporal_images,
         N_("Pan the first N photos for the temporal ratio (default 4)"), N_("N")},
        {"references", 0, 0, G_OPTION_ARG_FILENAME, &references,
         N_("A reference model's fidelity matrix: every photo of DATA in the style of every picture in DIR"),
         N_("DIR")},
        {"max-references", 0, 0, G_OPTION_ARG_INT, &max_references, N_("Use at most N references (default: all)"),
         N_("N")},
        {"keep-colors", 0, 0, G_OPTION_ARG_NONE, &keep_colors,
         N_("With --references: keep the photo's colours instead of the reference's, and compare luma alone"),
         NULL},
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
                     "  comicgan eval --filter cel --outputs gmic-out photos/\n"
                     "A reference model is scored with --references DIR: each photo is stylized with each\n"
                     "reference, and the table says how often the output is nearest its own reference\n"
                     "(feature statistics of a fixed network and Lab statistics; see docs/training.md)."),
                   entries, &argc, &argv)) {
        status = CLI_EXIT_USAGE;
        goto out;
    }
    const bool baselines = (filters && filters[0]) || (outputs && outputs[0]);
    if (references && (argc != 3 || baselines)) {
        status = cli_fail(CLI_EXIT_USAGE, "eval",
                          _("--references needs a reference model and a folder of photos, and no baselines"));
        goto out;
    }
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
    if (references) {
        if (!cli_check_range("eval", "--max-references", max_references, 0, 1e6)) {
            status = CLI_EXIT_USAGE;
            goto out;
        }
        cg_eval_reference_options ro = {.size = size, .max_photos = max_images, .max_references = max_references,
                                        .keep_colors = keep_colors};
        cg_eval_reference_result *rr = NULL;
        cg_error err = {0};
        if (cg_eval_reference(model, data, references, &ro, &rr, &err) != CG_OK) {
            status = cli_fail_error("eval", &err);
            goto out;
        }
        JsonNode *node = fidelity_json(rr, model, data, references, keep_colors);
        if (json)
            cli_print_json(node);
        else
            print_fidelity(rr, keep_colors);
        if (output && !write_json(output, node))
            status = CLI_EXIT_FAILURE;
        json_node_unref(node);
        cg_eval_reference_result_free(rr);
        goto out;
    }
    if (model) {
        /* A reference model has no fixed style to score: say where its figures are. */
        cg_error err = {0};
        cg_model *m = cg_model_load(model, &err);
        bool by_picture = m && cg_model_code_length(m) > 0;
        cg_model_free(m);
        if (by_picture) {
            status = cli_fail(CLI_EXIT_USAGE, model,
                              _("takes its style from a picture: score it with --references DIR (the fidelity "
                                "matrix)"));
            goto out;
        }
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
    if (output && !write_json(output, node))
        status = CLI_EXIT_FAILURE;
    json_node_unref(node);
    cg_eval_result_free(r);
out:
    g_free(targets);
    g_free(filter);
    g_free(style_images);
    g_free(output);
    g_free(references);
    g_strfreev(filters);
    g_strfreev(outputs);
    return status;
}
