/* tui_screen.c: the one place that knows ncurses: the terminal started and restored (on every
 * exit path: normal, exit(), SIGINT/SIGTERM as flags, fatal signals), colour pairs allocated
 * lazily for the (fg, bg) pairs a frame uses, xterm-256 indices mapped down to 16 or 8 colours,
 * and a canvas copied to the screen. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tui.h"

static volatile sig_atomic_t signalled;
static int active;           /* curses is running */
static int mode = COLORS_NONE;
static int have_color;
static struct termios saved_tio;
static int have_tio;
static char restore_seq[256]; /* what a fatal signal writes to give the terminal back */

static void on_stop_signal(int sig) {
    (void)sig;
    signalled = 1;
}

/* A crash must not leave the terminal in raw mode on the alternate screen: put it back with
 * async-signal-safe calls only, then die of the same signal. */
static void on_fatal_signal(int sig) {
    if (active) {
        ssize_t rc = write(STDOUT_FILENO, restore_seq, strlen(restore_seq));
        (void)rc;
        if (have_tio) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void at_exit_restore(void) { tui_screen_stop(); }

int tui_screen_signalled(void) {
    int s = signalled;
    signalled = 0;
    return s;
}

static int utf8_locale(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
}

int tui_screen_start(int *charset_io, int *colors_io) {
    setlocale(LC_ALL, "");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "segp: error: the workbench needs a terminal (stdin and stdout)\n");
        return -1;
    }
    const char *term = getenv("TERM");
    if (!term || !*term || !strcmp(term, "dumb")) {
        fprintf(stderr, "segp: error: the workbench needs a terminal that can address the "
                        "cursor (TERM is '%s')\n", term ? term : "");
        return -1;
    }
    have_tio = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
    if (!newterm(NULL, stdout, stdin)) {
        fprintf(stderr, "segp: error: cannot start the terminal (TERM '%s' unknown?)\n", term);
        return -1;
    }
    active = 1;
    atexit(at_exit_restore);
    cbreak(); /* Ctrl-C stays a signal: it stops the run cleanly (see tui.c) */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    timeout(100); /* keys are answered within 100 ms while the engine computes */
    set_escdelay(25);
    curs_set(0);
    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);

    const char *rmcup = tigetstr("rmcup");
    snprintf(restore_seq, sizeof restore_seq,
             "\033[?1000l\033[?1002l\033[?1006l\033[0m%s\033[?25h\r\n",
             rmcup && rmcup != (char *)-1 ? rmcup : "");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: getch returns at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGSEGV, on_fatal_signal);
    signal(SIGABRT, on_fatal_signal);
    signal(SIGBUS, on_fatal_signal);
    signal(SIGFPE, on_fatal_signal);

    if (*charset_io < 0) *charset_io = utf8_locale() ? CHARSET_UNICODE : CHARSET_ASCII;
    if (*colors_io < 0) {
        const char *nc = getenv("NO_COLOR");
        if (nc && *nc) *colors_io = COLORS_NONE;
        else if (!has_colors()) *colors_io = COLORS_NONE;
        else *colors_io = COLORS >= 256 ? COLORS_256 : COLORS_16;
    }
    if (has_colors()) {
        start_color();
        use_default_colors();
        have_color = 1;
    }
    tui_screen_set_colors(*colors_io);
    return 0;
}

void tui_screen_stop(void) {
    if (!active) return;
    active = 0;
    mousemask(0, NULL);
    curs_set(1);
    endwin();
    fflush(stdout);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
}

void tui_screen_size(int *w, int *h) {
    *w = COLS;
    *h = LINES;
}

void tui_screen_set_colors(int colors) {
    mode = colors;
    if (have_color) reset_color_pairs(); /* new mode, new mapping */
}

/* xterm's RGB of an xterm-256 index */
static void index_rgb(int i, int rgb[3]) {
    static const int ansi[16][3] = {
        {0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
        {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
        {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
        {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
    };
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    if (i < 16) {
        memcpy(rgb, ansi[i], sizeof ansi[i]);
    } else if (i < 232) {
        i -= 16;
        rgb[0] = level[i / 36], rgb[1] = level[(i / 6) % 6], rgb[2] = level[i % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (i - 232);
    }
}

/* The nearest of the first N (16 or 8) ANSI colours. */
static int nearest_ansi(int i, int n) {
    static int cache[2][256];
    static int filled[2];
    int k = n == 8;
    if (!filled[k]) {
        for (int c = 0; c < 256; c++) {
            int a[3], best = 0;
            long bd = -1;
            index_rgb(c, a);
            for (int j = 0; j < n; j++) {
                int b[3];
                index_rgb(j, b);
                long d = (long)(a[0] - b[0]) * (a[0] - b[0]) + (long)(a[1] - b[1]) * (a[1] - b[1]) +
                         (long)(a[2] - b[2]) * (a[2] - b[2]);
                if (bd < 0 || d < bd) bd = d, best = j;
            }
            cache[k][c] = c < n ? c : best;
        }
        filled[k] = 1;
    }
    return cache[k][i & 255];
}

static int map_color(int c) {
    if (c < 0) return -1;
    if (mode == COLORS_256 && COLORS >= 256) return c;
    return nearest_ansi(c, COLORS >= 16 ? 16 : 8);
}

static int pair_of(int fg, int bg) {
    if (!have_color || mode == COLORS_NONE) return 0;
    int f = map_color(fg), b = map_color(bg);
    if (f < 0 && b < 0) return 0;
    int p = alloc_pair(f, b); /* ncurses keeps the table; the least recently used is reused */
    return p < 0 ? 0 : p;
}

void tui_screen_show(const tcanvas *c) {
    int h = c->h < LINES ? c->h : LINES, w = c->w < COLS ? c->w : COLS;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const tcell *t = &c->cells[(size_t)y * c->w + x];
            wchar_t wc[2] = {(wchar_t)(t->ch ? t->ch : ' '), 0};
            attr_t a = A_NORMAL;
            if (t->attr & ATTR_BOLD) a |= A_BOLD;
            if (t->attr & ATTR_REVERSE) a |= A_REVERSE;
            if (t->attr & ATTR_UNDERLINE) a |= A_UNDERLINE;
            if (t->attr & ATTR_DIM) a |= A_DIM;
            int pair = pair_of(t->fg, t->bg);
            cchar_t cc;
            setcchar(&cc, wc, a, 0, &pair);
            mvadd_wch(y, x, &cc);
        }
    refresh();
}
