/* test_canvas.c: the canvas and its plot primitives rendered into small text canvases and
 * compared with the exact text expected (views/canvas.c, views/plot.c, views/view_common.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "views/canvas.h"
#include "views/view.h"

/* True when C's text is EXPECT; otherwise prints both. */
static int text_is(const tcanvas *c, const char *expect) {
    char *t = canvas_to_text(c);
    int ok = !strcmp(t, expect);
    if (!ok) printf("    got:\n%s    expected:\n%s", t, expect);
    free(t);
    return ok;
}

static const tcell *at(const tcanvas *c, int x, int y) { return &c->cells[y * c->w + x]; }

TEST(canvas_box_unicode_and_ascii) {
    tcanvas *c = canvas_new(10, 3, CHARSET_UNICODE, COLORS_256, 0);
    canvas_box(c, (trect){0, 0, 10, 3}, "ab", 7);
    CHECK(text_is(c, "┌ ab ────┐\n│        │\n└────────┘\n"));
    canvas_free(c);
    /* a padded title reads the same: one space each side, whoever padded it */
    c = canvas_new(10, 3, CHARSET_UNICODE, COLORS_256, 0);
    canvas_box(c, (trect){0, 0, 10, 3}, "  ab ", 7);
    CHECK(text_is(c, "┌ ab ────┐\n│        │\n└────────┘\n"));
    canvas_free(c);

    c = canvas_new(10, 3, CHARSET_ASCII, COLORS_NONE, 0);
    canvas_box(c, (trect){0, 0, 10, 3}, "a long title", 7);
    CHECK(text_is(c, "+ a... --+\n|        |\n+--------+\n"));
    canvas_free(c);
}

/* A title longer than the frame's edge (R.w - 5 cells) was cut mid-word ("accuracy after each
 * task (%" at 80 columns, "old-class images pe"): it now ends at a word, with an ellipsis */
