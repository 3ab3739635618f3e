/* cmd_bench.c: `segp bench`: measures the engine on random ViT-B/16 and ViT-B/32 weights or on
 * any checkpoint (--model). (a) image-tower forward, (b) the LoRA-B training step (the one step
 * of engine/train/step.h, both towers), (c) an input-gradient step (what DPGD runs); the
 * machine's sgemm rate for scale; and the PyTorch baseline of (b) on the same machine, threads,
 * architecture and minimum time, both doing the same work (text to the end-of-text token, as
 * segp) and as openai/CLIP does (every context position). A benchmark, not a test. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas_setup.h"
#include "core/common.h"
#include "core/rng.h"
#include "model/clip.h"
#include "model/lora.h"
#include "train/clip_loss.h"
#include "train/step.h"
#include "cli_util.h"
#include "commands.h"

#define N_CLASSES 10  /* class prompts in the training step: one task's classes (METHOD.md 4) */
#define PROMPT_LEN 8  /* tokens of "a photo of a <word>." with start and end of text */

static void usage(void) {
    printf("usage: segp bench [--arch B/16|B/32|all | --model M.safetensors] [--batch N ...]\n"
           "                  [--min-time S] [--no-torch] [--python PATH]\n\n"
           "Reports images/s and GFLOP/s of (a) the image-tower forward, (b) the LoRA-B\n"
           "training step through both towers (rank 32 on q, v, c_fc, c_proj; %d class\n"
           "prompts of %d tokens; cross-entropy; SGD), (c) an input-gradient step as DPGD runs\n"
           "it, each as a share of the machine's sgemm rate; the OpenBLAS kernel set and\n"
           "thread count; and PyTorch's time for (b) on the same machine, threads and\n"
           "architecture (bench/torch_lora_step.py with python3-torch), twice: doing the same\n"
           "work (text tower up to the end-of-text token, as segp) and as openai/CLIP does\n"
           "(text tower over every context position).\n\n"
           "  --arch A       random ViT-B/16, B/32 or all (default all)\n"
           "  --model M      a checkpoint instead (its own architecture; e.g. the shipped\n"
           "                 sample_runs/models/shapes-clip.safetensors); default batch 64,\n"
           "                 the continual runs' batch size\n"
           "  --batch N      batch size; repeat for several (default 1 and 32; 64 with --model)\n"
           "  --min-time S   measure each case, segp and PyTorch, for at least S seconds\n"
           "                 (default 2)\n"
           "  --no-torch     skip the PyTorch comparison\n"
           "  --python P     Python with torch (default /usr/bin/python3)\n"
           "Threads: OMP_NUM_THREADS (default: all cores).\n",
           N_CLASSES, PROMPT_LEN);
}

static clip_config vit_b(int patch) {
    clip_config c;
    memset(&c, 0, sizeof c);
    c.has_vision = c.has_text = 1;
    c.v_width = 768, c.v_layers = 12, c.v_heads = 12, c.v_mlp = 3072;
    c.patch = patch, c.grid = 224 / patch, c.resolution = 224;
    c.t_width = 512, c.t_layers = 12, c.t_heads = 8, c.t_mlp = 2048;
    c.context = 77, c.vocab = 49408, c.embed_dim = 512;
    c.act = ACT_QUICK_GELU;
    c.ln_eps = 1e-5f;
    return c;
}

/* The machine's multi-threaded sgemm rate: the best over a square product and the two MLP
 * products of ViT-B/16 at batch 32 (rows 32 * 197), each timed for about min_time / 3. */
