/* CycleGAN's image pool (Shrivastava et al.): the discriminator sees a mix of
 * the newest generated images and older ones, which damps oscillation. Every
 * rank runs the same pool on the whole batch, so it stays identical. */
#include "train/train_private.h"

#include <string.h>

cg_status tr_pool_init(tr_pool *p, int cap, int64_t image_floats, uint64_t seed, cg_error *err)
{
    memset(p, 0, sizeof *p);
    p->cap = cap;
    p->image_floats = image_floats;
    cg_rng_seed(&p->rng, seed);
    if (cap > 0 && !(p->data = g_try_malloc((size_t)cap * (size_t)image_floats * sizeof(float))))
        return cg_fail(err, CG_ERR_NOMEM, "out of memory for an image pool of %d", cap);
    return CG_OK;
}

void tr_pool_clear(tr_pool *p)
{
    g_free(p->data);
    memset(p, 0, sizeof *p);
}

void tr_pool_query(tr_pool *p, const float *in, float *out, int n)
{
    const size_t bytes = (size_t)p->image_floats * sizeof(float);
    for (int i = 0; i < n; i++) {
        const float *img = in + (size_t)i * p->image_floats;
        float *dst = out + (size_t)i * p->image_floats;
        if (p->cap == 0) {
            memmove(dst, img, bytes);
        } else if (p->count < p->cap) {
            memcpy(p->data + (size_t)p->count++ * p->image_floats, img, bytes);
            memmove(dst, img, bytes);
        } else if (cg_rng_uniform(&p->rng) < 0.5) {
            /* Hand out an old image and keep the new one in its place. */
            float *slot = p->data + (size_t)cg_rng_below(&p->rng, (uint64_t)p->cap) * p->image_floats;
            float tmp[256];
            for (size_t k = 0; k < (size_t)p->image_floats; k += 256) {
                size_t len = (size_t)p->image_floats - k < 256 ? (size_t)p->image_floats - k : 256;
                memcpy(tmp, slot + k, len * sizeof(float));
                memcpy(slot + k, img + k, len * sizeof(float));
                memcpy(dst + k, tmp, len * sizeof(float));
            }
        } else {
            memmove(dst, img, bytes);
        }
    }
}
