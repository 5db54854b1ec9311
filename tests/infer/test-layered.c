/* Layered passes over large images: tiled results through the activation
 * cache equal whole-image results, in memory and spilled to a temporary file;
 * the file never outlives the call (success, cancel, write error); a disk
 * without room for the file fails before any work; the memory budget holds; progress is monotonic and ends at 1; the planned work stays
 * near one whole pass. Models have seeded random weights. */
#include "fixture.h"
#include "infer/cache.h"
#include "infer/run.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every kind of point and kept tensor: residual blocks, CAM + CBAM with
 * AdaLIN and bilinear upsampling, layer norm with transposed convolutions,
 * a U-Net's skips, a guided base with a post stage, a box-mean base. */
static const char *const archs[] = {
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 2, \"norm\": \"instance\"}",
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"adalin\", "
    "\"attention\": [\"cam\", \"cbam\"], \"upsample\": \"bilinear\"}",
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 1, \"blocks\": 1, \"norm\": \"layer\", "
    "\"upsample\": \"transposed\"}",
    "{\"type\": \"unet\", \"width\": 8, \"downsamples\": 2, \"norm\": \"instance\"}",
    POST_ARCH,
    "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, \"norm\": \"instance\", "
    "\"residual\": true, \"residual_blur\": 6}",
};

/* The shipped generators' shape (cel's): width 24, 4 blocks, a guided base of
 * 3 passes and a post stage. */
#define CEL_ARCH                                                                                               \
    "{\"type\": \"resnet\", \"width\": 24, \"downsamples\": 2, \"blocks\": 4, \"norm\": \"instance\", "         \
    "\"activation\": \"leaky_relu\", \"residual\": true, \"residual_guided\": 3, \"guided_radius\": 6, "         \
    "\"guided_eps\": 0.02, \"post_smooth\": 2, \"post_smooth_radius\": 3, \"post_bands\": 6}"

