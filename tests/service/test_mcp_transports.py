"""`casesearch mcp` as a chat client runs it: a subprocess over stdio, and over streamable HTTP.
Slow: the subprocess loads the real model."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.slow
QUESTION = "老师住宿困难怎么解决"


def _casesearch() -> str:
    return shutil.which("casesearch") or str(Path(sys.executable).parent / "casesearch")


@pytest.fixture
def env(real_index_path, cache_dir):
    return {**os.environ, "CASESEARCH_HOME": str(cache_dir),
            "CASESEARCH_INDEX": str(real_index_path)}


async def _exercise(client: Client) -> None:
    tools = await client.list_tools()
    assert {tool.name for tool in tools.tools} == {"search", "fetch", "similar_cases",
                                                    "compare_figures"}
    found = await client.call_tool("search", {"query": QUESTION, "k": 3})
    first = found.structured_content["results"][0]
    assert first["id"] == "sd2020-liaocheng-3" and first["url"].endswith("/cases/" + first["id"])
    fetched = await client.call_tool("fetch", {"id": first["id"]})
    assert "周转宿舍" in fetched.structured_content["text"]
    similar = await client.call_tool("similar_cases", {"id": first["id"], "k": 3})
    assert all(r["city"] != "聊城市" for r in similar.structured_content["results"])
    missing = await client.call_tool("fetch", {"id": "nope"})
    assert missing.is_error
    compared = await client.call_tool("compare_figures", {"metric": "teachers' housing"})
    rows = compared.structured_content["figures"]
    assert rows and all(row["as_written"] in row["text"] for row in rows)


def test_stdio(env):
    params = StdioServerParameters(command=_casesearch(), args=["mcp"], env=env)

    async def main():
        async with Client(params, read_timeout_seconds=120) as client:
            await _exercise(client)

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_streamable_http(env):
    port = _free_port()
    server = subprocess.Popen([_casesearch(), "mcp", "--http", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"MCP server exited: {server.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)

        async def main():
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                await _exercise(client)

        asyncio.run(main())
    finally:
        server.terminate()
        server.wait(30)
