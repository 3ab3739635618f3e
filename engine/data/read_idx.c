/* read_idx.c: the IDX format of MNIST / Fashion-MNIST, gzip-compressed or not (zlib reads both).
 *
 * Header: 4-byte magic 0x00 0x00 type ndim (type 0x08 = unsigned byte), then ndim big-endian
 * uint32 dimensions. Images: magic 0x00000803, dims (count, rows, cols). Labels: 0x00000801,
 * dims (count). Files: {train,t10k}-images-idx3-ubyte[.gz] and {train,t10k}-labels-idx1-ubyte[.gz].
 * Grey images stay one channel in memory; dataset_image expands them to RGB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/common.h"
#include "dataset_impl.h"

/* Read exactly N bytes or fail naming the file, what was being read and expected vs actual. */
static int gz_read_exact(gzFile g, const char *path, void *dst, size_t n, const char *what) {
    size_t got = 0;
    while (got < n) {
        size_t want = n - got < (1u << 30) ? n - got : (1u << 30);
        int r = gzread(g, (uint8_t *)dst + got, (unsigned)want);
        if (r < 0) {
            int err;
            const char *msg = gzerror(g, &err);
            return SEGP_FAIL("%s: corrupt gzip data while reading %s: %s", path, what, msg);
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    if (got < n)
        return SEGP_FAIL("%s: truncated: expected %zu bytes of %s, found %zu", path, n, what,
                         got);
    return 0;
}

/* Open PATH and check its IDX header: magic 0x0000 08 NDIM, then NDIM dims into dims[]. */
static gzFile idx_open(const char *path, int ndim, uint32_t *dims) {
    gzFile g = gzopen(path, "rb");
    if (!g) {
        SEGP_FAIL("%s: cannot open", path);
        return NULL;
    }
    gzbuffer(g, 1 << 17);
    /* Magic first, so a file of the wrong kind is named as such rather than as truncated. */
    uint8_t head[4 + 4 * 3];
    if (gz_read_exact(g, path, head, 4, "the IDX magic")) {
        gzclose(g);
        return NULL;
    }
    uint32_t magic = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
                     (uint32_t)head[2] << 8 | head[3];
    if (magic != (0x800u | (uint32_t)ndim)) {
        SEGP_FAIL("%s: IDX magic 0x%08x (expected 0x%08x: unsigned bytes, %d dimension%s)",
                  path, magic, 0x800u | (uint32_t)ndim, ndim, ndim > 1 ? "s" : "");
        gzclose(g);
        return NULL;
    }
    if (gz_read_exact(g, path, head + 4, 4 * (size_t)ndim, "the IDX dimensions")) {
        gzclose(g);
        return NULL;
    }
    for (int d = 0; d < ndim; d++) {
        const uint8_t *p = head + 4 + 4 * d;
        dims[d] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
    return g;
}

/* Read N payload bytes, growing the buffer as data arrives so a header claiming more than the
 * file holds fails on the truncation rather than on a giant allocation. Then insist on EOF. */
static int read_payload(gzFile g, const char *path, size_t n, uint8_t **out, const char *what) {
    size_t cap = n < ((size_t)1 << 24) ? n : ((size_t)1 << 24), got = 0;
    uint8_t *buf = segp_malloc(cap ? cap : 1);
    int rc = 0;
    while (got < n) {
        if (got == cap) {
            cap = cap * 2 < n ? cap * 2 : n;
            buf = segp_realloc(buf, cap);
        }
        size_t want = cap - got;
        int r = gzread(g, buf + got, (unsigned)(want < (1u << 30) ? want : (1u << 30)));
        if (r < 0) {
            int err;
            rc = SEGP_FAIL("%s: corrupt gzip data while reading %s: %s", path, what,
                           gzerror(g, &err));
            break;
        }
        if (r == 0) {
            rc = SEGP_FAIL("%s: truncated: expected %zu bytes of %s after the header, found "
                           "%zu", path, n, what, got);
            break;
        }
        got += (size_t)r;
    }
    if (!rc) {
        uint8_t extra;
        int r = gzread(g, &extra, 1);
        if (r < 0) {
            int err;
            rc = SEGP_FAIL("%s: corrupt gzip data after %s: %s", path, what, gzerror(g, &err));
        } else if (r > 0) {
            rc = SEGP_FAIL("%s: longer than its header says (expected %zu bytes of %s)", path, n,
                           what);
        }
    }
    if (rc) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

/* ROOT/NAME.gz, else ROOT/NAME; NULL (+ error with HINT) when neither exists. */
static char *find_idx(const char *kind, const char *root, const char *name, const char *hint) {
    char gzname[96];
    snprintf(gzname, sizeof gzname, "%s.gz", name);
    char *p = ds_join(root, gzname);
    if (ds_is_file(p)) return p;
    free(p);
    p = ds_join(root, name);
    if (ds_is_file(p)) return p;
    free(p);
    SEGP_FAIL("%s: %s/%s not found; %s", kind, root, gzname, hint);
    return NULL;
}

int ds_read_idx(dataset *ds, const char *root, int is_train, const char *const *class_names,
                int num_classes, const char *hint) {
    const char *pre = is_train ? "train" : "t10k";
    char iname[64], lname[64];
    snprintf(iname, sizeof iname, "%s-images-idx3-ubyte", pre);
    snprintf(lname, sizeof lname, "%s-labels-idx1-ubyte", pre);
    char *ipath = find_idx(ds->kind, root, iname, hint);
    if (!ipath) return -1;
    char *lpath = find_idx(ds->kind, root, lname, hint);
    if (!lpath) {
        free(ipath);
        return -1;
    }
    int rc = -1;
    uint32_t idims[3], ldims[1];
    uint8_t *labels = NULL, *pixels = NULL;
    gzFile gl = NULL, gi = NULL;

    gl = idx_open(lpath, 1, ldims);
    if (!gl) goto done;
    if (ldims[0] == 0 || ldims[0] > 100000000u) {
        SEGP_FAIL("%s: %u labels (expected 1..100000000)", lpath, ldims[0]);
        goto done;
    }
    if (read_payload(gl, lpath, ldims[0], &labels, "the labels")) goto done;
    for (uint32_t i = 0; i < ldims[0]; i++)
        if (labels[i] >= num_classes) {
            SEGP_FAIL("%s: label %u of item %u (expected 0..%d)", lpath, labels[i], i,
                      num_classes - 1);
            goto done;
        }

    gi = idx_open(ipath, 3, idims);
    if (!gi) goto done;
    if (idims[0] != ldims[0]) {
        SEGP_FAIL("%s: %u images but %s has %u labels (expected the same count)", ipath,
                  idims[0], lpath, ldims[0]);
        goto done;
    }
    if (idims[1] == 0 || idims[2] == 0 || idims[1] > 4096 || idims[2] > 4096) {
        SEGP_FAIL("%s: image size %ux%u (expected 1..4096 pixels a side)", ipath, idims[2],
                  idims[1]);
        goto done;
    }
    size_t bytes = (size_t)idims[0] * idims[1] * idims[2];
    if (read_payload(gi, ipath, bytes, &pixels, "the images")) goto done;

    int n = (int)ldims[0];
    ds_reserve(ds, n);
    for (int i = 0; i < n; i++) ds->labels[i] = labels[i];
    ds->pixels = pixels;
    pixels = NULL;
    ds->width = (int)idims[2];
    ds->height = (int)idims[1];
    ds->channels = 1;
    ds->planar = 0;
    char **names = segp_malloc((size_t)num_classes * sizeof *names);
    for (int c = 0; c < num_classes; c++) names[c] = segp_strdup(class_names[c]);
    ds_set_class_names(ds, names, num_classes);
    rc = 0;
done:
    if (gl) gzclose(gl);
    if (gi) gzclose(gi);
    free(labels);
    free(pixels);
    free(ipath);
    free(lpath);
    return rc;
}
