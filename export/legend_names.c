/* legend_names.c: shorter forms of a legend's names (legend_names.h). */
#include "export/legend_names.h"

#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "export/draw.h"

#define ELLIPSIS "\u2026"

static int is_sep(char c) { return c == '-' || c == '_' || c == ' '; }

char **fig_names_drop_common(const char *const *s, int n) {
    char **out = segp_calloc((size_t)(n > 0 ? n : 1), sizeof *out);
    size_t pre = 0, suf = 0;
    if (n >= 2) {
        size_t common = strlen(s[0]), shortest = common;
        for (int i = 1; i < n; i++) {
            size_t k = 0;
            while (k < common && s[i][k] == s[0][k]) k++;
            common = k;
            if (strlen(s[i]) < shortest) shortest = strlen(s[i]);
        }
        /* the longest shared start that ends in a separator and leaves every name a part */
        for (size_t k = common; k > 0 && !pre; k--)
            if (is_sep(s[0][k - 1]) && k < shortest) pre = k;
        /* the same of the ends of what is left */
        const size_t len0 = strlen(s[0]);
        common = len0 - pre;
        for (int i = 1; i < n; i++) {
            const size_t len = strlen(s[i]);
            size_t k = 0;
            while (k < common && k < len - pre && s[i][len - 1 - k] == s[0][len0 - 1 - k]) k++;
            common = k;
        }
        for (size_t k = common; k > 0 && !suf; k--)
            if (is_sep(s[0][len0 - k]) && k < shortest - pre) suf = k;
    }
    for (int i = 0; i < n; i++) {
        const size_t len = strlen(s[i]);
        out[i] = segp_malloc(len - pre - suf + 1);
        memcpy(out[i], s[i] + pre, len - pre - suf);
        out[i][len - pre - suf] = 0;
    }
    return out;
}

void fig_names_free(char **s, int n) {
    if (!s) return;
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

/* The byte offset of each of S's characters (UTF-8), *M of them; OFF[*M] is S's length. */
static int *char_offsets(const char *s, int *m) {
    const size_t len = strlen(s);
    int *off = segp_malloc(sizeof(int) * (len + 1));
    int k = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) off[k++] = (int)i;
    off[k] = (int)len;
    *m = k;
    return off;
}

/* S's characters [R[2j], R[2j + 1]) for j < NR (the first range from 0, the last to the end),
 * an ellipsis where a range does not go on from the one before. */
static char *join_ranges(const char *s, const int *off, const int *r, int nr) {
    char *b = segp_malloc(strlen(s) + 3 * (size_t)nr + 1);
    size_t p = 0;
    for (int j = 0; j < nr; j++) {
        if (j > 0 && r[2 * j] != r[2 * j - 1]) {
            memcpy(b + p, ELLIPSIS, 3);
            p += 3;
        }
        const size_t len = (size_t)(off[r[2 * j + 1]] - off[r[2 * j]]);
        memcpy(b + p, s + off[r[2 * j]], len);
        p += len;
    }
    b[p] = 0;
    return b;
}

/* S's first H characters and last T (of M), an ellipsis between */
static char *cut_at(const char *s, const int *off, int m, int h, int t) {
    const int r[4] = {0, h, m - t, m};
    return join_ranges(s, off, r, 2);
}

/* Whether F is a form of NAME: its first part NAME's start, its last NAME's end, those
 * between found in NAME in order (or, without an ellipsis, NAME itself). */
static int is_form(const char *f, const char *name) {
    const size_t nl = strlen(name);
    const char *at = name, *end = name + nl;
    for (const char *p = f;; p += 3) {
        const char *e = strstr(p, ELLIPSIS);
        const size_t len = e ? (size_t)(e - p) : strlen(p);
        if (p == f && !e) return len == nl && !memcmp(p, name, len);
        if (!e) return (size_t)(end - at) >= len && !memcmp(end - len, p, len);
        const char *hit = p == f ? (len <= nl && !memcmp(name, p, len) ? name : NULL)
                                 : memmem(at, (size_t)(end - at), p, len);
        if (!hit) return 0;
        at = hit + len;
        p = e;
    }
}

/* What a name is cut with: the names S (N), which (I), the forms given so far (OUT, NULL where
 * none yet), the width (CR's current font). */
