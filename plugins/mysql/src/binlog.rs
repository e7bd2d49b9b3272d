//! Binlog events (format v4) as MySQL 5.6+ and MariaDB 10+ write them to a
//! binlog file or send them on a replication (`COM_BINLOG_DUMP`) stream.
//! Pure decoding, no I/O: the connector hands `Decoder::decode` one whole
//! event at a time, header first.
//!
//! Formats: <https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html>
//! and <https://mariadb.com/kb/en/replication-protocol/>. MariaDB-only events
//! are types 160-163; MySQL-only events are GTID (33/34), ROWS_QUERY (29) and
//! the v2 rows events (30-32). MariaDB writes rows events as v1 (23-25).

use std::collections::HashMap;
use std::sync::Arc;

use crate::cell::Cell;
use crate::rows;

/// Event type codes this module decodes (others come back as `Event::Other`).
pub mod event_type {
    /// QUERY_EVENT.
    pub const QUERY: u8 = 2;
    /// STOP_EVENT.
    pub const STOP: u8 = 3;
    /// ROTATE_EVENT.
    pub const ROTATE: u8 = 4;
    /// FORMAT_DESCRIPTION_EVENT.
    pub const FORMAT_DESCRIPTION: u8 = 15;
    /// XID_EVENT.
    pub const XID: u8 = 16;
    /// TABLE_MAP_EVENT.
    pub const TABLE_MAP: u8 = 19;
    /// WRITE_ROWS_EVENT v1 (MariaDB, MySQL 5.5).
    pub const WRITE_ROWS_V1: u8 = 23;
    /// UPDATE_ROWS_EVENT v1.
    pub const UPDATE_ROWS_V1: u8 = 24;
    /// DELETE_ROWS_EVENT v1.
    pub const DELETE_ROWS_V1: u8 = 25;
    /// HEARTBEAT_LOG_EVENT (MySQL and MariaDB).
    pub const HEARTBEAT: u8 = 27;
    /// ROWS_QUERY_LOG_EVENT (MySQL `binlog_rows_query_log_events`).
    pub const ROWS_QUERY: u8 = 29;
    /// WRITE_ROWS_EVENT v2 (MySQL 5.6+).
    pub const WRITE_ROWS_V2: u8 = 30;
    /// UPDATE_ROWS_EVENT v2.
    pub const UPDATE_ROWS_V2: u8 = 31;
    /// DELETE_ROWS_EVENT v2.
    pub const DELETE_ROWS_V2: u8 = 32;
    /// GTID_LOG_EVENT (MySQL).
    pub const GTID: u8 = 33;
    /// ANONYMOUS_GTID_LOG_EVENT (MySQL, `gtid_mode=OFF`).
    pub const ANONYMOUS_GTID: u8 = 34;
    /// ANNOTATE_ROWS_EVENT (MariaDB `binlog_annotate_row_events`).
    pub const ANNOTATE_ROWS: u8 = 160;
    /// BINLOG_CHECKPOINT_EVENT (MariaDB).
    pub const BINLOG_CHECKPOINT: u8 = 161;
    /// GTID_EVENT (MariaDB).
    pub const MARIADB_GTID: u8 = 162;
    /// GTID_LIST_EVENT (MariaDB).
    pub const MARIADB_GTID_LIST: u8 = 163;
}

/// Length of the v4 event header.
pub const HEADER_LEN: usize = 19;
/// Header flag of an event the server made up (MariaDB's and MySQL's fake
/// ROTATE/FORMAT_DESCRIPTION at the start of a dump).
pub const LOG_EVENT_ARTIFICIAL_F: u16 = 0x20;
/// Header flag of a binlog file still being written (only on its
/// FORMAT_DESCRIPTION; not covered by that event's checksum).
pub const LOG_EVENT_BINLOG_IN_USE_F: u16 = 0x1;
/// The four bytes a binlog file starts with.
pub const BINLOG_MAGIC: [u8; 4] = [0xfe, b'b', b'i', b'n'];

/// What went wrong decoding an event.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BinlogError {
    /// The event ended before a field it must hold.
    #[error("event type {event_type} truncated: {wanted} byte(s) needed at offset {offset}")]
    Truncated {
        /// The event's type code.
        event_type: u8,
        /// Offset from the event's first header byte.
        offset: usize,
        /// Bytes the field needed.
        wanted: usize,
    },
    /// The header's `event_size` does not match the bytes given.
    #[error("event type {event_type} says it is {declared} bytes long but {actual} were given")]
    Size {
        /// The event's type code.
        event_type: u8,
        /// `event_size` from the header.
        declared: u32,
        /// Bytes given.
        actual: usize,
    },
    /// The CRC-32 at the end of an event does not match its bytes.
    #[error(
        "checksum mismatch in event type {event_type} ending at log position {log_pos}: stored {stored:#010x}, computed {computed:#010x}"
    )]
    Checksum {
        /// The event's type code.
        event_type: u8,
        /// `log_pos` from the header (the end of the event in its file).
        log_pos: u32,
        /// CRC the event carries.
        stored: u32,
        /// CRC of its bytes.
        computed: u32,
    },
    /// A FORMAT_DESCRIPTION names a checksum algorithm other than OFF and CRC32.
    #[error("unsupported binlog checksum algorithm {0}")]
    ChecksumAlgorithm(u8),
    /// A rows event refers to a table id no TABLE_MAP described.
    #[error("rows event for table id {0} without a preceding TABLE_MAP")]
    UnknownTable(u64),
    /// A column value does not decode as its type says.
    #[error("bad value for column {column} (type {column_type}, metadata {meta:#06x}): {reason}")]
    BadValue {
        /// Column position, 0-based.
        column: usize,
        /// Binlog column type code.
        column_type: u8,
        /// The column's metadata from the TABLE_MAP.
        meta: u16,
        /// What is wrong.
        reason: String,
    },
    /// A binary JSON document is malformed.
    #[error("malformed binary JSON: {0}")]
    Json(String),
    /// An event's fields contradict each other.
    #[error("malformed event type {event_type}: {reason}")]
    Malformed {
        /// The event's type code.
        event_type: u8,
        /// What is wrong.
        reason: String,
    },
}

/// The 19-byte v4 event header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeader {
    /// Seconds since the epoch when the statement started.
    pub timestamp: u32,
    /// Event type code (see `event_type`).
    pub event_type: u8,
    /// Server id of the server that wrote the event first.
    pub server_id: u32,
    /// Event length including header (and checksum).
    pub event_size: u32,
    /// Position of the next event in the binlog file (0 on fake events).
    pub log_pos: u32,
    /// Event flags, e.g. `LOG_EVENT_ARTIFICIAL_F`.
    pub flags: u16,
}

impl EventHeader {
    /// Reads the header at the start of `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Self, BinlogError> {
        let event_type = bytes.get(4).copied().unwrap_or(0);
        let mut r = Reader::new(bytes, event_type);
        Ok(EventHeader {
            timestamp: r.u32()?,
            event_type: r.u8()?,
            server_id: r.u32()?,
            event_size: r.u32()?,
            log_pos: r.u32()?,
            flags: r.u16()?,
        })
    }

    /// Whether the server made the event up rather than reading it from a
    /// binlog file (MariaDB's fake ROTATE and FORMAT_DESCRIPTION on dump).
    pub fn is_artificial(&self) -> bool {
        self.flags & LOG_EVENT_ARTIFICIAL_F != 0
    }
}

/// The checksum every event carries after a FORMAT_DESCRIPTION that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlg {
    /// No checksum (`binlog_checksum=NONE`).
    Off,
    /// CRC-32 (ISO-HDLC, as zlib) over the event, stored little-endian in
    /// its last 4 bytes.
    Crc32,
    /// The server predates checksums (no algorithm byte).
    Undefined,
}

/// FORMAT_DESCRIPTION_EVENT: the first event of every binlog file.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatDescription {
    /// Binlog format version (4).
    pub binlog_version: u16,
    /// Server version, e.g. `10.11.6-MariaDB-log` or `8.0.36`.
    pub server_version: String,
    /// When the binlog was created (0 if not the first file since startup).
    pub create_timestamp: u32,
    /// Common header length (19).
    pub header_length: u8,
    /// Post-header length per event type, index `type - 1`.
    pub post_header_lengths: Vec<u8>,
    /// Checksum algorithm of the events after this one.
    pub checksum: ChecksumAlg,
}

