/* cmd_info.c: `segp info MODEL`: architecture, parameter counts by tower, tensor names; of
 * run directories, cmd_info_run.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip.h"
#include "core/common.h"
#include "model/lora.h"
#include "io/safetensors.h"
#include "cli_util.h"
#include "commands.h"

static void usage(void) {
    printf("usage: segp info FILE.safetensors [--no-tensors]\n"
           "       segp info RUN_DIR...\n\n"
           "Of a CLIP checkpoint: the architecture inferred from it (as openai/CLIP's\n"
           "build_model), where head counts and the activation came from, parameter counts per\n"
           "tower, the LoRA-B trainable count of SeGP-CL's default placement (rank 32 on q, v,\n"
           "c_fc, c_proj of every block of both towers), and every tensor with dtype and shape.\n\n"
           "Of any other safetensors file (a run's lora.safetensors, anchors.safetensors,\n"
           "geometry.safetensors, ...): its metadata, the count of numbers it holds, and every\n"
           "tensor with dtype and shape.\n\n"
           "Of a run directory: its state (finished; interrupted, with the command that\n"
           "continues it; or being written by another process, named by pid and host, with\n"
           "its task and phase), method, benchmark, tasks done, Last, Avg, Forgetting and BWT\n"
           "(so far, for an unfinished run), wall time, model, build and events. Of several,\n"
           "or of a folder of runs (runs/, an ablation's OUT): one line per run.\n\n"
           "  --no-tensors   omit the tensor list\n");
}

/* N with ',' between groups of three digits into OUT (at least 40 bytes). */
static const char *grouped(int64_t n, char *out) {
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%lld", (long long)n), k = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0 && buf[i - 1] != '-') out[k++] = ',';
        out[k++] = buf[i];
    }
    out[k] = 0;
    return out;
}

static void print_count(const char *what, int64_t n) {
    char out[48];
    printf("  %-28s %15s\n", what, grouped(n, out));
}

static void print_tensors(const st_file *f) {
    printf("tensors (%d)\n", st_count(f));
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *ti = st_at(f, i);
        char shape[128];
        size_t k = 0;
        shape[0] = 0;
        for (int d = 0; d < ti->ndim; d++)
            k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%lld", d ? ", " : "",
                                  (long long)ti->shape[d]);
        printf("  %-60s %-5s [%s]\n", ti->name, st_dtype_name(ti->dtype), shape);
    }
}

/* Whether F holds either tower's stem under OpenAI's or Hugging Face's names, the test the model
 * loader applies before anything else. */
static int is_clip_checkpoint(const st_file *f) {
    static const char *const stems[] = {
        "visual.conv1.weight", "token_embedding.weight",
        "vision_model.embeddings.patch_embedding.weight",
        "text_model.embeddings.token_embedding.weight"};
    for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++)
        if (st_find(f, stems[i])) return 1;
    return 0;
}

/* S on one line: control characters as C escapes, so a value cannot break the layout. */
static void print_escaped(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n') fputs("\\n", stdout);
        else if (*p == '\t') fputs("\\t", stdout);
        else if (*p < 0x20 || *p == 0x7f) printf("\\x%02x", *p);
        else putchar(*p);
    }
}

/* Any other safetensors file: what it declares about itself and what it holds. */
static void print_plain(const st_file *f, int tensors) {
    int64_t numbers = 0;
    for (int i = 0; i < st_count(f); i++) numbers += st_at(f, i)->numel;
    printf("file       %s\n", st_path(f));
    printf("kind       safetensors, not a CLIP checkpoint (neither tower's stem: no "
           "'visual.conv1.weight' or 'token_embedding.weight', nor their Hugging Face names)\n");
    for (int i = 0; i < st_metadata_count(f); i++) {
        const char *k = st_metadata_key(f, i);
        printf("%-10s ", i ? "" : "metadata");
        print_escaped(k);
        fputs(" = ", stdout);
        print_escaped(st_metadata(f, k));
        putchar('\n');
    }
    if (!st_metadata_count(f)) printf("metadata   (none)\n");
    char buf[48];
    printf("numbers    %s in %d tensor%s\n", grouped(numbers, buf), st_count(f),
           st_count(f) == 1 ? "" : "s");
    if (tensors) print_tensors(f);
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int tensors = 1, n_paths = 0;
    char **paths = segp_calloc((size_t)argc, sizeof *paths);
    for (int i = 1; i < argc; i++) {
        if (app_is_help(argv[i])) {
            free(paths);
            usage();
            return 0;
        } else if (!strcmp(argv[i], "--no-tensors")) {
            tensors = 0;
        } else if (argv[i][0] == '-') {
            free(paths);
            return cli_unknown("info", argv[i]);
        } else {
            if (!path) path = argv[i];
            paths[n_paths++] = argv[i];
        }
    }
    if (path && info_is_run_path(path)) { /* run directories */
        int rc = info_runs(n_paths, paths);
        free(paths);
        return rc;
    }
    free(paths);
    if (n_paths > 1)
        return cli_usage_error("info", "only one FILE expected, got '%s' too", argv[argc - 1]);
    if (!path) return cli_usage_error("info", "FILE.safetensors or RUN_DIR is required");
    st_file *f = st_open(path);
    if (!f) return app_report_error();
    if (!is_clip_checkpoint(f)) {
        print_plain(f, tensors);
        st_close(f);
        return 0;
    }
    clip_model *m = clip_model_load(path, NULL);
    if (!m) {
        st_close(f);
        return app_report_error();
    }
    const clip_config *c = clip_model_config(m);
    printf("model      %s (%s names)\n", path, clip_model_naming(m));
    if (c->has_vision)
        printf("vision     ViT: width %d, layers %d, heads %d, mlp %d, patch %d, grid %dx%d, "
               "resolution %d\n",
               c->v_width, c->v_layers, c->v_heads, c->v_mlp, c->patch, c->grid, c->grid,
               c->resolution);
    else
        printf("vision     (none: this checkpoint has no vision tower)\n");
    if (c->has_text)
        printf("text       width %d, layers %d, heads %d, mlp %d, context %d, vocabulary %d\n",
               c->t_width, c->t_layers, c->t_heads, c->t_mlp, c->context, c->vocab);
    else
        printf("text       (none: this checkpoint holds only the vision tower)\n");
    printf("embedding  %d\n", c->embed_dim);
    printf("activation %s (from %s); heads from %s; layer-norm eps %g\n",
           c->act == ACT_GELU ? "gelu" : "quick_gelu", c->act_source, c->heads_source,
           (double)c->ln_eps);
    double ls = (double)clip_model_logit_scale(m); /* s up to 88 loads: e^88 has 39 digits */
    printf(ls < 1e6 ? "logit scale exp(s) = %.4f\n" : "logit scale exp(s) = %.4e\n", ls);
    printf("parameters\n");
    int64_t v = clip_model_param_count(m, 0), t = clip_model_param_count(m, 1),
            o = clip_model_param_count(m, 2);
    print_count("vision tower", v);
    print_count("text tower", t);
    print_count("other (logit scale)", o);
    print_count("total", v + t + o);
    clip_lora_params lp = clip_lora_default_params();
    clip_lora *l = clip_lora_new(m, &lp);
    if (l) {
        print_count("LoRA-B trainable (r=32)", (int64_t)clip_lora_trainable(l));
        clip_lora_free(l);
    }
    clip_model_free(m);
    if (tensors) print_tensors(f);
    st_close(f);
    return 0;
}
