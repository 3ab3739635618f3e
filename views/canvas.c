/* canvas.c: the character-cell canvas (cells, UTF-8 text, frames, text dump) and the colours
 * every view uses (xterm-256 mapping, theme greys, viridis and diverging maps, the Okabe-Ito
 * palette, the shade ramp). The plot primitives are in views/plot.c. */
#include "views/canvas.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

static void blank_cells(tcell *cells, size_t n) {
    for (size_t i = 0; i < n; i++) {
        cells[i].ch = ' ';
        cells[i].fg = COL_DEFAULT;
        cells[i].bg = COL_DEFAULT;
        cells[i].attr = 0;
    }
}

tcanvas *canvas_new(int w, int h, charset cs, color_mode colors, int light) {
    tcanvas *c = segp_calloc(1, sizeof *c);
    c->cs = cs;
    c->colors = colors;
    c->light = light;
    canvas_resize(c, w, h);
    return c;
}

void canvas_free(tcanvas *c) {
    if (!c) return;
    free(c->cells);
    free(c);
}

void canvas_resize(tcanvas *c, int w, int h) {
    if (w < 0) w = 0;
    if (h < 0) h = 0;
    free(c->cells);
    c->w = w;
    c->h = h;
    c->cells = segp_malloc(((size_t)w * h + 1) * sizeof(tcell));
    canvas_clear(c);
}

void canvas_clear(tcanvas *c) { blank_cells(c->cells, (size_t)c->w * c->h); }

void canvas_put(tcanvas *c, int x, int y, uint32_t ch, int fg, int bg, int attr) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    tcell *t = &c->cells[(size_t)y * c->w + x];
    t->ch = ch;
    t->fg = (int16_t)fg;
    t->bg = (int16_t)bg;
    t->attr = (uint8_t)attr;
}

/* One code point from S (advancing *S); invalid or truncated sequences give '?' and skip one
 * byte, so a bad byte never swallows the text after it. */
static uint32_t utf8_next(const char **s) {
    const uint8_t *p = (const uint8_t *)*s;
    uint32_t c = p[0];
    int n = 0;
    uint32_t min = 0;
    if (c < 0x80) {
        *s += 1;
        return c;
    } else if ((c & 0xe0) == 0xc0) {
        n = 1, c &= 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 2, c &= 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 3, c &= 0x07, min = 0x10000;
    } else {
        *s += 1;
        return '?';
    }
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *s += 1;
            return '?';
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    *s += n + 1;
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return '?';
    return c;
}

int utf8_cells(const char *s) {
    int n = 0;
    while (s && *s) {
        utf8_next(&s);
        n++;
    }
    return n;
}

int canvas_text(tcanvas *c, int x, int y, int max_w, const char *utf8, int fg, int bg,
                int attr) {
    if (!utf8) return 0;
    int limit = max_w > 0 ? max_w : c->w - x;
    int n = 0;
    const char *s = utf8;
    while (*s && n < limit) {
        uint32_t ch = utf8_next(&s);
        if (ch < 0x20 || ch == 0x7f) ch = '?'; /* control characters would move the cursor */
        canvas_put(c, x + n, y, ch, fg, bg, attr);
        n++;
    }
    return n;
}

int canvas_printf(tcanvas *c, int x, int y, int max_w, int fg, int bg, int attr,
                  const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return canvas_text(c, x, y, max_w, buf, fg, bg, attr);
}

void canvas_fill(tcanvas *c, trect r, uint32_t ch, int fg, int bg) {
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) canvas_put(c, x, y, ch, fg, bg, 0);
}

