use super::*;
use crate::catalog::{ColumnDef, ColumnType as T};

/// Real `SHOW CREATE TABLE` output of MariaDB 10.11.14, database `fx`
/// (DEFAULT CHARACTER SET utf8mb4).
const FIXTURES: &[(&str, &str)] = &[
    ("customers", include_str!("testdata/customers.sql")),
    ("numerics", include_str!("testdata/numerics.sql")),
    ("texts", include_str!("testdata/texts.sql")),
    ("temporals", include_str!("testdata/temporals.sql")),
    ("parts", include_str!("testdata/parts.sql")),
    ("parent", include_str!("testdata/parent.sql")),
    ("child", include_str!("testdata/child.sql")),
    ("nopk", include_str!("testdata/nopk.sql")),
];

fn catalog() -> Catalog {
    let mut c = Catalog::default();
    c.databases.insert("fx".into(), Some("utf8mb4".into()));
    c
}

fn fixture_catalog() -> Catalog {
    let mut c = catalog();
    for (name, sql) in FIXTURES {
        let changes = apply(&mut c, "fx", sql).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(changes, vec![Change::Create(TableId::new("fx", *name))]);
    }
    c
}

fn table<'a>(c: &'a Catalog, name: &str) -> &'a TableDef {
    c.table(&TableId::new("fx", name)).unwrap_or_else(|| panic!("no table {name}"))
}

fn col<'a>(t: &'a TableDef, name: &str) -> &'a ColumnDef {
    t.columns.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no column {name}"))
}

fn names(t: &TableDef) -> Vec<&str> {
    t.columns.iter().map(|c| c.name.as_str()).collect()
}

/// One column created from `ddl` (`c <type and attributes>`).
fn one(ddl: &str) -> ColumnDef {
    let mut c = catalog();
    apply(&mut c, "fx", &format!("CREATE TABLE t (c {ddl})")).unwrap_or_else(|e| panic!("{ddl}: {e}"));
    table(&c, "t").columns[0].clone()
}

#[test]
fn customers_fixture() {
    let c = fixture_catalog();
    let t = table(&c, "customers");
    assert_eq!(names(t), ["id", "first_name", "last_name", "email"]);
    assert_eq!(t.primary_key, ["id"]);
    assert_eq!(t.default_charset.as_deref(), Some("utf8mb4"));
    let id = col(t, "id");
    assert_eq!((id.ty, id.type_name.as_str(), id.length), (T::Int, "INT", Some(11)));
    assert!(id.auto_increment && !id.nullable);
    let email = col(t, "email");
    assert_eq!((email.ty, email.length, email.charset.as_deref()), (T::VarChar, Some(255), Some("utf8mb4")));
}

#[test]
fn numerics_fixture() {
    let c = fixture_catalog();
    let t = table(&c, "numerics");
    assert_eq!(t.comment.as_deref(), Some("numbers table"));
    // SERIAL printed as bigint unsigned with a UNIQUE key: the key Debezium uses.
    assert_eq!(t.primary_key, ["id"]);
    let id = col(t, "id");
    assert_eq!((id.ty, id.type_name.as_str(), id.unsigned, id.nullable), (T::BigInt, "BIGINT UNSIGNED", true, false));
    // BOOL comes back as tinyint(1).
    let b = col(t, "b");
    assert_eq!(
        (b.ty, b.type_name.as_str(), b.length, b.default.as_deref()),
        (T::TinyInt, "TINYINT", Some(1), Some("1"))
    );
    assert_eq!(col(t, "ti2").type_name, "TINYINT UNSIGNED ZEROFILL");
    assert_eq!(col(t, "si").default.as_deref(), Some("-5"));
    assert_eq!(col(t, "bi").default.as_deref(), Some("18446744073709551615"));
    let d = col(t, "d");
    assert_eq!((d.ty, d.length, d.scale, d.default.as_deref()), (T::Decimal, Some(10), Some(2), Some("1.50")));
    assert_eq!(col(t, "d4").default.as_deref(), Some("-0.500"));
    assert_eq!(col(t, "f").ty, T::Float);
    assert_eq!((col(t, "f2").length, col(t, "f2").scale), (Some(7), Some(4)));
    assert_eq!(col(t, "db").type_name, "DOUBLE UNSIGNED");
    let bt = col(t, "bt");
    assert_eq!((bt.ty, bt.length, bt.default.as_deref()), (T::Bit, Some(8), Some("101")));
    assert_eq!(col(t, "bt1").default.as_deref(), Some("0"));
    assert_eq!((col(t, "y").ty, col(t, "y").length), (T::Year, Some(4)));
    assert_eq!(col(t, "y2").default, None);
}

