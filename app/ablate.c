/* ablate.c: `segp ablate`'s variants, cells and run-directory classification (ablate.h; the
 * table is app/ablate_table.c).
 * Nothing here trains; app/cmd_ablate.c runs the cells. */
#include "ablate.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cl/methods.h"
#include "cl/runner.h"
#include "core/common.h"
#include "train/train_options.h"

/* ---- variants and cells ---- */

static const ablate_variant variants[ABL_VARIANTS] = {
    {"zeroshot", "method \"zeroshot\" (no training)", ""},
    {"finetune", "method \"finetune\" (sequential LoRA-B fine-tuning)", ""},
    {"acgd",
     "method \"segp\", tsgr.lambda 0, prototypes.transfer false, inference.beta 0, "
     "anchors.source \"pgd\"",
     "acgd.lambda > 0"},
    {"tsgr", "method \"segp\", prototypes.transfer false, inference.beta 0, anchors.source \"pgd\"",
     "acgd.lambda > 0, tsgr.lambda > 0"},
    {"segp", "method \"segp\", anchors.source \"pgd\" (every other key as CONFIG)",
     "acgd.lambda > 0, tsgr.lambda > 0, prototypes.transfer true, inference.beta > 0"},
    {"new_task", "as \"acgd\" with anchors.source \"new_task\"", "acgd.lambda > 0"},
    {"seeds", "as \"acgd\" with anchors.source \"seeds\" (no PGD steps)", "acgd.lambda > 0"},
};

const ablate_variant *ablate_variant_at(int v) {
    return v >= 0 && v < ABL_VARIANTS ? &variants[v] : NULL;
}

int ablate_variant_find(const char *name) {
    for (int v = 0; v < ABL_VARIANTS; v++)
        if (!strcmp(variants[v].name, name)) return v;
    return -1;
}

static int is_segp_variant(int v) { return v >= ABL_ACGD && v <= ABL_SEEDS; }

int ablate_variant_check(const cl_config *base, int v) {
    const char *name = variants[v].name;
    if (!is_segp_variant(v)) return 0;
    const segp_options *s = &base->segp;
    if (!(s->lambda_acgd > 0))
        return SEGP_FAIL("key 'acgd.lambda' is %g: the \"%s\" variant distils with ACGD, so it "
                         "needs acgd.lambda > 0 (or leave the variant out with --variants)",
                         (double)s->lambda_acgd, name);
    if ((v == ABL_TSGR || v == ABL_SEGP) && !(s->lambda_gr > 0))
        return SEGP_FAIL("key 'tsgr.lambda' is %g: the \"%s\" variant keeps TSGR from CONFIG, so "
                         "it needs tsgr.lambda > 0 (or leave the variant out with --variants)",
                         (double)s->lambda_gr, name);
    if (v == ABL_SEGP && !s->transfer)
        return SEGP_FAIL("key 'prototypes.transfer' is false: the \"segp\" variant (the "
                         "+prototype transfer row) needs it true (or leave the variant out with "
                         "--variants)");
    if (v == ABL_SEGP && !(s->beta > 0))
        return SEGP_FAIL("key 'inference.beta' is %g: the \"segp\" variant (the +visual branch "
                         "row) needs inference.beta > 0 (or leave the variant out with "
                         "--variants)", (double)s->beta);
    return 0;
}

void ablate_derive(const cl_config *base, int v, int seed_index, cl_config *out) {
    *out = *base;
    out->seed = base->seed + (uint64_t)seed_index;
    segp_options *s = &out->segp;
    const char *method = v == ABL_ZEROSHOT ? "zeroshot" : v == ABL_FINETUNE ? "finetune" : "segp";
    snprintf(out->method, sizeof out->method, "%s", method);
    if (!is_segp_variant(v)) return;
    const char *source = v == ABL_NEW_TASK ? "new_task" : v == ABL_SEEDS ? "seeds" : "pgd";
    snprintf(s->anchors, sizeof s->anchors, "%s", source);
    if (v == ABL_SEGP) return;
    s->transfer = 0;
    s->beta = 0;
    if (v != ABL_TSGR) s->lambda_gr = 0;
}

