"""JVM apps the CNB builder builds: Maven, Gradle (heroku/java) and sbt (heroku/scala).

Sources (heroku/buildpacks-jvm@87d898ca): Maven detects on `pom.xml` (and pom.{atom,clj,
groovy,rb,scala,yaml,yml}), Gradle on build.gradle[.kts]/settings.gradle[.kts] and fails
without `gradlew` (buildpacks/gradle/src/detect.rs, errors.rs `GradleWrapperNotFound`), sbt
on *.sbt, project/*.scala, .sbt/*.scala or project/build.properties (buildpacks/sbt/src/
detect.rs). Without a Procfile web line, Maven adds `java -Dserver.port=$PORT $JAVA_OPTS -jar
target/<jar>` for Spring Boot and Gradle `java -jar build/libs/<jar>` for Spring Boot,
Micronaut or Quarkus (framework.rs in each); sbt adds none. The OpenJDK version is
system.properties `java.runtime.version` (devcenter java-support). Leiningen (Clojure) is
not in the builder (heroku/cnb-builder-images builder-24/builder.toml): such a repo is
refused by `_unsupported`. Flyway and Liquibase migrate at boot, so no release is proposed.
"""

from __future__ import annotations

import re
from pathlib import Path

from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common
from herokufly.frameworks._files import read_text

NAME = "java"
_MAVEN = tuple(f"pom.{ext}" for ext in ("xml", "atom", "clj", "groovy", "rb", "scala", "yaml",
                                         "yml"))
_GRADLE = ("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts")


def _sbt(root: Path) -> list[str]:
    found = sorted(p.name for p in root.glob("*.sbt"))
    for folder in ("project", ".sbt"):
        if any((root / folder).glob("*.scala")):
            found.append(f"{folder}/*.scala")
    if (root / "project" / "build.properties").is_file():
        found.append("project/build.properties")
    return found


def java_version(text: str) -> str | None:
    found = re.search(r"^\s*java\.runtime\.version\s*[=:]\s*(\S+)", text, re.M)
    return found.group(1) if found else None


def major(version: str | None) -> str | None:
    """'1.8' -> '8', 'zulu-21' -> '21', '17.0.2' -> '17' (the JVM buildpack's reading)."""
    if not version:
        return None
    number = re.search(r"(\d+(?:\.\d+)*)", version)
    if not number:
        return None
    parts = number.group(1).split(".")
    return parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0]


def detect(root: Path) -> Detection | None:
    root = Path(root)
    maven = [f for f in _MAVEN if (root / f).is_file()]
    gradle = [f for f in _GRADLE if (root / f).is_file()]
    sbt = [] if maven or gradle else _sbt(root)
    if not (maven or gradle or sbt):
        return None  # system.properties alone installs a JDK but builds nothing
    properties = read_text(root, "system.properties") or ""
    build = "\n".join(read_text(root, f) or "" for f in maven + gradle
                      if not f.endswith(".properties"))
    if sbt:
        build += "\n".join(read_text(root, rel) or "" for rel in
                           ("build.sbt", "project/plugins.sbt"))
    evidence = maven + gradle + sbt + (["system.properties"] if properties else [])
    return Detection(NAME, evidence, {
        "java_version": java_version(properties),
        "tool": "maven" if maven else ("gradle" if gradle else "sbt"),
        "gradlew": (root / "gradlew").is_file(),
        "actuator": "spring-boot-starter-actuator" in build,
        "spring_boot": bool(re.search(r"spring-boot|org\.springframework\.boot", build)),
        "play": "com.typesafe.play" in build or "org.playframework" in build,
        "migrations": sorted({name for name, pattern in (("Flyway", "flyway"),
                                                          ("Liquibase", "liquibase"))
                              if pattern in build.lower()}),
    })


def _default_web(facts: dict) -> str | None:
    """The web process the JVM buildpack adds when the Procfile has none (see above)."""
    if not facts.get("spring_boot"):
        return None
    if facts.get("tool") == "maven":
        return "java -Dserver.port=$PORT $JAVA_OPTS -jar target/*.jar"
    if facts.get("tool") == "gradle":
        return "java -jar build/libs/*.jar"
    return None


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={})
    version = facts.get("java_version")
    advice.build = _common.buildpacks_build(ctx, "java", major(version),
                                            "system.properties" if version else None,
                                            advice.notes)
    if version and advice.build.get("runtime"):
        advice.build["runtime"]["version"] = version
    if facts.get("tool") == "sbt":
        advice.build["runtime"]["language"] = "java"
        advice.notes.append("sbt project: Heroku's CNB builder builds it with heroku/scala "
                            "(`sbt stage`), as Heroku's Scala buildpack did")
    if facts.get("tool") == "gradle" and not facts.get("gradlew"):
        advice.manual_steps.append({
            "item": "Gradle wrapper",
            "why": "Heroku's CNB Gradle buildpack fails without `gradlew` in the repo",
            "how": "Run `gradle wrapper` locally and commit gradlew and gradle/wrapper/, then "
                   "deploy"})
    advice.processes = _common.web_processes(ctx, _default_web(facts),
                                             "the JVM buildpack's default for Spring Boot",
                                             advice)
    advice.release = _common.release_from(ctx, None, "")
    if facts.get("migrations") and "release" not in ctx.procfile:
        advice.notes.append(f"{' and '.join(facts['migrations'])} migrate when the app boots, "
                            "so no release command is proposed")
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
