/* analytics.c: a task's drift, geometry and projection analytics, computed from the embeddings
 * the runner holds and written to tasks/NN/ (see analytics.h). */
#include "analytics.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/safetensors.h"
#include "metrics/drift.h"
#include "metrics/geometry.h"
#include "metrics/projection.h"
#include "run/rundir.h"

static void summary_nan(analytics_summary *s) {
    s->drift_mean = s->drift_boundary = s->drift_core = s->boundary_core_ratio = NAN;
    s->drift_old = s->drift_new = NAN;
    geom_compare *g[6] = {&s->tt_teacher, &s->tt_pre, &s->pt_teacher,
                          &s->pt_pre,     &s->pp_teacher, &s->pp_pre};
    for (int i = 0; i < 6; i++) g[i]->mean_abs_diff = g[i]->pearson = g[i]->cka = NAN;
    s->pca_explained[0] = s->pca_explained[1] = NAN;
    s->tsne_kl = NAN;
    s->n_points = 0;
}

static int check_input(const analytics_input *in) {
    int ns = in->n_old + in->n_new;
    if (in->e < 1 || in->n_old < 0 || in->n_new < 1)
        return SEGP_FAIL("analytics: e %d, %d old and %d new classes (expected e >= 1, "
                         "n_old >= 0, n_new >= 1)", in->e, in->n_old, in->n_new);
    if (!in->labels || !in->text_pre || !in->text_teacher || !in->text_student)
        return SEGP_FAIL("analytics: the labels and the three text embeddings are required");
    if (in->n_img < 0 || (in->n_img > 0 && (!in->img_class || !in->img_pre || !in->img_teacher ||
                                            !in->img_student)))
        return SEGP_FAIL("analytics: %d test images without their classes or embeddings",
                         in->n_img);
    if (in->n_anchor < 0 || (in->n_anchor > 0 && (!in->anchor_student || !in->anchor_class)))
        return SEGP_FAIL("analytics: %d anchors without their classes or embeddings",
                         in->n_anchor);
    for (int i = 0; i < in->n_img; i++)
        if (in->img_class[i] < 0 || in->img_class[i] >= ns)
            return SEGP_FAIL("analytics: test image %d has class position %d (expected 0..%d)", i,
                             (int)in->img_class[i], ns - 1);
    for (int i = 0; i < in->n_anchor; i++)
        if (in->anchor_class[i] < 0 || in->anchor_class[i] >= ns)
            return SEGP_FAIL("analytics: anchor %d has class position %d (expected 0..%d)", i,
                             (int)in->anchor_class[i], ns - 1);
    if (in->n_old > 0) {
        if (in->n_img < 2)
            return SEGP_FAIL("analytics: %d test images (the drift needs at least 2)", in->n_img);
        if (!(in->logit_scale > 0))
            return SEGP_FAIL("analytics: logit scale %g (expected > 0)", in->logit_scale);
        if (in->bins < 1 || !(in->boundary_frac > 0 && in->boundary_frac < 1))
            return SEGP_FAIL("analytics: %d drift bins, boundary fraction %g (expected >= 1 and "
                             "in (0, 1))", in->bins, in->boundary_frac);
    }
    return 0;
}

/* OUT [n, k] = scale * A [n, e] . B [k, e]^T (double dot products). */
static void logits(const float *a, int n, const float *b, int k, int e, float scale, float *out) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++)
        for (int c = 0; c < k; c++) {
            double s = 0;
            for (int j = 0; j < e; j++) s += (double)a[(size_t)i * e + j] * b[(size_t)c * e + j];
            out[(size_t)i * k + c] = (float)(scale * s);
        }
}

static char *itoa_dup(int v) {
    char b[24];
    snprintf(b, sizeof b, "%d", v);
    return segp_strdup(b);
}

static float *to_f32_i32(const int32_t *v, int n) {
    float *f = segp_malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int i = 0; i < n; i++) f[i] = (float)v[i];
    return f;
}

static st_write_tensor tensor1(const char *name, const float *d, int64_t n) {
    return (st_write_tensor){.name = name, .dtype = ST_F32, .ndim = 1, .shape = {n}, .data = d};
}

static st_write_tensor tensor2(const char *name, const float *d, int64_t r, int64_t c) {
    return (st_write_tensor){.name = name, .dtype = ST_F32, .ndim = 2, .shape = {r, c}, .data = d};
}

