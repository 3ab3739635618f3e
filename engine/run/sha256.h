/* sha256.h: SHA-256 (FIPS 180-4) of a file, to name the model a run used in its config.json. */
#ifndef SEGP_SHA256_H
#define SEGP_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, uint8_t out[32]);
/* Hex digest (65 bytes with the NUL) of DATA / of the file at PATH (-1 + error naming it). */
void sha256_hex(const void *data, size_t n, char hex[65]);
int sha256_file_hex(const char *path, char hex[65]);

#endif