TEST(canvas_box_title_cut_at_a_word) {
    static const struct {
        int w;
        charset cs;
        const char *title, *want;
    } cases[] = {
        /* the 80-column overview's panel: 28 cells in 27 */
        {32, CHARSET_UNICODE, "accuracy after each task (%)", "┌ accuracy after each task… ───┐"},
        {32, CHARSET_ASCII, "accuracy after each task (%)", "+ accuracy after each task... -+"},
        {33, CHARSET_UNICODE, "accuracy after each task (%)", "┌ accuracy after each task (%) ─┐"},
        /* a space outside brackets first: no "(s:" left open */
        {26, CHARSET_UNICODE, "loss terms, task 10 (s: every task)", "┌ loss terms, task 10… ──┐"},
        /* punctuation before the cut goes with the words after it */
        {22, CHARSET_UNICODE, "A_t, Avg, old, new after", "┌ A_t, Avg, old… ────┐"},
        /* not even the first word: the ellipsis alone, never half of it */
        {12, CHARSET_UNICODE, "interface-distance bin", "┌ … ───────┐"},
        /* nor the ellipsis ("..." in 1 cell): no title, no spaces */
        {6, CHARSET_ASCII, "ab cd", "+----+"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tcanvas *c = canvas_new(cases[i].w, 2, cases[i].cs, COLORS_256, 0);
        canvas_box(c, (trect){0, 0, cases[i].w, 2}, cases[i].title, 7);
        char *t = canvas_to_text(c);
        CHECK_MSG(!strncmp(t, cases[i].want, strlen(cases[i].want)) &&
                      t[strlen(cases[i].want)] == '\n',
                  "%d cells: '%s', want '%s'", cases[i].w, strtok(t, "\n"), cases[i].want);
        free(t);
        canvas_free(c);
    }
    /* the same words outside a frame (vk_panel's title in a small panel) */
    tcanvas *c = canvas_new(20, 1, CHARSET_UNICODE, COLORS_256, 0);
    CHECK_EQ_INT(canvas_text_words(c, 0, 0, 12, "old-class images per bin", 7, -1, 0), 10);
    CHECK(text_is(c, "old-class…\n"));
    canvas_free(c);
}

TEST(canvas_utf8_text_and_clipping) {
    tcanvas *c = canvas_new(6, 4, CHARSET_UNICODE, COLORS_256, 0);
    CHECK_EQ_INT(canvas_text(c, 2, 0, 0, "héllo wörld", 1, -1, 0), 4);
    CHECK_EQ_INT(canvas_text(c, 0, 1, 0, "a\xff" "b\xc3", 1, -1, 0), 4); /* bad and torn */
    CHECK_EQ_INT(canvas_text(c, 0, 2, 2, "äöü", 1, -1, 0), 2);
    canvas_text(c, -1, 3, 0, "xyz", 1, -1, 0);
    canvas_text(c, 0, 9, 0, "off the canvas", 1, -1, 0);
    canvas_put(c, -1, -1, 'X', 1, -1, 0);
    CHECK(text_is(c, "  héll\na?b?\näö\nyz\n"));
    CHECK_EQ_INT(utf8_cells("héllo"), 5);
    CHECK_EQ_INT(utf8_cells("⡐⠊"), 2);
    canvas_free(c);
}

TEST(canvas_resize_clears) {
    tcanvas *c = canvas_new(3, 1, CHARSET_UNICODE, COLORS_256, 0);
    canvas_text(c, 0, 0, 0, "abc", 1, -1, 0);
    canvas_resize(c, 2, 2);
    CHECK(text_is(c, "\n\n"));
    canvas_printf(c, 0, 1, 0, 1, -1, 0, "%d%%", 7);
    CHECK(text_is(c, "\n7%\n"));
    canvas_free(c);
}

TEST(canvas_colours) {
    CHECK_EQ_INT(color_rgb(255, 0, 0), 196);
    CHECK_EQ_INT(color_rgb(0, 0, 0), 16);
    CHECK_EQ_INT(color_rgb(255, 255, 255), 231);
    CHECK_EQ_INT(color_rgb(128, 128, 128), 244); /* the grey ramp beats the cube */
    CHECK_EQ_INT(cmap_color(CMAP_VIRIDIS, NAN), COL_DEFAULT);
    CHECK_EQ_INT(cmap_color(CMAP_VIRIDIS, 0), 53);  /* viridis' dark purple */
    CHECK_EQ_INT(cmap_color(CMAP_VIRIDIS, 1), 220); /* and its yellow */
    CHECK_EQ_INT(cmap_color(CMAP_DIVERGING, 0.5), 231); /* white in the middle */
    CHECK(cmap_color(CMAP_DIVERGING, 0) != cmap_color(CMAP_DIVERGING, 1));
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < i; j++) CHECK(palette_color(i) != palette_color(j));
    CHECK_EQ_INT(palette_color(8), palette_color(0));
    tcanvas *c = canvas_new(1, 1, CHARSET_ASCII, COLORS_NONE, 0);
    CHECK_EQ_INT(shade_char(c, 0), ' ');
    CHECK_EQ_INT(shade_char(c, 1), '@');
    CHECK_EQ_INT(shade_char(c, 0.5), '+');
    CHECK_EQ_INT(shade_char(c, NAN), ' ');
    canvas_free(c);
}

/* 4x4 dots in two braille cells: a diagonal from bottom left to top right, joined between
 * the two points. */
TEST(plot_curves_braille_joined) {
    tcanvas *c = canvas_new(2, 1, CHARSET_UNICODE, COLORS_256, 0);
    float y[2] = {0, 3}, x[2] = {1, 2};
    plot_series s = {.y = y, .x = x, .n = 2, .color = 33};
    plot_axes ax = {.bare = 1};
    plot_curves(c, (trect){0, 0, 2, 1}, &s, 1, &ax);
    CHECK(text_is(c, "⡠⠊\n"));
    CHECK_EQ_INT(at(c, 0, 0)->fg, 33);
    canvas_free(c);
}

