/* test_tui.c: the workbench driven as a user would, in tmux (a private server, a 120x40
 * window): the real segp binary (SEGP_BIN) opens a copy of the shipped run and shows each
 * view with the run's numbers, help, `:` commands, export on `e`, resizes down to 40x12 and
 * below (the "too small" notice) and back, and quits leaving the terminal sane; a tiny new run
 * pauses after each task, steps on `n`, stops on `q` at a boundary and resumes on `r`.
 * The list of runs (segp tui FOLDER) is sorted and clicked. Screens are polled with a deadline
 * (a failure, never a timing assertion). Skipped with the reason when tmux is missing (CI
 * installs it). What needs no screen: test_tui_messages.c; the driving: tui_drive.c. */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "run/run_record.h"
#include "test.h"
#include "tui_drive.h"

/* The workbench (tmux session NAME) on a copy of the shipped run in the test folder COPY. */
static int start_on_copy(const char *name, const char *copy) {
    const char *run = tpath(copy, "");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r sample_runs/default-run '%s'", run, run);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s tui '%s'", segp_abs(), run);
    return start(name, cmd);
}

TEST(tui_shipped_run_views_export_resize_quit) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    if (!start_on_copy("views", "tui-default-run")) return;

    /* overview: the timeline and the final numbers of the run directory */
    CHECK(wait_for("Run overview", "10 ✓", "98.00", "Last 66.80   Avg 77.40", "finished, read-only",
                   NULL));
    /* accuracy: the matrix's last row and the summary */
    keys("2");
    CHECK(wait_for("Accuracy (c: the CLIP branch alone)",
                   ">10   70.00  67.50  63.00  67.00  65.50  66.50  66.00  67.00  66.50  69.00",
                   "CLIP branch alone: Last 63.80", NULL));
    keys("c");
    CHECK(wait_for(">10   70.50  65.00  61.00  66.00  64.00  62.50  61.50  62.00  61.50  64.00",
                   NULL));
    keys("c");
    /* the other views by digit and by Tab: each names itself in its title row */
    const char *names[] = {"anchors", "drift", "geometry", "projection"};
    for (int i = 0; i < 4; i++) {
        char k[4] = {(char)('3' + i), 0};
        keys(k);
        char row[512] = "";
        double t0 = segp_now();
        do {
            nap();
            title_row(row, sizeof row);
        } while (!strstr(row, names[i]) && segp_now() - t0 < TUI_DEADLINE_S);
        CHECK_MSG(strstr(row, names[i]), "view %d: title row '%s'", i + 3, row);
    }
    keys("Tab"); /* projection -> overview */
    CHECK(wait_for("Run overview", NULL));

    /* help lists the global keys, the view's keys and the commands; a key closes it */
    keys("2");
    CHECK(wait_for("Accuracy", NULL));
    keys("?");
    CHECK(wait_for("Global keys", "Keys of the accuracy view", "CLIP branch's matrix", NULL));
    /* PgDn turns a page: on 24 lines (20 of the help's 45 rows) two pages reach its end, where
     * two steps of 10 lines did not; Home goes back to the top (it closed the help) */
    tmux("resize-window -t w -x 120 -y 24");
    keys("NPage");
    keys("NPage");
    CHECK(wait_for(":quit  :q", NULL));
    keys("Home");
    CHECK(wait_for("Global keys", NULL));
    /* at 80 columns one long key (":charset unicode|block|ascii") made the key column 27
     * cells and wrapped most texts; it now takes a row of its own */
    tmux("resize-window -t w -x 80 -y 24");
    CHECK(wait_for("│ q  Esc         quit (asks first while a task trains; finished tasks stay ",
                   NULL));
    keys("End");
    CHECK(wait_for("│ :charset unicode|block|ascii      ", NULL));
    keys("Home");
    CHECK(wait_for("│ Global keys ", NULL));
    /* at 60 columns the box's title lost "closes" (cut at the edge): a shorter one fits */
    tmux("resize-window -t w -x 60 -y 24");
    CHECK(wait_for("┌ help: arrows/PgUp/PgDn scroll, any other key closes ───┐", NULL));
    tmux("resize-window -t w -x 120 -y 24");
    keys("Escape");
    CHECK(wait_gone("Global keys"));
    tmux("resize-window -t w -x 120 -y 40");
    CHECK(wait_for("R %", NULL));

    /* :task takes a whole number in range: trailing junk and task 11 are refused by name */
    type(":task 3x");
    keys("Enter");
    CHECK(wait_for("task: '3x' is not a number in 1..10 (the finished tasks)", NULL));
    CHECK(!strstr(screen_last, "viewing task 3/10"));
    type(":task 11");
    keys("Enter");
    CHECK(wait_for("task: '11' is not a number in 1..10", NULL));
    type(":task 3 4");
    keys("Enter");
    CHECK(wait_for("task: '3 4' is not a number in 1..10", NULL));
    /* a command: select task 3; the matrix marks its row */
    type(":task 3");
    keys("Enter");
    CHECK(wait_for("viewing task 3/10", "> 3 ", NULL));
    type("}");
    CHECK(wait_for("viewing task 10/10", NULL));

    /* export on e: the files appear in RUN/exports and the status line names them */
    keys("e");
    CHECK(wait_for("exported to", "accuracy_matrix.csv", NULL));
    CHECK(path_exists(tpath("tui-default-run/exports/accuracy_matrix.csv", "")));
    CHECK(path_exists(tpath("tui-default-run/exports/accuracy_curves.csv", "")));
    CHECK(wait_for("accuracy-matrix.png", NULL)); /* the view's figure, by segp export's code */
    CHECK(path_exists(tpath("tui-default-run/exports/accuracy-matrix.png", "")));
    /* the geometry view exports the matrix it shows: image means x text (m), task 10 */
    keys("5");
    CHECK(wait_for("Geometry", NULL));
    keys("m");
    CHECK(wait_for("image means x text", NULL));
    keys("e");
    CHECK(wait_for("simmat-cross-t10.png", NULL));
    CHECK(path_exists(tpath("tui-default-run/exports/simmat-cross-t10.png", "")));
    CHECK(path_exists(tpath("tui-default-run/exports/simmat-cross-t10.csv", "")));
    /* a folder that cannot be made is not remembered: the next e goes where the last one did */
    type(":export /proc/segp-no-such/x");
    keys("Enter");
    CHECK(wait_for("export: cannot create /proc/segp-no-such/x", NULL));
    keys("e");
    CHECK(wait_for("exported 9 files to …/exports: simmat-cross-t10.png", NULL));
    /* at 100 columns the status bar elides the folder, then names fewer files: never a cut
     * name ("overview_steps.cs") */
    tmux("resize-window -t w -x 100 -y 34");
    keys("1");
    CHECK(wait_for("Run overview", NULL));
    keys("e");
    CHECK(wait_for(" exported to …/exports: accuracy-curve.png (+ .csv), overview_steps.csv, "
                   "overview_tasks.csv  ?:help", NULL));
    keys("5");
    CHECK(wait_for("Geometry", NULL));
    keys("e");
    CHECK(wait_for(" exported 9 files to …/exports: simmat-cross-t10.png (+ .csv), "
                   "sim_classes.csv, +6 more ", NULL));
    tmux("resize-window -t w -x 120 -y 40");
    /* :auto takes on or off, nothing else */
    type(":auto maybe");
    keys("Enter");
    CHECK(wait_for("auto: on or off (auto-advance is off)", NULL));
    /* a on a finished run said "auto-advance on: tasks follow each other"; nothing trains */
    keys("a");
    CHECK(wait_for("the run is finished: auto-advance is for a run that trains", NULL));
    type(":auto maybe");
    keys("Enter");
    CHECK(wait_for("auto: on or off (auto-advance is off)", NULL));
    /* N outside the default workbench: the message whole (it was cut at 100 columns) */
    tmux("resize-window -t w -x 80 -y 40");
    keys("N");
    CHECK(wait_for(" N works in segp's default workbench; here: segp tui CONFIG ", NULL));
    tmux("resize-window -t w -x 120 -y 40");

    /* resize: the smallest size still shows the view; below it a notice; then back */
    keys("1");
    CHECK(wait_for("Run overview", NULL));
    tmux("resize-window -t w -x 40 -y 12");
    CHECK(wait_for("Run overview", "?:help", NULL));
    tmux("resize-window -t w -x 30 -y 9");
    CHECK(wait_for("too small", NULL));
    tmux("resize-window -t w -x 120 -y 40");
    CHECK(wait_for("Run overview", "10 ✓", "Last 66.80", NULL));

    /* quit: the exit status 0, the normal screen back, the cursor visible, no mouse mode */
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    pane("display -p -t w '#{alternate_on} #{cursor_flag} #{mouse_any_flag}'");
    CHECK_MSG(!strncmp(screen_last, "0 1 0", 5), "terminal after quit: '%s'", screen_last);
    stop();
}