int ablate_plan_init(ablate_plan *p, const char *list, int seeds) {
    memset(p, 0, sizeof *p);
    p->seeds = seeds;
    int on[ABL_VARIANTS] = {0};
    if (!list) {
        for (int v = 0; v < ABL_VARIANTS; v++) on[v] = 1;
    } else {
        /* by hand, not strtok: "segp,,acgd" and a trailing comma are typos to name */
        for (const char *q = list;;) {
            const char *e = strchr(q, ',');
            size_t len = e ? (size_t)(e - q) : strlen(q);
            if (len == 0)
                return SEGP_FAIL("--variants '%s': an empty name (expected names separated by "
                                 "single commas, e.g. finetune,segp)", list);
            char t[64];
            snprintf(t, sizeof t, "%.*s", (int)(len < sizeof t ? len : sizeof t - 1), q);
            q = e ? e + 1 : NULL;
            int v = len < sizeof t ? ablate_variant_find(t) : -1;
            if (v < 0) {
                char names[160] = "";
                for (int k = 0; k < ABL_VARIANTS; k++) {
                    size_t m = strlen(names);
                    snprintf(names + m, sizeof names - m, "%s%s", k ? ", " : "", variants[k].name);
                }
                return SEGP_FAIL("--variants: unknown variant '%s' (expected some of %s)", t,
                                 names);
            }
            if (on[v]) return SEGP_FAIL("--variants: '%s' is named twice", t);
            on[v] = 1;
            if (!q) break;
        }
    }
    for (int v = 0; v < ABL_VARIANTS; v++)
        if (on[v]) p->variant[p->n_variants++] = v;
    if (!p->n_variants) return SEGP_FAIL("--variants: no variant named");
    return 0;
}

void ablate_plan_variants(const ablate_plan *p, char *buf, size_t n) {
    buf[0] = 0;
    for (int i = 0; i < p->n_variants; i++) {
        size_t m = strlen(buf);
        snprintf(buf + m, n - m, "%s%s", i ? "," : "", variants[p->variant[i]].name);
    }
}

int ablate_num_cells(const ablate_plan *p) { return p->n_variants * p->seeds; }

void ablate_cell_at(const ablate_plan *p, int cell, int *variant, int *seed_index) {
    *variant = p->variant[cell % p->n_variants];
    *seed_index = cell / p->n_variants;
}

void ablate_cell_dir(const char *out, int variant, uint64_t seed, char *buf, size_t n) {
    snprintf(buf, n, "%s/%s-s%llu", out, variants[variant].name, (unsigned long long)seed);
}

/* A field's value as text, for messages (floats with every digit when EXACT). */
static void field_text(const cfg_field *f, const void *src, char *buf, size_t n, int exact) {
    const char *p = (const char *)src + f->offset;
    switch (f->type) {
    case CFG_INT: snprintf(buf, n, "%d", *(const int *)p); break;
    case CFG_U64: snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case CFG_FLOAT: snprintf(buf, n, exact ? "%.9g" : "%g", (double)*(const float *)p); break;
    case CFG_BOOL: snprintf(buf, n, "%s", *(const int *)p ? "true" : "false"); break;
    case CFG_STRING: snprintf(buf, n, "\"%s\"", p); break;
    }
}

/* Whether field F holds the same value in A and B. */
static int field_equal(const cfg_field *f, const void *a, const void *b) {
    const char *x = (const char *)a + f->offset, *y = (const char *)b + f->offset;
    switch (f->type) {
    case CFG_INT:
    case CFG_BOOL: return *(const int *)x == *(const int *)y;
    case CFG_U64: return *(const uint64_t *)x == *(const uint64_t *)y;
    case CFG_FLOAT: return *(const float *)x == *(const float *)y;
    case CFG_STRING: return !strcmp(x, y);
    }
    return 0;
}

