/* cuda_backend.cu: the CUDA backend's device, memory, errors and op table. One device per
 * process, one stream and one cuBLAS handle on it; every op is queued on that stream, so ops run
 * in the order they were called and the host only waits in to_host and sync. A failed CUDA or
 * cuBLAS call leaves a sticky error that sync reports (a failed device stays failed). The state
 * is process-wide and unlocked: one host thread at a time calls a device backend (the engine's
 * data-parallel paths run only on host-memory backends). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"

cuda_state g_cu;

static segp_backend g_table;
static int g_ready;

/* Uploads go through a ring of pinned staging buffers (copy, then DMA), so the caller's host
 * buffer may be reused as soon as to_device returns, whatever the driver does with pageable
 * memory. A buffer is reused once its last DMA has run, so the host may run up to NSTAGE uploads
 * (chunks) ahead of the device, and the memcpy of one chunk overlaps the DMA of the previous. */
#define NSTAGE 8
#define STAGE_BYTES ((size_t)4 << 20)
static void *g_stage[NSTAGE];
static cudaEvent_t g_stage_done[NSTAGE];
static int g_stage_next;

int cuda_note(cudaError_t e, const char *what, const char *where) {
    if (e == cudaSuccess) return 0;
    if (!g_cu.failed) {
        g_cu.failed = 1;
        snprintf(g_cu.error, sizeof g_cu.error, "cuda:%d (%s): %s in %s failed: %s (%s)",
                 g_cu.device, g_cu.name, what, where, cudaGetErrorString(e), cudaGetErrorName(e));
    }
    return 1;
}

int cublas_note(cublasStatus_t s, const char *what, const char *where) {
    if (s == CUBLAS_STATUS_SUCCESS) return 0;
    if (!g_cu.failed) {
        g_cu.failed = 1;
        snprintf(g_cu.error, sizeof g_cu.error, "cuda:%d (%s): %s in %s failed: %s", g_cu.device,
                 g_cu.name, what, where, cublasGetStatusString(s));
    }
    return 1;
}

/* ---- memory ---- */

