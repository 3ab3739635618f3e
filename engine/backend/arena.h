/* arena.h: scratch memory of one backend for work that repeats (a training step's loss terms,
 * the CLIP loss): taken piece by piece, given back all at once by arena_reset, so that a step
 * allocates device memory only while it is still growing. Pieces never move: what was taken
 * stays valid until the next reset. After a reset that saw more than one block, the blocks are
 * merged into one of their total size, so a repeating pattern settles into one block. */
#ifndef SEGP_ARENA_H
#define SEGP_ARENA_H

#include <stddef.h>

#include "backend/backend.h"

typedef struct backend_arena backend_arena;

backend_arena *backend_arena_new(const segp_backend *be);
void backend_arena_free(backend_arena *a);
/* BYTES of backend memory (256-byte aligned, contents undefined). */
void *backend_arena_take(backend_arena *a, size_t bytes);
/* The same, zeroed. */
void *backend_arena_take_zero(backend_arena *a, size_t bytes);
/* A copy of host data in backend memory (on a host-memory backend: the host pointer itself,
 * no copy, so it must outlive the use). */
const void *backend_arena_upload(backend_arena *a, const void *host, size_t bytes);
void backend_arena_reset(backend_arena *a);

#endif