impl FormatDescription {
    /// Whether the server is MariaDB.
    pub fn is_mariadb(&self) -> bool {
        self.server_version.contains("MariaDB")
    }

    /// The post-header length this server writes for an event type.
    pub fn post_header_len(&self, event_type: u8) -> Option<u8> {
        self.post_header_lengths.get(usize::from(event_type).checked_sub(1)?).copied()
    }
}

/// QUERY_EVENT: a statement (DDL, `BEGIN`, or DML in statement format).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryEvent {
    /// Connection id of the session.
    pub thread_id: u32,
    /// Seconds the statement took.
    pub exec_time: u32,
    /// Error code the statement ended with on the source (0 normally).
    pub error_code: u16,
    /// Default database of the session (empty if none).
    pub database: String,
    /// Statement text (lossily UTF-8: the status variables that name its
    /// character set are skipped).
    pub sql: String,
}

/// MySQL's GTID (GTID_LOG_EVENT and ANONYMOUS_GTID_LOG_EVENT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MysqlGtid {
    /// Whether the transaction may commit in parallel (`FLAG_MAY_HAVE_SBR`'s
    /// complement; bit 0 of the flags byte).
    pub commit_flag: bool,
    /// Source server UUID.
    pub sid: [u8; 16],
    /// Transaction number on that source.
    pub gno: i64,
}

impl MysqlGtid {
    /// `uuid:gno`, the UUID lower-case with dashes, as `gtid_executed`
    /// writes it.
    pub fn text(&self) -> String {
        format!("{}:{}", crate::gtid::format_uuid(&self.sid), self.gno)
    }
}

/// MariaDB GTID flag: the event group is a single statement without
/// BEGIN/XID (DDL, or DML on a non-transactional table).
pub const FL_STANDALONE: u8 = 1;
/// MariaDB GTID flag: a group commit id follows.
pub const FL_GROUP_COMMIT_ID: u8 = 2;
/// MariaDB GTID flag: the group is transactional.
pub const FL_TRANSACTIONAL: u8 = 4;
/// MariaDB GTID flag: the group is DDL.
pub const FL_DDL: u8 = 32;

/// MariaDB's GTID_EVENT, which starts every event group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MariadbGtid {
    /// Sequence number.
    pub seq_no: u64,
    /// Replication domain.
    pub domain_id: u32,
    /// Originating server (from the event header).
    pub server_id: u32,
    /// Flags (`FL_STANDALONE`, `FL_GROUP_COMMIT_ID`, ...).
    pub flags: u8,
    /// Group commit id, when `FL_GROUP_COMMIT_ID` is set.
    pub commit_id: Option<u64>,
}

impl MariadbGtid {
    /// `domain-server-seq`, as `gtid_binlog_pos` writes it.
    pub fn text(&self) -> String {
        format!("{}-{}-{}", self.domain_id, self.server_id, self.seq_no)
    }

    /// Whether the group has no BEGIN/COMMIT around it.
    pub fn standalone(&self) -> bool {
        self.flags & FL_STANDALONE != 0
    }
}

/// One entry of MariaDB's GTID_LIST_EVENT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MariadbGtidPos {
    /// Replication domain.
    pub domain_id: u32,
    /// Server id.
    pub server_id: u32,
    /// Sequence number.
    pub seq_no: u64,
}

/// One column as a TABLE_MAP describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapColumn {
    /// Binlog column type code (`rows::types`), as the TABLE_MAP says: a
    /// CHAR, ENUM or SET column is `STRING` here (see `real_type`).
    pub column_type: u8,
    /// Type metadata as one number: VARCHAR max length in bytes; BLOB, TEXT,
    /// GEOMETRY, JSON length-prefix bytes; FLOAT/DOUBLE size; NEWDECIMAL
    /// `precision << 8 | scale`; STRING/ENUM/SET `real_type << 8 | length`
    /// (MySQL's encoding, with high length bits folded into the first byte);
    /// BIT `bytes << 8 | extra_bits`; TIME2/DATETIME2/TIMESTAMP2 the
    /// fractional-second precision.
    pub meta: u16,
    /// Whether the column may be NULL.
    pub nullable: bool,
    /// Column name (optional metadata, `binlog_row_metadata=FULL`).
    pub name: Option<String>,
    /// Whether a numeric column is UNSIGNED (optional metadata).
    pub unsigned: Option<bool>,
    /// Collation id of a character or ENUM/SET column (optional metadata).
    pub charset: Option<u32>,
    /// ENUM member names (optional metadata, FULL).
    pub enum_values: Option<Vec<Vec<u8>>>,
    /// SET member names (optional metadata, FULL).
    pub set_values: Option<Vec<Vec<u8>>>,
    /// Geometry subtype (optional metadata, FULL).
    pub geometry_type: Option<u32>,
    /// Whether the column is visible (MySQL 8.0.23+, optional metadata).
    pub visible: Option<bool>,
}

impl MapColumn {
    /// The storage type: for `STRING` the real type from the metadata
    /// (`STRING`, `ENUM` or `SET`), else `column_type`.
    pub fn real_type(&self) -> u8 {
        if self.column_type == rows::types::STRING && self.meta >= 256 {
            let byte0 = (self.meta >> 8) as u8;
            if byte0 & 0x30 != 0x30 {
                return byte0 | 0x30;
            }
            return byte0;
        }
        self.column_type
    }

    fn is_numeric(&self) -> bool {
        use rows::types::*;
        matches!(self.column_type, TINY | SHORT | INT24 | LONG | LONGLONG | NEWDECIMAL | FLOAT | DOUBLE)
    }

    fn is_enum_or_set(&self) -> bool {
        matches!(self.real_type(), rows::types::ENUM | rows::types::SET)
    }

    fn is_character(&self) -> bool {
        use rows::types::*;
        match self.column_type {
            STRING => !self.is_enum_or_set(),
            VAR_STRING | VARCHAR | BLOB | TINY_BLOB | MEDIUM_BLOB | LONG_BLOB => true,
            _ => false,
        }
    }
}

/// One part of the primary key (optional metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPart {
    /// Column position.
    pub column: u32,
    /// Prefix length in characters, 0 for the whole column.
    pub prefix: u32,
}

/// TABLE_MAP_EVENT: which table a table id means and its column types,
/// until the id's next TABLE_MAP.
#[derive(Debug, Clone, PartialEq)]
pub struct TableMap {
    /// Table id the rows events refer to.
    pub table_id: u64,
    /// Table map flags.
    pub flags: u16,
    /// Database.
    pub database: String,
    /// Table.
    pub table: String,
    /// Columns in table order.
    pub columns: Vec<MapColumn>,
    /// Primary key from the optional metadata (empty if not sent).
    pub primary_key: Vec<KeyPart>,
    /// Whether the optional metadata block was present at all.
    pub has_optional_metadata: bool,
}

/// Which rows event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsKind {
    /// WRITE_ROWS: inserted rows (after images).
    Write,
    /// UPDATE_ROWS: before and after images.
    Update,
    /// DELETE_ROWS: deleted rows (before images).
    Delete,
}

/// One row image: a cell per table column.
#[derive(Debug, Clone, PartialEq)]
pub struct RowImage {
    /// One cell per column of the table map; `Cell::Null` for a column the
    /// event left out.
    pub cells: Vec<Cell>,
    /// Whether the event left some columns out (`binlog_row_image` MINIMAL
    /// or NOBLOB): `RowsEvent::columns_before`/`columns_after` say which.
    pub partial: bool,
}

/// One changed row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Before image (UPDATE and DELETE).
    pub before: Option<RowImage>,
    /// After image (WRITE and UPDATE).
    pub after: Option<RowImage>,
}

/// WRITE/UPDATE/DELETE_ROWS (v1 or v2).
#[derive(Debug, Clone, PartialEq)]
pub struct RowsEvent {
    /// Which change.
    pub kind: RowsKind,
    /// The table map the event refers to.
    pub table: Arc<TableMap>,
    /// Rows event flags (bit 0: end of statement).
    pub flags: u16,
    /// Columns present in before images (empty for WRITE).
    pub columns_before: Vec<bool>,
    /// Columns present in after images (empty for DELETE).
    pub columns_after: Vec<bool>,
    /// The rows.
    pub rows: Vec<Row>,
}

/// Rows event flag: the last rows event of its statement.
pub const ROWS_STMT_END_F: u16 = 1;

