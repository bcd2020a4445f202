//! Outbound HTTP from the component: allowed only to origins listed with
//! `--allow-outbound` (or `CLIMBING_ALLOW_OUTBOUND`), like Spin's
//! `allowed_outbound_hosts`; anything else gets `HttpRequestDenied`.

use anyhow::{anyhow, bail, Context, Result};
use http_body_util::BodyExt;
use std::future::Future;
use std::sync::Arc;
use wasmtime::component::Linker;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks, WasiHttpView};

/// Comma-separated allowed origins, for setups that configure the host through
/// its environment.
pub const ENV_ALLOW_OUTBOUND: &str = "CLIMBING_ALLOW_OUTBOUND";

/// Links `wasi:http` (outgoing requests included) to a request's state, whose
/// [`WasiHttpView`] carries the [`OutboundHooks`] that apply the allow list.
pub fn add_to_linker<T: WasiHttpView + 'static>(linker: &mut Linker<T>) -> Result<()> {
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn of(uri: &http::Uri) -> Option<Self> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let host = uri.host()?.to_ascii_lowercase();
        let port = match uri.port_u16() {
            Some(p) => p,
            None => default_port(&scheme)?,
        };
        Some(Self { scheme, host, port })
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// The origins (scheme, host, port) the component may call.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    origins: Vec<Origin>,
}

impl AllowList {
    /// Parses URLs such as `https://issuer.example.com` or `http://127.0.0.1:8080/`;
    /// any path is ignored, the port defaults by scheme.
    pub fn parse<S: AsRef<str>>(urls: impl IntoIterator<Item = S>) -> Result<Self> {
        let mut origins = Vec::new();
        for url in urls {
            let url = url.as_ref().trim();
            if url.is_empty() {
                continue;
            }
            let uri: http::Uri = url
                .parse()
                .with_context(|| format!("invalid --allow-outbound URL {url:?}"))?;
            let scheme = uri.scheme_str().ok_or_else(|| {
                anyhow!("--allow-outbound {url:?} needs a scheme (http:// or https://)")
            })?;
            if default_port(&scheme.to_ascii_lowercase()).is_none() {
                bail!("--allow-outbound {url:?}: only http and https are supported");
            }
            origins.push(
                Origin::of(&uri).ok_or_else(|| anyhow!("--allow-outbound {url:?} needs a host"))?,
            );
        }
        Ok(Self { origins })
    }

    pub fn allows(&self, uri: &http::Uri) -> bool {
        Origin::of(uri).is_some_and(|o| self.origins.contains(&o))
    }

    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    pub fn describe(&self) -> String {
        self.origins
            .iter()
            .map(|o| format!("{}://{}:{}", o.scheme, o.host, o.port))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The wasi-http hooks of a request's store: the allow-list in front of the
/// default (hyper + rustls) client.
pub struct OutboundHooks {
    pub allow: Arc<AllowList>,
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                ),
                wasmtime_wasi_http::Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> SendFuture {
        drop(fut);
        if !self.allow.allows(request.uri()) {
            eprintln!(
                "climbing-host: denied outbound request to {} (not in --allow-outbound)",
                request.uri()
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    #[test]
    fn matches_scheme_host_and_port() {
        let list =
            AllowList::parse(["https://issuer.example.com", "http://127.0.0.1:8080/jwks"]).unwrap();
        assert!(list.allows(&uri("https://issuer.example.com/.well-known/jwks.json")));
        assert!(list.allows(&uri("https://ISSUER.example.com:443/x")));
        assert!(list.allows(&uri("http://127.0.0.1:8080/other")));
        assert!(
            !list.allows(&uri("http://issuer.example.com/")),
            "scheme differs"
        );
        assert!(
            !list.allows(&uri("https://issuer.example.com:8443/")),
            "port differs"
        );
        assert!(
            !list.allows(&uri("https://evil.example.com/")),
            "host differs"
        );
        assert!(
            !list.allows(&uri("https://issuer.example.com.evil.net/")),
            "suffix trick"
        );
        assert!(
            !list.allows(&uri("http://127.0.0.1/")),
            "default port differs"
        );
        assert!(!list.allows(&uri("/relative")));
    }

    #[test]
    fn empty_list_denies_everything() {
        let list = AllowList::parse(Vec::<String>::new()).unwrap();
        assert!(list.is_empty());
        assert!(!list.allows(&uri("https://example.com/")));
    }

    #[test]
    fn rejects_bad_entries() {
        assert!(AllowList::parse(["example.com"]).is_err());
        assert!(AllowList::parse(["ftp://example.com"]).is_err());
        assert!(AllowList::parse(["https://"]).is_err());
    }

    #[tokio::test]
    async fn denied_request_never_leaves_the_host() {
        let mut hooks = OutboundHooks {
            allow: Arc::new(AllowList::parse(["https://allowed.example"]).unwrap()),
        };
        let body = http_body_util::Empty::new()
            .map_err(|never: std::convert::Infallible| match never {})
            .boxed_unsync();
        let request = http::Request::get("https://denied.example/x")
            .body(body)
            .unwrap();
        let result =
            std::pin::Pin::from(hooks.send_request(request, None, Box::new(async { Ok(()) })))
                .await;
        assert!(matches!(
            result,
            Err(wasmtime_wasi_http::Error::HttpRequestDenied)
        ));
    }
}
