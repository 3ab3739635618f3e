/* test_view_anchors.c: what the anchors view shows of the shipped run
 * (sample_runs/default-run), drawn into text canvases: the anchor set's counts, distances and
 * PGD losses, its layouts from the smallest up, and its keys (i, p, v, filter, selection). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "run/run_record.h"
#include "test.h"
#include "view_render.h"
#include "views/canvas.h"
#include "views/view.h"

TEST(views_anchors_task5) {
    view_fixture f;
    if (!view_fixture_open(&f, 4)) return;
    const run_task_data *td = &f.td;
    CHECK(td->has_anchors && td->n_anchors == 200 && td->k_adv == 10);
    view *v = view_anchors_new();
    /* the numbers of anchors.safetensors: the mean CE at step 0, anchor 0's distances */
    double lt0 = 0;
    for (int a = 0; a < td->n_anchors; a++) lt0 += td->loss_text[(size_t)a * (td->k_adv + 1)];
    char want[64];
    snprintf(want, sizeof want, "mean loss_text %.4g ->", lt0 / td->n_anchors);
    const char *cls0 = run_class_name(&f.rec, td->anchor_target[0]);
    for (int cs = 0; cs < 3; cs += 2) {
        char *t = view_render(v, &f.s, 120, 40, (charset)cs, COLORS_NONE);
        CHECK(text_has(t, "Anchors"));
        CHECK(text_has(t, "source pgd"));
        CHECK(text_has(t, "200 anchors for 40 old classes"));
        CHECK(text_has(t, "10 PGD steps"));
        CHECK(text_has(t, want));
        CHECK(text_has(t, cls0));
        CHECK(text_has(t, "loss_text"));
        CHECK(text_has(t, "loss_vis"));
        CHECK(text_has(t, "anchors per old class"));
        CHECK(text_has(t, "to prototype (1-cos)"));
        CHECK(text_has(t, "to seed (1-cos)"));
        CHECK(text_has(t, "selected anchor"));
        CHECK(text_has(t, "#0 -> "));
        snprintf(want, sizeof want, "to prototype %.4f", td->anchor_dist_proto[0]);
        CHECK(text_has(t, want));
        snprintf(want, sizeof want, "to seed      %.4f", td->anchor_dist_seed[0]);
        CHECK(text_has(t, want));
        /* no colour: the list of classes and distances instead of thumbnails */
        CHECK(text_has(t, "target class"));
        free(t);
        snprintf(want, sizeof want, "mean loss_text %.4g ->", lt0 / td->n_anchors);
    }
    /* a 100-column terminal: the narrow list's distances keep all their digits */
    {
        char *n = view_render(v, &f.s, 100, 32, CHARSET_ASCII, COLORS_NONE);
        snprintf(want, sizeof want, " %.4f %.4f|", td->anchor_dist_proto[0],
                 td->anchor_dist_seed[0]);
        CHECK(text_has(n, want));
        CHECK(text_has(n, "proto   seed"));
        /* the loss panels, too short for a legend line per curve, name them in one line */
        CHECK(text_has(n, "| * mean  o selected    |"));
        /* titles and labels too long for the narrow panels: short ones, not cut mid-word;
         * one that fits stays whole */
        CHECK(text_has(n, "+ loss_vis -") && text_has(n, "+ to prototype (1-cos) -"));
        CHECK(text_has(n, "vs prototype|") && text_lacks(n, "(1-cos to -"));
        free(n);
        /* 40 columns: the selection's line shortens the class name, not the seed distance */
        n = view_render(v, &f.s, 40, 12, CHARSET_ASCII, COLORS_NONE);
        snprintf(want, sizeof want, " proto %.4f seed %.4f\n", td->anchor_dist_proto[0],
                 td->anchor_dist_seed[0]);
        CHECK(text_has(n, want));
        CHECK(text_has(n, "#0 purple tri"));
        free(n);
    }
    /* arrows select: the next anchor, the next class */
    view_press(v, &f.s, "j");
    char *t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "#1 -> "));
    free(t);
    CHECK_EQ_INT(v->key(v, WK_RIGHT, &f.s), VIEW_REDRAW);
    int next = 0;
    while (next < td->n_anchors && td->anchor_target[next] == td->anchor_target[0]) next++;
    snprintf(want, sizeof want, "#%d -> %s", next, run_class_name(&f.rec, td->anchor_target[next]));
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, want));
    free(t);
    /* a click on a row of the list selects that anchor; the wheel moves the selection */
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    const char *row3 = strstr(t, "   3  purple triangle");
    CHECK(row3 != NULL);
    if (row3) {
        int y = 0;
        for (const char *q = t; q < row3; q++) y += *q == '\n';
        CHECK_EQ_INT(v->mouse(v, WM_CLICK, 40, y, &f.s), VIEW_REDRAW);
        free(t);
        t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
        CHECK(text_has(t, "#3 -> purple triangle"));
    }
    free(t);
    CHECK_EQ_INT(v->mouse(v, WM_WHEEL_DOWN, 40, 30, &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "#4 -> purple triangle"));
    free(t);
    CHECK_EQ_INT(v->mouse(v, WM_CLICK, 0, 0, &f.s), VIEW_IGNORED);
    /* colour and blocks: thumbnails (half blocks) in place of the list; i toggles */
    t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "anchor images"));
    CHECK(text_has(t, "\u2580"));
    free(t);
    view_press(v, &f.s, "i");
    t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_lacks(t, "anchor images"));
    CHECK(text_has(t, "target class"));
    free(t);
    /* the filter keeps the anchors of matching classes */
    snprintf(f.s.filter, sizeof f.s.filter, "CIRCLE");
    int n_circle = 0;
    for (int a = 0; a < td->n_anchors; a++)
        n_circle += strstr(run_class_name(&f.rec, td->anchor_target[a]), "circle") != NULL;
    CHECK(n_circle > 0 && n_circle < 200);
    snprintf(want, sizeof want, "%d anchors of 200 (filter)", n_circle);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, want));
    CHECK(text_lacks(t, cls0));
    CHECK(text_has(t, "circle"));
    free(t);
    snprintf(f.s.filter, sizeof f.s.filter, "no such class");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "no anchor's class contains"));
    free(t);
    f.s.filter[0] = 0;
    /* v: the tables */
    CHECK_EQ_INT(v->key(v, 'v', &f.s), VIEW_REDRAW);
    CHECK_EQ_INT(f.s.show_numbers, 1);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "text mean"));
    CHECK(text_has(t, "vis mean"));
    snprintf(want, sizeof want, "%.4f", td->anchor_score[0]);
    CHECK(text_has(t, want));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* In the smallest layout (under 60 columns or 23 rows) i and p did nothing: the list stood
 * alone. Now p puts each pair of panels in the list's place in turn, then the list again, and
 * i shows the images or the list there; where images cannot show, the list's title says so,
 * so that i changes what is on screen. Task 7 at 60x20, as the workbench's view area. */
