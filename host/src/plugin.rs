//! What a plugin says about its connector classes, in the host's own types.

/// Source or sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorKind {
    /// Reads from an external system.
    Source,
    /// Writes to an external system.
    Sink,
}

impl ConnectorKind {
    /// Kafka Connect's lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Sink => "sink",
        }
    }
}

/// Kafka Connect's config key types, by their `ConfigDef.Type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// BOOLEAN
    Boolean,
    /// STRING
    String,
    /// INT
    Int,
    /// SHORT
    Short,
    /// LONG
    Long,
    /// DOUBLE
    Double,
    /// LIST
    List,
    /// CLASS
    Class,
    /// PASSWORD
    Password,
}

impl ConfigType {
    /// The upper-case name Kafka Connect reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Boolean => "BOOLEAN",
            Self::String => "STRING",
            Self::Int => "INT",
            Self::Short => "SHORT",
            Self::Long => "LONG",
            Self::Double => "DOUBLE",
            Self::List => "LIST",
            Self::Class => "CLASS",
            Self::Password => "PASSWORD",
        }
    }
}

/// One config key definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigKeyDef {
    /// Key.
    pub name: String,
    /// Type.
    pub ty: ConfigType,
    /// Default; `None` means required.
    pub default_value: Option<String>,
    /// `HIGH`, `MEDIUM` or `LOW`.
    pub importance: &'static str,
    /// Documentation.
    pub documentation: String,
    /// Group.
    pub group: Option<String>,
    /// Order within the group.
    pub order_in_group: i32,
    /// `NONE`, `SHORT`, `MEDIUM` or `LONG`.
    pub width: &'static str,
    /// Display name.
    pub display_name: String,
    /// Dependents.
    pub dependents: Vec<String>,
    /// Recommended values.
    pub recommended_values: Vec<String>,
}

/// A validation result for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigValueInfo {
    /// Key.
    pub name: String,
    /// Value in force.
    pub value: Option<String>,
    /// Recommended values.
    pub recommended_values: Vec<String>,
    /// Errors.
    pub errors: Vec<String>,
    /// Visible.
    pub visible: bool,
}

/// Where a config names an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointKey {
    /// Host key(s) and a port key.
    HostPort {
        /// Key with one host or a comma-separated list.
        host_key: String,
        /// Key with the port.
        port_key: String,
        /// Port when the key is absent.
        default_port: u16,
    },
    /// Key with a URI or connection string.
    Uri(String),
}

/// One connector class a plugin exports.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorDescriptor {
    /// Fully qualified class name.
    pub class_name: String,
    /// Extra aliases.
    pub aliases: Vec<String>,
    /// Version.
    pub version: String,
    /// Source or sink.
    pub kind: ConnectorKind,
    /// The connector's own keys.
    pub config_keys: Vec<ConfigKeyDef>,
    /// Endpoint keys.
    pub endpoints: Vec<EndpointKey>,
}

impl ConnectorDescriptor {
    /// Every name the class resolves by: the class name, the simple name,
    /// the simple name without `Connector`, and the declared aliases.
    pub fn names(&self) -> Vec<String> {
        let simple = self.class_name.rsplit('.').next().unwrap_or(&self.class_name).to_string();
        let mut names = vec![self.class_name.clone(), simple.clone()];
        if let Some(pruned) = simple.strip_suffix("Connector").filter(|p| !p.is_empty()) {
            names.push(pruned.to_string());
        }
        names.extend(self.aliases.iter().cloned());
        names
    }
}

/// A connector's error, classified as the contract classifies it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// Retried with backoff.
    #[error("retriable error: {0}")]
    Retriable(String),
    /// Fails the task.
    #[error("{0}")]
    Fatal(String),
    /// Invalid configuration, per key.
    #[error("invalid configuration: {}", .0.iter().map(|(k, m)| format!("{k}: {m}")).collect::<Vec<_>>().join("; "))]
    Config(Vec<(String, String)>),
}
