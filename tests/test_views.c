/* test_views.c: what the anchors, drift, geometry and projection views do alike, drawn from
 * the shipped run (sample_runs/default-run) into text canvases: their help and the keys they
 * leave to the shell, the notices of what a task lacks (the first task: no anchors, no drift;
 * a method or analytics without parts), small and offset canvases, and the exported data
 * files. What each view shows of task 5: test_views_content.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/npy.h"
#include "run/run_record.h"
#include "test.h"
#include "view_render.h"
#include "views/canvas.h"
#include "views/view.h"

/* Drawn into a canvas larger than AREA: nothing outside AREA is touched. */
static int stays_inside(view *v, const wb_state *s, trect area, charset cs, color_mode cm) {
    int w = area.x + area.w + 3, h = area.y + area.h + 2;
    tcanvas *c = canvas_new(w, h, cs, cm, 0);
    v->draw(v, c, area, s);
    int ok = 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int in = x >= area.x && x < area.x + area.w && y >= area.y && y < area.y + area.h;
            const tcell *cl = &c->cells[y * w + x];
            if (!in && (cl->ch != ' ' || cl->bg != COL_DEFAULT)) {
                if (ok) printf("    %s drew '%c' at (%d,%d) outside\n", v->name, (int)cl->ch, x, y);
                ok = 0;
            }
        }
    canvas_free(c);
    return ok;
}

/* Lines of a file (0 when unreadable). */
static int file_lines(const char *path) {
    char *t = read_text(path);
    if (!t) return 0;
    int n = 0;
    for (char *p = t; *p; p++) n += *p == '\n';
    free(t);
    return n;
}

TEST(views_are_the_real_ones_with_help) {
    view *vs[4] = {view_anchors_new(), view_drift_new(), view_geometry_new(),
                   view_projection_new()};
    const char *names[4] = {"anchors", "drift", "geometry", "projection"};
    for (int i = 0; i < 4; i++) {
        CHECK(strcmp(vs[i]->name, names[i]) == 0);
        CHECK(vs[i]->draw && vs[i]->key && vs[i]->mouse && vs[i]->export_data && vs[i]->free);
        CHECK(vs[i]->figure != NULL);
        CHECK(vs[i]->n_help >= 6);
        int has_v = 0, has_e = 0;
        for (int h = 0; h < vs[i]->n_help; h++) {
            CHECK(vs[i]->help[h].key[0] && vs[i]->help[h].what[0]);
            has_v |= !strcmp(vs[i]->help[h].key, "v");
            has_e |= !strcmp(vs[i]->help[h].key, "e");
        }
        CHECK_MSG(has_v && has_e, "%s: help lists v and e", names[i]);
        /* the anchors' p says where the panels go in each size of window (it said "when they
         * do not all fit", and p did nothing at 60x20; now they take the list's place there) */
        for (int h = 0; i == 0 && h < vs[i]->n_help; h++)
            if (!strcmp(vs[i]->help[h].key, "p"))
                CHECK_MSG(strstr(vs[i]->help[h].what, "60+ columns, 23+ rows") &&
                              strstr(vs[i]->help[h].what, "in the list's place"),
                          "anchors %s: '%s'", vs[i]->help[h].key, vs[i]->help[h].what);
        /* an unknown key is left to the shell */
        wb_state s = {0};
        s.task = -1;
        CHECK_EQ_INT(vs[i]->key(vs[i], 'q', &s), VIEW_IGNORED);
        CHECK_EQ_INT(vs[i]->key(vs[i], 'n', &s), VIEW_IGNORED);
        CHECK_EQ_INT(vs[i]->key(vs[i], 'a', &s), VIEW_IGNORED);
        CHECK_EQ_INT(vs[i]->key(vs[i], 'e', &s), VIEW_IGNORED);
        CHECK_EQ_INT(vs[i]->key(vs[i], '/', &s), VIEW_IGNORED);
        CHECK_EQ_INT(vs[i]->key(vs[i], ' ', &s), VIEW_IGNORED);
        CHECK_EQ_INT(vs[i]->key(vs[i], 'r', &s), VIEW_IGNORED);
        CHECK_EQ_INT(vs[i]->key(vs[i], '[', &s), VIEW_IGNORED);
        CHECK_EQ_INT(vs[i]->key(vs[i], ']', &s), VIEW_IGNORED);
        CHECK_EQ_INT(vs[i]->key(vs[i], 'N', &s), VIEW_IGNORED);
        /* no task at all: the shell's reason, no crash */
        s.td_error = "tasks/03/geometry.safetensors: tensor 'tt.pre' is not [30, 30]";
        char *t = view_render(vs[i], &s, 100, 20, CHARSET_UNICODE, COLORS_NONE);
        CHECK(text_has(t, "tensor 'tt.pre' is not [30, 30]"));
        free(t);
        vs[i]->free(vs[i]);
    }
}

