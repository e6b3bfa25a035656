"""Java apps (Maven or Gradle). Heroku's JVM buildpacks read system.properties
`java.runtime.version` (devcenter java-support) and need a Procfile web process (they add a
default only for a few frameworks). Spring Boot Actuator serves /actuator/health.
Database migrations (Flyway, Liquibase) usually run at boot, so none is proposed.
"""

from __future__ import annotations

import re
from pathlib import Path

from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common
from herokufly.frameworks._files import read_text

NAME = "java"
_BUILD_FILES = ("pom.xml", "build.gradle", "build.gradle.kts", "system.properties")


def detect(root: Path) -> Detection | None:
    present = [f for f in _BUILD_FILES if (Path(root) / f).is_file()]
    if not present:
        return None
    properties = read_text(root, "system.properties") or ""
    version = re.search(r"^\s*java\.runtime\.version\s*[=:]\s*(\S+)", properties, re.M)
    build = "\n".join(read_text(root, f) or "" for f in present if f != "system.properties")
    return Detection(NAME, present, {
        "java_version": version.group(1) if version else None,
        "tool": "maven" if "pom.xml" in present else ("gradle" if any(
            f.startswith("build.gradle") for f in present) else None),
        "actuator": "spring-boot-starter-actuator" in build,
        "spring_boot": "spring-boot" in build,
    })


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={})
    advice.build = _common.buildpacks_build(ctx, "java", facts.get("java_version"),
                                            "system.properties" if facts.get("java_version")
                                            else None, advice.notes)
    advice.processes = _common.web_processes(ctx, None, "", advice)
    advice.release = _common.release_from(ctx, None, "")
    if facts.get("actuator"):
        advice.health_check = _common.health_check("/actuator/health", "Spring Boot Actuator "
                                                   "serves it")
    else:
        advice.health_check = _common.root_health_check()
    advice.config = _common.config_kinds(ctx, ("java",), f"{ctx.fly_app}.fly.dev")
    advice.notes.append(f"{_common.IPV6_PRIVATE}; start the JVM with "
                        "-Djava.net.preferIPv6Addresses=true to reach .internal names")
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    return advice
