/* test_config.c: reading a JSON config against a key table (engine/core/config.c), in the
 * cases a hand-edited config meets: numbers judged as written, syntax errors located, values of
 * the wrong kind named, unknown keys with the keys near them. The run's own keys and checks are
 * in test_run_config.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/cl_config.h"
#include "core/common.h"
#include "core/config.h"
#include "test.h"

/* JSON against the run's table over the defaults: 0, or -1 with the error in segp_last_error. */
static int parse(const char *json, cl_config *c) {
    int n;
    const cfg_field *f = cl_config_fields(&n);
    *c = cl_config_default();
    return cfg_parse_string(json, "t.json", f, n, c);
}

/* JSON that must be refused with WANT in the message (and leave seed at its default). */
static void refused(const char *json, const char *want) {
    cl_config c;
    int rc = parse(json, &c);
    CHECK_MSG(rc != 0, "%s: accepted", json);
    CHECK_MSG(rc == 0 || strstr(segp_last_error(), want), "%s: '%s', expected '%s'", json,
              segp_last_error(), want);
}

/* An integer key with a fraction is refused wherever it is written, by its text: from 2^52 up
 * the double cJSON reads has no fraction left (4503599627370497.5 read as ...498 and ran). */
TEST(config_integer_key_fraction_refused) {
    refused("{\"seed\": 4503599627370497.5}",
            "t.json: key 'seed' must be an integer, got 4503599627370497.5");
    refused("{\"seed\": 9007199254740990.5}", "must be an integer, got 9007199254740990.5");
    refused("{\"seed\": 45035996273704975e-1}", "must be an integer, got 45035996273704975e-1");
    refused("{\"seed\": 1.5}", "must be an integer, got 1.5");
    refused("{\"benchmark\": {\"order_seed\": 2.000001}}",
            "key 'benchmark.order_seed' must be an integer, got 2.000001");
    /* whole numbers in any spelling are read, exact */
    const struct { const char *json; uint64_t seed; } ok[] = {
        {"{\"seed\": 4503599627370497}", 4503599627370497ull},
        {"{\"seed\": 45035996273704970e-1}", 4503599627370497ull},
        {"{\"seed\": 4503599627370497.0}", 4503599627370497ull},
        {"{\"seed\": 1.5e1}", 15},
        {"{\"seed\": 0.0e5}", 0},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        cl_config c;
        CHECK_MSG(parse(ok[k].json, &c) == 0, "%s: %s", ok[k].json, segp_last_error());
        CHECK_MSG(c.seed == ok[k].seed, "%s: seed %llu", ok[k].json, (unsigned long long)c.seed);
    }
    /* out of range: the value as written (2^53 + 1 was shown as 2^53, which it reads as) */
    refused("{\"seed\": 9007199254740993}",
            "key 'seed' = 9007199254740993 is out of range (expected 0 to 9007199254740991)");
    /* --set: the same words */
    cl_config c = cl_config_default();
    CHECK(cl_config_set(&c, "seed=4503599627370497.5") != 0);
    CHECK_MSG(!strcmp(segp_last_error(), "--set seed=4503599627370497.5: key 'seed' must be an "
                                         "integer, got 4503599627370497.5"), "%s",
              segp_last_error());
    CHECK(c.seed == 1);
    /* a run's config.json (its "resolved" record passed over): a new run from it, and resume */
    const char *run_json = "{\"seed\": 4503599627370497.5, \"resolved\": {\"threads\": 1}}";
    char *path = tpath("%s", "frac-config.json");
    write_text(path, run_json);
    c = cl_config_default();
    CHECK(cl_config_parse_file(path, &c) != 0);
    CHECK_MSG(strstr(segp_last_error(), "frac-config.json: key 'seed' must be an integer, got "
                                        "4503599627370497.5"), "%s", segp_last_error());
    cl_run_provenance prov;
    c = cl_config_default();
    CHECK(cl_config_parse_run(run_json, strlen(run_json), "run/config.json", &c, &prov) != 0);
    CHECK_MSG(strstr(segp_last_error(), "run/config.json: key 'seed' must be an integer"), "%s",
              segp_last_error());
    /* and the record is still passed over there */
    const char *good = "{\"seed\": 4503599627370497, \"resolved\": {\"threads\": 3}}";
    write_text(path, good);
    c = cl_config_default();
    CHECK_MSG(cl_config_parse_file(path, &c) == 0 && c.seed == 4503599627370497ull, "%s",
              segp_last_error());
    c = cl_config_default();
    CHECK(cl_config_parse_run(good, strlen(good), "run/config.json", &c, &prov) == 0);
    CHECK(c.seed == 4503599627370497ull && prov.threads == 3);
}

