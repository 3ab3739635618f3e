/* cuda_ops.cu: the CUDA backend's elementwise ops (bias, activations, add/axpy/scale, channel
 * affine), the token embeddings of both towers, row gathers and scatters, patches and transpose.
 * One thread per output element in grid-stride loops, with the CPU reference's arithmetic; the
 * sums over the batch (dcls, dpos) run in batch order per element, as on the CPU, so they are
 * deterministic. Only the scatters (scatter_add_rows, text_embed_bwd's token rows) use atomics,
 * because several rows may add into the same destination row. */
#include <math.h>

#include "cuda_internal.h"

#define TPB 256 /* threads of a block for the elementwise kernels */

static __global__ void add_bias_kernel(float *y, const float *bias, int n, int c) {
    size_t total = (size_t)n * c;
    GRID_STRIDE(q, total) y[q] += bias[q % c];
}

void cu_add_bias(float *y, const float *bias, int n, int c) {
    if (n <= 0 || c <= 0) return;
    LAUNCH(add_bias_kernel, grid_for((size_t)n * c, TPB), TPB, 0, y, bias, n, c);
}

/* ---- activations: QuickGELU x sigmoid(1.702 x), GELU with erf ---- */

static __global__ void act_fwd_kernel(float *out, const float *x, size_t n, int kind) {
    if (kind == ACT_QUICK_GELU) {
        GRID_STRIDE(i, n) {
            float v = x[i];
            out[i] = v / (1.0f + expf(-1.702f * v));
        }
    } else {
        GRID_STRIDE(i, n) {
            float v = x[i];
            out[i] = 0.5f * v * (1.0f + erff(v * (float)M_SQRT1_2));
        }
    }
}

static __global__ void act_bwd_kernel(float *dx, const float *dout, const float *x, size_t n,
                                      int kind) {
    if (kind == ACT_QUICK_GELU) {
        GRID_STRIDE(i, n) {
            float v = x[i];
            float s = 1.0f / (1.0f + expf(-1.702f * v));
            dx[i] = dout[i] * (s + 1.702f * v * s * (1.0f - s));
        }
    } else {
        const float inv_sqrt_2pi = 0.3989422804014327f;
        GRID_STRIDE(i, n) {
            float v = x[i];
            float cdf = 0.5f * (1.0f + erff(v * (float)M_SQRT1_2));
            float pdf = inv_sqrt_2pi * expf(-0.5f * v * v);
            dx[i] = dout[i] * (cdf + v * pdf);
        }
    }
}

void cu_act_fwd(float *out, const float *x, size_t n, act_kind kind) {
    LAUNCH(act_fwd_kernel, grid_for(n, TPB), TPB, 0, out, x, n, (int)kind);
}

void cu_act_bwd(float *dx, const float *dout, const float *x, size_t n, act_kind kind) {
    LAUNCH(act_bwd_kernel, grid_for(n, TPB), TPB, 0, dx, dout, x, n, (int)kind);
}

/* ---- y += x, y += a x, y *= a ---- */

static __global__ void axpy_kernel(float *y, float a, const float *x, size_t n, int plain) {
    if (plain) {
        GRID_STRIDE(i, n) y[i] += x[i];
    } else {
        GRID_STRIDE(i, n) y[i] += a * x[i];
    }
}

static __global__ void scale_kernel(float *y, float a, size_t n) {
    GRID_STRIDE(i, n) y[i] *= a;
}

void cu_add(float *y, const float *x, size_t n) {
    LAUNCH(axpy_kernel, grid_for(n, TPB), TPB, 0, y, 1.0f, x, n, 1);
}

void cu_axpy(float *y, float a, const float *x, size_t n) {
    LAUNCH(axpy_kernel, grid_for(n, TPB), TPB, 0, y, a, x, n, 0);
}

void cu_scale(float *y, float a, size_t n) {
    LAUNCH(scale_kernel, grid_for(n, TPB), TPB, 0, y, a, n);
}

