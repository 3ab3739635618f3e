/* test_readme.c: README.md against the program: the "Config keys" tables hold a row for every
 * key of the three config tables (segp run, finetune, pretrain), each with the default, range
 * and description the help prints, and no row for a key none of them accepts; the changed
 * fine-tune defaults its prose names are the table's; the "Commands" section names every
 * command `segp --help` lists; every SEGP_* variable the program reads is named; the screens
 * of the shipped run it shows are the views' text. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/cl_config.h"
#include "core/config.h"
#include "test.h"
#include "train/finetune.h"
#include "train/pretrain.h"
#include "view_render.h"

static char out[65536];

/* README's section that starts with the line HEAD ("## Config keys"), up to the next "## ":
 * *LEN bytes from the returned pointer, NULL when absent. */
static const char *readme_section(const char *readme, const char *head, size_t *len) {
    char line[128];
    snprintf(line, sizeof line, "\n%s\n", head);
    const char *sec = strstr(readme, line);
    if (!sec) return NULL;
    const char *end = strstr(sec + 1, "\n## ");
    *len = end ? (size_t)(end - sec) : strlen(sec);
    return sec;
}

/* The I-th (0-based) key table of the section SEC (LEN bytes): from its header row up to the
 * next header row or the section's end, as a NUL-ended copy (caller frees); NULL when absent. */
static char *key_table(const char *sec, size_t len, int i) {
    const char *head = "\n| key | default | range | what it sets |\n";
    const char *at = sec, *end = sec + len;
    for (int k = 0; k <= i; k++) {
        at = strstr(at + 1, head);
        if (!at || at >= end) return NULL;
    }
    const char *next = strstr(at + 1, head);
    if (!next || next > end) next = end;
    return strndup(at, (size_t)(next - at));
}

/* Cell C (0-based) of the table row that starts at ROW ("| a | b |"), spaces trimmed, one pair
 * of backquotes taken off and "\|" read as "|", into BUF; 0, or -1 when the row is shorter. */
static int row_cell(const char *row, int c, char *buf, size_t size) {
    const char *p = row;
    for (int k = 0; k <= c; k++) {
        p = strchr(p, '|');
        if (!p) return -1;
        p++;
        while (k < c && *p && *p != '\n' && !(*p == '|' && p[-1] != '\\')) p++;
        if (*p == '\n' || !*p) return -1;
    }
    size_t n = 0;
    for (; *p && *p != '\n' && !(*p == '|' && p[-1] != '\\') && n + 1 < size; p++) {
        if (*p == '\\' && p[1] == '|') continue;
        buf[n++] = *p;
    }
    if (*p != '|') return -1;
    while (n > 0 && buf[n - 1] == ' ') n--;
    buf[n] = 0;
    size_t lead = strspn(buf, " ");
    memmove(buf, buf + lead, n - lead + 1);
    n -= lead;
    if (n >= 2 && buf[0] == '`' && buf[n - 1] == '`') {
        memmove(buf, buf + 1, n - 2);
        buf[n - 2] = 0;
    }
    return 0;
}

/* One line of cfg_doc's text, "  KEY  DOC (default DEF [RANGE])", into its parts; 0 or -1. */
static int doc_line(const char *line, char *key, char *doc, char *def, char *range, size_t size) {
    if (strncmp(line, "  ", 2)) return -1;
    const char *k = line + 2, *ke = strchr(k, ' ');
    const char *open = NULL, *nl = strchr(line, '\n');
    if (!ke || !nl) return -1;
    for (const char *p = ke; (p = strstr(p, " (default ")) && p < nl; p++) open = p;
    if (!open) return -1;
    snprintf(key, size, "%.*s", (int)(ke - k), k);
    const char *d = ke + strspn(ke, " ");
    snprintf(doc, size, "%.*s", (int)(open - d), d);
    const char *v = open + strlen(" (default "), *ve = nl - 1; /* the closing ')' */
    const char *br = NULL;
    if (ve > v && ve[-1] == ']')
        for (const char *p = ve - 1; p > v; p--)
            if (p[0] == '[' && p[-1] == ' ') {
                br = p;
                break;
            }
    if (br) {
        snprintf(def, size, "%.*s", (int)(br - 1 - v), v);
        snprintf(range, size, "%.*s", (int)(ve - 1 - (br + 1)), br + 1);
    } else {
        snprintf(def, size, "%.*s", (int)(ve - v), v);
        range[0] = 0;
    }
    return 0;
}

