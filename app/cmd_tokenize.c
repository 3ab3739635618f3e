/* cmd_tokenize.c: `segp tokenize`, CLIP BPE ids of texts, one line of context-length ids per
 * text, as clip.tokenize(texts) prints them (engine/text/tokenizer.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "text/tokenizer.h"
#include "cli_util.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: segp tokenize [OPTIONS] TEXT...\n"
            "       segp tokenize [OPTIONS] --file FILE\n\n"
            "Prints the CLIP token ids of each text on one line: start-of-text (49406), the BPE\n"
            "ids, end-of-text (49407), zeros up to the context length, exactly as openai/CLIP's\n"
            "clip.tokenize(texts) does.\n\n"
            "options:\n"
            "  --context N   context length (default %d)\n"
            "  --truncate    cut texts longer than the context (the last id stays end-of-text);\n"
            "                without it a too long text is an error\n"
            "  --file FILE   read one text per line from FILE ('-' for standard input); may be\n"
            "                combined with TEXT arguments, in the order given\n"
            "  --vocab PATH  BPE merges to use (gzip'd, like bpe_simple_vocab_16e6.txt.gz);\n"
            "                default: the copy built into segp\n"
            "  -h, --help    show this help\n",
            CLIP_CONTEXT);
}

typedef struct {
    char **v;
    size_t n, cap;
} text_list;

static void add_text(text_list *l, char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = segp_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = s;
}

/* Split a file's contents into lines (the text is modified in place); a final newline does not
 * start another text. */
static void add_lines(text_list *l, char *data, size_t size) {
    char *p = data, *end = data + size;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl) *nl = 0;
        add_text(l, p);
        if (!nl) break;
        p = nl + 1;
    }
}

static int read_stdin(uint8_t **data, size_t *size) {
    size_t cap = 65536, n = 0;
    uint8_t *buf = segp_malloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n == cap) buf = segp_realloc(buf, (cap *= 2) + 1);
    }
    if (ferror(stdin)) {
        free(buf);
        return SEGP_FAIL("standard input: read error");
    }
    buf[n] = 0;
    *data = buf;
    *size = n;
    return 0;
}

static int usage_error(const char *msg, const char *arg) {
    fprintf(stderr, "segp: error: tokenize: %s%s%s (run 'segp tokenize --help')\n", msg,
            arg ? " " : "", arg ? arg : "");
    return 2;
}

int cmd_tokenize(int argc, char **argv) {
    int context = CLIP_CONTEXT, truncate = 0, status = 0, options_done = 0;
    const char *vocab = NULL;
    text_list texts = {0};
    uint8_t *files[64];
    int n_files = 0;
    clip_tokenizer *tok = NULL;
    int32_t *ids = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || !strcmp(a, "-")) {
            add_text(&texts, argv[i]);
        } else if (!strcmp(a, "--")) {
            options_done = 1;
        } else if (app_is_help(a)) {
            usage(stdout);
            goto out;
        } else if (!strcmp(a, "--truncate")) {
            truncate = 1;
        } else if (!strcmp(a, "--context") || !strncmp(a, "--context=", 10)) {
            const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
            char *e;
            errno = 0;
            long c = v ? strtol(v, &e, 10) : 0;
            if (!v || !*v || *e || errno || c < 1 || c > 1000000) {
                status = usage_error("--context expects a whole number from 1 to 1000000, got",
                                     v ? v : "nothing");
                goto out;
            }
            context = (int)c;
        } else if (!strcmp(a, "--vocab") || !strcmp(a, "--file")) {
            if (i + 1 >= argc) {
                status = usage_error(a, "expects a path");
                goto out;
            }
            const char *path = argv[++i];
            if (a[2] == 'v') {
                vocab = path;
                continue;
            }
            if (n_files == (int)(sizeof files / sizeof files[0])) {
                status = usage_error("too many --file options", NULL);
                goto out;
            }
            uint8_t *data;
            size_t size;
            if ((strcmp(path, "-") ? segp_read_file(path, &data, &size)
                                   : read_stdin(&data, &size)) != 0) {
                status = app_report_error();
                goto out;
            }
            if (cli_check_text(strcmp(path, "-") ? path : "standard input", data, size) != 0) {
                free(data);
                status = app_report_error();
                goto out;
            }
            files[n_files++] = data;
            add_lines(&texts, (char *)data, size);
        } else {
            status = usage_error("unknown option", a);
            goto out;
        }
    }
    if (texts.n == 0) { /* an empty --file holds no texts: no lines, as clip.tokenize([]) */
        if (!n_files) {
            usage(stderr);
            status = 2;
        }
        goto out;
    }
    tok = clip_tokenizer_init(vocab);
    if (!tok) {
        status = app_report_error();
        goto out;
    }
    /* Everything first, like clip.tokenize: a too long text prints nothing. */
    ids = segp_malloc(texts.n * (size_t)context * sizeof *ids);
    for (size_t t = 0; t < texts.n; t++)
        if (clip_tokenize(tok, texts.v[t], context, truncate, ids + t * (size_t)context) != 0) {
            if (!truncate && strstr(segp_last_error(), "too long"))
                segp_fail_suffix("; --truncate does so");
            status = app_report_error();
            goto out;
        }
    for (size_t t = 0; t < texts.n; t++) {
        const int32_t *row = ids + t * (size_t)context;
        for (int k = 0; k < context; k++) printf(k ? " %d" : "%d", row[k]);
        putchar('\n');
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "segp: error: tokenize: cannot write the output: %s\n", strerror(errno));
        status = 1;
    }
out:
    free(ids);
    clip_tokenizer_free(tok);
    for (int i = 0; i < n_files; i++) free(files[i]);
    free(texts.v);
    return status;
}
