//! Payments: the ledger stored on SQLite or PostgreSQL (group commit), payment requests and
//! bank notifications. Work in progress: see the module files.

mod ledger_sql;
pub mod ledger_store;
