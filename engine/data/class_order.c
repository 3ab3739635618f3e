/* class_order.c: class-order files (the YAML list and plain-list forms of the shipped
 * benchmarks), permutation checks, NumPy-compatible seeded shuffles and B0-IncN / Bm-IncN task
 * splits. See class_order.h. */
#include "class_order.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/common.h"

#define MAX_CLASSES 1000000

/* ---- parsing ---- */

typedef struct {
    int *v;
    int n, cap;
} int_list;

static void push(int_list *l, int x) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 128;
        l->v = segp_realloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    l->v[l->n++] = x;
}

static int line_of(const char *text, const char *p) {
    int line = 1;
    for (const char *q = text; q < p; q++) line += *q == '\n';
    return line;
}

/* One integer token at *p (digits, optional leading '-'), ending at a separator. */
static int parse_token(const char *text, const char *what, const char **p, int_list *l) {
    const char *s = *p, *e = s;
    if (*e == '-') e++;
    while (isdigit((unsigned char)*e)) e++;
    int ok =
        e > s + (*s == '-') && (*e == 0 || *e == ',' || *e == ']' || isspace((unsigned char)*e));
    if (ok && e - s > 9) ok = 0;
    if (!ok) {
        size_t len = strcspn(s, ", \t\r\n]");
        return SEGP_FAIL("%s:%d: \"%.*s\" is not a class index (expected integers separated by "
                         "commas or spaces)", what, line_of(text, s), (int)(len > 40 ? 40 : len),
                         s);
    }
    if (l->n >= MAX_CLASSES)
        return SEGP_FAIL("%s: more than %d classes", what, MAX_CLASSES);
    push(l, atoi(s));
    *p = e;
    return 0;
}

/* Integers separated by blanks/commas from *p until CLOSE (']', consumed) or the end (CLOSE 0). */
static int parse_seq(const char *text, const char *what, const char **p, char close,
                     int_list *l) {
    const char *s = *p;
    for (;;) {
        while (*s == ',' || isspace((unsigned char)*s)) s++;
        if (close && *s == close) {
            *p = s + 1;
            return 0;
        }
        if (!*s) {
            if (close)
                return SEGP_FAIL("%s: list opened with '[' is not closed (expected ']')", what);
            *p = s;
            return 0;
        }
        if (parse_token(text, what, &s, l)) return -1;
    }
}

/* The class_order key at the start of a line (after indentation); NULL if absent. */
static const char *find_key(const char *t) {
    for (const char *line = t; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!strncmp(s, "class_order", 11)) {
            s += 11;
            while (*s == ' ' || *s == '\t') s++;
            if (*s == ':') return s + 1;
        }
    }
    return NULL;
}

static int only_blanks_to_eol(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    return *s == '\n' || *s == 0;
}

/* Block list lines "- n" after the key line; stops at the first line that is not one. */
static int parse_block(const char *text, const char *what, const char *s, int_list *l) {
    s = strchr(s, '\n');
    while (s && *s) {
        s++; /* past '\n' */
        const char *q = s;
        while (*q == ' ' || *q == '\t' || *q == '\r') q++;
        if (*q == '\n') { s = q; continue; }
        if (*q != '-' || !(q[1] == ' ' || q[1] == '\t')) break;
        q += 2;
        while (*q == ' ' || *q == '\t') q++;
        if (parse_token(text, what, &q, l)) return -1;
        if (!only_blanks_to_eol(q))
            return SEGP_FAIL("%s:%d: extra text after a block list item (expected \"- n\")",
                             what, line_of(text, q));
        s = strchr(q, '\n');
    }
    if (l->n == 0)
        return SEGP_FAIL("%s: class_order has no items (expected [ ... ] or \"- n\" lines)",
                         what);
    return 0;
}

