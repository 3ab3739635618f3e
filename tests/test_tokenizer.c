/* test_tokenizer.c: CLIP's BPE tokenizer (engine/text/tokenizer.c, engine/text/text_clean.c) and
 * `segp tokenize` against ids from tests/ref/tokenizer_ref.py (a re-implementation of
 * openai/CLIP's simple_tokenizer.py + clip.tokenize), committed in
 * tests/fixtures/tokenizer_cases.jsonl: one JSON object per line with the text, the cleaned
 * text, the BPE ids and, for texts longer than 77 tokens, clip.tokenize(..., truncate=True). */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/common.h"
#include "text/text_clean.h"
#include "text/tokenizer.h"
#include "test.h"

#define FIXTURE "tests/fixtures/tokenizer_cases.jsonl"
#define VOCAB "data/bpe_simple_vocab_16e6.txt.gz"

/* One tokenizer shared by the tests below, freed at exit so that LeakSanitizer sees no leak. */
static clip_tokenizer *tok_shared;

static clip_tokenizer *shared_tok(void) {
    if (!tok_shared) tok_shared = clip_tokenizer_init(NULL);
    /* every test that needs it fails without it, not only the first */
    CHECK_MSG(tok_shared != NULL, "embedded vocabulary: %s", segp_last_error());
    return tok_shared;
}

__attribute__((destructor)) static void free_shared_tok(void) { clip_tokenizer_free(tok_shared); }

static int read_ids(const cJSON *arr, int32_t *out, int max) {
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) {
        if (n < max) out[n] = (int32_t)x->valuedouble;
        n++;
    }
    return n;
}

static void check_case(clip_tokenizer *tok, const cJSON *c) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
    const char *clean = cJSON_GetObjectItem(c, "clean")->valuestring;
    static int32_t want[4096], got[4096];
    int n_want = read_ids(cJSON_GetObjectItem(c, "ids"), want, 4096);

    char *mine = clip_clean_text(text);
    CHECK_MSG(!strcmp(mine, clean), "case %s: cleaned text \"%s\", expected \"%s\"", name, mine,
              clean);
    free(mine);

    int total = -1;
    int n = clip_tokenizer_encode(tok, text, got, 4096, &total);
    CHECK_MSG(n == n_want && total == n_want, "case %s: %d ids (total %d), expected %d", name, n,
              total, n_want);
    for (int i = 0; i < n && i < n_want; i++)
        if (got[i] != want[i]) {
            CHECK_MSG(0, "case %s: id %d is %d (%s), expected %d (%s)", name, i, got[i],
                      clip_tokenizer_token(tok, got[i]), want[i],
                      clip_tokenizer_token(tok, want[i]));
            break;
        }

    int32_t out[CLIP_CONTEXT], exp[CLIP_CONTEXT] = {0};
    int fits = n_want + 2 <= CLIP_CONTEXT;
    int rc = clip_tokenize(tok, text, CLIP_CONTEXT, 0, out);
    CHECK_MSG(rc == (fits ? 0 : -1), "case %s: clip_tokenize without truncation returned %d", name,
              rc);
    if (fits) {
        exp[0] = CLIP_SOT;
        memcpy(exp + 1, want, (size_t)n_want * sizeof *want);
        exp[n_want + 1] = CLIP_EOT;
        CHECK_MSG(rc == 0 && !memcmp(out, exp, sizeof exp), "case %s: clip_tokenize differs", name);
    } else {
        CHECK_MSG(strstr(segp_last_error(), "too long") != NULL, "case %s: error '%s'", name,
                  segp_last_error());
        CHECK_EQ_INT(read_ids(cJSON_GetObjectItem(c, "truncated"), exp, CLIP_CONTEXT),
                     CLIP_CONTEXT);
    }
    rc = clip_tokenize(tok, text, CLIP_CONTEXT, 1, out);
    CHECK_MSG(rc == 0 && !memcmp(out, exp, sizeof exp), "case %s: clip_tokenize(truncate) differs",
              name);
}

