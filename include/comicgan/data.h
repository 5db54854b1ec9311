/* comicgan — training data: folders of images, cleaned and split.
 *
 * A dataset is the image files of one folder (PNG, JPEG, WebP, TIFF; files
 * with other extensions and hidden files are left alone), optionally paired
 * with a second folder by file name without extension (photo "cat.jpg" with
 * target "cat.png"). Scanning loads every file through the image library and
 * keeps it in memory as 8-bit RGB, resized so its shorter side is load_size
 * (transparent pixels composited over white). Files are skipped and listed
 * with the reason when they are corrupt or not an image, smaller than
 * min_side, a byte-for-byte duplicate (SHA-256) of a file already kept, or
 * without a partner in the paired folder. Items are in file-name order. */
#ifndef COMICGAN_DATA_H
#define COMICGAN_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "comicgan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_dataset cg_dataset;

typedef struct cg_data_options {
    int min_side;     /* smaller files are skipped as tiny; 0: 32 */
    int load_size;    /* shorter side kept in memory; 0: as loaded (at most 4096) */
    int max_images;   /* keep at most this many (in name order); 0: no limit */
} cg_data_options;

/* Scans dir (and pairs with targets_dir when non-NULL). A folder that cannot
 * be read is CG_ERR_IO; a folder with no usable image CG_ERR_INVALID naming
 * it (the skipped files are in the message's count). Caller frees. */
cg_dataset *cg_dataset_scan(const char *dir, const char *targets_dir, const cg_data_options *o, cg_error *err);
void cg_dataset_free(cg_dataset *d);

/* Items kept, and each one's file name (without folder). */
int cg_dataset_count(const cg_dataset *d);
const char *cg_dataset_name(const cg_dataset *d, int i);
/* True when items carry a paired target. */
bool cg_dataset_paired(const cg_dataset *d);

/* Files skipped: their path and why ("corrupt: ...", "too small: 20x18 < 32",
 * "duplicate of a.png", "no target with the same name", ...). */
int cg_dataset_skipped_count(const cg_dataset *d);
const char *cg_dataset_skipped_path(const cg_dataset *d, int i);
const char *cg_dataset_skipped_reason(const cg_dataset *d, int i);

/* SHA-256 (64 hex digits) over the kept files' names and content hashes:
 * names the data a model was trained on. Owned by d. */
const char *cg_dataset_manifest_hash(const cg_dataset *d);

/* Seeded split: assign[i] gets 0 (train), 1 (validation) or 2 (test) for
 * every item, about val and test fractions of them (each in [0, 0.9], sum
 * below 1), at least one training item. The same seed and names give the
 * same split. CG_ERR_INVALID for bad fractions. */
cg_status cg_dataset_split(const cg_dataset *d, uint64_t seed, double val, double test, int *assign,
                           cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
