//! The configuration keys Kafka Connect's framework defines for every
//! connector (`ConnectorConfig`, `SourceConnectorConfig`,
//! `SinkConnectorConfig`), and validation of a whole connector config as
//! `PUT /connector-plugins/{p}/config/validate` reports it: framework keys
//! checked by the host, the connector's own keys by the plugin.

use std::collections::BTreeMap;

use crate::convert::Converter;
use crate::plugin::{ConfigKeyDef, ConfigType, ConfigValueInfo, ConnectorKind};

/// One validated key: its definition (none for keys only the connector
/// reported) and its value.
#[derive(Debug, Clone)]
pub struct ConfigInfo {
    /// The definition.
    pub definition: Option<ConfigKeyDef>,
    /// The value and its errors.
    pub value: ConfigValueInfo,
}

/// The result of validating a connector config (Kafka Connect's `ConfigInfos`).
#[derive(Debug, Clone)]
pub struct ConfigInfos {
    /// `connector.class` exactly as supplied.
    pub name: String,
    /// Number of error messages.
    pub error_count: usize,
    /// Groups in first-seen order.
    pub groups: Vec<String>,
    /// Every key: framework keys, then the connector's.
    pub configs: Vec<ConfigInfo>,
}

impl ConfigInfos {
    /// Every error message, in order.
    pub fn errors(&self) -> Vec<String> {
        self.configs.iter().flat_map(|c| c.value.errors.iter().cloned()).collect()
    }
}

#[allow(clippy::too_many_arguments)]
fn key(
    name: &str,
    ty: ConfigType,
    default: Option<&str>,
    importance: &'static str,
    group: &str,
    order: i32,
    width: &'static str,
    display: &str,
    doc: &str,
    recommended: &[&str],
) -> ConfigKeyDef {
    ConfigKeyDef {
        name: name.into(),
        ty,
        default_value: default.map(str::to_string),
        importance,
        documentation: doc.into(),
        group: Some(group.into()),
        order_in_group: order,
        width,
        display_name: display.into(),
        dependents: Vec::new(),
        recommended_values: recommended.iter().map(|s| s.to_string()).collect(),
    }
}

/// Marks "no default, but not required" (Kafka Connect's `null` default):
/// such keys are optional and report `default_value: null`.
pub const NULL_DEFAULT: &str = "\u{0}null";

