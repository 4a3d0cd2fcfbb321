//! Connections and request bodies, bounded whatever clients send: a request's head must come
//! within the header timeout (hyper's timer, which also runs while a keep-alive connection
//! waits for its next request, so an idle connection closes then too), its body within the
//! body timeout, and the server holds at most `max_connections` connections and
//! `body_memory` bytes of request bodies at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request};
use axum::Router;
use futures_util::future::{select, Either};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt as _;

use crate::error::ApiError;

/// How much the server takes from clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's head once the connection is ready for one (new or idle).
    pub header_timeout: Duration,
    /// Time to send a request's whole body.
    pub body_timeout: Duration,
    /// Connections open at once (at most the open-file limit less 64).
    pub max_connections: usize,
    /// The largest request body, bytes.
    pub max_body: usize,
    /// Request bodies held at once, bytes.
    pub body_memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_body: crate::routes::BODY_LIMIT,
            body_memory: 256 << 20,
        }
    }
}

impl Limits {
    /// [`Limits::max_connections`], lowered to leave this process 64 files besides them.
    pub fn effective_connections(&self) -> usize {
        match open_file_limit() {
            Some(n) => self.max_connections.min(n.saturating_sub(64).max(16)),
            None => self.max_connections,
        }
    }
}

/// The soft limit on open files (Linux), if there is one.
fn open_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Accepts connections on `listener` and serves `app` on each until `stop` turns true; then
/// finishes the requests in flight (at most `grace`).
pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let slots = Arc::new(Semaphore::new(limits.effective_connections()));
    // Every connection holds a receiver: the sender's `closed` is when the last one ended.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let accepted = {
            let stopped = std::pin::pin!(async {
                let _ = stop.wait_for(|s| *s).await.map(|_| ());
            });
            match select(std::pin::pin!(listener.accept()), stopped).await {
                Either::Left((r, _)) => r,
                Either::Right(_) => break,
            }
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of files or a connection reset before it was taken: wait, go on.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            addr,
            app.clone(),
            limits.header_timeout,
            (slot, open_rx.clone(), stop.clone()),
        ));
    }
    drop(open_rx);
    if tokio::time::timeout(grace, open_tx.closed()).await.is_err() {
        tracing::warn!("connections still open after {} s: closed", grace.as_secs());
    }
}

/// What a connection holds while it is open: its slot, its mark among the open ones and the
/// server's stop signal.
type Held = (
    OwnedSemaphorePermit,
    watch::Receiver<()>,
    watch::Receiver<bool>,
);

async fn serve_connection(
    stream: TcpStream,
    addr: SocketAddr,
    app: Router,
    header_timeout: Duration,
    held: Held,
) {
    let (_slot, _open, mut stop) = held;
    // The client's address reaches the handlers (the sign-in limit counts per address too).
    let service = TowerToHyperService::new(app.map_request(
        move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(addr));
            req
        },
    ));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let mut conn = std::pin::pin!(builder.serve_connection(TokioIo::new(stream), service));
    let stopped = std::pin::pin!(async {
        // The guard `wait_for` returns is not held across the connection's await.
        let _ = stop.wait_for(|s| *s).await.map(|_| ());
    });
    match select(conn.as_mut(), stopped).await {
        Either::Left((r, _)) => {
            if let Err(e) = r {
                tracing::debug!(error = %e, %addr, "connection ended");
            }
        }
        Either::Right(_) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    };
}

/// A connection past the cap: told so and closed.
async fn refuse(mut stream: TcpStream) {
    let body = r#"{"error":{"code":"busy","message":"too many connections are open: try again in a moment"}}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(answer.as_bytes())).await;
}

/// The server's allowance of request bodies in memory, in KiB.
pub(crate) struct BodyBudget {
    kib: Arc<Semaphore>,
    total_kib: u32,
}

