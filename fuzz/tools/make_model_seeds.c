/* make_model_seeds.c: writes the seeds of the fuzz targets that read what segp's own writers
 * make: tiny CLIP checkpoints (fuzz/corpus/clip_checkpoint/seed-*: F32, F16 and BF16, a
 * vision-only and a text-only one) and LoRA task checkpoints of the tiny model of
 * fuzz/tiny_model.h (fuzz/corpus/lora/seed-*). Built against the normal engine build and run by
 * `make fuzz-corpus` (before fuzz/tools/make_corpus.py, which clears nothing here). */
#include <stdio.h>
#include <stdlib.h>

#include "core/common.h"
#include "io/safetensors.h"
#include "tiny_model.h"

static void die(void) {
    fprintf(stderr, "make_model_seeds: %s\n", segp_last_error());
    exit(1);
}

static clip_model *model(int vision, int text) {
    clip_config c = tiny_clip_config();
    c.has_vision = vision;
    c.has_text = text;
    clip_model *m = clip_model_random(&c, 3, "cpu");
    if (!m) die();
    return m;
}

int main(void) {
    clip_model *m = model(1, 1);
    static const struct {
        const char *name;
        st_dtype dt;
    } kinds[] = {{"f32", ST_F32}, {"f16", ST_F16}, {"bf16", ST_BF16}};
    char path[256];
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "fuzz/corpus/clip_checkpoint/seed-tiny_%s", kinds[k].name);
        if (clip_model_save(m, path, kinds[k].dt) != 0) die();
    }
    clip_model *v = model(1, 0), *t = model(0, 1);
    if (clip_model_save(v, "fuzz/corpus/clip_checkpoint/seed-vision_only", ST_F16) != 0 ||
        clip_model_save(t, "fuzz/corpus/clip_checkpoint/seed-text_only", ST_F16) != 0)
        die();
    clip_model_free(v);
    clip_model_free(t);

    clip_lora_params p = tiny_lora_params();
    clip_lora *l = clip_lora_new(m, &p);
    if (!l) die();
    for (size_t i = 0; i < l->b_size; i++) l->b[i] = (float)((int)(i % 7) - 3) / 8.0f;
    if (clip_lora_save(l, "fuzz/corpus/lora/seed-rank2") != 0) die();
    clip_lora_free(l);
    p.targets = LORA_Q | LORA_K | LORA_V | LORA_OUT | LORA_FC | LORA_PROJ;
    p.text = 0;
    l = clip_lora_new(m, &p); /* another layout: every target, vision only */
    if (!l || clip_lora_save(l, "fuzz/corpus/lora/seed-all_targets_vision") != 0) die();
    clip_lora_free(l);
    clip_model_free(m);
    return 0;
}
