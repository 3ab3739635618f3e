/* config.c: JSON configs against a field table (cJSON). */
#include "config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const cfg_field *find_field(const cfg_field *f, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i].key, key)) return &f[i];
    return NULL;
}

static int has_prefix_group(const cfg_field *f, int n, const char *prefix) {
    size_t k = strlen(prefix);
    for (int i = 0; i < n; i++)
        if (!strncmp(f[i].key, prefix, k) && f[i].key[k] == '.') return 1;
    return 0;
}

/* A number of key FD as a message or the help shows it: an integer key's in full (%g wrote
 * 2^53 and 2^53 + 2 both as 9.0072e+15, and 2^32 - 1 as 4.29497e+09), a float key's as %g. */
static void format_number(char *buf, size_t size, const cfg_field *fd, double x) {
    if (fd->type != CFG_FLOAT && fabs(x) < 1e18) snprintf(buf, size, "%.0f", x);
    else snprintf(buf, size, "%g", x);
}

static int set_value(const char *what, const cfg_field *fd, const cJSON *v, void *dst) {
    char *p = (char *)dst + fd->offset;
    switch (fd->type) {
    case CFG_INT:
    case CFG_U64:
    case CFG_FLOAT: {
        if (!cJSON_IsNumber(v))
            return SEGP_FAIL("%s: key '%s' must be a number", what, fd->key);
        double d = v->valuedouble;
        if (fd->type != CFG_FLOAT && d != floor(d))
            return SEGP_FAIL("%s: key '%s' must be an integer, got %g", what, fd->key, d);
        /* a float key is judged as the float it is stored as, against its float bounds, so
         * that a value written back out (%.9g) reads back in range */
        int f32 = fd->type == CFG_FLOAT;
        double x = f32 ? (double)(float)d : d, lo = f32 ? (double)(float)fd->min : fd->min,
               hi = f32 ? (double)(float)fd->max : fd->max;
        if (!(x >= lo && x <= hi)) {
            /* a bound at +-1e30 is none (as in cfg_doc): the other one is the range */
            char val[32], min[32], max[32], range[80];
            format_number(val, sizeof val, fd, d);
            format_number(min, sizeof min, fd, fd->min);
            format_number(max, sizeof max, fd, fd->max);
            if (fd->min <= -1e30) snprintf(range, sizeof range, "<= %s", max);
            else if (fd->max >= 1e30) snprintf(range, sizeof range, ">= %s", min);
            else snprintf(range, sizeof range, "%s to %s", min, max);
            return SEGP_FAIL("%s: key '%s' = %s is out of range (expected %s)", what, fd->key,
                             val, range);
        }
        if (fd->type == CFG_INT) *(int *)p = (int)d;
        else if (fd->type == CFG_U64) *(uint64_t *)p = (uint64_t)d;
        else *(float *)p = (float)d;
        return 0;
    }
    case CFG_BOOL:
        if (!cJSON_IsBool(v)) return SEGP_FAIL("%s: key '%s' must be true or false", what, fd->key);
        *(int *)p = cJSON_IsTrue(v);
        return 0;
    case CFG_STRING:
        if (!cJSON_IsString(v)) return SEGP_FAIL("%s: key '%s' must be a string", what, fd->key);
        if (strlen(v->valuestring) >= fd->str_size)
            return SEGP_FAIL("%s: key '%s' is too long (at most %zu characters)", what, fd->key,
                             fd->str_size - 1);
        snprintf(p, fd->str_size, "%s", v->valuestring);
        return 0;
    }
    return SEGP_FAIL("%s: key '%s' has an unknown type", what, fd->key);
}

/* SEEN[i] marks field i as set: a key given twice (JSON allows it; cJSON keeps both) is
 * refused rather than the last one silently winning, also when spelt once as "a": {"b": ..}
 * and once as "a.b", or once by each of two keys that name one field. A group may come twice
 * with different keys ("a": {"b": ..}, "a": {"c": ..}): nothing is ambiguous there. */
