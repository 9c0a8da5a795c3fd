# Session Console. The two commands a newcomer needs:
#   make run    builds in release and serves the console at http://127.0.0.1:3000
#   make test   runs every test: Rust on SQLite and Postgres, then Playwright in Chromium
# Everything missing is installed from the package registries, idempotently.

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

BIN := target/release/session-console
DEBUG_BIN := target/debug/session-console

.PHONY: run test tools test-tools site server lint test-rust test-postgres test-e2e bench bench-tools fmt check clean

run: tools site server
	$(BIN) serve --demo

server:
	cargo build --locked -p server --release

site: tools
	scripts/build-site.sh

tools:
	@scripts/tools.sh

test-tools:
	@scripts/test-tools.sh

test: tools test-tools lint test-rust test-postgres test-e2e

# Formatting (rustfmt, and leptosfmt for view! macros) and clippy with warnings as
# errors, for the server (ssr) build with its tests and for the browser (hydrate) build.
lint: tools
	cargo fmt --all --check
	leptosfmt --quiet --check --config-file leptosfmt.toml app/src frontend/src
	cargo clippy --locked -p app --features testing --all-targets -- -D warnings
	cargo clippy --locked -p server --features bench --all-targets -- -D warnings
	cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --locked -p frontend --target wasm32-unknown-unknown --features sign-in -- -D warnings

# Unit tests and integration tests through the real router, on SQLite.
test-rust:
	cargo test --locked -p app --features testing
	cargo test --locked -p server

# The same store and router test bodies on a throwaway PostgreSQL server, then a
# Postgres restart under a running console (scripts/faults.sh).
test-postgres:
	cargo build --locked -p server
	scripts/with-postgres.sh bash -c 'cargo test --locked -p app --features testing --test store --test audit && cargo test --locked -p server --tests && scripts/faults.sh $(DEBUG_BIN)'

# Playwright in Debian's Chromium against the built server on a fresh database.
test-e2e: site test-tools
	cargo build --locked -p server
	scripts/e2e.sh $(DEBUG_BIN)

# Benchmarks (not part of make test): BENCH_DB=postgres for Postgres; sizes in scripts/bench/run.py.
BENCH_DB ?= sqlite
bench: bench-tools
	cargo build --locked --release -p server
	cargo build --locked --release -p server --bin bench_seed --features bench
ifeq ($(BENCH_DB),postgres)
	BENCH_DB=postgres scripts/with-postgres.sh python3 scripts/bench/run.py
else
	BENCH_DB=sqlite python3 scripts/bench/run.py
endif

bench-tools:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

check:
	cargo check -p app --features testing --tests
	cargo check -p server --tests
	cargo check -p frontend --target wasm32-unknown-unknown
	cargo check -p frontend --target wasm32-unknown-unknown --features sign-in

fmt: tools
	leptosfmt --quiet --config-file leptosfmt.toml app/src frontend/src
	cargo fmt --all

clean:
	cargo clean
	rm -rf data end2end/test-results end2end/playwright-report
