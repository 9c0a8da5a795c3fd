//! The HTTP side of the session check: reads the credential a request presents,
//! refuses foreign-origin writes, redirects page loads without a session, and hands
//! the outcome to server functions and API handlers through request extensions.

use super::guard::{is_cross_site, is_form, is_server_fn, malformed_arguments_are_bad_requests};
use super::{AppState, SecurityConfig};
use crate::error::AppError;
use crate::model::{Caller, Origin};
use crate::service::check::{self, Presented, Refusal};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{ACCEPT, AUTHORIZATION, COOKIE, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use std::net::SocketAddr;

const COOKIE_NAME: &str = "sc_session";
const SECURE_COOKIE_NAME: &str = "__Host-sc_session";
/// The browser's device token: this browser has signed in as the person before.
const DEVICE_COOKIE_NAME: &str = "sc_device";
const SECURE_DEVICE_COOKIE_NAME: &str = "__Host-sc_device";
/// A device token is kept a year.
const DEVICE_COOKIE_MAX_AGE: i64 = 365 * 24 * 3600;

/// What the session check concluded for this request.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per request, kept in place behind the request's Arc: boxing buys nothing"
)]
pub enum Auth {
    /// No credential was presented.
    Anonymous,
    Caller(Caller),
    /// A credential was presented and refused.
    Refused(Refusal),
}

/// Stored in the request's extensions by [`session_layer`], behind an `Arc` so that
/// handlers and server functions share it without copying.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub auth: Auth,
    pub presented: Option<Presented>,
    pub ip: String,
    user_agent: Option<HeaderValue>,
    /// The browser's device token, if it sent one.
    pub device: Option<String>,
}

/// A header's value as text, at most 512 characters (what the store keeps).
fn header_text(value: Option<&HeaderValue>) -> String {
    let text = value.and_then(|v| v.to_str().ok()).unwrap_or_default();
    // At most 512 characters; a header that short in bytes is copied whole (every request
    // with a session passes here).
    if text.len() <= 512 {
        text.to_string()
    } else {
        text.chars().take(512).collect()
    }
}

impl RequestContext {
    /// The client's `User-Agent`, read only by the paths that record it.
    pub fn user_agent(&self) -> String {
        header_text(self.user_agent.as_ref())
    }

    /// Where the request came from, for the audit log.
    pub fn origin(&self) -> Origin {
        Origin {
            ip: self.ip.clone(),
            user_agent: self.user_agent(),
        }
    }

    /// The caller, or the 401 error that says why there is none.
    pub fn caller(&self) -> Result<Caller, AppError> {
        self.caller_ref().cloned()
    }

    pub fn caller_ref(&self) -> Result<&Caller, AppError> {
        match &self.auth {
            Auth::Caller(c) => Ok(c),
            Auth::Refused(refusal) => Err(AppError::unauthorized(refusal.message())),
            Auth::Anonymous => Err(AppError::unauthorized("Sign in to continue.")),
        }
    }
}

pub fn cookie_name(security: &SecurityConfig) -> &'static str {
    if security.secure_cookies {
        SECURE_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, Path=/, and Secure with the `__Host-`
/// prefix when served over HTTPS. It lasts as long as the session may.
pub fn session_cookie(security: &SecurityConfig, token: &str, max_age_secs: i64) -> String {
    let secure = if security.secure_cookies { "; Secure" } else { "" };
    format!(
        "{}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}{secure}",
        cookie_name(security)
    )
}

/// The device cookie, sent with sign-ins only (SameSite=Strict): which browser this is.
pub fn device_cookie(security: &SecurityConfig, token: &str) -> String {
    let (name, secure) = if security.secure_cookies {
        (SECURE_DEVICE_COOKIE_NAME, "; Secure")
    } else {
        (DEVICE_COOKIE_NAME, "")
    };
    format!("{name}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={DEVICE_COOKIE_MAX_AGE}{secure}")
}

pub fn clear_cookie(security: &SecurityConfig) -> String {
    let secure = if security.secure_cookies { "; Secure" } else { "" };
    format!(
        "{}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{secure}",
        cookie_name(security)
    )
}

fn cookie_token<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The credential a request presents: a bearer token, else the session cookie.
pub fn presented_credential<'a>(
    headers: &'a HeaderMap,
    security: &SecurityConfig,
) -> Option<(&'a str, Presented)> {
    match bearer_token(headers) {
        Some(token) => Some((token, Presented::AccessToken)),
        None => cookie_token(headers, cookie_name(security)).map(|token| (token, Presented::Cookie)),
    }
}

