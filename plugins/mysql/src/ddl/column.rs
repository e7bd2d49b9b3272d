//! Column definitions: the data type with its synonyms, and the column
//! attributes (nullability, DEFAULT, AUTO_INCREMENT, inline keys, …).
//!
//! `type_name`, `length`, `scale` and `default` follow what Debezium's
//! MySQL/MariaDB DDL parser records, so schema change events match.

use super::DdlError;
use super::cursor::Cursor;
use super::lexer::Tok;
use crate::catalog::{ColumnDef, ColumnType};

/// What Debezium's timestamp-default converter reads for
/// `DEFAULT CURRENT_TIMESTAMP` / `NOW()`: the epoch, not the expression.
pub const CURRENT_TIMESTAMP_DEFAULT: &str = "1970-01-01 00:00:00";

/// A parsed column definition and what it says beyond the column itself.
#[derive(Debug, Clone)]
pub struct ParsedColumn {
    /// The column; `charset` holds only an explicitly given character set.
    pub def: ColumnDef,
    /// Inline PRIMARY KEY.
    pub primary_key: bool,
    /// Inline UNIQUE [KEY] (or SERIAL).
    pub unique: bool,
}

/// Whether columns of this type carry a character set.
pub fn is_character(ty: ColumnType) -> bool {
    use ColumnType::*;
    matches!(ty, Char | VarChar | TinyText | Text | MediumText | LongText | Enum | Set)
}

/// The character set a collation belongs to: the part before the first `_`
/// (no MySQL/MariaDB character set name contains one); `binary` is its own.
pub fn charset_of_collation(collation: &str) -> String {
    let lower = collation.to_ascii_lowercase();
    match lower.split_once('_') {
        Some((cs, _)) => cs.to_string(),
        None => lower,
    }
}

