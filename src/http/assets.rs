//! Serving `web/`: the files are embedded in release builds (read from disk in debug builds),
//! gzip-compressed once, sent with strong ETags, long-lived caching for versioned URLs, and the
//! security headers every page and asset carries.
//!
//! 2,000 phones loading the pupil page at once on auditorium Wi-Fi is the real join bottleneck,
//! so every byte is compressed and a repeat visit costs a 304 at most. Pages name their assets
//! as `/assets/…?v=__V__`: `__V__` is replaced by [`version`], a short hash of every embedded
//! file, so a versioned URL never changes content and can be cached for a year.

use std::io::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use flate2::write::GzEncoder;
use flate2::Compression;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

/// Everything under `web/`: embedded at compile time in release builds, read from disk in debug
/// builds (rust-embed's default), so a page can be edited and reloaded without a rebuild.
#[derive(RustEmbed)]
#[folder = "web/"]
struct Web;

/// Content-Security-Policy of every page and asset: nothing but Loupe itself, no inline script
/// or style, no framing, no `<base>`, forms only to Loupe. `connect-src` also names the page's
/// own WebSocket origin (`ws://HOST wss://HOST`, from the request's `Host`), because Safari
/// before 15.4 does not count a same-host WebSocket as `'self'`; never any other host. Without a
/// usable `Host` (or for the 404 page) it is `'self'` alone.
pub fn csp(host: Option<&str>) -> String {
    let connect = match host {
        Some(host) => format!("'self' ws://{host} wss://{host}"),
        None => "'self'".to_owned(),
    };
    format!(
        "default-src 'self'; img-src 'self' data:; connect-src {connect}; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// The request's `Host` (`name` or `name:port`, IPv6 in brackets), lower-cased, if it is one:
/// anything else would let a request write into the policy.
pub fn request_host(request: &HeaderMap) -> Option<String> {
    let host = request.get(header::HOST)?.to_str().ok()?.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    (!host.is_empty() && host.len() <= 255 && host.chars().all(allowed))
        .then(|| host.to_ascii_lowercase())
}

/// `Cache-Control` of a URL whose `?v=` is the current asset version: it never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else: keep it, but check the ETag before each use.
const REVALIDATE: &str = "no-cache";

/// One file ready to send: its bytes, their gzip form when that is smaller, and validators.
#[derive(Debug)]
pub struct Prepared {
    body: Bytes,
    gzip: Option<Bytes>,
    /// Hex SHA-256 prefix of `body`: the strong ETag (without quotes).
    hash: String,
    content_type: &'static str,
}

impl Prepared {
    /// Hashes `body` and compresses it if its type is text-like and gzip makes it smaller.
    pub fn new(body: Vec<u8>, content_type: &'static str) -> Prepared {
        let hash = hex::encode(&Sha256::digest(&body)[..16]);
        let gzip = compressible(content_type)
            .then(|| gzip(&body))
            .flatten()
            .filter(|z| z.len() < body.len())
            .map(Bytes::from);
        Prepared {
            body: Bytes::from(body),
            gzip,
            hash,
            content_type,
        }
    }
}

/// The file's type from its extension; text types say UTF-8.
fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    match ext.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/manifest+json")
        || content_type.starts_with("image/svg+xml")
}

fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 3), Compression::best());
    encoder.write_all(data).ok()?;
    encoder.finish().ok()
}

/// A short hash of every embedded file's name and content: the `?v=` of versioned URLs.
///
/// Computed once in release builds; in debug builds (files read from disk) on every call, so an
/// edited file gets a new version without a restart.
pub fn version() -> Arc<str> {
    #[cfg(not(debug_assertions))]
    {
        static VERSION: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();
        VERSION.get_or_init(compute_version).clone()
    }
    #[cfg(debug_assertions)]
    compute_version()
}

fn compute_version() -> Arc<str> {
    let mut names: Vec<_> = Web::iter().collect();
    names.sort();
    let mut hasher = Sha256::new();
    for name in names {
        if let Some(file) = Web::get(&name) {
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update(file.metadata.sha256_hash());
        }
    }
    Arc::from(&hex::encode(hasher.finalize())[..10])
}

/// An embedded asset by its path under `web/` (no page templates), prepared to send.
fn asset(path: &str) -> Option<Arc<Prepared>> {
    #[cfg(not(debug_assertions))]
    {
        static ASSETS: std::sync::OnceLock<std::collections::HashMap<String, Arc<Prepared>>> =
            std::sync::OnceLock::new();
        ASSETS
            .get_or_init(|| {
                Web::iter()
                    .filter_map(|name| Some((name.to_string(), Arc::new(prepare(&name)?))))
                    .collect()
            })
            .get(path)
            .cloned()
    }
    #[cfg(debug_assertions)]
    prepare(path).map(Arc::new)
}

fn prepare(path: &str) -> Option<Prepared> {
    let file = Web::get(path)?;
    Some(Prepared::new(file.data.into_owned(), content_type(path)))
}

