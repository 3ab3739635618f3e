/* clip_checkpoint.c: fuzz target for CLIP checkpoints (engine/model/clip_load.c,
 * clip_model_load_memory): OpenAI / open_clip and Hugging Face names, the architecture inferred
 * from tensor shapes, heads and activation from segp.* metadata, F32/F16/BF16 data, missing and
 * mis-shaped tensors, non-finite weights. Checkpoints come from model hubs. */
#include "fuzz.h"
#include "model/clip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clip_model *m = clip_model_load_memory("fuzz.safetensors", data, size, NULL);
    if (!m) return 0;
    const clip_config *c = clip_model_config(m);
    if (clip_config_check(c, "loaded") != 0) abort();
    int64_t total = 0;
    for (int t = 0; t < 3; t++) total += clip_model_param_count(m, t);
    if (total <= 0 || (size_t)total > clip_model_num_params(m)) abort();
    for (int i = 0; i < clip_model_tensor_count(m); i++) (void)clip_model_tensor(m, i)->name;
    clip_model_free(m);
    return 0;
}
