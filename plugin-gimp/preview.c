/* The dialog's worker thread (see preview.h). */
#include "preview.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "comicgan/model.h"

struct preview_worker {
    gatomicrefcount refs;  /* the dialog's, and one per result on its way */
    GThread *thread;
    GMutex lock;
    GCond wake;
    preview_job *preview;  /* the next preview, or NULL (under lock) */
    GQueue thumbnails;     /* preview_job*, under lock */
    gint quit;             /* atomic */
    gint generation;       /* atomic: the newest preview's tag */
    gboolean closed;       /* main thread: no more callbacks */
    preview_done_fn done;
    gpointer user_data;
};

void preview_job_free(preview_job *job)
{
    if (!job)
        return;
    g_free(job->model_path);
    g_free(job->mix);
    g_free(job->code);
    cg_image_free(job->input);
    cg_image_free(job->stats_source);
    g_free(job);
}

static void result_free(preview_result *r)
{
    g_clear_object(&r->styled);
    g_clear_object(&r->heat);
    g_free(r->error);
    g_free(r);
}

static void worker_unref(preview_worker *w)
{
    if (!g_atomic_ref_count_dec(&w->refs))
        return;
    g_mutex_clear(&w->lock);
    g_cond_clear(&w->wake);
    g_free(w);
}

GdkPixbuf *pixbuf_from_image(const cg_image *img, int x, int y, int width, int height)
{
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, TRUE, 8, width, height);
    if (!pb)
        return NULL;
    guchar *base = gdk_pixbuf_get_pixels(pb);
    int stride = gdk_pixbuf_get_rowstride(pb);
    for (int j = 0; j < height; j++) {
        guchar *row = base + (size_t)j * stride;
        const float *src = cg_image_at(img, x, y + j);
        for (int i = 0; i < width * 4; i++) {
            float v = src[i];
            row[i] = (guchar)lrintf((v > 1.0f ? 1.0f : v > 0.0f ? v : 0.0f) * 255.0f);
        }
    }
    return pb;
}

typedef struct delivery {
    preview_worker *w;
    preview_result *r;
} delivery;

static gboolean deliver_in_main(gpointer data)
{
    delivery *d = data;
    if (!d->w->closed)
        d->w->done(d->r, d->w->user_data);
    result_free(d->r);
    worker_unref(d->w);
    g_free(d);
    return G_SOURCE_REMOVE;
}

typedef struct cancel_check {
    preview_worker *w;
    const preview_job *job;
} cancel_check;

/* comicgan's progress callback, used to stop work nobody will see. */
static bool still_wanted(void *data, float fraction)
{
    cancel_check *c = data;
    if (g_atomic_int_get(&c->w->quit))
        return false;
    return c->job->thumbnail || g_atomic_int_get(&c->w->generation) == c->job->tag;
}

static cg_model *model_for(GHashTable *models, const char *path, cg_error *err)
{
    cg_model *m = g_hash_table_lookup(models, path);
    if (!m && (m = cg_model_load(path, err)))
        g_hash_table_insert(models, g_strdup(path), m);
    return m;
}

