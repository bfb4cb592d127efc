//! The consumer endpoints of `$JS.API`: CONSUMER.CREATE (every subject form),
//! CONSUMER.DURABLE.CREATE, INFO, DELETE, NAMES and LIST, with nats-server 2.10's checks in
//! its order (from [`crate::api::consumer_checks`]) and replies. CONSUMER.MSG.NEXT is served
//! by each consumer's own subscription ([`crate::consumer::handlers`]).

use std::sync::Arc;

use rand::Rng as _;

use crate::api::responses::{
    response_type as rt, ConsumerListBody, ConsumerNamesBody, ConsumersRequest, SuccessBody,
    LIST_LIMIT, NAMES_LIMIT,
};
use crate::api::{
    check_consumer_config, check_consumer_create, check_consumer_name, check_consumer_update,
    check_empty_request, check_workqueue_consumer, consumer_config_defaults,
    consumer_ephemeral_defaults, decode_request, is_empty_request, ApiError, ApiPaged, ApiRoute,
    ConsumerAction, ConsumerConfig, CreateConsumerRequest, JsLimits, Timestamp,
};
use crate::consumer::{start, Consumer};
use crate::service::Answer;
use crate::stream::Stream;
use crate::{Ctx, JsAccount};

/// The consumer endpoints, for one request.
pub struct ConsumerApi<'a> {
    /// Shared JetStream state.
    pub ctx: &'a Arc<Ctx>,
    /// The account.
    pub account: &'a Arc<JsAccount>,
}

/// A name for an unnamed ephemeral: 8 random letters and digits.
fn generated_name() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..8)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

