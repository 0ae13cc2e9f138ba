//! Halong: the application around the pure domain crates (`vietqr`, `identity`, …): storage,
//! HTTP API, web UI, imports and the demo province. See ARCHITECTURE.md for the map.

pub mod api;
pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod fees;
pub mod import;
pub mod indicators;
pub mod invoice_cli;
pub mod invoices;
pub mod metrics;
pub mod payments;
pub mod places;
pub mod qr;
pub mod receipts;
pub mod register;
pub mod scale;
pub mod server;
pub mod sim_bank;
pub mod sms;
pub mod tax;
pub mod text;
pub mod web;
