/* cmd_bench.c: `segp bench`: measures the engine on random ViT-B/16 and ViT-B/32 weights or on
 * any checkpoint (--model). (a) image-tower forward, (b) the LoRA-B training step (the one step
 * of engine/train/step.h, both towers), (c) an input-gradient step (what DPGD runs); the
 * machine's matrix-product rate for scale; and PyTorch doing the same work on the same machine
 * (bench/torch_lora_step.py). On the CPU: (b) against PyTorch with the same threads, both doing
 * the same work (text to the end-of-text token, as segp) and as openai/CLIP does (every context
 * position). On a GPU (--device cuda): all three beside PyTorch on the same GPU in the same
 * precision, timed with the backend's sync, and a short comparison table last. A benchmark,
 * not a test. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/arena.h"
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
#define MAX_BATCHES 8

static void usage(void) {
    printf("usage: segp bench [--arch B/16|B/32|all | --model M.safetensors] [--batch N ...]\n"
           "                  [--device D] [--precision P] [--min-time S] [--no-torch]\n"
           "                  [--python PATH]\n\n"
           "Reports images/s and GFLOP/s of (a) the image-tower forward, (b) the LoRA-B\n"
           "training step through both towers (rank 32 on q, v, c_fc, c_proj; %d class\n"
           "prompts of %d tokens; cross-entropy; SGD), (c) an input-gradient step as DPGD runs\n"
           "it, each as a share of the machine's sgemm rate; the OpenBLAS kernel set and\n"
           "thread count; and PyTorch's time for (b) on the same machine, threads and\n"
           "architecture (bench/torch_lora_step.py with python3-torch), twice: doing the same\n"
           "work (text tower up to the end-of-text token, as segp) and as openai/CLIP does\n"
           "(text tower over every context position).\n"
           "With --device cuda: (a), (b) and (c) on the GPU in TFLOP/s, as a share of the\n"
           "GPU's measured matrix-product rate in the same precision, each beside PyTorch on\n"
           "the same GPU and precision, and a table of both last.\n\n"
           "  --arch A       random ViT-B/16, B/32 or all (default all; B/16 with --device\n"
           "                 cuda)\n"
           "  --model M      a checkpoint instead (its own architecture; e.g. the shipped\n"
           "                 sample_runs/models/shapes-clip.safetensors); default batch 64,\n"
           "                 the continual runs' batch size\n"
           "  --batch N      batch size; repeat for several (default 1 and 32; 64 with --model;\n"
           "                 32 and 128 with --device cuda)\n"
           "  --device D     cpu (default), cuda or cuda:N (a `make CUDA=1` build)\n"
           "  --precision P  the GPU's matrix products: tf32 (default on CUDA), fp32 or bf16\n"
           "                 (BF16 products, FP32 accumulation; README \"GPU\"); PyTorch runs\n"
           "                 the same (TF32 on for matmul and cuDNN, or torch.autocast to\n"
           "                 bfloat16)\n"
           "  --min-time S   measure each case, segp and PyTorch, for at least S seconds\n"
           "                 (default 2)\n"
           "  --no-torch     skip the PyTorch comparison\n"
           "  --python P     Python with torch (default /usr/bin/python3; python3 from PATH\n"
           "                 with --device cuda)\n"
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

/* The matrix-product shapes the rates are measured on: a square product and the two MLP
 * products of ViT-B/16 at batch 32 (rows 32 * 197). */
static const int gemm_shapes[3][3] = {{2048, 2048, 2048}, {6304, 3072, 768}, {6304, 768, 3072}};

/* The machine's multi-threaded sgemm rate: the best over gemm_shapes, each timed for about
 * min_time / 3. */