/// The framework keys for a connector of `kind`, in Kafka Connect's order.
pub fn definitions(kind: ConnectorKind) -> Vec<ConfigKeyDef> {
    use ConfigType::*;
    let n = Some(NULL_DEFAULT);
    let mut keys = vec![
        key(
            "name",
            String,
            None,
            "HIGH",
            "Common",
            1,
            "MEDIUM",
            "Connector name",
            "Globally unique name to use for this connector.",
            &[],
        ),
        key(
            "connector.class",
            String,
            None,
            "HIGH",
            "Common",
            2,
            "LONG",
            "Connector class",
            "Name or alias of the class for this connector.",
            &[],
        ),
        key(
            "tasks.max",
            Int,
            Some("1"),
            "HIGH",
            "Common",
            3,
            "SHORT",
            "Tasks max",
            "Maximum number of tasks to use for this connector.",
            &[],
        ),
        key(
            "tasks.max.enforce",
            Boolean,
            Some("true"),
            "LOW",
            "Common",
            4,
            "SHORT",
            "Enforce tasks max",
            "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector.",
            &[],
        ),
        key(
            "key.converter",
            Class,
            n,
            "LOW",
            "Common",
            5,
            "SHORT",
            "Key converter class",
            "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.",
            &[],
        ),
        key(
            "value.converter",
            Class,
            n,
            "LOW",
            "Common",
            6,
            "SHORT",
            "Value converter class",
            "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.",
            &[],
        ),
        key(
            "header.converter",
            Class,
            n,
            "LOW",
            "Common",
            7,
            "SHORT",
            "Header converter class",
            "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.",
            &[],
        ),
        key(
            "transforms",
            List,
            Some(""),
            "LOW",
            "Transforms",
            8,
            "LONG",
            "Transforms",
            "Aliases for the transformations to be applied to records.",
            &[],
        ),
        key(
            "predicates",
            List,
            Some(""),
            "LOW",
            "Predicates",
            9,
            "LONG",
            "Predicates",
            "Aliases for the predicates used by transformations.",
            &[],
        ),
        key(
            "config.action.reload",
            String,
            Some("restart"),
            "LOW",
            "Common",
            10,
            "MEDIUM",
            "Reload Action",
            "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties.",
            &["none", "restart"],
        ),
        key(
            "errors.retry.timeout",
            Long,
            Some("0"),
            "MEDIUM",
            "Error Handling",
            1,
            "MEDIUM",
            "Retry Timeout for Errors",
            "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.",
            &[],
        ),
        key(
            "errors.retry.delay.max.ms",
            Long,
            Some("60000"),
            "MEDIUM",
            "Error Handling",
            2,
            "MEDIUM",
            "Maximum Delay Between Retries for Errors",
            "The maximum duration in milliseconds between consecutive retry attempts.",
            &[],
        ),
        key(
            "errors.tolerance",
            String,
            Some("none"),
            "MEDIUM",
            "Error Handling",
            3,
            "SHORT",
            "Error Tolerance",
            "Behavior for tolerating errors during connector operation.",
            &["none", "all"],
        ),
        key(
            "errors.log.enable",
            Boolean,
            Some("false"),
            "MEDIUM",
            "Error Handling",
            4,
            "SHORT",
            "Log Errors",
            "If true, write each error and the details of the failed operation and problematic record to the Connect application log.",
            &[],
        ),
        key(
            "errors.log.include.messages",
            Boolean,
            Some("false"),
            "MEDIUM",
            "Error Handling",
            5,
            "SHORT",
            "Log Error Details",
            "Whether to include in the log the Connect record that resulted in a failure.",
            &[],
        ),
    ];
    match kind {
        ConnectorKind::Source => keys.extend([
            key("topic.creation.groups", List, Some(""), "LOW", "Topic Creation", 1, "LONG", "Topic Creation Groups", "Groups of configurations for topics created by source connectors.", &[]),
            key("exactly.once.support", String, Some("requested"), "MEDIUM", "Exactly Once Support", 2, "SHORT", "Exactly once support", "Permitted values are requested, required.", &["requested", "required"]),
            key("transaction.boundary", String, Some("poll"), "MEDIUM", "Exactly Once Support", 3, "SHORT", "Transaction Boundary", "Permitted values are: poll, interval, connector.", &["poll", "interval", "connector"]),
            key("transaction.boundary.interval.ms", Long, n, "LOW", "Exactly Once Support", 4, "SHORT", "Transaction boundary interval", "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks.", &[]),
            key("offsets.storage.topic", String, n, "LOW", "offsets.topic", 1, "LONG", "Offsets topic", "The name of a separate offsets topic to use for this connector.", &[]),
        ]),
        ConnectorKind::Sink => keys.extend([
            key("topics", List, Some(""), "HIGH", "Common", 4, "LONG", "Topics", "List of topics to consume, separated by commas", &[]),
            key("topics.regex", String, Some(""), "HIGH", "Common", 4, "LONG", "Topics regex", "Regular expression giving topics to consume.", &[]),
            key("errors.deadletterqueue.topic.name", String, Some(""), "MEDIUM", "Error Handling", 6, "MEDIUM", "Dead Letter Queue Topic Name", "The name of the topic to be used as the dead letter queue (DLQ).", &[]),
            key("errors.deadletterqueue.topic.replication.factor", Short, Some("3"), "MEDIUM", "Error Handling", 7, "MEDIUM", "Dead Letter Queue Topic Replication Factor", "Replication factor used to create the dead letter queue topic when it doesn't already exist.", &[]),
            key("errors.deadletterqueue.context.headers.enable", Boolean, Some("false"), "MEDIUM", "Error Handling", 8, "MEDIUM", "Enable Error Context Headers", "If true, add headers containing error context to the messages written to the dead letter queue.", &[]),
        ]),
    }
    keys
}

