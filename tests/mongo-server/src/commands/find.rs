//! `find` and `count` over a collection's documents in natural (insertion)
//! order unless sorted.

use bson::{Bson, Document, Timestamp, doc};

use super::cursors::{batch_size, first_batch};
use super::{Ctx, collection_arg, document_arg, number};
use crate::error::CommandError;
use crate::query::{matches, project, sort, truthy};

/// Documents of `db.coll` matching `filter`, in natural order, as they are
/// now or, for a point-in-time read, at cluster time `at`.
pub(super) fn matching(
    ctx: &Ctx<'_>,
    coll: &str,
    filter: &Document,
    at: Option<Timestamp>,
) -> Result<Vec<Document>, CommandError> {
    let state = ctx.shared.lock();
    let docs = match at {
        Some(at) => std::borrow::Cow::Owned(state.documents_at(&ctx.db, coll, at)?),
        None => match state.collection(&ctx.db, coll) {
            Some(collection) => std::borrow::Cow::Borrowed(&collection.docs),
            None => return Ok(Vec::new()),
        },
    };
    let mut out = Vec::new();
    for doc in docs.iter() {
        if matches(doc, filter)? {
            out.push(doc.clone());
        }
    }
    Ok(out)
}

/// The cluster time of a `readConcern: {level: "snapshot"}` read outside a
/// transaction: `atClusterTime` if given, else now
/// (https://www.mongodb.com/docs/manual/reference/read-concern-snapshot/).
fn snapshot_time(ctx: &Ctx<'_>, command: &Document) -> Result<Option<Timestamp>, CommandError> {
    let concern = document_arg(command, "readConcern")?;
    if ctx.txn.is_some() || concern.get_str("level").ok() != Some("snapshot") {
        return Ok(None);
    }
    match concern.get("atClusterTime") {
        None => Ok(Some(ctx.shared.lock().cluster_time())),
        Some(Bson::Timestamp(at)) => Ok(Some(*at)),
        Some(other) => Err(CommandError::type_mismatch(format!("atClusterTime must be a timestamp, not {other}"))),
    }
}

/// https://www.mongodb.com/docs/manual/reference/command/find/
pub(super) fn find(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let coll = collection_arg(command, "find")?;
    let filter = document_arg(command, "filter")?;
    let at = snapshot_time(ctx, command)?;
    let mut results = matching(ctx, coll, &filter, at)?;
    let sort_spec = document_arg(command, "sort")?;
    if !sort_spec.is_empty() {
        sort(&mut results, &sort_spec)?;
    }
    let skip = number(command, "skip")?.unwrap_or(0);
    if skip < 0 {
        return Err(CommandError::bad_value("skip value must be non-negative"));
    }
    results.drain(..(skip as usize).min(results.len()));
    // A negative limit is the legacy "one batch of at most |limit|".
    let limit = number(command, "limit")?.unwrap_or(0);
    let mut single_batch = command.get("singleBatch").is_some_and(truthy);
    if limit != 0 {
        results.truncate(limit.unsigned_abs() as usize);
        single_batch |= limit < 0;
    }
    let projection = document_arg(command, "projection")?;
    let results = results.iter().map(|d| project(d, &projection)).collect::<Result<Vec<_>, _>>()?;
    let size = batch_size(command, "batchSize")?;
    let ns = format!("{}.{coll}", ctx.db);
    let mut reply = first_batch(ctx, ns, results, size, single_batch);
    if let (Some(at), Ok(cursor)) = (at, reply.get_document_mut("cursor")) {
        cursor.insert("atClusterTime", at);
    }
    Ok(reply)
}

/// https://www.mongodb.com/docs/manual/reference/command/count/
pub(super) fn count(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let coll = collection_arg(command, "count")?;
    let query = document_arg(command, "query")?;
    let mut n = matching(ctx, coll, &query, None)?.len() as i64;
    n = (n - number(command, "skip")?.unwrap_or(0).max(0)).max(0);
    if let Some(limit) = number(command, "limit")?.filter(|&l| l != 0) {
        n = n.min(limit.abs());
    }
    Ok(doc! { "n": n as i32 })
}
