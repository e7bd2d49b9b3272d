//! Global transaction identifiers: MySQL's GTID sets (`uuid:1-5:7`) and
//! MariaDB's GTID positions (`domain-server-seq`, one per domain), as the
//! offsets keep them (`gtids`), as a transaction moves them on, and as a
//! replica asks the server to resume from them.
//!
//! Filtering follows Debezium's `gtid.source.includes`/`.excludes`: on MySQL
//! the patterns match a source's uuid; on MariaDB they match
//! `domain-server` (e.g. `0-1`), as Debezium's MariaDB connector does.

use std::collections::BTreeMap;
use std::fmt;

use weir_debezium::filters::Filter;

/// A GTID or GTID set that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtidError {
    /// A source uuid that is not 32 hex digits in 8-4-4-4-12 form.
    #[error("GTID set: `{0}` is not a server uuid")]
    BadUuid(String),
    /// A MySQL tag that is not `[a-z_][a-z0-9_]{0,31}`.
    #[error("GTID set: `{0}` is not a GTID tag")]
    BadTag(String),
    /// A transaction number or interval that is not `n` or `a-b` with
    /// `1 <= a <= b < 2^63`.
    #[error("GTID set: `{0}` is not a transaction number or interval")]
    BadInterval(String),
    /// A uuid with no interval after it.
    #[error("GTID set: `{0}` has no transaction interval")]
    NoInterval(String),
    /// A MariaDB GTID that is not `domain-server-sequence`.
    #[error("MariaDB GTID: `{0}` is not domain-server-sequence")]
    BadMariaDbGtid(String),
    /// Tagged GTIDs cannot be encoded for COM_BINLOG_DUMP_GTID (yet).
    #[error(
        "GTID set: tagged GTIDs ({0}) cannot be sent to the server by this connector; \
         remove them with gtid.source.excludes or restart without a GTID offset"
    )]
    TaggedEncoding(String),
}

/// Which server family's GTIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// MySQL (5.6+, uuid-based sets).
    MySql,
    /// MariaDB (10.0+, per-domain positions).
    MariaDb,
}

/// A MySQL source: the server's uuid, and since MySQL 8.3 an optional tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tsid {
    /// The originating server's `server_uuid`, 16 bytes.
    pub uuid: [u8; 16],
    /// The tag, lower-case; `None` for untagged GTIDs.
    pub tag: Option<String>,
}

/// Formats a uuid as MySQL prints it: lower-case 8-4-4-4-12.
pub use weir_debezium::binary::uuid as format_uuid;

/// Reads a uuid in 8-4-4-4-12 form, any case.
pub fn parse_uuid(text: &str) -> Result<[u8; 16], GtidError> {
    let bad = || GtidError::BadUuid(text.to_string());
    let groups: Vec<&str> = text.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lens != [8, 4, 4, 4, 12] {
        return Err(bad());
    }
    let hex: String = groups.concat();
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = hex.get(2 * i..2 * i + 2).ok_or_else(bad)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// A MySQL tag: 1-32 characters `[a-z_][a-z0-9_]*`, compared ignoring case.
fn parse_tag(text: &str) -> Result<String, GtidError> {
    let tag = text.to_ascii_lowercase();
    let mut chars = tag.chars();
    let first_ok = chars.next().is_some_and(|c| c == '_' || c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit());
    if first_ok && rest_ok && tag.len() <= 32 { Ok(tag) } else { Err(GtidError::BadTag(text.to_string())) }
}

/// The largest transaction number MySQL allows (its GNO is a signed
/// 64-bit integer, and the dump request sends `end + 1`).
const MAX_GNO: u64 = i64::MAX as u64 - 1;

fn parse_gno(text: &str) -> Option<u64> {
    // Digits only: `u64::from_str` would take a leading `+`.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().filter(|n| (1..=MAX_GNO).contains(n))
}

/// One MySQL GTID: a source and a transaction number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MySqlGtid {
    /// The source.
    pub tsid: Tsid,
    /// The transaction number, from 1.
    pub gno: u64,
}

