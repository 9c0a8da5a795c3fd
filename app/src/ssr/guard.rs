//! What the session layer refuses before any handler runs: state-changing requests
//! from other sites, and server-function calls in an encoding they do not take; and
//! malformed server-function arguments answered as the client's error, not ours.

use crate::error::AppError;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, HOST, ORIGIN};
use http::{HeaderMap, Method, StatusCode};

/// A state-changing request sent by a browser from another site. Browsers label
/// requests with `Sec-Fetch-Site` and `Origin`; either saying cross-site refuses it.
/// `Origin` must match this server's scheme, host and port exactly. Non-browser
/// clients send neither and carry no ambient cookie, so they are not at risk.
pub fn is_cross_site(method: &Method, headers: &HeaderMap, https: bool) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
    };
    let fetch_site_foreign =
        text("sec-fetch-site").is_some_and(|site| !matches!(site, "same-origin" | "none"));
    let origin_foreign = text(ORIGIN.as_str()).is_some_and(|origin| {
        let scheme = if https { "https" } else { "http" };
        origin != format!("{scheme}://{}", text(HOST.as_str()).unwrap_or_default())
    });
    fetch_site_foreign || origin_foreign
}

/// A call of one of the console's server functions (the JSON API is under `/api/v1/`).
pub fn is_server_fn(method: &Method, path: &str) -> bool {
    method == Method::POST && path.starts_with("/api/") && !path.starts_with("/api/v1/")
}

/// The server functions take their arguments form-encoded, as the console sends them.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Leptos answers arguments it cannot decode with 500; they are the client's mistake.
pub async fn malformed_arguments_are_bad_requests(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return AppError::Internal.into_response();
    };
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(AppError::Request(message)) => AppError::Request(message).into_response(),
        _ => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// Request headers from pairs, for tests.
#[cfg(test)]
pub(crate) fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(
            *k,
            http::HeaderValue::from_str(v).unwrap_or(http::HeaderValue::from_static("")),
        );
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_origins_are_cross_site_for_writes_only() {
        let foreign = headers(&[("origin", "https://evil.example"), ("host", "console.example")]);
        assert!(is_cross_site(&Method::POST, &foreign, false));
        assert!(!is_cross_site(&Method::GET, &foreign, false));
        let same = headers(&[("origin", "http://console.example"), ("host", "console.example")]);
        assert!(!is_cross_site(&Method::POST, &same, false));
        assert!(is_cross_site(
            &Method::POST,
            &headers(&[("sec-fetch-site", "cross-site")]),
            false
        ));
        assert!(is_cross_site(
            &Method::POST,
            &headers(&[("sec-fetch-site", "same-site")]),
            false
        ));
        assert!(!is_cross_site(
            &Method::POST,
            &headers(&[("sec-fetch-site", "same-origin")]),
            false
        ));
        assert!(
            !is_cross_site(&Method::POST, &headers(&[]), false),
            "curl and other non-browser clients"
        );
    }

    #[test]
    fn the_origin_must_match_scheme_host_and_port() {
        let https = headers(&[("origin", "https://console.example"), ("host", "console.example")]);
        assert!(
            is_cross_site(&Method::POST, &https, false),
            "https origin on an http server"
        );
        assert!(!is_cross_site(&Method::POST, &https, true));
        let port = headers(&[
            ("origin", "http://console.example:8080"),
            ("host", "console.example"),
        ]);
        assert!(is_cross_site(&Method::POST, &port, false));
        let opaque = headers(&[("origin", "null"), ("host", "console.example")]);
        assert!(is_cross_site(&Method::POST, &opaque, false));
    }

    #[test]
    fn either_signal_saying_cross_site_wins() {
        let mixed = headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://evil.example"),
            ("host", "console.example"),
        ]);
        assert!(is_cross_site(&Method::POST, &mixed, false));
    }

    #[test]
    fn server_functions_take_forms_only() {
        assert!(is_form(&headers(&[(
            "content-type",
            "application/x-www-form-urlencoded"
        )])));
        assert!(is_form(&headers(&[(
            "content-type",
            "application/x-www-form-urlencoded; charset=UTF-8"
        )])));
        assert!(!is_form(&headers(&[("content-type", "text/plain")])));
        assert!(!is_form(&headers(&[])));
        assert!(is_server_fn(&Method::POST, "/api/iam_update_setting"));
        assert!(!is_server_fn(&Method::POST, "/api/v1/auth/token"));
        assert!(!is_server_fn(&Method::GET, "/api/me"));
    }
}
