//! Kafka Connect's single message transforms (SMTs) and predicates, built
//! into the host and configured exactly as Kafka Connect configures them:
//!
//! ```text
//! transforms=unwrap,route            predicates=isOutbox
//! transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState
//! transforms.unwrap.add.fields=op,table
//! transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter
//! transforms.route.predicate=isOutbox     transforms.route.negate=true
//! predicates.isOutbox.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches
//! ```
//!
//! Lifecycle: a task builds one [`Chain`] from its connector config before
//! it polls ([`Chain::from_config`]); the same parser feeds
//! `PUT /connector-plugins/{p}/config/validate` ([`config_infos`]), so a
//! config that validates also builds. Each polled record then passes
//! through [`Chain::apply`] before it is converted: a transform rewrites the
//! record in place or drops it, and a predicate decides per record whether a
//! transform runs at all.
//!
//! Schemas: transforms that change a record's shape derive a new schema
//! from the input schema and cache it keyed on the input `Arc`'s identity
//! ([`schema::SchemaCache`]). Connectors reuse one `Arc<Schema>` per table,
//! so each table's output schema is built, and rendered by the
//! JsonConverter, once rather than per record.
//!
//! Classes: Debezium's `ExtractNewRecordState`, outbox `EventRouter` and
//! `ByLogicalTableRouter`; Kafka's `RegexRouter`, `InsertField`,
//! `ReplaceField`, `ValueToKey`, `ExtractField`, `TimestampConverter` and
//! `Filter`; predicates `TopicNameMatches`, `HasHeaderKey` and
//! `RecordIsTombstone`. Rejected at validation, with the reason: options
//! that cannot apply to source records (`InsertField`'s `offset.field`) or
//! that Weir does not implement (`ExtractField` `field.syntax.version=V2`,
//! `EventRouter` `table.expand.json.payload`, `ExtractNewRecordState`
//! `drop.fields.header.name`, `SimpleDateFormat` letters `G Y w W F u`).
//! Regular expressions use the `regex` crate, which shares Java's syntax
//! except look-around and back-references.
//!
//! Errors: configuration problems are [`ConfigProblem`]s naming the key in
//! Kafka Connect's words. A record a transform cannot handle fails with a
//! [`TransformError`] naming the alias, as Kafka's `DataException` fails a
//! task; nothing is skipped silently.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::record::{Data, SourceRecord};

mod config;
mod date_format;
mod debezium;
mod error;
#[cfg(test)]
mod fixtures;
mod kafka;
mod logical_table;
mod outbox;
mod predicates;
mod registry;
mod replacement;
mod schema;
mod timestamp;
mod validate;
mod value;

pub use error::{RecordError, TransformError};
pub use validate::config_infos;

use config::{Props, parse_list};
use predicates::{Predicate, PredicateClass};
use registry::TransformClass;

/// A problem with one key of a transform's or predicate's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The full key, e.g. `transforms.route.regex`.
    pub key: String,
    /// Kafka Connect's wording, e.g. `Invalid value ( for configuration
    /// transforms.route.regex: Invalid regex: …`.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The transforms of one connector, in order, with their predicates.
pub struct Chain {
    stages: Vec<Stage>,
}

struct Stage {
    alias: String,
    transform: Box<dyn Transformation>,
    condition: Option<Condition>,
    /// Whether the transform can change the topic, so the result is checked.
    routes: bool,
}

struct Condition {
    predicate: Predicate,
    negate: bool,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.stages.iter().map(|s| &s.alias)).finish()
    }
}

impl Chain {
    /// Parses and builds the chain from a connector config. Every problem
    /// is reported, each naming the key it concerns in Kafka Connect's
    /// wording (e.g. `Invalid value X for configuration transforms.a.type:
    /// Class X could not be found.`).
    pub fn from_config(config: &BTreeMap<String, String>) -> Result<Chain, Vec<ConfigProblem>> {
        let parsed = parse(config);
        if parsed.problems.is_empty() { Ok(Chain { stages: parsed.stages }) } else { Err(parsed.problems) }
    }

    /// Applies every transform in order; `Ok(None)` means a transform
    /// dropped the record.
    pub fn apply(&mut self, mut record: SourceRecord) -> Result<Option<SourceRecord>, TransformError> {
        for stage in &mut self.stages {
            // Kafka runs the transform when `negate XOR predicate` holds.
            if let Some(c) = &stage.condition
                && c.predicate.test(&record) == c.negate
            {
                continue;
            }
            match stage.transform.apply(&mut record) {
                Ok(Verdict::Keep) => {}
                Ok(Verdict::Drop) => return Ok(None),
                Err(source) => {
                    return Err(TransformError::Record { alias: stage.alias.clone(), topic: record.topic, source });
                }
            }
            if stage.routes
                && let Err(reason) = check_topic(&record.topic)
            {
                return Err(TransformError::InvalidTopic { alias: stage.alias.clone(), topic: record.topic, reason });
            }
        }
        Ok(Some(record))
    }