impl MySqlGtid {
    /// Reads `uuid:n` or `uuid:tag:n`.
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let parts: Vec<&str> = text.split(':').collect();
        let (uuid, tag, gno) = match parts.as_slice() {
            [uuid, gno] => (uuid, None, gno),
            [uuid, tag, gno] => (uuid, Some(parse_tag(tag)?), gno),
            _ => return Err(GtidError::BadInterval(text.clone())),
        };
        let uuid = parse_uuid(uuid)?;
        let gno = parse_gno(gno).ok_or_else(|| GtidError::BadInterval(gno.to_string()))?;
        Ok(Self { tsid: Tsid { uuid, tag }, gno })
    }
}

impl fmt::Display for MySqlGtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", format_uuid(&self.tsid.uuid))?;
        if let Some(tag) = &self.tsid.tag {
            write!(f, "{tag}:")?;
        }
        write!(f, "{}", self.gno)
    }
}

/// A MySQL GTID set: per source, ascending disjoint closed intervals of
/// transaction numbers, adjacent ones merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MySqlGtidSet {
    sets: BTreeMap<Tsid, Vec<(u64, u64)>>,
}

impl MySqlGtidSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a set as MySQL prints it (`@@gtid_executed`, `SHOW MASTER
    /// STATUS`) or as an offset keeps it: comma-separated
    /// `uuid[:tag]:interval[:interval…]` where an interval is `n` or `a-b`,
    /// uuids in any case, whitespace and newlines anywhere; overlapping or
    /// repeated parts merge. An empty or blank text is the empty set.
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut set = Self::new();
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let mut fields = part.split(':');
            let uuid = parse_uuid(fields.next().unwrap_or_default())?;
            let mut tsid = Tsid { uuid, tag: None };
            let mut has_interval = false;
            for field in fields {
                if field.starts_with(|c: char| c.is_ascii_digit()) {
                    let (start, end) = match field.split_once('-') {
                        Some((a, b)) => (parse_gno(a), parse_gno(b)),
                        None => (parse_gno(field), parse_gno(field)),
                    };
                    match (start, end) {
                        (Some(a), Some(b)) if a <= b => set.insert(&tsid, a, b),
                        _ => return Err(GtidError::BadInterval(field.to_string())),
                    }
                    has_interval = true;
                } else {
                    // A tag applies to the intervals after it.
                    tsid.tag = Some(parse_tag(field)?);
                    has_interval = false;
                }
            }
            if !has_interval {
                return Err(GtidError::NoInterval(part.to_string()));
            }
        }
        Ok(set)
    }

    /// Whether the set has no GTID.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// The sources and their intervals (closed, ascending).
    pub fn sources(&self) -> impl Iterator<Item = (&Tsid, &[(u64, u64)])> {
        self.sets.iter().map(|(k, v)| (k, v.as_slice()))
    }

    /// Whether the set holds this GTID.
    pub fn contains(&self, gtid: &MySqlGtid) -> bool {
        self.sets.get(&gtid.tsid).is_some_and(|ivs| ivs.iter().any(|&(a, b)| a <= gtid.gno && gtid.gno <= b))
    }

    /// Whether every transaction `other` holds of the sources this set has
    /// is also here: with `other` the server's purged set, whether nothing
    /// purged is missing from an offset's set.
    pub fn covers_for_its_sources(&self, other: &Self) -> bool {
        self.sets.iter().all(|(tsid, mine)| {
            other
                .sets
                .get(tsid)
                .is_none_or(|theirs| theirs.iter().all(|&(a, b)| mine.iter().any(|&(c, d)| c <= a && b <= d)))
        })
    }

    /// Adds a transaction's GTID (from its GTID event); false if it was
    /// already in the set.
    pub fn add(&mut self, gtid: &MySqlGtid) -> bool {
        if self.contains(gtid) {
            return false;
        }
        self.insert(&gtid.tsid, gtid.gno, gtid.gno);
        true
    }

    /// Adds `[start, end]` for a source, merging overlapping and adjacent
    /// intervals so the list stays ascending and disjoint.
    fn insert(&mut self, tsid: &Tsid, start: u64, end: u64) {
        let ivs = self.sets.entry(tsid.clone()).or_default();
        let (mut start, mut end) = (start, end);
        let mut out = Vec::with_capacity(ivs.len() + 1);
        let mut placed = false;
        for &(a, b) in ivs.iter() {
            if b.saturating_add(1) < start {
                out.push((a, b));
            } else if end.saturating_add(1) < a {
                if !placed {
                    out.push((start, end));
                    placed = true;
                }
                out.push((a, b));
            } else {
                start = start.min(a);
                end = end.max(b);
            }
        }
        if !placed {
            out.push((start, end));
        }
        *ivs = out;
    }

    /// The sources `filter` accepts (matched against the lower-case uuid),
    /// as Debezium's `gtid.source.includes`/`.excludes` do.
    pub fn retain_sources(&self, filter: &Filter) -> Self {
        let sets = self.sets.iter().filter(|(k, _)| filter.accepts(&format_uuid(&k.uuid)));
        Self { sets: sets.map(|(k, v)| (k.clone(), v.clone())).collect() }
    }

    /// This set with `other`'s sources replacing or adding to its own,
    /// source by source (not a union of intervals): Debezium's `with`.
    pub fn with(&self, other: &Self) -> Self {
        let mut sets = self.sets.clone();
        sets.extend(other.sets.iter().map(|(k, v)| (k.clone(), v.clone())));
        Self { sets }
    }

    /// The set to resume from, as Debezium computes it on connecting: the
    /// offset's sources that `filter` accepts, over the server's
    /// `@@gtid_purged` for the others. Sources the offset lacks (new, or
    /// filtered out) thus start at the first transaction still in the
    /// binlog, rather than failing for purged ones; events of filtered-out
    /// sources are then skipped by the caller.
    pub fn restart_set(offset: &Self, purged: &Self, filter: &Filter) -> Self {
        purged.with(&offset.retain_sources(filter))
    }

    /// The data of COM_BINLOG_DUMP_GTID (after its data-size field): the
    /// number of sources (8 bytes LE), then per source its 16-byte uuid,
    /// the number of intervals (8 bytes) and each interval's start and
    /// exclusive end (8 bytes each). Tagged sources are refused.
    pub fn encode(&self) -> Result<Vec<u8>, GtidError> {
        let tagged: Vec<String> =
            self.sets.keys().filter_map(|k| k.tag.as_ref().map(|t| format!("{}:{t}", format_uuid(&k.uuid)))).collect();
        if !tagged.is_empty() {
            return Err(GtidError::TaggedEncoding(tagged.join(", ")));
        }
        let size = 8 + self.sets.values().map(|v| 16 + 8 + 16 * v.len()).sum::<usize>();
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(&(self.sets.len() as u64).to_le_bytes());
        for (tsid, ivs) in &self.sets {
            out.extend_from_slice(&tsid.uuid);
            out.extend_from_slice(&(ivs.len() as u64).to_le_bytes());
            for &(a, b) in ivs {
                out.extend_from_slice(&a.to_le_bytes());
                // `b <= MAX_GNO`, so this does not overflow.
                out.extend_from_slice(&(b + 1).to_le_bytes());
            }
        }
        Ok(out)
    }
}

