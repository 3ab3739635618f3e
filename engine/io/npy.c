/* npy.c: NumPy .npy files (format 1.0, 2.0, 3.0): reading little-endian float arrays
 * ('<f4', '<f8', '<f2', converted to float32) and writing '<f4' / '<i8' atomically.
 *
 * Layout (numpy.lib.format): "\x93NUMPY", major, minor, header length (uint16 LE for 1.0, uint32
 * LE for 2.0/3.0), then an ASCII (3.0: UTF-8) Python dict literal such as
 * "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }" padded with spaces and
 * ending in '\n' so that the data starts at a multiple of 64 bytes, then the raw data. */
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c reads and writes little-endian data in place: port the byte swaps first"
#endif

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAX_HEADER (1 << 20) /* numpy itself refuses headers above 10 000 bytes by default */
#define NPY_MAX_ELEMS (1LL << 40)

/* ---- header dict parsing ---- */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string without escapes (all numpy writes). */
static int parse_str(cursor *c, char *out, size_t cap) {
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap) return -1;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return -1;
    c->p++;
    out[n] = 0;
    return 0;
}

static int parse_shape(cursor *c, npy_array *a) {
    if (!eat(c, '(')) return -1;
    a->ndim = 0;
    for (;;) {
        if (eat(c, ')')) return 0;
        skip_ws(c);
        if (c->p >= c->end || !isdigit((unsigned char)*c->p)) return -1;
        int64_t v = 0;
        while (c->p < c->end && isdigit((unsigned char)*c->p)) {
            if (v > (INT64_MAX - 9) / 10) return -2;
            v = v * 10 + (*c->p++ - '0');
        }
        if (c->p < c->end && (*c->p == 'L')) c->p++; /* Python 2 longs */
        if (a->ndim >= NPY_MAX_DIMS) return -3;
        a->shape[a->ndim++] = v;
        if (!eat(c, ',')) {
            if (eat(c, ')')) return 0;
            return -1;
        }
    }
}

typedef struct {
    char descr[32];
    int fortran;
    int have_descr, have_fortran, have_shape;
} npy_header;

static int parse_header(const char *path, const char *text, size_t len, npy_header *h,
                        npy_array *a) {
    cursor c = {text, text + len};
    memset(h, 0, sizeof *h);
    if (!eat(&c, '{'))
        return SEGP_FAIL("%s: .npy header is not a dict literal (expected '{' at its start)",
                         path);
    for (;;) {
        if (eat(&c, '}')) break;
        char key[64];
        if (parse_str(&c, key, sizeof key) || !eat(&c, ':'))
            return SEGP_FAIL("%s: malformed .npy header near \"%.20s\" (expected 'key': value)",
                             path, c.p);
        if (!strcmp(key, "descr")) {
            if (parse_str(&c, h->descr, sizeof h->descr))
                return SEGP_FAIL("%s: .npy header 'descr' is not a plain dtype string (structured "
                                 "arrays are not supported; expected '<f4')",
                                 path);
            h->have_descr = 1;
        } else if (!strcmp(key, "fortran_order")) {
            skip_ws(&c);
            if ((size_t)(c.end - c.p) >= 4 && !memcmp(c.p, "True", 4)) {
                h->fortran = 1;
                c.p += 4;
            } else if ((size_t)(c.end - c.p) >= 5 && !memcmp(c.p, "False", 5)) {
                h->fortran = 0;
                c.p += 5;
            } else {
                return SEGP_FAIL("%s: .npy header 'fortran_order' is not True or False", path);
            }
            h->have_fortran = 1;
        } else if (!strcmp(key, "shape")) {
            int rc = parse_shape(&c, a);
            if (rc == -3)
                return SEGP_FAIL("%s: .npy array has more than %d dimensions", path,
                                 NPY_MAX_DIMS);
            if (rc == -2) return SEGP_FAIL("%s: .npy header 'shape' has an absurd size", path);
            if (rc)
                return SEGP_FAIL("%s: .npy header 'shape' is not a tuple of non-negative "
                                 "integers",
                                 path);
            h->have_shape = 1;
        } else {
            return SEGP_FAIL("%s: .npy header has unexpected key '%s' (expected descr, "
                             "fortran_order, shape)",
                             path, key);
        }
        if (!eat(&c, ',')) {
            if (eat(&c, '}')) break;
            return SEGP_FAIL("%s: malformed .npy header near \"%.20s\" (expected ',' or '}')",
                             path, c.p);
        }
    }
    if (!h->have_descr || !h->have_fortran || !h->have_shape)
        return SEGP_FAIL("%s: .npy header lacks '%s'", path,
                         !h->have_descr ? "descr" : !h->have_fortran ? "fortran_order" : "shape");
    return 0;
}