/// Reads a column definition after its name.
pub fn parse_column(cur: &mut Cursor<'_>, name: String) -> Result<ParsedColumn, DdlError> {
    let ty_offset = cur.offset();
    let word = match cur.next() {
        Some(Tok::Word(w)) => w,
        _ => return Err(cur.unexpected_at("a data type", ty_offset)),
    };
    let upper = word.to_ascii_uppercase();
    let mut parsed = DataType::resolve(cur, &upper)
        .ok_or_else(|| DdlError::UnknownType { name: word.clone(), offset: ty_offset })?;
    parsed.dimensions(cur)?;

    let mut col = ColumnDef::new(name, parsed.ty, String::new());
    col.length = parsed.length;
    col.scale = parsed.scale;
    col.values = std::mem::take(&mut parsed.values);
    let mut out = ParsedColumn { def: col, primary_key: false, unique: false };
    let (mut signed, mut unsigned, mut zerofill, mut binary) = (false, false, false, false);
    let mut charset: Option<String> = None;
    let mut collation: Option<String> = None;
    let mut not_null: Option<bool> = None;

    loop {
        match cur.peek() {
            None | Some(Tok::Punct(',')) | Some(Tok::Punct(')')) => break,
            Some(Tok::Word(_)) => {}
            // FIRST/AFTER positions and anything else not a word end the
            // definition; the caller decides what follows.
            Some(_) => break,
        }
        if cur.eat_kw("UNSIGNED") {
            unsigned = true;
        } else if cur.eat_kw("SIGNED") {
            signed = true;
        } else if cur.eat_kw("ZEROFILL") {
            zerofill = true;
        } else if cur.eat_kw("BINARY") {
            binary = true;
        } else if cur.eat_kw("ASCII") {
            charset = Some("latin1".into());
        } else if cur.eat_kw("UNICODE") {
            charset = Some("ucs2".into());
        } else if cur.eat_kw("BYTE") {
            charset = Some("binary".into());
        } else if cur.eat_kws(&["CHARACTER", "SET"]) || cur.eat_kws(&["CHAR", "SET"]) || cur.eat_kw("CHARSET") {
            cur.eat_eq();
            charset = Some(cur.ident()?.to_ascii_lowercase());
        } else if cur.eat_kw("COLLATE") {
            cur.eat_eq();
            collation = Some(cur.ident()?);
        } else if cur.eat_kws(&["NOT", "NULL"]) {
            not_null = Some(true);
        } else if cur.eat_kw("NULL") {
            not_null = Some(false);
        } else if cur.eat_kw("DEFAULT") {
            out.def.default = parse_default(cur)?;
        } else if cur.eat_kws(&["ON", "UPDATE"]) {
            // The value is only recomputed by the server; nothing to keep.
            parse_default(cur)?;
        } else if cur.eat_kw("AUTO_INCREMENT") {
            out.def.auto_increment = true;
        } else if cur.eat_kws(&["SERIAL", "DEFAULT", "VALUE"]) {
            serial(&mut out, &mut not_null);
        } else if cur.eat_kw("PRIMARY") {
            cur.expect_kw("KEY")?;
            out.primary_key = true;
        } else if cur.eat_kw("KEY") {
            // A bare KEY in a column definition means PRIMARY KEY.
            out.primary_key = true;
        } else if cur.eat_kw("UNIQUE") {
            cur.eat_kw("KEY");
            out.unique = true;
        } else if cur.eat_kw("COMMENT") {
            out.def.comment = Some(cur.string()?);
        } else if cur.eat_kws(&["GENERATED", "ALWAYS"]) {
            cur.expect_kw("AS")?;
            cur.skip_parens()?;
            out.def.generated = true;
        } else if cur.eat_kw("AS") {
            cur.skip_parens()?;
            out.def.generated = true;
        } else if ["VIRTUAL", "STORED", "PERSISTENT", "INVISIBLE", "VISIBLE"].iter().any(|k| cur.eat_kw(k)) {
            // Storage and visibility do not change the row images' layout.
        } else if cur.eat_kw("CONSTRAINT") {
            // `CONSTRAINT [name] CHECK (…)`.
            if !cur.is_kw("CHECK") {
                cur.ident()?;
            }
        } else if cur.eat_kw("CHECK") {
            cur.skip_parens()?;
        } else if cur.eat_kw("REFERENCES") {
            skip_references(cur)?;
        } else if cur.eat_kw("COLUMN_FORMAT") || cur.eat_kw("STORAGE") || cur.eat_kw("SRID") {
            cur.next();
        } else if cur.eat_kw("WITH") || cur.eat_kw("WITHOUT") {
            // [WITH|WITHOUT] SYSTEM VERSIONING.
            cur.eat_kw("SYSTEM");
            cur.eat_kw("VERSIONING");
        } else if cur.is_kw("FIRST") || cur.is_kw("AFTER") {
            break;
        } else {
            // Attributes this connector has no use for (ENGINE_ATTRIBUTE=…,
            // COMPRESSED=zlib, …): skip the word and a following `= value`
            // or `( … )`.
            cur.next();
            cur.skip_option_value()?;
        }
    }

    if parsed.serial {
        serial(&mut out, &mut not_null);
    }
    let numeric = parsed.numeric;
    out.def.unsigned = parsed.serial || (numeric && (unsigned || zerofill));
    out.def.type_name = parsed.type_name(numeric && signed, numeric && unsigned, numeric && zerofill, binary);
    if parsed.national {
        // Debezium gives NCHAR/NVARCHAR columns utf8 whatever was written.
        out.def.charset = Some("utf8".into());
    } else if is_character(parsed.ty) {
        out.def.charset = charset.or_else(|| collation.as_deref().map(charset_of_collation));
    }
    if out.primary_key {
        not_null = Some(true);
    }
    out.def.nullable = !not_null.unwrap_or(false);
    Ok(out)
}

/// SERIAL and SERIAL DEFAULT VALUE: NOT NULL AUTO_INCREMENT UNIQUE.
fn serial(out: &mut ParsedColumn, not_null: &mut Option<bool>) {
    if not_null.is_none() {
        *not_null = Some(true);
    }
    out.unique = true;
    out.def.auto_increment = true;
}

