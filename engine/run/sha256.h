/* sha256.h: the SHA-256 of a file, to name the model a run used in its config.json (OpenSSL's
 * libcrypto does the hashing). */
#ifndef SEGP_SHA256_H
#define SEGP_SHA256_H

#include <stddef.h>

/* Hex digest (65 bytes with the NUL) of DATA / of the file at PATH (-1 + error naming it). */
void sha256_hex(const void *data, size_t n, char hex[65]);
int sha256_file_hex(const char *path, char hex[65]);

#endif
