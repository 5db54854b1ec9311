/* comicgan-bridge — converting Krita's pixel layouts (PROTOCOL.md, "Pixels")
 * to and from the engine's float RGBA, and blending through a selection mask.
 *
 * Packed pixels are little-endian: U8 and U16 in B, G, R, A order, F16 and
 * F32 in R, G, B, A order. Integer conversions match the engine's image files
 * (v / 255 in, lrintf(clamp(x) * 255) out) so that an unchanged value comes
 * back bit for bit. */
#ifndef CGB_PIXELS_H
#define CGB_PIXELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

/* n packed pixels of depth d into n float RGBA pixels, sRGB-encoded (linear
 * input goes through the sRGB curve). False if a sample is NaN or infinite;
 * *bad (if not NULL) is then that pixel's index. */
bool cgb_unpack(const uint8_t *src, cgb_depth d, bool linear, size_t n, float *dst, size_t *bad);

/* n float RGBA pixels into n packed pixels of depth d. */
void cgb_pack(const float *src, cgb_depth d, bool linear, size_t n, uint8_t *dst);

/* Writes styled pixels over the packed original pixels in inout through a
 * mask (one byte per pixel): 0 keeps the original bytes, 255 takes the styled
 * pixel, values between blend the two in float. */
void cgb_pack_masked(const float *styled, const uint8_t *mask, cgb_depth d, bool linear, size_t n,
                     uint8_t *inout);

/* IEEE 754 half <-> single, exact one way and round-to-nearest-even the other. */
float cgb_half_to_float(uint16_t h);
uint16_t cgb_float_to_half(float f);

/* The sRGB transfer curve and its inverse (mirrored for negative values). */
float cgb_srgb_encode(float linear);
float cgb_srgb_decode(float encoded);

#endif