TEST(plot_curves_gap_at_nan) {
    tcanvas *c = canvas_new(3, 1, CHARSET_UNICODE, COLORS_256, 0);
    float y[3] = {1, NAN, 1};
    plot_series s = {.y = y, .n = 3, .color = 1};
    plot_axes ax = {.y0 = 0, .y1 = 1, .bare = 1};
    plot_curves(c, (trect){0, 0, 3, 1}, &s, 1, &ax);
    /* dots at x = 0 and x = 5 of 6, top row; nothing between */
    CHECK(text_is(c, "⠁ ⠈\n"));
    canvas_free(c);
}

TEST(plot_curves_ascii_axes) {
    tcanvas *c = canvas_new(12, 6, CHARSET_ASCII, COLORS_256, 0);
    float y[2] = {0, 10};
    plot_series s = {.y = y, .n = 2, .color = 1, .mark = 'o'};
    plot_axes ax = {.y0 = 0, .y1 = 10, .integer_x = 1};
    plot_curves(c, (trect){0, 0, 12, 6}, &s, 1, &ax);
    CHECK(text_is(c, "10+       oo\n"
                     "  |    ooo\n"
                     " 5+  oo\n"
                     " 0+oo\n"
                     "  ++-------+\n"
                     "   1       2\n"));
    canvas_free(c);
}

TEST(plot_curves_unicode_axes_and_marks) {
    tcanvas *c = canvas_new(20, 8, CHARSET_UNICODE, COLORS_256, 0);
    float y[5] = {50, 60, 55, 70, NAN};
    plot_series s = {.y = y, .n = 5, .color = 1, .mark = 'o'};
    plot_axes ax = {.x0 = 1, .x1 = 5, .y0 = 0, .y1 = 100, .xlabel = "task", .ylabel = "%",
                    .integer_x = 1};
    plot_curves(c, (trect){0, 0, 20, 8}, &s, 1, &ax);
    CHECK(text_is(c, "%\n"
                     "100┤\n"
                     "   │ ⣀⣀⠤o⠤⣀⣀o⠤⠤o\n"
                     " 50┤o\n"
                     "  0┤\n"
                     "   └┬───┬───┬──┬───┬\n"
                     "    1   2   3  4   5\n"
                     "                task\n"));
    canvas_free(c);
}

/* A loss of 1e-9..1e-6 (a term that has nearly vanished): each tick says its own value; with
 * six decimals at most, 8e-07 and 1e-06 both read "0.000001" and 2e-07 "0.000000" */
TEST(plot_curves_tiny_values_tick_labels) {
    tcanvas *c = canvas_new(16, 8, CHARSET_ASCII, COLORS_256, 0);
    float y[2] = {0, 1e-6f};
    plot_series s = {.y = y, .n = 2, .color = 1, .mark = 'o'};
    plot_axes ax = {.y0 = 0, .y1 = 1e-6, .y_ticks = 5, .integer_x = 1};
    plot_curves(c, (trect){0, 0, 16, 8}, &s, 1, &ax);
    CHECK(text_is(c, "1.0e-6+        o\n"
                     "  8e-7+      oo\n"
                     "  6e-7+    oo\n"
                     "  4e-7+   o\n"
                     "  2e-7+ oo\n"
                     "     0+o\n"
                     "      ++-------+\n"
                     "       1       2\n"));
    canvas_free(c);
}

/* Data from just above 0 (a loss term of 1e-7) up to 0.48, the range fitted to it: the 0 tick
 * lands on the bottom row, so the axis says 0.0 there (the labels began at 0.2, two rows up);
 * 0.5, more than half a row above the top, is not drawn. The x axis alike: 1 is on the first
 * column of data from 1.05, and left out of data from 1.2 (0.2 away, a column is 0.16). */
