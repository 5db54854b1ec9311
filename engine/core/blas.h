/* Internal: GEMM through the OpenBLAS loaded by cg_engine_init. */
#ifndef CG_CORE_BLAS_H
#define CG_CORE_BLAS_H

#include <stdbool.h>

/* C = alpha * op(A) * op(B) + beta * C, row-major, single-threaded: safe to call
 * from several pool workers at once. */
void cg_sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);

/* The same product using all cores: the columns of C split across the pool.
 * Call from outside the pool only. */
void cg_sgemm_parallel(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a,
                       int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* OpenBLAS with its own threads (n = 0: all cores), for benchmarks that measure
 * the library's rate; the pool must be idle. Restores single-threading. */
void cg_sgemm_openblas_threaded(int threads, int m, int n, int k, const float *a, const float *b, float *c);

/* Whether the CPU and the OS run AVX-512 (F, BW, DQ and VL): the kernels
 * written for it are chosen at run time (see cg_conv_direct). */
bool cg_cpu_avx512(void);

#endif