#[test]
fn texts_fixture() {
    let c = fixture_catalog();
    let t = table(&c, "texts");
    assert_eq!(t.default_charset.as_deref(), Some("latin1"));
    assert_eq!(col(t, "c").default.as_deref(), Some("ab'c"));
    assert_eq!(col(t, "vc").default.as_deref(), Some("it's"));
    assert_eq!(col(t, "c2").charset.as_deref(), Some("latin1"));
    assert_eq!(col(t, "nc").charset.as_deref(), Some("utf8mb3"));
    assert_eq!(col(t, "t").charset.as_deref(), Some("utf8mb4"));
    assert_eq!(col(t, "mt").charset.as_deref(), Some("ascii"));
    assert_eq!(col(t, "lv").ty, T::MediumText);
    assert_eq!((col(t, "bn").ty, col(t, "bn").charset.clone()), (T::Binary, None));
    assert_eq!(col(t, "lvb").ty, T::MediumBlob);
    let e = col(t, "e");
    assert_eq!(e.values, ["a", "b'c", "d'e", "x,y"]);
    assert_eq!((e.ty, e.default.as_deref(), e.charset.as_deref()), (T::Enum, Some("a"), Some("latin1")));
    let s = col(t, "s");
    assert_eq!((s.ty, s.values.len(), s.default.as_deref(), s.nullable), (T::Set, 3, Some("r,w"), false));
    // MariaDB's JSON: longtext with a json_valid check.
    let j = col(t, "j");
    assert_eq!((j.ty, j.charset.as_deref()), (T::LongText, Some("utf8mb4")));
    assert_eq!(t.primary_key, ["id"]);
}

#[test]
fn temporals_fixture() {
    let c = fixture_catalog();
    let t = table(&c, "temporals");
    assert_eq!(t.primary_key, ["id", "id2"]);
    assert_eq!(t.comment.as_deref(), Some("temporal things"));
    assert_eq!(col(t, "dt").default.as_deref(), Some("2020-01-01"));
    let tm = col(t, "tm");
    assert_eq!((tm.ty, tm.length), (T::Time, Some(3)));
    let dtt = col(t, "dtt");
    assert_eq!((dtt.ty, dtt.length, dtt.default.as_deref()), (T::DateTime, Some(6), Some(CURRENT_TIMESTAMP_DEFAULT)));
    let ts = col(t, "ts");
    assert_eq!((ts.ty, ts.nullable, ts.default.as_deref()), (T::Timestamp, false, Some(CURRENT_TIMESTAMP_DEFAULT)));
    assert_eq!((col(t, "ts2").nullable, col(t, "ts2").default.clone()), (true, None));
    // Computed defaults have no value.
    assert_eq!(col(t, "d3").default, None);
    assert_eq!(col(t, "u").default, None);
    assert_eq!(col(t, "ex").default, None);
    assert_eq!(col(t, "u").ty, T::Uuid);
    assert_eq!(col(t, "i4").ty, T::Inet4);
    assert_eq!((col(t, "i6").ty, col(t, "i6").default.as_deref()), (T::Inet6, Some("::1")));
    assert_eq!((col(t, "p").ty, col(t, "p").type_name.as_str()), (T::Geometry, "POINT"));
    assert_eq!(col(t, "gc").type_name, "GEOMETRYCOLLECTION");
    assert!(col(t, "gen").generated && col(t, "gen2").generated && !col(t, "inv").generated);
    assert_eq!(col(t, "gen2").comment.as_deref(), Some("gen'd"));
    assert_eq!(col(t, "inv").default.as_deref(), Some("3"));
    assert_eq!(t.columns.len(), 25);
}

