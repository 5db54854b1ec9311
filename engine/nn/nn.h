/* Internal: architecture descriptions and the layers networks are made of. */
#ifndef CG_NN_NN_H
#define CG_NN_NN_H

#include "comicgan/net.h"
#include "comicgan/ops.h"

#define CG_ARCH_MAX_ATTENTION 4

typedef enum cg_arch_type { CG_ARCH_RESNET, CG_ARCH_UNET, CG_ARCH_PATCHGAN, CG_ARCH_ENCODER } cg_arch_type;
typedef enum cg_arch_norm {
    CG_NORM_NONE,
    CG_NORM_INSTANCE,
    CG_NORM_COND_INSTANCE,
    CG_NORM_ADALIN,
    CG_NORM_LAYER,
    CG_NORM_COND_AFFINE
} cg_arch_norm;
typedef enum cg_arch_activation { CG_ACT_RELU, CG_ACT_LEAKY_RELU } cg_arch_activation;
typedef enum cg_arch_upsample { CG_UP_NEAREST, CG_UP_BILINEAR, CG_UP_TRANSPOSED } cg_arch_upsample;
typedef enum cg_arch_attention { CG_ATTN_CAM, CG_ATTN_SELF, CG_ATTN_CBAM } cg_arch_attention;

/* A post stage: a fixed function of the generator's output, blended in by
 * one style's weight (or whole, for every style). */
#define CG_ARCH_MAX_POST 4
typedef struct cg_arch_post {
    int style;              /* the style whose weight it is applied by (-1: every style) */
    int kuwahara;           /* passes of the Kuwahara filter over the output (brush marks), first */
    float kuwahara_radius;  /* its radius (default 6; the rest cg_kuwahara_defaults) */
    int smooth;             /* passes of the output's own colour-guided filter */
    int smooth_radius;      /* its radius (default 3) */
    float smooth_eps;       /* its eps (default 0.01) */
    int bands;              /* luma bands of the output (0: none) */
    float band_width;       /* the ramp between two bands, in bands (default 0.3) */
} cg_arch_post;

typedef struct cg_arch {
    cg_arch_type type;
    int in_channels, out_channels, width, downsamples, blocks, styles, layers;
    cg_arch_norm norm;
    cg_arch_activation activation;
    float slope;
    cg_arch_upsample upsample;
    cg_arch_attention attention[CG_ARCH_MAX_ATTENTION];
    int n_attention;
    bool spectral_norm, cam;
    bool style_heads;  /* the last conv has one head per style, mixed by the style weights */
    bool residual;     /* generator output = input + 2 tanh(last) */
    int residual_blur; /* ... or the input's box mean of this radius + tanh(last) */
    int residual_guided; /* ... or this many passes of the colour-guided filter */
    int guided_radius;   /* its radius (default 4) */
    float guided_eps;    /* its eps (default 0.01) */
    cg_arch_post post[CG_ARCH_MAX_POST]; /* post stages, each a fixed function of the output */
    int n_post;
    int code;                 /* style_encoder: the learnt code's length (the constant 1 not counted) */
    int side;                 /* style_encoder: the side of the square crops of references it learnt from */
    int load_side;            /* style_encoder: the short side those references were loaded at (0: not known) */
    bool code_norm;           /* style_encoder: each code standardised over its values (mean 0, variance 1) */
} cg_arch;

/* The residual's base of a residual_guided generator: residual_guided passes
 * of the colour-guided filter (guided_radius, guided_eps) over each of n
 * images of 3 planes h x w at x, into out (same layout, may be x). scratch
 * holds CG_ARCH_GUIDED_SCRATCH planes of h x w floats. Training's graph and
 * the inference executor both call it, so both add the same base. */
#define CG_ARCH_GUIDED_SCRATCH 13
void cg_arch_guided_base(const cg_arch *a, const float *x, int64_t n, int64_t h, int64_t w, float *out,
                         float *scratch);

/* The post stages of a generator, on one image of 3 planes h x w at y (values
 * in [-1, 1]), in place. A stage runs post_kuwahara passes of the anisotropic
 * Kuwahara filter (the painted teacher's brush marks), then post_smooth passes
 * of the colour-guided filter of the output by itself, then moves each pixel's
 * luma onto post_bands flat levels with a post_band_width ramp between them,
 * its chroma kept. Every stage reads the same output y; the picture gets
 * y + sum of f * (stage(y) - y), f being the stage's style's weight in
 * style_weights clamped to [0, 1] (NULL weights: style 0 alone), or 1 for a
 * stage of every style. scratch holds CG_ARCH_POST_SCRATCH planes; the
 * Kuwahara passes allocate their own (CG_ERR_NOMEM when they cannot, y then
 * half changed). The graph and the executor both call it; the graph passes
 * the gradient straight through. */
#define CG_ARCH_POST_SCRATCH (CG_ARCH_GUIDED_SCRATCH + 6)
bool cg_arch_has_post(const cg_arch *a);
cg_status cg_arch_post_apply(const cg_arch *a, float *y, int64_t h, int64_t w, const float *style_weights,
                             float *scratch, cg_error *err);
/* A post stage with the defaults of its settings and nothing to do. */
cg_arch_post cg_arch_post_defaults(void);
/* How far the post stages read from a pixel (the farthest of them): 2 *
 * radius per smoothing pass, and per Kuwahara pass its longest window axis,
 * its Sobel and its tensor blur. */
int cg_arch_post_radius(const cg_arch *a);
/* Passes of the colour-guided filter an output pixel goes through: the
 * residual's base and the post stages' smoothing (all of them, as when every
 * style's stage runs). */
int cg_arch_guided_passes(const cg_arch *a);

