//! nats-server's `AccountStat`: one account's connections, subscriptions and message counts,
//! with its JSON field names. The body of the `CONNS` events and replies ([`super::conns`]),
//! and each entry of `/accstatz` and `$SYS.REQ.ACCOUNT.<account>.STATZ` (which the Python
//! layer serves from [`crate::monitor::account_statz`]).

use serde::Serialize;

use crate::account::Account;

/// `{"msgs": n, "bytes": n}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MsgBytes {
    /// Messages.
    pub msgs: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// nats-server's `DataStats`: the totals, and the parts that went through gateways, routes
/// and leaf nodes (always none here: fastnats runs one server without them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DataStats {
    /// Messages.
    pub msgs: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Through gateways.
    pub gateways: MsgBytes,
    /// Through routes.
    pub routes: MsgBytes,
    /// Through leaf nodes.
    pub leafs: MsgBytes,
}

impl DataStats {
    fn local(msgs: u64, bytes: u64) -> Self {
        DataStats {
            msgs,
            bytes,
            ..DataStats::default()
        }
    }
}

/// One account's figures, fields in nats-server's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountStat {
    /// The account's name.
    pub acc: String,
    /// Its name tag (the account JWT's name; else the account's name).
    pub name: String,
    /// Client connections now.
    pub conns: u64,
    /// Leaf node connections bound to it now.
    pub leafnodes: u64,
    /// `conns` + `leafnodes`.
    pub total_conns: u64,
    /// Subscriptions in its subject index (the system imports' too, as in nats-server).
    pub num_subscriptions: u64,
    /// Delivered to its subscribers.
    pub sent: DataStats,
    /// Published by its clients.
    pub received: DataStats,
    /// Its connections closed as slow consumers.
    pub slow_consumers: u64,
}

impl AccountStat {
    /// `account`'s figures now, with `leafnodes` leaf connections bound to it.
    pub fn of(account: &Account, leafnodes: u64) -> Self {
        let counts = account.stats.counts();
        let conns = account.connections();
        AccountStat {
            acc: account.name().to_string(),
            name: account.name_tag(),
            conns,
            leafnodes,
            total_conns: conns + leafnodes,
            num_subscriptions: account.index.count() as u64,
            sent: DataStats::local(counts.out_msgs, counts.out_bytes),
            received: DataStats::local(counts.in_msgs, counts.in_bytes),
            slow_consumers: counts.slow_consumers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_and_order_are_nats_servers() {
        let account = Account::new("A", false);
        account.stats.add_in(2, 10);
        account.stats.add_out(3, 15);
        account.stats.add_slow_consumer();
        assert!(account.try_join(-1));
        let json = serde_json::to_string(&AccountStat::of(&account, 0)).unwrap();
        let via = r#""gateways":{"msgs":0,"bytes":0},"routes":{"msgs":0,"bytes":0},"leafs":{"msgs":0,"bytes":0}"#;
        let expected = [
            r#"{"acc":"A","name":"A","conns":1,"leafnodes":0,"total_conns":1,"#,
            r#""num_subscriptions":0,"sent":{"msgs":3,"bytes":15,"#,
            via,
            r#"},"received":{"msgs":2,"bytes":10,"#,
            via,
            r#"},"slow_consumers":1}"#,
        ];
        assert_eq!(json, expected.concat());
    }
}