TEST(plot_curves_tick_at_the_edge_of_the_range) {
    tcanvas *c = canvas_new(16, 8, CHARSET_ASCII, COLORS_256, 0);
    float y[3] = {1e-7f, 0.2f, 0.48f}, x[3] = {1.05f, 2, 3};
    plot_series s = {.y = y, .x = x, .n = 3, .color = 1, .mark = 'o'};
    plot_curves(c, (trect){0, 0, 16, 8}, &s, 1, NULL);
    CHECK(text_is(c, "   |          oo\n"
                     "0.4+        oo\n"
                     "   |      oo\n"
                     "0.2+    oo\n"
                     "   |  oo\n"
                     "0.0+oo\n"
                     "   ++----+-----+\n"
                     "    1    2     3\n"));
    canvas_clear(c);
    x[0] = 1.2f;
    plot_curves(c, (trect){0, 0, 16, 8}, &s, 1, NULL);
    CHECK(text_is(c, "   |          oo\n"
                     "0.4+        oo\n"
                     "   |      oo\n"
                     "0.2+    oo\n"
                     "   |  oo\n"
                     "0.0+oo\n"
                     "   +-----+-----+\n"
                     "         2     3\n"));
    canvas_free(c);
}

TEST(plot_curves_block_half_cells) {
    tcanvas *c = canvas_new(2, 1, CHARSET_BLOCK, COLORS_256, 0);
    float y[2] = {0, 1};
    plot_series s = {.y = y, .n = 2, .color = 1};
    plot_axes ax = {.bare = 1};
    plot_curves(c, (trect){0, 0, 2, 1}, &s, 1, &ax);
    CHECK(text_is(c, "▄▀\n"));
    canvas_free(c);
}

TEST(plot_scatter_dots_glyphs_and_hiding) {
    tcanvas *c = canvas_new(3, 1, CHARSET_UNICODE, COLORS_256, 0);
    float xy[6] = {0, 0, 1, 1, 0.5f, 0.5f};
    uint32_t glyph[3] = {0, 'x', 0};
    uint8_t hide[3] = {0, 0, 1};
    int color[3] = {10, 11, 12};
    plot_axes ax = {.x0 = 0, .x1 = 1, .y0 = 0, .y1 = 1, .bare = 1};
    plot_scatter(c, (trect){0, 0, 3, 1}, xy, 3, color, glyph, hide, &ax);
    CHECK(text_is(c, "⡀ x\n"));
    CHECK_EQ_INT(at(c, 0, 0)->fg, 10);
    CHECK_EQ_INT(at(c, 2, 0)->fg, 11);
    canvas_clear(c);
    plot_scatter(c, (trect){0, 0, 3, 1}, xy, 3, color, glyph, NULL, &ax);
    CHECK(text_is(c, "⡀⠠x\n"));
    canvas_free(c);

    c = canvas_new(3, 1, CHARSET_ASCII, COLORS_NONE, 0);
    plot_scatter(c, (trect){0, 0, 3, 1}, xy, 3, NULL, NULL, NULL, &ax);
    CHECK(text_is(c, "...\n"));
    canvas_free(c);
}

TEST(plot_heatmap_ascii_shades_zoom_offset) {
    float m[8] = {0, 0.25f, 0.5f, 1, NAN, 0.75f, 0.1f, 0.9f};
    tcanvas *c = canvas_new(4, 2, CHARSET_ASCII, COLORS_256, 0);
    CHECK_EQ_INT(heatmap_rows_per_line(c), 1);
    CHECK_EQ_INT(plot_heatmap(c, (trect){0, 0, 4, 2}, m, 2, 4, 0, 0, 1, 0, 1, CMAP_VIRIDIS), 2);
    CHECK(text_is(c, " :+@\n #.%\n"));
    CHECK_EQ_INT(at(c, 3, 0)->fg, cmap_color(CMAP_VIRIDIS, 1));
    canvas_clear(c);
    /* zoom 2 columns per value, from column 2 */
    plot_heatmap(c, (trect){0, 0, 4, 2}, m, 2, 4, 0, 2, 2, 0, 1, CMAP_VIRIDIS);
    CHECK(text_is(c, "++@@\n..%%\n"));
    canvas_clear(c);
    /* from row 1: one row shown */
    CHECK_EQ_INT(plot_heatmap(c, (trect){0, 0, 4, 2}, m, 2, 4, 1, 0, 1, 0, 1, CMAP_VIRIDIS), 1);
    CHECK(text_is(c, " #.%\n\n"));
    canvas_free(c);
}

