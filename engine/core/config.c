/* config.c: JSON configs against a field table (cJSON). */
#include "config.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- the text of a config: numbers as written, and where an error is ---- */

int cfg_is_json_number(const char *s, size_t n) {
    const char *e = s + n;
    if (s < e && *s == '-') s++;
    if (s < e && *s == '0') {
        s++;
    } else if (s < e && *s >= '1' && *s <= '9') {
        while (s < e && *s >= '0' && *s <= '9') s++;
    } else {
        return 0;
    }
    if (s < e && *s == '.') {
        if (!(++s < e && *s >= '0' && *s <= '9')) return 0;
        while (s < e && *s >= '0' && *s <= '9') s++;
    }
    if (s < e && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < e && (*s == '+' || *s == '-')) s++;
        if (!(s < e && *s >= '0' && *s <= '9')) return 0;
        while (s < e && *s >= '0' && *s <= '9') s++;
    }
    return s == e;
}

/* Whether the number text S (N bytes, as cJSON took it: digits, '.', 'e', signs) is an integer,
 * decided on the decimal digits: the double it reads as has lost a fraction from 2^52 up
 * (4503599627370497.5 reads as ...498). */
static int text_is_integer(const char *s, size_t n) {
    const char *e = s + n;
    long frac = 0, zeros = 0, digits = 0; /* fraction digits; trailing zeros of all digits */
    int dot = 0;
    if (s < e && (*s == '-' || *s == '+')) s++;
    for (; s < e && ((*s >= '0' && *s <= '9') || *s == '.'); s++) {
        if (*s == '.') {
            dot = 1;
            continue;
        }
        frac += dot;
        if (*s == '0') {
            zeros++;
        } else {
            zeros = 0;
            digits = 1;
        }
    }
    long exp = 0;
    if (s < e && (*s == 'e' || *s == 'E')) {
        int neg = ++s < e && *s == '-';
        if (s < e && (*s == '-' || *s == '+')) s++;
        for (; s < e && *s >= '0' && *s <= '9'; s++)
            if (exp < 100000000) exp = exp * 10 + (*s - '0');
        if (neg) exp = -exp;
    }
    if (!digits) return 1; /* zero */
    return exp - frac + zeros >= 0;
}

/* The text of each number of one parsed config, paired with its cJSON item: cJSON keeps only
 * the double. */
typedef struct {
    const cJSON **item;
    const char **text;
    int *len;
    int n;
} number_texts;

/* Every number of TEXT (N bytes that cJSON parsed) in document order into T: outside strings a
 * '-' or a digit starts one, which runs over the characters cJSON's reader takes (digits, '.',
 * 'e', 'E', '+', '-'; in a text it accepted, the number ends there). */
static void scan_numbers(const char *text, size_t n, number_texts *t) {
    int cap = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < n && text[i] != '"'; i++)
                if (text[i] == '\\') i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i;
            while (j < n && text[j] && strchr("0123456789.eE+-", text[j])) j++;
            if (t->n == cap) {
                cap = cap ? 2 * cap : 16;
                t->text = segp_realloc(t->text, (size_t)cap * sizeof *t->text);
                t->len = segp_realloc(t->len, (size_t)cap * sizeof *t->len);
            }
            t->text[t->n] = text + i;
            t->len[t->n++] = (int)(j - i);
            i = j - 1;
        }
    }
}

/* The number items under IT (siblings and children) in document order into T->item (room for
 * CAP); returns how many there are. */
static int collect_numbers(const cJSON *it, number_texts *t, int k, int cap) {
    for (; it; it = it->next) {
        if (cJSON_IsNumber(it)) {
            if (k < cap) t->item[k] = it;
            k++;
        }
        if (it->child) k = collect_numbers(it->child, t, k, cap);
    }
    return k;
}

static void number_texts_free(number_texts *t) {
    free(t->item);
    free(t->text);
    free(t->len);
}

/* "line L, column C" of byte OFF of TEXT. */
static void text_position(const char *text, size_t off, char *buf, size_t size) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') line++, col = 1;
        else col++;
    }
    snprintf(buf, size, "line %zu, column %zu", line, col);
}