/* TABLE's row of KEY ("\n| `KEY` |"), or NULL. */
static const char *key_row(const char *table, const char *key) {
    char head[1100];
    snprintf(head, sizeof head, "\n| `%s` |", key);
    const char *at = strstr(table, head);
    return at ? at + 1 : NULL;
}

/* Every row of README TABLE whose key DOC (cfg_doc's text) documents has the default, range
 * and description DOC gives it; WHICH names the table in messages. Returns the rows compared. */
static int check_rows(const char *table, const char *doc, const char *which) {
    int compared = 0;
    for (const char *line = doc; *line; line = strchr(line, '\n') + 1) {
        char key[1024], text[1024], def[1024], range[1024];
        CHECK_MSG(doc_line(line, key, text, def, range, sizeof text) == 0,
                  "%s --help: cannot read the line %.80s", which, line);
        const char *row = key_row(table, key);
        if (row) {
            char cell[1024];
            CHECK(row_cell(row, 1, cell, sizeof cell) == 0);
            CHECK_MSG(!strcmp(cell, def), "README, %s table, '%s': default %s, the help says %s",
                      which, key, cell, def);
            CHECK(row_cell(row, 2, cell, sizeof cell) == 0);
            CHECK_MSG(!strcmp(cell, range), "README, %s table, '%s': range '%s', the help says "
                      "'%s'", which, key, cell, range);
            CHECK(row_cell(row, 3, cell, sizeof cell) == 0);
            CHECK_MSG(!strcmp(cell, text), "README, %s table, '%s': \"%s\", the help says \"%s\"",
                      which, key, cell, text);
            compared++;
        }
        if (!strchr(line, '\n')) break;
    }
    return compared;
}

/* README.md's "Config keys" has a row for every key the three config tables accept (segp run,
 * finetune, pretrain), and no row for a key none of them accepts. */
TEST(readme_documents_every_key) {
    char *readme = read_text("README.md");
    CHECK(readme != NULL);
    if (!readme) return;
    size_t len = 0;
    const char *sec = readme_section(readme, "## Config keys", &len);
    CHECK(sec != NULL);
    if (!sec) {
        free(readme);
        return;
    }
    const cfg_field *tables[3];
    int counts[3];
    tables[0] = cl_config_fields(&counts[0]);
    tables[1] = finetune_config_fields(&counts[1]);
    tables[2] = pretrain_config_fields(&counts[2]);
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < counts[t]; i++) {
            char row[300];
            snprintf(row, sizeof row, "\n| `%s` |", tables[t][i].key);
            const char *at = strstr(sec, row);
            CHECK_MSG(at && (size_t)(at - sec) < len, "README.md has no row for key '%s'",
                      tables[t][i].key);
        }
    for (const char *p = sec; (p = strstr(p, "\n| `")) && (size_t)(p - sec) < len; p++) {
        const char *k = p + 4, *q = strchr(k, '`');
        if (!q) break;
        int known = 0;
        for (int t = 0; t < 3 && !known; t++)
            for (int i = 0; i < counts[t] && !known; i++)
                known = strlen(tables[t][i].key) == (size_t)(q - k) &&
                        !strncmp(tables[t][i].key, k, (size_t)(q - k));
        CHECK_MSG(known, "README.md documents '%.*s', which no config accepts", (int)(q - k), k);
    }
    free(readme);
}

/* Each row of the three tables (continual runs, the fine-tune's own keys, pretraining) gives the
 * default, the range and the description that `segp run|finetune|pretrain --help` print from
 * the same table (the ranges read 0..1e+08 where the help printed %g, until it printed integer
 * bounds in full); a fine-tune key without its own row has the continual run's default, or one
 * the prose before the fine-tune table names ("`train.epochs` 10"). */
