/* The teachers: fixed pipelines of the classical filters whose outputs are
 * the paired targets the conditional GAN learns (manga, cel, painted). */
#include "comicgan/filters.h"
#include "filters/plane.h"
#include "filters/stages.h"

#include <stdlib.h>

cg_manga_params cg_manga_defaults(void)
{
    cg_manga_params p = {.smooth = cg_guided_defaults(),
                         .lines = cg_xdog_defaults(),
                         .tone = cg_screentone_defaults()};
    p.lines.hard = true;
    return p;
}

cg_cel_params cg_cel_defaults(void)
{
    /* Fills: three strong passes leave skies, grass and walls as flat regions
     * with few speckles. Outlines: two light passes, which keep the outlines of
     * small shapes (eyes, a monument against the sky) that the strong
     * smoothing erases, without drawing every grain of foliage. */
    cg_cel_params p = {.smooth = cg_guided_defaults(),
                       .smooth_passes = 3,
                       .flatten = cg_quantize_defaults(),
                       .line_smooth = cg_guided_defaults(),
                       .line_smooth_passes = 2,
                       .lines = cg_xdog_defaults(),
                       .line_strength = 1.0f};
    p.smooth.radius = 6;
    p.smooth.eps = 0.02f;
    p.lines.sigma = 1.5f; /* bolder outlines around flat colour */
    return p;
}

/* `passes` of guided smoothing of in into s, which has in's size. */
static cg_status guided_passes(const cg_image *in, cg_image *s, const cg_guided_params *g, int passes,
                               cg_error *err)
{
    cg_status st = cg_filter_guided(in, s, g, err);
    for (int i = 1; i < passes && st == CG_OK; i++)
        st = cg_filter_guided(s, s, g, err);
    return st;
}

/* `passes` of guided smoothing of in into a new image; NULL pixels on failure. */
static cg_status smoothed(const cg_image *in, const cg_guided_params *g, int passes, cg_image *s,
                          const char *what, cg_error *err)
{
    *s = *in;
    s->pixels = cgf_planes(in->width, in->height, 4);
    if (!s->pixels)
        return cg_fail(err, CG_ERR_NOMEM, "%s: no memory for %dx%d", what, in->width, in->height);
    cg_status st = guided_passes(in, s, g, passes, err);
    if (st) {
        free(s->pixels);
        s->pixels = NULL;
    }
    return st;
}

cg_status cg_filter_manga(const cg_image *in, cg_image *out, const cg_manga_params *params,
                          cg_error *err)
{
    cg_manga_params p = params ? *params : cg_manga_defaults();
    p.lines.hard = true; /* the result must stay pure black and white */
    cg_status st;
    if ((st = cgf_check_images(in, out, "manga", err)) ||
        (st = cgf_guided_check(&p.smooth, err)) || (st = cgf_xdog_check(&p.lines, err)) ||
        (st = cgf_screentone_check(&p.tone, err)))
        return err ? cg_error_prefix(err, "manga") : st;
    int w = in->width, h = in->height;
    size_t n = cgf_npix(in);
    float *pl = cgf_planes(w, h, 5);
    if (!pl)
        return cg_fail(err, CG_ERR_NOMEM, "manga: no memory for %dx%d", w, h);
    cg_image s;
    if ((st = smoothed(in, &p.smooth, 1, &s, "manga", err))) {
        free(pl);
        return st;
    }
    float *Y = pl, *lines = pl + n, *tone = pl + 2 * n, *t1 = pl + 3 * n, *t2 = pl + 4 * n;
    cgf_luma_plane(&s, Y);
    free(s.pixels);
    cgf_xdog_plane(Y, lines, t1, t2, w, h, &p.lines);
    cgf_screentone_plane(Y, tone, t1, w, h, &p.tone);
    for (size_t i = 0; i < n; i++)
        tone[i] = fminf(tone[i], lines[i]);
    cgf_store_grey(in, out, tone);
    free(pl);
    return CG_OK;
}

