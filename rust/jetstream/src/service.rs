//! The `$JS.API` service: internal subscriptions ([`API_SUBJECTS`]) whose handler routes each request with
//! [`parse_api_subject`] and answers on its reply subject. Stream endpoints are in
//! [`crate::stream_api`]; DIRECT.GET is answered by the stream's own subscriptions
//! ([`crate::direct`]), so a stream without `allow_direct` means no responders, as in
//! nats-server.
//!
//! Consumer endpoints are in [`crate::consumer_api`]; CONSUMER.MSG.NEXT is answered by the
//! consumer's own subscription, so a consumer that does not exist means no responders.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use fastnats_server::internal::{InternalBatch, InternalHandler};

use crate::api::responses::{
    response_type as rt, ConsumerListBody, ConsumerNamesBody, StreamListBody, StreamNamesBody,
    StreamPurgeBody,
};
use crate::api::{
    parse_api_subject, AccountInfo, ApiError, ApiPaged, ApiResponse, ApiRoute, ApiStats,
    JetStreamTier, StorageType,
};
use crate::{Ctx, JsAccount};

/// What the API service subscribes: every `$JS.API` endpoint but DIRECT.GET and
/// CONSUMER.MSG.NEXT, which streams and consumers serve on their own subscriptions (so
/// that a stream without `allow_direct`, or a consumer that does not exist, means no
/// responders, as on nats-server). Disjoint: no request reaches the service twice.
pub const API_SUBJECTS: [&str; 15] = [
    "$JS.API.INFO",
    "$JS.API.STREAM.>",
    "$JS.API.CONSUMER.CREATE.>",
    "$JS.API.CONSUMER.DURABLE.>",
    "$JS.API.CONSUMER.NAMES.>",
    "$JS.API.CONSUMER.LIST.>",
    "$JS.API.CONSUMER.INFO.>",
    "$JS.API.CONSUMER.DELETE.>",
    "$JS.API.CONSUMER.LEADER.>",
    "$JS.API.CONSUMER.PAUSE.>",
    "$JS.API.CONSUMER.UNPIN.>",
    "$JS.API.CONSUMER.RESET.>",
    "$JS.API.META.>",
    "$JS.API.SERVER.>",
    "$JS.API.ACCOUNT.>",
];

/// The API handler.
pub struct ApiService {
    /// Shared JetStream state.
    pub ctx: Arc<Ctx>,
    /// The account served.
    pub account: Arc<JsAccount>,
}

/// An answer: the reply body and whether it is an error (for the `api.errors` count).
#[must_use]
pub struct Answer {
    /// The JSON.
    pub body: Vec<u8>,
    /// It carries an `error`.
    pub error: bool,
}

impl Answer {
    /// A success.
    pub fn ok<T: serde::Serialize>(kind: &'static str, body: T) -> Answer {
        Answer {
            body: ApiResponse::ok(kind, body).to_vec(),
            error: false,
        }
    }

    /// An error with only `type` and `error`.
    pub fn err(kind: &'static str, e: ApiError) -> Answer {
        Answer {
            body: ApiResponse::<()>::err(kind, e).to_vec(),
            error: true,
        }
    }

    /// An error with the zero body nats-server writes.
    pub fn err_with<T: serde::Serialize>(kind: &'static str, e: ApiError, body: T) -> Answer {
        Answer {
            body: ApiResponse::err_with(kind, e, body).to_vec(),
            error: true,
        }
    }
}

impl InternalHandler for ApiService {
    fn deliver(&self, batch: &InternalBatch) {
        for m in batch.iter() {
            let Ok(subject) = std::str::from_utf8(m.subject) else {
                continue;
            };
            let Some(route) = parse_api_subject(subject) else {
                continue;
            };
            if matches!(
                route,
                ApiRoute::DirectGet { .. }
                    | ApiRoute::DirectGetLastBySubject { .. }
                    | ApiRoute::ConsumerNext { .. }
            ) {
                // Served by the stream's (or consumer's) own subscription.
                continue;
            }
            let Some(reply) = m.reply else {
                // nats-server drops requests without a reply subject.
                continue;
            };
            self.account.api_total.fetch_add(1, Ordering::Relaxed);
            let answer = self.handle(route, m.payload);
            if let Some(a) = answer {
                if a.error {
                    self.account.api_errors.fetch_add(1, Ordering::Relaxed);
                }
                self.ctx.reply(reply, None, &a.body);
            }
        }
    }
}

impl ApiService {
    fn handle(&self, route: ApiRoute<'_>, body: &[u8]) -> Option<Answer> {
        let api = crate::stream_api::StreamApi {
            ctx: &self.ctx,
            account: &self.account,
        };
        let consumers = crate::consumer_api::ConsumerApi {
            ctx: &self.ctx,
            account: &self.account,
        };
        Some(match route {
            ApiRoute::AccountInfo => self.account_info(),
            ApiRoute::StreamCreate { stream } => api.create(stream, body),
            ApiRoute::StreamUpdate { stream } => api.update(stream, body),
            ApiRoute::StreamInfo { stream } => api.info(stream, body),
            ApiRoute::StreamDelete { stream } => api.delete(stream, body),
            ApiRoute::StreamPurge { stream } => api.purge(stream, body),
            ApiRoute::StreamNames => api.names(body),
            ApiRoute::StreamList => api.list(body),
            ApiRoute::StreamMsgGet { stream } => api.msg_get(stream, body),
            ApiRoute::StreamMsgDelete { stream } => api.msg_delete(stream, body),
            ApiRoute::ConsumerCreate { .. } | ApiRoute::ConsumerDurableCreate { .. } => {
                consumers.create(route, body)
            }
            ApiRoute::ConsumerInfo { stream, consumer } => consumers.info(stream, consumer, body),
            ApiRoute::ConsumerDelete { stream, consumer } => {
                consumers.delete(stream, consumer, body)
            }
            ApiRoute::ConsumerNames { stream } => consumers.names(stream, body),
            ApiRoute::ConsumerList { stream } => consumers.list(stream, body),
            ApiRoute::Unsupported(what) => Answer::err(
                rt::SYSTEM,
                ApiError::new(501, 10000, format!("{what} is not supported yet")),
            ),
            ApiRoute::DirectGet { .. }
            | ApiRoute::DirectGetLastBySubject { .. }
            | ApiRoute::ConsumerNext { .. } => return None,
        })
    }