TEST(views_first_task_notices) {
    view_fixture f;
    if (!view_fixture_open(&f, 0)) return;
    CHECK(!f.td.has_anchors && !f.td.has_drift && f.td.has_geometry);
    view *vs[4] = {view_anchors_new(), view_drift_new(), view_geometry_new(),
                   view_projection_new()};
    for (int cs = 0; cs < 3; cs += 2) {
        char *t = view_render(vs[0], &f.s, 120, 40, (charset)cs, COLORS_NONE);
        CHECK(text_has(t, "task 1 has no anchors"));
        free(t);
        t = view_render(vs[1], &f.s, 120, 40, (charset)cs, COLORS_NONE);
        CHECK(text_has(t, "task 1 has no drift"));
        free(t);
        t = view_render(vs[2], &f.s, 120, 40, (charset)cs, COLORS_NONE);
        CHECK(text_has(t, "10 of 10 classes"));
        free(t);
        t = view_render(vs[3], &f.s, 120, 40, (charset)cs, COLORS_NONE);
        char want[64];
        snprintf(want, sizeof want, "%d of %d points", f.td.n_proj, f.td.n_proj);
        CHECK(text_has(t, want));
        CHECK(text_lacks(t, "old anchors"));  /* none at the first task: not in the legend */
        free(t);
    }
    /* export of what is not there: an error naming it, no file */
    const char *dir = tpath("views_first_%s", "export");
    mkdirs(dir);
    char written[256] = "";
    CHECK(vs[0]->export_data(vs[0], &f.s, dir, written, sizeof written) == -1);
    CHECK(err_has("no anchors"));
    CHECK(vs[1]->export_data(vs[1], &f.s, dir, written, sizeof written) == -1);
    CHECK(err_has("no drift"));
    CHECK(written[0] == 0);
    for (int i = 0; i < 4; i++) vs[i]->free(vs[i]);
    view_fixture_close(&f);
}

/* A run without parts: a method without anchors, analytics without a summary or turned off. */
TEST(views_missing_parts) {
    view_fixture f;
    if (!view_fixture_open(&f, 4)) return;
    view *vs[4] = {view_anchors_new(), view_drift_new(), view_geometry_new(),
                   view_projection_new()};
    char *method = f.rec.method;
    f.rec.method = "finetune";
    f.td.has_anchors = 0;
    f.td.has_summary = 0;
    char *t = view_render(vs[0], &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "no anchors: method 'finetune' builds none"));
    free(t);
    /* the ratio then comes from metrics.jsonl */
    t = view_render(vs[1], &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "boundary/core ratio 2.60"));
    free(t);
    t = view_render(vs[2], &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "50 of 50 classes"));
    CHECK(text_lacks(t, "CKA"));
    free(t);
    t = view_render(vs[3], &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "600 of 600 points"));
    free(t);
    f.rec.method = method;
    f.td.has_drift = 0;
    f.td.has_geometry = 0;
    t = view_render(vs[1], &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "task 5: no drift saved"));
    free(t);
    t = view_render(vs[2], &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "task 5: no geometry saved"));
    free(t);
    t = view_render(vs[3], &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "task 5: no projection saved"));
    free(t);
    const char *dir = tpath("views_missing_%s", "export");
    mkdirs(dir);
    char written[256] = "";
    for (int i = 0; i < 4; i++) {
        CHECK(vs[i]->export_data(vs[i], &f.s, dir, written, sizeof written) == -1);
        CHECK(err_has("task 5 has no"));
    }
    CHECK(written[0] == 0);
    f.td.has_drift = f.td.has_geometry = f.td.has_anchors = f.td.has_summary = 1;
    for (int i = 0; i < 4; i++) vs[i]->free(vs[i]);
    view_fixture_close(&f);
}

