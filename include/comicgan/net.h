/* comicgan — networks built from an architecture description.
 *
 * A model file's "comicgan.arch" metadata is a JSON object naming the network
 * and its sizes; cg_net_new parses it (json-glib), registers every parameter
 * under a stable name in a cg_params set and finalizes it. cg_net_forward
 * then runs the network on a graph (comicgan/graph.h).
 *
 * Generators ("type": "resnet" or "unet"):
 *   in_channels, out_channels   image channels (3)
 *   width                       channels of the first layer (32, 64, ...)
 *   downsamples                 stride-2 3x3 convolutions (resnet) / levels (unet)
 *   blocks                      residual blocks at the bottleneck (resnet)
 *   norm                        "instance" | "cond_instance" | "adalin" | "layer" | "none" |
 *                               "cond_affine" (per style a scale and shift per
 *                               channel, no statistics: cond_instance without
 *                               the normalization, so no per-image statistic
 *                               for a strong local feature to steer)
 *   styles                      styles of a cond_instance, cond_affine or style_heads network (>= 1)
 *   activation, slope           "relu" | "leaky_relu" (slope, default 0.2)
 *   upsample                    "nearest" | "bilinear" (then a 3x3 conv) | "transposed"
 *   attention                   list of "cam" | "self" | "cbam" at the bottleneck
 *   style_heads                 the last conv is one head per style, with any
 *                               norm (stored as one conv of styles x
 *                               out_channels outputs, style-major); the output
 *                               is the style-weighted sum of the heads before
 *                               tanh, so mixing styles mixes their heads. Each
 *                               style's change is its own instead of sharing
 *                               one last layer (default false)
 *   residual                    true: the output is the input plus the network's
 *                               change, 2 tanh (needs in_channels ==
 *                               out_channels), so the colours and detail a style
 *                               keeps pass straight through instead of being
 *                               rebuilt after instance norm has removed each
 *                               channel's mean (default false)
 *   residual_blur               with residual: add the input's local mean over a
 *                               (2r+1)^2 box (pixels outside the image not
 *                               counted) instead of the input itself: the photo's
 *                               colours pass, its texture does not, so a style
 *                               that flattens need not cancel it (0..64, default 0)
 *   residual_guided             with residual: add this many passes (0..8) of the
 *                               colour-guided filter of the input instead
 *                               (guided_radius 1..32, default 4; guided_eps in
 *                               (0, 1], default 0.01, in [0, 1] colour units):
 *                               edges stay sharp and regions already smooth, so
 *                               a flat style has little left to draw there
 *   post_smooth                 a post stage on the output (3 channels): this many
 *                               passes (0..8) of the output's own colour-guided
 *                               filter (post_smooth_radius 1..32, default 3;
 *                               post_smooth_eps in (0, 1], default 0.01)
 *   post_bands                  then each pixel's luma moved onto this many flat
 *                               levels from black to white (0: none, or 2..32),
 *                               joined by a ramp post_band_width bands wide
 *                               (default 0.3); its chroma is kept. The stage is
 *                               a fixed function: training passes the gradient
 *                               straight through it
 * resnet: c7s1-W, d2W, d4W ..., R x blocks, u ..., c7s1-out, tanh; reflect
 * padding; bias in every conv; norm and activation after every conv but the last.
 * unet: c3 W, then per level a stride-2 conv doubling channels; decoder
 * levels upsample, concatenate the skip, conv; the same ends as resnet.
 *
 * Discriminators ("type": "patchgan"): in_channels, width, layers (stride-2
 * 4x4 convs), norm, spectral_norm (bool), cam (bool: U-GAT-IT's CAM logits).
 *
 * Style encoders ("type": "style_encoder") turn a reference picture into a
 * style code: in_channels, width (default 32), layers (stride-2 3x3 convs
 * doubling the channels, reflect padding, activation after each; default 4),
 * code (the learnt code's length, 1..63, default 8), side (the long side of
 * the copy of a reference it is shown, 16..1024, default 128). Norm must be
 * "none": the feature statistics are the style. After the convs each
 * channel's mean and variance over the image go through a 1x1 conv to the
 * code, and a constant 1 is appended: the output is (N, code + 1). Fed as the
 * style weights of a cond_instance generator with code + 1 styles, each norm's
 * gamma and beta become a learnt linear function of the code (AdaIN), the
 * last style row being the bias.
 */
