/* text_clean.h: the text clean-up CLIP's tokenizer applies before splitting (internal to
 * engine/text/tokenizer.c, exposed for its tests).
 *
 * openai/CLIP's simple_tokenizer.py computes whitespace_clean(basic_clean(text)).lower(), where
 * basic_clean is ftfy.fix_text, then html.unescape twice, then strip. See text_clean.c for the
 * exact subset of ftfy and of the HTML entity table implemented. */
#ifndef SEGP_TEXT_CLEAN_H
#define SEGP_TEXT_CLEAN_H

#include <stddef.h>
#include <stdint.h>

/* Decode UTF-8 into code points (malloc'd, *n set). Ill-formed sequences become U+FFFD, one per
 * maximal subpart, as Python's bytes.decode("utf-8", "replace") does. Never fails. */
int32_t *clip_utf8_decode(const char *s, size_t len, size_t *n);

/* Append the UTF-8 encoding of C to OUT (at least 4 bytes of room); returns the byte count. */
int clip_utf8_put(int32_t c, char *out);

/* The cleaned, lower-cased text as code points (malloc'd, *n set). Never fails. */
int32_t *clip_clean_text_cp(const char *text, size_t *n);

/* The same as a malloc'd NUL-terminated UTF-8 string. */
char *clip_clean_text(const char *text);

#endif
