/* read_idx.c: the IDX format of MNIST / Fashion-MNIST, gzip-compressed or not (zlib inflates it
 * in memory).
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

/* An IDX file in memory read as a byte stream: inflated when it starts with the gzip magic
 * (every gzip member, as gzread reads them; bytes after the last member that are not another
 * member are ignored, as there), else as stored. */
typedef struct {
    const uint8_t *src;
    size_t n, pos; /* plain files: read position */
    int gz, done, open;
    z_stream zs;
    char msg[128]; /* zlib's message of a corrupt stream */
} idx_stream;

static void stream_init(idx_stream *s, const uint8_t *data, size_t n) {
    memset(s, 0, sizeof *s);
    s->src = data;
    s->n = n;
    s->gz = n >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (s->gz) {
        SEGP_CHECK(inflateInit2(&s->zs, 16 + MAX_WBITS) == Z_OK, "zlib initialises");
        s->open = 1;
        s->zs.next_in = (Bytef *)data;
        s->zs.avail_in = (uInt)(n < UINT32_MAX ? n : UINT32_MAX);
    }
}

static void stream_end(idx_stream *s) {
    if (s->open) inflateEnd(&s->zs);
    s->open = 0;
}

/* Up to N bytes into DST: the count read (0 at the end), or -1 with s->msg on corrupt data. */
static long stream_read(idx_stream *s, uint8_t *dst, size_t n) {
    if (!s->gz) {
        size_t k = s->n - s->pos < n ? s->n - s->pos : n;
        if (k) memcpy(dst, s->src + s->pos, k);
        s->pos += k;
        return (long)k;
    }
    size_t got = 0;
    while (got < n && !s->done) {
        s->zs.next_out = dst + got;
        s->zs.avail_out = (uInt)(n - got < (1u << 30) ? n - got : (1u << 30));
        int z = inflate(&s->zs, Z_NO_FLUSH);
        got = (size_t)(s->zs.next_out - dst);
        if (z == Z_STREAM_END) {
            /* another member follows only if its magic does */
            if (s->zs.avail_in >= 2 && s->zs.next_in[0] == 0x1f && s->zs.next_in[1] == 0x8b)
                inflateReset(&s->zs);
            else
                s->done = 1;
        } else if (z == Z_BUF_ERROR && s->zs.avail_in == 0) {
            snprintf(s->msg, sizeof s->msg, "unexpected end of file");
            return -1;
        } else if (z != Z_OK) {
            snprintf(s->msg, sizeof s->msg, "%s", s->zs.msg ? s->zs.msg : "zlib error");
            return -1;
        }
    }
    return (long)got;
}

/* Read exactly N bytes or fail naming the file, what was being read and expected vs actual. */
static int read_exact(idx_stream *g, const char *path, void *dst, size_t n, const char *what) {
    long r = stream_read(g, dst, n);
    if (r < 0) return SEGP_FAIL("%s: corrupt gzip data while reading %s: %s", path, what, g->msg);
    if ((size_t)r < n)
        return SEGP_FAIL("%s: truncated: expected %zu bytes of %s, found %ld", path, n, what, r);
    return 0;
}