/* Whether A and B list the same images: the benchmark (every benchmark.* key) and its tasks
 * (run.max_tasks). */
static int same_images(const cl_config *a, const cl_config *b) {
    int nf;
    const cfg_field *f = cl_config_fields(&nf);
    for (int i = 0; i < nf; i++)
        if ((!strncmp(f[i].key, "benchmark.", 10) || !strcmp(f[i].key, "run.max_tasks")) &&
            !field_equal(&f[i], a, b))
            return 0;
    return 1;
}

unsigned ablate_file_checks(const ablate_plan *p, const cl_config *base) {
    cl_config *c = segp_malloc(ABL_VARIANTS * sizeof *c);
    int splits[ABL_VARIANTS]; /* 2: training and test split; 1: the test split */
    for (int i = 0; i < p->n_variants; i++) {
        ablate_derive(base, p->variant[i], 0, &c[i]);
        const cl_method *m = cl_method_find(c[i].method);
        splits[i] = !m || m->trains ? 2 : 1;
    }
    unsigned mask = 0;
    /* variant i checks when no other of its benchmark reads more splits, or as many and
     * comes first */
    for (int i = 0; i < p->n_variants; i++) {
        int covered = 0;
        for (int j = 0; j < p->n_variants && !covered; j++)
            covered = j != i && (splits[j] > splits[i] || (splits[j] == splits[i] && j < i)) &&
                      same_images(&c[i], &c[j]);
        if (!covered) mask |= 1u << p->variant[i];
    }
    free(c);
    return mask;
}

int ablate_check(const ablate_plan *p, const cl_config *base, const char *config, int full) {
    if ((double)base->seed + p->seeds - 1 > CFG_MAX_EXACT_INT)
        return SEGP_FAIL("%s: key 'seed' = %llu: seed + %d exceeds %.0f", config,
                         (unsigned long long)base->seed, p->seeds - 1, CFG_MAX_EXACT_INT);
    /* the image files once per benchmark: each variant's own check read them all again */
    unsigned files = full ? ablate_file_checks(p, base) : 0;
    for (int i = 0; i < p->n_variants; i++) {
        int v = p->variant[i];
        if (ablate_variant_check(base, v) != 0) return segp_fail_prefix("%s: ", config);
        cl_config c;
        ablate_derive(base, v, 0, &c);
        if ((full ? cl_runner_check(&c, (int)(files >> v & 1))
                  : train_options_check(&c.train) || cl_config_check_segp(&c.segp)) != 0)
            return segp_fail_prefix("%s, variant \"%s\": ", config, variants[v].name);
    }
    return 0;
}

int ablate_config_differs(const char *dir, const cl_config *c, char *why, size_t n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    uint8_t *data;
    size_t size;
    if (cfg_read_file(path, &data, &size) != 0) return -1;
    int nf;
    const cfg_field *f = cl_config_fields(&nf);
    cl_config there = cl_config_default();
    static const char *const record[] = {"resolved"}; /* what that run found: no setting */
    int rc = cfg_parse_text((const char *)data, size, path, record, 1, f, nf, &there);
    free(data);
    if (rc != 0) return -1;
    for (int i = 0; i < nf; i++) {
        if (!field_equal(&f[i], &there, c)) {
            char va[1100], vb[1100];
            field_text(&f[i], &there, va, sizeof va, 0);
            field_text(&f[i], c, vb, sizeof vb, 0);
            if (!strcmp(va, vb)) { /* floats that differ past %g's digits */
                field_text(&f[i], &there, va, sizeof va, 1);
                field_text(&f[i], c, vb, sizeof vb, 1);
            }
            snprintf(why, n, "key '%s' is %s there, %s here", f[i].key, va, vb);
            return 1;
        }
    }
    return 0;
}

