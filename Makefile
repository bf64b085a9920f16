# A thin wrapper over CMake. `make demo` and `make test` are the README's quick start: both
# install what is missing (as root through apt-get; otherwise they print the command), build,
# and run. SANITIZE=1 builds with ASan+UBSan in build-asan/.

BUILD_PACKAGES := cmake gcc make pkg-config liblua5.4-dev libsndfile1-dev libsamplerate0-dev \
                  libfftw3-dev libxxhash-dev libjansson-dev
TEST_PACKAGES  := libebur128-dev
BENCH_PACKAGES := ffmpeg sox time

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

.PHONY: all deps test-deps bench-deps build test demo bench clean

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

clean:
	rm -rf build build-asan