/* Check the IDX header at the start of G: magic 0x0000 08 NDIM, then NDIM dims into dims[]. */
static int idx_header(idx_stream *g, const char *path, int ndim, uint32_t *dims) {
    /* Magic first, so a file of the wrong kind is named as such rather than as truncated. */
    uint8_t head[4 + 4 * 3];
    if (read_exact(g, path, head, 4, "the IDX magic")) return -1;
    uint32_t magic = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
                     (uint32_t)head[2] << 8 | head[3];
    if (magic != (0x800u | (uint32_t)ndim))
        return SEGP_FAIL("%s: IDX magic 0x%08x (expected 0x%08x: unsigned bytes, %d dimension%s)",
                         path, magic, 0x800u | (uint32_t)ndim, ndim, ndim > 1 ? "s" : "");
    if (read_exact(g, path, head + 4, 4 * (size_t)ndim, "the IDX dimensions")) return -1;
    for (int d = 0; d < ndim; d++) {
        const uint8_t *p = head + 4 + 4 * d;
        dims[d] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
    return 0;
}

/* Read N payload bytes, growing the buffer as data arrives so a header claiming more than the
 * file holds fails on the truncation rather than on a giant allocation. Then insist on the end. */
static int read_payload(idx_stream *g, const char *path, size_t n, uint8_t **out,
                        const char *what) {
    size_t cap = n < ((size_t)1 << 24) ? n : ((size_t)1 << 24), got = 0;
    uint8_t *buf = segp_malloc(cap ? cap : 1);
    int rc = 0;
    while (got < n) {
        if (got == cap) {
            cap = cap * 2 < n ? cap * 2 : n;
            buf = segp_realloc(buf, cap);
        }
        long r = stream_read(g, buf + got, cap - got);
        if (r < 0) {
            rc = SEGP_FAIL("%s: corrupt gzip data while reading %s: %s", path, what, g->msg);
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
        long r = stream_read(g, &extra, 1);
        if (r < 0)
            rc = SEGP_FAIL("%s: corrupt gzip data after %s: %s", path, what, g->msg);
        else if (r > 0)
            rc = SEGP_FAIL("%s: longer than its header says (expected %zu bytes of %s)", path, n,
                           what);
    }
    if (rc) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

int ds_idx_parse(dataset *ds, const char *iname, const uint8_t *idata, size_t isize,
                 const char *lname, const uint8_t *ldata, size_t lsize,
                 const char *const *class_names, int num_classes) {
    int rc = -1;
    uint32_t idims[3] = {0}, ldims[1] = {0};
    uint8_t *labels = NULL, *pixels = NULL;
    idx_stream gl, gi;
    stream_init(&gl, ldata, lsize);
    stream_init(&gi, idata, isize);

    if (idx_header(&gl, lname, 1, ldims)) goto done;
    if (ldims[0] == 0 || ldims[0] > 100000000u) {
        SEGP_FAIL("%s: %u labels (expected 1..100000000)", lname, ldims[0]);
        goto done;
    }
    if (read_payload(&gl, lname, ldims[0], &labels, "the labels")) goto done;
    for (uint32_t i = 0; i < ldims[0]; i++)
        if (labels[i] >= num_classes) {
            SEGP_FAIL("%s: label %u of item %u (expected 0..%d)", lname, labels[i], i,
                      num_classes - 1);
            goto done;
        }

    if (idx_header(&gi, iname, 3, idims)) goto done;
    if (idims[0] != ldims[0]) {
        SEGP_FAIL("%s: %u images but %s has %u labels (expected the same count)", iname,
                  idims[0], lname, ldims[0]);
        goto done;
    }
    if (idims[1] == 0 || idims[2] == 0 || idims[1] > 4096 || idims[2] > 4096) {
        SEGP_FAIL("%s: image size %ux%u (expected 1..4096 pixels a side)", iname, idims[2],
                  idims[1]);
        goto done;
    }
    size_t bytes = (size_t)idims[0] * idims[1] * idims[2];
    /* the images stay in memory as long as the dataset: refused before they are read when
     * the header's count cannot fit, instead of the OOM killer finding it out. A plain file
     * shorter than that is reported as truncated (read_payload); a compressed one's length is
     * known only by inflating it, so its header is taken at its word. */
    double have;
    char has[96];
    if (segp_memory_limit(&have, has, sizeof has) != 0) goto done;
    if (have > 0 && (double)bytes > have && (gi.gz || isize - 16 >= bytes)) {
        SEGP_FAIL("%s: its header gives %u images of %ux%u pixels, %.1f GiB once read into "
                  "memory, and %s (expected a dataset that fits in memory%s)", iname, idims[0],
                  idims[2], idims[1], (double)bytes / 1073741824.0, has,
                  gi.gz ? ", or a header that is not corrupt" : "");
        goto done;
    }
    if (read_payload(&gi, iname, bytes, &pixels, "the images")) goto done;

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
    stream_end(&gl);
    stream_end(&gi);
    free(labels);
    free(pixels);
    return rc;
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
    uint8_t *idata = NULL, *ldata = NULL;
    size_t isize = 0, lsize = 0;
    int rc = -1;
    if (segp_read_file(lpath, &ldata, &lsize) == 0 && segp_read_file(ipath, &idata, &isize) == 0)
        rc = ds_idx_parse(ds, ipath, idata, isize, lpath, ldata, lsize, class_names, num_classes);
    free(idata);
    free(ldata);
    free(ipath);
    free(lpath);
    return rc;
}