/* ---- finished runs ---- */

/* KEY of a config: a dotted top-level key ("tsgr.lambda") or nested objects. */
static const cJSON *get_key(const cJSON *root, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (v) return v;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", key);
    const cJSON *cur = root;
    char *save = NULL;
    for (char *t = strtok_r(buf, ".", &save); t && cur; t = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, t);
    return cur;
}

int ablate_classify(const char *config_json, char *why, size_t n) {
    cJSON *root = cJSON_Parse(config_json);
    int v = -1;
    if (!cJSON_IsObject(root)) {
        snprintf(why, n, "config.json is not a JSON object");
        goto done;
    }
    const cJSON *m = get_key(root, "method");
    if (!cJSON_IsString(m)) {
        snprintf(why, n, "config.json has no \"method\"");
        goto done;
    }
    if (!strcmp(m->valuestring, "zeroshot")) v = ABL_ZEROSHOT;
    else if (!strcmp(m->valuestring, "finetune")) v = ABL_FINETUNE;
    if (v >= 0 || strcmp(m->valuestring, "segp")) {
        if (v < 0) snprintf(why, n, "method \"%s\" is no row of the ablation", m->valuestring);
        goto done;
    }
    static const char *keys[] = {"acgd.lambda", "tsgr.lambda", "inference.beta",
                                 "prototypes.transfer", "anchors.source"};
    const cJSON *k[5];
    for (int i = 0; i < 5; i++) {
        k[i] = get_key(root, keys[i]);
        int ok = i < 3 ? cJSON_IsNumber(k[i]) : i == 3 ? cJSON_IsBool(k[i]) : cJSON_IsString(k[i]);
        if (!ok) {
            snprintf(why, n, "method \"segp\" without a valid '%s'", keys[i]);
            goto done;
        }
    }
    double acgd = k[0]->valuedouble, tsgr = k[1]->valuedouble, beta = k[2]->valuedouble;
    int transfer = cJSON_IsTrue(k[3]);
    const char *src = k[4]->valuestring;
    int pgd = !strcmp(src, "pgd");
    if (!(acgd > 0)) {
        snprintf(why, n, "method \"segp\" with acgd.lambda %g: every SeGP-CL row has ACGD on",
                 acgd);
    } else if (!transfer && beta == 0 && tsgr == 0) {
        v = pgd ? ABL_ACGD : !strcmp(src, "new_task") ? ABL_NEW_TASK
                : !strcmp(src, "seeds")               ? ABL_SEEDS : -1;
        if (v < 0) snprintf(why, n, "anchors.source \"%s\" is no row of the ablation", src);
    } else if (!transfer && beta == 0 && pgd) {
        v = ABL_TSGR;
    } else if (transfer && beta > 0 && tsgr > 0 && pgd) {
        v = ABL_SEGP;
    } else {
        snprintf(why, n, "method \"segp\" with tsgr.lambda %g, prototypes.transfer %s, "
                 "inference.beta %g, anchors.source \"%s\" is no row of the ablation", tsgr,
                 transfer ? "true" : "false", beta, src);
    }
done:
    cJSON_Delete(root);
    return v;
}