/* Runs one job; NULL when it was cancelled. */
static preview_result *run_job(preview_worker *w, GHashTable *models, preview_job *job)
{
    preview_result *r = g_new0(preview_result, 1);
    r->thumbnail = job->thumbnail;
    r->tag = job->tag;
    cancel_check check = {w, job};
    cg_error err = {0};
    cg_status status = CG_OK;
    cg_model *m = model_for(models, job->model_path, &err);
    if (!m)
        status = err.code;

    cg_stylize_options o = cg_stylize_defaults();
    o.style = job->style_index;
    o.mix = job->mix;
    o.code = job->code;
    o.strength = job->strength;
    o.line_weight = job->line_weight;
    o.denoise = job->denoise;
    o.contrast = job->contrast;
    o.keep_colors = job->keep_colors;
    o.tile = job->tile;
    o.scale = job->scale;
    o.progress = still_wanted;
    o.progress_data = &check;

    /* The attention first: stylizing below works in place. */
    if (status == CG_OK && job->point >= 0) {
        int n = job->input->width * job->input->height;
        float *map = g_try_new(float, n);
        cg_image *heat = cg_image_new(job->input->width, job->input->height, &err);
        if (!map || !heat)
            status = map ? err.code : cg_fail(&err, CG_ERR_NOMEM, "%s", _("Out of memory."));
        else if ((status = cg_stylize_attention(m, job->input, job->point, &o, map, &err)) == CG_OK) {
            cg_heatmap(map, heat->width, heat->height, 0.6f, heat);
            r->heat = pixbuf_from_image(heat, job->x, job->y, job->width, job->height);
        }
        g_free(map);
        cg_image_free(heat);
    }
    if (status == CG_OK && job->stylize && job->stats_source) {
        /* A 100% view of a part: the whole drawable's statistics, so the part
         * looks as it will in the final result. */
        cg_stylize_options so = o;
        so.scale = job->stats_scale;
        cg_stylize_stats *stats = cg_stylize_compute_stats(m, (const cg_image *const *)&job->stats_source, 1, &so, &err);
        status = stats ? cg_stylize_with_stats(m, stats, job->input, job->input, &o, &err) : err.code;
        cg_stylize_stats_free(stats);
    } else if (status == CG_OK && job->stylize) {
        status = cg_stylize(m, job->input, job->input, &o, &err);
    }
    if (status == CG_ERR_CANCELLED) {
        result_free(r);
        return NULL;
    }
    if (status == CG_OK)
        r->styled = pixbuf_from_image(job->input, job->x, job->y, job->width, job->height);
    else
        r->error = g_strdup(err.message);
    return r;
}

static gpointer worker_main(gpointer data)
{
    preview_worker *w = data;
    GHashTable *models = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)cg_model_free);
    g_mutex_lock(&w->lock);
    for (;;) {
        while (!g_atomic_int_get(&w->quit) && !w->preview && g_queue_is_empty(&w->thumbnails))
            g_cond_wait(&w->wake, &w->lock);
        if (g_atomic_int_get(&w->quit))
            break;
        preview_job *job = w->preview;
        if (job)
            w->preview = NULL;
        else
            job = g_queue_pop_head(&w->thumbnails);
        g_mutex_unlock(&w->lock);

        preview_result *r = run_job(w, models, job);
        preview_job_free(job);
        if (r) {
            delivery *d = g_new(delivery, 1);
            g_atomic_ref_count_inc(&w->refs);
            d->w = w;
            d->r = r;
            g_idle_add(deliver_in_main, d);
        }
        g_mutex_lock(&w->lock);
    }
    g_mutex_unlock(&w->lock);
    g_hash_table_destroy(models);
    return NULL;
}

preview_worker *preview_worker_new(preview_done_fn done, gpointer user_data)
{
    preview_worker *w = g_new0(preview_worker, 1);
    g_atomic_ref_count_init(&w->refs);
    g_mutex_init(&w->lock);
    g_cond_init(&w->wake);
    g_queue_init(&w->thumbnails);
    w->done = done;
    w->user_data = user_data;
    w->thread = g_thread_new("comicgan-preview", worker_main, w);
    return w;
}

void preview_worker_submit(preview_worker *w, preview_job *job)
{
    g_mutex_lock(&w->lock);
    if (job->thumbnail) {
        g_queue_push_tail(&w->thumbnails, job);
    } else {
        preview_job_free(w->preview);
        w->preview = job;
        g_atomic_int_set(&w->generation, job->tag);
    }
    g_cond_signal(&w->wake);
    g_mutex_unlock(&w->lock);
}

void preview_worker_free(preview_worker *w)
{
    if (!w)
        return;
    g_mutex_lock(&w->lock);
    g_atomic_int_set(&w->quit, 1);
    g_cond_signal(&w->wake);
    g_mutex_unlock(&w->lock);
    g_thread_join(w->thread);
    preview_job_free(w->preview);
    g_queue_clear_full(&w->thumbnails, (GDestroyNotify)preview_job_free);
    w->closed = TRUE;
    worker_unref(w);
}
