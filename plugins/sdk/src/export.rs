//! Glue between the generated export traits and the SDK's [`Connector`] and
//! [`SourceTask`] traits. Used by [`export_connectors!`](crate::export_connectors);
//! not for direct use.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir_json::connect::{JsonConverter, JsonSchema};

mod pack;

use self::pack::{NameSlot, Packer, TooLarge};
use crate::bindings::exports::weir::connector::source as exp;
use crate::bindings::weir::connector::types as wit;
use crate::{
    CommittedOffset, Config, ConfigKey, ConfigType, ConfigValue, Connector, ConnectorDescriptor, ConnectorError,
    ConnectorKind, EndpointKey, Importance, Schema, SchemaType, SharedValue, Signal, SnapshotKind, SnapshotRequest,
    SourceRecord, SourceTask, Value, Width,
};

/// The connector classes a component exports.
pub trait Registry {
    /// Every exported class.
    fn connectors() -> &'static [&'static dyn Connector];
}

/// Implements the generated `Guest` trait for a [`Registry`] type.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_guest_impl {
    ($plugin:ident) => {
        impl $crate::bindings::exports::weir::connector::source::Guest for $plugin {
            type SourceTask = $crate::export::TaskCell;

            fn describe() -> Vec<$crate::bindings::weir::connector::types::ConnectorDescriptor> {
                $crate::export::describe::<$plugin>()
            }

            fn validate(
                class_name: String,
                config: Vec<(String, String)>,
            ) -> Vec<$crate::bindings::weir::connector::types::ConfigValue> {
                $crate::export::validate::<$plugin>(&class_name, config)
            }

            fn task_configs(
                class_name: String,
                config: Vec<(String, String)>,
                max_tasks: u32,
            ) -> Result<Vec<Vec<(String, String)>>, $crate::bindings::weir::connector::types::ConnectorError> {
                $crate::export::task_configs::<$plugin>(&class_name, config, max_tasks)
            }

            fn open_task(
                class_name: String,
                task_id: u32,
                config: Vec<(String, String)>,
                output: $crate::bindings::weir::connector::types::OutputFormat,
            ) -> Result<
                $crate::bindings::exports::weir::connector::source::SourceTask,
                $crate::bindings::weir::connector::types::ConnectorError,
            > {
                $crate::export::open_task::<$plugin>(&class_name, task_id, config, output)
            }
        }
    };
}

fn find<R: Registry>(class_name: &str) -> Result<&'static dyn Connector, ConnectorError> {
    R::connectors().iter().copied().find(|c| c.descriptor().class_name == class_name).ok_or_else(|| {
        ConnectorError::fatal(format!("this component does not export the connector class {class_name}"))
    })
}

/// `describe` for a registry.
pub fn describe<R: Registry>() -> Vec<wit::ConnectorDescriptor> {
    R::connectors().iter().map(|c| descriptor_to_wit(c.descriptor())).collect()
}

/// `validate` for a registry.
pub fn validate<R: Registry>(class_name: &str, config: Vec<(String, String)>) -> Vec<wit::ConfigValue> {
    let config: Config = config.into_iter().collect();
    match find::<R>(class_name) {
        Ok(connector) => connector.validate(&config).into_iter().map(config_value_to_wit).collect(),
        Err(err) => vec![wit::ConfigValue {
            name: "connector.class".into(),
            value: Some(class_name.into()),
            recommended_values: Vec::new(),
            errors: vec![err.to_string()],
            visible: true,
        }],
    }
}

/// `task-configs` for a registry.
pub fn task_configs<R: Registry>(
    class_name: &str,
    config: Vec<(String, String)>,
    max_tasks: u32,
) -> Result<Vec<Vec<(String, String)>>, wit::ConnectorError> {
    let config: Config = config.into_iter().collect();
    let connector = find::<R>(class_name).map_err(error_to_wit)?;
    let configs = connector.task_configs(&config, max_tasks).map_err(error_to_wit)?;
    Ok(configs.into_iter().map(Into::into).collect())
}

/// `open-task` for a registry.
pub fn open_task<R: Registry>(
    class_name: &str,
    task_id: u32,
    config: Vec<(String, String)>,
    output: wit::OutputFormat,
) -> Result<exp::SourceTask, wit::ConnectorError> {
    let config: Config = config.into_iter().collect();
    let connector = find::<R>(class_name).map_err(error_to_wit)?;
    let task = connector.open_task(task_id, config).map_err(error_to_wit)?;
    let encoding = |e: wit::Encoding| match e {
        wit::Encoding::Typed => None,
        wit::Encoding::Json(j) => {
            Some(JsonConverter { schemas_enable: j.schemas_enable, numeric_decimals: j.numeric_decimals })
        }
    };
    Ok(exp::SourceTask::new(TaskCell(RefCell::new(TaskState {
        task,
        sent: HashMap::default(),
        prepared: HashMap::default(),
        next_id: 0,
        key_encoding: encoding(output.key),
        value_encoding: encoding(output.value),
    }))))
}

