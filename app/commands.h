/* commands.h: one entry point per subcommand (app/cmd_*.c). Each returns the process exit status
 * and handles its own --help. */
#ifndef SEGP_COMMANDS_H
#define SEGP_COMMANDS_H

int cmd_info(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_preprocess(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_zeroshot(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_pretrain(int argc, char **argv);
int cmd_finetune(int argc, char **argv);
int cmd_shapes(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_ablate(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_tui(int argc, char **argv);

/* segp info of run directories (cmd_info_run.c): PATH is a folder (a run, or runs in it). */
int info_is_run_path(const char *path);
int info_runs(int n, char **dirs);

/* Print "segp: error: MSG" for the engine's last error and return exit status 1. */
int app_report_error(void);

/* argv[0] of the process (how segp was called), for commands that print segp commands. */
extern const char *app_program;

/* True when ARG is -h or --help. */
int app_is_help(const char *arg);

#endif
