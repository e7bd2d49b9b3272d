//! `pgoutput` logical replication messages (protocol version 1, with
//! logical decoding messages), decoded from a replication stream's XLogData.
//! <https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html>

use crate::error::PgError;
use crate::wire::{Field, Reader};

/// One column of a tuple.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// SQL NULL.
    Null,
    /// An unchanged TOASTed value the server did not send.
    Unchanged,
    /// A value in text format.
    Text(String),
}

/// A column value as the row converters read it, borrowed from where it
/// was decoded: a pgoutput [`Datum`], or a snapshot DataRow's column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// An unchanged TOASTed value the server did not send.
    Unchanged,
    /// A value in text format.
    Text(&'a str),
    /// A value in binary format (a snapshot reads some types so; see
    /// [`crate::types::Converter::binary`]).
    Binary(&'a [u8]),
}

/// A tuple's column, readable as a [`Cell`].
pub trait AsCell {
    /// The column's value.
    fn cell(&self) -> Cell<'_>;
}

impl AsCell for Datum {
    fn cell(&self) -> Cell<'_> {
        match self {
            Datum::Null => Cell::Null,
            Datum::Unchanged => Cell::Unchanged,
            Datum::Text(text) => Cell::Text(text),
        }
    }
}

/// A DataRow column ([`crate::wire::cells`]); `None` is SQL NULL.
impl AsCell for Option<Field<'_>> {
    fn cell(&self) -> Cell<'_> {
        match self {
            None => Cell::Null,
            Some(Field::Text(text)) => Cell::Text(text),
            Some(Field::Binary(bytes)) => Cell::Binary(bytes),
        }
    }
}

/// A relation's column as the Relation message describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct RelColumn {
    /// Part of the replica identity.
    pub key: bool,
    /// Column name.
    pub name: String,
    /// Type OID.
    pub type_oid: u32,
    /// Type modifier.
    pub typmod: i32,
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A transaction starts.
    Begin {
        /// The transaction's final LSN (of its commit record).
        final_lsn: u64,
        /// Commit time, µs since 2000-01-01.
        commit_ts: i64,
        /// Transaction id.
        xid: u32,
    },
    /// A transaction committed.
    Commit {
        /// LSN of the commit record.
        commit_lsn: u64,
        /// End of the commit record: where the next transaction may start.
        end_lsn: u64,
        /// Commit time, µs since 2000-01-01.
        commit_ts: i64,
    },
    /// A table's description, sent before its first change and after DDL.
    Relation {
        /// Relation OID.
        oid: u32,
        /// Schema.
        namespace: String,
        /// Table.
        name: String,
        /// `d` default, `n` nothing, `f` full, `i` index.
        replica_identity: u8,
        /// Columns in order.
        columns: Vec<RelColumn>,
    },
    /// A type's name (for non-built-in types).
    Type {
        /// Type OID.
        oid: u32,
        /// Schema.
        namespace: String,
        /// Name.
        name: String,
    },
    /// A row was inserted.
    Insert {
        /// Relation OID.
        oid: u32,
        /// The new row.
        new: Vec<Datum>,
    },
    /// A row was updated.
    Update {
        /// Relation OID.
        oid: u32,
        /// The old row (replica identity columns, or all with FULL).
        old: Option<Vec<Datum>>,
        /// Whether `old` holds only the key.
        old_is_key: bool,
        /// The new row.
        new: Vec<Datum>,
    },
    /// A row was deleted.
    Delete {
        /// Relation OID.
        oid: u32,
        /// The old row.
        old: Vec<Datum>,
        /// Whether `old` holds only the key.
        old_is_key: bool,
    },
    /// Tables were truncated.
    Truncate {
        /// Relation OIDs.
        oids: Vec<u32>,
    },
    /// `pg_logical_emit_message`.
    Emitted {
        /// Emitted inside a transaction.
        transactional: bool,
        /// LSN of the message.
        lsn: u64,
        /// Prefix.
        prefix: String,
        /// Content.
        content: Vec<u8>,
    },
    /// Replication origin of the transaction.
    Origin,
}

fn tuple(r: &mut Reader<'_>) -> Result<Vec<Datum>, PgError> {
    let n = r.u16()?;
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        out.push(match r.u8()? {
            b'n' => Datum::Null,
            b'u' => Datum::Unchanged,
            b't' => {
                let len = r.u32()? as usize;
                Datum::Text(crate::wire::text(r.take(len)?))
            }
            b'b' => return Err(PgError::Protocol("binary tuple data was not requested".into())),
            other => return Err(PgError::Protocol(format!("unknown tuple data kind {other}"))),
        });
    }
    Ok(out)
}