/* Parses arch JSON (unknown keys and bad values refused, defaults filled). */
cg_status cg_arch_parse(const char *json, cg_arch *a, cg_error *err);
/* Canonical JSON; free with g_free. */
char *cg_arch_to_json(const cg_arch *a);
const char *cg_arch_type_name(cg_arch_type t);
const char *cg_arch_norm_name(cg_arch_norm n);
/* Whether norm n keeps a gamma and beta row per style (cond_instance, cond_affine). */
static inline bool cg_arch_norm_per_style(cg_arch_norm n)
{
    return n == CG_NORM_COND_INSTANCE || n == CG_NORM_COND_AFFINE;
}
const char *cg_arch_attention_name(cg_arch_attention a);

/* ---- layers: parameters registered in a cg_params under "prefix.name" ---- */

typedef struct cg_conv_layer {
    cg_tensor *weight, *bias, *u; /* u: spectral-norm vector (a buffer), NULL without */
    cg_conv_params p;
    bool transposed;
} cg_conv_layer;

typedef struct cg_norm_layer {
    cg_arch_norm kind;
    cg_tensor *gamma, *beta, *rho; /* rho for AdaLIN only */
} cg_norm_layer;

typedef struct cg_conv_spec {
    int in_c, out_c, k, stride, pad;
    cg_pad_mode mode;
    bool bias, spectral, transposed; /* transposed: x2 upsampling (output padding stride-1) */
} cg_conv_spec;

/* Registration; they return CG_OK or fill err (duplicate names, bad shapes). */
cg_status cg_conv_layer_add(cg_params *ps, const char *prefix, const cg_conv_spec *spec, cg_conv_layer *l,
                            cg_error *err);
cg_status cg_norm_layer_add(cg_params *ps, const char *prefix, cg_arch_norm kind, int channels, int styles,
                            cg_norm_layer *l, cg_error *err);

/* Running: NULL with g's error set on failure. */
cg_tensor *cg_conv_layer_run(cg_graph *g, const cg_conv_layer *l, cg_tensor *x);
cg_tensor *cg_norm_layer_run(cg_graph *g, const cg_norm_layer *l, cg_tensor *x, cg_tensor *style_weights);
/* The norm, then leaky ReLU (slope 0: ReLU); instance norms fuse the two into one op. */
cg_tensor *cg_norm_layer_run_leaky(cg_graph *g, const cg_norm_layer *l, cg_tensor *x, cg_tensor *style_weights,
                                   float slope);

/* ---- attention blocks (attention.c) ---- */

typedef struct cg_cam_block {
    cg_tensor *gap_weight, *gmp_weight; /* (1, C): logits and channel weights */
    cg_conv_layer fuse;                 /* 1x1, 2C -> C */
} cg_cam_block;

typedef struct cg_self_attention_block {
    cg_conv_layer query, key, value;    /* 1x1: C -> C/8, C/8, C */
    cg_tensor *gamma;                   /* (1), starts at 0 */
} cg_self_attention_block;

typedef struct cg_cbam_block {
    cg_conv_layer mlp1, mlp2;           /* 1x1: C -> C/r -> C, shared by avg and max */
    cg_conv_layer spatial;              /* 7x7: 2 -> 1 */
} cg_cbam_block;

cg_status cg_cam_block_add(cg_params *ps, const char *prefix, int channels, cg_cam_block *b, cg_error *err);
cg_status cg_self_attention_block_add(cg_params *ps, const char *prefix, int channels,
                                      cg_self_attention_block *b, cg_error *err);
cg_status cg_cbam_block_add(cg_params *ps, const char *prefix, int channels, cg_cbam_block *b, cg_error *err);

/* Each returns the block's output; *map gets its attention map (N, 1, H, W)
 * when map is non-NULL; CAM also its logits (N, 2) when logits is non-NULL. */
cg_tensor *cg_cam_block_run(cg_graph *g, const cg_cam_block *b, cg_tensor *x, cg_arch_activation act, float slope,
                            cg_tensor **map, cg_tensor **logits);
cg_tensor *cg_self_attention_block_run(cg_graph *g, const cg_self_attention_block *b, cg_tensor *x,
                                       cg_tensor **map);
cg_tensor *cg_cbam_block_run(cg_graph *g, const cg_cbam_block *b, cg_tensor *x, cg_tensor **map);

/* Sum over channels: (N, C, H, W) -> (N, 1, H, W), scaled by scale. */
cg_tensor *cg_channel_sum(cg_graph *g, cg_tensor *x, float scale);

#define MAX_STAGES 8
#define MAX_BLOCKS 64

/* A convolution followed by a normalization (and, when run, an activation). */
typedef struct cg_net_stage {
    cg_conv_layer conv;
    cg_norm_layer norm;
} cg_net_stage;

/* The network's parts, for the inference executor (engine/infer/run.c),
 * which walks them in the same order as cg_net_forward. */
struct cg_net {
    cg_arch arch;
    char *arch_json;
    cg_params *params;
    cg_net_stage first;                        /* c7s1-W (patchgan: first 4x4 conv, no norm) */
    cg_net_stage down[MAX_STAGES];             /* stride-2 convs */
    cg_net_stage block[MAX_BLOCKS][2];         /* residual blocks */
    cg_net_stage up[MAX_STAGES];               /* upsampling convs */
    cg_net_stage last;                         /* c7s1-out (patchgan: the 1-channel output conv;
                                                  style_encoder: the 1x1 conv to the code) */
    cg_cam_block cam;
    cg_self_attention_block self_attention;
    cg_cbam_block cbam;
    cg_conv_layer disc_cam_gap, disc_cam_gmp; /* patchgan CAM: logits from pooled features */
    int n_down, n_up;
    char attention_names[CG_NET_MAX_ATTENTION][24];
    int n_attention_names;
};

#endif
