/* tiny_run.h: the tiny continual-run config the run tests share: the shipped model on shapes,
 * the first 3 tasks (30 classes), 10 training and 5 test images per class, one epoch, written
 * into the test's scratch folder. */
#ifndef SEGP_TESTS_TINY_RUN_H
#define SEGP_TESTS_TINY_RUN_H

/* The config's JSON as a printf format: the method, then text added at the end of the top
 * object (", \"key\": ..." or ""). */
extern const char TINY_RUN[];

/* Write JSON as test_tmpdir()/NAME.json; its path (one of 8 rotating buffers). */
const char *write_config(const char *name, const char *json);
/* TINY_RUN with METHOD and EXTRA, written as NAME.json; its path. */
const char *tiny_config(const char *name, const char *method, const char *extra);

#endif
