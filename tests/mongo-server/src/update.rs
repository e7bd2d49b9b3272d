//! Update documents: replacement, or the `$set`, `$unset` and `$inc`
//! operators, with the `updateDescription` a change event reports
//! (https://www.mongodb.com/docs/manual/reference/command/update/,
//! https://www.mongodb.com/docs/manual/reference/change-events/update/).

use bson::{Bson, Document, doc};

use crate::error::CommandError;
use crate::query::{get_path, values_equal};

/// An update's `u` argument, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// A whole new document (no `$` keys).
    Replacement(Document),
    /// Update operators (only `$` keys).
    Operators(Document),
}

/// What an update changed, as `updateDescription` reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateDescription {
    /// Dotted path to new value, for each field set.
    pub updated_fields: Document,
    /// Dotted paths removed.
    pub removed_fields: Vec<String>,
}

impl UpdateDescription {
    /// The `updateDescription` sub-document; we never truncate arrays, so
    /// `truncatedArrays` is always empty.
    pub fn to_document(&self) -> Document {
        let removed: Vec<Bson> = self.removed_fields.iter().cloned().map(Bson::String).collect();
        doc! {
            "updatedFields": self.updated_fields.clone(),
            "removedFields": removed,
            "truncatedArrays": [],
        }
    }
}

impl Update {
    /// Classifies `u`. Pipeline-style updates (an array) are not supported.
    pub fn parse(u: &Bson) -> Result<Self, CommandError> {
        let Bson::Document(d) = u else {
            return Err(CommandError::failed_to_parse(
                "pipeline-style updates are not supported by this test server; use $set/$unset or a replacement",
            ));
        };
        let operators = d.keys().filter(|k| k.starts_with('$')).count();
        if operators == 0 {
            return Ok(Self::Replacement(d.clone()));
        }
        if operators != d.len() {
            return Err(CommandError::failed_to_parse("update document mixes operators and fields"));
        }
        for (op, args) in d {
            if !matches!(op.as_str(), "$set" | "$unset" | "$inc") {
                return Err(CommandError::failed_to_parse(format!(
                    "Unknown modifier: {op}. Expected a valid update modifier or pipeline-style update specified as an array"
                )));
            }
            if !matches!(args, Bson::Document(_)) {
                return Err(CommandError::failed_to_parse(format!(
                    "Modifiers operate on fields but we found type {args} instead"
                )));
            }
        }
        Ok(Self::Operators(d.clone()))
    }

    /// Applies the update to `old`, returning the new document and, for
    /// operator updates, what changed. The `_id` is immutable.
    pub fn apply(&self, old: &Document) -> Result<(Document, Option<UpdateDescription>), CommandError> {
        match self {
            Self::Replacement(replacement) => {
                let mut new = Document::new();
                if let Some(id) = old.get("_id") {
                    if replacement.get("_id").is_some_and(|r| !values_equal(r, id)) {
                        return Err(immutable_id());
                    }
                    new.insert("_id", id.clone());
                }
                for (k, v) in replacement {
                    if k != "_id" || !new.contains_key("_id") {
                        new.insert(k, v.clone());
                    }
                }
                Ok((new, None))
            }
            Self::Operators(ops) => {
                let mut new = old.clone();
                let mut description = UpdateDescription::default();
                for (op, args) in ops {
                    let Bson::Document(args) = args else { continue };
                    for (path, value) in args {
                        if path == "_id" || path.starts_with("_id.") {
                            let unchanged = op == "$set" && old.get("_id").is_some_and(|id| values_equal(id, value));
                            if !unchanged {
                                return Err(immutable_id());
                            }
                            continue;
                        }
                        match op.as_str() {
                            "$set" => {
                                if get_path(&new, path).is_none_or(|current| !strictly_equal(current, value)) {
                                    set_path(&mut new, path, value.clone())?;
                                    description.updated_fields.insert(path, value.clone());
                                }
                            }
                            "$inc" => {
                                let sum = increment(get_path(&new, path), value, path)?;
                                set_path(&mut new, path, sum.clone())?;
                                description.updated_fields.insert(path, sum);
                            }
                            _ => {
                                if remove_path(&mut new, path) {
                                    description.removed_fields.push(path.clone());
                                }
                            }
                        }
                    }
                }
                Ok((new, Some(description)))
            }
        }
    }
}

fn immutable_id() -> CommandError {
    CommandError::new(
        66,
        "ImmutableField",
        "Performing an update on the path '_id' would modify the immutable field '_id'",
    )
}

/// Equality that also requires the same BSON type, so `$set` from 1 to 1.0
/// counts as a change, as MongoDB records it.
fn strictly_equal(a: &Bson, b: &Bson) -> bool {
    a.element_type() == b.element_type() && values_equal(a, b)
}

