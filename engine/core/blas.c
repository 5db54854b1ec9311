/* OpenBLAS is loaded with dlopen, never linked: it reads OPENBLAS_CORETYPE
 * once, when it is loaded, so the engine must set that first. */
#include "comicgan/engine.h"
#include "core/blas.h"
#include "core/threads.h"
#include "cg_config.h"

#include <cpuid.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc);

static struct {
    pthread_once_t once;
    cg_status status;
    char message[512];
    void *handle;
    sgemm_fn sgemm;
    void (*set_threads)(int);
    cg_engine_info info;
    char library[64], corename[64], config[256], coretype[32], reason[96], cpu[96];
} blas = {.once = PTHREAD_ONCE_INIT};

typedef struct cpu_facts {
    char vendor[13];
    unsigned family, model;
    bool avx2, fma, avx512f, avx512bw, avx512dq, avx512vl, os_avx512;
} cpu_facts;

static cpu_facts read_cpu(void)
{
    cpu_facts f = {0};
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return f;
    memcpy(f.vendor, &b, 4);
    memcpy(f.vendor + 4, &d, 4);
    memcpy(f.vendor + 8, &c, 4);
    unsigned max_leaf = a;
    __get_cpuid(1, &a, &b, &c, &d);
    unsigned base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
    f.family = base_family == 0xf ? base_family + ((a >> 20) & 0xff) : base_family;
    f.model = (base_family == 0x6 || base_family == 0xf) ? base_model | (((a >> 16) & 0xf) << 4) : base_model;
    f.fma = (c >> 12) & 1;
    bool osxsave = (c >> 27) & 1;
    if (osxsave) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        bool os_avx = (lo & 0x6) == 0x6;
        f.os_avx512 = os_avx && (lo & 0xe0) == 0xe0;
        if (max_leaf >= 7 && os_avx) {
            __cpuid_count(7, 0, a, b, c, d);
            f.avx2 = (b >> 5) & 1;
            f.avx512f = (b >> 16) & 1;
            f.avx512dq = (b >> 17) & 1;
            f.avx512bw = (b >> 30) & 1;
            f.avx512vl = (b >> 31) & 1;
        }
    }
    return f;
}

static bool full_avx512(const cpu_facts *f)
{
    return f->os_avx512 && f->avx512f && f->avx512bw && f->avx512dq && f->avx512vl;
}

bool cg_cpu_avx512(void)
{
    static int known; /* 0 not yet, 1 no, 2 yes: the same answer from every thread */
    if (!__atomic_load_n(&known, __ATOMIC_ACQUIRE)) {
        cpu_facts f = read_cpu();
        __atomic_store_n(&known, full_avx512(&f) ? 2 : 1, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&known, __ATOMIC_ACQUIRE) == 2;
}

/* Measured with the engine's benchmark: on AMD Zen 4, OpenBLAS 0.3.21's AVX2
 * kernels ("Zen") match or beat its AVX-512 ones at conv shapes; on Intel
 * AVX-512 CPUs the SkylakeX kernels are the fast ones. */
static void choose_coretype(const cpu_facts *f)
{
    const char *user = getenv("OPENBLAS_CORETYPE");
    bool amd = strcmp(f->vendor, "AuthenticAMD") == 0;
    bool avx512 = full_avx512(f);
    const char *pick = NULL, *why = "older CPU: OpenBLAS's own choice";
    if (user && *user) {
        snprintf(blas.coretype, sizeof blas.coretype, "%s", user);
        snprintf(blas.reason, sizeof blas.reason, "user's OPENBLAS_CORETYPE");
        return;
    }
    if (avx512 && !amd) {
        pick = "SkylakeX";
        why = "AVX-512 CPU";
    } else if (f->avx2 && f->fma) {
        pick = amd ? "Zen" : "Haswell";
        why = amd ? "AVX2 (AMD)" : "AVX2 CPU";
    }
    snprintf(blas.reason, sizeof blas.reason, "%s", why);
    if (pick) {
        snprintf(blas.coretype, sizeof blas.coretype, "%s", pick);
        setenv("OPENBLAS_CORETYPE", pick, 1);
    }
}

static void load_blas(void)
{
    cpu_facts f = read_cpu();
    snprintf(blas.cpu, sizeof blas.cpu, "%s family %u model %u", f.vendor, f.family, f.model);
    choose_coretype(&f);

    static const char *const candidates[] = {"libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0"};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates && !blas.handle; i++) {
        blas.handle = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
        if (blas.handle)
            snprintf(blas.library, sizeof blas.library, "%s", candidates[i]);
    }
    if (!blas.handle) {
        blas.status = CG_ERR_UNSUPPORTED;
        snprintf(blas.message, sizeof blas.message,
                 "OpenBLAS could not be loaded (%s); install the libopenblas0 package", dlerror());
        return;
    }
    blas.sgemm = (sgemm_fn)dlsym(blas.handle, "cblas_sgemm");
    blas.set_threads = (void (*)(int))dlsym(blas.handle, "openblas_set_num_threads");
    char *(*corename)(void) = (char *(*)(void))dlsym(blas.handle, "openblas_get_corename");
    char *(*config)(void) = (char *(*)(void))dlsym(blas.handle, "openblas_get_config");
    if (!blas.sgemm || !blas.set_threads || !corename || !config) {
        blas.status = CG_ERR_UNSUPPORTED;
        snprintf(blas.message, sizeof blas.message, "%s lacks the OpenBLAS functions comicgan needs",
                 blas.library);
        return;
    }
    snprintf(blas.corename, sizeof blas.corename, "%s", corename());
    snprintf(blas.config, sizeof blas.config, "%s", config());
    blas.set_threads(1);
    cg_threads_start();

    blas.info.version = CG_VERSION;
    blas.info.blas_library = blas.library;
    blas.info.blas_corename = blas.corename;
    blas.info.blas_config = blas.config;
    blas.info.coretype_set = blas.coretype;
    blas.info.coretype_reason = blas.reason;
    blas.info.cpu = blas.cpu;
    blas.info.threads = cg_thread_count();
    blas.status = CG_OK;
}

