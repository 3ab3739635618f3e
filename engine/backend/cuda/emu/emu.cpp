/* emu/emu.cpp: the host stand-in for the CUDA runtime and cuBLAS (see cuda_runtime.h). Kernels:
 * each block's threads are ucontext fibers run round-robin; a thread runs until it waits at a
 * block or warp barrier, and a barrier opens when every thread of its group has arrived. When no
 * thread can move, a barrier was skipped by some threads: reported as a deadlock (abort). */
#include "cuda_runtime.h"
#include "cublas_v2.h"

#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include <map>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define EMU_ASAN 1
#else
#define EMU_ASAN 0
#endif

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
int emu_no_pinned, emu_no_pools;

/* ---- fibers ---- */

#define STACK_BYTES ((size_t)256 << 10)

struct barrier_t {
    unsigned arrived, gen;
};
struct fiber {
    ucontext_t ctx;
    char *stack;
    int done;
    const unsigned *wait_gen;
    unsigned wait_val;
    uint3 tid;
    unsigned linear;
    void *fake_stack;
};

static std::vector<fiber> g_f;
static ucontext_t g_main;
static int g_cur;
static const std::function<void(void)> *g_body;
static barrier_t g_block_bar;
static std::vector<barrier_t> g_warp_bar;
static std::vector<uint64_t> g_slots;
static unsigned g_nthreads;
#if EMU_ASAN
static const void *g_main_bottom; /* the main stack, for ASan's fiber switches */
static size_t g_main_size;
#endif

static void to_main(void **fake, int dying) {
#if EMU_ASAN
    __sanitizer_start_switch_fiber(dying ? NULL : fake, g_main_bottom, g_main_size);
#else
    (void)fake;
    (void)dying;
#endif
}
static void back_in_fiber(void *fake) {
#if EMU_ASAN
    __sanitizer_finish_switch_fiber(fake, &g_main_bottom, &g_main_size);
#else
    (void)fake;
#endif
}

static void fiber_entry(void) {
    back_in_fiber(NULL);
    (*g_body)();
    g_f[g_cur].done = 1;
    to_main(NULL, 1); /* returns through uc_link to the scheduler */
}

static void yield_to_main(void) {
    fiber &f = g_f[g_cur];
    to_main(&f.fake_stack, 0);
    swapcontext(&f.ctx, &g_main);
    back_in_fiber(f.fake_stack);
}

static void run_fiber(int t) {
    g_cur = t;
    threadIdx = g_f[t].tid;
#if EMU_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, g_f[t].stack, STACK_BYTES);
    swapcontext(&g_main, &g_f[t].ctx);
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
    swapcontext(&g_main, &g_f[t].ctx);
#endif
}

static void barrier(barrier_t &b, unsigned members) {
    unsigned gen = b.gen;
    if (++b.arrived == members) {
        b.arrived = 0;
        b.gen++;
        return;
    }
    g_f[g_cur].wait_gen = &b.gen;
    g_f[g_cur].wait_val = gen;
    while (b.gen == gen) yield_to_main();
    g_f[g_cur].wait_gen = NULL;
}

void emu_block_barrier(void) { barrier(g_block_bar, g_nthreads); }

void emu_warp_barrier(void) {
    unsigned w = g_f[g_cur].linear / 32, first = w * 32;
    unsigned members = g_nthreads - first < 32 ? g_nthreads - first : 32;
    barrier(g_warp_bar[w], members);
}

uint64_t *emu_warp_slots(void) { return &g_slots[(size_t)(g_f[g_cur].linear / 32) * 32]; }
unsigned emu_lane(void) { return g_f[g_cur].linear % 32; }

static cudaError_t g_last;

