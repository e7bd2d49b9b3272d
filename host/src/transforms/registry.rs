//! The transform classes Weir provides, the names Kafka Connect resolves
//! them by, and the keys each defines.

use super::config::{KeyDef, Props};
use super::{Side, Transformation, debezium, kafka, logical_table, outbox, timestamp};

/// A transform class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransformClass {
    /// `io.debezium.transforms.ExtractNewRecordState`.
    ExtractNewRecordState,
    /// `io.debezium.transforms.outbox.EventRouter`.
    EventRouter,
    /// `io.debezium.transforms.ByLogicalTableRouter`.
    ByLogicalTableRouter,
    /// `org.apache.kafka.connect.transforms.RegexRouter`.
    RegexRouter,
    /// `org.apache.kafka.connect.transforms.InsertField$Key`/`$Value`.
    InsertField(Side),
    /// `org.apache.kafka.connect.transforms.ReplaceField$Key`/`$Value`.
    ReplaceField(Side),
    /// `org.apache.kafka.connect.transforms.ValueToKey`.
    ValueToKey,
    /// `org.apache.kafka.connect.transforms.ExtractField$Key`/`$Value`.
    ExtractField(Side),
    /// `org.apache.kafka.connect.transforms.TimestampConverter$Key`/`$Value`.
    TimestampConverter(Side),
    /// `org.apache.kafka.connect.transforms.Filter`.
    Filter,
}

const KAFKA: &str = "org.apache.kafka.connect.transforms.";

/// Kafka's abstract classes whose `$Key`/`$Value` subclasses are the real ones.
const ABSTRACT: [&str; 4] = ["InsertField", "ReplaceField", "ExtractField", "TimestampConverter"];

impl TransformClass {
    /// Every class.
    pub const ALL: [Self; 14] = [
        Self::ExtractNewRecordState,
        Self::EventRouter,
        Self::ByLogicalTableRouter,
        Self::RegexRouter,
        Self::InsertField(Side::Key),
        Self::InsertField(Side::Value),
        Self::ReplaceField(Side::Key),
        Self::ReplaceField(Side::Value),
        Self::ValueToKey,
        Self::ExtractField(Side::Key),
        Self::ExtractField(Side::Value),
        Self::TimestampConverter(Side::Key),
        Self::TimestampConverter(Side::Value),
        Self::Filter,
    ];

