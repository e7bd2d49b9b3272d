//! Kafka Connect's topic creation for source connectors (KIP-158): a topic
//! a task is about to write to for the first time is created with the
//! settings of the first `topic.creation.groups` group whose `include`
//! matches it (and `exclude` does not), else those of the `default` group.
//! Creation is on only when the worker allows it (`topic.creation.enable`)
//! and the connector names the default group's replication factor and
//! partitions, as in Kafka Connect.

use std::collections::BTreeMap;

use regex::Regex;

/// One group's settings.
#[derive(Debug, Clone)]
pub struct TopicGroup {
    name: String,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    /// Partitions; -1 for the broker's default.
    pub partitions: i32,
    /// Replication factor; -1 for the broker's default.
    pub replication_factor: i32,
    /// Other topic configs (`cleanup.policy`, `retention.ms`, ...).
    pub configs: BTreeMap<String, String>,
}

/// A connector's topic creation settings.
#[derive(Debug, Clone)]
pub struct TopicCreation {
    groups: Vec<TopicGroup>,
    default: TopicGroup,
}

const PREFIX: &str = "topic.creation.";

impl TopicCreation {
    /// The settings, `Ok(None)` when topic creation is off for this connector;
    /// errors are `(key, message)` in Kafka Connect's words.
    pub fn from_config(
        config: &BTreeMap<String, String>,
        worker_enabled: bool,
    ) -> Result<Option<Self>, Vec<(String, String)>> {
        let has_default =
            ["partitions", "replication.factor"].iter().any(|k| config.contains_key(&format!("{PREFIX}default.{k}")));
        if !worker_enabled || !has_default {
            return Ok(None);
        }
        let mut errors = Vec::new();
        let default = group("default", config, true, &mut errors);
        let mut groups = Vec::new();
        let names = config.get(&format!("{PREFIX}groups")).map(String::as_str).unwrap_or("");
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "default" {
                continue;
            }
            groups.push(group(name, config, false, &mut errors));
        }
        if errors.is_empty() { Ok(Some(Self { groups, default })) } else { Err(errors) }
    }

    /// The group whose settings a new topic gets.
    pub fn group_for(&self, topic: &str) -> &TopicGroup {
        self.groups
            .iter()
            .find(|g| g.include.iter().any(|r| full_match(r, topic)) && !g.exclude.iter().any(|r| full_match(r, topic)))
            .unwrap_or(&self.default)
    }
}

impl TopicGroup {
    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn full_match(re: &Regex, s: &str) -> bool {
    re.find(s).is_some_and(|m| m.start() == 0 && m.end() == s.len())
}

fn group(
    name: &str,
    config: &BTreeMap<String, String>,
    is_default: bool,
    errors: &mut Vec<(String, String)>,
) -> TopicGroup {
    let prefix = format!("{PREFIX}{name}.");
    let mut number = |suffix: &str| -> i32 {
        let key = format!("{prefix}{suffix}");
        match config.get(&key).map(|v| v.trim()) {
            None if is_default => {
                errors.push((
                    key.clone(),
                    format!("Missing required configuration \"{key}\" which has no default value."),
                ));
                -1
            }
            None => -1,
            Some(v) => match v.parse::<i32>() {
                Ok(n) if n == -1 || n >= 1 => n,
                Ok(_) => {
                    let what = if suffix == "partitions" { "Number of partitions" } else { "Replication factor" };
                    errors.push((
                        key.clone(),
                        format!("Invalid value {v} for configuration {key}: {what} must be positive, or -1 to use the broker's default"),
                    ));
                    -1
                }
                Err(_) => {
                    errors.push((
                        key.clone(),
                        format!("Invalid value {v} for configuration {key}: Not a number of type INT"),
                    ));
                    -1
                }
            },
        }
    };
    let partitions = number("partitions");
    let replication_factor = number("replication.factor");
    let mut patterns = |suffix: &str| -> Vec<Regex> {
        let key = format!("{prefix}{suffix}");
        let raw =
            config.get(&key).map(String::as_str).unwrap_or(if is_default && suffix == "include" { ".*" } else { "" });
        raw.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .filter_map(|p| match Regex::new(p) {
                Ok(r) => Some(r),
                Err(e) => {
                    errors.push((key.clone(), format!("Invalid value {p} for configuration {key}: {e}")));
                    None
                }
            })
            .collect()
    };
    let include = patterns("include");
    let exclude = patterns("exclude");
    let configs = config
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(&prefix)?;
            (!matches!(rest, "partitions" | "replication.factor" | "include" | "exclude"))
                .then(|| (rest.to_string(), v.clone()))
        })
        .collect();
    TopicGroup { name: name.to_string(), include, exclude, partitions, replication_factor, configs }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn off_unless_the_connector_names_the_default_group() {
        assert!(TopicCreation::from_config(&map(&[]), true).unwrap().is_none());
        let on = map(&[("topic.creation.default.partitions", "3"), ("topic.creation.default.replication.factor", "1")]);
        assert!(TopicCreation::from_config(&on, false).unwrap().is_none(), "the worker can turn it off");
        assert!(TopicCreation::from_config(&on, true).unwrap().is_some());
    }

    #[test]
    fn first_matching_group_wins_and_other_keys_are_topic_configs() {
        let config = map(&[
            ("topic.creation.groups", "compacted,big"),
            ("topic.creation.default.partitions", "3"),
            ("topic.creation.default.replication.factor", "-1"),
            ("topic.creation.compacted.include", "dbserver1\\.inventory\\..*"),
            ("topic.creation.compacted.exclude", ".*\\.orders"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
            ("topic.creation.big.include", ".*orders"),
            ("topic.creation.big.partitions", "12"),
        ]);
        let tc = TopicCreation::from_config(&config, true).unwrap().unwrap();
        let g = tc.group_for("dbserver1.inventory.customers");
        assert_eq!((g.name(), g.partitions, g.replication_factor), ("compacted", -1, -1));
        assert_eq!(g.configs.get("cleanup.policy").map(String::as_str), Some("compact"));
        assert_eq!(tc.group_for("dbserver1.inventory.orders").partitions, 12);
        let d = tc.group_for("other");
        assert_eq!((d.name(), d.partitions), ("default", 3));
        assert!(tc.group_for("xdbserver1.inventory.customers").name() == "default", "include is a full match");
    }

    #[test]
    fn bad_numbers_and_missing_defaults_name_their_keys() {
        let config = map(&[("topic.creation.default.partitions", "0")]);
        let errors = TopicCreation::from_config(&config, true).unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["topic.creation.default.partitions", "topic.creation.default.replication.factor"]);
    }
}
