/* ref_ops.h: a naive reference backend for tests/test_backend_ops.c: every op of the table
 * (engine/backend/backend.h) written again from its documented formula with plain loops, in
 * double precision, in host memory. It shares no code with engine/backend/cpu/, so that in a
 * CPU-only build the CPU backend is checked against independent code. Slow on purpose: meant
 * for small shapes. */
#ifndef SEGP_TEST_REF_OPS_H
#define SEGP_TEST_REF_OPS_H

#include "backend/backend.h"

const segp_backend *ref_backend(void);

#endif
