/* comicgan — engine start-up and what it runs on.
 *
 * The engine owns the cores: a small pool of worker threads, with OpenBLAS
 * kept single-threaded inside it. OpenBLAS is loaded at run time, after the
 * engine has chosen its kernel type from CPUID (Debian's DYNAMIC_ARCH build
 * mislabels some AVX-512 CPUs and would run slow SSE3 kernels). A user's own
 * OPENBLAS_CORETYPE is respected. */
#ifndef COMICGAN_ENGINE_H
#define COMICGAN_ENGINE_H

#include "comicgan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_engine_info {
    const char *version;        /* comicgan's version */
    const char *blas_library;   /* the file loaded, e.g. "libopenblas.so.0" */
    const char *blas_corename;  /* openblas_get_corename(), e.g. "Haswell" */
    const char *blas_config;    /* openblas_get_config() */
    const char *coretype_set;   /* what the engine asked for, "" if nothing */
    const char *coretype_reason;/* why: "AVX-512 (Intel)", "user's OPENBLAS_CORETYPE", ... */
    const char *cpu;            /* "GenuineIntel family 6 model 143" or similar */
    int threads;                /* worker threads in the engine's pool */
} cg_engine_info;

/* Loads OpenBLAS and starts the thread pool, once per process; later calls
 * return the first call's result. Thread-safe. Every entry point that needs
 * the engine calls it, so front ends need not. CG_ERR_UNSUPPORTED when no
 * BLAS library can be loaded. */
cg_status cg_engine_init(cg_error *err);

/* The engine's facts after a successful cg_engine_init; static storage.
 * NULL if the engine has not been started. */
const cg_engine_info *cg_engine_get_info(void);

#ifdef __cplusplus
}
#endif
#endif
