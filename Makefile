# segp build. `make` builds ./segp (CPU: OpenBLAS + OpenMP); `make test` builds and runs the tests;
# `make check-asan` runs the same tests under AddressSanitizer + UBSan.
# `make CUDA=1` adds the CUDA backend (engine/backend/cuda/*.cu, nvcc + cuBLAS; README "GPU");
# `make cuda-objects` only compiles it (CI does, so that it never rots without a GPU).

CC      ?= cc
ifeq ($(CUDA),1)
BUILD   ?= build-cuda
else ifeq ($(CUDA),emu)
BUILD   ?= build-emu
else
BUILD   ?= build
endif
OPT     ?= -O3 -march=native
CFLAGS  += $(OPT) -g -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter -fopenmp \
           -MMD -MP -D_GNU_SOURCE -Iengine -I. $(shell pkg-config --cflags cairo)
LDLIBS  += -lcjson -lpng -ljpeg -lutf8proc -lcrypto -lz -lm -fopenmp

# Link the OpenMP build of OpenBLAS explicitly: it cooperates with our own OpenMP loops
# (nested calls run single-threaded instead of oversubscribing the cores).
OPENBLAS_DIR ?= $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/openblas-openmp \
                  /usr/lib/aarch64-linux-gnu/openblas-openmp))
ifneq ($(OPENBLAS_DIR),)
LDLIBS  += -L$(OPENBLAS_DIR) -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas
else
LDLIBS  += -lopenblas
endif

# views/ (the workbench's panels, no ncurses) and export/ (figures, cairo) are libraries of
# their own beside the engine; app/ is the only code that knows the terminal.
UI_LIBS := $(shell pkg-config --libs cairo fontconfig ncursesw) -lpthread

