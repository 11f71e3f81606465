# maracd: the two commands a new user runs are `make run` and `make test`.
# Both install missing system packages first (scripts/install-deps.sh).

STATE ?= ./var
AREA ?= all
ARGS ?=
SWIFT ?= swift

.PHONY: deps build release run test bench fuzz clean

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Sets up (on first run) and starts the daemon on its embedded default (SQLite under $(STATE)).
run: release
	./scripts/run-local.sh $(STATE)

# Every test: unit, published vectors, openssl interop, end-to-end on the binaries.
test: deps
	$(SWIFT) test

# The benchmark entry point, over a release build: make bench AREA=crypto ARGS=--json
bench: release
	./.build/release/maracctl bench $(AREA) $(ARGS)

# libFuzzer over the parsers (docs/fuzzing.md): make fuzz FUZZ_SECONDS=60 (per target)
FUZZ_SECONDS ?= 60
fuzz: deps
	./scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf .build
