/* tui_drive.c: the workbench driven in tmux as a user would (tui_drive.h). */
#include "tui_drive.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "test.h"

static char sock[600];
char screen_last[65536];

int have_tmux(void) { return system("command -v tmux >/dev/null 2>&1") == 0; }

int tmux(const char *fmt, ...) {
    char args[4096], cmd[5000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    /* a UTF-8 locale for the server and the client, whatever the test's own */
    snprintf(cmd, sizeof cmd, "LC_ALL=C.UTF-8 tmux -u -S '%s' %s >/dev/null 2>&1", sock, args);
    return system(cmd);
}

/* The pane's text (or a tmux format with -p display) into screen_last. */
const char *pane(const char *what) {
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "LC_ALL=C.UTF-8 tmux -u -S '%s' %s 2>/dev/null", sock, what);
    FILE *p = popen(cmd, "r");
    screen_last[0] = 0;
    if (!p) return screen_last;
    size_t n = fread(screen_last, 1, sizeof screen_last - 1, p);
    screen_last[n] = 0;
    pclose(p);
    return screen_last;
}
const char *capture(void) { return pane("capture-pane -p -t w"); }

void nap(void) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Polls the pane until it shows every string given (NULL-terminated); 0 (and the screen
 * printed) when the deadline passes. */
int wait_for(const char *first, ...) {
    double t0 = segp_now();
    while (1) {
        capture();
        int ok = 1;
        va_list ap;
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
            if (!strstr(screen_last, s)) ok = 0;
        va_end(ap);
        if (ok) return 1;
        if (segp_now() - t0 > TUI_DEADLINE_S) break;
        nap();
    }
    printf("    waited for '%s' ...; the screen:\n%s\n", first, screen_last);
    return 0;
}

/* Polls the pane until it no longer shows S (a closed overlay); 0 when the deadline passes. */
int wait_gone(const char *s) {
    double t0 = segp_now();
    while (strstr(capture(), s)) {
        if (segp_now() - t0 > TUI_DEADLINE_S) {
            printf("    waited for '%s' to go; the screen:\n%s\n", s, screen_last);
            return 0;
        }
        nap();
    }
    return 1;
}

/* The title row (second line) of the screen, lower-cased. */
void title_row(char *out, size_t n) {
    capture();
    const char *nl = strchr(screen_last, '\n');
    const char *s = nl ? nl + 1 : screen_last, *e = strchr(s, '\n');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (len >= n) len = n - 1;
    for (size_t i = 0; i < len; i++) out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    out[len] = 0;
}

const char *segp_abs(void) {
    static char path[PATH_MAX];
    const char *b = test_segp_bin();
    if (!realpath(b, path)) snprintf(path, sizeof path, "%s", b);
    return path;
}

/* A fresh tmux server with one 120x40 window running COMMAND (then the exit status). */
int start(const char *name, const char *command) {
    snprintf(sock, sizeof sock, "%s", tpath("tmux-%s.sock", name));
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return 0;
    char shell[3000];
    snprintf(shell, sizeof shell,
             "env LC_ALL=C.UTF-8 TERM=tmux-256color %s; echo EXITED $?; exec sleep 3600", command);
    /* tmux quotes: the command goes as one argument */
    char quoted[6000];
    size_t k = 0;
    quoted[k++] = '\'';
    for (const char *p = shell; *p && k < sizeof quoted - 6; p++) {
        if (*p == '\'') {
            memcpy(quoted + k, "'\\''", 4);
            k += 4;
        } else {
            quoted[k++] = *p;
        }
    }
    quoted[k++] = '\'';
    quoted[k] = 0;
    int rc = tmux("-f /dev/null new-session -d -s w -x 120 -y 40 -c '%s' %s", cwd, quoted);
    if (rc != 0) printf("    tmux new-session failed (%d)\n", rc);
    return rc == 0;
}

void stop(void) { tmux("kill-server"); }

void keys(const char *k) { tmux("send-keys -t w %s", k); }
/* Text typed as is (no key names) */
void type(const char *text) { tmux("send-keys -t w -l '%s'", text); }

/* A left click at cell X, Y (0-based), as the terminal reports it (X10: ESC [ M, the button
 * and the 1-based cell + 32 as bytes; a press, then the release). */
void click(int x, int y) {
    for (int b = 0; b < 2; b++) {
        char seq[16] = "\033[M", q[64];
        size_t k = strlen(seq);
        seq[k++] = (char)(b ? 32 + 3 : 32);
        seq[k++] = (char)(33 + x);
        seq[k++] = (char)(33 + y);
        seq[k] = 0;
        size_t j = 0; /* single quotes for the shell */
        for (const char *p = seq; *p && j + 5 < sizeof q; p++) {
            if (*p == '\'') memcpy(q + j, "'\\''", 4), j += 4;
            else q[j++] = *p;
        }
        q[j] = 0;
        tmux("send-keys -t w -l '%s'", q);
    }
}