/// Decodes one pgoutput message.
pub fn decode(bytes: &[u8]) -> Result<Message, PgError> {
    let mut r = Reader::new(bytes);
    Ok(match r.u8()? {
        b'B' => Message::Begin { final_lsn: r.u64()?, commit_ts: r.u64()? as i64, xid: r.u32()? },
        b'C' => {
            let _flags = r.u8()?;
            Message::Commit { commit_lsn: r.u64()?, end_lsn: r.u64()?, commit_ts: r.u64()? as i64 }
        }
        b'R' => {
            let oid = r.u32()?;
            let namespace = r.cstr()?.to_string();
            let name = r.cstr()?.to_string();
            let replica_identity = r.u8()?;
            let n = r.u16()?;
            let mut columns = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let flags = r.u8()?;
                columns.push(RelColumn {
                    key: flags & 1 == 1,
                    name: r.cstr()?.to_string(),
                    type_oid: r.u32()?,
                    typmod: r.i32()?,
                });
            }
            Message::Relation { oid, namespace, name, replica_identity, columns }
        }
        b'Y' => Message::Type { oid: r.u32()?, namespace: r.cstr()?.to_string(), name: r.cstr()?.to_string() },
        b'I' => {
            let oid = r.u32()?;
            match r.u8()? {
                b'N' => Message::Insert { oid, new: tuple(&mut r)? },
                other => return Err(PgError::Protocol(format!("insert with tuple kind {other}"))),
            }
        }
        b'U' => {
            let oid = r.u32()?;
            let mut old = None;
            let mut old_is_key = false;
            let mut kind = r.u8()?;
            if kind == b'K' || kind == b'O' {
                old_is_key = kind == b'K';
                old = Some(tuple(&mut r)?);
                kind = r.u8()?;
            }
            if kind != b'N' {
                return Err(PgError::Protocol(format!("update with tuple kind {kind}")));
            }
            Message::Update { oid, old, old_is_key, new: tuple(&mut r)? }
        }
        b'D' => {
            let oid = r.u32()?;
            let kind = r.u8()?;
            if kind != b'K' && kind != b'O' {
                return Err(PgError::Protocol(format!("delete with tuple kind {kind}")));
            }
            Message::Delete { oid, old_is_key: kind == b'K', old: tuple(&mut r)? }
        }
        b'T' => {
            let n = r.u32()?;
            let _options = r.u8()?;
            let mut oids = Vec::with_capacity(n.min(1024) as usize);
            for _ in 0..n {
                oids.push(r.u32()?);
            }
            Message::Truncate { oids }
        }
        b'M' => {
            let flags = r.u8()?;
            let lsn = r.u64()?;
            let prefix = r.cstr()?.to_string();
            let len = r.u32()? as usize;
            Message::Emitted { transactional: flags & 1 == 1, lsn, prefix, content: r.take(len)?.to_vec() }
        }
        b'O' => Message::Origin,
        other => return Err(PgError::Protocol(format!("unknown pgoutput message '{}'", other as char))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_update_with_old_key_and_unchanged_toast() {
        let mut m = vec![b'U'];
        m.extend_from_slice(&16_384u32.to_be_bytes());
        m.push(b'K');
        m.extend_from_slice(&2u16.to_be_bytes());
        m.push(b't');
        m.extend_from_slice(&1u32.to_be_bytes());
        m.push(b'7');
        m.push(b'n');
        m.push(b'N');
        m.extend_from_slice(&2u16.to_be_bytes());
        m.push(b't');
        m.extend_from_slice(&1u32.to_be_bytes());
        m.push(b'8');
        m.push(b'u');
        assert_eq!(
            decode(&m).expect("valid"),
            Message::Update {
                oid: 16_384,
                old: Some(vec![Datum::Text("7".into()), Datum::Null]),
                old_is_key: true,
                new: vec![Datum::Text("8".into()), Datum::Unchanged],
            }
        );
    }

    #[test]
    fn corrupt_bytes_are_errors_not_panics() {
        for bad in [&b"U"[..], b"I\0\0\0\x01N\0\x05", b"Z", b"R\0\0\0\x01no-nul", b"C\0\0"] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }
}
