#!/usr/bin/env sh
# Claude Code `headersHelper` for climbing-mcp: prints the request headers as JSON,
# with a freshly minted short-lived service token, so no long-lived token sits in
# a config file. Claude Code runs it when it connects; what goes wrong is said on
# stderr (Claude Code shows it with `claude --debug`).
#
#   CLIMBING_HOST      the climbing-host binary (default: climbing-host on PATH)
#   CLIMBING_STORE     the store `serve` uses (default: ./.climbing-mcp/kv.db); the
#                      secret and the resource URL `serve` recorded are read beside it
#   CLIMBING_SUBJECT   the token's subject (default: the user name)
#   CLIMBING_SCOPE     scopes (default: "climb:read climb:write")
#   CLIMBING_AUDIENCE  the server's resource_url (default: the one recorded beside
#                      the store, or SPIN_VARIABLE_RESOURCE_URL)
set -eu
if [ -n "${CLIMBING_AUDIENCE:-}" ]; then
  set -- --audience "$CLIMBING_AUDIENCE"
else
  set --
fi
# token mint's messages (and its errors) go to stderr as they are.
if ! token=$("${CLIMBING_HOST:-climbing-host}" token mint \
  --subject "${CLIMBING_SUBJECT:-${USER:-claude-code}}" \
  --scope "${CLIMBING_SCOPE:-climb:read climb:write}" \
  --store "${CLIMBING_STORE:-./.climbing-mcp/kv.db}" \
  --ttl-days 1 "$@"); then
  echo "climbing-mcp token helper: could not mint a token (see above)" >&2
  exit 1
fi
printf '{"Authorization": "Bearer %s"}\n' "$token"
