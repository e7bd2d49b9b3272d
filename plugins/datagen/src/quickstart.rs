//! The three data sets of Confluent's datagen quickstarts, generated from a
//! seeded mixer so a record depends only on (task, iteration).

use std::sync::{Arc, OnceLock};

use weir_sdk::{ConnectorError, Schema, SourceRecord, Value};

/// Which data set a task generates.
#[derive(Debug, Clone, Copy)]
pub enum Quickstart {
    /// `users`: keyed by user id.
    Users,
    /// `pageviews`: keyed by view time.
    Pageviews,
    /// `orders`: keyed by order id, with a nested address.
    Orders,
}

struct Schemas {
    users: Arc<Schema>,
    pageviews: Arc<Schema>,
    orders: Arc<Schema>,
    string: Arc<Schema>,
    int: Arc<Schema>,
    long: Arc<Schema>,
}

/// Built once per instance, so each schema crosses the boundary once.
fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas {
        users: Schema::structure("ksql.users")
            .field("registertime", Schema::int64())
            .field("userid", Schema::string())
            .field("regionid", Schema::string())
            .field("gender", Schema::string())
            .shared(),
        pageviews: Schema::structure("ksql.pageviews")
            .field("viewtime", Schema::int64())
            .field("userid", Schema::string())
            .field("pageid", Schema::string())
            .shared(),
        orders: Schema::structure("ksql.orders")
            .field("ordertime", Schema::int64())
            .field("orderid", Schema::int32())
            .field("itemid", Schema::string())
            .field("orderunits", Schema::float64())
            .field(
                "address",
                Schema::structure("ksql.address")
                    .field("city", Schema::string())
                    .field("state", Schema::string())
                    .field("zipcode", Schema::int64()),
            )
            .shared(),
        string: Schema::string().shared(),
        int: Schema::int32().shared(),
        long: Schema::int64().shared(),
    })
}

/// `prefix` followed by `n` in decimal: `format!` costs several times more,
/// and every record writes a few of these.
fn tagged(prefix: &str, n: u64) -> String {
    let mut s = String::with_capacity(prefix.len() + 20);
    s.push_str(prefix);
    weir_json::write_u64(&mut s, n);
    s
}

/// SplitMix64: a well-mixed, dependency-free function of its input.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Quickstart {
    /// The data set named by `quickstart`.
    pub fn parse(name: &str) -> Result<Self, ConnectorError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "users" => Ok(Self::Users),
            "pageviews" => Ok(Self::Pageviews),
            "orders" => Ok(Self::Orders),
            other => Err(ConnectorError::config(
                "quickstart",
                format!(
                    "Invalid value {other} for configuration quickstart: String must be one of: users, pageviews, orders"
                ),
            )),
        }
    }

    /// The record for `iteration` of task `task_id`.
    pub fn record(
        self,
        topic: &Arc<str>,
        task_id: u32,
        iteration: u64,
        partition: &Arc<str>,
        offset: String,
    ) -> SourceRecord {
        let s = schemas();
        let seed = mix((u64::from(task_id) << 48) ^ iteration);
        let pick = |n: u64, salt: u64| mix(seed ^ salt) % n + 1;
        // A fixed base keeps generated times plausible and reproducible.
        let time = 1_500_000_000_000_i64 + (iteration as i64) * 1000 + (pick(1000, 7) as i64);
        let record = SourceRecord::new(topic.clone(), partition.clone(), offset).timestamp(time);
        match self {
            Self::Users => {
                let userid = tagged("User_", pick(9, 1));
                let genders = ["MALE", "FEMALE", "OTHER"];
                let value = Value::Struct(vec![
                    Value::Int64(time),
                    Value::String(userid.clone()),
                    Value::String(tagged("Region_", pick(9, 2))),
                    Value::String(genders[(pick(3, 3) - 1) as usize].to_string()),
                ]);
                record.key(Some(s.string.clone()), userid).value(Some(s.users.clone()), value)
            }
            Self::Pageviews => {
                let value = Value::Struct(vec![
                    Value::Int64(time),
                    Value::String(tagged("User_", pick(9, 1))),
                    Value::String(tagged("Page_", pick(99, 2))),
                ]);
                record.key(Some(s.long.clone()), Value::Int64(time)).value(Some(s.pageviews.clone()), value)
            }
            Self::Orders => {
                let orderid = iteration as i32;
                let cities = ["City_1", "City_2", "City_3", "City_4", "City_5"];
                let value = Value::Struct(vec![
                    Value::Int64(time),
                    Value::Int32(orderid),
                    Value::String(tagged("Item_", pick(999, 2))),
                    Value::Float64(pick(1000, 4) as f64 / 100.0),
                    Value::Struct(vec![
                        Value::String(cities[(pick(5, 5) - 1) as usize].to_string()),
                        Value::String(tagged("State_", pick(50, 6))),
                        Value::Int64(10000 + pick(89999, 8) as i64),
                    ]),
                ]);
                record.key(Some(s.int.clone()), Value::Int32(orderid)).value(Some(s.orders.clone()), value)
            }
        }
    }
}