TEST(plot_heatmap_half_blocks) {
    float m[8] = {0, 0.25f, 0.5f, 1, NAN, 0.75f, 0.1f, 0.9f};
    tcanvas *c = canvas_new(4, 1, CHARSET_UNICODE, COLORS_256, 0);
    CHECK_EQ_INT(heatmap_rows_per_line(c), 2);
    CHECK_EQ_INT(plot_heatmap(c, (trect){0, 0, 4, 1}, m, 2, 4, 0, 0, 1, 0, 1, CMAP_VIRIDIS), 2);
    CHECK(text_is(c, "▀▀▀▀\n"));
    CHECK_EQ_INT(at(c, 0, 0)->fg, cmap_color(CMAP_VIRIDIS, 0));
    CHECK_EQ_INT(at(c, 0, 0)->bg, COL_DEFAULT); /* NaN below */
    CHECK_EQ_INT(at(c, 1, 0)->bg, cmap_color(CMAP_VIRIDIS, 0.75));
    canvas_free(c);
    /* without colour the shade ramp carries the value, a row per line */
    c = canvas_new(4, 2, CHARSET_UNICODE, COLORS_NONE, 0);
    CHECK_EQ_INT(heatmap_rows_per_line(c), 1);
    plot_heatmap(c, (trect){0, 0, 4, 2}, m, 2, 4, 0, 0, 1, 0, 1, CMAP_VIRIDIS);
    CHECK(text_is(c, " :+@\n #.%\n"));
    canvas_free(c);
}

TEST(plot_colorbar_ascii) {
    tcanvas *c = canvas_new(10, 2, CHARSET_ASCII, COLORS_NONE, 0);
    plot_colorbar(c, (trect){0, 0, 10, 2}, 0, 1, CMAP_VIRIDIS);
    CHECK(text_is(c, " .:-=+*#%@\n0  0.5   1\n"));
    canvas_free(c);
}

TEST(plot_histogram_ascii_and_eighths) {
    float counts[4] = {1, 2, 4, 0};
    plot_axes ax = {.bare = 1};
    tcanvas *c = canvas_new(4, 4, CHARSET_ASCII, COLORS_256, 0);
    plot_histogram(c, (trect){0, 0, 4, 4}, counts, 4, 0, 1, 2, &ax);
    CHECK(text_is(c, "  #\n  #\n ##\n###\n"));
    canvas_free(c);

    float two[2] = {1, 3};
    c = canvas_new(2, 1, CHARSET_UNICODE, COLORS_256, 0);
    plot_histogram(c, (trect){0, 0, 2, 1}, two, 2, 0, 1, 2, &ax);
    CHECK(text_is(c, "▃█\n"));
    canvas_free(c);

    c = canvas_new(20, 8, CHARSET_UNICODE, COLORS_256, 0);
    float six[6] = {1, 3, 5, 8, 2, 0};
    plot_histogram(c, (trect){0, 0, 20, 8}, six, 6, 0, 1, 1, NULL);
    CHECK(text_is(c, " │         ██\n"
                     " │         ██\n"
                     "5┤      ▆▆ ██\n"
                     " │   ▂▂ ██ ██\n"
                     " │   ██ ██ ██ ▄▄\n"
                     "0┤▆▆ ██ ██ ██ ██\n"
                     " └┬────────┬───────┬\n"
                     " 0.0      0.5    1.0\n"));
    canvas_free(c);
}

