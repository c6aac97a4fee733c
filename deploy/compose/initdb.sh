#!/bin/sh
# Runs deploy/sql/init.sql in the compose PostgreSQL on first start, with the roles' passwords
# from the environment.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
    -v gateway_password="$GATEWAY_DB_PASSWORD" \
    -v conversations_password="$CONVERSATIONS_DB_PASSWORD" \
    -v assignment_password="$ASSIGNMENT_DB_PASSWORD" \
    -v policy_password="$POLICY_DB_PASSWORD" \
    -f /docker-entrypoint-initdb.d/init.sql.in
