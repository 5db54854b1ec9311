/* Bad input that must fail with the right status and a message, never a
 * crash or a leak; saving that fails must leave nothing behind. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "comicgan/files.h"
#include "image-testutil.h"

/* ---- bad input ---------------------------------------------------------- */

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* A PNG that is only a signature and a valid IHDR claiming w x h. */
static void write_png_header(const char *name, uint32_t w, uint32_t h)
{
    uint8_t b[8 + 25] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    put_be32(b + 16, w);
    put_be32(b + 20, h);
    b[24] = 8, b[25] = 6; /* 8-bit RGBA */
    put_be32(b + 29, crc32_of(b + 12, 17));
    write_all(name, b, sizeof b);
}

static void test_huge(void)
{
    write_png_header("huge.png", 100000, 100000);
    expect_load_failure("huge.png", CG_ERR_UNSUPPORTED, "100000x100000");
    write_png_header("tall.png", 1, CG_IMAGE_MAX_SIDE + 1);
    expect_load_failure("tall.png", CG_ERR_UNSUPPORTED, "limits");
    write_png_header("many.png", 20000, 20000); /* sides fine, too many pixels */
    expect_load_failure("many.png", CG_ERR_UNSUPPORTED, "20000x20000");
    write_png_header("empty-ihdr.png", 0, 5);
    expect_load_failure("empty-ihdr.png", CG_ERR_FORMAT, NULL);

    /* A JPEG whose frame header claims 60000 x 60000. */
    cg_image *img = make_smooth(16, 16, false);
    char *path = tmp_path("small.jpg");
    g_assert_cmpint(cg_image_save(img, path, NULL, NULL), ==, CG_OK);
    g_free(path);
    gsize len;
    uint8_t *j = (uint8_t *)read_all("small.jpg", &len);
    bool patched = false;
    for (gsize i = 0; i + 9 < len && !patched; i++)
        if (j[i] == 0xff && (j[i + 1] == 0xc0 || j[i + 1] == 0xc2)) {
            j[i + 5] = j[i + 7] = 0xea, j[i + 6] = j[i + 8] = 0x60; /* 60000 */
            patched = true;
        }
    g_assert_true(patched);
    write_all("huge.jpg", j, len);
    expect_load_failure("huge.jpg", CG_ERR_UNSUPPORTED, "60000x60000");
    g_free(j);
    cg_image_free(img);

    /* A hand-made TIFF claiming 100000 x 100000 8-bit gray in one strip. */
    uint8_t t[8 + 2 + 9 * 12 + 4] = {'I', 'I', 42, 0, 8, 0, 0, 0, 9, 0};
    const uint16_t tags[9][2] = {{256, 4}, {257, 4}, {258, 3}, {259, 3}, {262, 3},
                                 {273, 4}, {277, 3}, {278, 4}, {279, 4}};
    const uint32_t vals[9] = {100000, 100000, 8, 1, 1, 8, 1, 100000, 10000000};
    for (int i = 0; i < 9; i++) {
        uint8_t *e = t + 10 + 12 * i;
        e[0] = (uint8_t)tags[i][0], e[1] = (uint8_t)(tags[i][0] >> 8);
        e[2] = (uint8_t)tags[i][1], e[4] = 1;
        e[8] = (uint8_t)vals[i], e[9] = (uint8_t)(vals[i] >> 8);
        e[10] = (uint8_t)(vals[i] >> 16), e[11] = (uint8_t)(vals[i] >> 24);
    }
    write_all("huge.tif", t, sizeof t);
    expect_load_failure("huge.tif", CG_ERR_UNSUPPORTED, "100000x100000");
}