/* ---- drift ---- */

static int do_drift(const analytics_input *in, const char *path, const char *const *mk,
                    const char *const *mv, analytics_summary *s) {
    int n = in->n_img, ns = in->n_old + in->n_new, no = in->n_old, e = in->e;
    float *lt = segp_malloc((size_t)n * ns * sizeof(float));
    float *lt_old = segp_malloc((size_t)n * no * sizeof(float));
    float *ls = segp_malloc((size_t)n * no * sizeof(float));
    float *drift = segp_malloc((size_t)n * sizeof(float)),
          *m = segp_malloc((size_t)n * sizeof(float));
    uint8_t *is_old = segp_malloc((size_t)n);
    logits(in->img_teacher, n, in->text_teacher, ns, e, in->logit_scale, lt);
    logits(in->img_student, n, in->text_student, no, e, in->logit_scale, ls);
    for (int i = 0; i < n; i++) {
        memcpy(lt_old + (size_t)i * no, lt + (size_t)i * ns, (size_t)no * sizeof(float));
        is_old[i] = in->img_class[i] < no;
    }
    drift_jsd(lt_old, ls, n, no, drift);
    drift_interface(lt, n, no, in->n_new, m);
    drift_curve c;
    int rc = drift_curve_compute(drift, m, is_old, n, in->bins, in->boundary_frac, &c);
    if (rc == 0) {
        double so = 0, sn = 0;
        int co = 0, cn = 0;
        for (int i = 0; i < n; i++) {
            if (is_old[i]) {
                so += drift[i];
                co++;
            } else {
                sn += drift[i];
                cn++;
            }
        }
        s->drift_mean = c.mean_all;
        s->drift_boundary = c.boundary;
        s->drift_core = c.core;
        s->boundary_core_ratio = c.ratio;
        s->drift_old = co ? so / co : NAN;
        s->drift_new = cn ? sn / cn : NAN;

        int b = c.bins;
        float *cls = to_f32_i32(in->img_class, n), *old = segp_malloc((size_t)n * sizeof(float));
        float *cnt_o = to_f32_i32(c.count_old, b), *cnt_n = to_f32_i32(c.count_new, b);
        for (int i = 0; i < n; i++) old[i] = is_old[i];
        st_write_tensor t[] = {
            tensor1("drift", drift, n),           tensor1("interface", m, n),
            tensor1("class", cls, n),             tensor1("is_old", old, n),
            tensor1("curve.edges", c.edges, b + 1), tensor1("curve.mean_old", c.mean_old, b),
            tensor1("curve.mean_new", c.mean_new, b), tensor1("curve.count_old", cnt_o, b),
            tensor1("curve.count_new", cnt_n, b),
        };
        rc = st_write(path, t, (int)(sizeof t / sizeof t[0]), mk, mv, 3);
        free(cls);
        free(old);
        free(cnt_o);
        free(cnt_n);
        drift_curve_free(&c);
    } else {
        segp_fail_prefix("%s: ", path);
    }
    free(lt);
    free(lt_old);
    free(ls);
    free(drift);
    free(m);
    free(is_old);
    return rc;
}

/* ---- geometry ---- */

/* Normalised class means [ns, e] of the image embeddings IMG [n, e] (zero row: no image). */
static float *class_means(const float *img, const int32_t *cls, int n, int ns, int e) {
    double *acc = segp_calloc((size_t)ns * e, sizeof(double));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < e; j++) acc[(size_t)cls[i] * e + j] += img[(size_t)i * e + j];
    float *out = segp_malloc((size_t)ns * e * sizeof(float));
    for (int c = 0; c < ns; c++) {
        double q = 0;
        for (int j = 0; j < e; j++) q += acc[(size_t)c * e + j] * acc[(size_t)c * e + j];
        double r = q > 0 ? 1.0 / sqrt(q) : 0.0;
        for (int j = 0; j < e; j++) out[(size_t)c * e + j] = (float)(acc[(size_t)c * e + j] * r);
    }
    free(acc);
    return out;
}