/* ---- patches: pixels[b, 3, r, r] <-> patches[b*g*g, 3*p*p] in (c, ky, kx) order ---- */

static __global__ void im2patch_kernel(float *patches, const float *pixels, int b, int r, int p) {
    const int g = r / p;
    const size_t pp = (size_t)p * p, row = 3 * pp, total = (size_t)b * g * g * row;
    GRID_STRIDE(o, total) {
        size_t within = o % row, patch = o / row;
        int c = (int)(within / pp), ky = (int)(within % pp / p), kx = (int)(within % p);
        int gx = (int)(patch % g), gy = (int)(patch / g % g);
        size_t bi = patch / ((size_t)g * g);
        patches[o] = pixels[((bi * 3 + c) * r + (size_t)gy * p + ky) * r + (size_t)gx * p + kx];
    }
}

/* One thread per pixel: every pixel is written, those outside the g*p grid with 0. */
static __global__ void patch2im_kernel(float *dpixels, const float *dpatches, int b, int r,
                                       int p) {
    const int g = r / p, span = g * p;
    const size_t pp = (size_t)p * p, row = 3 * pp, total = (size_t)b * 3 * r * r;
    GRID_STRIDE(o, total) {
        int x = (int)(o % r), y = (int)(o / r % r), c = (int)(o / ((size_t)r * r) % 3);
        size_t bi = o / ((size_t)3 * r * r);
        float v = 0.0f;
        if (x < span && y < span) {
            int gy = y / p, ky = y % p, gx = x / p, kx = x % p;
            size_t patch = bi * g * g + (size_t)gy * g + gx;
            v = dpatches[patch * row + c * pp + (size_t)ky * p + kx];
        }
        dpixels[o] = v;
    }
}

void cu_im2patch(float *patches, const float *pixels, int b, int r, int p) {
    if (b <= 0 || p <= 0 || r < p) return;
    const int g = r / p;
    size_t total = (size_t)b * g * g * 3 * p * p;
    LAUNCH(im2patch_kernel, grid_for(total, TPB), TPB, 0, patches, pixels, b, r, p);
}

void cu_patch2im(float *dpixels, const float *dpatches, int b, int r, int p) {
    if (b <= 0 || r <= 0 || p <= 0) return;
    size_t total = (size_t)b * 3 * r * r;
    LAUNCH(patch2im_kernel, grid_for(total, TPB), TPB, 0, dpixels, dpatches, b, r, p);
}

/* ---- vision tokens: x[b, 1+g2, w] = [cls ; patch_out[b]] + pos ---- */

static __global__ void vision_embed_kernel(float *x, const float *patch_out, const float *cls,
                                           const float *pos, int b, int g2, int w) {
    const size_t l = (size_t)g2 + 1, total = (size_t)b * l * w;
    GRID_STRIDE(o, total) {
        size_t j = o % w, t = o / w % l, bi = o / ((size_t)w * l);
        float src = t == 0 ? cls[j] : patch_out[(bi * g2 + t - 1) * w + j];
        x[o] = src + pos[t * w + j];
    }
}

void cu_vision_embed(float *x, const float *patch_out, const float *cls, const float *pos, int b,
                     int g2, int w) {
    if (b <= 0 || w <= 0 || g2 < 0) return;
    size_t total = (size_t)b * (g2 + 1) * w;
    LAUNCH(vision_embed_kernel, grid_for(total, TPB), TPB, 0, x, patch_out, cls, pos, b, g2, w);
}

static __global__ void vision_embed_dpatch_kernel(float *dpatch, const float *dx, int b, int g2,
                                                  int w) {
    const size_t l = (size_t)g2 + 1, total = (size_t)b * g2 * w;
    GRID_STRIDE(o, total) {
        size_t j = o % w, t = o / w % g2, bi = o / ((size_t)w * g2);
        dpatch[o] = dx[(bi * l + t + 1) * w + j];
    }
}

