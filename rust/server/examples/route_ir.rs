//! Routes N messages to no subscriber through [`Delivery::route`], for counting the
//! instructions one route costs (deterministic where timings on a shared machine are not):
//!
//! ```sh
//! cargo build --release -p fastnats-server --example route_ir
//! for n in 100000 1100000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/route_ir $n [SUBJECTS] 2>&1 | grep Collected
//! done   # (second - first) / 1,000,000 = instructions per route
//! ```
//!
//! `SUBJECTS` (default 1) publishes round-robin to that many subjects (a publisher that
//! alternates misses the cache's last-subject fast path).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a measuring tool: a panic is the report

use std::hint::black_box;
use std::sync::Arc;

use fastnats_proto::Publish;
use fastnats_server::account::Account;
use fastnats_server::delivery::{Delivery, Origin};
use fastnats_server::stats::ServerStats;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(1_000_000, |a| a.parse().unwrap());
    let k: usize = args.next().map_or(1, |a| a.parse().unwrap());
    let account = Arc::new(Account::new("$G", true));
    let mut delivery = Delivery::new(Arc::new(ServerStats::default()));
    let payload = [b'x'; 128];
    let subjects: Vec<String> = (0..k).map(|i| format!("orders.new.{i}")).collect();
    let from = Origin { cid: 0, echo: true };
    let mut total = 0;
    for i in 0..n {
        let msg = Publish {
            subject: subjects[i % k].as_bytes(),
            reply: None,
            header_len: None,
            data: &payload,
            size_field: b"128",
            header_field: b"",
        };
        total += black_box(delivery.route(black_box(&account), from, black_box(&msg)));
    }
    println!("{total}");
}