#[test]
fn other_fixtures() {
    let c = fixture_catalog();
    assert_eq!(names(table(&c, "parts")), ["id", "v"]);
    let child = table(&c, "child");
    assert_eq!(names(child), ["id", "pid", "we`ird", "select"]);
    // A UNIQUE key over a nullable column is no primary key.
    assert!(child.primary_key.is_empty());
    // The first UNIQUE key over NOT NULL columns is.
    assert_eq!(table(&c, "nopk").primary_key, ["a", "c"]);
}

#[test]
fn truncated_fixtures_never_panic() {
    for (_, sql) in FIXTURES {
        for end in (0..=sql.len()).filter(|&i| sql.is_char_boundary(i)) {
            let mut c = fixture_catalog();
            let _ = apply(&mut c, "fx", &sql[..end]);
            let _ = apply(&mut c, "fx", &format!("ALTER TABLE customers ADD COLUMN x {}", &sql[..end]));
        }
    }
    for sql in ["ALTER TABLE customers CHARACTER", "ALTER TABLE customers )))", "CREATE TABLE t (a int) ((("] {
        let mut c = fixture_catalog();
        let _ = apply(&mut c, "fx", sql);
    }
}

#[test]
fn type_synonyms() {
    let cases: &[(&str, T, &str)] = &[
        ("INT", T::Int, "INT"),
        ("integer", T::Int, "INTEGER"),
        ("INT4", T::Int, "INT4"),
        ("MIDDLEINT", T::MediumInt, "MIDDLEINT"),
        ("BOOL", T::Boolean, "BOOL"),
        ("BOOLEAN", T::Boolean, "BOOLEAN"),
        ("DEC(5,2)", T::Decimal, "DEC"),
        ("NUMERIC", T::Decimal, "NUMERIC"),
        ("FIXED(4)", T::Decimal, "FIXED"),
        ("REAL", T::Double, "REAL"),
        ("DOUBLE PRECISION", T::Double, "DOUBLE PRECISION"),
        ("FLOAT(10)", T::Float, "FLOAT"),
        ("FLOAT(30)", T::Double, "FLOAT"),
        ("CHARACTER VARYING(10)", T::VarChar, "CHARACTER VARYING"),
        ("NATIONAL CHAR(3)", T::Char, "NATIONAL CHAR"),
        ("NATIONAL CHARACTER VARYING(3)", T::VarChar, "NATIONAL CHARACTER VARYING"),
        ("NCHAR", T::Char, "NCHAR"),
        ("NVARCHAR(9)", T::VarChar, "NVARCHAR"),
        ("NCHAR VARCHAR(9)", T::VarChar, "NCHAR VARCHAR"),
        ("LONG VARCHAR", T::MediumText, "LONG"),
        ("LONG VARBINARY", T::MediumBlob, "LONG"),
        ("SERIAL", T::BigInt, "BIGINT UNSIGNED"),
        ("TINYTEXT", T::TinyText, "TINYTEXT"),
        ("TEXT(100)", T::Text, "TEXT"),
        ("MEDIUMTEXT", T::MediumText, "MEDIUMTEXT"),
        ("LONGTEXT", T::LongText, "LONGTEXT"),
        ("TINYBLOB", T::TinyBlob, "TINYBLOB"),
        ("BLOB(10)", T::Blob, "BLOB"),
        ("MEDIUMBLOB", T::MediumBlob, "MEDIUMBLOB"),
        ("LONGBLOB", T::LongBlob, "LONGBLOB"),
        ("BINARY(4)", T::Binary, "BINARY"),
        ("VARBINARY(4)", T::VarBinary, "VARBINARY"),
        ("BIT", T::Bit, "BIT"),
        ("YEAR(4)", T::Year, "YEAR"),
        ("DATE", T::Date, "DATE"),
        ("TIME(6)", T::Time, "TIME"),
        ("DATETIME(3)", T::DateTime, "DATETIME"),
        ("TIMESTAMP(6)", T::Timestamp, "TIMESTAMP"),
        ("JSON", T::Json, "JSON"),
        ("GEOMETRY", T::Geometry, "GEOMETRY"),
        ("MULTIPOLYGON", T::Geometry, "MULTIPOLYGON"),
        ("UUID", T::Uuid, "UUID"),
        ("INET4", T::Inet4, "INET4"),
        ("INET6", T::Inet6, "INET6"),
        ("ENUM('a')", T::Enum, "ENUM"),
        ("SET('a','b')", T::Set, "SET"),
        ("VARCHAR(10) BINARY", T::VarChar, "VARCHAR BINARY"),
        ("INT(11) UNSIGNED", T::Int, "INT UNSIGNED"),
        ("INT ZEROFILL", T::Int, "INT UNSIGNED ZEROFILL"),
        ("SMALLINT SIGNED", T::SmallInt, "SMALLINT SIGNED"),
    ];
    for (ddl, ty, name) in cases {
        let c = one(ddl);
        assert_eq!((c.ty, c.type_name.as_str()), (*ty, *name), "{ddl}");
    }
    assert_eq!((one("DECIMAL").length, one("DECIMAL").scale), (Some(10), Some(0)));
    assert_eq!((one("NUMERIC(7)").length, one("NUMERIC(7)").scale), (Some(7), Some(0)));
    assert_eq!(one("BIT").length, Some(1));
    assert_eq!(one("NCHAR").length, Some(1));
    assert_eq!(one("NCHAR(4)").charset.as_deref(), Some("utf8"));
    let serial = one("SERIAL");
    assert!(serial.auto_increment && !serial.nullable && serial.unsigned);
    assert!(one("INT ZEROFILL").unsigned);
    assert!(matches!(apply(&mut catalog(), "fx", "CREATE TABLE t (c FOO)"), Err(DdlError::UnknownType { .. })));
}