int cfg_json_strict(const char *text, size_t n, const char *what) {
    char where[64];
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"') {
            for (i++; i < n && text[i] != '"'; i++) {
                c = (unsigned char)text[i];
                if (c < 0x20) {
                    /* cJSON keeps it; JSON (and Python's json) refuses it */
                    text_position(text, i, where, sizeof where);
                    return SEGP_FAIL("%s: control byte 0x%02x inside a string at %s (byte %zu; "
                                     "JSON writes it as an escape such as \\n or \\t)", what, c,
                                     where, i);
                }
                if (c != '\\') continue;
                if (i + 5 < n && !strncmp(text + i + 1, "u0000", 5)) {
                    /* cJSON ends a string at the NUL: the rest of the value would go unread */
                    text_position(text, i, where, sizeof where);
                    return SEGP_FAIL("%s: a \\u0000 (NUL) in a string at %s: segp's text values "
                                     "end at a NUL, so it would cut the value", what, where);
                }
                i++;
            }
        } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            /* cJSON skips every byte up to a space as if it were one */
            text_position(text, i, where, sizeof where);
            return SEGP_FAIL("%s: control byte 0x%02x at %s (byte %zu; JSON allows only space, "
                             "tab, newline and carriage return between values)", what, c, where,
                             i);
        }
    }
    return 0;
}

/* What a JSON writer's habit at the error (byte *OFF) was, when it is a common one ("" else);
 * *OFF then moves to its cause where cJSON stopped past it. */
static const char *syntax_hint(const char *text, size_t n, size_t *off) {
    static const struct { const char *at, *hint; } hints[] = {
        {"NaN", " (JSON has no NaN or Infinity: give a number)"},
        {"nan", " (JSON has no NaN or Infinity: give a number)"},
        {"Infinity", " (JSON has no NaN or Infinity: give a number)"},
        {"-Infinity", " (JSON has no NaN or Infinity: give a number)"},
        {"inf", " (JSON has no NaN or Infinity: give a number)"},
        {"-inf", " (JSON has no NaN or Infinity: give a number)"},
        {"//", " (JSON has no comments)"},
        {"/*", " (JSON has no comments)"},
        {"#", " (JSON has no comments)"},
    };
    size_t o = *off < n ? *off : n;
    for (size_t k = 0; k < sizeof hints / sizeof hints[0]; k++) {
        size_t l = strlen(hints[k].at);
        if (o + l <= n && !strncmp(text + o, hints[k].at, l)) return hints[k].hint;
    }
    /* cJSON stops one past a single quote */
    if (o > 0 && text[o - 1] == '\'') {
        *off = o - 1;
        return " (JSON strings take double quotes)";
    }
    if (o < n && text[o] == '\'') return " (JSON strings take double quotes)";
    /* a comma that closes nothing (",}" or ",]"): cJSON stops at the bracket or past it,
     * which may be the next bracket (",}}" stopped at the second) */
    for (int past = 0; past < 2; past++) {
        size_t b = o;
        if (past || !(b < n && (text[b] == '}' || text[b] == ']'))) {
            while (b > 0 && (unsigned char)text[b - 1] <= ' ') b--;
            if (!(b > 0 && (text[b - 1] == '}' || text[b - 1] == ']'))) continue;
            b--;
        }
        while (b > 0 && (unsigned char)text[b - 1] <= ' ') b--;
        if (!(b > 0 && text[b - 1] == ',')) continue;
        *off = b - 1;
        return " (a comma before a closing bracket: JSON allows none)";
    }
    return "";
}

/* ---- one config against a table ---- */

typedef struct {
    const char *what; /* the file, or "--set KEY=VALUE" */
    const char *const *skip; /* top-level members that are a record, not settings */
    int n_skip;
    number_texts num;
    unsigned char *seen; /* field i set (walk) */
} parse_ctx;

