//! `commitTransaction` and `abortTransaction`
//! (https://www.mongodb.com/docs/manual/reference/command/commitTransaction/).

use bson::Document;

use super::Ctx;
use crate::error::CommandError;

fn admin_only(ctx: &Ctx<'_>, name: &str) -> Result<crate::transaction::TxnKey, CommandError> {
    if ctx.db != "admin" {
        return Err(CommandError::unauthorized(format!("{name} may only be run against the admin database.")));
    }
    ctx.txn.clone().ok_or_else(|| CommandError::bad_value(format!("{name} must be run within a transaction")))
}

/// Publishes the transaction's changes to change streams, all at once.
pub(super) fn commit(ctx: &mut Ctx<'_>, _command: &Document) -> Result<Document, CommandError> {
    let key = admin_only(ctx, "commitTransaction")?;
    ctx.shared.lock().commit(&key)?;
    ctx.shared.changed.notify_all();
    Ok(Document::new())
}

/// Undoes the transaction's changes.
pub(super) fn abort(ctx: &mut Ctx<'_>, _command: &Document) -> Result<Document, CommandError> {
    let key = admin_only(ctx, "abortTransaction")?;
    ctx.shared.lock().abort(&key)?;
    Ok(Document::new())
}