/// A request body's share of the allowance, given back when it is dropped.
pub(crate) struct BodyShare(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl BodyBudget {
    pub(crate) fn new(bytes: usize) -> Self {
        let total_kib = u32::try_from(bytes >> 10).unwrap_or(u32::MAX).max(1);
        Self {
            kib: Arc::new(Semaphore::new(total_kib as usize)),
            total_kib,
        }
    }
}

/// What a body will take in memory: twice its length (the bytes and what a group of them
/// becomes while it is parsed and written), all of the allowance at most.
fn charge_kib(len: usize, total_kib: u32) -> u32 {
    let kib = u32::try_from(len.saturating_mul(2) >> 10).unwrap_or(u32::MAX);
    kib.clamp(1, total_kib)
}

/// Reads a request's whole body within the limits: at most `max_body` bytes (413), within
/// the body timeout (408), once its share of the body allowance is free (waiting at most the
/// body timeout, then 503). The share is held until the returned [`BodyShare`] is dropped.
pub(crate) async fn read_body(
    limits: &Limits,
    budget: &BodyBudget,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Bytes, BodyShare), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || {
        let most = if limits.max_body >= 1 << 20 {
            format!("{} MiB", limits.max_body >> 20)
        } else {
            format!("{} bytes", limits.max_body)
        };
        ApiError::TooLarge(format!(
            "the request body is over {most}, the most this server takes (`max_body_mb`); \
             send the events in smaller requests"
        ))
    };
    if declared.is_some_and(|n| n > limits.max_body) {
        return Err(too_large());
    }
    let bodiless = matches!(*method, Method::GET | Method::HEAD | Method::DELETE);
    if declared == Some(0)
        || (declared.is_none() && bodiless && !headers.contains_key(header::TRANSFER_ENCODING))
    {
        return Ok((Bytes::new(), BodyShare(None)));
    }
    let kib = charge_kib(declared.unwrap_or(limits.max_body), budget.total_kib);
    let share = tokio::time::timeout(
        limits.body_timeout,
        Arc::clone(&budget.kib).acquire_many_owned(kib),
    )
    .await
    .map_err(|_| {
        ApiError::Busy(format!(
            "the server is reading {} MiB of other requests' bodies, its most at once \
             (`body_memory_mb`): retry in a moment",
            budget.total_kib >> 10
        ))
    })?
    .map_err(|_| ApiError::Unavailable)?;
    let bytes = tokio::time::timeout(
        limits.body_timeout,
        axum::body::to_bytes(body, limits.max_body),
    )
    .await
    .map_err(|_| {
        ApiError::SlowBody(format!(
            "the request body did not arrive within {} s (`body_timeout_s`)",
            limits.body_timeout.as_secs()
        ))
    })?
    .map_err(|e| {
        if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
        {
            too_large()
        } else {
            ApiError::BadRequest(format!("the request body could not be read: {e}"))
        }
    })?;
    Ok((bytes, BodyShare(Some(share))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_charged_twice_its_length_within_the_allowance() {
        assert_eq!(charge_kib(0, 1000), 1);
        assert_eq!(charge_kib(512 << 10, 4096), 1024);
        assert_eq!(charge_kib(64 << 20, 4096), 4096);
    }

    /// A body that takes the whole allowance makes the next wait; past the body timeout it is
    /// told 503 (retry), and once the first is handled the next is read.
    #[test]
    fn bodies_wait_for_the_allowance_then_are_told_to_retry() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(async {
            let limits = Limits {
                body_timeout: Duration::from_millis(200),
                body_memory: 1 << 20,
                ..Limits::default()
            };
            let budget = BodyBudget::new(limits.body_memory);
            let headers = |len: usize| {
                let mut h = HeaderMap::new();
                h.insert(header::CONTENT_LENGTH, len.into());
                h
            };
            let big = vec![b'x'; 600 << 10];
            let (bytes, share) = read_body(
                &limits,
                &budget,
                &Method::POST,
                &headers(big.len()),
                Body::from(big),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(bytes.len(), 600 << 10);
            let small = || Body::from(vec![b'y'; 100]);
            match read_body(&limits, &budget, &Method::POST, &headers(100), small()).await {
                Err(e @ ApiError::Busy(_)) => {
                    assert!(e.to_string().contains("body_memory_mb"), "{e}")
                }
                other => panic!("not busy: {:?}", other.map(|(b, _)| b.len())),
            }
            drop(share);
            let (bytes, _) = read_body(&limits, &budget, &Method::POST, &headers(100), small())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(bytes.len(), 100);
            // Over the limit without saying its length: 413 all the same.
            let limits = Limits {
                max_body: 1000,
                ..limits
            };
            let unsaid = Body::from(vec![b'z'; 2000]);
            match read_body(&limits, &budget, &Method::POST, &HeaderMap::new(), unsaid).await {
                Err(ApiError::TooLarge(m)) => assert!(m.contains("max_body_mb"), "{m}"),
                other => panic!("not 413: {:?}", other.map(|(b, _)| b.len())),
            }
        });
    }

    #[test]
    fn the_open_file_limit_is_read() {
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_some_and(|n| n > 0));
        }
        let l = Limits::default();
        assert!(l.effective_connections() <= l.max_connections);
    }
}