/// Weir's own per-connector keys: sandbox limits.
pub fn weir_definitions() -> Vec<ConfigKeyDef> {
    vec![
        key(
            "weir.sandbox.memory.max.bytes",
            ConfigType::Long,
            Some(NULL_DEFAULT),
            "LOW",
            "Weir Sandbox",
            1,
            "MEDIUM",
            "Memory limit (bytes)",
            "Linear-memory limit of each instance of this connector; defaults to the worker's weir.sandbox.memory.max.bytes.",
            &[],
        ),
        key(
            "weir.sandbox.cpu.max.ms",
            ConfigType::Long,
            Some(NULL_DEFAULT),
            "LOW",
            "Weir Sandbox",
            2,
            "MEDIUM",
            "CPU limit per call (ms)",
            "CPU time one call into this connector may use; defaults to the worker's weir.sandbox.cpu.max.ms.",
            &[],
        ),
    ]
}

/// The default as Kafka Connect renders it (`null` for none).
pub fn default_json(def: &ConfigKeyDef) -> serde_json::Value {
    match def.default_value.as_deref() {
        None | Some(NULL_DEFAULT) => serde_json::Value::Null,
        Some(_) if def.ty == ConfigType::Password => "[hidden]".into(),
        Some(v) => v.into(),
    }
}

/// Whether a key has no default at all.
pub fn required(def: &ConfigKeyDef) -> bool {
    def.default_value.is_none()
}

/// Checks one value against its definition, in Kafka Connect's words.
pub fn check(def: &ConfigKeyDef, value: Option<&str>) -> Vec<String> {
    let Some(value) = value else {
        return if required(def) {
            vec![format!("Missing required configuration \"{}\" which has no default value.", def.name)]
        } else {
            Vec::new()
        };
    };
    let invalid = |why: &str| vec![format!("Invalid value {value} for configuration {}: {why}", def.name)];
    let t = value.trim();
    let parses = match def.ty {
        ConfigType::Boolean => t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false"),
        ConfigType::Int => t.parse::<i32>().is_ok(),
        ConfigType::Short => t.parse::<i16>().is_ok(),
        ConfigType::Long => t.parse::<i64>().is_ok(),
        ConfigType::Double => t.parse::<f64>().is_ok(),
        _ => true,
    };
    if !parses {
        let what = match def.ty {
            ConfigType::Boolean => return invalid("Expected value to be either true or false"),
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            _ => "DOUBLE",
        };
        return invalid(&format!("Not a number of type {what}"));
    }
    if !def.recommended_values.is_empty()
        && def.ty == ConfigType::String
        && !def.recommended_values.iter().any(|r| r.eq_ignore_ascii_case(t))
    {
        return invalid(&format!("String must be one of: {}", def.recommended_values.join(", ")));
    }
    Vec::new()
}

/// Checks the framework keys beyond their types (ranges, converter classes, names).
fn framework_errors(name: &str, value: &str) -> Vec<String> {
    let invalid = |why: &str| vec![format!("Invalid value {value} for configuration {name}: {why}")];
    let number = value.trim().parse::<i64>();
    match name {
        "name" if value.trim().is_empty() => invalid("String may not be empty"),
        "name" if value.chars().any(char::is_control) => invalid("String may not contain control characters"),
        "tasks.max" if number.as_ref().is_ok_and(|n| *n < 1) => invalid("Value must be at least 1"),
        "errors.retry.timeout" if number.as_ref().is_ok_and(|n| *n < -1) => invalid("Value must be at least -1"),
        "errors.retry.delay.max.ms" | "transaction.boundary.interval.ms" if number.as_ref().is_ok_and(|n| *n < 0) => {
            invalid("Value must be at least 0")
        }
        "weir.sandbox.memory.max.bytes" if number.as_ref().is_ok_and(|n| *n < 1 << 20) => {
            invalid("Value must be at least 1048576")
        }
        "weir.sandbox.cpu.max.ms" if number.as_ref().is_ok_and(|n| *n < 1) => invalid("Value must be at least 1"),
        "key.converter" | "value.converter" => match Converter::from_class(value, true) {
            Ok(_) => Vec::new(),
            Err(_) => invalid(&format!("Class {value} could not be found.")),
        },
        "header.converter" => {
            let simple = value.rsplit('.').next().unwrap_or(value);
            if matches!(simple, "SimpleHeaderConverter" | "StringConverter" | "ByteArrayConverter" | "JsonConverter") {
                Vec::new()
            } else {
                invalid(&format!("Class {value} could not be found."))
            }
        }
        _ => Vec::new(),
    }
}