/* Polls until the first row of the screen (the tab bar) ends with TAIL; 0 (and the row
 * printed) when the deadline passes. */
static int wait_tab_bar_ends(const char *tail) {
    double t0 = segp_now();
    char row[1024] = "";
    while (1) {
        capture();
        const char *nl = strchr(screen_last, '\n');
        size_t len = nl ? (size_t)(nl - screen_last) : strlen(screen_last);
        if (len >= sizeof row) len = sizeof row - 1;
        memcpy(row, screen_last, len);
        row[len] = 0;
        while (len > 0 && row[len - 1] == ' ') row[--len] = 0;
        size_t tl = strlen(tail);
        if (len >= tl && !strcmp(row + len - tl, tail)) return 1;
        if (segp_now() - t0 > TUI_DEADLINE_S) break;
        nap();
    }
    printf("    tab bar '%s' does not end with '%s'\n", row, tail);
    return 0;
}

/* A run directory with a long name (as segp names runs: CONFIG-DATE-TIME): the tab bar's right
 * end shows the name alone where "segp NAME" does not fit, its tail after an ellipsis in less
 * room (it used to go blank). */
TEST(tui_tab_bar_shortens_a_long_run_name) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    if (!start_on_copy("longname", "default-20261201-052900")) return;
    CHECK(wait_for("Run overview", "finished, read-only", NULL));
    /* 120 columns */
    CHECK(wait_tab_bar_ends("6 projection                  segp default-20261201-052900"));
    tmux("resize-window -t w -x 100 -y 34");
    CHECK(wait_tab_bar_ends("6 projection   default-20261201-052900"));
    tmux("resize-window -t w -x 90 -y 30");
    CHECK(wait_tab_bar_ends("6 projection   …61201-052900"));
    /* the status line leaves out a part that does not fit instead of cutting it: at 80
     * columns it read "... | viewing task 10/", which looks like a value */
    const char *full = "| finished, read-only | viewing task 10/10";
    CHECK(wait_for(full, NULL));
    tmux("resize-window -t w -x 80 -y 30");
    CHECK(wait_gone(full));
    const char *status = strrchr(capture(), '|');
    CHECK_MSG(status && !strncmp(status, "| finished, read-only   ", 24), "%s", screen_last);
    /* 72 columns: the tabs but the current one go to their numbers (the last name was cut,
     * "6 projecti") */
    tmux("resize-window -t w -x 72 -y 30");
    CHECK(wait_tab_bar_ends(" 1 overview   2   3   4   5   6             "
                            "segp default-20261201-052900"));
    tmux("resize-window -t w -x 75 -y 30");
    CHECK(wait_tab_bar_ends("5 geometry   6 projection"));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
}

