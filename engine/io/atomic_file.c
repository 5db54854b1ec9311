/* Atomic file writes (io/atomic_file.h). */
#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

cg_status cg_atomic_file_begin(cg_atomic_file *f, const char *path, cg_error *err)
{
    char *base = g_path_get_basename(path);
    f->dir = g_path_get_dirname(path);
    f->tmp = g_strdup_printf("%s/.%.200s.XXXXXX", f->dir, base); /* < NAME_MAX */
    g_free(base);
    f->fd = g_mkstemp_full(f->tmp, O_WRONLY | O_CLOEXEC, 0666);
    if (f->fd >= 0)
        return CG_OK;
    cg_status st = cg_fail(err, CG_ERR_IO, "%s: cannot create a file in %s: %s", path, f->dir, g_strerror(errno));
    g_free(f->tmp);
    g_free(f->dir);
    f->tmp = f->dir = NULL;
    return st;
}

cg_status cg_atomic_file_finish(cg_atomic_file *f, const char *path, cg_status written, cg_error *err)
{
    cg_status st = written;
    if (st == CG_OK && fsync(f->fd) != 0)
        st = cg_fail(err, CG_ERR_IO, "%s: cannot sync: %s", path, g_strerror(errno));
    if (close(f->fd) != 0 && st == CG_OK)
        st = cg_fail(err, CG_ERR_IO, "%s: cannot close: %s", path, g_strerror(errno));
    if (st == CG_OK && rename(f->tmp, path) != 0)
        st = cg_fail(err, CG_ERR_IO, "cannot replace \"%s\": %s", path, g_strerror(errno));
    if (st != CG_OK) {
        g_unlink(f->tmp);
    } else {
        /* Make the rename itself durable; failing here loses nothing written. */
        int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    g_free(f->tmp);
    g_free(f->dir);
    f->tmp = f->dir = NULL;
    f->fd = -1;
    return st;
}
