//! Resuming by GTID, as Debezium does when the offset has GTIDs and the
//! server runs with them: a GTID position names the same transaction on
//! every server of a replication topology, where binlog file names and
//! positions differ, so it survives a failover. One decision serves the
//! availability check before streaming and the dump itself.

use crate::config::MyConfig;
use crate::error::MyError;
use crate::gtid::{DumpRequest, GtidSet, MariaDbGtidPos, MySqlGtidSet};
use crate::offsets::Offset;
use crate::wire::MyConn;

/// Where a dump positioned by GTIDs resumes.
#[derive(Debug, Clone)]
pub enum GtidResume {
    /// MariaDB: the offset's positions that `gtid.source.*` accepts.
    MariaDb(MariaDbGtidPos),
    /// MySQL: the set to ask for (the offset's accepted sources over the
    /// server's purged set), and whether the offset holds everything
    /// purged of its sources, i.e. nothing after it is gone.
    MySql { set: MySqlGtidSet, nothing_lost: bool },
}

impl GtidResume {
    /// How streaming from `from` resumes on this server; `None`: by the
    /// offset's file and position (no GTIDs in the offset, or a MySQL
    /// server with `gtid_mode` off, or none of the offset's sources accepted).
    ///
    /// The server starts at the first transaction the position does not
    /// hold, which is the one the offset's `event`/`row` counts are inside
    /// of: the skipping works as it does from a file position.
    pub fn of(conn: &mut MyConn, config: &MyConfig, from: &Offset) -> Result<Option<Self>, MyError> {
        let Some(text) = from.gtids.as_deref().filter(|g| !g.trim().is_empty()) else { return Ok(None) };
        if conn.is_mariadb() {
            let pos = MariaDbGtidPos::restart_pos(&MariaDbGtidPos::parse(text)?, &config.gtid_filter);
            return Ok((!pos.is_empty()).then_some(Self::MariaDb(pos)));
        }
        let mode = conn.query_value("SELECT @@global.gtid_mode")?.unwrap_or_default();
        if !mode.eq_ignore_ascii_case("ON") {
            return Ok(None);
        }
        let offset = MySqlGtidSet::parse(text)?;
        let purged = MySqlGtidSet::parse(&conn.query_value("SELECT @@global.gtid_purged")?.unwrap_or_default())?;
        Ok(Some(Self::MySql {
            set: MySqlGtidSet::restart_set(&offset, &purged, &config.gtid_filter),
            nothing_lost: offset.retain_sources(&config.gtid_filter).covers_for_its_sources(&purged),
        }))
    }

    /// Whether no transaction after the position has been purged.
    pub fn available(&self, conn: &mut MyConn) -> Result<bool, MyError> {
        match self {
            Self::MariaDb(pos) => match conn.binlog_names()?.first() {
                Some(oldest) => Ok(pos.still_in_binlogs(&start_of(conn, oldest)?)),
                None => Ok(false),
            },
            Self::MySql { nothing_lost, .. } => Ok(*nothing_lost),
        }
    }

    /// The binlog file the dump starts in, where the server does not say:
    /// MariaDB sends no rotate at the start of a GTID dump, so it is found
    /// as the server finds it, the newest file whose starting position the
    /// offset is at or past.
    pub fn start_file(&self, conn: &mut MyConn) -> Result<Option<String>, MyError> {
        let Self::MariaDb(pos) = self else { return Ok(None) };
        for name in conn.binlog_names()?.into_iter().rev() {
            if pos.still_in_binlogs(&start_of(conn, &name)?) {
                return Ok(Some(name));
            }
        }
        Ok(None)
    }

    /// What to send to stream from here.
    pub fn request(&self) -> Result<DumpRequest, MyError> {
        let set = match self {
            Self::MariaDb(pos) => GtidSet::MariaDb(pos.clone()),
            Self::MySql { set, .. } => GtidSet::MySql(set.clone()),
        };
        Ok(set.dump_request()?)
    }
}

/// The GTID position before binlog `file`'s first transaction.
fn start_of(conn: &mut MyConn, file: &str) -> Result<MariaDbGtidPos, MyError> {
    let query = format!("SELECT BINLOG_GTID_POS('{}', 4)", file.replace('\'', "''"));
    Ok(MariaDbGtidPos::parse(&conn.query_value(&query)?.unwrap_or_default())?)
}
