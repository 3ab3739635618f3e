/* test_tui_messages.c: the workbench's words tested without a screen: segp tui's refusals of
 * bad input before any screen opens (naming the file or value, a non-zero exit), and the
 * message the status bar shows after an export, fitted to its width. The workbench driven in
 * tmux: test_tui.c. */
#include <stdio.h>
#include <string.h>

#include "app/tui.h"
#include "core/common.h"
#include "test.h"

#define CHECK_MSG_IS(want) CHECK_MSG(!strcmp(m, want), "message '%s'", m)

/* The export message fits the width given by shortening the folder, then by naming fewer
 * files; a name is whole or absent */
TEST(tui_export_message_keeps_names_whole) {
    char m[1024];
    const char *dir = "/tmp/some/where/run/exports";
    const char *data = "overview_steps.csv, overview_tasks.csv";
    tui_export_message(m, sizeof m, 200, 0, dir, "accuracy-curve.png", data, "");
    CHECK_MSG_IS("exported to /tmp/some/where/run/exports: accuracy-curve.png (+ .csv), "
                 "overview_steps.csv, overview_tasks.csv");
    tui_export_message(m, sizeof m, 90, 0, dir, "accuracy-curve.png", data, "");
    CHECK_MSG_IS("exported to …/exports: accuracy-curve.png (+ .csv), overview_steps.csv, "
                 "overview_tasks.csv");
    tui_export_message(m, sizeof m, 89, 1, dir, "accuracy-curve.png", data, "");
    CHECK_MSG_IS("exported 4 files to .../exports: accuracy-curve.png (+ .csv), "
                 "overview_steps.csv, +1 more");
    tui_export_message(m, sizeof m, 40, 0, dir, "accuracy-curve.png", data, "");
    CHECK_MSG_IS("exported 4 files to …/exports");
    /* no figure: the data, then the reason (cut at the end of the line if need be) */
    tui_export_message(m, sizeof m, 89, 0, dir, NULL, data, "; no figure: no finished task");
    CHECK_MSG_IS("exported 2 files to …/exports: overview_steps.csv, +1 more; no figure: "
                 "no finished task");
    /* a folder of one part is not elided */
    tui_export_message(m, sizeof m, 200, 0, "out", NULL, "a.csv", "");
    CHECK_MSG_IS("exported to out: a.csv");
}

/* N's question names the config in what its words leave: relative under the current directory,
 * else its middle parts elided, whole parts kept (a long absolute path pushed "into runs/? y/n"
 * off a 100-column line) */
TEST(tui_fit_path_keeps_the_name) {
    char m[1024];
    const char *p = "/home/ann/src/segp/sample_runs/default.json";
    tui_fit_path(p, "/home/ann/src/segp", 80, 0, m, sizeof m);
    CHECK_MSG_IS("sample_runs/default.json");
    tui_fit_path(p, "/home/ann/src/segp", 10, 0, m, sizeof m);
    CHECK_MSG_IS("…ault.json");
    tui_fit_path(p, "/elsewhere", 80, 0, m, sizeof m);
    CHECK_MSG_IS("/home/ann/src/segp/sample_runs/default.json");
    tui_fit_path(p, NULL, 43, 0, m, sizeof m);
    CHECK_MSG_IS("/home/ann/src/segp/sample_runs/default.json");
    tui_fit_path(p, NULL, 42, 0, m, sizeof m);
    CHECK_MSG_IS("/home/…/src/segp/sample_runs/default.json");
    tui_fit_path(p, NULL, 40, 0, m, sizeof m);
    CHECK_MSG_IS("/home/…/segp/sample_runs/default.json");
    tui_fit_path(p, NULL, 32, 0, m, sizeof m);
    CHECK_MSG_IS("/home/…/sample_runs/default.json");
    tui_fit_path(p, NULL, 31, 0, m, sizeof m);
    CHECK_MSG_IS("/home/…/default.json");
    tui_fit_path(p, NULL, 30, 1, m, sizeof m);
    CHECK_MSG_IS("/home/.../default.json");
    tui_fit_path(p, NULL, 15, 0, m, sizeof m);
    CHECK_MSG_IS("…/default.json");
    /* the current directory's prefix only at a part's boundary; "/" is no prefix to strip */
    tui_fit_path("/home/annex/a.json", "/home/ann", 80, 0, m, sizeof m);
    CHECK_MSG_IS("/home/annex/a.json");
    tui_fit_path("/a.json", "/", 80, 0, m, sizeof m);
    CHECK_MSG_IS("/a.json");
    tui_fit_path("", NULL, 5, 0, m, sizeof m);
    CHECK_MSG_IS("");
}

TEST(tui_refuses_bad_input_plainly) {
    char out[4096];
    /* not a run directory and not a config: a message naming the file, before any screen */
    const char *dir = tpath("tui-not-a-run", "");
    mkdirs(dir);
    char args[1200];
    snprintf(args, sizeof args, "tui '%s' </dev/null", dir);
    CHECK(test_run_segp(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "config.json"), "output: %s", out);
    /* a corrupt config.json in a run directory */
    write_text(tpath("tui-not-a-run/config.json", ""), "{\"method\": ");
    CHECK(test_run_segp(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "config.json"), "output: %s", out);
    CHECK(test_run_segp("tui --charset braille", out, sizeof out) == 2);
    CHECK(strstr(out, "--charset 'braille'"));
    CHECK(test_run_segp("tui --help", out, sizeof out) == 0);
    CHECK(strstr(out, "usage: segp tui"));
    /* a finished run without a terminal: refused with a message, nothing written */
    snprintf(args, sizeof args, "tui sample_runs/default-run </dev/null");
    CHECK(test_run_segp(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "needs a terminal"), "output: %s", out);
}