/* The text of number item V as written, in *LEN bytes (V is one of the parsed tree's). */
static const char *number_text(const parse_ctx *p, const cJSON *v, int *len) {
    for (int k = 0; k < p->num.n; k++)
        if (p->num.item[k] == v) {
            *len = p->num.len[k];
            return p->num.text[k];
        }
    SEGP_CHECK(0, "every number of a parsed config has its text");
    return NULL;
}

/* A value that has the wrong type, for the message: "the string \"5\"", "null", "an object". */
static void describe(const parse_ctx *p, const cJSON *v, char *buf, size_t size) {
    if (cJSON_IsString(v)) {
        size_t l = strlen(v->valuestring);
        snprintf(buf, size, "the string \"%.40s%s\"", v->valuestring, l > 40 ? "..." : "");
    } else if (cJSON_IsNumber(v)) {
        int len;
        const char *t = number_text(p, v, &len);
        snprintf(buf, size, "%.*s", len, t);
    } else {
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false"
                                  : cJSON_IsNull(v) ? "null" : cJSON_IsArray(v) ? "an array"
                                                                                : "an object");
    }
}

static int set_value(const parse_ctx *ctx, const cfg_field *fd, const cJSON *v, void *dst) {
    const char *what = ctx->what;
    char *p = (char *)dst + fd->offset;
    char got[80];
    describe(ctx, v, got, sizeof got);
    switch (fd->type) {
    case CFG_INT:
    case CFG_U64:
    case CFG_FLOAT: {
        if (!cJSON_IsNumber(v))
            return SEGP_FAIL("%s: key '%s' must be a number, got %s", what, fd->key, got);
        int len;
        const char *text = number_text(ctx, v, &len);
        /* cJSON also reads 01, 1. and -.5, which --set refuses: one syntax for both */
        if (!cfg_is_json_number(text, (size_t)len))
            return SEGP_FAIL("%s: key '%s' = %.*s is not a JSON number (no leading zeros, a "
                             "digit on each side of '.': e.g. 1, 0.5, 2e-3)", what, fd->key, len,
                             text);
        double d = v->valuedouble;
        /* judged on the text: from 2^52 up the double has already lost the fraction */
        if (fd->type != CFG_FLOAT && !text_is_integer(text, (size_t)len))
            return SEGP_FAIL("%s: key '%s' must be an integer, got %.*s", what, fd->key, len,
                             text);
        /* a float key is judged as the float it is stored as, against its float bounds, so
         * that a value written back out reads back in range */
        int f32 = fd->type == CFG_FLOAT;
        double x = f32 ? (double)(float)d : d, lo = f32 ? (double)(float)fd->min : fd->min,
               hi = f32 ? (double)(float)fd->max : fd->max;
        if (!(x >= lo && x <= hi)) {
            /* a bound at +-1e30 is none (as in cfg_doc): the other one is the range */
            char min[32], max[32], range[80];
            format_number(min, sizeof min, fd, fd->min);
            format_number(max, sizeof max, fd, fd->max);
            if (fd->min <= -1e30) snprintf(range, sizeof range, "<= %s", max);
            else if (fd->max >= 1e30) snprintf(range, sizeof range, ">= %s", min);
            else snprintf(range, sizeof range, "%s to %s", min, max);
            return SEGP_FAIL("%s: key '%s' = %.*s is out of range (expected %s)", what, fd->key,
                             len, text, range);
        }
        if (f32 && x == 0 && d != 0) /* 1e-50 ran as 0 */
            return SEGP_FAIL("%s: key '%s' = %.*s is too small for a 32-bit float (it would be "
                             "0; the smallest is about 1.4e-45)", what, fd->key, len, text);
        if (fd->type == CFG_INT) *(int *)p = (int)d;
        else if (fd->type == CFG_U64) *(uint64_t *)p = (uint64_t)d;
        else *(float *)p = (float)d;
        return 0;
    }
    case CFG_BOOL:
        if (!cJSON_IsBool(v))
            return SEGP_FAIL("%s: key '%s' must be true or false, got %s", what, fd->key, got);
        *(int *)p = cJSON_IsTrue(v);
        return 0;
    case CFG_STRING:
        if (!cJSON_IsString(v))
            return SEGP_FAIL("%s: key '%s' must be a string, got %s", what, fd->key, got);
        if (strlen(v->valuestring) >= fd->str_size)
            return SEGP_FAIL("%s: key '%s' is too long: %zu characters (at most %zu)", what,
                             fd->key, strlen(v->valuestring), fd->str_size - 1);
        snprintf(p, fd->str_size, "%s", v->valuestring);
        return 0;
    }
    return SEGP_FAIL("%s: key '%s' has an unknown type", what, fd->key);
}

