//! Multi-document transactions as change streams see them
//! (https://www.mongodb.com/docs/manual/core/transactions/): a transaction's
//! writes reach the change log only at `commitTransaction`, together, at one
//! cluster time, each event carrying the session's `lsid` and the
//! `txnNumber`; `abortTransaction` undoes them.
//!
//! Simplification, fine for a CDC test double: the writes apply to the
//! documents at once, so other sessions read them before the commit (no
//! isolation) and concurrent writes to the same document are not refused
//! with `WriteConflict`.

use std::collections::HashMap;

use bson::{Binary, Bson, Document, doc, spec::BinarySubtype};
use sha2::{Digest, Sha256};

use crate::change_log::Change;
use crate::error::CommandError;
use crate::query::values_equal;

/// Identifies a transaction: the session id's bytes and the transaction number.
pub type TxnKey = (Vec<u8>, i64);

/// A change made inside a transaction, waiting for the commit.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Database name.
    pub db: String,
    /// Collection name.
    pub coll: String,
    /// What happened.
    pub change: Change,
    /// Whether the collection keeps pre- and post-images.
    pub images: bool,
}

/// One open transaction.
#[derive(Debug)]
pub struct Open {
    /// The `lsid` as change events show it: `{id, uid}`.
    pub lsid: Document,
    /// Its changes, in the order they were made.
    pub pending: Vec<Pending>,
}

/// The transaction fields of one command, when it runs inside a transaction.
#[derive(Debug, Clone)]
pub struct TxnArgs {
    /// Which transaction.
    pub key: TxnKey,
    /// The command starts it (`startTransaction: true`).
    pub start: bool,
    /// The `lsid` to record, with the user's digest as `uid`.
    pub lsid: Document,
}

/// Commands a transaction may run (the CRUD subset this server has).
const ALLOWED: [&str; 9] = [
    "insert",
    "update",
    "delete",
    "find",
    "getMore",
    "killCursors",
    "aggregate",
    "commitTransaction",
    "abortTransaction",
];

/// Reads `lsid`, `txnNumber`, `autocommit` and `startTransaction`; `None`
/// for a command outside any transaction.
pub fn args(name: &str, command: &Document, user: Option<&str>) -> Result<Option<TxnArgs>, CommandError> {
    let autocommit = command.get("autocommit");
    if autocommit.is_none() && !command.contains_key("startTransaction") {
        return Ok(None);
    }
    if autocommit != Some(&Bson::Boolean(false)) {
        return Err(CommandError::new(50768, "Location50768", "autocommit must be false when given"));
    }
    let id = match command.get_document("lsid").ok().and_then(|l| l.get("id")) {
        Some(Bson::Binary(Binary { bytes, .. })) => bytes.clone(),
        _ => return Err(CommandError::new(50768, "Location50768", "a transaction needs a session (lsid)")),
    };
    let number = match command.get("txnNumber") {
        Some(Bson::Int64(n)) => *n,
        _ => return Err(CommandError::bad_value("a transaction needs a txnNumber of type long")),
    };
    if !ALLOWED.contains(&name) {
        return Err(CommandError::new(
            263,
            "OperationNotSupportedInTransaction",
            format!("Cannot run '{name}' in a multi-document transaction."),
        ));
    }
    let start = match command.get("startTransaction") {
        None => false,
        Some(Bson::Boolean(true)) => true,
        Some(_) => return Err(CommandError::bad_value("startTransaction must be true when given")),
    };
    // MongoDB's `uid` is the SHA-256 of the authenticated user's name.
    let uid = Sha256::digest(user.unwrap_or("").as_bytes()).to_vec();
    let lsid = doc! {
        "id": Binary { subtype: BinarySubtype::Uuid, bytes: id.clone() },
        "uid": Binary { subtype: BinarySubtype::Generic, bytes: uid },
    };
    Ok(Some(TxnArgs { key: (id, number), start, lsid }))
}

/// The open transactions.
#[derive(Debug, Default)]
pub struct Transactions {
    open: HashMap<TxnKey, Open>,
}

