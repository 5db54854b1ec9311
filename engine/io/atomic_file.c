/* Atomic file writes (io/atomic_file.h). */
#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_KEPT 200 /* bytes of the base name in a temporary's name: < NAME_MAX */

/* True for ".BASE.XXXXXX", BASE the first NAME_KEPT bytes of base and
 * XXXXXX what g_mkstemp puts there. */
static bool is_temporary_of(const char *name, const char *base)
{
    size_t n = strlen(base) < NAME_KEPT ? strlen(base) : NAME_KEPT;
    if (name[0] != '.' || strncmp(name + 1, base, n) != 0 || name[1 + n] != '.' || strlen(name) != n + 8)
        return false;
    for (const char *p = name + n + 2; *p; p++)
        if (!g_ascii_isalnum(*p))
            return false;
    return true;
}

int cg_atomic_file_clean(const char *path)
{
    char *base = g_path_get_basename(path), *dir = g_path_get_dirname(path);
    GDir *d = g_dir_open(dir, 0, NULL);
    int removed = 0;
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        if (!is_temporary_of(name, base))
            continue;
        char *tmp = g_build_filename(dir, name, NULL);
        /* A live writer holds its lock: taking it proves the writer is gone. */
        int fd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
            g_unlink(tmp) == 0)
            removed++;
        if (fd >= 0)
            close(fd);
        g_free(tmp);
    }
    if (d)
        g_dir_close(d);
    g_free(base);
    g_free(dir);
    return removed;
}

cg_status cg_atomic_file_begin(cg_atomic_file *f, const char *path, cg_error *err)
{
    cg_atomic_file_clean(path);
    char *base = g_path_get_basename(path);
    f->dir = g_path_get_dirname(path);
    f->tmp = NULL;
    f->fd = -1;
    /* The lock is held until the file is closed, so that cleaning never takes
     * it; a cleaner can only win in the moment before it is taken, and then
     * the name no longer leads to our file: try another. */
    for (int attempt = 0; attempt < 4 && f->fd < 0; attempt++) {
        g_free(f->tmp);
        f->tmp = g_strdup_printf("%s/.%.*s.XXXXXX", f->dir, NAME_KEPT, base);
        f->fd = g_mkstemp_full(f->tmp, O_WRONLY | O_CLOEXEC, 0666);
        if (f->fd < 0)
            break;
        struct stat mine, named;
        if (flock(f->fd, LOCK_EX | LOCK_NB) != 0 || fstat(f->fd, &mine) != 0 || stat(f->tmp, &named) != 0 ||
            mine.st_dev != named.st_dev || mine.st_ino != named.st_ino) {
            close(f->fd);
            f->fd = -1;
            errno = EEXIST;
        }
    }
    g_free(base);
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

cg_status cg_atomic_file_begin_keeping_mode(cg_atomic_file *f, const char *path, cg_error *err)
{
    cg_status st = cg_atomic_file_begin(f, path, err);
    struct stat old;
    if (st == CG_OK && stat(path, &old) == 0 && S_ISREG(old.st_mode))
        (void)fchmod(f->fd, old.st_mode & 07777);
    return st;
}
