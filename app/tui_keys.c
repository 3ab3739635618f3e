/* tui_keys.c: keys of the workbench: curses keys to the view codes of views/view.h, the global
 * key and `:` command tables, the help screens (a run's: global keys, the current view's
 * keys, the commands; the list of runs': its own keys), and the one-line editor of the `:` and
 * `/` prompts. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

int tui_key_code(int ch) {
    switch (ch) {
    case KEY_UP: return WK_UP;
    case KEY_DOWN: return WK_DOWN;
    case KEY_LEFT: return WK_LEFT;
    case KEY_RIGHT: return WK_RIGHT;
    case KEY_PPAGE: return WK_PGUP;
    case KEY_NPAGE: return WK_PGDN;
    case KEY_HOME: return WK_HOME;
    case KEY_END: return WK_END;
    case '\t': return WK_TAB;
    case KEY_BTAB: return WK_BTAB;
    case '\r': case '\n': case KEY_ENTER: return WK_ENTER;
    case KEY_F(1): return WK_F1;
    case KEY_BACKSPACE: case 127: case 8: return WK_BACKSPACE;
    case 27: return WK_ESC;
    default: break;
    }
    if (ch >= 32 && ch < 127) return ch;
    return -1;
}

const tui_key_help tui_global_keys[] = {
    {"q  Esc", "quit (asks first while a task trains; finished tasks stay saved)"},
    {"?  F1", "this help: the global keys, the current view's keys, the : commands"},
    {"1-6", "views: overview accuracy anchors drift geometry projection"},
    {"Tab  S-Tab", "next / previous view"},
    {"mouse", "click a tab to open it; click and wheel inside a view (see its keys)"},
    {"[  ]", "select the previous / next finished task (the views show its saved state)"},
    {"{  }", "select the first / last finished task (} follows training again)"},
    {"n", "train the next task (the run pauses at every task boundary)"},
    {"space", "pause / resume training within a task"},
    {"a", "auto-advance: do not stop at task boundaries"},
    {"r", "resume an interrupted run (opened read-only)"},
    {"Backspace", "back to the list of runs (segp tui FOLDER); Enter there opens one"},
    {"N", "start a new run of the default config (when offered in the status bar)"},
    {"e", "export the current view: its figure (PNG, 300 dpi) and data into RUN_DIR/exports/"},
    {"v", "show / hide the numbers behind the picture"},
    {"/", "filter classes by name (views that list classes); empty clears"},
    {":", "a command (below)"},
    {"arrows  hjkl", "move or scroll in the view; PgUp/PgDn Home/End where a view has pages"},
};
const int tui_n_global_keys = (int)(sizeof tui_global_keys / sizeof tui_global_keys[0]);

const tui_key_help tui_commands[] = {
    {":task N", "select finished task N (1-based)"},
    {":view NAME|N", "open a view by name or number"},
    {":export [DIR]", "export the current view (into DIR, remembered for later exports)"},
    {":charset unicode|block|ascii", "glyphs: braille and half blocks, blocks only, plain ASCII"},
    {":colors 256|16|none", "colour mode (none: shades and marks carry every value)"},
    {":theme dark|light", "greys for a dark or a light terminal background"},
    {":auto on|off", "auto-advance through task boundaries"},
    {":next", "same as n"},
    {":resume", "same as r"},
    {":new", "same as N: a new run of the default config"},
    {":help", "this help"},
    {":quit  :q", "quit"},
};
const int tui_n_commands = (int)(sizeof tui_commands / sizeof tui_commands[0]);

/* One help line into the list: key column then text. */
typedef struct {
    const char *key, *what;
    int heading;
} help_line;

