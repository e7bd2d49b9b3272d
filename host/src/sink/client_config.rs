//! Kafka client settings as Kafka Connect users write them (Java client
//! property names), turned into librdkafka's.
//!
//! A producer's settings are layered as Kafka Connect layers them: Weir's
//! defaults (those of Connect's own producer), the worker's top-level client
//! keys (`bootstrap.servers`, `security.protocol`, `ssl.*`, `sasl.*`), the
//! worker's `producer.*`, then the connector's `producer.override.*` as far
//! as `connector.client.config.override.policy` allows. Connect itself does
//! not pass top-level security keys to connector producers; Weir does, since
//! a worker that reaches its cluster over SASL means the same for its
//! producers, and the `producer.*` keys still win.

use std::collections::BTreeMap;

/// Errors in client settings.
#[derive(Debug, thiserror::Error)]
pub enum ClientConfigError {
    /// A setting cannot be expressed for librdkafka.
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    Unsupported {
        /// The key as the user wrote it.
        key: String,
        /// Its value (hidden for secrets).
        value: String,
        /// Why.
        reason: String,
    },
}

/// Who may override producer settings per connector
/// (`connector.client.config.override.policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverridePolicy {
    /// Any `producer.override.*` key (Kafka Connect's default since 3.0).
    All,
    /// Only the principal: `security.protocol`, `sasl.jaas.config`, `sasl.mechanism`.
    Principal,
    /// No overrides.
    None,
}

impl OverridePolicy {
    /// The policy for a class name (full or simple, with or without the
    /// `ConnectorClientConfigOverridePolicy` suffix).
    pub fn from_class(class: &str) -> Option<Self> {
        let simple = class.trim().rsplit('.').next().unwrap_or(class);
        let simple = simple.strip_suffix("ConnectorClientConfigOverridePolicy").unwrap_or(simple);
        match simple {
            "All" => Some(Self::All),
            "Principal" => Some(Self::Principal),
            "None" => Some(Self::None),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Principal => "Principal",
            Self::None => "None",
        }
    }

    /// Kafka Connect's messages for the `producer.override.*` keys this policy refuses.
    pub fn violations(self, connector_config: &BTreeMap<String, String>) -> Vec<(String, String)> {
        const PRINCIPAL: &[&str] = &["security.protocol", "sasl.jaas.config", "sasl.mechanism"];
        connector_config
            .keys()
            .filter_map(|key| {
                let client_key = key.strip_prefix(PRODUCER_OVERRIDE)?;
                let allowed = match self {
                    Self::All => true,
                    Self::Principal => PRINCIPAL.contains(&client_key),
                    Self::None => false,
                };
                (!allowed).then(|| {
                    let message = format!(
                        "The '{}' policy does not allow '{client_key}' to be overridden in the connector configuration.",
                        self.name()
                    );
                    (key.clone(), message)
                })
            })
            .collect()
    }
}

/// The connector-level prefix for producer settings.
pub const PRODUCER_OVERRIDE: &str = "producer.override.";

/// Top-level worker keys that configure every Kafka client.
fn is_common_client_key(key: &str) -> bool {
    key == "bootstrap.servers"
        || key == "security.protocol"
        || key == "client.dns.lookup"
        || key.starts_with("ssl.")
        || key.starts_with("sasl.")
}

/// The worker's common client keys, overlaid with its `prefix`ed ones (prefix stripped).
fn client_keys(worker: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    let common = worker.iter().filter(|(k, _)| is_common_client_key(k)).map(|(k, v)| (k.clone(), v.clone()));
    let prefixed = worker.iter().filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v.clone())));
    common.chain(prefixed).collect()
}

/// Weir's producer defaults: Kafka Connect's own producer settings
/// (`acks=all`, idempotence, unbounded delivery time so an unavailable broker
/// is waited for), Java's partitioner, and bounded queues.
pub fn producer_defaults() -> Vec<(&'static str, &'static str)> {
    vec![
        ("acks", "all"),
        ("enable.idempotence", "true"),
        // Kafka Connect sets delivery.timeout.ms to Integer.MAX_VALUE: a record is retried until delivered.
        ("message.timeout.ms", "0"),
        // Java's murmur2 on the key bytes, random for null keys: keys land where Kafka Connect puts them.
        ("partitioner", "murmur2_random"),
        ("queue.buffering.max.kbytes", "8192"),
        ("queue.buffering.max.messages", "20000"),
        ("linger.ms", "5"),
    ]
}