static double sgemm_gflops(double min_time) {
    static const int shapes[3][3] = {{2048, 2048, 2048}, {6304, 3072, 768}, {6304, 768, 3072}};
    double best = 0;
    for (int s = 0; s < 3; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = malloc((size_t)m * k * sizeof(float)), *b = malloc((size_t)k * n * sizeof(float));
        float *c = malloc((size_t)m * n * sizeof(float));
        rng_state r = rng_seed(1, 2);
        for (size_t i = 0; i < (size_t)m * k; i++) a[i] = rng_uniform(&r);
        for (size_t i = 0; i < (size_t)k * n; i++) b[i] = rng_uniform(&r);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 0, c, n);
        double t_end = segp_now() + min_time / 3;
        int runs = 0;
        while (runs < 2 || segp_now() < t_end) {
            double t0 = segp_now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 0, c, n);
            double g = 2.0 * m * n * (double)k / (segp_now() - t0) / 1e9;
            if (g > best) best = g;
            runs++;
        }
        free(a);
        free(b);
        free(c);
    }
    return best;
}

typedef struct {
    clip_model *m;
    clip_lora *lora;
    clip_acts *va;
    float *pixels, *dpix, *img, *dimg, *text_fixed;
    int32_t *ids, *labels;
    int b;
    train_step *trainer;
    loss_term term;
} bench_state;

static int step_forward(bench_state *s) {
    return clip_vision_forward(s->m, s->lora, s->pixels, s->b, s->va, 0, s->img);
}

static int step_train(bench_state *s) { /* the training step: SGD momentum 0.9, lr 1e-3 */
    return train_step_run(s->trainer, s->pixels, s->b, s->ids, N_CLASSES, &s->term, 1, 1e-3f,
                          NULL, NULL);
}

static int step_input_grad(bench_state *s) { /* fixed text embeddings, gradient to pixels */
    const clip_config *c = clip_model_config(s->m);
    if (clip_vision_forward(s->m, s->lora, s->pixels, s->b, s->va, 1, s->img)) return -1;
    float loss; /* CPU: backend memory is host memory */
    clip_logit_loss(clip_model_backend(s->m), NULL, &loss, s->img, s->b, s->text_fixed,
                    N_CLASSES, c->embed_dim, 100.0f, s->labels, 0, s->dimg, NULL, NULL);
    clip_grads g = {.d_pixels = s->dpix};
    return clip_vision_backward(s->m, s->lora, s->va, s->dimg, &g);
}

/* Seconds per call, after one warm-up call (it sizes the arenas); -1 on error. */
static double time_it(int (*fn)(bench_state *), bench_state *s, double min_time) {
    if (fn(s)) return -1;
    double t0 = segp_now(), t;
    int n = 0;
    do {
        if (fn(s)) return -1;
        n++;
        t = segp_now() - t0;
    } while (t < min_time || n < 2);
    return t / n;
}

/* PyTorch's images/s for (b) with text over TEXT_LEN positions; -1 when it failed, with its
 * stderr (or why it could not run) shown to the user. */
static double torch_step(const char *python, const clip_config *c, const clip_lora_params *lp,
                         int b, int text_len, int threads, double min_time, int *shown) {
    char errf[64] = "/tmp/segp-bench-XXXXXX";
    int fd = mkstemp(errf);
    if (fd < 0) return -1;
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s bench/torch_lora_step.py --batch %d --threads %d --min-time %g --classes %d "
             "--prompt-len %d --text-len %d --v-width %d --v-layers %d --v-heads %d --v-mlp %d "
             "--patch %d --resolution %d --t-width %d --t-layers %d --t-heads %d --t-mlp %d "
             "--context %d --vocab %d --embed %d --act %s --rank %d --alpha %g --targets %u "
             "2>%s",
             python, b, threads, min_time, N_CLASSES, PROMPT_LEN, text_len, c->v_width,
             c->v_layers, c->v_heads, c->v_mlp, c->patch, c->resolution, c->t_width, c->t_layers,
             c->t_heads, c->t_mlp, c->context, c->vocab, c->embed_dim,
             c->act == ACT_GELU ? "gelu" : "quick_gelu", lp->rank, (double)lp->alpha,
             (unsigned)lp->targets, errf);
    double ips = -1;
    FILE *p = popen(cmd, "r");
    if (p) {
        char line[512];
        while (fgets(line, sizeof line, p)) sscanf(line, "images_per_s %lf", &ips);
        if (pclose(p) != 0) ips = -1;
    }
    /* Show whatever PyTorch said on stderr (errors, and warnings even when it ran). */
    FILE *e = fopen(errf, "r");
    if (e) {
        char line[512];
        while (fgets(line, sizeof line, e)) {
            if (!(*shown)++) printf("\n");
            printf("       | %s", line);
        }
        fclose(e);
    }
    remove(errf);
    if (!p) printf("\n       | could not run %s\n", python), (*shown)++;
    return ips;
}

