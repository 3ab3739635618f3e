/* run_task_data.c: tasks/NN/ of a finished task read back (run_record.h run_task_load): drift,
 * geometry with its projections, anchors, prototypes and the analytics summary. Each file is
 * optional (a method or a first task without it); a present file is checked against the record
 * (class counts, labels, shapes, index ranges) so that views and figures can index without
 * checking, and every error names the file and the tensor. */
#include "run/run_record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/safetensors.h"
#include "run/rundir.h"

typedef struct {
    st_file *f;
    const char *path;
} st_ctx;

/* Tensor NAME with shape (d0[, d1]) (-1: any, *got receives it); float32 copy into *OUT.
 * OPTIONAL: absent gives 0 with *out NULL. */
static int load_f32(st_ctx *c, const char *name, int ndim, int64_t d0, int64_t d1, int64_t *got0,
                    int64_t *got1, float **out, int optional) {
    *out = NULL;
    const st_tensor *t = st_find(c->f, name);
    if (!t) {
        if (optional) return 0;
        return SEGP_FAIL("%s: tensor '%s' is missing", c->path, name);
    }
    if (t->ndim != ndim || (d0 >= 0 && t->shape[0] != d0) ||
        (ndim == 2 && d1 >= 0 && t->shape[1] != d1)) {
        char want[64];
        if (ndim == 1) snprintf(want, sizeof want, "[%lld]", (long long)d0);
        else snprintf(want, sizeof want, "[%lld, %lld]", (long long)d0, (long long)d1);
        return SEGP_FAIL("%s: tensor '%s' has %d dimension(s) [%lld, ...], expected %s "
                         "(-1: any size)", c->path, name, t->ndim, (long long)t->shape[0], want);
    }
    if (t->shape[0] > (1 << 26) || (ndim == 2 && t->shape[1] > (1 << 20)))
        return SEGP_FAIL("%s: tensor '%s' is implausibly large", c->path, name);
    if (got0) *got0 = t->shape[0];
    if (got1 && ndim == 2) *got1 = t->shape[1];
    *out = segp_malloc(sizeof(float) * (size_t)(t->numel > 0 ? t->numel : 1));
    if (st_read_f32(c->f, t, *out) != 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Integer-valued F32 array (as analytics writes them) -> int32 in [lo, hi). */
static int to_int(st_ctx *c, const char *name, const float *v, int64_t n, int lo, int hi,
                  int32_t **out) {
    *out = segp_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        float x = v[i];
        if (!(x >= (float)lo && x < (float)hi && x == floorf(x))) {
            free(*out);
            *out = NULL;
            return SEGP_FAIL("%s: tensor '%s' entry %lld is %g, expected an integer in [%d, %d)",
                             c->path, name, (long long)i, (double)x, lo, hi);
        }
        (*out)[i] = (int32_t)x;
    }
    return 0;
}

/* A tensor read as int32 whether stored I32 or (integer-valued) F32. */
static int load_int(st_ctx *c, const char *name, int64_t n, int lo, int hi, int32_t **out) {
    *out = NULL;
    const st_tensor *t = st_find(c->f, name);
    if (!t) return SEGP_FAIL("%s: tensor '%s' is missing", c->path, name);
    if (t->ndim != 1 || (n >= 0 && t->shape[0] != n))
        return SEGP_FAIL("%s: tensor '%s' is not 1-D of %lld entries", c->path, name,
                         (long long)n);
    if (t->dtype == ST_I32) {
        int32_t *v = segp_malloc(sizeof(int32_t) * (size_t)(t->numel > 0 ? t->numel : 1));
        if (st_read_raw(c->f, t, ST_I32, v) != 0) {
            free(v);
            return -1;
        }
        for (int64_t i = 0; i < t->numel; i++)
            if (v[i] < lo || v[i] >= hi) {
                int bad = v[i];
                free(v);
                return SEGP_FAIL("%s: tensor '%s' entry %lld is %d, expected [%d, %d)", c->path,
                                 name, (long long)i, bad, lo, hi);
            }
        *out = v;
        return 0;
    }
    float *f = NULL;
    if (load_f32(c, name, 1, n, -1, NULL, NULL, &f, 0) != 0) return -1;
    int rc = to_int(c, name, f, t->shape[0], lo, hi, out);
    free(f);
    return rc;
}

/* Part NAME of task T, from MEM (data NULL: absent) or, MEM NULL, from the run directory:
 * 1 open, 0 absent, -1 + error. */
static int open_part(const run_record *r, int t, const char *name, const void *mem_data,
                     size_t mem_size, int from_mem, st_ctx *c, char *path, size_t n) {
    rundir_task_path(r->dir, t, name, path, n);
    c->path = path;
    c->f = NULL;
    if (from_mem) {
        if (!mem_data) return 0;
        c->f = st_open_memory(path, mem_data, mem_size);
    } else {
        if (!rundir_exists(path)) return 0;
        c->f = st_open(path);
    }
    return c->f ? 1 : -1;
}

/* labels [n_seen] must be the first n_seen classes of the order */
static int check_labels(const run_record *r, st_ctx *c, int n_seen, int32_t **out) {
    if (load_int(c, "labels", n_seen, 0, r->num_classes, out) != 0) return -1;
    for (int i = 0; i < n_seen; i++)
        if ((*out)[i] != r->class_order[i])
            return SEGP_FAIL("%s: tensor 'labels' entry %d is %d, but the run's class order "
                             "has %d there", c->path, i, (*out)[i], r->class_order[i]);
    return 0;
}

static int load_drift(const run_record *r, run_task_data *d, st_ctx *c) {
    int64_t n = 0;
    if (load_f32(c, "drift", 1, -1, -1, &n, NULL, &d->drift, 0) != 0) return -1;
    d->n_drift = (int)n;
    float *tmp = NULL;
    if (load_f32(c, "interface", 1, n, -1, NULL, NULL, &d->interface, 0) != 0) return -1;
    if (load_int(c, "class", n, 0, d->n_seen, &d->drift_class) != 0) return -1;
    if (load_f32(c, "is_old", 1, n, -1, NULL, NULL, &tmp, 0) != 0) return -1;
    d->drift_is_old = segp_malloc((size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        if (tmp[i] != 0.0f && tmp[i] != 1.0f) {
            free(tmp);
            return SEGP_FAIL("%s: tensor 'is_old' entry %lld is not 0 or 1", c->path,
                             (long long)i);
        }
        d->drift_is_old[i] = tmp[i] != 0.0f;
    }
    free(tmp);
    int64_t ne = 0;
    if (load_f32(c, "curve.edges", 1, -1, -1, &ne, NULL, &d->edges, 0) != 0) return -1;
    if (ne < 2) return SEGP_FAIL("%s: tensor 'curve.edges' has fewer than 2 edges", c->path);
    d->bins = (int)ne - 1;
    if (load_f32(c, "curve.mean_old", 1, d->bins, -1, NULL, NULL, &d->mean_old, 0) != 0 ||
        load_f32(c, "curve.mean_new", 1, d->bins, -1, NULL, NULL, &d->mean_new, 0) != 0 ||
        load_f32(c, "curve.count_old", 1, d->bins, -1, NULL, NULL, &d->count_old, 0) != 0 ||
        load_f32(c, "curve.count_new", 1, d->bins, -1, NULL, NULL, &d->count_new, 0) != 0)
        return -1;
    d->has_drift = 1;
    return 0;
}

static int load_geometry(const run_record *r, run_task_data *d, st_ctx *c) {
    int n = d->n_seen;
    if (check_labels(r, c, n, &d->labels) != 0) return -1;
    int64_t e = 0;
    char name[64];
    for (int s = 0; s < RUN_STATES; s++) {
        snprintf(name, sizeof name, "text.%s", run_state_names[s]);
        if (load_f32(c, name, 2, n, s == 0 ? -1 : e, NULL, s == 0 ? &e : NULL, &d->text[s], 0))
            return -1;
        snprintf(name, sizeof name, "means.%s", run_state_names[s]);
        if (load_f32(c, name, 2, n, e, NULL, NULL, &d->means[s], 0) != 0) return -1;
        snprintf(name, sizeof name, "tt.%s", run_state_names[s]);
        if (load_f32(c, name, 2, n, n, NULL, NULL, &d->tt[s], 0) != 0) return -1;
        snprintf(name, sizeof name, "pt.%s", run_state_names[s]);
        if (load_f32(c, name, 2, n, n, NULL, NULL, &d->pt[s], 0) != 0) return -1;
        snprintf(name, sizeof name, "pp.%s", run_state_names[s]);
        if (load_f32(c, name, 2, n, n, NULL, NULL, &d->pp[s], 0) != 0) return -1;
    }
    d->e = (int)e;
    if (load_f32(c, "protos", 2, n, e, NULL, NULL, &d->protos, 1) != 0) return -1;
    if (st_find(c->f, "proj.kind")) {
        int64_t np = 0;
        float *kind = NULL;
        if (load_f32(c, "proj.kind", 1, -1, -1, &np, NULL, &kind, 0) != 0) return -1;
        free(kind);
        if (load_int(c, "proj.kind", np, 0, 4, &d->proj_kind) != 0 ||
            load_int(c, "proj.class", np, 0, n, &d->proj_class) != 0 ||
            load_int(c, "proj.row", np, 0, 1 << 30, &d->proj_row) != 0 ||
            load_f32(c, "proj.pca", 2, np, 2, NULL, NULL, &d->proj_pca, 0) != 0 ||
            load_f32(c, "proj.tsne", 2, np, 2, NULL, NULL, &d->proj_tsne, 1) != 0)
            return -1;
        d->n_proj = (int)np;
    }
    d->has_geometry = 1;
    return 0;
}

static int meta_int(st_ctx *c, const char *key, int lo, int hi, int *out) {
    const char *v = st_metadata(c->f, key);
    char *end = NULL;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || end == v || *end || x < lo || x > hi)
        return SEGP_FAIL("%s: metadata '%s' is %s%s%s, expected an integer in [%d, %d]", c->path,
                         key, v ? "\"" : "missing", v ? v : "", v ? "\"" : "", lo, hi);
    *out = (int)x;
    return 0;
}

static int load_anchors(const run_record *r, run_task_data *d, st_ctx *c) {
    if (meta_int(c, "k_adv", 0, 100000, &d->k_adv) != 0) return -1;
    if (meta_int(c, "res", 1, 4096, &d->anchor_res) != 0) return -1;
    const char *src = st_metadata(c->f, "source");
    snprintf(d->anchor_source, sizeof d->anchor_source, "%s", src ? src : "?");
    const st_tensor *tt = st_find(c->f, "target");
    if (!tt || tt->ndim != 1)
        return SEGP_FAIL("%s: tensor 'target' is missing or not 1-D", c->path);
    int64_t n = tt->shape[0], e = 0, k1 = d->k_adv + 1;
    if (n > (1 << 24)) return SEGP_FAIL("%s: tensor 'target' is implausibly large", c->path);
    d->n_anchors = (int)n;
    if (load_int(c, "target", n, 0, r->num_classes, &d->anchor_target) != 0 ||
        load_int(c, "seed", n, 0, 1 << 30, &d->anchor_seed) != 0 ||
        load_f32(c, "score", 1, n, -1, NULL, NULL, &d->anchor_score, 0) != 0 ||
        load_f32(c, "linf", 1, n, -1, NULL, NULL, &d->anchor_linf, 0) != 0 ||
        load_f32(c, "dist_seed", 1, n, -1, NULL, NULL, &d->anchor_dist_seed, 1) != 0 ||
        load_f32(c, "loss_text", 2, n, k1, NULL, NULL, &d->loss_text, 0) != 0 ||
        load_f32(c, "loss_vis", 2, n, k1, NULL, NULL, &d->loss_vis, 0) != 0 ||
        load_f32(c, "emb_teacher", 2, n, -1, NULL, &e, &d->anchor_emb, 0) != 0 ||
        load_f32(c, "drift", 2, n, e, NULL, NULL, &d->anchor_drift, 1) != 0)
        return -1;
    d->e_anchor = (int)e;
    if (!d->anchor_dist_seed) {
        /* a run written before "dist_seed" was stored: the same 1 - cos from the embeddings */
        float *es;
        if (load_f32(c, "emb_seed", 2, n, e, NULL, NULL, &es, 1) != 0) return -1;
        if (!es)
            return SEGP_FAIL("%s: tensors 'dist_seed' and 'emb_seed' are both missing (one is "
                             "needed for the anchor-to-seed distance)", c->path);
        d->anchor_dist_seed = segp_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
        for (int64_t i = 0; i < n; i++) {
            double dot = 0;
            for (int64_t j = 0; j < e; j++)
                dot += (double)d->anchor_emb[i * e + j] * es[i * e + j];
            d->anchor_dist_seed[i] = (float)(1.0 - dot);
        }
        free(es);
    }
    d->anchor_dist_proto = segp_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) d->anchor_dist_proto[i] = d->loss_vis[i * k1 + k1 - 1];
    const st_tensor *im = st_find(c->f, "images");
    if (im) {
        int res = d->anchor_res;
        if (im->dtype != ST_U8 || im->ndim != 4 || im->shape[1] != res || im->shape[2] != res ||
            im->shape[3] != 3 || im->shape[0] > n)
            return SEGP_FAIL("%s: tensor 'images' is not U8 [m <= %lld, %d, %d, 3]", c->path,
                             (long long)n, res, res);
        int64_t m = im->shape[0];
        d->anchor_images = segp_malloc((size_t)(im->numel > 0 ? im->numel : 1));
        if (st_read_raw(c->f, im, ST_U8, d->anchor_images) != 0) return -1;
        if (load_int(c, "image_rows", m, 0, (int)n, &d->anchor_image_rows) != 0) return -1;
        d->n_anchor_images = (int)m;
    }
    d->has_anchors = 1;
    return 0;
}