/// The producer settings for one connector, in librdkafka's names.
pub fn producer_settings(
    worker: &BTreeMap<String, String>,
    connector: &BTreeMap<String, String>,
    policy: OverridePolicy,
) -> Result<BTreeMap<String, String>, ClientConfigError> {
    let mut java = client_keys(worker, "producer.");
    if policy.violations(connector).is_empty() {
        for (k, v) in connector {
            if let Some(k) = k.strip_prefix(PRODUCER_OVERRIDE) {
                java.insert(k.to_string(), v.clone());
            }
        }
    }
    let mut out: BTreeMap<String, String> =
        producer_defaults().into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    out.extend(to_librdkafka(&java)?);
    Ok(out)
}

/// The admin client's settings (for topic creation): the common client keys
/// and `admin.*`, as Kafka Connect builds them.
pub fn admin_settings(worker: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ClientConfigError> {
    to_librdkafka(&client_keys(worker, "admin."))
}

/// Java client keys librdkafka has no use for: Connect fixes the
/// serializers, and the rest are JVM-side concerns.
const JAVA_ONLY: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "interceptor.classes",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.recording.level",
    "metrics.sample.window.ms",
    "client.dns.lookup",
    "partitioner.class",
    "partitioner.ignore.keys",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "ssl.truststore.type",
    "ssl.keystore.type",
    "ssl.protocol",
    "ssl.provider",
    "ssl.trustmanager.algorithm",
    "ssl.keymanager.algorithm",
    "ssl.secure.random.implementation",
    "ssl.engine.factory.class",
    "sasl.login.class",
    "sasl.login.callback.handler.class",
    "sasl.client.callback.handler.class",
    "security.providers",
    "auto.include.jmx.reporter",
    "enable.metrics.push",
    "metadata.max.idle.ms",
];

