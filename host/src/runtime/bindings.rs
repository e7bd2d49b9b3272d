//! Generated bindings for each supported contract version, and their
//! conversion into the host's own types. Generated types do not leave
//! `runtime`.

pub mod since_v0_1_0 {
    //! `weir:connector@0.1.0`.
    wasmtime::component::bindgen!({
        path: "../wit/connector@0.1.0",
        world: "plugin",
        imports: { default: trappable },
        with: {
            "weir:connector/network.connection": crate::runtime::net::Connection,
        },
    });
}

use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use since_v0_1_0::weir::connector::types as wit;

use crate::plugin::{
    ConfigKeyDef, ConfigType, ConfigValueInfo, ConnectorDescriptor, ConnectorError, ConnectorKind, EndpointKey,
};
use crate::record::{Data, OutputFormat, Part, PolledRecord, Schema, SchemaType, SharedText, Value};

/// Contract versions this host loads, newest last.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.1.0"];

/// A guest sent data that does not decode: always the guest's fault.
#[derive(Debug, thiserror::Error)]
#[error("plugin sent malformed data: {0}")]
pub struct MalformedData(pub String);

pub fn descriptor(d: wit::ConnectorDescriptor) -> ConnectorDescriptor {
    ConnectorDescriptor {
        class_name: d.class_name,
        aliases: d.aliases,
        version: d.version,
        kind: match d.kind {
            wit::ConnectorKind::Source => ConnectorKind::Source,
            wit::ConnectorKind::Sink => ConnectorKind::Sink,
        },
        config_keys: d.config_keys.into_iter().map(config_key).collect(),
        endpoints: d
            .endpoints
            .into_iter()
            .map(|e| match e {
                wit::EndpointKey::HostPort(k) => {
                    EndpointKey::HostPort { host_key: k.host_key, port_key: k.port_key, default_port: k.default_port }
                }
                wit::EndpointKey::Uri(k) => EndpointKey::Uri(k),
            })
            .collect(),
    }
}

fn config_key(k: wit::ConfigKey) -> ConfigKeyDef {
    ConfigKeyDef {
        name: k.name,
        ty: match k.type_ {
            wit::ConfigType::Boolean => ConfigType::Boolean,
            wit::ConfigType::String => ConfigType::String,
            wit::ConfigType::Int => ConfigType::Int,
            wit::ConfigType::Short => ConfigType::Short,
            wit::ConfigType::Long => ConfigType::Long,
            wit::ConfigType::Double => ConfigType::Double,
            wit::ConfigType::List => ConfigType::List,
            wit::ConfigType::Class => ConfigType::Class,
            wit::ConfigType::Password => ConfigType::Password,
        },
        default_value: k.default_value,
        importance: match k.importance {
            wit::Importance::High => "HIGH",
            wit::Importance::Medium => "MEDIUM",
            wit::Importance::Low => "LOW",
        },
        documentation: k.documentation,
        group: k.group,
        order_in_group: k.order_in_group,
        width: match k.width {
            wit::Width::None => "NONE",
            wit::Width::Short => "SHORT",
            wit::Width::Medium => "MEDIUM",
            wit::Width::Long => "LONG",
        },
        display_name: k.display_name,
        dependents: k.dependents,
        recommended_values: k.recommended_values,
    }
}

pub fn config_value(v: wit::ConfigValue) -> ConfigValueInfo {
    ConfigValueInfo {
        name: v.name,
        value: v.value,
        recommended_values: v.recommended_values,
        errors: v.errors,
        visible: v.visible,
    }
}

pub fn connector_error(e: wit::ConnectorError) -> ConnectorError {
    match e {
        wit::ConnectorError::Retriable(m) => ConnectorError::Retriable(m),
        wit::ConnectorError::Fatal(m) => ConnectorError::Fatal(m),
        wit::ConnectorError::Config(errors) => ConnectorError::Config(errors),
    }
}

/// Schemas a task has introduced, by id. Batches hold it shared (see
/// [`PolledBatch`]); a batch that introduces schemas copies it only while
/// an earlier batch still holds it.
#[derive(Default, Clone)]
pub struct SchemaTable {
    schemas: std::collections::HashMap<u32, Arc<Schema>>,
}

