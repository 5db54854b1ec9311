/* The seeded generator: known answers, reproducibility, complete state,
 * distribution checks with stated bounds, streams. All seeds are fixed, so
 * every statistical check is deterministic; the bounds are chosen so that a
 * correct generator passes them with overwhelming probability (5 sigma, or a
 * chi-square p-value of 0.001). */
#include "comicgan/rng.h"

#include <glib.h>
#include <math.h>
#include <string.h>

static void test_known_answers(void)
{
    /* xoshiro256** reference outputs from state {1, 2, 3, 4}. */
    cg_rng r = {.s = {1, 2, 3, 4}};
    g_assert_cmpuint(cg_rng_u64(&r), ==, 11520u);
    g_assert_cmpuint(cg_rng_u64(&r), ==, 0u);
    g_assert_cmpuint(cg_rng_u64(&r), ==, 1509978240u);
    g_assert_cmpuint(cg_rng_u64(&r), ==, G_GUINT64_CONSTANT(1215971899390074240));
    /* splitmix64 seeding of 0, then the first output. */
    cg_rng_seed(&r, 0);
    g_assert_cmpuint(r.s[0], ==, G_GUINT64_CONSTANT(0xe220a8397b1dcdaf));
    g_assert_cmpuint(r.s[3], ==, G_GUINT64_CONSTANT(0xf88bb8a8724c81ec));
    g_assert_cmpuint(cg_rng_u64(&r), ==, G_GUINT64_CONSTANT(0x99ec5f36cb75f2b4));
}

static void test_same_seed(void)
{
    cg_rng a, b, c;
    cg_rng_seed(&a, 42);
    cg_rng_seed(&b, 42);
    cg_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = cg_rng_u64(&a), y = cg_rng_u64(&b), z = cg_rng_u64(&c);
        g_assert_cmpuint(x, ==, y);
        differ += x != z;
    }
    g_assert_cmpint(differ, ==, 1000);
    /* the same for every kind of draw */
    cg_rng_seed(&a, 7);
    cg_rng_seed(&b, 7);
    for (int i = 0; i < 100; i++) {
        g_assert_cmpfloat(cg_rng_normal(&a), ==, cg_rng_normal(&b));
        g_assert_cmpfloat(cg_rng_uniform_f(&a), ==, cg_rng_uniform_f(&b));
        g_assert_cmpuint(cg_rng_below(&a, 1000), ==, cg_rng_below(&b, 1000));
    }
}

/* A mixed sequence of every kind of draw. */
static void draw_mixed(cg_rng *r, double *out, int n)
{
    for (int i = 0; i < n; i++) {
        switch (i % 5) {
        case 0: out[i] = cg_rng_normal(r); break;
        case 1: out[i] = cg_rng_uniform(r); break;
        case 2: out[i] = (double)cg_rng_below(r, 1000003); break;
        case 3: out[i] = cg_rng_normal_f(r, 0.0f, 0.02f); break;
        default: out[i] = cg_rng_uniform_f(r); break;
        }
    }
}

static void test_save_restore(void)
{
    cg_rng r;
    cg_rng_seed(&r, 2024);
    double skip[37];
    draw_mixed(&r, skip, 37);
    cg_rng_normal(&r);
    if (!r.has_cached)
        cg_rng_normal(&r); /* leave a cached second value pending */
    g_assert_true(r.has_cached);

    cg_rng saved = r; /* the struct is the whole state */
    char text[CG_RNG_STRING_LEN];
    cg_rng_to_string(&r, text);
    g_assert_true(g_str_has_prefix(text, "xoshiro256ss:"));

    double expect[500], got[500], got_text[500];
    draw_mixed(&r, expect, 500);
    draw_mixed(&saved, got, 500);
    cg_rng parsed;
    cg_error err = {0};
    g_assert_cmpint(cg_rng_from_string(&parsed, text, &err), ==, CG_OK);
    draw_mixed(&parsed, got_text, 500);
    g_assert_cmpmem(expect, sizeof expect, got, sizeof got);
    g_assert_cmpmem(expect, sizeof expect, got_text, sizeof got_text);

    /* no cached value: the text form says "-" */
    cg_rng_seed(&r, 1);
    cg_rng_to_string(&r, text);
    g_assert_true(g_str_has_suffix(text, ":-"));
    g_assert_cmpint(cg_rng_from_string(&parsed, text, &err), ==, CG_OK);
    g_assert_false(parsed.has_cached);
    g_assert_cmpmem(parsed.s, sizeof parsed.s, r.s, sizeof r.s);
}

