//! The built site on the wire: fingerprinted file names (`scripts/build-site.sh` writes
//! the name to `asset-name`), precompressed copies served as they are, a year of
//! browser caching for names that change with their content, and compression of the
//! dynamic answers that may be compressed.

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::{Extensions, HeaderMap, HeaderValue, Response, StatusCode, Version};
use axum::Router;
use leptos::prelude::LeptosOptions;
use std::path::Path;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Kept a year and never revalidated: the name changes whenever the content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The assets' base name: fingerprinted by a release build of the site, the plain
/// name for a development build (or none: the tests' router).
pub fn output_name(site_root: &str) -> String {
    std::fs::read_to_string(Path::new(site_root).join("asset-name"))
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty() && !name.contains(['/', '\\']))
        .unwrap_or_else(|| app::OUTPUT_NAME.to_string())
}

/// `/pkg`: the brotli or gzip copy when the browser accepts it, the file otherwise.
/// Only fingerprinted files that exist are marked immutable; a development build's
/// fixed names are revalidated on every load.
pub fn pkg(options: &LeptosOptions) -> Router {
    let fingerprinted = &*options.output_name != app::OUTPUT_NAME;
    let dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let cache = move |response: &Response<Body>| {
        let policy = if fingerprinted && response.status() == StatusCode::OK {
            IMMUTABLE
        } else {
            "no-cache"
        };
        Some(HeaderValue::from_static(policy))
    };
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, cache))
}

/// Marks an answer that carries a credential in its body (the token endpoint's): it is
/// never compressed.
#[derive(Debug, Clone, Copy)]
pub struct CarriesCredential;

/// Compressing a body that holds a secret next to text an attacker chose lets the
/// attacker read the secret from the compressed sizes (BREACH). The console's pages
/// and answers hold no secret an attacker could target that way: tokens travel in
/// cookies and headers, the page's CSP nonce changes with every answer, and a
/// cross-site page cannot make the browser send the session cookie (SameSite) to
/// measure anything. Defence in depth all the same: answers that set a cookie or
/// carry a token in their body are sent as they are; event streams are never
/// compressed (they must flush each event); images and tiny bodies are not worth it.
pub fn compression() -> CompressionLayer<impl Predicate> {
    let no_credentials = |_: StatusCode, _: Version, headers: &HeaderMap, extensions: &Extensions| {
        !headers.contains_key(SET_COOKIE) && extensions.get::<CarriesCredential>().is_none()
    };
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .compress_when(DefaultPredicate::new().and(no_credentials))
}