static int walk(const char *what, const cJSON *obj, const char *prefix, const cfg_field *f,
                int n, void *dst, unsigned char *seen) {
    for (const cJSON *it = obj->child; it; it = it->next) {
        char key[256];
        if (prefix[0]) snprintf(key, sizeof key, "%s.%s", prefix, it->string);
        else snprintf(key, sizeof key, "%s", it->string);
        const cfg_field *fd = find_field(f, n, key);
        if (fd) {
            if (seen[fd - f]) return SEGP_FAIL("%s: key '%s' is given twice", what, key);
            /* two names of one setting (finetune's world.* for benchmark.*): both given, one
             * would silently win */
            for (int j = 0; j < n; j++)
                if (seen[j] && f[j].offset == fd->offset)
                    return SEGP_FAIL("%s: keys '%s' and '%s' name the same setting; give one",
                                     what, f[j].key, key);
            seen[fd - f] = 1;
            if (set_value(what, fd, it, dst) != 0) return -1;
        } else if (cJSON_IsObject(it) && has_prefix_group(f, n, key)) {
            if (walk(what, it, key, f, n, dst, seen) != 0) return -1;
        } else {
            return SEGP_FAIL("%s: unknown key '%s' (the command's --help lists every key)", what,
                             key);
        }
    }
    return 0;
}

int cfg_parse_string(const char *json, const char *what, const cfg_field *fields, int n_fields,
                     void *dst) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
    if (!root) {
        size_t off = end ? (size_t)(end - json) : 0;
        return SEGP_FAIL("%s: not valid JSON (near byte %zu)", what, off);
    }
    int rc = 0;
    if (!cJSON_IsObject(root)) rc = SEGP_FAIL("%s: expected a JSON object at the top", what);
    else {
        unsigned char *seen = segp_calloc((size_t)n_fields + 1, 1);
        rc = walk(what, root, "", fields, n_fields, dst, seen);
        free(seen);
    }
    cJSON_Delete(root);
    return rc;
}

int cfg_read_file(const char *path, uint8_t **data, size_t *size) {
    if (segp_read_file(path, data, size) != 0) return -1;
    const uint8_t *nul = memchr(*data, 0, *size);
    if (!nul) return 0;
    size_t off = (size_t)(nul - *data);
    free(*data);
    *data = NULL;
    return SEGP_FAIL("%s: a NUL byte at offset %zu of %zu (expected JSON text; a binary file, "
                     "or one cut or padded by a crash?)", path, off, *size);
}

int cfg_parse_file(const char *path, const cfg_field *fields, int n_fields, void *dst) {
    uint8_t *data;
    size_t size;
    if (cfg_read_file(path, &data, &size) != 0) return -1;
    int rc = cfg_parse_string((const char *)data, path, fields, n_fields, dst);
    free(data);
    return rc;
}

int cfg_parse_file_record(const char *path, const char *marker, const char *const *record,
                          int n_record, const cfg_field *fields, int n_fields, void *dst) {
    uint8_t *data;
    size_t size;
    if (cfg_read_file(path, &data, &size) != 0) return -1;
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    int rc;
    if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, marker)) {
        for (int k = 0; k < n_record; k++) cJSON_DeleteItemFromObjectCaseSensitive(root, record[k]);
        char *rest = cJSON_PrintUnformatted(root);
        rc = cfg_parse_string(rest, path, fields, n_fields, dst);
        free(rest);
    } else {
        rc = cfg_parse_string((const char *)data, path, fields, n_fields, dst); /* errors: where */
    }
    cJSON_Delete(root);
    free(data);
    return rc;
}

static cJSON *group(cJSON *root, const char *key, const char **leaf) {
    cJSON *cur = root;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", key);
    char *s = buf, *dot;
    while ((dot = strchr(s, '.'))) {
        *dot = 0;
        cJSON *g = cJSON_GetObjectItemCaseSensitive(cur, s);
        if (!g) g = cJSON_AddObjectToObject(cur, s);
        cur = g;
        s = dot + 1;
    }
    *leaf = key + (s - buf);
    return cur;
}

/* 1 when field I is a second name of an earlier field's setting (finetune's benchmark.* keys
 * after their world.* names): the writer gives each setting once, since the reader refuses a
 * setting named twice. */
static int names_an_earlier_field(const cfg_field *fields, int i) {
    for (int j = 0; j < i; j++)
        if (fields[j].offset == fields[i].offset) return 1;
    return 0;
}