/// A decoded event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// FORMAT_DESCRIPTION_EVENT.
    FormatDescription(FormatDescription),
    /// ROTATE_EVENT: the stream continues in another file.
    Rotate {
        /// Position in the next file.
        position: u64,
        /// Next file's name.
        next_file: String,
    },
    /// TABLE_MAP_EVENT.
    TableMap(Arc<TableMap>),
    /// WRITE/UPDATE/DELETE_ROWS.
    Rows(RowsEvent),
    /// QUERY_EVENT.
    Query(QueryEvent),
    /// XID_EVENT: a transaction committed.
    Xid(u64),
    /// MySQL GTID_LOG_EVENT.
    Gtid(MysqlGtid),
    /// MySQL ANONYMOUS_GTID_LOG_EVENT.
    AnonymousGtid(MysqlGtid),
    /// MariaDB GTID_EVENT.
    MariadbGtid(MariadbGtid),
    /// MariaDB GTID_LIST_EVENT: the binlog state at the start of a file.
    MariadbGtidList(Vec<MariadbGtidPos>),
    /// MariaDB ANNOTATE_ROWS_EVENT: the statement behind the rows events.
    AnnotateRows(String),
    /// MySQL ROWS_QUERY_LOG_EVENT: the statement behind the rows events.
    RowsQuery(String),
    /// HEARTBEAT_LOG_EVENT: the source is idle; names its current file.
    Heartbeat {
        /// Current binlog file of the source.
        log_file: String,
    },
    /// MariaDB BINLOG_CHECKPOINT_EVENT.
    BinlogCheckpoint {
        /// Oldest binlog file still needed for crash recovery.
        log_file: String,
    },
    /// STOP_EVENT: the server shut down.
    Stop,
    /// Any other event type, not decoded.
    Other(u8),
}

/// Decodes a stream of events, remembering what later events depend on:
/// the checksum algorithm and the table maps.
#[derive(Debug, Default)]
pub struct Decoder {
    checksum: Option<ChecksumAlg>,
    table_id_len: usize,
    /// Table maps by id, with the body bytes they were decoded from so an
    /// identical TABLE_MAP (sent before every statement) reuses its `Arc`.
    tables: HashMap<u64, (Vec<u8>, Arc<TableMap>)>,
}

impl Decoder {
    /// A decoder expecting a FORMAT_DESCRIPTION before any checksummed event.
    pub fn new() -> Self {
        Decoder { checksum: None, table_id_len: 6, tables: HashMap::new() }
    }

    /// Sets the checksum algorithm before the first FORMAT_DESCRIPTION: a
    /// replication stream starts with a fake ROTATE that already carries a
    /// checksum when the client announced `@master_binlog_checksum`.
    pub fn set_checksum(&mut self, alg: ChecksumAlg) {
        self.checksum = Some(alg);
    }

    /// The checksum algorithm in force (None before any FORMAT_DESCRIPTION
    /// or `set_checksum`, which means no checksum).
    pub fn checksum(&self) -> Option<ChecksumAlg> {
        self.checksum
    }

    /// The current table map for a table id.
    pub fn table(&self, table_id: u64) -> Option<&Arc<TableMap>> {
        self.tables.get(&table_id).map(|(_, t)| t)
    }

    /// Decodes one whole event (header first, without the replication
    /// stream's leading OK byte).
    pub fn decode(&mut self, event: &[u8]) -> Result<(EventHeader, Event), BinlogError> {
        let header = EventHeader::parse(event)?;
        let et = header.event_type;
        if header.event_size as usize != event.len() {
            return Err(BinlogError::Size { event_type: et, declared: header.event_size, actual: event.len() });
        }
        if et == event_type::FORMAT_DESCRIPTION {
            let fde = self.format_description(&header, event)?;
            self.checksum = Some(fde.checksum);
            self.table_id_len = match fde.post_header_len(event_type::TABLE_MAP) {
                Some(6) => 4,
                _ => 6,
            };
            self.tables.clear();
            return Ok((header, Event::FormatDescription(fde)));
        }
        let end = if self.checksum == Some(ChecksumAlg::Crc32) {
            verify_crc(&header, event, false)?;
            event.len() - 4
        } else {
            event.len()
        };
        let body = event.get(..end).unwrap_or_default();
        let mut r = Reader::new(body, et);
        r.pos = HEADER_LEN;
        let ev = match et {
            event_type::QUERY => Event::Query(query(&mut r)?),
            event_type::STOP => Event::Stop,
            event_type::ROTATE => {
                let position = r.u64()?;
                let next_file = r.rest_string();
                self.tables.clear();
                Event::Rotate { position, next_file }
            }
            event_type::XID => Event::Xid(r.u64()?),
            event_type::TABLE_MAP => Event::TableMap(self.table_map(&mut r)?),
            event_type::WRITE_ROWS_V1 | 30 => self.rows(&mut r, RowsKind::Write, et >= 30)?,
            event_type::UPDATE_ROWS_V1 | 31 => self.rows(&mut r, RowsKind::Update, et >= 30)?,
            event_type::DELETE_ROWS_V1 | 32 => self.rows(&mut r, RowsKind::Delete, et >= 30)?,
            event_type::HEARTBEAT => Event::Heartbeat { log_file: r.rest_string() },
            event_type::ROWS_QUERY => {
                // One length byte that overflows for long statements: the
                // text is the rest of the event.
                r.u8()?;
                Event::RowsQuery(r.rest_string())
            }
            event_type::GTID => Event::Gtid(mysql_gtid(&mut r)?),
            event_type::ANONYMOUS_GTID => Event::AnonymousGtid(mysql_gtid(&mut r)?),
            event_type::ANNOTATE_ROWS => Event::AnnotateRows(r.rest_string()),
            event_type::BINLOG_CHECKPOINT => {
                let len = r.u32()? as usize;
                Event::BinlogCheckpoint { log_file: String::from_utf8_lossy(r.take(len)?).into_owned() }
            }
            event_type::MARIADB_GTID => {
                let seq_no = r.u64()?;
                let domain_id = r.u32()?;
                let flags = r.u8()?;
                let commit_id = if flags & FL_GROUP_COMMIT_ID != 0 { Some(r.u64()?) } else { None };
                Event::MariadbGtid(MariadbGtid { seq_no, domain_id, server_id: header.server_id, flags, commit_id })
            }
            event_type::MARIADB_GTID_LIST => {
                // The top 4 bits of the count are flags.
                let count = r.u32()? & 0x0fff_ffff;
                let mut list = Vec::with_capacity((count as usize).min(r.remaining() / 16));
                for _ in 0..count {
                    list.push(MariadbGtidPos { domain_id: r.u32()?, server_id: r.u32()?, seq_no: r.u64()? });
                }
                Event::MariadbGtidList(list)
            }
            other => Event::Other(other),
        };
        Ok((header, ev))
    }

    fn format_description(&self, header: &EventHeader, event: &[u8]) -> Result<FormatDescription, BinlogError> {
        let et = header.event_type;
        let mut r = Reader::new(event, et);
        r.pos = HEADER_LEN;
        let binlog_version = r.u16()?;
        let raw_version = r.take(50)?;
        let nul = raw_version.iter().position(|&b| b == 0).unwrap_or(raw_version.len());
        let server_version = String::from_utf8_lossy(raw_version.get(..nul).unwrap_or_default()).into_owned();
        let create_timestamp = r.u32()?;
        let header_length = r.u8()?;
        // Servers that know checksums end the event with the algorithm
        // byte and a CRC slot, whatever the algorithm.
        let (checksum, end) = if checksum_aware(&server_version) {
            let tail = event.len().checked_sub(5).filter(|&t| t >= r.pos).ok_or(BinlogError::Truncated {
                event_type: et,
                offset: r.pos,
                wanted: 5,
            })?;
            let alg = match event.get(tail).copied().unwrap_or(0) {
                0 => ChecksumAlg::Off,
                1 => ChecksumAlg::Crc32,
                255 => ChecksumAlg::Undefined,
                other => return Err(BinlogError::ChecksumAlgorithm(other)),
            };
            if alg == ChecksumAlg::Crc32 {
                verify_crc(header, event, true)?;
            }
            (alg, tail)
        } else {
            (ChecksumAlg::Undefined, event.len())
        };
        let post_header_lengths = event.get(r.pos..end).unwrap_or_default().to_vec();
        Ok(FormatDescription {
            binlog_version,
            server_version,
            create_timestamp,
            header_length,
            post_header_lengths,
            checksum,
        })
    }

