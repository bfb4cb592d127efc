//! The table of nats-server's JetStream errors: for each, an `err_code` constant (in
//! [`err_code`]) and a constructor on [`ApiError`] named after nats-server's
//! `New<Constant>Error` in snake case, whose arguments fill the text's placeholders in
//! nats-server's order (sorted by name).
//!
//! Generated from nats-server v2.10.29's `server/errors.json` (plus two consumer errors of
//! 2.11+ that `consumer_checks` uses and the ingest's 429, marked) by a throwaway script; regenerate rather than
//! edit, and keep the texts byte for byte.

use std::fmt::Display;

use super::errors::ApiError;

/// Declares the `err_code` constants and the constructors from one list.
macro_rules! api_errors {
    ($($(#[$doc:meta])* $konst:ident $name:ident($($arg:ident),*) = $code:literal, $num:literal, $text:literal;)*) => {
        /// The `err_code` of every error nats-server 2.10 defines, named as its constants are
        /// (`JSStreamNotFoundErr` is [`STREAM_NOT_FOUND`](err_code::STREAM_NOT_FOUND)).
        pub mod err_code {
            $($(#[$doc])* pub const $konst: u16 = $num;)*
        }

        impl ApiError {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name($($arg: impl Display),*) -> Self {
                    let values: &[(&str, &dyn Display)] =
                        &[$((concat!("{", stringify!($arg), "}"), &$arg)),*];
                    Self::filled($code, $num, $text, values)
                }
            )*
        }
    };
}

api_errors! {
    /// `resource limits exceeded for account` (400, `JSAccountResourcesExceededErr`).
    ACCOUNT_RESOURCES_EXCEEDED account_resources_exceeded() = 400, 10002, "resource limits exceeded for account";
    /// `bad request` (400, `JSBadRequestErr`).
    BAD_REQUEST bad_request() = 400, 10003, "bad request";
    /// `incomplete results` (503, `JSClusterIncompleteErr`).
    CLUSTER_INCOMPLETE cluster_incomplete() = 503, 10004, "incomplete results";
    /// `{err}` (400, `JSClusterNoPeersErrF`).
    CLUSTER_NO_PEERS cluster_no_peers(err) = 400, 10005, "{err}";
    /// `JetStream not in clustered mode` (500, `JSClusterNotActiveErr`).
    CLUSTER_NOT_ACTIVE cluster_not_active() = 500, 10006, "JetStream not in clustered mode";
    /// `JetStream cluster not assigned to this server` (500, `JSClusterNotAssignedErr`).
    CLUSTER_NOT_ASSIGNED cluster_not_assigned() = 500, 10007, "JetStream cluster not assigned to this server";
    /// `JetStream system temporarily unavailable` (503, `JSClusterNotAvailErr`).
    CLUSTER_NOT_AVAIL cluster_not_avail() = 503, 10008, "JetStream system temporarily unavailable";
    /// `JetStream cluster can not handle request` (500, `JSClusterNotLeaderErr`).
    CLUSTER_NOT_LEADER cluster_not_leader() = 500, 10009, "JetStream cluster can not handle request";
    /// `peer not a member` (400, `JSClusterPeerNotMemberErr`).
    CLUSTER_PEER_NOT_MEMBER cluster_peer_not_member() = 400, 10040, "peer not a member";
    /// `JetStream clustering support required` (503, `JSClusterRequiredErr`).
    CLUSTER_REQUIRED cluster_required() = 503, 10010, "JetStream clustering support required";
    /// `server is not a member of the cluster` (400, `JSClusterServerNotMemberErr`).
    CLUSTER_SERVER_NOT_MEMBER cluster_server_not_member() = 400, 10044, "server is not a member of the cluster";
    /// `tags placement not supported for operation` (400, `JSClusterTagsErr`).
    CLUSTER_TAGS cluster_tags() = 400, 10011, "tags placement not supported for operation";
    /// `not currently supported in clustered mode` (503, `JSClusterUnSupportFeatureErr`).
    CLUSTER_UN_SUPPORT_FEATURE cluster_un_support_feature() = 503, 10036, "not currently supported in clustered mode";
    /// `consumer ack wait needs to be positive` (400, `JSConsumerAckWaitNegativeErr`). Since nats-server 2.11.
    CONSUMER_ACK_WAIT_NEGATIVE consumer_ack_wait_negative() = 400, 10183, "consumer ack wait needs to be positive";
    /// `consumer already exists` (400, `JSConsumerAlreadyExists`).
    CONSUMER_ALREADY_EXISTS consumer_already_exists() = 400, 10148, "consumer already exists";
    /// `consumer backoff needs to be positive` (400, `JSConsumerBackOffNegativeErr`). Since nats-server 2.11.
    CONSUMER_BACK_OFF_NEGATIVE consumer_back_off_negative() = 400, 10184, "consumer backoff needs to be positive";
    /// `durable name can not contain '.', '*', '>'` (400, `JSConsumerBadDurableNameErr`).
    CONSUMER_BAD_DURABLE_NAME consumer_bad_durable_name() = 400, 10103, "durable name can not contain '.', '*', '>'";
    /// `consumer config required` (400, `JSConsumerConfigRequiredErr`).
    CONSUMER_CONFIG_REQUIRED consumer_config_required() = 400, 10078, "consumer config required";
    /// `Consumer Durable and Name have to be equal if both are provided` (400, `JSConsumerCreateDurableAndNameMismatch`).
    CONSUMER_CREATE_DURABLE_AND_NAME_MISMATCH consumer_create_durable_and_name_mismatch() = 400, 10132, "Consumer Durable and Name have to be equal if both are provided";
    /// `{err}` (500, `JSConsumerCreateErrF`).
    CONSUMER_CREATE consumer_create(err) = 500, 10012, "{err}";
    /// `Consumer create request did not match filtered subject from create subject` (400, `JSConsumerCreateFilterSubjectMismatchErr`).
    CONSUMER_CREATE_FILTER_SUBJECT_MISMATCH consumer_create_filter_subject_mismatch() = 400, 10131, "Consumer create request did not match filtered subject from create subject";
    /// `consumer deliver subject forms a cycle` (400, `JSConsumerDeliverCycleErr`).
    CONSUMER_DELIVER_CYCLE consumer_deliver_cycle() = 400, 10081, "consumer deliver subject forms a cycle";
    /// `consumer deliver subject has wildcards` (400, `JSConsumerDeliverToWildcardsErr`).
    CONSUMER_DELIVER_TO_WILDCARDS consumer_deliver_to_wildcards() = 400, 10079, "consumer deliver subject has wildcards";
    /// `consumer description is too long, maximum allowed is {max}` (400, `JSConsumerDescriptionTooLongErrF`).
    CONSUMER_DESCRIPTION_TOO_LONG consumer_description_too_long(max) = 400, 10107, "consumer description is too long, maximum allowed is {max}";
    /// `consumer direct requires an ephemeral consumer` (400, `JSConsumerDirectRequiresEphemeralErr`).
    CONSUMER_DIRECT_REQUIRES_EPHEMERAL consumer_direct_requires_ephemeral() = 400, 10091, "consumer direct requires an ephemeral consumer";
    /// `consumer direct requires a push based consumer` (400, `JSConsumerDirectRequiresPushErr`).
    CONSUMER_DIRECT_REQUIRES_PUSH consumer_direct_requires_push() = 400, 10090, "consumer direct requires a push based consumer";
    /// `consumer does not exist` (400, `JSConsumerDoesNotExist`).
    CONSUMER_DOES_NOT_EXIST consumer_does_not_exist() = 400, 10149, "consumer does not exist";
    /// `consumer cannot have both FilterSubject and FilterSubjects specified` (400, `JSConsumerDuplicateFilterSubjects`).
    CONSUMER_DUPLICATE_FILTER_SUBJECTS consumer_duplicate_filter_subjects() = 400, 10136, "consumer cannot have both FilterSubject and FilterSubjects specified";
    /// `consumer expected to be durable but no durable name set in subject` (400, `JSConsumerDurableNameNotInSubjectErr`).
    CONSUMER_DURABLE_NAME_NOT_IN_SUBJECT consumer_durable_name_not_in_subject() = 400, 10016, "consumer expected to be durable but no durable name set in subject";
    /// `consumer name in subject does not match durable name in request` (400, `JSConsumerDurableNameNotMatchSubjectErr`).
    CONSUMER_DURABLE_NAME_NOT_MATCH_SUBJECT consumer_durable_name_not_match_subject() = 400, 10017, "consumer name in subject does not match durable name in request";
    /// `consumer expected to be durable but a durable name was not set` (400, `JSConsumerDurableNameNotSetErr`).
    CONSUMER_DURABLE_NAME_NOT_SET consumer_durable_name_not_set() = 400, 10018, "consumer expected to be durable but a durable name was not set";
    /// `consumer filter in FilterSubjects cannot be empty` (400, `JSConsumerEmptyFilter`).
    CONSUMER_EMPTY_FILTER consumer_empty_filter() = 400, 10139, "consumer filter in FilterSubjects cannot be empty";
    /// `consumer expected to be ephemeral but detected a durable name set in subject` (400, `JSConsumerEphemeralWithDurableInSubjectErr`).
    CONSUMER_EPHEMERAL_WITH_DURABLE_IN_SUBJECT consumer_ephemeral_with_durable_in_subject() = 400, 10019, "consumer expected to be ephemeral but detected a durable name set in subject";
    /// `consumer expected to be ephemeral but a durable name was set in request` (400, `JSConsumerEphemeralWithDurableNameErr`).
    CONSUMER_EPHEMERAL_WITH_DURABLE_NAME consumer_ephemeral_with_durable_name() = 400, 10020, "consumer expected to be ephemeral but a durable name was set in request";
    /// `consumer already exists and is still active` (400, `JSConsumerExistingActiveErr`).
    CONSUMER_EXISTING_ACTIVE consumer_existing_active() = 400, 10105, "consumer already exists and is still active";
    /// `consumer flow control requires a push based consumer` (400, `JSConsumerFCRequiresPushErr`).
    CONSUMER_FC_REQUIRES_PUSH consumer_fc_requires_push() = 400, 10089, "consumer flow control requires a push based consumer";
    /// `consumer filter subject is not a valid subset of the interest subjects` (400, `JSConsumerFilterNotSubsetErr`).
    CONSUMER_FILTER_NOT_SUBSET consumer_filter_not_subset() = 400, 10093, "consumer filter subject is not a valid subset of the interest subjects";
    /// `consumer idle heartbeat requires a push based consumer` (400, `JSConsumerHBRequiresPushErr`).
    CONSUMER_HB_REQUIRES_PUSH consumer_hb_requires_push() = 400, 10088, "consumer idle heartbeat requires a push based consumer";
    /// `consumer inactive threshold exceeds system limit of {limit}` (400, `JSConsumerInactiveThresholdExcess`).
    CONSUMER_INACTIVE_THRESHOLD_EXCESS consumer_inactive_threshold_excess(limit) = 400, 10153, "consumer inactive threshold exceeds system limit of {limit}";
    /// `invalid push consumer deliver subject` (400, `JSConsumerInvalidDeliverSubject`).
    CONSUMER_INVALID_DELIVER_SUBJECT consumer_invalid_deliver_subject() = 400, 10112, "invalid push consumer deliver subject";
    /// `{err}` (400, `JSConsumerInvalidPolicyErrF`).
    CONSUMER_INVALID_POLICY consumer_invalid_policy(err) = 400, 10094, "{err}";
    /// `failed to parse consumer sampling configuration: {err}` (400, `JSConsumerInvalidSamplingErrF`).
    CONSUMER_INVALID_SAMPLING consumer_invalid_sampling(err) = 400, 10095, "failed to parse consumer sampling configuration: {err}";
    /// `max deliver is required to be > length of backoff values` (400, `JSConsumerMaxDeliverBackoffErr`).
    CONSUMER_MAX_DELIVER_BACKOFF consumer_max_deliver_backoff() = 400, 10116, "max deliver is required to be > length of backoff values";
    /// `consumer max ack pending exceeds system limit of {limit}` (400, `JSConsumerMaxPendingAckExcessErrF`).
    CONSUMER_MAX_PENDING_ACK_EXCESS consumer_max_pending_ack_excess(limit) = 400, 10121, "consumer max ack pending exceeds system limit of {limit}";
    /// `consumer requires ack policy for max ack pending` (400, `JSConsumerMaxPendingAckPolicyRequiredErr`).
    CONSUMER_MAX_PENDING_ACK_POLICY_REQUIRED consumer_max_pending_ack_policy_required() = 400, 10082, "consumer requires ack policy for max ack pending";
    /// `consumer max request batch exceeds server limit of {limit}` (400, `JSConsumerMaxRequestBatchExceededF`).
    CONSUMER_MAX_REQUEST_BATCH_EXCEEDED consumer_max_request_batch_exceeded(limit) = 400, 10125, "consumer max request batch exceeds server limit of {limit}";
    /// `consumer max request batch needs to be > 0` (400, `JSConsumerMaxRequestBatchNegativeErr`).
    CONSUMER_MAX_REQUEST_BATCH_NEGATIVE consumer_max_request_batch_negative() = 400, 10114, "consumer max request batch needs to be > 0";
    /// `consumer max request expires needs to be >= 1ms` (400, `JSConsumerMaxRequestExpiresToSmall`).
    CONSUMER_MAX_REQUEST_EXPIRES_TO_SMALL consumer_max_request_expires_to_small() = 400, 10115, "consumer max request expires needs to be >= 1ms";
    /// `consumer max waiting needs to be positive` (400, `JSConsumerMaxWaitingNegativeErr`).
    CONSUMER_MAX_WAITING_NEGATIVE consumer_max_waiting_negative() = 400, 10087, "consumer max waiting needs to be positive";
    /// `consumer metadata exceeds maximum size of {limit}` (400, `JSConsumerMetadataLengthErrF`).
    CONSUMER_METADATA_LENGTH consumer_metadata_length(limit) = 400, 10135, "consumer metadata exceeds maximum size of {limit}";
    /// `consumer with multiple subject filters cannot use subject based API` (400, `JSConsumerMultipleFiltersNotAllowed`).
    CONSUMER_MULTIPLE_FILTERS_NOT_ALLOWED consumer_multiple_filters_not_allowed() = 400, 10137, "consumer with multiple subject filters cannot use subject based API";
    /// `Consumer name can not contain path separators` (400, `JSConsumerNameContainsPathSeparatorsErr`).
    CONSUMER_NAME_CONTAINS_PATH_SEPARATORS consumer_name_contains_path_separators() = 400, 10127, "Consumer name can not contain path separators";
    /// `consumer name already in use` (400, `JSConsumerNameExistErr`).
    CONSUMER_NAME_EXIST consumer_name_exist() = 400, 10013, "consumer name already in use";
    /// `consumer name is too long, maximum allowed is {max}` (400, `JSConsumerNameTooLongErrF`).
    CONSUMER_NAME_TOO_LONG consumer_name_too_long(max) = 400, 10102, "consumer name is too long, maximum allowed is {max}";
    /// `consumer not found` (404, `JSConsumerNotFoundErr`).
    CONSUMER_NOT_FOUND consumer_not_found() = 404, 10014, "consumer not found";
    /// `consumer is offline` (500, `JSConsumerOfflineErr`).
    CONSUMER_OFFLINE consumer_offline() = 500, 10119, "consumer is offline";
    /// `consumer direct on a mapped consumer` (400, `JSConsumerOnMappedErr`).
    CONSUMER_ON_MAPPED consumer_on_mapped() = 400, 10092, "consumer direct on a mapped consumer";
    /// `consumer subject filters cannot overlap` (400, `JSConsumerOverlappingSubjectFilters`).
    CONSUMER_OVERLAPPING_SUBJECT_FILTERS consumer_overlapping_subject_filters() = 400, 10138, "consumer subject filters cannot overlap";
    /// `consumer in pull mode requires a durable name` (400, `JSConsumerPullNotDurableErr`).
    CONSUMER_PULL_NOT_DURABLE consumer_pull_not_durable() = 400, 10085, "consumer in pull mode requires a durable name";
    /// `consumer in pull mode requires ack policy` (400, `JSConsumerPullRequiresAckErr`).
    CONSUMER_PULL_REQUIRES_ACK consumer_pull_requires_ack() = 400, 10084, "consumer in pull mode requires ack policy";
    /// `consumer in pull mode can not have rate limit set` (400, `JSConsumerPullWithRateLimitErr`).
    CONSUMER_PULL_WITH_RATE_LIMIT consumer_pull_with_rate_limit() = 400, 10086, "consumer in pull mode can not have rate limit set";
    /// `consumer in push mode can not set max waiting` (400, `JSConsumerPushMaxWaitingErr`).
    CONSUMER_PUSH_MAX_WAITING consumer_push_max_waiting() = 400, 10080, "consumer in push mode can not set max waiting";
    /// `consumer replacement durable config not the same` (400, `JSConsumerReplacementWithDifferentNameErr`).
    CONSUMER_REPLACEMENT_WITH_DIFFERENT_NAME consumer_replacement_with_different_name() = 400, 10106, "consumer replacement durable config not the same";
    /// `consumer config replica count exceeds parent stream` (400, `JSConsumerReplicasExceedsStream`).
    CONSUMER_REPLICAS_EXCEEDS_STREAM consumer_replicas_exceeds_stream() = 400, 10126, "consumer config replica count exceeds parent stream";
    /// `consumer config replicas must match interest retention stream's replicas` (400, `JSConsumerReplicasShouldMatchStream`).
    CONSUMER_REPLICAS_SHOULD_MATCH_STREAM consumer_replicas_should_match_stream() = 400, 10134, "consumer config replicas must match interest retention stream's replicas";
    /// `consumer idle heartbeat needs to be >= 100ms` (400, `JSConsumerSmallHeartbeatErr`).
    CONSUMER_SMALL_HEARTBEAT consumer_small_heartbeat() = 400, 10083, "consumer idle heartbeat needs to be >= 100ms";
    /// `error creating store for consumer: {err}` (500, `JSConsumerStoreFailedErrF`).
    CONSUMER_STORE_FAILED consumer_store_failed(err) = 500, 10104, "error creating store for consumer: {err}";
    /// `consumer must be deliver all on workqueue stream` (400, `JSConsumerWQConsumerNotDeliverAllErr`).
    CONSUMER_WQ_CONSUMER_NOT_DELIVER_ALL consumer_wq_consumer_not_deliver_all() = 400, 10101, "consumer must be deliver all on workqueue stream";
    /// `filtered consumer not unique on workqueue stream` (400, `JSConsumerWQConsumerNotUniqueErr`).
    CONSUMER_WQ_CONSUMER_NOT_UNIQUE consumer_wq_consumer_not_unique() = 400, 10100, "filtered consumer not unique on workqueue stream";
    /// `multiple non-filtered consumers not allowed on workqueue stream` (400, `JSConsumerWQMultipleUnfilteredErr`).
    CONSUMER_WQ_MULTIPLE_UNFILTERED consumer_wq_multiple_unfiltered() = 400, 10099, "multiple non-filtered consumers not allowed on workqueue stream";
    /// `workqueue stream requires explicit ack` (400, `JSConsumerWQRequiresExplicitAckErr`).
    CONSUMER_WQ_REQUIRES_EXPLICIT_ACK consumer_wq_requires_explicit_ack() = 400, 10098, "workqueue stream requires explicit ack";
    /// `consumer with flow control also needs heartbeats` (400, `JSConsumerWithFlowControlNeedsHeartbeats`).
    CONSUMER_WITH_FLOW_CONTROL_NEEDS_HEARTBEATS consumer_with_flow_control_needs_heartbeats() = 400, 10108, "consumer with flow control also needs heartbeats";
    /// `insufficient resources` (503, `JSInsufficientResourcesErr`).
    INSUFFICIENT_RESOURCES insufficient_resources() = 503, 10023, "insufficient resources";
    /// `invalid JSON` (400, `JSInvalidJSONErr`).
    INVALID_JSON invalid_json() = 400, 10025, "invalid JSON";
    /// `maximum consumers limit reached` (400, `JSMaximumConsumersLimitErr`).
    MAXIMUM_CONSUMERS_LIMIT maximum_consumers_limit() = 400, 10026, "maximum consumers limit reached";
    /// `maximum number of streams reached` (400, `JSMaximumStreamsLimitErr`).
    MAXIMUM_STREAMS_LIMIT maximum_streams_limit() = 400, 10027, "maximum number of streams reached";
    /// `insufficient memory resources available` (500, `JSMemoryResourcesExceededErr`).
    MEMORY_RESOURCES_EXCEEDED memory_resources_exceeded() = 500, 10028, "insufficient memory resources available";
    /// `{err}` (500, `JSMirrorConsumerSetupFailedErrF`).
    MIRROR_CONSUMER_SETUP_FAILED mirror_consumer_setup_failed(err) = 500, 10029, "{err}";
    /// `mirrored stream name is invalid` (400, `JSMirrorInvalidStreamName`).
    MIRROR_INVALID_STREAM_NAME mirror_invalid_stream_name() = 400, 10142, "mirrored stream name is invalid";
    /// `mirror subject filter is invalid` (400, `JSMirrorInvalidSubjectFilter`).
    MIRROR_INVALID_SUBJECT_FILTER mirror_invalid_subject_filter() = 400, 10151, "mirror subject filter is invalid";
    /// `stream mirror must have max message size >= source` (400, `JSMirrorMaxMessageSizeTooBigErr`).
    MIRROR_MAX_MESSAGE_SIZE_TOO_BIG mirror_max_message_size_too_big() = 400, 10030, "stream mirror must have max message size >= source";
    /// `mirror with multiple subject transforms cannot also have a single subject filter` (400, `JSMirrorMultipleFiltersNotAllowed`).
    MIRROR_MULTIPLE_FILTERS_NOT_ALLOWED mirror_multiple_filters_not_allowed() = 400, 10150, "mirror with multiple subject transforms cannot also have a single subject filter";
    /// `mirror subject filters can not overlap` (400, `JSMirrorOverlappingSubjectFilters`).
    MIRROR_OVERLAPPING_SUBJECT_FILTERS mirror_overlapping_subject_filters() = 400, 10152, "mirror subject filters can not overlap";
    /// `stream mirrors can not have first sequence configured` (400, `JSMirrorWithFirstSeqErr`).
    MIRROR_WITH_FIRST_SEQ mirror_with_first_seq() = 400, 10143, "stream mirrors can not have first sequence configured";
    /// `stream mirrors can not also contain other sources` (400, `JSMirrorWithSourcesErr`).
    MIRROR_WITH_SOURCES mirror_with_sources() = 400, 10031, "stream mirrors can not also contain other sources";
    /// `stream mirrors can not have both start seq and start time configured` (400, `JSMirrorWithStartSeqAndTimeErr`).
    MIRROR_WITH_START_SEQ_AND_TIME mirror_with_start_seq_and_time() = 400, 10032, "stream mirrors can not have both start seq and start time configured";
    /// `stream mirrors can not contain filtered subjects` (400, `JSMirrorWithSubjectFiltersErr`).
    MIRROR_WITH_SUBJECT_FILTERS mirror_with_subject_filters() = 400, 10033, "stream mirrors can not contain filtered subjects";
    /// `stream mirrors can not contain subjects` (400, `JSMirrorWithSubjectsErr`).
    MIRROR_WITH_SUBJECTS mirror_with_subjects() = 400, 10034, "stream mirrors can not contain subjects";
    /// `account not found` (503, `JSNoAccountErr`).
    NO_ACCOUNT no_account() = 503, 10035, "account not found";
    /// `no JetStream default or applicable tiered limit present` (400, `JSNoLimitsErr`).
    NO_LIMITS no_limits() = 400, 10120, "no JetStream default or applicable tiered limit present";
    /// `no message found` (404, `JSNoMessageFoundErr`).
    NO_MESSAGE_FOUND no_message_found() = 404, 10037, "no message found";
    /// `expected an empty request payload` (400, `JSNotEmptyRequestErr`).
    NOT_EMPTY_REQUEST not_empty_request() = 400, 10038, "expected an empty request payload";
    /// `JetStream not enabled` (503, `JSNotEnabledErr`).
    NOT_ENABLED not_enabled() = 503, 10076, "JetStream not enabled";
    /// `JetStream not enabled for account` (503, `JSNotEnabledForAccountErr`).
    NOT_ENABLED_FOR_ACCOUNT not_enabled_for_account() = 503, 10039, "JetStream not enabled for account";
    /// `peer remap failed` (503, `JSPeerRemapErr`).
    PEER_REMAP peer_remap() = 503, 10075, "peer remap failed";
    /// `{err}` (500, `JSRaftGeneralErrF`).
    RAFT_GENERAL raft_general(err) = 500, 10041, "{err}";
    /// `replicas count cannot be negative` (400, `JSReplicasCountCannotBeNegative`).
    REPLICAS_COUNT_CANNOT_BE_NEGATIVE replicas_count_cannot_be_negative() = 400, 10133, "replicas count cannot be negative";
    /// `JetStream unable to subscribe to restore snapshot {subject}: {err}` (500, `JSRestoreSubscribeFailedErrF`).
    RESTORE_SUBSCRIBE_FAILED restore_subscribe_failed(err, subject) = 500, 10042, "JetStream unable to subscribe to restore snapshot {subject}: {err}";
    /// `sequence {seq} not found` (400, `JSSequenceNotFoundErrF`).
    SEQUENCE_NOT_FOUND sequence_not_found(seq) = 400, 10043, "sequence {seq} not found";
    /// `deliver subject not valid` (400, `JSSnapshotDeliverSubjectInvalidErr`).
    SNAPSHOT_DELIVER_SUBJECT_INVALID snapshot_deliver_subject_invalid() = 400, 10015, "deliver subject not valid";
    /// `{err}` (500, `JSSourceConsumerSetupFailedErrF`).
    SOURCE_CONSUMER_SETUP_FAILED source_consumer_setup_failed(err) = 500, 10045, "{err}";
    /// `duplicate source configuration detected` (400, `JSSourceDuplicateDetected`).
    SOURCE_DUPLICATE_DETECTED source_duplicate_detected() = 400, 10140, "duplicate source configuration detected";
    /// `sourced stream name is invalid` (400, `JSSourceInvalidStreamName`).
    SOURCE_INVALID_STREAM_NAME source_invalid_stream_name() = 400, 10141, "sourced stream name is invalid";
    /// `source subject filter is invalid` (400, `JSSourceInvalidSubjectFilter`).
    SOURCE_INVALID_SUBJECT_FILTER source_invalid_subject_filter() = 400, 10145, "source subject filter is invalid";
    /// `source transform destination is invalid` (400, `JSSourceInvalidTransformDestination`).
    SOURCE_INVALID_TRANSFORM_DESTINATION source_invalid_transform_destination() = 400, 10146, "source transform destination is invalid";
    /// `stream source must have max message size >= target` (400, `JSSourceMaxMessageSizeTooBigErr`).
    SOURCE_MAX_MESSAGE_SIZE_TOO_BIG source_max_message_size_too_big() = 400, 10046, "stream source must have max message size >= target";
    /// `source with multiple subject transforms cannot also have a single subject filter` (400, `JSSourceMultipleFiltersNotAllowed`).
    SOURCE_MULTIPLE_FILTERS_NOT_ALLOWED source_multiple_filters_not_allowed() = 400, 10144, "source with multiple subject transforms cannot also have a single subject filter";
    /// `source filters can not overlap` (400, `JSSourceOverlappingSubjectFilters`).
    SOURCE_OVERLAPPING_SUBJECT_FILTERS source_overlapping_subject_filters() = 400, 10147, "source filters can not overlap";
    /// `insufficient storage resources available` (500, `JSStorageResourcesExceededErr`).
    STORAGE_RESOURCES_EXCEEDED storage_resources_exceeded() = 500, 10047, "insufficient storage resources available";
    /// `{err}` (500, `JSStreamAssignmentErrF`).
    STREAM_ASSIGNMENT stream_assignment(err) = 500, 10048, "{err}";
    /// `{err}` (500, `JSStreamCreateErrF`).
    STREAM_CREATE stream_create(err) = 500, 10049, "{err}";
    /// `{err}` (500, `JSStreamDeleteErrF`).
    STREAM_DELETE stream_delete(err) = 500, 10050, "{err}";
    /// `stream external api prefix {prefix} must not overlap with {subject}` (400, `JSStreamExternalApiOverlapErrF`).
    STREAM_EXTERNAL_API_OVERLAP stream_external_api_overlap(prefix, subject) = 400, 10021, "stream external api prefix {prefix} must not overlap with {subject}";
    /// `stream external delivery prefix {prefix} overlaps with stream subject {subject}` (400, `JSStreamExternalDelPrefixOverlapsErrF`).
    STREAM_EXTERNAL_DEL_PREFIX_OVERLAPS stream_external_del_prefix_overlaps(prefix, subject) = 400, 10022, "stream external delivery prefix {prefix} overlaps with stream subject {subject}";
    /// `{err}` (500, `JSStreamGeneralErrorF`).
    STREAM_GENERAL stream_general(err) = 500, 10051, "{err}";
    /// `header size exceeds maximum allowed of 64k` (400, `JSStreamHeaderExceedsMaximumErr`).
    STREAM_HEADER_EXCEEDS_MAXIMUM stream_header_exceeds_maximum() = 400, 10097, "header size exceeds maximum allowed of 64k";
    /// `subject details would exceed maximum allowed` (500, `JSStreamInfoMaxSubjectsErr`).
    STREAM_INFO_MAX_SUBJECTS stream_info_max_subjects() = 500, 10117, "subject details would exceed maximum allowed";
    /// `{err}` (500, `JSStreamInvalidConfigF`).
    STREAM_INVALID_CONFIG stream_invalid_config(err) = 500, 10052, "{err}";
    /// `stream not valid` (500, `JSStreamInvalidErr`).
    STREAM_INVALID stream_invalid() = 500, 10096, "stream not valid";
    /// `stream external delivery prefix {prefix} must not contain wildcards` (400, `JSStreamInvalidExternalDeliverySubjErrF`).
    STREAM_INVALID_EXTERNAL_DELIVERY_SUBJ stream_invalid_external_delivery_subj(prefix) = 400, 10024, "stream external delivery prefix {prefix} must not contain wildcards";
    /// `{err}` (500, `JSStreamLimitsErrF`).
    STREAM_LIMITS stream_limits(err) = 500, 10053, "{err}";
    /// `account requires a stream config to have max bytes set` (400, `JSStreamMaxBytesRequired`).
    STREAM_MAX_BYTES_REQUIRED stream_max_bytes_required() = 400, 10113, "account requires a stream config to have max bytes set";
    /// `stream max bytes exceeds account limit max stream bytes` (400, `JSStreamMaxStreamBytesExceeded`).
    STREAM_MAX_STREAM_BYTES_EXCEEDED stream_max_stream_bytes_exceeded() = 400, 10122, "stream max bytes exceeds account limit max stream bytes";
    /// `message size exceeds maximum allowed` (400, `JSStreamMessageExceedsMaximumErr`).
    STREAM_MESSAGE_EXCEEDS_MAXIMUM stream_message_exceeds_maximum() = 400, 10054, "message size exceeds maximum allowed";
    /// `stream mirror configuration can not be updated` (400, `JSStreamMirrorNotUpdatableErr`).
    STREAM_MIRROR_NOT_UPDATABLE stream_mirror_not_updatable() = 400, 10055, "stream mirror configuration can not be updated";
    /// `stream name in subject does not match request` (400, `JSStreamMismatchErr`).
    STREAM_MISMATCH stream_mismatch() = 400, 10056, "stream name in subject does not match request";
    /// `can not move and scale a stream in a single update` (400, `JSStreamMoveAndScaleErr`).
    STREAM_MOVE_AND_SCALE stream_move_and_scale() = 400, 10123, "can not move and scale a stream in a single update";
    /// `stream move already in progress: {msg}` (400, `JSStreamMoveInProgressF`).
    STREAM_MOVE_IN_PROGRESS stream_move_in_progress(msg) = 400, 10124, "stream move already in progress: {msg}";
    /// `stream move not in progress` (400, `JSStreamMoveNotInProgress`).
    STREAM_MOVE_NOT_IN_PROGRESS stream_move_not_in_progress() = 400, 10129, "stream move not in progress";
    /// `{err}` (500, `JSStreamMsgDeleteFailedF`).
    STREAM_MSG_DELETE_FAILED stream_msg_delete_failed(err) = 500, 10057, "{err}";
    /// `Stream name can not contain path separators` (400, `JSStreamNameContainsPathSeparatorsErr`).
    STREAM_NAME_CONTAINS_PATH_SEPARATORS stream_name_contains_path_separators() = 400, 10128, "Stream name can not contain path separators";
    /// `stream name already in use with a different configuration` (400, `JSStreamNameExistErr`).
    STREAM_NAME_EXIST stream_name_exist() = 400, 10058, "stream name already in use with a different configuration";
    /// `stream name already in use, cannot restore` (400, `JSStreamNameExistRestoreFailedErr`).
    STREAM_NAME_EXIST_RESTORE_FAILED stream_name_exist_restore_failed() = 400, 10130, "stream name already in use, cannot restore";
    /// `stream not found` (404, `JSStreamNotFoundErr`).
    STREAM_NOT_FOUND stream_not_found() = 404, 10059, "stream not found";
    /// `expected stream does not match` (400, `JSStreamNotMatchErr`).
    STREAM_NOT_MATCH stream_not_match() = 400, 10060, "expected stream does not match";
    /// `stream is offline` (500, `JSStreamOfflineErr`).
    STREAM_OFFLINE stream_offline() = 500, 10118, "stream is offline";
    /// `{err}` (500, `JSStreamPurgeFailedF`).
    STREAM_PURGE_FAILED stream_purge_failed(err) = 500, 10110, "{err}";
    /// `replicas > 1 not supported in non-clustered mode` (500, `JSStreamReplicasNotSupportedErr`).
    STREAM_REPLICAS_NOT_SUPPORTED stream_replicas_not_supported() = 500, 10074, "replicas > 1 not supported in non-clustered mode";
    /// `Replicas configuration can not be updated` (400, `JSStreamReplicasNotUpdatableErr`).
    STREAM_REPLICAS_NOT_UPDATABLE stream_replicas_not_updatable() = 400, 10061, "Replicas configuration can not be updated";
    /// `restore failed: {err}` (500, `JSStreamRestoreErrF`).
    STREAM_RESTORE stream_restore(err) = 500, 10062, "restore failed: {err}";
    /// `{err}` (500, `JSStreamRollupFailedF`).
    STREAM_ROLLUP_FAILED stream_rollup_failed(err) = 500, 10111, "{err}";
    /// `invalid operation on sealed stream` (400, `JSStreamSealedErr`).
    STREAM_SEALED stream_sealed() = 400, 10109, "invalid operation on sealed stream";
    /// `expected stream sequence does not match` (503, `JSStreamSequenceNotMatchErr`).
    STREAM_SEQUENCE_NOT_MATCH stream_sequence_not_match() = 503, 10063, "expected stream sequence does not match";
    /// `snapshot failed: {err}` (500, `JSStreamSnapshotErrF`).
    STREAM_SNAPSHOT stream_snapshot(err) = 500, 10064, "snapshot failed: {err}";
    /// `{err}` (503, `JSStreamStoreFailedF`).
    STREAM_STORE_FAILED stream_store_failed(err) = 503, 10077, "{err}";
    /// `subjects overlap with an existing stream` (400, `JSStreamSubjectOverlapErr`).
    STREAM_SUBJECT_OVERLAP stream_subject_overlap() = 400, 10065, "subjects overlap with an existing stream";
    /// `{err}` (500, `JSStreamTemplateCreateErrF`).
    STREAM_TEMPLATE_CREATE stream_template_create(err) = 500, 10066, "{err}";
    /// `{err}` (500, `JSStreamTemplateDeleteErrF`).
    STREAM_TEMPLATE_DELETE stream_template_delete(err) = 500, 10067, "{err}";
    /// `too many requests` (429, `JSStreamTooManyRequests`). Since nats-server 2.11: the
    /// answer to a publish past a stream's ingest queue cap.
    STREAM_TOO_MANY_REQUESTS stream_too_many_requests() = 429, 10167, "too many requests";
    /// `template not found` (404, `JSStreamTemplateNotFoundErr`).
    STREAM_TEMPLATE_NOT_FOUND stream_template_not_found() = 404, 10068, "template not found";
    /// `{err}` (500, `JSStreamUpdateErrF`).
    STREAM_UPDATE stream_update(err) = 500, 10069, "{err}";
    /// `wrong last msg ID: {id}` (400, `JSStreamWrongLastMsgIDErrF`).
    STREAM_WRONG_LAST_MSG_ID stream_wrong_last_msg_id(id) = 400, 10070, "wrong last msg ID: {id}";
    /// `wrong last sequence: {seq}` (400, `JSStreamWrongLastSequenceErrF`).
    STREAM_WRONG_LAST_SEQUENCE stream_wrong_last_sequence(seq) = 400, 10071, "wrong last sequence: {seq}";
    /// `JetStream unable to open temp storage for restore` (500, `JSTempStorageFailedErr`).
    TEMP_STORAGE_FAILED temp_storage_failed() = 500, 10072, "JetStream unable to open temp storage for restore";
    /// `template name in subject does not match request` (400, `JSTemplateNameNotMatchSubjectErr`).
    TEMPLATE_NAME_NOT_MATCH_SUBJECT template_name_not_match_subject() = 400, 10073, "template name in subject does not match request";
}