/* A text that is no config object: empty, another JSON value, JSON with a syntax error (with
 * its line and column, and the usual cause where there is one: NaN, a comment, single quotes,
 * a trailing comma), or text after the object. A UTF-8 BOM is passed over. */
TEST(config_syntax_errors_located) {
    const char *cases[][2] = {
        {"", "t.json: empty (expected a JSON object of config keys"},
        {" \n\t ", "t.json: empty (expected a JSON object of config keys"},
        {"[1, 2]", "t.json: expected a JSON object of config keys at the top, got an array"},
        {"\"seed\"", "at the top, got the string \"seed\""},
        {"7", "at the top, got 7"},
        {"{\"seed\": NaN}", "not valid JSON near line 1, column 10 (byte 9) (JSON has no NaN or "
                            "Infinity: give a number)"},
        {"{\"train\": {\"lr\": -Infinity}}", "column 18 (byte 17) (JSON has no NaN or Infinity"},
        {"{\"seed\": 3 // mine\n}", "near line 1, column 12 (byte 11) (JSON has no comments)"},
        {"{'seed': 3}", "near line 1, column 2 (byte 1) (JSON strings take double quotes)"},
        {"{\"seed\": 3 ,\n}", "near line 1, column 12 (byte 11) (a comma before a closing"},
        /* cJSON stopped at the outer bracket of ",}}": no hint was given */
        {"{\"seed\": 3,\n \"train\": {\"lr\": 0.1,}}",
         "near line 2, column 21 (byte 32) (a comma before a closing bracket: JSON allows none)"},
        {"{\n  \"seed\": 3,\n  \"train\": {\"lr\": 0.1,}\n}",
         "near line 3, column 22 (byte 36) (a comma before a closing bracket: JSON allows none)"},
        {"{\"seed\": 3}\n{\"seed\": 4}",
         "t.json: text after the end of the JSON value, at line 2, column 1 (byte 12; "
         "expected one object)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) refused(cases[k][0], cases[k][1]);
    cl_config c;
    CHECK_MSG(parse("\xEF\xBB\xBF{\"seed\": 5}\n", &c) == 0 && c.seed == 5, "%s",
              segp_last_error());
}

/* A value of the wrong kind is named as written; so is one that reads as another (01, 1e-50
 * for a float, a string cut at \u0000), a group given as a value, and a key too long for any
 * table. */
TEST(config_values_named) {
    const char *cases[][2] = {
        {"{\"seed\": \"5\"}", "t.json: key 'seed' must be a number, got the string \"5\""},
        {"{\"seed\": null}", "key 'seed' must be a number, got null"},
        {"{\"train\": {\"lr\": [0.1]}}", "key 'train.lr' must be a number, got an array"},
        {"{\"analytics\": {\"enabled\": 1}}",
         "key 'analytics.enabled' must be true or false, got 1"},
        {"{\"method\": {\"name\": \"segp\"}}", "key 'method' must be a string, got an object"},
        {"{\"model\": 5e0}", "key 'model' must be a string, got 5e0"},
        /* it read as "unknown key 'benchmark'" */
        {"{\"benchmark\": \"shapes\"}",
         "key 'benchmark' must be an object of benchmark.* keys (or give them dotted: "
         "\"benchmark.KEY\"), got the string \"shapes\""},
        /* numbers JSON does not have, which --set refused and a file took */
        {"{\"seed\": 01}", "key 'seed' = 01 is not a JSON number"},
        {"{\"train\": {\"lr\": 1.}}", "key 'train.lr' = 1. is not a JSON number"},
        {"{\"train\": {\"lr\": -.5}}", "key 'train.lr' = -.5 is not a JSON number"},
        /* a float key: out of range as written (it read "= inf"), or too small for a float
         * (1e-50 ran as 0) */
        {"{\"train\": {\"lr\": 1e999}}", "key 'train.lr' = 1e999 is out of range (expected 0 to "
                                        "100)"},
        {"{\"train\": {\"lr\": 1e-50}}",
         "key 'train.lr' = 1e-50 is too small for a 32-bit float (it would be 0"},
        /* cJSON ends the string at the NUL: "a" was the model */
        {"{\"x\": 1,\n \"model\": \"a\\u0000b.safetensors\"}",
         "t.json: a \\u0000 (NUL) in a string at line 2, column 13"},
        /* bytes JSON does not allow, which cJSON took: a control byte between values (it
         * skips them as spaces) and one inside a string (kept in the value) */
        {"{\"seed\":\x01 5}", "t.json: control byte 0x01 at line 1, column 9 (byte 8; JSON "
                              "allows only space, tab, newline and carriage return"},
        {"{\"seed\": 5}\x0c", "control byte 0x0c at line 1, column 12"},
        {"{\"model\": \"a\tb\"}", "control byte 0x09 inside a string at line 1, column 13"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) refused(cases[k][0], cases[k][1]);
    /* a key longer than any table's: named by its start and length */
    char json[700] = "{\"";
    memset(json + 2, 'k', 600);
    strcpy(json + 602, "\": 1}");
    refused(json, "unknown key 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...' "
                  "(600 characters;");
    /* the smallest floats and -0 are values */
    cl_config c;
    CHECK(parse("{\"train\": {\"lr\": 1e-44}, \"seed\": -0}", &c) == 0);
    CHECK(c.train.lr > 0 && c.seed == 0);
    /* and a long string still says how long it is */
    char big[1200] = "{\"model\": \"";
    memset(big + 11, 'm', 1100);
    strcpy(big + 1111, "\"}");
    refused(big, "key 'model' is too long: 1100 characters (at most 1023)");
}

/* An unknown key names the keys near it: one edit away, the same last part in another group,
 * or case; in a file and in --set. */
TEST(config_unknown_key_suggestions) {
    const char *cases[][2] = {
        {"{\"train\": {\"lrr\": 0.1}}",
         "t.json: unknown key 'train.lrr': did you mean 'train.lr'? (the command's --help lists "
         "every key)"},
        {"{\"sed\": 3}", "unknown key 'sed': did you mean 'seed'?"},
        {"{\"Seed\": 3}", "unknown key 'Seed': did you mean 'seed'?"},
        {"{\"lr\": 0.1}", "unknown key 'lr': did you mean 'train.lr'?"},
        {"{\"lambda\": 1}", "unknown key 'lambda': did you mean 'acgd.lambda' or 'tsgr.lambda'?"},
        {"{\"acgd\": {\"lamda\": 1}}", "unknown key 'acgd.lamda': did you mean 'acgd.lambda'?"},
        {"{\"xyzzy\": 1}", "unknown key 'xyzzy' (the command's --help lists every key)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) refused(cases[k][0], cases[k][1]);
    cl_config c = cl_config_default();
    CHECK(cl_config_set(&c, "trian.lr=0.1") != 0);
    CHECK_MSG(!strcmp(segp_last_error(), "--set trian.lr=0.1: unknown key 'trian.lr': did you "
                                         "mean 'train.lr'? (segp run --help lists every key)"),
              "%s", segp_last_error());
}
