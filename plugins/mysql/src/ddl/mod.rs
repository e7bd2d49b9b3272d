//! The DDL parser that keeps the catalog current: one statement at a time,
//! as binlog QUERY events and `SHOW CREATE TABLE` carry them.
//!
//! Only what changes table definitions is understood: CREATE/ALTER/DROP/
//! RENAME/TRUNCATE TABLE, CREATE/ALTER/DROP DATABASE, and CREATE UNIQUE
//! INDEX (which may give a table without primary key one, as in Debezium).
//! Every other statement is accepted and changes nothing. Temporary tables
//! are ignored, as Debezium does.

mod column;
mod cursor;
mod lexer;
mod table;
#[cfg(test)]
mod tests;

use crate::catalog::{Catalog, Change, TableDef, TableId};
pub use column::CURRENT_TIMESTAMP_DEFAULT;
use cursor::{Cursor, snippet};

/// Why a statement could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DdlError {
    /// Something other than what the grammar allows at that point.
    #[error("expected {expected} at byte {offset}, found: {snippet}")]
    Unexpected {
        /// What would have been valid.
        expected: String,
        /// Byte offset in the statement.
        offset: usize,
        /// The statement text from there on (up to 40 characters).
        snippet: String,
    },
    /// The statement ended early.
    #[error("expected {expected} at byte {offset}, found the end of the statement")]
    UnexpectedEnd {
        /// What would have been valid.
        expected: String,
        /// Byte offset (the statement's length).
        offset: usize,
    },
    /// A quoted string, identifier or comment is not closed.
    #[error("{what} at byte {offset}: {snippet}")]
    Lex {
        /// What is wrong.
        what: &'static str,
        /// Byte offset where it starts.
        offset: usize,
        /// The statement text from there on.
        snippet: String,
    },
    /// A data type this parser does not know.
    #[error("unknown data type {name} at byte {offset}")]
    UnknownType {
        /// The type name as written.
        name: String,
        /// Byte offset in the statement.
        offset: usize,
    },
    /// A valid statement whose effect on table definitions cannot be known
    /// from its text (`CREATE TABLE … SELECT`): the caller logs and skips it.
    #[error("unsupported: {what} at byte {offset}")]
    Unsupported {
        /// What is unsupported.
        what: &'static str,
        /// Byte offset in the statement.
        offset: usize,
    },
    /// An unqualified table name and no current database.
    #[error("no database selected for table {table}")]
    NoDatabase {
        /// The unqualified table name.
        table: String,
    },
}

impl DdlError {
    fn lex(what: &'static str, sql: &str, offset: usize) -> Self {
        DdlError::Lex { what, offset, snippet: snippet(sql, offset) }
    }
}

/// What one statement did: the changes, and the definitions of the tables
/// it dropped (DROP TABLE, DROP DATABASE), which are gone from the catalog
/// but are needed for DROP schema change events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// What changed, in statement order.
    pub changes: Vec<Change>,
    /// Definitions of dropped tables, as they were before the statement.
    pub dropped: Vec<TableDef>,
}

/// Parses one statement and applies it to `catalog`; returns what changed.
/// `default_db` is the statement's current database (may be empty).
/// Statements that do not define tables return no changes.
pub fn apply(catalog: &mut Catalog, default_db: &str, sql: &str) -> Result<Vec<Change>, DdlError> {
    apply_with_dropped(catalog, default_db, sql).map(|a| a.changes)
}

/// [`apply`], also returning the definitions of dropped tables.
pub fn apply_with_dropped(catalog: &mut Catalog, default_db: &str, sql: &str) -> Result<Applied, DdlError> {
    let toks = lexer::tokenize(sql)?;
    let mut cur = Cursor::new(sql, toks);
    let mut ctx = Ctx { catalog, default_db, out: Applied::default() };
    if cur.eat_kw("CREATE") {
        ctx.create(&mut cur)?;
    } else if cur.eat_kw("ALTER") {
        ctx.alter(&mut cur)?;
    } else if cur.eat_kw("DROP") {
        ctx.drop(&mut cur)?;
    } else if cur.eat_kw("RENAME") {
        if cur.eat_kw("TABLE") || cur.eat_kw("TABLES") {
            ctx.rename_tables(&mut cur)?;
        }
    } else if cur.eat_kw("TRUNCATE") {
        cur.eat_kw("TABLE");
        let id = ctx.table_id(&mut cur)?;
        ctx.out.changes.push(Change::Truncate(id));
    }
    Ok(ctx.out)
}

/// The statement being applied.
struct Ctx<'c> {
    catalog: &'c mut Catalog,
    default_db: &'c str,
    out: Applied,
}