/* Out of device memory ends the program as segp_malloc does on the host, naming the device. */
static void *cu_alloc(size_t bytes) {
    size_t n = bytes ? bytes : 256; /* a distinct, valid pointer even for 0 bytes */
    void *p = NULL;
    cudaError_t e = g_cu.pools ? cudaMallocAsync(&p, n, g_cu.stream) : cudaMalloc(&p, n);
    if (e != cudaSuccess || !p) {
        size_t free_b = 0, total_b = 0;
        cudaGetLastError();
        if (e == cudaErrorMemoryAllocation && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
            fprintf(stderr,
                    "segp: out of memory on cuda:%d (%s) allocating %zu bytes (%.2f GiB free of "
                    "%.2f GiB; try a smaller batch size)\n",
                    g_cu.device, g_cu.name, bytes, free_b / 1073741824.0,
                    total_b / 1073741824.0);
        else
            fprintf(stderr, "segp: cuda:%d (%s): cannot allocate %zu bytes: %s\n", g_cu.device,
                    g_cu.name, bytes, cudaGetErrorString(e));
        exit(3);
    }
    return p;
}

static void cu_free(void *p) {
    if (!p) return;
    if (g_cu.pools) {
        CUDA_CHECK(cudaFreeAsync, p, g_cu.stream); /* after the queued work that uses it */
    } else {
        CUDA_CHECK(cudaStreamSynchronize, g_cu.stream);
        CUDA_CHECK(cudaFree, p);
    }
}

void *cuda_scratch(int slot, size_t bytes) {
    if (bytes <= g_cu.scratch_bytes[slot] && g_cu.scratch[slot]) return g_cu.scratch[slot];
    /* grow by a quarter at least, rounded to 1 MiB, so that a slowly growing use settles */
    size_t want = bytes + bytes / 4;
    want = (want + ((size_t)1 << 20) - 1) & ~(((size_t)1 << 20) - 1);
    cu_free(g_cu.scratch[slot]);
    g_cu.scratch[slot] = cu_alloc(want);
    g_cu.scratch_bytes[slot] = want;
    return g_cu.scratch[slot];
}

static void cu_to_device(void *dst, const void *host_src, size_t bytes) {
    const char *src = (const char *)host_src;
    for (size_t off = 0; off < bytes;) {
        size_t len = bytes - off < STAGE_BYTES ? bytes - off : STAGE_BYTES;
        if (!g_stage[0]) { /* no pinned staging: the driver stages pageable memory itself */
            CUDA_CHECK(cudaMemcpyAsync, (char *)dst + off, src + off, len,
                       cudaMemcpyHostToDevice, g_cu.stream);
            CUDA_CHECK(cudaStreamSynchronize, g_cu.stream);
        } else {
            int s = g_stage_next;
            g_stage_next = (s + 1) % NSTAGE;
            CUDA_CHECK(cudaEventSynchronize, g_stage_done[s]); /* its last DMA has finished */
            memcpy(g_stage[s], src + off, len);
            CUDA_CHECK(cudaMemcpyAsync, (char *)dst + off, g_stage[s], len,
                       cudaMemcpyHostToDevice, g_cu.stream);
            CUDA_CHECK(cudaEventRecord, g_stage_done[s], g_cu.stream);
        }
        off += len;
    }
}

static void cu_to_host(void *host_dst, const void *src, size_t bytes) {
    if (!bytes) return;
    CUDA_CHECK(cudaMemcpyAsync, host_dst, src, bytes, cudaMemcpyDeviceToHost, g_cu.stream);
    CUDA_CHECK(cudaStreamSynchronize, g_cu.stream);
    if (g_cu.failed) memset(host_dst, 0, bytes); /* defined contents; sync reports the failure */
}

static void cu_zero(void *p, size_t bytes) {
    if (bytes) CUDA_CHECK(cudaMemsetAsync, p, 0, bytes, g_cu.stream);
}

static void cu_copy(void *dst, const void *src, size_t bytes) {
    if (bytes && dst != src)
        CUDA_CHECK(cudaMemcpyAsync, dst, src, bytes, cudaMemcpyDeviceToDevice, g_cu.stream);
}

static int cu_sync(void) {
    if (!g_cu.failed) CUDA_CHECK(cudaStreamSynchronize, g_cu.stream);
    if (g_cu.failed) return SEGP_FAIL("%s", g_cu.error);
    return 0;
}

static int cu_set_math(segp_math math) {
    if (math != SEGP_MATH_FP32 && math != SEGP_MATH_TF32 && math != SEGP_MATH_BF16)
        return SEGP_FAIL("cuda: unknown precision %d (expected fp32, tf32 or bf16)", (int)math);
    g_cu.math = math;
    return 0;
}

static const char *cu_describe(void) { return g_cu.desc; }

static void fill_table(segp_backend *t) {
    memset(t, 0, sizeof *t);
    t->name = "cuda";
    t->host_memory = 0;
    t->alloc = cu_alloc;
    t->free = cu_free;
    t->to_device = cu_to_device;
    t->to_host = cu_to_host;
    t->zero = cu_zero;
    t->copy = cu_copy;
    t->sync = cu_sync;
    t->set_math = cu_set_math;
    t->describe = cu_describe;
    t->gemm = cu_gemm;
    t->add_bias = cu_add_bias;
    t->bias_grad = cu_bias_grad;
    t->layernorm_fwd = cu_layernorm_fwd;
    t->layernorm_bwd = cu_layernorm_bwd;
    t->act_fwd = cu_act_fwd;
    t->act_bwd = cu_act_bwd;
    t->attention_fwd = cu_attention_fwd;
    t->attention_bwd = cu_attention_bwd;
    t->add = cu_add;
    t->axpy = cu_axpy;
    t->scale = cu_scale;
    t->im2patch = cu_im2patch;
    t->patch2im = cu_patch2im;
    t->vision_embed = cu_vision_embed;
    t->vision_embed_bwd = cu_vision_embed_bwd;
    t->text_embed = cu_text_embed;
    t->text_embed_bwd = cu_text_embed_bwd;
    t->gather_rows = cu_gather_rows;
    t->scatter_add_rows = cu_scatter_add_rows;
    t->l2norm_fwd = cu_l2norm_fwd;
    t->l2norm_bwd = cu_l2norm_bwd;
    t->softmax = cu_softmax;
    t->cross_entropy_fwd_bwd = cu_cross_entropy;
    t->transpose = cu_transpose;
    t->dot_acc = cu_dot_acc;
    t->argmax_rows = cu_argmax_rows;
    t->channel_affine = cu_channel_affine;
    t->adamw_step = cu_adamw_step;
    t->sgd_step = cu_sgd_step;
    t->acgd_fwd_bwd = cu_acgd_fwd_bwd;
    t->tsgr_fwd_bwd = cu_tsgr_fwd_bwd;
    t->dpgd_fwd_bwd = cu_dpgd_fwd_bwd;
    t->pgd_step = cu_pgd_step;
    t->jsd_rows = cu_jsd_rows;
}

/* Releases what a failed start created, so that a later call may try again. */
static void teardown(void) {
    for (int s = 0; s < NSTAGE; s++) {
        if (g_stage_done[s]) cudaEventDestroy(g_stage_done[s]);
        if (g_stage[s]) cudaFreeHost(g_stage[s]);
        g_stage_done[s] = NULL;
        g_stage[s] = NULL;
    }
    if (g_cu.blas) cublasDestroy(g_cu.blas);
    if (g_cu.stream) cudaStreamDestroy(g_cu.stream);
    cudaGetLastError();
    memset(&g_cu, 0, sizeof g_cu);
}

static int start_device(int device) {
    memset(&g_cu, 0, sizeof g_cu);
    g_cu.device = device;
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorInsufficientDriver) {
        int rt = 0;
        cudaRuntimeGetVersion(&rt);
        cudaGetLastError();
        return SEGP_FAIL("no CUDA device: no NVIDIA driver, or one older than this build's CUDA "
                         "runtime %d.%d (%s)",
                         rt / 1000, rt % 1000 / 10, cudaGetErrorString(e));
    }
    if (e != cudaSuccess) {
        cudaGetLastError();
        return SEGP_FAIL("no CUDA device: %s", cudaGetErrorString(e));
    }
    if (count <= 0) return SEGP_FAIL("no CUDA device: the driver reports none");
    if (device < 0 || device >= count)
        return SEGP_FAIL("device %d does not exist (%d device%s)", device, count,
                         count == 1 ? "" : "s");
    cudaDeviceProp prop;
    if ((e = cudaSetDevice(device)) != cudaSuccess ||
        (e = cudaGetDeviceProperties(&prop, device)) != cudaSuccess) {
        cudaGetLastError();
        return SEGP_FAIL("cuda:%d: cannot start the device: %s", device, cudaGetErrorString(e));
    }
    snprintf(g_cu.name, sizeof g_cu.name, "%s", prop.name);
    g_cu.sm_count = prop.multiProcessorCount;
    g_cu.math = SEGP_MATH_TF32;

    if ((e = cudaStreamCreateWithFlags(&g_cu.stream, cudaStreamNonBlocking)) != cudaSuccess) {
        teardown();
        return SEGP_FAIL("cuda:%d (%s): cannot create a stream: %s", device, prop.name,
                         cudaGetErrorString(e));
    }
    cublasStatus_t s = cublasCreate(&g_cu.blas);
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetStream(g_cu.blas, g_cu.stream);
    /* FP32 strictness comes from the compute type of each call; default math lets the compute
     * type decide (TF32 / BF16 only when asked) */
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetMathMode(g_cu.blas, CUBLAS_DEFAULT_MATH);
    if (s != CUBLAS_STATUS_SUCCESS) {
        teardown();
        return SEGP_FAIL("cuda:%d (%s): cannot start cuBLAS: %s", device, prop.name,
                         cublasGetStatusString(s));
    }

    int pools = 0;
    if (cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, device) != cudaSuccess)
        pools = 0;
    if (pools) { /* keep freed memory in the pool: the step's buffers come back every step */
        cudaMemPool_t pool;
        uint64_t keep = UINT64_MAX;
        if (cudaDeviceGetDefaultMemPool(&pool, device) != cudaSuccess ||
            cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep) != cudaSuccess)
            pools = 0;
    }
    g_cu.pools = pools;
    for (int k = 0; k < NSTAGE; k++)
        if (cudaMallocHost(&g_stage[k], STAGE_BYTES) != cudaSuccess ||
            cudaEventCreateWithFlags(&g_stage_done[k], cudaEventDisableTiming) != cudaSuccess) {
            /* no pinned memory: fall back to synchronous pageable uploads */
            for (int j = 0; j <= k; j++) {
                if (g_stage[j]) cudaFreeHost(g_stage[j]);
                if (g_stage_done[j]) cudaEventDestroy(g_stage_done[j]);
                g_stage[j] = NULL;
                g_stage_done[j] = NULL;
            }
            break;
        }
    cudaGetLastError(); /* the optional probes above leave nothing behind */

    int rt = 0, drv = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    snprintf(g_cu.desc, sizeof g_cu.desc,
             "%s, %.0f GiB, sm_%d%d, %d SMs, CUDA runtime %d.%d, driver %d.%d", prop.name,
             prop.totalGlobalMem / 1073741824.0, prop.major, prop.minor, prop.multiProcessorCount,
             rt / 1000, rt % 1000 / 10, drv / 1000, drv % 1000 / 10);
    return 0;
}

extern "C" const segp_backend *segp_backend_cuda(int device) {
    if (g_ready) {
        if (device == g_cu.device) return &g_table;
        SEGP_FAIL("cuda:%d: this process already uses cuda:%d (one CUDA device per process)",
                  device, g_cu.device);
        return NULL;
    }
    if (start_device(device) != 0) return NULL;
    fill_table(&g_table);
    g_ready = 1;
    return &g_table;
}
