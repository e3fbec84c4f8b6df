//! Sync Service: terminals push their event log (`syncPush`) and read
//! their stream's state; managers review conflicts, rejections and
//! anomalies (`syncIssues`).

mod feed;
pub mod graphql;
pub mod input;
mod pending;
pub mod pull;
pub mod push;
pub mod status;
