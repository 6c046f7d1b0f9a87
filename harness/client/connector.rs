//! How a session opens its TCP connections: from this process's own network namespace with
//! tokio's connect (the default), or through a function the caller hands in, which connects
//! from elsewhere (a thread inside another network namespace: the socket belongs to the
//! namespace it was made in, whichever thread uses it later) and returns the std socket.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

/// Connects a blocking socket to an address within a time limit.
pub type ConnectFn = dyn Fn(SocketAddr, Duration) -> io::Result<std::net::TcpStream> + Send + Sync;

/// A caller's way of opening the session's connections.
#[derive(Clone)]
pub struct Connector(Arc<ConnectFn>);

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connector(..)")
    }
}

impl Connector {
    /// A connector that calls `connect` for each address `host:port` resolves to, in turn.
    pub fn new(
        connect: impl Fn(SocketAddr, Duration) -> io::Result<std::net::TcpStream>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        Self(Arc::new(connect))
    }

    /// Connects to `addr` (`host:port`) on a blocking thread (the connect function may wait
    /// for a thread of its own) and hands the socket to tokio.
    pub async fn connect(&self, addr: &str, timeout: Duration) -> io::Result<TcpStream> {
        let connect = self.0.clone();
        let addr = addr.to_string();
        let std = tokio::task::spawn_blocking(move || {
            let mut last = io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{addr} resolves to no address"),
            );
            for a in addr.to_socket_addrs()? {
                match connect(a, timeout) {
                    Ok(s) => return Ok(s),
                    Err(e) => last = e,
                }
            }
            Err(last)
        })
        .await
        .map_err(io::Error::other)??;
        std.set_nonblocking(true)?;
        TcpStream::from_std(std)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_callers_function_makes_the_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let seen = calls.clone();
        let c = Connector::new(move |a, t| {
            seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::net::TcpStream::connect_timeout(&a, t)
        });
        let s = c
            .connect(&addr.to_string(), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(s.peer_addr().unwrap(), addr);
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 1);
        drop(listener);
        let refused = c.connect(&addr.to_string(), Duration::from_secs(5)).await;
        assert!(refused.is_err());
    }
}
