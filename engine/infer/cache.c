/* The activation cache of layered passes (see cache.h). */
#include "infer/cache.h"

#include "comicgan/tensor.h"
#include "core/half.h"
#include "core/threads.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define HALF_MAX 65504.0f

/* An entry in files spreads its channels over up to FILES of them: writes
 * to one file wait on its lock, and with one file a 2-thread run spent a
 * quarter of its time in the kernel with one thread spinning on the lock
 * while the other wrote. The files are sparse, at the offsets of one. */
enum { FILES = 8 };

typedef struct entry {
    int key;
    int64_t channels;
    int64_t *h, *w;
    int64_t *offset; /* per frame, in values */
    size_t bytes;
    unsigned char *ram; /* the values, or NULL when they are in the file */
    bool exact;      /* stored as 32-bit floats */
    bool in_ram;     /* counted in memory (else in files) */
    int fd[FILES];   /* unlinked temporary files, or -1: channel c's values are in file c * files / channels */
    int files;
    bool in_file;    /* counted in files */
    int64_t stripe;  /* the file's stripe width (see stripe_for) */
    bool sealed;
} entry;

/* A dropped entry's memory block is kept for the next entry of its size
 * (the passes' tensors repeat in size): fresh memory costs a page fault a
 * page, which on some machines costs more than the copy into it. */
typedef struct block {
    unsigned char *data;
    size_t bytes;
} block;

struct cg_act_cache {
    size_t budget, ram, file, peak_ram, peak_file;
    int frames;
    bool dry;      /* only counting: nothing is allocated or written */
    GPtrArray *entries;
    bool overflow;
    GArray *spare;      /* memory blocks of dropped entries, counted in ram, for reuse */
};

/* A file keeps each frame in column stripes of e->stripe values: stripe k
 * holds columns [k stripe, (k + 1) stripe) of every channel, channel after
 * channel and row after row, so the rows of a region in one stripe of one
 * channel are one range of the file, read or written by one system call. Row
 * by row, a 12 MP image made millions of calls of a few kilobytes each, and
 * they cost more than the network's arithmetic. */
enum { STRIPE = 256 };

/* The stripe width for writes in column bands of `columns` (0: anywhere):
 * the widest divisor of the band up to STRIPE, so that a write covers whole
 * stripes. A write that covers part of a stripe must read it first, and at
 * 64 MP those reads were 40 % of the cache's traffic through the kernel. */
static int64_t stripe_for(int64_t columns)
{
    for (int64_t n = (columns + STRIPE - 1) / STRIPE; columns > 0 && n <= columns; n++)
        if (columns % n == 0)
            return columns / n >= STRIPE / 4 ? columns / n : STRIPE;
    return STRIPE;
}

cg_act_cache *cg_act_cache_new(size_t ram_budget, int frames, bool dry)
{
    cg_act_cache *c = g_new0(cg_act_cache, 1);
    c->dry = dry;
    c->budget = ram_budget;
    c->frames = frames;
    c->entries = g_ptr_array_new();
    c->spare = g_array_new(FALSE, FALSE, sizeof(block));
    return c;
}

static size_t value_size(const entry *e)
{
    return e->exact ? sizeof(float) : sizeof(uint16_t);
}

static void entry_free(cg_act_cache *c, entry *e)
{
    if (e->in_ram && e->ram) {
        block b = {e->ram, e->bytes};
        g_array_append_val(c->spare, b); /* still counted in c->ram */
        e->ram = NULL;
    } else if (e->in_ram) {
        c->ram -= e->bytes;
    } else if (e->in_file) {
        c->file -= e->bytes;
    }
    for (int i = 0; i < e->files; i++)
        if (e->fd[i] >= 0)
            close(e->fd[i]);
    g_free(e->h);
    g_free(e->w);
    g_free(e->offset);
    g_free(e);
}

void cg_act_cache_free(cg_act_cache *c)
{
    if (!c)
        return;
    for (guint i = 0; i < c->entries->len; i++)
        entry_free(c, g_ptr_array_index(c->entries, i));
    g_ptr_array_free(c->entries, TRUE);
    for (guint i = 0; i < c->spare->len; i++)
        cg_aligned_free(g_array_index(c->spare, block, i).data);
    g_array_free(c->spare, TRUE);
    g_free(c);
}

static entry *find(const cg_act_cache *c, int key)
{
    for (guint i = 0; i < c->entries->len; i++) {
        entry *e = g_ptr_array_index(c->entries, i);
        if (e->key == key)
            return e;
    }
    return NULL;
}

bool cg_act_cache_has(const cg_act_cache *c, int key)
{
    return find(c, key) != NULL;
}

bool cg_act_cache_sealed(const cg_act_cache *c, int key)
{
    const entry *e = find(c, key);
    return e && e->sealed;
}