/* v in the accuracy view of a 60x20 terminal did nothing visible: the table of numbers had no
 * room and the curves have none either. The table now shows its header and the selected
 * task's row; v back to the curves says in the status line how many more rows they need. */
TEST(tui_accuracy_v_at_60x20) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    if (!start_on_copy("accv", "tui-accuracy-v")) return;
    CHECK(wait_for("Run overview", "finished, read-only", NULL));
    tmux("resize-window -t w -x 60 -y 20");
    keys("2");
    CHECK(wait_for("Accuracy", "drift boundary/core ratio 1.692", NULL));
    keys("v");
    CHECK(wait_for("\n task    A_t    Avg    old    new   CLIP\n"
                   "   10  66.80  77.40  66.56  69.00  63.80\n", NULL));
    keys("v");
    CHECK(wait_for(" v: the curves need 9 more rows ", NULL));
    CHECK(!strstr(screen_last, " A_t "));
    /* any other key gives the status line back */
    keys("Right");
    CHECK(wait_gone("need 9 more rows"));
    CHECK(wait_for("finished, read-only", NULL));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
}

/* The default workbench (segp tui from the source tree: the shipped run, N for a new one):
 * N's question says what the run costs from the shipped run's own record (its task count and
 * wall time), not a guess ("a few minutes per task" was four times too long); any key but y
 * cancels, so nothing starts. */
