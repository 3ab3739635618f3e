"""Makes tests/fixtures/analytics_ref.safetensors: float64 numpy references for the analytics
library (engine/metrics/, tests/test_analytics.c).

  jsd.lt, jsd.ls [5, 4] logits; jsd.value [5]   JSD(softmax(lt) || softmax(ls)), natural log
  pca.x [20, 6]; pca.scores [20, 2]; pca.explained [2]
                     numpy's SVD of the centred data; each component's sign makes its largest
                     |loading| positive (projection.h)
  cka.x [10, 4], cka.y [10, 3]; cka.value [1]    linear CKA (Kornblith et al. 2019)
  tsne.x [12, 5]     three clusters; tsne.p [12, 12] the symmetrised affinities at the
                     perplexity in the metadata (the binary search of projection_internal.h)
  tsne.y0 [12, 2]    an initial layout; tsne.y [12, 2] the layout after `iters` iterations of the
                     exact t-SNE descent from it on tsne.p as stored (float32) (exaggeration 12 for
                     the first `exag_iters`, momentum 0.5 then 0.8, gains, learning rate `lr`);
                     tsne.kl [iters] the KL(P || Q) after each iteration

Inputs are float32 (what the C side reads); every computation is float64.
Run from the repository root: python3 tests/ref/analytics_ref.py  (or `make refs`).
Deterministic."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import st_io  # noqa: E402

FIX = "tests/fixtures"
PERPLEXITY, ITERS, EXAG_ITERS = 3.0, 40, 20
# A small learning rate: with "auto" (50) a 12-point layout is chaotic (a 1e-12 change of P moves
# it by percents within 40 iterations); at 1 the descent is smooth and still cuts the KL 20-fold.
LR = 1.0


def f32(a):
    return np.asarray(a, dtype=np.float32)


def softmax(l):
    e = np.exp(l - l.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def jsd(lt, ls):
    p, q = softmax(lt), softmax(ls)
    m = 0.5 * (p + q)
    return 0.5 * (p * np.log(p / m)).sum(1) + 0.5 * (q * np.log(q / m)).sum(1)


def pca(x, k):
    xc = x - x.mean(0)
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    comp = vt[:k].copy()
    for c in range(k):
        if comp[c, np.argmax(np.abs(comp[c]))] < 0:
            comp[c] = -comp[c]
    return xc @ comp.T, (s[:k] ** 2) / (s ** 2).sum()


def cka(x, y):
    x = x - x.mean(0)
    y = y - y.mean(0)
    return np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def affinities(x, perplexity):
    n = x.shape[0]
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    target = np.log(perplexity)
    cond = np.zeros((n, n))
    for i in range(n):
        di = d[i].copy()
        di -= np.min(np.delete(di, i))
        beta, lo, hi = 1.0, -np.inf, np.inf
        for _ in range(100):
            row = np.exp(-di * beta)
            row[i] = 0.0
            s = row.sum()
            h = np.log(s) + beta * (di * row).sum() / s
            if abs(h - target) < 1e-5:
                break
            if h > target:
                lo = beta
                beta = beta * 2 if hi == np.inf else (beta + hi) / 2
            else:
                hi = beta
                beta = beta / 2 if lo == -np.inf else (beta + lo) / 2
        cond[i] = row / s
    return (cond + cond.T) / (2 * n)


def kl(p, y):
    n = y.shape[0]
    num = 1.0 / (1.0 + ((y[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(num, 0.0)
    q = num / num.sum()
    mask = p > 0
    np.fill_diagonal(mask, False)
    return (p[mask] * np.log(p[mask] / q[mask])).sum()


def descend(p, y, iters, exag_iters, lr):
    y = y.copy()
    upd, gains, trace = np.zeros_like(y), np.ones_like(y), []
    for it in range(iters):
        exag, mom = (12.0, 0.5) if it < exag_iters else (1.0, 0.8)
        diff = y[:, None, :] - y[None, :, :]
        num = 1.0 / (1.0 + (diff ** 2).sum(-1))
        np.fill_diagonal(num, 0.0)
        q = num / num.sum()
        grad = 4.0 * (((exag * p - q) * num)[:, :, None] * diff).sum(1)
        inc = upd * grad < 0
        gains = np.where(inc, gains + 0.2, gains * 0.8)
        gains = np.maximum(gains, 0.01)
        upd = mom * upd - lr * gains * grad
        y = y + upd
        trace.append(kl(p, y))
    return y, np.array(trace)


def main():
    rng = np.random.default_rng(12)
    out = []

    lt = f32(rng.normal(0, 3, (5, 4)))
    ls = f32(lt + rng.normal(0, 1.5, (5, 4)))
    out += [("jsd.lt", lt), ("jsd.ls", ls),
            ("jsd.value", jsd(lt.astype(np.float64), ls.astype(np.float64)))]

    # anisotropic data, so the components are well separated
    xp = f32(rng.normal(0, 1, (20, 6)) * np.array([3.0, 2.0, 1.0, 0.5, 0.3, 0.1]) +
             rng.normal(0, 1, 6))
    xp = f32(xp @ np.linalg.qr(rng.normal(0, 1, (6, 6)))[0])
    sc, ex = pca(xp.astype(np.float64), 2)
    out += [("pca.x", xp), ("pca.scores", sc), ("pca.explained", ex)]

    cx = f32(rng.normal(0, 1, (10, 4)))
    cy = f32(np.tanh(cx[:, :3] @ rng.normal(0, 1, (3, 3))) + rng.normal(0, 0.3, (10, 3)))
    out += [("cka.x", cx), ("cka.y", cy),
            ("cka.value", np.array([cka(cx.astype(np.float64), cy.astype(np.float64))]))]

    centers = rng.normal(0, 4, (3, 5))
    tx = f32(np.repeat(centers, 4, axis=0) + rng.normal(0, 0.5, (12, 5)))
    p = affinities(tx.astype(np.float64), PERPLEXITY)
    y0 = f32(rng.normal(0, 1e-4, (12, 2)))
    p32 = f32(p).astype(np.float64)
    y, trace = descend(p32, y0.astype(np.float64), ITERS, EXAG_ITERS, LR)
    out += [("tsne.x", tx), ("tsne.p", p), ("tsne.y0", y0), ("tsne.y", y), ("tsne.kl", trace)]

    meta = {"perplexity": str(PERPLEXITY), "iters": str(ITERS), "exag_iters": str(EXAG_ITERS),
            "lr": str(LR)}
    st_io.write(os.path.join(FIX, "analytics_ref.safetensors"), out, metadata=meta)


if __name__ == "__main__":
    main()
