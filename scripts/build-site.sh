#!/usr/bin/env bash
# Builds the browser half without cargo-leptos: the frontend crate to wasm, then
# wasm-bindgen and wasm-opt, then the stylesheet and public assets, into the site
# root the server serves (target/site by default).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

profile=${WASM_PROFILE:-wasm-release}
site=${LEPTOS_SITE_ROOT:-target/site}
name=session-console

echo "==> building the frontend for wasm32 ($profile)"
cargo build --locked -p frontend --target wasm32-unknown-unknown --profile "$profile"

dir=$profile
[ "$profile" = dev ] && dir=debug
rm -rf "$site"
mkdir -p "$site/pkg"
wasm-bindgen "target/wasm32-unknown-unknown/$dir/frontend.wasm" \
  --target web --no-typescript --out-dir "$site/pkg" --out-name "$name"
if [ "$profile" != dev ]; then
  tools/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$site/pkg/${name}_bg.wasm" -o "$site/pkg/${name}_bg.wasm"
fi
cat style/*.css > "$site/pkg/$name.css"
cp -R public/. "$site/"
echo "==> site ready in $site ($(du -h "$site/pkg/${name}_bg.wasm" | cut -f1) of wasm)"