    fn table_id(&self, r: &mut Reader<'_>) -> Result<u64, BinlogError> {
        r.uint_le(self.table_id_len)
    }

    fn table_map(&mut self, r: &mut Reader<'_>) -> Result<Arc<TableMap>, BinlogError> {
        let start = r.pos;
        let table_id = self.table_id(r)?;
        let body = r.buf.get(start..).unwrap_or_default();
        if let Some((raw, map)) = self.tables.get(&table_id)
            && raw.as_slice() == body
        {
            return Ok(map.clone());
        }
        let map = Arc::new(parse_table_map(r, table_id)?);
        self.tables.insert(table_id, (body.to_vec(), map.clone()));
        Ok(map)
    }

    fn rows(&mut self, r: &mut Reader<'_>, kind: RowsKind, v2: bool) -> Result<Event, BinlogError> {
        let table_id = self.table_id(r)?;
        let flags = r.u16()?;
        if v2 {
            // The extra-data length counts its own two bytes.
            let extra = r.u16()? as usize;
            r.take(extra.saturating_sub(2))?;
        }
        let table = self.tables.get(&table_id).map(|(_, t)| t.clone()).ok_or(BinlogError::UnknownTable(table_id))?;
        let width = r.lenenc()? as usize;
        if width > table.columns.len() {
            return Err(BinlogError::Malformed {
                event_type: r.event_type,
                reason: format!("rows event has {width} columns, its table map {}", table.columns.len()),
            });
        }
        let bitmap_len = width.div_ceil(8);
        let first = bits(r.take(bitmap_len)?, width);
        let (columns_before, columns_after) = match kind {
            RowsKind::Write => (Vec::new(), first),
            RowsKind::Delete => (first, Vec::new()),
            RowsKind::Update => {
                let second = bits(r.take(bitmap_len)?, width);
                (first, second)
            }
        };
        let mut rows = Vec::new();
        while r.remaining() > 0 {
            let before = if kind == RowsKind::Write { None } else { Some(row_image(r, &table, &columns_before)?) };
            let after = if kind == RowsKind::Delete { None } else { Some(row_image(r, &table, &columns_after)?) };
            rows.push(Row { before, after });
        }
        Ok(Event::Rows(RowsEvent { kind, table, flags, columns_before, columns_after, rows }))
    }
}

/// Whether a server of this version writes the checksum algorithm into its
/// FORMAT_DESCRIPTION (MySQL 5.6.1+, MariaDB 5.3+).
fn checksum_aware(version: &str) -> bool {
    let v = crate::wire::version_number(version);
    v >= (5, 6, 1) || (version.contains("MariaDB") && v >= (5, 3, 0))
}