/* A fresh, empty folder made the temporary folder ($TMPDIR) for a test. */
static char *fresh_tmpdir(void)
{
    char *dir = g_dir_make_tmp("comicgan-test-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_setenv("TMPDIR", dir, TRUE);
    return dir;
}

static int files_in(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    int n = 0;
    while (d && g_dir_read_name(d))
        n++;
    if (d)
        g_dir_close(d);
    return n;
}

static void remove_tmpdir(char *dir)
{
    g_assert_cmpint(files_in(dir), ==, 0); /* nothing left behind */
    g_assert_cmpint(rmdir(dir), ==, 0);
    g_unsetenv("TMPDIR");
    g_free(dir);
}

/* The cache itself, with its entries in the file: frames wider than a
 * stripe of the file's layout, written in regions that cut stripes anywhere
 * (from buffers placed anywhere) and read back in other regions, give back
 * what was written: exactly as 32-bit floats, within a half's rounding as
 * 16-bit ones. Nothing is kept in memory, and the files are unlinked. */
static void check_file_regions(int64_t columns, const int64_t *cols, size_t ncols)
{
    char *dir = fresh_tmpdir();
    const int64_t channels = 3, h[2] = {37, 20}, w[2] = {700, 300};
    cg_act_cache *c = cg_act_cache_new(0, 2, false);
    cg_error err = {0};
    g_assert_cmpint(cg_act_cache_add(c, 1, channels, h, w, true, columns, &err), ==, CG_OK);
    g_assert_cmpint(cg_act_cache_add(c, 2, channels, h, w, false, columns, &err), ==, CG_OK);
    g_assert_cmpint(files_in(dir), ==, 0);
    const int64_t rows[] = {0, 10, 11, 37};
    cg_rng rng;
    cg_rng_seed(&rng, 5);
    for (int f = 0; f < 2; f++) {
        int64_t n = channels * h[f] * w[f];
        float *frame = g_new(float, n), *back = g_new(float, n);
        for (int64_t i = 0; i < n; i++)
            frame[i] = (float)cg_rng_uniform_range(&rng, -2, 2);
        for (int key = 1; key <= 2; key++) {
            /* every region of the grid, from a buffer one pixel larger on each side
             * where the frame has room (so it starts away from the region) */
            for (size_t a = 0; a + 1 < ncols; a++)
                for (size_t b = 0; b + 1 < G_N_ELEMENTS(rows); b++) {
                    int64_t x0 = cols[a] < w[f] ? cols[a] : w[f], x1 = cols[a + 1] < w[f] ? cols[a + 1] : w[f];
                    int64_t y0 = rows[b] < h[f] ? rows[b] : h[f], y1 = rows[b + 1] < h[f] ? rows[b + 1] : h[f];
                    if (x1 <= x0 || y1 <= y0)
                        continue;
                    int64_t sx = x0 > 0 ? x0 - 1 : 0, sy = y0 > 0 ? y0 - 1 : 0;
                    int64_t sw = (x1 < w[f] ? x1 + 1 : x1) - sx, sh = (y1 < h[f] ? y1 + 1 : y1) - sy;
                    float *src = g_new(float, channels * sh * sw);
                    for (int64_t ch = 0; ch < channels; ch++)
                        for (int64_t y = 0; y < sh; y++)
                            memcpy(src + (ch * sh + y) * sw, frame + (ch * h[f] + sy + y) * w[f] + sx,
                                   (size_t)sw * sizeof(float));
                    g_assert_cmpint(cg_act_cache_put(c, key, f, src, sh, sw, sx, sy, x0, y0, x1, y1, &err), ==,
                                    CG_OK);
                    g_free(src);
                }
            /* read back whole, and in a window across three stripes */
            g_assert_cmpint(cg_act_cache_get(c, key, f, back, 0, 0, w[f], h[f], &err), ==, CG_OK);
            for (int64_t i = 0; i < n; i++)
                g_assert_cmpfloat(fabsf(back[i] - frame[i]), <=, key == 1 ? 0.0f : 1.0f / 1024);
            int64_t x = w[f] > 600 ? 200 : 10, y = 5, ww = w[f] > 600 ? 400 : 250, hh = h[f] > 30 ? 20 : 12;
            g_assert_cmpint(cg_act_cache_get(c, key, f, back, x, y, ww, hh, &err), ==, CG_OK);
            for (int64_t ch = 0; ch < channels; ch++)
                for (int64_t r = 0; r < hh; r++)
                    for (int64_t k = 0; k < ww; k++)
                        g_assert_cmpfloat(fabsf(back[(ch * hh + r) * ww + k] - frame[(ch * h[f] + y + r) * w[f] + x + k]),
                                          <=, key == 1 ? 0.0f : 1.0f / 1024);
        }
        g_free(frame);
        g_free(back);
    }
    g_assert_cmpuint(cg_act_cache_peak_ram(c), ==, 0);
    g_assert_cmpuint(cg_act_cache_peak_file(c), ==, (size_t)channels * (37 * 700 + 20 * 300) * (4 + 2));
    cg_act_cache_free(c);
    remove_tmpdir(dir);
}

static void test_file_regions(void)
{
    const int64_t anywhere[] = {0, 1, 100, 255, 256, 257, 511, 513, 700};
    check_file_regions(0, anywhere, G_N_ELEMENTS(anywhere));
    /* written in bands of 150 columns (as tiles' centres are): the stripes
     * divide the bands (75 wide), and the last band is cut by the frame */
    const int64_t bands[] = {0, 150, 300, 450, 600, 700};
    check_file_regions(150, bands, G_N_ELEMENTS(bands));
    /* bands no divisor of which is wide enough: the default stripes */
    const int64_t odd[] = {0, 37, 74, 111, 148, 185, 222, 259, 296, 333, 370, 407, 444, 481, 518, 555, 592, 629, 666, 700};
    check_file_regions(37, odd, G_N_ELEMENTS(odd));
}

/* Tiled with the cache in memory and with every cached tensor in the
 * temporary file: both equal the whole-image result; the file is gone after. */
static void test_spilled_equals_whole(void)
{
    char *dir = fresh_tmpdir();
    for (size_t a = 0; a < G_N_ELEMENTS(archs); a++) {
        cg_model *m = random_model(archs[a], NULL, 30 + a);
        cg_image *in = test_image(170, 130, (guint32)a);
        cg_stylize_options o = cg_stylize_defaults();
        cg_image *whole = stylize_or_die(m, in, &o);
        o.tile = 16;
        cg_image *in_memory = stylize_or_die(m, in, &o);
        o.memory_budget = 1; /* no room: every cached tensor goes to the file */
        cg_stylize_cost cost;
        cg_error err = {0};
        g_assert_cmpint(cg_stylize_estimate(m, in->width, in->height, &o, &cost, &err), ==, CG_OK);
        g_assert_cmpfloat(cost.temp_file, >, 0);
        cg_image *spilled = stylize_or_die(m, in, &o);
        double d_mem = max_diff(whole, in_memory, false), d_file = max_diff(whole, spilled, false);
        g_test_message("arch %zu: max |tiled - whole| %.3g in memory, %.3g through the file (%.0f KiB)", a, d_mem,
                       d_file, cost.temp_file / 1024);
        g_assert_cmpfloat(d_mem, <=, 1.0 / 255);
        g_assert_cmpfloat(d_file, <=, 1.0 / 255);
        g_assert_cmpfloat(max_diff(in_memory, spilled, false), ==, 0); /* the same values, wherever kept */
        g_assert_cmpint(files_in(dir), ==, 0);
        cg_image_free(in);
        cg_image_free(whole);
        cg_image_free(in_memory);
        cg_image_free(spilled);
        cg_model_free(m);
    }
    remove_tmpdir(dir);
}

/* A kept tensor beyond 16-bit floats (a residual block's input of 1e5 and
 * more, which the blocks' own norms bring back): the pass runs again with
 * 32-bit floats, and the result still equals the whole image's, in memory
 * and through the file; progress never goes back. */
static int progress_calls;
static float progress_last;
static bool progress_monotonic;

static bool watch_progress(void *user, float fraction)
{
    progress_monotonic = progress_monotonic && fraction >= progress_last;
    progress_last = fraction;
    progress_calls++;
    return true;
}

static void test_half_overflow(void)
{
    char *dir = fresh_tmpdir();
    cg_model *m = random_model(archs[0], NULL, 41);
    cg_params *ps = cg_net_params(cg_model_net(m));
    cg_tensor *gamma = cg_params_get(ps, cg_params_find(ps, "down1.norm.gamma"));
    for (int64_t k = 0; k < gamma->size; k++)
        gamma->data[k] = 2e5f;
    cg_image *in = test_image(150, 120, 3);
    cg_stylize_options o = cg_stylize_defaults();
    cg_image *whole = stylize_or_die(m, in, &o);
    o.tile = 16;
    o.progress = watch_progress;
    for (int spill = 0; spill < 2; spill++) {
        o.memory_budget = spill ? 1 : 0;
        progress_calls = 0;
        progress_last = 0;
        progress_monotonic = true;
        cg_image *tiled = stylize_or_die(m, in, &o);
        double d = max_diff(whole, tiled, false);
        g_test_message("spill %d: max |tiled - whole| = %.3g, %d progress calls", spill, d, progress_calls);
        g_assert_cmpfloat(d, <=, 1.0 / 255);
        g_assert_true(progress_monotonic);
        g_assert_cmpfloat(progress_last, ==, 1.0f);
        g_assert_cmpint(files_in(dir), ==, 0);
        cg_image_free(tiled);
    }
    cg_image_free(in);
    cg_image_free(whole);
    cg_model_free(m);
    remove_tmpdir(dir);
}

/* Where the temporary file cannot be made: a clear error naming TMPDIR, the
 * output untouched; with room in memory for the cache, no file is needed. */
static void test_no_tmpdir(void)
{
    cg_model *m = random_model(archs[0], NULL, 40);
    cg_image *in = test_image(160, 120, 1);
    cg_error err = {0};
    cg_image *out = cg_image_new(160, 120, &err);
    g_setenv("TMPDIR", "/nonexistent/comicgan-test", TRUE);
    cg_stylize_options o = cg_stylize_defaults();
    o.tile = 16;
    o.memory_budget = 1;
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_IO);
    g_test_message("%s", err.message);
    g_assert_nonnull(strstr(err.message, "TMPDIR"));
    g_assert_nonnull(strstr(err.message, "/nonexistent/comicgan-test"));
    for (size_t i = 0; i < (size_t)160 * 120 * 4; i++)
        g_assert_cmpfloat(out->pixels[i], ==, 0.0f);
    o.memory_budget = 0;
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_OK);
    g_unsetenv("TMPDIR");
    cg_image_free(in);
    cg_image_free(out);
    cg_model_free(m);
}

