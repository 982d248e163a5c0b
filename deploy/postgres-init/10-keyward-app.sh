#!/bin/sh
# First start of the compose Postgres: keyward's login, with no rights of its own. `keyward db migrate`
# (the migrate service) grants it the least-privilege writer role.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v pw="$(cat /run/secrets/keyward_db_password)" <<'SQL'
CREATE ROLE keyward_app LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
SQL
