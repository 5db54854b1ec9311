/* Opening files by path for reading (io/read_file.h). */
#include "io/read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a folder";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    return "not a plain file";
}

int cg_io_open_regular(const char *path, struct stat *st, cg_error *err)
{
    if (!path) {
        cg_fail(err, CG_ERR_INVALID, "no path given");
        return -1;
    }
    /* O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        cg_fail(err, CG_ERR_IO, "%s: cannot open: %s", path, g_strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0) {
        cg_fail(err, CG_ERR_IO, "%s: cannot read: %s", path, g_strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        cg_fail(err, CG_ERR_IO, "%s: not a regular file (%s)", path, kind_of(st->st_mode));
        close(fd);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        cg_fail(err, CG_ERR_IO, "%s: cannot read: %s", path, g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

cg_status cg_io_read_file(const char *path, size_t max, char **data, size_t *len, cg_error *err)
{
    struct stat st;
    *data = NULL;
    *len = 0;
    int fd = cg_io_open_regular(path, &st, err);
    if (fd < 0)
        return err ? err->code : CG_ERR_IO;
    /* The size is a first guess only: the file may grow while being read. */
    size_t cap = (size_t)st.st_size + 1, size = 0;
    cg_status s = CG_OK;
    char *buf = NULL;
    if ((uint64_t)st.st_size > max) {
        s = cg_fail(err, CG_ERR_UNSUPPORTED, "%s: file is larger than %zu bytes", path, max);
        goto out;
    }
    if (!(buf = g_try_malloc(cap + 1))) {
        s = cg_fail(err, CG_ERR_NOMEM, "%s: out of memory reading the file", path);
        goto out;
    }
    for (;;) {
        if (size == cap) {
            if (cap > max) {
                s = cg_fail(err, CG_ERR_UNSUPPORTED, "%s: file is larger than %zu bytes", path, max);
                goto out;
            }
            char *bigger = g_try_realloc(buf, 2 * cap + 1);
            if (!bigger) {
                s = cg_fail(err, CG_ERR_NOMEM, "%s: out of memory reading the file", path);
                goto out;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + size, cap - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s = cg_fail(err, CG_ERR_IO, "%s: read failed: %s", path, g_strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        size += (size_t)n;
    }
    buf[size] = '\0';
out:
    close(fd);
    if (s != CG_OK) {
        g_free(buf);
        return s;
    }
    *data = buf;
    *len = size;
    return CG_OK;
}

int cg_io_open_image_file(const char *path, cg_error *err)
{
    struct stat st;
    int fd = cg_io_open_regular(path, &st, err);
    if (fd >= 0 && (uint64_t)st.st_size > CG_IO_MAX_IMAGE_FILE) {
        cg_fail(err, CG_ERR_UNSUPPORTED, "%s: file is larger than any image comicgan accepts", path);
        close(fd);
        return -1;
    }
    return fd;
}

cg_status cg_io_read_image_file(const char *path, char **data, size_t *len, cg_error *err)
{
    cg_status st = cg_io_read_file(path, CG_IO_MAX_IMAGE_FILE, data, len, err);
    if (st == CG_ERR_UNSUPPORTED)
        cg_fail(err, CG_ERR_UNSUPPORTED, "%s: file is larger than any image comicgan accepts", path);
    return st;
}
