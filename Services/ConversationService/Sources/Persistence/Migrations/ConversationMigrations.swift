import InboxKit

/// The `conversations` schema, append-only (a landed migration is never edited; add a new one).
/// The large tables carry the organisation first in their keys so that they can be distributed
/// by organisation when one server is not enough (DESIGN.md §1).
enum ConversationMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "contacts, conversations, messages",
            sql: """
                CREATE TABLE contacts (
                    organization_id text NOT NULL,
                    id uuid NOT NULL,
                    display_name text NOT NULL DEFAULT '',
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, id)
                );

                CREATE TABLE contact_identities (
                    organization_id text NOT NULL,
                    contact_id uuid NOT NULL,
                    channel_id text NOT NULL,
                    platform text NOT NULL,
                    platform_user_id text NOT NULL,
                    handle text NOT NULL DEFAULT '',
                    display_name text NOT NULL DEFAULT '',
                    opted_out boolean NOT NULL DEFAULT false,
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, channel_id, platform_user_id),
                    FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)
                );

                CREATE TABLE conversations (
                    organization_id text NOT NULL,
                    id uuid NOT NULL,
                    channel_id text NOT NULL,
                    platform text NOT NULL,
                    kind text NOT NULL,
                    thread_key text NOT NULL,
                    -- open, pending, resolved
                    status text NOT NULL DEFAULT 'open',
                    snoozed_until timestamptz,
                    contact_id uuid,
                    tags text[] NOT NULL DEFAULT '{}',
                    is_paid boolean NOT NULL DEFAULT false,
                    parent_post_id text,
                    preview text NOT NULL DEFAULT '',
                    message_count bigint NOT NULL DEFAULT 0,
                    -- The assignee read model, kept by assignment-service (SetAssignee).
                    assignee_agent_id text,
                    assignee_team_id text,
                    assignee_version bigint NOT NULL DEFAULT 0,
                    -- Platform times.
                    last_message_at timestamptz NOT NULL,
                    last_customer_message_at timestamptz,
                    last_team_reply_at timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, id),
                    UNIQUE (organization_id, channel_id, thread_key)
                );
                CREATE INDEX conversations_newest ON conversations (organization_id, last_message_at DESC, id DESC);
                CREATE INDEX conversations_by_status
                    ON conversations (organization_id, status, last_message_at DESC, id DESC);
                CREATE INDEX conversations_by_assignee
                    ON conversations (organization_id, assignee_agent_id, last_message_at DESC, id DESC);

                CREATE TABLE messages (
                    organization_id text NOT NULL,
                    id uuid NOT NULL,
                    conversation_id uuid NOT NULL,
                    channel_id text NOT NULL,
                    -- inbound, outbound, note
                    direction text NOT NULL,
                    platform_message_id text,
                    author jsonb NOT NULL DEFAULT '{}',
                    agent_id text,
                    body text NOT NULL DEFAULT '',
                    attachments jsonb NOT NULL DEFAULT '[]',
                    platform_time timestamptz NOT NULL,
                    received_at timestamptz NOT NULL DEFAULT now(),
                    hidden_reason text,
                    unsupported boolean NOT NULL DEFAULT false,
                    delivery_state text,
                    failure_reason text,
                    failure_detail text,
                    idempotency_key text,
                    automatic boolean NOT NULL DEFAULT false,
                    edited boolean NOT NULL DEFAULT false,
                    deleted boolean NOT NULL DEFAULT false,
                    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
                    PRIMARY KEY (organization_id, id),
                    FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id)
                );
                CREATE UNIQUE INDEX messages_platform_id
                    ON messages (organization_id, channel_id, platform_message_id) WHERE platform_message_id IS NOT NULL;
                CREATE UNIQUE INDEX messages_idempotency
                    ON messages (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE INDEX messages_by_conversation
                    ON messages (organization_id, conversation_id, platform_time DESC, id DESC);
                CREATE INDEX messages_search ON messages USING gin (search);
                """
        ),
        Migration(
            version: 2,
            name: "the inbox: folded search, SLA and read state, edit history, change log, follow-ups, delivery outbox",
            sql: """
                -- Case and accent folding for search, without an extension (unaccent needs a superuser
                -- to install): lower(), the ligatures, then every Latin letter with a diacritic to its
                -- base letter. IMMUTABLE, so a generated column and its GIN index can use it.
                CREATE FUNCTION fold(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
                    SELECT translate(
                        replace(replace(replace(replace(lower(value), 'œ', 'oe'), 'æ', 'ae'), 'ß', 'ss'), 'ĳ', 'ij'),
                        'àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏőŕŗřśŝşšţťũūŭůűųŵŷźżžơưǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǵǹǻȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳḁḃḅḇḉḋḍḏḑḓḕḗḙḛḝḟḡḣḥḧḩḫḭḯḱḳḵḷḹḻḽḿṁṃṅṇṉṋṍṏṑṓṕṗṙṛṝṟṡṣṥṧṩṫṭṯṱṳṵṷṹṻṽṿẁẃẅẇẉẋẍẏẑẓẕẖẗẘẙạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹøđħıłŧð',
                        'aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuuuuuuwyzzzouaiouuuuuaagkoojgnaaaeeiioorruusthaeooooyabbbcdddddeeeeefghhhhhiikkkllllmmmnnnnoooopprrrrsssssttttuuuuuvvwwwwwxxyzzzhtwyaaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyyodhiltd')
                $$;

                ALTER TABLE contact_identities ADD COLUMN avatar_url text NOT NULL DEFAULT '';
                ALTER TABLE contact_identities ADD COLUMN opted_out_at timestamptz;
                ALTER TABLE contacts ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
                CREATE INDEX contacts_search ON contacts USING gin (search);
                CREATE INDEX contacts_by_name ON contacts (organization_id, display_name, id);
                CREATE INDEX contact_identities_by_contact ON contact_identities (organization_id, contact_id);

                ALTER TABLE conversations
                    ADD COLUMN parent_comment_id text,
                    -- The customer on this channel (the recipient of direct messages).
                    ADD COLUMN customer_platform_user_id text,
                    ADD COLUMN account_platform_id text NOT NULL DEFAULT '',
                    -- Platform time of the comment a comment conversation hangs under (private replies).
                    ADD COLUMN comment_created_at timestamptz,
                    ADD COLUMN comment_platform_message_id text,
                    ADD COLUMN private_replies_sent integer NOT NULL DEFAULT 0,
                    ADD COLUMN unread_count integer NOT NULL DEFAULT 0,
                    ADD COLUMN last_read_at timestamptz,
                    ADD COLUMN waiting_since timestamptz,
                    ADD COLUMN first_response_at timestamptz,
                    ADD COLUMN first_response_due_at timestamptz,
                    ADD COLUMN last_message_id uuid,
                    ADD COLUMN last_automatic_reply_at timestamptz,
                    ADD COLUMN hidden_count integer NOT NULL DEFAULT 0,
                    -- How many times a resolved conversation came back (each reopening is routed once).
                    ADD COLUMN reopen_count integer NOT NULL DEFAULT 0;
                CREATE INDEX conversations_by_team
                    ON conversations (organization_id, assignee_team_id, last_message_at DESC, id DESC);
                CREATE INDEX conversations_unassigned
                    ON conversations (organization_id, last_message_at DESC, id DESC) WHERE assignee_agent_id IS NULL;
                CREATE INDEX conversations_by_contact
                    ON conversations (organization_id, contact_id, last_message_at DESC, id DESC);
                CREATE INDEX conversations_by_channel
                    ON conversations (organization_id, channel_id, last_message_at DESC, id DESC);
                CREATE INDEX conversations_by_customer
                    ON conversations (organization_id, channel_id, customer_platform_user_id);
                CREATE INDEX conversations_by_tag ON conversations USING gin (tags);
                CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE snoozed_until IS NOT NULL;

                ALTER TABLE messages DROP COLUMN search;
                ALTER TABLE messages
                    -- The gateway's inbound event id (inbound), for tracing.
                    ADD COLUMN event_id text,
                    ADD COLUMN send_kind text,
                    ADD COLUMN template jsonb,
                    ADD COLUMN reply_to_message_id uuid,
                    ADD COLUMN reply_to_platform_message_id text,
                    -- Earlier versions of the text (edits, deletion): [{"text", "replaced_at", "change"}].
                    ADD COLUMN history jsonb NOT NULL DEFAULT '[]',
                    -- Platform time of the current text (an older edit never overwrites a newer one).
                    ADD COLUMN content_at timestamptz,
                    -- Reactions by platform user id: {"<user>": "<reaction>"}.
                    ADD COLUMN reactions jsonb NOT NULL DEFAULT '{}',
                    ADD COLUMN visibility text,
                    ADD COLUMN idempotency_fingerprint text,
                    ADD COLUMN content_incomplete boolean NOT NULL DEFAULT false,
                    -- 'echo' for our account's messages first seen as an echo (sent outside Social Inbox).
                    ADD COLUMN origin text NOT NULL DEFAULT '',
                    ADD COLUMN delivery_at timestamptz,
                    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', fold(body))) STORED;
                CREATE INDEX messages_search ON messages USING gin (search);
                CREATE INDEX messages_by_conversation_time
                    ON messages (organization_id, conversation_id, platform_time, id);

                -- The change log that feeds WatchConversations: one row per change, numbered per
                -- organisation in commit order (the counter row is locked until the writing
                -- transaction commits), so a watcher resuming after `seq` misses nothing.
                -- `conversation` and `before` are Conversation protos (after and before the change),
                -- `message` a Message proto.
                CREATE TABLE change_counters (
                    organization_id text PRIMARY KEY,
                    value bigint NOT NULL DEFAULT 0
                );
                CREATE TABLE changes (
                    organization_id text NOT NULL,
                    seq bigint NOT NULL,
                    type text NOT NULL,
                    conversation_id uuid NOT NULL,
                    conversation bytea NOT NULL,
                    before bytea,
                    message bytea,
                    occurred_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, seq)
                );
                CREATE INDEX changes_by_age ON changes (occurred_at);

                -- Work after an ingest commit (route a new or reopened conversation, offer a message to
                -- the automatic replies, record activity): retried until it succeeds, done once
                -- (unique per subject), claimed with FOR UPDATE SKIP LOCKED across replicas.
                CREATE TABLE follow_ups (
                    organization_id text NOT NULL,
                    kind text NOT NULL,
                    subject text NOT NULL,
                    payload bytea NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    last_error text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, kind, subject)
                );
                CREATE INDEX follow_ups_due ON follow_ups (kind, next_attempt_at);

                -- Outbound messages waiting to be handed to the gateway's DeliverMessage: a gateway that
                -- is down delays a send, never loses it.
                CREATE TABLE delivery_outbox (
                    organization_id text NOT NULL,
                    message_id uuid NOT NULL,
                    request bytea NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    last_error text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, message_id)
                );
                CREATE INDEX delivery_outbox_due ON delivery_outbox (next_attempt_at);
                """
        ),
        Migration(
            version: 3,
            name: "one index for a conversation's messages in either order",
            sql: """
                -- messages_by_conversation_time serves newest-first pages too (a backward scan): the
                -- descending copy from migration 1 only made every message insert pay twice.
                DROP INDEX messages_by_conversation;
                """
        ),
        Migration(
            version: 4,
            name: "fold() six times faster, with the same results",
            sql: """
                -- translate() looks every character of the text up in its `from` string, one
                -- character after the other: each ASCII letter went through the 253 accented ones
                -- before it was kept (85 µs for a 130-character message, most of a message
                -- insert). The same translation with the ASCII characters first, each mapped to
                -- itself, finds them in a few steps (13 µs). The result is the same for every text,
                -- so the stored search vectors and their indexes stay valid.
                CREATE OR REPLACE FUNCTION fold(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
                    SELECT translate(
                        replace(replace(replace(replace(lower(value), 'œ', 'oe'), 'æ', 'ae'), 'ß', 'ss'), 'ĳ', 'ij'),
                        ' eaisnrtoulcdmpvgbhfqjxyzwk.,''0123456789!?-:;/()@#&_+=*%$<>[]{}|~^'
                            || 'àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏőŕŗřśŝşšţťũūŭůűųŵŷźżžơưǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǵǹǻȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳḁḃḅḇḉḋḍḏḑḓḕḗḙḛḝḟḡḣḥḧḩḫḭḯḱḳḵḷḹḻḽḿṁṃṅṇṉṋṍṏṑṓṕṗṙṛṝṟṡṣṥṧṩṫṭṯṱṳṵṷṹṻṽṿẁẃẅẇẉẋẍẏẑẓẕẖẗẘẙạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹøđħıłŧð',
                        ' eaisnrtoulcdmpvgbhfqjxyzwk.,''0123456789!?-:;/()@#&_+=*%$<>[]{}|~^'
                            || 'aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuuuuuuwyzzzouaiouuuuuaagkoojgnaaaeeiioorruusthaeooooyabbbcdddddeeeeefghhhhhiikkkllllmmmnnnnoooopprrrrsssssttttuuuuuvvwwwwwxxyzzzhtwyaaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyyodhiltd')
                $$;
                """
        ),
        Migration(
            version: 5,
            name: "conversations: the Telegram Business connection replies go through",
            sql: """
                -- InboundEvent.business_connection_id of the conversation's first event: a Telegram
                -- Business chat (a connected business account's private chat) is answered through
                -- that connection (DeliverMessageRequest.business_connection_id). The gateway keys
                -- such a chat's thread by its connection, so one conversation has one; NULL for every
                -- other conversation.
                ALTER TABLE conversations ADD COLUMN business_connection_id text;
                """
        ),
        Migration(
            version: 6,
            name: "the change log numbered without serialising an organisation's writers",
            sql: """
                -- Until now every transaction that wrote the change log took its organisation's
                -- change_counters row and held it until its commit: one organisation's writers
                -- (ingest batches, replies, delivery statuses, assignee updates) committed one at a
                -- time. Now a change is numbered from one sequence (no lock) and carries its
                -- transaction's id. Readers take changes in (tx, seq) order, and only those whose
                -- transaction is older than every running one (pg_snapshot_xmin): those are all
                -- committed or gone, so no change can later appear before a cursor that passed it.
                -- The rows written before keep their numbers, with tx 0 (before every new one).
                CREATE SEQUENCE change_seq;
                -- (PERFORM: the migration runs as one PL/pgSQL block.)
                PERFORM setval('change_seq', greatest(last, 1), last > 0)
                FROM (SELECT greatest(coalesce((SELECT max(seq) FROM changes), 0),
                    coalesce((SELECT max(value) FROM change_counters), 0)) AS last) AS numbered;
                ALTER TABLE changes ADD COLUMN tx xid8 NOT NULL DEFAULT '0';
                ALTER TABLE changes ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
                ALTER TABLE changes ALTER COLUMN seq SET DEFAULT nextval('change_seq');
                ALTER TABLE changes DROP CONSTRAINT changes_pkey;
                ALTER TABLE changes ADD PRIMARY KEY (organization_id, tx, seq);
                -- Per organisation, the newest change the retention sweep removed: a resume point
                -- before it may have missed something (RESET); one at or after it has not.
                CREATE TABLE change_floors (
                    organization_id text PRIMARY KEY,
                    tx xid8 NOT NULL,
                    seq bigint NOT NULL
                );
                INSERT INTO change_floors (organization_id, tx, seq)
                SELECT c.organization_id, '0',
                    coalesce((SELECT min(seq) FROM changes WHERE organization_id = c.organization_id) - 1, c.value)
                FROM change_counters c;
                DROP TABLE change_counters;
                """
        ),
    ]
}