TEST(readme_config_rows_match_help) {
    char *readme = read_text("README.md");
    size_t len = 0;
    const char *sec = readme ? readme_section(readme, "## Config keys", &len) : NULL;
    CHECK(sec != NULL);
    char *run_t = sec ? key_table(sec, len, 0) : NULL, *ft_t = sec ? key_table(sec, len, 1) : NULL,
         *pt_t = sec ? key_table(sec, len, 2) : NULL;
    CHECK(run_t && ft_t && pt_t);
    if (!run_t || !ft_t || !pt_t) {
        free(run_t), free(ft_t), free(pt_t), free(readme);
        return;
    }
    /* the tables first: an argument list does not order cl_config_fields(&n) before n */
    int n_run, n_ft, n_pt;
    const cfg_field *run_f = cl_config_fields(&n_run), *ft_f = finetune_config_fields(&n_ft),
                    *pt_f = pretrain_config_fields(&n_pt);
    cl_config run_d = cl_config_default();
    finetune_config ft_d = finetune_default_config();
    pretrain_config pt_d = pretrain_default_config();
    char *run_doc = cfg_doc(run_f, n_run, &run_d), *ft_doc = cfg_doc(ft_f, n_ft, &ft_d),
         *pt_doc = cfg_doc(pt_f, n_pt, &pt_d);
    CHECK_EQ_INT(check_rows(run_t, run_doc, "run"), n_run);
    CHECK_EQ_INT(check_rows(pt_t, pt_doc, "pretrain"), n_pt);
    CHECK_EQ_INT(check_rows(ft_t, ft_doc, "finetune"), 4); /* the world.* names */

    /* the fine-tune's keys without a row of their own: the run table's default, or the prose's */
    const char *from = strstr(sec, "`segp finetune --config` takes");
    const char *to = from ? strstr(from, "\n| key |") : NULL;
    char *prose = to ? strndup(from, (size_t)(to - from)) : NULL;
    CHECK(prose != NULL);
    int changed = 0;
    for (const char *line = ft_doc; prose && *line; line = strchr(line, '\n') + 1) {
        char key[1024], text[1024], def[1024], range[1024], cell[1024], named[2100];
        if (doc_line(line, key, text, def, range, sizeof text) == 0 && !key_row(ft_t, key)) {
            const char *row = key_row(run_t, key);
            CHECK_MSG(row != NULL, "README: the fine-tune's key '%s' has no row", key);
            if (row && row_cell(row, 1, cell, sizeof cell) == 0 && strcmp(cell, def)) {
                snprintf(named, sizeof named, "`%s` %s", key, def);
                CHECK_MSG(strstr(prose, named), "README: the fine-tune's default of "
                          "'%s' is %s (the run's %s), and the prose does not say so", key, def,
                          cell);
                changed++;
            }
        }
        if (!strchr(line, '\n')) break;
    }
    CHECK_EQ_INT(changed, 4); /* epochs, batch size, optimizer, data_parallel */
    free(prose), free(run_doc), free(ft_doc), free(pt_doc);
    free(run_t), free(ft_t), free(pt_t), free(readme);
}

/* Every command of `segp --help` (and its --version) is named in README's "Commands" section as
 * "`segp NAME", so that the table there is the whole list (--version was missing). */
TEST(readme_lists_every_command) {
    char *readme = read_text("README.md");
    size_t len = 0;
    const char *sec = readme ? readme_section(readme, "## Commands", &len) : NULL;
    CHECK(sec != NULL);
    CHECK_EQ_INT(test_run_segp("--help", out, sizeof out), 0);
    const char *p = strstr(out, "\ncommands:\n");
    CHECK(p != NULL);
    int n = 0;
    for (p = p ? strchr(p + 1, '\n') + 1 : NULL; sec && p && !strncmp(p, "  ", 2);
         p = strchr(p, '\n') + 1) {
        char name[64], want[80];
        if (sscanf(p, "%63s", name) != 1) break;
        snprintf(want, sizeof want, "`segp %s", name);
        const char *at = strstr(sec, want);
        CHECK_MSG(at && (size_t)(at - sec) < len, "README's Commands section does not name %s`",
                  want);
        n++;
    }
    CHECK_MSG(n == 16, "%d commands in segp --help", n); /* 15 and --version */
    free(readme);
}

/* Every environment variable SEGP_* that segp's own sources (engine/, app/) read with getenv
 * is named in README (SEGP_BENCHMARKS_DIR was not). */
TEST(readme_names_every_environment_variable) {
    char *readme = read_text("README.md");
    CHECK(readme != NULL);
    const char *patterns[] = {"engine/*/*.c", "engine/*/*/*.c", "app/*.c"};
    int files = 0, names = 0;
    for (size_t i = 0; readme && i < sizeof patterns / sizeof patterns[0]; i++) {
        glob_t g;
        if (glob(patterns[i], 0, NULL, &g) != 0) continue;
        for (size_t j = 0; j < g.gl_pathc; j++) {
            char *src = read_text(g.gl_pathv[j]);
            CHECK(src != NULL);
            files++;
            for (const char *p = src; p && (p = strstr(p, "getenv(\"SEGP_")); p++) {
                const char *name = p + strlen("getenv(\""), *q = strchr(name, '"');
                if (!q) break;
                char want[80];
                snprintf(want, sizeof want, "`%.*s", (int)(q - name), name);
                CHECK_MSG(strstr(readme, want), "%s reads %.*s, which README does not name",
                          g.gl_pathv[j], (int)(q - name), name);
                names++;
            }
            free(src);
        }
        globfree(&g);
    }
    CHECK(files > 50 && names >= 6); /* DATA_ROOT, BENCHMARKS_DIR (twice), FAULT_KILL, ... */
    free(readme);
}

