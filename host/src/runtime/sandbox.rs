//! What an instance may do: the network endpoints it is granted, its memory
//! limit, its CPU budget per call, and nothing else (no filesystem, no
//! environment, stdout discarded, stderr kept for failure traces).

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::host_impl::HostServices;
use crate::plugin::EndpointKey;

/// Per-instance limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Linear memory, in bytes, summed over the instance's memories.
    pub memory_bytes: u64,
    /// CPU time spent executing one call.
    pub cpu_per_call: Duration,
}

/// The endpoints an instance may reach: those its config names, intersected
/// with the operator's allow-list.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// (lower-case host, port) pairs.
    endpoints: Vec<(String, u16)>,
    /// The granted endpoints' resolved addresses, for `wasi:sockets`.
    addresses: Vec<SocketAddr>,
}

impl Grants {
    /// Builds the grants from the endpoint keys a connector declares, its
    /// config, and the operator's allow-list (`*`, `host` or `host:port`).
    pub fn from_config(endpoints: &[EndpointKey], config: &BTreeMap<String, String>, operator: &[String]) -> Self {
        let mut named = Vec::new();
        for key in endpoints {
            match key {
                EndpointKey::HostPort { host_key, port_key, default_port } => {
                    let port = config.get(port_key).and_then(|p| p.trim().parse().ok()).unwrap_or(*default_port);
                    if let Some(hosts) = config.get(host_key) {
                        for host in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
                            // A host entry may carry its own port (`a:27017`).
                            match split_host_port(host) {
                                Some((h, p)) => named.push((h.to_ascii_lowercase(), p)),
                                None => named.push((host.to_ascii_lowercase(), port)),
                            }
                        }
                    }
                }
                EndpointKey::Uri(uri_key) => {
                    if let Some(uri) = config.get(uri_key) {
                        named.extend(hosts_of_uri(uri));
                    }
                }
            }
        }
        named.retain(|(host, port)| operator_allows(operator, host, *port));
        named.sort();
        named.dedup();
        let addresses = named.iter().filter_map(|(h, p)| (h.as_str(), *p).to_socket_addrs().ok()).flatten().collect();
        Self { endpoints: named, addresses }
    }

    /// Whether `host:port` is granted (by name, as the config names it).
    pub fn allows(&self, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        self.endpoints.iter().any(|(h, p)| *h == host && *p == port)
    }

    /// Whether a resolved address is granted (for `wasi:sockets`).
    pub fn allows_addr(&self, addr: &SocketAddr) -> bool {
        self.addresses.contains(addr)
    }

    /// The granted endpoints, for messages.
    pub fn describe(&self) -> String {
        if self.endpoints.is_empty() {
            return "none".into();
        }
        self.endpoints.iter().map(|(h, p)| format!("{h}:{p}")).collect::<Vec<_>>().join(", ")
    }
}

fn operator_allows(allow: &[String], host: &str, port: u16) -> bool {
    allow.iter().any(|entry| {
        let entry = entry.trim();
        if entry == "*" {
            return true;
        }
        match split_host_port(entry) {
            Some((h, p)) => h.eq_ignore_ascii_case(host) && p == port,
            None => entry.eq_ignore_ascii_case(host),
        }
    })
}

fn split_host_port(s: &str) -> Option<(&str, u16)> {
    if s.starts_with('[') {
        let end = s.find(']')?;
        let port = s[end + 1..].strip_prefix(':')?.parse().ok()?;
        return Some((&s[1..end], port));
    }
    let (h, p) = s.rsplit_once(':')?;
    if h.contains(':') {
        return None; // a bare IPv6 address
    }
    Some((h, p.parse().ok()?))
}

