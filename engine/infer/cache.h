/* Internal: the activation cache of layered passes (stylize.c) — tensors
 * over whole images, kept between one pass and the next in a compact form.
 *
 * An entry holds one tensor (a key of run.h) for every frame: `channels`
 * planes of h x w per frame. Values are stored as 32-bit floats, or for
 * entries that can afford it as 16-bit ones (IEEE half: 11 significant bits,
 * so a value is kept within 1/2048 of itself). An entry lives in memory while
 * the cache's memory budget allows, plane by plane as in the executor's
 * buffers, and otherwise in temporary files of its own in $TMPDIR (else /tmp), in
 * column stripes (cache.c) so that a region is read or written in few calls
 * (its channels spread over several files, which writers need not share),
 * each unlinked as soon as it is created: they go away when the entry is dropped
 * or the cache freed, and with the process on any exit. */
#ifndef CG_INFER_CACHE_H
#define CG_INFER_CACHE_H

#include "comicgan/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cg_act_cache cg_act_cache;

/* A cache for `frames` frames keeping up to ram_budget bytes in memory. A dry
 * cache only counts (for plans): entries are placed as they would be, and
 * nothing is allocated, written or read. */
cg_act_cache *cg_act_cache_new(size_t ram_budget, int frames, bool dry);
/* Drops every entry (closing, and so deleting, its file). NULL does nothing. */
void cg_act_cache_free(cg_act_cache *c);

/* Adds entry `key` (not yet present): frame f's planes are h[f] x w[f],
 * as 32-bit floats when exact. `columns`: the width of the column bands the
 * entry will be written in (every put's x0, and its x1 unless it is the
 * frame's right edge, a multiple of it), which lets a file's layout follow
 * them; 0 when puts may fall anywhere. Reads may fall anywhere either way.
 * CG_ERR_NOMEM, or CG_ERR_IO when a temporary file cannot be made. */
cg_status cg_act_cache_add(cg_act_cache *c, int key, int64_t channels, const int64_t *h, const int64_t *w,
                           bool exact, int64_t columns, cg_error *err);
bool cg_act_cache_has(const cg_act_cache *c, int key);
/* Whether the entry has been sealed (completely written): see below. */
bool cg_act_cache_sealed(const cg_act_cache *c, int key);
void cg_act_cache_seal(cg_act_cache *c, int key);
void cg_act_cache_drop(cg_act_cache *c, int key);

/* Writes rows y0..y1, columns x0..x1 (entry pixels) of frame f's tensor from
 * src, a buffer of channels x sh x sw whose pixel (0, 0) is entry pixel
 * (sx, sy). CG_ERR_IO with the reason when the file cannot be written (a full
 * disk); values beyond a half's range are stored as its largest and noted
 * (cg_act_cache_overflowed). */
cg_status cg_act_cache_put(cg_act_cache *c, int key, int f, const float *src, int64_t sh, int64_t sw, int64_t sx,
                           int64_t sy, int64_t x0, int64_t y0, int64_t x1, int64_t y1, cg_error *err);
/* Reads frame f's rows y..y+h, columns x..x+w into dst (channels x h x w). */
cg_status cg_act_cache_get(cg_act_cache *c, int key, int f, float *dst, int64_t x, int64_t y, int64_t w, int64_t h,
                           cg_error *err);

/* Whether some value put so far was beyond a half's range. */
bool cg_act_cache_overflowed(const cg_act_cache *c);
/* Forgets that one did (before storing the values again, exactly). */
void cg_act_cache_clear_overflow(cg_act_cache *c);
/* Largest bytes held in memory, and in files, at any one time. */
size_t cg_act_cache_peak_ram(const cg_act_cache *c);
size_t cg_act_cache_peak_file(const cg_act_cache *c);

/* Whether the temporary folder ($TMPDIR, else /tmp) has `bytes` free for
 * the cache's files, checked before a run spills so that a short disk fails
 * at once instead of part-way through. CG_ERR_IO naming the folder, the
 * bytes needed and free, and the ways out. A folder whose free space cannot
 * be read passes: making or writing the file there reports what is wrong. */
cg_status cg_act_cache_check_room(double bytes, cg_error *err);

#endif
