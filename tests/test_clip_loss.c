/* test_clip_loss.c: the CLIP logit loss against float64 finite differences (image and text
 * embeddings, log logit scale), plain and symmetric, and its value against a direct
 * computation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "train/clip_loss.h"
#include "core/rng.h"
#include "test.h"

static double direct_loss(const float *img, int ni, const float *txt, int nt, int e, double s,
                          const int32_t *tg, int sym) {
    double *lg = calloc((size_t)ni * nt, sizeof(double));
    for (int i = 0; i < ni; i++)
        for (int j = 0; j < nt; j++) {
            double a = 0, b = 0, d = 0;
            for (int k = 0; k < e; k++) {
                a += (double)img[i * e + k] * img[i * e + k];
                b += (double)txt[j * e + k] * txt[j * e + k];
                d += (double)img[i * e + k] * txt[j * e + k];
            }
            lg[i * nt + j] = s * d / sqrt(a * b);
        }
    double l1 = 0, l2 = 0;
    for (int i = 0; i < ni; i++) {
        double m = -1e300, z = 0;
        for (int j = 0; j < nt; j++) m = fmax(m, lg[i * nt + j]);
        for (int j = 0; j < nt; j++) z += exp(lg[i * nt + j] - m);
        l1 += m + log(z) - lg[i * nt + tg[i]];
    }
    for (int j = 0; sym && j < nt; j++) {
        double m = -1e300, z = 0;
        for (int i = 0; i < ni; i++) m = fmax(m, lg[i * nt + j]);
        for (int i = 0; i < ni; i++) z += exp(lg[i * nt + j] - m);
        l2 += m + log(z) - lg[tg[j] * nt + j];
    }
    free(lg);
    return sym ? 0.5 * (l1 / ni + l2 / nt) : l1 / ni;
}

static void check_case(int ni, int nt, int e, int sym) {
    const segp_backend *be = segp_backend_cpu();
    rng_state r = rng_seed(11, (uint64_t)(ni * 100 + nt * 10 + sym));
    float *img = malloc((size_t)ni * e * 4), *txt = malloc((size_t)nt * e * 4);
    float *di = malloc((size_t)ni * e * 4), *dt = malloc((size_t)nt * e * 4);
    int32_t *tg = malloc((size_t)ni * sizeof(int32_t));
    for (int i = 0; i < ni * e; i++) img[i] = rng_normal(&r);
    for (int i = 0; i < nt * e; i++) txt[i] = rng_normal(&r);
    for (int i = 0; i < ni; i++) tg[i] = sym ? i : (int32_t)(rng_next(&r) % (uint64_t)nt);
    float s = 7.0f, dls = 0;
    float loss = NAN;
    CHECK(clip_logit_loss(be, NULL, &loss, img, ni, txt, nt, e, s, tg, sym, di, dt, &dls) == 0);
    double direct = direct_loss(img, ni, txt, nt, e, s, tg, sym);
    CHECK_NEAR(loss, direct, 1e-6 * (1 + fabs(direct))); /* measured <= 1.7e-7 */
    /* central differences of the float64 loss: step 1e-3 leaves ~1e-7 of truncation, so what
     * is measured is the float32 gradient's own error (~1e-6) */
    const double h = 1e-3;
    double worst = 0;
    for (int k = 0; k < 12; k++) { /* sampled embedding coordinates */
        int on_img = k % 2 == 0;
        float *x = on_img ? img : txt;
        int idx = (int)(rng_next(&r) % (uint64_t)((on_img ? ni : nt) * e));
        float keep = x[idx], xp = (float)(keep + h), xm = (float)(keep - h);
        x[idx] = xp;
        double lp = direct_loss(img, ni, txt, nt, e, s, tg, sym);
        x[idx] = xm;
        double lm = direct_loss(img, ni, txt, nt, e, s, tg, sym);
        x[idx] = keep;
        double num = (lp - lm) / ((double)xp - (double)xm), ana = on_img ? di[idx] : dt[idx];
        double err = fabs(num - ana) / (fabs(num) + fabs(ana) + 1e-3);
        worst = fmax(worst, err);
    }
    /* log scale: d loss / d log s */
    double lp = direct_loss(img, ni, txt, nt, e, s * exp(1e-4), tg, sym);
    double lm = direct_loss(img, ni, txt, nt, e, s * exp(-1e-4), tg, sym);
    double ls_err = fabs(dls - (lp - lm) / 2e-4) / (fabs(dls) + 1e-2);
    double l_err = fabs(loss - direct);
    if (test_verbose())
        printf(
            "\n    ni %d nt %d sym %d: loss error %.3g, embedding gradient error %.3g, log scale "
            "gradient error %.3g",
            ni, nt, sym, l_err, worst, ls_err);
    CHECK_MSG(worst < 2e-5, "clip_logit_loss gradient (ni %d nt %d sym %d): error %.3g", ni, nt,
              sym, worst);
    CHECK_MSG(ls_err < 2e-5, "clip_logit_loss log-scale gradient (ni %d nt %d sym %d): error %.3g",
              ni, nt, sym, ls_err);
    free(img), free(txt), free(di), free(dt), free(tg);
}

TEST(clip_logit_loss_gradients) {
    check_case(5, 7, 6, 0);  /* images against class prompts */
    check_case(6, 6, 5, 1);  /* symmetric InfoNCE */
    check_case(1, 3, 4, 0);
}
