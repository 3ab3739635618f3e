/* test_shipped_model.c: the small CLIP shipped in sample_runs/models/ (pretrained by segp on
 * the shapes world): size, provenance files, and its zero-shot accuracy on the fixed, generated
 * shapes test split, which is deterministic: the figure recorded when it was trained must come
 * back (within 0.5 points, for thread-count rounding). */
#include <string.h>
#include <sys/stat.h>

#include "model/clip.h"
#include "core/common.h"
#include "text/tokenizer.h"
#include "model/zeroshot.h"
#include "test.h"

#define MODEL "sample_runs/models/shapes-clip.safetensors"
/* from sample_runs/models/shapes-clip.log.jsonl, last "zeroshot" line (test_per_class 20) */
#define EXPECTED_ZEROSHOT 69.00

TEST(shipped_model_files) {
    struct stat st;
    CHECK(stat(MODEL, &st) == 0);
    CHECK_MSG(st.st_size <= 16 * 1024 * 1024, "shipped model is %lld bytes (> 16 MB)",
              (long long)st.st_size);
    CHECK(stat("sample_runs/models/shapes-clip.pretrain.json", &st) == 0);
    CHECK(stat("sample_runs/models/shapes-clip.config.json", &st) == 0);
    CHECK(stat("sample_runs/models/shapes-clip.log.jsonl", &st) == 0);
}

TEST(shipped_model_zeroshot_accuracy) {
    clip_model *m = clip_model_load(MODEL, NULL);
    CHECK_MSG(m != NULL, "%s", segp_last_error());
    if (!m) return;
    const clip_config *c = clip_model_config(m);
    CHECK_EQ_INT(c->resolution, 48);
    CHECK_EQ_INT(c->vocab, 49408);
    clip_tokenizer *tok = clip_tokenizer_init(NULL);
    shapes_world_params wp = shapes_default_params();
    wp.image_size = c->resolution;
    shapes_zeroshot_result r;
    CHECK(shapes_zeroshot_eval(m, NULL, tok, &wp, "a photo of a {}.", &r) == 0);
    CHECK_EQ_INT(r.n, 2000);
    CHECK_NEAR(r.overall, EXPECTED_ZEROSHOT, 0.5);
    CHECK(r.overall >= 25.0 && r.overall <= 70.0); /* the band the benchmark is designed for */
    CHECK(r.standard > r.hard); /* hard renditions are what pretraining rarely showed */
    /* the breakdown adds up: renditions partition the split, standard is rendition 0, the
     * overall figure is the image-weighted mean of the renditions */
    int n = 0;
    double acc = 0;
    for (int k = 0; k < SHAPES_N_RENDITIONS; k++) {
        CHECK_MSG(r.n_rendition[k] > 100, "rendition %d: %d images", k, r.n_rendition[k]);
        n += r.n_rendition[k];
        acc += r.per_rendition[k] * r.n_rendition[k];
    }
    CHECK_EQ_INT(n, r.n);
    CHECK_NEAR(acc / n, r.overall, 1e-9);
    CHECK_NEAR(r.per_rendition[SHAPES_REND_STANDARD], r.standard, 1e-9);
    /* every error is a wrong colour or a wrong shape (or both) */
    CHECK(r.colour_wrong + r.shape_wrong >= 100.0 - r.overall - 1e-9);
    CHECK(r.colour_wrong <= 100.0 - r.overall + 1e-9 && r.shape_wrong <= 100.0 - r.overall + 1e-9);
    clip_tokenizer_free(tok);
    clip_model_free(m);
}
