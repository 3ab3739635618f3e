/* clip_loss.c: cross-entropy on CLIP logits with gradients (see clip_loss.h). */
#include "clip_loss.h"

#include <stdlib.h>

#include "core/common.h"

int clip_logit_loss(const segp_backend *be, backend_arena *ws, float *loss, const float *img,
                    int n_img, const float *txt, int n_txt, int e, float scale,
                    const int32_t *targets, int symmetric, float *d_img, float *d_txt,
                    float *d_log_scale) {
    if (symmetric && n_img != n_txt)
        return SEGP_FAIL("symmetric CLIP loss needs as many texts as images (%d, %d)", n_img,
                         n_txt);
    backend_arena *own = ws ? NULL : backend_arena_new(be);
    backend_arena *a = ws ? ws : own;
    size_t ni = (size_t)n_img, nt = (size_t)n_txt, ne = (size_t)e;
    float *yi = backend_arena_take(a, ni * ne * 4), *yt = backend_arena_take(a, nt * ne * 4);
    float *norm_i = backend_arena_take(a, ni * 4), *norm_t = backend_arena_take(a, nt * 4);
    float *lg = backend_arena_take(a, ni * nt * 4), *dl = backend_arena_take(a, ni * nt * 4);
    be->l2norm_fwd(yi, norm_i, img, n_img, e);
    be->l2norm_fwd(yt, norm_t, txt, n_txt, e);
    be->gemm(0, 1, n_img, n_txt, e, scale, yi, e, yt, e, 0.0f, lg, n_txt);
    be->cross_entropy_fwd_bwd(loss, dl, lg, targets, n_img, n_txt);
    if (symmetric) {
        /* text->image: cross-entropy of the transposed logits; dl = (d_rows + d_cols^T) / 2 */
        float *lt = backend_arena_take(a, ni * nt * 4), *dt = backend_arena_take(a, ni * nt * 4);
        float *l2 = backend_arena_take(a, 2 * sizeof(float));
        be->transpose(lt, lg, n_img, n_txt);
        be->cross_entropy_fwd_bwd(l2 + 1, dt, lt, targets, n_txt, n_img);
        be->add(loss, l2 + 1, 1);
        be->scale(loss, 0.5f, 1);
        be->transpose(lt, dt, n_txt, n_img); /* lt = dt^T, [n_img, n_txt] */
        be->add(dl, lt, ni * nt);
        be->scale(dl, 0.5f, ni * nt);
    }
    if (d_log_scale) { /* logits are linear in scale: d/d(log s) = sum(dlogits * logits) */
        be->zero(d_log_scale, sizeof(float));
        be->dot_acc(d_log_scale, dl, lg, ni * nt, 1.0f);
    }
    float *dy = backend_arena_take(a, (ni > nt ? ni : nt) * ne * 4);
    if (d_img) {
        be->gemm(0, 0, n_img, e, n_txt, scale, dl, n_txt, yt, e, 0.0f, dy, e);
        be->l2norm_bwd(d_img, dy, yi, norm_i, n_img, e);
    }
    if (d_txt) {
        be->gemm(1, 0, n_txt, e, n_img, scale, dl, n_txt, yi, e, 0.0f, dy, e);
        be->l2norm_bwd(d_txt, dy, yt, norm_t, n_txt, e);
    }
    if (own) backend_arena_free(own);
    return 0;
}
