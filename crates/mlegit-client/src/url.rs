//! The URLs the client accepts: `https://host[:port][/path]`, and `http://...` only when
//! plain HTTP was allowed explicitly. No user info, no fragment; the path is kept as a
//! prefix of every request path.

use crate::ClientError;

/// Which transport a URL asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// TLS (rustls), port 443 by default.
    Https,
    /// Plain TCP, port 80 by default; refused unless allowed.
    Http,
}

/// A parsed base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    /// The scheme.
    pub scheme: Scheme,
    /// The host as written, without brackets for IPv6 (`::1`, `issuer.example`).
    pub host: String,
    /// The port (default for the scheme if not written).
    pub port: u16,
    /// The path prefix without a trailing `/` (`""` or `/v1/status`).
    pub path: String,
}

impl BaseUrl {
    /// Parses `url`; a query or fragment is refused, as is anything but http(s).
    pub fn parse(url: &str) -> Result<Self, ClientError> {
        let (scheme, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
            (Scheme::Http, rest)
        } else {
            return Err(ClientError::InvalidUrl("the URL must start with https://"));
        };
        if rest.contains(['?', '#']) {
            return Err(ClientError::InvalidUrl(
                "the URL must not have a query or a fragment",
            ));
        }
        if rest.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
            return Err(ClientError::InvalidUrl(
                "the URL has a space or control character",
            ));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(ClientError::InvalidUrl("the URL must not carry user info"));
        }
        let default_port = match scheme {
            Scheme::Https => 443,
            Scheme::Http => 80,
        };
        let (host, port) = split_host_port(authority, default_port)?;
        Ok(Self {
            scheme,
            host,
            port,
            path: path.trim_end_matches('/').to_owned(),
        })
    }

    /// `host:port` as a `Host` header and a socket address string (IPv6 bracketed).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

fn split_host_port(authority: &str, default_port: u16) -> Result<(String, u16), ClientError> {
    let bad_port = ClientError::InvalidUrl("the port must be a number from 1 to 65535");
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or(ClientError::InvalidUrl("unclosed [ in the host"))?;
        if host.parse::<core::net::Ipv6Addr>().is_err() {
            return Err(ClientError::InvalidUrl("[...] must hold an IPv6 address"));
        }
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':').ok_or(bad_port)?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(ClientError::InvalidUrl("the URL has no host"));
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && !p.starts_with('+') => n,
            _ => {
                return Err(ClientError::InvalidUrl(
                    "the port must be a number from 1 to 65535",
                ));
            }
        },
    };
    Ok((host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_what_servers_publish() {
        let u = BaseUrl::parse("https://issuer.example/v1/status").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port, u.path.as_str()),
            (Scheme::Https, "issuer.example", 443, "/v1/status")
        );
        let u = BaseUrl::parse("http://127.0.0.1:8787/").unwrap();
        assert_eq!(
            (u.scheme, u.port, u.path.as_str()),
            (Scheme::Http, 8787, "")
        );
        assert_eq!(u.authority(), "127.0.0.1:8787");
        let u = BaseUrl::parse("HTTPS://[::1]:4443").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 4443));
        assert_eq!(u.authority(), "[::1]:4443");
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for bad in [
            "ftp://x",
            "issuer.example",
            "https://",
            "https://:443",
            "https://h:0",
            "https://h:65536",
            "https://h:+1",
            "https://h:x",
            "https://user@h",
            "https://h/p?q=1",
            "https://h/p#f",
            "https://h/a b",
            "https://[zz]:1",
            "https://[::1",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