TEST(plot_hbars_ascii_and_eighths) {
    const char *labels[2] = {"a", "bb"};
    float v[2] = {1, 0.5f};
    tcanvas *c = canvas_new(12, 2, CHARSET_ASCII, COLORS_256, 0);
    plot_hbars(c, (trect){0, 0, 12, 2}, labels, v, 2, 1, 3, "%.1f");
    CHECK(text_is(c, "a  ##### 1.0\nbb ###   0.5\n"));
    canvas_free(c);
    c = canvas_new(12, 2, CHARSET_UNICODE, COLORS_256, 0);
    plot_hbars(c, (trect){0, 0, 12, 2}, labels, v, 2, 1, 3, "%.1f");
    CHECK(text_is(c, "a  █████ 1.0\nbb ██▌   0.5\n"));
    canvas_free(c);
}

TEST(plot_legend_marks) {
    float y[1] = {0};
    plot_series s[2] = {{.y = y, .n = 1, .color = 1, .mark = 'o', .label = "old"},
                        {.y = y, .n = 1, .color = 2, .label = "new"}};
    tcanvas *c = canvas_new(6, 2, CHARSET_UNICODE, COLORS_256, 0);
    plot_legend(c, 0, 0, s, 2);
    CHECK(text_is(c, "o old\n━ new\n"));
    CHECK_EQ_INT(at(c, 0, 1)->fg, 2);
    canvas_free(c);
}

TEST(plot_legend_line_whole_entries) {
    float y[1] = {0};
    plot_series s[3] = {{.y = y, .n = 1, .color = 1, .mark = 'o', .label = "A_t: all seen"},
                        {.y = y, .n = 1, .color = 2, .mark = '*', .label = "average"},
                        {.y = y, .n = 1, .color = 3, .mark = '+', .label = "old classes"}};
    static const char *const names[3] = {"A_t", "Avg", "old"};
    tcanvas *c = canvas_new(20, 1, CHARSET_ASCII, COLORS_256, 0);
    CHECK_EQ_INT(plot_legend_line(c, 0, 0, 20, s, 3, names), 3);
    CHECK(text_is(c, "o A_t  * Avg  + old\n"));
    CHECK_EQ_INT(at(c, 7, 0)->fg, 2);
    canvas_free(c);
    /* an entry that does not fit whole is left out, not cut */
    c = canvas_new(20, 1, CHARSET_ASCII, COLORS_256, 0);
    CHECK_EQ_INT(plot_legend_line(c, 0, 0, 20, s, 3, NULL), 1);
    CHECK(text_is(c, "o A_t: all seen\n"));
    canvas_free(c);
}

