/* fault.h: deterministic fault injection for the resume tests. SEGP_FAULT_KILL=POINT:N makes
 * the process SIGKILL itself the N-th time it passes POINT ("step", "eval", "embed", "file",
 * "event"); "file" and "event" write half of the bytes first, leaving a torn temporary file or
 * a torn last line as a real crash would. POINT:N:INT raises SIGINT there instead (as Ctrl-C
 * would) and carries on. Unset (always, in normal use): no effect. */
#ifndef SEGP_FAULT_H
#define SEGP_FAULT_H

#include <stddef.h>

/* 1 when this pass of POINT is the one to kill at (the caller then tears its write and calls
 * fault_kill_now), 0 otherwise. */
int fault_hit(const char *point);
void fault_kill_now(void) __attribute__((noreturn));
/* fault_hit + kill in one, for points without a write. */
void fault_point(const char *point);

#endif
