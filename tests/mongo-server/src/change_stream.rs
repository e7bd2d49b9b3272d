//! Change streams: the `$changeStream` stage's options, a stream's reading
//! position, and rendering log entries as change events
//! (https://www.mongodb.com/docs/manual/reference/operator/aggregation/changeStream/,
//! https://www.mongodb.com/docs/manual/reference/change-events/).

use bson::{Bson, Document, doc};

use crate::change_log::{Change, Entry};
use crate::error::CommandError;
use crate::query::{matches, project, truthy};
use crate::resume_token::{Position, TokenKind};
use crate::store::State;

/// What a stream watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One collection (`aggregate: "<coll>"`).
    Collection {
        /// Database name.
        db: String,
        /// Collection name.
        coll: String,
    },
    /// Every collection of one database (`aggregate: 1`).
    Database {
        /// Database name.
        db: String,
    },
    /// Every database but admin, config and local (`aggregate: 1` on admin
    /// with `allChangesForCluster: true`).
    Deployment,
}

impl Scope {
    fn includes(&self, entry: &Entry) -> bool {
        match self {
            Self::Collection { db, coll } => entry.db == *db && entry.coll == *coll,
            Self::Database { db } => entry.db == *db,
            Self::Deployment => !matches!(entry.db.as_str(), "admin" | "config" | "local"),
        }
    }

    /// The namespace the cursor reports.
    pub fn cursor_ns(&self) -> String {
        match self {
            Self::Collection { db, coll } => format!("{db}.{coll}"),
            Self::Database { db } => format!("{db}.$cmd.aggregate"),
            Self::Deployment => "admin.$cmd.aggregate".to_owned(),
        }
    }
}

/// `fullDocument`: what update events carry as the document after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullDocument {
    /// Nothing for updates.
    Default,
    /// The document as it is when the event is read.
    UpdateLookup,
    /// The post-image if the collection records images, else null.
    WhenAvailable,
    /// The post-image, or error `NoMatchingDocument`.
    Required,
}

/// `fullDocumentBeforeChange`: whether events carry the pre-image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeforeChange {
    /// No pre-image.
    Off,
    /// The pre-image if recorded, else null.
    WhenAvailable,
    /// The pre-image, or error `NoMatchingDocument`.
    Required,
}

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Match(Document),
    Project(Document),
}

/// An open change stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeStream {
    scope: Scope,
    full_document: FullDocument,
    before_change: BeforeChange,
    /// Every log entry at or before this has been consumed.
    position: Position,
    stages: Vec<Stage>,
    invalidated: bool,
}

/// One batch read from a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The events.
    pub events: Vec<Document>,
    /// `postBatchResumeToken`: where the stream now stands.
    pub post_batch_resume_token: Document,
    /// The stream was invalidated; the cursor closes after this batch.
    pub invalidated: bool,
}

const SPEC_FIELDS: [&str; 7] = [
    "fullDocument",
    "fullDocumentBeforeChange",
    "resumeAfter",
    "startAfter",
    "startAtOperationTime",
    "allChangesForCluster",
    "showExpandedEvents",
];

