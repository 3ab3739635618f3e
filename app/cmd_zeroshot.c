/* cmd_zeroshot.c: `segp zeroshot`: CLIP zero-shot class probabilities of images. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip.h"
#include "core/common.h"
#include "io/image.h"
#include "model/lora.h"
#include "io/npy.h"
#include "text/tokenizer.h"
#include "model/zeroshot.h"
#include "cli_util.h"
#include "commands.h"

static void usage(void) {
    printf("usage: segp zeroshot --model M.safetensors --classes NAMES.txt [options] IMAGE...\n"
           "       segp zeroshot --model M.safetensors --world shapes [--test-per-class N]\n\n"
           "Zero-shot classification as CLIP does it: each class name is put in the template,\n"
           "encoded by the text tower, and each image gets softmax(logit_scale * cos) over the\n"
           "classes.\n\n"
           "  --classes F      class names, one per line (blank lines and '#' lines skipped)\n"
           "  --template T     prompt template with {} for the name (default \"a photo of a {}.\")\n"
           "  --top K          print the K most likely classes per image (default 5; 0 = all)\n"
           "  --out P.npy      also write the N x C probability matrix\n"
           "  --lora L         apply a LoRA state (segp lora.safetensors)\n"
           "  --vocab V        BPE vocabulary file (default: the embedded one)\n"
           "  --world shapes   evaluate on the built-in shapes benchmark's test split instead:\n"
           "                   accuracy over all 100 classes, per task of the default class\n"
           "                   order, per rendition and object size, and the share of\n"
           "                   images given the wrong colour or the wrong shape\n"
           "  --test-per-class N  test images per class for --world (default 20)\n"
           "  --world-seed S   shapes world seed (default 1)\n");
}

static int read_classes(const char *path, char ***names, int *n) {
    uint8_t *data;
    size_t size;
    if (segp_read_file(path, &data, &size) != 0) return -1;
    int cap = 16, k = 0;
    char **out = malloc((size_t)cap * sizeof *out);
    char *save = NULL;
    for (char *line = strtok_r((char *)data, "\r\n", &save); line;
         line = strtok_r(NULL, "\r\n", &save)) {
        while (*line == ' ' || *line == '\t') line++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = 0;
        if (!len || line[0] == '#') continue;
        if (k == cap) out = realloc(out, (size_t)(cap *= 2) * sizeof *out);
        out[k++] = segp_strdup(line);
    }
    free(data);
    if (k == 0) {
        free(out);
        return SEGP_FAIL("%s: no class names found (expected one name per line)", path);
    }
    *names = out;
    *n = k;
    return 0;
}


int cmd_zeroshot(int argc, char **argv) {
    const char *model = NULL, *classes = NULL, *tmpl = "a photo of a {}.", *out = NULL;
    const char *vocab = NULL, *lora_path = NULL, *world = NULL;
    int top = 5, n_img = 0, rc = 2, n_cls = 0, test_per_class = 20, world_seed = 1;
    const char **imgs = calloc((size_t)argc, sizeof *imgs);
    char **names = NULL;
    clip_model *m = NULL;
    clip_lora *lora = NULL;
    clip_tokenizer *tok = NULL;
    float *pix = NULL, *te = NULL, *probs = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (app_is_help(a)) {
            usage();
            rc = 0;
            goto done;
        } else if (!strcmp(a, "--model")) {
            if (!(model = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--classes")) {
            if (!(classes = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--template")) {
            if (!(tmpl = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--out")) {
            if (!(out = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--vocab")) {
            if (!(vocab = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--lora")) {
            if (!(lora_path = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--world")) {
            if (!(world = cli_value(argc, argv, &i))) goto done;
            if (strcmp(world, "shapes")) {
                rc = cli_usage_error("zeroshot", "--world '%s' (the built-in world is 'shapes')", world);
                goto done;
            }
        } else if (!strcmp(a, "--test-per-class")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v || cli_int("--test-per-class", v, 1, 100000, &test_per_class)) goto done;
        } else if (!strcmp(a, "--world-seed")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v || cli_int("--world-seed", v, 0, 2147483647, &world_seed)) goto done;
        } else if (!strcmp(a, "--top")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v || cli_int("--top", v, 0, 1000000, &top)) goto done;
        } else if (a[0] == '-') {
            rc = cli_unknown("zeroshot", a);
            goto done;
        } else {
            imgs[n_img++] = a;
        }
    }
    if (model && world) {
        rc = 1;
        if (!(m = clip_model_load(model, NULL))) goto fail;
        if (lora_path) {
            clip_lora_params p = clip_lora_default_params();
            if (!(lora = clip_lora_new(m, &p)) || clip_lora_load(lora, lora_path) != 0) goto fail;
        }
        if (!(tok = clip_tokenizer_init(vocab))) goto fail;
        shapes_world_params wp = shapes_default_params();
        wp.seed = (uint64_t)world_seed;
        wp.image_size = clip_model_config(m)->resolution;
        wp.test_per_class = test_per_class;
        shapes_zeroshot_result r;
        if (shapes_check_params(&wp) != 0 ||
            shapes_zeroshot_eval(m, lora, tok, &wp, tmpl, &r) != 0)
            goto fail;
        printf("shapes benchmark, test split: %d images, 100 classes, prompt \"%s\"\n", r.n, tmpl);
        cli_print_shapes_result(&r);
        rc = 0;
        goto done;
    }
    if (!model || !classes || !n_img) {
        rc = cli_usage_error("zeroshot", "--model, --classes and at least one IMAGE are required");
        goto done;
    }
    rc = 1;
    if (read_classes(classes, &names, &n_cls) != 0) goto fail;
    if (!(m = clip_model_load(model, NULL))) goto fail;
    const clip_config *c = clip_model_config(m);
    if (!c->has_text || !c->has_vision) {
        SEGP_FAIL("%s: zero-shot classification needs both towers; this checkpoint holds only "
                  "the %s tower",
                  model, c->has_text ? "text" : "vision");
        goto fail;
    }
    if (lora_path) {
        clip_lora_params p = clip_lora_default_params();
        if (!(lora = clip_lora_new(m, &p)) || clip_lora_load(lora, lora_path) != 0) goto fail;
    }
    if (!(tok = clip_tokenizer_init(vocab))) goto fail;
    int e = c->embed_dim;
    size_t img = (size_t)3 * c->resolution * c->resolution;
    te = malloc((size_t)n_cls * e * sizeof(float));
    pix = malloc((size_t)n_img * img * sizeof(float));
    probs = malloc((size_t)n_img * n_cls * sizeof(float));
    if (zeroshot_class_embeddings(m, lora, tok, (const char *const *)names, n_cls, tmpl, te))
        goto fail;
    for (int i = 0; i < n_img; i++)
        if (image_load_clip(imgs[i], c->resolution, pix + (size_t)i * img) != 0) goto fail;
    if (zeroshot_predict(m, lora, pix, n_img, te, n_cls, NULL, probs) != 0) goto fail;
    int k_show = top == 0 || top > n_cls ? n_cls : top;
    int *order = malloc((size_t)n_cls * sizeof(int));
    for (int i = 0; i < n_img; i++) {
        const float *p = probs + (size_t)i * n_cls;
        for (int k = 0; k < n_cls; k++) order[k] = k;
        for (int a = 0; a < k_show; a++) /* partial selection sort: k_show is small */
            for (int b = a + 1; b < n_cls; b++)
                if (p[order[b]] > p[order[a]]) {
                    int t = order[a];
                    order[a] = order[b];
                    order[b] = t;
                }
        printf("%s\n", imgs[i]);
        for (int a = 0; a < k_show; a++)
            printf("  %7.3f%%  %s\n", 100.0 * p[order[a]], names[order[a]]);
    }
    free(order);
    if (out) {
        int64_t shape[2] = {n_img, n_cls};
        if (npy_write_f32(out, probs, 2, shape) != 0) goto fail;
    }
    rc = 0;
    goto done;
fail:
    rc = app_report_error();
done:
    for (int k = 0; k < n_cls; k++) free(names[k]);
    free(names);
    free(imgs);
    free(pix);
    free(te);
    free(probs);
    clip_tokenizer_free(tok);
    clip_lora_free(lora);
    clip_model_free(m);
    return rc;
}
