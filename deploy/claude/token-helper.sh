#!/usr/bin/env sh
# Claude Code `headersHelper` for climbing-mcp: prints the request headers as JSON,
# with a freshly minted short-lived service token, so no long-lived token sits in
# a config file. Claude Code runs it when it connects.
#
#   CLIMBING_HOST      the climbing-host binary (default: climbing-host on PATH)
#   CLIMBING_SUBJECT   the token's subject (default: the user name)
#   CLIMBING_SCOPE     scopes (default: "climb:read climb:write")
#   CLIMBING_AUDIENCE  the server's resource_url (default: http://127.0.0.1:3000/mcp)
# The secret comes from where `climbing-host token mint` looks for it
# (SPIN_VARIABLE_JWT_HS256_SECRET, or ./.climbing-mcp/secret).
set -eu
token=$("${CLIMBING_HOST:-climbing-host}" token mint \
  --subject "${CLIMBING_SUBJECT:-${USER:-claude-code}}" \
  --scope "${CLIMBING_SCOPE:-climb:read climb:write}" \
  --audience "${CLIMBING_AUDIENCE:-http://127.0.0.1:3000/mcp}" \
  --ttl-days 1 2>/dev/null)
printf '{"Authorization": "Bearer %s"}\n' "$token"
