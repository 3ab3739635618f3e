/* shell_quote.c: a string as one POSIX shell word, for the commands segp prints for copying
 * (the engine's advice in its errors, the command line's and the workbench's lines). */
#include <string.h>

#include "common.h"

void segp_shell_quote(const char *s, char *buf, size_t n) {
    if (!n) return;
    int safe = s[0] != 0;
    for (const char *p = s; *p; p++)
        safe &= !!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-=:,+@%",
                         *p);
    if (safe) {
        snprintf(buf, n, "%s", s);
        return;
    }
    size_t k = 0;
    if (k + 1 < n) buf[k++] = '\'';
    for (const char *p = s; *p && k + 5 < n; p++) {
        if (*p == '\'') { /* ends the quotes, an escaped quote, opens them again */
            memcpy(buf + k, "'\\''", 4);
            k += 4;
        } else {
            buf[k++] = *p;
        }
    }
    if (k + 1 < n) buf[k++] = '\'';
    buf[k] = 0;
}
