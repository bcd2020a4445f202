#!/usr/bin/env python3
"""The replicas scenario driven by the official MCP Python SDK.

Usage: python_replicas.py [--urls-file FILE] [--stop-file FILE] [--ready-file FILE]
                          [--min-calls N] [URL ...]
       (token in MCP_TOKEN)

One `ClientSession` (initialize handshake on one replica) whose HTTP requests go
round-robin to the replicas: a custom httpx2 transport sends each request to the
next URL, as a load balancer in front of them would. A request that fails below
HTTP is retried on the next replica; refused connections (never sent) and broken
ones (maybe applied) are counted apart. With --urls-file the list is re-read when
the file changes (a restarted replica has a new port); the script keeps calling
until --stop-file exists and at least --min-calls calls were made (it creates
--ready-file once its session is up and calling). At the end it
checks every climb it created with get_climb and by paging list_climbs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import os
import sys
import time
import traceback
import uuid
from typing import Any

import httpx2
from mcp import ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client

MAX_ATTEMPTS = 6


class CheckFailed(Exception):
    pass


def ensure(cond: bool, what: str) -> None:
    if not cond:
        raise CheckFailed(what)


class RoundRobin(httpx2.AsyncBaseTransport):
    """Sends each request to the next replica; retries transport failures."""

    def __init__(self, urls: list[str], urls_file: str | None) -> None:
        self.urls = urls
        self.urls_file = urls_file
        self.mtime = 0.0
        self.next = 0
        self.inner = httpx2.AsyncHTTPTransport()
        self.requests = 0
        self.refused = 0
        self.broken = 0
        self.reload()

    def reload(self) -> None:
        if not self.urls_file:
            return
        try:
            mtime = os.stat(self.urls_file).st_mtime
        except FileNotFoundError:
            return
        if mtime != self.mtime:
            with open(self.urls_file) as f:
                urls = [u.strip() for u in f.read().split() if u.strip()]
            if urls:
                self.urls, self.mtime = urls, mtime

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests += 1
        last: Exception | None = None
        for _ in range(MAX_ATTEMPTS):
            self.reload()
            target = httpx2.URL(self.urls[self.next % len(self.urls)])
            self.next += 1
            # Scheme, host and port of the replica; path, query and the Host
            # header stay as the client sent them (as through a load balancer).
            request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
            try:
                return await self.inner.handle_async_request(request)
            except httpx2.ConnectError as e:
                self.refused += 1
                last = e
            except httpx2.TransportError as e:
                self.broken += 1
                last = e
            await asyncio.sleep(0.01)
        raise last  # type: ignore[misc]

    async def aclose(self) -> None:
        await self.inner.aclose()


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("urls", nargs="*")
    p.add_argument("--urls-file")
    p.add_argument("--stop-file")
    p.add_argument("--ready-file")
    p.add_argument("--min-calls", type=int, default=300)
    a = p.parse_args()
    if not a.urls and a.urls_file:
        with open(a.urls_file) as f:
            a.urls = f.read().split()
    if not a.urls or not os.environ.get("MCP_TOKEN"):
        sys.exit("usage: MCP_TOKEN=... python_replicas.py [--urls-file F] [--stop-file F] URL ...")
    return a


async def scenario(a: argparse.Namespace) -> str:
    rr = RoundRobin(a.urls, a.urls_file)
    token = os.environ["MCP_TOKEN"]
    calls = 0
    started = time.monotonic()
    http = httpx2.AsyncClient(
        transport=rr,
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx2.Timeout(30.0, read=120.0),
    )
    async with http, streamable_http_client(rr.urls[0], http_client=http) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            await s.list_tools()  # lets the SDK validate structured results

            async def ok(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
                nonlocal calls
                calls += 1
                r = await s.call_tool(name, arguments)
                ensure(not r.is_error, f"{name}({arguments}) failed: {r.content}")
                return r.structured_content

            tag = uuid.uuid4().hex[:8]
            country = await ok("create_area", {"name": f"PyReplicas {tag}", "kind": "country"})
            crag = (await ok("create_area", {"name": f"Round Robin {tag}", "kind": "crag", "parent_id": country["id"]}))["id"]

            if a.ready_file:
                open(a.ready_file, "w").close()

            known: dict[str, tuple[int, str | None]] = {}  # id -> (version, description)
            order: list[str] = []
            cursor: str | None = None
            updates = 0
            step = 0
            while calls < a.min_calls or (a.stop_file and not os.path.exists(a.stop_file)):
                step += 1
                kind = step % 10
                if kind in (0, 5) or not order:
                    c = await ok(
                        "create_climb",
                        {"name": f"py-{tag}-{step}", "area_id": crag, "grades": {"yds": "5.9"}, "disciplines": ["trad"]},
                    )
                    known[c["id"]] = (c["version"], None)
                    order.append(c["id"])
                elif kind in (1, 6):
                    cid = order[(step * 7) % len(order)]
                    version, _ = known[cid]
                    desc = f"py update {step}"
                    broken = rr.broken
                    calls += 1
                    r = await s.call_tool(
                        "update_climb", {"id": cid, "expected_version": version, "changes": {"description": desc}}
                    )
                    if r.is_error and rr.broken > broken:
                        # Replayed after a broken connection: was the first attempt applied?
                        now = await ok("get_climb", {"id": cid})
                        ensure(now.get("description") == desc, f"update of {cid} lost after a retry: {r.content}")
                        new = now["version"]
                    else:
                        ensure(not r.is_error, f"update_climb {cid} v{version}: {r.content}")
                        new = r.structured_content["version"]
                    ensure(new == version + 1, f"update of {cid} from v{version} gave v{new}")
                    known[cid] = (new, desc)
                    updates += 1
                elif kind in (2, 7):
                    cid = order[(step * 13) % len(order)]
                    got = await ok("get_climb", {"id": cid})
                    ensure((got["version"], got.get("description")) == known[cid], f"stale get_climb {got} vs {known[cid]}")
                elif kind in (3, 8):
                    page = await ok("list_climbs", {"area_id": crag, "limit": 20, "cursor": cursor})
                    cursor = page.get("next_cursor")
                elif kind == 4:
                    calls += 1
                    names = {t.name for t in (await s.list_tools()).tools}
                    ensure("update_climb" in names, f"tools/list: {names}")
                else:
                    calls += 1
                    await s.send_ping()
            elapsed = time.monotonic() - started

            # Every climb as last written, and each listed once.
            for cid, (version, desc) in known.items():
                got = await ok("get_climb", {"id": cid})
                ensure((got["version"], got.get("description")) == (version, desc), f"{cid}: {got}")
            listed: list[str] = []
            cursor = None
            while True:
                page = await ok("list_climbs", {"area_id": crag, "limit": 50, "cursor": cursor})
                listed += [c["id"] for c in page["items"]]
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            ensure(len(set(listed)) == len(listed), "a climb listed twice")
            missing = set(known) - set(listed)
            ensure(not missing, f"created but not listed: {missing}")
            ensure(len(listed) - len(known) <= rr.broken, f"{len(listed) - len(known)} unexpected climbs")

    sdk = importlib.metadata.version("mcp")
    return (
        f"python-sdk mcp=={sdk} replicas: {calls} calls ({rr.requests} HTTP requests) to {len(rr.urls)} replicas "
        f"in {elapsed:.1f}s; transport-level retries: {rr.refused} refused, {rr.broken} broken; errors: 0; "
        f"climbs verified: {len(known)}, updates verified: {updates}"
    )


def main() -> int:
    a = parse()
    try:
        print(asyncio.run(scenario(a)), flush=True)
        return 0
    except (CheckFailed, MCPError, Exception) as e:
        print(f"python-sdk replicas FAILED: {e!r}", file=sys.stderr)
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