/* FLOPs of the LoRA branches of TOWER for ROWS token rows: x A^T and (x A^T) B^T forward
 * (fwd), and the B gradient's product (db). */
static void lora_flops(const clip_lora *l, int tower, double rows, double *fwd, double *db) {
    *fwd = *db = 0;
    for (int i = 0; i < l->n_slots; i++) {
        const clip_lora_slot *s = &l->slots[i];
        if (s->tower != tower) continue;
        *fwd += 2.0 * rows * l->p.rank * (s->in + s->out);
        *db += 2.0 * rows * l->p.rank * s->out;
    }
}

static void print_row(const char *label, int b, const char *step, double t, double flops,
                      double peak) {
    printf("%-12s %5d  %-32s %10.2f %9.1f %7.0f%%", label, b, step, b / t, flops / t / 1e9,
           100.0 * flops / t / 1e9 / peak);
}

static int bench_model(clip_model *m, const char *label, const int *batches, int n_batches,
                       double min_time, double peak, int use_torch, const char *python,
                       int threads) {
    const clip_config *cfg = clip_model_config(m);
    if (!cfg->has_vision || !cfg->has_text)
        return SEGP_FAIL("%s: bench needs both towers", clip_model_path(m) ? clip_model_path(m)
                                                                          : label);
    clip_lora_params lp = clip_lora_default_params();
    clip_lora *lora = clip_lora_new(m, &lp);
    if (!lora) return -1;
    /* small non-zero B so the LoRA branch does real arithmetic */
    rng_state r = rng_seed(7, 7);
    for (size_t i = 0; i < lora->b_size; i++) lora->b[i] = 1e-3f * rng_normal(&r);
    int e = cfg->embed_dim, ctx = cfg->context, res = cfg->resolution, rc = 0;
    int plen = PROMPT_LEN < ctx ? PROMPT_LEN : ctx;
    for (int bi = 0; bi < n_batches && rc == 0; bi++) {
        int b = batches[bi];
        size_t img = (size_t)3 * res * res;
        bench_state s = {0};
        s.m = m, s.lora = lora, s.b = b;
        s.va = clip_acts_new();
        s.pixels = malloc((size_t)b * img * sizeof(float));
        s.dpix = malloc((size_t)b * img * sizeof(float));
        for (size_t i = 0; i < (size_t)b * img; i++) s.pixels[i] = rng_normal(&r);
        s.img = malloc((size_t)b * e * 4), s.dimg = malloc((size_t)b * e * 4);
        s.text_fixed = malloc(N_CLASSES * (size_t)e * 4);
        for (int i = 0; i < N_CLASSES * e; i++) s.text_fixed[i] = rng_normal(&r) / sqrtf(e);
        s.ids = calloc((size_t)N_CLASSES * ctx, sizeof(int32_t));
        s.labels = malloc((size_t)b * sizeof(int32_t));
        for (int i = 0; i < b; i++) s.labels[i] = i % N_CLASSES;
        for (int k = 0; k < N_CLASSES; k++) { /* start, words, end of text (the largest id) */
            int32_t *row = s.ids + (size_t)k * ctx;
            row[0] = cfg->vocab - 2;
            for (int t = 1; t < plen - 1; t++)
                row[t] = 1 + (int32_t)(rng_next(&r) % (uint64_t)(cfg->vocab - 3));
            row[plen - 1] = cfg->vocab - 1;
        }
        optim_params op = optim_default_params(OPTIM_SGD);
        optim *opt = optim_new(clip_model_backend(m), &op, clip_lora_trainable(lora), NULL);
        train_step_params sp = {.lora = lora, .opt = opt, .train_vision = 1, .train_text = 1,
                                    .data_parallel = 1};
        s.trainer = opt ? train_step_new(m, &sp) : NULL;
        clip_ce_term ce = {s.labels, 0, 0};
        s.term = (loss_term){"cls", 1.0f, loss_term_clip_ce, &ce};
        /* Forward FLOPs with the LoRA branches; (b) and (c) add the backward to the input as one
         * more forward, and (b) the B gradients' products. */
        double lv, lvdb, lt, ltdb, lt_full, ltdb_full;
        int lv_rows = b * (cfg->grid * cfg->grid + 1);
        lora_flops(lora, 0, lv_rows, &lv, &lvdb);
        lora_flops(lora, 1, (double)N_CLASSES * plen, &lt, &ltdb);
        lora_flops(lora, 1, (double)N_CLASSES * ctx, &lt_full, &ltdb_full);
        double fv = clip_vision_flops(cfg, b) + lv;
        double ftxt = clip_text_flops(cfg, N_CLASSES, plen) + lt;
        double ftrain = 2.0 * (fv + ftxt) + lvdb + ltdb;
        double ftrain_full = 2.0 * (fv + clip_text_flops(cfg, N_CLASSES, ctx) + lt_full) + lvdb +
                             ltdb_full;
        double t = s.trainer ? time_it(step_forward, &s, min_time) : -1;
        if (t > 0) {
            print_row(label, b, "(a) image forward", t, fv, peak);
            printf("\n");
            fflush(stdout);
            t = time_it(step_train, &s, min_time);
        }
        if (t > 0) {
            double ours = b / t;
            print_row(label, b, "(b) LoRA-B train step", t, ftrain, peak);
            /* the same time over the base weights' FLOPs alone (the older, smaller count) */
            double fbase =
                2.0 * (clip_vision_flops(cfg, b) + clip_text_flops(cfg, N_CLASSES, plen));
            printf("  (base weights only: %.1f GFLOP/s, %.0f%%)\n", fbase / t / 1e9,
                   100.0 * fbase / t / 1e9 / peak);
            fflush(stdout);
            if (use_torch) {
                static const char *what[2] = {"same work", "openai/CLIP"};
                for (int k = 0; k < 2; k++) {
                    int tl = k == 0 ? plen : ctx;
                    char name[64];
                    snprintf(name, sizeof name, "  PyTorch %s, %d tok", what[k], tl);
                    printf("%-12s %5d  %-32s", "", b, name);
                    fflush(stdout);
                    int shown = 0;
                    double ref = torch_step(python, cfg, &lp, b, tl, threads, min_time, &shown);
                    /* GFLOP/s of the work PyTorch did (more text positions in the second row) */
                    double gf = (k == 0 ? ftrain : ftrain_full) * ref / b / 1e9;
                    if (ref > 0)
                        printf(" %10.2f %9.1f %7.0f%%  segp %.2fx\n", ref, gf, 100.0 * gf / peak,
                               ours / ref);
                    else
                        printf("%s(PyTorch baseline failed%s; it needs python3-torch)\n",
                               shown ? "       " : " ", shown ? ": its messages above" : "");
                    fflush(stdout);
                }
            }
            t = time_it(step_input_grad, &s, min_time);
        }
        if (t > 0) {
            print_row(label, b, "(c) input-gradient step", t, 2.0 * fv, peak);
            printf("\n");
            fflush(stdout);
        } else {
            rc = -1;
        }
        clip_acts_free(s.va);
        free(s.pixels), free(s.dpix), free(s.img), free(s.dimg), free(s.text_fixed);
        free(s.ids), free(s.labels);
        train_step_free(s.trainer);
        optim_free(opt);
    }
    clip_lora_free(lora);
    return rc;
}