#ifndef COMICGAN_NET_H
#define COMICGAN_NET_H

#include "comicgan/graph.h"
#include "comicgan/params.h"
#include "comicgan/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_net cg_net;

/* Most attention points a network can expose. */
#define CG_NET_MAX_ATTENTION 8

/* Where a forward pass leaves its attention maps, one (N, 1, h, w) tensor per
 * attention point (in the graph's arena), in the order cg_net_attention_name
 * lists them. A NULL taps argument skips them. */
typedef struct cg_net_taps {
    int count;
    cg_tensor *map[CG_NET_MAX_ATTENTION];
    /* U-GAT-IT CAM logits (N, 2) of the generator's CAM block, NULL if none. */
    cg_tensor *cam_logits;
} cg_net_taps;

/* Parses arch_json and builds the network with zeroed parameters. Caller frees
 * with cg_net_free. NULL and err filled on malformed JSON, an unknown type or
 * key value, or absurd sizes (each message names the key). */
cg_net *cg_net_new(const char *arch_json, cg_error *err);
void cg_net_free(cg_net *net);

/* The parameter set (owned by net). */
cg_params *cg_net_params(const cg_net *net);

/* The architecture as canonical JSON (every key, defaults filled in); owned by net. */
const char *cg_net_arch_json(const cg_net *net);

/* "resnet", "unet", "patchgan" or "style_encoder". */
const char *cg_net_type(const cg_net *net);

/* Styles of a conditional network (1 otherwise). */
int cg_net_styles(const cg_net *net);

/* Attention points: count and their names ("cam", "self", "cbam.channel", ...). */
int cg_net_attention_count(const cg_net *net);
const char *cg_net_attention_name(const cg_net *net, int i);

/* Pixels of context each output pixel depends on, per side (receptive-field radius). */
int cg_net_receptive_radius(const cg_net *net);

/* A style encoder's output length (code + 1, the constant included), the side
 * of the square crops it learnt from, and the short side its training
 * references were loaded at (0 when the model does not say); 0 for other
 * networks. */
int cg_net_code_length(const cg_net *net);
int cg_net_reference_side(const cg_net *net);
int cg_net_reference_load_side(const cg_net *net);
/* Whether a style encoder standardises its codes (mean 0, variance 1 over the
 * code's values, the constant not counted). */
bool cg_net_code_norm(const cg_net *net);

/* Input side must be a multiple of this (2^downsamples); stylize pads to it. */
int cg_net_size_multiple(const cg_net *net);

/* Initialises weights: convs N(0, std) (std 0.02, the GAN default) or Xavier
 * when xavier is true; norms gamma 1, beta 0; AdaLIN rho 1 in the encoder and
 * 0 in the decoder as in U-GAT-IT; self-attention gamma 0. */
cg_status cg_net_init(cg_net *net, cg_rng *rng, bool xavier, cg_error *err);

/* Runs the network on x (N, in_channels, H, W) in graph g. style_weights
 * (N, styles) mixes the styles of a cond_instance network (NULL: style 0);
 * ignored otherwise; any real weights work, not only mixes. Generators return
 * (N, out_channels, H, W) in [-1, 1]; patchgan returns logits (N, 1, h, w);
 * style_encoder its codes (N, code + 1). NULL with g's error set on failure. */
cg_tensor *cg_net_forward(cg_net *net, cg_graph *g, cg_tensor *x, cg_tensor *style_weights, cg_net_taps *taps);

#ifdef __cplusplus
}
#endif
#endif
