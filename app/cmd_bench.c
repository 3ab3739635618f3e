/* cmd_bench.c: `segp bench`: measures the engine on random ViT-B/16 and ViT-B/32 weights.
 * (a) image-tower forward, (b) a LoRA-B training step through both towers, (c) an input-gradient
 * step (what DPGD runs), at batch sizes 1 and 32; the machine's sgemm rate for scale; and the
 * PyTorch baseline of (b) on the same machine and threads. A benchmark, not a test. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas_setup.h"
#include "model/clip.h"
#include "train/clip_loss.h"
#include "train/step.h"
#include "core/common.h"
#include "model/lora.h"
#include "core/rng.h"
#include "cli_util.h"
#include "commands.h"

#define N_CLASSES 10 /* class prompts in the training step */

static void usage(void) {
    printf("usage: segp bench [--arch B/16|B/32|all] [--batch N ...] [--min-time S]\n"
           "                  [--no-torch] [--python PATH]\n\n"
           "Random weights of CLIP ViT-B/16 and ViT-B/32 (OpenAI's shapes). Reports images/s\n"
           "and GFLOP/s of (a) the image-tower forward, (b) a LoRA-B training step through\n"
           "both towers (rank 32 on q, v, c_fc, c_proj; %d class prompts; cross-entropy;\n"
           "SGD), (c) an input-gradient step as DPGD runs it, plus the machine's sgemm rate,\n"
           "the OpenBLAS kernel set and thread count, and PyTorch's time for (b) on the same\n"
           "machine and threads (bench/torch_lora_step.py with python3-torch).\n\n"
           "  --arch A       B/16, B/32 or all (default all)\n"
           "  --batch N      batch size; repeat for several (default 1 and 32)\n"
           "  --min-time S   measure each case for at least S seconds (default 2)\n"
           "  --no-torch     skip the PyTorch comparison\n"
           "  --python P     Python with torch (default /usr/bin/python3)\n"
           "Threads: OMP_NUM_THREADS (default: all cores).\n",
           N_CLASSES);
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
    clip_acts *va, *ta;
    float *pixels, *dpix, *img, *dimg, *txt, *dtxt;
    float *text_fixed;
    int32_t *ids, *labels;
    int b;
    train_step *trainer;
    loss_term term;
} bench_state;

static void step_forward(bench_state *s) {
    clip_vision_forward(s->m, s->lora, s->pixels, s->b, s->va, 0, s->img);
}

static void step_train(bench_state *s) { /* the training step, SGD momentum 0.9, lr 1e-3 */
    train_step_run(s->trainer, s->pixels, s->b, s->ids, N_CLASSES, &s->term, 1, 1e-3f, NULL,
                   NULL);
}

static void step_input_grad(bench_state *s) {
    const clip_config *c = clip_model_config(s->m);
    clip_vision_forward(s->m, s->lora, s->pixels, s->b, s->va, 1, s->img);
    clip_logit_loss(clip_model_backend(s->m), s->img, s->b, s->text_fixed, N_CLASSES,
                    c->embed_dim, 100.0f, s->labels, 0, s->dimg, NULL, NULL);
    clip_grads g = {.d_pixels = s->dpix};
    clip_vision_backward(s->m, s->lora, s->va, s->dimg, &g);
}

static double time_it(void (*fn)(bench_state *), bench_state *s, double min_time, int *iters) {
    fn(s); /* warm-up: sizes the arenas */
    double t0 = segp_now(), t;
    int n = 0;
    do {
        fn(s);
        n++;
        t = segp_now() - t0;
    } while (t < min_time || n < 2);
    *iters = n;
    return t / n;
}

static double torch_step(const char *python, int patch, int b, int threads) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s bench/torch_lora_step.py --patch %d --batch %d --threads %d --iters %d "
             "2>/dev/null",
             python, patch, b, threads, b >= 16 ? 2 : 5);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    double ips = -1;
    char line[256];
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "images_per_s %lf", &ips) == 1) break;
    if (pclose(p) != 0) return -1;
    return ips;
}

