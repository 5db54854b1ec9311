/* The public whole-file functions (comicgan/files.h): the engine's own reader
 * and atomic writer, offered to front ends. */
#include "comicgan/files.h"

#include "io/atomic_file.h"
#include "io/pixels.h"
#include "io/read_file.h"

cg_status cg_file_read(const char *path, size_t max, char **data, size_t *len, cg_error *err)
{
    return cg_io_read_file(path, max, data, len, err);
}

cg_status cg_file_write(const char *path, const void *data, size_t size, cg_error *err)
{
    cg_atomic_file f;
    cg_status st = cg_atomic_file_begin(&f, path, err);
    if (st != CG_OK)
        return st;
    st = cg_io_write_all(f.fd, data, size, path, err);
    return cg_atomic_file_finish(&f, path, st, err);
}
