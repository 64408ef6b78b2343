#!/bin/sh
# Creates the secret files the Compose and Kubernetes deployments read (deploy/README.md), each 0600, with openssl:
#   postgres_password, qdrant_api_key (random), database_url (built from the password), autopack_api_key (the first
#   admin API key, 64 hex characters), jwt_private_key / jwt_public_key (an RSA 2048 pair for dashboard tokens).
# A file that exists is kept: PostgreSQL keeps the password it was initialised with, so regenerating it would lock
# the services out. Usage: deploy/create-secrets.sh [DIR] (default deploy/compose/secrets)
set -eu
dir="${1:-$(dirname "$0")/compose/secrets}"
umask 077
mkdir -p "$dir"
cd "$dir"
made=""
new() { [ -s "$1" ] && return 1; made="$made $1"; return 0; }
if new postgres_password; then openssl rand -hex 24 > postgres_password; fi
if new qdrant_api_key; then openssl rand -hex 24 > qdrant_api_key; fi
if new database_url; then printf 'postgresql://autopack:%s@postgres:5432/autopack' "$(cat postgres_password)" > database_url; fi
if new autopack_api_key; then openssl rand -hex 32 > autopack_api_key; fi
if new jwt_private_key; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out jwt_private_key 2>/dev/null
  rm -f jwt_public_key
fi
if new jwt_public_key; then openssl pkey -in jwt_private_key -pubout -out jwt_public_key; fi
chmod 600 postgres_password qdrant_api_key database_url autopack_api_key jwt_private_key jwt_public_key
echo "create-secrets: $(pwd):${made:- nothing new, every file was there}"