static bool cancel_late(void *user, float fraction)
{
    return fraction < 0.6f;
}

/* A cancel half-way through, and a write that fails (the file-size limit
 * standing in for a full disk): an error, the output untouched, no file. */
static void test_cancel_and_write_error(void)
{
    char *dir = fresh_tmpdir();
    cg_model *m = random_model(archs[3], NULL, 41);
    cg_image *in = test_image(120, 96, 2);
    cg_error err = {0};
    cg_image *out = cg_image_new(120, 96, &err);
    cg_stylize_options o = cg_stylize_defaults();
    o.tile = 16;
    o.memory_budget = 1;
    o.progress = cancel_late;
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_CANCELLED);
    g_assert_cmpint(files_in(dir), ==, 0);
    o.progress = NULL;

    struct rlimit old, small;
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
    small = old;
    small.rlim_cur = 16 << 10; /* the cache needs far more than 16 KiB */
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
    cg_status st = cg_stylize(m, in, out, &o, &err);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
    signal(SIGXFSZ, was);
    g_assert_cmpint(st, ==, CG_ERR_IO);
    g_test_message("%s", err.message);
    g_assert_nonnull(strstr(err.message, "writing the tile cache's temporary file"));
    g_assert_nonnull(strstr(err.message, dir));
    for (size_t i = 0; i < (size_t)120 * 96 * 4; i++)
        g_assert_cmpfloat(out->pixels[i], ==, 0.0f);
    remove_tmpdir(dir);
    cg_image_free(in);
    cg_image_free(out);
    cg_model_free(m);
}