/* Every view at every size and mode stays inside its area, and shows something. */
TEST(views_small_and_offset_areas) {
    for (int task = 0; task < 5; task += 4) {
        view_fixture f;
        if (!view_fixture_open(&f, task)) return;
        view *vs[4] = {view_anchors_new(), view_drift_new(), view_geometry_new(),
                       view_projection_new()};
        const trect areas[] = {{0, 0, 40, 12}, {3, 2, 40, 12}, {5, 1, 57, 17}, {2, 3, 80, 24},
                               {1, 1, 20, 6},  {0, 0, 1, 1},  {0, 0, 0, 0},  {4, 4, 150, 50}};
        for (int i = 0; i < 4; i++)
            for (size_t a = 0; a < sizeof areas / sizeof areas[0]; a++)
                for (int cs = 0; cs < 3; cs++)
                    for (int num = 0; num < 2; num++) {
                        f.s.show_numbers = num;
                        CHECK_MSG(stays_inside(vs[i], &f.s, areas[a], (charset)cs,
                                               cs == 0 ? COLORS_256 : COLORS_NONE),
                                  "%s task %d area %dx%d cs %d numbers %d", vs[i]->name, task + 1,
                                  areas[a].w, areas[a].h, cs, num);
                    }
        f.s.show_numbers = 0;
        /* 40x12 shows the title and the view's main content */
        for (int i = 0; i < 4; i++) {
            char *t = view_render(vs[i], &f.s, 40, 12, CHARSET_UNICODE, COLORS_NONE);
            int lines_with_text = 0;
            for (char *p = t; *p; p++)
                if (*p == '\n' && p > t && p[-1] != '\n') lines_with_text++;
            CHECK_MSG(lines_with_text >= (task == 0 && i < 2 ? 3 : 8), "%s at 40x12 shows %d lines",
                      vs[i]->name, lines_with_text);
            if (task == 4 && i == 1) CHECK(text_has(t, "boundary/core ratio 2.60"));
            if (task == 4 && i == 0) CHECK(text_has(t, "pgd | 200 anchors"));
            free(t);
        }
        for (int i = 0; i < 4; i++) vs[i]->free(vs[i]);
        view_fixture_close(&f);
    }
}

static int count_list(const char *written) {
    if (!written[0]) return 0;
    int n = 1;
    for (const char *p = written; *p; p++) n += *p == ',';
    return n;
}