TEST(views_anchors_small_layout_keys_act) {
    view_fixture f;
    if (!view_fixture_open(&f, 6)) return;
    view *v = view_anchors_new();
    char *t = view_render(v, &f.s, 60, 20, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "+ anchors (images need colour) -"));
    CHECK(text_has(t, "target class"));
    CHECK(text_has(t, "\n#0 purple triangle proto 0.0180 seed 0.0799\n"));
    free(t);
    static const char *const shows[4][2] = {{"+ loss_text (CE) -", "+ loss_vis (1-cos to mu) -"},
                                            {"+ to prototype (1-cos) -", "+ to seed (1-cos) -"},
                                            {"+ anchors per old class -", ">purple triangle"},
                                            {"+ anchors (images need colour) -", "target class"}};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(v->key(v, 'p', &f.s), VIEW_REDRAW);
        t = view_render(v, &f.s, 60, 20, CHARSET_ASCII, COLORS_NONE);
        CHECK_MSG(text_has(t, shows[i][0]) && text_has(t, shows[i][1]), "p pressed %d times",
                  i + 1);
        CHECK(i == 3 || text_lacks(t, "target class"));
        /* the selection's line stays under every one */
        CHECK(text_has(t, "\n#0 purple triangle proto 0.0180 seed 0.0799\n"));
        free(t);
    }
    /* i: the list without the images asked for */
    CHECK_EQ_INT(v->key(v, 'i', &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 60, 20, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "+ anchors ---") && text_lacks(t, "images need"));
    free(t);
    /* with colour and blocks, i shows the images in the list's place, and again from a pair */
    t = view_render(v, &f.s, 60, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "target class") && text_lacks(t, "anchor images"));
    free(t);
    CHECK_EQ_INT(v->key(v, 'i', &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 60, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "┌ anchor images ─") && text_has(t, "\u2580"));
    CHECK(text_lacks(t, "target class"));
    free(t);
    view_press(v, &f.s, "p");
    t = view_render(v, &f.s, 60, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "┌ loss_text (CE) ─") && text_lacks(t, "anchor images"));
    free(t);
    view_press(v, &f.s, "i");
    t = view_render(v, &f.s, 60, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "┌ anchor images ─") && text_lacks(t, "loss_text (CE)"));
    free(t);
    /* the pair chosen in a small window stays when the window grows (the top band) */
    view_press(v, &f.s, "pp");
    t = view_render(v, &f.s, 80, 24, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "┌ to prototype (1-cos) ─") && text_has(t, "┌ anchor images ─"));
    free(t);
    /* in the large layout every panel shows: p has nothing to change */
    t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_256);
    free(t);
    CHECK_EQ_INT(v->key(v, 'p', &f.s), VIEW_HANDLED);
    v->free(v);
    view_fixture_close(&f);
}