/// Hashes a schema's address with one multiplication: the maps below are
/// looked up for every key and value, and SipHash's resistance to chosen
/// keys buys nothing for addresses.
#[derive(Default, Clone, Copy)]
struct ByAddress;

impl std::hash::BuildHasher for ByAddress {
    type Hasher = AddressHasher;
    fn build_hasher(&self) -> AddressHasher {
        AddressHasher(0)
    }
}

struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        // hashbrown indexes buckets by the low bits; bring the product's
        // well-mixed high bits down (aligned addresses leave its low bits zero).
        self.0.rotate_left(24)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing: the product's high bits depend on every bit of n.
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A running task and the schemas already sent to the worker.
pub struct TaskCell(RefCell<TaskState>);

struct TaskState {
    task: Box<dyn SourceTask>,
    /// Schemas sent, by the address of their `Arc`; the `Arc` is kept so
    /// the address is never reused by another schema.
    sent: HashMap<usize, (u32, Arc<Schema>), ByAddress>,
    /// Schemas prepared for writing JSON here, by the address of their `Arc` (kept, as above).
    prepared: HashMap<usize, (Arc<Schema>, JsonSchema), ByAddress>,
    next_id: u32,
    /// How the worker asked for keys: `None` typed, or written here as JsonConverter would.
    key_encoding: Option<JsonConverter>,
    /// The same for values.
    value_encoding: Option<JsonConverter>,
}

impl TaskState {
    fn schema_id(&mut self, schema: &Arc<Schema>, new: &mut Vec<wit::SchemaDef>) -> u32 {
        let addr = Arc::as_ptr(schema) as usize;
        if let Some((id, _)) = self.sent.get(&addr) {
            return *id;
        }
        let id = self.next_id;
        self.next_id += 1;
        let mut nodes = Vec::new();
        flatten_schema(schema, &mut nodes);
        new.push(wit::SchemaDef { id, nodes });
        self.sent.insert(addr, (id, Arc::clone(schema)));
        id
    }

    fn data(&mut self, part: (Option<Arc<Schema>>, Value), new: &mut Vec<wit::SchemaDef>) -> wit::Data {
        let schema = part.0.as_ref().map(|s| self.schema_id(s, new));
        let mut nodes = Vec::with_capacity(8);
        flatten_value(part.1, &mut nodes);
        wit::Data { schema, nodes }
    }

    /// A key or value as the worker asked for it. Written here (into the
    /// batch's bytes), a null result (no schema and a null value) is a null
    /// part, as the converter's would be; a value that does not fit its
    /// schema goes typed, so the worker's converter reports it under
    /// `errors.tolerance`.
    fn payload(
        &mut self,
        part: (Option<Arc<Schema>>, Value),
        encoding: Option<JsonConverter>,
        batch: &mut Batch,
    ) -> Result<Option<wit::Payload>, TooLarge> {
        if let Some(converter) = encoding {
            let schema = part.0.as_ref().map(|s| {
                let entry = self
                    .prepared
                    .entry(Arc::as_ptr(s) as usize)
                    .or_insert_with(|| (Arc::clone(s), JsonSchema::new(&**s)));
                &entry.1
            });
            let start = batch.packer.bytes.len();
            match converter.convert_into(&mut batch.packer.bytes, schema, &part.1) {
                Ok(true) => return Ok(Some(wit::Payload::Encoded(batch.packer.span_from(start)?))),
                Ok(false) => return Ok(None),
                Err(_) => {}
            }
        }
        Ok(Some(wit::Payload::Typed(self.data(part, &mut batch.schemas))))
    }

    fn record(&mut self, record: SourceRecord, batch: &mut Batch) -> Result<wit::SourceRecord, TooLarge> {
        let key = match record.key {
            Some(k) => self.payload(k, self.key_encoding, batch)?,
            None => None,
        };
        let value = match record.value {
            Some(v) => self.payload(v, self.value_encoding, batch)?,
            None => None,
        };
        let headers = record
            .headers
            .into_iter()
            .map(|h| wit::Header { key: h.key, value: h.value.map(|v| self.data(v, &mut batch.schemas)) })
            .collect();
        Ok(wit::SourceRecord {
            topic: batch.packer.name(NameSlot::Topic, record.topic),
            kafka_partition: record.kafka_partition,
            key,
            value,
            timestamp: record.timestamp,
            headers,
            source_partition: batch.packer.name(NameSlot::Partition, record.source_partition),
            source_offset: batch.packer.offset(&record.source_offset)?,
        })
    }
}

