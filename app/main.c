/* main.c: subcommand dispatch, the OpenBLAS kernel check, and the shared error printer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas_setup.h"
#include "core/common.h"
#include "commands.h"
#include "tui.h"

#define SEGP_VERSION SEGP_VERSION_STRING

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

static const command commands[] = {
    {"run", cmd_run, "a continual-learning run of a config (default sample_runs/default.json)"},
    {"resume", cmd_resume, "continue a run directory after its last finished task"},
    {"eval", cmd_eval, "re-evaluate a run directory's saved task checkpoints"},
    {"tui", cmd_tui, "the workbench: step through a run task by task (default: the shipped run)"},
    {"ablate", cmd_ablate, "the SeGP-CL ablation: variants x seeds of a config, then one table"},
    {"export", cmd_export, "figures of a run as PNG, SVG or PDF, with their data (.csv)"},
    {"info", cmd_info,
     "a checkpoint's architecture and counts; any safetensors file's tensors; a run's state"},
    {"tokenize", cmd_tokenize, "CLIP BPE token ids of texts (77 per line, as clip.tokenize)"},
    {"preprocess", cmd_preprocess, "CLIP eval transform of an image into a .npy tensor"},
    {"encode", cmd_encode, "image or text embeddings (before normalisation) into a .npy file"},
    {"zeroshot", cmd_zeroshot,
     "zero-shot class probabilities of images, or accuracy on a benchmark"},
    {"pretrain", cmd_pretrain, "contrastive CLIP pretraining on the shapes world"},
    {"finetune", cmd_finetune,
     "joint LoRA-B fine-tune on all classes of a benchmark (the upper bound)"},
    {"bench", cmd_bench, "measure forward/backward speed (random ViT-B weights or a checkpoint)"},
    {"shapes", cmd_shapes, "the built-in procedural shapes world: sample grids, captions, classes"},
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

const char *app_program = "segp";

int app_report_error(void) {
    const char *msg = segp_last_error();
    fprintf(stderr, "segp: error: %s\n", msg[0] ? msg : "unknown error");
    if (getenv("SEGP_DEBUG") && segp_last_error_where()[0])
        fprintf(stderr, "segp: (raised at %s)\n", segp_last_error_where());
    return 1;
}

int app_is_help(const char *arg) {
    return arg && (!strcmp(arg, "-h") || !strcmp(arg, "--help"));
}

static void usage(FILE *f) {
    fprintf(f,
            "segp %s: continual learning of CLIP models with SeGP-CL\n\n"
            "usage: segp COMMAND [ARGS...]   (segp COMMAND --help, or segp help COMMAND, for\n"
            "                                 its options)\n\n"
            "commands:\n",
            SEGP_VERSION);
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "  --version   the build, the CPU and the OpenBLAS kernels in use\n"
            "\nenvironment:\n"
            "  OMP_NUM_THREADS     worker threads (default: all cores)\n"
            "  OPENBLAS_CORETYPE   OpenBLAS kernel set; when unset, segp picks the best one the\n"
            "                      CPU supports if OpenBLAS itself would fall back to a slow one\n"
            "  SEGP_DATA_ROOT      where real datasets live (default ./datasets)\n"
            "  SEGP_DEBUG=1        also print where in the source an error was raised\n");
}

int main(int argc, char **argv) {
    /* May re-exec this program once with OPENBLAS_CORETYPE set (see blas_setup.h). */
    blas_setup_reexec_if_needed(argv);
    if (argc > 0 && argv[0][0]) app_program = argv[0];
    if (argc < 2) {
        /* on a terminal, the workbench on the shipped run; otherwise the help, as before */
        if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && tui_default_available())
            return tui_default();
        usage(stderr);
        return 2;
    }
    /* (`segp help help` and `segp help --help` are the general help, below) */
    if (!strcmp(argv[1], "help") && argc > 2 && strcmp(argv[2], "help") != 0 &&
        !app_is_help(argv[2])) {
        /* `segp help CMD` is `segp CMD --help`, as git's and go's help are */
        if (argc > 3) {
            fprintf(stderr, "segp: error: help takes one COMMAND ('%s' after '%s'; run "
                            "'segp --help' for the list)\n", argv[3], argv[2]);
            return 2;
        }
        char help_opt[] = "--help";
        for (int i = 0; i < N_COMMANDS; i++) {
            if (strcmp(argv[2], commands[i].name) != 0) continue;
            char *args[] = {argv[2], help_opt, NULL};
            return commands[i].fn(2, args);
        }
        fprintf(stderr, "segp: error: help: unknown command '%s' (run 'segp --help' for the "
                        "list)\n", argv[2]);
        return 2;
    }
    if (app_is_help(argv[1]) || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        char cpu[256];
        segp_cpu_name(cpu, sizeof cpu);
        int threads = blas_num_threads();
        printf("segp %s (build %s)\nCPU %s\nOpenBLAS kernels '%s' (%s), %d thread%s\n",
               SEGP_VERSION, segp_build_id(), cpu, blas_corename(), blas_selection_note(),
               threads, segp_s(threads));
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "segp: error: unknown command '%s' (run 'segp --help' for the list)\n",
            argv[1]);
    return 2;
}
