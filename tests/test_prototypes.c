/* test_prototypes.c: SeGP-CL's prototypes (METHOD.md §7) and dual-path fusion (§8) on hand-made
 * cases whose answers are worked out in the comments. */
#include <math.h>
#include <stdlib.h>

#include "cl/prototypes.h"
#include "test.h"

TEST(prototypes_class_means) {
    /* class 0: (3,0) and (1,0) -> mean (2,0) -> (1,0); class 1: (0,2) -> (0,1); row with class 5
     * is skipped; class 2 has no row -> zero */
    const float emb[] = {3, 0, 0, 2, 1, 0, 7, 7};
    const int32_t cls[] = {0, 1, 0, 5};
    float out[6];
    int32_t cnt[3];
    proto_class_means(emb, cls, 4, 3, 2, out, cnt);
    CHECK_NEAR(out[0], 1, 1e-7);
    CHECK_NEAR(out[1], 0, 1e-7);
    CHECK_NEAR(out[2], 0, 1e-7);
    CHECK_NEAR(out[3], 1, 1e-7);
    CHECK_NEAR(out[4], 0, 0);
    CHECK_NEAR(out[5], 0, 0);
    CHECK_EQ_INT(cnt[0], 2);
    CHECK_EQ_INT(cnt[1], 1);
    CHECK_EQ_INT(cnt[2], 0);
}

TEST(prototypes_drift_transfer_hand_made) {
    /* Two anchors: a0 sits on the prototype mu = (1,0) and drifted to (0.8,0.6); a1 sits at
     * (0,1) and did not move. tau_p = 0.1: w = softmax(1/0.1, 0/0.1) = (1, e^-10)/(1 + e^-10);
     * Delta = w0 (-0.2, 0.6); rho = clamp(max(1, 0), 0, 1) = 1; mu' = normalise(mu + Delta). */
    float mu[2] = {1, 0};
    const float ft[] = {1, 0, 0, 1}, fs[] = {0.8f, 0.6f, 0, 1};
    float delta[2], rho;
    proto_transfer(mu, 1, ft, fs, 2, 2, 0.1f, delta, &rho);
    double w0 = 1.0 / (1.0 + exp(-10.0));
    double x = 1 - 0.2 * w0, y = 0.6 * w0, n = sqrt(x * x + y * y);
    CHECK_NEAR(delta[0], -0.2 * w0, 1e-7);
    CHECK_NEAR(delta[1], 0.6 * w0, 1e-7);
    CHECK_NEAR(rho, 1.0, 0);
    CHECK_NEAR(mu[0], x / n, 1e-7);
    CHECK_NEAR(mu[1], y / n, 1e-7);
    /* a prototype no anchor resembles (all cosines <= 0): rho = 0, mu unchanged, but Delta is
     * still the (uniform-ish) weighted drift */
    float mu2[2] = {-1, 0};
    const float ft2[] = {1, 0, 0, 1}, fs2[] = {0, 1, 1, 0};
    proto_transfer(mu2, 1, ft2, fs2, 2, 2, 0.1f, delta, &rho);
    CHECK_NEAR(rho, 0.0, 0);
    CHECK(mu2[0] == -1.0f && mu2[1] == 0.0f);
    /* w = softmax(-10, 0): Delta = w0 (-1, 1) + w1 (1, -1) = (w1 - w0)(1, -1) */
    double v0 = exp(-10.0) / (1 + exp(-10.0)), v1 = 1 - v0;
    CHECK_NEAR(delta[0], v1 - v0, 1e-7);
    CHECK_NEAR(delta[1], v0 - v1, 1e-7);
    /* no anchors: nothing moves */
    float mu3[2] = {0.6f, 0.8f};
    proto_transfer(mu3, 1, NULL, NULL, 0, 2, 0.1f, delta, &rho);
    CHECK(mu3[0] == 0.6f && mu3[1] == 0.8f);
    CHECK_NEAR(rho, 0, 0);
}

TEST(prototypes_dual_path_fusion) {
    /* l(x,c) = s(x,c) + beta * scale * x.mu_c for classes with a prototype only */
    float logits[6] = {1, 2, 3, 4, 5, 6}; /* 2 images x 3 classes */
    const float img[] = {1, 0, 0.6f, 0.8f};
    const float mu[] = {1, 0, 0, 1, 0.6f, 0.8f};
    const uint8_t has[] = {1, 1, 0};
    proto_dual_path(logits, img, 2, mu, has, 3, 2, 0.5f, 100.0f);
    CHECK_NEAR(logits[0], 1 + 50 * 1.0, 1e-5);
    CHECK_NEAR(logits[1], 2 + 50 * 0.0, 1e-5);
    CHECK_NEAR(logits[2], 3, 0); /* no prototype: the CLIP branch alone */
    CHECK_NEAR(logits[3], 4 + 50 * 0.6, 1e-5);
    CHECK_NEAR(logits[4], 5 + 50 * 0.8, 1e-5);
    CHECK_NEAR(logits[5], 6, 0);
    /* beta 0 changes nothing */
    float l2[2] = {1, 2};
    proto_dual_path(l2, img, 1, mu, NULL, 2, 2, 0.0f, 100.0f);
    CHECK_NEAR(l2[0], 1, 0);
    CHECK_NEAR(l2[1], 2, 0);
}
