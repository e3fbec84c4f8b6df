//! Where a request came from: the client address and the request id, as
//! the audit log and the anonymous rate limit see them.
//!
//! - **Client address.** The socket peer, unless the peer is one of
//!   `POS_TRUSTED_PROXIES`. Only then are `Forwarded` (RFC 7239) and
//!   `X-Forwarded-For` read, right to left: each hop a trusted proxy added
//!   is skipped, and the first address no trusted proxy vouches for is the
//!   client. A header a client sends on a direct connection is ignored, and
//!   a value that is not an address is never stored.
//! - **Request id.** A client's `X-Request-Id` is kept only when it is at
//!   most 64 characters of `[A-Za-z0-9._-]`; anything else is replaced by a
//!   fresh UUID before the id is echoed, logged or audited.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::{Extensions, HeaderMap, header};
use ipnet::IpNet;

use super::REQUEST_ID;
use crate::audit::RequestOrigin;

/// The longest request id a client may choose.
const MAX_REQUEST_ID: usize = 64;

/// Whether `id` is safe to echo, log and store as a request id.
pub fn safe_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Middleware: drops a client's `X-Request-Id` that is not safe, so the
/// request-id layer behind it makes a fresh one.
pub async fn sanitize_request_id(mut request: Request) -> Request {
    let unsafe_id = request
        .headers()
        .get_all(REQUEST_ID)
        .iter()
        .enumerate()
        .any(|(i, v)| i > 0 || !v.to_str().is_ok_and(safe_request_id));
    if unsafe_id {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer, or with a trusted peer the first
    /// untrusted hop its forwarding headers name (right to left).
    pub fn client_address(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.trusts(peer) {
            return Some(peer);
        }
        // `Forwarded` wins over the older header when both are present.
        let hops = forwarded_hops(headers).or_else(|| x_forwarded_for_hops(headers));
        let Some(hops) = hops else {
            return Some(peer);
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            // A hop that is not an address ("unknown", an obfuscated
            // node, junk) ends what can be believed: the last trusted hop
            // stands as the client.
            let Some(ip) = hop else {
                return Some(client);
            };
            client = ip;
            if !self.trusts(ip) {
                return Some(ip);
            }
        }
        Some(client)
    }

    /// The client address and origin of an HTTP request (or of a
    /// WebSocket's upgrade request).
    pub fn origin(
        &self,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> (Option<IpAddr>, RequestOrigin) {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let client = self.client_address(peer, headers);
        let origin = RequestOrigin {
            client_ip: client.map(|ip| ip.to_string()),
            user_agent: header(header::USER_AGENT.as_str()),
            // Set (and sanitized) by the layers in front of every route.
            request_id: header(REQUEST_ID.as_str()).filter(|id| safe_request_id(id)),
        };
        (client, origin)
    }
}

/// IPv4-mapped IPv6 addresses (a dual-stack listener's view of an IPv4
/// peer) compared as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The `X-Forwarded-For` hops, left (first) to right (nearest), over all
/// the header's lines.
fn x_forwarded_for_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        hops.extend(text.split(',').map(|hop| parse_node(hop.trim())));
    }
    (!hops.is_empty()).then_some(hops)
}

/// The `for=` nodes of `Forwarded` (RFC 7239), left to right.
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for value in headers.get_all(header::FORWARDED) {
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in text.split(',') {
            let node = element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| value.trim().trim_matches('"'))
            });
            hops.push(node.and_then(parse_node));
        }
    }
    (!hops.is_empty()).then_some(hops)
}

/// An address as a forwarding header writes it: `192.0.2.1`,
/// `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(canonical(addr.ip()));
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn forwarding_headers_are_ignored_from_an_untrusted_peer() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("forwarded", "for=198.51.100.1"),
        ]);
        let none = TrustedProxies::default();
        assert_eq!(none.client_address(ip("192.0.2.9"), &h), ip("192.0.2.9"));
        let other = proxies(&["10.0.0.0/8"]);
        assert_eq!(other.client_address(ip("192.0.2.9"), &h), ip("192.0.2.9"));
    }

    #[test]
    fn a_trusted_proxy_names_the_first_untrusted_hop_from_the_right() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The client wrote a fake first hop; the proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.1.1")]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), &h),
            ip("203.0.113.7")
        );
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::17]:4711\";proto=https, for=10.2.2.2",
        )]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), &h),
            ip("2001:db8::17")
        );
    }

    #[test]
    fn junk_in_a_forwarding_header_is_never_the_address() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "not-an-ip <script>")]);
        assert_eq!(trusted.client_address(ip("10.0.0.2"), &h), ip("10.0.0.2"));
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(trusted.client_address(ip("10.0.0.2"), &h), ip("10.0.0.2"));
        // No header at all: the proxy itself.
        assert_eq!(
            trusted.client_address(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_proxies() {
        let trusted = proxies(&["127.0.0.1/32"]);
        let h = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(
            trusted.client_address(ip("::ffff:127.0.0.1"), &h),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn request_ids_are_kept_only_when_safe() {
        assert!(safe_request_id("abc-123_DEF.9"));
        assert!(safe_request_id(&"a".repeat(64)));
        assert!(!safe_request_id(&"a".repeat(65)));
        assert!(!safe_request_id(""));
        assert!(!safe_request_id("<script>"));
        assert!(!safe_request_id("a b"));
    }
}
