//! Query language subset shared by `find`, `count`, `delete`, `update`, the
//! `$match` stage and `listCollections`/`listDatabases` filters: BSON
//! comparison order, dotted paths, comparison and logical operators, sort
//! and top-level projection
//! (https://www.mongodb.com/docs/manual/reference/operator/query/,
//! https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/).

use std::cmp::Ordering;

use bson::{Bson, Document};

use crate::error::CommandError;

/// The rank of a type in MongoDB's cross-type comparison order; numbers of
/// every width share one rank, as do strings and symbols.
fn type_rank(value: &Bson) -> u8 {
    match value {
        Bson::MinKey => 0,
        Bson::Null | Bson::Undefined => 1,
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => 2,
        Bson::String(_) | Bson::Symbol(_) => 3,
        Bson::Document(_) => 4,
        Bson::Array(_) => 5,
        Bson::Binary(_) => 6,
        Bson::ObjectId(_) => 7,
        Bson::Boolean(_) => 8,
        Bson::DateTime(_) => 9,
        Bson::Timestamp(_) => 10,
        Bson::RegularExpression(_) => 11,
        Bson::DbPointer(_) => 12,
        Bson::JavaScriptCode(_) => 13,
        Bson::JavaScriptCodeWithScope(_) => 14,
        Bson::MaxKey => 15,
    }
}

