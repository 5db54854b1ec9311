/* comicgan — a palette per frame for the GIF writer (io/palette.h): exact
 * when the frame has few enough colours, else a median cut. */
#include "io/palette.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BITS 6
#define LEVELS (1 << BITS)
#define BINS ((size_t)1 << (3 * BITS))
#define HASH 1024 /* a power of two, four times the most colours kept */

static bool opaque(const uint8_t *p)
{
    return p[3] >= 128;
}

static uint32_t bin_of(const uint8_t *p)
{
    return (uint32_t)(p[0] >> (8 - BITS)) << (2 * BITS) | (uint32_t)(p[1] >> (8 - BITS)) << BITS |
           (uint32_t)(p[2] >> (8 - BITS));
}

static int channel_of(uint32_t bin, int c)
{
    return (int)(bin >> (BITS * (2 - c))) & (LEVELS - 1);
}

/* Every colour into its own entry; false (pal untouched) when there are more than max. */
static bool exact(const uint8_t *rgba, size_t n, int max, cg_io_palette *pal, uint8_t *idx)
{
    uint32_t key[HASH]; /* colour + 1 << 24; 0: empty */
    uint8_t val[HASH];
    uint8_t rgb[256][3];
    int count = 0;
    memset(key, 0, sizeof key);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgba + 4 * i;
        if (!opaque(p))
            continue;
        uint32_t k = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2] | 1u << 24;
        uint32_t h = (k * 2654435761u) >> 22; /* top 10 bits: HASH slots */
        while (key[h] && key[h] != k)
            h = (h + 1) & (HASH - 1);
        if (!key[h]) {
            if (count == max)
                return false;
            key[h] = k;
            val[h] = (uint8_t)count;
            memcpy(rgb[count++], p, 3);
        }
        idx[i] = val[h];
    }
    memcpy(pal->rgb, rgb, sizeof rgb[0] * (size_t)count);
    pal->count = count;
    return true;
}

typedef struct box {
    size_t start, end; /* its bins: list[start..end) */
    uint64_t pixels;
    int axis, range;   /* the channel it is widest in, and by how much */
} box;

static void measure(box *b, const uint32_t *list)
{
    int lo[3] = {LEVELS, LEVELS, LEVELS}, hi[3] = {-1, -1, -1};
    for (size_t i = b->start; i < b->end; i++)
        for (int c = 0; c < 3; c++) {
            int v = channel_of(list[i], c);
            lo[c] = v < lo[c] ? v : lo[c];
            hi[c] = v > hi[c] ? v : hi[c];
        }
    b->axis = 0;
    for (int c = 1; c < 3; c++)
        if (hi[c] - lo[c] > hi[b->axis] - lo[b->axis])
            b->axis = c;
    b->range = hi[b->axis] - lo[b->axis];
}

/* Splits b at the pixel median of its widest channel into b and *next. */
static void split(box *b, box *next, uint32_t *list, uint32_t *tmp, const uint32_t *cnt)
{
    size_t start[LEVELS + 1] = {0};
    for (size_t i = b->start; i < b->end; i++)
        start[channel_of(list[i], b->axis) + 1]++;
    for (int v = 0; v < LEVELS; v++)
        start[v + 1] += start[v];
    for (size_t i = b->start; i < b->end; i++)
        tmp[start[channel_of(list[i], b->axis)]++] = list[i];
    memcpy(list + b->start, tmp, (b->end - b->start) * sizeof *list);

    uint64_t half = b->pixels / 2, seen = cnt[list[b->start]];
    size_t at = b->start + 1;
    while (at < b->end - 1 && seen + cnt[list[at]] <= half)
        seen += cnt[list[at++]];
    *next = (box){.start = at, .end = b->end, .pixels = b->pixels - seen};
    b->end = at;
    b->pixels = seen;
    measure(b, list);
    measure(next, list);
}