TEST(tui_new_run_prompt_says_the_shipped_runs_time) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    run_record r;
    CHECK(run_record_open("sample_runs/default-run", &r) == 0);
    if (!r.num_tasks) return;
    double total = 0;
    for (int k = 0; k < r.num_tasks; k++) total += r.task_wall_s[k];
    int sec = (int)(total + 0.5);
    char note[128];
    snprintf(note, sizeof note, "? y/n  (%d tasks; the shipped run took %d:%02d)", r.num_tasks,
             sec / 60, sec % 60);
    run_record_free(&r);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "%s tui", segp_abs());
    if (!start("newprompt", cmd)) return;
    CHECK(wait_for("Run overview", "N: new run", NULL));
    tmux("resize-window -t w -x 100 -y 34");
    keys("N");
    CHECK(wait_for("Start a new run of sample_runs/default.json into runs/", note, NULL));
    CHECK(!strstr(screen_last, "a few minutes"));
    keys("n");
    CHECK(wait_for("cancelled", NULL));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
}

/* N's question with the config at a long absolute path (segp beside its files, run from
 * elsewhere): the path gave up its middle parts, so "into runs/? y/n" stays on the line at 100
 * and at 80 columns (it was cut off at 100). */
TEST(tui_new_run_prompt_fits_a_long_config_path) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    char deep[1000], cmd[16000], cwd[PATH_MAX];
    snprintf(deep, sizeof deep, "%s", tpath("a-folder-with-a-long-name-for-the-question/and-one-"
                                            "more-level", ""));
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp '%s' '%s/segp' && "
             "ln -s '%s/sample_runs' '%s/sample_runs'", deep, deep, segp_abs(), deep, cwd, deep);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    /* from elsewhere than the source tree: segp finds its files beside itself, absolute */
    snprintf(cmd, sizeof cmd, "sh -c \"cd / && exec '%s/segp' tui\"", deep);
    if (!start("longpath", cmd)) return;
    CHECK(wait_for("Run overview", "N: new run", NULL));
    tmux("resize-window -t w -x 100 -y 34");
    keys("N");
    CHECK(wait_for("\xe2\x80\xa6/and-one-more-level/sample_runs/default.json into runs/? y/n",
                   NULL));
    keys("n");
    CHECK(wait_for("cancelled", NULL));
    tmux("resize-window -t w -x 80 -y 30");
    keys("N");
    CHECK(wait_for("\xe2\x80\xa6/sample_runs/default.json into runs/? y/n", NULL));
    CHECK(!strstr(screen_last, "a-folder-with-a-long-name"));
    keys("n");
    CHECK(wait_for("cancelled", NULL));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
}

/* A run another process writes (segp run or resume elsewhere; here a child holding its writer
 * lock while the test appends its events): the workbench says so, follows the events as they
 * come (a line still being written waits for its newline), refuses r while the other process
 * lives, and offers r once it is gone. */
TEST(tui_follows_a_run_another_process_writes) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    const char *run = tpath("tui-follow-run", "");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r sample_runs/default-run '%s' && rm '%s/DONE' "
             "'%s/tasks/10/DONE'", run, run, run, run);
    CHECK(system(cmd) == 0);
    int pid = test_lock_hold(run);
    CHECK(pid > 0);
    if (pid <= 0) return;
    snprintf(cmd, sizeof cmd, "%s tui '%s'", segp_abs(), run);
    if (!start("follow", cmd)) {
        test_lock_release(pid);
        return;
    }
    char who[96];
    snprintf(who, sizeof who, "training in another process (pid %d on", pid);
    CHECK(wait_for("Run overview", who, NULL));
    char ev[1200];
    snprintf(ev, sizeof ev, "%s/events.jsonl", run);
    FILE *f = fopen(ev, "ab");
    CHECK(f != NULL);
    if (f) {
        fputs("{\"event\":\"task_start\",\"time\":1796102200,\"task\":10,\"num_tasks\":10}\n"
              "{\"event\":\"phase\",\"time\":1796102201,\"task\":10,\"phase\":\"train\","
              "\"steps\":48}\n{\"event\":\"step\",\"time\":1796102202,\"task\":10,\"phase\":"
              "\"train\",\"epoch\":1,\"epochs\":3,\"step\":7,\"steps\":48,\"loss\":0.1,"
              "\"images_per_s\":321,\"eta_s\":9}\n{\"event\":\"step\",\"time\":1796102203,"
              "\"task\":10,\"phase\":\"train\",\"epoch\":1,\"epochs\":3,\"step\":8,", f);
        fflush(f);
    }
    CHECK(wait_for("task 10/10, train step 7/48 | 321 img/s", NULL));
    if (f) {
        fputs("\"steps\":48,\"loss\":0.1,\"images_per_s\":322,\"eta_s\":8}\n", f);
        fclose(f);
    }
    CHECK(wait_for("task 10/10, train step 8/48 | 322 img/s", NULL));
    keys("r");
    CHECK(wait_for("r resumes it once that one has stopped", NULL));
    test_lock_release(pid);
    CHECK(wait_for("has stopped: r resumes it here", "stopped after task 9 of 10", NULL));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
}