void emu_launch(dim3 grid, dim3 block, size_t smem, cudaStream_t s, const char *name,
                const std::function<void(void)> &body) {
    (void)s;
    unsigned long long nt = (unsigned long long)block.x * block.y * block.z;
    if (nt == 0 || nt > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
        grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535 || smem > 48 * 1024) {
        fprintf(stderr, "emu: %s: invalid launch configuration (%u,%u,%u) x (%u,%u,%u)\n", name,
                grid.x, grid.y, grid.z, block.x, block.y, block.z);
        g_last = cudaErrorInvalidConfiguration;
        return;
    }
    g_nthreads = (unsigned)nt;
    if (g_f.size() < nt) {
        size_t old = g_f.size();
        g_f.resize(nt);
        for (size_t t = old; t < nt; t++) g_f[t].stack = (char *)malloc(STACK_BYTES);
    }
    g_warp_bar.assign((nt + 31) / 32, barrier_t{0, 0});
    g_slots.assign(((nt + 31) / 32) * 32, 0);
    g_body = &body;
    blockDim = block;
    gridDim = grid;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                blockIdx = uint3{bx, by, bz};
                g_block_bar = barrier_t{0, 0};
                for (unsigned t = 0; t < nt; t++) {
                    fiber &f = g_f[t];
                    getcontext(&f.ctx);
                    f.ctx.uc_stack.ss_sp = f.stack;
                    f.ctx.uc_stack.ss_size = STACK_BYTES;
                    f.ctx.uc_link = &g_main;
                    makecontext(&f.ctx, fiber_entry, 0);
                    f.done = 0;
                    f.wait_gen = NULL;
                    f.linear = t;
                    f.tid = uint3{t % block.x, t / block.x % block.y, t / (block.x * block.y)};
                    f.fake_stack = NULL;
                }
                for (;;) {
                    int alive = 0, moved = 0;
                    for (unsigned t = 0; t < nt; t++) {
                        fiber &f = g_f[t];
                        if (f.done) continue;
                        alive = 1;
                        if (f.wait_gen && *f.wait_gen == f.wait_val) continue;
                        run_fiber((int)t);
                        moved = 1;
                    }
                    if (!alive) break;
                    if (!moved) {
                        fprintf(stderr,
                                "emu: %s: deadlock in block (%u,%u,%u): a barrier or shuffle "
                                "was not reached by every thread of its group\n",
                                name, bx, by, bz);
                        abort();
                    }
                }
            }
}

/* ---- device memory: host memory, with the allocations tracked so that copies can be checked */

static std::map<uintptr_t, size_t> g_allocs;

static int is_device(const void *p, size_t bytes) {
    uintptr_t a = (uintptr_t)p;
    auto it = g_allocs.upper_bound(a);
    if (it == g_allocs.begin()) return 0;
    --it;
    return a >= it->first && a + bytes <= it->first + it->second;
}

size_t emu_live_buffers(void) { return g_allocs.size(); }

cudaError_t cudaMalloc(void **p, size_t bytes) {
    *p = malloc(bytes ? bytes : 1);
    if (!*p) return g_last = cudaErrorMemoryAllocation;
    /* garbage, as fresh device memory */
    memset(*p, 0xA5, bytes);
    g_allocs[(uintptr_t)*p] = bytes;
    return cudaSuccess;
}
cudaError_t cudaMallocAsync(void **p, size_t bytes, cudaStream_t s) {
    (void)s;
    return cudaMalloc(p, bytes);
}
cudaError_t cudaFree(void *p) {
    if (!p) return cudaSuccess;
    auto it = g_allocs.find((uintptr_t)p);
    if (it == g_allocs.end()) return g_last = cudaErrorInvalidDevicePointer;
    g_allocs.erase(it);
    free(p);
    return cudaSuccess;
}
cudaError_t cudaFreeAsync(void *p, cudaStream_t s) {
    (void)s;
    return cudaFree(p);
}
cudaError_t cudaMallocHost(void **p, size_t bytes) {
    if (emu_no_pinned) return g_last = cudaErrorMemoryAllocation;
    *p = malloc(bytes);
    return *p ? cudaSuccess : (g_last = cudaErrorMemoryAllocation);
}
cudaError_t cudaFreeHost(void *p) {
    free(p);
    return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b) {
    *free_b = (size_t)1 << 30;
    *total_b = (size_t)2 << 30;
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t s) {
    (void)s;
    int ok = 1;
    if (kind == cudaMemcpyHostToDevice) ok = is_device(dst, bytes) && !is_device(src, bytes);
    if (kind == cudaMemcpyDeviceToHost) ok = is_device(src, bytes) && !is_device(dst, bytes);
    if (kind == cudaMemcpyDeviceToDevice) ok = is_device(src, bytes) && is_device(dst, bytes);
    if (!ok) {
        fprintf(stderr, "emu: cudaMemcpyAsync kind %d: a pointer is not of the right memory\n",
                (int)kind);
        return g_last = cudaErrorInvalidValue;
    }
    memmove(dst, src, bytes);
    return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s) {
    (void)s;
    if (!is_device(p, bytes)) return g_last = cudaErrorInvalidValue;
    memset(p, value, bytes);
    return cudaSuccess;
}

