/* sha256.c: SHA-256 digests through OpenSSL's EVP interface, streamed for files. */
#include "sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"

static void to_hex(const unsigned char d[32], char hex[65]) {
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

void sha256_hex(const void *data, size_t n, char hex[65]) {
    unsigned char d[32];
    unsigned int len = 0;
    int ok = EVP_Digest(data, n, d, &len, EVP_sha256(), NULL);
    SEGP_CHECK(ok == 1 && len == 32, "OpenSSL's SHA-256 failed");
    to_hex(d, hex);
}

int sha256_file_hex(const char *path, char hex[65]) {
    size_t size;
    FILE *f = segp_open_regular(path, &size);
    if (!f) return -1;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    SEGP_CHECK(c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1, "OpenSSL's SHA-256 failed");
    static _Thread_local unsigned char buf[1 << 16];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        SEGP_CHECK(EVP_DigestUpdate(c, buf, k) == 1, "OpenSSL's SHA-256 failed");
    int err = ferror(f);
    fclose(f);
    unsigned char d[32];
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(c, d, &len);
    EVP_MD_CTX_free(c);
    if (err) return SEGP_FAIL("%s: read error", path);
    SEGP_CHECK(ok == 1 && len == 32, "OpenSSL's SHA-256 failed");
    to_hex(d, hex);
    return 0;
}
