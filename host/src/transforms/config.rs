//! Reading one transform's or predicate's keys out of a connector config by
//! Kafka Connect's rules — values trimmed, lists split on commas, booleans
//! `true`/`false` in any case — and reporting problems in its wording, so a
//! problem reads the same from Weir as from a Kafka Connect worker.

use std::collections::BTreeMap;

use super::ConfigProblem;
use super::replacement::{JavaRegex, Replacement};
use crate::plugin::ConfigType;

/// One key a transform or predicate defines, as `/config/validate` lists it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyDef {
    /// The key without the `transforms.<alias>.` prefix.
    pub name: &'static str,
    /// Its type.
    pub ty: ConfigType,
    /// `None`: required; `Some(NULL_DEFAULT)`: optional without a default.
    pub default: Option<&'static str>,
    /// `HIGH`, `MEDIUM` or `LOW`.
    pub importance: &'static str,
    /// What the key does.
    pub doc: &'static str,
}

/// Shorthand for the key tables; the documentation follows with [`KeyDef::doc`].
pub(crate) const fn key(
    name: &'static str,
    ty: ConfigType,
    default: Option<&'static str>,
    importance: &'static str,
) -> KeyDef {
    KeyDef { name, ty, default, importance, doc: "" }
}

impl KeyDef {
    /// Sets the documentation.
    pub(crate) const fn doc(self, doc: &'static str) -> Self {
        Self { doc, ..self }
    }
}

/// The "optional, no default" marker, as the framework spells it.
pub(crate) const NULL: Option<&str> = Some(crate::framework::NULL_DEFAULT);

/// Splits a LIST value as Kafka does: empty means no items, otherwise every
/// comma separates one (so `a,,b` has an empty item).
pub(crate) fn parse_list(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.is_empty() {
        return Vec::new();
    }
    value.split(',').map(|item| item.trim().to_string()).collect()
}

/// The keys under one prefix, and the problems found reading them.
pub(crate) struct Props<'a> {
    config: &'a BTreeMap<String, String>,
    prefix: String,
    problems: Vec<ConfigProblem>,
}

impl<'a> Props<'a> {
    /// Keys under `prefix` (e.g. `transforms.route.`).
    pub fn new(config: &'a BTreeMap<String, String>, prefix: String) -> Self {
        Self { config, prefix, problems: Vec::new() }
    }

    /// The full name of a key.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The trimmed value, if the key is set.
    pub fn raw(&self, name: &str) -> Option<&'a str> {
        self.config.get(&self.key(name)).map(|v| v.trim())
    }

    /// Whether the key is set at all.
    pub fn is_set(&self, name: &str) -> bool {
        self.config.contains_key(&self.key(name))
    }

    /// A string with a default.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or(default).to_string()
    }

    /// A string that may be absent.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.raw(name).map(str::to_string)
    }

    /// A string without a default: its absence is a problem.
    pub fn required(&mut self, name: &str) -> Option<String> {
        let value = self.optional(name);
        if value.is_none() {
            let key = self.key(name);
            self.problem(name, format!("Missing required configuration \"{key}\" which has no default value."));
        }
        value
    }

    /// A boolean with a default.
    pub fn boolean(&mut self, name: &str, default: bool) -> bool {
        match self.raw(name) {
            None => default,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                self.invalid(name, v, "Expected value to be either true or false");
                default
            }
        }
    }

    /// An INT with a default.
    pub fn int(&mut self, name: &str, default: i32) -> i32 {
        match self.raw(name) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                self.invalid(name, v, "Not a number of type INT");
                default
            }),
        }
    }

    /// A list; absent means `default`.
    pub fn list(&self, name: &str, default: &[&str]) -> Vec<String> {
        match self.raw(name) {
            Some(v) => parse_list(v),
            None => default.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// One of a fixed set of values; Debezium's enumerations ignore case,
    /// Kafka's do not.
    pub fn choice(
        &mut self,
        name: &str,
        allowed: &[&'static str],
        default: &'static str,
        ignore_case: bool,
    ) -> &'static str {
        let Some(value) = self.raw(name) else { return default };
        let found = allowed.iter().find(|a| if ignore_case { a.eq_ignore_ascii_case(value) } else { **a == value });
        match found {
            Some(a) => a,
            None => {
                self.invalid(name, value, &format!("String must be one of: {}", allowed.join(", ")));
                default
            }
        }
    }

    /// A regular expression in Java's dialect, as far as the `regex` crate
    /// shares it.
    pub fn regex(&mut self, name: &str, pattern: &str) -> Option<JavaRegex> {
        match JavaRegex::compile(pattern) {
            Ok(re) => Some(re),
            Err(e) => {
                self.invalid(name, pattern, &format!("Invalid regex: {e}"));
                None
            }
        }
    }

    /// A replacement string for `regex`, checked against its groups.
    pub fn replacement(&mut self, name: &str, regex: &JavaRegex, replacement: &str) -> Option<Replacement> {
        match regex.replacement(replacement) {
            Ok(r) => Some(r),
            Err(why) => {
                self.invalid(name, replacement, &why);
                None
            }
        }
    }

    /// Kafka's `ConfigException(name, value, message)` wording.
    pub fn invalid(&mut self, name: &str, value: &str, why: &str) {
        let key = self.key(name);
        self.problem(name, format!("Invalid value {value} for configuration {key}: {why}"));
    }

    /// A problem on a key, in the caller's words.
    pub fn problem(&mut self, name: &str, message: String) {
        let key = self.key(name);
        self.problems.push(ConfigProblem { key, message });
    }

    /// Whether anything was wrong so far.
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The problems found.
    pub fn into_problems(self) -> Vec<ConfigProblem> {
        self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_like_kafka() {
        assert_eq!(parse_list(""), Vec::<String>::new());
        assert_eq!(parse_list("  "), Vec::<String>::new());
        assert_eq!(parse_list(" a , b"), ["a", "b"]);
        assert_eq!(parse_list("a,,b"), ["a", "", "b"]);
    }

    #[test]
    fn problems_use_kafka_wording() {
        let config: BTreeMap<String, String> =
            [("transforms.t.flag", " maybe ")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut props = Props::new(&config, "transforms.t.".into());
        assert!(props.boolean("flag", true));
        assert_eq!(props.required("field"), None);
        assert_eq!(
            props.into_problems(),
            [
                ConfigProblem {
                    key: "transforms.t.flag".into(),
                    message: "Invalid value maybe for configuration transforms.t.flag: Expected value to be either true or false".into()
                },
                ConfigProblem {
                    key: "transforms.t.field".into(),
                    message: "Missing required configuration \"transforms.t.field\" which has no default value.".into()
                },
            ]
        );
    }
}
