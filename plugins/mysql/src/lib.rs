//! Debezium-compatible MySQL and MariaDB change data capture, as a Weir
//! component.
//!
//! The connector speaks MySQL's client protocol itself through the worker's
//! connection interface: a query session for the snapshot and the catalog,
//! and a replication session reading the binlog. DDL in the binlog is parsed
//! into a schema history kept in the worker's key-value store. Events,
//! topics, offsets and configuration follow Debezium 3.x's MySQL and MariaDB
//! connectors; what all Debezium connectors share lives in `weir-debezium`.

pub mod catalog;
pub mod cell;
