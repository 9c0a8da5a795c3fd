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

# Content-addressed names, so browsers may keep them for a year (`immutable`): a new
# build is new names. The server reads the name from `asset-name`.
if [ "$profile" != dev ]; then
  hash=$(cat "$site/pkg/${name}_bg.wasm" "$site/pkg/$name.js" "$site/pkg/$name.css" | sha256sum | cut -c1-16)
  hashed="$name.$hash"
  mv "$site/pkg/${name}_bg.wasm" "$site/pkg/${hashed}_bg.wasm"
  mv "$site/pkg/$name.js" "$site/pkg/$hashed.js"
  mv "$site/pkg/$name.css" "$site/pkg/$hashed.css"
  printf '%s\n' "$hashed" > "$site/asset-name"
fi
cp -R public/. "$site/"

# Precompressed copies, served to browsers that accept them (tower-http's ServeDir).
for file in "$site"/pkg/*.js "$site"/pkg/*.wasm "$site"/pkg/*.css "$site"/*.svg; do
  [ -e "$file" ] || continue
  brotli --quality=11 --keep --force "$file"
  gzip -9 --keep --force "$file"
done
wasm=$(ls "$site"/pkg/*.wasm)
echo "==> site ready in $site: $(stat -c %s "$wasm") bytes of wasm, $(stat -c %s "$wasm.br") brotli, $(stat -c %s "$wasm.gz") gzip"