/* mean |dG| over the strict upper triangles of two n x n matrices. */
static double upper_mean_abs_diff(const float *a, const float *b, int n) {
    long m = (long)n * (n - 1) / 2, k = 0;
    if (m <= 0) return NAN;
    float *ua = segp_malloc((size_t)m * sizeof(float)),
          *ub = segp_malloc((size_t)m * sizeof(float));
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++, k++) {
            ua[k] = a[(size_t)i * n + j];
            ub[k] = b[(size_t)i * n + j];
        }
    double r = geom_mean_abs_diff(ua, ub, m);
    free(ua);
    free(ub);
    return r;
}

/* ---- projections ---- */

typedef struct {
    int n;
    float *x;                  /* [n, e] */
    float *kind, *cls, *row;   /* [n] exact small integers */
} point_set;

/* Rows of each class in order, at most K per class, appended to the point set. */
static void add_per_class(point_set *ps, const float *src, const int32_t *cls, int n, int ns,
                          int e, int k, int kind) {
    int *taken = segp_calloc((size_t)ns, sizeof(int));
    for (int i = 0; i < n; i++) {
        if (taken[cls[i]] >= k) continue;
        taken[cls[i]]++;
        memcpy(ps->x + (size_t)ps->n * e, src + (size_t)i * e, (size_t)e * sizeof(float));
        ps->kind[ps->n] = (float)kind;
        ps->cls[ps->n] = (float)cls[i];
        ps->row[ps->n] = (float)i;
        ps->n++;
    }
    free(taken);
}

static int sum_min(const int *count, int ns, int k) {
    int s = 0;
    for (int c = 0; c < ns; c++) s += count[c] < k ? count[c] : k;
    return s;
}

/* The joint point set: the text embeddings and prototypes of the seen classes first in
 * priority, then the same number k of images and of anchors per class (the first rows of each
 * class), k the largest that keeps the total within the cap. Its size (analytics.h): */
int analytics_projection_points(int ns, int cap, int has_protos, const int *img_per_class,
                                const int *anchors_per_class, int *per_class) {
    const int *ci = img_per_class, *ca = anchors_per_class;
    int n_text = ns < cap ? ns : cap, left = cap - n_text;
    int n_proto = has_protos ? (ns < left ? ns : left) : 0;
    left -= n_proto;
    int kmax = 0;
    for (int c = 0; c < ns; c++) {
        if (ci[c] > kmax) kmax = ci[c];
        if (ca[c] > kmax) kmax = ca[c];
    }
    int k = 0;
    while (k < kmax && sum_min(ci, ns, k + 1) + sum_min(ca, ns, k + 1) <= left) k++;
    if (per_class) *per_class = k;
    return n_text + n_proto + sum_min(ci, ns, k) + sum_min(ca, ns, k);
}

/* ... and its rows. */
static void select_points(const analytics_input *in, int cap, point_set *ps) {
    int ns = in->n_old + in->n_new, e = in->e;
    int n_text = ns < cap ? ns : cap, left = cap - n_text;
    int n_proto = in->protos ? (ns < left ? ns : left) : 0;
    int *ci = segp_calloc((size_t)ns, sizeof(int)), *ca = segp_calloc((size_t)ns, sizeof(int));
    for (int i = 0; i < in->n_img; i++) ci[in->img_class[i]]++;
    for (int i = 0; i < in->n_anchor; i++) ca[in->anchor_class[i]]++;
    int k, total = analytics_projection_points(ns, cap, in->protos != NULL, ci, ca, &k);
    free(ci);
    free(ca);

    ps->n = 0;
    ps->x = segp_malloc((size_t)(total > 0 ? total : 1) * e * sizeof(float));
    ps->kind = segp_malloc((size_t)(total > 0 ? total : 1) * 3 * sizeof(float));
    ps->cls = ps->kind + total;
    ps->row = ps->cls + total;
    if (k > 0) add_per_class(ps, in->img_student, in->img_class, in->n_img, ns, e, k, 0);
    for (int c = 0; c < n_text; c++) {
        memcpy(ps->x + (size_t)ps->n * e, in->text_student + (size_t)c * e,
               (size_t)e * sizeof(float));
        ps->kind[ps->n] = 1;
        ps->cls[ps->n] = ps->row[ps->n] = (float)c;
        ps->n++;
    }
    for (int c = 0; c < n_proto; c++) {
        memcpy(ps->x + (size_t)ps->n * e, in->protos + (size_t)c * e, (size_t)e * sizeof(float));
        ps->kind[ps->n] = 2;
        ps->cls[ps->n] = ps->row[ps->n] = (float)c;
        ps->n++;
    }
    if (k > 0) add_per_class(ps, in->anchor_student, in->anchor_class, in->n_anchor, ns, e, k, 3);
    SEGP_CHECK(ps->n == total, "point count as planned");
}

