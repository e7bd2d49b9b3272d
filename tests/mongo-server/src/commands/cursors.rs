//! Cursor batches, `getMore` (awaiting new events for change streams) and
//! `killCursors`.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bson::{Bson, Document, doc};

use super::{Ctx, collection_arg, number};
use crate::cursor::{Cursor, Source};
use crate::error::CommandError;

/// MongoDB's default first batch for `find` and `aggregate`.
pub(super) const DEFAULT_FIRST_BATCH: usize = 101;
/// A reply stays under the 16 MiB document limit.
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024 - 64 * 1024;
/// How long an awaitData getMore waits without `maxTimeMS`, as MongoDB does.
const DEFAULT_AWAIT: Duration = Duration::from_secs(1);
/// The longest a getMore waits, whatever `maxTimeMS` says.
const MAX_AWAIT: Duration = Duration::from_secs(600);

/// A batch size argument: `None` when absent, an error when negative.
pub(super) fn batch_size(options: &Document, field: &str) -> Result<Option<usize>, CommandError> {
    match number(options, field)? {
        None => Ok(None),
        Some(n) if n < 0 => Err(CommandError::bad_value(format!("{field} must be non-negative, but received: {n}"))),
        Some(n) => Ok(Some(n as usize)),
    }
}

/// The `cursor` sub-document of a reply: the batch, the resume token for
/// change streams, the id (0 once exhausted) and the namespace.
pub(super) fn cursor_reply(
    id: i64,
    ns: &str,
    first: bool,
    batch: Vec<Document>,
    post_batch_resume_token: Option<Document>,
) -> Document {
    let batch: Vec<Bson> = batch.into_iter().map(Bson::Document).collect();
    let mut cursor = Document::new();
    cursor.insert(if first { "firstBatch" } else { "nextBatch" }, batch);
    if let Some(token) = post_batch_resume_token {
        cursor.insert("postBatchResumeToken", token);
    }
    cursor.insert("id", id);
    cursor.insert("ns", ns);
    doc! { "cursor": cursor }
}

/// Takes up to `limit` documents (all when `None`), staying under the
/// reply size limit.
fn take_batch(queue: &mut VecDeque<Document>, limit: Option<usize>) -> Vec<Document> {
    let mut batch = Vec::new();
    let mut bytes = 0;
    while limit.is_none_or(|l| batch.len() < l) {
        let Some(next) = queue.front() else { break };
        let size = next.to_vec().map(|v| v.len()).unwrap_or(0);
        if !batch.is_empty() && bytes + size > MAX_BATCH_BYTES {
            break;
        }
        bytes += size;
        batch.extend(queue.pop_front());
    }
    batch
}

/// Replies with the first batch of a query result, opening a cursor for
/// the rest unless `single_batch`.
pub(super) fn first_batch(
    ctx: &mut Ctx<'_>,
    ns: String,
    results: Vec<Document>,
    size: Option<usize>,
    single_batch: bool,
) -> Document {
    let mut queue: VecDeque<Document> = results.into();
    let batch = take_batch(&mut queue, Some(size.unwrap_or(DEFAULT_FIRST_BATCH)));
    let id = if queue.is_empty() || single_batch {
        0
    } else {
        let owner = ctx.session.owner();
        ctx.shared.lock().cursors.open(Cursor { ns: ns.clone(), owner, source: Source::Documents(queue) })
    };
    cursor_reply(id, &ns, true, batch, None)
}

/// Continues a cursor. A change stream's getMore waits up to `maxTimeMS`
/// (default one second) for an event, then returns an empty batch with a
/// fresh `postBatchResumeToken`.
/// https://www.mongodb.com/docs/manual/reference/command/getMore/
pub(super) fn get_more(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let Some(Bson::Int64(id)) = command.get("getMore") else {
        return Err(CommandError::type_mismatch("Field 'getMore' must be of type long"));
    };
    let id = *id;
    let coll =
        command.get_str("collection").map_err(|_| CommandError::failed_to_parse("getMore needs a collection"))?;
    let limit = batch_size(command, "batchSize")?.filter(|&n| n > 0);
    let await_for = match number(command, "maxTimeMS")? {
        // Capped so a huge maxTimeMS cannot overflow the deadline.
        Some(ms) if ms > 0 => Duration::from_millis(ms as u64).min(MAX_AWAIT),
        _ => DEFAULT_AWAIT,
    };
    let deadline = Instant::now() + await_for;
    let ns = format!("{}.{coll}", ctx.db);
    let mut state = ctx.shared.lock();
    loop {
        let Some(mut cursor) = state.cursors.take(id) else {
            return Err(CommandError::cursor_not_found(id));
        };
        if cursor.ns != ns {
            let message = format!(
                "Requested getMore on namespace '{ns}', but cursor belongs to a different namespace {}",
                cursor.ns
            );
            state.cursors.restore(id, cursor);
            return Err(CommandError::unauthorized(message));
        }
        if !ctx.session.internal && cursor.owner != ctx.session.owner() {
            state.cursors.restore(id, cursor);
            return Err(CommandError::unauthorized(format!(
                "cursor id {id} was not created by the authenticated user"
            )));
        }
        match &mut cursor.source {
            Source::Documents(queue) => {
                let batch = take_batch(queue, limit);
                let exhausted = queue.is_empty();
                if !exhausted {
                    state.cursors.restore(id, cursor);
                }
                return Ok(cursor_reply(if exhausted { 0 } else { id }, &ns, false, batch, None));
            }
            Source::ChangeStream(stream) => {
                // On error the cursor stays closed, as MongoDB kills a
                // change stream cursor that fails.
                let batch = stream.next_batch(&state, limit.unwrap_or(usize::MAX))?;
                let waited_enough = Instant::now() >= deadline || ctx.shared.stopping.load(Ordering::SeqCst);
                if batch.events.is_empty() && !batch.invalidated && !waited_enough {
                    state.cursors.restore(id, cursor);
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    state = ctx.shared.wait(state, remaining);
                    continue;
                }
                let reply_id = if batch.invalidated {
                    0
                } else {
                    state.cursors.restore(id, cursor);
                    id
                };
                return Ok(cursor_reply(reply_id, &ns, false, batch.events, Some(batch.post_batch_resume_token)));
            }
        }
    }
}

/// https://www.mongodb.com/docs/manual/reference/command/killCursors/
pub(super) fn kill_cursors(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let coll = collection_arg(command, "killCursors")?;
    let ids = command.get_array("cursors").map_err(|_| CommandError::failed_to_parse("killCursors needs cursors"))?;
    let ns = format!("{}.{coll}", ctx.db);
    let mut state = ctx.shared.lock();
    let (mut killed, mut not_found) = (Vec::new(), Vec::new());
    for id in ids {
        let Bson::Int64(id) = id else {
            return Err(CommandError::type_mismatch("cursor ids must be longs"));
        };
        let ours = state.cursors.get(*id).is_some_and(|c| c.ns == ns);
        if ours && state.cursors.close(*id) {
            killed.push(Bson::Int64(*id));
        } else {
            not_found.push(Bson::Int64(*id));
        }
    }
    Ok(doc! {
        "cursorsKilled": killed,
        "cursorsNotFound": not_found,
        "cursorsAlive": [],
        "cursorsUnknown": [],
    })
}