int class_order_parse(const char *text_in, const char *what, int **order, int *n) {
    *order = NULL;
    *n = 0;
    /* Blank out comments so they cannot hold list syntax. */
    char *t = segp_strdup(text_in);
    for (char *c = strchr(t, '#'); c; c = strchr(c, '#'))
        while (*c && *c != '\n') *c++ = ' ';
    int_list l = {0};
    int rc = 0;
    const char *v = find_key(t);
    if (v) {
        while (*v == ' ' || *v == '\t') v++;
        if (*v == '[') {
            v++;
            rc = parse_seq(t, what, &v, ']', &l);
            if (!rc && l.n == 0) rc = SEGP_FAIL("%s: class_order is an empty list", what);
        } else if (only_blanks_to_eol(v)) {
            rc = parse_block(t, what, v, &l);
        } else {
            rc = SEGP_FAIL("%s:%d: class_order value (expected a [ ... ] list or \"- n\" lines "
                           "below it)", what, line_of(t, v));
        }
    } else if (strchr(t, ':')) {
        rc = SEGP_FAIL("%s: no class_order key (expected \"class_order: [...]\" or a plain list "
                       "of integers)", what);
    } else {
        /* Plain list: optional [ ], block-list dashes tolerated as separators. */
        for (char *c = t; *c; c++)
            if (*c == '-' && (c[1] == ' ' || c[1] == '\t')) *c = ' ';
        const char *s = t;
        while (isspace((unsigned char)*s)) s++;
        if (*s == '[') {
            s++;
            rc = parse_seq(t, what, &s, ']', &l);
            while (!rc && isspace((unsigned char)*s)) s++;
            if (!rc && *s)
                rc = SEGP_FAIL("%s:%d: text after the closing ']'", what, line_of(t, s));
        } else {
            rc = parse_seq(t, what, &s, 0, &l);
        }
        if (!rc && l.n == 0) rc = SEGP_FAIL("%s: no class indices", what);
    }
    free(t);
    if (rc) {
        free(l.v);
        return -1;
    }
    *order = l.v;
    *n = l.n;
    return 0;
}

int class_order_check(const int *order, int n, const char *what) {
    if (n <= 0) return SEGP_FAIL("%s: empty class order", what);
    int *first = segp_malloc((size_t)n * sizeof *first);
    for (int c = 0; c < n; c++) first[c] = -1;
    int rc = 0, dup = -1, dup_k = -1;
    for (int k = 0; k < n && !rc; k++) {
        int c = order[k];
        if (c < 0 || c >= n)
            rc = SEGP_FAIL("%s: class %d at position %d is out of range (expected 0..%d, a "
                           "permutation of the %d classes)", what, c, k, n - 1, n);
        else if (first[c] >= 0 && dup < 0) dup = c, dup_k = k;
        else if (first[c] < 0) first[c] = k;
    }
    if (!rc && dup >= 0) {
        /* n values in 0..n-1 with a repeat: some class is missing; name both. */
        int miss = 0;
        while (miss < n && first[miss] >= 0) miss++;
        rc = SEGP_FAIL("%s: class %d appears twice (positions %d and %d) and class %d is "
                       "missing (expected a permutation of 0..%d)", what, dup, first[dup], dup_k,
                       miss, n - 1);
    }
    free(first);
    return rc;
}

int class_order_load(const char *path, int num_classes, int **order, int *n) {
    uint8_t *data;
    size_t size;
    *order = NULL;
    *n = 0;
    if (segp_read_file(path, &data, &size)) return -1;
    if (memchr(data, 0, size)) {
        free(data);
        return SEGP_FAIL("%s: contains NUL bytes (expected a text class-order file)", path);
    }
    int *o, cnt;
    int rc = class_order_parse((const char *)data, path, &o, &cnt);
    free(data);
    if (rc) return -1;
    if (num_classes > 0 && cnt < num_classes) {
        /* Name the first missing class: more useful than the count alone. */
        uint8_t *seen = segp_calloc((size_t)num_classes, 1);
        for (int k = 0; k < cnt; k++)
            if (o[k] >= 0 && o[k] < num_classes) seen[o[k]] = 1;
        int miss = 0;
        while (miss < num_classes && seen[miss]) miss++;
        free(seen);
        free(o);
        if (miss < num_classes)
            return SEGP_FAIL("%s: %d classes listed (expected %d); class %d is missing", path,
                             cnt, num_classes, miss);
        return SEGP_FAIL("%s: %d classes listed (expected %d)", path, cnt, num_classes);
    }
    if (num_classes > 0 && cnt != num_classes) {
        free(o);
        return SEGP_FAIL("%s: %d classes listed (expected %d)", path, cnt, num_classes);
    }
    if (class_order_check(o, cnt, path)) {
        free(o);
        return -1;
    }
    *order = o;
    *n = cnt;
    return 0;
}

void class_order_identity(int n, int *order) {
    for (int k = 0; k < n; k++) order[k] = k;
}

void class_order_inverse(const int *order, int n, int *pos) {
    for (int k = 0; k < n; k++) pos[order[k]] = k;
}

