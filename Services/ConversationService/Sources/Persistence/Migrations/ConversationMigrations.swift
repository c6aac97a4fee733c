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
        )
    ]
}