cg_status cg_filter_cel(const cg_image *in, cg_image *out, const cg_cel_params *params,
                        cg_error *err)
{
    cg_cel_params p = params ? *params : cg_cel_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "cel", err)) ||
        (st = cgf_guided_check(&p.smooth, err)) || (st = cgf_quantize_check(&p.flatten, err)) ||
        (st = cgf_guided_check(&p.line_smooth, err)) || (st = cgf_xdog_check(&p.lines, err)) ||
        (st = cgf_check_range(p.line_strength, 0.0f, 1.0f, "line_strength", err)))
        return err ? cg_error_prefix(err, "cel") : st;
    if (p.smooth_passes < 1 || p.smooth_passes > 8)
        return cg_fail(err, CG_ERR_INVALID, "cel: smooth_passes is %d, must be in 1..8", p.smooth_passes);
    if (p.line_smooth_passes < 1 || p.line_smooth_passes > 8)
        return cg_fail(err, CG_ERR_INVALID, "cel: line_smooth_passes is %d, must be in 1..8",
                       p.line_smooth_passes);
    int w = in->width, h = in->height;
    size_t n = cgf_npix(in);
    float *pl = cgf_planes(w, h, 4);
    if (!pl)
        return cg_fail(err, CG_ERR_NOMEM, "cel: no memory for %dx%d", w, h);
    float *Y = pl, *lines = pl + n;
    cg_image s;
    if ((st = smoothed(in, &p.line_smooth, p.line_smooth_passes, &s, "cel", err))) {
        free(pl);
        return st;
    }
    cgf_luma_plane(&s, Y);
    cgf_xdog_plane(Y, lines, pl + 2 * n, pl + 3 * n, w, h, &p.lines);
    st = guided_passes(in, &s, &p.smooth, p.smooth_passes, err);
    if (st == CG_OK)
        st = cg_filter_quantize(&s, &s, &p.flatten, err);
    if (st) {
        free(s.pixels);
        free(pl);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        float m = 1.0f - p.line_strength * (1.0f - lines[i]);
        float *q = out->pixels + 4 * i;
        float alpha = in->pixels[4 * i + 3];
        for (int c = 0; c < 3; c++)
            q[c] = s.pixels[4 * i + c] * m;
        q[3] = alpha;
    }
    free(s.pixels);
    free(pl);
    return CG_OK;
}

cg_painted_params cg_painted_defaults(void)
{
    /* Chosen on training photos at their training size (~288-400 px): radius
     * 6 turns fur, grass and foliage into brush marks while windows, eyes
     * and roof edges survive. A second pass joins the marks into broader
     * strokes: the network trained on one pass gave a lightly smoothed photo
     * that is easy to miss in a thumbnail; a third posterises into flat
     * shapes (cel is the flat style). A noise floor of 0.01 keeps hazy,
     * low-contrast edges (a skyline in fog) that the paper's floor (~0.036)
     * smeared away. 1.2 saturation (around each pixel's luma, so hues stay)
     * and 1.05 contrast give paint's vividness. */
    return (cg_painted_params){
        .strokes = cg_kuwahara_defaults(), .passes = 2, .saturation = 1.2f, .contrast = 1.05f};
}

cg_status cg_filter_painted(const cg_image *in, cg_image *out, const cg_painted_params *params,
                            cg_error *err)
{
    cg_painted_params p = params ? *params : cg_painted_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "painted", err)) || (st = cgf_kuwahara_check(&p.strokes, err)) ||
        (st = cgf_check_int(p.passes, 1, 4, "passes", err)) ||
        (st = cgf_check_range(p.saturation, 0.0f, 2.0f, "saturation", err)) ||
        (st = cgf_check_range(p.contrast, 0.0f, 2.0f, "contrast", err)))
        return err ? cg_error_prefix(err, "painted") : st;
    st = cg_filter_kuwahara(in, out, &p.strokes, err);
    for (int i = 1; i < p.passes && st == CG_OK; i++)
        st = cg_filter_kuwahara(out, out, &p.strokes, err);
    if (st)
        return st;
    size_t n = cgf_npix(in);
    for (size_t i = 0; i < n && p.saturation != 1.0f; i++) {
        float *q = out->pixels + 4 * i, y = cgf_luma(q);
        for (int c = 0; c < 3; c++)
            q[c] = cgf_clamp01(y + p.saturation * (q[c] - y));
    }
    cg_contrast_params c = {.factor = p.contrast, .pivot = CG_PIVOT_MEAN};
    return cg_filter_contrast(out, out, &c, err);
}

