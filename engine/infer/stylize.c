/* Stylizing images of any size: padding to the network's multiple, tiles with
 * a margin, statistics passes over the whole image (or all frames), strength,
 * post-processing, and attention maps. See comicgan/stylize.h. */
#include "comicgan/engine.h"
#include "comicgan/filters.h"
#include "comicgan/stylize.h"
#include "filters/upsample.h"
#include "infer/cache.h"
#include "infer/motion.h"
#include "infer/run.h"
#include "io/image_rows.h"
#include "io/resize.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Memory: without a budget from the caller, 768 MiB for the network's buffers
 * and the activations kept in memory between passes (see "Large images"
 * below); the images themselves and the 6-byte-a-pixel results are not
 * counted. A whole image is run at once when its buffers fit (about 3
 * megapixels for the shipped generators). Tiles get at most a quarter of the
 * budget: larger tiles save little once their margins are small beside them,
 * and the rest keeps activations out of the temporary file. */
#define TILE_SHARE 4
#define LARGEST_TILE 4096
#define MAX_STYLES 64

/* Guided upsampling of a result computed at a lower working scale: the
 * colour guide (a 3x3 model a pixel, so an outline that shows in any
 * channel of the input shows in every channel of the result) with windows
 * of 3x3 working pixels and a small eps, so that outlines follow the
 * full-size input's edges and flat areas keep the result's colours.
 * Chosen by bench/bench-upsample (10 photos of 2048 px worked at 1024, the
 * shipped styles): for the colour styles it keeps the preview within 1.1
 * levels on average with crisp region borders; luma or per-channel guides
 * give the same within 0.2 levels; wider windows (radius 2 or 4) raise the
 * edge correlation by bringing the photo's texture (fur, grain) back into
 * flat regions (cel's flat fraction gained +0.37 -> +0.32) and move the
 * result further from the preview (1.7 to 2.7 levels). A black-and-white
 * style's screentone is finer than any window: every guide broke its dots
 * into grey dashes (manga: 9 to 15 levels from the preview), while plain
 * bilinear upsampling keeps them (4.7 levels), so a mix that is mostly
 * monochrome is upsampled bilinearly. */
#define UP_GUIDE CGF_UP_COLOR
#define UP_RADIUS 1
#define UP_EPS 1e-3f

/* What resizing and upsampling cost, in network FLOPs a full-size pixel, so
 * that progress moves in proportion to the time spent (an estimate: a few
 * dozen operations a pixel each, at well below the network's GEMM rate). */
#define RESAMPLE_FLOPS_PER_PIXEL 2000.0
/* What decoding a pixel of an image file costs, in the same units (about
 * 0.02 us a pixel beside the network's 100 GFLOP/s or so); encoding costs
 * cg_io_encode_weight times that. Encoding a 64 MP PNG took a quarter of a
 * native run's time, and progress counted none of it: the last 5 % took 45 s. */
#define CODEC_FLOPS_PER_PIXEL 2000.0

cg_stylize_options cg_stylize_defaults(void)
{
    cg_stylize_options o = {.style = 0, .strength = 1.0f, .contrast = 1.0f, .lock_motion = true};
    return o;
}

cg_status cg_stylize_check_options(const cg_model *m, const cg_stylize_options *o, cg_error *err)
{
    int styles = cg_model_style_count(m);
    if ((o->code || cg_model_code_length(m)) && cg_stylize_check_code(m, o->code, err) != CG_OK)
        return err->code;
    if (cg_model_code_length(m)) {
        /* The code is the style: style and mix are not looked at. */
    } else if (!o->mix && (o->style < 0 || o->style >= styles))
        return cg_fail(err, CG_ERR_INVALID, "style %d does not exist (the model has %d)", o->style, styles);
    if (o->mix) {
        double total = 0;
        for (int s = 0; s < styles; s++) {
            if (!(o->mix[s] >= 0) || !isfinite(o->mix[s]))
                return cg_fail(err, CG_ERR_INVALID, "mix weight of \"%s\" must be a number >= 0",
                               cg_model_style(m, s)->name);
            total += o->mix[s];
        }
        if (total <= 0)
            return cg_fail(err, CG_ERR_INVALID, "mix weights are all 0");
    }
    if (!(o->strength >= 0 && o->strength <= 1))
        return cg_fail(err, CG_ERR_INVALID, "strength must be in [0, 1]");
    if (o->tile < 0 || o->tile > CG_STYLIZE_MAX_SIDE)
        return cg_fail(err, CG_ERR_INVALID, "tile must be in 0..%d", CG_STYLIZE_MAX_SIDE);
    if (!(o->line_weight >= -1 && o->line_weight <= 1))
        return cg_fail(err, CG_ERR_INVALID, "line weight must be in [-1, 1]");
    if (!(o->denoise >= 0 && o->denoise <= 1))
        return cg_fail(err, CG_ERR_INVALID, "denoise must be in [0, 1]");
    if (!(o->contrast >= 0.5f && o->contrast <= 2))
        return cg_fail(err, CG_ERR_INVALID, "contrast must be in [0.5, 2]");
    if (!(o->scale == 0 || (o->scale >= CG_STYLIZE_MIN_SCALE && o->scale <= CG_STYLIZE_MAX_SCALE)))
        return cg_fail(err, CG_ERR_INVALID, "scale must be 0 or 1 (native) or in [%g, %g], not %g",
                       (double)CG_STYLIZE_MIN_SCALE, (double)CG_STYLIZE_MAX_SCALE, (double)o->scale);
    if (o->scale_side != 0 && (o->scale_side < CG_STYLIZE_MIN_AUTO_SIDE || o->scale_side > CG_STYLIZE_MAX_SIDE))
        return cg_fail(err, CG_ERR_INVALID, "scale side must be 0 (off) or in %d..%d pixels, not %d",
                       CG_STYLIZE_MIN_AUTO_SIDE, CG_STYLIZE_MAX_SIDE, o->scale_side);
    return CG_OK;
}

double cg_stylize_scale_of(const cg_stylize_options *o, int width, int height)
{
    int side = width > height ? width : height;
    if (o->scale_side > 0)
        return side > o->scale_side ? (double)o->scale_side / side : 1.0;
    return o->scale > 0 ? o->scale : 1.0;
}

/* CG_ERR_NUMERIC naming the first pixel that is not finite in n rows of RGBA
 * (row y0 of the image first); *gray (when given) stays true only while
 * every pixel has R == G == B. */
static cg_status check_pixels(const float *p, int width, int n, int64_t y0, bool *gray, cg_error *err)
{
    for (size_t i = 0; i < (size_t)4 * width * n; i += 4) {
        const float *px = p + i;
        if (!isfinite(px[0]) || !isfinite(px[1]) || !isfinite(px[2]) || !isfinite(px[3]))
            return cg_fail(err, CG_ERR_NUMERIC, "pixel (%zu, %zu) is not a finite number", (i / 4) % width,
                           (size_t)y0 + (i / 4) / width);
        if (gray)
            *gray = *gray && px[0] == px[1] && px[0] == px[2];
    }
    return CG_OK;
}

static cg_status check_image(const cg_image *img, cg_error *err)
{
    if (!img || !img->pixels)
        return cg_fail(err, CG_ERR_INVALID, "no image");
    if (img->width < 1 || img->height < 1 || img->width > CG_STYLIZE_MAX_SIDE || img->height > CG_STYLIZE_MAX_SIDE)
        return cg_fail(err, CG_ERR_INVALID, "image %dx%d: sides must be 1..%d pixels", img->width, img->height,
                       CG_STYLIZE_MAX_SIDE);
    return check_pixels(img->pixels, img->width, img->height, 0, NULL, err);
}

/* ---- planning ------------------------------------------------------------------ */

typedef struct plan {
    int64_t mult, margin;    /* size multiple; context around a tile's centre for a pass from the input */
    int64_t tile;            /* centre side; 0: one region per image */
    size_t budget;           /* bytes: the caller's memory budget, or the default */
    double tile_bytes;       /* buffers of the largest region's run, and its input */
} plan;

static int64_t round_up(int64_t v, int64_t m)
{
    return (v + m - 1) / m * m;
}

/* The padded side: a multiple of the network's multiple, and large enough that
 * the bottleneck keeps 2 pixels (reflect padding needs them). */
static int64_t padded_side(int64_t side, int64_t mult)
{
    int64_t p = round_up(side, mult);
    return p < 2 * mult ? 2 * mult : p;
}

static int64_t margin_of(const cg_net *net)
{
    return round_up(cg_net_receptive_radius(net), cg_net_size_multiple(net));
}

int cg_stylize_tile(const cg_model *m, int tile, char *note, size_t note_len)
{
    const cg_net *net = cg_model_net(m);
    int64_t mult = cg_net_size_multiple(net), least = 2 * margin_of(net);
    if (note && note_len)
        note[0] = '\0';
    if (tile <= 0)
        return 0;
    if (tile >= least)
        return (int)round_up(tile, mult);
    if (note && note_len) {
        /* Each tile reads (tile + 2 margin)^2 pixels to write tile^2. */
        double cost = (double)(tile + least) * (tile + least) / ((double)tile * tile);
        snprintf(note, note_len,
                 "tile %d raised to %lld: smaller than twice the model's margin of %lld pixels, it would cost "
                 "%.0fx the work",
                 tile, (long long)least, (long long)(least / 2), cost);
    }
    return (int)least;
}

/* Context around a tile's centre for layered pass s (see "Large images"). */
static int64_t pass_margin(const cg_infer_plan *lp, int s, int64_t mult)
{
    int64_t m = round_up(lp->radius[s], mult);
    return m > mult ? m : mult;
}

/* Buffers of the passes over a tile of side t: the largest of the layered
 * passes' (each holds only its own layers' buffers), and the network's input. */
static double tile_bytes(const cg_net *net, const cg_infer_plan *lp, int64_t t, int64_t mult)
{
    double most = 0, input = 0; /* kept from pass to pass: the largest of each */
    for (int s = 0; s <= lp->n_points; s++) {
        int64_t side = t + 2 * pass_margin(lp, s, mult);
        double b = cg_infer_span_bytes(net, side, side, s - 1, s < lp->n_points ? s : -1);
        double x = 3.0 * (double)side * (double)side * sizeof(float);
        most = b > most ? b : most;
        input = x > input ? x : input;
    }
    return most + input;
}

static plan make_plan(const cg_model *m, const cg_image *const *in, int n, const cg_stylize_options *o,
                      const cg_infer_plan *lp)
{
    const cg_net *net = cg_model_net(m);
    plan p = {cg_net_size_multiple(net), margin_of(net), 0, o->memory_budget ? o->memory_budget : CG_STYLIZE_DEFAULT_MEMORY_BUDGET, 0};
    if (o->tile > 0) {
        p.tile = cg_stylize_tile(m, o->tile, NULL, 0);
        p.tile_bytes = tile_bytes(net, lp, p.tile, p.mult);
        return p;
    }
    bool fits = true;
    double most = 0;
    for (int i = 0; i < n && fits; i++) {
        int64_t pw = padded_side(in[i]->width, p.mult), ph = padded_side(in[i]->height, p.mult);
        double b = cg_infer_bytes(net, pw, ph) + 3.0 * (double)pw * (double)ph * sizeof(float);
        fits = b <= (double)p.budget;
        most = b > most ? b : most;
    }
    if (fits) {
        p.tile_bytes = most;
        return p;
    }
    /* The largest square tile whose passes fit their share of the budget. */
    int64_t t = LARGEST_TILE;
    while (t > 4 * p.mult && tile_bytes(net, lp, t, p.mult) > (double)p.budget / TILE_SHARE)
        t = t * 3 / 4;
    p.tile = round_up(t, p.mult);
    p.tile_bytes = tile_bytes(net, lp, p.tile, p.mult);
    return p;
}