static cg_status median_cut(const uint8_t *rgba, size_t n, int max, cg_io_palette *pal, uint8_t *idx,
                            cg_error *err)
{
    uint32_t *cnt = calloc(BINS, sizeof *cnt), *list = malloc(BINS * sizeof *list),
             *tmp = malloc(BINS * sizeof *tmp);
    uint64_t *sum = calloc(BINS * 3, sizeof *sum);
    if (!cnt || !list || !tmp || !sum) {
        free(cnt);
        free(list);
        free(tmp);
        free(sum);
        return cg_fail(err, CG_ERR_NOMEM, "out of memory for a palette");
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgba + 4 * i;
        if (!opaque(p))
            continue;
        uint32_t b = bin_of(p);
        cnt[b]++;
        for (int c = 0; c < 3; c++)
            sum[3 * b + c] += p[c];
        total++;
    }
    size_t m = 0;
    for (uint32_t b = 0; b < BINS; b++)
        if (cnt[b])
            list[m++] = b;

    box boxes[256];
    int nbox = 1;
    boxes[0] = (box){.start = 0, .end = m, .pixels = total};
    measure(&boxes[0], list);
    while (nbox < max) {
        /* The box that holds the most pixels spread the widest. */
        int best = -1;
        uint64_t best_score = 0;
        for (int i = 0; i < nbox; i++) {
            uint64_t score = boxes[i].pixels * (uint64_t)boxes[i].range;
            if (boxes[i].end - boxes[i].start >= 2 && score >= best_score) {
                best = i;
                best_score = score;
            }
        }
        if (best < 0)
            break;
        split(&boxes[best], &boxes[nbox++], list, tmp, cnt);
    }

    for (int i = 0; i < nbox; i++) {
        const box *b = &boxes[i];
        uint64_t s[3] = {0, 0, 0};
        for (size_t k = b->start; k < b->end; k++)
            for (int c = 0; c < 3; c++)
                s[c] += sum[3 * list[k] + c];
        for (int c = 0; c < 3; c++)
            pal->rgb[i][c] = (uint8_t)((s[c] + b->pixels / 2) / b->pixels);
    }
    /* Each bin takes the entry nearest its mean, which need not be its box's. */
    for (size_t k = 0; k < m; k++) {
        uint32_t b = list[k];
        int mean[3], best = 0, best_d = 1 << 30;
        for (int c = 0; c < 3; c++)
            mean[c] = (int)((sum[3 * b + c] + cnt[b] / 2) / cnt[b]);
        for (int i = 0; i < nbox; i++) {
            int d = 0;
            for (int c = 0; c < 3; c++)
                d += (mean[c] - pal->rgb[i][c]) * (mean[c] - pal->rgb[i][c]);
            if (d < best_d) {
                best_d = d;
                best = i;
            }
        }
        tmp[b] = (uint32_t)best; /* tmp is free again: now the index of each bin */
    }
    for (size_t i = 0; i < n; i++)
        if (opaque(rgba + 4 * i))
            idx[i] = (uint8_t)tmp[bin_of(rgba + 4 * i)];
    pal->count = nbox;
    free(cnt);
    free(list);
    free(tmp);
    free(sum);
    return CG_OK;
}

cg_status cg_io_palette_make(const uint8_t *rgba, size_t n, cg_io_palette *pal, uint8_t *idx, cg_error *err)
{
    bool clear = false;
    for (size_t i = 0; i < n && !clear; i++)
        clear = !opaque(rgba + 4 * i);
    int max = clear ? 255 : 256;
    pal->count = 0;
    cg_status st = CG_OK;
    if (!exact(rgba, n, max, pal, idx))
        st = median_cut(rgba, n, max, pal, idx, err);
    if (st != CG_OK)
        return st;
    pal->transparent = -1;
    if (clear) {
        pal->transparent = pal->count;
        memset(pal->rgb[pal->count++], 0, 3);
        for (size_t i = 0; i < n; i++)
            if (!opaque(rgba + 4 * i))
                idx[i] = (uint8_t)pal->transparent;
    }
    if (pal->count == 0) { /* every pixel transparent */
        memset(pal->rgb[0], 0, 3);
        pal->count = 1;
    }
    return CG_OK;
}