impl Transactions {
    /// Starts a transaction, or checks that the one a command continues is open.
    pub fn enter(&mut self, args: &TxnArgs) -> Result<(), CommandError> {
        if args.start {
            if self.open.contains_key(&args.key) {
                return Err(CommandError::new(
                    225,
                    "TransactionTooOld",
                    format!("txnNumber {} has already been used in this session", args.key.1),
                ));
            }
            self.open.insert(args.key.clone(), Open { lsid: args.lsid.clone(), pending: Vec::new() });
            return Ok(());
        }
        if self.open.contains_key(&args.key) {
            return Ok(());
        }
        Err(no_such_transaction(args.key.1))
    }

    /// Records a change made inside `key`.
    pub fn add(&mut self, key: &TxnKey, pending: Pending) {
        if let Some(open) = self.open.get_mut(key) {
            open.pending.push(pending);
        }
    }

    /// Ends `key`, returning it (with its changes) for commit or undo.
    pub fn end(&mut self, key: &TxnKey) -> Result<Open, CommandError> {
        self.open.remove(key).ok_or_else(|| no_such_transaction(key.1))
    }

    /// Every change of every open transaction to `db.coll`, oldest first.
    pub fn pending_in<'a>(&'a self, db: &'a str, coll: &'a str) -> impl Iterator<Item = &'a Change> + 'a {
        self.open
            .values()
            .flat_map(|o| o.pending.iter())
            .filter(move |p| p.db == db && p.coll == coll)
            .map(|p| &p.change)
    }
}

fn no_such_transaction(number: i64) -> CommandError {
    CommandError::new(251, "NoSuchTransaction", format!("Transaction with txnNumber {number} is not open"))
        .with_label("TransientTransactionError")
}

/// Reverts one change in a collection's documents: what aborting a
/// transaction and reading at an earlier cluster time both need.
pub fn undo(docs: &mut Vec<Document>, change: &Change) {
    let index_of = |docs: &[Document], id: Option<&Bson>| {
        let id = id?;
        docs.iter().position(|d| d.get("_id").is_some_and(|v| values_equal(v, id)))
    };
    match change {
        Change::Insert { document } => {
            if let Some(i) = index_of(docs, document.get("_id")) {
                docs.remove(i);
            }
        }
        Change::Update { before, .. } | Change::Replace { before, .. } => {
            if let Some(i) = index_of(docs, before.get("_id")) {
                docs[i] = before.clone();
            }
        }
        Change::Delete { before, .. } => docs.push(before.clone()),
        Change::Drop => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_reverts_each_kind_of_change() {
        let mut docs = vec![doc! {"_id": 1, "v": 2}, doc! {"_id": 3}];
        undo(&mut docs, &Change::Insert { document: doc! {"_id": 3} });
        undo(&mut docs, &Change::Replace { before: doc! {"_id": 1, "v": 1}, after: doc! {"_id": 1, "v": 2} });
        undo(&mut docs, &Change::Delete { id: Bson::Int32(2), before: doc! {"_id": 2} });
        assert_eq!(docs, vec![doc! {"_id": 1, "v": 1}, doc! {"_id": 2}]);
    }

    #[test]
    fn commands_outside_transactions_have_no_args_and_inside_need_a_session() {
        assert!(args("insert", &doc! {"insert": "c"}, None).unwrap().is_none());
        let uuid = Binary { subtype: BinarySubtype::Uuid, bytes: vec![7; 16] };
        let inside = doc! {"insert": "c", "lsid": {"id": uuid.clone()}, "txnNumber": 4_i64, "autocommit": false, "startTransaction": true};
        let a = args("insert", &inside, Some("weir@admin")).unwrap().expect("inside a transaction");
        assert_eq!(a.key, (vec![7; 16], 4));
        assert!(a.start);
        assert!(args("insert", &doc! {"insert": "c", "autocommit": false, "txnNumber": 4_i64}, None).is_err());
        let create = doc! {"create": "c", "lsid": {"id": uuid}, "txnNumber": 4_i64, "autocommit": false};
        assert_eq!(args("create", &create, None).unwrap_err().code, 263);
        let mut open = Transactions::default();
        assert_eq!(open.enter(&TxnArgs { start: false, ..a.clone() }).unwrap_err().code, 251);
        open.enter(&a).unwrap();
        assert_eq!(open.enter(&a).unwrap_err().code, 225);
        assert!(open.end(&a.key).is_ok());
        assert!(open.end(&a.key).is_err());
    }
}