static int load_prototypes(const run_record *r, run_task_data *d, st_ctx *c) {
    int32_t *labels = NULL;
    int rc = check_labels(r, c, d->n_seen, &labels);
    free(labels);
    if (rc != 0) return -1;
    int64_t e = 0;
    if (load_f32(c, "mu", 2, d->n_seen, -1, NULL, &e, &d->mu, 0) != 0) return -1;
    if (d->has_geometry && e != d->e)
        return SEGP_FAIL("%s: tensor 'mu' has %lld columns, geometry.safetensors %d", c->path,
                         (long long)e, d->e);
    if (load_f32(c, "rho", 1, d->n_old, -1, NULL, NULL, &d->rho, 1) != 0) return -1;
    d->has_prototypes = 1;
    return 0;
}

typedef int (*part_loader)(const run_record *, run_task_data *, st_ctx *);

/* run_task_load from MEM (NULL: the files of the run directory). */
static int load_task(const run_record *r, int t, const run_task_files *mem, run_task_data *out) {
    memset(out, 0, sizeof *out);
    if (t < 0 || t >= r->num_tasks)
        return SEGP_FAIL("%s: task %d is out of range (the run has %d task%s)", r->dir, t + 1,
                         r->num_tasks, segp_s(r->num_tasks));
    if (!mem && !rundir_task_done(r->dir, t))
        return SEGP_FAIL("%s: task %d is not finished (no tasks/%02d/DONE)", r->dir, t + 1, t + 1);
    run_task_data *d = out;
    d->task = t;
    d->n_old = r->task_first[t];
    d->n_new = r->task_size[t];
    d->n_seen = d->n_old + d->n_new;
    static const struct {
        const char *file;
        part_loader load;
        int index; /* in run_task_files */
    } parts[] = {{"geometry.safetensors", load_geometry, RUN_FILE_GEOMETRY},
                 {"drift.safetensors", load_drift, RUN_FILE_DRIFT},
                 {"anchors.safetensors", load_anchors, RUN_FILE_ANCHORS},
                 {"prototypes.safetensors", load_prototypes, RUN_FILE_PROTOTYPES}};
    char path[4200];
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
        st_ctx c;
        int i = parts[k].index;
        int has = open_part(r, t, parts[k].file, mem ? mem->data[i] : NULL, mem ? mem->size[i] : 0,
                            mem != NULL, &c, path, sizeof path);
        if (has < 0) goto fail;
        if (has == 0) continue;
        int rc = parts[k].load(r, d, &c);
        st_close(c.f);
        if (rc != 0) goto fail;
    }
    if (!d->labels) { /* no geometry: the seen labels from the order */
        d->labels = segp_malloc(sizeof(int32_t) * (size_t)d->n_seen);
        memcpy(d->labels, r->class_order, sizeof(int32_t) * (size_t)d->n_seen);
    }
    rundir_task_path(r->dir, t, "analytics.json", path, sizeof path);
    if (mem) {
        if (mem->data[RUN_FILE_ANALYTICS]) {
            if (analytics_parse_summary(mem->data[RUN_FILE_ANALYTICS],
                                        mem->size[RUN_FILE_ANALYTICS], path, &d->summary) != 0)
                goto fail;
            d->has_summary = 1;
        }
    } else if (rundir_exists(path)) {
        rundir_task_path(r->dir, t, "", path, sizeof path);
        if (analytics_read_summary(path, &d->summary) != 0) goto fail;
        d->has_summary = 1;
    }
    return 0;
