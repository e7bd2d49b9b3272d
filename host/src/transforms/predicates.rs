//! Kafka's predicates, which decide per record whether a transform applies
//! (`transforms.<alias>.predicate`, inverted by `transforms.<alias>.negate`).

use super::config::{KeyDef, Props, key};
use super::replacement::JavaRegex;
use super::value::is_null;
use crate::plugin::ConfigType;
use crate::record::SourceRecord;

/// A configured predicate.
#[derive(Debug, Clone)]
pub(crate) enum Predicate {
    /// `TopicNameMatches`: the whole topic name matches `pattern`.
    TopicNameMatches(JavaRegex),
    /// `HasHeaderKey`: at least one header is called `name`.
    HasHeaderKey(String),
    /// `RecordIsTombstone`: the value is null.
    RecordIsTombstone,
}

/// The predicate classes, by the names Kafka resolves them by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PredicateClass {
    /// `org.apache.kafka.connect.transforms.predicates.TopicNameMatches`.
    TopicNameMatches,
    /// `org.apache.kafka.connect.transforms.predicates.HasHeaderKey`.
    HasHeaderKey,
    /// `org.apache.kafka.connect.transforms.predicates.RecordIsTombstone`.
    RecordIsTombstone,
}

const PACKAGE: &str = "org.apache.kafka.connect.transforms.predicates.";

impl PredicateClass {
    /// Every class.
    pub const ALL: [Self; 3] = [Self::TopicNameMatches, Self::HasHeaderKey, Self::RecordIsTombstone];

    /// The simple class name, which Kafka also accepts as an alias.
    pub fn simple_name(self) -> &'static str {
        match self {
            Self::TopicNameMatches => "TopicNameMatches",
            Self::HasHeaderKey => "HasHeaderKey",
            Self::RecordIsTombstone => "RecordIsTombstone",
        }
    }

    /// The class for a full or simple name.
    pub fn resolve(name: &str) -> Option<Self> {
        let simple = name.strip_prefix(PACKAGE).unwrap_or(name);
        Self::ALL.into_iter().find(|c| c.simple_name() == simple)
    }

    /// The keys the class defines.
    pub fn keys(self) -> &'static [KeyDef] {
        const PATTERN: &[KeyDef] = &[key("pattern", ConfigType::String, None, "MEDIUM")
            .doc("A regular expression the whole topic name must match for the predicate to be true.")];
        const NAME: &[KeyDef] = &[key("name", ConfigType::String, None, "MEDIUM")
            .doc("The header name whose presence makes the predicate true.")];
        match self {
            Self::TopicNameMatches => PATTERN,
            Self::HasHeaderKey => NAME,
            Self::RecordIsTombstone => &[],
        }
    }

    /// Builds the predicate, recording problems in `props`.
    pub fn build(self, props: &mut Props<'_>) -> Option<Predicate> {
        match self {
            Self::TopicNameMatches => {
                let pattern = props.required("pattern")?;
                if pattern.is_empty() {
                    props.invalid("pattern", &pattern, "String must be non-empty");
                    return None;
                }
                props.regex("pattern", &pattern).map(Predicate::TopicNameMatches)
            }
            Self::HasHeaderKey => {
                let name = props.required("name")?;
                if name.is_empty() {
                    props.invalid("name", &name, "String must be non-empty");
                    return None;
                }
                Some(Predicate::HasHeaderKey(name))
            }
            Self::RecordIsTombstone => Some(Predicate::RecordIsTombstone),
        }
    }
}

impl Predicate {
    /// Whether the predicate holds for `record`.
    pub fn test(&self, record: &SourceRecord) -> bool {
        match self {
            Self::TopicNameMatches(re) => re.matches(&record.topic),
            Self::HasHeaderKey(name) => record.headers.iter().any(|(k, _)| k == name),
            Self::RecordIsTombstone => is_null(record.value.as_ref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::record::{Data, Value};
    use crate::transforms::fixtures::record;

    fn build(class: PredicateClass, pairs: &[(&str, &str)]) -> Result<Predicate, Vec<String>> {
        let config: BTreeMap<String, String> =
            pairs.iter().map(|(k, v)| (format!("predicates.p.{k}"), v.to_string())).collect();
        let mut props = Props::new(&config, "predicates.p.".into());
        let built = class.build(&mut props);
        match built {
            Some(p) if !props.has_problems() => Ok(p),
            _ => Err(props.into_problems().into_iter().map(|p| p.message).collect()),
        }
    }

    #[test]
    fn topic_name_matches_needs_the_whole_name() {
        let p = build(PredicateClass::TopicNameMatches, &[("pattern", "db\\.inventory\\..*")]).unwrap();
        assert!(p.test(&record("db.inventory.customers")));
        assert!(!p.test(&record("xdb.inventory.customers")));
        let p = build(PredicateClass::TopicNameMatches, &[("pattern", "customers")]).unwrap();
        assert!(!p.test(&record("db.inventory.customers")));
    }

    #[test]
    fn has_header_key_and_tombstone() {
        let p = build(PredicateClass::HasHeaderKey, &[("name", "__op")]).unwrap();
        let mut r = record("t");
        assert!(!p.test(&r));
        r.headers.push(("__op".into(), None));
        assert!(p.test(&r));
        let tomb = build(PredicateClass::RecordIsTombstone, &[]).unwrap();
        assert!(!tomb.test(&r));
        r.value = None;
        assert!(tomb.test(&r));
        r.value = Some(Data { schema: None, value: Value::Null });
        assert!(tomb.test(&r));
    }

    #[test]
    fn bad_configs_are_reported_on_their_keys() {
        assert_eq!(
            build(PredicateClass::TopicNameMatches, &[]).unwrap_err(),
            ["Missing required configuration \"predicates.p.pattern\" which has no default value."]
        );
        assert_eq!(
            build(PredicateClass::HasHeaderKey, &[("name", " ")]).unwrap_err(),
            ["Invalid value  for configuration predicates.p.name: String must be non-empty"]
        );
        let err = build(PredicateClass::TopicNameMatches, &[("pattern", "(")]).unwrap_err();
        assert!(
            err[0].starts_with("Invalid value ( for configuration predicates.p.pattern: Invalid regex: "),
            "{err:?}"
        );
    }
}
