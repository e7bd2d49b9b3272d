//! Building derived schemas the way Kafka's `SchemaBuilder`/`SchemaUtil`
//! do, and caching them: the JsonConverter renders each `Schema` once
//! (`Schema::json`), so a transform must hand out the same output `Arc`
//! for every record of a table instead of building a new schema per record.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

use super::error::RecordError;
use crate::record::{Schema, SchemaType};

/// Kafka's logical timestamp: milliseconds since the epoch in an int64.
pub(crate) const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
/// Kafka's logical date: days since the epoch in an int32.
pub(crate) const DATE: &str = "org.apache.kafka.connect.data.Date";
/// Kafka's logical time: milliseconds since midnight in an int32.
pub(crate) const TIME: &str = "org.apache.kafka.connect.data.Time";

/// A schema with nothing but a type.
pub(crate) fn blank(ty: SchemaType, optional: bool) -> Schema {
    Schema {
        ty,
        optional,
        name: None,
        version: None,
        doc: None,
        parameters: Vec::new(),
        default: None,
        fields: Vec::new(),
        key_schema: None,
        value_schema: None,
        json: OnceLock::new(),
    }
}

/// A primitive schema.
pub(crate) fn primitive(ty: SchemaType, optional: bool) -> Arc<Schema> {
    Arc::new(blank(ty, optional))
}

/// One of Kafka's logical types (`TIMESTAMP`, `DATE`, `TIME`), version 1.
pub(crate) fn logical(name: &str, optional: bool) -> Arc<Schema> {
    let ty = if name == TIMESTAMP { SchemaType::Int64 } else { SchemaType::Int32 };
    let mut schema = blank(ty, optional);
    schema.name = Some(name.to_string());
    schema.version = Some(1);
    Arc::new(schema)
}

/// `SchemaUtil.copySchemaBasics(source, SchemaBuilder.struct())`: a required
/// struct with the source's name, version, doc and parameters, no fields.
/// (Kafka drops the optional flag here; transforms that keep it say so.)
pub(crate) fn struct_like(source: &Schema) -> Schema {
    let mut schema = blank(SchemaType::Struct, false);
    schema.name.clone_from(&source.name);
    schema.version = source.version;
    schema.doc.clone_from(&source.doc);
    schema.parameters.clone_from(&source.parameters);
    schema
}

/// `SchemaUtil.copySchemaBasics(source).optional()`: the source's type and
/// metadata, optional, without its default. Children are kept so a copied
/// struct, array or map still describes its values.
pub(crate) fn optional_copy(source: &Schema) -> Arc<Schema> {
    let mut schema = copy(source);
    schema.optional = true;
    schema.default = None;
    Arc::new(schema)
}

/// Everything but the rendered JSON, which belongs to the original.
pub(crate) fn copy(source: &Schema) -> Schema {
    Schema {
        ty: source.ty,
        optional: source.optional,
        name: source.name.clone(),
        version: source.version,
        doc: source.doc.clone(),
        parameters: source.parameters.clone(),
        default: source.default.clone(),
        fields: source.fields.clone(),
        key_schema: source.key_schema.clone(),
        value_schema: source.value_schema.clone(),
        json: OnceLock::new(),
    }
}

/// Appends a field, refusing a second field of the same name as Kafka's
/// `SchemaBuilder.field` does.
pub(crate) fn add_field(schema: &mut Schema, name: &str, field: Arc<Schema>) -> Result<(), RecordError> {
    if schema.fields.iter().any(|(n, _)| n == name) {
        return Err(RecordError::DuplicateField(name.to_string()));
    }
    schema.fields.push((name.to_string(), field));
    Ok(())
}

/// The position of a struct field.
pub(crate) fn field_index(schema: &Schema, name: &str) -> Option<usize> {
    schema.fields.iter().position(|(n, _)| n == name)
}

/// How many derived schemas a transform keeps. Kafka keeps 16; a connector
/// capturing hundreds of tables would then rebuild (and re-render) schemas
/// all the time, so this is larger. Entries are small next to the schemas
/// they keep alive.
const CACHE_CAPACITY: usize = 1024;

/// Derived values keyed on an input schema's identity (its `Arc` pointer)
/// plus whatever else the derivation depends on. Each entry holds its input
/// `Arc`, so the pointer cannot be freed and reused by another schema while
/// the entry exists. The oldest entry goes first when the cache is full.
pub(crate) struct SchemaCache<K, V> {
    entries: HashMap<(usize, K), (Arc<Schema>, V)>,
    order: VecDeque<(usize, K)>,
}

impl<K: Hash + Eq + Clone, V: Clone> SchemaCache<K, V> {
    /// An empty cache.
    pub fn new() -> Self {
        Self { entries: HashMap::new(), order: VecDeque::new() }
    }

    /// The cached value for `(schema, extra)`, built by `build` on first use.
    pub fn get_or_build<E>(
        &mut self,
        schema: &Arc<Schema>,
        extra: K,
        build: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let key = (Arc::as_ptr(schema) as usize, extra);
        if let Some((_, value)) = self.entries.get(&key) {
            return Ok(value.clone());
        }
        let value = build()?;
        if self.order.len() >= CACHE_CAPACITY
            && let Some(oldest) = self.order.pop_front()
        {
            self.entries.remove(&oldest);
        }
        self.order.push_back(key.clone());
        self.entries.insert(key, (schema.clone(), value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_is_keyed_on_identity_and_keeps_inputs_alive() {
        let mut cache: SchemaCache<(), Arc<Schema>> = SchemaCache::new();
        let a = primitive(SchemaType::Int32, false);
        let twin = primitive(SchemaType::Int32, false);
        let first = cache.get_or_build::<()>(&a, (), || Ok(primitive(SchemaType::String, true))).unwrap();
        let again = cache.get_or_build::<()>(&a, (), || Ok(primitive(SchemaType::String, true))).unwrap();
        let other = cache.get_or_build::<()>(&twin, (), || Ok(primitive(SchemaType::String, true))).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(Arc::strong_count(&a), 2);
    }
}
