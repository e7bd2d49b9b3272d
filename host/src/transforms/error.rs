//! What can go wrong when a transform meets a record. Configuration problems
//! are [`ConfigProblem`](super::ConfigProblem)s and are caught before a task
//! starts; these errors are about records whose shape the transform cannot
//! handle, and they fail the task as Kafka Connect's `DataException` does.

/// A transform could not process a record.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    /// The record does not have the shape the transform needs: the data or
    /// the connector config (often a missing predicate) must change.
    #[error("transform {alias} cannot process a record for topic {topic}")]
    Record {
        /// The transform's alias in `transforms`.
        alias: String,
        /// The record's topic when the transform received it.
        topic: String,
        /// What is wrong with the record.
        #[source]
        source: RecordError,
    },
    /// A routing transform produced a name Kafka would refuse as a topic.
    #[error("transform {alias} routed a record to {topic:?}, which is not a valid topic name: {reason}")]
    InvalidTopic {
        /// The transform's alias in `transforms`.
        alias: String,
        /// The topic it produced.
        topic: String,
        /// Why the name is invalid.
        reason: &'static str,
    },
}

impl TransformError {
    /// The topic of the record when it failed (for `InvalidTopic`, the name it was routed to).
    pub fn topic(&self) -> &str {
        match self {
            Self::Record { topic, .. } | Self::InvalidTopic { topic, .. } => topic,
        }
    }
}

/// Why a record does not fit a transform (Kafka Connect's `DataException`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    /// A struct was needed.
    #[error("only struct values are supported for {purpose}, found {found}")]
    NotStruct {
        /// What the transform was doing.
        purpose: &'static str,
        /// The type it found.
        found: &'static str,
    },
    /// Without a schema, a map was needed.
    #[error("only map values are supported without a schema for {purpose}, found {found}")]
    NotMap {
        /// What the transform was doing.
        purpose: &'static str,
        /// The type it found.
        found: &'static str,
    },
    /// A field the config names is not in the schema.
    #[error("field {0} does not exist")]
    UnknownField(String),
    /// A field has a type the transform cannot use.
    #[error("field {field} is {found}, expected {expected}")]
    FieldType {
        /// The field.
        field: String,
        /// What was needed.
        expected: &'static str,
        /// What it is.
        found: &'static str,
    },
    /// A derived schema would have two fields of one name.
    #[error("field {0} would appear twice in the output schema")]
    DuplicateField(String),
    /// A required field would be null.
    #[error("field {0} is required but its value is null")]
    RequiredNull(String),
    /// The value does not match its own schema.
    #[error("the value does not match its schema: {0}")]
    Malformed(String),
    /// A string did not match the configured timestamp format.
    #[error("could not parse timestamp: value ({value}) does not match pattern ({pattern})")]
    TimestampParse {
        /// The string.
        value: String,
        /// The configured `format`.
        pattern: String,
    },
    /// A value of this type cannot be read as a timestamp.
    #[error("{0} values cannot be converted as timestamps")]
    NotATimestamp(String),
    /// A logical type was requested for a value that has no schema to carry it.
    #[error("target.type {0} needs a schema: a schemaless value cannot carry a logical type")]
    SchemalessLogicalType(&'static str),
    /// The outbox router met an operation it is configured to fail on.
    #[error("unexpected {0} event in the outbox table (table.op.invalid.behavior=fatal)")]
    UnexpectedOperation(String),
    /// A field used for routing is null.
    #[error("the routing field {0} is null")]
    NullRoute(String),
    /// The outbox timestamp field's type is not a timestamp Debezium knows.
    #[error("the event timestamp field {field} has unsupported type {found}")]
    TimestampType {
        /// The field.
        field: String,
        /// Its schema name or type.
        found: String,
    },
}