fail:
    run_task_data_free(d);
    return -1;
}

int run_task_load(const run_record *r, int t, run_task_data *out) {
    return load_task(r, t, NULL, out);
}

int run_task_load_memory(const run_record *r, int t, const run_task_files *files,
                         run_task_data *out) {
    return load_task(r, t, files, out);
}

void run_task_data_free(run_task_data *d) {
    if (!d) return;
    free(d->labels);
    free(d->drift);
    free(d->interface);
    free(d->drift_class);
    free(d->drift_is_old);
    free(d->edges);
    free(d->mean_old);
    free(d->mean_new);
    free(d->count_old);
    free(d->count_new);
    for (int s = 0; s < RUN_STATES; s++) {
        free(d->text[s]);
        free(d->means[s]);
        free(d->tt[s]);
        free(d->pt[s]);
        free(d->pp[s]);
    }
    free(d->protos);
    free(d->proj_kind);
    free(d->proj_class);
    free(d->proj_row);
    free(d->proj_pca);
    free(d->proj_tsne);
    free(d->anchor_target);
    free(d->anchor_seed);
    free(d->anchor_score);
    free(d->anchor_linf);
    free(d->anchor_dist_seed);
    free(d->anchor_dist_proto);
    free(d->loss_text);
    free(d->loss_vis);
    free(d->anchor_emb);
    free(d->anchor_drift);
    free(d->anchor_images);
    free(d->anchor_image_rows);
    free(d->mu);
    free(d->rho);
    memset(d, 0, sizeof *d);
}