/* Rows of text W cells wide that WHAT wraps into (at spaces); START/LEN per row. */
static int wrap_rows(const char *what, int w, int *start, int *len, int max) {
    int n = 0, i = 0, total = (int)strlen(what);
    if (total == 0 && max > 0) {
        start[0] = len[0] = 0;
        return 1;
    }
    while (i < total && n < max) {
        while (what[i] == ' ') i++;
        int end = i, cells = 0, cut = -1;
        while (end < total && cells < w) {
            if (what[end] == ' ') cut = end;
            if (((unsigned char)what[end] & 0xc0) != 0x80) cells++;
            end++;
        }
        if (end < total && what[end] != ' ' && cut > i) end = cut;
        start[n] = i;
        len[n++] = end - i;
        i = end;
    }
    return n;
}

static void draw_help_box(tcanvas *c, const help_line *lines, int n, int *scroll);

void tui_draw_help(tcanvas *c, const view *v, int *scroll) {
    help_line lines[128];
    int n = 0;
    lines[n++] = (help_line){NULL, "Global keys", 1};
    for (int i = 0; i < tui_n_global_keys && n < 120; i++)
        lines[n++] = (help_line){tui_global_keys[i].key, tui_global_keys[i].what, 0};
    lines[n++] = (help_line){NULL, "", 0};
    static char vh[96];
    snprintf(vh, sizeof vh, "Keys of the %s view", v ? v->name : "current");
    lines[n++] = (help_line){NULL, vh, 1};
    if (!v || v->n_help == 0) lines[n++] = (help_line){"", "(none beyond the global keys)", 0};
    for (int i = 0; v && i < v->n_help && n < 120; i++)
        lines[n++] = (help_line){v->help[i].key, v->help[i].what, 0};
    lines[n++] = (help_line){NULL, "", 0};
    lines[n++] = (help_line){NULL, "Commands (type : then the command, Enter)", 1};
    for (int i = 0; i < tui_n_commands && n < 127; i++)
        lines[n++] = (help_line){tui_commands[i].key, tui_commands[i].what, 0};
    draw_help_box(c, lines, n, scroll);
}

/* The list of runs takes only these keys: the views' keys and the commands do nothing there */
static const tui_key_help list_keys[] = {
    {"arrows  j k", "select a run"},
    {"PgUp  PgDn", "a page of runs up / down"},
    {"Home  End  g G", "the first / last run"},
    {"s", "sort by the next column: run, method, split, tasks, Last, Avg, Forget, wall, state "
          "(names A-Z, numbers largest first; the column's head is marked)"},
    {"S", "reverse the order"},
    {"mouse", "click a run to select it, a column's head to sort by it (again: reverse); the "
              "wheel moves the selection"},
    {"Enter", "open the selected run (its views; Backspace there comes back to this list)"},
    {"?  F1", "this help"},
    {"q  Esc", "quit"},
};

void tui_draw_list_help(tcanvas *c, int *scroll, const char *sorted) {
    help_line lines[16];
    int n = 0;
    char head[160];
    snprintf(head, sizeof head, "Keys of the list of runs (sorted now by %s)", sorted);
    lines[n++] = (help_line){NULL, head, 1};
    for (size_t i = 0; i < sizeof list_keys / sizeof list_keys[0]; i++)
        lines[n++] = (help_line){list_keys[i].key, list_keys[i].what, 0};
    lines[n++] = (help_line){NULL, "", 0};
    lines[n++] = (help_line){"", "A run opened from here has the view keys and the : commands; "
                                 "? there lists them.", 0};
    draw_help_box(c, lines, n, scroll);
}

