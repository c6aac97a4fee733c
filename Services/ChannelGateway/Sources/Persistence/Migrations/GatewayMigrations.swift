import InboxKit

/// The `gateway` schema, append-only (a landed migration is never edited; add a new one).
enum GatewayMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "channels, inbound events, outbound deliveries",
            sql: """
                CREATE TABLE channels (
                    id uuid PRIMARY KEY,
                    organization_id text NOT NULL,
                    platform text NOT NULL,
                    external_account_id text NOT NULL,
                    display_name text NOT NULL DEFAULT '',
                    status text NOT NULL DEFAULT 'active',
                    settings jsonb NOT NULL DEFAULT '{}',
                    -- Secrets, encrypted with the configured key; never returned, never logged.
                    credentials_ciphertext bytea,
                    instagram_message_requests_enabled boolean NOT NULL DEFAULT false,
                    idempotency_key text,
                    last_event_at timestamptz,
                    last_error text,
                    last_error_at timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE UNIQUE INDEX channels_connected_account
                    ON channels (platform, external_account_id) WHERE status <> 'disconnected';
                CREATE UNIQUE INDEX channels_idempotency
                    ON channels (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE INDEX channels_by_organization ON channels (organization_id, created_at, id);

                CREATE TABLE inbound_events (
                    id uuid PRIMARY KEY,
                    organization_id text NOT NULL,
                    channel_id uuid NOT NULL REFERENCES channels (id),
                    platform_event_id text NOT NULL,
                    -- pending, delivered, held, dead_lettered, rejected, echo
                    state text NOT NULL DEFAULT 'pending',
                    raw_body bytea NOT NULL,
                    -- The normalised inbox.v1.InboundEvent, protobuf-encoded.
                    event bytea NOT NULL,
                    hidden boolean NOT NULL DEFAULT false,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    last_error text,
                    occurred_at timestamptz NOT NULL,
                    received_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (channel_id, platform_event_id)
                );
                CREATE INDEX inbound_events_due ON inbound_events (next_attempt_at) WHERE state = 'pending';
                CREATE INDEX inbound_events_by_channel ON inbound_events (channel_id, state, received_at, id);
                CREATE INDEX inbound_events_held ON inbound_events (organization_id) WHERE state = 'held';

                CREATE TABLE outbound_deliveries (
                    id uuid PRIMARY KEY,
                    organization_id text NOT NULL,
                    channel_id uuid NOT NULL REFERENCES channels (id),
                    message_id text NOT NULL,
                    idempotency_key text NOT NULL,
                    -- The inbox.v1.DeliverMessageRequest, protobuf-encoded.
                    request bytea NOT NULL,
                    -- pending, sending, sent, delivered, read, failed
                    state text NOT NULL DEFAULT 'pending',
                    platform_message_id text,
                    failure_reason text,
                    failure_detail text,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (organization_id, idempotency_key)
                );
                CREATE INDEX outbound_deliveries_due ON outbound_deliveries (next_attempt_at) WHERE state = 'pending';
                CREATE INDEX outbound_deliveries_by_platform_id
                    ON outbound_deliveries (channel_id, platform_message_id) WHERE platform_message_id IS NOT NULL;
                """
        ),
        Migration(
            version: 2,
            name: "WeChat access tokens shared by the replicas",
            sql: """
                CREATE TABLE wechat_access_tokens (
                    app_id text PRIMARY KEY,
                    token text NOT NULL,
                    expires_at timestamptz NOT NULL,
                    fetched_at timestamptz NOT NULL
                );
                """
        ),
        Migration(
            version: 3,
            name: "channel accounts: sealed secrets with their key id, checked states",
            sql: """
                ALTER TABLE channels
                    ADD COLUMN credentials_key_id text,
                    ADD COLUMN configured_credentials text[] NOT NULL DEFAULT '{}',
                    ADD COLUMN idempotency_fingerprint text,
                    ADD CONSTRAINT channels_status
                        CHECK (status IN ('active', 'token_invalid', 'disconnected', 'subscription_revoked')),
                    ADD CONSTRAINT channels_platform CHECK (platform IN
                        ('facebook', 'instagram', 'whatsapp', 'x', 'linkedin', 'tiktok', 'telegram', 'twilio', 'wechat'));
                """
        ),
        Migration(
            version: 4,
            name: "the inbound log: deliveries kept once, UNROUTED and UNPARSED entries, relay bookkeeping",
            sql: """
                -- One row per accepted POST that stored something: the request exactly as signed
                -- (body, headers, URL), kept once however many events it holds (a Meta POST mixes
                -- several Pages); replaying an UNPARSED entry parses it again from here.
                CREATE TABLE inbound_deliveries (
                    id uuid PRIMARY KEY,
                    platform text NOT NULL,
                    channel_id uuid,
                    path text NOT NULL,
                    query text NOT NULL DEFAULT '',
                    public_url text NOT NULL DEFAULT '',
                    -- [[name, value], ...] as received.
                    headers jsonb NOT NULL DEFAULT '[]',
                    raw_body bytea NOT NULL,
                    received_at timestamptz NOT NULL
                );

                -- The body moves to inbound_deliveries; an UNROUTED entry has neither channel nor
                -- organisation until its channel is connected.
                ALTER TABLE inbound_events
                    ALTER COLUMN organization_id DROP NOT NULL,
                    ALTER COLUMN channel_id DROP NOT NULL,
                    ALTER COLUMN raw_body DROP NOT NULL,
                    ADD COLUMN delivery_id uuid,
                    ADD COLUMN platform text NOT NULL,
                    ADD COLUMN platform_account_id text NOT NULL DEFAULT '',
                    -- A ContentFetch step still to run (AWAITING_CONTENT), as JSON.
                    ADD COLUMN content_fetch jsonb,
                    -- UNPARSED: where the entry sits in the body and why it did not parse.
                    ADD COLUMN unparsed_path text,
                    -- Set when conversation-service took the event (its outcome) or policy refused it.
                    ADD COLUMN outcome text,
                    ADD COLUMN relayed_at timestamptz,
                    ADD CONSTRAINT inbound_events_state CHECK (state IN ('pending', 'delivered', 'held',
                        'dead_lettered', 'rejected', 'echo', 'unparsed', 'unrouted', 'awaiting_content')),
                    ADD CONSTRAINT inbound_events_routed CHECK ((channel_id IS NULL) = (state = 'unrouted'));
                CREATE UNIQUE INDEX inbound_events_unrouted_key
                    ON inbound_events (platform, platform_account_id, platform_event_id) WHERE channel_id IS NULL;
                CREATE INDEX inbound_events_awaiting_content ON inbound_events (next_attempt_at)
                    WHERE state = 'awaiting_content';
                DROP INDEX inbound_events_held;
                CREATE INDEX inbound_events_held ON inbound_events (organization_id, channel_id) WHERE state = 'held';

                -- The class of a channel's last error (ChannelErrorReason, lower case), for health.
                ALTER TABLE channels ADD COLUMN last_error_reason text;

                -- Counters of what is not a stored row (duplicates, bad signatures), added to in
                -- batches. `scope` is a channel id, or `app:<platform>` for a shared endpoint.
                CREATE TABLE inbound_counters (
                    scope text NOT NULL,
                    name text NOT NULL,
                    value bigint NOT NULL DEFAULT 0,
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (scope, name)
                );
                """
        ),
        Migration(
            version: 5,
            name: "channel pollers: LinkedIn notifications and gap reconciliation, one claim at a time",
            sql: """
                -- One poller per channel that has a list API to read (Pollers/): LinkedIn's
                -- notifications finder (the default path; webhooks the fast path) and the gap
                -- reconciliation of Messenger and Instagram conversations and TikTok comments.
                -- Created for a channel the first time a poll round sees it.
                CREATE TABLE channel_pollers (
                    channel_id uuid PRIMARY KEY REFERENCES channels (id),
                    kind text NOT NULL CONSTRAINT channel_pollers_kind CHECK (kind IN ('linkedin_notifications',
                        'messenger_conversations', 'instagram_conversations', 'tiktok_comments')),
                    enabled boolean NOT NULL DEFAULT true,
                    -- Everything the platform listed up to this instant is in the inbound log: moved
                    -- forward only after a whole sweep's rows are committed. NULL: never swept.
                    watermark timestamptz,
                    -- A sweep that spans rounds: the instant it reads up to, and the platform's page
                    -- position where it goes on (both NULL between sweeps).
                    sweep_until timestamptz,
                    cursor text,
                    -- When the poller is due. While a replica holds the claim it is the claim's end:
                    -- a replica that dies leaves the poller to the others after it.
                    next_poll_at timestamptz NOT NULL DEFAULT now(),
                    claim_id uuid,
                    last_poll_at timestamptz,
                    last_success_at timestamptz,
                    -- A sentence for GetChannelHealth (never a secret); NULL after a success.
                    last_error text,
                    last_error_at timestamptz,
                    consecutive_failures integer NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX channel_pollers_due ON channel_pollers (next_poll_at) WHERE enabled;
                """
        ),
        Migration(
            version: 6,
            name: "outbound deliveries: claims, send bookkeeping, maybe-sent; the delivery-status outbox",
            sql: """
                -- DeliverMessage was UNIMPLEMENTED until this version, so the table holds no rows and
                -- takes NOT NULL columns without defaults. Keyed by organisation first, as every large
                -- table; GetDelivery reads by (organisation, id).
                ALTER TABLE outbound_deliveries
                    DROP CONSTRAINT outbound_deliveries_pkey,
                    ADD PRIMARY KEY (organization_id, id),
                    ADD COLUMN platform text NOT NULL,
                    -- Conversation-service's conversation, for the record (statuses go by message id).
                    ADD COLUMN conversation_id text NOT NULL DEFAULT '',
                    -- SHA-256 of the request without its key: the same key with another request is a reuse.
                    ADD COLUMN idempotency_fingerprint text NOT NULL,
                    -- The worker round that holds the row (claimed PENDING, or SENDING); NULL when none.
                    ADD COLUMN claim_id uuid,
                    -- When the latest send went out. A row still SENDING after its claim
                    -- (`next_attempt_at`) belonged to a worker that died mid-send: its message may have
                    -- gone out, so it becomes FAILED with the reason maybe_sent, never sent again.
                    ADD COLUMN send_started_at timestamptz,
                    ADD COLUMN sent_at timestamptz,
                    -- Why the latest try did not succeed (a retry's reason; the final one is failure_detail).
                    ADD COLUMN last_error text,
                    ADD CONSTRAINT outbound_deliveries_state
                        CHECK (state IN ('pending', 'sending', 'sent', 'delivered', 'read', 'failed')),
                    ADD CONSTRAINT outbound_deliveries_platform CHECK (platform IN ('facebook', 'instagram',
                        'whatsapp', 'x', 'linkedin', 'tiktok', 'telegram', 'twilio', 'wechat')),
                    -- MAYBE_SENT is FAILED with the reason maybe_sent (DeliveryState has no state of its own).
                    ADD CONSTRAINT outbound_deliveries_failure_reason CHECK (failure_reason IS NULL
                        OR failure_reason IN ('outside_window', 'rate_limited', 'token_invalid',
                            'recipient_unavailable', 'opted_out', 'invalid_request', 'platform_error',
                            'retries_exhausted', 'maybe_sent', 'channel_disconnected')),
                    ADD CONSTRAINT outbound_deliveries_failed_has_reason
                        CHECK ((state = 'failed') = (failure_reason IS NOT NULL));
                CREATE INDEX outbound_deliveries_sending
                    ON outbound_deliveries (next_attempt_at) WHERE state = 'sending';
                CREATE INDEX outbound_deliveries_by_channel ON outbound_deliveries (channel_id, state);

                -- Delivery states to report to conversation-service (RecordDeliveryStatus), written in
                -- the transaction that settles the delivery and deleted once conversation-service has
                -- taken them: retried until applied. One row per delivery (its latest final state).
                CREATE TABLE delivery_status_outbox (
                    organization_id text NOT NULL,
                    delivery_id uuid NOT NULL,
                    channel_id uuid NOT NULL,
                    message_id text NOT NULL,
                    state text NOT NULL CHECK (state IN ('sent', 'delivered', 'read', 'failed')),
                    platform_message_id text NOT NULL DEFAULT '',
                    failure_reason text NOT NULL DEFAULT '',
                    failure_detail text NOT NULL DEFAULT '',
                    -- When the gateway learned the state (the send's answer).
                    occurred_at timestamptz NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    last_error text,
                    PRIMARY KEY (organization_id, delivery_id)
                );
                CREATE INDEX delivery_status_outbox_due ON delivery_status_outbox (next_attempt_at);
                """
        ),
        Migration(
            version: 7,
            name: "channels: when the access token expires",
            sql: """
                -- When the channel's access token stops working, as the platform said (X user tokens
                -- two hours, TikTok 24 hours, LinkedIn 60 days); NULL: it does not expire, or we were
                -- not told. Not a secret (GetChannel and GetChannelHealth report it), so a column beside
                -- the sealed credentials rather than inside them; an X token renewal rewrites both in
                -- one statement, under the row's lock.
                ALTER TABLE channels ADD COLUMN token_expires_at timestamptz;
                """
        ),
        Migration(
            version: 8,
            name: "outbound deliveries: the thread a platform moved a conversation to",
            sql: """
                -- A Telegram group that became a supergroup refuses sends to its old chat id and names
                -- the new one (`migrate_to_chat_id`): the worker sends there and keeps the new chat
                -- (a bot chat's thread key is its chat id) on the delivery, so a retry goes there at
                -- once, and in the status it reports, so that conversation-service re-targets the
                -- conversation (DeliveryStatusUpdate.moved_to_thread_key). NULL / '': not moved.
                ALTER TABLE outbound_deliveries ADD COLUMN moved_to_thread_key text;
                ALTER TABLE delivery_status_outbox ADD COLUMN moved_to_thread_key text NOT NULL DEFAULT '';
                """
        ),
        Migration(
            version: 9,
            name: "web chat: the platform, and visitors' transcripts",
            sql: """
                -- Web chat is a platform of its own: its channels and their replies.
                ALTER TABLE channels DROP CONSTRAINT channels_platform, ADD CONSTRAINT channels_platform
                    CHECK (platform IN ('facebook', 'instagram', 'whatsapp', 'x', 'linkedin', 'tiktok', 'telegram',
                        'twilio', 'wechat', 'web_chat'));
                ALTER TABLE outbound_deliveries DROP CONSTRAINT outbound_deliveries_platform,
                    ADD CONSTRAINT outbound_deliveries_platform CHECK (platform IN ('facebook', 'instagram',
                        'whatsapp', 'x', 'linkedin', 'tiktok', 'telegram', 'twilio', 'wechat', 'web_chat'));

                -- What a web-chat visitor sees: their messages and the team's, in order. The inbound
                -- log and outbound deliveries stay the record of what reached the inbox and what was
                -- sent; this is the widget's side (history, live stream, receipts).
                --
                -- One row per visitor numbers their transcript: `last_seq` orders messages, and
                -- `last_version` counts every change (a new message or a new state), the cursor a
                -- stream resumes from. Both move under this row's lock in the statement that makes
                -- the change, so one visitor's changes commit in version order and a reader that has
                -- seen version n never finds a change below n appear later.
                CREATE TABLE webchat_visitors (
                    channel_id uuid NOT NULL REFERENCES channels (id),
                    visitor_id text NOT NULL,
                    last_seq bigint NOT NULL DEFAULT 0,
                    last_version bigint NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (channel_id, visitor_id)
                );
                CREATE TABLE webchat_messages (
                    channel_id uuid NOT NULL,
                    visitor_id text NOT NULL,
                    -- The message's id, also its platform message id in the inbox: a visitor's
                    -- message is 'v-' + a digest of (visitor, client id), so a resend maps to it; a
                    -- team reply 'a-' + a digest of its delivery's idempotency key (a retried send
                    -- finds what it wrote).
                    id text NOT NULL,
                    seq bigint NOT NULL,
                    version bigint NOT NULL,
                    direction text NOT NULL CHECK (direction IN ('visitor', 'agent')),
                    client_id text,
                    text text NOT NULL,
                    author text,
                    state text NOT NULL CHECK (state IN ('sent', 'delivered', 'read')),
                    created_at timestamptz NOT NULL,
                    PRIMARY KEY (channel_id, id),
                    FOREIGN KEY (channel_id, visitor_id) REFERENCES webchat_visitors (channel_id, visitor_id)
                );
                CREATE UNIQUE INDEX webchat_messages_seq ON webchat_messages (channel_id, visitor_id, seq);
                CREATE INDEX webchat_messages_version ON webchat_messages (channel_id, visitor_id, version);
                """
        ),
    ]
}