/* ---- NumPy legacy RandomState: MT19937 seeded with init_genrand ---- */

typedef struct {
    uint32_t key[624];
    int pos;
} mt19937;

static void mt_seed(mt19937 *s, uint32_t seed) {
    s->key[0] = seed;
    for (int i = 1; i < 624; i++)
        s->key[i] = 1812433253u * (s->key[i - 1] ^ (s->key[i - 1] >> 30)) + (uint32_t)i;
    s->pos = 624;
}

static uint32_t mt_next(mt19937 *s) {
    if (s->pos >= 624) {
        for (int i = 0; i < 624; i++) {
            uint32_t y = (s->key[i] & 0x80000000u) | (s->key[(i + 1) % 624] & 0x7fffffffu);
            s->key[i] = s->key[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        s->pos = 0;
    }
    uint32_t y = s->key[s->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* NumPy's random_interval: uniform in [0, max] by masked rejection. */
static uint32_t mt_interval(mt19937 *s, uint32_t max) {
    if (max == 0) return 0;
    uint32_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    uint32_t v;
    while ((v = (mt_next(s) & mask)) > max) {
    }
    return v;
}

void class_order_shuffle(int n, uint32_t seed, int *order) {
    mt19937 s;
    mt_seed(&s, seed);
    class_order_identity(n, order);
    for (int i = n - 1; i >= 1; i--) {
        int j = (int)mt_interval(&s, (uint32_t)i);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* ---- task splits ---- */

int task_split_make(int num_classes, int base, int inc, task_split *out) {
    memset(out, 0, sizeof *out);
    if (num_classes <= 0) return SEGP_FAIL("task split: %d classes (expected > 0)", num_classes);
    if (inc <= 0) return SEGP_FAIL("task split B%d-Inc%d: increment must be > 0", base, inc);
    if (base < 0 || base >= num_classes)
        return SEGP_FAIL("task split B%d-Inc%d: base must be 0..%d for %d classes", base, inc,
                         num_classes - 1, num_classes);
    int rest = num_classes - base;
    if (rest % inc != 0) {
        if (base == 0)
            return SEGP_FAIL("task split B0-Inc%d: %d classes do not divide into tasks of %d "
                             "(expected an increment that divides %d)", inc, num_classes, inc,
                             num_classes);
        return SEGP_FAIL("task split B%d-Inc%d: the %d classes after the first task do not "
                         "divide into tasks of %d", base, inc, rest, inc);
    }
    int t = (base > 0) + rest / inc;
    out->num_classes = num_classes;
    out->num_tasks = t;
    out->base = base;
    out->inc = inc;
    out->start = segp_malloc((size_t)(t + 1) * sizeof *out->start);
    int k = 0, pos = 0;
    out->start[k++] = 0;
    if (base > 0) out->start[k++] = pos = base;
    while (k <= t) out->start[k++] = pos += inc;
    return 0;
}

int task_split_parse(const char *spec, int num_classes, task_split *out) {
    memset(out, 0, sizeof *out);
    const char *s = spec ? spec : "";
    char *end;
    if (*s != 'B' && *s != 'b') goto bad;
    long base = strtol(s + 1, &end, 10);
    if (end == s + 1 || !isdigit((unsigned char)s[1])) goto bad;
    s = end;
    if (*s == '-' || *s == '_') s++;
    if (strncasecmp(s, "inc", 3) != 0 || !isdigit((unsigned char)s[3])) goto bad;
    long inc = strtol(s + 3, &end, 10);
    if (*end || base > MAX_CLASSES || inc > MAX_CLASSES) goto bad;
    return task_split_make(num_classes, (int)base, (int)inc, out);
bad:
    return SEGP_FAIL("task split \"%s\" (expected B0-IncN or Bm-IncN, e.g. B0-Inc10 or "
                     "B50-Inc10)", spec ? spec : "");
}

void task_split_free(task_split *s) {
    free(s->start);
    memset(s, 0, sizeof *s);
}

int task_split_task_of(const task_split *s, int pos) {
    if (pos < 0 || pos >= s->num_classes) return -1;
    for (int t = 0; t < s->num_tasks; t++)
        if (pos < s->start[t + 1]) return t;
    return -1;
}

int task_split_classes(const task_split *s, const int *order, int t, const int **classes) {
    if (t < 0 || t >= s->num_tasks) return -1;
    *classes = order + s->start[t];
    return s->start[t + 1] - s->start[t];
}