impl Ctx<'_> {
    /// Reads `[db.]name` and qualifies it with the current database.
    fn table_id(&self, cur: &mut Cursor<'_>) -> Result<TableId, DdlError> {
        let (db, name) = cur.qualified()?;
        match db {
            Some(db) => Ok(TableId::new(db, name)),
            None if self.default_db.is_empty() => Err(DdlError::NoDatabase { table: name }),
            None => Ok(TableId::new(self.default_db, name)),
        }
    }

    fn create(&mut self, cur: &mut Cursor<'_>) -> Result<(), DdlError> {
        let or_replace = cur.eat_kws(&["OR", "REPLACE"]);
        if cur.eat_kw("TEMPORARY") {
            return Ok(());
        }
        if cur.eat_kw("TABLE") {
            return self.create_table(cur, or_replace);
        }
        if cur.eat_kw("DATABASE") || cur.eat_kw("SCHEMA") {
            let if_not_exists = cur.eat_kws(&["IF", "NOT", "EXISTS"]);
            let name = cur.ident()?;
            let charset = database_charset(cur)?;
            if if_not_exists && self.catalog.databases.contains_key(&name) {
                return Ok(());
            }
            self.catalog.databases.insert(name.clone(), charset);
            self.out.changes.push(Change::CreateDatabase(name));
            return Ok(());
        }
        // CREATE [ONLINE|OFFLINE] [UNIQUE|FULLTEXT|SPATIAL] INDEX.
        cur.eat_kw("ONLINE");
        cur.eat_kw("OFFLINE");
        if cur.eat_kw("UNIQUE") {
            cur.eat_kw("INDEX");
            return self.create_unique_index(cur);
        }
        Ok(())
    }

    fn alter(&mut self, cur: &mut Cursor<'_>) -> Result<(), DdlError> {
        cur.eat_kw("ONLINE");
        cur.eat_kw("IGNORE");
        if cur.eat_kw("TABLE") {
            return self.alter_table(cur);
        }
        if cur.eat_kw("DATABASE") || cur.eat_kw("SCHEMA") {
            // The name is optional: the current database.
            let name = match cur.peek() {
                Some(lexer::Tok::Ident(_)) => cur.ident()?,
                Some(lexer::Tok::Word(w))
                    if !["DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "CHAR", "UPGRADE", "READ", "COMMENT"]
                        .iter()
                        .any(|k| w.eq_ignore_ascii_case(k)) =>
                {
                    cur.ident()?
                }
                _ => self.default_db.to_string(),
            };
            if let Some(cs) = database_charset(cur)? {
                self.catalog.databases.insert(name, Some(cs));
            }
        }
        Ok(())
    }

    fn drop(&mut self, cur: &mut Cursor<'_>) -> Result<(), DdlError> {
        if cur.eat_kw("TEMPORARY") {
            return Ok(());
        }
        if cur.eat_kw("TABLE") || cur.eat_kw("TABLES") {
            cur.eat_kws(&["IF", "EXISTS"]);
            loop {
                let id = self.table_id(cur)?;
                if let Some(def) = self.catalog.tables.remove(&id) {
                    self.out.dropped.push(def);
                    self.out.changes.push(Change::Drop(id));
                }
                if !cur.eat_punct(',') {
                    break;
                }
            }
            return Ok(());
        }
        if cur.eat_kw("DATABASE") || cur.eat_kw("SCHEMA") {
            cur.eat_kws(&["IF", "EXISTS"]);
            let name = cur.ident()?;
            self.catalog.databases.remove(&name);
            let ids: Vec<TableId> = self.catalog.tables.keys().filter(|id| id.database == name).cloned().collect();
            for id in ids {
                if let Some(def) = self.catalog.tables.remove(&id) {
                    self.out.dropped.push(def);
                }
            }
            self.out.changes.push(Change::DropDatabase(name));
        }
        Ok(())
    }

    fn rename_tables(&mut self, cur: &mut Cursor<'_>) -> Result<(), DdlError> {
        loop {
            let from = self.table_id(cur)?;
            cur.expect_kw("TO")?;
            let to = self.table_id(cur)?;
            if let Some(mut def) = self.catalog.tables.remove(&from) {
                def.id = to.clone();
                self.catalog.tables.insert(to.clone(), def);
                self.out.changes.push(Change::Rename(from, to));
            }
            if !cur.eat_punct(',') {
                return Ok(());
            }
        }
    }
}

/// Reads database options and returns the character set they name (or
/// imply through a collation).
fn database_charset(cur: &mut Cursor<'_>) -> Result<Option<String>, DdlError> {
    let mut charset = None;
    let mut collation = None;
    while !cur.at_end() {
        cur.eat_kw("DEFAULT");
        if cur.eat_kws(&["CHARACTER", "SET"]) || cur.eat_kws(&["CHAR", "SET"]) || cur.eat_kw("CHARSET") {
            cur.eat_eq();
            charset = Some(cur.ident()?.to_ascii_lowercase());
        } else if cur.eat_kw("COLLATE") {
            cur.eat_eq();
            collation = Some(cur.ident()?);
        } else {
            cur.next();
        }
    }
    Ok(charset.or_else(|| collation.as_deref().map(column::charset_of_collation)))
}
