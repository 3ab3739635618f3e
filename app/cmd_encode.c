/* cmd_encode.c: `segp encode`: image or text embeddings (before normalisation) into .npy. */
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
#include "cli_util.h"
#include "commands.h"

static void usage(void) {
    printf("usage: segp encode --model M.safetensors (--images A.png B.jpg ... |\n"
           "                   --tensor X.npy | --text \"...\" [--text \"...\" ...])\n"
           "                   --out F.npy [--lora L.safetensors] [--normalize] [--vocab V]\n"
           "                   [--truncate] [--device cpu|cuda|cuda:N] [--precision P]\n\n"
           "Writes float32 embeddings, N x embed_dim, before L2 normalisation (unless\n"
           "--normalize). Images go through CLIP's eval transform at the model's resolution;\n"
           "--tensor takes already-preprocessed pixels of shape N x 3 x R x R (R = the model's\n"
           "resolution), e.g. from `segp preprocess`. Texts are tokenized as clip.tokenize\n"
           "(an over-long text is an error unless --truncate).\n");
}

int cmd_encode(int argc, char **argv) {
    const char *model = NULL, *out = NULL, *tensor = NULL, *vocab = NULL, *lora_path = NULL;
    const char *device = "cpu", *precision = "auto";
    const char **images = segp_calloc((size_t)argc, sizeof *images);
    const char **texts = segp_calloc((size_t)argc, sizeof *texts);
    int n_images = 0, n_texts = 0, normalize = 0, truncate = 0, rc = 2;
    clip_model *m = NULL;
    clip_lora *lora = NULL;
    clip_tokenizer *tok = NULL;
    float *pixels = NULL, *emb = NULL;
    int32_t *ids = NULL;
    npy_array arr = {0};
    int in_images = 0, saw_images = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (app_is_help(a)) {
            usage();
            rc = 0;
            goto done;
        }
        if (a[0] != '-' && in_images) {
            images[n_images++] = a;
            continue;
        }
        in_images = 0;
        if (!strcmp(a, "--model")) {
            if (!(model = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--out")) {
            if (!(out = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--tensor")) {
            if (!(tensor = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--vocab")) {
            if (!(vocab = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--lora")) {
            if (!(lora_path = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--device")) {
            if (!(device = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--precision")) {
            if (!(precision = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--text")) {
            const char *t = cli_value(argc, argv, &i);
            if (!t) goto done;
            texts[n_texts++] = t;
        } else if (!strcmp(a, "--images")) {
            in_images = 1;
            saw_images = 1;
        } else if (!strcmp(a, "--normalize")) {
            normalize = 1;
        } else if (!strcmp(a, "--truncate")) {
            truncate = 1;
        } else if (a[0] != '-') {
            rc = cli_usage_error("encode", "unexpected argument '%s' (images go right after "
                                 "--images)", a);
            goto done;
        } else {
            rc = cli_unknown("encode", a);
            goto done;
        }
    }
    if (saw_images && !n_images) {
        rc = cli_usage_error("encode", "--images needs at least one image file after it");
        goto done;
    }
    if (!model || !out) {
        rc = cli_usage_error("encode", "--model and --out are required");
        goto done;
    }
    int sources = (n_images > 0) + (tensor != NULL) + (n_texts > 0);
    if (sources != 1) {
        rc = cli_usage_error("encode", "give exactly one of --images, --tensor or --text");
        goto done;
    }
    rc = 1;
    /* before any work: the output's folder, and never an input in its place */
    if (cli_check_out_file(out) || cli_check_out_not_input(out, model, "--model") ||
        cli_check_out_not_input(out, lora_path, "--lora") ||
        cli_check_out_not_input(out, tensor, "--tensor") ||
        cli_check_out_not_input(out, vocab, "--vocab"))
        goto fail;
    for (int i = 0; i < n_images; i++)
        if (cli_check_out_not_input(out, images[i], "image")) goto fail;
    clip_load_params lp = clip_default_load_params();
    lp.device = device;
    lp.precision = precision;
    if (!(m = clip_model_load(model, &lp))) goto fail;
    const clip_config *c = clip_model_config(m);
    if (lora_path) {
        clip_lora_params p = clip_lora_default_params();
        if (!(lora = clip_lora_new(m, &p)) || clip_lora_load(lora, lora_path) != 0) goto fail;
    }
    int n;
    if (n_texts) {
        if (!c->has_text) {
            SEGP_FAIL("%s: this checkpoint holds only the vision tower; --text needs a "
                      "checkpoint with the text tower",
                      model);
            goto fail;
        }
        if (!(tok = clip_tokenizer_init(vocab))) goto fail;
        n = n_texts;
        ids = segp_malloc((size_t)n * c->context * sizeof(int32_t));
        for (int i = 0; i < n; i++)
            if (clip_tokenize(tok, texts[i], c->context, truncate, ids + (size_t)i * c->context))
                goto fail;
        emb = segp_malloc((size_t)n * c->embed_dim * sizeof(float));
        if (clip_encode_texts(m, lora, ids, n, emb) != 0) goto fail;
    } else {
        if (!c->has_vision) {
            SEGP_FAIL("%s: this checkpoint holds no vision tower", model);
            goto fail;
        }
        size_t img = (size_t)3 * c->resolution * c->resolution;
        if (tensor) {
            if (npy_read(tensor, &arr) != 0) goto fail;
            if (arr.ndim != 4 || arr.shape[1] != 3 || arr.shape[2] != c->resolution ||
                arr.shape[3] != c->resolution) {
                char got[160];
                npy_shape_text(&arr, got, sizeof got);
                SEGP_FAIL("%s: shape %s; this model takes (N, 3, %d, %d) (segp preprocess "
                          "--resolution %d makes it)",
                          tensor, got, c->resolution, c->resolution, c->resolution);
                goto fail;
            }
            /* a NaN or infinity would run through both towers and come out as an embedding of
             * NaNs, written with exit 0 */
            for (int64_t k = 0; k < arr.numel; k++)
                if (!isfinite(arr.data[k])) {
                    SEGP_FAIL("%s: element %lld (image %lld) is %s; pixels must be finite "
                              "numbers", tensor, (long long)k, (long long)(k / (int64_t)img),
                              isnan(arr.data[k]) ? "NaN" : "infinite");
                    goto fail;
                }
            n = (int)arr.shape[0];
            pixels = arr.data;
        } else {
            n = n_images;
            pixels = segp_malloc((size_t)n * img * sizeof(float));
            for (int i = 0; i < n; i++)
                if (image_load_clip(images[i], c->resolution, pixels + (size_t)i * img) != 0)
                    goto fail;
        }
        emb = segp_malloc((size_t)(n ? n : 1) * c->embed_dim * sizeof(float));
        if (n && clip_encode_images(m, lora, pixels, n, emb) != 0) goto fail;
    }
    if (normalize)
        for (int i = 0; i < n; i++) {
            float *e = emb + (size_t)i * c->embed_dim;
            double s = 0;
            for (int j = 0; j < c->embed_dim; j++) s += (double)e[j] * e[j];
            float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
            for (int j = 0; j < c->embed_dim; j++) e[j] *= inv;
        }
    int64_t shape[2] = {n, c->embed_dim};
    if (npy_write_f32(out, emb, 2, shape) != 0) goto fail;
    fprintf(stderr, "segp: wrote %s (%d x %d)\n", out, n, c->embed_dim);
    rc = 0;
    goto done;
fail:
    rc = app_report_error();
done:
    if (pixels != arr.data) free(pixels);
    npy_free(&arr);
    free(emb);
    free(ids);
    clip_tokenizer_free(tok);
    clip_lora_free(lora);
    clip_model_free(m);
    free(images);
    free(texts);
    return rc;
}
