/* Training tests' shared fixture: tiny generated images in temporary folders
 * and config files. */
#ifndef TRAIN_FIXTURE_H
#define TRAIN_FIXTURE_H

#include "comicgan/data.h"
#include "comicgan/image.h"
#include "comicgan/train.h"

#include <glib.h>

/* A photo-like image: a gradient, two shapes and mild texture, from seed. */
cg_image *fx_photo(int w, int h, guint32 seed);

/* Writes n photos "pNN.png" of w x h into dir (created). */
void fx_write_photos(const char *dir, int n, int w, int h, guint32 seed);

/* Writes, for each photo of photos_dir, a target with the same name into
 * targets_dir: the photo's colours inverted and darkened (a fixed map a
 * generator can learn). Unreadable or tiny photos (under 16 pixels wide), and names starting
 * with "zz-", get none. */
void fx_write_targets(const char *photos_dir, const char *targets_dir);

/* Writes text to dir/name; returns the path (g_free). */
char *fx_write_file(const char *dir, const char *name, const char *text);

/* A new temporary folder (g_free), and removing one with everything in it. */
char *fx_tmpdir(void);
void fx_rmtree(const char *path);

/* Loads a config file, failing the test on error. */
cg_train_config *fx_config(const char *path);

/* Runs cg_train; returns its status and fills err. */
cg_status fx_train(const cg_train_config *c, const char *run_dir, bool resume, int64_t stop_after, cg_error *err);

#endif
