/* comicgan — ops.
 *
 * Each function runs one op on tensors of graph g (comicgan/graph.h) and
 * returns its output, owned by g's arena. On bad input (shape mismatch, a bad
 * parameter) it returns NULL and puts g in its sticky error state; ops given a
 * NULL input also return NULL, so a chain of calls needs one check at the end.
 * In training mode, ops whose inputs need gradients are recorded for
 * cg_graph_backward. Layouts are NCHW; "optional" inputs may be NULL. */
#ifndef COMICGAN_OPS_H
#define COMICGAN_OPS_H

#include "comicgan/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- convolution ------------------------------------------------------- */

typedef enum cg_pad_mode { CG_PAD_ZERO = 0, CG_PAD_REFLECT } cg_pad_mode;

typedef struct cg_conv_params {
    int stride_h, stride_w;
    int pad_h, pad_w;             /* the same on both sides */
    int dilation_h, dilation_w;
    int groups;                   /* channels split into groups; groups == C_in is depthwise */
    cg_pad_mode pad_mode;         /* reflect needs pad < input side; conv2d only */
    int output_pad_h, output_pad_w; /* transposed only: extra rows/cols at the end */
    int upsample;                 /* conv2d only: read x nearest-upsampled by this factor (0 or 1: as is),
                                     as cg_upsample_nearest would, without storing the upsampled map */
} cg_conv_params;

/* stride 1, no padding, dilation 1, one group, zero padding. */
cg_conv_params cg_conv_defaults(void);

/* x (N, Ci, H, W), weight (Co, Ci/groups, KH, KW), bias (Co) optional. With
 * p->upsample = s the input is read as (N, Ci, s*H, s*W). */
cg_tensor *cg_conv2d(cg_graph *g, cg_tensor *x, cg_tensor *weight, cg_tensor *bias,
                     const cg_conv_params *p);

/* The adjoint of cg_conv2d: x (N, Ci, H, W), weight (Ci, Co/groups, KH, KW),
 * bias (Co) optional; output side (H-1)*stride - 2*pad + dilation*(K-1) + 1 + output_pad. */
cg_tensor *cg_conv_transpose2d(cg_graph *g, cg_tensor *x, cg_tensor *weight, cg_tensor *bias,
                               const cg_conv_params *p);

/* ---- resampling and pooling -------------------------------------------- */

/* Integer scale >= 1. Bilinear uses half-pixel centres (align_corners false),
 * edge pixels clamped. */
cg_tensor *cg_upsample_nearest(cg_graph *g, cg_tensor *x, int scale);
cg_tensor *cg_upsample_bilinear(cg_graph *g, cg_tensor *x, int scale);

typedef struct cg_pool_params {
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_h, pad_w;  /* padding is ignored by max and not counted by average */
} cg_pool_params;

cg_tensor *cg_avg_pool2d(cg_graph *g, cg_tensor *x, const cg_pool_params *p);
cg_tensor *cg_max_pool2d(cg_graph *g, cg_tensor *x, const cg_pool_params *p);
/* (N, C, H, W) -> (N, C, 1, 1). */
cg_tensor *cg_global_avg_pool(cg_graph *g, cg_tensor *x);
cg_tensor *cg_global_max_pool(cg_graph *g, cg_tensor *x);

/* ---- normalization ----------------------------------------------------- */

/* Per sample and channel over H, W; gamma, beta (C) optional (affine). */
cg_tensor *cg_instance_norm(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta, float eps);

/* Conditional instance norm: gamma, beta (S, C), one pair per style; style
 * weights (N, S) mix them per sample: gamma_n = sum_s w[n,s] * gamma[s]. */
cg_tensor *cg_cond_instance_norm(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta,
                                 cg_tensor *style_weights, float eps);

/* Instance norm (style_weights NULL) or conditional instance norm, then leaky
 * ReLU with slope (0: ReLU), as one op whose normalized map is never stored;
 * the same values as the two ops. A negative slope falls back to the two. */
cg_tensor *cg_instance_norm_leaky(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta,
                                  cg_tensor *style_weights, float eps, float slope);

/* Per sample over C, H, W; gamma, beta (C) optional. */
cg_tensor *cg_layer_norm(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta, float eps);

