/* comicgan — whole files by path, read and written the way the engine reads
 * and writes its own (models, checkpoints, images), for front ends that keep
 * small files of their own (style codes, settings).
 *
 * Reading refuses a FIFO, a device or a folder at once instead of blocking on
 * it. Writing is atomic: the bytes go to a temporary file in the target's
 * folder, which is synced and renamed over the target, so a failure or a kill
 * never leaves half a file at the path and no temporary file behind. */
#ifndef COMICGAN_FILES_H
#define COMICGAN_FILES_H

#include <stddef.h>

#include "comicgan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the whole regular file at path into *data (NUL-terminated; the caller
 * frees it with g_free) and its length into *len. A file over max bytes is
 * CG_ERR_UNSUPPORTED; anything but a regular file, or a failed read, is
 * CG_ERR_IO naming path; no memory is CG_ERR_NOMEM. On error nothing is
 * returned and err says why. */
cg_status cg_file_read(const char *path, size_t max, char **data, size_t *len, cg_error *err);

/* Writes size bytes of data to path atomically (see above), replacing the
 * file there. On error (CG_ERR_IO naming path) the file at path is as it was
 * and nothing else is left. */
cg_status cg_file_write(const char *path, const void *data, size_t size, cg_error *err);

#ifdef __cplusplus
}
#endif

#endif
