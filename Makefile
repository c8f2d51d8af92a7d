# Thin wrapper over meson. Every target installs missing Debian packages
# first (scripts/deps.sh, needs root) and builds what it needs.
BUILD      ?= build
BUILD_ASAN ?= build-asan
# libFuzzer harnesses (tests/fuzz, docs/fuzzing.md): clang, ASan + UBSan.
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 600

.PHONY: all deps build build-asan build-fuzz fuzz test demo demo-l3 bench soak clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug -Dmarch_native=false

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: deps $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN)

$(BUILD_FUZZ)/build.ninja:
	CC=clang meson setup $(BUILD_FUZZ) -Dfuzz=true -Dtests=disabled \
		-Ddpdk=disabled -Db_sanitize=address,undefined -Db_lundef=false \
		-Dmarch_native=false

# Only the harnesses (meson alias target "fuzz"), not genkand and the rest.
build-fuzz: deps $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ) fuzz

# Every harness for FUZZ_SECONDS, two at a time, on a working corpus kept
# in $(BUILD_FUZZ)/fuzz-corpus: execs, cov, ft and crashes per harness.
fuzz: build-fuzz
	@bash tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

# The whole suite: unit + BPF + netns e2e on the normal build; the unit
# tests again under ASan/UBSan, and the L3, MAP-E and WireGuard e2e suites
# with the ASan/UBSan genkand (a sanitizer report fails them); every
# libFuzzer harness for 20 s (a crash or sanitizer report fails it).
test: build build-asan build-fuzz
	@bash scripts/run-tests.sh $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)

# The front-door demo (lab/frontdoor.sh): a home server behind MAP-E
# reached through a cloud front door, three genkan gateways.
demo: build
	@GK_BUILD=$(abspath $(BUILD)) bash lab/frontdoor.sh

# The small L3 lab: client -- genkan gateway -- server, with real traffic.
demo-l3: build
	@GK_BUILD=$(abspath $(BUILD)) bash lab/demo.sh

bench: build
	@GK_BUILD=$(abspath $(BUILD)) bash bench/run.sh

# The soak (bench/soak.sh, docs/soak.md): the front door's three gateways
# with the ASan/UBSan genkand under SOAK_MINUTES (10) of legitimate and
# fuzzed traffic, reloads and link flaps; PASS/FAIL per criterion.
soak: build-asan
	@GK_BUILD=$(abspath $(BUILD_ASAN)) nice bash bench/soak.sh

# The Debian package (docs/packaging.md), built from a copy of the working
# tree as meson sees it (tracked files with their uncommitted edits, and new
# files git does not ignore), so that no build output lands in the tree;
# the .deb goes to $(DEB_OUT).
DEB_OUT ?= build-deb
.PHONY: deb
deb: deps
	@set -e; out=$$(mkdir -p '$(DEB_OUT)' && cd '$(DEB_OUT)' && pwd); \
	tmp=$$(mktemp -d /tmp/genkan-deb.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir "$$tmp/genkan"; \
	{ git ls-files -z --cached --others --exclude-standard 2>/dev/null || find . -path './build*' -prune -o -type f -print0; } | \
		tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$$tmp/genkan"; \
	cd "$$tmp/genkan" && dpkg-buildpackage -us -uc -b -J$$(nproc); \
	cp "$$tmp"/*.deb "$$tmp"/*.buildinfo "$$tmp"/*.changes "$$out"/; \
	ls -l "$$out"/genkan_*.deb

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(DEB_OUT)