TEST(plot_image_half_blocks) {
    /* 2x2: red, green over blue, white */
    uint8_t img[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
    tcanvas *c = canvas_new(4, 2, CHARSET_UNICODE, COLORS_256, 0);
    CHECK_EQ_INT(plot_image(c, (trect){0, 0, 4, 2}, img, 2, 2), 1);
    /* scaled x2 (4 wide, 4 pixels tall = 2 rows) */
    CHECK(text_is(c, "▀▀▀▀\n▀▀▀▀\n"));
    CHECK_EQ_INT(at(c, 0, 0)->fg, 196);
    CHECK_EQ_INT(at(c, 0, 0)->bg, 196);
    CHECK_EQ_INT(at(c, 3, 1)->fg, 231);
    CHECK_EQ_INT(at(c, 0, 1)->fg, 21);
    canvas_free(c);
    c = canvas_new(4, 2, CHARSET_ASCII, COLORS_256, 0);
    CHECK_EQ_INT(plot_image(c, (trect){0, 0, 4, 2}, img, 2, 2), 0);
    canvas_free(c);
}

TEST(view_notice_wraps_and_centres) {
    tcanvas *c = canvas_new(16, 3, CHARSET_UNICODE, COLORS_256, 0);
    view_notice(c, (trect){0, 0, 16, 3}, "no drift saved for task 1");
    CHECK(text_is(c, "    no drift\n   saved for\n     task 1\n"));
    canvas_free(c);
}

/* The rows of a table of N in LINES lines as text: "1 2 . 9 10" (1-based, '.' for a line that
 * stands for hidden rows). */
static const char *rows_of(int n, int lines, int pin0, int pin1) {
    static char out[512];
    int row[128], pin[2] = {pin0, pin1};
    int m = view_table_rows(n, lines, pin, 2, row);
    size_t used = 0;
    out[0] = 0;
    for (int k = 0; k < m; k++) {
        if (row[k] < 0)
            used += (size_t)snprintf(out + used, sizeof out - used, "%s.", k ? " " : "");
        else
            used += (size_t)snprintf(out + used, sizeof out - used, "%s%d", k ? " " : "",
                                     row[k] + 1);
    }
    return out;
}

TEST(view_table_rows_keep_the_pinned_ones) {
    CHECK(!strcmp(rows_of(10, 10, 9, 9), "1 2 3 4 5 6 7 8 9 10"));
    /* one line short: two rows go for a mark; task 10 and the first stay */
    CHECK_MSG(!strcmp(rows_of(10, 9, 9, 9), "1 . 4 5 6 7 8 9 10"), "%s", rows_of(10, 9, 9, 9));
    /* a selected task in the middle and the last finished one */
    CHECK_MSG(!strcmp(rows_of(10, 8, 4, 9), "1 . 4 5 6 . 9 10"), "%s", rows_of(10, 8, 4, 9));
    CHECK_MSG(!strcmp(rows_of(100, 8, 49, 99), "1 . 49 50 51 . 99 100"), "%s",
              rows_of(100, 8, 49, 99));
    /* no finished task: the first rows, then the mark */
    CHECK_MSG(!strcmp(rows_of(10, 4, -1, -1), "1 2 3 ."), "%s", rows_of(10, 4, -1, -1));
    /* very few lines: the pins first, marks as room allows */
    CHECK_MSG(!strcmp(rows_of(10, 3, 9, 9), "1 . 10"), "%s", rows_of(10, 3, 9, 9));
    CHECK_MSG(!strcmp(rows_of(10, 2, 9, 9), ". 10"), "%s", rows_of(10, 2, 9, 9));
    CHECK_MSG(!strcmp(rows_of(10, 3, 4, 9), "5 . 10"), "%s", rows_of(10, 3, 4, 9));
    CHECK_MSG(!strcmp(rows_of(10, 1, 4, 9), "5"), "%s", rows_of(10, 1, 4, 9));
    CHECK(!strcmp(rows_of(0, 5, -1, -1), ""));
    CHECK(!strcmp(rows_of(10, 0, 9, 9), ""));

    /* the mark's line names what it hides, within its width */
    tcanvas *c = canvas_new(24, 2, CHARSET_UNICODE, COLORS_NONE, 0);
    int rows_a[] = {0, -1, 3}, rows_b[] = {5, -1, 7};
    view_rows_hidden(c, 0, 0, 24, 4, rows_a, 1, 3, 10);
    view_rows_hidden(c, 0, 1, 12, 4, rows_b, 1, 3, 10);
    CHECK(text_is(c, "   \xe2\x80\xa6 tasks 2-3 hidden\n   \xe2\x80\xa6 task 7\n"));
    canvas_free(c);
    c = canvas_new(24, 1, CHARSET_ASCII, COLORS_NONE, 0);
    int rows_c[] = {0, -1}; /* the mark last: up to the table's last row */
    view_rows_hidden(c, 0, 0, 24, 5, rows_c, 1, 2, 5);
    CHECK(text_is(c, "  ... tasks 2-5 hidden\n"));
    canvas_free(c);
}

TEST(view_table_has_six_views) {
    CHECK_EQ_INT(view_count, 6);
    const char *names[6] = {"overview", "accuracy", "anchors", "drift", "geometry",
                            "projection"};
    for (int i = 0; i < view_count; i++) {
        view *v = view_table[i]();
        CHECK(v && v->name && !strcmp(v->name, names[i]));
        CHECK(v->draw && v->key && v->free);
        tcanvas *c = canvas_new(40, 10, CHARSET_UNICODE, COLORS_256, 0);
        wb_state s = {.task = -1};
        v->draw(v, c, (trect){0, 0, 40, 10}, &s); /* no run: a notice, never a crash */
        canvas_free(c);
        v->free(v);
    }
}
