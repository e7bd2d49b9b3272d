//! `find` and `count` over a collection's documents in natural (insertion)
//! order unless sorted.

use bson::{Document, doc};

use super::cursors::{batch_size, first_batch};
use super::{Ctx, collection_arg, document_arg, number};
use crate::error::CommandError;
use crate::query::{matches, project, sort, truthy};

/// Documents of `db.coll` matching `filter`, in natural order.
pub(super) fn matching(ctx: &Ctx<'_>, coll: &str, filter: &Document) -> Result<Vec<Document>, CommandError> {
    let state = ctx.shared.lock();
    let Some(collection) = state.collection(&ctx.db, coll) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for doc in &collection.docs {
        if matches(doc, filter)? {
            out.push(doc.clone());
        }
    }
    Ok(out)
}

/// https://www.mongodb.com/docs/manual/reference/command/find/
pub(super) fn find(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let coll = collection_arg(command, "find")?;
    let filter = document_arg(command, "filter")?;
    let mut results = matching(ctx, coll, &filter)?;
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
    Ok(first_batch(ctx, ns, results, size, single_batch))
}

/// https://www.mongodb.com/docs/manual/reference/command/count/
pub(super) fn count(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let coll = collection_arg(command, "count")?;
    let query = document_arg(command, "query")?;
    let mut n = matching(ctx, coll, &query)?.len() as i64;
    n = (n - number(command, "skip")?.unwrap_or(0).max(0)).max(0);
    if let Some(limit) = number(command, "limit")?.filter(|&l| l != 0) {
        n = n.min(limit.abs());
    }
    Ok(doc! { "n": n as i32 })
}
