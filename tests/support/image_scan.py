"""What a built image carries: every file of every layer, its history and its configuration, searched
for secrets and `.env` files (as `docker save` writes them, so nothing depends on how it was built)."""

from __future__ import annotations

import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tests.support.docker_engine import Engine

SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PRIVATE_KEY", "API_KEY")


@dataclass(frozen=True, slots=True)
class ImageScan:
    layers: int
    files: int
    history: int
    findings: list[str]


def scan_image(engine: Engine, image: str, secrets: list[str]) -> ImageScan:
    """Find `.env` files and the given secret values in the image's layers, history and config, and
    ENV names that look like credentials."""
    needles = [s.encode() for s in secrets if s]
    findings: list[str] = []
    files = 0
    with tempfile.TemporaryDirectory(prefix="mlq-image-") as folder:
        archive = Path(folder) / "image.tar"
        engine("save", "--output", str(archive), image)
        with tarfile.open(archive) as outer:
            manifest_file = outer.extractfile("manifest.json")
            assert manifest_file is not None, "docker save wrote no manifest.json"
            layers = json.load(manifest_file)[0]["Layers"]
            for layer in layers:
                with tarfile.open(fileobj=outer.extractfile(layer)) as inner:
                    for member in inner:
                        if PurePosixPath(member.name).name == ".env":
                            findings.append(f"a .env file: /{member.name}")
                        content = inner.extractfile(member) if member.isfile() else None
                        if content is None:
                            continue
                        files += 1
                        data = content.read()
                        findings += [f"a secret in /{member.name}" for needle in needles if needle in data]
    history = engine("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    config = engine("image", "inspect", image).stdout
    for where, text in (("the history", history), ("the image config", config)):
        findings += [f"a secret in {where}" for secret in secrets if secret and secret in text]
    names = [entry.split("=", 1)[0] for entry in json.loads(config)[0]["Config"]["Env"] or []]
    findings += [f"ENV {name}" for name in names if any(word in name.upper() for word in SECRET_WORDS)]
    return ImageScan(len(layers), files, len(history.splitlines()), findings)
