//! The stream endpoints of `$JS.API`: CREATE, UPDATE, INFO, DELETE, PURGE, NAMES, LIST,
//! MSG.GET and MSG.DELETE, with nats-server's checks (from [`crate::api`]) and replies.

use std::sync::Arc;

use crate::api::responses::{
    response_type as rt, MsgGetBody, StreamCreateBody, StreamInfoBody, StreamInfoRequest,
    StreamListBody, StreamNamesBody, StreamNamesRequest, StreamPurgeBody, SuccessBody, LIST_LIMIT,
    NAMES_LIMIT, SUBJECT_DETAILS_LIMIT,
};
use crate::api::{
    check_msg_delete, check_msg_get, check_purge, check_stream_config, check_stream_create,
    check_stream_update, check_stream_update_request, decode_request, is_empty_request,
    stream_subjects_overlap, subjects_collide, ApiError, ApiPaged, JsLimits, StorageType,
    StoredMsg, StreamConfig, Timestamp,
};
use crate::service::Answer;
use crate::stream::{now_nanos, store_limits, Stream};
use crate::{Ctx, JsAccount};

/// The stream endpoints, for one request.
pub struct StreamApi<'a> {
    /// Shared JetStream state.
    pub ctx: &'a Arc<Ctx>,
    /// The account.
    pub account: &'a Arc<JsAccount>,
}

