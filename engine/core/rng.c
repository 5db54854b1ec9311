/* xoshiro256** with splitmix64 seeding, Lemire's unbiased bounded integers and
 * Box–Muller normals whose spare value lives in the struct. */
#include "comicgan/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void seed_from(cg_rng *r, uint64_t x)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    /* splitmix64 is a bijection of its counter, so four consecutive outputs
     * cannot all be zero; keep the guard anyway, the all-zero state is fatal. */
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
    r->cached_normal = 0.0;
    r->has_cached = false;
}

void cg_rng_seed(cg_rng *r, uint64_t seed)
{
    seed_from(r, seed);
}

void cg_rng_seed_stream(cg_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t a = seed, b = stream ^ 0x6A09E667F3BCC909ull;
    uint64_t x = splitmix64(&a);
    x ^= splitmix64(&b) + 0x3C6EF372FE94F82Bull + (x << 6) + (x >> 2);
    seed_from(r, x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cg_rng_u64(cg_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t cg_rng_u32(cg_rng *r)
{
    return (uint32_t)(cg_rng_u64(r) >> 32);
}

double cg_rng_uniform(cg_rng *r)
{
    return (double)(cg_rng_u64(r) >> 11) * 0x1.0p-53;
}

float cg_rng_uniform_f(cg_rng *r)
{
    return (float)(cg_rng_u64(r) >> 40) * 0x1.0p-24f;
}

double cg_rng_uniform_range(cg_rng *r, double lo, double hi)
{
    double v = lo + (hi - lo) * cg_rng_uniform(r);
    /* rounding can land on hi when the range is wide relative to lo */
    return v < hi ? v : lo;
}

uint64_t cg_rng_below(cg_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    unsigned __int128 m = (unsigned __int128)cg_rng_u64(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        const uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
        while (low < threshold) {
            m = (unsigned __int128)cg_rng_u64(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double cg_rng_normal(cg_rng *r)
{
    if (r->has_cached) {
        r->has_cached = false;
        return r->cached_normal;
    }
    double u1 = 1.0 - cg_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = cg_rng_uniform(r);
    double radius = sqrt(-2.0 * log(u1));
    double theta = 6.283185307179586476925286766559 * u2;
    r->cached_normal = radius * sin(theta);
    r->has_cached = true;
    return radius * cos(theta);
}

float cg_rng_normal_f(cg_rng *r, float mean, float std)
{
    return (float)((double)mean + (double)std * cg_rng_normal(r));
}

static void jump_with(cg_rng *r, const uint64_t poly[4])
{
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 64; b++) {
            if (poly[i] & ((uint64_t)1 << b)) {
                s0 ^= r->s[0];
                s1 ^= r->s[1];
                s2 ^= r->s[2];
                s3 ^= r->s[3];
            }
            cg_rng_u64(r);
        }
    r->s[0] = s0;
    r->s[1] = s1;
    r->s[2] = s2;
    r->s[3] = s3;
    r->has_cached = false;
    r->cached_normal = 0.0;
}

void cg_rng_jump(cg_rng *r)
{
    static const uint64_t poly[4] = {0x180ec6d33cfd0abaull, 0xd5a61266f0c9392cull, 0xa9582618e03fc9aaull,
                                     0x39abdc4529b1661cull};
    jump_with(r, poly);
}

void cg_rng_long_jump(cg_rng *r)
{
    static const uint64_t poly[4] = {0x76e15d3efefdcbbfull, 0xc5004e441c522fb3ull, 0x77710069854ee241ull,
                                     0x39109bb02acbe635ull};
    jump_with(r, poly);
}

cg_rng cg_rng_split(cg_rng *r)
{
    cg_rng child = *r;
    child.has_cached = false;
    child.cached_normal = 0.0;
    cg_rng_jump(r);
    return child;
}

char *cg_rng_to_string(const cg_rng *r, char *buf)
{
    uint64_t cached = 0;
    memcpy(&cached, &r->cached_normal, sizeof cached);
    int n = snprintf(buf, CG_RNG_STRING_LEN, "xoshiro256ss:%016llx%016llx%016llx%016llx:",
                     (unsigned long long)r->s[0], (unsigned long long)r->s[1], (unsigned long long)r->s[2],
                     (unsigned long long)r->s[3]);
    if (r->has_cached)
        snprintf(buf + n, CG_RNG_STRING_LEN - (size_t)n, "%016llx", (unsigned long long)cached);
    else
        snprintf(buf + n, CG_RNG_STRING_LEN - (size_t)n, "-");
    return buf;
}

static bool parse_hex64(const char *p, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = p[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return true;
}

cg_status cg_rng_from_string(cg_rng *r, const char *text, cg_error *err)
{
    static const char prefix[] = "xoshiro256ss:";
    const size_t plen = sizeof prefix - 1;
    if (!text || strncmp(text, prefix, plen) != 0)
        return cg_fail(err, CG_ERR_FORMAT, "random state does not start with \"%s\"", prefix);
    const char *p = text + plen;
    if (strnlen(p, 65) < 65 || p[64] != ':')
        return cg_fail(err, CG_ERR_FORMAT, "random state: expected 64 hex digits and ':'");
    cg_rng tmp = {.has_cached = false};
    for (int i = 0; i < 4; i++)
        if (!parse_hex64(p + 16 * i, &tmp.s[i]))
            return cg_fail(err, CG_ERR_FORMAT, "random state: bad hex digit in word %d", i);
    if (!(tmp.s[0] | tmp.s[1] | tmp.s[2] | tmp.s[3]))
        return cg_fail(err, CG_ERR_FORMAT, "random state is all zero");
    p += 65;
    if (strcmp(p, "-") == 0) {
        tmp.has_cached = false;
    } else {
        uint64_t bits;
        if (strnlen(p, 17) != 16 || !parse_hex64(p, &bits))
            return cg_fail(err, CG_ERR_FORMAT, "random state: cached normal must be 16 hex digits or '-'");
        memcpy(&tmp.cached_normal, &bits, sizeof bits);
        if (!isfinite(tmp.cached_normal))
            return cg_fail(err, CG_ERR_FORMAT, "random state: cached normal is not finite");
        tmp.has_cached = true;
    }
    *r = tmp;
    return CG_OK;
}