static double num_or_nan(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void read_numbers(const cJSON *o, ablate_numbers *x) {
    x->avg = num_or_nan(o, "avg");
    x->last = num_or_nan(o, "last");
    x->forgetting = num_or_nan(o, "forgetting");
    x->bwt = num_or_nan(o, "bwt");
    x->ratio = num_or_nan(o, "boundary_core_ratio");
}

/* The last line of DIR/metrics.jsonl when it is the final {"last": ...} line; NULL with WHY. */
static cJSON *final_line(const char *dir, char *why, size_t n) {
    char path[4400];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    uint8_t *data;
    size_t size;
    if (segp_read_file(path, &data, &size) != 0) {
        snprintf(why, n, "%s", segp_last_error());
        return NULL;
    }
    char *s = (char *)data;
    while (size && (s[size - 1] == '\n' || s[size - 1] == '\r' || s[size - 1] == ' ')) size--;
    s[size] = 0;
    char *line = strrchr(s, '\n');
    line = line ? line + 1 : s;
    cJSON *o = cJSON_Parse(line);
    free(data);
    if (!cJSON_IsObject(o) || !cJSON_GetObjectItemCaseSensitive(o, "last")) {
        cJSON_Delete(o);
        snprintf(why, n, "metrics.jsonl has no final {\"last\": ...} line");
        return NULL;
    }
    return o;
}

/* The keys that place a run in its variant (and the run's own seed and model path) are left
 * out of the comparison between runs; the SeGP-CL keys are compared among "segp" runs only,
 * since the other methods ignore them. */
static int is_variant_key(const char *key) {
    static const char *k[] = {"model", "method", "seed", "anchors.source", "tsgr.lambda",
                              "prototypes.transfer", "inference.beta"};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (!strcmp(key, k[i])) return 1;
    return 0;
}

/* Whether KEY lies in one of the N config groups G ("group." prefixes). */
static int in_groups(const char *key, const char *const *g, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strncmp(key, g[i], strlen(g[i]))) return 1;
    return 0;
}

static int is_segp_key(const char *key) {
    static const char *const g[] = {"anchors.", "acgd.", "tsgr.", "prototypes.", "inference."};
    return in_groups(key, g, sizeof g / sizeof g[0]);
}

/* Keys that only change a run that trains: a zero-shot cell made with another learning rate
 * or LoRA rank gives the same numbers, so it can stand beside the cells of any such study. */
static int is_training_key(const char *key) {
    static const char *const g[] = {"train.", "lora.", "loss.", "augment."};
    return in_groups(key, g, sizeof g / sizeof g[0]);
}

/* Whether KEY is a float config key (compared as the float a run reads, whatever digits its
 * config.json holds). */
static int is_float_key(const char *key) {
    int nf;
    const cfg_field *f = cl_config_fields(&nf);
    for (int i = 0; i < nf; i++)
        if (!strcmp(f[i].key, key)) return f[i].type == CFG_FLOAT;
    return 0;
}

/* ORDER: the run's resolved class order ("latin"), compared instead of benchmark.order, which
 * may be "" (the benchmark's default) in one config and name that default in another. */
static void flatten(const cJSON *o, const char *prefix, const char *order, FILE *shared,
                    FILE *segp, FILE *training) {
    for (const cJSON *it = o->child; it; it = it->next) {
        char key[256];
        if (prefix[0]) snprintf(key, sizeof key, "%s.%s", prefix, it->string);
        else snprintf(key, sizeof key, "%s", it->string);
        if (!prefix[0] && !strcmp(key, "resolved")) {
            const cJSON *sha = cJSON_GetObjectItemCaseSensitive(it, "model_sha256");
            if (cJSON_IsString(sha))
                fprintf(shared, "resolved.model_sha256=%s\n", sha->valuestring);
            continue;
        }
        if (is_variant_key(key)) continue;
        if (cJSON_IsObject(it)) {
            flatten(it, key, order, shared, segp, training);
            continue;
        }
        if (order && !strcmp(key, "benchmark.order")) {
            fprintf(shared, "%s=\"%s\"\n", key, order);
            continue;
        }
        FILE *to = is_segp_key(key) ? segp : is_training_key(key) ? training : shared;
        if (is_float_key(key) && cJSON_IsNumber(it)) {
            /* as the float the run read: earlier builds wrote %.9g (0.00100000005 for 0.001) */
            char num[32];
            fprintf(to, "%s=%s\n", key, segp_float_text((float)it->valuedouble, num, sizeof num));
            continue;
        }
        char *v = cJSON_PrintUnformatted(it);
        fprintf(to, "%s=%s\n", key, v);
        free(v);
    }
}

