//! Configuration maps, key definitions and the default validator.

use std::collections::BTreeMap;

use crate::ConnectorError;

/// Kafka Connect's `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// `true` or `false`.
    Boolean,
    /// Any string.
    String,
    /// A 32-bit integer.
    Int,
    /// A 16-bit integer.
    Short,
    /// A 64-bit integer.
    Long,
    /// A floating-point number.
    Double,
    /// A comma-separated list.
    List,
    /// A class name.
    Class,
    /// A secret: shown as `[hidden]` by `/config/validate`.
    Password,
}

/// Kafka Connect's `ConfigDef.Importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    /// Shown first.
    High,
    /// Shown second.
    Medium,
    /// Shown last.
    Low,
}

/// Kafka Connect's `ConfigDef.Width`: how wide a UI should draw the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// No hint.
    None,
    /// A short field.
    Short,
    /// A medium field.
    Medium,
    /// A long field.
    Long,
}

/// One configuration key of a connector, as `/connector-plugins/{p}/config` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigKey {
    /// The key, e.g. `database.hostname`.
    pub name: String,
    /// Its type.
    pub ty: ConfigType,
    /// Its default; `None` makes the key required.
    pub default_value: Option<String>,
    /// How important it is.
    pub importance: Importance,
    /// What it means.
    pub documentation: String,
    /// The group it is shown in.
    pub group: Option<String>,
    /// Its position within the group.
    pub order_in_group: i32,
    /// Width hint.
    pub width: Width,
    /// Human-readable name.
    pub display_name: String,
    /// Keys whose meaning depends on this one.
    pub dependents: Vec<String>,
    /// Allowed values; when non-empty the default validator enforces them.
    pub recommended_values: Vec<String>,
}

impl ConfigKey {
    /// A required key of the given type, medium importance.
    pub fn new(name: impl Into<String>, ty: ConfigType) -> Self {
        let name = name.into();
        Self {
            display_name: name.clone(),
            name,
            ty,
            default_value: None,
            importance: Importance::Medium,
            documentation: String::new(),
            group: None,
            order_in_group: -1,
            width: Width::None,
            dependents: Vec::new(),
            recommended_values: Vec::new(),
        }
    }

    /// Sets the default, which makes the key optional.
    pub fn default_value(mut self, value: impl Into<String>) -> Self {
        self.default_value = Some(value.into());
        self
    }

    /// Sets the documentation.
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.documentation = doc.into();
        self
    }

    /// Sets the importance.
    pub fn importance(mut self, importance: Importance) -> Self {
        self.importance = importance;
        self
    }

    /// Places the key in a group at a position.
    pub fn group(mut self, group: impl Into<String>, order: i32) -> Self {
        self.group = Some(group.into());
        self.order_in_group = order;
        self
    }

    /// Sets the width hint.
    pub fn width(mut self, width: Width) -> Self {
        self.width = width;
        self
    }

    /// Sets the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = name.into();
        self
    }

    /// Restricts the key to these values.
    pub fn one_of(mut self, values: &[&str]) -> Self {
        self.recommended_values = values.iter().map(|v| v.to_string()).collect();
        self
    }

    /// Checks one value against this definition; returns the error messages
    /// in Kafka Connect's wording.
    pub fn check(&self, value: &str) -> Vec<String> {
        let invalid = |why: &str| format!("Invalid value {value} for configuration {}: {why}", self.name);
        let mut errors = Vec::new();
        let trimmed = value.trim();
        match self.ty {
            ConfigType::Boolean => {
                if !trimmed.eq_ignore_ascii_case("true") && !trimmed.eq_ignore_ascii_case("false") {
                    errors.push(invalid("Expected value to be either true or false"));
                }
            }
            ConfigType::Int => {
                if trimmed.parse::<i32>().is_err() {
                    errors.push(invalid("Not a number of type INT"));
                }
            }
            ConfigType::Short => {
                if trimmed.parse::<i16>().is_err() {
                    errors.push(invalid("Not a number of type SHORT"));
                }
            }
            ConfigType::Long => {
                if trimmed.parse::<i64>().is_err() {
                    errors.push(invalid("Not a number of type LONG"));
                }
            }
            ConfigType::Double => {
                if trimmed.parse::<f64>().is_err() {
                    errors.push(invalid("Not a number of type DOUBLE"));
                }
            }
            ConfigType::String | ConfigType::List | ConfigType::Class | ConfigType::Password => {}
        }
        if errors.is_empty()
            && !self.recommended_values.is_empty()
            && !self.recommended_values.iter().any(|v| v.eq_ignore_ascii_case(trimmed))
        {
            errors.push(invalid(&format!("String must be one of: {}", self.recommended_values.join(", "))));
        }
        errors
    }
}

/// The validation result for one key, as `/config/validate` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigValue {
    /// The key.
    pub name: String,
    /// The value in force (submitted or default).
    pub value: Option<String>,
    /// Values a UI may offer.
    pub recommended_values: Vec<String>,
    /// What is wrong with it; empty when valid.
    pub errors: Vec<String>,
    /// Whether a UI should show it.
    pub visible: bool,
}

impl ConfigValue {
    /// Adds an error message.
    pub fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
    }
}

/// A connector or task configuration: Kafka Connect's string map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config(BTreeMap<String, String>);

impl Config {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Sets `key`.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    /// All entries, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `key` as a string, or `default` when absent.
    pub fn string_or(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or(default).to_string()
    }

    /// `key` as a required string.
    pub fn required(&self, key: &str) -> Result<&str, ConnectorError> {
        match self.get(key) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(ConnectorError::config(
                key,
                format!("Missing required configuration \"{key}\" which has no default value."),
            )),
        }
    }

    /// `key` parsed as an `i64`, or `default` when absent.
    pub fn i64_or(&self, key: &str, default: i64) -> Result<i64, ConnectorError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| {
                ConnectorError::config(
                    key,
                    format!("Invalid value {v} for configuration {key}: Not a number of type LONG"),
                )
            }),
        }
    }

    /// `key` parsed as a boolean, or `default` when absent.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, ConnectorError> {
        match self.get(key).map(str::trim) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ConnectorError::config(
                key,
                format!("Invalid value {v} for configuration {key}: Expected value to be either true or false"),
            )),
        }
    }

    /// Checks every defined key against its definition: required keys must
    /// be present, values must parse as their type and be among the
    /// recommended values when those are given.
    pub fn validate_against(&self, keys: &[ConfigKey]) -> Vec<ConfigValue> {
        keys.iter()
            .map(|key| {
                let value = self.get(&key.name).map(str::to_string).or_else(|| key.default_value.clone());
                let mut errors = Vec::new();
                match &value {
                    None => errors
                        .push(format!("Missing required configuration \"{}\" which has no default value.", key.name)),
                    Some(v) => errors.extend(key.check(v)),
                }
                ConfigValue {
                    name: key.name.clone(),
                    value,
                    recommended_values: key.recommended_values.clone(),
                    errors,
                    visible: true,
                }
            })
            .collect()
    }
}

impl FromIterator<(String, String)> for Config {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl From<Config> for Vec<(String, String)> {
    fn from(config: Config) -> Self {
        config.0.into_iter().collect()
    }
}