/* Writes a real file of each format, then loads every cut of it. */
static void test_truncated(void)
{
    const char *exts[] = {"png", "jpg", "webp", "tif", "png"};
    cg_image *img = make_image(48, 40, 4, 8, 3);
    for (size_t e = 0; e < G_N_ELEMENTS(exts); e++) {
        char *name = g_strdup_printf("whole-%zu.%s", e, exts[e]);
        char *path = tmp_path(name);
        cg_image_save_options o = {.bits = e == 4 ? 16 : 0, .quality = 80};
        g_assert_cmpint(cg_image_save(img, path, &o, NULL), ==, CG_OK);
        gsize len;
        gchar *data = read_all(name, &len);
        size_t cuts[] = {1, 3, 4, 8, 11, 12, 16, 20, 30, 33, 41, 60, 100, len / 4, len / 2,
                         len * 3 / 4, len - 20, len - 12, len - 4, len - 1};
        for (size_t c = 0; c < G_N_ELEMENTS(cuts); c++) {
            if (cuts[c] >= len)
                continue;
            cg_error err = {0};
            char *cut = g_strdup_printf("%s[:%zu]", name, cuts[c]);
            cg_image *bad = cg_image_load_memory(data, cuts[c], cut, &err);
            if (bad)
                g_error("%s loaded", cut);
            g_assert_cmpint(err.code, ==, CG_ERR_FORMAT);
            g_assert_nonnull(strstr(err.message, cut));
            if (c == G_N_ELEMENTS(cuts) - 1 || cuts[c] == len / 2)
                g_test_message("%s", err.message);
            g_free(cut);
        }
        /* And once through a file. */
        write_all("cut.bin", data, len / 2);
        expect_load_failure("cut.bin", CG_ERR_FORMAT, NULL);
        /* The whole file still loads from memory. */
        cg_image *ok = cg_image_load_memory(data, len, NULL, NULL);
        g_assert_nonnull(ok);
        cg_image_free(ok);
        g_free(data);
        g_free(path);
        g_free(name);
    }
    cg_image_free(img);
}

/* Random damage to real files: any outcome but a crash or a silent failure. */
static void test_corrupt(void)
{
    const char *exts[] = {"png", "jpg", "webp", "tif"};
    cg_image *img = make_image(32, 24, 4, 8, 11);
    GRand *r = g_rand_new_with_seed(42);
    for (size_t e = 0; e < G_N_ELEMENTS(exts); e++) {
        char *name = g_strdup_printf("fuzz.%s", exts[e]);
        char *path = tmp_path(name);
        g_assert_cmpint(cg_image_save(img, path, NULL, NULL), ==, CG_OK);
        gsize len;
        guint8 *data = (guint8 *)read_all(name, &len);
        int failed = 0;
        for (int it = 0; it < 300; it++) {
            guint8 *copy = g_memdup2(data, len);
            int flips = g_rand_int_range(r, 1, 8);
            for (int k = 0; k < flips; k++)
                copy[g_rand_int_range(r, 0, (gint32)len)] = (guint8)g_rand_int_range(r, 0, 256);
            cg_error err = {0};
            cg_image *out = cg_image_load_memory(copy, len, name, &err);
            if (out) {
                cg_image_free(out);
            } else {
                g_assert_cmpint(err.code, !=, CG_OK);
                g_assert_cmpstr(err.message, !=, "");
                failed++;
            }
            g_free(copy);
        }
        g_test_message("%s: %d of 300 damaged copies refused", exts[e], failed);
        g_free(data);
        g_free(path);
        g_free(name);
    }
    g_rand_free(r);
    cg_image_free(img);
}