/* The value of KEY (KL bytes) in a "key=value\n" list, its length in *VL; NULL when absent. */
static const char *lookup(const char *list, const char *key, size_t kl, int *vl) {
    for (const char *l = list; *l;) {
        const char *end = strchr(l, '\n');
        if (!end) break;
        if (!strncmp(l, key, kl) && l[kl] == '=') {
            *vl = (int)(end - l - (ptrdiff_t)kl - 1);
            return l + kl + 1;
        }
        l = end + 1;
    }
    *vl = 8;
    return NULL;
}

/* Whether V (VL bytes, as config.json holds it) is the default of the config key K (KL bytes):
 * a key that a run's config.json lacks, written by a segp older than the key, had its default.
 * The defaults go through the writer of config.json (cfg_to_json) and the same flattening as
 * the runs' lists, so both sides are in one format. */
static int is_default(const char *k, size_t kl, const char *v, int vl) {
    static char *defaults; /* "key=value\n" of every key at its default; made once */
    if (!defaults) {
        int nf;
        const cfg_field *f = cl_config_fields(&nf);
        cl_config d = cl_config_default();
        char *json = cfg_to_json(f, nf, &d, NULL);
        cJSON *root = cJSON_Parse(json);
        free(json);
        size_t n = 0;
        FILE *s = open_memstream(&defaults, &n);
        if (root) flatten(root, "", NULL, s, s, s);
        fclose(s);
        cJSON_Delete(root);
    }
    int dl;
    const char *dv = lookup(defaults, k, kl, &dl);
    return dv && dl == vl && !strncmp(dv, v, (size_t)vl);
}

/* The first key whose value differs between run A's and run B's "key=value\n" lists (or that
 * one lacks, unless the other has its default): 1 with "key 'K' is VA, but VB in B_DIR" in WHY;
 * 0 when they agree. */
static int first_difference(const char *a, const char *b, const char *b_dir, char *why,
                            size_t n) {
    for (int pass = 0; pass < 2; pass++) {
        const char *x = pass ? b : a, *y = pass ? a : b;
        for (const char *l = x; *l;) {
            const char *eq = strchr(l, '='), *end = strchr(l, '\n');
            if (!eq || !end || eq > end) break;
            size_t kl = (size_t)(eq - l);
            int xl = (int)(end - eq - 1), yl;
            const char *yv = lookup(y, l, kl, &yl);
            if (!yv && is_default(l, kl, eq + 1, xl)) {
                l = end + 1;
                continue;
            }
            if (!yv || yl != xl || strncmp(yv, eq + 1, (size_t)xl)) {
                const char *va = pass ? yv : eq + 1, *vb = pass ? eq + 1 : yv;
                int la = pass ? yl : xl, lb = pass ? xl : yl;
                snprintf(why, n, "key '%.*s' is %.*s, but %.*s in %s", (int)kl, l, la,
                         va ? va : "(absent)", lb, vb ? vb : "(absent)", b_dir);
                return 1;
            }
            l = end + 1;
        }
    }
    return 0;
}

/* Whether run R's config differs from REF's in the keys every row shares, from REF_TRAIN's in
 * the training keys (a zero-shot run trains nothing, so it has none to compare) and from
 * REF_SEGP's in SeGP-CL's own keys (SeGP-CL variants only); a reference that is R or NULL is
 * skipped. 1 + the first difference in WHY. */
