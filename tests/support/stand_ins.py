"""The registry images the project names (python:3.11-slim, postgres:16-alpine), or stand-ins for them.

An image already present under the tag is used as it is: the real one (pulled by whoever could reach
a registry, or with MLQ_PULL_BASE_IMAGES=1 set) or a stand-in from an earlier run. Otherwise a stand-in
is built from Debian's packages: a minimal bookworm root file system (mmdebstrap, imported as
`mlquestion-stand-in/debian:bookworm`), then the Dockerfile in tests/deploy/stand-ins/<name>/ on top,
with the machine's CA bundle. Stand-ins carry a label holding a hash of their recipe: a stand-in
whose recipe changed is rebuilt, one whose recipe is the same is reused (the cache between runs).
No image registry is ever contacted unless MLQ_PULL_BASE_IMAGES=1 asks for it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import ssl
import tempfile
import time
from pathlib import Path

from tests.support.docker_engine import Engine, apt_install, run
from tests.support.paths import ROOT

RECIPES = ROOT / "tests" / "deploy" / "stand-ins"
STAND_INS = {"python:3.11-slim": "python-3.11-slim", "postgres:16-alpine": "postgres-16-alpine"}
BASE = "mlquestion-stand-in/debian:bookworm"
LABEL = "org.mlquestion.stand-in.recipe"
PULL_VARIABLE = "MLQ_PULL_BASE_IMAGES"
SUITE = "bookworm"
SOURCES = (
    "deb http://deb.debian.org/debian bookworm main\n"
    "deb http://deb.debian.org/debian bookworm-updates main\n"
    "deb http://deb.debian.org/debian-security bookworm-security main\n"
)
# minbase with merged /usr (no usrmerge package, which would pull in perl), without documentation,
# manual pages and translations, as debian:bookworm-slim is.
MMDEBSTRAP_OPTIONS = (
    "--variant=minbase",
    "--mode=root",
    "--format=tar",
    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    "--dpkgopt=force-unsafe-io",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    "--dpkgopt=path-exclude=/usr/share/info/*",
)


def ca_bundle() -> Path:
    """The machine's CA bundle (the one pip, curl and apt here trust)."""
    for candidate in (os.environ.get("SSL_CERT_FILE"), ssl.get_default_verify_paths().cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return Path("/etc/ssl/certs/ca-certificates.crt")


def _recipe_hash(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def base_recipe() -> str:
    return _recipe_hash(SOURCES.encode(), " ".join(MMDEBSTRAP_OPTIONS).encode())


def recipe(name: str) -> str:
    folder = RECIPES / name
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return _recipe_hash(
        base_recipe().encode(),
        ca_bundle().read_bytes(),
        *(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes() for p in files),
    )


def _label(engine: Engine, image: str) -> str | None:
    """The stand-in label of a local image; "" for an image without it; None when there is no image."""
    template = '{{index .Config.Labels "%s"}}' % LABEL  # noqa: UP031 — Go template braces
    found = engine("image", "inspect", "--format", template, image, check=False)
    if found.code != 0:
        return None
    value = found.stdout.strip()
    return "" if value in {"", "<no value>"} else value


def _build_base(engine: Engine) -> None:
    if _label(engine, BASE) == base_recipe():
        return
    if shutil.which("mmdebstrap") is None:
        apt_install("mmdebstrap")
    # Memory, where there is some: unpacking a root file system is thousands of small writes.
    shm = Path("/dev/shm")  # noqa: S108 — only as the parent of a fresh mkdtemp folder
    scratch = shm if shm.is_dir() else Path(tempfile.gettempdir())
    with tempfile.TemporaryDirectory(prefix="mlq-rootfs-", dir=scratch) as folder:
        rootfs = Path(folder) / "rootfs.tar"
        env = {**os.environ, "TMPDIR": folder}
        run(["mmdebstrap", "--quiet", *MMDEBSTRAP_OPTIONS, SUITE, str(rootfs)], stdin=SOURCES, env=env)
        engine(
            "import",
            "--change",
            f"LABEL {LABEL}={base_recipe()}",
            "--change",
            'CMD ["bash"]',
            str(rootfs),
            BASE,
        )


def _build_stand_in(engine: Engine, tag: str) -> None:
    name = STAND_INS[tag]
    with tempfile.TemporaryDirectory(prefix=f"mlq-{name}-") as folder:
        context = Path(folder)
        for source in (RECIPES / name).iterdir():
            shutil.copy(source, context / source.name)
            if source.suffix == ".sh":
                (context / source.name).chmod(0o755)
        shutil.copy(ca_bundle(), context / "ca-certificates.crt")
        engine("build", "--quiet", "--label", f"{LABEL}={recipe(name)}", "--tag", tag, str(context))


def ensure_base_images(engine: Engine) -> dict[str, str]:
    """Make every registry image the project uses available under its tag; say where each came from."""
    found: dict[str, str] = {}
    for tag, name in STAND_INS.items():
        label = _label(engine, tag)
        if label is None and os.environ.get(PULL_VARIABLE) == "1":
            engine("pull", "--quiet", tag)
            label = ""
        if label == "":
            found[tag] = "the registry image, already present"
        elif label == recipe(name):
            found[tag] = "stand-in from Debian packages, cached"
        else:
            started = time.monotonic()
            _build_base(engine)
            _build_stand_in(engine, tag)
            found[tag] = f"stand-in from Debian packages, built in {time.monotonic() - started:.0f} s"
    return found


def is_stand_in(engine: Engine, tag: str) -> bool:
    return bool(_label(engine, tag))
