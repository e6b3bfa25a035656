"""Read a Heroku app through the Platform API into the Inventory dataclasses.

Only config var NAMES are read into the Inventory; the values stay in the
client call that fetched them (see HerokuClient.config_var_names).
"""

from __future__ import annotations

import re

from herokufly.talk.heroku import HerokuClient, _app_path
from herokufly.base.inventory import Addon, Domain, Formation, HerokuApp, Inventory, Repo


def read_heroku(client: HerokuClient, app_name: str, repo: Repo | None = None) -> Inventory:
    info = client.app(app_name)
    # The API accepts an id too; from here on use the app's real name.
    name = info.get("name") or app_name
    release = client.current_release(name)
    app = heroku_app_from_api(info, client.buildpacks(name), release)
    config_names = client.config_var_names(name)
    return Inventory(
        heroku_app_name=name,
        app=app,
        repo=repo,
        config_var_names=config_names,
        # Heroku lists in id order, which is random; sort so plans come out the same every run.
        addons=sorted((addon_from_api(item) for item in client.addons(name)), key=lambda a: a.name),
        formation=sorted((formation_from_api(item) for item in client.formation(name)),
                         key=lambda f: (f.type != "web", f.type)),
        domains=sorted((domain_from_api(item) for item in client.domains(name)),
                       key=lambda d: (d.kind != "heroku", d.hostname)),
        offline=False,
        host_bound_vars=host_bound_names(client, name, config_names),
    )


# Names that may hold a hostname or URL of the app itself; others are not read.
_MAY_NAME_HOST = re.compile(r"HOST|URL|URI|DOMAIN|ORIGIN|ALLOWED|CORS|CALLBACK|REDIRECT|ENDPOINT"
                            r"|SITE|BASE|PUBLIC|CANONICAL|WEBHOOK")
_NOT_APP_HOST = re.compile(r"^(DATABASE_URL|HEROKU_POSTGRESQL_\w+|REDIS\w*|\w*_TLS_URL)$")
_HEROKU_HOST = re.compile(r"\.herokuapp\.com\b", re.I)


def host_bound_names(client: HerokuClient, app_name: str, names: list[str]) -> list[str]:
    """Names whose value mentions *.herokuapp.com: a boolean fact per host-like name.

    The values stay inside this function (never stored, returned or printed), so like
    `config_var_names` it does not register them for masking: masking public hostnames would
    hide them in every later message. Uses the client's request path because HerokuClient has
    no public "facts without values" call yet (heroku.py is owned elsewhere)."""
    candidates = {n for n in names if _MAY_NAME_HOST.search(n) and not _NOT_APP_HOST.match(n)}
    if not candidates:
        return []
    values = client._request("GET", _app_path(app_name, "config-vars"), app_name).json()
    return sorted(n for n, v in values.items()
                  if n in candidates and isinstance(v, str) and _HEROKU_HOST.search(v))


def heroku_app_from_api(info: dict, buildpacks: list[dict], release: dict | None) -> HerokuApp:
    ordered = sorted(buildpacks, key=lambda item: item.get("ordinal", 0))
    return HerokuApp(
        name=info["name"],
        region=_name(info.get("region")) or "us",
        stack=_name(info.get("stack")) or _name(info.get("build_stack")),
        maintenance=bool(info.get("maintenance")),
        space=_name(info.get("space")),
        team=_name(info.get("team")) or _name(info.get("organization")),
        web_url=info.get("web_url"),
        # The registry name ("hashnuke/elixir") when there is one, else the URL.
        buildpacks=[(bp.get("buildpack") or {}).get("name") or (bp.get("buildpack") or {}).get("url")
                    for bp in ordered if bp.get("buildpack")],
        release_version=release.get("version") if release else None,
    )


def addon_from_api(item: dict) -> Addon:
    price = item.get("billed_price")
    return Addon(
        name=item["name"],
        service=_name(item.get("addon_service")) or "",
        plan=_name(item.get("plan")) or "",
        config_vars=list(item.get("config_vars") or []),
        monthly_cents=price.get("cents") if price else None,
    )


def formation_from_api(item: dict) -> Formation:
    # `size` is the deprecated twin of dyno_size.name; older responses have only it.
    return Formation(
        type=item["type"],
        quantity=int(item.get("quantity") or 0),
        size=_name(item.get("dyno_size")) or item.get("size") or "",
        command=item.get("command") or None,
    )


def domain_from_api(item: dict) -> Domain:
    return Domain(
        hostname=item["hostname"],
        kind=item.get("kind") or "custom",
        cname=item.get("cname"),
        status=item.get("status"),
    )


def _name(ref: dict | None) -> str | None:
    return ref.get("name") if isinstance(ref, dict) else None