/* segp tui FOLDER (runs/, an ablation's OUT): a line per run with its numbers and state,
 * kept live (a run another process writes says so); Enter opens the selected run, Backspace
 * comes back to the list. */
TEST(tui_lists_a_folder_of_runs) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    const char *folder = tpath("tui-runs", "");
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cp -r sample_runs/default-run '%s/a-done' && "
             "cp -r sample_runs/default-run '%s/b-cut' && rm '%s/b-cut/DONE' "
             "'%s/b-cut/tasks/10/DONE' && cp -r '%s/b-cut' '%s/c-held'",
             folder, folder, folder, folder, folder, folder, folder, folder);
    CHECK(system(cmd) == 0);
    char held[1200];
    snprintf(held, sizeof held, "%s/c-held", folder);
    int pid = test_lock_hold(held);
    CHECK(pid > 0);
    if (pid <= 0) return;
    snprintf(cmd, sizeof cmd, "%s tui '%s'", segp_abs(), folder);
    if (!start("runs", cmd)) {
        test_lock_release(pid);
        return;
    }
    char who[96];
    snprintf(who, sizeof who, "running (pid %d on ", pid);
    CHECK(wait_for(": 3 (1 finished, 1 running elsewhere)", ">a-done",
                   "10/10   66.80   77.40   11.72    2:52  finished",
                   "9/10   68.33   78.58   11.19    2:30  interrupted after task 9/10", who, NULL));
    /* ? describes the list's own keys, not a run's view keys; a key closes it */
    keys("?");
    CHECK(wait_for("Keys of the list of runs", "open the selected run", NULL));
    CHECK(!strstr(screen_last, "Global keys") && !strstr(screen_last, "Keys of the overview view"));
    keys("Escape");
    CHECK(wait_gone("Keys of the list of runs"));
    keys("j Enter");
    CHECK(wait_for("stopped after task 9 of 10", "r resumes", NULL));
    keys("BSpace");
    CHECK(wait_for(">b-cut", "Enter: open", NULL));
    keys("G Enter");
    snprintf(who, sizeof who, "training in another process (pid %d on", pid);
    CHECK(wait_for(who, NULL));
    test_lock_release(pid);
    CHECK(wait_for("has stopped: r resumes it here", NULL));
    keys("BSpace");
    CHECK(wait_for(": 3 (1 finished, 0 running elsewhere)", ">c-held", NULL));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
}

/* A run of the list that cannot be read (its metrics.jsonl lost): its error, which says how to
 * repair the run, was only ever shown cut at the width (the list's line, the status bar); the
 * selected one's now shows whole under the list. */