/// What a poll's records add to its batch besides themselves.
#[derive(Default)]
struct Batch {
    /// Schemas first used in this batch.
    schemas: Vec<wit::SchemaDef>,
    packer: Packer,
}

impl exp::GuestSourceTask for TaskCell {
    fn poll(&self, timeout_ms: u32) -> Result<wit::RecordBatch, wit::ConnectorError> {
        let mut state = self.0.borrow_mut();
        let deadline = Instant::now() + Duration::from_millis(u64::from(timeout_ms));
        let records = state.task.poll(deadline).map_err(error_to_wit)?;
        let mut batch = Batch::default();
        let records = records
            .into_iter()
            .map(|r| state.record(r, &mut batch))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|TooLarge| wit::ConnectorError::Fatal("a poll returned more than 4 GiB of records".into()))?;
        let (names, bytes) = batch.packer.finish();
        Ok(wit::RecordBatch { schemas: batch.schemas, names, bytes, records })
    }

    fn commit(&self, offsets: Vec<wit::CommittedOffset>) -> Result<(), wit::ConnectorError> {
        let offsets: Vec<CommittedOffset> = offsets
            .into_iter()
            .map(|o| CommittedOffset { source_partition: o.source_partition, source_offset: o.source_offset })
            .collect();
        self.0.borrow_mut().task.commit(&offsets).map_err(error_to_wit)
    }

    fn signal(&self, signal: wit::Signal) -> Result<(), wit::ConnectorError> {
        let signal = match signal {
            wit::Signal::ExecuteSnapshot(r) => Signal::ExecuteSnapshot(SnapshotRequest {
                kind: match r.kind {
                    wit::SnapshotKind::Incremental => SnapshotKind::Incremental,
                    wit::SnapshotKind::Blocking => SnapshotKind::Blocking,
                },
                data_collections: r.data_collections,
                additional_conditions: r.additional_conditions,
            }),
            wit::Signal::StopSnapshot(c) => Signal::StopSnapshot(c),
            wit::Signal::Custom((kind, data)) => Signal::Custom(kind, data),
        };
        self.0.borrow_mut().task.signal(signal).map_err(error_to_wit)
    }

    fn close(&self) {
        self.0.borrow_mut().task.close();
    }
}

fn flatten_schema(schema: &Schema, nodes: &mut Vec<wit::SchemaNode>) -> u32 {
    let index = nodes.len();
    nodes.push(wit::SchemaNode {
        type_: wit::SchemaType::Int8,
        optional: false,
        name: None,
        version: None,
        doc: None,
        parameters: Vec::new(),
        default_json: None,
        fields: Vec::new(),
        value_node: None,
        key_node: None,
    });
    let fields = schema.fields.iter().map(|(name, s)| (name.clone(), flatten_schema(s, nodes))).collect();
    let value_node = schema.value_schema.as_ref().map(|s| flatten_schema(s, nodes));
    let key_node = schema.key_schema.as_ref().map(|s| flatten_schema(s, nodes));
    nodes[index] = wit::SchemaNode {
        type_: match schema.ty {
            SchemaType::Int8 => wit::SchemaType::Int8,
            SchemaType::Int16 => wit::SchemaType::Int16,
            SchemaType::Int32 => wit::SchemaType::Int32,
            SchemaType::Int64 => wit::SchemaType::Int64,
            SchemaType::Float32 => wit::SchemaType::Float32,
            SchemaType::Float64 => wit::SchemaType::Float64,
            SchemaType::Boolean => wit::SchemaType::Boolean,
            SchemaType::String => wit::SchemaType::String,
            SchemaType::Bytes => wit::SchemaType::Bytes,
            SchemaType::Array => wit::SchemaType::Array,
            SchemaType::Map => wit::SchemaType::Map,
            SchemaType::Struct => wit::SchemaType::Struct,
        },
        optional: schema.optional,
        name: schema.name.clone(),
        version: schema.version,
        doc: schema.doc.clone(),
        parameters: schema.parameters.clone(),
        default_json: schema.default_json.clone(),
        fields,
        value_node,
        key_node,
    };
    index as u32
}