TEST(views_export_data) {
    view_fixture f;
    if (!view_fixture_open(&f, 4)) return;
    const char *dir = tpath("views_export_%s", "t5");
    mkdirs(dir);
    view *vs[4] = {view_anchors_new(), view_drift_new(), view_geometry_new(),
                   view_projection_new()};
    char written[1024];
    char path[512];
#define LINES(name) (snprintf(path, sizeof path, "%s/%s", dir, name), file_lines(path))
    written[0] = 0;
    CHECK(vs[0]->export_data(vs[0], &f.s, dir, written, sizeof written) == 0);
    CHECK(strcmp(written, "anchors.csv, anchors_loss.csv, anchors_per_class.csv, "
                          "anchors_loss_text.npy, anchors_loss_vis.npy") == 0);
    CHECK_EQ_INT(LINES("anchors.csv"), 201);
    CHECK_EQ_INT(LINES("anchors_loss.csv"), 12);
    CHECK_EQ_INT(LINES("anchors_per_class.csv"), 41);
    npy_array a;
    snprintf(path, sizeof path, "%s/anchors_loss_vis.npy", dir);
    CHECK(npy_read(path, &a) == 0);
    CHECK(a.ndim == 2 && a.shape[0] == 200 && a.shape[1] == 11);
    if (a.data) CHECK(a.data[10] == f.td.anchor_dist_proto[0]);
    npy_free(&a);
    char *csv = read_text(tpath("views_export_%s/anchors.csv", "t5"));
    CHECK(csv && strstr(csv, ",pgd\n"));
    free(csv);

    written[0] = 0;
    CHECK(vs[1]->export_data(vs[1], &f.s, dir, written, sizeof written) == 0);
    CHECK(strcmp(written, "drift_curve.csv, drift_classes.csv, drift_samples.csv") == 0);
    CHECK_EQ_INT(LINES("drift_curve.csv"), f.td.bins + 1);
    CHECK_EQ_INT(LINES("drift_classes.csv"), 51);
    CHECK_EQ_INT(LINES("drift_samples.csv"), f.td.n_drift + 1);

    written[0] = 0;
    CHECK(vs[2]->export_data(vs[2], &f.s, dir, written, sizeof written) == 0);
    CHECK_EQ_INT(count_list(written), 7);
    CHECK(strstr(written, "sim_tt_student.csv") && strstr(written, "sim_tt_student-teacher.npy"));
    CHECK_EQ_INT(LINES("sim_classes.csv"), 51);
    CHECK_EQ_INT(LINES("sim_tt_student.csv"), 51);
    snprintf(path, sizeof path, "%s/sim_tt_student-pre.npy", dir);
    CHECK(npy_read(path, &a) == 0);
    CHECK(a.ndim == 2 && a.shape[0] == 50 && a.shape[1] == 50);
    if (a.data)
        CHECK_NEAR(a.data[1], f.td.tt[RUN_STATE_STUDENT][1] - f.td.tt[RUN_STATE_PRE][1], 1e-7);
    npy_free(&a);

    written[0] = 0;
    CHECK(vs[3]->export_data(vs[3], &f.s, dir, written, sizeof written) == 0);
    CHECK(strcmp(written, "projection.csv") == 0);
    CHECK_EQ_INT(LINES("projection.csv"), f.td.n_proj + 1);

    /* an unwritable directory: an error naming the file, nothing left behind */
    const char *bad = tpath("views_export_%s/missing/dir", "t5");
    for (int i = 0; i < 4; i++) {
        written[0] = 0;
        CHECK(vs[i]->export_data(vs[i], &f.s, bad, written, sizeof written) == -1);
        CHECK(err_has("missing/dir/"));
        CHECK(written[0] == 0);
    }
    for (int i = 0; i < 4; i++) vs[i]->free(vs[i]);
#undef LINES
    view_fixture_close(&f);
}

/* SEGP_TEST_VERBOSE=1: the views as text (the README's screens). */
TEST(views_dump) {
    if (!test_verbose()) return;
    view_fixture f;
    if (!view_fixture_open(&f, 4)) return;
    view *vs[4] = {view_anchors_new(), view_drift_new(), view_geometry_new(),
                   view_projection_new()};
    for (int i = 0; i < 4; i++) {
        free(view_render(vs[i], &f.s, 120, 40, CHARSET_UNICODE, COLORS_NONE));
        free(view_render(vs[i], &f.s, 100, 30, CHARSET_UNICODE, COLORS_NONE));
        free(view_render(vs[i], &f.s, 80, 24, CHARSET_ASCII, COLORS_NONE));
        free(view_render(vs[i], &f.s, 40, 12, CHARSET_UNICODE, COLORS_NONE));
        vs[i]->free(vs[i]);
    }
    view_fixture_close(&f);
}