    fn account_info(&self) -> Answer {
        let (mut memory, mut storage) = (0u64, 0u64);
        let streams = self.account.all();
        let consumers: usize = streams.iter().map(|s| s.consumers.len()).sum();
        for s in &streams {
            let bytes = s.state.lock().store.state().bytes;
            match s.config.read().storage {
                StorageType::Memory => memory += bytes,
                StorageType::File => storage += bytes,
            }
        }
        let reserved = self.account.reserved();
        let info = AccountInfo {
            usage: JetStreamTier {
                memory,
                storage,
                reserved_memory: u64::try_from(reserved[0]).unwrap_or(0),
                reserved_storage: u64::try_from(reserved[1]).unwrap_or(0),
                streams: i64::try_from(streams.len()).unwrap_or(i64::MAX),
                consumers: i64::try_from(consumers).unwrap_or(i64::MAX),
                limits: self.ctx.limits.clone(),
            },
            domain: self.ctx.opts.domain.clone().unwrap_or_default(),
            api: ApiStats {
                level: None,
                total: self.account.api_total.load(Ordering::Relaxed),
                errors: self.account.api_errors.load(Ordering::Relaxed),
                inflight: 0,
            },
            tiers: Default::default(),
        };
        Answer::ok(rt::ACCOUNT_INFO, info)
    }
}

/// What answers in an account JetStream does not serve (nats-server's answers when the
/// account is not enabled): 503 / 10039 on each endpoint, in its own response type with
/// the zero body nats-server writes. In the system account every `$JS.API` subject is
/// answered, as `system_response` but for INFO.
pub struct NotEnabled {
    /// The engine in that account.
    pub engine: fastnats_server::engine::InAccount,
    /// It is the system account.
    pub system: bool,
}

impl NotEnabled {
    /// The answer to `route` (`None`: none, as for DIRECT.GET outside the system account).
    #[must_use]
    pub fn answer(&self, route: Option<ApiRoute<'_>>) -> Option<Answer> {
        let e = ApiError::not_enabled_for_account;
        let route = match route {
            Some(ApiRoute::AccountInfo) => return Some(Answer::err(rt::ACCOUNT_INFO, e())),
            _ if self.system => return Some(Answer::err(rt::SYSTEM, e())),
            Some(r) => r,
            None => return None,
        };
        Some(match route {
            ApiRoute::AccountInfo => Answer::err(rt::ACCOUNT_INFO, e()),
            ApiRoute::StreamCreate { .. } => Answer::err(rt::STREAM_CREATE, e()),
            ApiRoute::StreamUpdate { .. } => Answer::err(rt::STREAM_UPDATE, e()),
            ApiRoute::StreamInfo { .. } => {
                Answer::err_with(rt::STREAM_INFO, e(), ApiPaged::default())
            }
            ApiRoute::StreamDelete { .. } => Answer::err(rt::STREAM_DELETE, e()),
            ApiRoute::StreamPurge { .. } => {
                Answer::err_with(rt::STREAM_PURGE, e(), StreamPurgeBody::default())
            }
            ApiRoute::StreamNames => {
                Answer::err_with(rt::STREAM_NAMES, e(), StreamNamesBody::default())
            }
            ApiRoute::StreamList => {
                Answer::err_with(rt::STREAM_LIST, e(), StreamListBody::default())
            }
            ApiRoute::StreamMsgGet { .. } => Answer::err(rt::STREAM_MSG_GET, e()),
            ApiRoute::StreamMsgDelete { .. } => Answer::err(rt::STREAM_MSG_DELETE, e()),
            ApiRoute::ConsumerCreate { .. } | ApiRoute::ConsumerDurableCreate { .. } => {
                Answer::err(rt::CONSUMER_CREATE, e())
            }
            ApiRoute::ConsumerInfo { .. } => Answer::err(rt::CONSUMER_INFO, e()),
            ApiRoute::ConsumerDelete { .. } => Answer::err(rt::CONSUMER_DELETE, e()),
            ApiRoute::ConsumerNames { .. } => {
                Answer::err_with(rt::CONSUMER_NAMES, e(), ConsumerNamesBody::default())
            }
            ApiRoute::ConsumerList { .. } => {
                Answer::err_with(rt::CONSUMER_LIST, e(), ConsumerListBody::default())
            }
            // What an account with JetStream answers too.
            ApiRoute::Unsupported(what) => Answer::err(
                rt::SYSTEM,
                ApiError::new(501, 10000, format!("{what} is not supported yet")),
            ),
            ApiRoute::DirectGet { .. }
            | ApiRoute::DirectGetLastBySubject { .. }
            | ApiRoute::ConsumerNext { .. } => return None,
        })
    }
}

impl InternalHandler for NotEnabled {
    fn deliver(&self, batch: &InternalBatch) {
        for m in batch.iter() {
            let Some(reply) = m.reply else { continue };
            let route = std::str::from_utf8(m.subject)
                .ok()
                .and_then(parse_api_subject);
            if let Some(a) = self.answer(route) {
                let _ = self.engine.publish(reply, None, None, &a.body);
            }
        }
    }
}