cg_status cg_engine_init(cg_error *err)
{
    pthread_once(&blas.once, load_blas);
    if (blas.status != CG_OK)
        return cg_fail(err, blas.status, "%s", blas.message);
    return CG_OK;
}

const cg_engine_info *cg_engine_get_info(void)
{
    return blas.handle && blas.status == CG_OK ? &blas.info : NULL;
}

void cg_sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc)
{
    if (beta == 0.0f) {
        /* OpenBLAS clears C one float at a time before it multiplies (its
         * beta kernel); clearing the rows here and asking for C += AB is the
         * same product, and a memset is several times faster. */
        for (int i = 0; i < m; i++)
            memset(c + (size_t)i * (size_t)ldc, 0, (size_t)n * sizeof(float));
        beta = 1.0f;
    }
    blas.sgemm(ROW_MAJOR, trans_a ? TRANS : NO_TRANS, trans_b ? TRANS : NO_TRANS, m, n, k, alpha, a, lda,
               b, ldb, beta, c, ldc);
}

typedef struct split_gemm {
    bool ta, tb;
    int m, n, k, lda, ldb, ldc, cols_per_task;
    float alpha, beta;
    const float *a, *b;
    float *c;
} split_gemm;

static void split_gemm_task(void *ctx, int task, int worker)
{
    const split_gemm *s = ctx;
    int col0 = task * s->cols_per_task;
    int cols = s->n - col0 < s->cols_per_task ? s->n - col0 : s->cols_per_task;
    const float *b = s->tb ? s->b + (size_t)col0 * s->ldb : s->b + col0;
    cg_sgemm(s->ta, s->tb, s->m, cols, s->k, s->alpha, s->a, s->lda, b, s->ldb, s->beta, s->c + col0,
             s->ldc);
}

void cg_sgemm_parallel(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
                       int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    int threads = cg_thread_count();
    /* Column blocks a multiple of 64 wide keep OpenBLAS on its fast path. */
    int tasks = threads * 4;
    int cols = (n + tasks - 1) / tasks;
    cols = (cols + 63) & ~63;
    if (cols >= n || threads == 1) {
        cg_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    split_gemm s = {trans_a, trans_b, m, n, k, lda, ldb, ldc, cols, alpha, beta, a, b, c};
    cg_parallel_for((n + cols - 1) / cols, split_gemm_task, &s);
}

void cg_sgemm_openblas_threaded(int threads, int m, int n, int k, const float *a, const float *b, float *c)
{
    blas.set_threads(threads > 0 ? threads : cg_thread_count());
    blas.sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
    blas.set_threads(1);
}