fn as_f64(value: &Bson) -> f64 {
    match value {
        Bson::Int32(v) => f64::from(*v),
        Bson::Int64(v) => *v as f64,
        Bson::Double(v) => *v,
        Bson::Decimal128(d) => d.to_string().parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

/// Compares two values in BSON comparison order. Documents compare field by
/// field, names before values, so key order matters as it does in MongoDB.
pub fn compare(a: &Bson, b: &Bson) -> Ordering {
    let by_rank = type_rank(a).cmp(&type_rank(b));
    if by_rank != Ordering::Equal {
        return by_rank;
    }
    match (a, b) {
        (Bson::Int32(x), Bson::Int32(y)) => x.cmp(y),
        (Bson::Int64(x), Bson::Int64(y)) => x.cmp(y),
        (Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_), _) => as_f64(a).total_cmp(&as_f64(b)),
        (Bson::String(x) | Bson::Symbol(x), Bson::String(y) | Bson::Symbol(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Bson::Document(x), Bson::Document(y)) => compare_documents(x, y),
        (Bson::Array(x), Bson::Array(y)) => {
            for (l, r) in x.iter().zip(y) {
                let c = compare(l, r);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        (Bson::Binary(x), Bson::Binary(y)) => x
            .bytes
            .len()
            .cmp(&y.bytes.len())
            .then(u8::from(x.subtype).cmp(&u8::from(y.subtype)))
            .then(x.bytes.cmp(&y.bytes)),
        (Bson::ObjectId(x), Bson::ObjectId(y)) => x.bytes().cmp(&y.bytes()),
        (Bson::Boolean(x), Bson::Boolean(y)) => x.cmp(y),
        (Bson::DateTime(x), Bson::DateTime(y)) => x.cmp(y),
        (Bson::Timestamp(x), Bson::Timestamp(y)) => (x.time, x.increment).cmp(&(y.time, y.increment)),
        (Bson::RegularExpression(x), Bson::RegularExpression(y)) => {
            x.pattern.as_str().cmp(y.pattern.as_str()).then(x.options.as_str().cmp(y.options.as_str()))
        }
        // Same-rank pairs not listed (code, pointers) and the singletons.
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// Compares two documents in BSON order.
pub fn compare_documents(x: &Document, y: &Document) -> Ordering {
    for ((lk, lv), (rk, rv)) in x.iter().zip(y) {
        let c = type_rank(lv).cmp(&type_rank(rv)).then(lk.cmp(rk)).then_with(|| compare(lv, rv));
        if c != Ordering::Equal {
            return c;
        }
    }
    x.len().cmp(&y.len())
}

/// Whether two values are equal as MongoDB sees it (1 == 1.0; key order counts).
pub fn values_equal(a: &Bson, b: &Bson) -> bool {
    compare(a, b) == Ordering::Equal
}

/// The value at a dotted path; numeric segments index into arrays.
pub fn get_path<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut segments = path.split('.');
    let mut current = doc.get(segments.next()?)?;
    for segment in segments {
        current = match current {
            Bson::Document(d) => d.get(segment)?,
            Bson::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Whether `doc` matches the query `filter`.
pub fn matches(doc: &Document, filter: &Document) -> Result<bool, CommandError> {
    for (key, condition) in filter {
        let ok = match key.as_str() {
            "$and" => logical_operands(key, condition)?.iter().try_fold(true, |acc, f| Ok(acc && matches(doc, f)?))?,
            "$or" => logical_operands(key, condition)?.iter().try_fold(false, |acc, f| Ok(acc || matches(doc, f)?))?,
            "$nor" => {
                !logical_operands(key, condition)?.iter().try_fold(false, |acc, f| Ok(acc || matches(doc, f)?))?
            }
            k if k.starts_with('$') => {
                return Err(CommandError::bad_value(format!("unknown top level operator: {k}")));
            }
            path => field_matches(get_path(doc, path), condition)?,
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn logical_operands<'a>(op: &str, value: &'a Bson) -> Result<Vec<&'a Document>, CommandError> {
    let Bson::Array(items) = value else {
        return Err(CommandError::bad_value(format!("{op} must be an array")));
    };
    if items.is_empty() {
        return Err(CommandError::bad_value(format!("{op}/$or/$nor must be a nonempty array")));
    }
    items
        .iter()
        .map(|item| match item {
            Bson::Document(d) => Ok(d),
            _ => Err(CommandError::bad_value(format!("{op} argument's entries must be objects"))),
        })
        .collect()
}

fn is_operator_document(condition: &Bson) -> Option<&Document> {
    match condition {
        Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => Some(d),
        _ => None,
    }
}

/// Equality as a query means it: a missing field equals null, and an array
/// field matches if it equals the value or any element does.
fn equals(value: Option<&Bson>, expected: &Bson) -> bool {
    match value {
        None => matches!(expected, Bson::Null),
        Some(v) if values_equal(v, expected) => true,
        Some(Bson::Array(items)) => items.iter().any(|item| values_equal(item, expected)),
        Some(_) => false,
    }
}

fn compares(value: Option<&Bson>, operand: &Bson, accept: fn(Ordering) -> bool) -> bool {
    let check = |v: &Bson| type_rank(v) == type_rank(operand) && accept(compare(v, operand));
    match value {
        None => false,
        Some(Bson::Array(items)) if !matches!(operand, Bson::Array(_)) => items.iter().any(check),
        Some(v) => check(v),
    }
}

fn field_matches(value: Option<&Bson>, condition: &Bson) -> Result<bool, CommandError> {
    let Some(operators) = is_operator_document(condition) else {
        return Ok(equals(value, condition));
    };
    for (op, operand) in operators {
        let ok = match op.as_str() {
            "$eq" => equals(value, operand),
            "$ne" => !equals(value, operand),
            "$gt" => compares(value, operand, |o| o == Ordering::Greater),
            "$gte" => compares(value, operand, |o| o != Ordering::Less),
            "$lt" => compares(value, operand, |o| o == Ordering::Less),
            "$lte" => compares(value, operand, |o| o != Ordering::Greater),
            "$in" | "$nin" => {
                let Bson::Array(options) = operand else {
                    return Err(CommandError::bad_value(format!("{op} needs an array")));
                };
                let found = options.iter().any(|o| equals(value, o));
                if op == "$in" { found } else { !found }
            }
            "$exists" => value.is_some() == truthy(operand),
            "$not" => !field_matches(value, operand)?,
            other => return Err(CommandError::bad_value(format!("unknown operator: {other}"))),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// MongoDB's truthiness for flags given as numbers or booleans.
pub fn truthy(value: &Bson) -> bool {
    match value {
        Bson::Boolean(b) => *b,
        Bson::Int32(v) => *v != 0,
        Bson::Int64(v) => *v != 0,
        Bson::Double(v) => *v != 0.0,
        Bson::Null | Bson::Undefined => false,
        _ => true,
    }
}

/// Sorts by a `{field: 1 | -1, ...}` specification; missing fields sort as null.
pub fn sort(docs: &mut [Document], spec: &Document) -> Result<(), CommandError> {
    let mut keys = Vec::with_capacity(spec.len());
    for (path, direction) in spec {
        let descending = match direction {
            Bson::Int32(1) | Bson::Int64(1) => false,
            Bson::Double(d) if *d == 1.0 => false,
            Bson::Int32(-1) | Bson::Int64(-1) => true,
            Bson::Double(d) if *d == -1.0 => true,
            _ => return Err(CommandError::bad_value(format!("$sort key ordering must be 1 or -1, not {direction}"))),
        };
        keys.push((path.as_str(), descending));
    }
    docs.sort_by(|a, b| {
        for (path, descending) in &keys {
            let left = get_path(a, path).unwrap_or(&Bson::Null);
            let right = get_path(b, path).unwrap_or(&Bson::Null);
            let c = compare(left, right);
            if c != Ordering::Equal {
                return if *descending { c.reverse() } else { c };
            }
        }
        Ordering::Equal
    });
    Ok(())
}

/// Applies a top-level inclusion or exclusion projection (`_id` is kept
/// unless excluded). Dotted paths and expressions are not supported.
pub fn project(doc: &Document, projection: &Document) -> Result<Document, CommandError> {
    if projection.is_empty() {
        return Ok(doc.clone());
    }
    let mut include_id = true;
    let mut fields = Vec::new();
    let mut inclusion = None;
    for (field, value) in projection {
        if field.contains('.') || field.starts_with('$') || matches!(value, Bson::Document(_)) {
            return Err(CommandError::bad_value(format!("unsupported projection on '{field}' in this test server")));
        }
        if field == "_id" {
            include_id = truthy(value);
            continue;
        }
        let include = truthy(value);
        if inclusion.is_some_and(|i| i != include) {
            return Err(CommandError::new(31254, "Location31254", "Cannot do exclusion in inclusion projection"));
        }
        inclusion = Some(include);
        fields.push(field.as_str());
    }
    let mut out = Document::new();
    for (key, value) in doc {
        let keep = if key == "_id" {
            include_id
        } else {
            match inclusion {
                Some(true) => fields.contains(&key.as_str()),
                Some(false) => !fields.contains(&key.as_str()),
                None => true,
            }
        };
        if keep {
            out.insert(key, value.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use bson::doc;

    use super::*;

    #[test]
    fn numbers_compare_across_widths_and_types_follow_bson_order() {
        assert!(values_equal(&Bson::Int32(1), &Bson::Double(1.0)));
        assert_eq!(compare(&Bson::Int64(2), &Bson::Double(1.5)), Ordering::Greater);
        assert_eq!(compare(&Bson::Null, &Bson::Int32(0)), Ordering::Less);
        assert_eq!(compare(&Bson::String("a".into()), &Bson::Int32(9)), Ordering::Greater);
        assert_eq!(compare(&Bson::MaxKey, &Bson::Boolean(true)), Ordering::Greater);
    }

    #[test]
    fn filters_match_like_mongodb() {
        let d = doc! { "a": 5, "tags": ["x", "y"], "n": { "b": "q" } };
        assert!(matches(&d, &doc! { "a": 5.0 }).unwrap());
        assert!(matches(&d, &doc! { "tags": "y" }).unwrap());
        assert!(matches(&d, &doc! { "n.b": "q", "a": { "$gte": 5, "$lt": 6 } }).unwrap());
        assert!(matches(&d, &doc! { "missing": null }).unwrap());
        assert!(!matches(&d, &doc! { "a": { "$gt": "4" } }).unwrap());
        assert!(matches(&d, &doc! { "$or": [{ "a": 1 }, { "a": { "$in": [4, 5] } }] }).unwrap());
        assert!(matches(&d, &doc! { "missing": { "$exists": false } }).unwrap());
        assert!(matches(&d, &doc! { "a": { "$not": { "$gt": 5 } } }).unwrap());
    }
}