static bool write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Mounts a tmpfs of `bytes` on dir, seen by this process alone: a mount
 * namespace of its own (with a user namespace where it is not root), so the
 * mount goes away with the process. */
static bool private_tmpfs(const char *dir, size_t bytes)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWNS) != 0) {
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
            return false;
        char map[64];
        snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
        if (!write_file("/proc/self/uid_map", map) || !write_file("/proc/self/setgroups", "deny"))
            return false;
        snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
        if (!write_file("/proc/self/gid_map", map))
            return false;
    }
    char size[64];
    snprintf(size, sizeof size, "size=%zu", bytes);
    return mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
           mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, size) == 0;
}

static bool count_progress(void *user, float fraction)
{
    if (fraction > 0)
        ++*(int *)user;
    return true;
}

/* In a subprocess (the tmpfs is its own): a temporary folder with less room
 * than the run will spill fails at once, before any progress, with a message
 * naming the folder, what is needed and free, and the ways out; the output
 * untouched. With room enough the same run succeeds. */
static void no_room_child(void)
{
    char *dir = g_dir_make_tmp("comicgan-test-XXXXXX", NULL);
    g_assert_nonnull(dir);
    cg_model *m = random_model(archs[3], NULL, 45);
    cg_image *in = test_image(120, 96, 5);
    cg_error err = {0};
    cg_image *out = cg_image_new(120, 96, &err);
    int progressed = 0;
    cg_stylize_options o = cg_stylize_defaults();
    o.tile = 16;
    o.memory_budget = 1;
    o.progress = count_progress;
    o.progress_data = &progressed;
    cg_stylize_cost cost;
    g_assert_cmpint(cg_stylize_estimate(m, in->width, in->height, &o, &cost, &err), ==, CG_OK);
    g_test_message("the run spills %.0f KiB", cost.temp_file / 1024);
    g_assert_cmpfloat(cost.temp_file, >=, 64 << 10);
    g_assert_true(private_tmpfs(dir, (size_t)cost.temp_file / 4));
    g_setenv("TMPDIR", dir, TRUE);
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_ERR_IO);
    g_test_message("%s", err.message);
    g_assert_nonnull(strstr(err.message, dir));
    g_assert_nonnull(strstr(err.message, "free"));
    g_assert_nonnull(strstr(err.message, "memory budget"));
    g_assert_nonnull(strstr(err.message, "TMPDIR"));
    g_assert_cmpint(progressed, ==, 0);
    for (size_t i = 0; i < (size_t)120 * 96 * 4; i++)
        g_assert_cmpfloat(out->pixels[i], ==, 0.0f);
    g_assert_cmpint(files_in(dir), ==, 0);

    g_assert_cmpint(umount(dir), ==, 0);
    g_assert_true(mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m") == 0);
    g_assert_cmpint(cg_stylize(m, in, out, &o, &err), ==, CG_OK);
    g_assert_cmpint(progressed, >, 0);
    g_assert_cmpint(files_in(dir), ==, 0);
    g_assert_cmpint(umount(dir), ==, 0);
    g_assert_cmpint(rmdir(dir), ==, 0);
    g_free(dir);
    cg_image_free(in);
    cg_image_free(out);
    cg_model_free(m);
}

