//! Databases and collections: listing, creating, dropping, and the
//! pre-/post-image option change streams read.

use bson::{Bson, Document, doc};

use super::{Ctx, collection_arg, document_arg};
use crate::error::CommandError;
use crate::query::{matches, truthy};
use crate::store::State;

fn approximate_size(docs: &[Document]) -> i64 {
    docs.iter().map(|d| d.to_vec().map(|v| v.len() as i64).unwrap_or(0)).sum()
}

/// Lists databases that hold collections. admin, config and local are not
/// listed: this server keeps no users, sharding metadata or oplog in them.
/// https://www.mongodb.com/docs/manual/reference/command/listDatabases/
pub(super) fn list_databases(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    if ctx.db != "admin" {
        return Err(CommandError::unauthorized("listDatabases may only be run against the admin database."));
    }
    let name_only = command.get("nameOnly").is_some_and(truthy);
    let filter = document_arg(command, "filter")?;
    let state = ctx.shared.lock();
    let mut databases = Vec::new();
    let mut total = 0;
    for (name, collections) in &state.databases {
        let size: i64 = collections.values().map(|c| approximate_size(&c.docs)).sum();
        let info = if name_only {
            doc! { "name": name }
        } else {
            doc! { "name": name, "sizeOnDisk": size, "empty": collections.values().all(|c| c.docs.is_empty()) }
        };
        if matches(&info, &filter)? {
            total += size;
            databases.push(Bson::Document(info));
        }
    }
    let mut reply = doc! { "databases": databases };
    if !name_only {
        reply.insert("totalSize", total);
        reply.insert("totalSizeMb", total / (1024 * 1024));
    }
    Ok(reply)
}

/// Lists a database's collections in one batch.
/// https://www.mongodb.com/docs/manual/reference/command/listCollections/
pub(super) fn list_collections(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let name_only = command.get("nameOnly").is_some_and(truthy);
    let filter = document_arg(command, "filter")?;
    let state = ctx.shared.lock();
    let mut batch = Vec::new();
    if let Some(collections) = state.databases.get(&ctx.db) {
        for (name, collection) in collections {
            let info = if name_only {
                doc! { "name": name, "type": "collection" }
            } else {
                let mut options = Document::new();
                if collection.pre_and_post_images {
                    options.insert("changeStreamPreAndPostImages", doc! { "enabled": true });
                }
                doc! {
                    "name": name,
                    "type": "collection",
                    "options": options,
                    "info": { "readOnly": false, "uuid": collection.uuid_bson() },
                    "idIndex": { "v": 2, "key": { "_id": 1 }, "name": "_id_" },
                }
            };
            if matches(&info, &filter)? {
                batch.push(Bson::Document(info));
            }
        }
    }
    Ok(doc! {
        "cursor": { "id": 0_i64, "ns": format!("{}.$cmd.listCollections", ctx.db), "firstBatch": batch },
    })
}

fn images_option(command: &Document) -> Result<Option<bool>, CommandError> {
    match command.get("changeStreamPreAndPostImages") {
        None => Ok(None),
        Some(Bson::Document(d)) => Ok(Some(d.get("enabled").is_some_and(truthy))),
        Some(_) => Err(CommandError::type_mismatch("changeStreamPreAndPostImages must be an object")),
    }
}

/// Creates a collection; only `changeStreamPreAndPostImages` among the
/// options has an effect.
/// https://www.mongodb.com/docs/manual/reference/command/create/
pub(super) fn create(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let name = collection_arg(command, "create")?;
    let images = images_option(command)?.unwrap_or(false);
    ctx.shared.lock().create_collection(&ctx.db, name, images)?;
    Ok(Document::new())
}

/// Turns pre- and post-images on or off.
/// https://www.mongodb.com/docs/manual/reference/command/collMod/
pub(super) fn coll_mod(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let name = collection_arg(command, "collMod")?;
    let mut state = ctx.shared.lock();
    let db = ctx.db.clone();
    let Some(collection) = state.databases.get_mut(&db).and_then(|c| c.get_mut(name)) else {
        return Err(CommandError::new(26, "NamespaceNotFound", format!("ns does not exist: {db}.{name}")));
    };
    if let Some(images) = images_option(command)? {
        collection.pre_and_post_images = images;
    }
    Ok(Document::new())
}

/// Drops a collection, logging a `drop` event. As of MongoDB 7.0 dropping a
/// missing collection succeeds.
/// https://www.mongodb.com/docs/manual/reference/command/drop/
pub(super) fn drop(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let name = collection_arg(command, "drop")?;
    let dropped = ctx.shared.lock().drop_collection(&ctx.db, name);
    ctx.shared.changed.notify_all();
    Ok(if dropped {
        doc! { "nIndexesWas": 1, "ns": format!("{}.{name}", ctx.db) }
    } else {
        Document::new()
    })
}

/// Drops every collection of the database, each with a `drop` event.
/// (MongoDB also emits `dropDatabase` and invalidates database streams;
/// this server does not.)
/// https://www.mongodb.com/docs/manual/reference/command/dropDatabase/
pub(super) fn drop_database(ctx: &mut Ctx<'_>, _command: &Document) -> Result<Document, CommandError> {
    let mut state = ctx.shared.lock();
    let names: Vec<String> = state.databases.get(&ctx.db).map(|c| c.keys().cloned().collect()).unwrap_or_default();
    for name in &names {
        State::drop_collection(&mut state, &ctx.db, name);
    }
    ctx.shared.changed.notify_all();
    Ok(doc! { "dropped": &ctx.db })
}