/* ---- device, streams, events ---- */

const char *cudaGetErrorString(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    default: return "unspecified launch failure";
    }
}
const char *cudaGetErrorName(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    default: return "cudaErrorLaunchFailure";
    }
}
cudaError_t cudaGetLastError(void) {
    cudaError_t e = g_last;
    g_last = cudaSuccess;
    return e;
}
cudaError_t cudaGetDeviceCount(int *count) {
    *count = 1;
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) {
    return device == 0 ? cudaSuccess : (g_last = cudaErrorInvalidDevice);
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device) {
    (void)device;
    memset(prop, 0, sizeof *prop);
    snprintf(prop->name, sizeof prop->name, "host emulation");
    prop->totalGlobalMem = (size_t)2 << 30;
    prop->multiProcessorCount = 4;
    prop->major = 9;
    prop->minor = 0;
    return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device) {
    (void)attr;
    (void)device;
    *value = !emu_no_pools;
    return cudaSuccess;
}
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t *pool, int device) {
    (void)device;
    *pool = (cudaMemPool_t)&g_allocs;
    return cudaSuccess;
}
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t pool, cudaMemPoolAttr attr, void *value) {
    (void)pool;
    (void)attr;
    (void)value;
    return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int *v) {
    *v = 13000;
    return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int *v) {
    *v = 13000;
    return cudaSuccess;
}
struct emu_stream {
    int dummy;
};
struct emu_event {
    int dummy;
};
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags) {
    (void)flags;
    *s = new emu_stream();
    return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
    delete s;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t s) {
    (void)s;
    return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags) {
    (void)flags;
    *e = new emu_event();
    return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
    delete e;
    return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
    (void)e;
    (void)s;
    return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t e) {
    (void)e;
    return cudaSuccess;
}

/* ---- cuBLAS: column-major C = alpha op(A) op(B) + beta C ---- */

struct emu_blas {
    int dummy;
};
long emu_gemm_calls[3];
const char *cublasGetStatusString(cublasStatus_t s) {
    return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "CUBLAS_STATUS_INVALID_VALUE";
}
cublasStatus_t cublasCreate(cublasHandle_t *h) {
    *h = new emu_blas();
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t h) {
    delete h;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
    (void)h;
    (void)s;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t m) {
    (void)h;
    (void)m;
    return CUBLAS_STATUS_SUCCESS;
}

static int gemm_args_ok(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, int lda,
                        int ldb, int ldc) {
    auto mx1 = [](int v) { return v > 1 ? v : 1; };
    if (m < 0 || n < 0 || k < 0) return 0;
    if (lda < mx1(ta == CUBLAS_OP_N ? m : k)) return 0;
    if (ldb < mx1(tb == CUBLAS_OP_N ? k : n)) return 0;
    if (ldc < mx1(m)) return 0;
    return 1;
}

/* the last element each operand touches must lie in one device buffer */
static int gemm_mem_ok(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                       const float *a, int lda, const float *b, int ldb, const float *c, int ldc) {
    size_t ea = ta == CUBLAS_OP_N ? (size_t)(k - 1) * lda + m : (size_t)(m - 1) * lda + k;
    size_t eb = tb == CUBLAS_OP_N ? (size_t)(n - 1) * ldb + k : (size_t)(k - 1) * ldb + n;
    size_t ec = (size_t)(n - 1) * ldc + m;
    return is_device(a, ea * 4) && is_device(b, eb * 4) && is_device(c, ec * 4);
}

static void gemm1(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta, float *c,
                  int ldc) {
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int l = 0; l < k; l++) {
                float av = ta == CUBLAS_OP_N ? a[i + (size_t)l * lda] : a[l + (size_t)i * lda];
                float bv = tb == CUBLAS_OP_N ? b[l + (size_t)j * ldb] : b[j + (size_t)l * ldb];
                s += (double)av * bv;
            }
            float *cp = c + i + (size_t)j * ldc;
            *cp = (float)(alpha * s + (beta == 0.0f ? 0.0 : (double)beta * *cp));
        }
}

cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                            int n, int k, const void *alpha, const void *a, cudaDataType at,
                            int lda, const void *b, cudaDataType bt, int ldb, const void *beta,
                            void *c, cudaDataType ct, int ldc, cublasComputeType_t ctype,
                            cublasGemmAlgo_t algo) {
    (void)h, (void)at, (void)bt, (void)ct, (void)ctype, (void)algo;
    emu_gemm_calls[0]++;
    if (!gemm_args_ok(ta, tb, m, n, k, lda, ldb, ldc)) return CUBLAS_STATUS_INVALID_VALUE;
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    if (!gemm_mem_ok(ta, tb, m, n, k, (const float *)a, lda, (const float *)b, ldb,
                     (const float *)c, ldc)) {
        fprintf(stderr, "emu: cublasGemmEx: an operand is not inside a device buffer\n");
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    gemm1(ta, tb, m, n, k, *(const float *)alpha, (const float *)a, lda, (const float *)b, ldb,
          *(const float *)beta, (float *)c, ldc);
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGemmBatchedEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                                   int m, int n, int k, const void *alpha,
                                   const void *const a[], cudaDataType at, int lda,
                                   const void *const b[], cudaDataType bt, int ldb,
                                   const void *beta, void *const c[], cudaDataType ct, int ldc,
                                   int count, cublasComputeType_t ctype, cublasGemmAlgo_t algo) {
    (void)h, (void)at, (void)bt, (void)ct, (void)ctype, (void)algo;
    emu_gemm_calls[1]++;
    if (!gemm_args_ok(ta, tb, m, n, k, lda, ldb, ldc) || count < 0)
        return CUBLAS_STATUS_INVALID_VALUE;
    if (m == 0 || n == 0 || count == 0) return CUBLAS_STATUS_SUCCESS;
    size_t pb = (size_t)count * sizeof(void *);
    if (!is_device(a, pb) || !is_device(b, pb) || !is_device(c, pb)) {
        fprintf(stderr, "emu: cublasGemmBatchedEx: pointer arrays not in device memory\n");
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    for (int i = 0; i < count; i++) {
        if (!gemm_mem_ok(ta, tb, m, n, k, (const float *)a[i], lda, (const float *)b[i], ldb,
                         (const float *)c[i], ldc)) {
            fprintf(stderr, "emu: cublasGemmBatchedEx: operand %d not inside a device buffer\n",
                    i);
            return CUBLAS_STATUS_INVALID_VALUE;
        }
        gemm1(ta, tb, m, n, k, *(const float *)alpha, (const float *)a[i], lda,
              (const float *)b[i], ldb, *(const float *)beta, (float *)c[i], ldc);
    }
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t h, cublasOperation_t ta,
                                          cublasOperation_t tb, int m, int n, int k,
                                          const void *alpha, const void *a, cudaDataType at,
                                          int lda, long long sa, const void *b, cudaDataType bt,
                                          int ldb, long long sb, const void *beta, void *c,
                                          cudaDataType ct, int ldc, long long sc, int count,
                                          cublasComputeType_t ctype, cublasGemmAlgo_t algo) {
    (void)h, (void)at, (void)bt, (void)ct, (void)ctype, (void)algo;
    emu_gemm_calls[2]++;
    if (!gemm_args_ok(ta, tb, m, n, k, lda, ldb, ldc) || count < 0)
        return CUBLAS_STATUS_INVALID_VALUE;
    if (m == 0 || n == 0 || count == 0) return CUBLAS_STATUS_SUCCESS;
    for (int i = 0; i < count; i++) {
        const float *ai = (const float *)a + i * sa, *bi = (const float *)b + i * sb;
        float *ci = (float *)c + i * sc;
        if (!gemm_mem_ok(ta, tb, m, n, k, ai, lda, bi, ldb, ci, ldc)) {
            fprintf(stderr, "emu: cublasGemmStridedBatchedEx: matrix %d not inside a device "
                            "buffer\n", i);
            return CUBLAS_STATUS_INVALID_VALUE;
        }
        gemm1(ta, tb, m, n, k, *(const float *)alpha, ai, lda, bi, ldb, *(const float *)beta, ci,
              ldc);
    }
    return CUBLAS_STATUS_SUCCESS;
}
