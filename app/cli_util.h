/* cli_util.h: small helpers shared by the subcommands' option parsing. */
#ifndef SEGP_CLI_UTIL_H
#define SEGP_CLI_UTIL_H

/* Option value after argv[*i] (advances *i); prints a usage error and returns NULL if absent. */
const char *cli_value(int argc, char **argv, int *i);

/* Parse an integer option value in [lo, hi]; prints "segp: error: OPT ..." and returns -1. */
int cli_int(const char *opt, const char *s, long lo, long hi, int *out);

/* Print "segp: error: unknown option 'X' (see 'segp CMD --help')" and return 2. */
int cli_unknown(const char *cmd, const char *opt);

/* Print "segp: error: MSG (see 'segp CMD --help')" and return 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The shapes benchmark accuracy table (per task, renditions, sizes, colour/shape errors). */
struct shapes_zeroshot_result;
void cli_print_shapes_result(const struct shapes_zeroshot_result *r);
/* Its last lines alone: per rendition, per size, colour/shape errors. */
void cli_print_shapes_extras(const struct shapes_zeroshot_result *r);

#endif
