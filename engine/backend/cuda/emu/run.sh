#!/bin/sh
# emu/run.sh: checks every op of the CUDA backend against the CPU reference on the host
# emulation (no GPU needed): the backend's .cu files compiled as C++ against emu/'s stand-ins for
# the CUDA runtime and cuBLAS, under AddressSanitizer + UBSan, run three times (pinned staging and
# memory pools; neither; QUICK=1: the first only). Run from the repository root:
# engine/backend/cuda/emu/run.sh
set -eu
B=${BUILD:-build-cuda/emu} # build-cuda/ is ignored by git
mkdir -p "$B"
CXX=${CXX:-g++}
CC=${CC:-cc}
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
FLAGS="-O1 -g $SAN -Wall -Wextra -Wno-unused-parameter -Iengine/backend/cuda/emu -Iengine -I. -D_GNU_SOURCE"
objs=""
for f in engine/backend/cuda/*.cu; do
    o="$B/$(basename "$f" .cu).o"
    $CXX -std=c++17 $FLAGS -DATTN_SCRATCH_MAX=8192 -x c++ -c -o "$o" "$f"
    objs="$objs $o"
done
$CXX -std=c++17 $FLAGS -c -o "$B/emu.o" engine/backend/cuda/emu/emu.cpp
$CXX -std=c++17 $FLAGS -c -o "$B/check_ops.o" engine/backend/cuda/emu/check_ops.cpp
for f in engine/backend/cpu/ops_cpu.c engine/backend/cpu/ops_cpu_losses.c engine/core/common.c \
         engine/backend/backend.c; do
    $CC -std=gnu11 $FLAGS -DSEGP_CUDA -fopenmp -c -o "$B/$(basename "$f" .c).o" "$f"
done
OPENBLAS_DIR=$(ls -d /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp 2>/dev/null | head -1 || true)
$CXX $SAN -fopenmp -o "$B/check_ops" $objs "$B/emu.o" "$B/check_ops.o" "$B/ops_cpu.o" \
    "$B/ops_cpu_losses.o" "$B/common.o" "$B/backend.o" \
    ${OPENBLAS_DIR:+-L$OPENBLAS_DIR -Wl,-rpath,$OPENBLAS_DIR} -lopenblas -lm
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
"$B/check_ops"
[ "${QUICK:-0}" = 1 ] && exit 0
SEGP_EMU_NO_PINNED=1 "$B/check_ops"
SEGP_EMU_NO_POOLS=1 "$B/check_ops"