/// Skips `REFERENCES t [(cols)] [MATCH …] [ON DELETE|UPDATE action]…`
/// after `REFERENCES`.
pub fn skip_references(cur: &mut Cursor<'_>) -> Result<(), DdlError> {
    cur.qualified()?;
    if cur.is_punct('(') {
        cur.skip_parens()?;
    }
    loop {
        if cur.eat_kw("MATCH") {
            cur.next();
        } else if cur.eat_kw("ON") {
            cur.next(); // DELETE | UPDATE
            if cur.eat_kw("SET") || cur.eat_kw("NO") {
                cur.next(); // NULL | DEFAULT | ACTION
            } else {
                cur.next(); // RESTRICT | CASCADE
            }
        } else {
            return Ok(());
        }
    }
}

/// Reads the value after DEFAULT (or ON UPDATE) and returns it as Debezium
/// records a column's default value expression: string literals unquoted
/// (escapes decoded), numbers as written with their sign, bit literals as
/// their digits, TRUE/FALSE as written, `CURRENT_TIMESTAMP`/`NOW()` as
/// [`CURRENT_TIMESTAMP_DEFAULT`]; `None` for NULL, hex literals and computed
/// expressions (`(1 + 1)`, `uuid()`, `curdate()`).
pub fn parse_default(cur: &mut Cursor<'_>) -> Result<Option<String>, DdlError> {
    let sign = if cur.eat_punct('-') {
        "-"
    } else {
        cur.eat_punct('+');
        ""
    };
    let value = match cur.next() {
        Some(Tok::Str(s)) => {
            skip_collate(cur)?;
            Some(format!("{sign}{s}"))
        }
        Some(Tok::Number(n)) => Some(format!("{sign}{n}")),
        Some(Tok::Bits(b)) => Some(b),
        Some(Tok::Hex(_)) => None,
        Some(Tok::Punct('(')) => {
            // An expression default: computed by the server per row.
            let mut depth = 1usize;
            while depth > 0 {
                match cur.next() {
                    Some(Tok::Punct('(')) => depth += 1,
                    Some(Tok::Punct(')')) => depth -= 1,
                    Some(_) => {}
                    None => return Err(cur.unexpected("')'")),
                }
            }
            None
        }
        Some(Tok::Word(w)) => {
            let upper = w.to_ascii_uppercase();
            // A character set introducer or N'…' before a string literal.
            if (upper.starts_with('_') || upper == "N") && matches!(cur.peek(), Some(Tok::Str(_))) {
                let s = cur.string()?;
                skip_collate(cur)?;
                return Ok(Some(s));
            }
            if cur.is_punct('(') {
                cur.skip_parens()?;
            }
            match upper.as_str() {
                "NULL" => None,
                "TRUE" | "FALSE" => Some(w),
                "CURRENT_TIMESTAMP" | "NOW" | "LOCALTIME" | "LOCALTIMESTAMP" => {
                    Some(CURRENT_TIMESTAMP_DEFAULT.to_string())
                }
                // Functions and other expressions.
                _ => None,
            }
        }
        _ => return Err(cur.unexpected("a default value")),
    };
    Ok(value)
}

fn skip_collate(cur: &mut Cursor<'_>) -> Result<(), DdlError> {
    if cur.eat_kw("COLLATE") {
        cur.ident()?;
    }
    Ok(())
}

/// A data type as read: which type, its Debezium type name, dimensions.
struct DataType {
    ty: ColumnType,
    /// The type's name tokens as Debezium joins them (`DOUBLE PRECISION`).
    name: String,
    /// Takes SIGNED/UNSIGNED/ZEROFILL into its name.
    numeric: bool,
    /// Takes BINARY into its name (character types).
    binary_suffix: bool,
    /// NCHAR/NVARCHAR and the NATIONAL forms.
    national: bool,
    /// SERIAL.
    serial: bool,
    /// What the parenthesised dimensions mean.
    dims: Dims,
    length: Option<u32>,
    scale: Option<u32>,
    values: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dims {
    None,
    /// `(n)`.
    One,
    /// `(p[,s])`.
    Two,
    /// `('a', …)`.
    Members,
}

impl DataType {
    fn new(ty: ColumnType, name: &str, dims: Dims) -> Self {
        Self {
            ty,
            name: name.to_string(),
            numeric: false,
            binary_suffix: false,
            national: false,
            serial: false,
            dims,
            length: None,
            scale: None,
            values: Vec::new(),
        }
    }