static void test_no_room(void)
{
    if (g_test_subprocess()) {
        no_room_child();
        return;
    }
    /* Whether this system lets a process mount its own tmpfs at all. */
    char *dir = g_dir_make_tmp("comicgan-test-XXXXXX", NULL);
    g_assert_nonnull(dir);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(private_tmpfs(dir, 64 << 10) ? 0 : 1);
    int status = 0;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_cmpint(rmdir(dir), ==, 0);
    g_free(dir);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_test_skip("a small tmpfs cannot be mounted here (needs root or unprivileged user namespaces), so the "
                    "free-space check before a spilling run is not tested");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

/* The planned memory (buffers and cache in memory) stays within the budget,
 * the rest going to the file; more memory means less file; every budget gives
 * the same image. */
static void test_memory_budget(void)
{
    char *dir = fresh_tmpdir();
    cg_model *m = random_model(archs[0], NULL, 42);
    cg_image *in = test_image(400, 300, 3);
    cg_stylize_options o = cg_stylize_defaults();
    cg_image *whole = stylize_or_die(m, in, &o);
    const size_t budgets[] = {(size_t)2 << 20, (size_t)4 << 20, (size_t)7 << 20, (size_t)9 << 20};
    /* What a whole-image run plans depends on the thread count (a workspace
     * per thread), so tiling is expected exactly below that. */
    cg_stylize_cost whole_cost;
    cg_error whole_err = {0};
    o.memory_budget = (size_t)64 << 20;
    g_assert_cmpint(cg_stylize_estimate(m, in->width, in->height, &o, &whole_cost, &whole_err), ==, CG_OK);
    g_assert_cmpint(whole_cost.tile, ==, 0);
    double last_file = INFINITY;
    for (size_t b = 0; b < G_N_ELEMENTS(budgets); b++) {
        o.memory_budget = budgets[b];
        cg_stylize_cost cost;
        cg_error err = {0};
        g_assert_cmpint(cg_stylize_estimate(m, in->width, in->height, &o, &cost, &err), ==, CG_OK);
        g_test_message("budget %.0f MiB: tile %d, %.2f MiB planned in memory, %.2f MiB in the file, work %.2fx",
                       budgets[b] / 1048576.0, cost.tile, cost.memory / 1048576, cost.temp_file / 1048576,
                       cost.flops / cost.whole_flops);
        g_assert_cmpint(cost.tile == 0, ==, whole_cost.memory <= (double)budgets[b]);
        g_assert_cmpfloat(cost.memory, <=, (double)budgets[b]);
        g_assert_cmpfloat(cost.temp_file, <=, last_file);
        last_file = cost.temp_file;
        cg_image *out = stylize_or_die(m, in, &o);
        g_assert_cmpfloat(max_diff(whole, out, false), <=, 1.0 / 255);
        cg_image_free(out);
    }
    g_assert_cmpfloat(last_file, <, 2 << 20);
    /* with room for the whole image's buffers it runs whole */
    o.memory_budget = (size_t)64 << 20;
    cg_stylize_cost cost;
    cg_error err = {0};
    g_assert_cmpint(cg_stylize_estimate(m, in->width, in->height, &o, &cost, &err), ==, CG_OK);
    g_assert_cmpint(cost.tile, ==, 0);
    g_assert_cmpfloat(cost.temp_file, ==, 0);
    remove_tmpdir(dir);
    cg_image_free(whole);
    cg_image_free(in);
    cg_model_free(m);
}

typedef struct trace {
    GArray *f;
} trace;

static bool record(void *user, float fraction)
{
    g_array_append_val(((trace *)user)->f, fraction);
    return true;
}

/* Progress through the layered passes (and frames) only moves forward, in
 * many steps, and ends at exactly 1. */
static void test_progress(void)
{
    cg_model *m = random_model(archs[1], NULL, 43);
    cg_image *in = test_image(150, 110, 4);
    trace t = {g_array_new(FALSE, FALSE, sizeof(float))};
    cg_stylize_options o = cg_stylize_defaults();
    o.tile = 32;
    o.progress = record;
    o.progress_data = &t;
    cg_image *out = stylize_or_die(m, in, &o);
    const float *f = (const float *)t.f->data;
    g_test_message("%u progress calls", t.f->len);
    g_assert_cmpuint(t.f->len, >, 20);
    g_assert_cmpfloat(f[0], <, 0.1);
    for (guint i = 1; i < t.f->len; i++)
        if (f[i] < f[i - 1])
            g_error("progress went back from %g to %g at call %u", f[i - 1], f[i], i);
    g_assert_cmpfloat(f[t.f->len - 1], ==, 1.0f);
    /* in proportion to the work: the halfway call comes about halfway through the layers run */
    guint half = 0;
    while (half < t.f->len && f[half] < 0.5f)
        half++;
    g_test_message("progress passes 0.5 at call %u of %u", half, t.f->len);
    g_assert_cmpuint(half, >, t.f->len / 5);
    g_assert_cmpuint(half, <, t.f->len * 4 / 5);
    g_array_free(t.f, TRUE);
    cg_image_free(out);
    cg_image_free(in);
    cg_model_free(m);
}

/* The plan for big canvases with the shipped generators' shape: within 1.3x
 * of one whole pass's work at every size, and within the default budget. */
static void test_work_ratio(void)
{
    cg_model *m = random_model(CEL_ARCH, NULL, 44);
    const int sizes[][2] = {{2048, 2048}, {4000, 3000}, {8192, 8192}, {16384, 16384}, {16384, 64}};
    for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
        cg_stylize_options o = cg_stylize_defaults();
        o.scale = 1;
        cg_stylize_cost cost;
        cg_error err = {0};
        g_assert_cmpint(cg_stylize_estimate(m, sizes[s][0], sizes[s][1], &o, &cost, &err), ==, CG_OK);
        double ratio = cost.flops / cost.whole_flops;
        g_test_message("%dx%d: tile %d, work %.3fx of one whole pass, %.0f MiB in memory, %.0f MiB in the file",
                       sizes[s][0], sizes[s][1], cost.tile, ratio, cost.memory / 1048576, cost.temp_file / 1048576);
        g_assert_cmpfloat(ratio, <=, 1.3);
        g_assert_cmpfloat(cost.memory, <=, 768.0 * 1048576);
    }
    cg_model_free(m);
}

