/* comicgan — a seeded random number generator with a complete, plain state.
 *
 * xoshiro256** (Blackman and Vigna) seeded through splitmix64. The whole state,
 * the cached second Box–Muller value included, is the cg_rng struct: copy it to
 * save it, copy it back to resume, and the sequence continues exactly. For a
 * checkpoint file, cg_rng_to_string / cg_rng_from_string give a portable text
 * form (safetensors metadata values are strings).
 *
 * Independent streams (per data loader, per augmentation) come from
 * cg_rng_split, which hands out a copy and jumps the parent 2^128 steps ahead,
 * so streams never overlap; or from cg_rng_seed_stream, which derives a stream
 * from (seed, index) without touching any other generator.
 *
 * No function allocates or fails except cg_rng_from_string. A generator is not
 * thread-safe: give each thread its own. */
#ifndef COMICGAN_RNG_H
#define COMICGAN_RNG_H

#include <stdbool.h>
#include <stdint.h>

#include "comicgan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_rng {
    uint64_t s[4];         /* xoshiro256** state; never all zero */
    double cached_normal;  /* the second value of the last Box–Muller pair */
    bool has_cached;       /* cached_normal is pending */
} cg_rng;

/* Seeds r from one 64-bit seed (any value, 0 included) via splitmix64. */
void cg_rng_seed(cg_rng *r, uint64_t seed);

/* Seeds r with stream number `stream` of `seed`: distinct (seed, stream)
 * pairs give unrelated sequences (both are mixed through splitmix64). */
void cg_rng_seed_stream(cg_rng *r, uint64_t seed, uint64_t stream);

/* The next 64 (or 32) random bits. */
uint64_t cg_rng_u64(cg_rng *r);
uint32_t cg_rng_u32(cg_rng *r);

/* Uniform in [0, 1): 53 random bits for double, 24 for float. */
double cg_rng_uniform(cg_rng *r);
float cg_rng_uniform_f(cg_rng *r);

/* Uniform in [lo, hi). */
double cg_rng_uniform_range(cg_rng *r, double lo, double hi);

/* Uniform integer in [0, n), without modulo bias (Lemire's multiply-and-reject).
 * n == 0 returns 0. */
uint64_t cg_rng_below(cg_rng *r, uint64_t n);

/* Standard normal N(0, 1) by Box–Muller; every second call returns the value
 * cached in the struct by the call before. */
double cg_rng_normal(cg_rng *r);

/* N(mean, std^2) as a float. */
float cg_rng_normal_f(cg_rng *r, float mean, float std);

/* Advances r by 2^128 steps (the xoshiro jump); 2^128 non-overlapping
 * subsequences. cg_rng_long_jump advances 2^192 steps. The Box–Muller cache is
 * cleared. */
void cg_rng_jump(cg_rng *r);
void cg_rng_long_jump(cg_rng *r);

/* A new independent stream: returns a copy of r (cache cleared) and jumps r
 * ahead by 2^128, so the returned stream and r's future never overlap. */
cg_rng cg_rng_split(cg_rng *r);

/* Text form of the whole state, e.g. "xoshiro256ss:<64 hex>:<16 hex or ->";
 * always NUL-terminated in buf, which must hold CG_RNG_STRING_LEN bytes. */
#define CG_RNG_STRING_LEN 96
char *cg_rng_to_string(const cg_rng *r, char *buf);

/* Parses cg_rng_to_string's form into *r; CG_ERR_FORMAT (r untouched) when the
 * text is not that form or names the all-zero state. */
cg_status cg_rng_from_string(cg_rng *r, const char *text, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
