//! What `PUT /connector-plugins/{p}/config/validate` reports for
//! transforms and predicates, as Kafka Connect reports them: per alias a
//! `transforms.<alias>.type` (or `predicates.<alias>.type`) entry in group
//! `Transforms: <alias>` (`Predicates: <alias>`), then `predicate` and
//! `negate`, then the class's own keys, each with its problems.

use std::collections::BTreeMap;

use super::config::KeyDef;
use super::{ConfigProblem, parse};
use crate::framework::{ConfigInfo, NULL_DEFAULT};
use crate::plugin::{ConfigKeyDef, ConfigType, ConfigValueInfo};

const PREDICATE: KeyDef = KeyDef {
    name: "predicate",
    ty: ConfigType::String,
    default: Some(NULL_DEFAULT),
    importance: "MEDIUM",
    doc: "The alias of a predicate deciding, per record, whether this transform applies.",
};
const NEGATE: KeyDef = KeyDef {
    name: "negate",
    ty: ConfigType::Boolean,
    default: Some("false"),
    importance: "MEDIUM",
    doc: "Whether the transform applies when the predicate is false instead of true.",
};

/// The validation entries for every listed transform and predicate, with
/// the problems `Chain::from_config` would report attached to their keys.
pub fn config_infos(config: &BTreeMap<String, String>) -> Vec<ConfigInfo> {
    let parsed = parse(config);
    let mut out = Entries { config, problems: parsed.problems, infos: Vec::new() };
    for (alias, class) in &parsed.transforms {
        let group = Group { prefix: format!("transforms.{alias}."), name: format!("Transforms: {alias}") };
        let doc = format!("The class of transform '{alias}'.");
        out.class_entry(&group, &doc, &format!("Transform type for {alias}"));
        // An unknown class has only its type entry, as in Kafka Connect.
        let Some(class) = class else { continue };
        for (i, def) in [PREDICATE, NEGATE].iter().chain(class.keys()).enumerate() {
            out.key_entry(&group, i + 1, def);
        }
    }
    for (alias, class) in &parsed.predicates {
        let group = Group { prefix: format!("predicates.{alias}."), name: format!("Predicates: {alias}") };
        let doc = format!("The class of predicate '{alias}'.");
        out.class_entry(&group, &doc, &format!("Predicate type for {alias}"));
        for (i, def) in class.iter().flat_map(|c| c.keys()).enumerate() {
            out.key_entry(&group, i + 1, def);
        }
    }
    // Anything not tied to a listed key still counts as an error.
    let Entries { config, problems, mut infos } = out;
    for problem in problems {
        let value = config.get(&problem.key).cloned();
        infos.push(ConfigInfo {
            definition: None,
            value: ConfigValueInfo {
                name: problem.key,
                value,
                recommended_values: Vec::new(),
                errors: vec![problem.message],
                visible: true,
            },
        });
    }
    infos
}

/// One alias's keys: their prefix and validation group.
struct Group {
    prefix: String,
    name: String,
}

/// The entries built so far and the problems not yet placed.
struct Entries<'a> {
    config: &'a BTreeMap<String, String>,
    problems: Vec<ConfigProblem>,
    infos: Vec<ConfigInfo>,
}

