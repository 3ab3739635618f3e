/* lora.c: fuzz target for task checkpoints (tasks/NN/lora.safetensors, read by `segp resume`,
 * `segp eval` and `segp zeroshot --lora`; engine/model/lora.c clip_lora_load_memory) into a
 * LoRA state of the tiny model of fuzz/tiny_model.h: rank and alpha metadata, every adapter's
 * A and B by name and shape, non-finite values. */
#include <math.h>

#include "fuzz.h"
#include "tiny_model.h"

static clip_model *model;
static clip_lora *lora;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!model) {
        clip_config c = tiny_clip_config();
        clip_lora_params p = tiny_lora_params();
        if (!(model = clip_model_random(&c, 1, "cpu")) || !(lora = clip_lora_new(model, &p)))
            abort();
    }
    float alpha = lora->p.alpha, scale = lora->scale;
    if (clip_lora_load_memory(lora, "tasks/01/lora.safetensors", data, size) == 0) {
        /* lora.alpha 0 loads back (scale 0: the adapters switched off), never negative */
        if (!(lora->scale >= 0) || !isfinite(lora->scale)) abort();
        for (size_t i = 0; i < lora->b_size; i++)
            if (!isfinite(lora->b[i])) abort();
    } else if (lora->p.alpha != alpha || lora->scale != scale) {
        abort(); /* a refused checkpoint leaves the state as it was */
    }
    return 0;
}