static void test_from_string_errors(void)
{
    cg_rng r;
    cg_rng_seed(&r, 5);
    cg_rng before = r;
    cg_error err = {0};
    g_assert_cmpint(cg_rng_from_string(&r, "pcg64:00", &err), ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "does not start with"));
    g_assert_cmpint(cg_rng_from_string(&r, "xoshiro256ss:1234", &err), ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "64 hex digits"));
    char text[CG_RNG_STRING_LEN];
    cg_rng_to_string(&r, text);
    text[20] = 'g';
    g_assert_cmpint(cg_rng_from_string(&r, text, &err), ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "bad hex digit"));
    g_assert_cmpint(cg_rng_from_string(&r,
                                       "xoshiro256ss:00000000000000000000000000000000"
                                       "00000000000000000000000000000000:-",
                                       &err),
                    ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "all zero"));
    cg_rng_to_string(&r, text);
    strcpy(text + strlen(text) - 1, "12");
    g_assert_cmpint(cg_rng_from_string(&r, text, &err), ==, CG_ERR_FORMAT);
    g_assert_nonnull(strstr(err.message, "cached normal"));
    g_assert_cmpmem(&r, sizeof r, &before, sizeof before); /* untouched on error */
}

static void test_uniform(void)
{
    cg_rng r;
    cg_rng_seed(&r, 99);
    const int n = 1000000;
    double sum = 0, sumf = 0;
    for (int i = 0; i < n; i++) {
        double u = cg_rng_uniform(&r);
        float f = cg_rng_uniform_f(&r);
        g_assert_true(u >= 0 && u < 1);
        g_assert_true(f >= 0 && f < 1);
        sum += u;
        sumf += f;
        double v = cg_rng_uniform_range(&r, -3, 5);
        g_assert_true(v >= -3 && v < 5);
    }
    /* mean 1/2, sd of the mean sqrt(1/12/n) = 2.9e-4: 5 sigma < 1.5e-3 */
    g_assert_cmpfloat(fabs(sum / n - 0.5), <, 1.5e-3);
    g_assert_cmpfloat(fabs(sumf / n - 0.5), <, 1.5e-3);
}

static void test_normal_moments(void)
{
    cg_rng r;
    cg_rng_seed(&r, 12345);
    const int n = 1000000;
    double s1 = 0, s2 = 0, s4 = 0;
    for (int i = 0; i < n; i++) {
        double z = cg_rng_normal(&r);
        g_assert_true(isfinite(z));
        s1 += z;
        s2 += z * z;
        s4 += z * z * z * z;
    }
    double mean = s1 / n, var = s2 / n - mean * mean, kurt = (s4 / n) / (var * var);
    /* sd of the mean 1/sqrt(n) = 1e-3, of the variance sqrt(2/n) = 1.4e-3, of
     * the kurtosis sqrt(24/n) = 4.9e-3; bounds at 5 sigma. */
    g_assert_cmpfloat(fabs(mean), <, 5e-3);
    g_assert_cmpfloat(fabs(var - 1), <, 7.1e-3);
    g_assert_cmpfloat(fabs(kurt - 3), <, 2.5e-2);

    /* normal_f scales and shifts: N(0.5, 0.02^2) */
    s1 = s2 = 0;
    for (int i = 0; i < n; i++) {
        double z = cg_rng_normal_f(&r, 0.5f, 0.02f);
        s1 += z;
        s2 += z * z;
    }
    mean = s1 / n;
    double sd = sqrt(s2 / n - mean * mean);
    g_assert_cmpfloat(fabs(mean - 0.5), <, 5 * 0.02 / 1000);
    g_assert_cmpfloat(fabs(sd - 0.02), <, 5 * 0.02 * sqrt(0.5 / n));
}

static double chi_square(const int64_t *counts, int bins, int64_t n)
{
    double expected = (double)n / bins, x2 = 0;
    for (int b = 0; b < bins; b++) {
        double d = (double)counts[b] - expected;
        x2 += d * d / expected;
    }
    return x2;
}

