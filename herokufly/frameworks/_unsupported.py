"""Repos no buildpack in Heroku's CNB builder can build, and no Dockerfile of their own.

heroku/builder:22/24/26 hold buildpacks for .NET, Go, Java (Maven, Gradle), Node.js, PHP,
Python, Ruby and Scala, and every order group needs one of them; the Procfile buildpack is
optional in each (heroku/cnb-builder-images builder-24/builder.toml `[[order]]`). A repo
with none of their files fails `pack build` / `fly deploy` at detection, so planning it
would promise a build that cannot happen: the plan stops with one line naming the file
that shows what the app is, and what to do.
"""

from __future__ import annotations

from pathlib import Path

from herokufly.base.errors import ConfigError

BUILDER_LANGUAGES = ".NET, Go, Java (Maven, Gradle), Node.js, PHP, Python, Ruby and Scala"
# Files the builder's .NET buildpack detects (heroku/buildpacks-dotnet): no framework module,
# the plan's generic advice builds them and runs the Procfile.
_DOTNET = ("*.sln", "*.slnx", "*.csproj", "*.fsproj", "*.vbproj")
# (file or glob, what it shows); first match names the app in the message.
_KNOWN = (
    ("index.php", "a PHP app without composer.json (Heroku's classic PHP buildpack also took "
                  "index.php; the builder's PHP buildpack detects composer.json only)"),
    ("deps.edn", "a Clojure (tools.deps) app"),
    ("Cargo.toml", "a Rust app"),
    ("deno.json", "a Deno app"),
    ("deno.jsonc", "a Deno app"),
    ("stack.yaml", "a Haskell app"),
    ("*.cabal", "a Haskell app"),
    ("build.zig", "a Zig app"),
    ("public/index.html", "a static site with no static.json naming its root"),
    ("system.properties", "a JDK with no Maven, Gradle or sbt build"),
    ("Procfile", "a Procfile with no language files beside it"),
)


def builder_builds_generically(root: Path) -> bool:
    """A language the builder builds that no framework module covers (.NET)."""
    return any(any(Path(root).glob(pattern)) for pattern in _DOTNET)


def refuse_unless_builder_builds(repo, buildpacks: list[str]) -> None:
    """Raise the one-line ConfigError when no framework module knew `repo` (an
    inventory.Repo) and the builder cannot build it either."""
    root = Path(repo.path)
    if repo.app_base:
        root = root / repo.app_base
    if builder_builds_generically(root):
        return
    found = next(((name, what) for name, what in _KNOWN if any(root.glob(name))), None)
    if found:
        pattern, what = found
        name = pattern if "*" not in pattern else next(root.glob(pattern)).name
    else:
        name, what = "Procfile", "not found, and no language files"
    heroku = f" (Heroku built it with {', '.join(buildpacks)})" if buildpacks else ""
    hint = ("Add a composer.json (`{}` is enough) so the builder's PHP buildpack builds it, "
            "then plan again" if name == "index.php" else
            "Add a Dockerfile that builds and starts the app (its CMD runs the Procfile's "
            "web line), then plan again")
    apps = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")
                  and (d / "Procfile").is_file())
    if apps and not (root / "Procfile").is_file():
        # `git subtree push --prefix backend heroku main` deploys a folder as the app.
        hint = (f"If Heroku got the app from {apps[0]}/ (e.g. `git subtree push --prefix "
                f"{apps[0]}`), run herokufly with --repo pointing at that folder")
    raise ConfigError(
        f"{name}: {what}{heroku}; Heroku's CNB builder on Fly builds only {BUILDER_LANGUAGES}",
        hint=hint)
