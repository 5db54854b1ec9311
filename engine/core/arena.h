/* Internal: a bump allocator made of blocks that are kept across resets, so a
 * loop that does the same work each time allocates only the first time. */
#ifndef CG_CORE_ARENA_H
#define CG_CORE_ARENA_H

#include <stddef.h>

typedef struct cg_arena_block cg_arena_block;

typedef struct cg_arena {
    cg_arena_block *first, *current;
    size_t min_block;  /* bytes of a new block unless a request needs more */
} cg_arena;

void cg_arena_init(cg_arena *a, size_t min_block);
void cg_arena_free(cg_arena *a);

/* size bytes, 64-byte aligned, uninitialised; NULL when memory runs out. */
void *cg_arena_alloc(cg_arena *a, size_t size);

/* Position for cg_arena_release, which gives back everything allocated since. */
size_t cg_arena_mark(const cg_arena *a);
void cg_arena_release(cg_arena *a, size_t mark);
void cg_arena_reset(cg_arena *a);

/* Bytes held in blocks. */
size_t cg_arena_capacity(const cg_arena *a);

#endif