/* Edit distance of A and B (letters compared without case), at most 64 characters each. */
static int edit_distance(const char *a, const char *b) {
    size_t m = strlen(a), n = strlen(b);
    int row[65];
    for (size_t j = 0; j <= n; j++) row[j] = (int)j;
    for (size_t i = 1; i <= m; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= n; j++) {
            int up = row[j];
            int sub = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            int best = sub < up + 1 ? sub : up + 1;
            row[j] = best < row[j - 1] + 1 ? best : row[j - 1] + 1;
            diag = up;
        }
    }
    return row[n];
}

static const char *leaf_of(const char *key) {
    const char *dot = strrchr(key, '.');
    return dot ? dot + 1 : key;
}

void cfg_suggest(const cfg_field *f, int n, const char *key, char *buf, size_t size) {
    buf[0] = 0;
    if (strlen(key) > 64) return;
    int score[512], best = 1 << 20;
    /* near in spelling, or the same last part in another group ("lr" for "train.lr") */
    int limit = (int)strlen(key) / 4 > 1 ? (int)strlen(key) / 4 : 1;
    for (int i = 0; i < n && i < 512; i++) {
        int d = strlen(f[i].key) <= 64 ? edit_distance(key, f[i].key) : 1 << 20;
        if (!strcasecmp(leaf_of(key), leaf_of(f[i].key)) && d > 1) d = 1;
        score[i] = d <= limit ? d : 1 << 20;
        if (score[i] < best) best = score[i];
    }
    if (best == 1 << 20) return;
    int shown = 0;
    size_t len = 0;
    for (int i = 0; i < n && i < 512 && shown < 3; i++) {
        if (score[i] != best) continue;
        int k = snprintf(buf + len, size - len, "%s'%s'", shown ? " or " : ": did you mean ",
                         f[i].key);
        if (k < 0 || (size_t)k >= size - len) break;
        len += (size_t)k;
        shown++;
    }
    if (shown) snprintf(buf + len, size - len, "?");
}

static int is_skipped(const parse_ctx *p, const char *key) {
    for (int k = 0; k < p->n_skip; k++)
        if (!strcmp(p->skip[k], key)) return 1;
    return 0;
}

/* SEEN[i] marks field i as set: a key given twice (JSON allows it; cJSON keeps both) is
 * refused rather than the last one silently winning, also when spelt once as "a": {"b": ..}
 * and once as "a.b", or once by each of two keys that name one field. A group may come twice
 * with different keys ("a": {"b": ..}, "a": {"c": ..}): nothing is ambiguous there. */
