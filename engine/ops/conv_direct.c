/* Direct convolution for the few-output-channel layers of inference (the
 * generator's 3-channel output layer): as a GEMM its M is 3, a shape on which
 * sgemm runs at a small fraction of its rate. Here each worker takes a band of
 * output rows, copies the padded input band once, and accumulates 16 output
 * pixels of every output channel in registers while it walks the kernel. */
#include "core/simd.h"
#include "core/threads.h"
#include "ops/conv_infer.h"

#include <string.h>

#define MAX_OUT 4        /* output channels handled at once (weights padded with zeros) */
#define CHUNK 16         /* output pixels per accumulator row */
#define BAND 8           /* output rows per task */

typedef float v8 __attribute__((vector_size(32)));

bool cg_conv_direct_applies(const cg_conv_infer_shape *s)
{
    return s->out_c <= MAX_OUT && s->stride == 1 && s->upsample == 1 && s->n == 1 && s->k % 2 == 1 &&
           s->pad == s->k / 2 && s->k <= 9;
}

static int64_t padded_width(const cg_conv_infer_shape *s)
{
    /* room for a whole last chunk past the right edge */
    return s->in_w + 2 * s->pad + CHUNK;
}

static int64_t band_floats(const cg_conv_infer_shape *s)
{
    return s->in_c * (BAND + 2 * s->pad) * padded_width(s);
}

int64_t cg_conv_direct_scratch(const cg_conv_infer_shape *s)
{
    return band_floats(s) * cg_thread_count() + MAX_OUT * s->in_c * s->k * s->k;
}

typedef struct direct_job {
    const cg_conv_infer_shape *s;
    const float *in, *w, *bias; /* w: (MAX_OUT, in_c, k, k), zero beyond out_c */
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

CG_KERNEL static void direct_task(void *ctx, int task, int worker)
{
    const direct_job *j = ctx;
    const cg_conv_infer_shape *s = j->s;
    const int64_t y0 = (int64_t)task * BAND, y1 = y0 + BAND < s->in_h ? y0 + BAND : s->in_h;
    const int64_t rows = (y1 - y0) + 2 * s->pad, pw = padded_width(s), k = s->k;
    float *buf = j->scratch + (int64_t)worker * band_floats(s);
    fill_band(j, y0, rows, buf);
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x0 = 0; x0 < s->in_w; x0 += CHUNK) {
            v8 acc[MAX_OUT][2];
            for (int o = 0; o < MAX_OUT; o++) {
                float b = j->bias && o < s->out_c ? j->bias[o] : 0.0f;
                acc[o][0] = acc[o][1] = (v8){b, b, b, b, b, b, b, b};
            }
            for (int64_t c = 0; c < s->in_c; c++)
                for (int64_t ki = 0; ki < k; ki++) {
                    const float *row = buf + (c * rows + (y - y0) + ki) * pw + x0;
                    const float *wr = j->w + (c * k + ki) * k;
                    for (int64_t kj = 0; kj < k; kj++) {
                        v8 a, b;
                        memcpy(&a, row + kj, sizeof a);
                        memcpy(&b, row + kj + 8, sizeof b);
                        for (int o = 0; o < MAX_OUT; o++) {
                            float wv = wr[(int64_t)o * s->in_c * k * k + kj];
                            acc[o][0] += a * wv;
                            acc[o][1] += b * wv;
                        }
                    }
                }
            int64_t n = s->in_w - x0 < CHUNK ? s->in_w - x0 : CHUNK;
            for (int o = 0; o < s->out_c; o++) {
                float lane[CHUNK];
                memcpy(lane, &acc[o][0], sizeof(v8));
                memcpy(lane + 8, &acc[o][1], sizeof(v8));
                memcpy(j->out + (o * s->in_h + y) * s->in_w + x0, lane, (size_t)n * sizeof(float));
            }
        }
}

void cg_conv_direct(const cg_conv_infer_shape *s, const float *in, const float *w, const float *bias, float *out,
                    float *scratch)
{
    /* Weights padded to MAX_OUT outputs with zeros, so every accumulator row is the same code. */
    float *wpad = scratch + band_floats(s) * cg_thread_count();
    int64_t per_out = s->in_c * s->k * s->k;
    memset(wpad, 0, (size_t)(MAX_OUT * per_out) * sizeof(float));
    memcpy(wpad, w, (size_t)(s->out_c * per_out) * sizeof(float));
    direct_job j = {s, in, wpad, bias, out, scratch};
    cg_parallel_for((int)((s->in_h + BAND - 1) / BAND), direct_task, &j);
}
