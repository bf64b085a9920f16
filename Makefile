# A thin wrapper over CMake. `make demo` and `make test` are the README's quick start: both
# install what is missing (as root through apt-get; otherwise they print the command), build,
# and run. SANITIZE=1 builds with ASan+UBSan in build-asan/.

BUILD_PACKAGES := cmake gcc make pkg-config liblua5.4-dev libsndfile1-dev libflac-dev \
                  libsamplerate0-dev libfftw3-dev libxxhash-dev libjansson-dev \
                  libcurl4-openssl-dev libssl-dev libgraphviz-dev graphviz
# lilv is optional for a build; the tests host real plugins (x42-plugins) through it.
TEST_PACKAGES  := libebur128-dev ffmpeg liblilv-dev lv2-dev x42-plugins \
                  nginx libnginx-mod-http-dav-ext parallel slurm-wlm munge curl jq sox
BENCH_PACKAGES := ffmpeg sox time
FUZZ_PACKAGES  := clang
FUZZ_TIME ?= 60
FUZZ_TARGETS := fuzz_script fuzz_cache_entry fuzz_audio_reader fuzz_render

ifeq ($(SANITIZE),1)
BUILD_DIR ?= build-asan
CMAKE_FLAGS += -DLATHE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
else
BUILD_DIR ?= build
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=Release
endif
ifeq ($(WERROR),1)
CMAKE_FLAGS += -DLATHE_WERROR=ON
else
CMAKE_FLAGS += -DLATHE_WERROR=OFF
endif
JOBS ?= 2

.PHONY: all deps test-deps bench-deps build test demo bench fuzz clean

all: build

# Installs only what dpkg does not already have.
define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null || exit 1; \
	  else \
	    echo "missing packages; run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi
endef

deps:
	$(call install_missing,$(BUILD_PACKAGES))

test-deps: deps
	$(call install_missing,$(TEST_PACKAGES))

bench-deps: deps
	$(call install_missing,$(BENCH_PACKAGES))

build: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: test-deps build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

demo: build
	./examples/demo.sh $(BUILD_DIR)/lathe

bench: bench-deps build
	./tests/bench/run.sh $(BUILD_DIR)/lathe

# libFuzzer (clang) with ASan+UBSan over the whole library; each target runs FUZZ_TIME seconds
# from seeds made by fuzz_make_seeds plus its regression folder. A crash stops make and leaves
# build-fuzz/crash-<target>-*: add it to tests/fuzz/regressions/<target>/ once fixed.
fuzz: deps
	$(call install_missing,$(FUZZ_PACKAGES))
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATHE_FUZZ=ON \
	  -DLATHE_WERROR=OFF -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined \
	  -fno-sanitize-recover=undefined" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
	cmake --build build-fuzz -j$(JOBS) --target $(FUZZ_TARGETS) fuzz_make_seeds
	rm -rf build-fuzz/corpus && build-fuzz/tests/fuzz_make_seeds build-fuzz/corpus
	@set -e; for t in $(FUZZ_TARGETS); do \
	  seeds=$${t#fuzz_}; seeds=$${seeds%_entry}; seeds=$${seeds%_reader}; \
	  mkdir -p build-fuzz/corpus/$$t-work build-fuzz/corpus/$$seeds; echo "fuzzing $$t for $(FUZZ_TIME) s"; \
	  build-fuzz/tests/$$t -max_total_time=$(FUZZ_TIME) -timeout=20 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=build-fuzz/crash-$$t- build-fuzz/corpus/$$t-work \
	    build-fuzz/corpus/$$seeds tests/fuzz/regressions/$$t 2>build-fuzz/$$t.log \
	    || { tail -40 build-fuzz/$$t.log; exit 1; }; \
	  grep -E "stat::number_of_executed_units|stat::new_units_added" build-fuzz/$$t.log; \
	done

clean:
	rm -rf build build-asan build-fuzz
