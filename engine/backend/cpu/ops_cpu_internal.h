/* ops_cpu_internal.h: the CPU ops that live outside ops_cpu.c (losses and optimiser updates in
 * ops_cpu_losses.c), for the table in ops_cpu.c; and the double-precision cores of the losses
 * for host callers that want the double result (engine/cl/cl_losses.c, the tests). */
#ifndef SEGP_OPS_CPU_INTERNAL_H
#define SEGP_OPS_CPU_INTERNAL_H

#include "backend/backend.h"

void cpu_adamw_step(float *p, float *m, float *v, const float *g, const uint8_t *mask, size_t n,
                    float lr, float b1, float b2, float eps, float wd, float c1, float c2);
void cpu_sgd_step(float *p, float *v, const float *g, const uint8_t *mask, size_t n, float lr,
                  float mu, float wd);
void cpu_acgd_fwd_bwd(float *loss, float *d_f, float *d_g, const float *f, int n, const float *g,
                      int K, int e, const float *p_teacher, float logit_scale, float tau,
                      float weight);
void cpu_tsgr_fwd_bwd(float *loss, float *d_g, const float *g, int n_rows, int e,
                      const int32_t *rows, int n_cls, const int32_t *nbr, int k,
                      const float *p_ref, float tau, float weight);
void cpu_dpgd_fwd_bwd(float *ce, float *vis, float *d_f, const float *f, int n, int e,
                      const float *g, int K, const int32_t *targets, const float *mu,
                      float lambda_p, float logit_scale);
void cpu_pgd_step(float *x, const float *x0, const float *g, size_t n, float step, float eps);
void cpu_jsd_rows(float *out, const float *lp, const float *lq, int n, int c);

/* The cores (formulas and arguments: engine/cl/cl_losses.h's acgd_loss, tsgr_loss and
 * dpgd_objective); gradients added (ACGD, TSGR) or overwritten (DPGD's d_f) as there. */
double cpu_acgd_loss(const float *f, int n, const float *g, int K, int e, const float *p_teacher,
                     float logit_scale, float tau, float weight, float *d_f, float *d_g);
double cpu_tsgr_loss(const float *g, int n_rows, int e, const int32_t *rows, int n_cls,
                     const int32_t *nbr, int k, const float *p_ref, float tau, float weight,
                     float *d_g);
double cpu_dpgd_row(const float *f, int e, const float *g, int K, int target, const float *mu,
                    float lambda_p, float logit_scale, double *ce, double *vis, float *d_f);
/* log(sum exp(z)) of K values, stable. */
double cpu_log_sum_exp(const double *z, int K);

#endif
