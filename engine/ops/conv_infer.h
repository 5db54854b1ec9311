/* Internal: convolution kernels for the inference executor, which owns its
 * buffers instead of going through a graph (no tape, buffers reused, and the
 * nearest x2 upsampling before a decoder conv folded into the conv's input
 * reads so the upsampled map is never stored). */
#ifndef CG_OPS_CONV_INFER_H
#define CG_OPS_CONV_INFER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cg_conv_infer_shape {
    int64_t n, in_c, in_h, in_w;  /* the stored input */
    int64_t out_c;
    int k, stride, pad;           /* square kernel, symmetric padding, dilation 1, one group */
    bool reflect;
    int upsample;                 /* read the input nearest-upsampled by this factor (1: as is) */
} cg_conv_infer_shape;

void cg_conv_infer_out_size(const cg_conv_infer_shape *s, int64_t *out_h, int64_t *out_w);
/* Floats of scratch for all pool workers. */
int64_t cg_conv_infer_scratch(const cg_conv_infer_shape *s);
/* out (n, out_c, out_h, out_w) = conv(in) + bias; weight (out_c, in_c, k, k); bias may be NULL. */
void cg_conv_infer(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                   float *scratch);

/* Transposed: weight (in_c, out_c, k, k), output sides given (they include output padding). */
int64_t cg_conv_transpose_infer_scratch(const cg_conv_infer_shape *s, int64_t out_h, int64_t out_w);
void cg_conv_transpose_infer(const cg_conv_infer_shape *s, int64_t out_h, int64_t out_w, const float *in,
                             const float *w, const float *bias, float *out, float *scratch);

/* Winograd F(2x2, 3x3) (winograd.c): used by cg_conv_infer and by training's
 * conv2d, forward and back, for 3x3 stride-1 pad-1 convolutions of any batch
 * s->n, unless turned off (tests and benchmarks compare both). The backward
 * adds into din (n, in_c, h, w) and dw (out_c, in_c, 3, 3); either may be NULL. */
bool cg_winograd_applies(const cg_conv_infer_shape *s);
int64_t cg_winograd_scratch(const cg_conv_infer_shape *s);
void cg_winograd_conv(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                      float *scratch);
int64_t cg_winograd_backward_scratch(const cg_conv_infer_shape *s);
void cg_winograd_backward(const cg_conv_infer_shape *s, const float *in, const float *w, const float *dout,
                          float *din, float *dw, float *scratch);
void cg_conv_use_winograd(bool on);

/* Winograd F(4x4, 3x3) (winograd.c): cg_conv_infer's choice over F(2x2) for
 * 3x3 stride-1 pad-1 convolutions without upsampling of at least
 * CG_WINOGRAD4_MIN_CHANNELS input channels (cg_conv_use_winograd turns both
 * off). bench-conv --winograd, one thread with the other core free: 0.72-0.86
 * of F(2x2)'s time from 24 to 128 channels; fewer were not measured.
 * Inference only: training's forward stays F(2x2), whose backward is its
 * exact adjoint. */
#define CG_WINOGRAD4_MIN_CHANNELS 24
bool cg_winograd4_applies(const cg_conv_infer_shape *s);
int64_t cg_winograd4_scratch(const cg_conv_infer_shape *s);
void cg_winograd4_conv(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                       float *scratch);

/* Direct convolution for layers with at most 4 output or at most 4 input
 * channels (conv_direct.c): used by cg_conv_infer, and by training's forward,
 * for them (stride 1, "same" padding, odd k <= 9). */
bool cg_conv_direct_applies(const cg_conv_infer_shape *s);
int64_t cg_conv_direct_scratch(const cg_conv_infer_shape *s);
void cg_conv_direct(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                    float *scratch);

/* Training's backward for layers with few output channels (conv_direct.c):
 * stride 1, "same" padding, odd k <= 9, out_c <= 4, any batch s->n. Both
 * gradients are added into dw (out_c, in_c, k, k) and din (n, in_c, h, w).
 * The weight gradient alone also takes layers with in_c <= 4 (an RGB input
 * layer); cg_conv_direct_backward_scratch covers whichever applies. */
bool cg_conv_direct_backward_applies(const cg_conv_infer_shape *s);
bool cg_conv_direct_weight_grad_applies(const cg_conv_infer_shape *s);
int64_t cg_conv_direct_backward_scratch(const cg_conv_infer_shape *s);
void cg_conv_direct_weight_grad(const cg_conv_infer_shape *s, const float *in, const float *dout, float *dw,
                                float *scratch);
void cg_conv_direct_input_grad(const cg_conv_infer_shape *s, const float *w, const float *dout, float *din,
                               float *scratch);

#endif