static int config_difference(const ablate_run *r, const ablate_run *ref,
                             const ablate_run *ref_train, const ablate_run *ref_segp, char *why,
                             size_t n) {
    if (ref && ref != r && first_difference(r->shared, ref->shared, ref->dir, why, n)) return 1;
    if (r->variant == ABL_ZEROSHOT) return 0;
    if (ref_train && ref_train != r && ref_train->variant != ABL_ZEROSHOT &&
        first_difference(r->training, ref_train->training, ref_train->dir, why, n))
        return 1;
    return is_segp_variant(r->variant) && ref_segp && ref_segp != r &&
           is_segp_variant(ref_segp->variant) &&
           first_difference(r->segp_keys, ref_segp->segp_keys, ref_segp->dir, why, n);
}

static void note(FILE *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(FILE *notes, const char *fmt, ...) {
    if (!notes) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(notes, "segp: note: ");
    vfprintf(notes, fmt, ap);
    fprintf(notes, "\n");
    va_end(ap);
}

static int has_file(const char *dir, const char *name) {
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0;
}

/* DIR (a run directory): added to OUT when finished and classified; else a note. */
static void consider(const char *dir, FILE *notes, ablate_runs *out) {
    char why[512];
    if (!has_file(dir, "DONE")) {
        note(notes, "%s: unfinished (no DONE), left out", dir);
        return;
    }
    char path[4400];
    snprintf(path, sizeof path, "%s/config.json", dir);
    uint8_t *data;
    size_t size;
    if (cfg_read_file(path, &data, &size) != 0) {
        note(notes, "%s: %s; left out", dir, segp_last_error());
        return;
    }
    int v = ablate_classify((const char *)data, why, sizeof why);
    cJSON *cfg = cJSON_Parse((const char *)data);
    free(data);
    if (v < 0) {
        note(notes, "%s: %s; left out", dir, why);
        cJSON_Delete(cfg);
        return;
    }
    const cJSON *seed = get_key(cfg, "seed");
    cJSON *fin = NULL;
    if (!cJSON_IsNumber(seed) || seed->valuedouble < 0) {
        note(notes, "%s: config.json has no seed; left out", dir);
    } else if (!(fin = final_line(dir, why, sizeof why))) {
        note(notes, "%s: %s; left out", dir, why);
    } else {
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 16;
            out->run = segp_realloc(out->run, (size_t)out->cap * sizeof *out->run);
        }
        ablate_run *r = &out->run[out->n++];
        memset(r, 0, sizeof *r);
        r->dir = segp_strdup(dir);
        r->variant = v;
        r->seed = (uint64_t)seed->valuedouble;
        read_numbers(fin, &r->main);
        const cJSON *clip = cJSON_GetObjectItemCaseSensitive(fin, "clip_branch");
        if (cJSON_IsObject(clip)) {
            r->has_clip = 1;
            read_numbers(clip, &r->clip);
            if (isnan(r->clip.ratio)) r->clip.ratio = r->main.ratio;
        } else if (v == ABL_SEGP) {
            note(notes, "%s: metrics.jsonl has no \"clip_branch\": the +prototype transfer row "
                 "lacks seed %llu", dir, (unsigned long long)r->seed);
        }
        size_t ns = 0, ng = 0, nt = 0;
        FILE *fs = open_memstream(&r->shared, &ns), *fg = open_memstream(&r->segp_keys, &ng);
        FILE *ft = open_memstream(&r->training, &nt);
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(cfg, "resolved");
        const cJSON *od = cJSON_GetObjectItemCaseSensitive(res, "class_order_desc");
        flatten(cfg, "", cJSON_IsString(od) && od->valuestring[0] ? od->valuestring : NULL, fs,
                fg, ft);
        fclose(fs);
        fclose(fg);
        fclose(ft);
    }
    cJSON_Delete(fin);
    cJSON_Delete(cfg);
}

