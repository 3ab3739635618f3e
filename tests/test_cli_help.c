/* test_cli_help.c: the top-level dispatch's help: `segp help CMD` is `segp CMD --help`, `segp
 * help` the general help, and an unknown COMMAND an error naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static char out[65536], want[65536];

TEST(cli_help_command) {
    /* it printed the general help for any COMMAND */
    const char *cmds[] = {"run", "resume", "shapes", "pretrain", "info"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        CHECK_EQ_INT(test_run_segp(args, want, sizeof want), 0);
        snprintf(args, sizeof args, "help %s", cmds[i]);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: segp %s", cmds[i]);
        CHECK_MSG(strstr(out, usage) == out && !strcmp(out, want), "'segp help %s': %.200s",
                  cmds[i], out);
    }
    CHECK_EQ_INT(test_run_segp("help", out, sizeof out), 0);
    CHECK(strstr(out, "usage: segp COMMAND") && strstr(out, "commands:"));
    CHECK_EQ_INT(test_run_segp("help --help", out, sizeof out), 0);
    CHECK(strstr(out, "usage: segp COMMAND") && strstr(out, "commands:"));
    CHECK_EQ_INT(test_run_segp("help nosuch", out, sizeof out), 2);
    CHECK_MSG(strstr(out, "segp: error: help: unknown command 'nosuch'"), "%s", out);
    CHECK_EQ_INT(test_run_segp("help run extra", out, sizeof out), 2);
    CHECK_MSG(strstr(out, "segp: error: help takes one COMMAND"), "%s", out);
}
