/* Internal: IEEE half-precision (binary16) conversions, inline because they
 * run once a value over whole tensors: the safetensors reader's F16 weights
 * and the tile cache's 16-bit entries (where a call a value through the
 * library's symbol table cost 3 % of a spilled 12 MP run). */
#ifndef CG_CORE_HALF_H
#define CG_CORE_HALF_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Exact: every half is a float. Infinities and NaNs stay what they are. */
static inline float cg_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    if (e == 0) { /* zero or subnormal: m * 2^-24, exact */
        float v = (float)m * 0x1p-24f;
        return sign ? -v : v;
    }
    bits = e == 31 ? sign | 0x7f800000u | (m << 13) : sign | ((e + 112) << 23) | (m << 13);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Rounded to nearest even. A value that rounds beyond 65504 (or is infinite
 * or NaN) gives the largest finite half of its sign and sets *overflow. */
static inline uint16_t cg_half_from_float(float f, bool *overflow)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t mag = x & 0x7fffffffu;
    if (mag >= 0x477ff000u) {
        *overflow = true;
        return sign | 0x7bff;
    }
    if (mag < 0x38800000u) /* below 2^-14: a subnormal half, in units of 2^-24 */
        return sign | (uint16_t)lrintf(fabsf(f) * 16777216.0f);
    /* rebias the exponent (127 to 15) and round the mantissa to 10 bits, to nearest even */
    mag += 0xfffu + ((mag >> 13) & 1u);
    return sign | (uint16_t)((mag - 0x38000000u) >> 13);
}

#endif
