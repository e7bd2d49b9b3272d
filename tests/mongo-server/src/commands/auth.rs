//! SCRAM authentication through `saslStart` and `saslContinue`
//! (https://www.mongodb.com/docs/manual/reference/command/saslStart/,
//! https://www.mongodb.com/docs/manual/core/security-scram/).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bson::{Binary, Bson, Document, doc, spec::BinarySubtype};

use super::Ctx;
use crate::error::CommandError;
use crate::scram::{ClientFirst, Conversation, Mechanism};
use crate::session::{Identity, PendingSasl};

fn payload(command: &Document) -> Result<Vec<u8>, CommandError> {
    match command.get("payload") {
        Some(Bson::Binary(b)) => Ok(b.bytes.clone()),
        // Some clients send the payload as a string.
        Some(Bson::String(s)) => Ok(s.clone().into_bytes()),
        _ => Err(CommandError::failed_to_parse("saslStart/saslContinue needs a binary payload")),
    }
}

fn binary(bytes: Vec<u8>) -> Binary {
    Binary { subtype: BinarySubtype::Generic, bytes }
}

/// Starts a SCRAM conversation: answers client-first with server-first.
/// https://www.mongodb.com/docs/manual/reference/command/saslStart/
pub(super) fn sasl_start(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let mechanism_name = command.get_str("mechanism").unwrap_or_default();
    let Some(mechanism) = Mechanism::from_name(mechanism_name) else {
        return Err(CommandError::new(
            334,
            "MechanismUnavailable",
            format!("Received authentication for mechanism {mechanism_name} which is not enabled"),
        ));
    };
    let client_first = ClientFirst::parse(&payload(command)?).map_err(|_| CommandError::authentication_failed())?;
    let Some(user) = ctx.shared.user(&ctx.db, &client_first.user) else {
        return Err(CommandError::authentication_failed());
    };
    let mut nonce_bytes = [0u8; 24];
    getrandom::fill(&mut nonce_bytes)
        .map_err(|_| CommandError::new(1, "InternalError", "no randomness for the SCRAM nonce"))?;
    let (conversation, server_first) =
        Conversation::start(&client_first, user.credentials(mechanism).clone(), &BASE64.encode(nonce_bytes));
    let skip_empty_exchange =
        command.get_document("options").is_ok_and(|o| o.get_bool("skipEmptyExchange").unwrap_or(false));
    let identity = Identity { name: user.name.clone(), db: user.db.clone() };
    let id = ctx.session.next_conversation_id();
    ctx.session.sasl.insert(id, PendingSasl { identity, conversation, verified: false, skip_empty_exchange });
    Ok(doc! { "conversationId": id, "done": false, "payload": binary(server_first) })
}

/// Continues a conversation: verifies client-final and answers server-final;
/// then, unless the client asked to skip it, one empty round closes it.
/// https://www.mongodb.com/docs/manual/reference/command/saslContinue/
pub(super) fn sasl_continue(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let id = match command.get("conversationId") {
        Some(Bson::Int32(id)) => *id,
        Some(Bson::Int64(id)) => *id as i32,
        _ => return Err(CommandError::failed_to_parse("saslContinue needs a conversationId")),
    };
    let Some(mut pending) = ctx.session.sasl.remove(&id) else {
        return Err(CommandError::new(17, "ProtocolError", "No SASL session state found"));
    };
    if pending.verified {
        ctx.session.identity = Some(pending.identity);
        return Ok(doc! { "conversationId": id, "done": true, "payload": binary(Vec::new()) });
    }
    let server_final = pending.conversation.finish(&payload(command)?).map_err(|e| {
        if ctx.shared.verbose {
            eprintln!("weir-mongo-server: SCRAM for {} failed: {e}", pending.identity.qualified());
        }
        CommandError::authentication_failed()
    })?;
    if pending.skip_empty_exchange {
        ctx.session.identity = Some(pending.identity);
        return Ok(doc! { "conversationId": id, "done": true, "payload": binary(server_final) });
    }
    pending.verified = true;
    ctx.session.sasl.insert(id, pending);
    Ok(doc! { "conversationId": id, "done": false, "payload": binary(server_final) })
}
