//! Sync Service: terminals push their event log (`syncPush`) and read
//! their stream's state; managers review conflicts, rejections and
//! anomalies (`syncIssues`).

pub mod graphql;
pub mod input;
mod pending;
pub mod push;
pub mod status;
