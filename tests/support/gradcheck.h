/* Test support: checks an op against a naive double-precision reference.
 *
 * gc_check runs the engine op (fp32) and the reference (double) on the same
 * inputs, then:
 *  1. forward: max |engine - reference| <= fwd_tol * max(1, max |reference|);
 *  2. inference mode gives bit-identical output to training mode;
 *  3. gradients: with a random projection r of the output, the objective is
 *     L = sum(r * out). The engine's backward, seeded with r, must match
 *     central differences of L computed on the double reference with step eps:
 *     max |analytic - numeric| <= grad_tol * max(1, max |numeric|) for every
 *     input marked in diff[].
 * Failures are g_assert failures with the op, input, element and values. */
#ifndef CG_TEST_GRADCHECK_H
#define CG_TEST_GRADCHECK_H

#include "comicgan/ops.h"

#include <glib.h>

#define GC_MAX_INPUTS 8

typedef struct gc_case {
    const char *name;
    int n_in;
    cg_tensor *in[GC_MAX_INPUTS];  /* owned by the case; NULL for an absent optional input */
    bool diff[GC_MAX_INPUTS];      /* check d/d(in[i]) */
    /* Runs the engine op on in[] in graph g and returns its output. */
    cg_tensor *(*run)(cg_graph *g, cg_tensor *const *in, const void *ctx);
    /* The naive reference: in[i] holds in[i]->size doubles laid out like the
     * tensor (NULL where the input is absent); writes out_size doubles. */
    void (*ref)(const double *const *in, const cg_tensor *const *shape, double *out, const void *ctx);
    const void *ctx;
    double fwd_tol;   /* default 1e-5 when 0 */
    double grad_tol;  /* default 1e-3 when 0 */
    double eps;       /* default 1e-6 when 0 */
} gc_case;

/* Runs the three checks; fails the current test on any mismatch. */
void gc_check(const gc_case *c);

/* Fails the current test unless |got[i] - want[i]| <= tol * max(1, max |want|)
 * for every i < n; the message names what and the first element off. */
void gc_assert_close(const char *what, const float *got, const double *want, int64_t n, double tol);

/* Frees the case's input tensors. */
void gc_free(gc_case *c);

/* A tensor of uniform values in [lo, hi) from a seeded generator. */
cg_tensor *gc_random(int ndim, const int64_t *dim, double lo, double hi, guint32 seed);
cg_tensor *gc_random4(int64_t n, int64_t c, int64_t h, int64_t w, double lo, double hi, guint32 seed);

#endif