TEST(tui_list_shows_a_broken_runs_whole_error) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    const char *folder = tpath("tui-runs-bad", "");
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cp -r sample_runs/default-run '%s/a-done' && "
             "cp -r sample_runs/default-run '%s/b-damaged' && rm '%s/b-damaged/metrics.jsonl'",
             folder, folder, folder, folder, folder);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s tui '%s'", segp_abs(), folder);
    if (!start("runs-bad", cmd)) return;
    CHECK(wait_for(">a-done", NULL));
    CHECK(!strstr(screen_last, "cannot be read:"));
    keys("j");
    CHECK(wait_for(">b-damaged", "cannot be read:", NULL));
    /* the rows under the list joined: the whole message, to the command that repairs it */
    char joined[4096] = "";
    const char *e = strstr(screen_last, "cannot be read:");
    for (size_t k = strlen(joined); e && *e && k + 1 < sizeof joined; e++) {
        if (e[0] == '\n' && e[1] == '\n') break;
        if (e[0] == '\n' && e[1] == ' ') continue; /* a row's leading space: one separator */
        joined[k++] = *e == '\n' ? ' ' : *e;
        joined[k] = 0;
    }
    char want[1400];
    snprintf(want, sizeof want, "by deleting the run's DONE, then segp resume %s/b-damaged",
             folder);
    CHECK_MSG(strstr(joined, "metrics.jsonl: absent, but task 1 is finished") &&
              strstr(joined, want), "under the list: '%s'", joined);
    keys("k");
    CHECK(wait_gone("cannot be read:"));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
}

/* Index of S in the last screen (-1 when absent): rows' order. */
static long at(const char *s) {
    const char *p = strstr(screen_last, s);
    return p ? (long)(p - screen_last) : -1;
}

/* The list of runs could not be sorted: `s` cycles the column (its head marked, the status bar
 * and help say which), `S` reverses, the selection stays on its run, and the order holds when
 * the list is read again (every second while a run of it is unfinished). */
TEST(tui_list_sorts_by_a_column) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    const char *folder = tpath("tui-runs-sort", "");
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cp -r sample_runs/default-run '%s/a-done' && "
             "cp -r sample_runs/default-run '%s/b-cut' && rm '%s/b-cut/DONE' "
             "'%s/b-cut/tasks/10/DONE' && cp -r sample_runs/default-run '%s/c-bad' && "
             "rm '%s/c-bad/metrics.jsonl'",
             folder, folder, folder, folder, folder, folder, folder, folder);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s tui '%s'", segp_abs(), folder);
    if (!start("runs-sort", cmd)) return;
    CHECK(wait_for(" run▲ ", ">a-done", "sorted by run, A-Z", NULL));
    CHECK(at("a-done") < at("b-cut") && at("b-cut") < at("c-bad"));
    keys("s s s s"); /* method, split, tasks, Last: the best Last first */
    CHECK(wait_for("▼Last", "sorted by Last, largest first", NULL));
    CHECK(at(" b-cut ") < at(">a-done ") && at(">a-done ") < at(" c-bad "));
    keys("S");
    CHECK(wait_for("▲Last", "sorted by Last, smallest first", NULL));
    /* the run that cannot be read stays last */
    CHECK(at(">a-done ") < at(" b-cut ") && at(" b-cut ") < at(" c-bad "));
    keys("j");
    CHECK(wait_for(">b-cut ", NULL));
    keys("S");
    CHECK(wait_for("▼Last", ">b-cut ", NULL));
    CHECK(at(">b-cut ") < at(" a-done ") && at(" a-done ") < at(" c-bad "));
    /* read again (b-cut is unfinished): the order and the selection hold */
    struct timespec ts = {1, 500 * 1000 * 1000};
    nanosleep(&ts, NULL);
    capture();
    CHECK(at(">b-cut ") >= 0 && at(">b-cut ") < at(" a-done "));
    keys("?");
    CHECK(wait_for("Keys of the list of runs (sorted now by Last, largest first)",
                   "sort by the next column", "reverse the order", NULL));
    keys("Escape");
    CHECK(wait_gone("Keys of the list of runs"));
    keys("s s s s s"); /* Avg, Forget, wall, state, run */
    CHECK(wait_for(" run▲ ", "sorted by run, A-Z", ">b-cut ", NULL));
    CHECK(at(" a-done ") < at(">b-cut "));
    /* the mouse: a click on a head sorts by its column, again reverses; on a run selects it */
    click(37, 2); /* "Last" */
    CHECK(wait_for("▼Last", "sorted by Last, largest first", NULL));
    click(37, 2);
    CHECK(wait_for("▲Last", "sorted by Last, smallest first", ">b-cut ", NULL));
    click(10, 3);
    CHECK(wait_for(">a-done ", "▲Last", NULL));
    CHECK(at(">a-done ") < at(" b-cut "));
    click(3, 2); /* "run" */
    CHECK(wait_for(" run▲ ", "sorted by run, A-Z", ">a-done ", NULL));
    keys("j");
    CHECK(wait_for(">b-cut ", NULL));
    /* 60 columns: split and method give way whole (the wall time read "2"), the state ends at
     * a word */
    tmux("resize-window -t w -x 60 -y 40");
    CHECK(wait_for(" run▲    tasks    Last     Avg  Forget    wall  state\n",
                   " a-done  10/10   66.80   77.40   11.72    2:52  finished\n",
                   ">b-cut    9/10   68.33   78.58   11.19    2:30  interrupted\n", NULL));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
}

