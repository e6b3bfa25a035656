"""JVM apps the CNB builder builds: Maven, Gradle (heroku/java) and sbt (heroku/scala).

Sources (heroku/buildpacks-jvm@87d898ca): Maven detects on `pom.xml` (and pom.{atom,clj,
groovy,rb,scala,yaml,yml}), Gradle on build.gradle[.kts]/settings.gradle[.kts] and fails
without `gradlew` (buildpacks/gradle/src/detect.rs, errors.rs `GradleWrapperNotFound`), sbt
on *.sbt, project/*.scala, .sbt/*.scala or project/build.properties (buildpacks/sbt/src/
detect.rs). Without a Procfile web line, Maven adds `java -Dserver.port=$PORT $JAVA_OPTS -jar
target/<jar>` for Spring Boot and Gradle `java -jar build/libs/<jar>` for Spring Boot,
Micronaut or Quarkus (framework.rs in each); sbt adds none. The OpenJDK version is
system.properties `java.runtime.version` (devcenter java-support). Flyway and Liquibase
migrate at boot, so no release is proposed.

Leiningen (Clojure) is not in the builder (heroku/cnb-builder-images builder-24/builder.toml),
so a project.clj app gets a generated Dockerfile that builds as heroku/heroku-buildpack-clojure
@b1a76c73 did (bin/compile: `bin/build` when executable, else `lein uberjar` when project.clj
names an :uberjar-name, else `lein with-profile production compile :all`; bin/release: with no
Procfile, web is `java -jar target/<jar>` or `lein with-profile production trampoline run`),
on the official clojure image so `lein`, `java` and bash stay on PATH for the Procfile lines.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from herokufly.base import machine
from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common, _runtime
from herokufly.frameworks._files import find_health_route, read_text, version_tuple

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
    properties = read_text(root, "system.properties") or ""
    if not (maven or gradle or sbt):
        lein = read_text(root, "project.clj")
        if lein is None:
            return None  # system.properties alone installs a JDK but builds nothing
        return Detection(NAME, ["project.clj"] + (["system.properties"] if properties else []), {
            "java_version": java_version(properties), "tool": "lein",
            # A key of the defproject map, not a word in a string or a comment.
            "uberjar": bool(re.search(r'^[^;"\n]*:uberjar-name\s+"', lein, re.M)),
            "bin_build": os.access(root / "bin" / "build", os.X_OK),
            "reads_jdbc_url": _reads_jdbc_url(root, lein),
        })
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
        "sbt_version": _sbt_version(root) if sbt else None,
        "migrations": sorted({name for name, pattern in (("Flyway", "flyway"),
                                                          ("Liquibase", "liquibase"))
                              if pattern in build.lower()}),
    })


_JDBC_NAMES = re.compile(r"JDBC_DATABASE_URL|jdbc-database-url|SPRING_DATASOURCE_URL")


def _reads_jdbc_url(root: Path, project: str) -> bool:
    """Whether the app reads the JDBC_* variables Heroku's JVM support derives from
    DATABASE_URL at dyno start (classic: .profile.d; CNB: heroku/jvm's exec.d
    heroku_rewrite_env_vars), which a plain Dockerfile image never sets."""
    if _JDBC_NAMES.search(project):
        return True
    found = find_health_route(root, (".clj", ".cljc", ".edn"), r"(?P<path>" +
                              _JDBC_NAMES.pattern + ")")
    return found is not None


def _sbt_version(root: Path) -> str | None:
    text = read_text(root, "project/build.properties") or ""
    found = re.search(r"^\s*sbt\.version\s*[=:]\s*(\S+)", text, re.M)
    return found.group(1) if found else None


def sbt_supported(version: str | None) -> bool:
    """heroku/buildpacks-jvm sbt/src/sbt/version.rs: 1.x, or 2.x after 2.0.0."""
    parts = version_tuple(version)
    return bool(parts) and (parts[0] == 1 or (parts[0] == 2 and parts > (2, 0, 0)))


def _default_web(facts: dict) -> str | None:
    """The web process the JVM buildpack adds when the Procfile has none (see above)."""
    if not facts.get("spring_boot"):
        return None
    if facts.get("tool") == "maven":
        return "java -Dserver.port=$PORT $JAVA_OPTS -jar target/*.jar"
    if facts.get("tool") == "gradle":
        return "java -jar build/libs/*.jar"
    return None


# JDK majors with a `clojure:temurin-<major>-lein-bookworm` tag on Docker Hub (the official
# clojure image, read 2026-11-28; assumption in docs/real-apps.md: checked against the tag
# list by hand, not by a test).
LEIN_JDKS = (8, 11, 17, 21, 25)
LEIN_DEFAULT_JDK = 21


def lein_image(version: str | None) -> tuple[str, str]:
    """(base image, why) for a Leiningen build: the pinned JDK, else the next LTS with a tag."""
    wanted = int(major(version)) if major(version) else None
    jdk = next((j for j in LEIN_JDKS if wanted is not None and j >= wanted), LEIN_DEFAULT_JDK)
    why = (f"JDK {jdk} for java.runtime.version {version}" if wanted is not None
           else f"JDK {jdk}: system.properties pins no java.runtime.version")
    return f"clojure:temurin-{jdk}-lein-bookworm", why


def _lein_advice(facts: dict, ctx: AppContext) -> Advice:
    image, why = lein_image(facts.get("java_version"))
    if facts.get("bin_build"):
        task = "bin/build"
    else:
        task = "lein " + ("uberjar" if facts.get("uberjar") else
                          "with-profile production compile :all")
    advice = Advice(build={"mode": "dockerfile", "dockerfile": "Dockerfile", "generated": True,
                           "jvm_tool": "lein", "image": image, "build_command": task,
                           "describe": f"Leiningen on {image} ({why}), `{task}`"})
    default = None if facts.get("uberjar") else "lein with-profile production trampoline run"
    advice.processes = _common.web_processes(ctx, default, "what Heroku's Clojure buildpack "
                                             "runs without an uberjar", advice)
    if "web" not in advice.processes:
        advice.manual_steps.append({
            "item": "Web process", "why": "Heroku's Clojure buildpack ran `java -jar "
            "target/<the uberjar>`, whose name is known only after the build",
            "how": "Add `web: java $JVM_OPTS -jar target/<name>-standalone.jar` to the Procfile "
                   "and plan again"})
    advice.notes.append("Heroku's CNB builder has no Leiningen buildpack: herokufly writes a "
                        f"Dockerfile that runs `{task}` as Heroku's Clojure buildpack did")
    if facts.get("reads_jdbc_url"):
        advice.manual_steps.append({
            "item": "JDBC_DATABASE_URL",
            "why": "the app reads JDBC_DATABASE_URL (or SPRING_DATASOURCE_URL), which Heroku's "
                   "JVM support derived from DATABASE_URL when each dyno started; the generated "
                   "Dockerfile's image does not derive it",
            "how": "After the database stage, give `fly secrets import` the line "
                   "JDBC_DATABASE_URL=jdbc:postgresql://<host>:<port>/<db>?user=<u>&password=<p> "
                   "(the parts of DATABASE_URL) on stdin"})
    advice.release = _common.release_from(ctx, None, "")
    advice.health_check = _common.root_health_check()
    advice.config = _common.config_kinds(ctx, ("java",), f"{ctx.fly_app}.fly.dev")
    advice.notes.append(f"{_common.IPV6_PRIVATE}; start the JVM with "
                        "-Djava.net.preferIPv6Addresses=true to reach .internal names")
    web = advice.processes.get("web")
    advice.image = machine.Image(kind="dockerfile", cmd=("/bin/bash", "-c", web) if web else (),
                                 expose=(advice.internal_port,), base_image=image)
    return advice


def scaffold_files(plan: dict, root: Path) -> dict[str, tuple[str, int]]:
    """The generated Dockerfile of a Leiningen app (fly.toml is scaffold's)."""
    build = plan["build"]
    if not build.get("generated") or build.get("jvm_tool") != "lein":
        return {}
    web = plan.get("process_checks", {}).get("app", {}).get("heroku")
    lines = [
        "# Written by herokufly: builds this Leiningen app as Heroku's Clojure buildpack did.",
        "# lein and java stay in the image, so every Procfile line runs as it did on Heroku.",
        f"FROM {build['image']}",
        "WORKDIR /app",
        "ENV LEIN_ROOT=1",
        "COPY . .",
        f"RUN {build['build_command']}",
        f"ENV PORT={plan['http_service']['internal_port'] if plan.get('http_service') else 8080} "
        "LEIN_NO_DEV=yes RING_ENV=production",
    ]
    if plan.get("http_service"):
        lines.append(f"EXPOSE {plan['http_service']['internal_port']}")
    if web:
        lines.append("CMD " + json.dumps(["/bin/bash", "-c", web]))
    return {"Dockerfile": ("\n".join(lines) + "\n", 0o644)}


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    if facts.get("tool") == "lein":
        return _lein_advice(facts, ctx)
    advice = Advice(build={})
    version = facts.get("java_version")
    advice.build = _common.buildpacks_build(ctx, "java", major(version),
                                            "system.properties" if version else None,
                                            advice.notes)
    if version and advice.build.get("runtime"):
        advice.build["runtime"]["version"] = version
    _runtime.carry_language_buildpacks(ctx.buildpacks, advice)
    if facts.get("tool") == "sbt":
        advice.build["runtime"]["language"] = "java"
        advice.notes.append("sbt project: Heroku's CNB builder builds it with heroku/scala "
                            "(`sbt stage`), as Heroku's Scala buildpack did")
        version = facts.get("sbt_version")
        if not sbt_supported(version):
            advice.manual_steps.append({
                "item": "sbt version",
                "why": (f"project/build.properties pins sbt.version={version}; " if version else
                        "project/build.properties pins no sbt.version; ") +
                       "the builder's sbt buildpack builds only sbt 1.x and 2.x after 2.0.0",
                "how": "Upgrade the build to sbt 1.x and set sbt.version in "
                       "project/build.properties, then deploy"})
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