impl Entries<'_> {
    /// The alias's `type` entry, first in its group.
    fn class_entry(&mut self, group: &Group, doc: &str, display: &str) {
        let def = KeyDef { name: "type", ty: ConfigType::Class, default: None, importance: "HIGH", doc: "" };
        self.push(group, 0, &def, doc, display, "LONG");
    }

    /// One of the alias's other keys.
    fn key_entry(&mut self, group: &Group, order: usize, def: &KeyDef) {
        self.push(group, order, def, def.doc, def.name, "NONE");
    }

    fn push(&mut self, group: &Group, order: usize, def: &KeyDef, doc: &str, display: &str, width: &'static str) {
        let name = format!("{}{}", group.prefix, def.name);
        let mut errors = Vec::new();
        self.problems.retain(|p| {
            let here = p.key == name;
            if here {
                errors.push(p.message.clone());
            }
            !here
        });
        let value = match (self.config.get(&name), def.default) {
            (Some(v), _) => Some(v.clone()),
            (None, None | Some(NULL_DEFAULT)) => None,
            (None, Some(d)) => Some(d.to_string()),
        };
        let definition = ConfigKeyDef {
            name: name.clone(),
            ty: def.ty,
            default_value: def.default.map(str::to_string),
            importance: def.importance,
            documentation: doc.to_string(),
            group: Some(group.name.clone()),
            order_in_group: i32::try_from(order).unwrap_or(i32::MAX),
            width,
            display_name: display.to_string(),
            dependents: Vec::new(),
            recommended_values: Vec::new(),
        };
        let value = ConfigValueInfo { name, value, recommended_values: Vec::new(), errors, visible: true };
        self.infos.push(ConfigInfo { definition: Some(definition), value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::tests::cfg;

    fn errors(infos: &[ConfigInfo]) -> Vec<(&str, &str)> {
        infos.iter().flat_map(|i| i.value.errors.iter().map(|e| (i.value.name.as_str(), e.as_str()))).collect()
    }

    #[test]
    fn entries_follow_kafka_connect_layout() {
        let infos = config_infos(&cfg(&[
            ("transforms", "route"),
            ("transforms.route.type", "org.apache.kafka.connect.transforms.RegexRouter"),
            ("transforms.route.regex", "(.*)"),
            ("transforms.route.replacement", "x.$1"),
            ("predicates", "p"),
            ("predicates.p.type", "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"),
        ]));
        let names: Vec<&str> = infos.iter().map(|i| i.value.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "transforms.route.type",
                "transforms.route.predicate",
                "transforms.route.negate",
                "transforms.route.regex",
                "transforms.route.replacement",
                "predicates.p.type"
            ]
        );
        let def = infos[0].definition.as_ref().unwrap();
        assert_eq!(def.group.as_deref(), Some("Transforms: route"));
        assert_eq!(def.ty, ConfigType::Class);
        assert_eq!(infos[2].value.value.as_deref(), Some("false"));
        assert_eq!(infos[1].value.value, None);
        assert_eq!(infos[5].definition.as_ref().unwrap().group.as_deref(), Some("Predicates: p"));
        assert!(errors(&infos).is_empty());
    }

    #[test]
    fn problems_land_on_their_keys() {
        let infos = config_infos(&cfg(&[
            ("transforms", "a,b,c"),
            ("transforms.a.type", "com.example.Missing"),
            ("transforms.c.type", "RegexRouter"),
            ("transforms.c.regex", "("),
            ("transforms.c.replacement", "x"),
            ("transforms.c.predicate", "nope"),
        ]));
        assert_eq!(
            errors(&infos),
            [
                (
                    "transforms.a.type",
                    "Invalid value com.example.Missing for configuration transforms.a.type: Class com.example.Missing could not be found."
                ),
                (
                    "transforms.b.type",
                    "Missing required configuration \"transforms.b.type\" which has no default value."
                ),
                (
                    "transforms.c.predicate",
                    "Invalid value nope for configuration transforms.c.predicate: Predicate nope is not listed in predicates"
                ),
                (
                    "transforms.c.regex",
                    "Invalid value ( for configuration transforms.c.regex: Invalid regex: regex parse error:\n    (\n    ^\nerror: unclosed group"
                ),
            ]
        );
        assert_eq!(infos.iter().filter(|i| i.value.name.starts_with("transforms.a.")).count(), 1);
    }

    #[test]
    fn validate_counts_transform_errors() {
        let config = cfg(&[
            ("name", "c"),
            ("connector.class", "X"),
            ("transforms", "a"),
            ("transforms.a.type", "com.example.Missing"),
        ]);
        let infos = crate::framework::validate("X", crate::plugin::ConnectorKind::Source, &config, &[], vec![]);
        assert_eq!(infos.error_count, 1);
        assert!(infos.groups.contains(&"Transforms: a".to_string()));
    }
}