void canvas_box(tcanvas *c, trect r, const char *title, int fg) {
    if (r.w < 2 || r.h < 2) return;
    int ascii = c->cs == CHARSET_ASCII;
    uint32_t hz = ascii ? '-' : 0x2500, vt = ascii ? '|' : 0x2502;
    uint32_t tl = ascii ? '+' : 0x250c, tr = ascii ? '+' : 0x2510;
    uint32_t bl = ascii ? '+' : 0x2514, br = ascii ? '+' : 0x2518;
    int x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
    for (int x = r.x + 1; x < x1; x++) {
        canvas_put(c, x, r.y, hz, fg, COL_DEFAULT, 0);
        canvas_put(c, x, y1, hz, fg, COL_DEFAULT, 0);
    }
    for (int y = r.y + 1; y < y1; y++) {
        canvas_put(c, r.x, y, vt, fg, COL_DEFAULT, 0);
        canvas_put(c, x1, y, vt, fg, COL_DEFAULT, 0);
    }
    canvas_put(c, r.x, r.y, tl, fg, COL_DEFAULT, 0);
    canvas_put(c, x1, r.y, tr, fg, COL_DEFAULT, 0);
    canvas_put(c, r.x, y1, bl, fg, COL_DEFAULT, 0);
    canvas_put(c, x1, y1, br, fg, COL_DEFAULT, 0);
    /* " title " from the third cell, leaving the corner and one rule cell; the title's own
     * spaces at its ends are dropped, so every panel reads "┌ title ─" whoever padded it */
    while (title && *title == ' ') title++;
    char trimmed[512];
    size_t len = title ? strlen(title) : 0;
    while (len > 0 && title[len - 1] == ' ') len--;
    if (len && r.w >= 6) {
        snprintf(trimmed, sizeof trimmed, "%.*s", (int)(len < 511 ? len : 511), title);
        int n = canvas_text_words(c, r.x + 2, r.y, r.w - 5, trimmed, fg, COL_DEFAULT, ATTR_BOLD);
        if (n > 0) {
            canvas_put(c, r.x + 1, r.y, ' ', fg, COL_DEFAULT, 0);
            canvas_put(c, r.x + 2 + n, r.y, ' ', fg, COL_DEFAULT, 0);
        }
    }
}

int canvas_text_words(tcanvas *c, int x, int y, int max_w, const char *utf8, int fg, int bg,
                      int attr) {
    if (!utf8 || max_w <= 0) return 0;
    if (utf8_cells(utf8) <= max_w) return canvas_text(c, x, y, max_w, utf8, fg, bg, attr);
    const char *ell = c->cs == CHARSET_ASCII ? "..." : "\xe2\x80\xa6"; /* U+2026 */
    int ew = utf8_cells(ell);
    /* the last space whose words before it and the ellipsis fit, one outside brackets first:
     * "(s: every task)" cut to "(s:" opens a bracket it never closes */
    int cut = -1, cut_top = -1, depth = 0, cells = 0;
    for (int i = 0; utf8[i]; i++) {
        char ch = utf8[i];
        if (ch == ' ' && i > 0 && cells + ew <= max_w) {
            cut = i;
            if (depth == 0) cut_top = i;
        }
        if (ch == '(' || ch == '[') depth++;
        if ((ch == ')' || ch == ']') && depth > 0) depth--;
        if (((unsigned char)ch & 0xc0) != 0x80) cells++;
    }
    if (cut_top >= 0) cut = cut_top;
    /* no space before the cut, nor punctuation that led to the words left out ("Avg,…") */
    while (cut > 0 && strchr(" ,;:", utf8[cut - 1])) cut--;
    char buf[1024];
    if (cut > (int)sizeof buf - 8) cut = (int)sizeof buf - 8;
    snprintf(buf, sizeof buf, "%.*s%s", cut > 0 ? cut : 0, utf8, ell);
    return ew <= max_w ? canvas_text(c, x, y, max_w, buf, fg, bg, attr) : 0;
}

