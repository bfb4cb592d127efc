//! Connection kinds.
//!
//! Every connection the engine serves is one [`crate::connection::Connection`]; its kind says
//! which protocol dialect its reader parses and how a message delivered to it is framed (see
//! [`crate::outbound::Outbound::push_msg`]). Delivery itself never asks for the kind: it
//! appends to the recipient's outbound queue and the queue frames the message in the
//! recipient's dialect. nats-server's other kinds (cluster routes, leaf nodes, internal
//! clients of JetStream and the system account) join this enum with their own reader and
//! framing; nothing else in the delivery path changes.

/// What is on the other end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A NATS client speaking the client protocol (`PUB`/`SUB`, `MSG`/`HMSG`).
    Client,
    /// Another server of the cluster, over a route (see [`crate::route`]): its subscriptions
    /// are the interest it announced (`RS+`), each with the account's name as its sid, and a
    /// message for it goes out once per route as `RMSG`/`HMSG` with the queue groups it was
    /// picked for (see [`crate::delivery`]).
    Route,
    /// A leaf node connection (see [`crate::leaf`]), bound to one account: like a route, its
    /// subscriptions are the interest the other side announced (`LS+`) and a message goes to
    /// it once per connection as `LMSG`/`HMSG` with the queue groups picked for it; unlike a
    /// route, messages pass on from it to routes and other leaf connections, and its queue
    /// members are chosen only when no local or route member can take a message.
    Leaf,
    /// The server's own clients (see [`crate::internal`]): the embedding application
    /// publishes and subscribes through them without a socket. They are never registered,
    /// so `/connz` does not list them; a message delivered to one is queued as a compact
    /// record that its delivery loop hands to the application in batches.
    Internal,
}

impl Kind {
    /// nats-server's name for the kind, as `/connz` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "Client",
            Kind::Route => "Router",
            Kind::Leaf => "Leafnode",
            Kind::Internal => "Internal",
        }
    }
}