impl fmt::Display for MySqlGtidSet {
    /// MySQL's form: sources sorted by uuid (untagged first, then tags in
    /// order, written `uuid:1-5:tag:3`), `a-b` intervals or `a` for one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last_uuid: Option<[u8; 16]> = None;
        for (tsid, ivs) in &self.sets {
            if last_uuid == Some(tsid.uuid) {
                // Same uuid, another tag: continue the same entry.
            } else {
                if last_uuid.is_some() {
                    f.write_str(",")?;
                }
                f.write_str(&format_uuid(&tsid.uuid))?;
                last_uuid = Some(tsid.uuid);
            }
            if let Some(tag) = &tsid.tag {
                write!(f, ":{tag}")?;
            }
            for &(a, b) in ivs {
                if a == b {
                    write!(f, ":{a}")?;
                } else {
                    write!(f, ":{a}-{b}")?;
                }
            }
        }
        Ok(())
    }
}

/// One MariaDB GTID: `domain-server-sequence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MariaDbGtid {
    /// The replication domain.
    pub domain: u32,
    /// The server that wrote the transaction.
    pub server: u32,
    /// The sequence number within the domain.
    pub sequence: u64,
}

impl MariaDbGtid {
    /// Reads `domain-server-sequence` (whitespace around it ignored).
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let bad = || GtidError::BadMariaDbGtid(text.to_string());
        let trimmed = text.trim();
        let mut parts = trimmed.split('-');
        let (Some(d), Some(s), Some(n), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !(digits(d) && digits(s) && digits(n)) {
            return Err(bad());
        }
        Ok(Self {
            domain: d.parse().map_err(|_| bad())?,
            server: s.parse().map_err(|_| bad())?,
            sequence: n.parse().map_err(|_| bad())?,
        })
    }

