//! The contract's proof: a small connector that speaks PostgreSQL's
//! streaming replication protocol through the host's connection interface
//! and turns `pgoutput` inserts into records. Trust authentication only; the
//! full connector (auth, snapshots, every type) is `plugins/postgres`.
//!
//! The slot and publication are made by the test; the task starts
//! replication from the slot, emits one record per inserted row when its
//! transaction commits, and confirms the commit LSN when the host commits.

mod pgwire;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir_sdk::{
    CommittedOffset, Config, ConfigKey, ConfigType, Connector, ConnectorDescriptor, ConnectorError, Schema,
    SourceRecord, SourceTask, Value, export_connectors,
    net::{Connection, TlsVerify},
};

use pgwire::{Backend, Reader};

struct PgProof;

impl Connector for PgProof {
    fn descriptor(&self) -> ConnectorDescriptor {
        ConnectorDescriptor::source("weir.test.PgProofConnector", "0.1.0")
            .key(ConfigKey::new("database.hostname", ConfigType::String))
            .key(ConfigKey::new("database.port", ConfigType::Int).default_value("5432"))
            .key(ConfigKey::new("database.user", ConfigType::String))
            .key(ConfigKey::new("database.dbname", ConfigType::String))
            .key(ConfigKey::new("topic.prefix", ConfigType::String))
            .key(ConfigKey::new("slot.name", ConfigType::String))
            .key(ConfigKey::new("publication.name", ConfigType::String))
            .key(ConfigKey::new("database.sslmode", ConfigType::String).default_value("disable").one_of(&[
                "disable",
                "require",
                "verify-ca",
                "verify-full",
            ]))
            .key(ConfigKey::new("database.sslrootcert.pem", ConfigType::String).default_value(""))
            .host_port_endpoint("database.hostname", "database.port", 5432)
    }

    fn open_task(&self, _task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
        let host = config.required("database.hostname")?.to_string();
        let port = config.i64_or("database.port", 5432)? as u16;
        let user = config.required("database.user")?.to_string();
        let dbname = config.required("database.dbname")?.to_string();
        let prefix = config.required("topic.prefix")?.to_string();
        let slot = config.required("slot.name")?.to_string();
        let publication = config.required("publication.name")?.to_string();

        let conn = Connection::connect(&host, port, Duration::from_secs(5))
            .map_err(|e| ConnectorError::retriable(format!("cannot connect to {host}:{port}: {e}")))?;
        let mut backend = Backend::new(conn);
        let verify = match config.string_or("database.sslmode", "disable").as_str() {
            "require" => Some(TlsVerify::None),
            "verify-ca" => Some(TlsVerify::Ca),
            "verify-full" => Some(TlsVerify::Full),
            _ => None,
        };
        if let Some(verify) = verify {
            let root = config.string_or("database.sslrootcert.pem", "");
            backend.start_tls(verify, (!root.is_empty()).then_some(root.as_str()))?;
        }
        backend.startup(&[("user", &user), ("database", &dbname), ("replication", "database")])?;
        let partition = format!("{{\"server\":{}}}", serde_json::Value::from(prefix.clone()));
        let start = match weir_sdk::host::committed_offset(&partition) {
            Some(offset) => {
                let v: serde_json::Value = serde_json::from_str(&offset)
                    .map_err(|e| ConnectorError::fatal(format!("bad committed offset {offset}: {e}")))?;
                v.get("lsn").and_then(serde_json::Value::as_u64).unwrap_or(0)
            }
            None => 0,
        };
        backend.start_replication(&slot, start, &publication)?;
        Ok(Box::new(PgProofTask {
            backend,
            prefix,
            partition,
            relations: HashMap::new(),
            pending: Vec::new(),
            in_tx: false,
        }))
    }
}

struct Relation {
    topic: String,
    schema: Arc<Schema>,
}

struct PgProofTask {
    backend: Backend,
    prefix: String,
    partition: String,
    relations: HashMap<u32, Relation>,
    /// Rows of the open transaction, emitted at its commit.
    pending: Vec<(u32, Vec<Option<String>>)>,
    in_tx: bool,
}

