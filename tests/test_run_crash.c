/* test_run_crash.c: runs killed (SIGKILL, SEGP_FAULT_KILL) at the moments test_run.c leaves
 * out: while a new run writes its config.json and its SHA-256 record. (Kills during the tasks,
 * full disks and corrupt run directories: test_run.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "tiny_run.h"

/* Killed while the run writes the first (N 1) or the second (N 2) file of its start: the
 * record config.json.sha256 and config.json. A config.json without its record would be taken
 * for an older segp's run and resumed unchecked for good, so there is never one without the
 * other. */
TEST(run_killed_while_writing_its_config) {
    test_one_thread();
    for (int k = 1; k <= 2; k++) {
        char dir[600], args[1400], fault[16];
        snprintf(dir, sizeof dir, "%s/start-killed-%d", test_tmpdir(), k);
        snprintf(args, sizeof args, "run %s --out %s", tiny_config("start", "finetune", ""), dir);
        snprintf(fault, sizeof fault, "file:%d", k);
        CHECK_MSG(run_segp_fault(fault, args) != 0, "%s: the run was not killed", fault);
        CHECK_MSG(!dir_has(dir, "config.json") || dir_has(dir, "config.json.sha256"),
                  "%s: config.json left without config.json.sha256", fault);
    }
    test_all_threads();
}
