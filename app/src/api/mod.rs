//! Server functions: each authenticates, authorises and makes one call into the
//! domain and store. Their `ssr`-only halves live in `crate::ssr`.
