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
        ),
        Migration(
            version: 2,
            name: "weighted capacity, round-robin order, urgency, route keys, idempotency, checks",
            sql: """
                -- Round-robin: the agent with the lowest turn gets the next automatic assignment.
                CREATE SEQUENCE routing_turns;
                ALTER TABLE agents
                    ADD COLUMN weights jsonb NOT NULL DEFAULT '[]',
                    ADD COLUMN load integer NOT NULL DEFAULT 0 CHECK (load >= 0),
                    ADD COLUMN last_turn bigint NOT NULL DEFAULT 0,
                    ADD CONSTRAINT agents_availability CHECK (availability IN ('online', 'away', 'offline'));

                ALTER TABLE teams
                    ADD COLUMN idempotency_fingerprint text,
                    ADD CONSTRAINT teams_away_policy
                        CHECK (away_policy IN ('return_to_queue', 'reassign_to_colleagues'));
                CREATE UNIQUE INDEX teams_idempotency ON teams (organization_id, idempotency_key)
                    WHERE idempotency_key IS NOT NULL;

                ALTER TABLE routing_rules ADD COLUMN idempotency_fingerprint text;
                CREATE UNIQUE INDEX routing_rules_idempotency ON routing_rules (organization_id, idempotency_key)
                    WHERE idempotency_key IS NOT NULL;

                -- One row per conversation (the primary key): a conversation is never assigned twice.
                ALTER TABLE assignments
                    ADD COLUMN platform text NOT NULL DEFAULT '',
                    ADD COLUMN kind text NOT NULL DEFAULT '',
                    -- The share of the agent's capacity it takes while assigned.
                    ADD COLUMN weight integer NOT NULL DEFAULT 1 CHECK (weight >= 1),
                    ADD COLUMN respond_by timestamptz,
                    -- Who had it before it went back to the queue (away policy).
                    ADD COLUMN previous_agent_id text,
                    ADD CONSTRAINT assignments_state CHECK (state IN ('assigned', 'queued', 'unassigned')),
                    ADD CONSTRAINT assignments_source CHECK (source IN ('manual', 'automatic')),
                    ADD CONSTRAINT assignments_agent_when_assigned CHECK ((state = 'assigned') = (agent_id IS NOT NULL)),
                    ADD CONSTRAINT assignments_team_when_queued CHECK (state <> 'queued' OR team_id IS NOT NULL);
                DROP INDEX assignments_queue;
                CREATE INDEX assignments_queue ON assignments (organization_id, team_id, respond_by NULLS LAST, queued_at)
                    WHERE state = 'queued';

                ALTER TABLE assignment_history
                    ADD CONSTRAINT assignment_history_change
                        CHECK (change IN ('assigned', 'queued', 'reassigned', 'unassigned'));

                -- RouteConversation's idempotency: a route key is used once per organisation.
                CREATE TABLE route_keys (
                    organization_id text NOT NULL,
                    route_key text NOT NULL,
                    conversation_id text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organization_id, route_key)
                );
                """
        ),
        Migration(
            version: 3,
            name: "outboxes for conversation-service's assignee read model and policy's presence",
            sql: """
                -- The latest assignee of each conversation still to be told to conversation-service
                -- (SetAssignee is monotonic per version, so only the newest matters).
                CREATE TABLE assignee_outbox (
                    organization_id text NOT NULL,
                    conversation_id text NOT NULL,
                    agent_id text,
                    team_id uuid,
                    version bigint NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    last_error text,
                    PRIMARY KEY (organization_id, conversation_id)
                );
                CREATE INDEX assignee_outbox_due ON assignee_outbox (next_attempt_at);
                -- The latest count of online agents per organisation still to be told to policy-service.
                CREATE TABLE presence_outbox (
                    organization_id text PRIMARY KEY,
                    agents_online integer NOT NULL,
                    observed_at timestamptz NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    last_error text
                );
                """
        ),
        Migration(
            version: 4,
            name: "escalation near the window's end, released assignments",
            sql: """
                -- When routing escalated the conversation (its respond_by within the escalation window).
                ALTER TABLE assignments ADD COLUMN escalated_at timestamptz;
                -- released: the conversation is over (ReleaseConversations); routed again when it reopens.
                ALTER TABLE assignments DROP CONSTRAINT assignments_state,
                    ADD CONSTRAINT assignments_state
                        CHECK (state IN ('assigned', 'queued', 'unassigned', 'released'));
                ALTER TABLE assignment_history DROP CONSTRAINT assignment_history_change,
                    ADD CONSTRAINT assignment_history_change
                        CHECK (change IN ('assigned', 'queued', 'reassigned', 'unassigned', 'released'));
                """
        ),
    ]
}
