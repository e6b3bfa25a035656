"""Pick a hexpm/elixir image tag that exists, from the dated table in data/elixir_images.json.

Heroku's Elixir buildpack installed exactly the Elixir and Erlang an app pinned. hexpm/elixir
has one tag per Elixir x OTP x OS snapshot, and not every pair exists on every Debian release
(OTP < 24.2 never built on bookworm; Elixir < 1.10 only on 2020-2022 bases), so the tag is
chosen from a table of tags known to exist rather than formatted from the versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from herokufly.frameworks._files import version_tuple

DEBIAN_RELEASES = ("jessie", "stretch", "buster", "bullseye", "bookworm", "trixie")
# Releases whose packages left deb.debian.org for archive.debian.org (EOL); apt needs the
# archive when the mirror no longer answers.
ARCHIVED_RELEASES = ("jessie", "stretch", "buster", "bullseye")


@dataclass(frozen=True)
class ElixirImage:
    elixir: str
    otp: str
    os: str
    os_version: str  # e.g. "bookworm-20250113-slim"
    evidence: str  # "seen" | "derived"

    @property
    def tag(self) -> str:
        return f"{self.elixir}-erlang-{self.otp}-{self.os}-{self.os_version}"

    @property
    def builder(self) -> str:
        return f"hexpm/elixir:{self.tag}"

    @property
    def release(self) -> str:  # Debian release name
        return self.os_version.split("-", 1)[0]

    @property
    def runner(self) -> str:
        # Bob builds every image FROM debian:<os_version>, so that tag exists too.
        return f"debian:{self.os_version}"

    def to_dict(self) -> dict:
        return {"elixir": self.elixir, "otp": self.otp, "os": self.os,
                "os_version": self.os_version, "evidence": self.evidence, "tag": self.tag,
                "builder": self.builder, "runner": self.runner}


@lru_cache(maxsize=1)
def table() -> dict:
    path = resources.files("herokufly").joinpath("data", "elixir_images.json")
    return json.loads(path.read_text(encoding="utf-8"))


def images() -> list[ElixirImage]:
    return [ElixirImage(**entry) for entry in table()["images"]]


def choose(elixir: str | None, otp: str | None) -> tuple[ElixirImage, list[str]]:
    """The best Debian image for the Elixir and OTP asked (either may be None), with notes
    saying where it differs from what was asked."""
    candidates = [i for i in images() if i.os == "debian"]
    notes: list[str] = []
    wanted = version_tuple(elixir)[:3]
    if wanted:
        minor = wanted[:2]
        same = [i for i in candidates if version_tuple(i.elixir)[:2] == minor]
        if not same:
            newer = sorted({version_tuple(i.elixir)[:2] for i in candidates if version_tuple(i.elixir)[:2] > minor})
            pick = newer[0] if newer else max(version_tuple(i.elixir)[:2] for i in candidates)
            same = [i for i in candidates if version_tuple(i.elixir)[:2] == pick]
            notes.append(f"No known hexpm/elixir image has Elixir {'.'.join(map(str, minor))}; "
                         f"using the nearest, Elixir {'.'.join(map(str, pick))}")
        candidates = same
    otp_wanted = version_tuple(otp)
    if otp_wanted:
        same_major = [i for i in candidates if version_tuple(i.otp)[:1] == otp_wanted[:1]]
        if same_major:
            candidates = same_major
        else:
            nearest = min(candidates, key=lambda i: (abs(version_tuple(i.otp)[0] - otp_wanted[0]),
                                                     -version_tuple(i.otp)[0]))
            candidates = [i for i in candidates if version_tuple(i.otp)[:1] == version_tuple(nearest.otp)[:1]]
            notes.append(f"No known image pairs this Elixir with OTP {otp_wanted[0]}; using OTP "
                         f"{version_tuple(nearest.otp)[0]}")

    def rank(image: ElixirImage):
        exact_elixir = version_tuple(image.elixir)[:3] == wanted
        otp_v = version_tuple(image.otp)
        otp_close = otp_v[:len(otp_wanted)] == otp_wanted if otp_wanted else False
        # A tag seen in use beats a derived one with a newer OTP patch of the same major: it
        # surely exists (e.g. 1.11.4 on OTP 23.0 -> the seen 23.3 tag, not a derived 23.3.4.17).
        # Then a Debian release still on the mirrors (no archive.debian.org fallback needed).
        return (exact_elixir, version_tuple(image.elixir), otp_v == otp_wanted, otp_close,
                image.evidence == "seen", _release_rank(image.release), otp_v,
                _date(image.os_version), image.os_version.endswith("-slim"))

    chosen = max(candidates, key=rank)
    if wanted and version_tuple(chosen.elixir)[:3] != wanted and len(wanted) == 3:
        notes.append(f"Elixir {elixir} has no known image; using {chosen.elixir}, the closest "
                     "patch release that has one")
    if otp_wanted and version_tuple(chosen.otp)[:len(otp_wanted)] != otp_wanted \
            and version_tuple(chosen.otp)[:1] == otp_wanted[:1]:
        notes.append(f"Erlang/OTP {otp} has no known image with Elixir {chosen.elixir}; using "
                     f"OTP {chosen.otp} (same major version)")
    if chosen.evidence != "seen":
        notes.append(f"The image tag {chosen.tag} follows from hexpm/bob's build rules but was not "
                     "seen in use; if `docker pull` fails, pick a tag for the same versions at "
                     "https://hub.docker.com/r/hexpm/elixir/tags (assumption, docs/phoenix.md)")
    return chosen, notes


def _release_rank(release: str) -> int:
    return DEBIAN_RELEASES.index(release) if release in DEBIAN_RELEASES else -1


def _date(os_version: str) -> str:
    parts = os_version.split("-")
    return parts[1] if len(parts) > 1 else ""
