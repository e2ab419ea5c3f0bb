"""The container image (deploy/Containerfile), built with Podman on a base made from Debian's
packages, serves as a user would run it: `/readyz`, a search, its health check, its settings
from the environment, no root, and nothing fetched from a network.

Run by `make image-check` (which `.ci/run` calls beside `make test`): building the image
takes minutes, so these tests are marked `image` and `make test` leaves them out.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.deploy_check import ready
from scripts.image import ROOT, build_image, debian_image, engine_options
from scripts.loadtest import free_port

pytestmark = [pytest.mark.image,
              pytest.mark.skipif(shutil.which("podman") is None,
                                 reason="needs Podman (`make image-check` installs it)")]

QUESTION = "老师住宿困难怎么解决"
API_KEY = "image-test-key-0123456789"
# Inside the container (the image has no curl), with its own Python: one request to the port
# it serves on, from a loopback source address bound (the kernel would pick 127.0.0.1 for
# any 127.x destination), so that a test that earns a block spares the others; prints the
# status, the Set-Cookie header and the body, a line each.
REQUEST = ("import http.client, sys\n"
           "source, method, path, form, *headers = sys.argv[1:]\n"
           "connection = http.client.HTTPConnection('127.0.0.1', 8000, timeout=10,\n"
           "                                        source_address=(source, 0))\n"
           "head = dict(h.split(': ', 1) for h in headers)\n"
           "if form:\n"
           "    head['Content-Type'] = 'application/x-www-form-urlencoded'\n"
           "connection.request(method, path, body=form or None, headers=head)\n"
           "answer = connection.getresponse()\n"
           "print(answer.status)\nprint(answer.getheader('Set-Cookie', ''))\n"
           "print(answer.read().decode())\n")


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], check=check, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def image() -> str:
    tag = "localhost/casesearch:image-test"
    build_image(tag)
    return tag


def start(image: str, *options: str) -> str:
    """A container of the image, started detached; its name."""
    name = f"casesearch-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["podman", "run", *engine_options(), "-d", "--name", name,
                    "-e", "CASESEARCH_TUNE=off", *options, image], check=True,
                   capture_output=True, text=True, timeout=120)
    return name


def request(name: str, method: str, path: str, *headers: str, form: str = "",
            source: str = "127.0.0.1") -> tuple[int, str, str]:
    """One request from inside the container; its status, Set-Cookie header and body."""
    done = podman("exec", name, "python3", "-c", REQUEST, source, method, path, form,
                  *headers, timeout=60)
    status, cookie, body = done.stdout.split("\n", 2)
    return int(status), cookie, body


def inside(name: str, path: str, *headers: str) -> tuple[int, str]:
    """GET `path` from inside the container; its status and body."""
    status, _, body = request(name, "GET", path, *headers)
    return status, body


def wait_ready(name: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if inside(name, "/readyz")[0] == 200:
                return
        except (subprocess.CalledProcessError, ValueError):
            pass  # not listening yet
        state = podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
        if state != "running":
            pytest.fail(f"the container stopped ({state}):\n{podman('logs', name).stderr}")
        time.sleep(1)
    pytest.fail(f"not ready in {seconds:g} s:\n{podman('logs', name, check=False).stderr}")


@pytest.fixture(scope="module")
def served(image: str) -> Iterator[tuple[str, int]]:
    """A container as `docker run -p 127.0.0.1:PORT:8000 casesearch` starts it."""
    port = free_port()
    name = start(image, "-p", f"127.0.0.1:{port}:8000")
    try:
        wait_ready(name)
        yield name, port
    finally:
        podman("rm", "-f", "-t", "5", name, check=False)


@pytest.fixture(scope="module")
def offline_with_key(image: str) -> Iterator[str]:
    """A container with no network at all, and an API key from the environment."""
    name = start(image, "--network=none", "-e", f"CASESEARCH_API_KEY={API_KEY}")
    try:
        wait_ready(name)
        yield name
    finally:
        podman("rm", "-f", "-t", "5", name, check=False)


def search_path(question: str = QUESTION) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": question, "k": 3})


def test_a_published_port_answers_readyz_and_a_search(served: tuple[str, int]) -> None:
    _, port = served
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as answer:
        assert answer.status == 200
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{search_path()}", timeout=30) as answer:
        results = json.load(answer)["results"]
    assert results, "a question about teachers' housing finds nothing"
    assert "宿舍" in results[0]["text"] or "住房" in results[0]["text"]


def test_a_search_from_inside_the_container(served: tuple[str, int]) -> None:
    status, body = inside(served[0], search_path("how do cities run school buses safely"))
    assert status == 200
    assert any("校车" in hit["text"] for hit in json.loads(body)["results"])


def test_it_runs_as_a_user_of_its_own_not_root(served: tuple[str, int]) -> None:
    assert podman("exec", served[0], "id", "-u").stdout.strip() == "10001"
    owner = podman("exec", served[0], "stat", "-c", "%U", "/proc/1").stdout.strip()
    assert owner == "casesearch"


def test_its_health_check_passes(image: str, served: tuple[str, int]) -> None:
    check = json.loads(podman("image", "inspect", image).stdout)[0]["Healthcheck"]
    assert "/readyz" in " ".join(check["Test"])
    assert podman("healthcheck", "run", served[0], check=False).returncode == 0


def test_the_entry_point_is_casesearch_itself(image: str) -> None:
    config = json.loads(podman("image", "inspect", image).stdout)[0]["Config"]
    assert config["Entrypoint"] == ["casesearch"] and config["Cmd"] == ["serve"]
    done = subprocess.run(["podman", "run", *engine_options(), "--rm", image, "--version"],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.startswith("casesearch ")


def test_it_serves_with_no_network_and_takes_its_settings_from_the_environment(
        offline_with_key: str) -> None:
    assert inside(offline_with_key, search_path())[0] == 401  # the key from -e is required
    status, body = inside(offline_with_key, search_path(), f"Authorization: Bearer {API_KEY}")
    assert status == 200 and json.loads(body)["results"]


def test_no_client_can_name_its_own_address_to_the_image(offline_with_key: str) -> None:
    """In a container every client of a published port seems to come from the gateway, or
    from loopback: the image believes nobody's X-Forwarded-For (CASESEARCH_TRUSTED_PROXIES=
    none), so a guesser that makes one up each time is still stopped."""
    from service.runtime.admission import FAILURES_ALLOWED

    statuses = [request(offline_with_key, "GET", "/api/cities",
                        f"Authorization: Bearer wrong-{n}", f"X-Forwarded-For: 192.0.2.{n + 1}",
                        source="127.0.0.2")[0]
                for n in range(FAILURES_ALLOWED + 1)]
    assert statuses == [401] * FAILURES_ALLOWED + [429]


def test_nobody_can_say_the_browser_came_over_https_to_the_image(offline_with_key: str) -> None:
    """Neither the app nor gunicorn believes a peer's X-Forwarded-Proto in the image: the
    session cookie is not made `Secure` for a plain-HTTP browser on a client's word."""
    status, cookie, _ = request(offline_with_key, "POST", "/login", "X-Forwarded-Proto: https",
                                form=urllib.parse.urlencode({"key": API_KEY}),
                                source="127.0.0.3")
    assert status == 303 and "casesearch_session=" in cookie
    assert "secure" not in cookie.lower()