impl SchemaTable {
    /// Registers the schemas a batch introduces.
    pub fn register(&mut self, defs: Vec<wit::SchemaDef>) -> Result<(), MalformedData> {
        for def in defs {
            if def.nodes.is_empty() {
                return Err(MalformedData(format!("schema {} has no nodes", def.id)));
            }
            let mut built: Vec<Option<Arc<Schema>>> = vec![None; def.nodes.len()];
            let root = build_schema(&def.nodes, 0, &mut built, 0)?;
            self.schemas.insert(def.id, root);
        }
        Ok(())
    }

    fn get(&self, id: u32) -> Result<Arc<Schema>, MalformedData> {
        self.schemas.get(&id).cloned().ok_or_else(|| MalformedData(format!("record refers to unknown schema id {id}")))
    }

    /// Converts a batch's records; `output` is what `open-task` asked for,
    /// and a part encoded where it asked for typed data is refused. The
    /// records share the batch: a record's encoded key, value and offset are
    /// slices of `bytes`, its topic and partition `names` entries, so no
    /// record costs an allocation of its own.
    pub fn records(&self, batch: wit::RecordBatch, output: OutputFormat) -> Result<Vec<PolledRecord>, MalformedData> {
        let names: Vec<Arc<str>> = batch.names.into_iter().map(Arc::from).collect();
        let mut packed = Packed { names, bytes: Bytes::from(batch.bytes), last_offset: None };
        batch.records.into_iter().map(|r| self.record(r, &mut packed, output)).collect()
    }

    fn record(
        &self,
        r: wit::SourceRecord,
        packed: &mut Packed,
        output: OutputFormat,
    ) -> Result<PolledRecord, MalformedData> {
        let headers = r
            .headers
            .into_iter()
            .map(|h| Ok((h.key, h.value.map(|v| self.data(v)).transpose()?)))
            .collect::<Result<_, MalformedData>>()?;
        let source_offset = packed.offset(r.source_offset)?;
        Ok(PolledRecord {
            topic: packed.name(r.topic, "topic")?,
            kafka_partition: r.kafka_partition,
            key: r.key.map(|k| self.part(k, packed, output.key.is_some(), "key")).transpose()?,
            value: r.value.map(|v| self.part(v, packed, output.value.is_some(), "value")).transpose()?,
            timestamp: r.timestamp,
            headers,
            source_partition: packed.name(r.source_partition, "source partition")?,
            source_offset,
        })
    }

    fn part(&self, p: wit::Payload, packed: &Packed, encoded_asked: bool, what: &str) -> Result<Part, MalformedData> {
        match p {
            wit::Payload::Typed(d) => Ok(Part::Typed(self.data(d)?)),
            wit::Payload::Encoded(span) if encoded_asked => Ok(Part::Encoded(packed.slice(span, what)?)),
            wit::Payload::Encoded(_) => {
                Err(MalformedData(format!("a record's {what} came encoded, but the host asked for typed data")))
            }
        }
    }

    fn data(&self, d: wit::Data) -> Result<Data, MalformedData> {
        let schema = d.schema.map(|id| self.get(id)).transpose()?;
        let mut nodes = d.nodes.into_iter();
        let value = build_value(&mut nodes, 0)?;
        if nodes.next().is_some() {
            return Err(MalformedData("value has nodes after its end".into()));
        }
        Ok(Data { schema, value })
    }
}

/// A poll's records as they crossed, not yet converted: the conversion runs
/// on the task's delivery thread, off the thread that runs the plugin.
pub struct PolledBatch {
    batch: wit::RecordBatch,
    schemas: Arc<SchemaTable>,
    output: OutputFormat,
}

impl PolledBatch {
    /// A batch whose schemas are registered in `schemas` already.
    pub fn new(batch: wit::RecordBatch, schemas: Arc<SchemaTable>, output: OutputFormat) -> Self {
        Self { batch, schemas, output }
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.batch.records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.batch.records.is_empty()
    }

    /// The records (see [`SchemaTable::records`]).
    pub fn into_records(self) -> Result<Vec<PolledRecord>, MalformedData> {
        self.schemas.records(self.batch, self.output)
    }
}

/// A batch's shared parts, which its records point into.
struct Packed {
    names: Vec<Arc<str>>,
    bytes: Bytes,
    /// The last source offset read: the SDK writes an offset repeated by
    /// consecutive records once, and it is then checked once.
    last_offset: Option<((u32, u32), SharedText)>,
}

impl Packed {
    fn offset(&mut self, span: wit::Span) -> Result<SharedText, MalformedData> {
        if let Some((last, text)) = &self.last_offset
            && *last == (span.start, span.len)
        {
            return Ok(text.clone());
        }
        let text = SharedText::new(self.slice(span, "source offset")?)
            .map_err(|e| MalformedData(format!("a record's source offset is not UTF-8: {e}")))?;
        self.last_offset = Some(((span.start, span.len), text.clone()));
        Ok(text)
    }