TEST(tokenizer_fixture_cases) {
    clip_tokenizer *tok = shared_tok();
    uint8_t *data;
    size_t size;
    if (!tok) return;
    CHECK_MSG(segp_read_file(FIXTURE, &data, &size) == 0, "%s", segp_last_error());
    if (!data) return;
    int n_cases = 0;
    /* Twice: the second pass answers from the BPE cache. */
    for (int pass = 0; pass < 2; pass++) {
        char *save = NULL, *copy = segp_strdup((char *)data);
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            cJSON *c = cJSON_Parse(line);
            CHECK_MSG(c != NULL, "%s: unparsable line", FIXTURE);
            if (!c) continue;
            check_case(tok, c);
            n_cases += pass == 0;
            cJSON_Delete(c);
        }
        free(copy);
    }
    CHECK(n_cases >= 40);
    free(data);
}

TEST(tokenizer_known_ids) {
    /* openai/CLIP's README: clip.tokenize(["a diagram", "a dog", "a cat"]). */
    clip_tokenizer *tok = shared_tok();
    if (!tok) return;
    int32_t out[CLIP_CONTEXT];
    CHECK(clip_tokenize(tok, "a diagram", CLIP_CONTEXT, 0, out) == 0);
    CHECK_EQ_INT(out[0], 49406);
    CHECK_EQ_INT(out[1], 320);
    CHECK_EQ_INT(out[2], 22697);
    CHECK_EQ_INT(out[3], 49407);
    for (int i = 4; i < CLIP_CONTEXT; i++) CHECK_EQ_INT(out[i], 0);
    CHECK(clip_tokenize(tok, "a dog", CLIP_CONTEXT, 0, out) == 0);
    CHECK_EQ_INT(out[2], 1929);
    CHECK(clip_tokenize(tok, "a cat", CLIP_CONTEXT, 0, out) == 0);
    CHECK_EQ_INT(out[2], 2368);
    CHECK(!strcmp(clip_tokenizer_token(tok, 320), "a</w>"));
    CHECK(!strcmp(clip_tokenizer_token(tok, 0), "!"));
    CHECK(!strcmp(clip_tokenizer_token(tok, 256), "!</w>"));
    CHECK(!strcmp(clip_tokenizer_token(tok, CLIP_SOT), "<|startoftext|>"));
    CHECK(!strcmp(clip_tokenizer_token(tok, CLIP_EOT), "<|endoftext|>"));
    CHECK(clip_tokenizer_token(tok, -1) == NULL);
    CHECK(clip_tokenizer_token(tok, CLIP_EOT + 1) == NULL);
}

