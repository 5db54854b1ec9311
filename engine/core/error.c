#include "comicgan/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

cg_status cg_fail(cg_error *err, cg_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

cg_status cg_error_prefix(cg_error *err, const char *fmt, ...)
{
    if (!err)
        return CG_ERR_INVALID;
    char prefix[256], old[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    snprintf(err->message, sizeof err->message, "%s: %s", prefix, old);
    return err->code;
}

void cg_error_clear(cg_error *err)
{
    if (err) {
        err->code = CG_OK;
        err->message[0] = '\0';
    }
}

const char *cg_status_name(cg_status code)
{
    switch (code) {
    case CG_OK: return "ok";
    case CG_ERR_INVALID: return "invalid argument";
    case CG_ERR_NOMEM: return "out of memory";
    case CG_ERR_IO: return "input/output error";
    case CG_ERR_FORMAT: return "malformed data";
    case CG_ERR_UNSUPPORTED: return "unsupported";
    case CG_ERR_CANCELLED: return "cancelled";
    case CG_ERR_NUMERIC: return "not a finite number";
    }
    return "unknown error";
}