    /// `domain-server`, what `gtid.source.includes`/`.excludes` match.
    pub fn source(&self) -> String {
        format!("{}-{}", self.domain, self.server)
    }
}

impl fmt::Display for MariaDbGtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.domain, self.server, self.sequence)
    }
}

/// A MariaDB GTID position: the last GTID of each replication domain,
/// like `@@gtid_slave_pos` (and Debezium's MariaDB offsets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MariaDbGtidPos {
    by_domain: BTreeMap<u32, MariaDbGtid>,
}

impl MariaDbGtidPos {
    /// An empty position.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a comma-separated list (`0-1-100,1-2-7`; whitespace and
    /// newlines allowed). When a domain appears twice the later GTID wins,
    /// as in Debezium and MariaDB. An empty or blank text is empty.
    pub fn parse(text: &str) -> Result<Self, GtidError> {
        let mut pos = Self::new();
        for part in text.split(',') {
            if part.trim().is_empty() {
                continue;
            }
            pos.add(MariaDbGtid::parse(part)?);
        }
        Ok(pos)
    }

    /// Whether no domain has a GTID.
    pub fn is_empty(&self) -> bool {
        self.by_domain.is_empty()
    }

    /// The GTIDs, one per domain, by domain.
    pub fn gtids(&self) -> impl Iterator<Item = &MariaDbGtid> {
        self.by_domain.values()
    }

    /// The last GTID of a domain.
    pub fn domain(&self, domain: u32) -> Option<&MariaDbGtid> {
        self.by_domain.get(&domain)
    }

    /// Records a transaction's GTID: it becomes its domain's position.
    pub fn add(&mut self, gtid: MariaDbGtid) {
        self.by_domain.insert(gtid.domain, gtid);
    }

    /// The domains whose GTID's `domain-server` `filter` accepts.
    pub fn retain_sources(&self, filter: &Filter) -> Self {
        let kept = self.by_domain.iter().filter(|(_, g)| filter.accepts(&g.source()));
        Self { by_domain: kept.map(|(d, g)| (*d, *g)).collect() }
    }

    /// The position to resume from, as Debezium computes it on connecting:
    /// the offset's GTIDs that `filter` accepts. A domain left out is
    /// streamed by the server from the oldest binlog that has it.
    pub fn restart_pos(offset: &Self, filter: &Filter) -> Self {
        offset.retain_sources(filter)
    }

    /// Whether streaming from this position needs nothing older than
    /// `oldest`, the position at the start of the oldest binlog still on the
    /// server (`BINLOG_GTID_POS(<its name>, 4)`): in each domain both have,
    /// this one is at or past it. A domain only `oldest` has was never
    /// streamed, so nothing of it is missing.
    pub fn still_in_binlogs(&self, oldest: &Self) -> bool {
        oldest.gtids().all(|first| self.domain(first.domain).is_none_or(|mine| mine.sequence >= first.sequence))
    }

    /// The session variables a replica sets before COM_BINLOG_DUMP to
    /// stream from this position, in order; the wire code runs each as a
    /// query (after `SET @master_binlog_checksum = @@global.binlog_checksum`,
    /// which any binlog client sends), then sends COM_BINLOG_DUMP with an
    /// empty file name: the server ignores file and position (0 will do)
    /// when `@slave_connect_state` is set.
    ///
    /// - capability 4 (GTID) makes the server send GTID events, so that
    ///   each transaction's GTID can move the position on;
    /// - `@slave_connect_state` is where to start, per domain;
    /// - strict mode off: a gap or out-of-order sequence in a domain, which
    ///   multi-source setups produce, must not stop streaming;
    /// - duplicates are not ignored: the connector sees every transaction.
    pub fn dump_commands(&self) -> Vec<String> {
        vec![
            "SET @mariadb_slave_capability = 4".to_string(),
            // Digits and dashes only: nothing to escape.
            format!("SET @slave_connect_state = '{self}'"),
            "SET @slave_gtid_strict_mode = 0".to_string(),
            "SET @slave_gtid_ignore_duplicates = 0".to_string(),
        ]
    }
}

