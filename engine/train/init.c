/* Weight initialisers: Xavier/Glorot, Kaiming, normal, uniform, constant.
 * Sequential draws from the caller's generator, so results are reproducible. */
#include "comicgan/optim.h"

#include <math.h>

static cg_status check_tensor(const cg_tensor *t, cg_error *err)
{
    if (!t || !t->data)
        return cg_fail(err, CG_ERR_INVALID, "initialiser needs a tensor with storage");
    return CG_OK;
}

cg_status cg_init_fans(const cg_tensor *t, int64_t *fan_in, int64_t *fan_out, cg_error *err)
{
    if (!t || t->ndim < 1 || t->ndim > CG_MAX_DIMS)
        return cg_fail(err, CG_ERR_INVALID, "fan computation needs a tensor of 1 to %d dimensions", CG_MAX_DIMS);
    int64_t in, out;
    if (t->ndim == 1) {
        in = out = t->dim[0];
    } else {
        int64_t receptive = 1;
        for (int i = 2; i < t->ndim; i++)
            receptive *= t->dim[i];
        in = t->dim[1] * receptive;
        out = t->dim[0] * receptive;
    }
    if (fan_in)
        *fan_in = in;
    if (fan_out)
        *fan_out = out;
    return CG_OK;
}

static void fill_uniform(cg_tensor *t, double lo, double hi, cg_rng *rng)
{
    for (int64_t i = 0; i < t->size; i++)
        t->data[i] = (float)cg_rng_uniform_range(rng, lo, hi);
}

static void fill_normal(cg_tensor *t, double mean, double std, cg_rng *rng)
{
    for (int64_t i = 0; i < t->size; i++)
        t->data[i] = (float)(mean + std * cg_rng_normal(rng));
}

static cg_status xavier_bound(const cg_tensor *t, float gain, cg_rng *rng, double *std, cg_error *err)
{
    if (check_tensor(t, err) != CG_OK)
        return CG_ERR_INVALID;
    if (!rng)
        return cg_fail(err, CG_ERR_INVALID, "initialiser needs a random generator");
    if (!isfinite(gain) || gain < 0)
        return cg_fail(err, CG_ERR_INVALID, "Xavier gain must be finite and >= 0, got %g", (double)gain);
    int64_t fan_in, fan_out;
    cg_init_fans(t, &fan_in, &fan_out, NULL);
    *std = gain * sqrt(2.0 / (double)(fan_in + fan_out));
    return CG_OK;
}

cg_status cg_init_xavier_uniform(cg_tensor *t, float gain, cg_rng *rng, cg_error *err)
{
    double std;
    cg_status s = xavier_bound(t, gain, rng, &std, err);
    if (s != CG_OK)
        return s;
    double a = std * sqrt(3.0); /* U(-a, a) has variance a^2 / 3 */
    fill_uniform(t, -a, a, rng);
    return CG_OK;
}

cg_status cg_init_xavier_normal(cg_tensor *t, float gain, cg_rng *rng, cg_error *err)
{
    double std;
    cg_status s = xavier_bound(t, gain, rng, &std, err);
    if (s != CG_OK)
        return s;
    fill_normal(t, 0.0, std, rng);
    return CG_OK;
}

cg_status cg_init_kaiming_normal(cg_tensor *t, float slope, cg_rng *rng, cg_error *err)
{
    if (check_tensor(t, err) != CG_OK)
        return CG_ERR_INVALID;
    if (!rng)
        return cg_fail(err, CG_ERR_INVALID, "initialiser needs a random generator");
    if (!isfinite(slope))
        return cg_fail(err, CG_ERR_INVALID, "Kaiming slope must be finite");
    int64_t fan_in;
    cg_init_fans(t, &fan_in, NULL, NULL);
    fill_normal(t, 0.0, sqrt(2.0 / ((1.0 + (double)slope * slope) * (double)fan_in)), rng);
    return CG_OK;
}

cg_status cg_init_normal(cg_tensor *t, float mean, float std, cg_rng *rng, cg_error *err)
{
    if (check_tensor(t, err) != CG_OK)
        return CG_ERR_INVALID;
    if (!rng)
        return cg_fail(err, CG_ERR_INVALID, "initialiser needs a random generator");
    if (!isfinite(mean) || !isfinite(std) || std < 0)
        return cg_fail(err, CG_ERR_INVALID, "normal init needs a finite mean and a finite std >= 0, got %g, %g",
                       (double)mean, (double)std);
    fill_normal(t, mean, std, rng);
    return CG_OK;
}

cg_status cg_init_uniform(cg_tensor *t, float lo, float hi, cg_rng *rng, cg_error *err)
{
    if (check_tensor(t, err) != CG_OK)
        return CG_ERR_INVALID;
    if (!rng)
        return cg_fail(err, CG_ERR_INVALID, "initialiser needs a random generator");
    if (!isfinite(lo) || !isfinite(hi) || lo > hi)
        return cg_fail(err, CG_ERR_INVALID, "uniform init needs finite lo <= hi, got %g, %g", (double)lo,
                       (double)hi);
    if (lo == hi) {
        for (int64_t i = 0; i < t->size; i++)
            t->data[i] = lo;
        return CG_OK;
    }
    fill_uniform(t, lo, hi, rng);
    return CG_OK;
}

cg_status cg_init_constant(cg_tensor *t, float value, cg_error *err)
{
    if (check_tensor(t, err) != CG_OK)
        return CG_ERR_INVALID;
    if (!isfinite(value))
        return cg_fail(err, CG_ERR_INVALID, "constant init needs a finite value");
    for (int64_t i = 0; i < t->size; i++)
        t->data[i] = value;
    return CG_OK;
}