    fn name(&self, index: u32, what: &str) -> Result<Arc<str>, MalformedData> {
        self.names.get(index as usize).cloned().ok_or_else(|| {
            MalformedData(format!("a record's {what} is name {index}, past the batch's {}", self.names.len()))
        })
    }

    fn slice(&self, span: wit::Span, what: &str) -> Result<Bytes, MalformedData> {
        let (start, end) = (span.start as usize, span.start as usize + span.len as usize);
        if end > self.bytes.len() {
            return Err(MalformedData(format!(
                "a record's {what} spans bytes {start}..{end}, past the batch's {}",
                self.bytes.len()
            )));
        }
        Ok(self.bytes.slice(start..end))
    }
}

/// Nesting deeper than this is refused rather than risking the host's stack.
const MAX_DEPTH: usize = 128;

fn build_schema(
    nodes: &[wit::SchemaNode],
    index: u32,
    built: &mut Vec<Option<Arc<Schema>>>,
    depth: usize,
) -> Result<Arc<Schema>, MalformedData> {
    if depth > MAX_DEPTH {
        return Err(MalformedData("schema nests too deeply (or refers to itself)".into()));
    }
    let i = index as usize;
    if let Some(Some(done)) = built.get(i) {
        return Ok(done.clone());
    }
    let node = nodes.get(i).ok_or_else(|| MalformedData(format!("schema node {index} does not exist")))?;
    let mut child = |idx: u32| build_schema(nodes, idx, built, depth + 1);
    let fields = node
        .fields
        .iter()
        .map(|(name, idx)| Ok((name.clone(), child(*idx)?)))
        .collect::<Result<Vec<_>, MalformedData>>()?;
    let value_schema = node.value_node.map(&mut child).transpose()?;
    let key_schema = node.key_node.map(&mut child).transpose()?;
    let default = match &node.default_json {
        Some(text) => {
            Some(serde_json::from_str(text).map_err(|e| MalformedData(format!("schema default is not JSON: {e}")))?)
        }
        None => None,
    };
    let schema = Arc::new(Schema {
        ty: match node.type_ {
            wit::SchemaType::Int8 => SchemaType::Int8,
            wit::SchemaType::Int16 => SchemaType::Int16,
            wit::SchemaType::Int32 => SchemaType::Int32,
            wit::SchemaType::Int64 => SchemaType::Int64,
            wit::SchemaType::Float32 => SchemaType::Float32,
            wit::SchemaType::Float64 => SchemaType::Float64,
            wit::SchemaType::Boolean => SchemaType::Boolean,
            wit::SchemaType::String => SchemaType::String,
            wit::SchemaType::Bytes => SchemaType::Bytes,
            wit::SchemaType::Array => SchemaType::Array,
            wit::SchemaType::Map => SchemaType::Map,
            wit::SchemaType::Struct => SchemaType::Struct,
        },
        optional: node.optional,
        name: node.name.clone(),
        version: node.version,
        doc: node.doc.clone(),
        parameters: node.parameters.clone(),
        default,
        fields,
        key_schema,
        value_schema,
        json: OnceLock::new(),
    });
    if let Some(slot) = built.get_mut(i) {
        *slot = Some(schema.clone());
    }
    Ok(schema)
}

fn build_value(nodes: &mut impl Iterator<Item = wit::ValueNode>, depth: usize) -> Result<Value, MalformedData> {
    if depth > MAX_DEPTH {
        return Err(MalformedData("value nests too deeply".into()));
    }
    let node = nodes.next().ok_or_else(|| MalformedData("value ends early".into()))?;
    let mut children = |n: u32| -> Result<Vec<Value>, MalformedData> {
        let mut out = Vec::with_capacity((n as usize).min(1024));
        for _ in 0..n {
            out.push(build_value(nodes, depth + 1)?);
        }
        Ok(out)
    };
    Ok(match node {
        wit::ValueNode::Null => Value::Null,
        wit::ValueNode::Boolean(v) => Value::Boolean(v),
        wit::ValueNode::Int8(v) => Value::Int8(v),
        wit::ValueNode::Int16(v) => Value::Int16(v),
        wit::ValueNode::Int32(v) => Value::Int32(v),
        wit::ValueNode::Int64(v) => Value::Int64(v),
        wit::ValueNode::Float32(v) => Value::Float32(v),
        wit::ValueNode::Float64(v) => Value::Float64(v),
        wit::ValueNode::String(v) => Value::String(v),
        wit::ValueNode::Bytes(v) => Value::Bytes(v),
        wit::ValueNode::Struct(n) => Value::Struct(children(n)?),
        wit::ValueNode::Array(n) => Value::Array(children(n)?),
        wit::ValueNode::Map(n) => {
            let flat = children(n.checked_mul(2).ok_or_else(|| MalformedData("map too large".into()))?)?;
            let mut entries = Vec::with_capacity(flat.len() / 2);
            let mut it = flat.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                entries.push((k, v));
            }
            Value::Map(entries)
        }
    })
}

