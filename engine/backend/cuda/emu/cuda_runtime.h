/* emu/cuda_runtime.h: a host stand-in for the CUDA runtime, for checking the CUDA backend on a
 * machine without a GPU (emu/run.sh). The backend's .cu files compile as C++ against it; each
 * kernel launch runs at once, every CUDA thread a fiber of a cooperative scheduler (emu.cpp), with
 * real block and warp barriers, so __syncthreads, warp shuffles and shared memory behave as on a
 * device and a barrier not reached by every thread is reported as a deadlock. Memory is host
 * memory (so AddressSanitizer sees any out-of-bounds access of a kernel); streams, events and the
 * copies are synchronous. Only what the backend uses is here. */
#ifndef SEGP_EMU_CUDA_RUNTIME_H
#define SEGP_EMU_CUDA_RUNTIME_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <functional>

#define SEGP_CUDA_EMU 1

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static /* one block runs at a time: a static is the block's shared memory */

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct uint3 {
    unsigned x, y, z;
};
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

/* ---- device side ---- */
void emu_block_barrier(void);
void emu_warp_barrier(void);
uint64_t *emu_warp_slots(void); /* 32 exchange slots of the calling thread's warp */
unsigned emu_lane(void);

inline void __syncthreads(void) { emu_block_barrier(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
    (void)mask;
    emu_warp_barrier();
}
template <typename T> T __shfl_xor_sync(unsigned mask, T v, int o) {
    (void)mask;
    static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
    uint64_t *slot = emu_warp_slots();
    unsigned lane = emu_lane();
    memcpy(&slot[lane], &v, sizeof v);
    emu_warp_barrier();
    T r;
    memcpy(&r, &slot[(lane ^ (unsigned)o) & 31u], sizeof r);
    emu_warp_barrier(); /* nobody overwrites a slot before every lane has read it */
    return r;
}
/* fibers switch only at barriers, so a read-modify-write is atomic */
inline float atomicAdd(float *p, float v) {
    float o = *p;
    *p = o + v;
    return o;
}

/* ---- host side ---- */
typedef enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidDevicePointer = 17,
    cudaErrorInsufficientDriver = 35,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorLaunchFailure = 719,
} cudaError_t;

typedef struct emu_stream *cudaStream_t;
typedef struct emu_event *cudaEvent_t;
typedef struct emu_pool *cudaMemPool_t;

enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
};
#define cudaStreamNonBlocking 0x01
#define cudaEventDisableTiming 0x02
enum cudaDeviceAttr { cudaDevAttrMemoryPoolsSupported = 115 };
enum cudaMemPoolAttr { cudaMemPoolAttrReleaseThreshold = 4 };

struct cudaDeviceProp {
    char name[256];
    size_t totalGlobalMem;
    int multiProcessorCount;
    int major, minor;
};

const char *cudaGetErrorString(cudaError_t e);
const char *cudaGetErrorName(cudaError_t e);
cudaError_t cudaGetLastError(void);
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device);
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t *pool, int device);
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t pool, cudaMemPoolAttr attr, void *value);
cudaError_t cudaRuntimeGetVersion(int *v);
cudaError_t cudaDriverGetVersion(int *v);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaMallocAsync(void **p, size_t bytes, cudaStream_t s);
cudaError_t cudaFree(void *p);
cudaError_t cudaFreeAsync(void *p, cudaStream_t s);
cudaError_t cudaMallocHost(void **p, size_t bytes);
cudaError_t cudaFreeHost(void *p);
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t s);
cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s);

/* A kernel launch: BODY runs once per thread of every block; a bad configuration sets the
 * last error (cudaGetLastError) as a device would. */
void emu_launch(dim3 grid, dim3 block, size_t smem, cudaStream_t s, const char *name,
                const std::function<void(void)> &body);

/* emulation controls for the checks: fail cudaMallocHost (the pageable upload path); report
 * memory pools unsupported (cudaMalloc / cudaFree); count the device buffers still allocated */
extern int emu_no_pinned, emu_no_pools;
size_t emu_live_buffers(void);

#endif
