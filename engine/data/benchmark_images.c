/* benchmark_images.c: a benchmark item's image (benchmark.h): shapes scenes rendered at the
 * size asked and kept per split after their first drawing, dataset files decoded at CLIP's
 * eval geometry, and the check of a split's files before any work. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchmark_internal.h"
#include "core/common.h"
#include "io/image.h"

static int check_item(const benchmark *b, bench_split s, int i) {
    const item_list *l = items_of(b, s);
    if (!l || i < 0 || i >= l->n)
        return SEGP_FAIL("benchmark %s: item %d of split %d out of range (expected 0..%d)",
                         b->p.name, i, (int)s, l ? l->n - 1 : -1);
    return 0;
}

int benchmark_shapes_sample(const benchmark *b, bench_split s, int i, shapes_sample_desc *d) {
    if (!b->is_shapes)
        return SEGP_FAIL("benchmark %s: not the shapes world (no scene descriptions)", b->p.name);
    if (check_item(b, s, i)) return -1;
    const item_list *l = &b->items[s];
    int cls = l->label[i] + (s == BENCH_HELDOUT ? SHAPES_N_CLASSES : 0);
    int from_train = s == BENCH_TRAIN || l->from_train;
    return shapes_cl_sample(&b->wp, from_train ? SHAPES_SPLIT_TRAIN : SHAPES_SPLIT_TEST, cls,
                            (uint64_t)l->src[i], d);
}

/* Whether split S keeps its renders at N_PX: shapes drawn at that size (benchmark_image), the
 * whole split within RENDER_CACHE_MAX_BYTES. */
static int keeps(const benchmark *b, bench_split s, int n_px) {
    size_t n = (size_t)b->items[s].n, sz = (size_t)n_px * n_px * 3;
    int size = b->p.image_size ? b->p.image_size : n_px;
    return b->is_shapes && size == n_px && n > 0 && n * sz <= RENDER_CACHE_MAX_BYTES;
}

double benchmark_data_bytes(const benchmark *b) {
    return dataset_memory_bytes(b->ds[0]) + dataset_memory_bytes(b->ds[1]);
}

double benchmark_kept_bytes(const benchmark *b, bench_split s, int n_px, int64_t n_drawn) {
    if (n_px < 1 || !keeps(b, s, n_px)) return 0;
    return (double)n_drawn * n_px * n_px * 3;
}

/* The cache of split S when it keeps images of N_PX (set up on first use), else NULL. The
 * benchmark is shared read-only by the threads that draw from it; the cache is the one part
 * they write, each item's slot claimed by one of them. */
static render_cache *cache_for(const benchmark *cb, bench_split s, int n_px) {
    benchmark *b = (benchmark *)cb;
    render_cache *c = &b->cache[s];
    pthread_mutex_lock(&b->cache_lock);
    if (c->n_px == 0) {
        size_t n = (size_t)b->items[s].n;
        c->n_px = -1;
        if (keeps(b, s, n_px)) {
            c->rgb = malloc(n * (size_t)n_px * n_px * 3);
            c->state = calloc(n, sizeof *c->state);
            if (c->rgb && c->state) {
                c->n_px = n_px;
            } else {
                free(c->rgb), free((void *)c->state);
                c->rgb = NULL, c->state = NULL;
            }
        }
    }
    int keep = c->n_px == n_px;
    pthread_mutex_unlock(&b->cache_lock);
    return keep ? c : NULL;
}

static int render_kept(const benchmark *b, bench_split s, int i, const shapes_sample_desc *d,
                       int n_px, uint8_t *rgb) {
    render_cache *c = cache_for(b, s, n_px);
    if (!c) return shapes_render_into(d, n_px, rgb);
    size_t sz = (size_t)n_px * n_px * 3;
    uint8_t *slot = c->rgb + (size_t)i * sz;
    if (atomic_load_explicit(&c->state[i], memory_order_acquire) == 2) {
        memcpy(rgb, slot, sz);
        return 0;
    }
    if (shapes_render_into(d, n_px, rgb) != 0) return -1;
    uint8_t empty = 0;
    if (atomic_compare_exchange_strong(&c->state[i], &empty, 1)) {
        memcpy(slot, rgb, sz);
        atomic_store_explicit(&c->state[i], 2, memory_order_release);
    }
    return 0;
}

