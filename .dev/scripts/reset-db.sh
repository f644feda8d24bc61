#!/usr/bin/env bash
# DESTRUCTIVE: wipe the compose database volume, start a fresh Postgres and re-apply every
# migration. Asks before deleting anything; `--yes` skips the question (for scripts).
# Only the docker compose stack is touched; `bun dev`'s embedded data under .data/ is not
# (for that: `bun run db:reset`).
set -euo pipefail

cd "$(dirname "$0")/../.."
COMPOSE="${COMPOSE:-docker compose}"
DOCKER="${DOCKER:-docker}"
PROJECT="${COMPOSE_PROJECT_NAME:-trainer2}"
VOLUME_KEY="db-data" # the volume name in compose.yaml

assume_yes=false
for arg in "$@"; do
  case "$arg" in
    -y | --yes) assume_yes=true ;;
    -h | --help)
      sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

# Find the volume by compose's labels, so a renamed project still resolves.
volumes="$($DOCKER volume ls --quiet \
  --filter "label=com.docker.compose.project=${PROJECT}" \
  --filter "label=com.docker.compose.volume=${VOLUME_KEY}")"

echo "This deletes every row in the compose database of project '${PROJECT}':"
if [ -n "$volumes" ]; then
  echo "  volume(s): $(echo "$volumes" | tr '\n' ' ')"
else
  echo "  (no ${VOLUME_KEY} volume exists yet; a fresh one will be created)"
fi

if [ "$assume_yes" != true ]; then
  if [ ! -t 0 ]; then
    echo "Refusing to continue without a terminal to confirm on; pass --yes to skip the question." >&2
    exit 1
  fi
  read -r -p "Type 'reset' to continue: " answer
  if [ "$answer" != "reset" ]; then
    echo "Nothing changed."
    exit 1
  fi
fi

echo "Stopping the services that use the database..."
$COMPOSE stop web agent api db
$COMPOSE rm --force --stop db

if [ -n "$volumes" ]; then
  echo "Removing the database volume..."
  # shellcheck disable=SC2086 # one name per word is what we want
  $DOCKER volume rm $volumes
fi

echo "Starting a fresh Postgres and waiting until it is healthy..."
$COMPOSE up --detach --wait db

echo "Applying migrations..."
$COMPOSE run --rm --no-deps api bun db/src/cli.ts migrate

echo "Starting api, agent and web again..."
$COMPOSE up --detach api agent web
echo "Done: the database is empty and migrated."