/* AdaLIN (U-GAT-IT): (rho * IN(x) + (1 - rho) * LN(x)) * gamma + beta, with
 * rho (C) and gamma, beta either (C) or (N, C) (per sample, from an MLP). */
cg_tensor *cg_adalin(cg_graph *g, cg_tensor *x, cg_tensor *rho, cg_tensor *gamma, cg_tensor *beta,
                     float eps);

/* ---- activations ------------------------------------------------------- */

cg_tensor *cg_relu(cg_graph *g, cg_tensor *x);
cg_tensor *cg_leaky_relu(cg_graph *g, cg_tensor *x, float slope);
cg_tensor *cg_tanh(cg_graph *g, cg_tensor *x);
cg_tensor *cg_sigmoid(cg_graph *g, cg_tensor *x);

/* ---- element-wise and structure ---------------------------------------- */

/* a and b of the same rank; each dim equal or 1 in one of them (broadcast). */
cg_tensor *cg_add(cg_graph *g, cg_tensor *a, cg_tensor *b);
cg_tensor *cg_mul(cg_graph *g, cg_tensor *a, cg_tensor *b);
/* alpha * x + beta. */
cg_tensor *cg_scale(cg_graph *g, cg_tensor *x, float alpha, float beta);
/* n tensors (1..8) equal in every dim but axis. */
cg_tensor *cg_concat(cg_graph *g, cg_tensor *const *xs, int n, int axis);
/* x's elements start..start+len-1 along axis. */
cg_tensor *cg_slice(cg_graph *g, cg_tensor *x, int axis, int64_t start, int64_t len);
cg_tensor *cg_softmax(cg_graph *g, cg_tensor *x, int axis);
/* (M, K) x (K, N), or batched (B, M, K) x (B, K, N); trans_* transposes the
 * last two dims of that operand first. */
cg_tensor *cg_matmul(cg_graph *g, cg_tensor *a, cg_tensor *b, bool trans_a, bool trans_b);
/* The same elements in a new shape of equal size (a copy). */
cg_tensor *cg_reshape(cg_graph *g, cg_tensor *x, int ndim, const int64_t *dim);
/* Output dim i is input dim perm[i] (a permutation of 0..ndim-1). */
cg_tensor *cg_transpose(cg_graph *g, cg_tensor *x, const int *perm);
/* Mean of all elements, a (1) tensor. */
cg_tensor *cg_mean(cg_graph *g, cg_tensor *x);

/* ---- discriminator weights --------------------------------------------- */

/* weight / sigma, where sigma is the largest singular value of weight viewed
 * as (dim0, rest), estimated by power iteration with the persistent vector u
 * (dim0 elements, updated in place in training mode). The gradient treats u
 * and v as constants (Miyato et al.). */
cg_tensor *cg_spectral_norm(cg_graph *g, cg_tensor *weight, cg_tensor *u, int iterations);

/* ---- losses: each returns a (1) tensor, the mean over all elements -------- */
/* target optional: when NULL every target element is target_value. */

cg_tensor *cg_bce_with_logits(cg_graph *g, cg_tensor *logits, cg_tensor *target, float target_value);
cg_tensor *cg_mse_loss(cg_graph *g, cg_tensor *x, cg_tensor *target, float target_value);
cg_tensor *cg_l1_loss(cg_graph *g, cg_tensor *x, cg_tensor *target, float target_value);
/* Quadratic within delta of the target, linear beyond. */
cg_tensor *cg_huber_loss(cg_graph *g, cg_tensor *x, cg_tensor *target, float delta);
/* mean(relu(1 - sign * x)): sign +1 for real samples, -1 for fake. */
cg_tensor *cg_hinge_loss(cg_graph *g, cg_tensor *x, float sign);
/* (N, C, H, W) -> (N, C, C): F F^T / (C H W) with F = x viewed as (C, HW). */
cg_tensor *cg_gram(cg_graph *g, cg_tensor *x);
/* mse(gram(a), gram(b)). */
cg_tensor *cg_gram_loss(cg_graph *g, cg_tensor *a, cg_tensor *b);
/* mean squared difference of horizontal neighbours + of vertical neighbours. */
cg_tensor *cg_tv_loss(cg_graph *g, cg_tensor *x);

#ifdef __cplusplus
}
#endif
#endif