int benchmark_image(const benchmark *b, bench_split s, int i, int n_px, uint8_t *rgb) {
    if (n_px < 1 || n_px > IMAGE_MAX_SIDE)
        return SEGP_FAIL("benchmark %s: image size %d (expected 1..%d)", b->p.name, n_px,
                         IMAGE_MAX_SIDE);
    if (check_item(b, s, i)) return -1;
    if (b->is_shapes) {
        shapes_sample_desc d;
        if (benchmark_shapes_sample(b, s, i, &d)) return -1;
        int size = b->p.image_size ? b->p.image_size : n_px;
        /* at the model's size the transform is the identity */
        if (size == n_px) return render_kept(b, s, i, &d, n_px, rgb);
        image_rgb img = {size, size, segp_malloc((size_t)size * size * 3)};
        int rc = shapes_render_into(&d, size, img.rgb);
        if (!rc) image_clip_crop(&img, n_px, rgb);
        free(img.rgb);
        return rc;
    }
    int from_train = s == BENCH_TRAIN || b->items[s].from_train;
    const dataset *ds = b->ds[from_train ? BENCH_TRAIN : BENCH_TEST];
    int k = b->items[s].src[i];
    const char *rel = dataset_path(ds, k);
    if (rel) {
        /* Files go through the mode-exact decode (palette, alpha) as clip._transform does. */
        char *full = ds->base_dir && rel[0] != '/' ? ds_join(ds->base_dir, rel) : segp_strdup(rel);
        image_decoded dec;
        int rc = image_decode(full, &dec);
        free(full);
        if (rc) return -1;
        image_decoded_clip_crop(&dec, n_px, rgb);
        image_decoded_free(&dec);
        return 0;
    }
    image_rgb img;
    if (dataset_image(ds, k, &img)) return -1;
    image_clip_crop(&img, n_px, rgb);
    image_free(&img);
    return 0;
}

int benchmark_images(const benchmark *b, bench_split s, const int *items, int n, int n_px,
                     uint8_t *rgb) {
    size_t sz = (size_t)n_px * n_px * 3;
    int bad = -1;
#pragma omp parallel for schedule(dynamic, 8)
    for (int i = 0; i < n; i++) {
        int f;
#pragma omp atomic read
        f = bad;
        if (f >= 0) continue;
        if (benchmark_image(b, s, items ? items[i] : i, n_px, rgb + (size_t)i * sz) != 0) {
#pragma omp atomic write
            bad = i;
        }
    }
    if (bad < 0) return 0;
    /* the error state is per thread: make it again on this one */
    benchmark_image(b, s, items ? items[bad] : bad, n_px, rgb + (size_t)bad * sz);
    return -1;
}

/* One listed file: 0 when it opens as a regular file whose first bytes begin a PNG or JPEG;
 * else -1 + the reason (its errno's text, "not a regular file", or image_check_head's). */
static int check_one_file(const char *full) {
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return SEGP_FAIL("%s: %s", full, strerror(errno));
    struct stat st;
    uint8_t head[IMAGE_SIGNATURE_BYTES];
    ssize_t got = 0;
    int rc = 0;
    if (fstat(fd, &st) != 0) rc = SEGP_FAIL("%s: %s", full, strerror(errno));
    else if (!S_ISREG(st.st_mode)) rc = SEGP_FAIL("%s: not a regular file", full);
    else if ((got = pread(fd, head, sizeof head, 0)) < 0)
        rc = SEGP_FAIL("%s: %s", full, strerror(errno));
    else rc = image_check_head(full, head, (size_t)got);
    close(fd);
    return rc;
}

int benchmark_check_files(const benchmark *b, bench_split s, const int *items, int n) {
    const item_list *l = items_of(b, s);
    if (b->is_shapes || !l) return 0;
    int from_train = s == BENCH_TRAIN || l->from_train;
    const dataset *ds = b->ds[from_train ? BENCH_TRAIN : BENCH_TEST];
    int bad = 0, first = -1;
    char first_err[1024] = "";
    for (int k = 0; k < n; k++) {
        int i = items ? items[k] : k;
        if (i < 0 || i >= l->n) return check_item(b, s, i);
        const char *rel = dataset_path(ds, l->src[i]);
        if (!rel) return 0; /* in-memory images */
        char *full = ds->base_dir && rel[0] != '/' ? ds_join(ds->base_dir, rel) : segp_strdup(rel);
        if (check_one_file(full) != 0) {
            if (first < 0)
                first = i, snprintf(first_err, sizeof first_err, "%s", segp_last_error());
            bad++;
        }
        free(full);
    }
    if (!bad) return 0;
    int y = l->label[first];
    return SEGP_FAIL("%s (%s image of class %d, \"%s\"); %d of the %d %s image%s checked %s "
                     "(expected every file the lists name)", first_err,
                     from_train ? "a training" : "a test", y, b->names[y], bad, n,
                     from_train ? "training" : "test", segp_s(n),
                     bad == 1 ? "is not a readable PNG or JPEG file"
                              : "are not readable PNG or JPEG files");
}

int benchmark_image_native(const benchmark *b, bench_split s, int i, image_rgb *out) {
    out->width = out->height = 0;
    out->rgb = NULL;
    if (check_item(b, s, i)) return -1;
    if (b->is_shapes) {
        if (!b->p.image_size)
            return SEGP_FAIL("benchmark.image_size: 0 (shapes images have no size of their "
                             "own; set the render size, e.g. the model's resolution)");
        shapes_sample_desc d;
        if (benchmark_shapes_sample(b, s, i, &d)) return -1;
        return shapes_render(&b->wp, &d, out);
    }
    int from_train = s == BENCH_TRAIN || b->items[s].from_train;
    return dataset_image(b->ds[from_train ? BENCH_TRAIN : BENCH_TEST], b->items[s].src[i], out);
}
