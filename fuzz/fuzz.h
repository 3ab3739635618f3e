/* fuzz.h: helpers the fuzz targets share (header-only; each target is one .c file defining
 * LLVMFuzzerTestOneInput, built by `make fuzz-build` against the engine compiled with the
 * sanitizers). Targets must not print (libFuzzer's output is the report), must free everything
 * (LeakSanitizer runs on every input that allocates more than it frees) and must keep each input
 * fast: the caps below bound what one input may make the engine do. */
#ifndef SEGP_FUZZ_H
#define SEGP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (malloc'd). */
static inline char *fuzz_cstr(const uint8_t *d, size_t n) {
    char *s = segp_malloc(n + 1);
    if (n) memcpy(s, d, n);
    s[n] = 0;
    return s;
}

/* An exact-size malloc'd copy, so that ASan sees any read past the end of what a parser was
 * given (libFuzzer's own buffer is exact too; this is for the parts below). */
static inline uint8_t *fuzz_copy(const uint8_t *d, size_t n) {
    uint8_t *p = segp_malloc(n ? n : 1);
    if (n) memcpy(p, d, n);
    return p;
}

/* Several files in one input, separated by the line FUZZ_SEP (the dictionaries hold it). */
#define FUZZ_SEP "\n=====\n"

typedef struct {
    const uint8_t *p;
    size_t n;
} fuzz_part;

/* Split D into at most K parts at FUZZ_SEP (missing parts are empty); returns the count found. */
static inline int fuzz_split(const uint8_t *d, size_t n, fuzz_part *parts, int k) {
    const size_t sl = sizeof FUZZ_SEP - 1;
    int i = 0;
    for (int j = 0; j < k; j++) parts[j] = (fuzz_part){(const uint8_t *)"", 0};
    while (i < k) {
        const uint8_t *hit = NULL;
        if (i < k - 1 && n >= sl)
            for (size_t a = 0; a + sl <= n; a++)
                if (d[a] == '\n' && !memcmp(d + a, FUZZ_SEP, sl)) {
                    hit = d + a;
                    break;
                }
        if (!hit) {
            parts[i++] = (fuzz_part){d, n};
            break;
        }
        parts[i++] = (fuzz_part){d, (size_t)(hit - d)};
        n -= (size_t)(hit - d) + sl;
        d = hit + sl;
    }
    return i;
}

/* The first byte as a selector (0 when empty); the rest of the input after it. */
static inline unsigned fuzz_take_byte(const uint8_t **d, size_t *n) {
    if (!*n) return 0;
    unsigned b = **d;
    (*d)++;
    (*n)--;
    return b;
}

#endif
