/* test_cli_paths.c: the paths the commands print and write: commands printed for copying quote
 * a folder for the shell, a new run's runs/ folder that cannot be is named, and an output file
 * that cannot be written is refused before the work that ends by writing it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "test.h"
#include "tiny_run.h"

static char out[65536];

/* `segp info` of an interrupted run in a folder with a space: the resume command it prints
 * works when pasted into a shell. */
TEST(cli_paths_resume_command_quoted) {
    char dir[600], cmd[4000], args[1400];
    snprintf(dir, sizeof dir, "%s/quoted runs/cut run", test_tmpdir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/quoted runs' && "
             "cp -r sample_runs/default-run '%s' && rm '%s/DONE' '%s/tasks/10/DONE'", dir,
             test_tmpdir(), dir, dir, dir);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    snprintf(args, sizeof args, "info '%s'", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    char want[1400];
    snprintf(want, sizeof want, "continue with: segp resume '%s'\n", dir);
    CHECK_MSG(strstr(out, "state      interrupted after task 9/10\n") && strstr(out, want),
              "'%s' not in: %s", want, out);
}

/* The commands the engine's messages (and `segp run`'s) give for copying quote a folder with a
 * space: they were printed as 'segp resume DIR' with DIR bare, which the shell splits. */
TEST(cli_paths_engine_commands_quoted) {
    char top[600], dir[700], cmd[4000], args[2000], want[3000];
    snprintf(top, sizeof top, "%s/quoted engine", test_tmpdir());
    snprintf(dir, sizeof dir, "%s/cut run", top);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp -r sample_runs/default-run "
             "'%s' && rm '%s/DONE' '%s/tasks/10/DONE'", top, top, dir, dir, dir);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    /* a new run into it */
    snprintf(args, sizeof args, "run %s --out '%s'", tiny_config("quoted", "finetune", ""), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "or continue it with: segp resume '%s')", dir);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    /* the folder as a config */
    snprintf(args, sizeof args, "run '%s'", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "segp resume '%s' continues it; segp tui '%s' opens it; segp run "
             "'%s/config.json' runs its config again", dir, dir, dir);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    /* the folder of runs given for a run */
    snprintf(args, sizeof args, "resume '%s'", top);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "(to list them: segp info '%s')", top);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    /* written by another process */
    int holder = test_lock_hold(dir);
    CHECK(holder > 0);
    snprintf(args, sizeof args, "resume '%s'", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    test_lock_release(holder);
    snprintf(want, sizeof want, "(to follow it: segp tui '%s')", dir);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    /* a config.json other than the recorded one */
    snprintf(cmd, sizeof cmd, "echo '%064d  config.json' > '%s/config.json.sha256'", 0, dir);
    CHECK(system(cmd) == 0);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "segp run '%s/config.json' --out NEWDIR", dir);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    /* an unreadable checkpoint met by eval */
    snprintf(cmd, sizeof cmd, "cd '%s' && rm config.json.sha256 && touch DONE && "
             "echo '{\"task\": 10, \"wall_s\": 1}' > tasks/10/DONE && "
             "truncate -s 100 tasks/10/lora.safetensors", dir);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "eval '%s'", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "then run: segp resume '%s'", dir);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    /* resume of a finished run: what to do instead */
    snprintf(args, sizeof args, "resume '%s'", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    snprintf(want, sizeof want, "segp eval '%s' re-evaluates its\ncheckpoints, segp tui '%s' "
             "opens it.", dir, dir);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
}

/* `segp run` without --out where runs/ cannot be a folder: the message names runs/ and says to
 * choose --out (it named the run directory under it, "Not a directory"); nothing is made. */
TEST(cli_paths_runs_folder_refused) {
    char *bin = realpath(test_segp_bin(), NULL);
    char *model = realpath("sample_runs/models/shapes-clip.safetensors", NULL);
    CHECK(bin && model);
    if (!bin || !model) {
        free(bin), free(model);
        return;
    }
    char here[600], json[2048], cmd[4000];
    snprintf(here, sizeof here, "%s/runs-file", test_tmpdir());
    snprintf(json, sizeof json, TINY_RUN, "zeroshot", "");
    char *m = strstr(json, "sample_runs/models/shapes-clip.safetensors");
    char cfg_text[2600];
    snprintf(cfg_text, sizeof cfg_text, "%.*s%s%s", (int)(m - json), json, model,
             m + strlen("sample_runs/models/shapes-clip.safetensors"));
    const char *cfg = write_config("runs-file", cfg_text);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cd '%s' && touch runs && "
             "'%s' run '%s' > out.txt 2>&1; echo $? > rc.txt", here, here, here, bin, cfg);
    CHECK(system(cmd) == 0);
    char p[700];
    snprintf(p, sizeof p, "%s/out.txt", here);
    char *text = read_text(p);
    snprintf(p, sizeof p, "%s/rc.txt", here);
    char *rc = read_text(p);
    CHECK_MSG(rc && !strcmp(rc, "1\n"), "exit %s", rc ? rc : "?");
    CHECK_MSG(text && strstr(text, "runs: not a folder") && strstr(text, "--out"), "%s",
              text ? text : "");
    free(text), free(rc), free(bin), free(model);
}