impl ConsumerApi<'_> {
    /// CONSUMER.CREATE and CONSUMER.DURABLE.CREATE.
    pub fn create(&self, route: ApiRoute<'_>, body: &[u8]) -> Answer {
        let err = |e| Answer::err(rt::CONSUMER_CREATE, e);
        let mut req: CreateConsumerRequest = match decode_request(body) {
            Ok(r) => r,
            Err(e) => return err(e),
        };
        if let Err(e) = check_consumer_create(route, &mut req) {
            return err(e);
        }
        let Some(stream) = self.account.stream(&req.stream_name) else {
            return err(ApiError::stream_not_found());
        };
        let scfg = stream.config.read().clone();
        let (limits, account) = (JsLimits::default(), self.ctx.limits.clone());
        let mut cfg = req.config;
        consumer_config_defaults(&mut cfg, &scfg, &limits, &account);
        if let Err(e) = check_consumer_config(&cfg, &scfg, &limits, &account) {
            return err(e);
        }
        let _guard = self.account.admin.lock();
        let name = if cfg.is_durable() {
            cfg.durable_name.clone()
        } else {
            cfg.name.clone()
        };
        let all = stream.consumers.all();
        let other_cfgs: Vec<ConsumerConfig> = all
            .iter()
            .filter(|c| c.name != name)
            .map(|c| c.config())
            .collect();
        let others: Vec<&ConsumerConfig> = other_cfgs.iter().collect();
        if let Some(existing) = stream.consumers.get(&name).filter(|_| !name.is_empty()) {
            let old = existing.config();
            if req.action == ConsumerAction::Create && old != cfg {
                return err(ApiError::consumer_already_exists());
            }
            if let Err(e) = check_workqueue_consumer(&cfg, &scfg, &others) {
                return err(e);
            }
            let bound =
                !old.is_pull() && self.ctx.engine.has_interest(old.deliver_subject.as_bytes());
            if let Err(e) = check_consumer_update(&old, &cfg, bound) {
                return err(e);
            }
            if old != cfg {
                if !cfg.is_durable() && cfg.inactive_threshold.0 <= 0 {
                    cfg.inactive_threshold = old.inactive_threshold;
                }
                existing.set_config(cfg);
            }
            return Answer::ok(rt::CONSUMER_CREATE, existing.info());
        }
        if req.action == ConsumerAction::Update {
            return err(ApiError::consumer_does_not_exist());
        }
        // The stream's limit, or the account's when lower (nats-server's `maxc`).
        let mut maxc = scfg.max_consumers;
        if maxc <= 0 || (account.max_consumers > 0 && account.max_consumers < maxc) {
            maxc = account.max_consumers;
        }
        if maxc > 0 && i64::try_from(all.len()).unwrap_or(i64::MAX) >= maxc {
            return err(ApiError::maximum_consumers_limit());
        }
        if let Err(e) = check_workqueue_consumer(&cfg, &scfg, &others) {
            return err(e);
        }
        let name = if name.is_empty() {
            generated_name()
        } else {
            name
        };
        if let Err(e) = check_consumer_name(&cfg, &name) {
            return err(e);
        }
        consumer_ephemeral_defaults(&mut cfg);
        match self.add(&stream, name, cfg) {
            Ok(c) => {
                // The reply's state first (a consumer of a stream on `$JS.EVENT.>` does not
                // count its own advisory), then the advisory, then the reply.
                let answer = Answer::ok(rt::CONSUMER_CREATE, c.info());
                crate::advisories::consumer_action(&c, crate::advisories::Action::Create);
                answer
            }
            Err(e) => err(e),
        }
    }

    fn add(
        &self,
        stream: &Arc<Stream>,
        name: String,
        cfg: ConsumerConfig,
    ) -> Result<Arc<Consumer>, ApiError> {
        let st = {
            let guard = stream.state.lock();
            start::initial_state(cfg, &*guard.store)
        };
        let created = Timestamp::from(std::time::SystemTime::now());
        let c = Arc::new(Consumer::new(self.ctx.clone(), stream, name, created, st));
        c.save_meta().map_err(ApiError::consumer_store_failed)?;
        c.start().map_err(ApiError::consumer_create)?;
        stream.consumers.insert(c.clone());
        // The first deliveries come from the timer, so that the create reply (sent when
        // this returns) is usually first, as on nats-server.
        c.wake_timer();
        Ok(c)
    }

    /// CONSUMER.INFO.
    pub fn info(&self, stream: &str, consumer: &str, body: &[u8]) -> Answer {
        let err = |e| Answer::err(rt::CONSUMER_INFO, e);
        if let Err(e) = check_empty_request(body) {
            return err(e);
        }
        let Some(s) = self.account.stream(stream) else {
            return err(ApiError::stream_not_found());
        };
        match s.consumers.get(consumer) {
            Some(c) => Answer::ok(rt::CONSUMER_INFO, c.info()),
            None => err(ApiError::consumer_not_found()),
        }
    }

    /// CONSUMER.DELETE.
    pub fn delete(&self, stream: &str, consumer: &str, body: &[u8]) -> Answer {
        let err = |e| Answer::err(rt::CONSUMER_DELETE, e);
        if !is_empty_request(body) {
            return err(ApiError::not_empty_request());
        }
        let Some(s) = self.account.stream(stream) else {
            return err(ApiError::stream_not_found());
        };
        let _guard = self.account.admin.lock();
        let Some(c) = s.consumers.get(consumer) else {
            return err(ApiError::consumer_not_found());
        };
        s.consumers.remove(&c);
        c.delete();
        Answer::ok(rt::CONSUMER_DELETE, SuccessBody { success: true })
    }

    fn paged(&self, body: &[u8]) -> Result<ConsumersRequest, ApiError> {
        if is_empty_request(body) {
            Ok(ConsumersRequest::default())
        } else {
            decode_request(body)
        }
    }

    /// The page of stream `stream`'s consumers a NAMES or LIST request asks for.
    fn page(
        &self,
        stream: &str,
        body: &[u8],
        limit: usize,
    ) -> Result<(ApiPaged, Vec<Arc<Consumer>>), ApiError> {
        let req = self.paged(body)?;
        let s = self
            .account
            .stream(stream)
            .ok_or_else(ApiError::stream_not_found)?;
        let all = s.consumers.all();
        let (paged, range) = ApiPaged::page(all.len(), req.offset, limit);
        Ok((paged, all[range].to_vec()))
    }

    /// CONSUMER.NAMES.
    pub fn names(&self, stream: &str, body: &[u8]) -> Answer {
        match self.page(stream, body, NAMES_LIMIT) {
            Ok((paged, page)) => Answer::ok(
                rt::CONSUMER_NAMES,
                ConsumerNamesBody {
                    paged,
                    consumers: page.iter().map(|c| c.name.clone()).collect(),
                },
            ),
            Err(e) => Answer::err_with(rt::CONSUMER_NAMES, e, ConsumerNamesBody::default()),
        }
    }

    /// CONSUMER.LIST.
    pub fn list(&self, stream: &str, body: &[u8]) -> Answer {
        match self.page(stream, body, LIST_LIMIT) {
            Ok((paged, page)) => Answer::ok(
                rt::CONSUMER_LIST,
                ConsumerListBody {
                    paged,
                    consumers: page.iter().map(|c| c.info()).collect(),
                    missing: Vec::new(),
                },
            ),
            Err(e) => Answer::err_with(rt::CONSUMER_LIST, e, ConsumerListBody::default()),
        }
    }
}