void cg_act_cache_seal(cg_act_cache *c, int key)
{
    entry *e = find(c, key);
    if (e)
        e->sealed = true;
}

void cg_act_cache_drop(cg_act_cache *c, int key)
{
    entry *e = find(c, key);
    if (e) {
        g_ptr_array_remove_fast(c->entries, e);
        entry_free(c, e);
    }
}

static const char *tmp_dir(void)
{
    const char *dir = getenv("TMPDIR"); /* read each time: GLib's g_get_tmp_dir keeps its first answer */
    return dir && *dir ? dir : "/tmp";
}

/* A new temporary file, already unlinked: nothing is left behind on any exit. */
static int temp_file(cg_error *err)
{
    char *path = g_build_filename(tmp_dir(), "comicgan-cache-XXXXXX", NULL);
    int fd = g_mkstemp_full(path, O_RDWR, 0600);
    int saved = errno;
    if (fd >= 0)
        g_unlink(path);
    else
        cg_fail(err, CG_ERR_IO, "cannot make a temporary file in %s (TMPDIR) for the tile cache: %s", tmp_dir(),
                g_strerror(saved));
    g_free(path);
    return fd;
}

static cg_status io_failure(bool writing, int saved, cg_error *err)
{
    return cg_fail(err, CG_ERR_IO, "%s the tile cache's temporary file in %s failed: %s%s",
                   writing ? "writing" : "reading", tmp_dir(), g_strerror(saved),
                   writing ? " (the cache needs room there for the activations that exceed the memory "
                             "budget: set TMPDIR to a place with more room, or allow more memory)"
                           : "");
}

cg_status cg_act_cache_check_room(double bytes, cg_error *err)
{
    struct statvfs fs;
    if (bytes <= 0 || statvfs(tmp_dir(), &fs) != 0)
        return CG_OK;
    double free_bytes = (double)fs.f_bavail * (double)fs.f_frsize;
    if (free_bytes >= bytes)
        return CG_OK;
    char *need = g_format_size_full((guint64)bytes, G_FORMAT_SIZE_IEC_UNITS | G_FORMAT_SIZE_LONG_FORMAT);
    char *have = g_format_size_full((guint64)free_bytes, G_FORMAT_SIZE_IEC_UNITS | G_FORMAT_SIZE_LONG_FORMAT);
    cg_fail(err, CG_ERR_IO,
            "not enough free space in %s (TMPDIR) for the tile cache: this image needs %s there beyond the memory "
            "budget and %s is free; raise the memory budget or set TMPDIR to a folder with more room",
            tmp_dir(), need, have);
    g_free(need);
    g_free(have);
    return CG_ERR_IO;
}

/* The entry's files, each sized at once (sparse: no room is taken yet), so
 * that a stripe is read back as zeros where nothing was written to it. */
static cg_status make_files(entry *e, cg_error *err)
{
    e->files = e->channels < FILES ? (int)e->channels : FILES;
    for (int i = 0; i < e->files; i++)
        e->fd[i] = -1;
    for (int i = 0; i < e->files; i++) {
        if ((e->fd[i] = temp_file(err)) < 0)
            return err ? err->code : CG_ERR_IO;
        if (ftruncate(e->fd[i], (off_t)e->bytes) != 0)
            return io_failure(true, errno, err);
    }
    return CG_OK;
}

cg_status cg_act_cache_add(cg_act_cache *c, int key, int64_t channels, const int64_t *h, const int64_t *w,
                           bool exact, int64_t columns, cg_error *err)
{
    entry *e = g_new0(entry, 1);
    e->stripe = stripe_for(columns);
    e->key = key;
    e->exact = exact;
    e->channels = channels;
    e->h = g_memdup2(h, (gsize)c->frames * sizeof *h);
    e->w = g_memdup2(w, (gsize)c->frames * sizeof *w);
    e->offset = g_new(int64_t, (gsize)c->frames);
    int64_t values = 0;
    for (int f = 0; f < c->frames; f++) {
        e->offset[f] = values;
        values += channels * h[f] * w[f];
    }
    e->bytes = (size_t)values * value_size(e);
    /* a spare block of the same size, else room made by freeing the spare ones */
    for (guint i = 0; i < c->spare->len && !e->ram; i++)
        if (g_array_index(c->spare, block, i).bytes == e->bytes) {
            e->ram = g_array_index(c->spare, block, i).data;
            e->in_ram = true;
            g_array_remove_index_fast(c->spare, i);
        }
    while (!e->ram && c->ram + e->bytes > c->budget && c->spare->len > 0) {
        block *b = &g_array_index(c->spare, block, c->spare->len - 1);
        c->ram -= b->bytes;
        cg_aligned_free(b->data);
        g_array_set_size(c->spare, c->spare->len - 1);
    }
    if (e->in_ram) {
        /* reused: already counted */
    } else if (c->ram + e->bytes <= c->budget && (c->dry || (e->ram = cg_aligned_alloc(e->bytes)))) {
        c->ram += e->bytes;
        e->in_ram = true;
    } else if (!c->dry && make_files(e, err) != CG_OK) {
        entry_free(c, e);
        return err ? err->code : CG_ERR_IO;
    } else {
        c->file += e->bytes;
        e->in_file = true;
    }
    c->peak_ram = c->ram > c->peak_ram ? c->ram : c->peak_ram;
    c->peak_file = c->file > c->peak_file ? c->file : c->peak_file;
    g_ptr_array_add(c->entries, e);
    return CG_OK;
}