impl fmt::Display for MariaDbGtidPos {
    /// `domain-server-seq` by ascending domain, comma-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, gtid) in self.by_domain.values().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{gtid}")?;
        }
        Ok(())
    }
}

/// A transaction's GTID, either family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gtid {
    /// MySQL.
    MySql(MySqlGtid),
    /// MariaDB.
    MariaDb(MariaDbGtid),
}

impl Gtid {
    /// Reads one GTID of the given family (as `source.gtid` shows it).
    pub fn parse(flavor: Flavor, text: &str) -> Result<Self, GtidError> {
        match flavor {
            Flavor::MySql => MySqlGtid::parse(text).map(Self::MySql),
            Flavor::MariaDb => MariaDbGtid::parse(text).map(Self::MariaDb),
        }
    }

    /// The source that `gtid.source.includes`/`.excludes` match: the uuid
    /// on MySQL, `domain-server` on MariaDB.
    pub fn source(&self) -> String {
        match self {
            Self::MySql(g) => format_uuid(&g.tsid.uuid),
            Self::MariaDb(g) => g.source(),
        }
    }
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MySql(g) => g.fmt(f),
            Self::MariaDb(g) => g.fmt(f),
        }
    }
}

/// How a replica asks the server to stream from a GTID position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DumpRequest {
    /// MySQL: COM_BINLOG_DUMP_GTID with this GTID data (flag
    /// `BINLOG_THROUGH_GTID`, empty file name, position 4).
    MySql(Vec<u8>),
    /// MariaDB: run these queries, then COM_BINLOG_DUMP (see
    /// [`MariaDbGtidPos::dump_commands`]).
    MariaDb(Vec<String>),
}

/// The GTIDs an offset records, either family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GtidSet {
    /// A MySQL GTID set.
    MySql(MySqlGtidSet),
    /// A MariaDB GTID position.
    MariaDb(MariaDbGtidPos),
}

impl GtidSet {
    /// An empty set of the family.
    pub fn empty(flavor: Flavor) -> Self {
        match flavor {
            Flavor::MySql => Self::MySql(MySqlGtidSet::new()),
            Flavor::MariaDb => Self::MariaDb(MariaDbGtidPos::new()),
        }
    }

    /// Reads an offset's `gtids` (or the server's executed set).
    pub fn parse(flavor: Flavor, text: &str) -> Result<Self, GtidError> {
        match flavor {
            Flavor::MySql => MySqlGtidSet::parse(text).map(Self::MySql),
            Flavor::MariaDb => MariaDbGtidPos::parse(text).map(Self::MariaDb),
        }
    }

    /// The family.
    pub fn flavor(&self) -> Flavor {
        match self {
            Self::MySql(_) => Flavor::MySql,
            Self::MariaDb(_) => Flavor::MariaDb,
        }
    }

    /// Whether there is no GTID.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::MySql(s) => s.is_empty(),
            Self::MariaDb(p) => p.is_empty(),
        }
    }

    /// Whether the set holds `gtid`'s transaction: on MariaDB, whether the
    /// position is at or past it in its domain (a domain's sequence numbers
    /// only grow).
    pub fn contains(&self, gtid: &Gtid) -> bool {
        match (self, gtid) {
            (Self::MySql(s), Gtid::MySql(g)) => s.contains(g),
            (Self::MariaDb(p), Gtid::MariaDb(g)) => p.domain(g.domain).is_some_and(|have| have.sequence >= g.sequence),
            _ => false,
        }
    }

    /// Records a transaction's GTID. A GTID of the other family is
    /// ignored (false), as is one a MySQL set already holds.
    pub fn add(&mut self, gtid: &Gtid) -> bool {
        match (self, gtid) {
            (Self::MySql(s), Gtid::MySql(g)) => s.add(g),
            (Self::MariaDb(p), Gtid::MariaDb(g)) => {
                p.add(*g);
                true
            }
            _ => false,
        }
    }

    /// The sources `filter` accepts.
    pub fn retain_sources(&self, filter: &Filter) -> Self {
        match self {
            Self::MySql(s) => Self::MySql(s.retain_sources(filter)),
            Self::MariaDb(p) => Self::MariaDb(p.retain_sources(filter)),
        }
    }

    /// How to start streaming from this set, as is (apply
    /// [`MySqlGtidSet::restart_set`] or [`MariaDbGtidPos::restart_pos`]
    /// first for Debezium's filtering on reconnect).
    pub fn dump_request(&self) -> Result<DumpRequest, GtidError> {
        match self {
            Self::MySql(s) => s.encode().map(DumpRequest::MySql),
            Self::MariaDb(p) => Ok(DumpRequest::MariaDb(p.dump_commands())),
        }
    }
}