cg_anime_params cg_anime_defaults(void)
{
    /* Chosen by looking at validation photos next to Ren'Py's anime
     * backgrounds: smoothing alone left anime models a softened photo, and
     * more of it only blurred (fur and sand got scratchy lines); superpixels
     * of about 10 px over textured areas turn foliage, brick and soup into
     * flat patches with clean borders, as painted backgrounds have, while the
     * std band 0.02..0.08 leaves skies and skin to the smoothing. Two passes
     * of radius 4 clear what grain is left while clouds, windows and faces
     * keep their shapes; 1.35 saturation and gamma 0.9 give their bright,
     * vivid colour; lines at 0.45 strength outline shapes without the cel
     * style's black ink. */
    cg_anime_params p = {.region_fill = 1.0f,
                         .regions = cg_slic_defaults(),
                         .texture_low = 0.02f,
                         .texture_high = 0.08f,
                         .smooth = cg_guided_defaults(),
                         .smooth_passes = 2,
                         .sharpen = 0.6f,
                         .sharpen_sigma = 2.0f,
                         .saturation = 1.35f,
                         .gamma = 0.9f,
                         .line_smooth = cg_guided_defaults(),
                         .lines = cg_xdog_defaults(),
                         .line_strength = 0.45f};
    p.regions.region_size = 10;
    p.regions.compactness = 20.0f;
    return p;
}

/* in with its textured areas replaced by flat superpixels of one guided
 * smoothing, blended in by a smoothstep of the 5x5 luma std (itself
 * box-averaged, so patches fade in without a speckled border), into a new
 * image *b; NULL pixels on failure. */
static cg_status fill_textures(const cg_image *in, const cg_anime_params *p, cg_image *b, cg_error *err)
{
    int w = in->width, h = in->height;
    size_t n = cgf_npix(in);
    float *pl = cgf_planes(w, h, 3);
    if (!pl)
        return cg_fail(err, CG_ERR_NOMEM, "anime: no memory for %dx%d", w, h);
    cg_status st = smoothed(in, &p->smooth, 1, b, "anime", err);
    if (st == CG_OK && (st = cg_filter_slic(b, b, &p->regions, err))) {
        free(b->pixels);
        b->pixels = NULL;
    }
    if (st) {
        free(pl);
        return st;
    }
    float *t = pl, *sq = pl + n, *tmp = pl + 2 * n;
    cgf_luma_plane(in, t);
    cgf_local_std(t, sq, tmp, w, h, 2);
    for (size_t i = 0; i < n; i++) {
        float x = cgf_clamp01((t[i] - p->texture_low) / (p->texture_high - p->texture_low));
        t[i] = x * x * (3.0f - 2.0f * x);
    }
    cgf_box_mean(t, t, tmp, w, h, 2);
    for (size_t i = 0; i < n; i++) {
        float k = p->region_fill * t[i], *q = b->pixels + 4 * i;
        const float *src = in->pixels + 4 * i;
        for (int c = 0; c < 3; c++)
            q[c] = k * q[c] + (1.0f - k) * src[c];
        q[3] = src[3];
    }
    free(pl);
    return CG_OK;
}