/// Flattens a value into pre-order nodes, moving its strings and bytes.
fn flatten_value(value: Value, nodes: &mut Vec<wit::ValueNode>) {
    match value {
        Value::Null => nodes.push(wit::ValueNode::Null),
        Value::Boolean(v) => nodes.push(wit::ValueNode::Boolean(v)),
        Value::Int8(v) => nodes.push(wit::ValueNode::Int8(v)),
        Value::Int16(v) => nodes.push(wit::ValueNode::Int16(v)),
        Value::Int32(v) => nodes.push(wit::ValueNode::Int32(v)),
        Value::Int64(v) => nodes.push(wit::ValueNode::Int64(v)),
        Value::Float32(v) => nodes.push(wit::ValueNode::Float32(v)),
        Value::Float64(v) => nodes.push(wit::ValueNode::Float64(v)),
        Value::String(v) => nodes.push(wit::ValueNode::String(v)),
        Value::Bytes(v) => nodes.push(wit::ValueNode::Bytes(v)),
        Value::Struct(fields) => {
            nodes.push(wit::ValueNode::Struct(fields.len() as u32));
            fields.into_iter().for_each(|f| flatten_value(f, nodes));
        }
        Value::Array(items) => {
            nodes.push(wit::ValueNode::Array(items.len() as u32));
            items.into_iter().for_each(|i| flatten_value(i, nodes));
        }
        Value::Map(entries) => {
            nodes.push(wit::ValueNode::Map(entries.len() as u32));
            for (k, v) in entries {
                flatten_value(k, nodes);
                flatten_value(v, nodes);
            }
        }
        // The worker's copy is its own; other records keep sharing this one.
        Value::Shared(inner) => {
            let value = Arc::try_unwrap(inner).map_or_else(|shared| shared.value().clone(), SharedValue::into_value);
            flatten_value(value, nodes)
        }
    }
}

fn error_to_wit(err: ConnectorError) -> wit::ConnectorError {
    match err {
        ConnectorError::Retriable(m) => wit::ConnectorError::Retriable(m),
        ConnectorError::Fatal(m) => wit::ConnectorError::Fatal(m),
        ConnectorError::Config(errors) => wit::ConnectorError::Config(errors),
    }
}

fn config_value_to_wit(v: ConfigValue) -> wit::ConfigValue {
    wit::ConfigValue {
        name: v.name,
        value: v.value,
        recommended_values: v.recommended_values,
        errors: v.errors,
        visible: v.visible,
    }
}

fn descriptor_to_wit(d: ConnectorDescriptor) -> wit::ConnectorDescriptor {
    wit::ConnectorDescriptor {
        class_name: d.class_name,
        aliases: d.aliases,
        version: d.version,
        kind: match d.kind {
            ConnectorKind::Source => wit::ConnectorKind::Source,
            ConnectorKind::Sink => wit::ConnectorKind::Sink,
        },
        config_keys: d.config_keys.into_iter().map(config_key_to_wit).collect(),
        endpoints: d
            .endpoints
            .into_iter()
            .map(|e| match e {
                EndpointKey::HostPort { host_key, port_key, default_port } => {
                    wit::EndpointKey::HostPort(wit::HostPortKeys { host_key, port_key, default_port })
                }
                EndpointKey::Uri(key) => wit::EndpointKey::Uri(key),
            })
            .collect(),
    }
}

fn config_key_to_wit(k: ConfigKey) -> wit::ConfigKey {
    wit::ConfigKey {
        name: k.name,
        type_: match k.ty {
            ConfigType::Boolean => wit::ConfigType::Boolean,
            ConfigType::String => wit::ConfigType::String,
            ConfigType::Int => wit::ConfigType::Int,
            ConfigType::Short => wit::ConfigType::Short,
            ConfigType::Long => wit::ConfigType::Long,
            ConfigType::Double => wit::ConfigType::Double,
            ConfigType::List => wit::ConfigType::List,
            ConfigType::Class => wit::ConfigType::Class,
            ConfigType::Password => wit::ConfigType::Password,
        },
        default_value: k.default_value,
        importance: match k.importance {
            Importance::High => wit::Importance::High,
            Importance::Medium => wit::Importance::Medium,
            Importance::Low => wit::Importance::Low,
        },
        documentation: k.documentation,
        group: k.group,
        order_in_group: k.order_in_group,
        width: match k.width {
            Width::None => wit::Width::None,
            Width::Short => wit::Width::Short,
            Width::Medium => wit::Width::Medium,
            Width::Long => wit::Width::Long,
        },
        display_name: k.display_name,
        dependents: k.dependents,
        recommended_values: k.recommended_values,
    }
}