int cmd_bench(int argc, char **argv) {
    int batches[8], n_batches = 0, use_torch = 1, archs[2] = {32, 16}, n_archs = 2;
    double min_time = 2.0;
    const char *python = "/usr/bin/python3";
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
        } else if (!strcmp(a, "--batch")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v || n_batches == 8 || cli_int("--batch", v, 1, 1024, &batches[n_batches++]))
                return 2;
        } else if (!strcmp(a, "--min-time")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v) return 2;
            min_time = atof(v);
            if (!(min_time >= 0 && min_time < 3600))
                return cli_usage_error("bench", "--min-time '%s' (expected seconds)", v);
        } else if (!strcmp(a, "--no-torch")) {
            use_torch = 0;
        } else if (!strcmp(a, "--python")) {
            if (!(python = cli_value(argc, argv, &i))) return 2;
        } else {
            return cli_unknown("bench", a);
        }
    }
    if (!n_batches) batches[0] = 1, batches[1] = 32, n_batches = 2;
    int threads = blas_num_threads();
    printf("machine    OpenBLAS kernels '%s' (%s), %d threads\n", blas_corename(),
           blas_selection_note(), threads);
    double peak = sgemm_gflops(min_time);
    printf("sgemm      %.1f GFLOP/s (best of 2048^3 and ViT-B/16's MLP products at batch 32,\n"
           "           float32, %d threads)\n\n",
           peak, threads);
    printf("%-6s %5s  %-26s %10s %9s %8s %s\n", "model", "batch", "step", "images/s", "GFLOP/s",
           "of sgemm", "vs PyTorch");
    fflush(stdout);
    for (int ai = 0; ai < n_archs; ai++) {
        clip_config cfg = vit_b(archs[ai]);
        clip_model *m = clip_model_random(&cfg, 42, "cpu");
        if (!m) return app_report_error();
        clip_lora_params lp = clip_lora_default_params();
        clip_lora *lora = clip_lora_new(m, &lp);
        /* small non-zero B so the LoRA branch does real arithmetic */
        rng_state r = rng_seed(7, 7);
        for (size_t i = 0; i < lora->b_size; i++) lora->b[i] = 1e-3f * rng_normal(&r);
        for (int bi = 0; bi < n_batches; bi++) {
            int b = batches[bi], e = cfg.embed_dim;
            size_t img = (size_t)3 * 224 * 224;
            bench_state s = {0};
            s.m = m, s.lora = lora, s.b = b;
            s.va = clip_acts_new(), s.ta = clip_acts_new();
            s.pixels = malloc((size_t)b * img * sizeof(float));
            s.dpix = malloc((size_t)b * img * sizeof(float));
            for (size_t i = 0; i < (size_t)b * img; i++) s.pixels[i] = rng_normal(&r);
            s.img = malloc((size_t)b * e * 4), s.dimg = malloc((size_t)b * e * 4);
            s.txt = malloc(N_CLASSES * (size_t)e * 4), s.dtxt = malloc(N_CLASSES * (size_t)e * 4);
            s.text_fixed = malloc(N_CLASSES * (size_t)e * 4);
            for (int i = 0; i < N_CLASSES * e; i++) s.text_fixed[i] = rng_normal(&r) / sqrtf(e);
            optim_params op = optim_default_params(OPTIM_SGD);
            optim *opt = optim_new(&op, clip_lora_trainable(lora), NULL);
            train_step_params sp = {.lora = lora, .opt = opt, .train_vision = 1, .train_text = 1};
            s.trainer = train_step_new(m, &sp);
            clip_ce_term ce = {NULL, 0, 0};
            s.term = (loss_term){"cls", 1.0f, loss_term_clip_ce, &ce};
            s.ids = calloc((size_t)N_CLASSES * 77, sizeof(int32_t));
            s.labels = malloc((size_t)b * sizeof(int32_t));
            for (int i = 0; i < b; i++) s.labels[i] = i % N_CLASSES;
            ce.targets = s.labels;
            for (int k = 0; k < N_CLASSES; k++) { /* "a photo of a <word>." length prompts */
                int32_t *row = s.ids + k * 77;
                row[0] = 49406;
                for (int t = 1; t < 7; t++) row[t] = 1 + (int32_t)(rng_next(&r) % 49000);
                row[7] = 49407;
            }
            double fv = clip_vision_flops(&cfg, b), ft = clip_text_flops(&cfg, N_CLASSES, 8);
            int it;
            char label[32];
            snprintf(label, sizeof label, "ViT-B/%d", archs[ai]);
            double t = time_it(step_forward, &s, min_time, &it);
            printf("%-6s %5d  %-26s %10.2f %9.1f %7.0f%%\n", label, b, "(a) image forward", b / t,
                   fv / t / 1e9, 100.0 * fv / t / 1e9 / peak);
            fflush(stdout);
            /* forward + backward to the input: backward counted as one more forward */
            double ftrain = 2.0 * (fv + ft);
            t = time_it(step_train, &s, min_time, &it);
            double ours = b / t;
            printf("%-6s %5d  %-26s %10.2f %9.1f %7.0f%%", label, b, "(b) LoRA-B train step", ours,
                   ftrain / t / 1e9, 100.0 * ftrain / t / 1e9 / peak);
            fflush(stdout);
            if (use_torch) {
                double ref = torch_step(python, archs[ai], b, threads);
                if (ref > 0) printf(" %.2fx (PyTorch %.2f images/s)", ours / ref, ref);
                else printf(" (PyTorch baseline unavailable: install python3-torch)");
            }
            printf("\n");
            fflush(stdout);
            t = time_it(step_input_grad, &s, min_time, &it);
            printf("%-6s %5d  %-26s %10.2f %9.1f %7.0f%%\n", label, b, "(c) input-gradient step",
                   b / t, 2.0 * fv / t / 1e9, 100.0 * 2.0 * fv / t / 1e9 / peak);
            fflush(stdout);
            clip_acts_free(s.va);
            clip_acts_free(s.ta);
            free(s.pixels), free(s.dpix), free(s.img), free(s.dimg), free(s.txt), free(s.dtxt);
            free(s.text_fixed);
            train_step_free(s.trainer);
            optim_free(opt);
            free(s.ids), free(s.labels);
        }
        clip_lora_free(lora);
        clip_model_free(m);
    }
    printf("\nGFLOP/s count multiply-adds as 2; (b) and (c) count backward-to-input as one more\n"
           "forward (no weight gradients are computed). PyTorch runs the same step in float32\n"
           "with torch.set_num_threads(%d).\n",
           threads);
    return 0;
}
