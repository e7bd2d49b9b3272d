//! The write commands. Each statement's effect lands in the change log with
//! its own cluster time; failures are reported per statement in
//! `writeErrors`, stopping at the first one when `ordered` (the default).

use bson::{Bson, Document, doc, oid::ObjectId};

use super::{Ctx, collection_arg, number};
use crate::error::CommandError;
use crate::query::{matches, truthy};
use crate::update::{Update, upsert_seed};

fn statements<'a>(command: &'a Document, field: &str) -> Result<Vec<&'a Document>, CommandError> {
    let Ok(items) = command.get_array(field) else {
        return Err(CommandError::failed_to_parse(format!("BSON field '{field}' is missing but a required field")));
    };
    items
        .iter()
        .map(|item| match item {
            Bson::Document(d) => Ok(d),
            _ => Err(CommandError::type_mismatch(format!("each entry of '{field}' must be an object"))),
        })
        .collect()
}

fn ordered(command: &Document) -> bool {
    command.get("ordered").is_none_or(truthy)
}

fn write_error(index: usize, error: &CommandError) -> Bson {
    Bson::Document(doc! { "index": index as i32, "code": error.code, "errmsg": &error.message })
}

fn with_write_errors(mut reply: Document, errors: Vec<Bson>) -> Document {
    if !errors.is_empty() {
        reply.insert("writeErrors", errors);
    }
    reply
}

/// https://www.mongodb.com/docs/manual/reference/command/insert/
pub(super) fn insert(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let coll = collection_arg(command, "insert")?;
    let documents = statements(command, "documents")?;
    let mut errors = Vec::new();
    let mut n = 0;
    {
        let mut state = ctx.write_lock();
        for (index, doc) in documents.into_iter().enumerate() {
            match state.insert(&ctx.db, coll, doc.clone()) {
                Ok(()) => n += 1,
                Err(e) => {
                    errors.push(write_error(index, &e));
                    if ordered(command) {
                        break;
                    }
                }
            }
        }
    }
    ctx.shared.changed.notify_all();
    Ok(with_write_errors(doc! { "n": n }, errors))
}

/// Updates with `$set`/`$unset`/`$inc` or a replacement, `multi` and `upsert`.
/// https://www.mongodb.com/docs/manual/reference/command/update/
pub(super) fn update(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let coll = collection_arg(command, "update")?;
    let updates = statements(command, "updates")?;
    let mut errors = Vec::new();
    let mut upserted = Vec::new();
    let (mut n, mut modified) = (0, 0);
    {
        let mut state = ctx.write_lock();
        for (index, statement) in updates.into_iter().enumerate() {
            let result = (|| -> Result<(i32, i32, Option<Bson>), CommandError> {
                let query = statement.get_document("q").map_err(|_| CommandError::failed_to_parse("update needs q"))?;
                let spec = statement.get("u").ok_or_else(|| CommandError::failed_to_parse("update needs u"))?;
                let update = Update::parse(spec)?;
                let multi = statement.get("multi").is_some_and(truthy);
                if multi && matches!(update, Update::Replacement(_)) {
                    return Err(CommandError::failed_to_parse(
                        "multi update is not supported for replacement-style update",
                    ));
                }
                let targets: Vec<Bson> = match state.collection(&ctx.db, coll) {
                    Some(c) => {
                        let mut ids = Vec::new();
                        for d in &c.docs {
                            if matches(d, query)? {
                                ids.push(d.get("_id").cloned().unwrap_or(Bson::Null));
                                if !multi {
                                    break;
                                }
                            }
                        }
                        ids
                    }
                    None => Vec::new(),
                };
                if targets.is_empty() {
                    if !statement.get("upsert").is_some_and(truthy) {
                        return Ok((0, 0, None));
                    }
                    let seed = upsert_seed(query);
                    let (mut new, _) = update.apply(&seed)?;
                    if !new.contains_key("_id") {
                        let mut with_id = doc! { "_id": ObjectId::new() };
                        with_id.extend(new);
                        new = with_id;
                    }
                    let id = new.get("_id").cloned().unwrap_or(Bson::Null);
                    state.insert(&ctx.db, coll, new)?;
                    return Ok((1, 0, Some(id)));
                }
                let (mut matched, mut changed) = (0, 0);
                for id in targets {
                    let Some(position) = state.collection(&ctx.db, coll).and_then(|c| c.position_of(&id)) else {
                        continue;
                    };
                    let old = state.collection(&ctx.db, coll).map(|c| c.docs[position].clone()).unwrap_or_default();
                    let (new, description) = update.apply(&old)?;
                    matched += 1;
                    if state.rewrite(&ctx.db, coll, position, new, description)? {
                        changed += 1;
                    }
                }
                Ok((matched, changed, None))
            })();
            match result {
                Ok((matched, changed, upserted_id)) => {
                    n += matched;
                    modified += changed;
                    if let Some(id) = upserted_id {
                        upserted.push(Bson::Document(doc! { "index": index as i32, "_id": id }));
                    }
                }
                Err(e) => {
                    errors.push(write_error(index, &e));
                    if ordered(command) {
                        break;
                    }
                }
            }
        }
    }
    ctx.shared.changed.notify_all();
    let mut reply = doc! { "n": n, "nModified": modified };
    if !upserted.is_empty() {
        reply.insert("upserted", upserted);
    }
    Ok(with_write_errors(reply, errors))
}

/// Deletes one (`limit: 1`) or all (`limit: 0`) matching documents.
/// https://www.mongodb.com/docs/manual/reference/command/delete/
pub(super) fn delete(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let coll = collection_arg(command, "delete")?;
    let deletes = statements(command, "deletes")?;
    let mut errors = Vec::new();
    let mut n = 0;
    {
        let mut state = ctx.write_lock();
        for (index, statement) in deletes.into_iter().enumerate() {
            let result = (|| -> Result<i32, CommandError> {
                let query = statement.get_document("q").map_err(|_| CommandError::failed_to_parse("delete needs q"))?;
                let limit =
                    number(statement, "limit")?.ok_or_else(|| CommandError::failed_to_parse("delete needs limit"))?;
                let mut ids = Vec::new();
                if let Some(c) = state.collection(&ctx.db, coll) {
                    for d in &c.docs {
                        if matches(d, query)? {
                            ids.push(d.get("_id").cloned().unwrap_or(Bson::Null));
                            if limit == 1 {
                                break;
                            }
                        }
                    }
                }
                let mut deleted = 0;
                for id in ids {
                    if let Some(position) = state.collection(&ctx.db, coll).and_then(|c| c.position_of(&id)) {
                        state.delete_at(&ctx.db, coll, position);
                        deleted += 1;
                    }
                }
                Ok(deleted)
            })();
            match result {
                Ok(deleted) => n += deleted,
                Err(e) => {
                    errors.push(write_error(index, &e));
                    if ordered(command) {
                        break;
                    }
                }
            }
        }
    }
    ctx.shared.changed.notify_all();
    Ok(with_write_errors(doc! { "n": n }, errors))
}
