//! Connector classes that misbehave, one way each, for the sandbox tests.
//! Each has the endpoint keys `host`/`port`, so the sandbox allows exactly
//! that endpoint; `ForbiddenConnect` tries another.

use std::io::Write;
use std::time::{Duration, Instant};

use weir_sdk::{
    Config, ConfigKey, ConfigType, Connector, ConnectorDescriptor, ConnectorError, Schema, SourceRecord, SourceTask,
    export_connectors, net::Connection,
};

/// What a class does on `poll`.
#[derive(Clone, Copy)]
enum Misdeed {
    /// Spins forever in wasm.
    InfiniteLoop,
    /// Allocates without bound.
    MemoryBomb,
    /// Panics.
    Panic,
    /// Connects through the host interface to `forbidden.host:forbidden.port`.
    ForbiddenHostConnect,
    /// Connects through `std::net` (wasi:sockets) to `forbidden.host:forbidden.port`.
    ForbiddenSocketConnect,
    /// Opens a file.
    OpenFile,
    /// Returns a retriable error for `fail.times` polls, then records.
    Retriable,
    /// Returns a fatal error.
    Fatal,
}

struct Bad(&'static str, Misdeed);

impl Connector for Bad {
    fn descriptor(&self) -> ConnectorDescriptor {
        ConnectorDescriptor::source(self.0, "1.0.0")
            .key(ConfigKey::new("host", ConfigType::String).default_value("127.0.0.1"))
            .key(ConfigKey::new("port", ConfigType::Int).default_value("1"))
            .host_port_endpoint("host", "port", 1)
    }

    fn open_task(&self, _task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
        Ok(Box::new(BadTask { misdeed: self.1, config, polls: 0 }))
    }
}

struct BadTask {
    misdeed: Misdeed,
    config: Config,
    polls: u64,
}

fn forbidden(config: &Config) -> Result<(String, u16), ConnectorError> {
    let host = config.required("forbidden.host")?.to_string();
    let port = config.i64_or("forbidden.port", 80)? as u16;
    Ok((host, port))
}

impl SourceTask for BadTask {
    fn poll(&mut self, deadline: Instant) -> Result<Vec<SourceRecord>, ConnectorError> {
        self.polls += 1;
        match self.misdeed {
            Misdeed::InfiniteLoop => {
                let mut x: u64 = self.polls;
                loop {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            Misdeed::MemoryBomb => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            Misdeed::Panic => panic!("poll panicked on purpose (misbehaving test connector)"),
            Misdeed::ForbiddenHostConnect => {
                let (host, port) = forbidden(&self.config)?;
                let mut conn = Connection::connect(&host, port, Duration::from_secs(2))
                    .map_err(|e| ConnectorError::retriable(format!("connect failed: {e}")))?;
                conn.write_all(b"hello").map_err(ConnectorError::from)?;
                Ok(Vec::new())
            }
            Misdeed::ForbiddenSocketConnect => {
                let (host, port) = forbidden(&self.config)?;
                let addr: std::net::SocketAddr = format!("{host}:{port}")
                    .parse()
                    .map_err(|e| ConnectorError::fatal(format!("forbidden.host must be an IP: {e}")))?;
                let _ = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
                    .map_err(|e| ConnectorError::retriable(format!("connect failed: {e}")))?;
                Ok(Vec::new())
            }
            Misdeed::OpenFile => {
                let text = std::fs::read_to_string("/etc/passwd").expect("reading /etc/passwd");
                panic!("read {} bytes from the host filesystem", text.len());
            }
            Misdeed::Retriable => {
                let times = self.config.i64_or("fail.times", 2)? as u64;
                if self.polls <= times {
                    return Err(ConnectorError::retriable(format!("transient failure {} of {times}", self.polls)));
                }
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(50)));
                let topic = self.config.string_or("topic", "retriable");
                Ok(vec![
                    SourceRecord::new(topic, "{\"p\":0}", format!("{{\"n\":{}}}", self.polls))
                        .value(Some(Schema::int64().shared()), self.polls as i64),
                ])
            }
            Misdeed::Fatal => Err(ConnectorError::fatal("the connector gave up: fatal error on purpose")),
        }
    }
}

export_connectors!(
    Bad("test.InfiniteLoopConnector", Misdeed::InfiniteLoop),
    Bad("test.MemoryBombConnector", Misdeed::MemoryBomb),
    Bad("test.PanicConnector", Misdeed::Panic),
    Bad("test.ForbiddenHostConnectConnector", Misdeed::ForbiddenHostConnect),
    Bad("test.ForbiddenSocketConnectConnector", Misdeed::ForbiddenSocketConnect),
    Bad("test.OpenFileConnector", Misdeed::OpenFile),
    Bad("test.RetriableConnector", Misdeed::Retriable),
    Bad("test.FatalConnector", Misdeed::Fatal),
);
