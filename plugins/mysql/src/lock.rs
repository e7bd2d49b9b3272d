//! How a snapshot fixes its consistent point: the lock it takes, the binlog
//! position read under that lock, and the table definitions at that
//! position.
//!
//! As Debezium does, `FLUSH TABLES WITH READ LOCK` comes first. Where the
//! server refuses it (no `RELOAD`, as on Amazon RDS), the captured tables
//! are read-locked instead (`LOCK TABLES … READ`, which needs only the
//! `LOCK TABLES` privilege) and stay locked until their rows are read:
//! unlocking ends a transaction, so here the lock, not a transaction,
//! keeps the read consistent with the position. Refused that too, MariaDB
//! still has an exact position (the one its consistent-snapshot
//! transaction reports) and carries on without a lock; MySQL has none, so
//! the snapshot fails saying what to grant.

use crate::catalog::TableId;
use crate::config::{LockingMode, MyConfig};
use crate::error::MyError;
use crate::snapshot::Point;
use crate::wire::{MyConn, ident};

/// Databases that hold the server's own state, never captured.
const SYSTEM_DATABASES: &[&str] = &["mysql", "information_schema", "performance_schema", "sys"];

/// Privilege refusals: `ER_DBACCESS_DENIED_ERROR`,
/// `ER_TABLEACCESS_DENIED_ERROR`, `ER_SPECIFIC_ACCESS_DENIED_ERROR`.
const DENIED: [u16; 3] = [1044, 1142, 1227];

fn is_denied(e: &MyError) -> bool {
    e.code().is_some_and(is_denied_code)
}

fn is_denied_code(code: u16) -> bool {
    DENIED.contains(&code)
}

/// Ends what a snapshot held for its rows: the transaction, then any lock
/// (`extended` mode's global lock, or the captured tables' read locks).
pub const RELEASE: &str = "COMMIT; UNLOCK TABLES";

/// The lock a snapshot holds once its point is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// None (`snapshot.locking.mode=none`, or MariaDB refused every lock):
    /// a consistent-snapshot transaction is open.
    Nothing,
    /// The global read lock, inside a consistent-snapshot transaction.
    Global,
    /// Read locks on the captured tables, without a transaction.
    Tables,
}

/// A `SHOW CREATE` statement read at the point.
pub struct Definition {
    /// Its database.
    pub db: String,
    /// Its table; `None` for the database's own statement.
    pub table: Option<String>,
    /// The statement.
    pub sql: String,
}

/// A snapshot's starting state.
pub struct Start {
    /// Where streaming continues.
    pub point: Point,
    /// Every database and table definition, databases before their tables.
    pub definitions: Vec<Definition>,
    /// What stays locked or open until the snapshot's rows are read.
    pub held: Held,
}

/// Locks as `snapshot.locking.mode` asks and the server allows, fixes the
/// point and reads the definitions of every database the filters accept.
pub fn begin(conn: &mut MyConn, config: &MyConfig) -> Result<Start, MyError> {
    if config.locking == LockingMode::None {
        return in_transaction(conn, config, Held::Nothing);
    }
    let global = match conn.execute("FLUSH TABLES WITH READ LOCK") {
        Ok(()) => return in_transaction(conn, config, Held::Global),
        // Any refusal, as Debezium: privileges differ between servers and services.
        Err(e @ MyError::Server { .. }) => e,
        Err(e) => return Err(e),
    };
    crate::log_info(&format!(
        "Unable to flush and acquire the global read lock ({global}); locking the captured tables instead, \
         until their rows are read"
    ));
    let layout = list(conn, config)?;
    let tables: Vec<String> = layout
        .iter()
        .filter_map(|l| l.captured.as_ref())
        .map(|id| format!("{}.{} READ", ident(&id.database), ident(&id.table)))
        .collect();
    if !tables.is_empty() {
        match conn.execute(&format!("LOCK TABLES {}", tables.join(", "))) {
            Ok(()) => {}
            Err(e) if is_denied(&e) && conn.is_mariadb() => {
                weir_sdk::host::warn(&format!(
                    "no read lock on the captured tables either ({e}); relying on the consistent snapshot, \
                     which a schema change during the snapshot could outrun"
                ));
                return in_transaction(conn, config, Held::Nothing);
            }
            Err(MyError::Server { code, state, message }) if is_denied_code(code) => {
                return Err(MyError::Server {
                    code,
                    state,
                    message: format!(
                        "the server refused both the global read lock ({global}) and read locks on the captured \
                         tables ({message}); grant {user} the RELOAD or the LOCK TABLES privilege, or set \
                         snapshot.locking.mode=none (safe only without schema changes during the snapshot)",
                        user = config.connect.user,
                    ),
                });
            }
            Err(e) => return Err(e),
        }
    }
    let point = master_status(conn)?;
    // Under `LOCK TABLES` only the locked tables can be read, so the
    // others' definitions were read before the lock.
    Ok(Start { point, definitions: complete(conn, layout)?, held: Held::Tables })
}