impl fmt::Display for GtidSet {
    /// The offset's `gtids` text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MySql(s) => s.fmt(f),
            Self::MariaDb(p) => p.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const B: &str = "e0a8e8f0-1c2b-11ee-8d2a-0242ac110002";

    fn mysql(text: &str) -> MySqlGtidSet {
        MySqlGtidSet::parse(text).expect("valid set")
    }

    fn gtid(text: &str) -> MySqlGtid {
        MySqlGtid::parse(text).expect("valid gtid")
    }

    #[test]
    fn mysql_sets_normalise() {
        // Upper case, unsorted, overlapping, adjacent, repeated, with the
        // newlines MySQL puts after commas.
        let text = format!("{},\n {A}:7-9:1-5:6, {A}:3-4:20\n", B.to_uppercase() + ":1-3:5");
        let set = mysql(&text);
        assert_eq!(set.to_string(), format!("{A}:1-9:20,{B}:1-3:5"));
        assert_eq!(mysql(&set.to_string()), set, "round trip");
        assert!(mysql("").is_empty());
        assert!(mysql(" \n").is_empty());
        assert_eq!(mysql(&format!("{A}:5-5")).to_string(), format!("{A}:5"));
    }

    #[test]
    fn mysql_tags() {
        let set = mysql(&format!("{A}:Tag_1:3-4:1,{A}:2,{A}:other:9"));
        assert_eq!(set.to_string(), format!("{A}:2:other:9:tag_1:1:3-4"));
        assert_eq!(mysql(&set.to_string()), set);
        assert!(set.contains(&gtid(&format!("{A}:TAG_1:4"))));
        assert!(!set.contains(&gtid(&format!("{A}:4"))));
        assert!(matches!(set.encode(), Err(GtidError::TaggedEncoding(_))));
        assert_eq!(gtid(&format!("{A}:tag_1:4")).to_string(), format!("{A}:tag_1:4"));
    }

