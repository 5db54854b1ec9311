/* Direct convolution for the layers of inference that are poor GEMM shapes:
 * few output channels (the generator's 3-channel output layer, M = 3) or few
 * input channels (its 7x7 input layer, K = 3 * 49, whose column matrix would
 * be 49 times the image). Each worker takes a band of output rows, copies the
 * padded input band once, and for each group of four output channels
 * accumulates 24 output pixels per channel in registers while it walks the
 * kernel. */
#include "core/simd.h"
#include "core/threads.h"
#include "ops/conv_infer.h"

#include <string.h>

#define GROUP 4          /* output channels handled at once */
#define FEW 4            /* at most this many output or input channels */
#define VECS 3           /* vectors of 8 output pixels per accumulator row */
#define CHUNK (8 * VECS)
#define BAND 8           /* output rows per task */


bool cg_conv_direct_applies(const cg_conv_infer_shape *s)
{
    return (s->out_c <= FEW || s->in_c <= FEW) && s->stride == 1 && s->upsample == 1 && s->n == 1 && s->k % 2 == 1 &&
           s->pad == s->k / 2 && s->k <= 9;
}

static int64_t padded_width(const cg_conv_infer_shape *s)
{
    /* room for a whole last chunk past the right edge */
    return s->in_w + 2 * s->pad + CHUNK;
}

/* Output channels rounded up to whole groups (the weights are padded with zeros). */
static int64_t padded_out(const cg_conv_infer_shape *s)
{
    return (s->out_c + GROUP - 1) / GROUP * GROUP;
}

static int64_t band_floats(const cg_conv_infer_shape *s)
{
    return s->in_c * (BAND + 2 * s->pad) * padded_width(s);
}

int64_t cg_conv_direct_scratch(const cg_conv_infer_shape *s)
{
    return band_floats(s) * cg_thread_count() + padded_out(s) * s->in_c * s->k * s->k;
}

typedef struct direct_job {
    const cg_conv_infer_shape *s;
    const float *in, *w, *bias; /* w: (padded_out, in_c, k, k), zero beyond out_c */
    float *out, *scratch;
} direct_job;

static inline int64_t reflect_index(int64_t i, int64_t n)
{
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

/* Rows y0 - pad .. y1 + pad of every channel, padded left and right. */
static void fill_band(const direct_job *j, int64_t y0, int64_t rows, float *buf)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t pw = padded_width(s), p = s->pad;
    for (int64_t c = 0; c < s->in_c; c++)
        for (int64_t r = 0; r < rows; r++) {
            float *dst = buf + (c * rows + r) * pw;
            int64_t iy = y0 - p + r;
            if (!s->reflect && (iy < 0 || iy >= s->in_h)) {
                memset(dst, 0, (size_t)pw * sizeof(float));
                continue;
            }
            const float *row = j->in + (c * s->in_h + reflect_index(iy, s->in_h)) * s->in_w;
            for (int64_t x = 0; x < p; x++) {
                dst[x] = s->reflect ? row[reflect_index(x - p, s->in_w)] : 0.0f;
                dst[p + s->in_w + x] = s->reflect ? row[reflect_index(s->in_w + x, s->in_w)] : 0.0f;
            }
            memcpy(dst + p, row, (size_t)s->in_w * sizeof(float));
            memset(dst + 2 * p + s->in_w, 0, CHUNK * sizeof(float));
        }
}

/* Output channels o0 .. o0 + n - 1 of rows y0 .. y1 - 1 from the band; n is a
 * constant in each inlined copy, so the accumulators stay in registers. */
static inline __attribute__((always_inline)) void direct_group(const direct_job *j, const float *buf, int64_t y0,
                                                               int64_t y1, int64_t o0, const int n)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t rows = (y1 - y0) + 2 * s->pad, pw = padded_width(s), k = s->k, per_out = s->in_c * k * k;
    const float *w = j->w + o0 * per_out;
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x0 = 0; x0 < s->in_w; x0 += CHUNK) {
            v8 acc[GROUP][VECS];
            for (int o = 0; o < n; o++) {
                float b = j->bias && o0 + o < s->out_c ? j->bias[o0 + o] : 0.0f;
                for (int v = 0; v < VECS; v++)
                    acc[o][v] = (v8){b, b, b, b, b, b, b, b};
            }
            for (int64_t c = 0; c < s->in_c; c++)
                for (int64_t ki = 0; ki < k; ki++) {
                    const float *row = buf + (c * rows + (y - y0) + ki) * pw + x0;
                    const float *wr = w + (c * k + ki) * k;
                    for (int64_t kj = 0; kj < k; kj++) {
                        for (int o = 0; o < n; o++) {
                            float wv = wr[o * per_out + kj];
                            for (int v = 0; v < VECS; v++)
                                acc[o][v] += LOAD8(row + kj + 8 * v) * wv;
                        }
                    }
                }
            int64_t len = s->in_w - x0 < CHUNK ? s->in_w - x0 : CHUNK;
            for (int o = 0; o < n && o0 + o < s->out_c; o++) {
                float lane[CHUNK];
                for (int v = 0; v < VECS; v++)
                    memcpy(lane + 8 * v, &acc[o][v], sizeof(v8));
                memcpy(j->out + ((o0 + o) * s->in_h + y) * s->in_w + x0, lane, (size_t)len * sizeof(float));
            }
        }
}

CG_KERNEL static void direct_task(void *ctx, int task, int worker)
{
    const direct_job *j = ctx;
    const cg_conv_infer_shape *s = j->s;
    const int64_t y0 = (int64_t)task * BAND, y1 = y0 + BAND < s->in_h ? y0 + BAND : s->in_h;
    float *buf = j->scratch + (int64_t)worker * band_floats(s);
    fill_band(j, y0, (y1 - y0) + 2 * s->pad, buf);
    for (int64_t o0 = 0; o0 < s->out_c; o0 += GROUP) {
        /* a last group of three (an RGB output layer) skips the padded channel */
        if (s->out_c - o0 == 3)
            direct_group(j, buf, y0, y1, o0, 3);
        else
            direct_group(j, buf, y0, y1, o0, GROUP);
    }
}

void cg_conv_direct(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                    float *scratch)
{
    /* Weights padded to whole groups with zeros, so every group is the same code. */
    float *wpad = scratch + band_floats(s) * cg_thread_count();
    int64_t per_out = s->in_c * s->k * s->k;
    memset(wpad, 0, (size_t)(padded_out(s) * per_out) * sizeof(float));
    memcpy(wpad, w, (size_t)(s->out_c * per_out) * sizeof(float));
    direct_job j = {s, in, wpad, bias, out, scratch};
    cg_parallel_for((int)((s->in_h + BAND - 1) / BAND), direct_task, &j);
}