/* ---- analytics.json ---- */

/* Finite numbers with 17 significant digits, so they read back exactly (cJSON's own printing
 * settles for 15 when those are close enough); NaN and infinities as null. */
static cJSON *num(double v) {
    if (!isfinite(v)) return cJSON_CreateNull();
    char b[40];
    snprintf(b, sizeof b, "%.17g", v);
    return cJSON_CreateRaw(b);
}

static void add_num(cJSON *o, const char *k, double v) { cJSON_AddItemToObject(o, k, num(v)); }

static const char *const geom_keys[6] = {"tt_teacher", "tt_pre", "pt_teacher",
                                         "pt_pre",     "pp_teacher", "pp_pre"};

static geom_compare *geom_field(analytics_summary *s, int i) {
    geom_compare *g[6] = {&s->tt_teacher, &s->tt_pre, &s->pt_teacher,
                          &s->pt_pre,     &s->pp_teacher, &s->pp_pre};
    return g[i];
}

static char *summary_json(const analytics_input *in, analytics_summary *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "task", in->task + 1); /* 1-based, as eval.json and metrics.jsonl */
    cJSON_AddNumberToObject(o, "n_old", in->n_old);
    cJSON_AddNumberToObject(o, "n_new", in->n_new);
    cJSON *d = cJSON_AddObjectToObject(o, "drift");
    add_num(d, "mean", s->drift_mean);
    add_num(d, "boundary", s->drift_boundary);
    add_num(d, "core", s->drift_core);
    add_num(d, "boundary_core_ratio", s->boundary_core_ratio);
    add_num(d, "old", s->drift_old);
    add_num(d, "new", s->drift_new);
    cJSON *g = cJSON_AddObjectToObject(o, "geometry");
    for (int i = 0; i < 6; i++) {
        cJSON *c = cJSON_AddObjectToObject(g, geom_keys[i]);
        const geom_compare *f = geom_field(s, i);
        add_num(c, "mean_abs_diff", f->mean_abs_diff);
        add_num(c, "pearson", f->pearson);
        add_num(c, "cka", f->cka);
    }
    cJSON *p = cJSON_AddObjectToObject(o, "projection");
    cJSON *ex = cJSON_AddArrayToObject(p, "pca_explained");
    cJSON_AddItemToArray(ex, num(s->pca_explained[0]));
    cJSON_AddItemToArray(ex, num(s->pca_explained[1]));
    add_num(p, "tsne_kl", s->tsne_kl);
    cJSON_AddNumberToObject(p, "n_points", s->n_points);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    size_t n = strlen(text);
    text = segp_realloc(text, n + 2);
    memcpy(text + n, "\n", 2);
    return text;
}

/* ---- analytics_write ---- */

