/* Internal, included by conv_direct.c once per vector width: the forward
 * kernel with DIRECT_VEC (a vector of DIRECT_LANES floats), its functions
 * marked DIRECT_ATTR and named with DIRECT_SUFFIX. Each worker takes a band
 * of output rows; for each group of four output channels it accumulates
 * VECS vectors of output pixels per channel in registers while it walks the
 * kernel. */
#define DIRECT_CAT2(a, b) a##b
#define DIRECT_CAT(a, b) DIRECT_CAT2(a, b)
#define DIRECT_NAME(f) DIRECT_CAT(f, DIRECT_SUFFIX)
#define STEP (DIRECT_LANES * VECS)

/* Output channels o0 .. o0 + n - 1 of rows y0 .. y1 - 1 from the band; n is a
 * constant in each inlined copy, so the accumulators stay in registers. */
static inline __attribute__((always_inline)) void DIRECT_NAME(direct_group)(const direct_job *j,
                                                                            const float *buf, int64_t y0,
                                                                            int64_t y1, int64_t o0, const int n)
{
    const cg_conv_infer_shape *s = j->s;
    const int64_t rows = (y1 - y0) + 2 * s->pad, pw = padded_width(s), k = s->k, per_out = s->in_c * k * k;
    const float *w = j->w + o0 * per_out;
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x0 = 0; x0 < s->in_w; x0 += STEP) {
            DIRECT_VEC acc[GROUP][VECS];
            for (int o = 0; o < n; o++) {
                float b = j->bias && o0 + o < s->out_c ? j->bias[o0 + o] : 0.0f;
                for (int v = 0; v < VECS; v++)
                    acc[o][v] = (DIRECT_VEC){0} + b;
            }
            for (int64_t c = 0; c < s->in_c; c++)
                for (int64_t ki = 0; ki < k; ki++) {
                    const float *row = buf + (c * rows + (y - y0) + ki) * pw + x0;
                    const float *wr = w + (c * k + ki) * k;
                    for (int64_t kj = 0; kj < k; kj++) {
                        for (int o = 0; o < n; o++) {
                            float wv = wr[o * per_out + kj];
                            for (int v = 0; v < VECS; v++) {
                                DIRECT_VEC x; /* an unaligned load, as LOAD8 */
                                __builtin_memcpy(&x, row + kj + DIRECT_LANES * v, sizeof x);
                                acc[o][v] += x * wv;
                            }
                        }
                    }
                }
            int64_t len = s->in_w - x0 < STEP ? s->in_w - x0 : STEP;
            for (int o = 0; o < n && o0 + o < s->out_c; o++) {
                float lane[STEP];
                for (int v = 0; v < VECS; v++)
                    memcpy(lane + DIRECT_LANES * v, &acc[o][v], sizeof acc[o][v]);
                memcpy(j->out + ((o0 + o) * s->in_h + y) * s->in_w + x0, lane, (size_t)len * sizeof(float));
            }
        }
}

DIRECT_ATTR static void DIRECT_NAME(direct_task)(void *ctx, int task, int worker)
{
    const direct_job *j = ctx;
    const cg_conv_infer_shape *s = j->s;
    const int64_t y0 = (int64_t)task * BAND, y1 = y0 + BAND < s->in_h ? y0 + BAND : s->in_h;
    float *buf = j->scratch + (int64_t)worker * band_floats(s);
    fill_band(j, y0, (y1 - y0) + 2 * s->pad, buf);
    for (int64_t o0 = 0; o0 < s->out_c; o0 += GROUP) {
        /* a last group of three (an RGB output layer) skips the padded channel */
        if (s->out_c - o0 == 3)
            DIRECT_NAME(direct_group)(j, buf, y0, y1, o0, 3);
        else
            DIRECT_NAME(direct_group)(j, buf, y0, y1, o0, GROUP);
    }
}

#undef STEP
#undef DIRECT_NAME
#undef DIRECT_CAT
#undef DIRECT_CAT2
#undef DIRECT_VEC
#undef DIRECT_LANES
#undef DIRECT_ATTR
#undef DIRECT_SUFFIX