    /// Whether the config lists no transforms.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }
}

/// What a transform decided about a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Pass it on (possibly rewritten).
    Keep,
    /// Drop it: no later transform sees it and nothing is written.
    Drop,
}

/// One configured transform. It rewrites the record in place and changes
/// the topic last, so a failing transform leaves the topic as it found it
/// (the error names that topic).
pub(crate) trait Transformation: Send {
    /// Applies the transform to one record.
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError>;
}

/// Which part of the record a `$Key`/`$Value` transform works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    /// The record key.
    Key,
    /// The record value.
    Value,
}

impl Side {
    /// The key or value slot.
    pub fn slot(self, record: &mut SourceRecord) -> &mut Option<Data> {
        match self {
            Self::Key => &mut record.key,
            Self::Value => &mut record.value,
        }
    }
}

/// Kafka's topic name rules, so a bad route fails here, naming the
/// transform, rather than at the broker.
fn check_topic(topic: &str) -> Result<(), &'static str> {
    if topic.is_empty() {
        return Err("the name is empty");
    }
    if topic == "." || topic == ".." {
        return Err("the name cannot be \".\" or \"..\"");
    }
    if topic.len() > 249 {
        return Err("the name is longer than 249 characters");
    }
    if !topic.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        return Err("the name may contain only ASCII letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

/// Everything read from the `transforms` and `predicates` keys.
pub(crate) struct Parsed {
    /// Each transform alias with its class, if it resolved.
    pub transforms: Vec<(String, Option<TransformClass>)>,
    /// Each predicate alias with its class, if it resolved.
    pub predicates: Vec<(String, Option<PredicateClass>)>,
    /// Every problem found.
    pub problems: Vec<ConfigProblem>,
    stages: Vec<Stage>,
}

/// The aliases listed in `transforms` or `predicates`, each once, in order.
fn aliases(config: &BTreeMap<String, String>, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for alias in config.get(key).map(|v| parse_list(v)).unwrap_or_default() {
        if !out.contains(&alias) {
            out.push(alias);
        }
    }
    out
}

fn missing(key: &str) -> String {
    format!("Missing required configuration \"{key}\" which has no default value.")
}

fn not_found(key: &str, class: &str) -> String {
    format!("Invalid value {class} for configuration {key}: Class {class} could not be found.")
}

/// Reads and builds every transform and predicate the config lists.
pub(crate) fn parse(config: &BTreeMap<String, String>) -> Parsed {
    let mut problems = Vec::new();
    let mut predicates = Vec::new();
    let mut built: HashMap<String, Predicate> = HashMap::new();
    for alias in aliases(config, "predicates") {
        let type_key = format!("predicates.{alias}.type");
        let class = match config.get(&type_key).map(|v| v.trim()) {
            None => {
                problems.push(ConfigProblem { message: missing(&type_key), key: type_key });
                None
            }
            Some(name) => match PredicateClass::resolve(name) {
                Some(class) => Some(class),
                None => {
                    let message = match TransformClass::resolve(name) {
                        Ok(_) => format!("Class {name} does not implement the Predicate interface"),
                        Err(_) => not_found(&type_key, name),
                    };
                    problems.push(ConfigProblem { key: type_key, message });
                    None
                }
            },
        };
        if let Some(class) = class {
            let mut props = Props::new(config, format!("predicates.{alias}."));
            let predicate = class.build(&mut props);
            if let Some(p) = predicate.filter(|_| !props.has_problems()) {
                built.insert(alias.clone(), p);
            }
            problems.extend(props.into_problems());
        }
        predicates.push((alias, class));
    }
    let listed: Vec<&str> = predicates.iter().map(|(a, _)| a.as_str()).collect();

    let mut transforms = Vec::new();
    let mut stages = Vec::new();
    for alias in aliases(config, "transforms") {
        let prefix = format!("transforms.{alias}.");
        let mut props = Props::new(config, prefix.clone());
        let type_key = props.key("type");
        let class = match props.raw("type") {
            None => {
                props.problem("type", missing(&type_key));
                None
            }
            Some(name) => match TransformClass::resolve(name) {
                Ok(class) => Some(class),
                Err(message) => {
                    let message = message.unwrap_or_else(|| match PredicateClass::resolve(name) {
                        Some(_) => format!("Class {name} does not implement the Transformation interface"),
                        None => not_found(&type_key, name),
                    });
                    props.problem("type", message);
                    None
                }
            },
        };
        let predicate = props.optional("predicate");
        let negate = props.boolean("negate", false);
        if props.is_set("negate") && predicate.is_none() {
            props.problem(
                "type",
                format!(
                    "Config '{prefix}negate' was provided but there is no config '{prefix}predicate' defining a predicate to be negated."
                ),
            );
        }
        let condition = match &predicate {
            None => None,
            Some(p) if !listed.contains(&p.as_str()) => {
                props.invalid("predicate", p, &format!("Predicate {p} is not listed in predicates"));
                None
            }
            Some(p) => built.get(p).map(|predicate| Condition { predicate: predicate.clone(), negate }),
        };
        let transform = class.and_then(|c| c.build(&alias, &mut props));
        if let (Some(class), Some(transform)) = (class, transform)
            && !props.has_problems()
            && (predicate.is_none() || condition.is_some())
        {
            stages.push(Stage { alias: alias.clone(), transform, condition, routes: class.routes() });
        }
        problems.extend(props.into_problems());
        transforms.push((alias, class));
    }
    Parsed { transforms, predicates, problems, stages }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::fixtures::{Table, record};

    /// A config from key-value pairs.
    pub(crate) fn cfg(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A chain of one transform `class` under `alias`, with its own keys from `pairs`;
    /// errors are the problems' messages.
    pub(crate) fn single(alias: &str, class: &str, pairs: &[(&str, &str)]) -> Result<Chain, Vec<String>> {
        let mut config = BTreeMap::from([
            ("transforms".to_string(), alias.to_string()),
            (format!("transforms.{alias}.type"), class.to_string()),
        ]);
        config.extend(pairs.iter().map(|(k, v)| (format!("transforms.{alias}.{k}"), v.to_string())));
        Chain::from_config(&config).map_err(|p| p.into_iter().map(|p| p.message).collect())
    }

    fn messages(config: &[(&str, &str)]) -> Vec<(String, String)> {
        match Chain::from_config(&cfg(config)) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| (p.key, p.message)).collect(),
        }
    }

    #[test]
    fn no_transforms_is_an_empty_chain() {
        let mut chain = Chain::from_config(&cfg(&[("name", "c")])).unwrap();
        assert!(chain.is_empty());
        let r = chain.apply(record("t")).unwrap().unwrap();
        assert_eq!(r.topic, "t");
    }

    #[test]
    fn chain_is_send() {
        fn send<T: Send>() {}
        send::<Chain>();
    }

    #[test]
    fn transforms_run_in_order_and_filter_drops() {
        let mut chain = Chain::from_config(&cfg(&[
            ("transforms", "a, b,drop"),
            ("transforms.a.type", "org.apache.kafka.connect.transforms.RegexRouter"),
            ("transforms.a.regex", "(.*)"),
            ("transforms.a.replacement", "$1-x"),
            ("transforms.b.type", "RegexRouter"),
            ("transforms.b.regex", "(.*)-x"),
            ("transforms.b.replacement", "$1-y"),
            ("transforms.drop.type", "org.apache.kafka.connect.transforms.Filter"),
            ("transforms.drop.predicate", "isY"),
            ("transforms.drop.negate", "true"),
            ("predicates", "isY"),
            ("predicates.isY.type", "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"),
            ("predicates.isY.pattern", "never"),
        ]))
        .unwrap();
        assert_eq!(format!("{chain:?}"), r#"["a", "b", "drop"]"#);
        // The predicate does not match, so negated it holds and Filter drops the record.
        assert!(chain.apply(record("t")).unwrap().is_none());

        let mut chain = Chain::from_config(&cfg(&[
            ("transforms", "a,drop"),
            ("transforms.a.type", "RegexRouter"),
            ("transforms.a.regex", "(.*)"),
            ("transforms.a.replacement", "$1-y"),
            ("transforms.drop.type", "Filter"),
            ("transforms.drop.predicate", "isY"),
            ("transforms.drop.negate", "true"),
            ("predicates", "isY"),
            ("predicates.isY.type", "TopicNameMatches"),
            ("predicates.isY.pattern", ".*-y"),
        ]))
        .unwrap();
        assert_eq!(chain.apply(record("t")).unwrap().unwrap().topic, "t-y");
    }

    #[test]
    fn tombstones_can_be_kept_away_from_a_transform() {
        let table = Table::customers();
        let mut chain = Chain::from_config(&cfg(&[
            ("transforms", "key"),
            ("transforms.key.type", "org.apache.kafka.connect.transforms.ValueToKey"),
            ("transforms.key.fields", "id"),
            ("transforms.key.predicate", "tomb"),
            ("transforms.key.negate", "true"),
            ("predicates", "tomb"),
            ("predicates.tomb.type", "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"),
        ]))
        .unwrap();
        let kept = chain.apply(table.tombstone(1)).unwrap().unwrap();
        assert!(kept.value.is_none());
    }

    #[test]
    fn errors_name_the_alias_and_topic() {
        let mut chain = Chain::from_config(&cfg(&[
            ("transforms", "key"),
            ("transforms.key.type", "org.apache.kafka.connect.transforms.ValueToKey"),
            ("transforms.key.fields", "id"),
        ]))
        .unwrap();
        let err = chain.apply(Table::customers().tombstone(1)).unwrap_err();
        assert_eq!(err.to_string(), "transform key cannot process a record for topic dbserver1.inventory.customers");
        assert_eq!(
            crate::runtime::DisplayChain(&err).to_string(),
            "transform key cannot process a record for topic dbserver1.inventory.customers: only map values are supported without a schema for copying fields from value to key, found null"
        );
    }

    #[test]
    fn routing_to_an_invalid_topic_fails() {
        let mut chain = Chain::from_config(&cfg(&[
            ("transforms", "r"),
            ("transforms.r.type", "RegexRouter"),
            ("transforms.r.regex", ".*"),
            ("transforms.r.replacement", "bad topic"),
        ]))
        .unwrap();
        let err = chain.apply(record("t")).unwrap_err();
        assert!(
            matches!(&err, TransformError::InvalidTopic { alias, topic, .. } if alias == "r" && topic == "bad topic")
        );
    }

    #[test]
    fn type_problems_use_kafka_wording() {
        assert_eq!(
            messages(&[("transforms", "a,b"), ("transforms.a.type", "com.example.Nope")]),
            [
                (
                    "transforms.a.type".to_string(),
                    "Invalid value com.example.Nope for configuration transforms.a.type: Class com.example.Nope could not be found.".to_string()
                ),
                (
                    "transforms.b.type".to_string(),
                    "Missing required configuration \"transforms.b.type\" which has no default value.".to_string()
                ),
            ]
        );
        assert_eq!(
            messages(&[("transforms", "a"), ("transforms.a.type", "org.apache.kafka.connect.transforms.InsertField")]),
            [(
                "transforms.a.type".to_string(),
                "This class is abstract and cannot be created. Did you mean org.apache.kafka.connect.transforms.InsertField$Key, org.apache.kafka.connect.transforms.InsertField$Value?".to_string()
            )]
        );
        assert_eq!(
            messages(&[("transforms", "a"), ("transforms.a.type", "TopicNameMatches")]),
            [(
                "transforms.a.type".to_string(),
                "Class TopicNameMatches does not implement the Transformation interface".to_string()
            )]
        );
    }

    #[test]
    fn predicate_problems_use_kafka_wording() {
        assert_eq!(
            messages(&[
                ("transforms", "a,b"),
                ("transforms.a.type", "Filter"),
                ("transforms.a.predicate", "p"),
                ("transforms.b.type", "Filter"),
                ("transforms.b.negate", "true"),
                ("predicates", "q"),
                ("predicates.q.type", "org.apache.kafka.connect.transforms.predicates.Nope"),
            ]),
            [
                (
                    "predicates.q.type".to_string(),
                    "Invalid value org.apache.kafka.connect.transforms.predicates.Nope for configuration predicates.q.type: Class org.apache.kafka.connect.transforms.predicates.Nope could not be found.".to_string()
                ),
                (
                    "transforms.a.predicate".to_string(),
                    "Invalid value p for configuration transforms.a.predicate: Predicate p is not listed in predicates".to_string()
                ),
                (
                    "transforms.b.type".to_string(),
                    "Config 'transforms.b.negate' was provided but there is no config 'transforms.b.predicate' defining a predicate to be negated.".to_string()
                ),
            ]
        );
    }

    #[test]
    fn topic_names_follow_kafka_rules() {
        assert!(check_topic("dbserver1.inventory.customers").is_ok());
        assert!(check_topic("a_b-C.9").is_ok());
        assert!(check_topic("").is_err());
        assert!(check_topic("..").is_err());
        assert!(check_topic("a/b").is_err());
        assert!(check_topic(&"x".repeat(250)).is_err());
    }
}
