//! HTTP/1.1 on the wire, one request per connection: the request is written, the response
//! is read with every length bounded. The head may take [`MAX_HEAD`] bytes, the body the
//! caller's cap; a longer body ends the read at cap + 1 bytes with
//! [`ClientError::ResponseTooLarge`], whatever `Content-Length` or the chunks claim.
//! Every read and write runs against one deadline for the whole exchange.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use crate::ClientError;

/// Most bytes of a response head (status line and headers together).
pub const MAX_HEAD: usize = 16 * 1024;
/// Most header lines in a response head.
const MAX_HEADERS: usize = 64;
/// Most interim (1xx) responses skipped before the final one.
const MAX_INTERIM: usize = 4;
/// Longest chunk-size line.
const MAX_CHUNK_LINE: usize = 256;

/// A connection: plain TCP or TLS over TCP.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

/// A stream whose every read and write must finish before `deadline`.
pub(crate) struct Timed {
    stream: Stream,
    deadline: Instant,
}

impl Timed {
    pub(crate) fn new(stream: Stream, deadline: Instant) -> Self {
        Self { stream, deadline }
    }

    /// Sets the socket timeouts to what is left of the deadline, or fails if nothing is.
    fn arm(&self) -> io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::from(io::ErrorKind::TimedOut));
        }
        self.stream.tcp().set_read_timeout(Some(left))?;
        self.stream.tcp().set_write_timeout(Some(left))
    }
}

