-- Social Inbox: one database, four schemas, four roles. Each role owns its schema and has no
-- privileges on the others'; a service connects as its own role (its DATABASE_URL).
--
-- Run as a superuser, connected to the target database, with psql:
--   psql -v ON_ERROR_STOP=1 -d inbox -f deploy/sql/init.sql \
--        [-v gateway_password=... -v conversations_password=... \
--         -v assignment_password=... -v policy_password=...]
-- Passwords default to '<role>-dev' (local development and tests only). Running it again is
-- safe: roles and schemas are created when missing and passwords reset to the given values.
-- Used by deploy/local (local stack and tests), deploy/compose and deploy/k8s.

\set QUIET on
\if :{?gateway_password}
\else
\set gateway_password 'inbox_gateway-dev'
\endif
\if :{?conversations_password}
\else
\set conversations_password 'inbox_conversations-dev'
\endif
\if :{?assignment_password}
\else
\set assignment_password 'inbox_assignment-dev'
\endif
\if :{?policy_password}
\else
\set policy_password 'inbox_policy-dev'
\endif

-- Roles are cluster-wide; a lock keeps two runs (parallel test setups) from racing.
SELECT pg_advisory_lock(hashtext('social-inbox.init'));

DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['inbox_gateway', 'inbox_conversations', 'inbox_assignment', 'inbox_policy'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', role_name);
        END IF;
    END LOOP;
END
$$;

ALTER ROLE inbox_gateway PASSWORD :'gateway_password';
ALTER ROLE inbox_conversations PASSWORD :'conversations_password';
ALTER ROLE inbox_assignment PASSWORD :'assignment_password';
ALTER ROLE inbox_policy PASSWORD :'policy_password';

CREATE SCHEMA IF NOT EXISTS gateway AUTHORIZATION inbox_gateway;
CREATE SCHEMA IF NOT EXISTS conversations AUTHORIZATION inbox_conversations;
CREATE SCHEMA IF NOT EXISTS assignment AUTHORIZATION inbox_assignment;
CREATE SCHEMA IF NOT EXISTS policy AUTHORIZATION inbox_policy;

-- Nothing shared: no role may create objects in public, and each schema is its owner's alone.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA gateway, conversations, assignment, policy FROM PUBLIC;

-- Each role finds its own tables first.
ALTER ROLE inbox_gateway SET search_path = gateway;
ALTER ROLE inbox_conversations SET search_path = conversations;
ALTER ROLE inbox_assignment SET search_path = assignment;
ALTER ROLE inbox_policy SET search_path = policy;

SELECT pg_advisory_unlock(hashtext('social-inbox.init'));
