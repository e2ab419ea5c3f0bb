"""Build the container image (deploy/Containerfile) with Podman, from Debian's packages alone.

Where no image registry is reachable, the base is made here: `mmdebstrap` writes a minimal
Debian bookworm with Python 3.11 (from Debian's own packages) to build/base-bookworm.tar, and
`podman import` makes it an image. The pinned dependencies are gathered as wheels into
build/wheels (`pip wheel -r requirements.lock`, once per lock), so the build itself downloads
nothing. With a registry, `--base docker.io/library/python:3.11-slim-bookworm` builds on the
official image instead.

    .venv/bin/python -m scripts.image [--tag localhost/casesearch:latest] [--base IMAGE]
                                      [--wheels-only]

`make image` runs it; `make image-check` builds it and runs tests/image (a container serving
`/readyz` and a search; deploy/compose.yaml's replicas behind nginx, on an nginx image made
the same way). Prints the image's tag, size and build time as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
WHEELS = BUILD / "wheels"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
TAG = "localhost/casesearch:latest"
DEBIAN_BASE = "localhost/casesearch-base:bookworm"
SUITE = "bookworm"
# Debian's release, its point-release updates and its security updates, as of the day the
# base is made.
SOURCES = (f"deb http://deb.debian.org/debian {SUITE} main",
           f"deb http://deb.debian.org/debian {SUITE}-updates main",
           f"deb http://deb.debian.org/debian-security {SUITE}-security main")
# What the image needs of Debian: Python 3.11 with venv and pip, and the CA certificates.
BASE_PACKAGES = ("python3", "python3-venv", "python3-pip", "ca-certificates")
NPROC_LIMIT = 4096


def engine_options() -> list[str]:
    """Options every `podman build`/`podman run` here takes.

    runc, not crun: crun refuses this kind of machine's cgroups (v1 with a v2 hierarchy
    beside it: "cgroups in hybrid mode not supported"), runc runs on both. The open files and
    processes a container may have are set to what this process may have: Podman's defaults
    ask for more than an unprivileged sandbox allows ("setrlimit: operation not permitted")."""
    files = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    processes = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    if processes == resource.RLIM_INFINITY or processes > NPROC_LIMIT:
        processes = NPROC_LIMIT
    options = [f"--ulimit=nofile={files}:{files}", f"--ulimit=nproc={processes}:{processes}"]
    if shutil.which("runc"):
        options.insert(0, "--runtime=runc")
    return options


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """A command, its output shown, failing loudly."""
    print("+", " ".join(command), file=sys.stderr, flush=True)
    return subprocess.run(command, check=True, **kwargs)


def image_exists(tag: str) -> bool:
    return subprocess.run(["podman", "image", "exists", tag]).returncode == 0


def debian_image(tag: str = DEBIAN_BASE, packages: tuple[str, ...] = BASE_PACKAGES,
                 remove: tuple[str, ...] = ()) -> str:
    """An image made with mmdebstrap from Debian's packages (kept once made): `packages`
    installed on a minimal bookworm, the files `remove` names taken out."""
    if image_exists(tag):
        return tag
    BUILD.mkdir(exist_ok=True)
    tarball = BUILD / f"{tag.rsplit('/', 1)[-1].replace(':', '-')}.tar"
    if not tarball.is_file():
        partial = tarball.with_suffix(".partial.tar")
        hooks = [f'--customize-hook=rm -f "$1"{path}' for path in remove]
        run(["mmdebstrap", "--variant=apt", f"--include={','.join(packages)}", *hooks,
             "--format=tar", SUITE, str(partial), *SOURCES])
        partial.rename(tarball)
    run(["podman", "import", "--change", "CMD=/bin/bash", str(tarball), tag])
    return tag


def lock_digest() -> str:
    return hashlib.sha256((ROOT / "requirements.lock").read_bytes()).hexdigest()


def wheels() -> Path:
    """build/wheels: a wheel of every pinned dependency, gathered once per requirements.lock."""
    stamp = WHEELS / ".lock-sha256"
    if stamp.is_file() and stamp.read_text().strip() == lock_digest():
        return WHEELS
    shutil.rmtree(WHEELS, ignore_errors=True)
    WHEELS.mkdir(parents=True)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "-r", str(ROOT / "requirements.lock"),
         "-w", str(WHEELS)])
    stamp.write_text(lock_digest() + "\n")
    return WHEELS


def build_image(tag: str = TAG, base: str | None = None) -> dict:
    """Build deploy/Containerfile as `tag` on `base` (default: the mmdebstrap base)."""
    base = base or debian_image()
    wheels()
    started = time.perf_counter()
    run(["podman", "build", *engine_options(), "--format=docker", "--layers",
         f"--build-arg=BASE={base}", "-f", str(CONTAINERFILE), "-t", tag, str(ROOT)])
    seconds = time.perf_counter() - started
    size = subprocess.run(["podman", "image", "inspect", "--format", "{{.Size}}", tag],
                          check=True, capture_output=True, text=True).stdout.strip()
    return {"tag": tag, "base": base, "build_s": round(seconds, 1),
            "size_mb": round(int(size) / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", default=TAG)
    parser.add_argument("--base", default=None,
                        help="a Python 3.11 Debian image (default: one made with mmdebstrap)")
    parser.add_argument("--wheels-only", action="store_true",
                        help="only gather build/wheels (for `docker build` on another engine)")
    args = parser.parse_args()
    if args.wheels_only:
        print(json.dumps({"wheels": str(wheels())}))
        return
    print(json.dumps(build_image(args.tag, args.base)))


if __name__ == "__main__":
    main()