static const char *TINY =
    "{\"model\": \"sample_runs/models/shapes-clip.safetensors\", \"method\": \"finetune\", "
    "\"seed\": 1, \"benchmark\": {\"name\": \"shapes\", \"order\": \"latin\", \"tasks\": "
    "\"B0-Inc10\", \"train_per_class\": 4, \"test_per_class\": 2}, \"train\": {\"epochs\": 1, "
    "\"batch_size\": 20, \"optimizer\": \"adamw\", \"lr\": 0.002}, \"analytics\": {\"enabled\": "
    "false}, \"eval\": {\"batch_size\": 64}, \"run\": {\"max_tasks\": 3}}";

/* A_t of task T (1-based) from DIR/metrics.jsonl, as the views print it ("%.2f"). */
static void acc_of(const char *dir, int t, char *out, size_t n) {
    char p[1200];
    snprintf(p, sizeof p, "%s/metrics.jsonl", dir);
    char *m = read_text(p);
    out[0] = 0;
    char key[64];
    snprintf(key, sizeof key, "{\"task\": %d, \"acc\": ", t);
    const char *s = m ? strstr(m, key) : NULL;
    if (s) snprintf(out, n, "%.2f", atof(s + strlen(key)));
    free(m);
}

TEST(tui_tiny_run_steps_stops_resumes) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    const char *cfg = tpath("tui-tiny.json", ""), *dir = tpath("tui-tiny-run", "");
    write_text(cfg, TINY);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    setenv("OMP_NUM_THREADS", "2", 1);
    snprintf(cmd, sizeof cmd, "%s tui '%s' --out '%s'", segp_abs(), cfg, dir);
    if (!start("tiny", cmd)) return;

    /* task 1 trains at once, then the run waits at the boundary */
    CHECK(wait_for("n trains task 2", NULL));
    /* three tasks of the benchmark's ten: the run's classes, not the benchmark's */
    CHECK(wait_for("30 classes (of the benchmark's 100) in 3 tasks", NULL));
    char a1[32], a2[32], a3[32];
    acc_of(dir, 1, a1, sizeof a1);
    CHECK(a1[0] && wait_for("1 ✓", a1, NULL));
    CHECK(!path_exists(tpath("tui-tiny-run/tasks/02/DONE", "")));

    /* n: task 2, then the next boundary */
    keys("n");
    CHECK(wait_for("n trains task 3", NULL));
    acc_of(dir, 2, a2, sizeof a2);
    CHECK(a2[0] && wait_for("2 ✓", a2, NULL));
    CHECK(path_exists(tpath("tui-tiny-run/tasks/02/DONE", "")));

    /* q at a boundary stops at once: the finished tasks are saved, the run is not done */
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    CHECK(!path_exists(tpath("tui-tiny-run/DONE", "")));
    stop();

    /* reopened: read-only, offers to resume; r trains task 3 to the end */
    snprintf(cmd, sizeof cmd, "%s tui '%s'", segp_abs(), dir);
    if (!start("tiny2", cmd)) return;
    CHECK(wait_for("stopped after task 2 of 3", "r resumes", NULL));
    keys("r");
    CHECK(wait_for("finished: 3/3 tasks", NULL));
    acc_of(dir, 3, a3, sizeof a3);
    CHECK(a3[0] && wait_for("3 ✓", a3, NULL));
    CHECK(path_exists(tpath("tui-tiny-run/DONE", "")));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
    unsetenv("OMP_NUM_THREADS");
}

/* segp tui CONFIG --set KEY=VALUE: the overrides reach the run and its record, as segp run's
 * (the workbench refused --set as an unknown option); a bad one is refused before the screen */
