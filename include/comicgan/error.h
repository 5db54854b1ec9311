/* comicgan — status codes and error messages.
 *
 * Every library function that can fail returns a cg_status and, when given a
 * non-NULL cg_error, fills it with a one-line message for people. The library
 * never prints, never exits and never aborts on bad input. */
#ifndef COMICGAN_ERROR_H
#define COMICGAN_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cg_status {
    CG_OK = 0,
    CG_ERR_INVALID,     /* a bad argument: shape mismatch, value out of range */
    CG_ERR_NOMEM,       /* an allocation failed or a size is too large to allocate */
    CG_ERR_IO,          /* a file could not be read or written */
    CG_ERR_FORMAT,      /* a file or message is malformed */
    CG_ERR_UNSUPPORTED, /* well-formed but not something this build can do */
    CG_ERR_CANCELLED,   /* the caller's cancel callback asked to stop */
    CG_ERR_NUMERIC,     /* NaN or Inf where a finite number is required */
} cg_status;

typedef struct cg_error {
    cg_status code;
    char message[512];
} cg_error;

/* Fills err (if non-NULL) with code and a printf-style message; returns code so
 * that callers can write `return cg_fail(err, CG_ERR_INVALID, "...")`. */
cg_status cg_fail(cg_error *err, cg_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "context: " to err's message, keeping its code; returns the code. */
cg_status cg_error_prefix(cg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err to CG_OK with an empty message. */
void cg_error_clear(cg_error *err);

/* A short fixed name for a status ("invalid argument", ...). Static string. */
const char *cg_status_name(cg_status code);

#ifdef __cplusplus
}
#endif
#endif
