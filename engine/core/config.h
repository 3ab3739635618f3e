/* config.h: table-driven JSON configs. A table lists every key (dotted path for nested objects),
 * its type, where it goes in a struct, its bounds and its documentation. Parsing rejects
 * unknown keys by name, wrong types and out-of-range values, with the file and key in the
 * message; the same table prints the documentation and writes the fully resolved config. */
#ifndef SEGP_CONFIG_H
#define SEGP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* The largest value of an integer key (seeds): 2^53 - 1. JSON numbers are read as doubles, and
 * from 2^53 up neighbouring integers read as one (2^53 + 1 became 2^53 without a word). */
#define CFG_MAX_EXACT_INT 9007199254740991.0

typedef enum { CFG_INT, CFG_FLOAT, CFG_STRING, CFG_BOOL, CFG_U64 } cfg_type;

typedef struct {
    const char *key;    /* "model.vision_width" */
    cfg_type type;
    size_t offset;      /* offsetof in the target struct */
    double min, max;    /* numeric bounds (inclusive) */
    size_t str_size;    /* CFG_STRING: size of the char array */
    const char *doc;    /* one line */
} cfg_field;

/* The text of the JSON file PATH (every config, a run's config.json) into *DATA (NUL-ended,
 * caller frees) and *SIZE. -1 + error naming the file when it cannot be read, or when it holds
 * a NUL byte (with its offset): a JSON parser stops there and would pass the rest over. */
int cfg_read_file(const char *path, uint8_t **data, size_t *size);

/* Parse FILE's JSON into dst (which holds the defaults on entry). -1 + error naming the file
 * and key. Keys may be nested objects or dotted at top level. A number is judged on its text as
 * written (an integer key refuses 4503599627370497.5, which reads as a whole double); an
 * unknown key names the keys near it; a syntax error gives its line and column. A UTF-8 BOM
 * is passed over. */
int cfg_parse_file(const char *path, const cfg_field *fields, int n_fields, void *dst);
/* The same for a config that may be one segp wrote back with a record of what its run found
 * (a run's config.json, a pretrained model's): when the top object holds MARKER, its members
 * RECORD[0..N_RECORD) are no settings and are passed over, so that the rest starts a new run;
 * without MARKER the file is parsed as it is. */
int cfg_parse_file_record(const char *path, const char *marker, const char *const *record,
                          int n_record, const cfg_field *fields, int n_fields, void *dst);
int cfg_parse_string(const char *json, const char *what, const cfg_field *fields, int n_fields,
                     void *dst);
/* The same for the N bytes of TEXT, passing over the top-level members named SKIP[0..N_SKIP)
 * (a record, not settings: a run's "resolved"). WHAT names the source in errors. */
int cfg_parse_text(const char *text, size_t n, const char *what, const char *const *skip,
                   int n_skip, const cfg_field *fields, int n_fields, void *dst);

/* Whether the N bytes at S are one number in JSON's syntax (not "+1", "01", "1." or ".5"). */
int cfg_is_json_number(const char *s, size_t n);

/* What cJSON lets pass but JSON does not, in the N bytes of TEXT that cJSON parsed: a control
 * byte between values or inside a string, and a \u0000, at which cJSON would cut the string.
 * 0, or -1 + an error naming WHAT and the line and column. */
int cfg_json_strict(const char *text, size_t n, const char *what);
/* For an unknown KEY: ": did you mean 'train.lr'?" naming up to three keys of the table near
 * it in spelling, or with its last part in another group; "" when none is near. */
void cfg_suggest(const cfg_field *fields, int n_fields, const char *key, char *buf, size_t size);

/* The resolved config as a JSON object string (nested by the dotted keys); caller frees.
 * extra_json (may be NULL) is an object whose members are appended (e.g. versions). A setting
 * with two names (finetune.c's world.* and benchmark.*) is written once, under its first. */
char *cfg_to_json(const cfg_field *fields, int n_fields, const void *src, const char *extra_json);

/* Documentation of every key with its default (from src) and bounds, to a malloc'd string. */
char *cfg_doc(const cfg_field *fields, int n_fields, const void *src);

/* Copy the N_SRC fields of SRC to DST + N with their offsets moved by BASE (where the struct
 * they describe sits inside the larger one), so a table can include another's keys; returns
 * N + N_SRC. DST must have room. */
int cfg_fields_append(cfg_field *dst, int n, const cfg_field *src, int n_src, size_t base);

#endif