/// The page `web/{name}.html` with `__V__` replaced by the asset version, prepared (hashed and
/// compressed) once for every request, like the assets: a page is the same for every session,
/// its script reads the join code from the address. In debug builds (files read from disk) it
/// is prepared on every call, so an edited page shows on reload. `None` when the page does not
/// exist (yet).
pub fn page(name: &str) -> Option<Arc<Prepared>> {
    #[cfg(not(debug_assertions))]
    {
        static PAGES: std::sync::OnceLock<std::collections::HashMap<String, Arc<Prepared>>> =
            std::sync::OnceLock::new();
        PAGES
            .get_or_init(|| {
                Web::iter()
                    .filter_map(|file| {
                        let name = file.strip_suffix(".html").filter(|n| !n.contains('/'))?;
                        Some((name.to_owned(), Arc::new(prepare_page(name)?)))
                    })
                    .collect()
            })
            .get(name)
            .cloned()
    }
    #[cfg(debug_assertions)]
    prepare_page(name).map(Arc::new)
}

fn prepare_page(name: &str) -> Option<Prepared> {
    let file = Web::get(&format!("{name}.html"))?;
    let text = String::from_utf8_lossy(&file.data).replace("__V__", &version());
    Some(Prepared::new(text.into_bytes(), content_type(".html")))
}

/// The asset path from the URL if it is a plain relative path: no empty, `.`/`..` or hidden
/// segment, no backslash, colon or NUL, and no page template (pages have their own routes).
fn clean(path: &str) -> Option<&str> {
    let plain = |segment: &str| {
        !segment.is_empty() && !segment.starts_with('.') && !segment.contains(['\\', ':', '\0'])
    };
    let ok = path.len() <= 200 && path.split('/').all(plain) && !path.ends_with(".html");
    ok.then_some(path)
}

/// `GET /assets/{*path}`: an embedded file, compressed when the client accepts gzip; immutable
/// when asked with the current `?v=`, else revalidated with its ETag. Anything else is a 404.
pub async fn serve(
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = path.ok();
    let Some(prepared) = path.as_deref().and_then(|p| clean(p)).and_then(asset) else {
        return super::pages::not_found().await;
    };
    let versioned = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .any(|pair| pair.strip_prefix("v=") == Some(&*version()));
    let cache = if versioned { IMMUTABLE } else { REVALIDATE };
    send(&prepared, &headers, cache)
}

/// Sends a page (`no-cache`, revalidated with its ETag).
pub fn send_page(prepared: &Prepared, headers: &HeaderMap) -> Response {
    send(prepared, headers, REVALIDATE)
}

/// The response for `prepared`: 304 when `If-None-Match` names its ETag, else the bytes (gzip
/// when accepted), with the validators and security headers.
fn send(prepared: &Prepared, request: &HeaderMap, cache: &'static str) -> Response {
    let gzip = prepared.gzip.as_ref().filter(|_| accepts_gzip(request));
    let etag = match gzip {
        Some(_) => format!("\"{}-gz\"", prepared.hash),
        None => format!("\"{}\"", prepared.hash),
    };
    let mut response = if none_match(request, &prepared.hash) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = gzip.unwrap_or(&prepared.body).clone();
        let mut response = body.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(prepared.content_type),
        );
        if gzip.is_some() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if prepared.gzip.is_some() {
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    security_headers(headers, request_host(request).as_deref());
    response
}

/// The headers every page and asset carries: no MIME sniffing, no referrer leaking a join code
/// to another site, nothing loaded from anywhere but Loupe (served to `host`, see [`csp`]),
/// never framed.
pub fn security_headers(headers: &mut HeaderMap, host: Option<&str>) {
    if let Ok(policy) = HeaderValue::from_str(&csp(host)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    let set = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Whether `Accept-Encoding` accepts gzip (`gzip`, `x-gzip` or `*`, with a q-value above 0).
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            matches!(coding.as_str(), "gzip" | "x-gzip" | "*") && !refused
        })
}

/// Whether `If-None-Match` names this content (`*`, or an ETag of either encoding, weak or not:
/// RFC 9110 compares `If-None-Match` weakly).
fn none_match(request: &HeaderMap, hash: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
            tag == "*" || tag.strip_suffix("-gz").unwrap_or(tag) == hash
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_refuses_traversal_and_odd_paths() {
        for bad in [
            "../Cargo.toml",
            "js/../../Cargo.toml",
            "/etc/passwd",
            "js//core.js",
            "js\\core.js",
            "C:/x.js",
            ".hidden",
            "",
            "pupil.html",
        ] {
            assert_eq!(clean(bad), None, "{bad:?}");
        }
        assert_eq!(clean("js/core.js"), Some("js/core.js"));
    }

    #[test]
    fn gzip_negotiation_and_etags() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&h));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc-gz\""),
        );
        assert!(none_match(&h, "abc"));
        assert!(!none_match(&h, "abd"));
    }

    #[test]
    fn text_types_say_utf8_and_compress() {
        assert_eq!(content_type("js/a.js"), "text/javascript; charset=utf-8");
        let big = "body { color: red; }\n".repeat(50).into_bytes();
        let prepared = Prepared::new(big.clone(), content_type("a.css"));
        assert!(prepared.gzip.as_ref().is_some_and(|z| z.len() < big.len()));
        assert_eq!(prepared.hash.len(), 32);
    }
}