/* d[t * w + j] += sum over the batch of dx[(bi * l + t0 + t) * w + j], in batch order, for
 * t < nt (dpos: t0 = 0, nt = l; dcls: the cls row, nt = 1). */
static __global__ void batch_sum_kernel(float *d, const float *dx, int b, size_t l, int nt,
                                        int w) {
    const size_t total = (size_t)nt * w;
    GRID_STRIDE(o, total) {
        size_t j = o % w, t = o / w;
        float s = d[o];
        for (int bi = 0; bi < b; bi++) s += dx[((size_t)bi * l + t) * w + j];
        d[o] = s;
    }
}

void cu_vision_embed_bwd(float *dpatch, float *dcls, float *dpos, const float *dx, int b, int g2,
                         int w) {
    if (b <= 0 || w <= 0 || g2 < 0) return;
    const size_t l = (size_t)g2 + 1;
    if (dpatch)
        LAUNCH(vision_embed_dpatch_kernel, grid_for((size_t)b * g2 * w, TPB), TPB, 0, dpatch, dx,
               b, g2, w);
    if (dcls) LAUNCH(batch_sum_kernel, grid_for((size_t)w, TPB), TPB, 0, dcls, dx, b, l, 1, w);
    if (dpos)
        LAUNCH(batch_sum_kernel, grid_for(l * w, TPB), TPB, 0, dpos, dx, b, l, (int)l, w);
}

/* ---- text tokens: x[b, l, w] = tok[ids[b, t]] + pos[t] (ids row stride ctx) ---- */

static __global__ void text_embed_kernel(float *x, const int32_t *ids, const float *tok,
                                         const float *pos, int b, int l, int ctx, int w) {
    const size_t total = (size_t)b * l * w;
    GRID_STRIDE(o, total) {
        size_t j = o % w, t = o / w % l, bi = o / ((size_t)w * l);
        size_t id = (size_t)ids[bi * ctx + t];
        x[o] = tok[id * w + j] + pos[t * w + j];
    }
}

void cu_text_embed(float *x, const int32_t *ids, const float *tok, const float *pos, int b, int l,
                   int ctx, int w) {
    if (b <= 0 || l <= 0 || w <= 0) return;
    LAUNCH(text_embed_kernel, grid_for((size_t)b * l * w, TPB), TPB, 0, x, ids, tok, pos, b, l,
           ctx, w);
}

/* dtok[ids[b, t]] += dx[b, t]: atomics, since several tokens may share an id (the order of
 * those additions, and so the last bits of such rows, may vary run to run). */
static __global__ void text_embed_dtok_kernel(float *dtok, const float *dx, const int32_t *ids,
                                              int b, int l, int ctx, int w) {
    const size_t total = (size_t)b * l * w;
    GRID_STRIDE(o, total) {
        size_t j = o % w, t = o / w % l, bi = o / ((size_t)w * l);
        size_t id = (size_t)ids[bi * ctx + t];
        atomicAdd(dtok + id * w + j, dx[o]);
    }
}

void cu_text_embed_bwd(float *dtok, float *dpos, const float *dx, const int32_t *ids, int b,
                       int l, int ctx, int w) {
    if (b <= 0 || l <= 0 || w <= 0) return;
    if (dtok)
        LAUNCH(text_embed_dtok_kernel, grid_for((size_t)b * l * w, TPB), TPB, 0, dtok, dx, ids, b,
               l, ctx, w);
    if (dpos) /* deterministic: batch order per element */
        LAUNCH(batch_sum_kernel, grid_for((size_t)l * w, TPB), TPB, 0, dpos, dx, b, (size_t)l, l,
               w);
}

/* ---- row gathers ---- */

static __global__ void gather_rows_kernel(float *out, const float *x, const int32_t *idx, int n,
                                          int c) {
    const size_t total = (size_t)n * c;
    GRID_STRIDE(o, total) {
        size_t i = o / c, j = o % c;
        out[o] = x[(size_t)idx[i] * c + j];
    }
}