TEST(tokenizer_truncation_and_errors) {
    clip_tokenizer *tok = shared_tok();
    if (!tok) return;
    /* "dog" is one token: 76 of them make 78 with start and end. */
    char text[512] = "";
    for (int i = 0; i < 76; i++) strcat(text, i ? " dog" : "dog");
    int32_t out[CLIP_CONTEXT], ids[8];
    int total = 0;
    CHECK_EQ_INT(clip_tokenizer_encode(tok, text, ids, 8, &total), 8);
    CHECK_EQ_INT(total, 76);
    CHECK_EQ_INT(clip_tokenizer_encode(tok, text, NULL, 0, &total), 0);
    CHECK_EQ_INT(total, 76);

    segp_clear_error();
    CHECK_EQ_INT(clip_tokenize(tok, text, CLIP_CONTEXT, 0, out), -1);
    const char *err = segp_last_error();
    CHECK_MSG(strstr(err, "\"dog dog dog") && strstr(err, "...\"") && strstr(err, "78 tokens") &&
                  strstr(err, "77"), "error: %s", err);
    CHECK_EQ_INT(clip_tokenize(tok, text, CLIP_CONTEXT, 1, out), 0);
    CHECK_EQ_INT(out[0], CLIP_SOT);
    CHECK_EQ_INT(out[75], 1929);
    CHECK_EQ_INT(out[76], CLIP_EOT);

    /* 75 dogs fit exactly. */
    text[strlen(text) - 4] = 0;
    CHECK_EQ_INT(clip_tokenize(tok, text, CLIP_CONTEXT, 0, out), 0);
    CHECK_EQ_INT(out[76], CLIP_EOT);

    /* Other context lengths, as clip.tokenize(text, context_length=N, truncate=True). */
    int32_t small[5];
    CHECK_EQ_INT(clip_tokenize(tok, "a photo of a dog", 5, 1, small), 0);
    int32_t want[5] = {CLIP_SOT, 320, 1125, 539, CLIP_EOT};
    CHECK(!memcmp(small, want, sizeof want));
    CHECK_EQ_INT(clip_tokenize(tok, "a photo of a dog", 5, 0, small), -1);
    CHECK_EQ_INT(clip_tokenize(tok, "a", 1, 1, small), 0);
    CHECK_EQ_INT(small[0], CLIP_EOT);
    CHECK_EQ_INT(clip_tokenize(tok, "a", 0, 1, small), -1);
    CHECK_EQ_INT(clip_tokenize(tok, NULL, 5, 1, small), -1);

    /* A long error text is shortened on a character boundary and stays on one line. */
    const char *accents = "ééééééééééééééééééééééééééééééééééééééé\nx";
    CHECK_EQ_INT(clip_tokenize(tok, accents, 3, 0, small), -1);
    err = segp_last_error();
    CHECK_MSG(!strchr(err, '\n') && strstr(err, "éé...\""), "error: %s", err);
}

TEST(tokenizer_invalid_utf8) {
    clip_tokenizer *tok = shared_tok();
    if (!tok) return;
    /* Ill-formed UTF-8 reads as U+FFFD per maximal subpart, like bytes.decode(errors="replace"). */
    int32_t a[16], b[16];
    int na = clip_tokenizer_encode(tok, "x\xff y", a, 16, NULL);
    int nb = clip_tokenizer_encode(tok, "x\xef\xbf\xbd y", b, 16, NULL);
    CHECK(na > 0 && na == nb && !memcmp(a, b, (size_t)na * sizeof *a));
    char *c = clip_clean_text("\xe2\x82" "a\xed\xa0\x80\xf0\x9f\x98");
    CHECK_MSG(!strcmp(c, "\xef\xbf\xbd" "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"),
              "cleaned: %s", c);
    free(c);
}

/* Regression (issue 16): a text that cleans to nothing left clip_clean_text_cp computing
 * NULL + 0 (undefined behaviour, reported by clang's UBSan on `segp tokenize ""`; the fuzz
 * corpus fuzz/corpus/tokenizer/ keeps the input). Empty results are an empty, non-NULL buffer. */
TEST(tokenizer_text_cleaning_to_nothing) {
    static const char *const empty[] = {"", " ", "\t\n\r ", "&nbsp;", "&amp;nbsp;", "\x1b[0m",
                                        "\x7f\x01", "\xc2\xa0\xe3\x80\x80"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        size_t n = 99;
        int32_t *v = clip_clean_text_cp(empty[i], &n);
        CHECK_MSG(v != NULL && n == 0, "text %zu: %zu code points", i, n);
        free(v);
        char *c = clip_clean_text(empty[i]);
        CHECK_MSG(c && !strcmp(c, ""), "text %zu cleaned to '%s'", i, c ? c : "(null)");
        free(c);
    }
    clip_tokenizer *tok = shared_tok();
    if (!tok) return;
    int32_t out[CLIP_CONTEXT], want[CLIP_CONTEXT] = {CLIP_SOT, CLIP_EOT};
    int total = -1;
    CHECK_EQ_INT(clip_tokenizer_encode(tok, "", NULL, 0, &total), 0);
    CHECK_EQ_INT(total, 0);
    CHECK_EQ_INT(clip_tokenize(tok, " &nbsp; ", CLIP_CONTEXT, 0, out), 0);
    CHECK(!memcmp(out, want, sizeof want));
    static char cli[4096];
    CHECK_EQ_INT(test_run_segp("tokenize ''", cli, sizeof cli), 0);
    CHECK_MSG(!strncmp(cli, "49406 49407 0 0 ", 16), "output: %.40s", cli);
}

