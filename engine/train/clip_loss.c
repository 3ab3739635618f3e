/* clip_loss.c: cross-entropy on CLIP logits with gradients (see clip_loss.h). */
#include "clip_loss.h"

#include <stdlib.h>

#include "core/common.h"

float clip_logit_loss(const segp_backend *be, const float *img, int n_img, const float *txt,
                      int n_txt, int e, float scale, const int32_t *targets, int symmetric,
                      float *d_img, float *d_txt, float *d_log_scale) {
    size_t ni = (size_t)n_img, nt = (size_t)n_txt, ne = (size_t)e;
    float *yi = be->alloc(ni * ne * 4), *yt = be->alloc(nt * ne * 4);
    float *norm_i = be->alloc(ni * 4), *norm_t = be->alloc(nt * 4);
    float *lg = be->alloc(ni * nt * 4), *dl = be->alloc(ni * nt * 4);
    be->l2norm_fwd(yi, norm_i, img, n_img, e);
    be->l2norm_fwd(yt, norm_t, txt, n_txt, e);
    be->gemm(0, 1, n_img, n_txt, e, scale, yi, e, yt, e, 0.0f, lg, n_txt);
    float loss = be->cross_entropy_fwd_bwd(dl, lg, targets, n_img, n_txt);
    if (symmetric) {
        SEGP_CHECK(n_img == n_txt, "symmetric CLIP loss needs as many texts as images");
        /* text->image: cross-entropy of the transposed logits; dl = (d_rows + d_cols^T) / 2 */
        float *lt = be->alloc(ni * nt * 4), *dt = be->alloc(ni * nt * 4);
        for (int i = 0; i < n_img; i++)
            for (int j = 0; j < n_txt; j++) lt[(size_t)j * ni + i] = lg[(size_t)i * nt + j];
        loss = 0.5f * (loss + be->cross_entropy_fwd_bwd(dt, lt, targets, n_txt, n_img));
        for (int i = 0; i < n_img; i++)
            for (int j = 0; j < n_txt; j++)
                dl[(size_t)i * nt + j] = 0.5f * (dl[(size_t)i * nt + j] + dt[(size_t)j * ni + i]);
        be->free(lt);
        be->free(dt);
    }
    if (d_log_scale) { /* logits are linear in scale: d/d(log s) = sum(dlogits * logits) */
        double s = 0;
        for (size_t k = 0; k < ni * nt; k++) s += (double)dl[k] * lg[k];
        *d_log_scale = (float)s;
    }
    float *dy = be->alloc((ni > nt ? ni : nt) * ne * 4);
    if (d_img) {
        be->gemm(0, 0, n_img, e, n_txt, scale, dl, n_txt, yt, e, 0.0f, dy, e);
        be->l2norm_bwd(d_img, dy, yi, norm_i, n_img, e);
    }
    if (d_txt) {
        be->gemm(1, 0, n_txt, e, n_img, scale, dl, n_txt, yi, e, 0.0f, dy, e);
        be->l2norm_bwd(d_txt, dy, yt, norm_t, n_txt, e);
    }
    be->free(dy);
    be->free(yi), be->free(yt), be->free(norm_i), be->free(norm_t), be->free(lg), be->free(dl);
    return loss;
}