/// The value as `/config/validate` renders it.
fn render(def: &ConfigKeyDef, value: Option<&str>) -> Option<String> {
    match value {
        Some(_) if def.ty == ConfigType::Password => Some("[hidden]".into()),
        Some(v) => Some(v.to_string()),
        None => match def.default_value.as_deref() {
            None | Some(NULL_DEFAULT) => None,
            Some(_) if def.ty == ConfigType::Password => Some("[hidden]".into()),
            Some(d) => Some(d.to_string()),
        },
    }
}

/// Validates a whole config: framework and Weir keys here, the plugin's
/// own keys from `plugin_values` (what the plugin's `validate` returned)
/// against `plugin_keys`.
pub fn validate(
    class_as_supplied: &str,
    kind: ConnectorKind,
    config: &BTreeMap<String, String>,
    plugin_keys: &[ConfigKeyDef],
    plugin_values: Vec<ConfigValueInfo>,
) -> ConfigInfos {
    let mut configs: Vec<ConfigInfo> = Vec::new();
    let plugin_by_name: BTreeMap<&str, &ConfigKeyDef> = plugin_keys.iter().map(|k| (k.name.as_str(), k)).collect();
    let mut plugin_values: BTreeMap<String, ConfigValueInfo> =
        plugin_values.into_iter().map(|v| (v.name.clone(), v)).collect();
    let mut framework = definitions(kind);
    framework.extend(weir_definitions());
    for def in &framework {
        // A connector key with a framework key's name replaces it in place.
        if let Some(own) = plugin_by_name.get(def.name.as_str()) {
            let value = plugin_values.remove(&own.name).unwrap_or_else(|| host_value(own, config));
            configs.push(ConfigInfo { definition: Some((*own).clone()), value });
            continue;
        }
        let raw = config.get(&def.name).map(String::as_str);
        let mut value = host_value(def, config);
        if let Some(raw) = raw
            && value.errors.is_empty()
        {
            value.errors.extend(framework_errors(&def.name, raw));
        }
        configs.push(ConfigInfo { definition: Some(def.clone()), value });
    }
    // Per-alias transform and predicate keys follow the framework keys, as in Kafka Connect.
    configs.extend(crate::transforms::config_infos(config));
    for own in plugin_keys {
        if framework.iter().any(|f| f.name == own.name) {
            continue;
        }
        let mut value = plugin_values.remove(&own.name).unwrap_or_else(|| host_value(own, config));
        if own.ty == ConfigType::Password && value.value.is_some() {
            value.value = Some("[hidden]".into());
        }
        configs.push(ConfigInfo { definition: Some(own.clone()), value });
    }
    // Values the plugin reported for keys it does not define come first, without a definition.
    let orphans: Vec<ConfigInfo> =
        plugin_values.into_values().map(|value| ConfigInfo { definition: None, value }).collect();
    let configs: Vec<ConfigInfo> = orphans.into_iter().chain(configs).collect();
    let mut groups: Vec<String> = Vec::new();
    for c in &configs {
        if let Some(g) = c.definition.as_ref().and_then(|d| d.group.clone())
            && !groups.contains(&g)
        {
            groups.push(g);
        }
    }
    let error_count = configs.iter().map(|c| c.value.errors.len()).sum();
    ConfigInfos { name: class_as_supplied.to_string(), error_count, groups, configs }
}

