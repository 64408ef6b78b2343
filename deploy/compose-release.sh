#!/bin/sh
# Runs the Compose deployment on image tag TAG (main, or sha-<commit> to roll back) from REGISTRY: records both in
# deploy/compose/.env (so a later plain `docker-compose up -d` keeps them), pulls, migrates, then replaces the
# services. Run on the server from deploy/compose; used by .github/workflows/deploy.yml (deploy/README.md).
# Usage: ../compose-release.sh REGISTRY TAG
set -eu
usage="usage: compose-release.sh REGISTRY TAG"
registry="${1:?$usage}"; tag="${2:?$usage}"
case "$tag" in
  main|sha-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) ;;
  *) echo "compose-release: TAG must be main or sha-<commit>, not '$tag'" >&2; exit 2 ;;
esac
# AUTOPACK_COMPOSE="docker compose" for Compose v2.
compose="${AUTOPACK_COMPOSE:-docker-compose}"
touch .env
grep -v -e '^AUTOPACK_REGISTRY=' -e '^AUTOPACK_TAG=' .env > .env.next || true
printf 'AUTOPACK_REGISTRY=%s\nAUTOPACK_TAG=%s\n' "$registry" "$tag" >> .env.next
mv .env.next .env
$compose pull --quiet
$compose run --rm migrate
$compose up -d --remove-orphans
$compose ps
echo "compose-release: running $registry/autopack-*:$tag"