    /// The fully qualified class name.
    pub fn class_name(self) -> &'static str {
        use Side::{Key, Value};
        match self {
            Self::ExtractNewRecordState => "io.debezium.transforms.ExtractNewRecordState",
            Self::EventRouter => "io.debezium.transforms.outbox.EventRouter",
            Self::ByLogicalTableRouter => "io.debezium.transforms.ByLogicalTableRouter",
            Self::RegexRouter => "org.apache.kafka.connect.transforms.RegexRouter",
            Self::InsertField(Key) => "org.apache.kafka.connect.transforms.InsertField$Key",
            Self::InsertField(Value) => "org.apache.kafka.connect.transforms.InsertField$Value",
            Self::ReplaceField(Key) => "org.apache.kafka.connect.transforms.ReplaceField$Key",
            Self::ReplaceField(Value) => "org.apache.kafka.connect.transforms.ReplaceField$Value",
            Self::ValueToKey => "org.apache.kafka.connect.transforms.ValueToKey",
            Self::ExtractField(Key) => "org.apache.kafka.connect.transforms.ExtractField$Key",
            Self::ExtractField(Value) => "org.apache.kafka.connect.transforms.ExtractField$Value",
            Self::TimestampConverter(Key) => "org.apache.kafka.connect.transforms.TimestampConverter$Key",
            Self::TimestampConverter(Value) => "org.apache.kafka.connect.transforms.TimestampConverter$Value",
            Self::Filter => "org.apache.kafka.connect.transforms.Filter",
        }
    }

    /// Resolves a class name, or a simple name Kafka Connect registers as an
    /// alias. Nested `$Key`/`$Value` classes have no alias (their simple
    /// names are not unique), so they need the full name, as in Kafka.
    /// `Err(Some(message))` explains a near miss; `Err(None)` means unknown.
    pub fn resolve(name: &str) -> Result<Self, Option<String>> {
        let by_full = Self::ALL.into_iter().find(|c| c.class_name() == name);
        let by_alias = || {
            Self::ALL.into_iter().find(|c| {
                let simple = c.class_name().rsplit('.').next().unwrap_or_default();
                !simple.contains('$') && simple == name
            })
        };
        if let Some(class) = by_full.or_else(by_alias) {
            return Ok(class);
        }
        match name.strip_prefix(KAFKA) {
            Some(base) if ABSTRACT.contains(&base) => Err(Some(format!(
                "This class is abstract and cannot be created. Did you mean {KAFKA}{base}$Key, {KAFKA}{base}$Value?"
            ))),
            _ => Err(None),
        }
    }

    /// Whether the transform can change a record's topic.
    pub fn routes(self) -> bool {
        matches!(self, Self::ExtractNewRecordState | Self::EventRouter | Self::ByLogicalTableRouter | Self::RegexRouter)
    }

    /// The keys the class defines, for `/config/validate`.
    pub fn keys(self) -> &'static [KeyDef] {
        match self {
            Self::ExtractNewRecordState => debezium::KEYS,
            Self::EventRouter => outbox::KEYS,
            Self::ByLogicalTableRouter => logical_table::KEYS,
            Self::RegexRouter => kafka::REGEX_ROUTER_KEYS,
            Self::InsertField(_) => kafka::INSERT_FIELD_KEYS,
            Self::ReplaceField(_) => kafka::REPLACE_FIELD_KEYS,
            Self::ValueToKey => kafka::VALUE_TO_KEY_KEYS,
            Self::ExtractField(_) => kafka::EXTRACT_FIELD_KEYS,
            Self::TimestampConverter(_) => timestamp::KEYS,
            Self::Filter => &[],
        }
    }

    /// Builds the transform, recording problems in `props`.
    pub fn build(self, alias: &str, props: &mut Props<'_>) -> Option<Box<dyn Transformation>> {
        fn boxed<T: Transformation + 'static>(t: Option<T>) -> Option<Box<dyn Transformation>> {
            t.map(|t| Box::new(t) as Box<dyn Transformation>)
        }
        match self {
            Self::ExtractNewRecordState => boxed(debezium::ExtractNewRecordState::build(props)),
            Self::EventRouter => boxed(outbox::EventRouter::build(alias, props)),
            Self::ByLogicalTableRouter => boxed(logical_table::ByLogicalTableRouter::build(props)),
            Self::RegexRouter => boxed(kafka::RegexRouter::build(props)),
            Self::InsertField(side) => boxed(kafka::InsertField::build(side, props)),
            Self::ReplaceField(side) => boxed(kafka::ReplaceField::build(side, props)),
            Self::ValueToKey => boxed(kafka::ValueToKey::build(props)),
            Self::ExtractField(side) => boxed(kafka::ExtractField::build(side, props)),
            Self::TimestampConverter(side) => boxed(timestamp::TimestampConverter::build(side, props)),
            Self::Filter => boxed(Some(kafka::Filter)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_like_kafka() {
        assert_eq!(TransformClass::resolve("RegexRouter"), Ok(TransformClass::RegexRouter));
        assert_eq!(TransformClass::resolve("ExtractNewRecordState"), Ok(TransformClass::ExtractNewRecordState));
        assert_eq!(
            TransformClass::resolve("org.apache.kafka.connect.transforms.InsertField$Value"),
            Ok(TransformClass::InsertField(Side::Value))
        );
        assert_eq!(TransformClass::resolve("InsertField$Value"), Err(None));
        assert_eq!(TransformClass::resolve("Value"), Err(None));
        for class in TransformClass::ALL {
            assert_eq!(TransformClass::resolve(class.class_name()), Ok(class));
        }
    }
}