TEST(tokenizer_many_words_cache) {
    /* More distinct words than the cache keeps (it empties itself and starts again). */
    clip_tokenizer *tok = clip_tokenizer_init(NULL);
    if (!tok) return;
    size_t n_words = 70000, len = 0;
    char *text = segp_malloc(n_words * 8);
    for (size_t i = 0; i < n_words; i++) {
        size_t v = i;
        text[len++] = ' ';
        do text[len++] = (char)('a' + v % 26), v /= 26;
        while (v);
    }
    text[len] = 0;
    int total = 0;
    CHECK(clip_tokenizer_encode(tok, text, NULL, 0, &total) == 0);
    CHECK(total >= (int)n_words);
    int32_t a[8], b[8];
    CHECK_EQ_INT(clip_tokenizer_encode(tok, "zzqx jjkw", a, 8, NULL), 4);
    clip_tokenizer *fresh = clip_tokenizer_init(VOCAB);
    CHECK_MSG(fresh != NULL, "%s", segp_last_error());
    if (fresh) {
        CHECK_EQ_INT(clip_tokenizer_encode(fresh, "zzqx jjkw", b, 8, NULL), 4);
        CHECK(!memcmp(a, b, sizeof a / 2));
    }
    clip_tokenizer_free(fresh);
    clip_tokenizer_free(tok);
    free(text);
}

/* ------------------------------------------------------------------ vocabulary files */

static void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/%s", test_tmpdir(), name);
}

static void write_gz(const char *path, const char *text) {
    gzFile g = gzopen(path, "wb");
    CHECK(g != NULL);
    if (!g) return;
    CHECK(gzwrite(g, text, (unsigned)strlen(text)) == (int)strlen(text));
    gzclose(g);
}

/* The first half of the real vocabulary file: a gzip stream that stops early. */
static void write_truncated_vocab(const char *path) {
    uint8_t *data;
    size_t size;
    CHECK(segp_read_file(VOCAB, &data, &size) == 0);
    if (!data) return;
    write_bytes(path, data, size / 2);
    free(data);
}

static void expect_init_error(const char *path, const char *what) {
    segp_clear_error();
    clip_tokenizer *tok = clip_tokenizer_init(path);
    CHECK_MSG(tok == NULL, "%s: loaded", path);
    clip_tokenizer_free(tok);
    const char *err = segp_last_error();
    CHECK_MSG(strstr(err, path) && strstr(err, what) && !strchr(err, '\n'),
              "%s: error '%s' (expected it to name the file and say '%s')", path, err, what);
}

