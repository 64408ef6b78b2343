#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts (/docker-entrypoint.d/; executable in git, COPY keeps the
# mode). certbot renews certificates into the shared volume and nginx reads them only on (re)load, so reload every
# AUTOPACK_TLS_RELOAD_SECONDS (6 h by default).
( while sleep "${AUTOPACK_TLS_RELOAD_SECONDS:-21600}"; do nginx -s reload; done ) &