typedef struct region {
    int64_t x0, y0, w, h;            /* in padded image coordinates */
    cg_infer_region r;               /* centre relative to the region */
} region;

/* Regions covering a padded image of pw x ph: centres tile it, regions add the
 * margin, clipped to the image. */
static GArray *make_regions(const plan *p, int64_t margin, int64_t pw, int64_t ph)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(region));
    int64_t t = p->tile > 0 ? p->tile : (pw > ph ? pw : ph);
    for (int64_t cy = 0; cy < ph; cy += t)
        for (int64_t cx = 0; cx < pw; cx += t) {
            int64_t cx1 = cx + t < pw ? cx + t : pw, cy1 = cy + t < ph ? cy + t : ph;
            region g;
            g.x0 = cx - margin > 0 ? cx - margin : 0;
            g.y0 = cy - margin > 0 ? cy - margin : 0;
            int64_t x1 = cx1 + margin < pw ? cx1 + margin : pw;
            int64_t y1 = cy1 + margin < ph ? cy1 + margin : ph;
            g.w = x1 - g.x0;
            g.h = y1 - g.y0;
            /* a clipped region may be thinner than two bottleneck pixels: widen it inward */
            if (g.w < 2 * p->mult)
                g.x0 = (g.w = 2 * p->mult, pw - g.w);
            if (g.h < 2 * p->mult)
                g.y0 = (g.h = 2 * p->mult, ph - g.h);
            g.r = (cg_infer_region){g.w, g.h, cx - g.x0, cy - g.y0, cx1 - g.x0, cy1 - g.y0};
            g_array_append_val(a, g);
        }
    return a;
}

/* Mirror index into [0, n): the padding beyond the image reflects it (and
 * repeats it where the image is narrower than the padding). */
