//! CREATE TABLE, ALTER TABLE and CREATE UNIQUE INDEX.
//!
//! Primary keys follow Debezium: an explicit PRIMARY KEY wins; without one,
//! the first inline UNIQUE column, or the first UNIQUE key whose columns are
//! all NOT NULL, serves as the key (as it does for row identity).

use super::column::{self, ParsedColumn, is_character, parse_column};
use super::cursor::Cursor;
use super::lexer::Tok;
use super::{Ctx, DdlError};
use crate::catalog::{Change, ColumnDef, TableDef, TableId};

/// Words that start a table constraint rather than a column definition.
const CONSTRAINT_WORDS: &[&str] =
    &["CONSTRAINT", "PRIMARY", "UNIQUE", "KEY", "INDEX", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK"];

/// Where ADD/MODIFY/CHANGE puts a column.
enum Position {
    /// Append (ADD) or keep the place (MODIFY/CHANGE).
    Default,
    /// FIRST.
    First,
    /// AFTER the named column.
    After(String),
}

/// What a table constraint says about the primary key.
enum Constraint {
    Primary(Vec<String>),
    Unique(Vec<String>),
    Other,
}

impl Ctx<'_> {
    pub(super) fn create_table(&mut self, cur: &mut Cursor<'_>, or_replace: bool) -> Result<(), DdlError> {
        let if_not_exists = cur.eat_kws(&["IF", "NOT", "EXISTS"]);
        let id = self.table_id(cur)?;
        if if_not_exists && !or_replace && self.catalog.tables.contains_key(&id) {
            return Ok(());
        }
        let like = if cur.eat_kw("LIKE") {
            true
        } else if cur.is_punct('(') && cur.is_kw_at(1, "LIKE") {
            cur.next();
            cur.next();
            true
        } else {
            false
        };
        if like {
            let source = self.table_id(cur)?;
            if let Some(def) = self.catalog.tables.get(&source) {
                let mut def = def.clone();
                def.id = id.clone();
                self.catalog.tables.insert(id.clone(), def);
                self.out.changes.push(Change::Create(id));
            }
            return Ok(());
        }

        let mut def = TableDef {
            id: id.clone(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            default_charset: None,
            comment: None,
        };
        // The first UNIQUE key that may serve as primary key, per Debezium.
        let mut unique_key: Option<Vec<String>> = None;
        let mut primary: Option<Vec<String>> = None;
        let mut explicit_charsets = Vec::new();
        if !cur.eat_punct('(') {
            return Err(if cur.is_kw("SELECT") || cur.is_kw("AS") {
                unsupported_select(cur)
            } else {
                cur.unexpected("'(' or LIKE")
            });
        }
        loop {
            if is_constraint_start(cur) {
                match parse_constraint(cur)? {
                    Constraint::Primary(cols) => primary = Some(cols),
                    Constraint::Unique(cols) => {
                        if unique_key.is_none() && primary.is_none() && all_not_null(&def.columns, &cols) {
                            unique_key = Some(cols);
                        }
                    }
                    Constraint::Other => {}
                }
            } else {
                let name = cur.ident()?;
                let parsed = parse_column(cur, name)?;
                if parsed.primary_key {
                    primary = Some(vec![parsed.def.name.clone()]);
                } else if parsed.unique && unique_key.is_none() && primary.is_none() {
                    unique_key = Some(vec![parsed.def.name.clone()]);
                }
                explicit_charsets.push(parsed.def.charset.is_some());
                def.columns.push(parsed.def);
            }
            if cur.eat_punct(',') {
                continue;
            }
            cur.expect_punct(')')?;
            break;
        }
        let options = table_options(cur)?;
        def.default_charset = options.charset.or_else(|| self.catalog.databases.get(&id.database).cloned().flatten());
        def.comment = options.comment;
        for col in def.columns.iter_mut() {
            if col.charset.is_none() && is_character(col.ty) {
                col.charset = def.default_charset.clone();
            }
        }
        if let Some(key) = primary.or(unique_key) {
            set_primary_key(&mut def, &key);
        }
        self.catalog.tables.insert(id.clone(), def);
        self.out.changes.push(Change::Create(id));
        Ok(())
    }

    pub(super) fn create_unique_index(&mut self, cur: &mut Cursor<'_>) -> Result<(), DdlError> {
        while !cur.at_end() && !cur.is_kw("ON") {
            cur.next();
        }
        cur.expect_kw("ON")?;
        let id = self.table_id(cur)?;
        let cols = index_columns(cur)?;
        if let Some(def) = self.catalog.tables.get_mut(&id)
            && def.primary_key.is_empty()
            && all_not_null(&def.columns, &cols)
        {
            set_primary_key(def, &cols);
            self.out.changes.push(Change::Alter(id));
        }
        Ok(())
    }

    pub(super) fn alter_table(&mut self, cur: &mut Cursor<'_>) -> Result<(), DdlError> {
        let id = self.table_id(cur)?;
        // Tables the catalog does not hold (not captured, or created before
        // history) cannot be altered; Debezium ignores them too.
        let Some(mut def) = self.catalog.tables.get(&id).cloned() else {
            return Ok(());
        };
        let mut new_id = None;
        while !cur.at_end() {
            if cur.eat_punct(',') {
                continue;
            }
            if cur.is_kw("PARTITION") {
                // PARTITION BY … ends the specifications.
                break;
            }
            self.alter_spec(cur, &mut def, &mut new_id)?;
        }
        match new_id {
            Some(to) if to != id => {
                self.catalog.tables.remove(&id);
                def.id = to.clone();
                self.catalog.tables.insert(to.clone(), def);
                self.out.changes.push(Change::Rename(id, to));
            }
            _ => {
                self.catalog.tables.insert(id.clone(), def);
                self.out.changes.push(Change::Alter(id));
            }
        }
        Ok(())
    }

    fn alter_spec(
        &self,
        cur: &mut Cursor<'_>,
        def: &mut TableDef,
        new_id: &mut Option<TableId>,
    ) -> Result<(), DdlError> {
        if cur.eat_kw("ADD") {
            let column_kw = cur.eat_kw("COLUMN");
            if !column_kw && is_constraint_start(cur) {
                match parse_constraint(cur)? {
                    Constraint::Primary(cols) => set_primary_key(def, &cols),
                    Constraint::Unique(cols) => {
                        if def.primary_key.is_empty() && all_not_null(&def.columns, &cols) {
                            set_primary_key(def, &cols);
                        }
                    }
                    Constraint::Other => {}
                }
                return Ok(());
            }
            if !column_kw && (cur.is_kw("PARTITION") || cur.is_kw("PERIOD") || cur.is_kw("SYSTEM")) {
                return cur.skip_to_comma_or_close();
            }
            let if_not_exists = cur.eat_kws(&["IF", "NOT", "EXISTS"]);
            if cur.eat_punct('(') {
                loop {
                    let name = cur.ident()?;
                    let parsed = parse_column(cur, name)?;
                    add_column(def, parsed, Position::Default, if_not_exists);
                    if !cur.eat_punct(',') {
                        break;
                    }
                }
                return cur.expect_punct(')');
            }
            let name = cur.ident()?;
            let parsed = parse_column(cur, name)?;
            let pos = position(cur)?;
            add_column(def, parsed, pos, if_not_exists);
            return Ok(());
        }
        if cur.eat_kw("DROP") {
            let column_kw = cur.eat_kw("COLUMN");
            if !column_kw {
                if cur.eat_kws(&["PRIMARY", "KEY"]) {
                    def.primary_key.clear();
                    return Ok(());
                }
                if ["INDEX", "KEY", "FOREIGN", "CHECK", "CONSTRAINT", "PARTITION", "PERIOD", "SYSTEM", "UNIQUE"]
                    .iter()
                    .any(|k| cur.is_kw(k))
                {
                    return cur.skip_to_comma_or_close();
                }
            }
            cur.eat_kws(&["IF", "EXISTS"]);
            let name = cur.ident()?;
            cur.eat_kw("RESTRICT");
            cur.eat_kw("CASCADE");
            if let Some(i) = find_column(&def.columns, &name) {
                let removed = def.columns.remove(i);
                def.primary_key.retain(|k| !k.eq_ignore_ascii_case(&removed.name));
            }
            return Ok(());
        }
        if cur.eat_kw("MODIFY") {
            cur.eat_kw("COLUMN");
            cur.eat_kws(&["IF", "EXISTS"]);
            let name = cur.ident()?;
            let parsed = parse_column(cur, name.clone())?;
            let pos = position(cur)?;
            replace_column(def, &name, parsed, pos);
            return Ok(());
        }
        if cur.eat_kw("CHANGE") {
            cur.eat_kw("COLUMN");
            cur.eat_kws(&["IF", "EXISTS"]);
            let old = cur.ident()?;
            let name = cur.ident()?;
            let parsed = parse_column(cur, name)?;
            let pos = position(cur)?;
            replace_column(def, &old, parsed, pos);
            return Ok(());
        }
        if cur.eat_kw("RENAME") {
            if cur.eat_kw("COLUMN") {
                cur.eat_kws(&["IF", "EXISTS"]);
                let old = cur.ident()?;
                cur.expect_kw("TO")?;
                let name = cur.ident()?;
                rename_column(def, &old, &name);
                return Ok(());
            }
            if cur.eat_kw("INDEX") || cur.eat_kw("KEY") {
                return cur.skip_to_comma_or_close();
            }
            if !cur.eat_kw("TO") {
                cur.eat_kw("AS");
            }
            *new_id = Some(self.table_id(cur)?);
            return Ok(());
        }
        if cur.eat_kw("ALTER") {
            let column_kw = cur.eat_kw("COLUMN");
            if !column_kw && ["INDEX", "KEY", "CHECK", "CONSTRAINT"].iter().any(|k| cur.is_kw(k)) {
                return cur.skip_to_comma_or_close();
            }
            cur.eat_kws(&["IF", "EXISTS"]);
            let name = cur.ident()?;
            let idx = find_column(&def.columns, &name);
            if cur.eat_kws(&["SET", "DEFAULT"]) {
                let value = column::parse_default(cur)?;
                if let Some(i) = idx {
                    def.columns[i].default = value;
                }
            } else if cur.eat_kws(&["DROP", "DEFAULT"])
                && let Some(i) = idx
            {
                def.columns[i].default = None;
            }
            return cur.skip_to_comma_or_close();
        }
        if cur.eat_kw("CONVERT") {
            cur.expect_kw("TO")?;
            if let Some(cs) = charset_option(cur)? {
                def.default_charset = Some(cs.clone());
                for col in def.columns.iter_mut().filter(|c| is_character(c.ty)) {
                    col.charset = Some(cs.clone());
                }
            }
            return Ok(());
        }
        if cur.is_kw("DEFAULT")
            || cur.is_kw("CHARACTER")
            || cur.is_kw("CHARSET")
            || cur.is_kw("COLLATE")
            || (cur.is_kw("CHAR") && cur.is_kw_at(1, "SET"))
        {
            let before = cur.offset();
            if let Some(cs) = charset_option(cur)? {
                def.default_charset = Some(cs);
            }
            if cur.offset() == before {
                // Not a character set option after all (invalid SQL).
                return skip_option(cur);
            }
            return Ok(());
        }
        if cur.eat_kw("COMMENT") {
            cur.eat_eq();
            def.comment = Some(cur.string()?);
            return Ok(());
        }
        skip_option(cur)
    }
}

/// Whether the current token starts a table constraint.
fn is_constraint_start(cur: &Cursor<'_>) -> bool {
    matches!(cur.peek(), Some(Tok::Word(w)) if CONSTRAINT_WORDS.iter().any(|k| w.eq_ignore_ascii_case(k)))
        || (cur.is_kw("PERIOD") && cur.is_kw_at(1, "FOR"))
}

/// Reads a table constraint up to the next `,` or `)`.
fn parse_constraint(cur: &mut Cursor<'_>) -> Result<Constraint, DdlError> {
    if cur.eat_kw("CONSTRAINT") && !["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"].iter().any(|k| cur.is_kw(k)) {
        cur.ident()?;
    }
    let out = if cur.eat_kw("PRIMARY") {
        cur.expect_kw("KEY")?;
        Constraint::Primary(index_columns(cur)?)
    } else if cur.eat_kw("UNIQUE") {
        Constraint::Unique(index_columns(cur)?)
    } else {
        Constraint::Other
    };
    cur.skip_to_comma_or_close()?;
    Ok(out)
}

/// Skips an index name, IF NOT EXISTS and `USING …` up to the column list,
/// then reads the column names (prefix lengths, ASC/DESC and functional
/// parts are dropped).
fn index_columns(cur: &mut Cursor<'_>) -> Result<Vec<String>, DdlError> {
    while !cur.at_end() && !cur.is_punct('(') {
        cur.next();
    }
    cur.expect_punct('(')?;
    let mut cols = Vec::new();
    loop {
        if cur.is_punct('(') {
            cur.skip_parens()?;
        } else {
            cols.push(cur.ident()?);
            if cur.is_punct('(') {
                cur.skip_parens()?;
            }
        }
        cur.eat_kw("ASC");
        cur.eat_kw("DESC");
        if !cur.eat_punct(',') {
            break;
        }
    }
    cur.expect_punct(')')?;
    Ok(cols)
}

/// FIRST | AFTER c | nothing.
fn position(cur: &mut Cursor<'_>) -> Result<Position, DdlError> {
    if cur.eat_kw("FIRST") {
        Ok(Position::First)
    } else if cur.eat_kw("AFTER") {
        Ok(Position::After(cur.ident()?))
    } else {
        Ok(Position::Default)
    }
}

/// Table options after the column list: the default character set and
/// the comment; the rest is skipped. `… SELECT` cannot be followed.
struct TableOptions {
    charset: Option<String>,
    comment: Option<String>,
}

fn table_options(cur: &mut Cursor<'_>) -> Result<TableOptions, DdlError> {
    let mut out = TableOptions { charset: None, comment: None };
    let mut collation_charset = None;
    while !cur.at_end() {
        if cur.eat_punct(',') || cur.eat_kw("DEFAULT") {
            continue;
        }
        if cur.is_kw("SELECT") || cur.is_kw("AS") || cur.is_kw("IGNORE") || cur.is_kw("REPLACE") {
            return Err(unsupported_select(cur));
        }
        if cur.is_kw("PARTITION") {
            break;
        }
        if cur.eat_kws(&["CHARACTER", "SET"]) || cur.eat_kws(&["CHAR", "SET"]) || cur.eat_kw("CHARSET") {
            cur.eat_eq();
            out.charset = Some(cur.ident()?.to_ascii_lowercase());
        } else if cur.eat_kw("COLLATE") {
            cur.eat_eq();
            collation_charset = Some(column::charset_of_collation(&cur.ident()?));
        } else if cur.eat_kw("COMMENT") {
            cur.eat_eq();
            out.comment = Some(cur.string()?);
        } else {
            skip_option(cur)?;
        }
    }
    out.charset = out.charset.or(collation_charset);
    Ok(out)
}

/// `[DEFAULT] CHARACTER SET|CHARSET [=] x [COLLATE [=] y]` or
/// `[DEFAULT] COLLATE [=] y`: the character set named or implied.
fn charset_option(cur: &mut Cursor<'_>) -> Result<Option<String>, DdlError> {
    cur.eat_kw("DEFAULT");
    let mut charset = None;
    if cur.eat_kws(&["CHARACTER", "SET"]) || cur.eat_kws(&["CHAR", "SET"]) || cur.eat_kw("CHARSET") {
        cur.eat_eq();
        charset = Some(cur.ident()?.to_ascii_lowercase());
    }
    cur.eat_kw("DEFAULT");
    if cur.eat_kw("COLLATE") {
        cur.eat_eq();
        let collation = cur.ident()?;
        charset = charset.or_else(|| Some(column::charset_of_collation(&collation)));
    }
    Ok(charset)
}

/// Skips an option this connector has no use for: a word with an optional
/// `= value` or `( … )`, or a single other token.
fn skip_option(cur: &mut Cursor<'_>) -> Result<(), DdlError> {
    if cur.is_punct('(') {
        return cur.skip_parens();
    }
    if let Some(Tok::Word(_)) = cur.next() {
        cur.skip_option_value()?;
    }
    Ok(())
}

fn unsupported_select(cur: &Cursor<'_>) -> DdlError {
    DdlError::Unsupported { what: "CREATE TABLE … SELECT", offset: cur.offset() }
}

fn find_column(cols: &[ColumnDef], name: &str) -> Option<usize> {
    // Column names are case-insensitive in MySQL and MariaDB.
    cols.iter().position(|c| c.name.eq_ignore_ascii_case(name))
}

fn all_not_null(cols: &[ColumnDef], names: &[String]) -> bool {
    !names.is_empty() && names.iter().all(|n| find_column(cols, n).is_some_and(|i| !cols[i].nullable))
}

/// Makes `key` the primary key; its columns become NOT NULL and take their
/// declared spelling.
fn set_primary_key(def: &mut TableDef, key: &[String]) {
    def.primary_key = key
        .iter()
        .map(|k| match find_column(&def.columns, k) {
            Some(i) => {
                def.columns[i].nullable = false;
                def.columns[i].name.clone()
            }
            None => k.clone(),
        })
        .collect();
}

/// A parsed column as it goes into `def`: without its own character set it
/// takes the table's default.
fn resolve(def: &TableDef, parsed: &ParsedColumn) -> ColumnDef {
    let mut col = parsed.def.clone();
    if col.charset.is_none() && is_character(col.ty) {
        col.charset = def.default_charset.clone();
    }
    col
}

fn insert_at(def: &mut TableDef, col: ColumnDef, pos: Position, default_index: usize) {
    let index = match pos {
        Position::Default => default_index,
        Position::First => 0,
        Position::After(after) => find_column(&def.columns, &after).map_or(def.columns.len(), |i| i + 1),
    };
    def.columns.insert(index.min(def.columns.len()), col);
}

fn add_column(def: &mut TableDef, parsed: ParsedColumn, pos: Position, if_not_exists: bool) {
    if find_column(&def.columns, &parsed.def.name).is_some() {
        // ADD IF NOT EXISTS of an existing column does nothing; without IF
        // NOT EXISTS the server refused the statement.
        let _ = if_not_exists;
        return;
    }
    let col = resolve(def, &parsed);
    let name = col.name.clone();
    let len = def.columns.len();
    insert_at(def, col, pos, len);
    let unique_key =
        parsed.unique && def.primary_key.is_empty() && all_not_null(&def.columns, std::slice::from_ref(&name));
    if parsed.primary_key || unique_key {
        set_primary_key(def, &[name]);
    }
}

/// MODIFY/CHANGE: the new definition replaces the old one entirely (in
/// place unless positioned); a primary key column stays in the key.
fn replace_column(def: &mut TableDef, old: &str, parsed: ParsedColumn, pos: Position) {
    let Some(i) = find_column(&def.columns, old) else { return };
    let old_name = def.columns.remove(i).name;
    let col = resolve(def, &parsed);
    let name = col.name.clone();
    insert_at(def, col, pos, i);
    for k in def.primary_key.iter_mut() {
        if k.eq_ignore_ascii_case(&old_name) {
            *k = name.clone();
        }
    }
    if parsed.primary_key {
        set_primary_key(def, &[name]);
    } else {
        let key = def.primary_key.clone();
        set_primary_key(def, &key);
    }
}

fn rename_column(def: &mut TableDef, old: &str, name: &str) {
    let Some(i) = find_column(&def.columns, old) else { return };
    let old_name = std::mem::replace(&mut def.columns[i].name, name.to_string());
    for k in def.primary_key.iter_mut() {
        if k.eq_ignore_ascii_case(&old_name) {
            *k = name.to_string();
        }
    }
}