static double sgemm_gflops(double min_time) {
    double best = 0;
    for (int s = 0; s < 3; s++) {
        int m = gemm_shapes[s][0], n = gemm_shapes[s][1], k = gemm_shapes[s][2];
        float *a = segp_malloc((size_t)m * k * sizeof(float));
        float *b = segp_malloc((size_t)k * n * sizeof(float));
        float *c = segp_malloc((size_t)m * n * sizeof(float));
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

/* The device's matrix-product rate through the backend's gemm in its current precision: the
 * best over gemm_shapes and an 8192^3 product, 10 products per timing between syncs, each
 * shape for about min_time / 4. GFLOP/s; -1 on a device failure. */
static double device_gemm_gflops(const segp_backend *be, double min_time) {
    static const int big[3] = {8192, 8192, 8192};
    double best = 0;
    for (int s = 0; s < 4; s++) {
        const int *sh = s < 3 ? gemm_shapes[s] : big;
        int m = sh[0], n = sh[1], k = sh[2];
        size_t na = (size_t)m * k, nb = (size_t)n * k, nmax = na > nb ? na : nb;
        float *h = segp_malloc(nmax * sizeof(float));
        rng_state r = rng_seed(1, 2);
        for (size_t i = 0; i < nmax; i++) h[i] = rng_uniform(&r) - 0.5f;
        float *a = be->alloc(na * sizeof(float)), *b = be->alloc(nb * sizeof(float));
        float *c = be->alloc((size_t)m * n * sizeof(float));
        be->to_device(a, h, na * sizeof(float));
        be->to_device(b, h, nb * sizeof(float));
        free(h);
        be->gemm(0, 1, m, n, k, 1, a, k, b, k, 0, c, n); /* warm-up */
        if (be->sync() != 0) best = -1;
        double t_end = segp_now() + min_time / 4;
        for (int runs = 0; best >= 0 && (runs < 2 || segp_now() < t_end); runs++) {
            double t0 = segp_now();
            for (int i = 0; i < 10; i++) be->gemm(0, 1, m, n, k, 1, a, k, b, k, 0, c, n);
            if (be->sync() != 0) best = -1;
            double g = 10 * 2.0 * m * n * (double)k / (segp_now() - t0) / 1e9;
            if (best >= 0 && g > best) best = g;
        }
        be->free(a), be->free(b), be->free(c);
        if (best < 0) break;
    }
    return best;
}

/* Buffers of one batch size. Pointers are backend memory unless named _host; on the CPU the
 * two are the same kind of memory (copies, as on a device). */
typedef struct {
    clip_model *m;
    const segp_backend *be;
    clip_lora *lora;
    clip_acts *va;
    backend_arena *ws;
    float *pixels_host; /* the step uploads its batch from the host, as in a run */
    float *pixels, *dpix, *img, *dimg, *text_fixed, *loss;
    int32_t *ids_host, *labels_host, *labels;
    int b;
    train_step *trainer;
    loss_term term;
} bench_state;

static int step_forward(bench_state *s) {
    return clip_vision_forward(s->m, s->lora, s->pixels, s->b, s->va, 0, s->img);
}

static int step_train(bench_state *s) { /* the training step: SGD momentum 0.9, lr 1e-3 */
    return train_step_run(s->trainer, s->pixels_host, s->b, s->ids_host, N_CLASSES, &s->term, 1,
                          1e-3f, NULL, NULL);
}

static int step_input_grad(bench_state *s) { /* fixed text embeddings, gradient to pixels */
    const clip_config *c = clip_model_config(s->m);
    if (clip_vision_forward(s->m, s->lora, s->pixels, s->b, s->va, 1, s->img)) return -1;
    backend_arena_reset(s->ws);
    if (clip_logit_loss(s->be, s->ws, s->loss, s->img, s->b, s->text_fixed, N_CLASSES,
                        c->embed_dim, 100.0f, s->labels, 0, s->dimg, NULL, NULL))
        return -1;
    clip_grads g = {.d_pixels = s->dpix};
    return clip_vision_backward(s->m, s->lora, s->va, s->dimg, &g);
}

/* Seconds per call, after one warm-up call (it sizes the arenas); the clock is read after the
 * backend's sync (a device queues its ops); -1 on error. */
static double time_it(int (*fn)(bench_state *), bench_state *s, double min_time) {
    if (fn(s) || s->be->sync()) return -1;
    double t0 = segp_now(), t;
    int n = 0;
    do {
        if (fn(s)) return -1;
        n++;
        if (s->be->sync()) return -1;
        t = segp_now() - t0;
    } while (t < min_time || n < 2);
    return t / n;
}

/* What a PyTorch run measured: images/s of (a), (b), (c) (-1: not run or failed). */
typedef struct {
    double ips[3];
} torch_result;

/* Runs bench/torch_lora_step.py for batch B with text over TEXT_LEN positions: the CPU's (b)
 * (DEVICE NULL: one `images_per_s` line) or the cases CASES ("abc") on a GPU in PRECISION.
 * Whatever PyTorch said on stderr is shown (errors, and warnings even when it ran); 0, or -1
 * when it failed. */
static int run_torch(const char *python, const clip_config *c, const clip_lora_params *lp, int b,
                     int text_len, int threads, double min_time, const char *device,
                     const char *precision, const char *cases, torch_result *out, int *shown) {
    for (int k = 0; k < 3; k++) out->ips[k] = -1;
    char errf[64] = "/tmp/segp-bench-XXXXXX";
    int fd = mkstemp(errf);
    if (fd < 0) return -1;
    close(fd);
    char extra[128] = "";
    if (device)
        snprintf(extra, sizeof extra, "--device %s --precision %s --cases %s ", device,
                 precision, cases);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s bench/torch_lora_step.py %s--batch %d --threads %d --min-time %g --classes %d "
             "--prompt-len %d --text-len %d --v-width %d --v-layers %d --v-heads %d --v-mlp %d "
             "--patch %d --resolution %d --t-width %d --t-layers %d --t-heads %d --t-mlp %d "
             "--context %d --vocab %d --embed %d --act %s --rank %d --alpha %g --targets %u "
             "2>%s",
             python, extra, b, threads, min_time, N_CLASSES, PROMPT_LEN, text_len, c->v_width,
             c->v_layers, c->v_heads, c->v_mlp, c->patch, c->resolution, c->t_width, c->t_layers,
             c->t_heads, c->t_mlp, c->context, c->vocab, c->embed_dim,
             c->act == ACT_GELU ? "gelu" : "quick_gelu", lp->rank, (double)lp->alpha,
             (unsigned)lp->targets, errf);
    int rc = -1;
    FILE *p = popen(cmd, "r");
    if (p) {
        char line[512], key[64];
        double v;
        while (fgets(line, sizeof line, p))
            if (sscanf(line, "%63s %lf", key, &v) == 2) {
                if (!strcmp(key, "images_per_s")) out->ips[1] = v;
                for (int k = 0; k < 3; k++) {
                    char want[32];
                    snprintf(want, sizeof want, "images_per_s_%c", 'a' + k);
                    if (!strcmp(key, want)) out->ips[k] = v;
                }
            }
        rc = pclose(p) == 0 ? 0 : -1;
    }
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
    return rc;
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

/* One row: images/s and the FLOP rate (GFLOP/s on the CPU, TFLOP/s on a device) as a share
 * of PEAK (GFLOP/s). */
static void print_row(const char *label, int b, const char *step, double t, double flops,
                      double peak, int device) {
    double g = flops / t / 1e9;
    printf("%-12s %5d  %-32s %10.2f %9.1f %7.0f%%", label, b, step, b / t,
           device ? g / 1e3 : g, 100.0 * g / peak);
}

typedef struct {
    double min_time, peak;
    int use_torch, threads;
    const char *python;
    const char *device;    /* NULL: the CPU */
    const char *precision; /* the device's, e.g. "tf32" */
    /* the device comparison table: per batch and case, segp and PyTorch images/s */
    int n_rows;
    struct {
        char model[24];
        int b, c;
        double ours, ref;
    } rows[2 * MAX_BATCHES * 3];
} bench_opts;

static const char *const case_names[3] = {"(a) image forward", "(b) LoRA-B train step",
                                          "(c) input-gradient step"};

static int bench_model(clip_model *m, const char *label, const int *batches, int n_batches,
                       bench_opts *o) {
    const clip_config *cfg = clip_model_config(m);
    const segp_backend *be = clip_model_backend(m);
    int dev = o->device != NULL;
    if (!cfg->has_vision || !cfg->has_text)
        return SEGP_FAIL("%s: bench needs both towers", clip_model_path(m) ? clip_model_path(m)
                                                                          : label);
    clip_lora_params lp = clip_lora_default_params();
    clip_lora *lora = clip_lora_new(m, &lp);
    if (!lora) return -1;
    /* small non-zero B so the LoRA branch does real arithmetic */
    rng_state r = rng_seed(7, 7);
    float *bh = segp_malloc((lora->b_size ? lora->b_size : 1) * sizeof(float));
    for (size_t i = 0; i < lora->b_size; i++) bh[i] = 1e-3f * rng_normal(&r);
    be->to_device(lora->b, bh, lora->b_size * sizeof(float));
    free(bh);
    int e = cfg->embed_dim, ctx = cfg->context, res = cfg->resolution, rc = 0;
    int plen = PROMPT_LEN < ctx ? PROMPT_LEN : ctx;
    for (int bi = 0; bi < n_batches && rc == 0; bi++) {
        int b = batches[bi];
        size_t img = (size_t)3 * res * res, npix = (size_t)b * img;
        bench_state s = {0};
        s.m = m, s.be = be, s.lora = lora, s.b = b;
        s.va = clip_acts_new();
        s.ws = backend_arena_new(be);
        s.pixels_host = segp_malloc(npix * sizeof(float));
        for (size_t i = 0; i < npix; i++) s.pixels_host[i] = rng_normal(&r);
        s.pixels = be->alloc(npix * sizeof(float));
        be->to_device(s.pixels, s.pixels_host, npix * sizeof(float));
        s.dpix = be->alloc(npix * sizeof(float));
        s.img = be->alloc((size_t)b * e * 4), s.dimg = be->alloc((size_t)b * e * 4);
        s.loss = be->alloc(sizeof(float));
        float *tf = segp_malloc(N_CLASSES * (size_t)e * 4);
        for (int i = 0; i < N_CLASSES * e; i++) tf[i] = rng_normal(&r) / sqrtf(e);
        s.text_fixed = be->alloc(N_CLASSES * (size_t)e * 4);
        be->to_device(s.text_fixed, tf, N_CLASSES * (size_t)e * 4);
        free(tf);
        s.ids_host = segp_calloc((size_t)N_CLASSES * ctx, sizeof(int32_t));
        s.labels_host = segp_malloc((size_t)b * sizeof(int32_t));
        for (int i = 0; i < b; i++) s.labels_host[i] = i % N_CLASSES;
        s.labels = be->alloc((size_t)b * sizeof(int32_t));
        be->to_device(s.labels, s.labels_host, (size_t)b * sizeof(int32_t));
        for (int k = 0; k < N_CLASSES; k++) { /* start, words, end of text (the largest id) */
            int32_t *row = s.ids_host + (size_t)k * ctx;
            row[0] = cfg->vocab - 2;
            for (int t = 1; t < plen - 1; t++)
                row[t] = 1 + (int32_t)(rng_next(&r) % (uint64_t)(cfg->vocab - 3));
            row[plen - 1] = cfg->vocab - 1;
        }
        optim_params op = optim_default_params(OPTIM_SGD);
        optim *opt = optim_new(be, &op, clip_lora_trainable(lora), NULL);
        train_step_params sp = {.lora = lora, .opt = opt, .train_vision = 1, .train_text = 1,
                                    .data_parallel = 1};
        s.trainer = opt ? train_step_new(m, &sp) : NULL;
        clip_ce_term ce = {s.labels_host, 0, 0};
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
        double ours[3] = {-1, -1, -1};
        double t = s.trainer ? time_it(step_forward, &s, o->min_time) : -1;
        if (t > 0) {
            ours[0] = b / t;
            print_row(label, b, case_names[0], t, fv, o->peak, dev);
            printf("\n");
            fflush(stdout);
            t = time_it(step_train, &s, o->min_time);
        }
        if (t > 0) {
            ours[1] = b / t;
            print_row(label, b, case_names[1], t, ftrain, o->peak, dev);
            /* the same time over the base weights' FLOPs alone (the older, smaller count) */
            double fbase =
                2.0 * (clip_vision_flops(cfg, b) + clip_text_flops(cfg, N_CLASSES, plen));
            if (dev)
                printf("  (base weights only: %.1f TFLOP/s, %.0f%%)\n", fbase / t / 1e12,
                       100.0 * fbase / t / 1e9 / o->peak);
            else
                printf("  (base weights only: %.1f GFLOP/s, %.0f%%)\n", fbase / t / 1e9,
                       100.0 * fbase / t / 1e9 / o->peak);
            fflush(stdout);
            if (o->use_torch && !dev) {
                static const char *what[2] = {"same work", "openai/CLIP"};
                for (int k = 0; k < 2; k++) {
                    int tl = k == 0 ? plen : ctx;
                    char name[64];
                    snprintf(name, sizeof name, "  PyTorch %s, %d tok", what[k], tl);
                    printf("%-12s %5d  %-32s", "", b, name);
                    fflush(stdout);
                    int shown = 0;
                    torch_result tr;
                    run_torch(o->python, cfg, &lp, b, tl, o->threads, o->min_time, NULL, NULL,
                              NULL, &tr, &shown);
                    double ref = tr.ips[1];
                    /* GFLOP/s of the work PyTorch did (more text positions in the second row) */
                    double gf = (k == 0 ? ftrain : ftrain_full) * ref / b / 1e9;
                    if (ref > 0)
                        printf(" %10.2f %9.1f %7.0f%%  segp %.2fx\n", ref, gf, 100.0 * gf / o->peak,
                               ours[1] / ref);
                    else
                        printf("%s(PyTorch baseline failed%s; it needs python3-torch)\n",
                               shown ? "       " : " ", shown ? ": its messages above" : "");
                    fflush(stdout);
                }
            }
            t = time_it(step_input_grad, &s, o->min_time);
        }
        if (t > 0) {
            ours[2] = b / t;
            print_row(label, b, case_names[2], t, 2.0 * fv, o->peak, dev);
            printf("\n");
            fflush(stdout);
        } else {
            rc = -1;
        }
        if (rc == 0 && dev && o->use_torch) {
            /* PyTorch on the same GPU, same precision, the same three cases */
            printf("%-12s %5d  %-32s", "", b, "  PyTorch (a), (b), (c)");
            fflush(stdout);
            int shown = 0;
            torch_result tr;
            int trc = run_torch(o->python, cfg, &lp, b, plen, o->threads, o->min_time, o->device,
                                o->precision, "abc", &tr, &shown);
            if (trc == 0)
                printf("%s %.2f, %.2f, %.2f images/s\n", shown ? "       " : "", tr.ips[0],
                       tr.ips[1], tr.ips[2]);
            else
                printf("%s(PyTorch failed%s)\n", shown ? "       " : " ",
                       shown ? ": its messages above" : "");
            for (int k = 0; k < 3 && o->n_rows < 2 * MAX_BATCHES * 3; k++) {
                snprintf(o->rows[o->n_rows].model, sizeof o->rows[0].model, "%s", label);
                o->rows[o->n_rows].b = b, o->rows[o->n_rows].c = k;
                o->rows[o->n_rows].ours = ours[k], o->rows[o->n_rows++].ref = tr.ips[k];
            }
            fflush(stdout);
        }
        if (be->sync() != 0) rc = -1;
        clip_acts_free(s.va);
        backend_arena_free(s.ws);
        free(s.pixels_host), free(s.ids_host), free(s.labels_host);
        be->free(s.pixels), be->free(s.dpix), be->free(s.img), be->free(s.dimg);
        be->free(s.loss), be->free(s.text_fixed), be->free(s.labels);
        train_step_free(s.trainer);
        optim_free(opt);
    }
    clip_lora_free(lora);
    return rc;
}

/* The device run's last lines: per model, case and batch, segp's and PyTorch's images/s. */
static void print_device_table(const bench_opts *o, const segp_backend *be) {
    printf("\n== segp vs PyTorch (%s, %s) ==\n", be->describe(), o->precision);
    printf("%-12s %-24s %5s %12s %12s %7s\n", "model", "case", "batch", "segp img/s",
           "torch img/s", "ratio");
    for (int i0 = 0; i0 < o->n_rows; i0++) {
        int seen = 0; /* rows of a model are printed at its first row, case by case */
        for (int j = 0; j < i0 && !seen; j++) seen = !strcmp(o->rows[j].model, o->rows[i0].model);
        for (int k = 0; k < 3 && !seen; k++)
            for (int i = i0; i < o->n_rows; i++) {
                if (o->rows[i].c != k || strcmp(o->rows[i].model, o->rows[i0].model)) continue;
                double a = o->rows[i].ours, r = o->rows[i].ref;
                printf("%-12s %-24s %5d %12.1f ", o->rows[i].model, case_names[k], o->rows[i].b,
                       a);
                if (r > 0)
                    printf("%12.1f %6.2fx\n", r, a / r);
                else
                    printf("%12s %7s\n", "failed", "-");
            }
    }
    printf("ratio = segp / PyTorch images/s (above 1: segp faster). (b) uploads its batch of\n"
           "pixels from host memory on both sides; PyTorch runs eager with\n"
           "scaled_dot_product_attention; its TF32 is TF32 on for matmul and cuDNN, its BF16\n"
           "torch.autocast(bfloat16).\n");
}

int cmd_bench(int argc, char **argv) {
    int batches[MAX_BATCHES], n_batches = 0, use_torch = 1, archs[2] = {32, 16}, n_archs = 2;
    int arch_given = 0;
    double min_time = 2.0;
    const char *python = NULL, *model = NULL, *device = NULL, *precision = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (app_is_help(a)) {
            usage();
            return 0;
        } else if (!strcmp(a, "--arch")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v) return 2;
            arch_given = 1;
            if (!strcmp(v, "B/16")) archs[0] = 16, n_archs = 1;
            else if (!strcmp(v, "B/32")) archs[0] = 32, n_archs = 1;
            else if (!strcmp(v, "all")) archs[0] = 32, archs[1] = 16, n_archs = 2;
            else return cli_usage_error("bench", "--arch '%s' (expected B/16, B/32 or all)", v);
        } else if (!strcmp(a, "--model")) {
            if (!(model = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--batch")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v) return 2;
            if (n_batches == MAX_BATCHES)
                return cli_usage_error("bench", "at most %d --batch values", MAX_BATCHES);
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
        } else if (!strcmp(a, "--device")) {
            if (!(device = cli_value(argc, argv, &i))) return 2;
            if (segp_device_check_name(device, "--device") != 0) return app_report_error();
        } else if (!strcmp(a, "--precision")) {
            if (!(precision = cli_value(argc, argv, &i))) return 2;
            segp_math m;
            if (strcmp(precision, "auto") && segp_math_parse(precision, "--precision", &m) != 0)
                return app_report_error();
        } else {
            return cli_unknown("bench", a);
        }
    }
    int on_cpu = !device || !strcmp(device, "cpu");
    if (on_cpu && precision && strcmp(precision, "auto") && strcmp(precision, "fp32"))
        return cli_usage_error("bench", "--precision %s needs --device cuda (the CPU computes in "
                                        "FP32 only)", precision);
    if (!n_batches) {
        if (model) batches[0] = 64, n_batches = 1;
        else if (on_cpu) batches[0] = 1, batches[1] = 32, n_batches = 2;
        else batches[0] = 32, batches[1] = 128, n_batches = 2;
    }
    if (!on_cpu && !arch_given) archs[0] = 16, n_archs = 1;
    if (!python) python = on_cpu ? "/usr/bin/python3" : "python3";
    const char *prec =
        precision && strcmp(precision, "auto") ? precision : on_cpu ? "fp32" : "tf32";
    bench_opts o = {.min_time = min_time, .use_torch = use_torch, .python = python,
                    .device = on_cpu ? NULL : device, .precision = prec,
                    .threads = blas_num_threads()};
    const segp_backend *be = segp_backend_get(on_cpu ? "cpu" : device);
    if (!be || segp_backend_set_precision(be, prec, "--precision") != 0) return app_report_error();
    clip_model *loaded = NULL;
    clip_load_params lparams = clip_default_load_params();
    lparams.device = on_cpu ? "cpu" : device;
    lparams.precision = prec;
    if (model && !(loaded = clip_model_load(model, &lparams))) return app_report_error();
    const clip_config *lc = loaded ? clip_model_config(loaded) : NULL;
    if (lc && (!lc->has_vision || !lc->has_text)) { /* before the seconds of sgemm, not after */
        SEGP_FAIL("%s: bench needs both towers (this checkpoint holds only the %s tower)", model,
                  lc->has_vision ? "vision" : "text");
        clip_model_free(loaded);
        return app_report_error();
    }
    if (on_cpu) {
        printf("machine    OpenBLAS kernels '%s' (%s), %d thread%s\n", blas_corename(),
               blas_selection_note(), o.threads, segp_s(o.threads));
        o.peak = sgemm_gflops(min_time);
        printf("sgemm      %.1f GFLOP/s (best of 2048^3 and ViT-B/16's MLP products at batch 32,\n"
               "           float32, %d thread%s)\n\n",
               o.peak, o.threads, segp_s(o.threads));
    } else {
        printf("device     %s (%s)\n", be->describe(), device);
        fflush(stdout);
        o.peak = device_gemm_gflops(be, min_time);
        if (o.peak <= 0) {
            clip_model_free(loaded);
            return app_report_error();
        }
        printf("gemm       %.1f TFLOP/s (%s: best of 8192^3, 2048^3 and ViT-B/16's MLP\n"
               "           products at batch 32, through the backend's gemm)\n\n",
               o.peak / 1e3, prec);
    }
    printf("%-12s %5s  %-32s %10s %9s %8s\n", "model", "batch", "step", "images/s",
           on_cpu ? "GFLOP/s" : "TFLOP/s", on_cpu ? "of sgemm" : "of gemm");
    fflush(stdout);
    int rc = 0;
    char label[64] = "";
    if (loaded) {
        const char *base = strrchr(model, '/');
        snprintf(label, sizeof label, "%s", base ? base + 1 : model);
        char *dot = strstr(label, ".safetensors");
        if (dot) *dot = 0;
        rc = bench_model(loaded, label, batches, n_batches, &o);
        clip_model_free(loaded);
    }
    for (int ai = 0; ai < n_archs && !loaded && rc == 0; ai++) {
        clip_config cfg = vit_b(archs[ai]);
        clip_model *m = clip_model_random(&cfg, 42, on_cpu ? "cpu" : device);
        if (!m) return app_report_error();
        snprintf(label, sizeof label, "ViT-B/%d", archs[ai]);
        rc = bench_model(m, label, batches, n_batches, &o);
        clip_model_free(m);
    }
    if (rc) return app_report_error();
    if (!on_cpu) {
        printf("\nTFLOP/s count multiply-adds as 2, including the LoRA branches (x A^T, then B);\n"
               "(b) and (c) count backward-to-input as one more forward (no base-weight\n"
               "gradients are computed), (b) also the LoRA-B gradients. (b) runs the text tower\n"
               "on %d prompts of %d tokens up to their end-of-text token, on both sides. Times\n"
               "are read after the device finished (the backend's sync; PyTorch's\n"
               "torch.cuda.synchronize), each case for at least %g s after a warm-up.\n",
               N_CLASSES, PROMPT_LEN, min_time);
        if (use_torch) print_device_table(&o, be);
        return 0;
    }
    printf("\nGFLOP/s count multiply-adds as 2, including the LoRA branches (x A^T, then B); (b)\n"
           "and (c) count backward-to-input as one more forward (no base-weight gradients are\n"
           "computed), (b) also the LoRA-B gradients. (b) runs the text tower on %d prompts\n"
           "of %d tokens up to their end-of-text token. PyTorch runs (b) in float32 with\n"
           "torch.set_num_threads(%d), timed for the same minimum time: 'same work' stops the\n"
           "text tower at the end-of-text token as segp does; 'openai/CLIP' runs every context\n"
           "position as openai/CLIP's encode_text does (GFLOP/s counted on the work it did).\n",
           N_CLASSES, PROMPT_LEN, o.threads);
    return 0;
}
