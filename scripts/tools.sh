#!/usr/bin/env bash
# Installs the build tools, idempotently and only from the package registries
# (crates.io, npm). Safe to run on every build: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "==> adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  echo "==> installing wasm-bindgen-cli $want from crates.io (about 7 minutes, once)"
  # Not --locked: the registry lacks one dependency pinned in its lock file.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# wasm-opt from npm's binaryen (Debian's older binaryen produces wasm that never hydrates).
if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  echo "==> installing binaryen (wasm-opt) from npm"
  npm ci --prefix tools --no-audit --no-fund
fi

# leptosfmt formats view! macros; `make lint` checks them. Pinned: a new release may
# format differently.
if [ "$(leptosfmt --version 2>/dev/null)" != "leptosfmt 0.1.33" ]; then
  echo "==> installing leptosfmt 0.1.33 from crates.io (about 3 minutes, once)"
  cargo install leptosfmt --version 0.1.33 --locked --force
fi

# brotli writes the precompressed copies of the static files (`make site`); gzip is in
# every Debian.
if ! command -v brotli >/dev/null; then
  echo "==> installing brotli from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli >/dev/null
fi