static int put_utf8(char *o, uint32_t ch) {
    if (ch < 0x80) {
        o[0] = (char)ch;
        return 1;
    } else if (ch < 0x800) {
        o[0] = (char)(0xc0 | (ch >> 6));
        o[1] = (char)(0x80 | (ch & 0x3f));
        return 2;
    } else if (ch < 0x10000) {
        o[0] = (char)(0xe0 | (ch >> 12));
        o[1] = (char)(0x80 | ((ch >> 6) & 0x3f));
        o[2] = (char)(0x80 | (ch & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (ch >> 18));
    o[1] = (char)(0x80 | ((ch >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((ch >> 6) & 0x3f));
    o[3] = (char)(0x80 | (ch & 0x3f));
    return 4;
}

char *canvas_to_text(const tcanvas *c) {
    char *out = segp_malloc((size_t)c->w * c->h * 4 + (size_t)c->h + 1);
    size_t n = 0;
    for (int y = 0; y < c->h; y++) {
        size_t line = n, keep = n;
        for (int x = 0; x < c->w; x++) {
            uint32_t ch = c->cells[(size_t)y * c->w + x].ch;
            n += (size_t)put_utf8(out + n, ch ? ch : ' ');
            if (ch != ' ' && ch != 0) keep = n;
        }
        (void)line;
        n = keep;
        out[n++] = '\n';
    }
    out[n] = 0;
    return out;
}

/* ---- colours ---- */

static const int cube_level[6] = {0, 95, 135, 175, 215, 255};

static int nearest_level(int v) {
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (abs(cube_level[i] - v) < abs(cube_level[best] - v)) best = i;
    return best;
}

static int sq(int v) { return v * v; }

int color_rgb(int r, int g, int b) {
    int ri = nearest_level(r), gi = nearest_level(g), bi = nearest_level(b);
    int cube_d = sq(cube_level[ri] - r) + sq(cube_level[gi] - g) + sq(cube_level[bi] - b);
    /* the grey ramp 232..255 is 8, 18, ..., 238 */
    int avg = (r + g + b) / 3;
    int gi2 = (avg - 8 + 5) / 10;
    if (gi2 < 0) gi2 = 0;
    if (gi2 > 23) gi2 = 23;
    int gv = 8 + 10 * gi2;
    int grey_d = sq(gv - r) + sq(gv - g) + sq(gv - b);
    if (grey_d < cube_d) return 232 + gi2;
    return 16 + 36 * ri + 6 * gi + bi;
}

int color_fg(const tcanvas *c) { return c->light ? 235 : 252; }
int color_dim(const tcanvas *c) { return c->light ? 244 : 242; }
int color_accent(const tcanvas *c) { return c->light ? 25 : 214; }

typedef struct {
    uint8_t r, g, b;
} rgb8;

/* viridis at t = 0, 1/16, ..., 1 (matplotlib's table, sampled) */
static const rgb8 viridis[17] = {
    {68, 1, 84},    {72, 21, 103},  {72, 38, 119},  {69, 55, 129},  {63, 71, 136},
    {57, 85, 140},  {50, 100, 142}, {45, 113, 142}, {40, 125, 142}, {35, 138, 141},
    {31, 150, 139}, {32, 163, 134}, {41, 175, 127}, {59, 187, 117}, {86, 198, 103},
    {122, 209, 81}, {253, 231, 37},
};

/* blue - white - red (ColorBrewer RdBu, reversed so that low is blue) at t = 0, 1/8, ..., 1 */
static const rgb8 diverging[9] = {
    {33, 102, 172}, {67, 147, 195}, {146, 197, 222}, {209, 229, 240}, {247, 247, 247},
    {253, 219, 199}, {244, 165, 130}, {214, 96, 77},  {178, 24, 43},
};

static int table_color(const rgb8 *tab, int n, double t) {
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    double f = t * (n - 1);
    int i = (int)f;
    if (i >= n - 1) i = n - 2;
    double a = f - i;
    int r = (int)lround(tab[i].r + a * (tab[i + 1].r - tab[i].r));
    int g = (int)lround(tab[i].g + a * (tab[i + 1].g - tab[i].g));
    int b = (int)lround(tab[i].b + a * (tab[i + 1].b - tab[i].b));
    return color_rgb(r, g, b);
}

int cmap_color(colormap m, double t) {
    if (isnan(t)) return COL_DEFAULT;
    if (m == CMAP_DIVERGING) return table_color(diverging, 9, t);
    return table_color(viridis, 17, t);
}

/* Okabe & Ito (2008): blue, orange, bluish green, vermillion, sky blue, reddish purple,
 * yellow, and a grey in place of their black (invisible on a dark terminal). */
static const rgb8 okabe_ito[8] = {
    {0, 114, 178},  {230, 159, 0},   {0, 158, 115},  {213, 94, 0},
    {86, 180, 233}, {204, 121, 167}, {240, 228, 66}, {153, 153, 153},
};

int palette_color(int i) {
    if (i < 0) i = -i;
    const rgb8 *p = &okabe_ito[i % 8];
    return color_rgb(p->r, p->g, p->b);
}

static const char shade_ramp[] = " .:-=+*#%@";

uint32_t shade_char(const tcanvas *c, double t) {
    (void)c; /* the same ink order on both themes: more ink, higher value */
    if (isnan(t)) return ' ';
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    int n = (int)sizeof shade_ramp - 2;
    return (uint32_t)shade_ramp[(int)lround(t * n)];
}