    fn num(mut self) -> Self {
        self.numeric = true;
        self
    }

    fn chars(mut self) -> Self {
        self.binary_suffix = true;
        self
    }

    fn national(mut self) -> Self {
        self.national = true;
        self.binary_suffix = true;
        self
    }

    /// The type that starts with the (upper-cased) word `first`, reading
    /// further words of multi-word names; `None` for an unknown type.
    fn resolve(cur: &mut Cursor<'_>, first: &str) -> Option<Self> {
        use ColumnType as T;
        use Dims::*;
        let t = match first {
            "CHAR" | "CHARACTER" => {
                if cur.eat_kw("VARYING") {
                    Self::new(T::VarChar, &format!("{first} VARYING"), One).chars()
                } else {
                    Self::new(T::Char, first, One).chars()
                }
            }
            "VARCHAR" => Self::new(T::VarChar, first, One).chars(),
            "TINYTEXT" => Self::new(T::TinyText, first, One).chars(),
            "TEXT" => Self::new(T::Text, first, One).chars(),
            "MEDIUMTEXT" => Self::new(T::MediumText, first, One).chars(),
            "LONGTEXT" => Self::new(T::LongText, first, One).chars(),
            "NCHAR" => {
                if cur.eat_kw("VARCHAR") {
                    Self::new(T::VarChar, "NCHAR VARCHAR", One).national()
                } else if cur.eat_kw("VARYING") {
                    Self::new(T::VarChar, "NCHAR VARYING", One).national()
                } else {
                    let mut t = Self::new(T::Char, first, One).national();
                    // Debezium: an NCHAR without a length is NCHAR(1).
                    t.length = Some(1);
                    t
                }
            }
            "NVARCHAR" => Self::new(T::VarChar, first, One).national(),
            "NATIONAL" => {
                let second = match cur.next() {
                    Some(Tok::Word(w)) => w.to_ascii_uppercase(),
                    _ => return Option::None,
                };
                match second.as_str() {
                    "VARCHAR" => Self::new(T::VarChar, "NATIONAL VARCHAR", One).national(),
                    "CHAR" | "CHARACTER" => {
                        if cur.eat_kw("VARYING") {
                            Self::new(T::VarChar, &format!("NATIONAL {second} VARYING"), One).national()
                        } else {
                            Self::new(T::Char, &format!("NATIONAL {second}"), One).national()
                        }
                    }
                    _ => return Option::None,
                }
            }
            "LONG" => {
                if cur.eat_kw("VARBINARY") {
                    Self::new(T::MediumBlob, "LONG", None)
                } else {
                    // LONG and LONG VARCHAR are MEDIUMTEXT; Debezium names both LONG.
                    cur.eat_kw("VARCHAR");
                    Self::new(T::MediumText, "LONG", None).chars()
                }
            }
            "TINYINT" | "INT1" => Self::new(T::TinyInt, first, One).num(),
            "SMALLINT" | "INT2" => Self::new(T::SmallInt, first, One).num(),
            "MEDIUMINT" | "MIDDLEINT" | "INT3" => Self::new(T::MediumInt, first, One).num(),
            "INT" | "INTEGER" | "INT4" => Self::new(T::Int, first, One).num(),
            "BIGINT" | "INT8" => Self::new(T::BigInt, first, One).num(),
            "REAL" => Self::new(T::Double, first, Two).num(),
            "DOUBLE" => {
                if cur.eat_kw("PRECISION") {
                    Self::new(T::Double, "DOUBLE PRECISION", Two).num()
                } else {
                    Self::new(T::Double, first, Two).num()
                }
            }
            "FLOAT8" => Self::new(T::Double, first, Two).num(),
            "FLOAT" | "FLOAT4" => Self::new(T::Float, first, Two).num(),
            "DECIMAL" | "DEC" | "FIXED" | "NUMERIC" => {
                let mut t = Self::new(T::Decimal, first, Two).num();
                // DECIMAL alone is DECIMAL(10,0); DECIMAL(p) has scale 0.
                t.length = Some(10);
                t.scale = Some(0);
                t
            }
            "BIT" => {
                let mut t = Self::new(T::Bit, first, One);
                t.length = Some(1);
                t
            }
            "TIME" => Self::new(T::Time, first, One),
            "TIMESTAMP" => Self::new(T::Timestamp, first, One),
            "DATETIME" => Self::new(T::DateTime, first, One),
            "DATE" => Self::new(T::Date, first, None),
            "YEAR" => Self::new(T::Year, first, One),
            "BINARY" => Self::new(T::Binary, first, One),
            "VARBINARY" => Self::new(T::VarBinary, first, One),
            "BLOB" => Self::new(T::Blob, first, One),
            "TINYBLOB" => Self::new(T::TinyBlob, first, None),
            "MEDIUMBLOB" => Self::new(T::MediumBlob, first, None),
            "LONGBLOB" => Self::new(T::LongBlob, first, None),
            "BOOL" | "BOOLEAN" => Self::new(T::Boolean, first, None),
            "SERIAL" => {
                let mut t = Self::new(T::BigInt, "BIGINT UNSIGNED", None);
                t.serial = true;
                t
            }
            "ENUM" => Self::new(T::Enum, first, Members).chars(),
            "SET" => Self::new(T::Set, first, Members).chars(),
            "JSON" => Self::new(T::Json, first, None),
            "GEOMETRY" | "POINT" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING" | "MULTIPOLYGON"
            | "GEOMETRYCOLLECTION" | "GEOMCOLLECTION" => Self::new(T::Geometry, first, None),
            "UUID" => Self::new(T::Uuid, first, None),
            "INET4" => Self::new(T::Inet4, first, None),
            "INET6" => Self::new(T::Inet6, first, None),
            _ => return Option::None,
        };
        Some(t)
    }

