use super::*;
use crate::catalog::Catalog;
use crate::ddl::apply;
use serde_json::json;
use weir_sdk::SchemaType;

/// A value as Connect's JSON converter writes its payload (enough for
/// these schemas: structs, arrays, strings, ints, booleans, nulls).
fn to_json(schema: &Schema, value: &Value) -> serde_json::Value {
    match (schema.ty, value) {
        (_, Value::Null) => serde_json::Value::Null,
        (SchemaType::Struct, Value::Struct(fields)) => {
            assert_eq!(schema.fields.len(), fields.len(), "{:?}", schema.name);
            let map = schema.fields.iter().zip(fields).map(|((n, s), v)| (n.clone(), to_json(s, v))).collect();
            serde_json::Value::Object(map)
        }
        (SchemaType::Array, Value::Array(items)) => {
            let Some(element) = schema.value_schema.as_deref() else { panic!("array without element schema") };
            serde_json::Value::Array(items.iter().map(|v| to_json(element, v)).collect())
        }
        (SchemaType::String, Value::String(s)) => json!(s),
        (SchemaType::Int32, Value::Int32(v)) => json!(v),
        (SchemaType::Int64, Value::Int64(v)) => json!(v),
        (SchemaType::Boolean, Value::Boolean(v)) => json!(v),
        (ty, v) => panic!("{v:?} does not fit {ty:?}"),
    }
}

fn customers() -> TableDef {
    let mut c = Catalog::default();
    c.databases.insert("inventory".into(), Some("utf8mb4".into()));
    apply(
        &mut c,
        "inventory",
        "CREATE TABLE customers (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(255) NOT NULL, \
         last_name VARCHAR(255) NOT NULL, email VARCHAR(255) NOT NULL UNIQUE KEY) AUTO_INCREMENT=1001",
    )
    .unwrap();
    apply(&mut c, "inventory", "ALTER TABLE customers ADD middle_name varchar(255) AFTER first_name").unwrap();
    c.table(&TableId::new("inventory", "customers")).unwrap().clone()
}

#[test]
fn reference_example() {
    // The docs' schema change example (§1.10.8), less the fields Debezium
    // 3.1 does not have (`attributes`) and with the ones it always writes.
    let column =
        |name: &str, jdbc: i32, ty: &str, cs: Option<&str>, len: Option<i32>, pos: i32, opt: bool, ai: bool| {
            json!({
                "name": name, "jdbcType": jdbc, "nativeType": null, "typeName": ty, "typeExpression": ty,
                "charsetName": cs, "length": len, "scale": null, "position": pos, "optional": opt,
                "autoIncremented": ai, "generated": ai, "comment": null, "defaultValueExpression": null,
                "enumValues": null
            })
        };
    let expected = json!({
        "type": "ALTER",
        "id": "\"inventory\".\"customers\"",
        "table": {
            "defaultCharsetName": "utf8mb4",
            "primaryKeyColumnNames": ["id"],
            "columns": [
                column("id", 4, "INT", None, None, 1, false, true),
                column("first_name", 12, "VARCHAR", Some("utf8mb4"), Some(255), 2, false, false),
                column("middle_name", 12, "VARCHAR", Some("utf8mb4"), Some(255), 3, true, false),
                column("last_name", 12, "VARCHAR", Some("utf8mb4"), Some(255), 4, false, false),
                column("email", 12, "VARCHAR", Some("utf8mb4"), Some(255), 5, false, false),
            ],
            "comment": null
        }
    });
    assert_eq!(to_json(&change_schema(), &table_change("ALTER", &customers())), expected);
}