/// Hosts named by a URI such as `mongodb://u:p@a:27017,b/db?x=y`.
fn hosts_of_uri(uri: &str) -> Vec<(String, u16)> {
    let Some((scheme, rest)) = uri.split_once("://") else { return Vec::new() };
    let default_port = match scheme {
        "mongodb" => 27017,
        "postgres" | "postgresql" => 5432,
        "mysql" | "mariadb" => 3306,
        "http" => 80,
        "https" => 443,
        _ => 0,
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hosts
        .split(',')
        .filter(|h| !h.is_empty())
        .map(|h| {
            split_host_port(h).map_or((h.to_ascii_lowercase(), default_port), |(h, p)| (h.to_ascii_lowercase(), p))
        })
        .collect()
}

/// Everything a store holds for one instance.
pub struct StoreState {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) limiter: MemoryLimiter,
    pub(super) grants: Arc<Grants>,
    /// A sandbox violation seen during the current call (set by the socket
    /// check, which cannot trap): it fails the instance after the call.
    pub(super) violation: Arc<Mutex<Option<String>>>,
    /// Why the current call was stopped by a limit, if it was.
    pub(super) limit_hit: Option<String>,
    /// The calling thread's CPU time when the current call began.
    pub(super) call_started_cpu: Duration,
    pub(super) cpu_budget: Duration,
    pub(super) stderr: CapturedOutput,
    pub(super) services: HostServices,
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl StoreState {
    /// A state granting `grants` within `limits`.
    pub fn new(grants: Arc<Grants>, limits: Limits, services: HostServices) -> Self {
        let violation = Arc::new(Mutex::new(None));
        let stderr = CapturedOutput::default();
        let mut builder = WasiCtxBuilder::new();
        builder.stderr(stderr.clone()).allow_tcp(true).allow_udp(false).allow_ip_name_lookup(false);
        let check_grants = grants.clone();
        let check_violation = violation.clone();
        builder.socket_addr_check(move |addr, use_| {
            let allowed = match use_ {
                // Binding the wildcard address with an ephemeral port is what
                // a connect does implicitly; it reaches nothing by itself.
                SocketAddrUse::TcpBind => addr.ip().is_unspecified() && addr.port() == 0,
                SocketAddrUse::TcpConnect => check_grants.allows_addr(&addr),
                _ => false,
            };
            if !allowed {
                let message = format!(
                    "sandbox: {use_:?} to {addr} denied; this connector may reach only the endpoints its config names ({})",
                    check_grants.describe()
                );
                if let Ok(mut v) = check_violation.lock() {
                    v.get_or_insert(message);
                }
            }
            Box::pin(async move { allowed })
        });
        Self {
            wasi: builder.build(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter { max_bytes: limits.memory_bytes, exceeded: None },
            grants,
            violation,
            limit_hit: None,
            call_started_cpu: Duration::ZERO,
            cpu_budget: limits.cpu_per_call,
            stderr,
            services,
        }
    }
}

/// Caps each linear memory of an instance and remembers a refusal, so the
/// failure says "memory limit" rather than a bare trap.
pub struct MemoryLimiter {
    max_bytes: u64,
    pub(super) exceeded: Option<String>,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired as u64 > self.max_bytes {
            let message = format!(
                "memory limit exceeded: the plugin asked to grow its memory to {desired} bytes; its limit is {} bytes \
                 (set weir.sandbox.memory.max.bytes on the connector to change it)",
                self.max_bytes
            );
            self.exceeded = Some(message.clone());
            return Err(wasmtime::format_err!("{message}"));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// The last bytes a guest wrote to stderr (a panic message lands here),
/// shared with the failure trace.
#[derive(Clone, Default)]
pub struct CapturedOutput(Arc<Mutex<Vec<u8>>>);

const CAPTURE_LIMIT: usize = 16 * 1024;

impl CapturedOutput {
    /// What was captured, lossily decoded.
    pub fn text(&self) -> String {
        self.0.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }

    fn push(&self, bytes: &[u8]) {
        if let Ok(mut buf) = self.0.lock() {
            buf.extend_from_slice(bytes);
            if buf.len() > CAPTURE_LIMIT {
                let cut = buf.len() - CAPTURE_LIMIT;
                buf.drain(..cut);
            }
        }
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// CPU time consumed by the calling thread. Time a guest spends blocked in
/// a host call (waiting on a socket) is not CPU time, so an idle database
/// does not count against the budget while a spinning guest does.
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn grants_are_what_the_config_names() {
        let keys = [EndpointKey::HostPort {
            host_key: "database.hostname".into(),
            port_key: "database.port".into(),
            default_port: 5432,
        }];
        let grants = Grants::from_config(
            &keys,
            &config(&[("database.hostname", "DB.example"), ("database.port", "6543")]),
            &["*".into()],
        );
        assert!(grants.allows("db.example", 6543));
        assert!(!grants.allows("db.example", 5432));
        assert!(!grants.allows("other", 6543));
    }

    #[test]
    fn operator_allow_list_intersects() {
        let keys = [EndpointKey::Uri("mongodb.connection.string".into())];
        let cfg = config(&[("mongodb.connection.string", "mongodb://u:p@a:27017,b:27018/?replicaSet=rs0")]);
        let grants = Grants::from_config(&keys, &cfg, &["a".into(), "c:1".into()]);
        assert!(grants.allows("a", 27017));
        assert!(!grants.allows("b", 27018));
    }

    #[test]
    fn uri_hosts_take_default_ports() {
        assert_eq!(hosts_of_uri("mongodb://h/db"), vec![("h".to_string(), 27017)]);
        assert_eq!(hosts_of_uri("not a uri"), vec![]);
    }
}
