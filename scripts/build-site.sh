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
sign_in=session-console-sign-in

dir=$profile
[ "$profile" = dev ] && dir=debug
rm -rf "$site"
mkdir -p "$site/pkg"

# Two bundles of the frontend crate: the console, and the sign-in page alone (its
# `sign-in` feature), which is all a first visit needs (docs/performance.md, "First load").
bundle() { # features, output name
  echo "==> building the frontend for wasm32 ($profile${1:+, $1})"
  cargo build --locked -p frontend --target wasm32-unknown-unknown --profile "$profile" ${1:+--features "$1"}
  wasm-bindgen "target/wasm32-unknown-unknown/$dir/frontend.wasm" \
    --target web --no-typescript --out-dir "$site/pkg" --out-name "$2"
  if [ "$profile" != dev ]; then
    tools/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$site/pkg/${2}_bg.wasm" -o "$site/pkg/${2}_bg.wasm"
  fi
}
bundle "" "$name"
bundle sign-in "$sign_in"
cat style/*.css > "$site/pkg/$name.css"

# Content-addressed names, so browsers may keep them for a year (`immutable`): a new
# build is new names, one fingerprint for both bundles. The server reads the console's
# name from `asset-name` and puts the sign-in page's beside it (`app::shell`).
if [ "$profile" != dev ]; then
  hash=$(cd "$site/pkg" && cat "${name}_bg.wasm" "$name.js" "${sign_in}_bg.wasm" "$sign_in.js" "$name.css" \
    | sha256sum | cut -c1-16)
  for base in "$name" "$sign_in"; do
    mv "$site/pkg/${base}_bg.wasm" "$site/pkg/$base.${hash}_bg.wasm"
    mv "$site/pkg/$base.js" "$site/pkg/$base.$hash.js"
  done
  mv "$site/pkg/$name.css" "$site/pkg/$name.$hash.css"
  printf '%s\n' "$name.$hash" > "$site/asset-name"
fi
cp -R public/. "$site/"

# Precompressed copies, served to browsers that accept them (tower-http's ServeDir).
for file in "$site"/pkg/*.js "$site"/pkg/*.wasm "$site"/pkg/*.css "$site"/*.svg; do
  [ -e "$file" ] || continue
  brotli --quality=11 --keep --force "$file"
  gzip -9 --keep --force "$file"
done
echo "==> site ready in $site"
for wasm in "$site"/pkg/*.wasm; do
  echo "    $(basename "$wasm"): $(stat -c %s "$wasm") bytes, $(stat -c %s "$wasm.br") brotli, $(stat -c %s "$wasm.gz") gzip"
done