/* ---- float16 ---- */

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (man & 0x3ff) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | man << 13;
    } else {
        bits = sign | (exp + 127 - 15) << 23 | man << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* ---- reading ---- */

int npy_read_memory(const char *path, const void *bytes, size_t fsz, npy_array *out) {
    memset(out, 0, sizeof *out);
    const uint8_t *pre = bytes;
    const int64_t fsize = (int64_t)fsz;
    char *hdr = NULL;
    int rc = -1;
    if (fsz < 10 || memcmp(pre, NPY_MAGIC, 6) != 0) {
        if (fsz >= 6 && memcmp(pre, NPY_MAGIC, 6) == 0)
            SEGP_FAIL("%s: truncated .npy file (%zu bytes, shorter than the preamble)", path,
                      fsz);
        else
            SEGP_FAIL("%s: not a .npy file (bad magic; expected \\x93NUMPY)", path);
        goto done;
    }
    int major = pre[6], minor = pre[7];
    size_t pre_len, hlen;
    if (major == 1 && minor == 0) {
        pre_len = 10;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if ((major == 2 || major == 3) && minor == 0) {
        if (fsz < 12) {
            SEGP_FAIL("%s: truncated .npy file (header length missing)", path);
            goto done;
        }
        pre_len = 12;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
               (size_t)pre[11] << 24;
    } else {
        SEGP_FAIL("%s: unsupported .npy format version %d.%d (expected 1.0, 2.0 or 3.0)", path,
                  major, minor);
        goto done;
    }
    if (hlen > NPY_MAX_HEADER) {
        SEGP_FAIL("%s: .npy header length %zu is absurd (expected at most %d)", path, hlen,
                  NPY_MAX_HEADER);
        goto done;
    }
    if ((int64_t)(pre_len + hlen) > fsize) {
        SEGP_FAIL("%s: truncated .npy header (%zu header bytes announced, file has %lld)", path,
                  hlen, (long long)fsize);
        goto done;
    }
    hdr = segp_malloc(hlen + 1);
    memcpy(hdr, pre + pre_len, hlen);
    hdr[hlen] = 0;
    npy_header h;
    if (parse_header(path, hdr, hlen, &h, out)) goto done;

    int itemsize;
    if (!strcmp(h.descr, "<f4")) {
        itemsize = 4;
    } else if (!strcmp(h.descr, "<f8")) {
        itemsize = 8;
    } else if (!strcmp(h.descr, "<f2")) {
        itemsize = 2;
    } else {
        if (h.descr[0] == '>')
            SEGP_FAIL("%s: .npy dtype '%s' is big-endian (expected little-endian '<f4', '<f8' or "
                      "'<f2'; re-save with arr.astype('<f4'))",
                      path, h.descr);
        else
            SEGP_FAIL("%s: .npy dtype '%s' is not supported (expected '<f4', '<f8' or '<f2')",
                      path, h.descr);
        goto done;
    }
    int nontrivial = 0;
    for (int i = 0; i < out->ndim; i++) nontrivial += out->shape[i] > 1;
    if (h.fortran && nontrivial > 1) {
        SEGP_FAIL("%s: .npy array is in Fortran order (expected C order; re-save with "
                  "np.ascontiguousarray)",
                  path);
        goto done;
    }
    /* numel, guarding against overflow: every factor is bounded by the data actually present. */
    const int64_t data_bytes = fsize - (int64_t)(pre_len + hlen);
    int64_t numel = 1;
    int any_zero = 0;
    for (int i = 0; i < out->ndim; i++) any_zero |= out->shape[i] == 0;
    if (!any_zero) {
        for (int i = 0; i < out->ndim; i++) {
            if (out->shape[i] > NPY_MAX_ELEMS / numel) {
                SEGP_FAIL("%s: .npy shape has an absurd number of elements (more than 2^40)",
                          path);
                goto done;
            }
            numel *= out->shape[i];
        }
    } else {
        numel = 0;
    }
    if (numel > data_bytes / itemsize) {
        SEGP_FAIL("%s: .npy data is truncated (shape needs %lld bytes, file has %lld after the "
                  "header)",
                  path, (long long)(numel * itemsize), (long long)data_bytes);
        goto done;
    }
    out->numel = numel;
    out->data = segp_malloc((size_t)numel * sizeof(float));
    const uint8_t *src = pre + pre_len + hlen;
    size_t n = (size_t)numel;
    if (itemsize == 4) {
        if (n) memcpy(out->data, src, n * 4);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (itemsize == 8) {
                double d;
                memcpy(&d, src + 8 * i, 8);
                out->data[i] = (float)d;
            } else {
                uint16_t v;
                memcpy(&v, src + 2 * i, 2);
                out->data[i] = half_to_float(v);
            }
        }
    }
    rc = 0;
done:
    free(hdr);
    if (rc) {
        out->ndim = 0;
        out->numel = 0;
    }
    return rc;
}

int npy_read(const char *path, npy_array *out) {
    memset(out, 0, sizeof *out);
    size_t size;
    FILE *f = segp_open_regular(path, &size);
    if (!f) return -1;
    /* Mapped rather than read, so that a large array costs one float32 copy. */
    void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fileno(f), 0) : (void *)"";
    int map_err = errno;
    fclose(f);
    if (map == MAP_FAILED) return SEGP_FAIL("%s: cannot memory-map: %s", path, strerror(map_err));
    int rc = npy_read_memory(path, map, size, out);
    if (size) munmap(map, size);
    return rc;
}