impl ChangeStream {
    /// Opens a stream from an `aggregate` command whose pipeline starts with
    /// `$changeStream`, run on `db` against `target` (a collection name or 1).
    pub fn open(db: &str, target: &Bson, pipeline: &[Bson], state: &State) -> Result<Self, CommandError> {
        let spec = match pipeline.first() {
            Some(Bson::Document(stage)) => stage
                .get_document("$changeStream")
                .map_err(|_| CommandError::type_mismatch("$changeStream stage must be an object"))?,
            _ => return Err(CommandError::bad_value("pipeline must start with $changeStream")),
        };
        for key in spec.keys() {
            if !SPEC_FIELDS.contains(&key.as_str()) {
                return Err(CommandError::new(
                    40415,
                    "Location40415",
                    format!("BSON field '$changeStream.{key}' is an unknown field."),
                ));
            }
        }
        let all_changes = spec.get("allChangesForCluster").is_some_and(truthy);
        let scope = match target {
            Bson::String(coll) => {
                if all_changes {
                    return Err(wrong_namespace_for_cluster_stream());
                }
                Scope::Collection { db: db.to_owned(), coll: coll.clone() }
            }
            _ if all_changes => {
                if db != "admin" {
                    return Err(wrong_namespace_for_cluster_stream());
                }
                Scope::Deployment
            }
            _ if matches!(db, "admin" | "config" | "local") => {
                return Err(CommandError::new(
                    73,
                    "InvalidNamespace",
                    format!("$changeStream may not be opened on the internal {db} database"),
                ));
            }
            _ => Scope::Database { db: db.to_owned() },
        };
        let full_document = match spec.get("fullDocument") {
            None => FullDocument::Default,
            Some(Bson::String(s)) => match s.as_str() {
                "default" => FullDocument::Default,
                "updateLookup" => FullDocument::UpdateLookup,
                "whenAvailable" => FullDocument::WhenAvailable,
                "required" => FullDocument::Required,
                other => return Err(bad_enum("fullDocument", other)),
            },
            Some(_) => return Err(CommandError::type_mismatch("fullDocument must be a string")),
        };
        let before_change = match spec.get("fullDocumentBeforeChange") {
            None => BeforeChange::Off,
            Some(Bson::String(s)) => match s.as_str() {
                "off" => BeforeChange::Off,
                "whenAvailable" => BeforeChange::WhenAvailable,
                "required" => BeforeChange::Required,
                other => return Err(bad_enum("fullDocumentBeforeChange", other)),
            },
            Some(_) => return Err(CommandError::type_mismatch("fullDocumentBeforeChange must be a string")),
        };
        let position = start_position(spec, state)?;
        if !state.log.retains_everything_after(position) {
            return Err(history_lost());
        }
        let mut stages = Vec::new();
        for stage in &pipeline[1..] {
            let Bson::Document(stage) = stage else {
                return Err(CommandError::type_mismatch("each pipeline stage must be an object"));
            };
            let (name, argument) =
                stage.iter().next().ok_or_else(|| CommandError::bad_value("empty pipeline stage"))?;
            let argument = match argument {
                Bson::Document(d) => d.clone(),
                _ => return Err(CommandError::type_mismatch(format!("{name} argument must be an object"))),
            };
            stages.push(match name.as_str() {
                "$match" => Stage::Match(argument),
                "$project" => Stage::Project(argument),
                other => {
                    return Err(CommandError::bad_value(format!(
                        "{other} after $changeStream is not supported by this test server (only $match and $project)"
                    )));
                }
            });
        }
        Ok(Self { scope, full_document, before_change, position, stages, invalidated: false })
    }

    /// The namespace the cursor reports.
    pub fn cursor_ns(&self) -> String {
        self.scope.cursor_ns()
    }

    /// Reads up to `limit` events after the current position, without
    /// waiting. The position moves past every entry examined, matching or
    /// not, so the batch's resume token never makes a resumed stream
    /// re-read entries this one already skipped.
    pub fn next_batch(&mut self, state: &State, limit: usize) -> Result<Batch, CommandError> {
        let mut events = Vec::new();
        if !self.invalidated {
            if !state.log.retains_everything_after(self.position) {
                return Err(history_lost());
            }
            let mut cut_short = false;
            for entry in state.log.after(self.position) {
                if events.len() >= limit {
                    cut_short = true;
                    break;
                }
                if self.scope.includes(entry) {
                    if let Some(event) = self.render(entry, state)? {
                        events.push(event);
                    }
                    if entry.change == Change::Drop && matches!(self.scope, Scope::Collection { .. }) {
                        // A dropped collection ends a collection stream:
                        // `drop`, then `invalidate`, then the cursor closes.
                        let invalidate = Position { kind: TokenKind::Invalidate, ..entry.position };
                        events.push(doc! {
                            "_id": invalidate.to_token(),
                            "operationType": "invalidate",
                            "clusterTime": entry.position.cluster_time(),
                            "wallTime": entry.wall_time,
                        });
                        self.position = invalidate;
                        self.invalidated = true;
                        break;
                    }
                }
                self.position = entry.position;
            }
            if !cut_short && !self.invalidated {
                // Caught up: the high-water mark is the cluster time itself.
                self.position = self.position.max(Position::after_all_at(state.cluster_time()));
            }
        }
        Ok(Batch { events, post_batch_resume_token: self.position.to_token(), invalidated: self.invalidated })
    }

