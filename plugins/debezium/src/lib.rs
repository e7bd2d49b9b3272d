//! What Weir's Debezium-compatible connectors share, so a consumer cannot
//! tell them from Debezium's: the change-event envelope and `source` block,
//! schema and topic names, include/exclude filters, transaction metadata,
//! heartbeats, SCRAM authentication, and value conversions (temporal, decimal, binary) whose
//! output matches Debezium's Connect schemas. JSON text in Java's format
//! comes from `weir-json`, re-exported as [`json`].

pub mod backoff;
pub mod binary;
pub mod config;
pub mod decimal;
pub mod envelope;
pub mod filters;
pub mod heartbeat;
pub mod keys;
pub mod scram;
pub mod source;
pub mod temporal;
pub mod topics;
pub mod transaction;

pub use weir_json as json;