/// The output format as the contract spells it.
pub fn output_format(output: OutputFormat) -> wit::OutputFormat {
    let encoding = |e: Option<weir_json::connect::JsonConverter>| match e {
        None => wit::Encoding::Typed,
        Some(c) => wit::Encoding::Json(wit::JsonEncoding {
            schemas_enable: c.schemas_enable,
            numeric_decimals: c.numeric_decimals,
        }),
    };
    wit::OutputFormat { key: encoding(output.key), value: encoding(output.value) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_json::connect::JsonConverter;

    fn record(topic: u32, value: wit::Span, offset: wit::Span) -> wit::SourceRecord {
        wit::SourceRecord {
            topic,
            kafka_partition: None,
            key: None,
            value: Some(wit::Payload::Encoded(value)),
            timestamp: None,
            headers: Vec::new(),
            source_partition: 1,
            source_offset: offset,
        }
    }

    fn batch(bytes: &[u8], records: Vec<wit::SourceRecord>) -> wit::RecordBatch {
        wit::RecordBatch {
            schemas: Vec::new(),
            names: vec!["orders".into(), "{\"server\":\"a\"}".into()],
            bytes: bytes.to_vec(),
            records,
        }
    }

    const SPAN: fn(u32, u32) -> wit::Span = |start, len| wit::Span { start, len };
    const JSON: OutputFormat =
        OutputFormat { key: None, value: Some(JsonConverter { schemas_enable: false, numeric_decimals: false }) };

    #[test]
    fn records_point_into_the_batch_they_came_in() {
        let bytes = br#"{"n":1}{"i":1}{"n":2}{"i":2}"#;
        let polled = SchemaTable::default()
            .records(
                batch(
                    bytes,
                    vec![
                        record(0, SPAN(0, 7), SPAN(7, 7)),
                        record(0, SPAN(14, 7), SPAN(21, 7)),
                        // The SDK writes a repeated offset once; both records read it.
                        record(0, SPAN(14, 7), SPAN(21, 7)),
                    ],
                ),
                JSON,
            )
            .unwrap();
        let value = |i: usize| match &polled[i].value {
            Some(Part::Encoded(b)) => b.clone(),
            other => panic!("expected encoded, got {other:?}"),
        };
        assert_eq!((&value(0)[..], &value(1)[..]), (&br#"{"n":1}"#[..], &br#"{"n":2}"#[..]));
        assert_eq!(polled[1].source_offset.to_string(), r#"{"i":2}"#);
        assert_eq!(polled[2].source_offset, polled[1].source_offset);
        assert_eq!(&*polled[0].topic, "orders");
        assert!(Arc::ptr_eq(&polled[0].source_partition, &polled[1].source_partition), "one name, shared");
    }

    #[test]
    fn spans_and_names_outside_the_batch_and_offsets_not_utf8_are_malformed() {
        let table = SchemaTable::default();
        let bytes = b"{}\xff";
        let error = |records| table.records(batch(bytes, records), JSON).unwrap_err().0;
        assert!(error(vec![record(0, SPAN(0, 2), SPAN(2, 9))]).contains("source offset spans bytes 2..11"));
        assert!(error(vec![record(0, SPAN(u32::MAX, u32::MAX), SPAN(0, 2))]).contains("value spans"));
        assert!(error(vec![record(7, SPAN(0, 2), SPAN(0, 2))]).contains("topic is name 7"));
        assert!(error(vec![record(0, SPAN(0, 2), SPAN(2, 1))]).contains("not UTF-8"));
        let typed_only = OutputFormat::default();
        let e = table.records(batch(bytes, vec![record(0, SPAN(0, 2), SPAN(0, 2))]), typed_only).unwrap_err().0;
        assert!(e.contains("host asked for typed data"), "{e}");
    }
}