fn verify_crc(header: &EventHeader, event: &[u8], clear_in_use: bool) -> Result<(), BinlogError> {
    let split = event.len().checked_sub(4).filter(|&s| s >= HEADER_LEN).ok_or(BinlogError::Truncated {
        event_type: header.event_type,
        offset: event.len(),
        wanted: 4,
    })?;
    let (data, tail) = event.split_at(split);
    let stored = u32::from_le_bytes([
        tail.first().copied().unwrap_or(0),
        tail.get(1).copied().unwrap_or(0),
        tail.get(2).copied().unwrap_or(0),
        tail.get(3).copied().unwrap_or(0),
    ]);
    let computed = if clear_in_use && header.flags & LOG_EVENT_BINLOG_IN_USE_F != 0 {
        // The server clears the in-use flag on close without re-computing
        // the checksum, so it covers the flags without it.
        let (head, rest) = data.split_at(17);
        let flags = (header.flags & !LOG_EVENT_BINLOG_IN_USE_F).to_le_bytes();
        crc32_update(crc32_update(crc32_update(!0, head), &flags), rest.get(2..).unwrap_or_default()) ^ !0
    } else {
        crc32(data)
    };
    if stored != computed {
        return Err(BinlogError::Checksum { event_type: header.event_type, log_pos: header.log_pos, stored, computed });
    }
    Ok(())
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// CRC-32 (the zlib/ISO-HDLC one) the binlog uses for event checksums.
pub fn crc32(data: &[u8]) -> u32 {
    crc32_update(!0, data) ^ !0
}

fn query(r: &mut Reader<'_>) -> Result<QueryEvent, BinlogError> {
    let thread_id = r.u32()?;
    let exec_time = r.u32()?;
    let db_len = r.u8()? as usize;
    let error_code = r.u16()?;
    let status_len = r.u16()? as usize;
    r.take(status_len)?;
    let database = String::from_utf8_lossy(r.take(db_len)?).into_owned();
    r.u8()?; // the database name's NUL
    let sql = r.rest_string();
    Ok(QueryEvent { thread_id, exec_time, error_code, database, sql })
}

fn mysql_gtid(r: &mut Reader<'_>) -> Result<MysqlGtid, BinlogError> {
    let flags = r.u8()?;
    let mut sid = [0u8; 16];
    sid.copy_from_slice(r.take(16)?);
    let gno = r.u64()? as i64;
    // MySQL 5.7+ follows with logical clock and commit timestamps: unused.
    Ok(MysqlGtid { commit_flag: flags & 1 != 0, sid, gno })
}

/// Bit `i` of a little-endian-bit bitmap (rows events, null bitmaps).
fn bit(bytes: &[u8], i: usize) -> bool {
    bytes.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

fn bits(bytes: &[u8], n: usize) -> Vec<bool> {
    (0..n).map(|i| bit(bytes, i)).collect()
}

fn parse_table_map(r: &mut Reader<'_>, table_id: u64) -> Result<TableMap, BinlogError> {
    let flags = r.u16()?;
    let db_len = r.u8()? as usize;
    let database = String::from_utf8_lossy(r.take(db_len)?).into_owned();
    r.u8()?;
    let table_len = r.u8()? as usize;
    let table = String::from_utf8_lossy(r.take(table_len)?).into_owned();
    r.u8()?;
    let count = r.lenenc()? as usize;
    let types = r.take(count)?;
    let meta_len = r.lenenc()? as usize;
    let mut meta = r.sub(meta_len)?;
    let mut columns = Vec::with_capacity(count);
    for &column_type in types {
        use rows::types::*;
        let m = match column_type {
            FLOAT | DOUBLE | BLOB | TINY_BLOB | MEDIUM_BLOB | LONG_BLOB | GEOMETRY | JSON | TIME2 | DATETIME2
            | TIMESTAMP2 => u16::from(meta.u8()?),
            VARCHAR | VAR_STRING | BIT => meta.u16()?,
            NEWDECIMAL | STRING | ENUM | SET => {
                let b0 = meta.u8()?;
                let b1 = meta.u8()?;
                u16::from_be_bytes([b0, b1])
            }
            _ => 0,
        };
        columns.push(MapColumn {
            column_type,
            meta: m,
            nullable: false,
            name: None,
            unsigned: None,
            charset: None,
            enum_values: None,
            set_values: None,
            geometry_type: None,
            visible: None,
        });
    }
    let nulls = r.take(count.div_ceil(8))?;
    for (i, c) in columns.iter_mut().enumerate() {
        c.nullable = bit(nulls, i);
    }
    let mut map = TableMap {
        table_id,
        flags,
        database,
        table,
        columns,
        primary_key: Vec::new(),
        has_optional_metadata: r.remaining() > 0,
    };
    while r.remaining() > 0 {
        let kind = r.u8()?;
        let len = r.lenenc()? as usize;
        let mut f = r.sub(len)?;
        optional_metadata(&mut map, kind, &mut f)?;
    }
    Ok(map)
}

/// MSB-first bitmap over the columns `select` picks (signedness, visibility).
fn msb_flags(
    f: &mut Reader<'_>,
    columns: &mut [MapColumn],
    select: impl Fn(&MapColumn) -> bool,
    set: impl Fn(&mut MapColumn, bool),
) -> Result<(), BinlogError> {
    for (k, c) in columns.iter_mut().filter(|c| select(c)).enumerate() {
        let byte = f.peek_at(k / 8)?;
        set(c, byte & (0x80 >> (k % 8)) != 0);
    }
    Ok(())
}

/// DEFAULT_CHARSET-style field: a default, then (index, charset) pairs for
/// the selected columns that differ from it.
fn default_charsets(
    f: &mut Reader<'_>,
    columns: &mut [MapColumn],
    select: impl Fn(&MapColumn) -> bool,
) -> Result<(), BinlogError> {
    let default = f.lenenc()? as u32;
    let mut selected: Vec<&mut MapColumn> = columns.iter_mut().filter(|c| select(c)).collect();
    for c in selected.iter_mut() {
        c.charset = Some(default);
    }
    while f.remaining() > 0 {
        let index = f.lenenc()? as usize;
        let charset = f.lenenc()? as u32;
        if let Some(c) = selected.get_mut(index) {
            c.charset = Some(charset);
        }
    }
    Ok(())
}

fn column_charsets(
    f: &mut Reader<'_>,
    columns: &mut [MapColumn],
    select: impl Fn(&MapColumn) -> bool,
) -> Result<(), BinlogError> {
    for c in columns.iter_mut().filter(|c| select(c)) {
        if f.remaining() == 0 {
            break;
        }
        c.charset = Some(f.lenenc()? as u32);
    }
    Ok(())
}

fn str_values(f: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, BinlogError> {
    let n = f.lenenc()? as usize;
    let mut values = Vec::with_capacity(n.min(f.remaining()));
    for _ in 0..n {
        let len = f.lenenc()? as usize;
        values.push(f.take(len)?.to_vec());
    }
    Ok(values)
}

fn optional_metadata(map: &mut TableMap, kind: u8, f: &mut Reader<'_>) -> Result<(), BinlogError> {
    let cols = &mut map.columns;
    match kind {
        1 => msb_flags(f, cols, MapColumn::is_numeric, |c, v| c.unsigned = Some(v))?,
        2 => default_charsets(f, cols, MapColumn::is_character)?,
        3 => column_charsets(f, cols, MapColumn::is_character)?,
        4 => {
            for c in cols.iter_mut() {
                if f.remaining() == 0 {
                    break;
                }
                let len = f.lenenc()? as usize;
                c.name = Some(String::from_utf8_lossy(f.take(len)?).into_owned());
            }
        }
        5 | 6 => {
            let want = if kind == 5 { rows::types::SET } else { rows::types::ENUM };
            for c in cols.iter_mut().filter(|c| c.real_type() == want) {
                if f.remaining() == 0 {
                    break;
                }
                let values = str_values(f)?;
                if kind == 5 {
                    c.set_values = Some(values);
                } else {
                    c.enum_values = Some(values);
                }
            }
        }
        7 => {
            for c in cols.iter_mut().filter(|c| c.column_type == rows::types::GEOMETRY) {
                if f.remaining() == 0 {
                    break;
                }
                c.geometry_type = Some(f.lenenc()? as u32);
            }
        }
        8 => {
            while f.remaining() > 0 {
                map.primary_key.push(KeyPart { column: f.lenenc()? as u32, prefix: 0 });
            }
        }
        9 => {
            while f.remaining() > 0 {
                map.primary_key.push(KeyPart { column: f.lenenc()? as u32, prefix: f.lenenc()? as u32 });
            }
        }
        10 => default_charsets(f, cols, MapColumn::is_enum_or_set)?,
        11 => column_charsets(f, cols, MapColumn::is_enum_or_set)?,
        12 => msb_flags(f, cols, |_| true, |c, v| c.visible = Some(v))?,
        _ => {}
    }
    Ok(())
}

fn row_image(r: &mut Reader<'_>, table: &TableMap, present: &[bool]) -> Result<RowImage, BinlogError> {
    let n_present = present.iter().filter(|&&p| p).count();
    let nulls = r.take(n_present.div_ceil(8))?;
    let mut cells = Vec::with_capacity(table.columns.len());
    let mut k = 0;
    for (i, col) in table.columns.iter().enumerate() {
        if !present.get(i).copied().unwrap_or(false) {
            cells.push(Cell::Null);
            continue;
        }
        let is_null = bit(nulls, k);
        k += 1;
        cells.push(if is_null { Cell::Null } else { rows::decode_value(r, i, col.real_type(), col.meta)? });
    }
    Ok(RowImage { cells, partial: n_present < table.columns.len() })
}

/// Bounds-checked little-endian reader over one event. Offsets in errors
/// count from the event's first byte.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) event_type: u8,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], event_type: u8) -> Self {
        Reader { buf, pos: 0, event_type }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], BinlogError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end.and_then(|e| self.buf.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(BinlogError::Truncated { event_type: self.event_type, offset: self.pos, wanted: n }),
        }
    }

    /// A reader over the next `n` bytes, keeping offsets; advances past them.
    fn sub(&mut self, n: usize) -> Result<Reader<'a>, BinlogError> {
        let start = self.pos;
        self.take(n)?;
        Ok(Reader { buf: self.buf.get(..start + n).unwrap_or_default(), pos: start, event_type: self.event_type })
    }

    fn peek_at(&self, k: usize) -> Result<u8, BinlogError> {
        self.buf.get(self.pos + k).copied().ok_or(BinlogError::Truncated {
            event_type: self.event_type,
            offset: self.pos + k,
            wanted: 1,
        })
    }

    pub(crate) fn u8(&mut self) -> Result<u8, BinlogError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, BinlogError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, BinlogError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, BinlogError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], BinlogError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// Little-endian unsigned integer of `n` (≤ 8) bytes.
    pub(crate) fn uint_le(&mut self, n: usize) -> Result<u64, BinlogError> {
        Ok(self.take(n)?.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// Big-endian unsigned integer of `n` (≤ 8) bytes.
    pub(crate) fn uint_be(&mut self, n: usize) -> Result<u64, BinlogError> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// MySQL's length-encoded integer.
    pub(crate) fn lenenc(&mut self) -> Result<u64, BinlogError> {
        let at = self.pos;
        match self.u8()? {
            b @ 0..=0xfa => Ok(u64::from(b)),
            0xfc => self.uint_le(2),
            0xfd => self.uint_le(3),
            0xfe => self.u64(),
            b => Err(BinlogError::Malformed {
                event_type: self.event_type,
                reason: format!("bad length-encoded integer prefix {b:#04x} at offset {at}"),
            }),
        }
    }

    fn rest_string(&mut self) -> String {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.buf.len();
        String::from_utf8_lossy(rest).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARIADB_FIXTURE: &[u8] = include_bytes!("../tests/fixtures/mariadb-10.11-rows.binlog");

    /// Splits a binlog file into its events.
    fn file_events(file: &[u8]) -> Vec<&[u8]> {
        assert_eq!(file.get(..4), Some(&BINLOG_MAGIC[..]));
        let mut out = Vec::new();
        let mut pos = 4;
        while pos < file.len() {
            let size = u32::from_le_bytes(file[pos + 9..pos + 13].try_into().unwrap()) as usize;
            out.push(&file[pos..pos + size]);
            pos += size;
        }
        out
    }

    /// An event with a v4 header around `body`, and a CRC-32 if `crc`.
    fn event(event_type: u8, flags: u16, body: &[u8], crc: bool) -> Vec<u8> {
        let size = HEADER_LEN + body.len() + if crc { 4 } else { 0 };
        let mut e = Vec::with_capacity(size);
        e.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        e.push(event_type);
        e.extend_from_slice(&7u32.to_le_bytes());
        e.extend_from_slice(&(size as u32).to_le_bytes());
        e.extend_from_slice(&1000u32.to_le_bytes());
        e.extend_from_slice(&flags.to_le_bytes());
        e.extend_from_slice(body);
        if crc {
            let c = crc32(&e);
            e.extend_from_slice(&c.to_le_bytes());
        }
        e
    }

    /// MySQL 8's FORMAT_DESCRIPTION with the given checksum algorithm byte.
    fn mysql_fde(alg: u8) -> Vec<u8> {
        let mut b = 4u16.to_le_bytes().to_vec();
        let mut version = b"8.0.36".to_vec();
        version.resize(50, 0);
        b.extend_from_slice(&version);
        b.extend_from_slice(&0u32.to_le_bytes());
        b.push(19);
        // Post-header lengths for types 1..=41; TABLE_MAP (19) is 8.
        let mut post = vec![0u8; 41];
        post[18] = 8;
        post[29] = 10;
        post[30] = 10;
        post[31] = 10;
        b.extend_from_slice(&post);
        b.push(alg);
        if alg == 1 {
            event(event_type::FORMAT_DESCRIPTION, 0, &b, true)
        } else {
            b.extend_from_slice(&[0; 4]);
            event(event_type::FORMAT_DESCRIPTION, 0, &b, false)
        }
    }

    fn lenenc_str(out: &mut Vec<u8>, s: &[u8]) {
        out.push(s.len() as u8);
        out.extend_from_slice(s);
    }

    /// TABLE_MAP body for `shop.items (id BIGINT UNSIGNED, name VARCHAR(300),
    /// code CHAR(255) utf8mb4, amount DECIMAL(10,2), color ENUM, tags SET)`
    /// with MySQL 8 optional metadata.
    fn items_table_map(table_id: u64) -> Vec<u8> {
        let mut b = table_id.to_le_bytes()[..6].to_vec();
        b.extend_from_slice(&1u16.to_le_bytes());
        b.push(4);
        b.extend_from_slice(b"shop\0");
        b.push(5);
        b.extend_from_slice(b"items\0");
        b.push(6);
        b.extend_from_slice(&[8, 15, 254, 246, 254, 254]);
        // 255 chars * 4 = 1020 bytes: real type 0xfe with 1020 >> 8 = 3 folded
        // into bits 4-5 inverted: 0xfe ^ (3 << 4) = 0xce, low byte 0xfc.
        let meta = [0x2c, 0x01, 0xce, 0xfc, 10, 2, 0xf7, 0x01, 0xf8, 0x01];
        b.push(meta.len() as u8);
        b.extend_from_slice(&meta);
        b.push(0b0011_1110); // all but id nullable
        // SIGNEDNESS over numeric columns (id, amount): id unsigned.
        b.extend_from_slice(&[1, 1, 0b1000_0000]);
        // DEFAULT_CHARSET 255 (lenenc), character column 1 (`code`) is 45.
        b.extend_from_slice(&[2, 5, 0xfc, 0xff, 0x00, 1, 45]);
        let mut names = Vec::new();
        for n in [&b"id"[..], b"name", b"code", b"amount", b"color", b"tags"] {
            lenenc_str(&mut names, n);
        }
        b.push(4);
        b.push(names.len() as u8);
        b.extend_from_slice(&names);
        let mut enums = vec![3];
        for n in [&b"red"[..], b"green", b"blue"] {
            lenenc_str(&mut enums, n);
        }
        b.push(6);
        b.push(enums.len() as u8);
        b.extend_from_slice(&enums);
        let mut sets = vec![2];
        for n in [&b"a"[..], b"b"] {
            lenenc_str(&mut sets, n);
        }
        b.push(5);
        b.push(sets.len() as u8);
        b.extend_from_slice(&sets);
        b.extend_from_slice(&[8, 1, 0]); // SIMPLE_PRIMARY_KEY: column 0
        b.extend_from_slice(&[99, 2, 0xaa, 0xbb]); // unknown field: ignored
        b
    }

    /// One `items` row: all columns present, none null.
    fn items_row(id: u64, name: &[u8], amount_bin: &[u8], color: u8, tags: u8) -> Vec<u8> {
        let mut r = vec![0u8];
        r.extend_from_slice(&id.to_le_bytes());
        r.extend_from_slice(&(name.len() as u16).to_le_bytes());
        r.extend_from_slice(name);
        r.extend_from_slice(&3u16.to_le_bytes());
        r.extend_from_slice(b"abc");
        r.extend_from_slice(amount_bin);
        r.push(color);
        r.push(tags);
        r
    }

    fn mysql_events() -> Vec<Vec<u8>> {
        let mut evs = vec![mysql_fde(1)];
        // GTID: commit flag, uuid, gno 42, then 5.7+ trailing fields.
        let mut g = vec![1u8];
        g.extend_from_slice(&[
            0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62,
        ]);
        g.extend_from_slice(&42u64.to_le_bytes());
        g.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
        evs.push(event(event_type::GTID, 0, &g, true));
        // QUERY BEGIN with 5 bytes of status variables.
        let mut q = 77u32.to_le_bytes().to_vec();
        q.extend_from_slice(&3u32.to_le_bytes());
        q.push(4);
        q.extend_from_slice(&0u16.to_le_bytes());
        q.extend_from_slice(&5u16.to_le_bytes());
        q.extend_from_slice(&[0, 0, 0, 0, 0]);
        q.extend_from_slice(b"shop\0BEGIN");
        evs.push(event(event_type::QUERY, 0, &q, true));
        let mut rq = vec![10u8];
        rq.extend_from_slice(b"UPDATE items SET name = 'n2'");
        evs.push(event(event_type::ROWS_QUERY, 0, &rq, true));
        evs.push(event(event_type::TABLE_MAP, 0, &items_table_map(0x0102_0304_0506), true));
        // UPDATE_ROWS v2 with 4 bytes of extra data (length counts itself).
        let mut u = 0x0102_0304_0506u64.to_le_bytes()[..6].to_vec();
        u.extend_from_slice(&1u16.to_le_bytes());
        u.extend_from_slice(&6u16.to_le_bytes());
        u.extend_from_slice(&[0, 2, 0xaa, 0xbb]);
        u.push(6);
        u.push(0x3f);
        u.push(0x3f);
        // 12.34 as DECIMAL(10,2): 8 integer digits in 4 bytes, 2 fraction in 1.
        u.extend_from_slice(&items_row(u64::MAX, b"n1", &[0x80, 0, 0, 12, 34], 1, 3));
        // -12.34: inverted.
        u.extend_from_slice(&items_row(5, &[b'x'; 300], &[0x7f, 0xff, 0xff, 0xf3, 0xdd], 3, 2));
        evs.push(event(event_type::UPDATE_ROWS_V2, 0, &u, true));
        evs.push(event(event_type::XID, 0, &99u64.to_le_bytes(), true));
        evs.push(event(event_type::HEARTBEAT, 0, b"binlog.000007", true));
        evs.push(event(event_type::ANONYMOUS_GTID, 0, &g, true));
        evs.push(event(event_type::STOP, 0, &[], true));
        evs.push(event(35, 0, &[0; 8], true)); // PREVIOUS_GTIDS: not decoded
        let mut rot = 4u64.to_le_bytes().to_vec();
        rot.extend_from_slice(b"binlog.000008");
        evs.push(event(event_type::ROTATE, 0, &rot, true));
        evs
    }

    #[test]
    fn mysql_stream() {
        let mut d = Decoder::new();
        let decoded: Vec<(EventHeader, Event)> = mysql_events().iter().map(|e| d.decode(e).unwrap()).collect();
        let Event::FormatDescription(fde) = &decoded[0].1 else { panic!("{:?}", decoded[0]) };
        assert_eq!(fde.server_version, "8.0.36");
        assert_eq!(fde.checksum, ChecksumAlg::Crc32);
        assert_eq!(fde.post_header_len(event_type::TABLE_MAP), Some(8));
        assert!(!fde.is_mariadb());
        let Event::Gtid(g) = &decoded[1].1 else { panic!() };
        assert!(g.commit_flag);
        assert_eq!(g.text(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:42");
        let Event::Query(q) = &decoded[2].1 else { panic!() };
        assert_eq!((q.thread_id, q.exec_time, q.database.as_str(), q.sql.as_str()), (77, 3, "shop", "BEGIN"));
        assert_eq!(decoded[3].1, Event::RowsQuery("UPDATE items SET name = 'n2'".into()));
        let Event::TableMap(t) = &decoded[4].1 else { panic!() };
        assert_eq!((t.table_id, t.database.as_str(), t.table.as_str()), (0x0102_0304_0506, "shop", "items"));
        let names: Vec<_> = t.columns.iter().map(|c| c.name.clone().unwrap()).collect();
        assert_eq!(names, ["id", "name", "code", "amount", "color", "tags"]);
        assert_eq!(t.columns[0].unsigned, Some(true));
        assert_eq!(t.columns[3].unsigned, Some(false));
        assert_eq!(t.columns[1].unsigned, None);
        assert!(!t.columns[0].nullable && t.columns[1].nullable);
        assert_eq!(t.columns[1].meta, 300);
        assert_eq!(t.columns[1].charset, Some(255));
        assert_eq!(t.columns[2].charset, Some(45));
        assert_eq!(t.columns[2].real_type(), crate::rows::types::STRING);
        assert_eq!(t.columns[3].meta, 10 << 8 | 2);
        assert_eq!(t.columns[4].real_type(), crate::rows::types::ENUM);
        assert_eq!(t.columns[4].enum_values, Some(vec![b"red".to_vec(), b"green".to_vec(), b"blue".to_vec()]));
        assert_eq!(t.columns[5].set_values, Some(vec![b"a".to_vec(), b"b".to_vec()]));
        assert_eq!(t.primary_key, vec![KeyPart { column: 0, prefix: 0 }]);
        let Event::Rows(rows) = &decoded[5].1 else { panic!() };
        assert_eq!(rows.kind, RowsKind::Update);
        assert!(Arc::ptr_eq(&rows.table, t));
        assert_eq!(rows.flags, ROWS_STMT_END_F);
        assert_eq!(rows.rows.len(), 1);
        let before = rows.rows[0].before.as_ref().unwrap();
        let after = rows.rows[0].after.as_ref().unwrap();
        assert!(!before.partial && !after.partial);
        assert_eq!(
            before.cells,
            vec![
                Cell::Int(-1),
                Cell::Bytes(b"n1".to_vec()),
                Cell::Bytes(b"abc".to_vec()),
                Cell::Decimal("12.34".into()),
                Cell::Enum(1),
                Cell::Set(3)
            ]
        );
        assert_eq!(after.cells[0], Cell::Int(5));
        assert_eq!(after.cells[1], Cell::Bytes(vec![b'x'; 300]));
        assert_eq!(after.cells[3], Cell::Decimal("-12.34".into()));
        assert_eq!((&after.cells[4], &after.cells[5]), (&Cell::Enum(3), &Cell::Set(2)));
        assert_eq!(decoded[6].1, Event::Xid(99));
        assert_eq!(decoded[7].1, Event::Heartbeat { log_file: "binlog.000007".into() });
        assert!(matches!(decoded[8].1, Event::AnonymousGtid(g) if g.gno == 42));
        assert_eq!(decoded[9].1, Event::Stop);
        assert_eq!(decoded[10].1, Event::Other(35));
        assert_eq!(decoded[11].1, Event::Rotate { position: 4, next_file: "binlog.000008".into() });
        assert!(d.table(0x0102_0304_0506).is_none(), "a ROTATE forgets the table maps");
    }

    #[test]
    fn identical_table_map_reuses_its_arc_and_a_changed_one_replaces_it() {
        let mut d = Decoder::new();
        let map = event(event_type::TABLE_MAP, 0, &items_table_map(9), false);
        let (_, Event::TableMap(a)) = d.decode(&map).unwrap() else { panic!() };
        let (_, Event::TableMap(b)) = d.decode(&map).unwrap() else { panic!() };
        assert!(Arc::ptr_eq(&a, &b));
        let mut body = items_table_map(9);
        body[9] = b'S'; // database "Shop"
        let (_, Event::TableMap(c)) = d.decode(&event(event_type::TABLE_MAP, 0, &body, false)).unwrap() else {
            panic!()
        };
        assert_eq!(c.database, "Shop");
        assert!(Arc::ptr_eq(d.table(9).unwrap(), &c));
    }

    #[test]
    fn rows_for_an_unknown_table_id_is_an_error() {
        let mut d = Decoder::new();
        let mut w = 77u64.to_le_bytes()[..6].to_vec();
        w.extend_from_slice(&[1, 0, 1, 1, 0, 0, 0, 0, 0]);
        assert_eq!(d.decode(&event(event_type::WRITE_ROWS_V1, 0, &w, false)), Err(BinlogError::UnknownTable(77)));
    }

    #[test]
    fn minimal_images_are_marked_partial() {
        let mut d = Decoder::new();
        d.decode(&event(event_type::TABLE_MAP, 0, &items_table_map(3), false)).unwrap();
        // DELETE v1 with only `id` (column 0) in the before image.
        let mut del = 3u64.to_le_bytes()[..6].to_vec();
        del.extend_from_slice(&[1, 0, 6, 0b0000_0001, 0]);
        del.extend_from_slice(&7u64.to_le_bytes());
        let (_, Event::Rows(r)) = d.decode(&event(event_type::DELETE_ROWS_V1, 0, &del, false)).unwrap() else {
            panic!()
        };
        assert_eq!(r.columns_before, [true, false, false, false, false, false]);
        let before = r.rows[0].before.as_ref().unwrap();
        assert!(before.partial);
        assert_eq!(before.cells, [Cell::Int(7), Cell::Null, Cell::Null, Cell::Null, Cell::Null, Cell::Null]);
        assert!(r.rows[0].after.is_none());
    }

    #[test]
    fn checksums_are_verified_and_stripped() {
        let mut d = Decoder::new();
        d.decode(&mysql_fde(1)).unwrap();
        let good = event(event_type::XID, 0, &5u64.to_le_bytes(), true);
        assert_eq!(d.decode(&good).unwrap().1, Event::Xid(5));
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x40;
            if (9..13).contains(&i) {
                continue; // event_size: a size error instead
            }
            assert!(matches!(d.decode(&bad), Err(BinlogError::Checksum { .. })), "byte {i}");
        }
        let mut bad_fde = mysql_fde(1);
        bad_fde[30] ^= 1;
        assert!(matches!(Decoder::new().decode(&bad_fde), Err(BinlogError::Checksum { event_type: 15, .. })));
        // With the algorithm OFF the trailing bytes are data: no CRC expected.
        let mut off = Decoder::new();
        off.decode(&mysql_fde(0)).unwrap();
        assert_eq!(off.checksum(), Some(ChecksumAlg::Off));
        assert_eq!(off.decode(&event(event_type::XID, 0, &6u64.to_le_bytes(), false)).unwrap().1, Event::Xid(6));
    }

    #[test]
    fn in_use_flag_is_outside_the_format_description_checksum() {
        let mut fde = mysql_fde(1);
        fde[17] |= LOG_EVENT_BINLOG_IN_USE_F as u8;
        let (h, _) = Decoder::new().decode(&fde).unwrap();
        assert_eq!(h.flags, LOG_EVENT_BINLOG_IN_USE_F);
    }

    #[test]
    fn mariadb_events() {
        let mut d = Decoder::new();
        d.set_checksum(ChecksumAlg::Crc32);
        // Fake ROTATE at the start of a dump: log_pos 0, artificial.
        let mut rot = 4u64.to_le_bytes().to_vec();
        rot.extend_from_slice(b"mariadb-bin.000003");
        let mut fake = event(event_type::ROTATE, LOG_EVENT_ARTIFICIAL_F, &rot, true);
        fake[13..17].copy_from_slice(&0u32.to_le_bytes());
        let end = fake.len() - 4;
        let c = crc32(&fake[..end]);
        fake[end..].copy_from_slice(&c.to_le_bytes());
        let (h, e) = d.decode(&fake).unwrap();
        assert!(h.is_artificial() && h.log_pos == 0);
        assert_eq!(e, Event::Rotate { position: 4, next_file: "mariadb-bin.000003".into() });
        let mut g = 1234u64.to_le_bytes().to_vec();
        g.extend_from_slice(&2u32.to_le_bytes());
        g.push(FL_GROUP_COMMIT_ID | FL_TRANSACTIONAL);
        g.extend_from_slice(&55u64.to_le_bytes());
        g.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let (_, Event::MariadbGtid(gtid)) = d.decode(&event(event_type::MARIADB_GTID, 0, &g, true)).unwrap() else {
            panic!()
        };
        assert_eq!(gtid.text(), "2-7-1234");
        assert_eq!(gtid.commit_id, Some(55));
        assert!(!gtid.standalone());
        g[12] = FL_STANDALONE;
        let (_, Event::MariadbGtid(gtid)) = d.decode(&event(event_type::MARIADB_GTID, 0, &g[..13], true)).unwrap()
        else {
            panic!()
        };
        assert!(gtid.standalone() && gtid.commit_id.is_none());
        let mut list = 2u32.to_le_bytes().to_vec();
        for (dom, srv, seq) in [(0u32, 1u32, 10u64), (3, 2, 77)] {
            list.extend_from_slice(&dom.to_le_bytes());
            list.extend_from_slice(&srv.to_le_bytes());
            list.extend_from_slice(&seq.to_le_bytes());
        }
        assert_eq!(
            d.decode(&event(event_type::MARIADB_GTID_LIST, 0, &list, true)).unwrap().1,
            Event::MariadbGtidList(vec![
                MariadbGtidPos { domain_id: 0, server_id: 1, seq_no: 10 },
                MariadbGtidPos { domain_id: 3, server_id: 2, seq_no: 77 }
            ])
        );
        assert_eq!(
            d.decode(&event(event_type::ANNOTATE_ROWS, 0, b"DELETE FROM t", true)).unwrap().1,
            Event::AnnotateRows("DELETE FROM t".into())
        );
        assert_eq!(
            d.decode(&event(event_type::HEARTBEAT, 0, b"mariadb-bin.000003", true)).unwrap().1,
            Event::Heartbeat { log_file: "mariadb-bin.000003".into() }
        );
    }

    #[test]
    fn mariadb_fixture_decodes_every_event() {
        let mut d = Decoder::new();
        let events: Vec<(EventHeader, Event)> =
            file_events(MARIADB_FIXTURE).into_iter().map(|e| d.decode(e).unwrap()).collect();
        let Event::FormatDescription(fde) = &events[0].1 else { panic!() };
        assert!(fde.is_mariadb() && fde.checksum == ChecksumAlg::Crc32);
        assert_eq!(events[1].1, Event::MariadbGtidList(vec![]));
        assert_eq!(events[2].1, Event::BinlogCheckpoint { log_file: "bin.000001".into() });
        let gtids: Vec<String> = events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::MariadbGtid(g) => Some(g.text()),
                _ => None,
            })
            .collect();
        assert_eq!(gtids, ["0-1-1", "0-1-2", "0-1-3", "0-1-4", "0-1-5", "0-1-6", "0-1-7"]);
        let ddl = events.iter().find_map(|(_, e)| match e {
            Event::MariadbGtid(g) if g.flags & FL_DDL != 0 => Some(g.standalone()),
            _ => None,
        });
        assert_eq!(ddl, Some(true));
        assert!(events.iter().any(|(_, e)| matches!(e, Event::Query(q) if q.sql == "CREATE DATABASE shop")));
        assert_eq!(events.last().unwrap().1, Event::Rotate { position: 4, next_file: "bin.000003".into() });

        let Some(Event::TableMap(t)) = events.iter().map(|(_, e)| e).find(|e| matches!(e, Event::TableMap(_))) else {
            panic!()
        };
        assert_eq!((t.database.as_str(), t.table.as_str(), t.columns.len()), ("shop", "t", 31));
        assert_eq!(t.columns[2].name.as_deref(), Some("tu"));
        assert_eq!(t.columns[2].unsigned, Some(true));
        assert_eq!(t.columns[22].meta, 1200); // VARCHAR(300) utf8mb4
        assert_eq!(t.columns[23].charset, Some(63)); // BINARY(4)
        assert_eq!(t.columns[27].enum_values.as_ref().map(Vec::len), Some(3));
        assert_eq!(t.primary_key, [KeyPart { column: 0, prefix: 0 }]);

        let rows: Vec<&RowsEvent> = events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Rows(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(rows.len(), 6);
        let first = rows[0].rows[0].after.as_ref().unwrap();
        let expect = vec![
            Cell::Int(1),
            Cell::Int(-128),
            Cell::Int(-1),
            Cell::Int(-32768),
            Cell::Int(-8388608),
            Cell::Int(-1),
            Cell::Int(i64::MIN),
            Cell::Int(-1),
            Cell::Float(1.5),
            Cell::Double(-2.25),
            Cell::Decimal("-12.340".into()),
            Cell::Decimal("1234567890.123456789".into()),
            Cell::Date { year: 2024, month: 2, day: 29 },
            Cell::Time(-(838 * 3600 + 59 * 60 + 59) * 1_000_000),
            Cell::Time(-10_000),
            Cell::Time(45_296_789_012),
            Cell::DateTime { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, micros: 0 },
            Cell::DateTime { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, micros: 123_000 },
            Cell::Timestamp { seconds: 1_704_067_200, micros: 1 },
            Cell::Year(2024),
            Cell::Bytes(b"abc".to_vec()),
            Cell::Bytes("héllo".as_bytes().to_vec()),
            Cell::Bytes(vec![b'x'; 300]),
            Cell::Bytes(vec![1, 2, 3, 4]),
            Cell::Bytes(vec![0, 0xff]),
            Cell::Bytes(b"some text".to_vec()),
            Cell::Bytes(vec![0, 1, 2, 3]),
            Cell::Enum(2),
            Cell::Set(0b1001),
            Cell::Bit(vec![0x02, 0xaa]),
            Cell::Bytes(br#"{"k": [1, 2.5, "x"]}"#.to_vec()),
        ];
        assert_eq!(first.cells, expect);
        assert!(!first.partial);
        let nulls = rows[1].rows[0].after.as_ref().unwrap();
        assert_eq!(nulls.cells[0], Cell::Int(2));
        assert!(nulls.cells[1..].iter().all(|c| *c == Cell::Null));
        let zero = &rows[2].rows[0].after.as_ref().unwrap().cells;
        assert_eq!(zero[10], Cell::Decimal("0.500".into()));
        assert_eq!(zero[11], Cell::Decimal("-0.000000001".into()));
        assert_eq!(zero[12], Cell::Date { year: 0, month: 0, day: 0 });
        assert_eq!(zero[13], Cell::Time(0));
        assert_eq!(zero[14], Cell::Time(-3_600_500_000));
        assert_eq!(zero[16], Cell::DateTime { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, micros: 0 });
        assert_eq!(zero[19], Cell::Year(0));
        let update = &rows[3];
        assert_eq!(update.kind, RowsKind::Update);
        let (before, after) = (update.rows[0].before.as_ref().unwrap(), update.rows[0].after.as_ref().unwrap());
        assert_eq!(before.cells, expect);
        assert_eq!(after.cells[21], Cell::Bytes(b"changed".to_vec()));
        assert_eq!(after.cells[10], Cell::Decimal("99.999".into()));
        assert_eq!(rows[4].kind, RowsKind::Delete);
        assert_eq!(rows[4].rows[0].before.as_ref().unwrap().cells[0], Cell::Int(2));
        // binlog_row_image=MINIMAL: the key before, the changed column after.
        let minimal = &rows[5].rows[0];
        let (before, after) = (minimal.before.as_ref().unwrap(), minimal.after.as_ref().unwrap());
        assert!(before.partial && after.partial);
        assert_eq!((&before.cells[0], &after.cells[0], &after.cells[1]), (&Cell::Int(3), &Cell::Null, &Cell::Int(5)));
        assert!(rows[5].columns_before[0] && !rows[5].columns_before[1]);
        assert!(!rows[5].columns_after[0] && rows[5].columns_after[1]);
    }

    /// Decodes `events` in order with a fresh decoder, then for every event
    /// and every shorter length: (a) the cut event as given is an error; (b)
    /// with its header size (and CRC) fixed to the cut, decoding returns
    /// without panicking.
    fn truncation_never_panics(events: &[Vec<u8>]) {
        for (i, ev) in events.iter().enumerate() {
            for cut in 0..ev.len() {
                let mut d = Decoder::new();
                for prior in &events[..i] {
                    d.decode(prior).unwrap();
                }
                assert!(d.decode(&ev[..cut]).is_err(), "event {i} cut at {cut}");
                if cut >= HEADER_LEN {
                    let crc = d.checksum() == Some(ChecksumAlg::Crc32) || ev[4] == event_type::FORMAT_DESCRIPTION;
                    let mut short = ev[..cut].to_vec();
                    if crc && cut >= HEADER_LEN + 4 {
                        short.truncate(cut - 4);
                        short[9..13].copy_from_slice(&(cut as u32).to_le_bytes());
                        let c = crc32(&short);
                        short.extend_from_slice(&c.to_le_bytes());
                    } else {
                        short[9..13].copy_from_slice(&(cut as u32).to_le_bytes());
                    }
                    let _ = d.decode(&short);
                }
            }
        }
    }

    #[test]
    fn truncated_mysql_events_never_panic() {
        truncation_never_panics(&mysql_events());
    }

    #[test]
    fn truncated_mariadb_fixture_events_never_panic() {
        let events: Vec<Vec<u8>> = file_events(MARIADB_FIXTURE).into_iter().map(<[u8]>::to_vec).collect();
        truncation_never_panics(&events);
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }
}