    #[test]
    fn mysql_malformed_sets_are_errors() {
        for text in [
            "nonsense",
            "3e11fa47-71ca-11e1-9e33:1",
            "3e11fa47-71ca-11e1-9e33-c80aa942956z:1",
            A,
            &format!("{A}:"),
            &format!("{A}:0"),
            &format!("{A}:5-3"),
            &format!("{A}:1-"),
            &format!("{A}:-1"),
            &format!("{A}:+1"),
            &format!("{A}:1-2-3"),
            &format!("{A}:9223372036854775807"),
            &format!("{A}:99999999999999999999999"),
            &format!("{A}:tag"),
            &format!("{A}:1:bad-tag:2"),
            &format!("{A}:1:{}:2", "t".repeat(33)),
            &format!("{A}:1:é:2"),
            "é:1",
        ] {
            assert!(MySqlGtidSet::parse(text).is_err(), "{text:?}");
        }
        assert!(mysql(&format!("{A}:9223372036854775806")).encode().is_ok());
        for text in ["", "x:1", A, &format!("{A}:0"), &format!("{A}:1:2"), &format!("{A}:1-2")] {
            assert!(MySqlGtid::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn mysql_add_extends_and_merges() {
        let mut set = mysql(&format!("{A}:1-5:7-9"));
        assert!(set.add(&gtid(&format!("{A}:6"))));
        assert_eq!(set.to_string(), format!("{A}:1-9"));
        assert!(!set.add(&gtid(&format!("{A}:3"))), "already there");
        assert!(set.add(&gtid(&format!("{A}:11"))));
        assert!(set.add(&gtid(&format!("{B}:1"))));
        assert!(set.add(&gtid(&format!("{B}:2"))));
        assert_eq!(set.to_string(), format!("{A}:1-9:11,{B}:1-2"));
        let mut set = MySqlGtidSet::new();
        for n in [5, 3, 1, 2, 4] {
            set.add(&gtid(&format!("{A}:{n}")));
        }
        assert_eq!(set.to_string(), format!("{A}:1-5"));
        assert_eq!(set.sources().count(), 1);
    }

    #[test]
    fn mysql_encoding() {
        let set = mysql(&format!("{B}:1-3:5,{A}:1-10"));
        let data = set.encode().expect("untagged");
        assert_eq!(data.len(), 8 + (16 + 8 + 16) + (16 + 8 + 2 * 16));
        assert_eq!(&data[..8], &2u64.to_le_bytes());
        assert_eq!(&data[8..24], &parse_uuid(A).expect("uuid"), "sorted by uuid");
        assert_eq!(&data[24..32], &1u64.to_le_bytes());
        assert_eq!(&data[32..40], &1u64.to_le_bytes());
        assert_eq!(&data[40..48], &11u64.to_le_bytes(), "exclusive end");
        assert_eq!(&data[48..64], &parse_uuid(B).expect("uuid"));
        assert_eq!(&data[64..72], &2u64.to_le_bytes());
        let ends: Vec<u64> = data[72..].chunks(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
        assert_eq!(ends, vec![1, 4, 5, 6]);
        assert_eq!(MySqlGtidSet::new().encode().expect("empty"), 0u64.to_le_bytes().to_vec());
    }

    #[test]
    fn mysql_filters_and_restart_set() {
        let offset = mysql(&format!("{A}:1-100,{B}:1-50"));
        let include = Filter::new(Some("3E11FA47-.*"), None).expect("patterns");
        assert_eq!(offset.retain_sources(&include).to_string(), format!("{A}:1-100"));
        let exclude = Filter::new(None, Some(A)).expect("patterns");
        assert_eq!(offset.retain_sources(&exclude).to_string(), format!("{B}:1-50"));
        assert_eq!(offset.retain_sources(&Filter::All), offset);
        // On reconnect: the offset's accepted sources, the server's purged
        // GTIDs for the others.
        let purged = mysql(&format!("{A}:1-10,{B}:1-20"));
        let restart = MySqlGtidSet::restart_set(&offset, &purged, &exclude);
        assert_eq!(restart.to_string(), format!("{A}:1-10,{B}:1-50"));
        assert_eq!(MySqlGtidSet::restart_set(&offset, &MySqlGtidSet::new(), &Filter::All), offset);
    }

    #[test]
    fn uuids() {
        let uuid = parse_uuid("3E11FA47-71CA-11E1-9E33-C80AA9429562").expect("uuid");
        assert_eq!(format_uuid(&uuid), A);
        for bad in [
            "",
            "3e11fa4771ca11e19e33c80aa9429562",
            "3e11fa47-71ca-11e1-9e33-c80aa94295",
            "ééééééé-71ca-11e1-9e33-c80aa9429562",
        ] {
            assert!(parse_uuid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mariadb_positions_keep_one_gtid_per_domain() {
        let mut pos = MariaDbGtidPos::parse(" 1-2-7,\n0-1-100 ").expect("valid");
        assert_eq!(pos.to_string(), "0-1-100,1-2-7");
        pos.add(MariaDbGtid::parse("0-3-101").expect("gtid"));
        pos.add(MariaDbGtid::parse("5-1-1").expect("gtid"));
        assert_eq!(pos.to_string(), "0-3-101,1-2-7,5-1-1");
        assert_eq!(pos.domain(0).map(|g| g.server), Some(3));
        // Later entries of a domain win, as MariaDB and Debezium read them.
        assert_eq!(MariaDbGtidPos::parse("0-1-5,0-2-3").expect("valid").to_string(), "0-2-3");
        assert!(MariaDbGtidPos::parse("").expect("empty").is_empty());
        assert_eq!(pos.gtids().count(), 3);
        let max = MariaDbGtid::parse("4294967295-4294967295-18446744073709551615").expect("max");
        assert_eq!(max.to_string(), "4294967295-4294967295-18446744073709551615");
    }

    #[test]
    fn mariadb_malformed_gtids_are_errors() {
        for text in [
            "0-1",
            "0-1-2-3",
            "a-1-2",
            "0--2",
            "-1-2-3",
            "0-1-+2",
            "4294967296-1-1",
            "0-1-18446744073709551616",
            "0 -1-1",
        ] {
            assert!(MariaDbGtid::parse(text).is_err(), "{text:?}");
        }
        assert!(MariaDbGtidPos::parse("0-1-1,x").is_err());
        assert!(MariaDbGtidPos::parse(&format!("{A}:1")).is_err());
    }

    #[test]
    fn mariadb_filters_match_domain_and_server() {
        let pos = MariaDbGtidPos::parse("0-1-100,1-2-7,2-1-9").expect("valid");
        let include = Filter::new(Some("0-.*,2-1"), None).expect("patterns");
        assert_eq!(pos.retain_sources(&include).to_string(), "0-1-100,2-1-9");
        let exclude = Filter::new(None, Some(".*-1")).expect("patterns");
        assert_eq!(MariaDbGtidPos::restart_pos(&pos, &exclude).to_string(), "1-2-7");
    }

    #[test]
    fn mariadb_dump_commands() {
        let pos = MariaDbGtidPos::parse("0-1-100,1-2-7").expect("valid");
        assert_eq!(
            pos.dump_commands(),
            vec![
                "SET @mariadb_slave_capability = 4",
                "SET @slave_connect_state = '0-1-100,1-2-7'",
                "SET @slave_gtid_strict_mode = 0",
                "SET @slave_gtid_ignore_duplicates = 0",
            ]
        );
    }

    #[test]
    fn an_offset_is_available_when_nothing_after_it_was_purged() {
        // MySQL: the purged set of each source the offset has lies inside it.
        let offset = MySqlGtidSet::parse(&format!("{A}:1-100")).expect("offset");
        let purged = |text: &str| MySqlGtidSet::parse(text).expect("purged");
        assert!(offset.covers_for_its_sources(&purged(&format!("{A}:1-40"))));
        assert!(offset.covers_for_its_sources(&purged(&format!("{A}:1-100,{B}:1-9"))), "B was never streamed");
        assert!(!offset.covers_for_its_sources(&purged(&format!("{A}:1-101"))), "101 is gone");
        assert!(!offset.covers_for_its_sources(&purged(&format!("{A}:1-40:90-120"))));
        // MariaDB: at or past the oldest binlog's starting position, per domain.
        let pos = MariaDbGtidPos::parse("0-1-100,1-2-7").expect("pos");
        let oldest = |text: &str| MariaDbGtidPos::parse(text).expect("oldest");
        assert!(pos.still_in_binlogs(&oldest("0-1-100")));
        assert!(pos.still_in_binlogs(&oldest("0-1-50,1-2-7,2-3-9")), "domain 2 was never streamed");
        assert!(pos.still_in_binlogs(&oldest("")));
        assert!(!pos.still_in_binlogs(&oldest("0-1-101")), "101 is in a purged binlog");
        assert!(!pos.still_in_binlogs(&oldest("0-1-10,1-2-8")));
    }

    #[test]
    fn either_family() {
        let mut set = GtidSet::parse(Flavor::MySql, &format!("{A}:1-3")).expect("mysql");
        assert_eq!(set.flavor(), Flavor::MySql);
        let g = Gtid::parse(Flavor::MySql, &format!("{A}:4")).expect("gtid");
        assert_eq!(g.source(), A);
        assert!(set.add(&g));
        assert!(!set.add(&Gtid::parse(Flavor::MariaDb, "0-1-1").expect("gtid")), "other family");
        assert_eq!(set.to_string(), format!("{A}:1-4"));
        assert!(matches!(set.dump_request(), Ok(DumpRequest::MySql(d)) if d.len() == 8 + 16 + 8 + 16));

        let mut set = GtidSet::empty(Flavor::MariaDb);
        assert!(set.is_empty());
        let g = Gtid::parse(Flavor::MariaDb, "0-1-5").expect("gtid");
        assert_eq!((g.source(), g.to_string()), ("0-1".to_string(), "0-1-5".to_string()));
        assert!(set.add(&g));
        assert_eq!(set.to_string(), "0-1-5");
        assert!(matches!(set.dump_request(), Ok(DumpRequest::MariaDb(c)) if c.len() == 4));
        let filter = Filter::new(Some("1-.*"), None).expect("patterns");
        assert!(set.retain_sources(&filter).is_empty());
        assert!(GtidSet::parse(Flavor::MariaDb, &format!("{A}:1")).is_err());
        assert!(GtidSet::parse(Flavor::MySql, "0-1-1").is_err());
    }
}