    /// The change event for `entry`, after the user's stages; `None` if
    /// a `$match` filtered it out.
    fn render(&self, entry: &Entry, state: &State) -> Result<Option<Document>, CommandError> {
        let operation_type = match entry.change {
            Change::Insert { .. } => "insert",
            Change::Update { .. } => "update",
            Change::Replace { .. } => "replace",
            Change::Delete { .. } => "delete",
            Change::Drop => "drop",
        };
        let mut event = doc! {
            "_id": entry.position.to_token(),
            "operationType": operation_type,
            "clusterTime": entry.position.cluster_time(),
            "wallTime": entry.wall_time,
        };
        let ns = doc! { "db": &entry.db, "coll": &entry.coll };
        let key = |id: &Bson| doc! { "_id": id.clone() };
        match &entry.change {
            Change::Insert { document } => {
                event.insert("fullDocument", document.clone());
                event.insert("ns", ns);
                event.insert("documentKey", key(document.get("_id").unwrap_or(&Bson::Null)));
            }
            Change::Update { id, description, before, after } => {
                event.insert("ns", ns);
                event.insert("documentKey", key(id));
                event.insert("updateDescription", description.to_document());
                match self.full_document {
                    FullDocument::Default => {}
                    FullDocument::UpdateLookup => {
                        let current = state
                            .collection(&entry.db, &entry.coll)
                            .and_then(|c| c.position_of(id).map(|i| Bson::Document(c.docs[i].clone())))
                            .unwrap_or(Bson::Null);
                        event.insert("fullDocument", current);
                    }
                    FullDocument::WhenAvailable | FullDocument::Required => {
                        let image =
                            self.image(entry, after, self.full_document == FullDocument::Required, "post", &event)?;
                        event.insert("fullDocument", image);
                    }
                }
                self.insert_pre_image(&mut event, entry, before)?;
            }
            Change::Replace { before, after } => {
                event.insert("fullDocument", after.clone());
                event.insert("ns", ns);
                event.insert("documentKey", key(after.get("_id").unwrap_or(&Bson::Null)));
                self.insert_pre_image(&mut event, entry, before)?;
            }
            Change::Delete { id, before } => {
                event.insert("ns", ns);
                event.insert("documentKey", key(id));
                self.insert_pre_image(&mut event, entry, before)?;
            }
            Change::Drop => {
                event.insert("ns", ns);
            }
        }
        if let Some((lsid, number)) = &entry.txn {
            event.insert("lsid", lsid.clone());
            event.insert("txnNumber", *number);
        }
        for stage in &self.stages {
            match stage {
                Stage::Match(filter) => {
                    if !matches(&event, filter)? {
                        return Ok(None);
                    }
                }
                Stage::Project(projection) => {
                    let token = event.get("_id").cloned();
                    event = project(&event, projection)?;
                    if event.get("_id") != token.as_ref() {
                        return Err(CommandError::new(
                            280,
                            "ChangeStreamFatalError",
                            "Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point.",
                        ));
                    }
                }
            }
        }
        Ok(Some(event))
    }

    fn insert_pre_image(&self, event: &mut Document, entry: &Entry, before: &Document) -> Result<(), CommandError> {
        if self.before_change != BeforeChange::Off {
            let image = self.image(entry, before, self.before_change == BeforeChange::Required, "pre", event)?;
            event.insert("fullDocumentBeforeChange", image);
        }
        Ok(())
    }

    /// A recorded image if the collection recorded images when the change
    /// happened; otherwise null, or error 47 when the stream requires it.
    fn image(
        &self,
        entry: &Entry,
        image: &Document,
        required: bool,
        which: &str,
        event: &Document,
    ) -> Result<Bson, CommandError> {
        if entry.images {
            return Ok(Bson::Document(image.clone()));
        }
        if required {
            return Err(CommandError::new(
                47,
                "NoMatchingDocument",
                format!(
                    "Change stream was configured to require a {which}-image for all update, delete and replace events, but the {which}-image was not found for event: {event}"
                ),
            ));
        }
        Ok(Bson::Null)
    }
}

fn start_position(spec: &Document, state: &State) -> Result<Position, CommandError> {
    let given: Vec<&str> =
        ["resumeAfter", "startAfter", "startAtOperationTime"].into_iter().filter(|k| spec.contains_key(*k)).collect();
    if given.len() > 1 {
        return Err(CommandError::new(
            40674,
            "Location40674",
            "Only one type of resume option is allowed, but multiple were found.",
        ));
    }
    if let Some(token) = spec.get("resumeAfter") {
        let position = Position::from_token(token)?;
        if position.kind == TokenKind::Invalidate {
            return Err(CommandError::new(
                260,
                "InvalidResumeToken",
                "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification.",
            ));
        }
        return Ok(position);
    }
    if let Some(token) = spec.get("startAfter") {
        return Position::from_token(token);
    }
    if let Some(at) = spec.get("startAtOperationTime") {
        let Bson::Timestamp(at) = at else {
            return Err(CommandError::type_mismatch("startAtOperationTime must be a timestamp"));
        };
        return Ok(Position::just_before(*at));
    }
    Ok(Position::after_all_at(state.cluster_time()))
}

fn history_lost() -> CommandError {
    CommandError::history_lost(
        "Resume of change stream was not possible, as the resume point may no longer be in the oplog.",
    )
}

fn wrong_namespace_for_cluster_stream() -> CommandError {
    CommandError::new(
        73,
        "InvalidNamespace",
        "$changeStream with allChangesForCluster:true must be run against the 'admin' database with {aggregate: 1}",
    )
}

fn bad_enum(field: &str, value: &str) -> CommandError {
    CommandError::bad_value(format!("'{value}' is not a valid value for $changeStream.{field}"))
}