int analytics_write(const analytics_input *in, const char *task_dir, analytics_summary *sum) {
    analytics_summary s;
    summary_nan(&s);
    if (check_input(in) != 0) return segp_fail_prefix("%s: ", task_dir);
    char path[4200];
    char *mv[3] = {itoa_dup(in->task + 1), itoa_dup(in->n_old), itoa_dup(in->n_new)};
    const char *const mk[3] = {"task", "n_old", "n_new"};
    int rc = 0;

    if (in->n_old > 0) {
        snprintf(path, sizeof path, "%s/drift.safetensors", task_dir);
        rc = do_drift(in, path, mk, (const char *const *)mv, &s);
    }

    int ns = in->n_old + in->n_new, e = in->e;
    size_t nn = (size_t)ns * ns;
    const float *text[3] = {in->text_pre, in->text_teacher, in->text_student};
    const float *img[3] = {in->img_pre, in->img_teacher, in->img_student};
    float *means[3], *tt[3], *pt[3], *pp[3];
    for (int k = 0; k < 3; k++) {
        means[k] = class_means(img[k], in->img_class, in->n_img, ns, e);
        tt[k] = segp_malloc(nn * sizeof(float));
        pt[k] = segp_malloc(nn * sizeof(float));
        pp[k] = segp_malloc(nn * sizeof(float));
        geom_cosine_matrix(text[k], ns, text[k], ns, e, tt[k]);
        geom_cosine_matrix(means[k], ns, text[k], ns, e, pt[k]);
        geom_cosine_matrix(means[k], ns, means[k], ns, e, pp[k]);
    }
    /* student (2) against teacher (1) and pretrained (0) */
    for (int r = 0; r < 2; r++) {
        int k = r == 0 ? 1 : 0;
        geom_compare *gt = geom_field(&s, 0 + r), *gp = geom_field(&s, 2 + r),
                     *gm = geom_field(&s, 4 + r);
        gt->mean_abs_diff = upper_mean_abs_diff(tt[2], tt[k], ns);
        gt->pearson = geom_pearson_upper(tt[2], tt[k], ns);
        gt->cka = geom_linear_cka(text[2], text[k], ns, e, e);
        gp->mean_abs_diff = geom_mean_abs_diff(pt[2], pt[k], (long)nn);
        gp->pearson = geom_pearson(pt[2], pt[k], (long)nn);
        gp->cka = geom_linear_cka(means[2], means[k], ns, e, e);
        gm->mean_abs_diff = upper_mean_abs_diff(pp[2], pp[k], ns);
        gm->pearson = geom_pearson_upper(pp[2], pp[k], ns);
        gm->cka = gp->cka;
    }

    point_set ps = {0};
    float *pca = NULL, *tsne = NULL;
    if (rc == 0 && in->tsne_points > 0 && e >= 2) {
        select_points(in, in->tsne_points, &ps);
        if (ps.n >= 4) {
            pca = segp_malloc((size_t)ps.n * 2 * sizeof(float));
            tsne = segp_malloc((size_t)ps.n * 2 * sizeof(float));
            float ex[2];
            tsne_params tp = tsne_default_params();
            if (in->perplexity > 0) tp.perplexity = in->perplexity;
            if (in->tsne_iters > 0) tp.iters = in->tsne_iters;
            if (tp.exaggeration_iters > tp.iters / 2) tp.exaggeration_iters = tp.iters / 2;
            tp.seed = in->seed;
            rc = proj_pca(ps.x, ps.n, e, 2, pca, ex);
            if (rc == 0) rc = proj_tsne(ps.x, ps.n, e, &tp, tsne, &s.tsne_kl);
            if (rc == 0) {
                s.pca_explained[0] = ex[0];
                s.pca_explained[1] = ex[1];
                s.n_points = ps.n;
            } else {
                segp_fail_prefix("%s/geometry.safetensors: ", task_dir);
            }
        }
    }

    if (rc == 0) {
        static const char *const st_names[3] = {"pre", "teacher", "student"};
        char names[15][24];
        st_write_tensor t[24];
        int nt = 0;
        float *labels = to_f32_i32(in->labels, ns);
        t[nt++] = tensor1("labels", labels, ns);
        for (int k = 0; k < 3; k++) {
            const float *arr[5] = {text[k], means[k], tt[k], pt[k], pp[k]};
            static const char *const pre[5] = {"text", "means", "tt", "pt", "pp"};
            for (int a = 0; a < 5; a++) {
                char *nm = names[k * 5 + a];
                snprintf(nm, sizeof names[0], "%s.%s", pre[a], st_names[k]);
                t[nt++] = tensor2(nm, arr[a], ns, a < 2 ? e : ns);
            }
        }
        if (in->protos) t[nt++] = tensor2("protos", in->protos, ns, e);
        if (s.n_points > 0) {
            t[nt++] = tensor1("proj.kind", ps.kind, ps.n);
            t[nt++] = tensor1("proj.class", ps.cls, ps.n);
            t[nt++] = tensor1("proj.row", ps.row, ps.n);
            t[nt++] = tensor2("proj.pca", pca, ps.n, 2);
            t[nt++] = tensor2("proj.tsne", tsne, ps.n, 2);
        }
        snprintf(path, sizeof path, "%s/geometry.safetensors", task_dir);
        rc = st_write(path, t, nt, mk, (const char *const *)mv, 3);
        free(labels);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/analytics.json", task_dir);
        char *text_json = summary_json(in, &s);
        rc = rundir_write_text(path, text_json);
        free(text_json);
    }

    for (int k = 0; k < 3; k++) {
        free(means[k]);
        free(tt[k]);
        free(pt[k]);
        free(pp[k]);
        free(mv[k]);
    }
    free(ps.x);
    free(ps.kind);
    free(pca);
    free(tsne);
    if (rc == 0 && sum) *sum = s;
    return rc;
}

