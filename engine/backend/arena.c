/* arena.c: chunked scratch memory of a backend (see arena.h). */
#include "arena.h"

#include <stdlib.h>

#include "core/common.h"

#define ALIGN 256
#define MIN_BLOCK ((size_t)1 << 20)

typedef struct {
    char *base;
    size_t cap, used;
} block;

struct backend_arena {
    const segp_backend *be;
    block *blocks;
    int n, cap;
    size_t total; /* bytes taken since the last reset (aligned) */
};

backend_arena *backend_arena_new(const segp_backend *be) {
    backend_arena *a = segp_calloc(1, sizeof *a);
    a->be = be;
    return a;
}

static void drop_blocks(backend_arena *a) {
    for (int i = 0; i < a->n; i++) a->be->free(a->blocks[i].base);
    a->n = 0;
}

void backend_arena_free(backend_arena *a) {
    if (!a) return;
    drop_blocks(a);
    free(a->blocks);
    free(a);
}

void *backend_arena_take(backend_arena *a, size_t bytes) {
    size_t need = (bytes + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (!need) need = ALIGN;
    a->total += need;
    if (a->n > 0) {
        block *b = &a->blocks[a->n - 1];
        if (b->cap - b->used >= need) {
            void *p = b->base + b->used;
            b->used += need;
            return p;
        }
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 4;
        a->blocks = segp_realloc(a->blocks, (size_t)a->cap * sizeof *a->blocks);
    }
    size_t cap = need > MIN_BLOCK ? need : MIN_BLOCK;
    block *b = &a->blocks[a->n++];
    b->base = a->be->alloc(cap);
    b->cap = cap;
    b->used = need;
    return b->base;
}

void *backend_arena_take_zero(backend_arena *a, size_t bytes) {
    void *p = backend_arena_take(a, bytes);
    a->be->zero(p, bytes);
    return p;
}

const void *backend_arena_upload(backend_arena *a, const void *host, size_t bytes) {
    if (a->be->host_memory || !bytes) return host;
    void *p = backend_arena_take(a, bytes);
    a->be->to_device(p, host, bytes);
    return p;
}

void backend_arena_reset(backend_arena *a) {
    if (a->n > 1) { /* merge: one block of everything the last round took */
        size_t total = a->total;
        drop_blocks(a);
        a->blocks[0].base = a->be->alloc(total);
        a->blocks[0].cap = total;
        a->n = 1;
    }
    if (a->n == 1) a->blocks[0].used = 0;
    a->total = 0;
}