static cg_status file_io(int fd, bool writing, void *buf, size_t len, int64_t off, cg_error *err)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = writing ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return io_failure(writing, n < 0 ? errno : EIO, err);
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return CG_OK;
}

/* n values from floats into the entry's storage form at dst, and back. */
static void store_values(const entry *e, void *dst, const float *src, int64_t n, bool *overflow)
{
    if (e->exact) {
        memcpy(dst, src, (size_t)n * sizeof(float));
    } else {
        uint16_t *h = dst;
        for (int64_t i = 0; i < n; i++)
            h[i] = cg_half_from_float(src[i], overflow);
    }
}

static void load_values(const entry *e, float *dst, const void *src, int64_t n)
{
    if (e->exact) {
        memcpy(dst, src, (size_t)n * sizeof(float));
    } else {
        const uint16_t *h = src;
        for (int64_t i = 0; i < n; i++)
            dst[i] = cg_half_to_float(h[i]);
    }
}

/* A region of every channel copied between a float buffer and an entry: row
 * r of the region (channel-major) is channel r / rows, row r % rows. */
typedef struct copy_job {
    entry *e;
    int f;
    float *buf;                   /* channels x buf_h x buf_w; only read when writing */
    int64_t buf_h, buf_w, bx, by; /* the region's first pixel is buffer pixel (bx, by) */
    int64_t x, y, w, rows;        /* the region in the entry's frame */
    bool writing;
    atomic_bool overflow, failed;
    GMutex lock;                  /* guards st and err: the first failure is kept */
    cg_status st;
    cg_error err;
} copy_job;

static float *buffer_row(const copy_job *j, int64_t r)
{
    return j->buf + ((r / j->rows) * j->buf_h + j->by + r % j->rows) * j->buf_w + j->bx;
}

/* Byte offset of row r's first value in an entry in memory. */
static int64_t entry_row(const copy_job *j, int64_t r)
{
    const entry *e = j->e;
    int64_t at = e->offset[j->f] + ((r / j->rows) * e->h[j->f] + j->y + r % j->rows) * e->w[j->f] + j->x;
    return at * (int64_t)value_size(e);
}

/* Rows [begin, end) of an entry in memory, copied in place. */
static void copy_rows(void *ctx, int64_t begin, int64_t end)
{
    copy_job *j = ctx;
    const entry *e = j->e;
    bool overflow = false;
    for (int64_t r = begin; r < end; r++) {
        unsigned char *v = e->ram + entry_row(j, r);
        if (j->writing)
            store_values(e, v, buffer_row(j, r), j->w, &overflow);
        else
            load_values(e, buffer_row(j, r), v, j->w);
    }
    if (overflow)
        atomic_store(&j->overflow, true);
}

static int64_t stripe_width(const entry *e, int f, int64_t k)
{
    int64_t left = e->w[f] - k * e->stripe;
    return left < e->stripe ? left : e->stripe;
}

/* Offset in bytes of (channel c, row y, the first column of stripe k). */
static int64_t stripe_at(const entry *e, int f, int64_t k, int64_t c, int64_t y)
{
    int64_t at = e->offset[f] + k * e->channels * e->h[f] * e->stripe + (c * e->h[f] + y) * stripe_width(e, f, k);
    return at * (int64_t)value_size(e);
}

/* The stripes a region's columns touch: the first, and how many. */
static int64_t first_stripe(const copy_job *j)
{
    return j->x / j->e->stripe;
}

static int64_t stripes_touched(const copy_job *j)
{
    return (j->x + j->w - 1) / j->e->stripe - first_stripe(j) + 1;
}

static void record_failure(copy_job *j, cg_status st, const cg_error *err)
{
    g_mutex_lock(&j->lock);
    if (j->st == CG_OK) {
        j->st = st;
        j->err = *err;
    }
    g_mutex_unlock(&j->lock);
    atomic_store(&j->failed, true);
}

/* Units [begin, end), a unit being one channel of one stripe the region
 * touches. Writing part of a stripe's width reads its rows first (what other
 * regions wrote there, or zeros), so that one write puts them back. */