/* An output file in a missing folder, or a folder as the output: refused at once, before the
 * fine-tune trains or the zero-shot benchmark runs (it failed only at the end). */
TEST(cli_paths_output_checked_first) {
    char args[1600];
    const char *cfg = write_config("ft-out", "{\"world\": {\"train_per_class\": 2, "
                                   "\"test_per_class\": 1}, \"train\": {\"epochs\": 1}}");
    const char *model = "sample_runs/models/shapes-clip.safetensors";
    snprintf(args, sizeof args, "finetune --model %s --config %s --out %s/no/such/dir/l.st",
             model, cfg, test_tmpdir());
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "cannot write there") && strstr(out, "/no/such/dir:") &&
                  !strstr(out, "trainable") && !strstr(out, "overall"),
              "%s", out);
    snprintf(args, sizeof args, "finetune --model %s --config %s --out %s", model, cfg,
             test_tmpdir());
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "is a folder") && !strstr(out, "overall"), "%s", out);
    snprintf(args, sizeof args, "zeroshot --model %s --world shapes --out %s/no/such/p.npy",
             model, test_tmpdir());
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "cannot write there") && !strstr(out, "overall"), "%s", out);
}

/* An output that names one of the command's inputs is refused before any work, and the input
 * is left as it was: `segp encode --out` equal to --model replaced the checkpoint with the
 * embeddings, `segp preprocess IMG --out IMG` and `segp zeroshot --out` an image or the class
 * list with a .npy, all with exit 0. */
TEST(cli_paths_output_not_an_input) {
    char cmd[3000], args[2400], dir[400];
    snprintf(dir, sizeof dir, "%s/in place dir", test_tmpdir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp tests/fixtures/clip_tiny."
             "safetensors '%s/m.safetensors' && cp tests/fixtures/image_rgb_37x29.png "
             "'%s/a.png' && printf 'cat\\ndog\\n' > '%s/names.txt'", dir, dir, dir, dir, dir);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    char m[500], img[500], names[500], list[500], a[7][2400];
    snprintf(m, sizeof m, "%s/m.safetensors", dir);
    snprintf(img, sizeof img, "%s/a.png", dir);
    snprintf(names, sizeof names, "%s/names.txt", dir);
    snprintf(list, sizeof list, "%s/test.txt", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", names, list);
    CHECK(system(cmd) == 0);
    snprintf(a[0], sizeof a[0], "encode --model '%s' --text hi --out '%s'", m, m);
    snprintf(a[1], sizeof a[1], "encode --model '%s' --images '%s' --out '%s'", m, img, img);
    snprintf(a[2], sizeof a[2], "preprocess '%s' -r 32 --out '%s'", img, img);
    snprintf(a[3], sizeof a[3], "zeroshot --model '%s' --classes '%s' '%s' --out '%s'", m,
             names, img, names);
    snprintf(a[4], sizeof a[4], "finetune --model '%s' --out '%s'", m, m);
    /* a benchmark's list files ({} is the split's name); they were not compared */
    snprintf(a[5], sizeof a[5], "zeroshot --model '%s' --benchmark folder --root '%s' "
             "--classes-file '%s' --out '%s'", m, dir, names, names);
    snprintf(a[6], sizeof a[6], "zeroshot --model '%s' --benchmark folder --root '%s' "
             "--split-file '%s/{}.txt' --out '%s'", m, dir, dir, list);
    const char *victim[7] = {m, img, img, names, m, names, list};
    const char *what[7] = {"--model", "image", "image", "--classes", "--model", "--classes-file",
                           "--split-file"};
    uint8_t *before[7];
    size_t n_before[7];
    for (int k = 0; k < 7; k++)
        CHECK(segp_read_file(victim[k], &before[k], &n_before[k]) == 0);
    for (int k = 0; k < 7; k++) {
        CHECK_MSG(test_run_segp(a[k], out, sizeof out) == 1, "%s: %s", a[k], out);
        char want[1200];
        snprintf(want, sizeof want, "segp: error: %s: is the input %s %s;", victim[k], what[k],
                 victim[k]);
        CHECK_MSG(strstr(out, want) == out && !strstr(out, "wrote"), "%s: %s", a[k], out);
        uint8_t *now;
        size_t n_now;
        CHECK(segp_read_file(victim[k], &now, &n_now) == 0);
        CHECK_MSG(n_now == n_before[k] && !memcmp(now, before[k], n_now), "%s changed by %s",
                  victim[k], a[k]);
        free(now);
    }
    for (int k = 0; k < 7; k++) free(before[k]);
    /* another file of the same folder is written as before */
    snprintf(args, sizeof args, "encode --model '%s' --images '%s' --out '%s/e.npy'", m, img,
             dir);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0 && dir_has(dir, "e.npy"), "%s", out);
}
