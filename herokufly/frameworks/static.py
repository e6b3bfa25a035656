"""Static sites: static.json (heroku-community/static, formerly heroku/heroku-buildpack-static)
or a bare index.html. Heroku's static buildpack served static.json's `root` (default
`public_html/`) with its own nginx (`bin/boot`); `clean_urls` tries `<path>.html`, a `routes`
entry for `/**` falls back to one file (a single-page app), `https_only` redirects to HTTPS.
Heroku's CNB builder has no static-file buildpack (heroku/cnb-builder-images builder.toml),
so the plan builds a generated Dockerfile on the official nginx image that serves the same
files; what nginx here does not reproduce (headers, redirects, proxies, other routes, error
pages, basic auth) becomes a manual step.
"""

from __future__ import annotations

import re
from pathlib import Path

from herokufly.base import machine
from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common
from herokufly.frameworks._files import read_json

NAME = "static"
NGINX_IMAGE = "nginx:1.27-alpine"  # the official image's ENTRYPOINT execs its arguments
CONFIG_FILE = "herokufly-nginx.conf"
_CARRIED = {"root", "clean_urls", "https_only", "routes"}
_SAFE = re.compile(r"[\w.-]+(?:/[\w.-]+)*")  # a plain relative path, safe in COPY and nginx


def detect(root: Path) -> Detection | None:
    root = Path(root)
    config = read_json(root, "static.json")
    if config is None:
        if not (root / "index.html").is_file():
            return None
        return Detection(NAME, ["index.html"], {"root": ".", "clean_urls": False, "spa": None,
                                                "static_json": False, "not_carried": []})
    site = config.get("root") if isinstance(config.get("root"), str) else "public_html/"
    site = site.strip().strip("/") or "."
    inside = (root / site).resolve()
    if not (_SAFE.fullmatch(site) and (inside == root.resolve() or root.resolve() in inside.parents)):
        site = "."  # outside the repo, or not a plain path: serve the repo root
    routes = config.get("routes") if isinstance(config.get("routes"), dict) else {}
    spa = routes.get("/**") if isinstance(routes.get("/**"), str) else None
    spa = spa if spa and _SAFE.fullmatch(spa.lstrip("/")) else None
    not_carried = sorted(k for k in config if k not in _CARRIED)
    if set(routes) - {"/**"}:
        not_carried.append("routes (other than /**)")
    return Detection(NAME, ["static.json"], {
        "root": site if (root / site).is_dir() else ".",
        "clean_urls": config.get("clean_urls") is True,
        "spa": spa.lstrip("/") if spa else None,
        "static_json": True,
        "not_carried": not_carried,
    })


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={"mode": "dockerfile", "dockerfile": "Dockerfile", "generated": True,
                           "static_root": facts.get("root", "."), "image": NGINX_IMAGE,
                           "clean_urls": bool(facts.get("clean_urls")),
                           "spa": facts.get("spa"),
                           "describe": f"nginx ({NGINX_IMAGE}) serving "
                                       f"{facts.get('root', '.')}/"})
    advice.processes = {k: v for k, v in ctx.procfile.items() if k != "release"}
    heroku_web = advice.processes.get("web") or "bin/boot (the static buildpack's default)"
    advice.processes["web"] = "nginx"
    advice.replaced["web"] = (f"Heroku ran `{heroku_web}`: the static buildpack's nginx; the "
                              "generated image serves the same files with nginx")
    advice.notes.append("Heroku's CNB builder has no static-file buildpack: herokufly writes a "
                        "Dockerfile that serves the site with nginx on port 8080")
    if facts.get("not_carried"):
        advice.manual_steps.append({
            "item": "static.json settings",
            "why": "not carried into the generated nginx config: "
                   + ", ".join(facts["not_carried"]),
            "how": f"Add them to {CONFIG_FILE} (nginx syntax), then deploy"})
    advice.release = _common.release_from(ctx, None, "")
    advice.health_check = _common.root_health_check()
    advice.config = _common.config_kinds(ctx, (), f"{ctx.fly_app}.fly.dev")
    advice.image = machine.Image(kind="dockerfile", entrypoint=("/docker-entrypoint.sh",),
                                 cmd=("nginx",), expose=(advice.internal_port,),
                                 base_image=NGINX_IMAGE, has_bash=False,
                                 entrypoint_args="passes")
    return advice


def _nginx_conf(build: dict, port: int) -> str:
    tries = ["$uri", "$uri/"]
    if build.get("clean_urls"):
        tries.insert(1, "$uri.html")
    tries.append(f"/{build['spa']}" if build.get("spa") else "=404")
    return "\n".join([
        "# Written by herokufly: serves the static site as Heroku's static buildpack did.",
        "daemon off;",
        "worker_processes auto;",
        "error_log /dev/stderr warn;",
        "events { worker_connections 1024; }",
        "http {",
        "  include /etc/nginx/mime.types;",
        "  access_log /dev/stdout;",
        "  server {",
        f"    listen {port};",
        f"    listen [::]:{port};",
        "    root /usr/share/nginx/html;",
        "    index index.html;",
        "    location ~ /\\. { return 404; }",  # dotfiles (.git, .env) are never served
        f"    location / {{ try_files {' '.join(tries)}; }}",
        "  }",
        "}",
    ]) + "\n"


def scaffold_files(plan: dict, root: Path) -> dict[str, tuple[str, int]]:
    build = plan["build"]
    if not build.get("generated") or "static_root" not in build:
        return {}
    port = plan["http_service"]["internal_port"] if plan.get("http_service") else 8080
    site = build["static_root"]
    dockerfile = "\n".join([
        "# Written by herokufly: serves this static site with nginx, as Heroku's static "
        "buildpack did.",
        f"FROM {build['image']}",
        f"COPY {CONFIG_FILE} /etc/nginx/nginx.conf",
        f"COPY {site}/ /usr/share/nginx/html/",
        f"ENV PORT={port}",
        f"EXPOSE {port}",
        'CMD ["nginx"]',
    ]) + "\n"
    ignore = "\n".join([".git", "Dockerfile", ".dockerignore", "fly.toml", CONFIG_FILE, "app.json",
                        "static.json", "Procfile"]) + "\n"
    return {"Dockerfile": (dockerfile, 0o644), CONFIG_FILE: (_nginx_conf(build, port), 0o644),
            ".dockerignore": (ignore, 0o644)}