/// The client's address: the socket peer, or the last hop the trusted proxy recorded.
pub fn client_ip(request: &Request, security: &SecurityConfig) -> String {
    if let Some(header) = &security.trusted_proxy_header {
        let forwarded = request
            .headers()
            .get(header.as_str())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Paths served without any check: the compiled site and static files.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/healthz" || path == "/readyz"
}

/// Pages anyone may open.
fn is_public_page(path: &str) -> bool {
    path == "/signin"
}

fn wants_html(request: &Request) -> bool {
    request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// What a page load shows when the session check itself failed: a plain page that says
/// what is wrong (the console cannot render without its database).
fn unavailable_page(error: AppError, assets: &str) -> Response {
    let (title, detail) = match error {
        AppError::Unavailable => (
            "Session Console can't reach its database",
            "Nothing is wrong with your session. Try again in a moment; if this goes on, tell the people who run Session Console.",
        ),
        _ => ("Something went wrong", "Session Console could not check your session. Try again in a moment."),
    };
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} | Session Console</title>\
         <link rel=\"stylesheet\" href=\"/pkg/{assets}.css\"></head><body><main class=\"centered-page\">\
         <h1>{title}</h1><p>{detail}</p></main></body></html>"
    );
    let mut response = (
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::response::Html(html),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; frame-ancestors 'none'"),
    );
    if let Some(secs) = error.retry_after_secs() {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            headers.insert(http::header::RETRY_AFTER, v);
        }
    }
    response
}

fn redirect(to: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

fn append_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// The middleware in front of every route.
pub async fn session_layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if is_asset(path) {
        return next.run(request).await;
    }
    if is_cross_site(request.method(), request.headers(), state.security.secure_cookies) {
        tracing::warn!(%path, "refused a cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site requests are refused").into_response();
    }
    let server_fn = is_server_fn(request.method(), path);
    if server_fn && !is_form(request.headers()) {
        return AppError::UnsupportedMediaType.into_response();
    }

    let ip = client_ip(&request, &state.security);
    let user_agent = request.headers().get(http::header::USER_AGENT).cloned();
    let credential = presented_credential(request.headers(), &state.security);
    let auth = match &credential {
        None => Auth::Anonymous,
        Some((token, presented)) => match check::check(&state, token, *presented, &ip).await {
            Ok(Ok(mut caller)) => {
                caller.origin = Origin {
                    ip: ip.clone(),
                    user_agent: header_text(user_agent.as_ref()),
                };
                Auth::Caller(caller)
            }
            Ok(Err(refusal)) => Auth::Refused(refusal),
            Err(error) if wants_html(&request) => {
                return unavailable_page(error, &state.leptos_options.output_name)
            }
            Err(error) => return error.into_response(),
        },
    };
    let presented = credential.map(|(_, p)| p);
    let refused_cookie = presented == Some(Presented::Cookie) && matches!(auth, Auth::Refused(_));

    let is_page_load = request.method() == Method::GET
        && !path.starts_with("/api/")
        && request
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if is_page_load {
        let early = match (&auth, is_public_page(path)) {
            (Auth::Caller(_), true) => Some(redirect("/")),
            (Auth::Refused(refusal), false) => Some(redirect(&refusal.sign_in_url())),
            (Auth::Anonymous, false) => Some(redirect("/signin")),
            _ => None,
        };
        if let Some(mut response) = early {
            if refused_cookie {
                append_cookie(&mut response, &clear_cookie(&state.security));
            }
            return response;
        }
    }

    let device_name = if state.security.secure_cookies {
        SECURE_DEVICE_COOKIE_NAME
    } else {
        DEVICE_COOKIE_NAME
    };
    let device = cookie_token(request.headers(), device_name).map(str::to_string);
    let context = RequestContext {
        auth,
        presented,
        ip,
        user_agent,
        device,
    };
    request.extensions_mut().insert(std::sync::Arc::new(context));
    let mut response = next.run(request).await;
    if server_fn {
        response = malformed_arguments_are_bad_requests(response).await;
    }
    // Server calls leave a refused cookie in place: the page load that follows their
    // 401 redirects to the sign-in page with the reason, and clears it then.
    if refused_cookie && is_page_load {
        append_cookie(&mut response, &clear_cookie(&state.security));
    }
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match &self {
            AppError::InvalidInput(fields) => {
                serde_json::json!({ "error": self.to_string(), "fields": fields })
            }
            _ => serde_json::json!({ "error": self.to_string() }),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs() {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::super::guard::headers;
    use super::*;

    #[test]
    fn cookies_are_hardened_and_named_for_the_scheme() {
        let plain = SecurityConfig::default();
        let cookie = session_cookie(&plain, "tok", 60);
        assert_eq!(
            cookie,
            "sc_session=tok; HttpOnly; SameSite=Lax; Path=/; Max-Age=60"
        );
        let https = SecurityConfig {
            secure_cookies: true,
            ..Default::default()
        };
        assert!(session_cookie(&https, "tok", 60).starts_with("__Host-sc_session=tok;"));
        assert!(session_cookie(&https, "tok", 60).ends_with("; Secure"));
        assert!(clear_cookie(&https).contains("Max-Age=0"));
    }

    #[test]
    fn credentials_are_read_from_cookie_and_bearer() {
        let h = headers(&[
            ("cookie", "a=1; sc_session=abc; b=2"),
            ("authorization", "Bearer xyz"),
        ]);
        assert_eq!(cookie_token(&h, "sc_session"), Some("abc"));
        assert_eq!(cookie_token(&h, "__Host-sc_session"), None);
        assert_eq!(bearer_token(&h), Some("xyz"));
        assert_eq!(bearer_token(&headers(&[("authorization", "Basic xyz")])), None);
    }
}
