import InboxKit

/// The `assignment` schema, append-only (a landed migration is never edited; add a new one).
enum AssignmentMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "teams, agents, assignments, history, routing rules",
            sql: """
                CREATE TABLE teams (
                    organization_id text NOT NULL,
                    id uuid NOT NULL,
                    name text NOT NULL,
                    -- return_to_queue, reassign_to_colleagues
                    away_policy text NOT NULL DEFAULT 'return_to_queue',
                    idempotency_key text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, id),
                    UNIQUE (organization_id, name)
                );

                CREATE TABLE agents (
                    organization_id text NOT NULL,
                    id text NOT NULL,
                    display_name text NOT NULL DEFAULT '',
                    email text NOT NULL DEFAULT '',
                    capacity integer NOT NULL DEFAULT 10 CHECK (capacity >= 0),
                    -- online, away, offline
                    availability text NOT NULL DEFAULT 'offline',
                    open_conversations integer NOT NULL DEFAULT 0 CHECK (open_conversations >= 0),
                    -- For round-robin: when the agent last received an automatic assignment.
                    last_assigned_at timestamptz,
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, id)
                );

                CREATE TABLE team_members (
                    organization_id text NOT NULL,
                    team_id uuid NOT NULL,
                    agent_id text NOT NULL,
                    PRIMARY KEY (organization_id, team_id, agent_id),
                    FOREIGN KEY (organization_id, team_id) REFERENCES teams (organization_id, id),
                    FOREIGN KEY (organization_id, agent_id) REFERENCES agents (organization_id, id)
                );

                CREATE TABLE assignments (
                    organization_id text NOT NULL,
                    conversation_id text NOT NULL,
                    agent_id text,
                    team_id uuid,
                    -- assigned, queued, unassigned
                    state text NOT NULL,
                    -- manual, automatic
                    source text NOT NULL,
                    explanation jsonb,
                    version bigint NOT NULL DEFAULT 1,
                    queued_at timestamptz,
                    assigned_at timestamptz,
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, conversation_id)
                );
                CREATE INDEX assignments_queue ON assignments (organization_id, team_id, queued_at) WHERE state = 'queued';
                CREATE INDEX assignments_by_agent ON assignments (organization_id, agent_id) WHERE state = 'assigned';

                CREATE TABLE assignment_history (
                    organization_id text NOT NULL,
                    id bigint GENERATED ALWAYS AS IDENTITY,
                    conversation_id text NOT NULL,
                    -- assigned, queued, reassigned, unassigned
                    change text NOT NULL,
                    from_agent_id text,
                    to_agent_id text,
                    team_id uuid,
                    source text NOT NULL,
                    actor_agent_id text,
                    note text NOT NULL DEFAULT '',
                    explanation jsonb,
                    occurred_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, id)
                );
                CREATE INDEX assignment_history_by_conversation
                    ON assignment_history (organization_id, conversation_id, occurred_at DESC, id DESC);
                CREATE INDEX assignment_history_by_agent
                    ON assignment_history (organization_id, to_agent_id, occurred_at DESC, id DESC);

                CREATE TABLE routing_rules (
                    organization_id text NOT NULL,
                    id uuid NOT NULL,
                    name text NOT NULL,
                    priority integer NOT NULL DEFAULT 100,
                    condition jsonb NOT NULL DEFAULT '{}',
                    team_id uuid NOT NULL,
                    enabled boolean NOT NULL DEFAULT true,
                    idempotency_key text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, id),
                    FOREIGN KEY (organization_id, team_id) REFERENCES teams (organization_id, id)
                );
                """
        )
    ]
}