    /// Reads the parenthesised dimensions or members, if any.
    fn dimensions(&mut self, cur: &mut Cursor<'_>) -> Result<(), DdlError> {
        if !cur.is_punct('(') || self.dims == Dims::None {
            return Ok(());
        }
        cur.expect_punct('(')?;
        match self.dims {
            Dims::Members => {
                if !cur.is_punct(')') {
                    loop {
                        self.values.push(cur.string()?);
                        if !cur.eat_punct(',') {
                            break;
                        }
                    }
                }
            }
            Dims::Two => {
                self.length = Some(cur.number()?);
                if cur.eat_punct(',') {
                    self.scale = Some(cur.number()?);
                }
                if self.ty == ColumnType::Float && self.scale.is_none() && self.name == "FLOAT" {
                    // FLOAT(p) with p > 24 is a DOUBLE.
                    if self.length.is_some_and(|p| p > 24) {
                        self.ty = ColumnType::Double;
                    }
                }
            }
            _ => self.length = Some(cur.number()?),
        }
        cur.expect_punct(')')
    }

    /// Debezium's type name: the name tokens, then SIGNED/UNSIGNED/ZEROFILL
    /// (ZEROFILL implies UNSIGNED, UNSIGNED wins over SIGNED) or BINARY.
    fn type_name(&self, signed: bool, unsigned: bool, zerofill: bool, binary: bool) -> String {
        let mut name = self.name.clone();
        if self.numeric {
            if zerofill {
                name.push_str(" UNSIGNED ZEROFILL");
            } else if unsigned {
                name.push_str(" UNSIGNED");
            } else if signed {
                name.push_str(" SIGNED");
            }
        } else if self.binary_suffix && binary && !matches!(self.ty, ColumnType::Enum | ColumnType::Set) {
            name.push_str(" BINARY");
        }
        name
    }
}