/* LINES in a scrolled box over the middle of C */
static void draw_help_box(tcanvas *c, const help_line *lines, int n, int *scroll) {
    int bw = c->w - 2 < 110 ? c->w - 2 : 110, bh = c->h - 2;
    if (bw < 20 || bh < 5) return;
    trect box = {(c->w - bw) / 2, 1, bw, bh};
    /* the key column as wide as its keys, up to a fifth of the box (16 cells at least): a
     * longer key (":charset unicode|block|ascii") takes a row of its own, so that one key does
     * not squeeze every text into more rows */
    int kw = 0, kmax = bw / 5 > 16 ? bw / 5 : 16;
    for (int i = 0; i < n; i++)
        if (lines[i].key && utf8_cells(lines[i].key) > kw && utf8_cells(lines[i].key) <= kmax)
            kw = utf8_cells(lines[i].key);
    int tw = bw - kw - 6; /* text column */

    /* lay out the rows (wrapped text continues under the text column; start -1: a long key
     * alone) */
    enum { MAX_ROWS = 512 };
    static struct { int line, start, len; } rows[MAX_ROWS];
    int nr = 0;
    for (int i = 0; i < n && nr < MAX_ROWS; i++) {
        if (lines[i].heading) {
            rows[nr++] = (typeof(rows[0])){i, 0, (int)strlen(lines[i].what)};
            continue;
        }
        int alone = lines[i].key && utf8_cells(lines[i].key) > kw;
        if (alone) rows[nr++] = (typeof(rows[0])){i, -1, 0};
        int st[16], ln[16];
        int k = wrap_rows(lines[i].what, tw, st, ln, 16);
        for (int j = 0; j < k && nr < MAX_ROWS; j++)
            rows[nr++] = (typeof(rows[0])){j || alone ? -1 - i : i, st[j], ln[j]};
    }
    canvas_fill(c, box, ' ', COL_DEFAULT, COL_DEFAULT);
    /* the title whole, else a shorter one that still says how to close (at 60 columns the
     * whole one lost "closes") */
    const char *title = "help: arrows/PgUp/PgDn/Home/End scroll, any other key closes";
    if (utf8_cells(title) > bw - 5) title = "help: arrows/PgUp/PgDn scroll, any other key closes";
    canvas_box(c, box, title, color_accent(c));
    int room = bh - 2, max_scroll = nr - room > 0 ? nr - room : 0;
    if (*scroll > max_scroll) *scroll = max_scroll;
    if (*scroll < 0) *scroll = 0;
    for (int r = 0; r < room && *scroll + r < nr; r++) {
        int li = rows[*scroll + r].line, cont = li < 0;
        const help_line *l = &lines[cont ? -1 - li : li];
        int x = box.x + 2, y = box.y + 1 + r;
        if (rows[*scroll + r].start < 0) {
            canvas_text(c, x, y, bw - 4, l->key, color_fg(c), COL_DEFAULT, ATTR_BOLD);
            continue;
        }
        char text[256];
        int len = rows[*scroll + r].len < 255 ? rows[*scroll + r].len : 255;
        memcpy(text, l->what + rows[*scroll + r].start, (size_t)len);
        text[len] = 0;
        if (l->heading) {
            canvas_text(c, x, y, bw - 4, text, color_accent(c), COL_DEFAULT, ATTR_BOLD);
            continue;
        }
        if (l->key && !cont) canvas_text(c, x, y, kw, l->key, color_fg(c), COL_DEFAULT, ATTR_BOLD);
        canvas_text(c, x + kw + 2, y, tw, text, color_fg(c), COL_DEFAULT, 0);
    }
    if (max_scroll > 0)
        canvas_printf(c, box.x + bw - 12, box.y + bh - 1, 10, color_dim(c), COL_DEFAULT, 0,
                      " %d/%d ", *scroll + room < nr ? *scroll + room : nr, nr);
}

int tui_prompt_key(tui_prompt *p, int ch) {
    if (ch == 27) {
        p->active = 0;
        return -1;
    }
    if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
        p->active = 0;
        return 1;
    }
    if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (p->len == 0) {
            p->active = 0;
            return -1;
        }
        /* drop a whole UTF-8 sequence */
        do p->len--;
        while (p->len > 0 && ((unsigned char)p->buf[p->len] & 0xc0) == 0x80);
        p->buf[p->len] = 0;
        return 0;
    }
    if (ch == 21) { /* Ctrl-U */
        p->len = 0;
        p->buf[0] = 0;
        return 0;
    }
    if (ch >= 32 && ch < 256 && ch != 127 && p->len < (int)sizeof p->buf - 1) {
        p->buf[p->len++] = (char)ch;
        p->buf[p->len] = 0;
    }
    return 0;
}
