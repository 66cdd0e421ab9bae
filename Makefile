# mcpzero — build, test, demo, benchmarks.
# Only Go is required. `make wasm` additionally installs wabt (wat2wasm) when
# it is missing, to rebuild the committed .wasm fixtures from their .wat.

GO       ?= go
BIN      := bin
PKGS     := ./...
# Slow proving runs are skipped under -short; `make test-long` runs them all.
TESTFLAGS ?= -short -count=1 -timeout 14m

.PHONY: all build test test-long vet fmt-check cover demo wasm bench bench-long bench-smoke fuzz fuzz-short clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: fmt-check vet fuzz-short
	$(GO) test $(TESTFLAGS) $(PKGS)

# A short differential fuzz of the tracer against both wazero engines, and of
# the decoder against hostile bytes (~30 s).
fuzz-short:
	$(GO) test -run='^$$' -fuzz=FuzzDifferential -fuzztime=20s ./trace/
	$(GO) test -run='^$$' -fuzz=FuzzDecode -fuzztime=10s ./trace/

test-long: vet
	$(GO) test -count=1 -timeout 60m $(PKGS)

cover:
	$(GO) test -short -count=1 -coverprofile=coverage.out $(PKGS) | tee coverage.txt
	@echo; echo "coverage per package:"; grep -E 'coverage:' coverage.txt | awk '{printf "%-60s %s\n", $$2, $$5}'
	@rm -f coverage.txt

demo: build
	@bash internal/demo/demo.sh $(BIN)

WAT2WASM := $(shell command -v wat2wasm 2>/dev/null)
wasm:
ifndef WAT2WASM
	@echo "installing wabt (wat2wasm)…"
	@(apt-get update -qq && apt-get install -y -qq wabt) >/dev/null || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq wabt) >/dev/null
endif
	@for wat in $$(git ls-files '*.wat'); do \
	  wasm=$${wat%.wat}.wasm; \
	  wat2wasm "$$wat" -o "$$wasm" || exit 1; \
	  echo "wat2wasm $$wat -> $$wasm"; \
	done
	@if [ -f plugins/examples/gohello/build.sh ]; then bash plugins/examples/gohello/build.sh; fi

bench:
	$(GO) run ./bench/cmd/mcpzero-bench -out bench/results

# A run of at least 100,000 steps proven end to end (about half an hour with
# a fresh key cache); writes bench/results/long/latest.{json,md}.
bench-long:
	$(GO) run ./bench/cmd/mcpzero-bench -sections long -out bench/results/long

bench-smoke:
	$(GO) test -short -count=1 -run 'Smoke' ./bench/...

clean:
	rm -rf $(BIN) coverage.out coverage.html
