/* test_figure_missing_data.c: figures of a run that saved no analytics say why, from the run's
 * own config.json: a run made with analytics.enabled false, or one whose file went missing
 * (they said '(analytics off for this run?)' either way), exit non-zero and leave no file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define RUN "sample_runs/default-run"

/* A copy of the shipped run at DIR without the analytics files of tasks 1 and 2, its
 * config.json's analytics.enabled set to ENABLED. */
static void copy_without_analytics(const char *dir, int enabled) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && cp -r " RUN " '%s' && cd '%s' && "
             "rm tasks/0[12]/geometry.safetensors tasks/02/drift.safetensors && "
             "sed -i '/\"analytics\":/,/}/s/\"enabled\":\\t*true/\"enabled\":\\t%s/' config.json"
             " && grep -q '\"enabled\":.%s' config.json",
             dir, dir, dir, enabled ? "true" : "false", enabled ? "true" : "false");
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
}

TEST(figure_of_a_run_without_analytics_says_why) {
    static const char *const figs[] = {"simmat-text", "simmat-diff", "drift-interface",
                                       "projection"};
    for (int en = 0; en < 2; en++) {
        char dir[1024], out_png[1100], args[4096], out[4096];
        snprintf(dir, sizeof dir, "%s", tpath(en ? "missing-run" : "off-run", NULL));
        copy_without_analytics(dir, en);
        snprintf(out_png, sizeof out_png, "%s/x.png", dir);
        for (int f = 0; f < 4; f++) {
            snprintf(args, sizeof args, "export %s --figure %s --task 2 --out %s", dir, figs[f],
                     out_png);
            CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
            CHECK_MSG(strstr(out, "tasks/02 has no ") != NULL, "%s", out);
            if (en)
                CHECK_MSG(strstr(out, "the file is missing, though the run's config.json has "
                                      "analytics on"), "%s: %s", figs[f], out);
            else
                CHECK_MSG(strstr(out, "the run was made with analytics.enabled false (its "
                                      "config.json)"), "%s: %s", figs[f], out);
            CHECK_MSG(!strstr(out, "analytics off for this run?"), "%s", out);
            CHECK(!path_exists(out_png));
            snprintf(out_png, sizeof out_png, "%s/x.csv", dir);
            CHECK(!path_exists(out_png));
            snprintf(out_png, sizeof out_png, "%s/x.png", dir);
        }
    }
}