static int cmp_run(const void *a, const void *b) {
    const ablate_run *x = a, *y = b;
    if (x->variant != y->variant) return x->variant < y->variant ? -1 : 1;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return strcmp(x->dir, y->dir);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_free(ablate_run *r) {
    free(r->dir);
    free(r->shared);
    free(r->segp_keys);
    free(r->training);
}

/* DIR's subdirectories that are run directories (sorted by name); the others noted. */
static int scan_folder(const char *dir, FILE *notes, ablate_runs *out) {
    DIR *d = opendir(dir);
    if (!d) return SEGP_FAIL("%s: %s", dir, strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (n == cap)
            names = segp_realloc(names, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *names);
        names[n++] = segp_strdup(e->d_name);
    }
    closedir(d);
    if (n > 1) qsort(names, (size_t)n, sizeof *names, cmp_str);
    int runs = 0;
    for (int i = 0; i < n; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (has_file(p, "config.json")) {
            consider(p, notes, out);
            runs++;
        } else {
            note(notes, "%s: no config.json (not a run directory), left out", p);
        }
        free(names[i]);
    }
    free(names);
    if (!runs) note(notes, "%s: holds no run directory", dir);
    return 0;
}

int ablate_collect(const char *const *dirs, int n_dirs, FILE *notes, ablate_runs *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n_dirs; i++) {
        struct stat st;
        if (stat(dirs[i], &st) != 0) {
            SEGP_FAIL("%s: %s", dirs[i], strerror(errno));
            goto fail;
        }
        if (!S_ISDIR(st.st_mode)) {
            SEGP_FAIL("%s: not a directory (expected a run directory or a folder of them)",
                      dirs[i]);
            goto fail;
        }
        if (has_file(dirs[i], "config.json")) consider(dirs[i], notes, out);
        else if (scan_folder(dirs[i], notes, out) != 0) goto fail;
    }
    if (out->n > 1) qsort(out->run, (size_t)out->n, sizeof *out->run, cmp_run);
    /* one run per variant and seed (the same folder given twice, or a copy) */
    int k = 0;
    for (int i = 0; i < out->n; i++) {
        ablate_run *r = &out->run[i];
        if (k && out->run[k - 1].variant == r->variant && out->run[k - 1].seed == r->seed) {
            /* the first by folder name stays; another config than its is named */
            const ablate_run *kept = &out->run[k - 1];
            char why[600];
            if (config_difference(r, kept, kept, kept, why, sizeof why))
                note(notes, "%s: the same variant (%s) and seed (%llu) as %s, left out; its "
                     "config differs (%s)", r->dir, variants[r->variant].name,
                     (unsigned long long)r->seed, kept->dir, why);
            else
                note(notes, "%s: the same variant (%s) and seed (%llu) as %s, left out", r->dir,
                     variants[r->variant].name, (unsigned long long)r->seed, kept->dir);
            run_free(r);
            continue;
        }
        out->run[k++] = *r;
    }
    out->n = k;
    /* one config beyond the variants' keys and the seed: each run against the first run,
     * the first that trains, and the first SeGP-CL variant */
    const ablate_run *ref = NULL, *ref_segp = NULL, *ref_train = NULL;
    char why[600];
    for (int i = 0; i < out->n; i++) {
        const ablate_run *r = &out->run[i];
        if (!ref) ref = r;
        if (r->variant != ABL_ZEROSHOT && !ref_train) ref_train = r;
        if (is_segp_variant(r->variant) && !ref_segp) ref_segp = r;
        if (config_difference(r, ref, ref_train, ref_segp, why, sizeof why)) {
            note(notes, "%s: %s: the table mixes configs", r->dir, why);
            out->mixed++;
        }
    }
    return 0;
fail:
    ablate_runs_free(out);
    return -1;
}

int ablate_runs_matched(const ablate_run *a, const ablate_run *b) {
    char why[600];
    return !config_difference(a, b, b, b, why, sizeof why) &&
           !config_difference(b, a, a, a, why, sizeof why);
}

void ablate_runs_free(ablate_runs *r) {
    for (int i = 0; i < r->n; i++) run_free(&r->run[i]);
    free(r->run);
    memset(r, 0, sizeof *r);
}