fn increment(current: Option<&Bson>, by: &Bson, path: &str) -> Result<Bson, CommandError> {
    let not_numeric =
        || CommandError::type_mismatch(format!("Cannot apply $inc to a value of non-numeric type at '{path}'"));
    Ok(match (current.unwrap_or(&Bson::Int32(0)), by) {
        (Bson::Int32(a), Bson::Int32(b)) => {
            a.checked_add(*b).map(Bson::Int32).unwrap_or(Bson::Int64(i64::from(*a) + i64::from(*b)))
        }
        (Bson::Int32(a), Bson::Int64(b)) => Bson::Int64(i64::from(*a).wrapping_add(*b)),
        (Bson::Int64(a), Bson::Int32(b)) => Bson::Int64(a.wrapping_add(i64::from(*b))),
        (Bson::Int64(a), Bson::Int64(b)) => Bson::Int64(a.wrapping_add(*b)),
        (
            a @ (Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_)),
            b @ (Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_)),
        ) => Bson::Double(to_f64(a) + to_f64(b)),
        _ => return Err(not_numeric()),
    })
}

fn to_f64(v: &Bson) -> f64 {
    match v {
        Bson::Int32(x) => f64::from(*x),
        Bson::Int64(x) => *x as f64,
        Bson::Double(x) => *x,
        _ => 0.0,
    }
}

/// MongoDB's limit on the nulls `$set` pads an array with.
const MAX_BACKFILL: usize = 1_500_000;

fn path_not_viable(path: &str) -> CommandError {
    CommandError::new(28, "PathNotViable", format!("Cannot create field in element at path '{path}'"))
}

/// Sets a dotted path, creating intermediate documents; numeric segments
/// index arrays, padding with nulls as MongoDB does.
fn set_path(doc: &mut Document, path: &str, value: Bson) -> Result<(), CommandError> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let Some(rest) = rest else {
        doc.insert(head, value);
        return Ok(());
    };
    let child = doc.entry(head.to_owned()).or_insert_with(|| Bson::Document(Document::new()));
    set_in_value(child, rest, value, path)
}

fn set_in_value(target: &mut Bson, rest: &str, value: Bson, full: &str) -> Result<(), CommandError> {
    match target {
        Bson::Document(d) => set_path(d, rest, value),
        Bson::Array(items) => {
            let (head, tail) = match rest.split_once('.') {
                Some((h, t)) => (h, Some(t)),
                None => (rest, None),
            };
            let index: usize = head.parse().map_err(|_| path_not_viable(full))?;
            if index >= items.len() + MAX_BACKFILL {
                return Err(CommandError::failed_to_parse(format!(
                    "can't backfill more than {MAX_BACKFILL} elements at '{full}'"
                )));
            }
            if index >= items.len() {
                items.resize(index + 1, Bson::Null);
            }
            match tail {
                None => {
                    items[index] = value;
                    Ok(())
                }
                Some(tail) => {
                    if matches!(items[index], Bson::Null) {
                        items[index] = Bson::Document(Document::new());
                    }
                    set_in_value(&mut items[index], tail, value, full)
                }
            }
        }
        _ => Err(path_not_viable(full)),
    }
}

/// Removes a dotted path; returns whether anything was there. Array
/// elements are set to null rather than removed, as `$unset` does.
fn remove_path(doc: &mut Document, path: &str) -> bool {
    match path.split_once('.') {
        None => doc.remove(path).is_some(),
        Some((head, rest)) => match doc.get_mut(head) {
            Some(Bson::Document(child)) => remove_path(child, rest),
            Some(Bson::Array(items)) => match rest.parse::<usize>() {
                Ok(i) if i < items.len() => {
                    items[i] = Bson::Null;
                    true
                }
                _ => false,
            },
            _ => false,
        },
    }
}

/// The document an upsert inserts: the query's equality fields, then the
/// update applied to them (https://www.mongodb.com/docs/manual/reference/method/db.collection.update/#upsert-behavior).
pub fn upsert_seed(query: &Document) -> Document {
    let mut seed = Document::new();
    for (k, v) in query {
        let is_operator = matches!(v, Bson::Document(d) if d.keys().next().is_some_and(|x| x.starts_with('$')));
        if !k.starts_with('$') && !is_operator {
            // Best effort for dotted equality paths.
            let _ = set_path(&mut seed, k, v.clone());
        }
    }
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_unset_report_only_what_changed() {
        let old = doc! { "_id": 1, "a": 1, "b": { "c": 2 }, "gone": true };
        let update = Update::parse(&Bson::Document(doc! {
            "$set": { "a": 1, "b.c": 3, "b.d": "new" },
            "$unset": { "gone": "", "never": "" },
        }))
        .unwrap();
        let (new, description) = update.apply(&old).unwrap();
        assert_eq!(new, doc! { "_id": 1, "a": 1, "b": { "c": 3, "d": "new" } });
        let description = description.unwrap();
        assert_eq!(description.updated_fields, doc! { "b.c": 3, "b.d": "new" });
        assert_eq!(description.removed_fields, vec!["gone".to_owned()]);
    }

    #[test]
    fn replacement_keeps_the_id_and_refuses_to_change_it() {
        let old = doc! { "_id": 7, "a": 1 };
        let (new, _) = Update::parse(&Bson::Document(doc! { "z": 2 })).unwrap().apply(&old).unwrap();
        assert_eq!(new, doc! { "_id": 7, "z": 2 });
        let err = Update::parse(&Bson::Document(doc! { "_id": 8 })).unwrap().apply(&old).unwrap_err();
        assert_eq!(err.code, 66);
    }
}
