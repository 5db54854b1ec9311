/* comicgan — weight initialisers, optimizers, learning-rate schedule and
 * gradient clipping.
 *
 * Initialisers fill a tensor from a cg_rng (comicgan/rng.h), element by
 * element in order, so the same seed gives the same weights on every machine.
 *
 * Optimizers update a whole finalized cg_params (comicgan/params.h) in one
 * pass over its gradient block (split over the engine's thread pool; every
 * element's update is independent of how the work is split, so results do not
 * depend on the thread count). Frozen parameters and buffers are skipped.
 * Their state (Adam's m and v, SGD's momentum) lives in blocks laid out like
 * the gradient block, one block per moment, reachable for checkpoints through
 * cg_optim_state.
 *
 * Adam follows Kingma & Ba with bias correction (PyTorch's Adam/AdamW):
 *     g  = grad + l2 * w                          (coupled L2, default 0)
 *     m  = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g^2
 *     w  = w - lr * weight_decay * w              (decoupled, AdamW; default 0)
 *     w  = w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * SGD (PyTorch's SGD, dampening 0):
 *     g  = grad + weight_decay * w                (coupled L2)
 *     b  = g on the first step, else momentum * b + g   (when momentum > 0)
 *     w  = w - lr * (nesterov ? g + momentum * b : b)    (g alone without momentum)
 * Gradients are read, never cleared: call cg_params_zero_grad before the next
 * backward. */
#ifndef COMICGAN_OPTIM_H
#define COMICGAN_OPTIM_H

#include "comicgan/params.h"
#include "comicgan/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- initialisers ------------------------------------------------------ */

/* fan_in and fan_out of a weight shape, PyTorch's convention:
 *   1-D (n): both n;  2-D linear (out, in): in and out;
 *   3-D/4-D conv (Co, Ci, k...): Ci * receptive and Co * receptive, where
 *   receptive is the product of the kernel dims.
 * (A transposed convolution's (Ci, Co, kh, kw) weight is read the same way, as
 * PyTorch does.) CG_ERR_INVALID for a tensor without a shape. */
cg_status cg_init_fans(const cg_tensor *t, int64_t *fan_in, int64_t *fan_out, cg_error *err);

/* Xavier/Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)),
 * variance gain^2 * 2 / (fan_in + fan_out). */
cg_status cg_init_xavier_uniform(cg_tensor *t, float gain, cg_rng *rng, cg_error *err);

/* Xavier/Glorot normal: N(0, gain^2 * 2 / (fan_in + fan_out)). */
cg_status cg_init_xavier_normal(cg_tensor *t, float gain, cg_rng *rng, cg_error *err);

/* Kaiming/He normal, fan_in mode, for a leaky-ReLU slope (0 for ReLU):
 * N(0, 2 / ((1 + slope^2) fan_in)). */
cg_status cg_init_kaiming_normal(cg_tensor *t, float slope, cg_rng *rng, cg_error *err);

/* N(mean, std^2); the GAN default is mean 0, std 0.02. std must be >= 0. */
cg_status cg_init_normal(cg_tensor *t, float mean, float std, cg_rng *rng, cg_error *err);

/* U(lo, hi); lo <= hi. */
cg_status cg_init_uniform(cg_tensor *t, float lo, float hi, cg_rng *rng, cg_error *err);

/* Every element = value. */
cg_status cg_init_constant(cg_tensor *t, float value, cg_error *err);

/* Every initialiser fails with CG_ERR_INVALID (t untouched) for a NULL tensor
 * or data, or non-finite / out-of-range arguments. */

/* ---- optimizers -------------------------------------------------------- */

typedef struct cg_optim cg_optim;

typedef struct cg_adam_options {
    float lr;            /* learning rate */
    float beta1, beta2;  /* moment decay rates, in [0, 1) */
    float eps;           /* > 0 */
    float weight_decay;  /* decoupled (AdamW): w -= lr * weight_decay * w */
    float l2;            /* coupled L2: g += l2 * w (classic Adam weight_decay) */
} cg_adam_options;

/* The GAN defaults (DCGAN, pix2pix, CycleGAN): lr 2e-4, beta1 0.5,
 * beta2 0.999, eps 1e-8, no weight decay. */
cg_adam_options cg_adam_defaults(void);

typedef struct cg_sgd_options {
    float lr;
    float momentum;      /* 0 disables the momentum buffer */
    float weight_decay;  /* coupled L2: g += weight_decay * w */
    bool nesterov;       /* needs momentum > 0 */
} cg_sgd_options;

/* An optimizer for the finalized set p, which must outlive it; state blocks
 * are zero-filled. NULL and err filled (CG_ERR_INVALID) for bad options or an
 * unfinalized set, CG_ERR_NOMEM when memory runs out. Free with
 * cg_optim_free. */
cg_optim *cg_optim_adam(cg_params *p, const cg_adam_options *o, cg_error *err);
cg_optim *cg_optim_sgd(cg_params *p, const cg_sgd_options *o, cg_error *err);
void cg_optim_free(cg_optim *o);

/* One update of every trained, unfrozen parameter from its gradient, with the
 * current learning rate; then the step count goes up by one. Allocates
 * nothing. CG_ERR_INVALID (nothing updated) when the learning rate is not
 * finite. */
cg_status cg_optim_step(cg_optim *o, cg_error *err);

void cg_optim_set_lr(cg_optim *o, float lr);
float cg_optim_lr(const cg_optim *o);

/* Steps taken (Adam's t; SGD's first-step rule). Set it when resuming from a
 * checkpoint, together with the state blocks. */
int64_t cg_optim_steps(const cg_optim *o);
void cg_optim_set_steps(cg_optim *o, int64_t steps);

/* State blocks: 2 for Adam ("adam.m", "adam.v"), 1 for SGD with momentum
 * ("sgd.momentum"), 0 for plain SGD. cg_optim_state returns block k, laid out
 * like the gradient block, and its length in floats via *n (NULL and 0 for a
 * bad k); cg_optim_state_name a static name for checkpoints. */
int cg_optim_state_count(const cg_optim *o);
float *cg_optim_state(const cg_optim *o, int k, int64_t *n);
const char *cg_optim_state_name(const cg_optim *o, int k);

/* ---- learning-rate schedule -------------------------------------------- */

/* Constant for constant_steps steps, then linear decay to 0 over decay_steps:
 *   lr(t) = base                                        t <  N
 *   lr(t) = base * (1 - (t - N) / M)                    N <= t < N + M
 *   lr(t) = 0                                           t >= N + M
 * with N = constant_steps and M = decay_steps (so lr(N) = base, lr(N + M/2) =
 * base/2, lr(N + M) = 0; with M = 0 the rate drops to 0 at step N). Negative
 * t counts as 0, negative N or M as 0. */
typedef struct cg_lr_schedule {
    float base_lr;
    int64_t constant_steps;
    int64_t decay_steps;
} cg_lr_schedule;

float cg_lr_at(const cg_lr_schedule *s, int64_t step);

/* ---- gradient clipping ------------------------------------------------- */

/* The global L2 norm of the gradients of every trained, unfrozen parameter
 * (accumulated in double in fixed-size chunks, summed in order: the same
 * value for any thread count) into *norm (may be NULL). When max_norm > 0 and
 * the norm exceeds it, every gradient is scaled by max_norm / (norm + 1e-6).
 * CG_ERR_NUMERIC if the norm is NaN or Inf (gradients untouched);
 * CG_ERR_INVALID for an unfinalized set or a non-finite max_norm. */
cg_status cg_clip_grad_norm(cg_params *p, float max_norm, double *norm, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