TEST(tokenizer_vocab_file_errors) {
    char p[512];
    tmp_path(p, sizeof p, "no_such_vocab.txt.gz");
    expect_init_error(p, "cannot open");

    tmp_path(p, sizeof p, "plain.txt");
    const char *plain = "\"bpe_simple_vocab_16e6.txt#version: 0.2\ni n\nt h\n";
    write_bytes(p, plain, strlen(plain));
    expect_init_error(p, "not a gzip file");

    tmp_path(p, sizeof p, "empty.gz");
    write_bytes(p, "", 0);
    expect_init_error(p, "empty");

    tmp_path(p, sizeof p, "half.txt.gz");
    write_truncated_vocab(p);
    expect_init_error(p, "truncated");

    tmp_path(p, sizeof p, "short.txt.gz");
    write_gz(p, "#version: 0.2\ni n\nt h\na n\n");
    expect_init_error(p, "has 3 merge lines");

    /* A corrupt byte inside the deflate data or the CRC. */
    uint8_t *data;
    size_t size;
    CHECK(segp_read_file(VOCAB, &data, &size) == 0);
    if (data) {
        tmp_path(p, sizeof p, "crc.txt.gz");
        data[size - 6] ^= 0x55;
        write_bytes(p, data, size);
        expect_init_error(p, "corrupt gzip data");
        free(data);
    }

    /* A merge line with three symbols. */
    size_t cap = 48900 * 8, len = 0;
    char *text = segp_malloc(cap);
    len += (size_t)sprintf(text, "#version: 0.2\n");
    for (int i = 0; i < 48894; i++)
        len += (size_t)sprintf(text + len, i == 5 ? "a b c\n" : "x y\n");
    tmp_path(p, sizeof p, "three.txt.gz");
    write_gz(p, text);
    expect_init_error(p, "line 7: 3 symbols");
    free(text);

    /* The repository's file gives the same tokenizer as the embedded copy. */
    clip_tokenizer *tok = clip_tokenizer_init(VOCAB);
    CHECK_MSG(tok != NULL, "%s", segp_last_error());
    int32_t out[CLIP_CONTEXT];
    if (tok) {
        CHECK(clip_tokenize(tok, "a diagram", CLIP_CONTEXT, 0, out) == 0);
        CHECK_EQ_INT(out[2], 22697);
    }
    clip_tokenizer_free(tok);
}

TEST(tokenizer_unordered_merges) {
    /* A merge list where "ab a" (rank 0) comes before "a b" (rank 1) made "ab": bpe() finishes
     * every "a b" of a pass before the rank-0 merge, so "ababab" is [ab, aba, b</w>] (ids from
     * tokenizer_ref.SimpleTokenizer on the same file), not what a merge-as-you-go BPE gives. */
    char p[512];
    size_t cap = 48900 * 8, len = 0;
    char *text = segp_malloc(cap);
    len += (size_t)sprintf(text, "#version: 0.2\nab a\na b\n");
    for (int i = 2; i < 48894; i++) len += (size_t)sprintf(text + len, "x y\n");
    tmp_path(p, sizeof p, "unordered.txt.gz");
    write_gz(p, text);
    free(text);
    clip_tokenizer *tok = clip_tokenizer_init(p);
    CHECK_MSG(tok != NULL, "%s", segp_last_error());
    if (!tok) return;
    int32_t ids[8];
    CHECK_EQ_INT(clip_tokenizer_encode(tok, "ababab", ids, 8, NULL), 3);
    CHECK_EQ_INT(ids[0], 513);
    CHECK_EQ_INT(ids[1], 512);
    CHECK_EQ_INT(ids[2], 321);
    CHECK_EQ_INT(clip_tokenizer_encode(tok, "abc", ids, 8, NULL), 2);
    CHECK_EQ_INT(ids[0], 513);
    CHECK_EQ_INT(ids[1], 322);
    clip_tokenizer_free(tok);
}

/* ------------------------------------------------------------------ segp tokenize */

static const char *line_of(int n_ids, const int32_t *ids, char *buf) {
    buf[0] = 0;
    for (int i = 0; i < CLIP_CONTEXT; i++)
        sprintf(buf + strlen(buf), "%s%d", i ? " " : "", i < n_ids ? ids[i] : 0);
    strcat(buf, "\n");
    return buf;
}

