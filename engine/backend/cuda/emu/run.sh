#!/bin/sh
# emu/run.sh: checks every op of the CUDA backend against the CPU reference on the host
# emulation (no GPU needed): the backend's .cu files compiled as C++ against emu/'s stand-ins for
# the CUDA runtime and cuBLAS, under AddressSanitizer + UBSan. Two builds: the backend as it is
# (pinned staging, memory pools), and one with the grid capped at 5 blocks (every kernel's
# grid-stride loop runs several rounds) and the attention backward's scratch at 8 KiB (it runs in
# chunks), run without pinned memory and without memory pools. QUICK=1: the first only.
# From the repository root: engine/backend/cuda/emu/run.sh
set -eu
B=${BUILD:-build-cuda/emu} # build-cuda/ is ignored by git
mkdir -p "$B"
CXX=${CXX:-g++}
CC=${CC:-cc}
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
FLAGS="-O1 -g $SAN -Wall -Wextra -Wno-unused-parameter -Iengine/backend/cuda/emu -Iengine -I. -D_GNU_SOURCE"
OPENBLAS_DIR=$(ls -d /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp 2>/dev/null | head -1 || true)

common=""
$CXX -std=c++17 $FLAGS -c -o "$B/emu.o" engine/backend/cuda/emu/emu.cpp
$CXX -std=c++17 $FLAGS -c -o "$B/check_ops.o" engine/backend/cuda/emu/check_ops.cpp
for f in engine/backend/cpu/ops_cpu.c engine/backend/cpu/ops_cpu_losses.c engine/core/common.c \
         engine/backend/backend.c; do
    o="$B/$(basename "$f" .c).o"
    $CC -std=gnu11 $FLAGS -DSEGP_CUDA -fopenmp -c -o "$o" "$f"
    common="$common $o"
done
common="$common $B/emu.o $B/check_ops.o"

# build VARIANT DEFINES...: the backend compiled with DEFINES, linked as $B/check_ops-VARIANT
build() {
    v=$1
    shift
    objs=""
    for f in engine/backend/cuda/*.cu; do
        o="$B/$v-$(basename "$f" .cu).o"
        $CXX -std=c++17 $FLAGS "$@" -x c++ -c -o "$o" "$f"
        objs="$objs $o"
    done
    $CXX $SAN -fopenmp -o "$B/check_ops-$v" $objs $common \
        ${OPENBLAS_DIR:+-L$OPENBLAS_DIR -Wl,-rpath,$OPENBLAS_DIR} -lopenblas -lm
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
build plain
echo "plain build:"
"$B/check_ops-plain"
[ "${QUICK:-0}" = 1 ] && exit 0
build small -DCUDA_GRID_CAP=5u -DATTN_SCRATCH_MAX=8192
echo "grid capped at 5 blocks, chunked attention backward, no pinned staging:"
SEGP_EMU_NO_PINNED=1 "$B/check_ops-small"
echo "the same, no memory pools:"
SEGP_EMU_NO_POOLS=1 "$B/check_ops-small"