#[test]
fn enum_members_with_escapes() {
    let c = one(r#"ENUM('it''s', 'back\'slash', "dq", 'x,y', '') CHARACTER SET utf8mb4"#);
    assert_eq!(c.values, ["it's", "back'slash", "dq", "x,y", ""]);
    assert_eq!(c.charset.as_deref(), Some("utf8mb4"));
}

#[test]
fn defaults() {
    let d = |ddl: &str| one(ddl).default;
    assert_eq!(d("INT DEFAULT -5"), Some("-5".into()));
    assert_eq!(d("INT DEFAULT +5"), Some("5".into()));
    assert_eq!(d("DOUBLE DEFAULT 1.5e3"), Some("1.5e3".into()));
    assert_eq!(d(r"VARCHAR(9) DEFAULT 'a\nb''c'"), Some("a\nb'c".into()));
    assert_eq!(d("VARCHAR(9) DEFAULT _utf8mb4'x' COLLATE utf8mb4_bin"), Some("x".into()));
    assert_eq!(d("BIT(3) DEFAULT b'101'"), Some("101".into()));
    assert_eq!(d("VARBINARY(3) DEFAULT x'ff'"), None);
    assert_eq!(d("INT DEFAULT NULL"), None);
    assert_eq!(d("INT"), None);
    assert_eq!(d("BOOL DEFAULT TRUE"), Some("TRUE".into()));
    assert_eq!(d("TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3)"), Some(CURRENT_TIMESTAMP_DEFAULT.into()));
    assert_eq!(
        d("DATETIME DEFAULT current_timestamp() ON UPDATE current_timestamp()"),
        Some(CURRENT_TIMESTAMP_DEFAULT.into())
    );
    assert_eq!(d("DATETIME DEFAULT NOW()"), Some(CURRENT_TIMESTAMP_DEFAULT.into()));
    assert_eq!(d("INT DEFAULT (1 + (2 * 3))"), None);
    assert_eq!(d("CHAR(36) DEFAULT uuid()"), None);
}

#[test]
fn column_attributes() {
    let c = one("INT NOT NULL AUTO_INCREMENT PRIMARY KEY COMMENT 'the id'");
    assert!(!c.nullable && c.auto_increment);
    assert_eq!(c.comment.as_deref(), Some("the id"));
    let c = one("INT GENERATED ALWAYS AS (1 + 2) PERSISTENT INVISIBLE");
    assert!(c.generated);
    let c = one("INT AS (3) VIRTUAL NULL CHECK (c > 0) REFERENCES p (id) ON DELETE SET NULL ON UPDATE CASCADE");
    assert!(c.generated && c.nullable);
    let c = one("VARCHAR(5) CHARSET latin1 COLLATE latin1_bin NOT NULL");
    assert_eq!(c.charset.as_deref(), Some("latin1"));
    assert_eq!(one("TEXT COLLATE utf8mb3_bin").charset.as_deref(), Some("utf8mb3"));
}

#[test]
fn charset_inheritance() {
    let mut c = catalog();
    apply(&mut c, "", "CREATE DATABASE d2 DEFAULT CHARACTER SET = latin2").unwrap();
    apply(&mut c, "d2", "CREATE TABLE t (a VARCHAR(3), b INT)").unwrap();
    let t = c.table(&TableId::new("d2", "t")).unwrap();
    assert_eq!(t.default_charset.as_deref(), Some("latin2"));
    assert_eq!((t.columns[0].charset.as_deref(), t.columns[1].charset.as_deref()), (Some("latin2"), None));
    apply(&mut c, "d2", "CREATE TABLE u (a VARCHAR(3)) COLLATE=cp1250_bin").unwrap();
    assert_eq!(c.table(&TableId::new("d2", "u")).unwrap().columns[0].charset.as_deref(), Some("cp1250"));
    // Unknown database: no charset.
    apply(&mut c, "d3", "CREATE TABLE v (a TEXT)").unwrap();
    assert_eq!(c.table(&TableId::new("d3", "v")).unwrap().columns[0].charset, None);
    apply(&mut c, "", "ALTER DATABASE d2 CHARACTER SET utf8mb4").unwrap();
    assert_eq!(c.databases.get("d2"), Some(&Some("utf8mb4".to_string())));
}

#[test]
fn create_forms() {
    let mut c = catalog();
    let sql = "/*!40101 SET NAMES utf8 */";
    assert_eq!(apply(&mut c, "fx", sql).unwrap(), vec![]);
    apply(&mut c, "fx", "CREATE TABLE IF NOT EXISTS `fx`.`a` (x INT, y INT, PRIMARY KEY (x, y))").unwrap();
    assert_eq!(table(&c, "a").primary_key, ["x", "y"]);
    assert!(!table(&c, "a").columns[1].nullable);
    // IF NOT EXISTS on an existing table changes nothing.
    assert_eq!(apply(&mut c, "fx", "CREATE TABLE IF NOT EXISTS a (z INT)").unwrap(), vec![]);
    assert_eq!(apply(&mut c, "fx", "CREATE TABLE b LIKE a").unwrap(), vec![Change::Create(TableId::new("fx", "b"))]);
    assert_eq!(names(table(&c, "b")), ["x", "y"]);
    apply(&mut c, "other", "CREATE TABLE fx.c (LIKE fx.a)").unwrap();
    assert_eq!(table(&c, "c").primary_key, ["x", "y"]);
    apply(&mut c, "fx", "CREATE OR REPLACE TABLE a (z INT) ENGINE=InnoDB, COMMENT 'z'").unwrap();
    assert_eq!(names(table(&c, "a")), ["z"]);
    assert!(matches!(apply(&mut c, "fx", "CREATE TABLE d AS SELECT * FROM a"), Err(DdlError::Unsupported { .. })));
    assert!(matches!(apply(&mut c, "fx", "CREATE TABLE d (q INT) SELECT * FROM a"), Err(DdlError::Unsupported { .. })));
    assert_eq!(apply(&mut c, "fx", "CREATE TEMPORARY TABLE tmp (a INT)").unwrap(), vec![]);
    assert!(c.table(&TableId::new("fx", "tmp")).is_none());
    assert!(matches!(apply(&mut c, "", "CREATE TABLE nodb (a INT)"), Err(DdlError::NoDatabase { .. })));
    // Versioned comments apply; MariaDB's too.
    apply(&mut c, "fx", "CREATE TABLE e (a INT /*!50606 NOT NULL */ /*M!100301 DEFAULT 3 */)").unwrap();
    let e = table(&c, "e");
    assert!(!e.columns[0].nullable);
    assert_eq!(e.columns[0].default.as_deref(), Some("3"));
    // Case-preserving identifiers.
    apply(&mut c, "fx", "create table MixedCase (Id int primary key)").unwrap();
    assert_eq!(table(&c, "MixedCase").primary_key, ["Id"]);
}

#[test]
fn unique_keys_become_primary_keys_like_debezium() {
    let mut c = catalog();
    apply(&mut c, "fx", "CREATE TABLE a (x INT UNIQUE, y INT NOT NULL)").unwrap();
    assert_eq!(table(&c, "a").primary_key, ["x"]);
    apply(&mut c, "fx", "CREATE TABLE b (x INT NOT NULL, UNIQUE KEY (x), y INT PRIMARY KEY)").unwrap();
    assert_eq!(table(&c, "b").primary_key, ["y"]);
    apply(&mut c, "fx", "CREATE TABLE d (x INT NOT NULL, y INT)").unwrap();
    assert_eq!(apply(&mut c, "fx", "CREATE UNIQUE INDEX ux ON d (y)").unwrap(), vec![]);
    assert_eq!(
        apply(&mut c, "fx", "CREATE UNIQUE INDEX ux ON d (x)").unwrap(),
        vec![Change::Alter(TableId::new("fx", "d"))]
    );
    assert_eq!(table(&c, "d").primary_key, ["x"]);
    assert_eq!(apply(&mut c, "fx", "CREATE INDEX i ON d (y)").unwrap(), vec![]);
}

fn altered(setup: &str, alter: &str) -> TableDef {
    let mut c = catalog();
    apply(&mut c, "fx", setup).unwrap();
    let changes = apply(&mut c, "fx", alter).unwrap_or_else(|e| panic!("{alter}: {e}"));
    assert_eq!(changes, vec![Change::Alter(TableId::new("fx", "t"))], "{alter}");
    table(&c, "t").clone()
}

#[test]
fn alter_columns_and_positions() {
    let setup = "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(5), c INT) DEFAULT CHARSET=latin1";
    let t = altered(setup, "ALTER TABLE t ADD COLUMN d INT FIRST, ADD e TEXT AFTER a, ADD f INT");
    assert_eq!(names(&t), ["d", "a", "e", "b", "c", "f"]);
    assert_eq!(col(&t, "e").charset.as_deref(), Some("latin1"));
    let t = altered(setup, "ALTER TABLE t ADD (x INT, y INT), ADD COLUMN IF NOT EXISTS b INT");
    assert_eq!(names(&t), ["a", "b", "c", "x", "y"]);
    assert_eq!(col(&t, "b").ty, T::VarChar);
    let t = altered(setup, "ALTER TABLE t DROP COLUMN b, DROP IF EXISTS zz, DROP c");
    assert_eq!(names(&t), ["a"]);
    let t = altered(setup, "ALTER TABLE t MODIFY b BIGINT NOT NULL FIRST");
    assert_eq!(names(&t), ["b", "a", "c"]);
    assert_eq!((col(&t, "b").ty, col(&t, "b").nullable), (T::BigInt, false));
    let t = altered(setup, "ALTER TABLE t MODIFY COLUMN b VARCHAR(50)");
    assert_eq!(names(&t), ["a", "b", "c"]);
    assert_eq!(col(&t, "b").length, Some(50));
    let t = altered(setup, "ALTER TABLE t CHANGE COLUMN a id BIGINT AFTER c");
    assert_eq!(names(&t), ["b", "c", "id"]);
    assert_eq!(t.primary_key, ["id"]);
    assert!(!col(&t, "id").nullable);
    let t = altered(setup, "ALTER TABLE t RENAME COLUMN a TO z, ALTER COLUMN c SET DEFAULT 7, ALTER b DROP DEFAULT");
    assert_eq!(t.primary_key, ["z"]);
    assert_eq!(col(&t, "c").default.as_deref(), Some("7"));
    let t = altered(setup, "ALTER TABLE t ALTER COLUMN c SET DEFAULT 7");
    assert_eq!(col(&t, "c").default.as_deref(), Some("7"));
    let t = altered(setup, "ALTER TABLE t DROP a");
    assert!(t.primary_key.is_empty());
}

#[test]
fn alter_keys_charsets_and_options() {
    let setup = "CREATE TABLE t (a INT, b VARCHAR(5), c INT NOT NULL) CHARSET utf8mb4";
    let t = altered(setup, "ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (a, b)");
    assert_eq!(t.primary_key, ["a", "b"]);
    assert!(!col(&t, "a").nullable);
    let t = altered(setup, "ALTER TABLE t ADD PRIMARY KEY (a), DROP PRIMARY KEY");
    assert!(t.primary_key.is_empty());
    let t = altered(setup, "ALTER TABLE t ADD UNIQUE KEY u (c)");
    assert_eq!(t.primary_key, ["c"]);
    let t = altered(
        setup,
        "ALTER TABLE t ADD INDEX i (a), ADD KEY (b), ADD FULLTEXT (b), DROP INDEX i, DROP FOREIGN KEY f, \
         ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES p (id), RENAME INDEX i TO j, ALGORITHM=INPLACE, LOCK=NONE",
    );
    assert_eq!(names(&t), ["a", "b", "c"]);
    let t = altered(setup, "ALTER TABLE t DEFAULT CHARACTER SET = latin1");
    assert_eq!(t.default_charset.as_deref(), Some("latin1"));
    assert_eq!(col(&t, "b").charset.as_deref(), Some("utf8mb4"));
    let t = altered(setup, "ALTER TABLE t CONVERT TO CHARACTER SET latin2 COLLATE latin2_bin");
    assert_eq!((t.default_charset.as_deref(), col(&t, "b").charset.as_deref()), (Some("latin2"), Some("latin2")));
    let t = altered(setup, "ALTER TABLE t ENGINE=InnoDB AUTO_INCREMENT=5 COMMENT='hi'");
    assert_eq!(t.comment.as_deref(), Some("hi"));
    let t = altered(setup, "ALTER TABLE t PARTITION BY HASH (c) PARTITIONS 2");
    assert_eq!(names(&t), ["a", "b", "c"]);
}

#[test]
fn renames() {
    let mut c = catalog();
    apply(&mut c, "fx", "CREATE TABLE t (a INT)").unwrap();
    let fx = |t: &str| TableId::new("fx", t);
    assert_eq!(
        apply(&mut c, "fx", "ALTER TABLE t RENAME TO u, ADD b INT").unwrap(),
        vec![Change::Rename(fx("t"), fx("u"))]
    );
    assert_eq!(names(table(&c, "u")), ["a", "b"]);
    assert_eq!(table(&c, "u").id, fx("u"));
    apply(&mut c, "fx", "CREATE TABLE v (a INT)").unwrap();
    assert_eq!(
        apply(&mut c, "fx", "RENAME TABLE u TO w, fx.v TO other.v, missing TO x").unwrap(),
        vec![Change::Rename(fx("u"), fx("w")), Change::Rename(fx("v"), TableId::new("other", "v"))]
    );
    assert!(c.table(&fx("u")).is_none());
    assert_eq!(c.table(&TableId::new("other", "v")).unwrap().id.database, "other");
    // An ALTER of an unknown table changes nothing.
    assert_eq!(apply(&mut c, "fx", "ALTER TABLE nope ADD x INT").unwrap(), vec![]);
}

#[test]
fn drops_and_truncates() {
    let mut c = fixture_catalog();
    let fx = |t: &str| TableId::new("fx", t);
    assert_eq!(apply(&mut c, "fx", "TRUNCATE TABLE parent").unwrap(), vec![Change::Truncate(fx("parent"))]);
    assert_eq!(apply(&mut c, "fx", "TRUNCATE child").unwrap(), vec![Change::Truncate(fx("child"))]);
    let applied =
        apply_with_dropped(&mut c, "fx", "DROP TABLE IF EXISTS `parent`, fx.child, missing /* generated by server */")
            .unwrap();
    assert_eq!(applied.changes, vec![Change::Drop(fx("parent")), Change::Drop(fx("child"))]);
    assert_eq!(applied.dropped.len(), 2);
    assert_eq!(applied.dropped[1].columns.len(), 4);
    assert_eq!(apply(&mut c, "fx", "DROP TEMPORARY TABLE IF EXISTS customers").unwrap(), vec![]);
    assert!(c.table(&fx("customers")).is_some());
    apply(&mut c, "", "CREATE SCHEMA IF NOT EXISTS keep").unwrap();
    apply(&mut c, "keep", "CREATE TABLE k (a INT)").unwrap();
    let applied = apply_with_dropped(&mut c, "", "DROP DATABASE IF EXISTS fx").unwrap();
    assert_eq!(applied.changes, vec![Change::DropDatabase("fx".into())]);
    assert_eq!(applied.dropped.len(), 6);
    assert_eq!(c.tables.len(), 1);
    assert!(!c.databases.contains_key("fx"));
}

#[test]
fn other_statements_change_nothing() {
    let mut c = fixture_catalog();
    for sql in [
        "BEGIN",
        "COMMIT",
        "SAVEPOINT s",
        "XA START 'x'",
        "SET @a = 1",
        "FLUSH TABLES",
        "INSERT INTO customers VALUES (1, 'a', 'b', 'c')",
        "CREATE INDEX i ON customers (email)",
        "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW v AS SELECT 1",
        "CREATE DEFINER=root@localhost PROCEDURE p() BEGIN SELECT 1; END",
        "CREATE TRIGGER tr BEFORE INSERT ON customers FOR EACH ROW SET NEW.id = 1",
        "CREATE USER 'u'@'%' IDENTIFIED BY 'p'",
        "GRANT ALL ON *.* TO 'u'@'%'",
        "ANALYZE TABLE customers",
        "DROP INDEX email ON customers",
        "DROP VIEW v",
        "USE fx",
        "",
        "# only a comment",
    ] {
        assert_eq!(apply(&mut c, "fx", sql).unwrap(), vec![], "{sql}");
    }
    assert_eq!(c.tables.len(), FIXTURES.len());
}

#[test]
fn errors_say_where() {
    let mut c = catalog();
    let err = apply(&mut c, "fx", "CREATE TABLE t (a INT, b VARCHAR(x))").unwrap_err();
    match err {
        DdlError::Unexpected { offset, snippet, .. } => {
            assert_eq!(offset, 33);
            assert_eq!(snippet, "x))");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(apply(&mut c, "fx", "CREATE TABLE t (a INT"), Err(DdlError::UnexpectedEnd { .. })));
    assert!(matches!(apply(&mut c, "fx", "CREATE TABLE t (a VARCHAR(3) DEFAULT 'x)"), Err(DdlError::Lex { .. })));
}