impl SourceTask for PgProofTask {
    fn poll(&mut self, deadline: Instant) -> Result<Vec<SourceRecord>, ConnectorError> {
        let mut out = Vec::new();
        loop {
            let now = Instant::now();
            if now >= deadline || (!out.is_empty() && !self.in_tx) {
                return Ok(out);
            }
            let Some(data) = self.backend.next_copy_data(deadline - now)? else { continue };
            let mut r = Reader::new(&data);
            match r.u8()? {
                b'w' => {
                    let _wal_start = r.u64()?;
                    let _wal_end = r.u64()?;
                    let _sent = r.u64()?;
                    self.decode(r.rest(), &mut out)?;
                }
                b'k' => {
                    let wal_end = r.u64()?;
                    let _sent = r.u64()?;
                    if r.u8()? == 1 {
                        self.backend.standby_status(wal_end.min(self.backend.confirmed), self.backend.confirmed)?;
                    }
                }
                other => return Err(ConnectorError::fatal(format!("unexpected replication message {other}"))),
            }
        }
    }

    fn commit(&mut self, offsets: &[CommittedOffset]) -> Result<(), ConnectorError> {
        for o in offsets {
            let v: serde_json::Value =
                serde_json::from_str(&o.source_offset).map_err(|e| ConnectorError::fatal(e.to_string()))?;
            if let Some(lsn) = v.get("lsn").and_then(serde_json::Value::as_u64) {
                self.backend.confirmed = self.backend.confirmed.max(lsn);
            }
        }
        let confirmed = self.backend.confirmed;
        self.backend.standby_status(confirmed, confirmed)
    }
}

impl PgProofTask {
    fn decode(&mut self, msg: &[u8], out: &mut Vec<SourceRecord>) -> Result<(), ConnectorError> {
        let mut r = Reader::new(msg);
        match r.u8()? {
            b'B' => {
                self.in_tx = true;
                self.pending.clear();
            }
            b'R' => {
                let id = r.u32()?;
                let namespace = r.cstr()?;
                let name = r.cstr()?;
                let _replica_identity = r.u8()?;
                let ncols = r.u16()?;
                let mut value = Schema::structure(format!("{}.{}.{}.Value", self.prefix, namespace, name));
                for _ in 0..ncols {
                    let _flags = r.u8()?;
                    let col = r.cstr()?;
                    let _type_oid = r.u32()?;
                    let _typmod = r.u32()?;
                    value = value.field(col, Schema::string().optional());
                }
                let topic = format!("{}.{}.{}", self.prefix, namespace, name);
                self.relations.insert(id, Relation { topic, schema: value.shared() });
            }
            b'I' => {
                let id = r.u32()?;
                if r.u8()? != b'N' {
                    return Err(ConnectorError::fatal("insert without a new tuple"));
                }
                let ncols = r.u16()?;
                let mut cols = Vec::with_capacity(ncols as usize);
                for _ in 0..ncols {
                    match r.u8()? {
                        b'n' | b'u' => cols.push(None),
                        b't' => {
                            let len = r.u32()? as usize;
                            let bytes = r.take(len)?;
                            cols.push(Some(String::from_utf8_lossy(bytes).into_owned()));
                        }
                        other => return Err(ConnectorError::fatal(format!("unknown tuple column kind {other}"))),
                    }
                }
                self.pending.push((id, cols));
            }
            b'C' => {
                let _flags = r.u8()?;
                let commit_lsn = r.u64()?;
                let end_lsn = r.u64()?;
                let commit_ts = r.u64()? as i64;
                let offset = format!("{{\"lsn\":{end_lsn},\"commit_lsn\":{commit_lsn}}}");
                for (id, cols) in self.pending.drain(..) {
                    let relation = self
                        .relations
                        .get(&id)
                        .ok_or_else(|| ConnectorError::fatal(format!("insert for unknown relation {id}")))?;
                    let value = Value::Struct(cols.into_iter().map(Value::from).collect());
                    // pgoutput timestamps are microseconds since 2000-01-01.
                    let millis = commit_ts / 1000 + 946_684_800_000;
                    out.push(
                        SourceRecord::new(relation.topic.as_str(), self.partition.as_str(), &offset)
                            .value(Some(relation.schema.clone()), value)
                            .timestamp(millis),
                    );
                }
                self.in_tx = false;
            }
            // Type, origin, truncate, update and delete are not needed by the proof.
            _ => {}
        }
        Ok(())
    }
}

export_connectors!(PgProof);