/* Line I (0-based) of TEXT into BUF with trailing blanks dropped; 0, or -1 past the end. */
static int text_line(const char *text, int i, char *buf, size_t size) {
    for (int k = 0; k < i; k++) {
        text = strchr(text, '\n');
        if (!text) return -1;
        text++;
    }
    if (!*text) return -1;
    size_t n = strcspn(text, "\n");
    while (n > 0 && text[n - 1] == ' ') n--;
    snprintf(buf, size, "%.*s", (int)n, text);
    return 0;
}

/* README's code block whose first line starts with FIRST, as a copy (caller frees), or NULL. */
static char *readme_block(const char *readme, const char *first) {
    char head[200];
    snprintf(head, sizeof head, "```\n%s", first);
    const char *at = strstr(readme, head);
    if (!at) return NULL;
    at += 4;
    const char *end = strstr(at, "\n```");
    return end ? strndup(at, (size_t)(end - at) + 1) : NULL;
}

/* BLOCK's lines FROM..TO (inclusive; TO < 0: to its end) equal the lines of DRAWN from
 * FROM - SHIFT, with trailing blanks dropped; returns the lines compared. */
static int same_lines(const char *block, const char *drawn, int from, int to, int shift,
                      const char *what) {
    int n = 0;
    for (int i = from; to < 0 || i <= to; i++) {
        char want[1024], got[1024];
        if (text_line(block, i, want, sizeof want) != 0) break;
        CHECK_MSG(text_line(drawn, i - shift, got, sizeof got) == 0 && !strcmp(want, got),
                  "README's %s screen, line %d:\n  README: %s\n  view:   %s", what, i + 1, want,
                  text_line(drawn, i - shift, got, sizeof got) == 0 ? got : "(none)");
        n++;
    }
    return n;
}

/* README's screens of the shipped run are what the views draw today: the overview and accuracy
 * views of task 10 at 100x34 (the view's 32 rows between the tab and status bars), and the
 * drift and geometry views of task 5 at 100x32 without colour (the view's 30 rows; the
 * geometry capture cut after row 20 and then its two scale rows). */
TEST(readme_screens_match_the_views) {
    char *readme = read_text("README.md");
    CHECK(readme != NULL);
    if (!readme) return;
    const struct {
        const char *first; /* the block's first line starts so */
        view *(*make)(void);
        int task, h, bars, cm;
    } screens[] = {
        {" 1 overview   2 accuracy   3 anchors   4 drift   5 geometry   6 projection          "
         "segp default-run\nRun overview", view_overview_new, 9, 32, 1, COLORS_256},
        {" 1 overview   2 accuracy   3 anchors   4 drift   5 geometry   6 projection          "
         "segp default-run\nAccuracy", view_accuracy_new, 9, 32, 1, COLORS_256},
        {"Drift: teacher vs student", view_drift_new, 4, 30, 0, COLORS_NONE},
        {"Geometry: similarity matrices", view_geometry_new, 4, 30, 0, COLORS_NONE},
    };
    for (size_t i = 0; i < sizeof screens / sizeof screens[0]; i++) {
        char *block = readme_block(readme, screens[i].first);
        CHECK_MSG(block != NULL, "README has no screen starting %.40s", screens[i].first);
        view_fixture f;
        if (!block || !view_fixture_open(&f, screens[i].task)) {
            free(block);
            continue;
        }
        view *v = screens[i].make();
        char *text = view_render(v, &f.s, 100, screens[i].h, CHARSET_UNICODE, screens[i].cm);
        const char *cut = strstr(block, "\n ...\n");
        if (!cut) {
            int n = same_lines(block, text, screens[i].bars, screens[i].h - 1 + screens[i].bars,
                               screens[i].bars, v->name);
            CHECK_EQ_INT(n, screens[i].h);
        } else {
            int rows = 0; /* the block's rows before the cut */
            for (const char *p = block; p <= cut; p = strchr(p, '\n') + 1) rows++;
            CHECK_EQ_INT(same_lines(block, text, 0, rows - 1, 0, v->name), rows);
            /* after "...": the view's last two rows */
            CHECK_EQ_INT(same_lines(block, text, rows + 1, -1, rows + 1 - (screens[i].h - 2),
                                    v->name), 2);
        }
        free(text);
        v->free(v);
        view_fixture_close(&f);
        free(block);
    }
    free(readme);
}