cg_status cg_filter_anime(const cg_image *in, cg_image *out, const cg_anime_params *params, cg_error *err)
{
    cg_anime_params p = params ? *params : cg_anime_defaults();
    cg_status st;
    if ((st = cgf_check_images(in, out, "anime", err)) ||
        (st = cgf_check_range(p.region_fill, 0.0f, 1.0f, "region_fill", err)) ||
        (st = cgf_slic_check(&p.regions, err)) ||
        (st = cgf_check_range(p.texture_low, 0.0f, 0.999f, "texture_low", err)) ||
        (st = cgf_check_range(p.texture_high, p.texture_low + 0.001f, 1.0f, "texture_high", err)) ||
        (st = cgf_guided_check(&p.smooth, err)) ||
        (st = cgf_check_int(p.smooth_passes, 1, 8, "smooth_passes", err)) ||
        (st = cgf_check_range(p.sharpen, 0.0f, 4.0f, "sharpen", err)) ||
        (st = cgf_check_above(p.sharpen_sigma, 0.0f, 32.0f, "sharpen_sigma", err)) ||
        (st = cgf_check_range(p.saturation, 0.0f, 2.0f, "saturation", err)) ||
        (st = cgf_check_above(p.gamma, 0.0f, 4.0f, "gamma", err)) ||
        (st = cgf_guided_check(&p.line_smooth, err)) || (st = cgf_xdog_check(&p.lines, err)) ||
        (st = cgf_check_range(p.line_strength, 0.0f, 1.0f, "line_strength", err)))
        return err ? cg_error_prefix(err, "anime") : st;
    if (p.region_fill > 0.0f) {
        /* The rest of the pipeline runs on the filled copy; in keeps only
         * its alpha, which the copy carries too. */
        cg_image filled;
        if ((st = fill_textures(in, &p, &filled, err)))
            return st;
        p.region_fill = 0.0f;
        st = cg_filter_anime(&filled, out, &p, err);
        free(filled.pixels);
        return st;
    }
    int w = in->width, h = in->height;
    size_t n = cgf_npix(in);
    /* lines, two scratch planes, then the three blurred channels */
    float *pl = cgf_planes(w, h, 6);
    if (!pl)
        return cg_fail(err, CG_ERR_NOMEM, "anime: no memory for %dx%d", w, h);
    float *lines = pl, *t1 = pl + n, *t2 = pl + 2 * n, *blur = pl + 3 * n;
    cg_image s;
    if ((st = smoothed(in, &p.line_smooth, 1, &s, "anime", err))) {
        free(pl);
        return st;
    }
    cgf_luma_plane(&s, t1);
    cgf_xdog_plane(t1, lines, t2, blur, w, h, &p.lines);
    /* With the defaults the lines' smoothing is the fills' first pass: the
     * fills go on from it instead of doing that pass again. */
    bool shared = p.line_smooth.radius == p.smooth.radius && p.line_smooth.eps == p.smooth.eps &&
                  p.line_smooth.guide == p.smooth.guide;
    st = shared ? CG_OK : cg_filter_guided(in, &s, &p.smooth, err);
    for (int pass = 1; pass < p.smooth_passes && st == CG_OK; pass++)
        st = cg_filter_guided(&s, &s, &p.smooth, err);
    if (st) {
        free(s.pixels);
        free(pl);
        return st;
    }
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; i < n; i++)
            t1[i] = s.pixels[4 * i + c];
        cgf_gauss_blur(t1, blur + c * n, t2, w, h, p.sharpen_sigma);
    }
    for (size_t i = 0; i < n; i++) {
        float rgb[3];
        for (int c = 0; c < 3; c++) {
            float v = s.pixels[4 * i + c];
            rgb[c] = v + p.sharpen * (v - blur[c * n + i]);
        }
        float y = cgf_luma(rgb), m = 1.0f - p.line_strength * (1.0f - lines[i]);
        float alpha = in->pixels[4 * i + 3];
        float *q = out->pixels + 4 * i;
        for (int c = 0; c < 3; c++)
            q[c] = powf(cgf_clamp01(y + p.saturation * (rgb[c] - y)), p.gamma) * m;
        q[3] = alpha;
    }
    free(s.pixels);
    free(pl);
    return CG_OK;
}