char *cfg_to_json(const cfg_field *fields, int n_fields, const void *src, const char *extra) {
    cJSON *root = cJSON_CreateObject();
    for (int i = 0; i < n_fields; i++) {
        const cfg_field *fd = &fields[i];
        if (names_an_earlier_field(fields, i)) continue;
        const char *leaf;
        cJSON *g = group(root, fd->key, &leaf);
        const char *p = (const char *)src + fd->offset;
        switch (fd->type) {
        case CFG_INT: cJSON_AddNumberToObject(g, leaf, *(const int *)p); break;
        case CFG_U64: {
            /* as digits: cJSON prints a number with 15 significant digits when that reads back
             * within its tolerance, which from 2^52 up is another integer (a seed of 2^53 - 1
             * was written as 9.00719925474099e+15, which resume read as 2^53 - 2) */
            char num[32];
            snprintf(num, sizeof num, "%llu", (unsigned long long)*(const uint64_t *)p);
            cJSON_AddRawToObject(g, leaf, num);
            break;
        }
        case CFG_FLOAT: {
            char num[32];
            snprintf(num, sizeof num, "%.9g", (double)*(const float *)p);
            cJSON_AddRawToObject(g, leaf, num); /* shortest text that round-trips the float */
            break;
        }
        case CFG_BOOL: cJSON_AddBoolToObject(g, leaf, *(const int *)p); break;
        case CFG_STRING: cJSON_AddStringToObject(g, leaf, p); break;
        }
    }
    if (extra) {
        cJSON *ex = cJSON_Parse(extra);
        if (ex) {
            for (cJSON *it = ex->child; it;) {
                cJSON *next = it->next;
                cJSON_AddItemToObject(root, it->string, cJSON_DetachItemViaPointer(ex, it));
                it = next;
            }
            cJSON_Delete(ex);
        }
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

char *cfg_doc(const cfg_field *fields, int n_fields, const void *src) {
    size_t cap = 4096, len = 0;
    char *out = segp_malloc(cap);
    out[0] = 0;
    for (int i = 0; i < n_fields; i++) {
        const cfg_field *fd = &fields[i];
        const char *p = (const char *)src + fd->offset;
        char def[160], range[96] = "";
        switch (fd->type) {
        case CFG_INT: snprintf(def, sizeof def, "%d", *(const int *)p); break;
        case CFG_U64:
            snprintf(def, sizeof def, "%llu", (unsigned long long)*(const uint64_t *)p);
            break;
        case CFG_FLOAT: snprintf(def, sizeof def, "%g", (double)*(const float *)p); break;
        case CFG_BOOL: snprintf(def, sizeof def, "%s", *(const int *)p ? "true" : "false"); break;
        case CFG_STRING: snprintf(def, sizeof def, "\"%s\"", p); break;
        }
        /* a bound at +-1e30 means "none here" (the key's check says what holds: > 0, ...) */
        int has_lo = fd->min > -1e30, has_hi = fd->max < 1e30;
        if (fd->type == CFG_INT || fd->type == CFG_FLOAT || fd->type == CFG_U64) {
            char lo[32], hi[32];
            format_number(lo, sizeof lo, fd, fd->min);
            format_number(hi, sizeof hi, fd, fd->max);
            if (has_lo && has_hi) snprintf(range, sizeof range, " [%s..%s]", lo, hi);
            else if (has_lo) snprintf(range, sizeof range, " [>= %s]", lo);
            else if (has_hi) snprintf(range, sizeof range, " [<= %s]", hi);
        }
        char line[768];
        int k = snprintf(line, sizeof line, "  %-26s %s (default %s%s)\n", fd->key, fd->doc, def,
                         range);
        if (k < 0) continue;
        while (len + (size_t)k + 1 > cap) out = segp_realloc(out, cap *= 2);
        memcpy(out + len, line, (size_t)k + 1);
        len += (size_t)k;
    }
    return out;
}

int cfg_fields_append(cfg_field *dst, int n, const cfg_field *src, int n_src, size_t base) {
    for (int i = 0; i < n_src; i++) {
        dst[n + i] = src[i];
        dst[n + i].offset += base;
    }
    return n + n_src;
}