TEST(tui_new_run_takes_set_overrides) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    const char *cfg = tpath("tui-set.json", ""), *dir = tpath("tui-set-run", "");
    write_text(cfg, TINY);
    char cmd[8192], out[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "tui '%s' --set no.such_key=1 </dev/null", cfg);
    CHECK(test_run_segp(cmd, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "'no.such_key'"), "output: %s", out);
    /* a run directory keeps its config */
    CHECK(test_run_segp("tui sample_runs/default-run --set run.max_tasks=2 </dev/null", out,
                        sizeof out) == 2);
    CHECK_MSG(strstr(out, "--set is for a new run of a CONFIG"), "output: %s", out);
    setenv("OMP_NUM_THREADS", "2", 1);
    snprintf(cmd, sizeof cmd, "%s tui '%s' --out '%s' --set run.max_tasks=2 --auto", segp_abs(),
             cfg, dir);
    if (!start("set", cmd)) return;
    CHECK(wait_for("20 classes (of the benchmark's 100) in 2 tasks", NULL));
    CHECK(wait_for("finished: 2/2 tasks", NULL));
    char *conf = read_text(tpath("tui-set-run/config.json", ""));
    CHECK_MSG(conf && strstr(conf, "\"run.max_tasks=2\""), "config.json: %s", conf);
    free(conf);
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    stop();
    unsetenv("OMP_NUM_THREADS");
}

/* The exit status and last words say how the workbench ended, as segp run's do: Ctrl-C (or
 * SIGTERM) 130, a run whose training failed 1 with its error printed once the screen is gone;
 * both exited 0, and the error was only on the screen that quitting cleared. */
TEST(tui_exit_status_after_signal_and_failed_run) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s tui sample_runs/default-run", segp_abs());
    if (!start("sigint", cmd)) return;
    CHECK(wait_for("Run overview", NULL));
    keys("C-c");
    CHECK(wait_for("EXITED 130", NULL));
    stop();

    /* a model file that is no safetensors file: the config passes the check made before the
     * screen opens, the training thread refuses the model */
    const char *cfg = tpath("tui-fail.json", ""), *dir = tpath("tui-fail-run", "");
    write_text(tpath("not-a-model.safetensors", ""), "garbage\n");
    char text[2048];
    snprintf(text, sizeof text, "{\"model\": \"%s\", \"benchmark\": {\"train_per_class\": 4, "
             "\"test_per_class\": 2}, \"run\": {\"max_tasks\": 2}}",
             tpath("not-a-model.safetensors", ""));
    write_text(cfg, text);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s tui '%s' --out '%s'", segp_abs(), cfg, dir);
    if (!start("fail", cmd)) return;
    CHECK(wait_for("The run could not start", NULL));
    keys("q");
    CHECK(wait_for("EXITED 1", NULL));
    CHECK_MSG(strstr(screen_last, "segp: error: ") &&
              strstr(screen_last, "not-a-model.safetensors"), "after the screen: %s", screen_last);
    stop();
}

/* A run directory cut short by a crash or a bad copy: a task's file is truncated and the last
 * task has no DONE marker. The workbench opens; the view of the broken task names the file;
 * the other tasks and views still show; quitting leaves the terminal sane. */
TEST(tui_partial_run_names_the_broken_file) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    const char *run = tpath("tui-partial-run", "");
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && cp -r sample_runs/default-run '%s' && rm '%s/DONE' "
             "'%s/tasks/10/DONE' && truncate -s 3000 '%s/tasks/09/geometry.safetensors'",
             run, run, run, run, run);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s tui '%s'", segp_abs(), run);
    if (!start("partial", cmd)) return;
    /* the last finished task is 9, whose geometry file is broken: the views say so */
    CHECK(wait_for("Run overview", NULL));
    keys("5");
    CHECK(wait_for("tasks/09/geometry.safetensors", NULL));
    keys("[");
    CHECK(wait_for("viewing task 8/", NULL));
    CHECK(wait_for("Geometry", "purple triangle", NULL));
    keys("2");
    CHECK(wait_for("Accuracy", "R %", NULL));
    keys("q");
    CHECK(wait_for("EXITED 0", NULL));
    pane("display -p -t w '#{alternate_on} #{cursor_flag}'");
    CHECK_MSG(!strncmp(screen_last, "0 1", 3), "terminal after quit: '%s'", screen_last);
    stop();
}
