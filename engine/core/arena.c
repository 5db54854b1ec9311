#include "core/arena.h"

#include "comicgan/tensor.h"

#include <stdlib.h>

struct cg_arena_block {
    cg_arena_block *next;
    size_t capacity, used;
    char *data; /* 64-byte aligned */
};

void cg_arena_init(cg_arena *a, size_t min_block)
{
    a->first = a->current = NULL;
    a->min_block = min_block;
}

void cg_arena_free(cg_arena *a)
{
    cg_arena_block *b = a->first;
    while (b) {
        cg_arena_block *next = b->next;
        cg_aligned_free(b->data);
        free(b);
        b = next;
    }
    a->first = a->current = NULL;
}

static cg_arena_block *new_block(size_t capacity)
{
    cg_arena_block *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->data = cg_aligned_alloc(capacity);
    if (!b->data) {
        free(b);
        return NULL;
    }
    b->capacity = capacity;
    return b;
}

void *cg_arena_alloc(cg_arena *a, size_t size)
{
    size_t need = (size + 63) & ~(size_t)63;
    if (need < size)
        return NULL;
    if (!a->current) {
        if (!a->first) {
            a->first = new_block(need > a->min_block ? need : a->min_block);
            if (!a->first)
                return NULL;
        }
        a->current = a->first;
        a->current->used = 0;
    }
    /* Move forward through kept blocks; insert a new one where none is big enough. */
    while (a->current->capacity - a->current->used < need) {
        cg_arena_block *next = a->current->next;
        if (next && next->capacity >= need) {
            a->current = next;
            next->used = 0;
            continue;
        }
        cg_arena_block *b = new_block(need > a->min_block ? need : a->min_block);
        if (!b)
            return NULL;
        b->next = next;
        a->current->next = b;
        a->current = b;
    }
    void *p = a->current->data + a->current->used;
    a->current->used += need;
    return p;
}

size_t cg_arena_mark(const cg_arena *a)
{
    size_t pos = 0;
    if (!a->current)
        return 0;
    for (const cg_arena_block *b = a->first; b != a->current; b = b->next)
        pos += b->capacity;
    return pos + a->current->used;
}

void cg_arena_release(cg_arena *a, size_t mark)
{
    size_t pos = 0;
    for (cg_arena_block *b = a->first; b; b = b->next) {
        if (mark <= pos + b->capacity) {
            a->current = b;
            b->used = mark - pos;
            return;
        }
        pos += b->capacity;
    }
}

void cg_arena_reset(cg_arena *a)
{
    a->current = NULL;
}

size_t cg_arena_capacity(const cg_arena *a)
{
    size_t total = 0;
    for (const cg_arena_block *b = a->first; b; b = b->next)
        total += b->capacity;
    return total;
}