ENGINE_SRC := $(wildcard engine/*/*.c engine/*/*/*.c)
VIEWS_SRC  := $(wildcard views/*.c)
EXPORT_SRC := $(wildcard export/*.c)
ENGINE_ASM := $(wildcard engine/*/*.S)
APP_SRC    := $(wildcard app/*.c)
TEST_SRC   := $(wildcard tests/*.c)

ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o) $(ENGINE_ASM:%.S=$(BUILD)/%.o)

# The CUDA backend: sm_90 machine code (H100/H200) plus PTX that any later GPU compiles at load.
CUDA_HOME ?= /usr/local/cuda
NVCC      ?= $(CUDA_HOME)/bin/nvcc
CUDA_ARCH ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
NVFLAGS   ?= -O3 -std=c++17 $(CUDA_ARCH) -Xcompiler -Wall,-Wextra,-Wno-unused-parameter \
             -Iengine -I. -MMD -MP
CUDA_SRC  := $(wildcard engine/backend/cuda/*.cu)
CUDA_OBJ  := $(CUDA_SRC:%.cu=$(BUILD)/%.o)
ifeq ($(CUDA),1)
CFLAGS     += -DSEGP_CUDA
ENGINE_OBJ += $(CUDA_OBJ)
LDLIBS     += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
endif
# CUDA=emu: the same .cu files compiled as C++ against the host emulation of CUDA and cuBLAS
# (engine/backend/cuda/emu/): every CUDA test of the suite runs without a GPU (slowly: each GPU
# thread is a fiber), which is how CI runs the CUDA side of tests/test_backend_*.c.
ifeq ($(CUDA),emu)
CFLAGS     += -DSEGP_CUDA
ENGINE_OBJ += $(CUDA_OBJ) $(BUILD)/engine/backend/cuda/emu/emu.o
LDLIBS     += -lstdc++
CUDA_EMU_FLAGS := -O1 -g -std=c++17 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -MMD -MP \
                  -Iengine/backend/cuda/emu -Iengine -I.
endif
APP_OBJ    := $(APP_SRC:%.c=$(BUILD)/%.o)
VIEWS_OBJ  := $(VIEWS_SRC:%.c=$(BUILD)/%.o)
EXPORT_OBJ := $(EXPORT_SRC:%.c=$(BUILD)/%.o)
UI_OBJ     := $(VIEWS_OBJ) $(EXPORT_OBJ)
TEST_OBJ   := $(TEST_SRC:%.c=$(BUILD)/%.o)
# app code the tests call directly (segp ablate's variants, classification and table; the
# workbench's status-bar message for exported files, the order of its list of runs, a path
# fitted to its status bar)
TEST_APP_OBJ := $(BUILD)/app/ablate.o $(BUILD)/app/ablate_table.o $(BUILD)/app/tui_export_msg.o \
                $(BUILD)/app/run_list_columns.o $(BUILD)/app/tui_path.o

SEGP_BIN   ?= segp
TEST_BIN   := $(BUILD)/run_tests

.PHONY: all test check-asan clean refs bench deps run FORCE
all: $(SEGP_BIN)

$(BUILD)/libsegp.a: $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# ./segp is relinked when the variant (CPU or CUDA) changes, even if its objects are older.
VARIANT_STAMP := $(SEGP_BIN).variant
$(VARIANT_STAMP): FORCE
	@echo '$(BUILD) CUDA=$(CUDA)' > $@.new
	@cmp -s $@.new $@ || mv $@.new $@; rm -f $@.new

$(SEGP_BIN): $(APP_OBJ) $(UI_OBJ) $(BUILD)/libsegp.a $(VARIANT_STAMP)
	$(CC) $(CFLAGS) -o $@ $(APP_OBJ) $(UI_OBJ) $(BUILD)/libsegp.a $(LDLIBS) $(UI_LIBS)

$(TEST_BIN): $(TEST_OBJ) $(TEST_APP_OBJ) $(UI_OBJ) $(BUILD)/libsegp.a
	$(CC) $(CFLAGS) -o $@ $(TEST_OBJ) $(TEST_APP_OBJ) $(UI_OBJ) $(BUILD)/libsegp.a $(LDLIBS) $(UI_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.cu
	@mkdir -p $(dir $@)
ifeq ($(CUDA),emu)
	$(CXX) $(CUDA_EMU_FLAGS) -x c++ -c -o $@ $<
else
	$(NVCC) $(NVFLAGS) -c -o $@ $<
endif
$(BUILD)/engine/backend/cuda/emu/emu.o: engine/backend/cuda/emu/emu.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CUDA_EMU_FLAGS) -c -o $@ $<

.PHONY: cuda-objects cuda-emu cuda-emu-tests
cuda-objects: $(CUDA_OBJ)
# Every op of the CUDA backend against the CPU on a host emulation of CUDA and cuBLAS (no GPU or
# nvcc needed; engine/backend/cuda/emu/run.sh says how).
# `make cuda-emu-tests` runs the suite's CUDA tests (CUDA vs CPU per op in three precisions, the
# whole-model step) on the same emulation, at the small shapes.
cuda-emu:
	sh engine/backend/cuda/emu/run.sh
cuda-emu-tests:
	$(MAKE) CUDA=emu SEGP_BIN=build-emu/segp build-emu/run_tests
	SEGP_TEST_OPS_SMALL=1 ./build-emu/run_tests backend_

# The CPU ops' elementwise loops (QuickGELU, softmax, the exp inside them) vectorise only when
# GCC may if-convert their clamps, which -ftrapping-math forbids; segp never reads the FP
# exception flags. Values are unchanged (no reassociation: reductions stay in order).
$(BUILD)/engine/backend/cpu/ops_cpu.o: CFLAGS += -fno-trapping-math

# Provenance: build_id.h holds `git describe` of the tree; it is rewritten only when that
# changes, so only engine/core/version.c recompiles.
GIT_ID := $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
$(BUILD)/build_id.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define SEGP_BUILD_ID "$(GIT_ID)"' > $@.new
	@cmp -s $@.new $@ || mv $@.new $@; rm -f $@.new
$(BUILD)/engine/core/version.o: $(BUILD)/build_id.h
$(BUILD)/engine/core/version.o: CFLAGS += -I$(BUILD)
FORCE:

# The BPE vocabulary is embedded in the binary with .incbin (engine/text/vocab_data.S).
$(BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

test: $(SEGP_BIN) $(TEST_BIN)
	SEGP_BIN=./$(SEGP_BIN) ./$(TEST_BIN) $(T)

# Same tests, instrumented. OPENBLAS_NUM_THREADS=1 keeps ASan's shadow checks cheap.
check-asan:
	$(MAKE) BUILD=build-asan SEGP_BIN=build-asan/segp \
	    OPT="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    build-asan/segp build-asan/run_tests
	ASAN_OPTIONS=detect_leaks=1 SEGP_BIN=./build-asan/segp ./build-asan/run_tests $(T)

# Fuzzing (README "Fuzzing"): every parser a user can reach under libFuzzer with ASan + UBSan,
# through Debian's clang. fuzz/*.c are the targets (one each), linked against the engine built
# by the same clang into build-fuzz/. `make fuzz` fuzzes each for FUZZ_TIME seconds and prints a
# table; `make fuzz-ci` replays every corpus (regression inputs included), then fuzzes each
# target for FUZZ_CI_TIME seconds.
FUZZ_CC       ?= clang
FUZZ_BUILD    ?= build-fuzz
FUZZ_TIME     ?= 180
FUZZ_CI_TIME  ?= 20
FUZZ_OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                 -fno-sanitize-recover=all
FUZZ_TARGETS  ?= $(basename $(notdir $(wildcard fuzz/*.c)))

.PHONY: fuzz fuzz-ci fuzz-build fuzz-bins fuzz-corpus
fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT="$(FUZZ_OPT)" fuzz-bins
fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: fuzz/%.c fuzz/fuzz.h $(BUILD)/libsegp.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ifuzz -fsanitize=fuzzer -o $@ $< $(BUILD)/libsegp.a $(LDLIBS)

# The seed corpora and dictionaries (committed; regenerate after changing a format).
fuzz-corpus: $(BUILD)/libsegp.a
	@mkdir -p $(BUILD)/fuzz-tools fuzz/corpus/clip_checkpoint fuzz/corpus/lora
	rm -f fuzz/corpus/clip_checkpoint/seed-* fuzz/corpus/lora/seed-*
	$(CC) $(CFLAGS) -Ifuzz -o $(BUILD)/fuzz-tools/make_model_seeds fuzz/tools/make_model_seeds.c \
	    $(BUILD)/libsegp.a $(LDLIBS)
	$(BUILD)/fuzz-tools/make_model_seeds
	$(PYTHON) fuzz/tools/make_corpus.py

fuzz: fuzz-build
	fuzz/run.sh fuzz $(FUZZ_TIME) $(FUZZ_BUILD) $(FUZZ_TARGETS)
fuzz-ci: fuzz-build
	fuzz/run.sh ci $(FUZZ_CI_TIME) $(FUZZ_BUILD) $(FUZZ_TARGETS)

# Regenerate the reference outputs the tests compare against (Debian's python3-torch,
# python3-numpy, python3-pil, python3-regex); every script is deterministic.
refs: $(SEGP_BIN)
	$(PYTHON) tests/ref/make_fixtures.py
	$(PYTHON) tests/ref/tokenizer_ref.py
	$(PYTHON) tests/ref/image_ref.py
	$(PYTHON) tests/ref/augment_ref.py
	$(PYTHON) tests/ref/optim_ref.py
	$(PYTHON) tests/ref/segp_losses_ref.py
	$(PYTHON) tests/ref/analytics_ref.py
	$(PYTHON) tests/ref/shapes_zeroshot_ref.py ./$(SEGP_BIN)

PYTHON ?= /usr/bin/python3

bench: $(SEGP_BIN)
	./$(SEGP_BIN) bench

# Debian packages for building and testing (the list CI installs).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $$(grep -v '^#' .ci/packages)

# The main job on the embedded default: the default continual-learning run (shipped model,
# shapes benchmark, sample_runs/default.json) into a new runs/default-DATE-TIME, then its table.
SHIPPED_MODEL := sample_runs/models/shapes-clip.safetensors
run: $(SEGP_BIN)
	./$(SEGP_BIN) run sample_runs/default.json

clean:
	rm -rf build build-asan $(FUZZ_BUILD) $(SEGP_BIN)

-include $(CUDA_OBJ:.o=.d)
-include $(ENGINE_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(UI_OBJ:.o=.d)

# GPU machine check (README "GPU"). `make device-deps` puts the Debian packages a build needs
# into $(DEVDEPS)/ (git-ignored, ~10 MB) for a machine that has CUDA, a C compiler and PyTorch
# but not our libraries; tools/device-check, run there (`make device-check`), unpacks them into
# a prefix, builds `make CUDA=1` against it, runs the CUDA comparison tests and `segp bench
# --device cuda` beside PyTorch, and prints a short table last. The device tool's call is in
# the script's header.
DEVDEPS ?= .devdeps
.PHONY: device-deps device-check
device-deps: $(SEGP_BIN)
	SEGP_BIN=./$(SEGP_BIN) DEVDEPS=$(DEVDEPS) tools/device-deps
device-check:
	DEVDEPS=$(DEVDEPS) tools/device-check
