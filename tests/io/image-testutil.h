/* Helpers shared by the image tests; files live in the temporary folder
 * tmpdir, made by main(). */
#ifndef CG_TEST_IMAGE_TESTUTIL_H
#define CG_TEST_IMAGE_TESTUTIL_H

#include <glib.h>

#include "comicgan/image.h"

extern char *tmpdir;

/* tmpdir/name; g_free it. */
char *tmp_path(const char *name);
/* A w x h image of random samples representable in `bits` (8, 16, 32),
 * laid out as `channels` (gray ones have R = G = B, alpha only with alpha). */
cg_image *make_image(int w, int h, int channels, int bits, guint32 seed);
/* A smooth image, for the lossy formats. */
cg_image *make_smooth(int w, int h, bool gray);
/* Largest absolute difference over all samples; *mean gets the mean one. */
double max_diff(const cg_image *a, const cg_image *b, double *mean);
/* Saves to tmpdir/name and loads it back, or fails the test. */
cg_image *save_and_load(const cg_image *img, const char *name, const cg_image_save_options *o);
/* Loads tmpdir/name, or fails the test. */
cg_image *load_ok(const char *name);
/* Loading tmpdir/name must fail with `code` and a message naming the file
 * and holding `needle` (if not NULL). */
void expect_load_failure(const char *name, cg_status code, const char *needle);
gchar *read_all(const char *name, gsize *len);
void write_all(const char *name, const void *data, size_t len);
void remove_tree(const char *dir);
/* Registers the tests in test-image-bad.c. */
void add_bad_image_tests(void);

#endif