def test_it_stops_at_once_on_sigterm(image: str) -> None:
    name = start(image)
    try:
        wait_ready(name)
        started = time.monotonic()
        podman("stop", "-t", "30", name)
        assert time.monotonic() - started < 15, "SIGTERM did not stop the server in time"
        exit_code = podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        assert exit_code == "0"
    finally:
        podman("rm", "-f", name, check=False)


COMPOSE = ROOT / "deploy" / "compose.yaml"
# In the order they are waited for: the replicas, then nginx in front of them.
COMPOSE_PORTS = {"casesearch-1": 8001, "casesearch-2": 8002, "nginx": 8080}
REPLICAS = ("casesearch-1", "casesearch-2")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def answered_a_search(log: str) -> bool:
    """Whether a replica's JSON log has a search it answered 200 (not one nginx retried)."""
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("route") == "/api/search" and entry.get("status") == 200:
            return True
    return False


def test_compose_serves_two_replicas_behind_nginx(image: str) -> None:
    """deploy/compose.yaml as it ships, with this image and an nginx image made from
    Debian's packages: searches through nginx reach both replicas."""
    busy = [f"{name} ({port})" for name, port in COMPOSE_PORTS.items() if not port_is_free(port)]
    if busy:
        pytest.fail(f"compose.yaml's ports are taken on this machine: {', '.join(busy)}")
    nginx = debian_image("localhost/casesearch-nginx:bookworm", ("nginx",),
                         remove=("/etc/nginx/sites-enabled/default",))
    project = f"casesearch-test-{uuid.uuid4().hex[:6]}"
    runtime = [option for option in engine_options() if option.startswith("--runtime")]
    limits = [option for option in engine_options() if option.startswith("--ulimit")]
    # `--option=value`: a value that starts with `--` would be read as an option of its own
    compose = [str(Path(sys.executable).with_name("podman-compose")), "--in-pod", "false",
               "-p", project, f"--podman-args={' '.join(runtime)}",
               f"--podman-run-args={' '.join(limits)}", "-f", str(COMPOSE)]
    env = {**os.environ, "CASESEARCH_IMAGE": image, "NGINX_IMAGE": nginx,
           "CASESEARCH_TUNE": "off"}
    try:
        subprocess.run([*compose, "up", "-d"], check=True, env=env, capture_output=True,
                       text=True, timeout=300)
        deadline = time.monotonic() + 180
        # The replicas first, then nginx: nginx's own /readyz may reach a replica that is not
        # up yet, which takes that replica out of rotation for fail_timeout (3 s).
        while not all(ready(port) for port in COMPOSE_PORTS.values()):
            if time.monotonic() > deadline:
                logs = subprocess.run([*compose, "logs"], env=env, capture_output=True,
                                      text=True, timeout=60)
                pytest.fail(f"not ready in 180 s:\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")
            time.sleep(1)
        # Passive health checks only: a replica skipped once comes back after fail_timeout.
        # Twelve searches, then more until both replicas have answered one, for at most 10 s
        # more (three of nginx's timeouts).
        searched, answered, until = 0, set(), None
        while searched < 12 or (len(answered) < 2 and time.monotonic() < until):
            with urllib.request.urlopen(f"http://localhost:8080{search_path()}",
                                        timeout=30) as answer:
                assert answer.status == 200 and json.load(answer)["results"]
            searched += 1
            if searched == 12:
                until = time.monotonic() + 10
            answered |= {replica for replica in REPLICAS if replica not in answered
                         and answered_a_search(podman("logs", f"{project}_{replica}_1").stderr)}
            time.sleep(0.1)
        assert answered == set(REPLICAS), (
            f"{searched} searches through nginx reached only {sorted(answered)}")
    finally:
        subprocess.run([*compose, "down", "-v", "-t", "5"], env=env, capture_output=True,
                       timeout=300)