#[test]
fn column_details() {
    let mut c = Catalog::default();
    apply(
        &mut c,
        "d",
        "CREATE TABLE t (a TINYINT(1) UNSIGNED DEFAULT 1 COMMENT 'x', b ENUM('p','q''r') NOT NULL, \
         c SET('x','y','z'), d DECIMAL, e TIMESTAMP(3), f DATETIME, g BOOLEAN, h NATIONAL CHAR(2), i SERIAL, \
         j NUMERIC(5,2), k REAL, l POINT, m YEAR, n LONGBLOB, o BIT, p JSON) CHARSET latin1 COMMENT 'tc'",
    )
    .unwrap();
    let def = c.table(&TableId::new("d", "t")).unwrap();
    let v = to_json(&change_schema(), &table_change("CREATE", def));
    let cols = v["table"]["columns"].as_array().unwrap();
    let get = |i: usize, k: &str| cols[i][k].clone();
    assert_eq!(v["table"]["comment"], json!("tc"));
    assert_eq!(v["table"]["primaryKeyColumnNames"], json!(["i"]));
    assert_eq!(
        (get(0, "jdbcType"), get(0, "typeName"), get(0, "length")),
        (json!(5), json!("TINYINT UNSIGNED"), json!(1))
    );
    assert_eq!((get(0, "defaultValueExpression"), get(0, "comment")), (json!("1"), json!("x")));
    assert_eq!(
        (get(1, "jdbcType"), get(1, "length"), get(1, "enumValues")),
        (json!(1), json!(1), json!(["'p'", "'q''r'"]))
    );
    assert_eq!((get(1, "charsetName"), get(1, "optional")), (json!("latin1"), json!(false)));
    assert_eq!(get(2, "length"), json!(5));
    assert_eq!((get(3, "jdbcType"), get(3, "length"), get(3, "scale")), (json!(3), json!(10), json!(0)));
    assert_eq!((get(4, "jdbcType"), get(4, "length")), (json!(2014), json!(3)));
    assert_eq!(get(5, "jdbcType"), json!(93));
    assert_eq!(get(6, "jdbcType"), json!(16));
    assert_eq!((get(7, "jdbcType"), get(7, "charsetName")), (json!(-15), json!("utf8")));
    assert_eq!(
        (get(8, "jdbcType"), get(8, "typeName"), get(8, "generated")),
        (json!(-5), json!("BIGINT UNSIGNED"), json!(true))
    );
    assert_eq!(get(9, "jdbcType"), json!(2));
    assert_eq!(get(10, "jdbcType"), json!(7));
    assert_eq!(get(11, "jdbcType"), json!(1111));
    assert_eq!(get(12, "jdbcType"), json!(4));
    assert_eq!(get(13, "jdbcType"), json!(2004));
    assert_eq!((get(14, "jdbcType"), get(14, "length")), (json!(-7), json!(1)));
    assert_eq!(get(15, "jdbcType"), json!(1111));
}

#[test]
fn ids_are_double_quoted() {
    assert_eq!(quoted_id(&TableId::new("db", "t")), "\"db\".\"t\"");
    assert_eq!(quoted_id(&TableId::new("d\"b", "t")), "\"d\"\"b\".\"t\"");
}

#[test]
fn event_schemas() {
    let source = Schema::structure("io.debezium.connector.mariadb.Source").field("db", Schema::string()).shared();
    let key = key_schema("mariadb");
    assert_eq!(key.name.as_deref(), Some("io.debezium.connector.mariadb.SchemaChangeKey"));
    assert_eq!(key.version, Some(1));
    let value = value_schema("mariadb", source.clone());
    assert_eq!(value.name.as_deref(), Some("io.debezium.connector.mariadb.SchemaChangeValue"));
    let fields: Vec<(&str, bool)> = value.fields.iter().map(|(n, s)| (n.as_str(), s.optional)).collect();
    assert_eq!(
        fields,
        [
            ("source", false),
            ("ts_ms", false),
            ("databaseName", true),
            ("schemaName", true),
            ("ddl", true),
            ("tableChanges", false)
        ]
    );
    let change = change_schema();
    assert_eq!((change.name.as_deref(), change.version), (Some("io.debezium.connector.schema.Change"), Some(1)));
    let table = &change.fields[2].1;
    assert!(table.optional);
    assert_eq!(table.name.as_deref(), Some("io.debezium.connector.schema.Table"));
    let v = super::value(
        Value::Struct(vec![Value::String("inventory".into())]),
        5,
        "inventory",
        "DROP TABLE t",
        vec![table_change("DROP", &customers())],
    );
    let j = to_json(&value, &v);
    assert_eq!(j["schemaName"], serde_json::Value::Null);
    assert_eq!(j["tableChanges"][0]["type"], json!("DROP"));
    assert_eq!(to_json(&key, &super::key("inventory")), json!({"databaseName": "inventory"}));
}