impl StreamApi<'_> {
    fn domain(&self) -> Option<&str> {
        self.ctx.opts.domain.as_deref()
    }

    fn overlaps(&self, cfg: &StreamConfig) -> bool {
        self.account.all().iter().any(|s| {
            s.name != cfg.name && stream_subjects_overlap(&cfg.subjects, &s.config.read().subjects)
        })
    }

    /// nats-server's `jsNonClusteredStreamLimitsCheck` of a stream create's config as
    /// given: the account's stream count (a stream of the same name not counted), its
    /// consumer limit against the stream's, then the bytes its `max_bytes` would reserve
    /// (at least 1 when negative) beside the account's other streams' of that storage type,
    /// and beside every stream's against the server's limit.
    fn limits_check(&self, cfg: &StreamConfig) -> Result<(), ApiError> {
        let limits = &self.ctx.limits;
        let others = self
            .account
            .all()
            .iter()
            .filter(|s| s.name != cfg.name)
            .count();
        if limits.max_streams > 0 && i64::try_from(others).unwrap_or(i64::MAX) >= limits.max_streams
        {
            return Err(ApiError::maximum_streams_limit());
        }
        self.consumer_limit_check(cfg)?;
        let add = if cfg.max_bytes < 0 { 1 } else { cfg.max_bytes };
        self.reservation_check(cfg.storage, self.reserved_by_others(cfg), add)
    }

    /// nats-server's limits check of a stream update: the consumer limit, then only what
    /// a larger `max_bytes` adds to the reservations, against the account's limit (beside
    /// its other streams) and the server's (beside every stream, this one's old
    /// `max_bytes` included).
    fn update_limits_check(&self, old: &StreamConfig, new: &StreamConfig) -> Result<(), ApiError> {
        self.consumer_limit_check(new)?;
        let diff = (new.max_bytes.max(0) - old.max_bytes.max(0)).max(0);
        let reserved = self
            .reserved_by_others(new)
            .saturating_add(new.max_bytes.max(0) - diff);
        self.reservation_check(new.storage, reserved, diff)
    }

    /// A stream's `max_consumers` may not pass the account's.
    fn consumer_limit_check(&self, cfg: &StreamConfig) -> Result<(), ApiError> {
        let limits = &self.ctx.limits;
        if cfg.max_consumers > 0
            && limits.max_consumers > 0
            && cfg.max_consumers > limits.max_consumers
        {
            return Err(ApiError::maximum_consumers_limit());
        }
        Ok(())
    }

    /// What the account's other streams of `cfg`'s storage type reserve (`max_bytes`).
    fn reserved_by_others(&self, cfg: &StreamConfig) -> i64 {
        self.account
            .all()
            .iter()
            .filter(|s| s.name != cfg.name)
            .map(|s| s.config.read().clone())
            .filter(|c| c.storage == cfg.storage && c.max_bytes > 0)
            .map(|c| c.max_bytes)
            .fold(0i64, i64::saturating_add)
    }

    /// Whether `add` more reserved bytes of `storage` fit: beside `reserved` under the
    /// account's limit, and beside what every stream of every account reserves under the
    /// server's.
    fn reservation_check(
        &self,
        storage: StorageType,
        reserved: i64,
        add: i64,
    ) -> Result<(), ApiError> {
        let limits = &self.ctx.limits;
        let (limit, server_limit, exceeded): (i64, i64, fn() -> ApiError) = match storage {
            StorageType::Memory => (
                limits.max_memory,
                self.ctx.opts.max_memory,
                ApiError::memory_resources_exceeded,
            ),
            StorageType::File => (
                limits.max_storage,
                self.ctx.opts.max_file,
                ApiError::storage_resources_exceeded,
            ),
        };
        if limit >= 0 && (reserved > limit || add > limit - reserved) {
            return Err(exceeded());
        }
        let server_reserved = self.ctx.server_reserved()[crate::ingest::storage_index(storage)];
        if server_limit >= 0
            && (server_reserved > server_limit || add > server_limit - server_reserved)
        {
            return Err(exceeded());
        }
        Ok(())
    }

    /// STREAM.CREATE.
    pub fn create(&self, name: &str, body: &[u8]) -> Answer {
        let err = |e| Answer::err(rt::STREAM_CREATE, e);
        let cfg: StreamConfig = match decode_request(body) {
            Ok(c) => c,
            Err(e) => return err(e),
        };
        if let Err(e) = check_stream_create(name, &cfg) {
            return err(e);
        }
        if let Err(e) = self.limits_check(&cfg) {
            return err(e);
        }
        let cfg = match check_stream_config(&cfg, &JsLimits::default(), &self.ctx.limits) {
            Ok(c) => c,
            Err(e) => return err(e),
        };
        let _guard = self.account.admin.lock();
        if let Some(existing) = self.account.stream(name) {
            if *existing.config.read() != cfg {
                return err(ApiError::stream_name_exist());
            }
            // nats-server says `did_create` for an identical existing stream too.
            return Answer::ok(
                rt::STREAM_CREATE,
                StreamCreateBody {
                    info: existing.info(self.domain()),
                    did_create: true,
                },
            );
        }
        if self.overlaps(&cfg) {
            return err(ApiError::stream_subject_overlap());
        }
        let created = Timestamp::from(std::time::SystemTime::now());
        let stream = match Stream::open(
            cfg,
            created,
            &self.account.streams_dir,
            self.ctx.opts.sync,
            self.domain(),
            true,
        ) {
            Ok(s) => Arc::new(s),
            Err(e) => return err(ApiError::stream_create(e)),
        };
        if let Err(e) = self.ctx.attach(&stream) {
            return err(ApiError::stream_create(e));
        }
        self.account.insert(stream.clone());
        // The reply's state is taken first: a stream on `$JS.EVENT.>` stores its own
        // advisory after it, as on nats-server.
        let answer = Answer::ok(
            rt::STREAM_CREATE,
            StreamCreateBody {
                info: stream.info(self.domain()),
                did_create: true,
            },
        );
        crate::advisories::stream_action(self.ctx, name, crate::advisories::Action::Create);
        answer
    }

    /// STREAM.UPDATE.
    pub fn update(&self, name: &str, body: &[u8]) -> Answer {
        let err = |e| Answer::err(rt::STREAM_UPDATE, e);
        let cfg: StreamConfig = match decode_request(body) {
            Ok(c) => c,
            Err(e) => return err(e),
        };
        let cfg =
            match check_stream_update_request(name, &cfg, &JsLimits::default(), &self.ctx.limits) {
                Ok(c) => c,
                Err(e) => return err(e),
            };
        let _guard = self.account.admin.lock();
        let Some(stream) = self.account.stream(name) else {
            return err(ApiError::stream_not_found());
        };
        let old = stream.config.read().clone();
        let new = match check_stream_update(&old, &cfg) {
            Ok(c) => c,
            Err(e) => return err(e),
        };
        if let Err(e) = self.update_limits_check(&old, &new) {
            return err(e);
        }
        if self.overlaps(&new) {
            return err(ApiError::stream_subject_overlap());
        }
        {
            let mut st = stream.state.lock();
            let before = st.store.state().bytes;
            if let Err(e) = st.store.update_limits(store_limits(&new)) {
                return err(ApiError::stream_update(e));
            }
            let _ = st.store.expire(now_nanos());
            if new.duplicate_window.0 == 0 {
                st.dedup.clear();
            }
            let after = st.store.state().bytes;
            self.ctx.add_usage(new.storage, after, before);
        }
        stream.set_config(new.clone());
        if old.subjects != new.subjects || old.allow_direct != new.allow_direct {
            if let Err(e) = self.ctx.reattach(&stream) {
                return err(ApiError::stream_update(e));
            }
        }
        if let Err(e) = stream.save_config() {
            return err(ApiError::stream_update(e));
        }
        self.ctx.expiry_changed();
        let answer = Answer::ok(rt::STREAM_UPDATE, stream.info(self.domain()));
        crate::advisories::stream_action(self.ctx, name, crate::advisories::Action::Modify);
        answer
    }

    /// STREAM.INFO.
    pub fn info(&self, name: &str, body: &[u8]) -> Answer {
        let err = |e| Answer::err_with(rt::STREAM_INFO, e, ApiPaged::default());
        let req: StreamInfoRequest = if is_empty_request(body) {
            StreamInfoRequest::default()
        } else {
            match decode_request(body) {
                Ok(r) => r,
                Err(e) => return err(e),
            }
        };
        let Some(stream) = self.account.stream(name) else {
            return err(ApiError::stream_not_found());
        };
        let mut info = stream.info(self.domain());
        // Only STREAM.INFO names the leader (nats-server's create, update and list leave
        // `cluster` out on a single server).
        info.cluster = Some(self.ctx.cluster_info());
        let mut paged = ApiPaged::default();
        if !req.subjects_filter.is_empty() || req.deleted_details {
            let st = stream.state.lock();
            if req.deleted_details {
                info.state.deleted = st.store.deleted();
            }
            if !req.subjects_filter.is_empty() {
                let mut subjects = st.store.subjects_state(&req.subjects_filter);
                drop(st);
                // As nats-server: no paging fields when nothing matches, and the offset
                // echoed as asked even past the end.
                if !subjects.is_empty() {
                    subjects.sort_by(|a, b| a.0.cmp(&b.0));
                    let (p, range) =
                        ApiPaged::page(subjects.len(), req.offset, SUBJECT_DETAILS_LIMIT);
                    paged = ApiPaged {
                        offset: usize::try_from(req.offset).unwrap_or(0),
                        ..p
                    };
                    info.state.subjects = subjects[range]
                        .iter()
                        .map(|(s, ss)| (s.to_string(), ss.msgs))
                        .collect();
                }
            }
        }
        Answer::ok(rt::STREAM_INFO, StreamInfoBody { paged, info })
    }

    /// STREAM.DELETE.
    pub fn delete(&self, name: &str, body: &[u8]) -> Answer {
        let err = |e| Answer::err(rt::STREAM_DELETE, e);
        if !is_empty_request(body) {
            return err(ApiError::not_empty_request());
        }
        let _guard = self.account.admin.lock();
        let Some(stream) = self.account.remove(name) else {
            return err(ApiError::stream_not_found());
        };
        stream.stop();
        stream.consumers.clear();
        let bytes = stream.state.lock().store.state().bytes;
        self.ctx.add_usage(stream.config.read().storage, 0, bytes);
        if let Some(dir) = &stream.dir {
            if let Err(e) = std::fs::remove_dir_all(dir) {
                return err(ApiError::stream_delete(e));
            }
        }
        crate::advisories::stream_action(self.ctx, name, crate::advisories::Action::Delete);
        Answer::ok(rt::STREAM_DELETE, SuccessBody { success: true })
    }

    /// STREAM.PURGE.
    pub fn purge(&self, name: &str, body: &[u8]) -> Answer {
        let err = |e| Answer::err_with(rt::STREAM_PURGE, e, StreamPurgeBody::default());
        let Some(stream) = self.account.stream(name) else {
            return err(ApiError::stream_not_found());
        };
        let req = match check_purge(body) {
            Ok(r) => r,
            Err(e) => return err(e),
        };
        let cfg = stream.config.read();
        if cfg.sealed {
            return err(ApiError::stream_sealed());
        }
        if cfg.deny_purge {
            return err(ApiError::stream_purge_failed("stream purge not permitted"));
        }
        let mut st = stream.state.lock();
        let before = st.store.state().bytes;
        let filter = (!req.filter.is_empty()).then_some(req.filter.as_str());
        let result = st.store.purge(
            filter,
            (req.seq > 0).then_some(req.seq),
            (req.keep > 0).then_some(req.keep),
        );
        let result = result.and_then(|n| st.store.sync().map(|()| n));
        let after = st.store.state().bytes;
        self.ctx.add_usage(cfg.storage, after, before);
        let state = st.store.state();
        let moved = crate::consumer::purge::Purged {
            filter,
            first_seq: state.first_seq,
            filter_first: filter.map_or(state.first_seq, |f| {
                st.store
                    .next_matching_seq(state.first_seq, &[f])
                    .unwrap_or(0)
            }),
            last_seq: state.last_seq,
        };
        drop(st);
        drop(cfg);
        if result.is_ok() {
            crate::consumer::purge::purged(&stream, moved);
        }
        match result {
            Ok(purged) => Answer::ok(
                rt::STREAM_PURGE,
                StreamPurgeBody {
                    success: true,
                    purged,
                },
            ),
            Err(e) => err(ApiError::stream_purge_failed(e)),
        }
    }

    fn matching(&self, body: &[u8]) -> Result<(StreamNamesRequest, Vec<Arc<Stream>>), ApiError> {
        let req: StreamNamesRequest = if is_empty_request(body) {
            StreamNamesRequest::default()
        } else {
            decode_request(body)?
        };
        let mut streams = self.account.all();
        if !req.subject.is_empty() {
            streams.retain(|s| {
                s.config
                    .read()
                    .subjects
                    .iter()
                    .any(|subj| subjects_collide(subj, &req.subject))
            });
        }
        Ok((req, streams))
    }

    /// STREAM.NAMES.
    pub fn names(&self, body: &[u8]) -> Answer {
        let (req, streams) = match self.matching(body) {
            Ok(r) => r,
            Err(e) => {
                let body = StreamNamesBody {
                    paged: ApiPaged::default(),
                    streams: Some(Vec::new()),
                };
                return Answer::err_with(rt::STREAM_NAMES, e, body);
            }
        };
        let (paged, range) = ApiPaged::page(streams.len(), req.offset, NAMES_LIMIT);
        let names: Vec<String> = streams[range].iter().map(|s| s.name.clone()).collect();
        Answer::ok(
            rt::STREAM_NAMES,
            StreamNamesBody {
                paged,
                streams: (!names.is_empty()).then_some(names),
            },
        )
    }

    /// STREAM.LIST.
    pub fn list(&self, body: &[u8]) -> Answer {
        let (req, streams) = match self.matching(body) {
            Ok(r) => r,
            Err(e) => return Answer::err_with(rt::STREAM_LIST, e, StreamListBody::default()),
        };
        let (paged, range) = ApiPaged::page(streams.len(), req.offset, LIST_LIMIT);
        let infos = streams[range]
            .iter()
            .map(|s| s.info(self.domain()))
            .collect();
        Answer::ok(
            rt::STREAM_LIST,
            StreamListBody {
                paged,
                streams: infos,
                missing: Vec::new(),
            },
        )
    }

    /// STREAM.MSG.GET.
    pub fn msg_get(&self, name: &str, body: &[u8]) -> Answer {
        let err = |e| Answer::err(rt::STREAM_MSG_GET, e);
        let req = match check_msg_get(body) {
            Ok(r) => r,
            Err(e) => return err(e),
        };
        let Some(stream) = self.account.stream(name) else {
            return err(ApiError::stream_not_found());
        };
        let found = crate::direct::lookup(&stream, &req);
        match found {
            Ok(Some(m)) => Answer::ok(
                rt::STREAM_MSG_GET,
                MsgGetBody {
                    message: Some(StoredMsg {
                        subject: m.subject.to_string(),
                        seq: m.seq,
                        hdrs: m.headers.map(|h| h.to_vec()).unwrap_or_default(),
                        data: m.payload.to_vec(),
                        time: Timestamp::from_unix_nanos(m.ts),
                    }),
                },
            ),
            Ok(None) => err(ApiError::no_message_found()),
            Err(e) => err(ApiError::stream_general(e)),
        }
    }

    /// STREAM.MSG.DELETE.
    pub fn msg_delete(&self, name: &str, body: &[u8]) -> Answer {
        let err = |e| Answer::err(rt::STREAM_MSG_DELETE, e);
        let Some(stream) = self.account.stream(name) else {
            return err(ApiError::stream_not_found());
        };
        let req = match check_msg_delete(body) {
            Ok(r) => r,
            Err(e) => return err(e),
        };
        let cfg = stream.config.read();
        if cfg.sealed {
            return err(ApiError::stream_sealed());
        }
        if cfg.deny_delete {
            return err(ApiError::stream_msg_delete_failed(
                "message delete not permitted",
            ));
        }
        let mut st = stream.state.lock();
        if req.seq > st.store.state().last_seq {
            return err(ApiError::stream_msg_delete_failed("stream store EOF"));
        }
        let before = st.store.state().bytes;
        let removed = st
            .store
            .remove(req.seq, !req.no_erase)
            .and_then(|r| st.store.sync().map(|()| r));
        let after = st.store.state().bytes;
        self.ctx.add_usage(cfg.storage, after, before);
        match removed {
            Ok(true) => Answer::ok(rt::STREAM_MSG_DELETE, SuccessBody { success: true }),
            Ok(false) => err(ApiError::sequence_not_found(req.seq)),
            Err(e) => err(ApiError::stream_msg_delete_failed(e)),
        }
    }
}
