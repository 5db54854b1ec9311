/* Opening files by path for reading. Every by-path read of the engine goes
 * through here, so that a FIFO, a device or a folder put where a file is
 * expected is refused at once instead of blocking the caller forever. */
#ifndef CG_IO_READ_FILE_H
#define CG_IO_READ_FILE_H

#include <stddef.h>
#include <sys/stat.h>

#include "comicgan/error.h"
#include "comicgan/image.h"

/* The largest image file any loader accepts: an uncompressed float RGBA TIFF
 * of the largest accepted size, plus room for metadata. */
#define CG_IO_MAX_IMAGE_FILE ((size_t)CG_IMAGE_MAX_PIXELS * 16 + ((size_t)1 << 26))

/* The largest text file read whole (configs, run logs). */
#define CG_IO_MAX_TEXT_FILE ((size_t)1 << 30)

/* Opens path read-only, close-on-exec, without blocking on a FIFO, and
 * refuses anything but a regular file. Returns the descriptor (in blocking
 * mode again; the caller closes it) with *st filled, or -1 with err filled:
 * CG_ERR_IO naming path and, for the wrong kind of file, what it is. */
int cg_io_open_regular(const char *path, struct stat *st, cg_error *err);

/* Reads the whole regular file at path into *data (NUL-terminated, g_free)
 * and *len. A file over max bytes is CG_ERR_UNSUPPORTED; no memory
 * CG_ERR_NOMEM; otherwise the errors of cg_io_open_regular and CG_ERR_IO.
 * Nothing is returned on error. */
cg_status cg_io_read_file(const char *path, size_t max, char **data, size_t *len, cg_error *err);

/* Opens an image file by path for reading by rows (cg_io_open_regular; a
 * file over CG_IO_MAX_IMAGE_FILE bytes is CG_ERR_UNSUPPORTED): the
 * descriptor, or -1 and err. The caller closes it. */
int cg_io_open_image_file(const char *path, cg_error *err);

/* cg_io_read_file for an image file (at most CG_IO_MAX_IMAGE_FILE bytes),
 * saying so in the message when the file is larger. */
cg_status cg_io_read_image_file(const char *path, char **data, size_t *len, cg_error *err);

#endif
