//! Black-box tests of the shop's HTTP API. Every test spawns the shop on a
//! random port with a fresh database; `db_tests!` runs each one on SQLite
//! and on MariaDB.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod accounts;
mod admin;
mod admin_batch;
mod admin_catalog;
mod admin_images;
mod admin_inventory;
mod admin_journey;
mod admin_notifications;
mod admin_orders;
mod audit;
mod carts;
mod catalog;
mod concurrency;
mod coupons;
mod errors;
mod events;
mod events_outage;
mod faults;
mod funnel;
mod images;
mod inventory;
mod openapi;
mod orders;
mod payments;
mod readback;
mod replay;
mod resilience;
mod reviews;
mod rum;
mod social;
mod split_services;
mod telemetry;
mod tracking;
mod web;