int cmd_bench(int argc, char **argv) {
    int batches[8], n_batches = 0, use_torch = 1, archs[2] = {32, 16}, n_archs = 2;
    double min_time = 2.0;
    const char *python = "/usr/bin/python3", *model = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (app_is_help(a)) {
            usage();
            return 0;
        } else if (!strcmp(a, "--arch")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v) return 2;
            if (!strcmp(v, "B/16")) archs[0] = 16, n_archs = 1;
            else if (!strcmp(v, "B/32")) archs[0] = 32, n_archs = 1;
            else if (strcmp(v, "all"))
                return cli_usage_error("bench", "--arch '%s' (expected B/16, B/32 or all)", v);
        } else if (!strcmp(a, "--model")) {
            if (!(model = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--batch")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v) return 2;
            if (n_batches == 8) return cli_usage_error("bench", "at most 8 --batch values");
            if (cli_int("--batch", v, 1, 1024, &batches[n_batches++])) return 2;
        } else if (!strcmp(a, "--min-time")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v) return 2;
            char *end;
            min_time = strtod(v, &end);
            if (*end || !(min_time >= 0 && min_time < 3600))
                return cli_usage_error("bench", "--min-time '%s' (expected seconds)", v);
        } else if (!strcmp(a, "--no-torch")) {
            use_torch = 0;
        } else if (!strcmp(a, "--python")) {
            if (!(python = cli_value(argc, argv, &i))) return 2;
        } else {
            return cli_unknown("bench", a);
        }
    }
    if (!n_batches) {
        if (model) batches[0] = 64, n_batches = 1;
        else batches[0] = 1, batches[1] = 32, n_batches = 2;
    }
    clip_model *loaded = NULL;
    if (model && !(loaded = clip_model_load(model, NULL))) return app_report_error();
    int threads = blas_num_threads();
    printf("machine    OpenBLAS kernels '%s' (%s), %d threads\n", blas_corename(),
           blas_selection_note(), threads);
    double peak = sgemm_gflops(min_time);
    printf("sgemm      %.1f GFLOP/s (best of 2048^3 and ViT-B/16's MLP products at batch 32,\n"
           "           float32, %d threads)\n\n",
           peak, threads);
    printf("%-12s %5s  %-32s %10s %9s %8s\n", "model", "batch", "step", "images/s", "GFLOP/s",
           "of sgemm");
    fflush(stdout);
    int rc = 0;
    if (loaded) {
        char label[64];
        const char *base = strrchr(model, '/');
        snprintf(label, sizeof label, "%s", base ? base + 1 : model);
        char *dot = strstr(label, ".safetensors");
        if (dot) *dot = 0;
        rc = bench_model(loaded, label, batches, n_batches, min_time, peak, use_torch, python,
                         threads);
        clip_model_free(loaded);
    }
    for (int ai = 0; ai < n_archs && !loaded && rc == 0; ai++) {
        clip_config cfg = vit_b(archs[ai]);
        clip_model *m = clip_model_random(&cfg, 42, "cpu");
        if (!m) return app_report_error();
        char label[32];
        snprintf(label, sizeof label, "ViT-B/%d", archs[ai]);
        rc = bench_model(m, label, batches, n_batches, min_time, peak, use_torch, python,
                         threads);
        clip_model_free(m);
    }
    if (rc) return app_report_error();
    printf("\nGFLOP/s count multiply-adds as 2, including the LoRA branches (x A^T, then B); (b)\n"
           "and (c) count backward-to-input as one more forward (no base-weight gradients are\n"
           "computed), (b) also the LoRA-B gradients. (b) runs the text tower on %d prompts\n"
           "of %d tokens up to their end-of-text token. PyTorch runs (b) in float32 with\n"
           "torch.set_num_threads(%d), timed for the same minimum time: 'same work' stops the\n"
           "text tower at the end-of-text token as segp does; 'openai/CLIP' runs every context\n"
           "position as openai/CLIP's encode_text does (GFLOP/s counted on the work it did).\n",
           N_CLASSES, PROMPT_LEN, threads);
    return 0;
}