/* dx[idx[i]] += dout[i]: atomics, since indices may repeat. */
static __global__ void scatter_add_rows_kernel(float *dx, const float *dout, const int32_t *idx,
                                               int n, int c) {
    const size_t total = (size_t)n * c;
    GRID_STRIDE(o, total) {
        size_t i = o / c, j = o % c;
        atomicAdd(dx + (size_t)idx[i] * c + j, dout[o]);
    }
}

void cu_gather_rows(float *out, const float *x, const int32_t *idx, int n, int c) {
    if (n <= 0 || c <= 0) return;
    LAUNCH(gather_rows_kernel, grid_for((size_t)n * c, TPB), TPB, 0, out, x, idx, n, c);
}

void cu_scatter_add_rows(float *dx, const float *dout, const int32_t *idx, int n, int c) {
    if (n <= 0 || c <= 0) return;
    LAUNCH(scatter_add_rows_kernel, grid_for((size_t)n * c, TPB), TPB, 0, dx, dout, idx, n, c);
}

/* ---- out[c, r] = in[r, c]: 32 x 32 tiles through shared memory (padded against bank
 * conflicts), both the reads and the writes coalesced ---- */

#define TILE 32
static __global__ void transpose_kernel(float *out, const float *in, int rows, int cols) {
    __shared__ float tile[TILE][TILE + 1];
    const unsigned tiles_c = (cols + TILE - 1) / TILE, tiles_r = (rows + TILE - 1) / TILE;
    const size_t tiles = (size_t)tiles_c * tiles_r;
    for (size_t t = blockIdx.x; t < tiles; t += gridDim.x) {
        const int r0 = (int)(t / tiles_c) * TILE, c0 = (int)(t % tiles_c) * TILE;
        for (int k = threadIdx.y; k < TILE; k += blockDim.y) {
            int r = r0 + k, c = c0 + threadIdx.x;
            if (r < rows && c < cols) tile[k][threadIdx.x] = in[(size_t)r * cols + c];
        }
        __syncthreads();
        for (int k = threadIdx.y; k < TILE; k += blockDim.y) {
            int c = c0 + k, r = r0 + threadIdx.x;
            if (r < rows && c < cols) out[(size_t)c * rows + r] = tile[threadIdx.x][k];
        }
        __syncthreads(); /* the tile is refilled by the next iteration */
    }
}

void cu_transpose(float *out, const float *in, int rows, int cols) {
    if (rows <= 0 || cols <= 0) return;
    size_t tiles = (size_t)((rows + TILE - 1) / TILE) * ((cols + TILE - 1) / TILE);
    LAUNCH(transpose_kernel, grid_for(tiles, 1), dim3(TILE, 8), 0, out, in, rows, cols);
}

/* ---- out[b, ch, :] = (x[b, ch, :] - shift[ch]) / div[ch]; out may be x ---- */

struct affine4 {
    float shift[4], div[4];
};

static __global__ void channel_affine_kernel(float *out, const float *x, size_t total, int ch,
                                             size_t plane, affine4 a) {
    GRID_STRIDE(o, total) {
        int c = (int)(o / plane % ch);
        out[o] = (x[o] - a.shift[c]) / a.div[c];
    }
}

void cu_channel_affine(float *out, const float *x, int b, int ch, size_t plane,
                       const float *shift, const float *div) {
    if (b <= 0 || ch <= 0 || plane == 0) return;
    if (ch > 4) { /* the table allows at most 4 channels: a caller's bug, reported by sync */
        cuda_note(cudaErrorInvalidValue, "channel_affine with more than 4 channels", __func__);
        return;
    }
    affine4 a;
    for (int c = 0; c < 4; c++) {
        a.shift[c] = c < ch ? shift[c] : 0.0f;
        a.div[c] = c < ch ? div[c] : 1.0f;
    }
    LAUNCH(channel_affine_kernel, grid_for((size_t)b * ch * plane, TPB), TPB, 0, out, x,
           (size_t)b * ch * plane, ch, plane, a);
}