/// Socket timeouts surface as `WouldBlock` on Unix: both mean the deadline passed.
fn timed_out(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock => io::Error::from(io::ErrorKind::TimedOut),
        _ => e,
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        match &mut self.stream {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
        .map_err(timed_out)
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        match &mut self.stream {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
        .map_err(timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.arm()?;
        match &mut self.stream {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
        .map_err(timed_out)
    }
}

/// A response: status, content type, body.
#[derive(Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// `Content-Type`, lower-cased, as sent (parameters included).
    pub content_type: String,
    /// Every header as received, names lower-cased, in order (at most 64).
    pub headers: Vec<(String, String)>,
    /// The body, at most the cap the request was made with.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl core::fmt::Debug for HttpResponse {
    // Bodies may hold credentials and personal data: only their length is shown.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Maps an I/O error of an exchange to the client's error.
pub(crate) fn io_error(e: io::Error) -> ClientError {
    if e.kind() == io::ErrorKind::TimedOut {
        return ClientError::Timeout;
    }
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return ClientError::Tls(tls.clone());
    }
    ClientError::Io(e)
}

/// Writes the request head and body.
pub(crate) fn write_request(stream: &mut Timed, head: &str, body: &[u8]) -> io::Result<()> {
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// Reads one response. A 2xx body may take `cap` bytes, any other
/// [`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY).
pub(crate) fn read_response(stream: Timed, cap: usize) -> Result<HttpResponse, ClientError> {
    let mut reader = BufReader::with_capacity(8 * 1024, stream);
    let mut head_budget = MAX_HEAD;
    let mut interim = 0;
    let head = loop {
        let head = read_head(&mut reader, &mut head_budget)?;
        if (100..200).contains(&head.status) && head.status != 101 {
            interim += 1;
            if interim > MAX_INTERIM {
                return Err(ClientError::Malformed("too many interim responses"));
            }
            continue;
        }
        break head;
    };
    if head.status == 101 {
        return Err(ClientError::Malformed("unexpected protocol switch"));
    }
    let cap = if (200..300).contains(&head.status) {
        cap
    } else {
        crate::MAX_ERROR_BODY
    };
    let body = if head.status == 204 || head.status == 304 {
        Vec::new()
    } else {
        match head.framing {
            Framing::Chunked => read_chunked(&mut reader, cap, head_budget)?,
            Framing::Length(n) => read_exact_len(&mut reader, n, cap)?,
            Framing::Close => read_to_close(&mut reader, cap)?,
        }
    };
    Ok(HttpResponse {
        status: head.status,
        content_type: head.content_type,
        headers: head.headers,
        body,
    })
}

enum Framing {
    Chunked,
    Length(u64),
    Close,
}

struct Head {
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    framing: Framing,
}

/// Reads one line of at most `max` bytes (CRLF or LF), without its line end.
fn read_line<R: BufRead + ?Sized>(reader: &mut R, max: usize) -> Result<Vec<u8>, ClientError> {
    let mut line = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    Read::take(&mut *reader, limit)
        .read_until(b'\n', &mut line)
        .map_err(io_error)?;
    if line.last() != Some(&b'\n') {
        return Err(if line.len() > max {
            ClientError::Malformed("response head line too long")
        } else {
            ClientError::Malformed("connection closed inside the response head")
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}

fn read_head(reader: &mut impl BufRead, budget: &mut usize) -> Result<Head, ClientError> {
    let mut next_line = |reader: &mut dyn BufRead| -> Result<String, ClientError> {
        let line = read_line(&mut *reader, *budget)?;
        *budget = budget.saturating_sub(line.len() + 2);
        if *budget == 0 {
            return Err(ClientError::Malformed("response head too long"));
        }
        String::from_utf8(line).map_err(|_| ClientError::Malformed("response head is not text"))
    };
    let status_line = next_line(reader)?;
    let status = parse_status_line(&status_line)?;
    let mut content_type = String::new();
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut headers = Vec::new();
    loop {
        let line = next_line(reader)?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(ClientError::Malformed("too many response headers"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(ClientError::Malformed("response header without a colon"))?;
        let value = value.trim();
        headers.push((name.trim().to_ascii_lowercase(), value.to_owned()));
        if name.eq_ignore_ascii_case("content-type") {
            content_type = value.to_ascii_lowercase();
        } else if name.eq_ignore_ascii_case("content-length") {
            let n = parse_length(value)?;
            if length.is_some_and(|m| m != n) {
                return Err(ClientError::Malformed("conflicting Content-Length headers"));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if !value.eq_ignore_ascii_case("chunked") || chunked {
                return Err(ClientError::Malformed("unsupported Transfer-Encoding"));
            }
            chunked = true;
        }
    }
    let framing = match (chunked, length) {
        (true, Some(_)) => {
            return Err(ClientError::Malformed(
                "both Content-Length and Transfer-Encoding",
            ));
        }
        (true, None) => Framing::Chunked,
        (false, Some(n)) => Framing::Length(n),
        (false, None) => Framing::Close,
    };
    Ok(Head {
        status,
        content_type,
        headers,
        framing,
    })
}

fn parse_status_line(line: &str) -> Result<u16, ClientError> {
    let bad = ClientError::Malformed("malformed status line");
    let rest = line.strip_prefix("HTTP/1.").ok_or(bad)?;
    let mut parts = rest.splitn(3, ' ');
    let (Some(minor), Some(code)) = (parts.next(), parts.next()) else {
        return Err(ClientError::Malformed("malformed status line"));
    };
    if !matches!(minor, "0" | "1") || code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ClientError::Malformed("malformed status line"));
    }
    code.parse()
        .map_err(|_| ClientError::Malformed("malformed status line"))
}

fn parse_length(value: &str) -> Result<u64, ClientError> {
    if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ClientError::Malformed("malformed Content-Length"));
    }
    value
        .parse()
        .map_err(|_| ClientError::Malformed("malformed Content-Length"))
}

/// A body of declared length: refused before reading if it exceeds the cap.
fn read_exact_len(reader: &mut impl Read, n: u64, cap: usize) -> Result<Vec<u8>, ClientError> {
    if n > u64::try_from(cap).unwrap_or(u64::MAX) {
        return Err(ClientError::ResponseTooLarge { limit: cap });
    }
    // n <= cap, so it fits in usize.
    let len = usize::try_from(n).unwrap_or(cap);
    let mut body = Vec::with_capacity(len);
    reader.take(n).read_to_end(&mut body).map_err(io_error)?;
    if body.len() != len {
        return Err(ClientError::Malformed("connection closed inside the body"));
    }
    Ok(body)
}

/// A body that ends when the server closes: at most cap + 1 bytes are read.
fn read_to_close(reader: &mut impl Read, cap: usize) -> Result<Vec<u8>, ClientError> {
    let mut body = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut body)
        .map_err(io_error)?;
    if body.len() > cap {
        return Err(ClientError::ResponseTooLarge { limit: cap });
    }
    Ok(body)
}

/// A chunked body (RFC 9112 §7.1): the sum of the chunks is held to the cap, chunk
/// extensions are ignored, trailers are read and dropped within the head budget.
fn read_chunked(
    reader: &mut impl BufRead,
    cap: usize,
    mut trailer_budget: usize,
) -> Result<Vec<u8>, ClientError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader, MAX_CHUNK_LINE)?;
        let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
        let size_text = core::str::from_utf8(size_text)
            .map_err(|_| ClientError::Malformed("malformed chunk size"))?
            .trim();
        if size_text.is_empty()
            || size_text.len() > 16
            || !size_text.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(ClientError::Malformed("malformed chunk size"));
        }
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| ClientError::Malformed("malformed chunk size"))?;
        if size == 0 {
            break;
        }
        let room = cap.saturating_sub(body.len());
        if size > u64::try_from(room).unwrap_or(u64::MAX) {
            return Err(ClientError::ResponseTooLarge { limit: cap });
        }
        let before = body.len();
        reader.take(size).read_to_end(&mut body).map_err(io_error)?;
        if (body.len() - before) as u64 != size {
            return Err(ClientError::Malformed("connection closed inside a chunk"));
        }
        if !read_line(reader, 1)?.is_empty() {
            return Err(ClientError::Malformed("chunk not followed by CRLF"));
        }
    }
    loop {
        let line = read_line(reader, trailer_budget)?;
        if line.is_empty() {
            return Ok(body);
        }
        trailer_budget = trailer_budget.saturating_sub(line.len() + 2);
        if trailer_budget == 0 {
            return Err(ClientError::Malformed("response trailers too long"));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn body_of(raw: &[u8], cap: usize) -> Result<Vec<u8>, ClientError> {
        let mut reader = BufReader::new(raw);
        let mut budget = MAX_HEAD;
        let head = read_head(&mut reader, &mut budget)?;
        match head.framing {
            Framing::Chunked => read_chunked(&mut reader, cap, budget),
            Framing::Length(n) => read_exact_len(&mut reader, n, cap),
            Framing::Close => read_to_close(&mut reader, cap),
        }
    }

    #[test]
    fn frames_bodies_three_ways() {
        let cl = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
        assert_eq!(body_of(cl, 5).unwrap(), b"hello");
        let ch = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nT: v\r\n\r\n";
        assert_eq!(body_of(ch, 5).unwrap(), b"hello");
        let close = b"HTTP/1.0 200 OK\r\n\r\nhello";
        assert_eq!(body_of(close, 5).unwrap(), b"hello");
    }

    #[test]
    fn caps_every_framing_at_cap() {
        let too_large = |r: Result<Vec<u8>, ClientError>| {
            matches!(r, Err(ClientError::ResponseTooLarge { limit: 4 }))
        };
        assert!(too_large(body_of(
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
            4
        )));
        assert!(too_large(body_of(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            4
        )));
        assert!(too_large(body_of(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
            4
        )));
        assert!(too_large(body_of(b"HTTP/1.1 200 OK\r\n\r\nhello", 4)));
    }

    #[test]
    fn refuses_malformed_heads_and_chunks() {
        for raw in [
            &b"HTTP/2 200 OK\r\n\r\n"[..],
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"ICY 200 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
            b"HTTP/1.1 200 OK\r\nContent-Type: x",
        ] {
            assert!(
                matches!(body_of(raw, 1024), Err(ClientError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn bounds_the_head() {
        let mut raw = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        raw.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        raw.extend(b"\r\n\r\n");
        assert!(matches!(body_of(&raw, 10), Err(ClientError::Malformed(_))));
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for _ in 0..=MAX_HEADERS {
            many.extend(b"X: y\r\n");
        }
        many.extend(b"\r\n");
        assert!(matches!(body_of(&many, 10), Err(ClientError::Malformed(_))));
    }
}