/* The work counts each pass of the colour-guided filter (the residual's
 * base and the post stage's smoothing), which takes as much time as a good
 * share of the convolutions: the same network with more passes costs more,
 * by the same amount a pass. Without it, progress stalled near the end. */
static double guided_flops(int residual_guided, int post_smooth)
{
    char *post = post_smooth ? g_strdup_printf(", \"post_smooth\": %d", post_smooth) : g_strdup("");
    char *arch = g_strdup_printf("{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 1, "
                                 "\"norm\": \"instance\", \"residual\": true, \"residual_guided\": %d%s}",
                                 residual_guided, post);
    g_free(post);
    cg_model *m = random_model(arch, NULL, 45);
    g_assert_cmpint(cg_arch_guided_passes(&cg_model_net(m)->arch), ==, residual_guided + post_smooth);
    double flops = cg_infer_flops(cg_model_net(m), 96, 64, -1);
    cg_model_free(m);
    g_free(arch);
    return flops;
}

static void test_guided_work(void)
{
    double one = guided_flops(1, 0), two = guided_flops(1, 1), four = guided_flops(2, 2);
    g_assert_cmpfloat(two - one, >, 0);
    g_assert_cmpfloat(fabs((four - one) - 3 * (two - one)), <, 1e-6 * four);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/infer/layered/file_regions", test_file_regions);
    g_test_add_func("/infer/layered/spilled_equals_whole", test_spilled_equals_whole);
    g_test_add_func("/infer/layered/half_overflow", test_half_overflow);
    g_test_add_func("/infer/layered/no_tmpdir", test_no_tmpdir);
    g_test_add_func("/infer/layered/cancel_and_write_error", test_cancel_and_write_error);
    g_test_add_func("/infer/layered/no_room", test_no_room);
    g_test_add_func("/infer/layered/memory_budget", test_memory_budget);
    g_test_add_func("/infer/layered/progress", test_progress);
    g_test_add_func("/infer/layered/work_ratio", test_work_ratio);
    g_test_add_func("/infer/layered/guided_work", test_guided_work);
    return g_test_run();
}