static int64_t mirror(int64_t i, int64_t n)
{
    if (n == 1)
        return 0;
    int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

/* An image file open for one read from top to bottom. */
typedef struct file_pass {
    int fd;
    cg_io_source src;
    cg_io_rows *rows;
} file_pass;

static cg_status open_pass(file_pass *f, const char *path, cg_error *err)
{
    memset(f, 0, sizeof *f);
    if ((f->fd = cg_io_open_image_file(path, err)) < 0)
        return err ? err->code : CG_ERR_IO;
    f->src = (cg_io_source){.fd = f->fd, .name = path};
    if (!(f->rows = cg_io_rows_open(&f->src, err))) {
        close(f->fd);
        f->fd = -1;
        return err ? err->code : CG_ERR_FORMAT;
    }
    return CG_OK;
}

static void close_pass(file_pass *f)
{
    cg_io_rows_close(f->rows);
    if (f->fd >= 0)
        close(f->fd);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

/* The file read again from the top, as it was the first time: a file that
 * changed size in between is CG_ERR_IO. */
static cg_status reopen_pass(file_pass *f, const char *path, int width, int height, cg_error *err)
{
    close_pass(f);
    cg_status st = open_pass(f, path, err);
    if (st == CG_OK && (f->rows->width != width || f->rows->height != height))
        st = cg_fail(err, CG_ERR_IO, "%s: the file changed while it was read", path);
    return st;
}

/* A frame read from its file by rows, for a job that streams (see
 * cg_stylize_file): the rows the current region reads are held, read again
 * from the file's start when a pass goes back to the top. As rows come in
 * they are checked (finite) and looked at (gray). */
typedef struct row_window {
    const char *path;
    file_pass file;  /* the current sweep */
    int width, height;
    float *rows;     /* rows first .. first + count - 1, RGBA */
    int cap, first, count;
    bool gray;       /* every pixel read so far has R == G == B */
    double *done;    /* progress: decoding rows adds its work here, or NULL */
} row_window;

/* Forgets the rows below a. */
static void window_drop_below(row_window *w, int a)
{
    int drop = a - w->first < w->count ? a - w->first : w->count;
    if (drop <= 0)
        return;
    memmove(w->rows, w->rows + (size_t)4 * w->width * drop, (size_t)4 * w->width * (w->count - drop) * sizeof(float));
    w->count -= drop;
    w->first = w->count > 0 ? w->first + drop : w->file.rows->next;
}

/* Rows a .. b - 1 in the window (b - a <= cap). */
static cg_status window_need(row_window *w, int a, int b, cg_error *err)
{
    if (a < w->first || !w->file.rows) {
        cg_status st = reopen_pass(&w->file, w->path, w->width, w->height, err);
        if (st != CG_OK)
            return st;
        w->first = w->count = 0;
    }
    for (;;) {
        /* Rows below a, held or passed over on the way, make room. */
        window_drop_below(w, a);
        if (w->first + w->count >= b)
            return CG_OK;
        float *dst = w->rows + (size_t)4 * w->width * w->count;
        int n = b - (w->first + w->count);
        n = n < w->cap - w->count ? n : w->cap - w->count;
        cg_status st = cg_io_rows_read(w->file.rows, dst, n, err);
        if (st == CG_OK)
            st = check_pixels(dst, w->width, n, w->first + w->count, &w->gray, err);
        if (st != CG_OK)
            return st;
        w->count += n;
        if (w->done)
            *w->done += CODEC_FLOPS_PER_PIXEL * w->width * n;
    }
}

static const float *window_row(const row_window *w, int y)
{
    return w->rows + (size_t)4 * w->width * (y - w->first);
}

/* ---- running passes ------------------------------------------------------------ */

typedef struct progress {
    const cg_stylize_options *o;
    double total, done_before;
    double fixed_total; /* > 0: the whole call's work, set by the caller (run_all leaves total alone) */
    double reported;    /* the largest fraction reported: a pass run again does not move it back */
} progress;

static bool layer_done(void *user, double flops)
{
    progress *p = user;
    if (!p->o->progress)
        return true;
    double f = p->total > 0 ? (p->done_before + flops) / p->total : 0;
    f = f < 1 ? f : 1;
    p->reported = f > p->reported ? f : p->reported;
    return p->o->progress(p->o->progress_data, (float)p->reported);
}

typedef struct job {
    const cg_model *m;
    const cg_net *net;
    const cg_image *const *in;
    int n;
    const cg_stylize_options *o;
    float style[MAX_STYLES];
    int attention_point;
    plan p;
    cg_infer_plan *lp;      /* the network's points, their states and each layered pass's context */
    GArray **regions;       /* per frame, for a pass from the input */
    cg_infer_stats *stats;
    progress prog;
    float *x;               /* the largest region's input */
    cg_infer_workspace ws;  /* the executor's buffers, kept from one region to the next */
    bool identity_blend;    /* add (1 - strength) * (input - identity style's output) */
    float monochrome;       /* how far the network's colours are taken to gray, 0 to 1 */
    cg_infer_stats *given;  /* statistics to apply instead of collecting (not owned) */
    row_window *win;        /* the one frame's rows, when streaming from its file (not owned) */
} job;

struct cg_stylize_stats {
    float style[MAX_STYLES];   /* the style weights they were computed for */
    cg_infer_stats *main;      /* for those weights */
    cg_infer_stats *identity;  /* for the identity style, when strength corrects toward it */
    int n;                     /* frames they were computed over */
    int *dx, *dy;              /* each frame's phase under the motion lock (all 0 without) */
};

/* What becomes of a region's result; a failure (err already filled) stops the run. */
typedef cg_status (*result_fn)(job *j, int frame, const region *g, const cg_infer_result *res, void *ctx);

/* The image rows lo..last a region reads: its own, and past the bottom the
 * ones the padding mirrors. */
static void region_rows(const region *g, int64_t H, int64_t *lo, int64_t *last)
{
    *last = g->y0 + g->h - 1 < H ? g->y0 + g->h - 1 : H - 1;
    *lo = *last;
    for (int64_t y = g->y0; y < g->y0 + g->h; y++)
        *lo = mirror(y, H) < *lo ? mirror(y, H) : *lo;
}

/* The network's input for a region of frame i: RGB in [-1, 1], planar. */
static cg_status fill_region(job *j, int i, const region *g, float *x, cg_error *err)
{
    const cg_image *img = j->in[i];
    const int W = img->width, H = img->height;
    if (j->win) {
        int64_t lo, last;
        region_rows(g, H, &lo, &last);
        cg_status st = window_need(j->win, (int)lo, (int)last + 1, err);
        if (st != CG_OK)
            return st;
    }
    int64_t plane = g->w * g->h;
    for (int64_t y = 0; y < g->h; y++) {
        int64_t sy = mirror(g->y0 + y, H);
        const float *row = j->win ? window_row(j->win, (int)sy) : cg_image_at(img, 0, (int)sy);
        for (int64_t xx = 0; xx < g->w; xx++) {
            const float *px = row + 4 * mirror(g->x0 + xx, W);
            for (int c = 0; c < 3; c++)
                x[c * plane + y * g->w + xx] = 2.0f * px[c] - 1.0f;
        }
    }
    return CG_OK;
}

static double pass_flops(const job *j, int stop_after)
{
    double f = 0;
    for (int i = 0; i < j->n; i++)
        for (guint k = 0; k < j->regions[i]->len; k++) {
            const region *g = &g_array_index(j->regions[i], region, k);
            f += cg_infer_flops(j->net, g->w, g->h, stop_after);
        }
    return f;
}

static bool single_region(const job *j)
{
    return j->n == 1 && j->regions[0]->len == 1;
}

/* Runs every region of every frame once in mode from the input; for APPLY,
 * on_result gets each region's output. */
static cg_status run_pass(job *j, cg_infer_mode mode, result_fn on_result, void *ctx, cg_error *err)
{
    cg_infer_request req = {.mode = mode, .stats = j->stats, .style_weights = j->style,
                            .attention_point = j->attention_point, .layer_done = layer_done, .user = &j->prog,
                            .resume = -1, .workspace = &j->ws};
    for (int i = 0; i < j->n; i++)
        for (guint k = 0; k < j->regions[i]->len; k++) {
            const region *g = &g_array_index(j->regions[i], region, k);
            cg_infer_result res = {0};
            cg_status st = fill_region(j, i, g, j->x, err);
            if (st == CG_OK)
                st = cg_infer_run(j->net, j->x, &g->r, &req, &res, err);
            if (st == CG_OK && on_result)
                st = on_result(j, i, g, &res, ctx);
            g_free(res.image);
            g_free(res.attention);
            if (st != CG_OK)
                return st;
            j->prog.done_before += cg_infer_flops(j->net, g->w, g->h, -1);
        }
    return CG_OK;
}

/* ---- large images: layered passes -------------------------------------------------
 *
 * A tiled result must equal the whole-image result, so every global statistic
 * (a normalization's mean and variance, attention pooling) is computed over
 * the whole image before any pixel past it is used. The network's statistic
 * points cut it into n_points + 1 passes: pass s runs every tile from point
 * s - 1 (pass 0: from the input) up to point s, adding that point's sums over
 * the tile's centre; once every tile is done, point s's statistics are
 * complete and pass s + 1 can apply them. The last pass runs to the output.
 *
 * Starting every pass from the input would cost the sum over s of the layers
 * up to s: several whole passes for a deep network. Instead each pass ends by
 * storing the centre of every tensor live at its point (the point's
 * activation, and the tensors the network keeps across points: a residual
 * block's input, a U-Net's skips; cg_infer_plan lists them) into the
 * activation cache (cache.h), and the next pass starts from there: it reads
 * its tile from the cache with a margin of only its own layers' reach
 * (cg_infer_plan's radius), so the total work stays near one whole pass.
 * Only two points' tensors are live at a time; the cache keeps them as 16-bit
 * floats in memory up to the budget and in unlinked temporary files beyond it.
 *
 * Progress counts the FLOPs of the layers each pass runs, so it moves with
 * the work. Cancelling or failing drops the cache (and its files) and leaves
 * the outputs alone, as everywhere else. Frames sharing statistics are
 * simply more tiles of the same passes. Images that fit run whole in one pass,
 * and statistics given by the caller need one pass from the input. */

typedef struct layered {
    job *j;
    cg_act_cache *cache;
    int frame;          /* the region being run */
    const region *g;
    bool all_exact;     /* every tensor as 32-bit floats, after a 16-bit one overflowed */
} layered;

static int64_t *frame_sides(const job *j, int64_t scale, bool height)
{
    int64_t *v = g_new(int64_t, (gsize)j->n);
    for (int i = 0; i < j->n; i++)
        v[i] = padded_side(height ? j->in[i]->height : j->in[i]->width, j->p.mult) / scale;
    return v;
}

static bool cache_load(void *user, int key, float *d, int64_t channels, int64_t h, int64_t w, int64_t scale,
                       cg_error *err)
{
    layered *l = user;
    return cg_act_cache_get(l->cache, key, l->frame, d, l->g->x0 / scale, l->g->y0 / scale, w, h, err) == CG_OK;
}

/* Which tensors the cache keeps exactly. Measured on the test networks
 * (tests/infer, tiled against whole): with every tensor as 16-bit floats the
 * results differ by up to 5.8/1000, beyond the 1/255 a tiled result may differ
 * by (errors in pre-normalization activations grow through every later
 * normalization, and a post stage's bands steepen them); with the points'
 * activations as 32-bit floats and only the kept tensors (a residual block's
 * input, a U-Net's skips) as 16-bit, by at most 1/1000. */
static bool exact_key(int key)
{
    return key < CG_INFER_MAX_POINTS;
}

/* The cache's entry for a tensor of the state, made at its first store. */
static cg_status cache_entry(const job *j, cg_act_cache *cache, int key, int64_t channels, int64_t scale,
                             bool all_exact, cg_error *err)
{
    if (cg_act_cache_has(cache, key))
        return CG_OK;
    int64_t *fw = frame_sides(j, scale, false), *fh = frame_sides(j, scale, true);
    int64_t columns = j->p.tile > 0 && j->p.tile % scale == 0 ? j->p.tile / scale : 0; /* the regions' centres */
    cg_status st = cg_act_cache_add(cache, key, channels, fh, fw, all_exact || exact_key(key), columns, err);
    g_free(fw);
    g_free(fh);
    return st;
}

/* After pass s: the state at point s is what the next pass needs, sealed;
 * anything else is done with. */
static void end_pass(const cg_infer_plan *lp, cg_act_cache *cache, int s)
{
    for (int key = 0; key < 3 * CG_INFER_MAX_POINTS; key++) {
        bool keep = false;
        for (int t = 0; t < lp->state[s].n; t++)
            keep = keep || lp->state[s].t[t].key == key;
        if (keep)
            cg_act_cache_seal(cache, key);
        else
            cg_act_cache_drop(cache, key);
    }
}

/* Memory left for the cache once the tiles' buffers are counted. */
static size_t cache_room(const job *j)
{
    double room = (double)j->p.budget - j->p.tile_bytes;
    return room > 0 ? (size_t)room : 0;
}

static bool cache_store(void *user, int key, const float *d, int64_t channels, int64_t h, int64_t w, int64_t scale,
                        cg_error *err)
{
    layered *l = user;
    if (cache_entry(l->j, l->cache, key, channels, scale, l->all_exact, err) != CG_OK)
        return false;
    if (cg_act_cache_sealed(l->cache, key)) /* kept from an earlier point, unchanged since */
        return true;
    const region *g = l->g;
    int64_t ox = g->x0 / scale, oy = g->y0 / scale;
    return cg_act_cache_put(l->cache, key, l->frame, d, h, w, ox, oy, ox + g->r.cx0 / scale, oy + g->r.cy0 / scale,
                            ox + g->r.cx1 / scale, oy + g->r.cy1 / scale, err) == CG_OK;
}

static GArray *pass_regions(const job *j, int s, int frame)
{
    return make_regions(&j->p, pass_margin(j->lp, s, j->p.mult), padded_side(j->in[frame]->width, j->p.mult),
                        padded_side(j->in[frame]->height, j->p.mult));
}

static double layered_flops(const job *j, int passes)
{
    double f = 0;
    for (int s = 0; s < passes; s++)
        for (int i = 0; i < j->n; i++) {
            GArray *a = pass_regions(j, s, i);
            for (guint k = 0; k < a->len; k++) {
                const region *g = &g_array_index(a, region, k);
                f += cg_infer_span_flops(j->net, g->w, g->h, s - 1, s < j->lp->n_points ? s : -1);
            }
            g_array_free(a, TRUE);
        }
    return f;
}

/* The cache's peak bytes in memory and in files as run_layered fills it,
 * counted by a dry cache. */
static cg_status planned_cache(const job *j, size_t *ram, size_t *file, cg_error *err)
{
    cg_act_cache *c = cg_act_cache_new(cache_room(j), j->n, true);
    cg_status st = CG_OK;
    for (int s = 0; s < j->lp->n_points && st == CG_OK; s++) {
        for (int t = 0; t < j->lp->state[s].n && st == CG_OK; t++)
            st = cache_entry(j, c, j->lp->state[s].t[t].key, j->lp->state[s].t[t].channels,
                             j->lp->state[s].t[t].scale, false, err);
        end_pass(j->lp, c, s);
    }
    *ram = cg_act_cache_peak_ram(c);
    *file = cg_act_cache_peak_file(c);
    cg_act_cache_free(c);
    return st;
}

/* Passes 0..passes-1 (all n_points + 1 of them to produce pixels, n_points
 * for the statistics alone); on_result gets every region's result, whose
 * image is there in the last pass only. */
static cg_status run_layered(job *j, int passes, result_fn on_result, void *ctx, cg_error *err)
{
    const cg_infer_plan *lp = j->lp;
    /* A disk too small for the spilled activations fails now, not after
     * minutes of work (a disk filled by others meanwhile still fails cleanly
     * when a write does). */
    size_t ram = 0, file = 0;
    cg_status st = planned_cache(j, &ram, &file, err);
    if (st == CG_OK)
        st = cg_act_cache_check_room((double)file, err);
    if (st != CG_OK)
        return st;
    layered l = {j, cg_act_cache_new(cache_room(j), j->n, false), 0, NULL, false};
    cg_infer_io io = {cache_load, cache_store, &l};
    for (int s = 0; s < passes && st == CG_OK; s++) {
        bool last = s == lp->n_points;
        const double done_before_pass = j->prog.done_before;
        cg_infer_request req = {.mode = last ? CG_INFER_APPLY : CG_INFER_COLLECT, .collect = s, .stats = j->stats,
                                .style_weights = j->style, .attention_point = j->attention_point,
                                .layer_done = layer_done, .user = &j->prog, .resume = s - 1, .io = &io,
                                .workspace = &j->ws};
        for (int i = 0; i < j->n && st == CG_OK; i++) {
            GArray *a = pass_regions(j, s, i);
            for (guint k = 0; k < a->len && st == CG_OK; k++) {
                const region *g = &g_array_index(a, region, k);
                l.frame = i;
                l.g = g;
                if (s == 0 || last) /* the input is read by the first layers and, at the end, the residual */
                    st = fill_region(j, i, g, j->x, err);
                cg_infer_result res = {0};
                if (st == CG_OK)
                    st = cg_infer_run(j->net, j->x, &g->r, &req, &res, err);
                if (st == CG_OK && on_result)
                    st = on_result(j, i, g, &res, ctx);
                g_free(res.image);
                g_free(res.attention);
                j->prog.done_before += cg_infer_span_flops(j->net, g->w, g->h, s - 1, last ? -1 : s);
            }
            g_array_free(a, TRUE);
        }
        if (st != CG_OK || last)
            break;
        if (cg_act_cache_overflowed(l.cache) && !l.all_exact) {
            /* A kept tensor went beyond 16-bit floats: this pass again, with
             * what it stores (and everything after) as 32-bit floats. What
             * earlier passes stored was within range. */
            for (int t = 0; t < lp->state[s].n; t++)
                if (!cg_act_cache_sealed(l.cache, lp->state[s].t[t].key))
                    cg_act_cache_drop(l.cache, lp->state[s].t[t].key);
            cg_act_cache_clear_overflow(l.cache);
            cg_infer_stats_clear_point(&j->stats->point[s]);
            j->prog.done_before = done_before_pass; /* progress waits for the pass to catch up */
            l.all_exact = true;
            s--;
            continue;
        }
        cg_infer_stats_finish(j->stats, s);
        end_pass(lp, l.cache, s);
    }
    cg_act_cache_free(l.cache);
    return st;
}

/* The work of the statistics and the final pass (see run_all). */
static double run_cost(const job *j)
{
    if (j->given || single_region(j))
        return pass_flops(j, -1);
    return layered_flops(j, j->lp->n_points + 1);
}

/* The statistics (given, or from one whole-image run, or from layered
 * passes), and the pixels. */
static cg_status run_all(job *j, result_fn on_result, void *ctx, cg_error *err)
{
    j->prog.total = j->prog.fixed_total > 0 ? j->prog.fixed_total : run_cost(j);
    if (j->given) {
        cg_infer_stats *own = j->stats;
        j->stats = j->given;
        cg_status st = run_pass(j, CG_INFER_APPLY, on_result, ctx, err);
        j->stats = own;
        return st;
    }
    if (single_region(j))
        return run_pass(j, CG_INFER_WHOLE, on_result, ctx, err);
    return run_layered(j, j->lp->n_points + 1, on_result, ctx, err);
}

static void job_free(job *j)
{
    if (j->regions)
        for (int i = 0; i < j->n; i++)
            if (j->regions[i])
                g_array_free(j->regions[i], TRUE);
    g_free(j->regions);
    cg_infer_stats_free(j->stats);
    g_free(j->lp);
    g_free(j->x);
    cg_aligned_free(j->ws.data);
}

/* Style weights: the mix (or one style), pulled toward the identity style by strength. */
static void mix_weights(job *j, const cg_model *m, const cg_stylize_options *o)
{
    int styles = cg_model_style_count(m), identity = cg_model_identity_style(m);
    double total = 0;
    for (int s = 0; s < styles; s++)
        total += o->mix ? o->mix[s] : (s == o->style);
    for (int s = 0; s < styles; s++) {
        j->style[s] = (float)((o->mix ? o->mix[s] : (s == o->style)) / total);
        if (cg_model_style(m, s)->monochrome)
            j->monochrome += j->style[s];
    }
    if (identity >= 0 && o->strength < 1) {
        /* Strength already leads the network back toward the input's colours. */
        j->monochrome *= o->strength;
        for (int s = 0; s < styles; s++)
            j->style[s] *= o->strength;
        j->style[identity] += 1 - o->strength;
        j->identity_blend = o->strength > 0;
    }
}

static cg_status job_init(job *j, const cg_model *m, const cg_image *const *in, int n, const cg_stylize_options *o,
                          int attention_point, cg_error *err)
{
    memset(j, 0, sizeof *j);
    j->m = m;
    j->net = cg_model_net(m);
    j->in = in;
    j->n = n;
    j->o = o;
    j->attention_point = attention_point;
    j->prog.o = o;
    if (n < 1)
        return cg_fail(err, CG_ERR_INVALID, "no images");
    cg_status st = cg_engine_init(err);
    if (st == CG_OK)
        st = cg_stylize_check_options(m, o, err);
    /* A frame streamed from its file has no pixels here: its rows are
     * checked as they are read (row_window). */
    for (int i = 0; i < n && st == CG_OK; i++)
        st = in[i]->pixels ? check_image(in[i], err) : CG_OK;
    if (st != CG_OK)
        return st;
    if (strcmp(cg_net_type(j->net), "patchgan") == 0)
        return cg_fail(err, CG_ERR_INVALID, "the model is a discriminator, not a generator");

    const char *type = cg_net_type(j->net);
    if (strcmp(type, "resnet") != 0 && strcmp(type, "unet") != 0)
        return cg_fail(err, CG_ERR_INVALID, "the model is a %s, not a generator", type);
    if (o->code)
        /* A reference model's code is its style weights as they are: real
         * values of any sign, not a mix. It has no identity style, so strength
         * blends with the input (finish_pixel). */
        memcpy(j->style, o->code + CG_PALETTE_LENGTH,
               (size_t)(cg_model_code_length(m) - CG_PALETTE_LENGTH) * sizeof *o->code);
    else
        mix_weights(j, m, o);

    j->lp = cg_infer_plan_new(j->net);
    j->p = make_plan(m, in, n, o, j->lp);
    j->regions = g_new0(GArray *, (gsize)n);
    int64_t largest = 0;
    for (int i = 0; i < n; i++) {
        j->regions[i] = make_regions(&j->p, j->p.margin, padded_side(in[i]->width, j->p.mult),
                                     padded_side(in[i]->height, j->p.mult));
        for (int s = -1; s <= j->lp->n_points && (s < 0 || !single_region(j)); s++) {
            GArray *a = s < 0 ? j->regions[i] : pass_regions(j, s, i);
            for (guint k = 0; k < a->len; k++) {
                const region *g = &g_array_index(a, region, k);
                largest = g->w * g->h > largest ? g->w * g->h : largest;
            }
            if (s >= 0)
                g_array_free(a, TRUE);
        }
    }
    if (!(j->x = g_try_malloc((gsize)largest * 3 * sizeof(float))))
        return cg_fail(err, CG_ERR_NOMEM, "out of memory for the network's input");
    if (!(j->stats = cg_infer_stats_new(j->net, err)))
        return err ? err->code : CG_ERR_NOMEM;
    return CG_OK;
}

/* ---- working scale ------------------------------------------------------------- */

/* The images the network sees: in[i] itself at native scale, else a resized
 * copy (own[i], freed by free_working). */
typedef struct working {
    const cg_image **img;
    cg_image **own;
    int n;
    bool any;      /* some frame is resized */
    double pixels; /* full-size pixels of the resized frames */
} working;

static void free_working(working *w)
{
    for (int i = 0; w->own && i < w->n; i++)
        cg_image_free(w->own[i]);
    g_free(w->own);
    g_free(w->img);
    memset(w, 0, sizeof *w);
}

/* Checks the options and, where a scale is asked for, every image (so that
 * errors name the caller's pixels, not the copy's), then resizes. */
static cg_status make_working(const cg_model *m, const cg_image *const *in, int n, const cg_stylize_options *o,
                              working *w, cg_error *err)
{
    memset(w, 0, sizeof *w);
    w->n = n;
    w->img = g_new0(const cg_image *, (gsize)(n > 0 ? n : 1));
    w->own = g_new0(cg_image *, (gsize)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        w->img[i] = in[i];
    bool scaled = o->scale_side > 0 || (o->scale > 0 && o->scale != 1);
    if (!scaled || n < 1)
        return CG_OK;
    cg_status st = cg_stylize_check_options(m, o, err);
    for (int i = 0; i < n && st == CG_OK; i++)
        st = check_image(in[i], err);
    for (int i = 0; i < n && st == CG_OK; i++) {
        double sc = cg_stylize_scale_of(o, in[i]->width, in[i]->height);
        double ww = fmax(1, round(in[i]->width * sc)), hh = fmax(1, round(in[i]->height * sc));
        if (ww > CG_STYLIZE_MAX_SIDE || hh > CG_STYLIZE_MAX_SIDE)
            st = cg_fail(err, CG_ERR_INVALID, "at scale %g the %dx%d image would be %.0fx%.0f pixels; at most %d a side",
                         sc, in[i]->width, in[i]->height, ww, hh, CG_STYLIZE_MAX_SIDE);
        else if ((int)ww != in[i]->width || (int)hh != in[i]->height) {
            if (!(w->own[i] = cg_image_resize(in[i], (int)ww, (int)hh, err)))
                st = err ? err->code : CG_ERR_NOMEM;
            w->img[i] = w->own[i];
            w->any = true;
            w->pixels += (double)in[i]->width * in[i]->height;
        }
    }
    if (st != CG_OK)
        free_working(w);
    return st;
}

/* ---- stylize ------------------------------------------------------------------ */

/* The network's RGB for every frame is kept as 16-bit samples until the whole
 * call has succeeded: 6 bytes a pixel instead of 16, and 1/65535 is far below
 * the 1/255 that matters. */
typedef struct rgb16 {
    uint16_t *px; /* width * height * 3 */
    int width, height;
} rgb16;

/* A network output value (in [-1, 1]) as a 16-bit sample. */
static inline uint16_t sample16(float v)
{
    v = 0.5f * (v + 1.0f);
    return (uint16_t)lrintf((v < 0 ? 0 : v > 1 ? 1 : v) * 65535.0f);
}

/* A region's result, its centre within width x height, into dst: 16-bit RGB
 * rows of width pixels, the first being image row row0. */
static void put_centre(const region *g, const cg_infer_result *res, uint16_t *dst, int64_t width, int64_t height,
                       int64_t row0)
{
    const cg_infer_region *r = &g->r;
    int64_t plane = g->w * g->h;
    for (int64_t y = r->cy0; y < r->cy1 && g->y0 + y < height; y++)
        for (int64_t x = r->cx0; x < r->cx1 && g->x0 + x < width; x++) {
            uint16_t *px = dst + ((g->y0 + y - row0) * width + g->x0 + x) * 3;
            for (int c = 0; c < 3; c++)
                px[c] = sample16(res->image[c * plane + y * g->w + x]);
        }
}

static cg_status write_centre(job *j, int frame, const region *g, const cg_infer_result *res, void *ctx)
{
    (void)j;
    if (res->image) {
        rgb16 *out = &((rgb16 *)ctx)[frame];
        put_centre(g, res, out->px, out->width, out->height, 0);
    }
    return CG_OK;
}

static rgb16 *new_results(const job *j, cg_error *err)
{
    rgb16 *r = g_new0(rgb16, (gsize)j->n);
    for (int i = 0; i < j->n; i++) {
        r[i].width = j->in[i]->width;
        r[i].height = j->in[i]->height;
        if (!(r[i].px = g_try_malloc((gsize)r[i].width * r[i].height * 3 * sizeof(uint16_t)))) {
            cg_fail(err, CG_ERR_NOMEM, "out of memory for a %dx%d result", r[i].width, r[i].height);
            for (int k = 0; k <= i; k++)
                g_free(r[k].px);
            g_free(r);
            return NULL;
        }
    }
    return r;
}

static void free_results(rgb16 *r, int n)
{
    if (!r)
        return;
    for (int i = 0; i < n; i++)
        g_free(r[i].px);
    g_free(r);
}

/* A working-size result as an image, for the upsampler. */
static cg_image *result_image(const rgb16 *r, cg_error *err)
{
    cg_image *p = cg_image_new(r->width, r->height, err);
    for (size_t i = 0; p && i < (size_t)r->width * r->height; i++)
        for (int c = 0; c < 3; c++)
            p->pixels[4 * i + c] = r->px[3 * i + c] / 65535.0f;
    return p;
}

/* The guided upsampler of a working-size result, fitted against the input's
 * working copy: bilinear for a mix that is mostly monochrome (see UP_GUIDE). */
static cgf_upsampler *result_upsampler(const job *j, const cg_image *low_in, const rgb16 *low, cg_error *err)
{
    cg_image *p = result_image(low, err);
    const cgf_up_guide guide = j->monochrome >= 0.5f ? CGF_UP_BILINEAR : UP_GUIDE;
    cgf_upsampler *u = p ? cgf_upsampler_new(low_in, p, UP_RADIUS, UP_EPS, guide, err) : NULL;
    cg_image_free(p);
    if (!u && err && err->code == CG_OK)
        cg_fail(err, CG_ERR_NOMEM, "out of memory for guided upsampling");
    return u;
}

/* One frame's network result at the working size brought back to the full
 * size of `full`: guided upsampling from a smaller working size (in bands
 * of rows, reporting progress and honouring cancellation between them), an
 * antialiased downscale from a larger one. */
static cg_status bring_back_frame(job *j, const cg_image *full, const cg_image *low_in, const rgb16 *low, rgb16 *dst,
                                  cg_error *err)
{
    cg_status st = CG_OK;
    const int W = full->width, H = full->height;
    if (low->width > W || low->height > H) {
        cg_image *p = result_image(low, err);
        cg_image *back = p ? cg_image_resize(p, W, H, err) : NULL;
        cg_image_free(p);
        if (!back)
            st = err ? err->code : CG_ERR_NOMEM;
        for (size_t i = 0; back && i < (size_t)W * H; i++)
            for (int c = 0; c < 3; c++) {
                float v = back->pixels[4 * i + c];
                dst->px[3 * i + c] = (uint16_t)lrintf((v < 0 ? 0 : v > 1 ? 1 : v) * 65535.0f);
            }
        cg_image_free(back);
        j->prog.done_before += RESAMPLE_FLOPS_PER_PIXEL * W * H;
        if (st == CG_OK && !layer_done(&j->prog, 0))
            st = cg_fail(err, CG_ERR_CANCELLED, "cancelled");
    } else {
        cgf_upsampler *u = result_upsampler(j, low_in, low, err);
        if (!u)
            st = err ? err->code : CG_ERR_NOMEM;
        int band = H / 16 > 64 ? H / 16 : 64;
        for (int y = 0; y < H && st == CG_OK; y += band) {
            int y1 = y + band < H ? y + band : H;
            if (!cgf_upsampler_apply(u, cg_image_at(full, 0, y), W, H, y, y1, dst->px + (size_t)3 * W * y))
                st = cg_fail(err, CG_ERR_NOMEM, "out of memory for guided upsampling");
            j->prog.done_before += RESAMPLE_FLOPS_PER_PIXEL * W * (y1 - y);
            if (st == CG_OK && !layer_done(&j->prog, 0))
                st = cg_fail(err, CG_ERR_CANCELLED, "cancelled");
        }
        cgf_upsampler_free(u);
    }
    return st;
}

/* Every resized frame's result brought back to its full size; native
 * frames' results are moved over as they are. *full is NULL on error. */
static cg_status bring_back(job *j, const cg_image *const *in, const working *w, rgb16 *res, rgb16 **full,
                            cg_error *err)
{
    const cg_image *const *work = j->in;
    j->in = in;
    *full = new_results(j, err);
    j->in = work;
    if (!*full)
        return err ? err->code : CG_ERR_NOMEM;
    cg_status st = CG_OK;
    for (int i = 0; i < j->n && st == CG_OK; i++) {
        if (!w->own[i]) {
            g_free((*full)[i].px);
            (*full)[i] = res[i];
            res[i].px = NULL;
        } else {
            st = bring_back_frame(j, in[i], w->img[i], &res[i], &(*full)[i], err);
        }
    }
    if (st != CG_OK) {
        free_results(*full, j->n);
        *full = NULL;
    }
    return st;
}

/* The identity style's output, for the strength correction (see finish_pixel):
 * every region's result to on_result. */
static cg_status run_identity(job *j, cg_infer_stats *identity_stats, result_fn on_result, void *ctx, cg_error *err)
{
    float keep[MAX_STYLES];
    memcpy(keep, j->style, sizeof keep);
    memset(j->style, 0, sizeof j->style);
    j->style[cg_model_identity_style(j->m)] = 1;
    cg_infer_stats_clear(j->stats);
    cg_infer_stats *given = j->given;
    if (given)
        j->given = identity_stats;
    cg_status st = run_all(j, on_result, ctx, err);
    j->given = given;
    memcpy(j->style, keep, sizeof keep);
    return st;
}

/* A reference code's palette, when the output is to take it. */
static const float *palette_of(const cg_stylize_options *o)
{
    return o->code && !o->keep_colors ? o->code : NULL;
}

static bool wants_post(const cg_stylize_options *o)
{
    return o->keep_colors || palette_of(o) || o->line_weight != 0 || o->denoise > 0 || o->contrast != 1;
}

/* Rec. 709 luma. */
static inline float luma(const float *rgb)
{
    return 0.2126f * rgb[0] + 0.7152f * rgb[1] + 0.0722f * rgb[2];
}

/* Luma into all three channels: a gray input gives a gray output. */
static inline void make_gray(float *rgb)
{
    rgb[0] = rgb[1] = rgb[2] = luma(rgb);
}

/* One output pixel from the network's result: monochrome styles' colours to
 * gray (a monochrome style is black and white by definition, and a network
 * leaves faint colour fringes), strength (blending where the
 * model has no identity style; with one, adding (1 - s) * (input - identity
 * output), which makes strength 0 give the input exactly and keeps the path
 * from 0 as smooth as the rest), gray kept gray, alpha from the input. Safe
 * when out and in are the same pixel. */
static void finish_pixel(const job *j, const float *in, const uint16_t *res, const uint16_t *ident, bool gray,
                         float *out)
{
    float s = j->o->strength, v[3];
    for (int c = 0; c < 3; c++)
        v[c] = res[c] / 65535.0f;
    if (j->monochrome > 0) {
        float y = luma(v);
        for (int c = 0; c < 3; c++)
            v[c] += j->monochrome * (y - v[c]);
    }
    for (int c = 0; c < 3; c++) {
        if (ident)
            v[c] += (1 - s) * (in[c] - ident[c] / 65535.0f);
        else if (s < 1)
            v[c] = s * v[c] + (1 - s) * in[c];
        v[c] = v[c] < 0 ? 0 : v[c] > 1 ? 1 : v[c];
    }
    if (gray)
        make_gray(v);
    float alpha = in[3];
    out[0] = v[0];
    out[1] = v[1];
    out[2] = v[2];
    out[3] = alpha;
}

/* The post-processing steps on a finished frame (alpha is left as it is). */
static cg_status post_process(const cg_stylize_options *o, const cg_image *original, cg_image *img, cg_error *err)
{
    cg_status st = CG_OK;
    if (o->keep_colors) {
        cg_keep_colors_params p = cg_keep_colors_defaults();
        st = cg_filter_keep_colors(img, original, img, &p, err);
    }
    /* After the strength blend: strength 0 moves nothing, the input stays. */
    if (st == CG_OK && palette_of(o) && o->strength > 0)
        st = cg_filter_palette(img, img, palette_of(o), o->strength, err);
    if (st == CG_OK && o->line_weight != 0) {
        cg_line_weight_params p = cg_line_weight_defaults();
        p.radius = 2.0f * o->line_weight; /* line weight 1 thickens by 2 pixels */
        st = cg_filter_line_weight(img, img, &p, err);
    }
    if (st == CG_OK && o->denoise > 0) {
        cg_denoise_params p = cg_denoise_defaults();
        p.strength = o->denoise;
        st = cg_filter_denoise(img, img, &p, err);
    }
    if (st == CG_OK && o->contrast != 1) {
        cg_contrast_params p = cg_contrast_defaults();
        p.factor = o->contrast;
        p.pivot = CG_PIVOT_MEAN;
        st = cg_filter_contrast(img, img, &p, err);
    }
    return st;
}

/* Writes every frame's output. Without post-processing nothing here can fail,
 * so the outputs are written directly; with it, each frame is finished in a
 * temporary image first and all are copied out only once all succeeded. */
static cg_status write_outputs(const job *j, const rgb16 *res, const rgb16 *ident, cg_image *const *out,
                               cg_error *err)
{
    const cg_stylize_options *o = j->o;
    bool post = wants_post(o);
    cg_image **tmp = g_new0(cg_image *, (gsize)j->n);
    cg_status st = CG_OK;
    for (int i = 0; i < j->n && st == CG_OK; i++) {
        const cg_image *in = j->in[i];
        bool gray = cg_image_is_gray(in);
        cg_image *dst = out[i];
        if (post && !(dst = tmp[i] = cg_image_new(in->width, in->height, err))) {
            st = err ? err->code : CG_ERR_NOMEM;
            break;
        }
        size_t n = (size_t)in->width * in->height;
        for (size_t p = 0; p < n; p++)
            finish_pixel(j, in->pixels + p * 4, res[i].px + p * 3, ident ? ident[i].px + p * 3 : NULL, gray,
                         dst->pixels + p * 4);
        if (post && (st = post_process(o, in, dst, err)) == CG_OK && gray)
            for (size_t p = 0; p < n; p++)
                make_gray(dst->pixels + p * 4);
    }
    for (int i = 0; i < j->n && st == CG_OK && post; i++)
        memcpy(out[i]->pixels, tmp[i]->pixels, (size_t)tmp[i]->width * tmp[i]->height * 4 * sizeof(float));
    for (int i = 0; i < j->n; i++)
        cg_image_free(tmp[i]);
    g_free(tmp);
    return st;
}

/* ---- frames at one phase of the network's stride ------------------------------ */

/* How far a frame may have moved from the one before and still be locked. */
#define LOCK_MAX_SHIFT 32

/* With lock_motion, each frame as the network sees it: moved right and down
 * by (dx, dy) pixels (its left and top edges repeated), so that the content
 * of a panned shot sits at the same phase of the network's stride in every
 * frame. A network with stride s draws the same strokes and dots on content
 * moved by a multiple of s, and different ones on content moved by less:
 * without the lock, screentone and hatching swim across a panned scene. */
typedef struct phased {
    const cg_image **img; /* what the network sees: the working image or its moved copy */
    cg_image **own;
    int *dx, *dy;
    int n;
    bool any;
} phased;

static void free_phased(phased *p)
{
    for (int i = 0; p->own && i < p->n; i++)
        cg_image_free(p->own[i]);
    g_free(p->own);
    g_free(p->img);
    g_free(p->dx);
    g_free(p->dy);
    memset(p, 0, sizeof *p);
}

static cg_image *moved_copy(const cg_image *src, int dx, int dy, cg_error *err)
{
    cg_image *dst = cg_image_new(src->width + dx, src->height + dy, err);
    if (!dst)
        return NULL;
    for (int y = 0; y < dst->height; y++) {
        const float *row = src->pixels + (size_t)(y < dy ? 0 : y - dy) * src->width * 4;
        float *out = dst->pixels + (size_t)y * dst->width * 4;
        for (int x = 0; x < dx; x++)
            memcpy(out + 4 * x, row, 4 * sizeof(float));
        memcpy(out + 4 * dx, row, (size_t)src->width * 4 * sizeof(float));
    }
    return dst;
}

static int phase_of(int64_t offset, int64_t mult)
{
    return (int)(((offset % mult) + mult) % mult);
}

/* The frames as the network sees them: with lock, each moved to the first
 * frame's phase (found from the frames themselves, or given in fixed_dx and
 * fixed_dy, one per frame, when not NULL). */
static cg_status make_phased(const cg_model *m, const working *w, bool lock, const int *fixed_dx,
                             const int *fixed_dy, phased *p, cg_error *err)
{
    memset(p, 0, sizeof *p);
    p->n = w->n;
    gsize n = (gsize)(w->n > 0 ? w->n : 1);
    p->img = g_new0(const cg_image *, n);
    p->own = g_new0(cg_image *, n);
    p->dx = g_new0(int, n);
    p->dy = g_new0(int, n);
    for (int i = 0; i < w->n; i++)
        p->img[i] = w->img[i];
    const int64_t mult = cg_net_size_multiple(cg_model_net(m));
    if (!lock || mult < 2)
        return CG_OK;
    int64_t ox = 0, oy = 0; /* frame i's content sits at frame 0's (x + ox, y + oy) */
    for (int i = fixed_dx ? 0 : 1; i < w->n; i++) {
        if (fixed_dx) {
            p->dx[i] = phase_of(fixed_dx[i], mult);
            p->dy[i] = phase_of(fixed_dy[i], mult);
        } else {
            int sx = 0, sy = 0;
            cg_motion_shift(w->img[i - 1], w->img[i], LOCK_MAX_SHIFT, &sx, &sy);
            ox += sx;
            oy += sy;
            p->dx[i] = phase_of(ox, mult);
            p->dy[i] = phase_of(oy, mult);
        }
        if (!p->dx[i] && !p->dy[i])
            continue;
        if (!(p->own[i] = moved_copy(w->img[i], p->dx[i], p->dy[i], err))) {
            free_phased(p);
            return err ? err->code : CG_ERR_NOMEM;
        }
        p->img[i] = p->own[i];
        p->any = true;
    }
    return CG_OK;
}

/* The results of moved frames cut back to the working images' sizes. */
static void unmove_results(const phased *p, const working *w, rgb16 *res)
{
    for (int i = 0; res && i < p->n; i++) {
        if (!p->own[i])
            continue;
        int W = w->img[i]->width, H = w->img[i]->height, wide = res[i].width;
        for (int y = 0; y < H; y++)
            memmove(res[i].px + (size_t)y * W * 3, res[i].px + ((size_t)(y + p->dy[i]) * wide + p->dx[i]) * 3,
                    (size_t)W * 3 * sizeof(uint16_t));
        res[i].width = W;
        res[i].height = H;
    }
}

/* cg_stylize_frames, and cg_stylize_with_stats when stats is non-NULL. */
static cg_status stylize_images(const cg_model *m, const cg_stylize_stats *stats, int frame,
                                const cg_image *const *in, cg_image *const *out, int n, const cg_stylize_options *o,
                                cg_error *err)
{
    cg_stylize_options defaults = cg_stylize_defaults();
    if (!o)
        o = &defaults;
    for (int i = 0; i < n; i++)
        if (!out || !out[i] || !in || !in[i] || out[i]->width != in[i]->width || out[i]->height != in[i]->height)
            return cg_fail(err, CG_ERR_INVALID, "output %d must have the input's size", i);
    job j;
    memset(&j, 0, sizeof j);
    working w;
    phased ph = {0};
    cg_status st = make_working(m, in, n, o, &w, err);
    if (st == CG_OK)
        st = stats && frame >= 0 ? make_phased(m, &w, true, stats->dx + frame, stats->dy + frame, &ph, err)
                                 : make_phased(m, &w, o->lock_motion && !stats, NULL, NULL, &ph, err);
    if (st == CG_OK)
        st = job_init(&j, m, ph.img, n, o, -1, err);
    if (st == CG_OK && stats) {
        if (memcmp(j.style, stats->style, sizeof j.style) != 0 || (j.identity_blend && !stats->identity))
            st = cg_fail(err, CG_ERR_INVALID, "the statistics were computed for another style, mix or strength");
        j.given = stats->main;
    }
    /* Strength 0, or the identity style chosen alone, is the input itself. */
    bool identity_only = !o->mix && o->style == cg_model_identity_style(m);
    if (st == CG_OK && (o->strength == 0 || identity_only)) {
        for (int i = 0; i < n; i++)
            if (out[i] != in[i])
                memcpy(out[i]->pixels, in[i]->pixels, (size_t)in[i]->width * in[i]->height * 4 * sizeof(float));
        job_free(&j);
        free_phased(&ph);
        free_working(&w);
        return CG_OK;
    }
    /* The work of the whole call, so progress runs once from 0 to 1. */
    if (st == CG_OK) {
        j.prog.fixed_total = run_cost(&j) * (j.identity_blend ? 2 : 1) +
                             RESAMPLE_FLOPS_PER_PIXEL * w.pixels * (j.identity_blend ? 3 : 2);
        j.prog.done_before = RESAMPLE_FLOPS_PER_PIXEL * w.pixels;
    }
    rgb16 *res = NULL, *ident = NULL, *full_res = NULL, *full_ident = NULL;
    if (st == CG_OK && !(res = new_results(&j, err)))
        st = err ? err->code : CG_ERR_NOMEM;
    if (st == CG_OK)
        st = run_all(&j, write_centre, res, err);
    if (st == CG_OK && j.identity_blend)
        st = (ident = new_results(&j, err)) ? run_identity(&j, stats ? stats->identity : NULL, write_centre, ident, err)
                                            : err ? err->code : CG_ERR_NOMEM;
    if (st == CG_OK && ph.any) {
        unmove_results(&ph, &w, res);
        unmove_results(&ph, &w, ident);
    }
    if (st == CG_OK && w.any) {
        st = bring_back(&j, in, &w, res, &full_res, err);
        if (st == CG_OK && ident)
            st = bring_back(&j, in, &w, ident, &full_ident, err);
    }
    if (st == CG_OK) {
        j.in = in; /* strength, alpha and post-processing at full size */
        st = write_outputs(&j, w.any ? full_res : res, w.any ? full_ident : ident, out, err);
    }
    if (st == CG_OK && o->progress)
        o->progress(o->progress_data, 1.0f);
    free_results(res, n);
    free_results(ident, n);
    free_results(full_res, n);
    free_results(full_ident, n);
    job_free(&j);
    free_phased(&ph);
    free_working(&w);
    return st;
}

cg_status cg_stylize_frames(const cg_model *m, const cg_image *const *in, cg_image *const *out, int n,
                            const cg_stylize_options *o, cg_error *err)
{
    return stylize_images(m, NULL, -1, in, out, n, o, err);
}

cg_status cg_stylize_with_stats(const cg_model *m, const cg_stylize_stats *stats, const cg_image *in, cg_image *out,
                                const cg_stylize_options *o, cg_error *err)
{
    if (!stats)
        return cg_fail(err, CG_ERR_INVALID, "no statistics");
    return stylize_images(m, stats, -1, &in, &out, 1, o, err);
}

cg_status cg_stylize_frame_with_stats(const cg_model *m, const cg_stylize_stats *stats, int frame,
                                      const cg_image *in, cg_image *out, const cg_stylize_options *o, cg_error *err)
{
    if (!stats)
        return cg_fail(err, CG_ERR_INVALID, "no statistics");
    if (frame < 0 || frame >= stats->n)
        return cg_fail(err, CG_ERR_INVALID, "frame %d of statistics computed over %d", frame, stats->n);
    return stylize_images(m, stats, frame, &in, &out, 1, o, err);
}

/* ---- from file to file, by rows ------------------------------------------------ */

/* Rows a band: the input, result and output buffers of one band are
 * 2 * 16 + 2 * 6 bytes a pixel of it. */
#define FILE_BAND 64

/* At native scale, tiled: the job reads the frame through a row window (two
 * sweeps of the file: the first pass and the last), and the last pass's
 * results arrive a row of tiles at a time, finished and written as each row
 * of tiles completes, while the window still holds its input rows. */
typedef struct native_out {
    row_window *win;
    cg_act_cache *ident;  /* the identity style's full-size output (exact, in a temporary file), or NULL */
    float *ident_rows;    /* FILE_BAND of its rows, planar */
    uint16_t *ident_band; /* the same as the results' 16-bit samples */
    const char *path;
    const cg_image_save_options *save;
    cg_sample_format format;
    int channels;
    int64_t padded_width;
    cg_io_image_writer *w;
    uint16_t *band;   /* the current row of tiles' results, 3 samples a pixel */
    float *out;       /* FILE_BAND finished rows */
    double encode_flops; /* progress: what encoding a pixel counts */
    cg_status st;
    cg_error *err;
} native_out;

static cg_status stream_centre(job *j, int frame, const region *g, const cg_infer_result *res, void *ctx)
{
    (void)frame;
    native_out *no = ctx;
    if (!res->image)
        return CG_OK;
    const int W = no->win->width, H = no->win->height;
    const cg_infer_region *r = &g->r;
    const int64_t y0 = g->y0 + r->cy0, y1 = g->y0 + r->cy1 < H ? g->y0 + r->cy1 : H;
    put_centre(g, res, no->band, W, H, y0);
    if (g->x0 + r->cx1 < no->padded_width || y0 >= y1)
        return CG_OK; /* the row of tiles goes on, or lies in the padding */
    /* Every pixel has been read by now (the first pass, or the one region),
     * so whether the image is gray is known. */
    if (!no->w) {
        cg_io_save_spec spec;
        bool gray = no->win->gray, alpha = no->channels == 2 || no->channels == 4;
        no->st = cg_io_resolve_spec(no->path, W, H, no->format, no->channels <= 2 && gray, alpha, no->save, &spec,
                                    no->err);
        if (no->st == CG_OK && !(no->w = cg_io_image_writer_open(no->path, W, H, &spec, no->err)))
            no->st = no->err ? no->err->code : CG_ERR_IO;
    }
    for (int64_t y = y0; y < y1 && no->st == CG_OK; y += FILE_BAND) {
        int n = (int)(y1 - y < FILE_BAND ? y1 - y : FILE_BAND);
        if (no->ident) {
            no->st = cg_act_cache_get(no->ident, 0, 0, no->ident_rows, 0, y, W, n, no->err);
            const size_t count = no->st == CG_OK ? (size_t)W * n : 0;
            for (size_t p = 0; p < count; p++)
                for (int c = 0; c < 3; c++)
                    no->ident_band[3 * p + c] = sample16(no->ident_rows[c * count + p]);
        }
        for (size_t p = 0; p < (size_t)W * n && no->st == CG_OK; p++)
            finish_pixel(j, window_row(no->win, (int)y) + 4 * p, no->band + ((size_t)(y - y0) * W) * 3 + 3 * p,
                         no->ident ? no->ident_band + 3 * p : NULL, no->win->gray, no->out + 4 * p);
        if (no->st == CG_OK)
            no->st = cg_io_image_writer_rows(no->w, no->out, n, no->err);
        j->prog.done_before += no->encode_flops * W * n;
        if (no->st == CG_OK && !layer_done(&j->prog, 0))
            no->st = cg_fail(no->err, CG_ERR_CANCELLED, "cancelled");
    }
    return no->st;
}

/* The identity style's run: each region's centre into the cache, as is. */
static cg_status store_identity(job *j, int frame, const region *g, const cg_infer_result *res, void *ctx)
{
    (void)j;
    native_out *no = ctx;
    if (!res->image)
        return CG_OK;
    const int64_t W = no->win->width, H = no->win->height, x0 = g->x0 + g->r.cx0, y0 = g->y0 + g->r.cy0;
    const int64_t x1 = g->x0 + g->r.cx1 < W ? g->x0 + g->r.cx1 : W, y1 = g->y0 + g->r.cy1 < H ? g->y0 + g->r.cy1 : H;
    if (x0 >= x1 || y0 >= y1)
        return CG_OK;
    return cg_act_cache_put(no->ident, 0, frame, res->image, g->h, g->w, g->x0, g->y0, x0, y0, x1, y1, no->err);
}

/* Rows the window must hold: the most one region of any pass reads. */
static int window_rows(const job *j, int H)
{
    int64_t most = 1;
    for (int s = -1; s <= j->lp->n_points; s++) {
        GArray *a = s < 0 ? j->regions[0] : pass_regions(j, s, 0);
        for (guint k = 0; k < a->len; k++) {
            int64_t lo, last;
            region_rows(&g_array_index(a, region, k), H, &lo, &last);
            most = last - lo + 1 > most ? last - lo + 1 : most;
        }
        if (s >= 0)
            g_array_free(a, TRUE);
    }
    return (int)most;
}

static cg_status stylize_file_native(const cg_model *m, file_pass *in, const char *in_path, const char *out_path,
                                     const cg_stylize_options *o, const cg_image_save_options *save, cg_error *err)
{
    const int W = in->rows->width, H = in->rows->height;
    /* The job sees the frame's size only; its pixels come through the window. */
    cg_image frame = {.width = W, .height = H};
    const cg_image *frame_in = &frame;
    row_window win = {.path = in_path, .file = {.fd = -1}, .width = W, .height = H, .gray = true};
    native_out no = {.win = &win, .path = out_path, .save = save, .format = in->rows->format,
                     .channels = in->rows->channels, .err = err};
    close_pass(in);
    job j;
    cg_status st = job_init(&j, m, &frame_in, 1, o, -1, err);
    if (st == CG_OK && single_region(&j))
        st = cg_fail(err, CG_ERR_UNSUPPORTED, "%s: runs whole at this size", in_path);
    int band_rows = (int)(j.p.tile > 0 ? j.p.tile : padded_side(H, j.p.mult));
    if (st == CG_OK) {
        win.cap = window_rows(&j, H);
        win.rows = g_try_new(float, (gsize)4 * W * win.cap);
        no.band = g_try_new(uint16_t, (gsize)3 * W * band_rows);
        no.out = g_try_new(float, (gsize)4 * W * FILE_BAND);
        no.padded_width = padded_side(W, j.p.mult);
        if (!win.rows || !no.band || !no.out)
            st = cg_fail(err, CG_ERR_NOMEM, "out of memory for bands of %d pixels", W);
    }
    j.win = &win;
    if (st == CG_OK) {
        /* Each run sweeps the file twice (its first and last passes). */
        const double pixels = (double)W * H;
        no.encode_flops = CODEC_FLOPS_PER_PIXEL * cg_io_encode_weight(out_path);
        j.prog.fixed_total = (j.identity_blend ? 2 : 1) * (run_cost(&j) + 2 * CODEC_FLOPS_PER_PIXEL * pixels) +
                             no.encode_flops * pixels;
        win.done = &j.prog.done_before;
    }
    if (st == CG_OK && j.identity_blend) {
        /* Strength toward the identity style: its output first, kept exactly
         * (12 bytes a pixel) in a temporary file, read back by rows. */
        const int64_t h64 = H, w64 = W;
        no.ident = cg_act_cache_new(0, 1, false);
        no.ident_rows = g_try_new(float, (gsize)3 * W * FILE_BAND);
        no.ident_band = g_try_new(uint16_t, (gsize)3 * W * FILE_BAND);
        if (!no.ident_rows || !no.ident_band)
            st = cg_fail(err, CG_ERR_NOMEM, "out of memory for bands of %d pixels", W);
        if (st == CG_OK)
            st = cg_act_cache_check_room(12.0 * W * H, err);
        if (st == CG_OK)
            st = cg_act_cache_add(no.ident, 0, 3, &h64, &w64, true, j.p.tile, err);
        if (st == CG_OK)
            st = run_identity(&j, NULL, store_identity, &no, err);
        if (st == CG_OK)
            cg_act_cache_seal(no.ident, 0);
        cg_infer_stats_clear(j.stats); /* the style's own statistics next */
    }
    if (st == CG_OK)
        st = run_all(&j, stream_centre, &no, err);
    if (no.w)
        st = st == CG_OK ? cg_io_image_writer_finish(no.w, err) : (cg_io_image_writer_abort(no.w), st);
    if (st == CG_OK && o->progress)
        o->progress(o->progress_data, 1.0f);
    close_pass(&win.file);
    g_free(win.rows);
    g_free(no.band);
    g_free(no.out);
    cg_act_cache_free(no.ident);
    g_free(no.ident_rows);
    g_free(no.ident_band);
    job_free(&j);
    return st;
}

cg_status cg_stylize_file(const cg_model *m, const char *in_path, const char *out_path, const cg_stylize_options *o,
                          const cg_image_save_options *save, cg_error *err)
{
    cg_stylize_options defaults = cg_stylize_defaults();
    if (!o)
        o = &defaults;
    if (!m || !in_path || !out_path)
        return cg_fail(err, CG_ERR_INVALID, "cg_stylize_file: no model or path");
    cg_status st = cg_stylize_check_options(m, o, err);
    if (st != CG_OK)
        return st;
    if (wants_post(o))
        return cg_fail(err, CG_ERR_UNSUPPORTED, "post-processing needs the whole image");
    file_pass in = {.fd = -1};
    if ((st = open_pass(&in, in_path, err)) != CG_OK)
        return st;
    const int W = in.rows->width, H = in.rows->height;
    double sc = cg_stylize_scale_of(o, W, H);
    int ww = (int)fmax(1, round(W * sc)), hh = (int)fmax(1, round(H * sc));
    bool identity_only = !o->mix && o->style == cg_model_identity_style(m);
    if (in.rows->frames > 1 || (ww != W && (ww > W || hh > H)) || o->strength == 0 || identity_only) {
        close_pass(&in);
        return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: not streamed at this size, scale and strength", in_path);
    }
    if (W > CG_STYLIZE_MAX_SIDE || H > CG_STYLIZE_MAX_SIDE) {
        close_pass(&in);
        return cg_fail(err, CG_ERR_INVALID, "image %dx%d: sides must be 1..%d pixels", W, H, CG_STYLIZE_MAX_SIDE);
    }
    if (ww == W && hh == H)
        return stylize_file_native(m, &in, in_path, out_path, o, save, err);
    const int channels = in.rows->channels;
    const cg_sample_format format = in.rows->format;

    /* First pass: the network's copy, and whether the image is gray. */
    float *band = g_try_new(float, (gsize)4 * W * FILE_BAND);
    float *out_band = g_try_new(float, (gsize)4 * W * FILE_BAND);
    uint16_t *res_band = g_try_new(uint16_t, (gsize)3 * W * FILE_BAND);
    uint16_t *ident_band = g_try_new(uint16_t, (gsize)3 * W * FILE_BAND);
    cg_image *work = cg_image_new(ww, hh, err);
    cg_io_resizer *rs = work ? cg_io_resizer_new(W, H, ww, hh, FILE_BAND, err) : NULL;
    if (!rs)
        st = err && err->code != CG_OK ? err->code : CG_ERR_NOMEM;
    else if (!band || !out_band || !res_band || !ident_band)
        st = cg_fail(err, CG_ERR_NOMEM, "out of memory for bands of %d pixels", W);
    job j;
    memset(&j, 0, sizeof j);
    j.o = o;
    j.prog.o = o;
    bool gray = true;
    const double pixels = (double)W * H;
    /* Progress before the job knows its total: the full-size work (decoding
     * twice, resampling twice, encoding) beside one whole pass on the copy. */
    const double encode_flops = CODEC_FLOPS_PER_PIXEL * cg_io_encode_weight(out_path);
    const double first_flops = (RESAMPLE_FLOPS_PER_PIXEL + CODEC_FLOPS_PER_PIXEL) * pixels;
    const double estimate = cg_infer_flops(cg_model_net(m), ww, hh, -1) + 2 * first_flops + encode_flops * pixels;
    float first_done = 0;
    for (int y = 0; y < H && st == CG_OK; y += FILE_BAND) {
        int n = H - y < FILE_BAND ? H - y : FILE_BAND;
        if ((st = cg_io_rows_read(in.rows, band, n, err)) != CG_OK)
            break;
        st = check_pixels(band, W, n, y, &gray, err);
        if (st == CG_OK)
            st = cg_io_resizer_push(rs, band, n, work, err);
        first_done = (float)(first_flops * (y + n) / H / estimate);
        if (st == CG_OK && o->progress && !o->progress(o->progress_data, first_done))
            st = cg_fail(err, CG_ERR_CANCELLED, "cancelled");
    }
    close_pass(&in);
    cg_io_resizer_free(rs);

    /* The network on the copy, as cg_stylize runs it. */
    const cg_image *work_in = work;
    if (st == CG_OK)
        st = job_init(&j, m, &work_in, 1, o, -1, err);
    if (st == CG_OK) {
        j.prog.fixed_total = run_cost(&j) * (j.identity_blend ? 2 : 1) + 2 * first_flops + encode_flops * pixels +
                             (j.identity_blend ? RESAMPLE_FLOPS_PER_PIXEL * pixels : 0);
        j.prog.done_before = first_flops;
        j.prog.reported = first_done;
    }
    rgb16 *res = NULL, *ident = NULL;
    if (st == CG_OK && !(res = new_results(&j, err)))
        st = err ? err->code : CG_ERR_NOMEM;
    if (st == CG_OK)
        st = run_all(&j, write_centre, res, err);
    if (st == CG_OK && j.identity_blend)
        st = (ident = new_results(&j, err)) ? run_identity(&j, NULL, write_centre, ident, err)
                                            : err ? err->code : CG_ERR_NOMEM;

    /* Second pass: each band of the input brings back its band of the result. */
    cgf_upsampler *up_res = NULL, *up_ident = NULL;
    if (st == CG_OK && !(up_res = result_upsampler(&j, work, res, err)))
        st = err ? err->code : CG_ERR_NOMEM;
    if (st == CG_OK && ident && !(up_ident = result_upsampler(&j, work, ident, err)))
        st = err ? err->code : CG_ERR_NOMEM;
    cg_io_save_spec spec;
    cg_io_image_writer *w = NULL;
    bool alpha = channels == 2 || channels == 4;
    if (st == CG_OK)
        st = cg_io_resolve_spec(out_path, W, H, format, channels <= 2 && gray, alpha, save, &spec, err);
    if (st == CG_OK && !(w = cg_io_image_writer_open(out_path, W, H, &spec, err)))
        st = err ? err->code : CG_ERR_IO;
    if (st == CG_OK)
        st = reopen_pass(&in, in_path, W, H, err);
    for (int y = 0; y < H && st == CG_OK; y += FILE_BAND) {
        int n = H - y < FILE_BAND ? H - y : FILE_BAND;
        if ((st = cg_io_rows_read(in.rows, band, n, err)) != CG_OK)
            break;
        if (!cgf_upsampler_apply(up_res, band, W, H, y, y + n, res_band) ||
            (up_ident && !cgf_upsampler_apply(up_ident, band, W, H, y, y + n, ident_band))) {
            st = cg_fail(err, CG_ERR_NOMEM, "out of memory for guided upsampling");
            break;
        }
        for (size_t p = 0; p < (size_t)W * n; p++)
            finish_pixel(&j, band + 4 * p, res_band + 3 * p, up_ident ? ident_band + 3 * p : NULL, gray,
                         out_band + 4 * p);
        if ((st = cg_io_image_writer_rows(w, out_band, n, err)) != CG_OK)
            break;
        j.prog.done_before +=
            (RESAMPLE_FLOPS_PER_PIXEL * (up_ident ? 2 : 1) + CODEC_FLOPS_PER_PIXEL + encode_flops) * W * n;
        if (!layer_done(&j.prog, 0))
            st = cg_fail(err, CG_ERR_CANCELLED, "cancelled");
    }
    close_pass(&in);
    if (w)
        st = st == CG_OK ? cg_io_image_writer_finish(w, err) : (cg_io_image_writer_abort(w), st);
    if (st == CG_OK && o->progress)
        o->progress(o->progress_data, 1.0f);
    cgf_upsampler_free(up_res);
    cgf_upsampler_free(up_ident);
    free_results(res, 1);
    free_results(ident, 1);
    job_free(&j);
    cg_image_free(work);
    g_free(band);
    g_free(out_band);
    g_free(res_band);
    g_free(ident_band);
    return st;
}

/* The statistics of the current style weights: from one whole-image run
 * where the frames fit in one region, else from the collection passes. */
static cg_infer_stats *statistics_of(job *j, cg_error *err)
{
    cg_infer_stats *s = cg_infer_stats_new(j->net, err);
    if (!s)
        return NULL;
    cg_infer_stats *own = j->stats;
    j->stats = s;
    cg_status st = single_region(j) ? run_pass(j, CG_INFER_WHOLE, NULL, NULL, err)
                                    : run_layered(j, j->lp->n_points, NULL, NULL, err);
    j->stats = own;
    if (st != CG_OK) {
        cg_infer_stats_free(s);
        return NULL;
    }
    return s;
}

cg_stylize_stats *cg_stylize_compute_stats(const cg_model *m, const cg_image *const *in, int n,
                                           const cg_stylize_options *o, cg_error *err)
{
    cg_stylize_options defaults = cg_stylize_defaults();
    if (!o)
        o = &defaults;
    job j;
    memset(&j, 0, sizeof j);
    working w;
    phased ph = {0};
    cg_stylize_stats *s = NULL;
    if (make_working(m, in, n, o, &w, err) == CG_OK && make_phased(m, &w, o->lock_motion, NULL, NULL, &ph, err) == CG_OK &&
        job_init(&j, m, ph.img, n, o, -1, err) == CG_OK && (s = g_try_new0(cg_stylize_stats, 1))) {
        memcpy(s->style, j.style, sizeof s->style);
        s->n = n;
        s->dx = g_memdup2(ph.dx, (gsize)n * sizeof(int));
        s->dy = g_memdup2(ph.dy, (gsize)n * sizeof(int));
        s->main = statistics_of(&j, err);
        if (s->main && j.identity_blend) {
            memset(j.style, 0, sizeof j.style);
            j.style[cg_model_identity_style(m)] = 1;
            s->identity = statistics_of(&j, err);
        }
        if (!s->main || (j.identity_blend && !s->identity)) {
            cg_stylize_stats_free(s);
            s = NULL;
        }
    } else if (!s && err && err->code == CG_OK) {
        cg_fail(err, CG_ERR_NOMEM, "out of memory for statistics");
    }
    job_free(&j);
    free_phased(&ph);
    free_working(&w);
    return s;
}

cg_image *cg_stylize_network_image(const cg_model *m, const cg_image *in, const cg_stylize_options *o,
                                   cg_error *err)
{
    cg_stylize_options defaults = cg_stylize_defaults();
    working w;
    if (!in) {
        cg_fail(err, CG_ERR_INVALID, "no image");
        return NULL;
    }
    if (make_working(m, &in, 1, o ? o : &defaults, &w, err) != CG_OK)
        return NULL;
    cg_image *img = w.own[0] ? w.own[0] : cg_image_copy(in, err);
    w.own[0] = NULL;
    free_working(&w);
    return img;
}

void cg_stylize_stats_free(cg_stylize_stats *s)
{
    if (!s)
        return;
    cg_infer_stats_free(s->main);
    cg_infer_stats_free(s->identity);
    g_free(s->dx);
    g_free(s->dy);
    g_free(s);
}

cg_status cg_stylize(const cg_model *m, const cg_image *in, cg_image *out, const cg_stylize_options *o, cg_error *err)
{
    return cg_stylize_frames(m, &in, &out, 1, o, err);
}

/* ---- estimates ------------------------------------------------------------------ */

cg_status cg_stylize_estimate(const cg_model *m, int width, int height, const cg_stylize_options *o,
                              cg_stylize_cost *cost, cg_error *err)
{
    cg_stylize_options defaults = cg_stylize_defaults();
    if (!o)
        o = &defaults;
    memset(cost, 0, sizeof *cost);
    cg_status st = cg_stylize_check_options(m, o, err);
    if (st != CG_OK)
        return st;
    if (width < 1 || height < 1 || width > CG_STYLIZE_MAX_SIDE || height > CG_STYLIZE_MAX_SIDE)
        return cg_fail(err, CG_ERR_INVALID, "image %dx%d: sides must be 1..%d pixels", width, height,
                       CG_STYLIZE_MAX_SIDE);
    double sc = cg_stylize_scale_of(o, width, height);
    /* The image the network sees, as stylize would make it (only its size is used). */
    cg_image img = {.width = (int)fmax(1, round(width * sc)), .height = (int)fmax(1, round(height * sc))};
    const cg_image *in[1] = {&img};
    job j;
    memset(&j, 0, sizeof j);
    j.m = m;
    j.net = cg_model_net(m);
    j.in = in;
    j.n = 1;
    j.lp = cg_infer_plan_new(j.net);
    j.p = make_plan(m, in, 1, o, j.lp);
    j.regions = g_new0(GArray *, 1);
    j.regions[0] = make_regions(&j.p, j.p.margin, padded_side(img.width, j.p.mult), padded_side(img.height, j.p.mult));
    cost->tile = (int)j.p.tile;
    cost->flops = run_cost(&j);
    cost->whole_flops = cg_infer_flops(j.net, padded_side(img.width, j.p.mult), padded_side(img.height, j.p.mult), -1);
    cost->memory = j.p.tile_bytes;
    if (!single_region(&j)) {
        size_t ram = 0, file = 0;
        st = planned_cache(&j, &ram, &file, err);
        cost->memory += (double)ram;
        cost->temp_file = (double)file;
    }
    job_free(&j);
    return st;
}

/* ---- attention ------------------------------------------------------------------ */

typedef struct map_ctx {
    float *map;
    int width, height;
} map_ctx;

/* The region's map (at the bottleneck's resolution) upsampled bilinearly into
 * the centre of the full map. */
static cg_status write_map(job *j, int frame, const region *g, const cg_infer_result *res, void *ctx)
{
    map_ctx *mc = ctx;
    if (!res->attention)
        return CG_OK;
    double sx = (double)res->attention_w / g->w, sy = (double)res->attention_h / g->h;
    for (int64_t y = g->r.cy0; y < g->r.cy1 && g->y0 + y < mc->height; y++)
        for (int64_t x = g->r.cx0; x < g->r.cx1 && g->x0 + x < mc->width; x++) {
            double fx = (x + 0.5) * sx - 0.5, fy = (y + 0.5) * sy - 0.5;
            int64_t x0 = (int64_t)floor(fx), y0 = (int64_t)floor(fy);
            double ax = fx - x0, ay = fy - y0;
            int64_t xa = x0 < 0 ? 0 : x0, xb = x0 + 1 >= res->attention_w ? res->attention_w - 1 : x0 + 1;
            int64_t ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= res->attention_h ? res->attention_h - 1 : y0 + 1;
            const float *a = res->attention;
            int64_t aw = res->attention_w;
            double v = (1 - ay) * ((1 - ax) * a[ya * aw + xa] + ax * a[ya * aw + xb]) +
                       ay * ((1 - ax) * a[yb * aw + xa] + ax * a[yb * aw + xb]);
            mc->map[(g->y0 + y) * mc->width + g->x0 + x] = (float)v;
        }
    return CG_OK;
}

cg_status cg_stylize_attention(const cg_model *m, const cg_image *in, int point, const cg_stylize_options *o,
                               float *map, cg_error *err)
{
    cg_stylize_options defaults = cg_stylize_defaults();
    if (!o)
        o = &defaults;
    const cg_net *net = cg_model_net(m);
    if (cg_net_attention_count(net) == 0)
        return cg_fail(err, CG_ERR_UNSUPPORTED, "the model has no attention points");
    if (point < 0 || point >= cg_net_attention_count(net))
        return cg_fail(err, CG_ERR_INVALID, "attention point %d does not exist (the model has %d)", point,
                       cg_net_attention_count(net));
    job j;
    memset(&j, 0, sizeof j);
    working w;
    cg_status st = make_working(m, &in, 1, o, &w, err);
    if (st == CG_OK)
        st = job_init(&j, m, w.img, 1, o, point, err);
    /* The map at the network's working size, brought to the image's size bilinearly. */
    const cg_image *wi = st == CG_OK ? w.img[0] : in;
    float *low = st == CG_OK ? g_try_malloc0((gsize)wi->width * wi->height * sizeof(float)) : NULL;
    if (st == CG_OK && !low)
        st = cg_fail(err, CG_ERR_NOMEM, "out of memory for the attention map");
    if (st == CG_OK) {
        map_ctx mc = {low, wi->width, wi->height};
        st = run_all(&j, write_map, &mc, err);
    }
    if (st == CG_OK) {
        size_t n = (size_t)wi->width * wi->height;
        float lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            lo = low[i] < lo ? low[i] : lo;
            hi = low[i] > hi ? low[i] : hi;
        }
        double sx = (double)wi->width / in->width, sy = (double)wi->height / in->height;
        for (int y = 0; y < in->height; y++)
            for (int x = 0; x < in->width; x++) {
                float v;
                if (!w.any) {
                    v = low[(size_t)y * in->width + x];
                } else {
                    double fx = (x + 0.5) * sx - 0.5, fy = (y + 0.5) * sy - 0.5;
                    int x0 = (int)floor(fx), y0 = (int)floor(fy);
                    double ax = fx - x0, ay = fy - y0;
                    int xa = x0 < 0 ? 0 : x0, xb = x0 + 1 >= wi->width ? wi->width - 1 : x0 + 1;
                    int ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= wi->height ? wi->height - 1 : y0 + 1;
                    xa = xa >= wi->width ? wi->width - 1 : xa;
                    ya = ya >= wi->height ? wi->height - 1 : ya;
                    const float *a = low;
                    size_t aw = (size_t)wi->width;
                    v = (float)((1 - ay) * ((1 - ax) * a[ya * aw + xa] + ax * a[ya * aw + xb]) +
                                ay * ((1 - ax) * a[yb * aw + xa] + ax * a[yb * aw + xb]));
                }
                map[(size_t)y * in->width + x] = hi > lo ? (v - lo) / (hi - lo) : 0.0f;
            }
    }
    g_free(low);
    job_free(&j);
    free_working(&w);
    return st;
}

/* ---- heatmap -------------------------------------------------------------------- */

void cg_heatmap(const float *map, int width, int height, float opacity, cg_image *out)
{
    /* A perceptually ordered ramp: dark blue, magenta, red, orange, yellow. */
    static const float stops[5][3] = {
        {0.05f, 0.03f, 0.35f}, {0.55f, 0.10f, 0.55f}, {0.90f, 0.20f, 0.25f}, {0.98f, 0.55f, 0.10f}, {0.99f, 0.95f, 0.35f}};
    for (size_t i = 0; i < (size_t)width * height; i++) {
        float v = map[i] < 0 ? 0 : map[i] > 1 ? 1 : map[i];
        float pos = v * 4;
        int k = pos >= 4 ? 3 : (int)pos;
        float t = pos - k;
        float *px = out->pixels + i * 4;
        for (int c = 0; c < 3; c++)
            px[c] = stops[k][c] * (1 - t) + stops[k + 1][c] * t;
        px[3] = opacity;
    }
}