TEST(tokenizer_cli) {
    static char out[16384], want[2048], want2[2048];
    int32_t diagram[] = {CLIP_SOT, 320, 22697, CLIP_EOT}, cat[] = {CLIP_SOT, 320, 2368, CLIP_EOT};
    CHECK_EQ_INT(test_run_segp("tokenize 'a diagram'", out, sizeof out), 0);
    CHECK_MSG(!strcmp(out, line_of(4, diagram, want)), "output: %s", out);

    CHECK_EQ_INT(test_run_segp("tokenize 'a diagram' 'A  CAT '", out, sizeof out), 0);
    line_of(4, cat, want2);
    CHECK(!strncmp(out, want, strlen(want)) && !strcmp(out + strlen(want), want2));

    char p[512], cmd[1200];
    tmp_path(p, sizeof p, "texts.txt");
    write_bytes(p, "a diagram\r\na cat\n", 17);
    snprintf(cmd, sizeof cmd, "tokenize --file %s", p);
    CHECK_EQ_INT(test_run_segp(cmd, out, sizeof out), 0);
    CHECK(!strncmp(out, want, strlen(want)) && !strcmp(out + strlen(want), want2));

    /* an empty file, or empty standard input, holds no texts: no lines, exit 0 (a pipeline
     * with nothing in it), not the usage */
    tmp_path(p, sizeof p, "empty.txt");
    write_bytes(p, "", 0);
    snprintf(cmd, sizeof cmd, "tokenize --file %s", p);
    CHECK_EQ_INT(test_run_segp(cmd, out, sizeof out), 0);
    CHECK_MSG(out[0] == 0, "output: %s", out);
    CHECK_EQ_INT(test_run_segp("tokenize --file - < /dev/null", out, sizeof out), 0);
    CHECK_MSG(out[0] == 0, "output: %s", out);
    /* a UTF-16 file (NUL bytes): refused, naming it (its lines were cut at the first NUL) */
    tmp_path(p, sizeof p, "utf16.txt");
    write_bytes(p, "a\0 \0c\0a\0t\0\n\0", 12);
    snprintf(cmd, sizeof cmd, "tokenize --file %s", p);
    CHECK_EQ_INT(test_run_segp(cmd, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "utf16.txt: byte 1 is a NUL: not UTF-8 text"), "output: %s", out);

    CHECK_EQ_INT(test_run_segp("tokenize --context 5 --truncate 'a photo of a dog'", out,
                               sizeof out), 0);
    CHECK_MSG(!strcmp(out, "49406 320 1125 539 49407\n"), "output: %s", out);
    CHECK_EQ_INT(test_run_segp("tokenize --context 5 'a photo of a dog'", out, sizeof out), 1);
    CHECK_MSG(strstr(out, "segp: error: ") == out && strstr(out, "a photo of a dog") &&
                  strstr(out, "too long"), "output: %s", out);
    snprintf(cmd, sizeof cmd, "tokenize --vocab %s 'a cat'", VOCAB);
    CHECK_EQ_INT(test_run_segp(cmd, out, sizeof out), 0);
    CHECK(!strcmp(out, want2));

    CHECK_EQ_INT(test_run_segp("tokenize --help", out, sizeof out), 0);
    CHECK(strstr(out, "usage: segp tokenize") != NULL);
    CHECK_EQ_INT(test_run_segp("tokenize", out, sizeof out), 2);
    CHECK_EQ_INT(test_run_segp("tokenize --context x 'a'", out, sizeof out), 2);
    CHECK_EQ_INT(test_run_segp("tokenize --bogus 'a'", out, sizeof out), 2);
    CHECK(strstr(out, "--bogus") != NULL);
}

/* One line, "segp: error: ", naming the file, exit status 1. */
static void expect_cli_vocab_error(const char *path, const char *what) {
    static char out[4096];
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "tokenize --vocab %s 'a dog'", path);
    CHECK_EQ_INT(test_run_segp(cmd, out, sizeof out), 1);
    char *nl = strchr(out, '\n');
    CHECK_MSG(strstr(out, "segp: error: ") == out && strstr(out, path) && strstr(out, what) && nl &&
                  nl[1] == 0, "%s: output '%s'", path, out);
}

TEST(tokenizer_cli_bad_vocab) {
    char p[512];
    tmp_path(p, sizeof p, "cli_missing.txt.gz");
    expect_cli_vocab_error(p, "cannot open");
    tmp_path(p, sizeof p, "cli_plain.txt");
    write_bytes(p, "i n\nt h\n", 8);
    expect_cli_vocab_error(p, "not a gzip file");
    tmp_path(p, sizeof p, "cli_half.txt.gz");
    write_truncated_vocab(p);
    expect_cli_vocab_error(p, "truncated");
}
