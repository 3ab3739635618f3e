/* cuda_gemm.cu: matrix products through cuBLAS in the precision set_math chose. The op table's
 * matrices are row-major and cuBLAS is column-major: a row-major X with row stride ld is the
 * column-major X^T with leading dimension ld, so C = op(A) op(B) is computed as
 * C^T = op(B)^T op(A)^T, i.e. cuBLAS with the operands swapped and the sizes (n, m). */
#include "cuda_internal.h"

static cublasComputeType_t compute_type(void) {
    switch (g_cu.math) {
    case SEGP_MATH_TF32: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case SEGP_MATH_BF16: return CUBLAS_COMPUTE_32F_FAST_16BF; /* BF16 products, FP32 sums */
    default: return CUBLAS_COMPUTE_32F;                        /* strict FP32 */
    }
}

/* C = beta C over m x n (row stride ldc); beta = 0 writes zeros whatever C held (as BLAS). */
static __global__ void scale_matrix_kernel(float *c, int ldc, int m, int n, float beta) {
    size_t total = (size_t)m * n;
    GRID_STRIDE(q, total) {
        size_t i = q / n, j = q % n;
        float *p = c + i * ldc + j;
        *p = beta != 0.0f ? beta * *p : 0.0f;
    }
}

void cu_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
             const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { /* an empty sum: C = beta C, as the CPU does */
        LAUNCH(scale_matrix_kernel, grid_for((size_t)m * n, 256), 256, 0, c, ldc, m, n, beta);
        return;
    }
    CUBLAS_CHECK(cublasGemmEx, g_cu.blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                 ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, CUDA_R_32F, ldb, a,
                 CUDA_R_32F, lda, &beta, c, CUDA_R_32F, ldc, compute_type(), CUBLAS_GEMM_DEFAULT);
}

void cu_gemm_batched(int ta, int tb, int m, int n, int k, float alpha, const float *const *a,
                     int lda, const float *const *b, int ldb, float beta, float *const *c,
                     int ldc, int count) {
    if (m <= 0 || n <= 0 || k <= 0 || count <= 0) return;
    CUBLAS_CHECK(cublasGemmBatchedEx, g_cu.blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                 ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, (const void *const *)b,
                 CUDA_R_32F, ldb, (const void *const *)a, CUDA_R_32F, lda, &beta,
                 (void *const *)c, CUDA_R_32F, ldc, count, compute_type(), CUBLAS_GEMM_DEFAULT);
}

void cu_gemm_strided(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     long long sa, const float *b, int ldb, long long sb, float beta, float *c,
                     int ldc, long long sc, int count) {
    if (m <= 0 || n <= 0 || k <= 0 || count <= 0) return;
    CUBLAS_CHECK(cublasGemmStridedBatchedEx, g_cu.blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                 ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, CUDA_R_32F, ldb, sb, a,
                 CUDA_R_32F, lda, sa, &beta, c, CUDA_R_32F, ldc, sc, count, compute_type(),
                 CUBLAS_GEMM_DEFAULT);
}