static void test_not_images(void)
{
    write_all("empty.png", "", 0);
    expect_load_failure("empty.png", CG_ERR_FORMAT, "empty");
    const char text[] = "This is a text file, not a picture.\n";
    write_all("notes.png", text, sizeof text - 1);
    expect_load_failure("notes.png", CG_ERR_FORMAT, "not a PNG, JPEG, GIF, WebP or TIFF image");
    uint8_t noise[4096];
    GRand *r = g_rand_new_with_seed(1);
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t)g_rand_int_range(r, 0, 256);
    g_rand_free(r);
    noise[0] = 0x01;
    write_all("noise.jpg", noise, sizeof noise);
    expect_load_failure("noise.jpg", CG_ERR_FORMAT, "not a PNG, JPEG, GIF, WebP or TIFF image");
    /* Each format's magic followed by noise. */
    const char *magic[] = {"\x89PNG\r\n\x1a\n", "\xff\xd8\xff", "RIFF\x10\0\0\0WEBP", "II*\0", "MM\0*", "GIF89a"};
    const size_t mlen[] = {8, 3, 12, 4, 4, 6};
    for (size_t i = 0; i < G_N_ELEMENTS(magic); i++) {
        memcpy(noise, magic[i], mlen[i]);
        cg_error err = {0};
        g_assert_null(cg_image_load_memory(noise, sizeof noise, "noise", &err));
        g_assert_cmpint(err.code, !=, CG_OK);
        g_assert_nonnull(strstr(err.message, "noise"));
        g_test_message("%s", err.message);
    }
    write_all("empty.gif", "GIF89a\1\0\1\0\0\0\0;", 14);
    expect_load_failure("empty.gif", CG_ERR_FORMAT, "no image");
    expect_load_failure("does-not-exist.png", CG_ERR_IO, "No such file");
    char *sub = tmp_path("a-folder.png");
    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    expect_load_failure("a-folder.png", CG_ERR_IO, NULL);
    g_rmdir(sub);
    g_free(sub);

    cg_error err = {0};
    g_assert_null(cg_image_load(NULL, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_INVALID);
    g_assert_null(cg_image_load_memory(NULL, 5, NULL, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_INVALID);
    g_assert_null(cg_image_load_memory("", 0, NULL, NULL)); /* err may be NULL */
}

/* ---- atomic saving ------------------------------------------------------ */

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in folder `dir`, sorted, joined by spaces. */
static char *list_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while (d && (n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(names, cmp_names);
    g_ptr_array_add(names, NULL);
    char *s = g_strjoinv(" ", (char **)names->pdata);
    g_ptr_array_unref(names);
    return s;
}

static void test_atomic(void)
{
    cg_error err = {0};
    char *dir = tmp_path("atomic");
    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    cg_image *img = make_image(40, 30, 3, 8, 2);

    /* A folder that does not exist, and a file used as a folder. */
    char *path = g_build_filename(dir, "nope", "x.png", NULL);
    g_assert_cmpint(cg_image_save(img, path, NULL, &err), ==, CG_ERR_IO);
    g_assert_nonnull(strstr(err.message, path));
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_free(path);
    path = g_build_filename(dir, "afile", NULL);
    g_assert_true(g_file_set_contents(path, "x", 1, NULL));
    g_free(path);
    path = g_build_filename(dir, "afile", "x.png", NULL);
    g_assert_cmpint(cg_image_save(img, path, NULL, &err), ==, CG_ERR_IO);
    g_free(path);

    /* A failure half-way (NaN in the last row) leaves an existing file as
     * it was and no temporary behind, for every format. */
    cg_image *nan = cg_image_copy(img, NULL);
    cg_image_at(nan, 39, 29)[1] = NAN;
    const char *exts[] = {"png", "jpg", "webp", "tif"};
    for (size_t e = 0; e < G_N_ELEMENTS(exts); e++) {
        char *name = g_strdup_printf("keep.%s", exts[e]);
        path = g_build_filename(dir, name, NULL);
        g_assert_true(g_file_set_contents(path, "precious", 8, NULL));
        cg_error_clear(&err);
        g_assert_cmpint(cg_image_save(nan, path, NULL, &err), ==, CG_ERR_NUMERIC);
        g_assert_nonnull(strstr(err.message, "(39, 29)"));
        gchar *kept = NULL;
        g_assert_true(g_file_get_contents(path, &kept, NULL, NULL));
        g_assert_cmpstr(kept, ==, "precious");
        g_free(kept);
        g_free(path);
        g_free(name);
        /* and nothing at a new path */
        name = g_strdup_printf("new.%s", exts[e]);
        path = g_build_filename(dir, name, NULL);
        g_assert_cmpint(cg_image_save(nan, path, NULL, &err), ==, CG_ERR_NUMERIC);
        g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
        g_free(path);
        g_free(name);
    }
    char *names = list_dir(dir);
    g_assert_cmpstr(names, ==, "afile keep.jpg keep.png keep.tif keep.webp");
    g_free(names);

    /* The disk filling up half-way (a file size limit makes write() fail
     * with EFBIG) is reported, and again leaves everything as it was. */
    cg_image *noise = make_image(300, 200, 4, 16, 3);
    struct rlimit old, small = {.rlim_cur = 4000};
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
    small.rlim_max = old.rlim_max;
    for (size_t e = 0; e < G_N_ELEMENTS(exts); e++) {
        char *name = g_strdup_printf("keep.%s", exts[e]);
        path = g_build_filename(dir, name, NULL);
        cg_error_clear(&err);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
        cg_status st = cg_image_save(noise, path, NULL, &err);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
        g_test_message("%s", err.message);
        g_assert_cmpint(st, ==, CG_ERR_IO);
        gchar *kept = NULL;
        g_assert_true(g_file_get_contents(path, &kept, NULL, NULL));
        g_assert_cmpstr(kept, ==, "precious");
        g_free(kept);
        g_free(path);
        g_free(name);
    }
    signal(SIGXFSZ, old_handler);
    cg_image_free(noise);
    names = list_dir(dir);
    g_assert_cmpstr(names, ==, "afile keep.jpg keep.png keep.tif keep.webp");
    g_free(names);

    /* Saving over a larger file replaces it completely, keeping its mode. */
    path = g_build_filename(dir, "over.png", NULL);
    char *fresh = g_build_filename(dir, "fresh.png", NULL);
    char junk[200000];
    memset(junk, 'j', sizeof junk);
    g_assert_true(g_file_set_contents(path, junk, sizeof junk, NULL));
    g_assert_cmpint(g_chmod(path, 0640), ==, 0);
    g_assert_cmpint(cg_image_save(img, path, NULL, &err), ==, CG_OK);
    g_assert_cmpint(cg_image_save(img, fresh, NULL, &err), ==, CG_OK);
    GStatBuf a, b;
    g_assert_cmpint(g_stat(path, &a), ==, 0);
    g_assert_cmpint(g_stat(fresh, &b), ==, 0);
    g_assert_cmpint(a.st_size, ==, b.st_size);
    g_assert_cmpint(a.st_mode & 0777, ==, 0640);
    g_assert_cmpint(b.st_mode & 0777, ==, 0666 & ~022); /* umask set in main */
    cg_image *back = cg_image_load(path, &err);
    g_assert_nonnull(back);
    g_assert_cmpfloat(max_diff(img, back, NULL), ==, 0);
    cg_image_free(back);
    names = list_dir(dir);
    g_assert_cmpstr(names, ==, "afile fresh.png keep.jpg keep.png keep.tif keep.webp over.png");
    g_free(names);
    g_free(fresh);
    g_free(path);

    cg_image_free(nan);
    cg_image_free(img);
    g_free(dir);
}

static void test_unwritable(void)
{
    if (geteuid() == 0) {
        g_test_skip("root can write into a read-only folder");
        return;
    }
    cg_error err = {0};
    char *dir = tmp_path("readonly");
    g_assert_cmpint(g_mkdir(dir, 0500), ==, 0);
    char *path = g_build_filename(dir, "x.tif", NULL);
    cg_image *img = make_image(4, 4, 3, 8, 1);
    g_assert_cmpint(cg_image_save(img, path, NULL, &err), ==, CG_ERR_IO);
    g_assert_nonnull(strstr(err.message, "ermission"));
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    cg_image_free(img);
    g_free(path);
    g_chmod(dir, 0700);
    g_rmdir(dir);
    g_free(dir);
}

/* The public whole-file functions: a write replaces the file completely or
 * leaves it as it was, with no temporary file; a read refuses what is not a
 * regular file without blocking, and a file over its limit. */
static void test_files(void)
{
    cg_error err = {0};
    char *dir = tmp_path("files");
    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    char *path = g_build_filename(dir, "code.json", NULL);
    const char *first = "{\"a\": 1, \"long\": \"xxxxxxxxxxxxxxxx\"}\n", *second = "{}\n";
    char *data = NULL;
    size_t len = 0;

    g_assert_cmpint(cg_file_write(path, first, strlen(first), &err), ==, CG_OK);
    g_assert_cmpint(cg_file_write(path, second, strlen(second), &err), ==, CG_OK);
    g_assert_cmpint(cg_file_read(path, 1000, &data, &len, &err), ==, CG_OK);
    g_assert_cmpuint(len, ==, strlen(second));
    g_assert_cmpstr(data, ==, second);
    g_free(data);
    data = NULL;

    /* Over the limit: refused, nothing returned. */
    g_assert_cmpint(cg_file_read(path, 2, &data, &len, &err), ==, CG_ERR_UNSUPPORTED);
    g_assert_null(data);

    /* A FIFO and a folder: refused at once, the message naming the path. */
    char *fifo = g_build_filename(dir, "fifo", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    cg_error_clear(&err);
    g_assert_cmpint(cg_file_read(fifo, 1000, &data, &len, &err), ==, CG_ERR_IO);
    g_assert_nonnull(strstr(err.message, fifo));
    g_assert_null(data);
    cg_error_clear(&err);
    g_assert_cmpint(cg_file_read(dir, 1000, &data, &len, &err), ==, CG_ERR_IO);
    g_assert_null(data);
    g_assert_cmpint(g_unlink(fifo), ==, 0);
    g_free(fifo);

    /* The disk filling up half-way: an error, the old file kept, nothing left. */
    char big[20000];
    memset(big, 'b', sizeof big);
    struct rlimit old, small = {.rlim_cur = 4000};
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
    small.rlim_max = old.rlim_max;
    cg_error_clear(&err);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
    cg_status st = cg_file_write(path, big, sizeof big, &err);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
    signal(SIGXFSZ, old_handler);
    g_assert_cmpint(st, ==, CG_ERR_IO);
    g_assert_cmpint(cg_file_read(path, 1000, &data, &len, &err), ==, CG_OK);
    g_assert_cmpstr(data, ==, second);
    g_free(data);
    char *names = list_dir(dir);
    g_assert_cmpstr(names, ==, "code.json");
    g_free(names);

    /* A folder that does not exist: an error naming the path. */
    char *missing = g_build_filename(dir, "no-such-folder", "code.json", NULL);
    cg_error_clear(&err);
    g_assert_cmpint(cg_file_write(missing, second, strlen(second), &err), ==, CG_ERR_IO);
    g_assert_nonnull(strstr(err.message, "no-such-folder"));
    g_free(missing);

    g_assert_cmpint(g_unlink(path), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
    g_free(path);
    g_free(dir);
}

void add_bad_image_tests(void)
{
    g_test_add_func("/io/image/bad/huge", test_huge);
    g_test_add_func("/io/image/bad/truncated", test_truncated);
    g_test_add_func("/io/image/bad/corrupt", test_corrupt);
    g_test_add_func("/io/image/bad/not-images", test_not_images);
    g_test_add_func("/io/image/save/atomic", test_atomic);
    g_test_add_func("/io/image/save/unwritable", test_unwritable);
    g_test_add_func("/io/files", test_files);
}