static void copy_stripes(void *ctx, int64_t begin, int64_t end)
{
    copy_job *j = ctx;
    const entry *e = j->e;
    const int f = j->f;
    const size_t vs = value_size(e);
    int64_t first = first_stripe(j), stripes = stripes_touched(j);
    bool overflow = false;
    unsigned char *stripe = g_try_malloc((size_t)(j->rows * e->stripe) * vs);
    cg_error err = {0};
    cg_status st = stripe ? CG_OK : cg_fail(&err, CG_ERR_NOMEM, "out of memory for the tile cache");
    for (int64_t u = begin; u < end && st == CG_OK && !atomic_load(&j->failed); u++) {
        int64_t c = u / stripes, k = first + u % stripes, sx = k * e->stripe, sw = stripe_width(e, f, k);
        int64_t x0 = j->x > sx ? j->x : sx, x1 = j->x + j->w < sx + sw ? j->x + j->w : sx + sw;
        size_t len = (size_t)(j->rows * sw) * vs;
        int64_t off = stripe_at(e, f, k, c, j->y);
        int fd = e->fd[c * e->files / e->channels];
        if ((!j->writing || x0 > sx || x1 < sx + sw) && (st = file_io(fd, false, stripe, len, off, &err)) != CG_OK)
            break;
        for (int64_t r = 0; r < j->rows; r++) {
            float *b = buffer_row(j, c * j->rows + r) + (x0 - j->x);
            unsigned char *v = stripe + (size_t)(r * sw + x0 - sx) * vs;
            if (j->writing)
                store_values(e, v, b, x1 - x0, &overflow);
            else
                load_values(e, b, v, x1 - x0);
        }
        if (j->writing)
            st = file_io(fd, true, stripe, len, off, &err);
    }
    g_free(stripe);
    if (overflow)
        atomic_store(&j->overflow, true);
    if (st != CG_OK)
        record_failure(j, st, &err);
}

/* The copies are spread over the engine's workers, in memory and in files: a
 * tiled run moves every activation at a statistic point in and out, and one
 * thread copying while the other waited cost a 2-thread run more than the
 * copies' own time. */
static cg_status copy_region(cg_act_cache *c, copy_job *j, cg_error *err)
{
    atomic_init(&j->overflow, false);
    atomic_init(&j->failed, false);
    g_mutex_init(&j->lock);
    j->st = CG_OK;
    if (j->e->ram)
        cg_parallel_range(j->e->channels * j->rows, 16, copy_rows, j);
    else if (j->w > 0 && j->rows > 0)
        cg_parallel_range(j->e->channels * stripes_touched(j), 1, copy_stripes, j);
    g_mutex_clear(&j->lock);
    c->overflow = c->overflow || atomic_load(&j->overflow);
    if (j->st != CG_OK && err)
        *err = j->err;
    return j->st;
}

cg_status cg_act_cache_put(cg_act_cache *c, int key, int f, const float *src, int64_t sh, int64_t sw, int64_t sx,
                           int64_t sy, int64_t x0, int64_t y0, int64_t x1, int64_t y1, cg_error *err)
{
    entry *e = find(c, key);
    if (c->dry || !e || f < 0 || f >= c->frames || x0 < 0 || y0 < 0 || x1 > e->w[f] || y1 > e->h[f] || x0 < sx ||
        y0 < sy || x1 > sx + sw || y1 > sy + sh)
        return cg_fail(err, CG_ERR_INVALID, "tile cache: a write outside its tensor");
    copy_job j = {.e = e, .f = f, .buf = (float *)src, .buf_h = sh, .buf_w = sw, .bx = x0 - sx, .by = y0 - sy,
                  .x = x0, .y = y0, .w = x1 - x0, .rows = y1 - y0, .writing = true};
    return copy_region(c, &j, err);
}

cg_status cg_act_cache_get(cg_act_cache *c, int key, int f, float *dst, int64_t x, int64_t y, int64_t w, int64_t h,
                           cg_error *err)
{
    entry *e = find(c, key);
    if (c->dry || !e || f < 0 || f >= c->frames || x < 0 || y < 0 || x + w > e->w[f] || y + h > e->h[f])
        return cg_fail(err, CG_ERR_INVALID, "tile cache: a read outside its tensor");
    copy_job j = {.e = e, .f = f, .buf = dst, .buf_h = h, .buf_w = w, .x = x, .y = y, .w = w, .rows = h};
    return copy_region(c, &j, err);
}

bool cg_act_cache_overflowed(const cg_act_cache *c)
{
    return c->overflow;
}

void cg_act_cache_clear_overflow(cg_act_cache *c)
{
    c->overflow = false;
}

size_t cg_act_cache_peak_ram(const cg_act_cache *c)
{
    return c->peak_ram;
}

size_t cg_act_cache_peak_file(const cg_act_cache *c)
{
    return c->peak_file;
}
