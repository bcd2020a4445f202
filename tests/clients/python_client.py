#!/usr/bin/env python3
"""Drives climbing-mcp with the official MCP Python SDK over Streamable HTTP.

Usage: python_client.py URL TOKEN   (or MCP_URL / MCP_TOKEN in the environment)

Runs the same nine checks twice, once per protocol era the SDK speaks:

- "legacy": `ClientSession` over `streamable_http_client`, with the `initialize`
  handshake (what every 2025-era client does);
- "auto": the high-level `Client` in its default mode, which probes
  `server/discover` and adopts the stateless 2026-07-28 revision.

The bearer token travels in an `httpx2.AsyncClient`'s default headers (the SDK's
way to configure headers). Exits non-zero on the first failed check; prints one
summary line per era on success.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import sys
import traceback
import uuid
from typing import Any

import httpx2
from mcp import Client, ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client

EXPECTED_TOOLS = {"create_area", "create_climb", "get_climb", "list_climbs"}


class CheckFailed(Exception):
    pass


def ensure(cond: bool, what: str) -> None:
    if not cond:
        raise CheckFailed(what)


def args() -> tuple[str, str]:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MCP_URL")
    token = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MCP_TOKEN")
    if not url or not token:
        sys.exit("usage: python_client.py URL TOKEN (or MCP_URL and MCP_TOKEN)")
    return url, token


def http_client(token: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx2.Timeout(30.0, read=120.0),
    )


async def run_checks(api: Any, era: str, passed: list[str]) -> None:
    """The nine checks. `api` is a `ClientSession` or a `Client`: both take
    `call_tool(name, arguments)`, `list_tools()`, `read_resource(uri)`,
    `list_resource_templates()` and `get_prompt(name, arguments)`."""

    def check(name: str) -> None:
        passed.append(name)

    # 2. tools/list: the climbing tools, each with an input schema.
    tools = (await api.list_tools()).tools
    names = {t.name for t in tools}
    ensure(EXPECTED_TOOLS <= names, f"tools/list lacks {EXPECTED_TOOLS - names}: {sorted(names)}")
    for t in tools:
        ensure(
            isinstance(t.input_schema, dict) and t.input_schema.get("type") == "object",
            f"tool {t.name} has no object inputSchema: {t.input_schema!r}",
        )
    check("tools/list")

    # 3. write tools: a country, a crag under it, a climb in the crag.
    async def ok(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        r = await api.call_tool(name, arguments)
        ensure(not r.is_error, f"{name} failed: {r.content}")
        ensure(isinstance(r.structured_content, dict), f"{name}: no structuredContent: {r}")
        ensure(len(r.content) > 0 and r.content[0].type == "text", f"{name}: no text content: {r}")
        return r.structured_content

    tag = uuid.uuid4().hex[:8]
    country = await ok("create_area", {"name": f"Python-land {era} {tag}", "kind": "country"})
    crag = await ok(
        "create_area",
        {"name": f"SDK Crag {tag}", "kind": "crag", "parent_id": country["id"]},
    )
    ensure(crag.get("parent_id") == country["id"], f"crag parent_id: {crag}")
    climb = await ok(
        "create_climb",
        {
            "name": f"Snake Charmer {tag}",
            "area_id": crag["id"],
            "grades": {"yds": "5.11a", "french": "6c+"},
            "disciplines": ["sport"],
            "length_m": 28,
            "bolts": 11,
        },
    )
    ensure(climb.get("version") == 1, f"new climb version: {climb}")
    check("write tools")

    # 4. read tools: get_climb and list_climbs, structured.
    got = await ok("get_climb", {"id": climb["id"]})
    ensure(got["name"] == climb["name"] and got["grades"]["french"] == "6c+", f"get_climb: {got}")
    listed = await ok("list_climbs", {"area_id": crag["id"]})
    ids = [c["id"] for c in listed.get("items", [])]
    ensure(ids == [climb["id"]], f"list_climbs items: {listed}")
    check("read tools")

    # 5. resources: the templates, then the crag as a resource.
    templates = (await api.list_resource_templates()).resource_templates
    uris = {t.uri_template for t in templates}
    ensure("climbing://areas/{id}" in uris, f"resource templates: {uris}")
    check("resources/templates/list")
    uri = f"climbing://areas/{crag['id']}"
    contents = (await api.read_resource(uri)).contents
    ensure(len(contents) == 1 and str(contents[0].uri) == uri, f"resources/read {uri}: {contents}")
    text = getattr(contents[0], "text", "")
    ensure(crag["name"] in text, f"resources/read text lacks the crag name: {text!r}")
    check("resources/read")

    # 6. the prompt.
    prompt = await api.get_prompt(
        "plan_crag_day", {"crag": crag["id"], "discipline": "sport", "grade_range": "6a-7a"}
    )
    ensure(len(prompt.messages) >= 1, f"plan_crag_day: {prompt}")
    ptext = prompt.messages[0].content.text
    ensure(crag["id"] in ptext and "6a-7a" in ptext, f"plan_crag_day text: {ptext!r}")
    check("prompts/get")

    # 7. bad arguments: a tool error result, not a protocol error.
    bad = await api.call_tool("create_climb", {"name": 42, "area_id": crag["id"]})
    ensure(bad.is_error is True, f"bad arguments should give isError: true, got {bad}")
    check("bad arguments -> isError")

    # 8. an unknown tool: a JSON-RPC error (raised) or an isError result.
    try:
        r = await api.call_tool("no_such_tool", {})
    except MCPError as e:
        ensure(e.code == -32602, f"unknown tool: error code {e.code} ({e})")
        check("unknown tool -> JSON-RPC error -32602")
    else:
        ensure(r.is_error is True, f"unknown tool should be an error, got {r}")
        check("unknown tool -> isError")


async def legacy(url: str, token: str) -> str:
    passed: list[str] = []
    async with http_client(token) as hc:
        async with streamable_http_client(url, http_client=hc) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                ensure(init.server_info.name != "", f"initialize: {init}")
                passed.append("initialize")
                await run_checks(session, "legacy", passed)
                version = init.protocol_version
    return summary(version, passed)


async def auto(url: str, token: str) -> str:
    passed: list[str] = []
    async with http_client(token) as hc:
        async with Client(streamable_http_client(url, http_client=hc)) as client:
            version = client.protocol_version
            ensure(client.session.discover_result is not None, f"auto mode fell back to initialize ({version})")
            passed.append("server/discover")
            await run_checks(client, "auto", passed)
    return summary(version, passed)


def summary(version: str, passed: list[str]) -> str:
    sdk = importlib.metadata.version("mcp")
    if os.environ.get("MCP_CLIENT_VERBOSE"):
        for name in passed:
            print(f"  ok: {name}", file=sys.stderr)
    return f"python-sdk mcp=={sdk} (protocol {version}): {len(passed)} checks passed"


async def main() -> int:
    url, token = args()
    for name, era in (("legacy", legacy), ("auto", auto)):
        try:
            print(await era(url, token), flush=True)
        except Exception as e:  # any failure, including SDK exceptions
            print(f"python-sdk {name} FAILED: {e!r}", file=sys.stderr)
            traceback.print_exc()
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