static void test_below_unbiased(void)
{
    cg_rng r;
    cg_rng_seed(&r, 777);
    g_assert_cmpuint(cg_rng_below(&r, 0), ==, 0);
    g_assert_cmpuint(cg_rng_below(&r, 1), ==, 0);

    /* Small n: 10 bins, 10^6 draws; chi-square with 9 degrees of freedom,
     * p = 0.001 critical value 27.88. */
    int64_t counts[10] = {0};
    const int64_t n = 1000000;
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = cg_rng_below(&r, 10);
        g_assert_cmpuint(v, <, 10);
        counts[v]++;
    }
    double x2 = chi_square(counts, 10, n);
    g_test_message("chi-square below(10): %.2f (df 9, limit 27.88)", x2);
    g_assert_cmpfloat(x2, <, 27.88);

    /* Large n = 2/3 of 2^64, where "u64 % n" would make the lower half of
     * [0, n) twice as likely as the upper half: thirds of [0, n) as bins,
     * 300000 draws; modulo would give a chi-square near 25000. Ours must stay
     * below the df 2, p = 0.001 critical value 13.82. */
    const uint64_t big = G_GUINT64_CONSTANT(0xAAAAAAAAAAAAAAAA);
    int64_t thirds[3] = {0};
    const int64_t m = 300000;
    for (int64_t i = 0; i < m; i++) {
        uint64_t v = cg_rng_below(&r, big);
        g_assert_cmpuint(v, <, big);
        int bin = (int)(((unsigned __int128)v * 3) / big);
        thirds[bin]++;
    }
    x2 = chi_square(thirds, 3, m);
    g_test_message("chi-square below(2/3 * 2^64) in thirds: %.2f (df 2, limit 13.82)", x2);
    g_assert_cmpfloat(x2, <, 13.82);

    /* every value of a small range appears, none outside */
    int64_t seen[3] = {0};
    for (int i = 0; i < 3000; i++)
        seen[cg_rng_below(&r, 3)]++;
    for (int b = 0; b < 3; b++)
        g_assert_cmpint(seen[b], >, 800);
}

static void test_streams(void)
{
    cg_rng parent;
    cg_rng_seed(&parent, 31337);
    cg_rng copy = parent;
    cg_rng child = cg_rng_split(&parent);
    /* the child continues where the parent was; the parent jumped */
    g_assert_cmpmem(child.s, sizeof child.s, copy.s, sizeof copy.s);
    cg_rng jumped = copy;
    cg_rng_jump(&jumped);
    g_assert_cmpmem(parent.s, sizeof parent.s, jumped.s, sizeof jumped.s);

    /* the two streams share no values in their first 4096 draws */
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    static uint64_t vals[4096];
    for (int i = 0; i < 4096; i++) {
        vals[i] = cg_rng_u64(&child);
        g_hash_table_add(seen, &vals[i]);
    }
    for (int i = 0; i < 4096; i++) {
        uint64_t v = cg_rng_u64(&parent);
        g_assert_false(g_hash_table_contains(seen, &v));
    }
    g_hash_table_destroy(seen);

    /* long jump differs from jump; both deterministic */
    cg_rng a = copy, b = copy;
    cg_rng_long_jump(&a);
    cg_rng_long_jump(&b);
    g_assert_cmpmem(a.s, sizeof a.s, b.s, sizeof b.s);
    g_assert_cmpint(memcmp(a.s, jumped.s, sizeof a.s), !=, 0);

    /* seeded streams: reproducible and distinct */
    cg_rng s0, s1, s0b, t0;
    cg_rng_seed_stream(&s0, 5, 0);
    cg_rng_seed_stream(&s1, 5, 1);
    cg_rng_seed_stream(&s0b, 5, 0);
    cg_rng_seed_stream(&t0, 6, 0);
    uint64_t x0 = cg_rng_u64(&s0), x1 = cg_rng_u64(&s1), x0b = cg_rng_u64(&s0b), y0 = cg_rng_u64(&t0);
    g_assert_cmpuint(x0, ==, x0b);
    g_assert_cmpuint(x0, !=, x1);
    g_assert_cmpuint(x0, !=, y0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/core/rng/known_answers", test_known_answers);
    g_test_add_func("/core/rng/same_seed", test_same_seed);
    g_test_add_func("/core/rng/save_restore", test_save_restore);
    g_test_add_func("/core/rng/from_string_errors", test_from_string_errors);
    g_test_add_func("/core/rng/uniform", test_uniform);
    g_test_add_func("/core/rng/normal_moments", test_normal_moments);
    g_test_add_func("/core/rng/below_unbiased", test_below_unbiased);
    g_test_add_func("/core/rng/streams", test_streams);
    return g_test_run();
}