/// Adds problems found beyond single keys (override policy, topic
/// creation) to the keys they concern, or as entries of their own.
pub fn add_problems(infos: &mut ConfigInfos, problems: Vec<(String, String)>) {
    for (key, message) in problems {
        infos.error_count += 1;
        match infos.configs.iter_mut().find(|c| c.value.name == key) {
            Some(c) => c.value.errors.push(message),
            None => infos.configs.push(ConfigInfo {
                definition: None,
                value: ConfigValueInfo {
                    name: key,
                    value: None,
                    recommended_values: Vec::new(),
                    errors: vec![message],
                    visible: true,
                },
            }),
        }
    }
}

fn host_value(def: &ConfigKeyDef, config: &BTreeMap<String, String>) -> ConfigValueInfo {
    let raw = config.get(&def.name).map(String::as_str);
    ConfigValueInfo {
        name: def.name.clone(),
        value: render(def, raw),
        recommended_values: def.recommended_values.clone(),
        errors: check(def, raw),
        visible: true,
    }
}

/// `ConfigKeyInfo` as JSON.
pub fn key_json(def: &ConfigKeyDef) -> serde_json::Value {
    serde_json::json!({
        "name": def.name,
        "type": def.ty.as_str(),
        "required": required(def),
        "default_value": default_json(def),
        "importance": def.importance,
        "documentation": def.documentation,
        "group": def.group,
        "width": def.width,
        "display_name": def.display_name,
        "dependents": def.dependents,
        "order": def.order_in_group,
    })
}

/// `ConfigInfos` as JSON.
pub fn infos_json(infos: &ConfigInfos) -> serde_json::Value {
    let configs: Vec<serde_json::Value> = infos
        .configs
        .iter()
        .map(|c| {
            serde_json::json!({
                "definition": c.definition.as_ref().map(key_json),
                "value": {
                    "name": c.value.name,
                    "value": c.value.value,
                    "recommended_values": c.value.recommended_values,
                    "errors": c.value.errors,
                    "visible": c.value.visible,
                },
            })
        })
        .collect();
    serde_json::json!({ "name": infos.name, "error_count": infos.error_count, "groups": infos.groups, "configs": configs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn missing_name_and_bad_tasks_max_are_reported_per_key() {
        let infos = validate(
            "Datagen",
            ConnectorKind::Source,
            &cfg(&[("connector.class", "Datagen"), ("tasks.max", "0")]),
            &[],
            vec![],
        );
        assert_eq!(infos.error_count, 2);
        let errors = infos.errors();
        assert!(errors.contains(&"Missing required configuration \"name\" which has no default value.".to_string()));
        assert!(errors.contains(&"Invalid value 0 for configuration tasks.max: Value must be at least 1".to_string()));
        assert_eq!(&infos.groups[..5], ["Common", "Transforms", "Predicates", "Error Handling", "Topic Creation"]);
    }

    #[test]
    fn passwords_are_hidden_and_plugin_keys_follow_framework_keys() {
        let mut secret = definitions(ConnectorKind::Source)[0].clone();
        secret.name = "database.password".into();
        secret.ty = ConfigType::Password;
        secret.group = Some("Connection".into());
        let infos = validate(
            "X",
            ConnectorKind::Source,
            &cfg(&[("name", "n"), ("connector.class", "X"), ("database.password", "s3cret")]),
            &[secret],
            vec![],
        );
        let last = infos.configs.last().unwrap();
        assert_eq!(last.value.name, "database.password");
        assert_eq!(last.value.value.as_deref(), Some("[hidden]"));
        assert_eq!(infos.groups.last().map(String::as_str), Some("Connection"));
        assert_eq!(infos.error_count, 0);
    }
}
