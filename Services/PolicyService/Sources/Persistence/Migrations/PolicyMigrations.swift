import InboxKit

/// The `policy` schema, append-only (a landed migration is never edited; add a new one).
enum PolicyMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "organisations, inbox activity, automatic reply rules",
            sql: """
                CREATE TABLE organizations (
                    id text PRIMARY KEY,
                    name text NOT NULL,
                    -- standard, enterprise
                    plan text NOT NULL DEFAULT 'standard',
                    inactivity_days integer NOT NULL DEFAULT 60 CHECK (inactivity_days > 0),
                    time_zone text NOT NULL DEFAULT 'UTC',
                    idempotency_key text UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                );

                -- The 60-day rule: the latest of inbox opened, team reply and automatic reply.
                CREATE TABLE inbox_activity (
                    organization_id text PRIMARY KEY REFERENCES organizations (id),
                    -- active, deactivated
                    status text NOT NULL DEFAULT 'active',
                    last_activity_at timestamptz NOT NULL DEFAULT now(),
                    last_activity_kind text NOT NULL DEFAULT 'activated',
                    deactivated_at timestamptz
                );
                CREATE INDEX inbox_activity_due ON inbox_activity (last_activity_at) WHERE status = 'active';

                CREATE TABLE auto_reply_rules (
                    organization_id text NOT NULL REFERENCES organizations (id),
                    id uuid NOT NULL,
                    name text NOT NULL,
                    platforms text[] NOT NULL DEFAULT '{}',
                    -- outside_business_hours, no_agent_online, keywords
                    trigger_kind text NOT NULL,
                    trigger jsonb NOT NULL DEFAULT '{}',
                    reply_text text NOT NULL,
                    cooldown_seconds integer NOT NULL DEFAULT 86400,
                    enabled boolean NOT NULL DEFAULT true,
                    priority integer NOT NULL DEFAULT 100,
                    idempotency_key text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, id)
                );
                """
        ),
        Migration(
            version: 2,
            name: "plans and states checked, SLA target, idempotency fingerprints, rule kinds, reply record",
            sql: """
                ALTER TABLE organizations
                    ADD CONSTRAINT organizations_plan CHECK (plan IN ('standard', 'enterprise')),
                    ADD COLUMN first_response_target_seconds integer CHECK (first_response_target_seconds > 0),
                    ADD COLUMN idempotency_fingerprint text;
                ALTER TABLE inbox_activity
                    ADD CONSTRAINT inbox_activity_status CHECK (status IN ('active', 'deactivated')),
                    ADD CONSTRAINT inbox_activity_kind
                        CHECK (last_activity_kind IN ('inbox_opened', 'team_reply', 'automatic_reply', 'activated'));
                ALTER TABLE auto_reply_rules
                    ADD CONSTRAINT auto_reply_rules_trigger
                        CHECK (trigger_kind IN ('outside_business_hours', 'no_agent_online', 'keywords')),
                    ADD COLUMN kinds text[] NOT NULL DEFAULT '{}',
                    ADD COLUMN idempotency_fingerprint text,
                    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
                CREATE UNIQUE INDEX auto_reply_rules_idempotency
                    ON auto_reply_rules (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE INDEX auto_reply_rules_order ON auto_reply_rules (organization_id, priority, id);

                -- The latest automatic reply per conversation, for the cooldown (whatever the caller says).
                CREATE TABLE auto_replies_sent (
                    organization_id text NOT NULL REFERENCES organizations (id),
                    conversation_id text NOT NULL,
                    rule_id uuid NOT NULL,
                    sent_at timestamptz NOT NULL,
                    PRIMARY KEY (organization_id, conversation_id)
                );
                """
        ),
        Migration(
            version: 3,
            name: "agent presence reported by assignment-service",
            sql: """
                CREATE TABLE agent_presence (
                    organization_id text PRIMARY KEY,
                    agents_online integer NOT NULL CHECK (agents_online >= 0),
                    observed_at timestamptz NOT NULL
                );
                """
        ),
    ]
}
