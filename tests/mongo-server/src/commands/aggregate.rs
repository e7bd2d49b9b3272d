//! `aggregate`: change streams (a pipeline starting with `$changeStream`)
//! and a handful of stages over a collection.

use bson::{Bson, Document, doc};

use super::cursors::{DEFAULT_FIRST_BATCH, batch_size, cursor_reply, first_batch};
use super::find::matching;
use super::{Ctx, number};
use crate::change_stream::ChangeStream;
use crate::cursor::{Cursor, Source};
use crate::error::CommandError;
use crate::query::{get_path, matches, project, sort};

/// https://www.mongodb.com/docs/manual/reference/command/aggregate/
pub(super) fn aggregate(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let target = command.get("aggregate").cloned().unwrap_or(Bson::Null);
    let pipeline = command
        .get_array("pipeline")
        .map_err(|_| CommandError::type_mismatch("'pipeline' option must be specified as an array"))?;
    let Ok(cursor_options) = command.get_document("cursor") else {
        return Err(CommandError::failed_to_parse(
            "The 'cursor' option is required, except for aggregate with the explain argument",
        ));
    };
    let size = batch_size(cursor_options, "batchSize")?;
    let starts_with_change_stream =
        matches!(pipeline.first(), Some(Bson::Document(stage)) if stage.contains_key("$changeStream"));
    if starts_with_change_stream {
        return open_change_stream(ctx, &target, pipeline, size);
    }
    let Bson::String(coll) = &target else {
        return Err(CommandError::bad_value("aggregate: 1 is only supported with $changeStream by this test server"));
    };
    let mut docs = matching(ctx, coll, &Document::new(), None)?;
    for stage in pipeline {
        docs = apply_stage(docs, stage)?;
    }
    let ns = format!("{}.{coll}", ctx.db);
    Ok(first_batch(ctx, ns, docs, size, false))
}

/// Opens a change stream and returns its first batch: whatever is already
/// in the log after the start point, without waiting.
/// https://www.mongodb.com/docs/manual/reference/operator/aggregation/changeStream/
fn open_change_stream(
    ctx: &mut Ctx<'_>,
    target: &Bson,
    pipeline: &[Bson],
    size: Option<usize>,
) -> Result<Document, CommandError> {
    let owner = ctx.session.owner();
    let mut state = ctx.shared.lock();
    let mut stream = ChangeStream::open(&ctx.db, target, pipeline, &state)?;
    let batch = stream.next_batch(&state, size.unwrap_or(DEFAULT_FIRST_BATCH))?;
    let ns = stream.cursor_ns();
    let id = if batch.invalidated {
        0
    } else {
        state.cursors.open(Cursor { ns: ns.clone(), owner, source: Source::ChangeStream(Box::new(stream)) })
    };
    Ok(cursor_reply(id, &ns, true, batch.events, Some(batch.post_batch_resume_token)))
}

fn stage_argument<'a>(stage: &'a Document, name: &str) -> Result<&'a Document, CommandError> {
    stage.get_document(name).map_err(|_| CommandError::type_mismatch(format!("the {name} stage takes an object")))
}

fn apply_stage(mut docs: Vec<Document>, stage: &Bson) -> Result<Vec<Document>, CommandError> {
    let Bson::Document(stage) = stage else {
        return Err(CommandError::type_mismatch("each pipeline stage must be an object"));
    };
    let Some(name) = stage.keys().next() else {
        return Err(CommandError::bad_value("a pipeline stage specification object must contain exactly one field"));
    };
    match name.as_str() {
        "$match" => {
            let filter = stage_argument(stage, name)?;
            let mut kept = Vec::new();
            for d in docs {
                if matches(&d, filter)? {
                    kept.push(d);
                }
            }
            Ok(kept)
        }
        "$sort" => {
            sort(&mut docs, stage_argument(stage, name)?)?;
            Ok(docs)
        }
        "$project" => {
            let projection = stage_argument(stage, name)?;
            docs.iter().map(|d| project(d, projection)).collect()
        }
        "$skip" => {
            let n = number(stage, name)?.unwrap_or(0).max(0) as usize;
            docs.drain(..n.min(docs.len()));
            Ok(docs)
        }
        "$limit" => {
            let n = number(stage, name)?.unwrap_or(0);
            if n <= 0 {
                return Err(CommandError::bad_value("the limit must be positive"));
            }
            docs.truncate(n as usize);
            Ok(docs)
        }
        "$count" => {
            let field = stage.get_str(name).map_err(|_| CommandError::type_mismatch("$count takes a field name"))?;
            Ok(if docs.is_empty() { Vec::new() } else { vec![doc! { field: docs.len() as i32 }] })
        }
        "$group" => group(docs, stage_argument(stage, name)?),
        other => Err(CommandError::new(
            40324,
            "Location40324",
            format!(
                "Unrecognized pipeline stage name: '{other}' (this test server knows $match, $sort, $project, $skip, $limit, $count, $group)"
            ),
        )),
    }
}

/// `$group` with a constant `_id` and `$sum` accumulators: enough for
/// drivers' `countDocuments` (`{_id: 1, n: {$sum: 1}}`) and totals.
fn group(docs: Vec<Document>, spec: &Document) -> Result<Vec<Document>, CommandError> {
    let id = spec.get("_id").cloned().unwrap_or(Bson::Null);
    if matches!(&id, Bson::String(s) if s.starts_with('$')) {
        return Err(CommandError::bad_value("$group by a field is not supported by this test server"));
    }
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = doc! { "_id": id };
    for (field, accumulator) in spec.iter().filter(|(k, _)| k.as_str() != "_id") {
        let operand = match accumulator {
            Bson::Document(a) => a.get("$sum"),
            _ => None,
        }
        .ok_or_else(|| CommandError::bad_value(format!("only $sum is supported in $group ({field})")))?;
        let mut total_int: i64 = 0;
        let mut total_float = 0.0;
        let mut float = false;
        for d in &docs {
            let value = match operand {
                Bson::String(path) if path.starts_with('$') => get_path(d, &path[1..]).cloned().unwrap_or(Bson::Null),
                other => other.clone(),
            };
            match value {
                Bson::Int32(v) => total_int += i64::from(v),
                Bson::Int64(v) => total_int += v,
                Bson::Double(v) => {
                    float = true;
                    total_float += v;
                }
                _ => {}
            }
        }
        let total = if float {
            Bson::Double(total_float + total_int as f64)
        } else {
            i32::try_from(total_int).map(Bson::Int32).unwrap_or(Bson::Int64(total_int))
        };
        out.insert(field, total);
    }
    Ok(vec![out])
}