typedef struct {
    cairo_t *cr;
    const char *const *s;
    int n, i;
    char *const *out;
    double max_w;
} cut_ctx;

/* How good a form F of S[I] is: 0 wider than MAX_W, 1 another name's form already, 2 none's,
 * 3 a form of no other name (which tells the reader which run it is). */
static int grade(const cut_ctx *x, const char *f) {
    if (fig_text_width(x->cr, f) > x->max_w) return 0;
    int g = 3;
    for (int j = 0; j < x->n; j++) {
        if (j == x->i || !strcmp(x->s[j], x->s[x->i])) continue;
        if (x->out[j] && !strcmp(x->out[j], f)) return 1;
        if (is_form(f, x->s[j])) g = 2;
    }
    return g;
}

/* F kept in *BEST where it grades higher than *BEST (*G its grade), else freed; whether it is
 * the best there can be. */
static int consider(const cut_ctx *x, char *f, char **best, int *g) {
    const int gf = grade(x, f);
    if (gf > *g || !*best) {
        free(*best);
        *best = f;
        *g = gf;
    } else {
        free(f);
    }
    return *g == 3;
}

/* The first character (of S's M, offsets OFF) at which S and U differ. */
static int first_difference(const char *s, const int *off, int m, const char *u) {
    size_t b = 0;
    while (s[b] && s[b] == u[b]) b++;
    int c = 0;
    while (c < m && off[c + 1] <= (int)b) c++;
    return c;
}

/* S[I]'s form within MAX_W (fig_names_cut): the start and the end, about as much of each, as
 * many characters as fit; else with the cut moved, or with where it differs from another name
 * between two ellipses, the first of these that is a form of no other name, else the first
 * that is no other's form, else the first. */
static char *cut_one(const cut_ctx *x) {
    const char *s = x->s[x->i];
    int m;
    int *off = char_offsets(s, &m);
    int k = m - 1;
    for (; k > 0; k--) {
        char *f = cut_at(s, off, m, (k + 1) / 2, k / 2);
        const double fw = fig_text_width(x->cr, f);
        free(f);
        if (fw <= x->max_w) break;
    }
    if (k <= 0) {
        free(off);
        return segp_strdup(ELLIPSIS);
    }
    char *best = NULL;
    int g = 0, done = 0;
    for (int d = 0; d <= k && !done; d++)
        for (int sign = -1; sign <= 1 && !done; sign += 2) {
            const int h = (k + 1) / 2 + sign * d;
            if ((d == 0 && sign > 0) || h < 0 || h > k) continue;
            done = consider(x, cut_at(s, off, m, h, k - h), &best, &g);
        }
    /* alike at both ends: a third of the characters around where it differs from another */
    for (int j = 0; j < x->n && !done; j++) {
        if (j == x->i || !strcmp(x->s[j], s)) continue;
        const int dpos = first_difference(s, off, m, x->s[j]);
        for (int kk = k; kk >= 3 && !done; kk--) {
            const int a = kk / 3, w = kk / 3, t = kk - a - w;
            int c0 = dpos - w / 2;
            if (c0 > m - t - w) c0 = m - t - w;
            if (c0 < a) c0 = a;
            const int r[6] = {0, a, c0, c0 + w, m - t, m};
            char *f = join_ranges(s, off, r, 3);
            if (fig_text_width(x->cr, f) > x->max_w) {
                free(f);
                continue;
            }
            done = consider(x, f, &best, &g);
            break; /* the widest that fits: fewer characters would tell no more */
        }
    }
    free(off);
    return best;
}

char **fig_names_cut(cairo_t *cr, const char *const *s, int n, double max_w) {
    char **out = segp_calloc((size_t)(n > 0 ? n : 1), sizeof *out);
    /* the names that fit first, so that no cut name takes the form of one of them */
    for (int i = 0; i < n; i++)
        if (fig_text_width(cr, s[i]) <= max_w) out[i] = segp_strdup(s[i]);
    for (int i = 0; i < n; i++)
        if (!out[i]) {
            const cut_ctx x = {cr, s, n, i, out, max_w};
            out[i] = cut_one(&x);
        }
    return out;
}
