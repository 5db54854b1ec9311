/* Writing a file so that a failure never leaves half of it: the bytes go to a
 * temporary file in the target's folder, which is synced and then renamed over
 * the target (rename() within one folder is atomic), and the folder is synced
 * so that the rename itself lasts. Used by every writer of the engine.
 *
 * The temporary file of PATH is FOLDER/.NAME.XXXXXX (NAME: PATH's base name,
 * cut to 200 bytes; XXXXXX: six letters or digits) and is locked (flock) by
 * its writer until it is renamed or removed. One killed before that leaves it
 * behind unlocked; the next write of PATH removes it. */
#ifndef COMICGAN_IO_ATOMIC_FILE_H
#define COMICGAN_IO_ATOMIC_FILE_H

#include "comicgan/error.h"

typedef struct cg_atomic_file {
    int fd;      /* write the contents here */
    char *tmp;   /* the temporary file's path */
    char *dir;   /* the target's folder */
} cg_atomic_file;

/* Removes the temporaries of path that no writer holds: only names of the
 * exact pattern above, only regular files. Best effort: nothing is reported.
 * Returns how many were removed. */
int cg_atomic_file_clean(const char *path);

/* Creates the temporary file for path (mode 0666 less the umask), after
 * removing stale ones (cg_atomic_file_clean). On error
 * fills err and leaves nothing to finish. */
cg_status cg_atomic_file_begin(cg_atomic_file *f, const char *path, cg_error *err);

/* cg_atomic_file_begin, the temporary file given the permissions of the
 * regular file at path it will replace, if there is one: a user's image
 * keeps its mode when rewritten. */
cg_status cg_atomic_file_begin_keeping_mode(cg_atomic_file *f, const char *path, cg_error *err);

/* Ends a write begun by cg_atomic_file_begin. With written == CG_OK: syncs,
 * closes and renames the file onto path; otherwise (or when one of those
 * fails) closes and removes it, leaving path as it was. Frees f's strings.
 * Returns written, or the I/O error with err filled. */
cg_status cg_atomic_file_finish(cg_atomic_file *f, const char *path, cg_status written, cg_error *err);

#endif
