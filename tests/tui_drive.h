/* tui_drive.h: the workbench driven as a user would, in tmux (a private server per test, one
 * window "w" of 120x40): keys, typed text and clicks in, the pane's text out; screens are polled
 * with a deadline, a failure and never a timing assertion (tests/tui_drive.c). */
#ifndef SEGP_TEST_TUI_DRIVE_H
#define SEGP_TEST_TUI_DRIVE_H

#include <stddef.h>

#define TUI_DEADLINE_S 300.0 /* generous: the sanitizer build on a busy machine */

/* The last text read from the pane (capture, pane, wait_for, ...). */
extern char screen_last[65536];

int have_tmux(void);
/* tmux ARGS on the test's server (a UTF-8 locale whatever the test's own); the exit status. */
int tmux(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The pane's text (or a tmux format with -p display) into screen_last. */
const char *pane(const char *what);
const char *capture(void);
void nap(void); /* 50 ms */
/* Polls the pane until it shows every string given (NULL-terminated); 0 (and the screen
 * printed) when the deadline passes. */
int wait_for(const char *first, ...);
/* Polls the pane until it no longer shows S (a closed overlay); 0 when the deadline passes. */
int wait_gone(const char *s);
/* The title row (second line) of the screen, lower-cased. */
void title_row(char *out, size_t n);
/* The segp binary under test, as an absolute path. */
const char *segp_abs(void);
/* A fresh tmux server NAME with one 120x40 window running COMMAND (then "EXITED status"). */
int start(const char *name, const char *command);
void stop(void);
void keys(const char *k);        /* tmux key names, space-separated */
void type(const char *text);     /* text typed as is (no key names) */
void click(int x, int y);        /* a left click at cell X, Y (0-based) */

#endif