/* ---- analytics_read_summary ---- */

/* The number at KEY of O (null: NAN); -1 + error naming the file and key otherwise. */
static int get_num(const cJSON *o, const char *key, const char *path, const char *where,
                   double *v) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNull(it)) {
        *v = NAN;
        return 0;
    }
    if (!cJSON_IsNumber(it))
        return SEGP_FAIL("%s: key '%s%s' is missing or not a number", path, where, key);
    *v = it->valuedouble;
    return 0;
}

int analytics_read_summary(const char *task_dir, analytics_summary *sum) {
    char path[4200];
    snprintf(path, sizeof path, "%s/analytics.json", task_dir);
    uint8_t *data = NULL;
    size_t size = 0;
    if (segp_read_file(path, &data, &size) != 0) return -1;
    int rc = analytics_parse_summary((const char *)data, size, path, sum);
    free(data);
    return rc;
}

int analytics_parse_summary(const char *text, size_t n, const char *path,
                            analytics_summary *sum) {
    cJSON *root = cJSON_ParseWithLength(text, n);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return SEGP_FAIL("%s: not a JSON object", path);
    }
    analytics_summary s;
    summary_nan(&s);
    int rc = 0;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "drift");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(root, "geometry");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "projection");
    if (!cJSON_IsObject(d) || !cJSON_IsObject(g) || !cJSON_IsObject(p)) {
        rc = SEGP_FAIL("%s: keys 'drift', 'geometry' and 'projection' must be objects", path);
        goto done;
    }
    struct {
        const char *key;
        double *v;
    } dk[] = {{"mean", &s.drift_mean}, {"boundary", &s.drift_boundary}, {"core", &s.drift_core},
              {"boundary_core_ratio", &s.boundary_core_ratio}, {"old", &s.drift_old},
              {"new", &s.drift_new}};
    for (size_t i = 0; rc == 0 && i < sizeof dk / sizeof dk[0]; i++)
        rc = get_num(d, dk[i].key, path, "drift.", dk[i].v);
    for (int i = 0; rc == 0 && i < 6; i++) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(g, geom_keys[i]);
        char where[64];
        snprintf(where, sizeof where, "geometry.%s.", geom_keys[i]);
        geom_compare *f = geom_field(&s, i);
        rc = get_num(c, "mean_abs_diff", path, where, &f->mean_abs_diff);
        if (rc == 0) rc = get_num(c, "pearson", path, where, &f->pearson);
        if (rc == 0) rc = get_num(c, "cka", path, where, &f->cka);
    }
    if (rc != 0) goto done;
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(p, "pca_explained");
    if (!cJSON_IsArray(ex) || cJSON_GetArraySize(ex) != 2) {
        rc = SEGP_FAIL("%s: key 'projection.pca_explained' is not an array of 2", path);
        goto done;
    }
    for (int i = 0; i < 2; i++) {
        const cJSON *it = cJSON_GetArrayItem(ex, i);
        if (cJSON_IsNull(it)) continue;
        if (!cJSON_IsNumber(it)) {
            rc = SEGP_FAIL("%s: key 'projection.pca_explained' entry %d is not a number", path, i);
            goto done;
        }
        s.pca_explained[i] = it->valuedouble;
    }
    double np = 0;
    rc = get_num(p, "tsne_kl", path, "projection.", &s.tsne_kl);
    if (rc == 0) rc = get_num(p, "n_points", path, "projection.", &np);
    if (rc == 0 && !(np >= 0 && np <= 1e9 && np == floor(np)))
        rc = SEGP_FAIL("%s: key 'projection.n_points' is %g (expected a count)", path, np);
    s.n_points = rc == 0 ? (int)np : 0;
done:
    cJSON_Delete(root);
    if (rc == 0) *sum = s;
    return rc;
}