void npy_free(npy_array *a) {
    if (!a) return;
    free(a->data);
    a->data = NULL;
}

/* ---- writing ---- */

/* Build the preamble + header for descr/shape; returns its length (a multiple of 64). */
static size_t make_header(char *buf, size_t cap, const char *descr, int ndim,
                          const int64_t *shape) {
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     descr);
    for (int i = 0; i < ndim; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld", i ? ", " : "",
                      (long long)shape[i]);
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", ndim == 1 ? "," : "");
    /* Version 1.0 while the header length fits 16 bits (always, with at most 8 dims). */
    /* numpy's padding rule: padlen = 64 - ((len + 1 + 10) % 64) spaces, then '\n' (a header
     * that would end exactly on the boundary still gets 64 spaces). */
    size_t pre = 10, padlen = 64 - (((size_t)n + 1 + pre) % 64);
    size_t total = pre + (size_t)n + padlen + 1;
    SEGP_CHECK(total <= cap, "npy header buffer");
    size_t hlen = total - pre;
    memcpy(buf, NPY_MAGIC, 6);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    memcpy(buf + pre, dict, (size_t)n);
    memset(buf + pre + n, ' ', total - pre - (size_t)n - 1);
    buf[total - 1] = '\n';
    return total;
}

static int write_all(int fd, const void *data, size_t size) {
    const uint8_t *p = data;
    while (size) {
        ssize_t w = write(fd, p, size);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        size -= (size_t)w;
    }
    return 0;
}

/* Header + data streamed to PATH.tmp.PID, fsync, rename (no full copy of large arrays). */
static int write_npy(const char *path, const char *descr, const void *data, size_t itemsize,
                     int ndim, const int64_t *shape) {
    if (ndim < 0 || ndim > NPY_MAX_DIMS)
        return SEGP_FAIL("%s: cannot write a %d-dimensional array (expected 0..%d)", path, ndim,
                         NPY_MAX_DIMS);
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return SEGP_FAIL("%s: negative dimension %lld", path,
                                           (long long)shape[i]);
        numel *= (size_t)shape[i];
    }
    char hdr[1024];
    size_t hl = make_header(hdr, sizeof hdr, descr, ndim, shape);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return SEGP_FAIL("%s: cannot create: %s", path, strerror(errno));
    int e = 0;
    if (write_all(fd, hdr, hl) || (numel && write_all(fd, data, numel * itemsize))) e = errno;
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (e) {
        unlink(tmp);
        return SEGP_FAIL("%s: write failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return SEGP_FAIL("%s: cannot rename into place: %s", path, strerror(e));
    }
    return 0;
}

int npy_write_f32(const char *path, const float *data, int ndim, const int64_t *shape) {
    return write_npy(path, "<f4", data, 4, ndim, shape);
}

int npy_write_i64(const char *path, const int64_t *data, int ndim, const int64_t *shape) {
    return write_npy(path, "<i8", data, 8, ndim, shape);
}

void npy_shape_text(const npy_array *a, char *buf, size_t n) {
    size_t k = 0;
    if (!n) return;
    k += (size_t)snprintf(buf, n, "(");
    for (int d = 0; d < a->ndim && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? ", " : "", (long long)a->shape[d]);
    if (k < n) snprintf(buf + k, n - k, a->ndim == 1 ? ",)" : ")");
}