/// Opens a consistent-snapshot transaction (under the global lock, if
/// held), reads its point, then every definition.
fn in_transaction(conn: &mut MyConn, config: &MyConfig, held: Held) -> Result<Start, MyError> {
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
    conn.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")?;
    let point = if conn.is_mariadb() {
        // Consistent with the transaction's view, lock or not.
        let status = conn.query("SHOW STATUS LIKE 'binlog_snapshot_%'")?;
        let mut file = String::new();
        let mut pos = 0;
        for row in status.iter().flat_map(|r| r.rows.iter()) {
            match row.text(0).as_deref() {
                Some("Binlog_snapshot_file") => file = row.text(1).unwrap_or_default(),
                Some("Binlog_snapshot_position") => pos = row.text(1).and_then(|p| p.parse().ok()).unwrap_or(0),
                _ => {}
            }
        }
        let gtids = conn.query_value("SELECT @@global.gtid_binlog_pos")?.filter(|g| !g.is_empty());
        checked(Point { file, pos, gtids })?
    } else {
        master_status(conn)?
    };
    let layout = list(conn, config)?;
    Ok(Start { point, definitions: complete(conn, layout)?, held })
}

/// The position `SHOW MASTER STATUS` (`SHOW BINARY LOG STATUS` from
/// MySQL 8.2) reports; the GTID set is MySQL's fifth column, or MariaDB's
/// `gtid_binlog_pos`.
fn master_status(conn: &mut MyConn) -> Result<Point, MyError> {
    let status = conn.query(conn.binlog_status_statement())?;
    let row = status.iter().find_map(|r| r.rows.first());
    let file = row.and_then(|r| r.text(0)).unwrap_or_default();
    let pos = row.and_then(|r| r.text(1)).and_then(|p| p.parse().ok()).unwrap_or(0);
    let gtids = if conn.is_mariadb() {
        conn.query_value("SELECT @@global.gtid_binlog_pos")?
    } else {
        row.and_then(|r| r.text(4)).map(|g| g.replace(['\n', '\r'], ""))
    };
    checked(Point { file, pos, gtids: gtids.filter(|g| !g.is_empty()) })
}

fn checked(point: Point) -> Result<Point, MyError> {
    if point.file.is_empty() {
        return Err(MyError::Protocol(
            "the server reports no binlog position: is log_bin enabled (log-bin in the server's configuration)?".into(),
        ));
    }
    crate::log_info(&format!("Snapshot consistent point {}:{}", point.file, point.pos));
    Ok(point)
}

/// One database or table in the order the history needs them.
struct Listed {
    definition: Definition,
    /// Set for a captured table, whose definition is read after locking.
    captured: Option<TableId>,
}

/// The databases the filters accept and their base tables, with the
/// definitions of all but the captured tables.
fn list(conn: &mut MyConn, config: &MyConfig) -> Result<Vec<Listed>, MyError> {
    let mut out = Vec::new();
    let databases = conn.query("SHOW DATABASES")?;
    let names: Vec<String> = databases.iter().flat_map(|r| r.rows.iter()).filter_map(|r| r.text(0)).collect();
    for db in names {
        if SYSTEM_DATABASES.contains(&db.to_ascii_lowercase().as_str()) || !config.databases.accepts(&db) {
            continue;
        }
        let create_db = conn.query(&format!("SHOW CREATE DATABASE {}", ident(&db)))?;
        if let Some(sql) = create_db.iter().find_map(|r| r.rows.first()).and_then(|r| r.text(1)) {
            out.push(Listed { definition: Definition { db: db.clone(), table: None, sql }, captured: None });
        }
        let tables = conn.query(&format!("SHOW FULL TABLES FROM {} WHERE Table_type = 'BASE TABLE'", ident(&db)))?;
        let names: Vec<String> = tables.iter().flat_map(|r| r.rows.iter()).filter_map(|r| r.text(0)).collect();
        for table in names {
            let id = TableId::new(db.clone(), table.clone());
            let (sql, captured) = if config.captures(&id) {
                (String::new(), Some(id))
            } else {
                (show_create_table(conn, &id)?.unwrap_or_default(), None)
            };
            out.push(Listed { definition: Definition { db: db.clone(), table: Some(table), sql }, captured });
        }
    }
    Ok(out)
}

/// Reads the captured tables' definitions, which `list` left out, and
/// drops any statement the server did not return.
fn complete(conn: &mut MyConn, layout: Vec<Listed>) -> Result<Vec<Definition>, MyError> {
    let mut out = Vec::with_capacity(layout.len());
    for Listed { mut definition, captured } in layout {
        if let Some(id) = captured {
            definition.sql = show_create_table(conn, &id)?.unwrap_or_default();
        }
        if !definition.sql.is_empty() {
            out.push(definition);
        }
    }
    Ok(out)
}

fn show_create_table(conn: &mut MyConn, id: &TableId) -> Result<Option<String>, MyError> {
    let create = conn.query(&format!("SHOW CREATE TABLE {}.{}", ident(&id.database), ident(&id.table)))?;
    Ok(create.iter().find_map(|r| r.rows.first()).and_then(|r| r.text(1)))
}
