/* comicgan-bridge — pixel layouts (see pixels.h). */
#include "pixels.h"

#include <math.h>
#include <string.h>

float cgb_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent == 0) {
        /* Zero or subnormal: mantissa * 2^-24, exact in single precision. */
        float f = (float)mantissa * 0x1p-24f;
        return sign ? -f : f;
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t cgb_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t a = x & 0x7fffffffu;
    if (a >= 0x7f800000u) /* Inf stays Inf; NaN stays a (quiet) NaN */
        return sign | 0x7c00u | (a > 0x7f800000u ? 0x200u | ((a >> 13) & 0x3ffu) : 0u);
    if (a >= 0x477ff000u) /* 65520 and above round to infinity */
        return sign | 0x7c00u;
    if (a < 0x38800000u) {
        /* Below the smallest normal half: count units of 2^-24. The scaling
         * is exact, and lrintf rounds half to even. */
        float abs_f;
        memcpy(&abs_f, &a, sizeof abs_f);
        return sign | (uint16_t)lrintf(abs_f * 0x1p24f);
    }
    /* Rebias the exponent, then drop 13 mantissa bits rounding to nearest
     * even; a carry out of the mantissa correctly bumps the exponent. */
    uint32_t r = a - ((uint32_t)(127 - 15) << 23);
    r += 0x0fffu + ((r >> 13) & 1u);
    return sign | (uint16_t)(r >> 13);
}

float cgb_srgb_encode(float v)
{
    if (v < 0.0f)
        return -cgb_srgb_encode(-v);
    return v <= 0.0031308f ? 12.92f * v : 1.055f * powf(v, 1.0f / 2.4f) - 0.055f;
}

float cgb_srgb_decode(float v)
{
    if (v < 0.0f)
        return -cgb_srgb_decode(-v);
    return v <= 0.04045f ? v / 12.92f : powf((v + 0.055f) / 1.055f, 2.4f);
}

static float clamp01(float v)
{
    return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static float get32f(const uint8_t *p)
{
    uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void put32f(uint8_t *p, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(bits >> (8 * i));
}

/* One packed pixel into RGBA floats, before any transfer curve. */
static void unpack_one(const uint8_t *p, cgb_depth d, float rgba[4])
{
    switch (d) {
    case CGB_U8:
        rgba[0] = p[2] / 255.0f;
        rgba[1] = p[1] / 255.0f;
        rgba[2] = p[0] / 255.0f;
        rgba[3] = p[3] / 255.0f;
        break;
    case CGB_U16:
        rgba[0] = get16(p + 4) / 65535.0f;
        rgba[1] = get16(p + 2) / 65535.0f;
        rgba[2] = get16(p + 0) / 65535.0f;
        rgba[3] = get16(p + 6) / 65535.0f;
        break;
    case CGB_F16:
        for (int c = 0; c < 4; c++)
            rgba[c] = cgb_half_to_float(get16(p + 2 * c));
        break;
    case CGB_F32:
        for (int c = 0; c < 4; c++)
            rgba[c] = get32f(p + 4 * c);
        break;
    }
}

static void pack_one(const float rgba[4], cgb_depth d, uint8_t *p)
{
    switch (d) {
    case CGB_U8:
        p[2] = (uint8_t)lrintf(clamp01(rgba[0]) * 255.0f);
        p[1] = (uint8_t)lrintf(clamp01(rgba[1]) * 255.0f);
        p[0] = (uint8_t)lrintf(clamp01(rgba[2]) * 255.0f);
        p[3] = (uint8_t)lrintf(clamp01(rgba[3]) * 255.0f);
        break;
    case CGB_U16:
        put16(p + 4, (uint16_t)lrintf(clamp01(rgba[0]) * 65535.0f));
        put16(p + 2, (uint16_t)lrintf(clamp01(rgba[1]) * 65535.0f));
        put16(p + 0, (uint16_t)lrintf(clamp01(rgba[2]) * 65535.0f));
        put16(p + 6, (uint16_t)lrintf(clamp01(rgba[3]) * 65535.0f));
        break;
    case CGB_F16:
        for (int c = 0; c < 4; c++)
            put16(p + 2 * c, cgb_float_to_half(rgba[c]));
        break;
    case CGB_F32:
        for (int c = 0; c < 4; c++)
            put32f(p + 4 * c, rgba[c]);
        break;
    }
}

bool cgb_unpack(const uint8_t *src, cgb_depth d, bool linear, size_t n, float *dst, size_t *bad)
{
    size_t bpp = cgb_depth_bytes(d);
    for (size_t i = 0; i < n; i++, src += bpp, dst += 4) {
        unpack_one(src, d, dst);
        if (!isfinite(dst[0]) || !isfinite(dst[1]) || !isfinite(dst[2]) || !isfinite(dst[3])) {
            if (bad)
                *bad = i;
            return false;
        }
        if (linear)
            for (int c = 0; c < 3; c++)
                dst[c] = cgb_srgb_encode(dst[c]);
    }
    return true;
}

static void pack_pixel(const float *rgba, cgb_depth d, bool linear, uint8_t *p)
{
    float v[4] = {rgba[0], rgba[1], rgba[2], rgba[3]};
    if (linear)
        for (int c = 0; c < 3; c++)
            v[c] = cgb_srgb_decode(v[c]);
    pack_one(v, d, p);
}

void cgb_pack(const float *src, cgb_depth d, bool linear, size_t n, uint8_t *dst)
{
    size_t bpp = cgb_depth_bytes(d);
    for (size_t i = 0; i < n; i++, src += 4, dst += bpp)
        pack_pixel(src, d, linear, dst);
}

void cgb_pack_masked(const float *styled, const uint8_t *mask, cgb_depth d, bool linear, size_t n,
                     uint8_t *inout)
{
    size_t bpp = cgb_depth_bytes(d);
    for (size_t i = 0; i < n; i++, styled += 4, inout += bpp) {
        if (mask[i] == 0)
            continue;
        if (mask[i] == 255) {
            pack_pixel(styled, d, linear, inout);
            continue;
        }
        float m = mask[i] / 255.0f, orig[4] = {0}, mixed[4];
        unpack_one(inout, d, orig);
        if (linear)
            for (int c = 0; c < 3; c++)
                orig[c] = cgb_srgb_encode(orig[c]);
        for (int c = 0; c < 4; c++)
            mixed[c] = orig[c] * (1.0f - m) + styled[c] * m;
        pack_pixel(mixed, d, linear, inout);
    }
}