/* The anchors view's two info lines at 80 columns were cut mid-value ("to prototype 0.050" for
 * 0.0508, "(mean 0.0150" cut after "0.0150..0.0150"): a part that does not fit whole is left
 * out, the l-inf range gives way to its mean. */
TEST(views_anchors_info_keeps_values_whole) {
    view_fixture f;
    if (!view_fixture_open(&f, 9)) return;
    view *v = view_anchors_new();
    char *t = view_render(v, &f.s, 80, 22, CHARSET_UNICODE, COLORS_NONE);
    CHECK(text_has(t, "\nsource pgd | 450 anchors for 90 old classes | 10 PGD steps | "
                      "‖δ‖∞ mean 0.0150\n"));
    CHECK(text_has(t, "\nmean loss_text 1.985 -> 0.06533 | loss_vis 0.1661 -> 0.0508\n"));
    free(t);
    t = view_render(v, &f.s, 100, 28, CHARSET_UNICODE, COLORS_NONE);
    CHECK(text_has(t, "| ‖δ‖∞ 0.0150..0.0150 (mean 0.0150)\n"));
    CHECK(text_has(t, "| to prototype 0.0508 | to seed 0.0998\n"));
    free(t);
    t = view_render(v, &f.s, 60, 18, CHARSET_UNICODE, COLORS_NONE);
    CHECK(text_has(t, "\npgd | 450 anchors | 10 steps\n"));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* The anchor list in 44 cells (an 80x24 terminal without images: ASCII or no colour) took the
 * wide form, 48 cells a row, and the edge cut the score to "0." and its head to "s". It takes
 * the narrow form there, with the class names whole and the score where it fits whole. */
TEST(views_anchors_list_keeps_scores_whole) {
    view_fixture f;
    if (!view_fixture_open(&f, 6)) return;
    const run_task_data *td = &f.td;
    view *v = view_anchors_new();
    char want[128];
    char *t = view_render(v, &f.s, 80, 24, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "|   # class             proto   seed score   |"));
    snprintf(want, sizeof want, "|>  0 purple triangle  %.4f %.4f %.3f   |",
             td->anchor_dist_proto[0], td->anchor_dist_seed[0], td->anchor_score[0]);
    CHECK(text_has(t, want));
    CHECK(text_lacks(t, "  0.|") && text_lacks(t, "  s|"));
    free(t);
    /* 40 columns: no room for the score; the names whole, the distances last */
    t = view_render(v, &f.s, 40, 12, CHARSET_ASCII, COLORS_NONE);
    snprintf(want, sizeof want, "\n>  0 purple triangle  %.4f %.4f\n", td->anchor_dist_proto[0],
             td->anchor_dist_seed[0]);
    CHECK(text_has(t, want));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* The anchors view at 60-69 columns kept two lines for its info but drew one: the second,
 * the mean PGD losses, was left blank. It shows the parts that fit whole. */
TEST(views_anchors_narrow_info_uses_its_second_line) {
    view_fixture f;
    if (!view_fixture_open(&f, 6)) return;
    const run_task_data *td = &f.td;
    int k1 = td->k_adv + 1;
    double m[4] = {0, 0, 0, 0};
    for (int a = 0; a < td->n_anchors; a++) {
        m[0] += td->loss_text[(size_t)a * k1];
        m[1] += td->loss_text[(size_t)a * k1 + k1 - 1];
        m[2] += td->loss_vis[(size_t)a * k1];
        m[3] += td->loss_vis[(size_t)a * k1 + k1 - 1];
    }
    for (int i = 0; i < 4; i++) m[i] /= td->n_anchors;
    char want[160];
    snprintf(want, sizeof want, "\npgd | 300 anchors | 10 steps\nmean loss_text %.4g -> %.4g | "
             "loss_vis %.4g -> %.4g\n", m[0], m[1], m[2], m[3]);
    view *v = view_anchors_new();
    char *t = view_render(v, &f.s, 60, 20, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, want));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* v: the table of the loss per PGD step ended at step 6 of 10 at 60x20 without a word. In too
 * few rows the last step stays and a line names the steps left out. */
TEST(views_anchors_step_table_says_what_it_hides) {
    view_fixture f;
    if (!view_fixture_open(&f, 6)) return;
    const run_task_data *td = &f.td;
    int k1 = td->k_adv + 1;
    CHECK_EQ_INT(k1, 11);
    double last = 0;
    for (int a = 0; a < td->n_anchors; a++) last += td->loss_text[(size_t)a * k1 + k1 - 1];
    char want[160];
    snprintf(want, sizeof want, "\n ... steps 5-9 hidden\n  10 %8.4f ", last / td->n_anchors);
    view *v = view_anchors_new();
    f.s.show_numbers = 1;
    char *t = view_render(v, &f.s, 60, 20, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "\n   4   "));
    CHECK(text_has(t, want));
    CHECK(text_lacks(t, "\n   5   "));
    free(t);
    /* where every step fits, none is hidden */
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "\n   9   ") && text_lacks(t, "hidden"));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}