static int walk(parse_ctx *ctx, const cJSON *obj, const char *prefix, const cfg_field *f, int n,
                void *dst) {
    const char *what = ctx->what;
    for (const cJSON *it = obj->child; it; it = it->next) {
        if (!prefix[0] && is_skipped(ctx, it->string)) continue;
        char key[256];
        int kl = prefix[0] ? snprintf(key, sizeof key, "%s.%s", prefix, it->string)
                           : snprintf(key, sizeof key, "%s", it->string);
        if (kl < 0 || (size_t)kl >= sizeof key) /* no key of a table is that long */
            return SEGP_FAIL("%s: unknown key '%.60s...' (%d characters; the command's --help "
                             "lists every key)", what, key, kl);
        const cfg_field *fd = find_field(f, n, key);
        if (fd) {
            if (ctx->seen[fd - f]) return SEGP_FAIL("%s: key '%s' is given twice", what, key);
            /* two names of one setting (finetune's world.* for benchmark.*): both given, one
             * would silently win */
            for (int j = 0; j < n; j++)
                if (ctx->seen[j] && f[j].offset == fd->offset)
                    return SEGP_FAIL("%s: keys '%s' and '%s' name the same setting; give one",
                                     what, f[j].key, key);
            ctx->seen[fd - f] = 1;
            if (set_value(ctx, fd, it, dst) != 0) return -1;
        } else if (has_prefix_group(f, n, key)) {
            if (!cJSON_IsObject(it)) {
                char got[80];
                describe(ctx, it, got, sizeof got);
                return SEGP_FAIL("%s: key '%s' must be an object of %s.* keys (or give them "
                                 "dotted: \"%s.KEY\"), got %s", what, key, key, key, got);
            }
            if (walk(ctx, it, key, f, n, dst) != 0) return -1;
        } else {
            char hint[200];
            cfg_suggest(f, n, key, hint, sizeof hint);
            return SEGP_FAIL("%s: unknown key '%s'%s (the command's --help lists every key)",
                             what, key, hint);
        }
    }
    return 0;
}

int cfg_parse_text(const char *text, size_t n, const char *what, const char *const *skip,
                   int n_skip, const cfg_field *fields, int n_fields, void *dst) {
    size_t start = n >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0; /* cJSON passes a BOM */
    while (start < n && (unsigned char)text[start] <= ' ') start++;
    if (start == n)
        return SEGP_FAIL("%s: empty (expected a JSON object of config keys, e.g. {\"seed\": 2})",
                         what);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    char where[64];
    if (!root) {
        size_t off = end && end >= text && end <= text + n ? (size_t)(end - text) : 0;
        const char *hint = syntax_hint(text, n, &off);
        text_position(text, off, where, sizeof where);
        return SEGP_FAIL("%s: not valid JSON near %s (byte %zu)%s", what, where, off, hint);
    }
    size_t after = (size_t)(end - text);
    while (after < n && (unsigned char)text[after] <= ' ') after++;
    int rc = 0;
    if (after < n) {
        text_position(text, after, where, sizeof where);
        rc = SEGP_FAIL("%s: text after the end of the JSON value, at %s (byte %zu; expected one "
                       "object)", what, where, after);
    }
    parse_ctx ctx = {what, skip, n_skip, {0}, NULL};
    if (!rc) {
        scan_numbers(text, after, &ctx.num);
        ctx.num.item = segp_malloc(((size_t)ctx.num.n + 1) * sizeof *ctx.num.item);
        int found = collect_numbers(root, &ctx.num, 0, ctx.num.n);
        SEGP_CHECK(found == ctx.num.n, "the numbers of a config's text are cJSON's");
    }
    if (!rc) rc = cfg_json_strict(text, n, what);
    if (!rc && !cJSON_IsObject(root)) {
        char got[80];
        describe(&ctx, root, got, sizeof got);
        rc = SEGP_FAIL("%s: expected a JSON object of config keys at the top, got %s", what,
                       got);
    }
    if (!rc) {
        ctx.seen = segp_calloc((size_t)n_fields + 1, 1);
        rc = walk(&ctx, root, "", fields, n_fields, dst);
        free(ctx.seen);
    }
    number_texts_free(&ctx.num);
    cJSON_Delete(root);
    return rc;
}

int cfg_parse_string(const char *json, const char *what, const cfg_field *fields, int n_fields,
                     void *dst) {
    return cfg_parse_text(json, strlen(json), what, NULL, 0, fields, n_fields, dst);
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
    int rec = cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, marker);
    cJSON_Delete(root);
    /* the record's members are passed over in the file's own text, not dropped and the rest
     * printed again: the numbers are then read as written */
    int rc = cfg_parse_text((const char *)data, size, path, rec ? record : NULL,
                            rec ? n_record : 0, fields, n_fields, dst);
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
            /* the shortest text that reads back as the float: %.9g always reads back too, but
             * wrote 0.00100000005 for a configured 0.001 */
            char num[32];
            cJSON_AddRawToObject(g, leaf, segp_float_text(*(const float *)p, num, sizeof num));
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