/// Translates Java client keys into librdkafka's; librdkafka's own keys pass through.
pub fn to_librdkafka(java: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ClientConfigError> {
    let unsupported = |key: &str, value: &str, reason: &str| ClientConfigError::Unsupported {
        key: key.into(),
        value: if key.contains("password") || key == "sasl.jaas.config" { "[hidden]".into() } else { value.into() },
        reason: reason.into(),
    };
    let mut out = BTreeMap::new();
    let get = |k: &str| java.get(k).map(|v| v.trim());
    for (key, value) in java {
        let v = value.trim();
        if JAVA_ONLY.contains(&key.as_str()) {
            continue;
        }
        match key.as_str() {
            "sasl.mechanism" => {
                out.insert("sasl.mechanisms".into(), v.to_string());
            }
            "sasl.jaas.config" => {
                let (user, pass) = parse_jaas(v).ok_or_else(|| {
                    unsupported(key, v, "expected a PlainLoginModule or ScramLoginModule with username and password")
                })?;
                out.insert("sasl.username".into(), user);
                out.insert("sasl.password".into(), pass);
            }
            "buffer.memory" => {
                let bytes: u64 = v.parse().map_err(|_| unsupported(key, v, "Not a number of type LONG"))?;
                out.insert("queue.buffering.max.kbytes".into(), (bytes / 1024).max(1).to_string());
            }
            "max.request.size" => {
                out.insert("message.max.bytes".into(), v.to_string());
            }
            "delivery.timeout.ms" => {
                out.insert("message.timeout.ms".into(), v.to_string());
            }
            // Java's -1 (the OS default) is librdkafka's 0.
            "send.buffer.bytes" | "receive.buffer.bytes" => {
                let size = if v == "-1" { "0" } else { v };
                out.insert(format!("socket.{key}"), size.to_string());
            }
            "max.block.ms" => {}
            "ssl.endpoint.identification.algorithm" => {
                let algo = if v.is_empty() { "none" } else { v };
                out.insert(key.clone(), algo.to_string());
            }
            "ssl.truststore.location" => {
                if !get("ssl.truststore.type").is_some_and(|t| t.eq_ignore_ascii_case("PEM")) {
                    return Err(unsupported(
                        key,
                        v,
                        "librdkafka reads PEM trust stores only; convert the JKS/PKCS12 store to PEM and set ssl.truststore.type=PEM",
                    ));
                }
                out.insert("ssl.ca.location".into(), v.to_string());
            }
            "ssl.truststore.certificates" => {
                out.insert("ssl.ca.pem".into(), v.to_string());
            }
            "ssl.truststore.password" => {}
            "ssl.keystore.location" => {
                if get("ssl.keystore.type").is_some_and(|t| t.eq_ignore_ascii_case("JKS")) {
                    return Err(unsupported(key, v, "librdkafka reads PKCS12 or PEM key stores, not JKS"));
                }
                out.insert(key.clone(), v.to_string());
            }
            "ssl.keystore.certificate.chain" => {
                out.insert("ssl.certificate.pem".into(), v.to_string());
            }
            "ssl.keystore.key" => {
                out.insert("ssl.key.pem".into(), v.to_string());
            }
            // librdkafka picks protocol versions itself; an empty cipher list means its default.
            "ssl.enabled.protocols" => {}
            "ssl.cipher.suites" if v.is_empty() => {}
            _ => {
                out.insert(key.clone(), v.to_string());
            }
        }
    }
    Ok(out)
}

/// `username` and `password` from a JAAS line such as
/// `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`.
fn parse_jaas(line: &str) -> Option<(String, String)> {
    let mut username = None;
    let mut password = None;
    let mut rest = line;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq].rsplit(|c: char| c.is_whitespace()).next().unwrap_or("").trim();
        let after = rest[eq + 1..].trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(|c: char| c.is_whitespace() || c == ';').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        match name {
            "username" => username = Some(value.to_string()),
            "password" => password = Some(value.to_string()),
            _ => {}
        }
        rest = tail;
    }
    Some((username?, password?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn layers_defaults_worker_producer_and_overrides() {
        let worker = map(&[
            ("bootstrap.servers", "b:9092"),
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="connect" password="s3 cret";"#,
            ),
            ("producer.linger.ms", "20"),
            ("producer.buffer.memory", "4194304"),
            ("offset.flush.interval.ms", "1000"),
        ]);
        let connector = map(&[("producer.override.linger.ms", "50"), ("producer.override.compression.type", "lz4")]);
        let s = producer_settings(&worker, &connector, OverridePolicy::All).unwrap();
        assert_eq!(s["bootstrap.servers"], "b:9092");
        assert_eq!(s["security.protocol"], "SASL_SSL");
        assert_eq!(s["sasl.mechanisms"], "SCRAM-SHA-512");
        assert_eq!(s["sasl.username"], "connect");
        assert_eq!(s["sasl.password"], "s3 cret");
        assert_eq!(s["linger.ms"], "50");
        assert_eq!(s["compression.type"], "lz4");
        assert_eq!(s["queue.buffering.max.kbytes"], "4096");
        assert_eq!(s["partitioner"], "murmur2_random");
        assert_eq!(s["enable.idempotence"], "true");
        assert!(!s.contains_key("offset.flush.interval.ms"), "worker keys are not client keys");
        let s = producer_settings(&worker, &connector, OverridePolicy::None).unwrap();
        assert_eq!(s["linger.ms"], "20", "a refused override is not applied");
    }

    #[test]
    fn policies_refuse_overrides_in_kafka_connect_words() {
        let connector = map(&[("producer.override.linger.ms", "5"), ("producer.override.sasl.mechanism", "PLAIN")]);
        assert!(OverridePolicy::All.violations(&connector).is_empty());
        let principal = OverridePolicy::Principal.violations(&connector);
        assert_eq!(
            principal,
            vec![(
                "producer.override.linger.ms".to_string(),
                "The 'Principal' policy does not allow 'linger.ms' to be overridden in the connector configuration."
                    .to_string()
            )]
        );
        assert_eq!(OverridePolicy::None.violations(&connector).len(), 2);
        assert_eq!(
            OverridePolicy::from_class(
                "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy"
            ),
            Some(OverridePolicy::None)
        );
        assert_eq!(OverridePolicy::from_class("Sometimes"), None);
    }

    #[test]
    fn java_ssl_settings_become_librdkafka_ones_or_clear_errors() {
        let pem = map(&[
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", "/etc/ca.pem"),
            ("ssl.endpoint.identification.algorithm", ""),
        ]);
        let out = to_librdkafka(&pem).unwrap();
        assert_eq!(out["ssl.ca.location"], "/etc/ca.pem");
        assert_eq!(out["ssl.endpoint.identification.algorithm"], "none");
        assert!(!out.contains_key("ssl.truststore.type"));
        let jks = map(&[("ssl.truststore.location", "/etc/truststore.jks"), ("ssl.truststore.password", "x")]);
        let err = to_librdkafka(&jks).unwrap_err().to_string();
        assert!(err.contains("ssl.truststore.location") && err.contains("PEM"), "{err}");
        let bad_jaas = map(&[("sasl.jaas.config", "PlainLoginModule required;")]);
        let err = to_librdkafka(&bad_jaas).unwrap_err().to_string();
        assert!(err.contains("[hidden]") && !err.contains("required;"), "{err}");
    }
}
