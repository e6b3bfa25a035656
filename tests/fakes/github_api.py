"""A fake GitHub REST API over real HTTP, held to the published contract.

Serves what herokufly uses: issue comments (list/create/get/update/delete),
comment reactions (list/create/delete), collaborator permission, pull
request get, the issue timeline, the contents API, and the Git Data API
(ref, commit, tree) for committing generated workflow files on a pinned parent.
The timeline and Git Data endpoints are outside the contract subset; their
shapes follow docs.github.com/rest/issues/timeline and /rest/git/{refs,commits,trees}.
Every request body and every response on a path of
/work/shared/contracts/github-rest-subset.json is validated against it; a
request GitHub would refuse gets GitHub's status (401, 403, 404, 422), and
a response that breaks the contract is recorded in `violations` and
answered with a 500 so the test fails.

Use in tests:
    gh = FakeGitHub(); gh.add_token("t0k", "github-actions[bot]", bot=True)
    gh.start(); ... Github(auth=Auth.Token("t0k"), base_url=gh.url) ...; gh.stop()
Standalone (for act): python3 -m tests.fakes.github_api --port P --seed FILE
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as dt
import hashlib
import itertools
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import jsonschema
from tests.contracts import contract_path

CONTRACT = contract_path("github-rest-subset.json")
DOCS = "https://docs.github.com/rest"
MAX_COMMENT = 65536
ROLE_TO_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read", "none": "none"}


# ---------------------------------------------------------------- contract


def _openapi_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` -> JSON Schema that also accepts null."""
    if isinstance(node, list):
        return [_openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _openapi_to_jsonschema(v) for k, v in node.items() if k not in ("nullable", "example", "examples", "discriminator")}
    if node.get("nullable"):
        if "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
            return {"anyOf": [out, {"type": "null"}]}
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


class Contract:
    def __init__(self, path: Path = CONTRACT):
        doc = json.loads(path.read_text())
        self.components = _openapi_to_jsonschema(doc["components"])
        self.operations: list[tuple[re.Pattern, str, dict]] = []
        for template, item in doc["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
            for method, op in item.items():
                if method != "parameters":
                    self.operations.append((pattern, method.upper(), op))

    def operation(self, method: str, path: str) -> dict | None:
        for pattern, op_method, op in self.operations:
            if op_method == method and pattern.match(path):
                return op
        return None

    def _validate(self, schema: dict, instance: Any) -> list[str]:
        root = {"components": self.components, "allOf": [_openapi_to_jsonschema(schema)]}
        validator = jsonschema.Draft7Validator(root, format_checker=jsonschema.FormatChecker())
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:200]}" for e in validator.iter_errors(instance)]

    def request_errors(self, op: dict, body: Any) -> list[str]:
        schema = (((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get("schema")
        return self._validate(schema, body) if schema else []

    def response_errors(self, op: dict, status: int, body: Any) -> list[str]:
        response = op["responses"].get(str(status))
        if response is None:
            return [f"status {status} is not a documented response"]
        if "$ref" in response:
            response = self.components["responses"][response["$ref"].rsplit("/", 1)[1]]
        schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
        if schema is None:
            return [] if body is None else [f"status {status} documents no body"]
        return self._validate(schema, body)


# ---------------------------------------------------------------- the fake


class _Reject(Exception):
    def __init__(self, status: int, message: str, errors: list | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class FakeGitHub:
    def __init__(self, repo: str = "acme/shop", *, per_page_max: int = 100):
        self.repo = repo
        self.owner, self.name = repo.split("/")
        self.contract = Contract()
        self.per_page_max = per_page_max
        self.users: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.roles: dict[str, str] = {}
        self.issues: dict[int, dict] = {}  # number -> {"pull": {...} | None}
        self.comments: dict[int, dict] = {}
        self.reactions: dict[int, list[dict]] = {}
        self.files: dict[tuple[str, str], str] = {}  # (branch, path) -> text
        self.commits: list[dict] = []
        # Git Data: commit sha -> {"tree": {path: text}, "parents": [...], "message": ...}; branch -> sha.
        self.git_commits: dict[str, dict] = {"0" * 40: {"tree": {}, "parents": [], "message": "initial", "date": _now()}}
        self.refs: dict[str, str] = {"main": "0" * 40}
        self._tree_store: dict[str, dict] = {}
        self.timeline_extra: dict[int, list[dict]] = {}  # number -> committed / force-push events
        self.requests: list[tuple[str, str]] = []
        self.violations: list[str] = []
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.add_user(self.owner, type="Organization")

    # -- seeding --------------------------------------------------------
    def add_user(self, login: str, *, type: str = "User") -> dict:
        if login not in self.users:
            self.users[login] = {"login": login, "id": next(self._ids), "type": type}
        return self.users[login]

    def add_token(self, token: str, login: str, *, bot: bool = False, workflows: bool = False) -> None:
        """A token acting as `login`; `workflows` lets it write .github/workflows/."""
        self.add_user(login, type="Bot" if bot else "User")
        self.tokens[token] = {"login": login, "bot": bot, "workflows": workflows}

    def set_role(self, login: str, role: str) -> None:
        assert role in ROLE_TO_PERMISSION, role
        self.add_user(login)
        self.roles[login] = role

    def add_pull(self, number: int, *, head_sha: str, head_repo: str | None = None, state: str = "open",
                 head_ref: str = "herokufly", author: str | None = None) -> None:
        head_repo = head_repo or self.repo
        self.issues[number] = {"pull": {"head_sha": head_sha, "head_repo": head_repo, "state": state,
                                        "head_ref": head_ref, "author": author or self.owner}}
        self.git_commits.setdefault(head_sha, {"tree": {}, "parents": ["0" * 40], "message": "PR head", "date": _now()})
        if head_repo == self.repo:
            self.refs[head_ref] = head_sha

    def add_issue(self, number: int) -> None:
        self.issues[number] = {"pull": None}

    def move_head(self, number: int, sha: str, *, force: bool = False, committed_at: str | None = None) -> None:
        """A push to the PR branch: a `committed` timeline event dated `committed_at` (the
        committer's own date, which the pusher sets) or, with `force`, `head_ref_force_pushed`."""
        pull = self.issues[number]["pull"]
        old = pull["head_sha"]
        self.git_commits.setdefault(sha, {"tree": dict(self.git_commits.get(old, {}).get("tree", {})),
                                          "parents": [] if force else [old], "message": "push",
                                          "date": committed_at or _now()})
        pull["head_sha"] = sha
        if pull["head_repo"] == self.repo:
            self.refs[pull["head_ref"]] = sha
        event = ({"event": "head_ref_force_pushed", "created_at": _now()} if force else
                 {"event": "committed", "sha": sha, "date": committed_at or _now()})
        self.timeline_extra.setdefault(number, []).append(event)

    def add_comment(self, number: int, login: str, body: str, *, comment_id: int | None = None,
                    user_type: str = "User") -> dict:
        """A comment written by someone else (seeding); `comment_id` to match an event payload."""
        with self._lock:
            c = self._new_comment(number, self.add_user(login, type=user_type), body)
            if comment_id is not None:
                del self.comments[c["id"]]
                c["id"] = comment_id
                self.comments[comment_id] = c
            return c

    def comments_on(self, number: int) -> list[dict]:
        return [c for c in sorted(self.comments.values(), key=lambda c: c["id"]) if c["number"] == number]

    def load_seed(self, seed: dict) -> None:
        for token in seed.get("tokens", []):
            self.add_token(token["token"], token["login"], bot=token.get("bot", False), workflows=token.get("workflows", False))
        for login, role in seed.get("roles", {}).items():
            self.set_role(login, role)
        for pull in seed.get("pulls", []):
            self.add_pull(pull["number"], head_sha=pull["head_sha"], head_repo=pull.get("head_repo"),
                          state=pull.get("state", "open"), head_ref=pull.get("head_ref", "herokufly"))
        for number in seed.get("issues", []):
            self.add_issue(number)

    # -- lifecycle ------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeGitHub":
        if not self._server:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- representations (shaped to the contract) ------------------------
    def _user(self, login: str) -> dict:
        u = self.users[login]
        api = f"{self.url}/users/{quote(login)}"
        return {
            "login": login, "id": u["id"], "node_id": f"U_{u['id']}", "avatar_url": f"https://avatars.example/{u['id']}",
            "gravatar_id": "", "url": api, "html_url": f"https://github.com/{login}",
            "followers_url": f"{api}/followers", "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}", "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions", "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events", "type": u["type"], "site_admin": False,
        }

    def _repository(self, full_name: str) -> dict:
        owner, name = full_name.split("/")
        self.add_user(owner)
        api = f"{self.url}/repos/{full_name}"
        rid = int(hashlib.sha256(full_name.encode()).hexdigest()[:8], 16)
        urls = {f"{k}_url": f"{api}/{k}" for k in (
            "archive", "assignees", "blobs", "branches", "collaborators", "comments", "commits", "compare",
            "contents", "contributors", "deployments", "downloads", "events", "forks", "git_commits", "git_refs",
            "git_tags", "hooks", "issue_comment", "issue_events", "issues", "keys", "labels", "languages", "merges",
            "milestones", "notifications", "pulls", "releases", "stargazers", "statuses", "subscribers",
            "subscription", "tags", "teams", "trees")}
        return {
            **urls, "id": rid, "node_id": f"R_{rid}", "name": name, "full_name": full_name,
            "owner": self._user(owner), "private": False, "html_url": f"https://github.com/{full_name}",
            "description": None, "fork": full_name != self.repo, "url": api,
            "clone_url": f"https://github.com/{full_name}.git", "git_url": f"git://github.com/{full_name}.git",
            "ssh_url": f"git@github.com:{full_name}.git", "svn_url": f"https://github.com/{full_name}",
            "mirror_url": None, "homepage": None, "language": "Elixir", "default_branch": "main",
            "forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers": 0, "watchers_count": 0,
            "size": 1, "open_issues": 0, "open_issues_count": 0, "has_downloads": True, "has_issues": True,
            "has_projects": False, "has_wiki": False, "has_pages": False, "archived": False, "disabled": False,
            "license": None, "pushed_at": "2026-11-01T00:00:00Z", "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z",
        }

    def _comment(self, c: dict) -> dict:
        api = f"{self.url}/repos/{self.repo}"
        return {
            "id": c["id"], "node_id": f"IC_{c['id']}", "url": f"{api}/issues/comments/{c['id']}",
            "html_url": f"https://github.com/{self.repo}/pull/{c['number']}#issuecomment-{c['id']}",
            "issue_url": f"{api}/issues/{c['number']}", "body": c["body"], "user": self._user(c["login"]),
            "created_at": c["created_at"], "updated_at": c["updated_at"],
            "author_association": "OWNER" if c["login"] == self.owner else ("MEMBER" if c["login"] in self.roles else "NONE"),
        }

    def _reaction(self, r: dict) -> dict:
        return {"id": r["id"], "node_id": f"REA_{r['id']}", "user": self._user(r["login"]),
                "content": r["content"], "created_at": r["created_at"]}

    def _pull(self, number: int) -> dict:
        p = self.issues[number]["pull"]
        api = f"{self.url}/repos/{self.repo}"
        head_user = self.add_user(p["head_repo"].split("/")[0])["login"]
        author = self.add_user(p["author"])["login"]
        link = lambda href: {"href": href}  # noqa: E731
        return {
            "url": f"{api}/pulls/{number}", "id": 500000 + number, "node_id": f"PR_{number}",
            "html_url": f"https://github.com/{self.repo}/pull/{number}", "diff_url": f"https://github.com/{self.repo}/pull/{number}.diff",
            "patch_url": f"https://github.com/{self.repo}/pull/{number}.patch", "issue_url": f"{api}/issues/{number}",
            "commits_url": f"{api}/pulls/{number}/commits", "review_comments_url": f"{api}/pulls/{number}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}", "comments_url": f"{api}/issues/{number}/comments",
            "statuses_url": f"{api}/statuses/{p['head_sha']}", "number": number, "state": p["state"], "locked": False,
            "title": "Move to Fly.io", "user": self._user(author), "body": None, "labels": [], "milestone": None,
            "active_lock_reason": None, "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z",
            "closed_at": None if p["state"] == "open" else "2026-11-02T00:00:00Z", "merged_at": None,
            "merge_commit_sha": None, "assignee": None, "assignees": [], "requested_reviewers": [], "requested_teams": [],
            "head": {"label": f"{head_user}:{p['head_ref']}", "ref": p["head_ref"], "sha": p["head_sha"],
                     "user": self._user(head_user), "repo": self._repository(p["head_repo"])},
            "base": {"label": f"{self.owner}:main", "ref": "main", "sha": "0" * 40,
                     "user": self._user(self.owner), "repo": self._repository(self.repo)},
            "_links": {"self": link(f"{api}/pulls/{number}"), "html": link(f"https://github.com/{self.repo}/pull/{number}"),
                       "issue": link(f"{api}/issues/{number}"), "comments": link(f"{api}/issues/{number}/comments"),
                       "review_comments": link(f"{api}/pulls/{number}/comments"),
                       "review_comment": link(f"{api}/pulls/comments{{/number}}"),
                       "commits": link(f"{api}/pulls/{number}/commits"), "statuses": link(f"{api}/statuses/{p['head_sha']}")},
            "author_association": "MEMBER", "auto_merge": None, "draft": False, "merged": False, "mergeable": True,
            "rebaseable": True, "mergeable_state": "clean", "merged_by": None, "comments": 0, "review_comments": 0,
            "maintainer_can_modify": False, "commits": 1, "additions": 1, "deletions": 0, "changed_files": 1,
        }

    # -- behaviour --------------------------------------------------------
    def _new_comment(self, number: int, user: dict, body: str) -> dict:
        now = _now()
        c = {"id": next(self._ids), "number": number, "login": user["login"], "body": body, "created_at": now, "updated_at": now}
        self.comments[c["id"]] = c
        return c

    def _issue(self, number: str) -> dict:
        if not number.isdigit() or int(number) not in self.issues:
            raise _Reject(404, "Not Found")
        return self.issues[int(number)]

    def _comment_by_id(self, comment_id: str) -> dict:
        if not comment_id.isdigit() or int(comment_id) not in self.comments:
            raise _Reject(404, "Not Found")
        return self.comments[int(comment_id)]

    @staticmethod
    def _check_body_length(body: str) -> None:
        if len(body) > MAX_COMMENT:
            raise _Reject(422, "Validation Failed", [{"resource": "IssueComment", "code": "custom", "field": "body",
                                                      "message": f"body is too long (maximum is {MAX_COMMENT} characters)"}])

    def handle(self, method: str, path: str, query: dict, body: Any, token: dict) -> tuple[int, Any, dict]:
        """(status, json body or None, extra headers) for one authenticated request."""
        prefix = f"/repos/{self.repo}"
        if path == "/user" and method == "GET":
            if token["bot"]:
                raise _Reject(403, "Resource not accessible by integration")
            return 200, self._user(token["login"]), {}
        if not path.startswith(prefix + "/"):
            raise _Reject(404, "Not Found")
        rest = path[len(prefix):]
        parts = [unquote(p) for p in rest.strip("/").split("/")]

        match parts:
            case ["issues", number, "comments"] if method == "GET":
                self._issue(number)
                items = [self._comment(c) for c in self.comments_on(int(number))]
                return self._page(path, query, items)
            case ["issues", number, "comments"] if method == "POST":
                self._issue(number)
                self._check_body_length(body["body"])
                c = self._new_comment(int(number), self.users[token["login"]], body["body"])
                return 201, self._comment(c), {"Location": f"{self.url}{prefix}/issues/comments/{c['id']}"}
            case ["issues", "comments", comment_id] if method == "GET":
                return 200, self._comment(self._comment_by_id(comment_id)), {}
            case ["issues", "comments", comment_id] if method == "PATCH":
                c = self._comment_by_id(comment_id)
                self._check_may_change(c, token)
                self._check_body_length(body["body"])
                c["body"], c["updated_at"] = body["body"], _now()
                return 200, self._comment(c), {}
            case ["issues", "comments", comment_id] if method == "DELETE":
                c = self._comment_by_id(comment_id)
                self._check_may_change(c, token)
                del self.comments[c["id"]]
                self.reactions.pop(c["id"], None)
                return 204, None, {}
            case ["issues", "comments", comment_id, "reactions"] if method == "GET":
                c = self._comment_by_id(comment_id)
                items = [self._reaction(r) for r in self.reactions.get(c["id"], [])]
                if "content" in query:
                    items = [r for r in items if r["content"] == query["content"]]
                return self._page(path, query, items)
            case ["issues", "comments", comment_id, "reactions"] if method == "POST":
                c = self._comment_by_id(comment_id)
                mine = self.reactions.setdefault(c["id"], [])
                for r in mine:
                    if r["login"] == token["login"] and r["content"] == body["content"]:
                        return 200, self._reaction(r), {}
                r = {"id": next(self._ids), "login": token["login"], "content": body["content"], "created_at": _now()}
                mine.append(r)
                return 201, self._reaction(r), {}
            case ["issues", "comments", comment_id, "reactions", reaction_id] if method == "DELETE":
                c = self._comment_by_id(comment_id)
                found = [r for r in self.reactions.get(c["id"], []) if str(r["id"]) == reaction_id]
                if not found:
                    raise _Reject(404, "Not Found")
                if found[0]["login"] != token["login"]:
                    raise _Reject(403, "Must have admin rights to Repository.")
                self.reactions[c["id"]].remove(found[0])
                return 204, None, {}
            case ["collaborators", username, "permission"] if method == "GET":
                if username not in self.users or self.users[username]["type"] == "Organization":
                    raise _Reject(404, "Not Found")
                role = self.roles.get(username, "none")
                user = self._user(username)
                user["permissions"] = {"admin": role == "admin", "maintain": role in ("admin", "maintain"),
                                       "push": role in ("admin", "maintain", "write"),
                                       "triage": role not in ("read", "none"), "pull": role != "none"}
                user["role_name"] = role
                return 200, {"permission": ROLE_TO_PERMISSION[role], "role_name": role, "user": user}, {}
            case ["pulls", number] if method == "GET":
                issue = self._issue(number)
                if issue["pull"] is None:
                    raise _Reject(404, "Not Found")
                return 200, self._pull(int(number)), {}
            case ["contents", *file_parts] if method == "GET" and file_parts:
                ref = query.get("ref", "main")
                key = (ref, "/".join(file_parts))
                if key not in self.files:
                    raise _Reject(404, "Not Found")
                return 200, self._content(key), {}
            case ["contents", *file_parts] if method == "PUT" and file_parts:
                return self._put_content("/".join(file_parts), body, token)
            case ["issues", number, "timeline"] if method == "GET":
                self._issue(number)
                return self._page(path, query, self._timeline(int(number)))
            case ["git", "ref", "heads", *branch] if method == "GET" and branch:
                name = "/".join(branch)
                if name not in self.refs:
                    raise _Reject(404, "Not Found")
                return 200, self._ref(name), {}
            case ["git", "commits", sha] if method == "GET":
                if sha not in self.git_commits:
                    raise _Reject(404, "Not Found")
                return 200, self._git_commit(sha), {}
            case ["git", "trees"] if method == "POST":
                return self._post_tree(body)
            case ["git", "commits"] if method == "POST":
                return self._post_commit(body, token)
            case ["git", "refs", "heads", *branch] if method == "PATCH" and branch:
                return self._patch_ref("/".join(branch), body, token)
        raise _Reject(404, "Not Found")

    def _check_may_change(self, comment: dict, token: dict) -> None:
        if comment["login"] != token["login"] and self.roles.get(token["login"]) not in ("admin", "maintain", "write") and not token["bot"]:
            raise _Reject(403, "You must be the author or have write access to change this comment")

    def _content(self, key: tuple[str, str]) -> dict:
        text = self.files[key]
        sha = hashlib.sha1(f"blob {len(text.encode())}\0".encode() + text.encode()).hexdigest()
        return {"type": "file", "encoding": "base64", "size": len(text.encode()), "name": key[1].rsplit("/", 1)[-1],
                "path": key[1], "sha": sha, "content": base64.b64encode(text.encode()).decode(),
                "url": f"{self.url}/repos/{self.repo}/contents/{key[1]}?ref={key[0]}", "git_url": None,
                "html_url": None, "download_url": None, "_links": {"self": "", "git": None, "html": None}}

    def _put_content(self, path: str, body: Any, token: dict) -> tuple[int, Any, dict]:
        if not isinstance(body, dict) or not isinstance(body.get("message"), str) or not isinstance(body.get("content"), str):
            raise _Reject(422, "Invalid request.", [{"code": "missing_field", "field": "message"}])
        branch = body.get("branch") or "main"
        if path.startswith(".github/workflows/") and not token["workflows"]:
            # What GitHub answers a token without the `workflows` permission.
            raise _Reject(403, f"refusing to allow a GitHub App to create or update workflow `{path}` without `workflows` permission")
        key = (branch, path)
        if key in self.files and body.get("sha") != self._content(key)["sha"]:
            raise _Reject(409, f"{path} does not match {body.get('sha')}")
        if key not in self.files and body.get("sha"):
            raise _Reject(422, "Invalid request.", [{"code": "invalid", "field": "sha"}])
        try:
            text = base64.b64decode(body["content"], validate=True).decode()
        except ValueError:
            raise _Reject(422, "content is not valid Base64") from None
        existed = key in self.files
        self.files[key] = text
        commit = {"sha": hashlib.sha1(f"{branch}{path}{text}{len(self.commits)}".encode()).hexdigest(),
                  "message": body["message"], "branch": branch, "path": path, "login": token["login"]}
        self.commits.append(commit)
        return (200 if existed else 201), {"content": self._content(key), "commit": {"sha": commit["sha"], "message": commit["message"]}}, {}

    # -- timeline and Git Data (outside the contract subset; shapes from docs.github.com/rest) --
    def _timeline(self, number: int) -> list[dict]:
        """`commented` events for the comments, `committed` / `head_ref_force_pushed` for pushes.
        GitHub dates a `committed` event by the commit's committer date (set by whoever made
        the commit) and gives it no created_at; a force push has the server's created_at."""
        items = []
        for c in self.comments_on(number):
            items.append((c["created_at"], {"event": "commented", "id": c["id"], "node_id": f"IC_{c['id']}",
                                            "created_at": c["created_at"], "updated_at": c["updated_at"],
                                            "body": c["body"], "user": self._user(c["login"]),
                                            "actor": self._user(c["login"])}))
        for e in self.timeline_extra.get(number, []):
            if e["event"] == "committed":
                person = {"name": "dev", "email": "dev@example.test", "date": e["date"]}
                items.append((e["date"], {"event": "committed", "sha": e["sha"], "node_id": f"C_{e['sha'][:8]}",
                                          "author": person, "committer": person, "message": "push",
                                          "tree": {"sha": "f" * 40, "url": ""}, "parents": [], "url": "", "html_url": ""}))
            else:
                items.append((e["created_at"], {"event": e["event"], "id": next(self._ids), "created_at": e["created_at"],
                                                "actor": self._user(self.owner), "commit_id": None, "commit_url": None}))
        return [item for _, item in sorted(items, key=lambda pair: pair[0])]

    @staticmethod
    def _tree_sha(files: dict) -> str:
        return hashlib.sha1(json.dumps(files, sort_keys=True).encode()).hexdigest()

    def _ref(self, branch: str) -> dict:
        sha = self.refs[branch]
        return {"ref": f"refs/heads/{branch}", "node_id": f"REF_{branch}", "url": f"{self.url}/repos/{self.repo}/git/refs/heads/{branch}",
                "object": {"type": "commit", "sha": sha, "url": f"{self.url}/repos/{self.repo}/git/commits/{sha}"}}

    def _git_commit(self, sha: str) -> dict:
        c = self.git_commits[sha]
        tree = self._tree_sha(c["tree"])
        self._trees[tree] = dict(c["tree"])
        person = {"name": "herokufly", "email": "bot@example.test", "date": c.get("date") or _now()}
        return {"sha": sha, "node_id": f"C_{sha[:8]}", "url": f"{self.url}/repos/{self.repo}/git/commits/{sha}",
                "html_url": "", "author": person, "committer": person, "message": c["message"],
                "tree": {"sha": tree, "url": f"{self.url}/repos/{self.repo}/git/trees/{tree}"},
                "parents": [{"sha": p, "url": "", "html_url": ""} for p in c["parents"]],
                "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None}}

    @property
    def _trees(self) -> dict:  # tree sha -> {path: text}
        return self._tree_store

    def _post_tree(self, body: Any) -> tuple[int, Any, dict]:
        if not isinstance(body, dict) or not isinstance(body.get("tree"), list):
            raise _Reject(422, "Invalid request.", [{"code": "missing_field", "field": "tree"}])
        base = body.get("base_tree")
        if base is not None and base not in self._trees:
            raise _Reject(422, "base_tree is not a valid tree")
        files = dict(self._trees.get(base, {})) if base else {}
        for entry in body["tree"]:
            if entry.get("type") != "blob" or entry.get("mode") != "100644" or not isinstance(entry.get("content"), str):
                raise _Reject(422, "Invalid tree entry (this fake takes blobs by content only)")
            files[entry["path"]] = entry["content"]
        sha = self._tree_sha(files)
        self._trees[sha] = files
        return 201, {"sha": sha, "url": f"{self.url}/repos/{self.repo}/git/trees/{sha}", "truncated": False,
                     "tree": [{"path": p, "mode": "100644", "type": "blob", "sha": hashlib.sha1(v.encode()).hexdigest()}
                              for p, v in sorted(files.items())]}, {}

    def _post_commit(self, body: Any, token: dict) -> tuple[int, Any, dict]:
        if not isinstance(body, dict) or body.get("tree") not in self._trees or not isinstance(body.get("message"), str):
            raise _Reject(422, "Invalid request.", [{"code": "invalid", "field": "tree"}])
        parents = body.get("parents") or []
        if any(p not in self.git_commits for p in parents):
            raise _Reject(422, "Invalid request.", [{"code": "invalid", "field": "parents"}])
        sha = hashlib.sha1(f"{body['tree']}{parents}{body['message']}{len(self.git_commits)}".encode()).hexdigest()
        self.git_commits[sha] = {"tree": dict(self._trees[body["tree"]]), "parents": list(parents),
                                 "message": body["message"], "login": token["login"], "date": _now()}
        return 201, self._git_commit(sha), {}

    def _is_ancestor(self, old: str, new: str) -> bool:
        seen, todo = set(), [new]
        while todo:
            sha = todo.pop()
            if sha == old:
                return True
            if sha not in seen:
                seen.add(sha)
                todo += self.git_commits.get(sha, {}).get("parents", [])
        return False

    def _patch_ref(self, branch: str, body: Any, token: dict) -> tuple[int, Any, dict]:
        if branch not in self.refs:
            raise _Reject(422, "Reference does not exist")
        new = (body or {}).get("sha")
        if new not in self.git_commits:
            raise _Reject(422, "Object does not exist")
        old = self.refs[branch]
        if not (body or {}).get("force") and not self._is_ancestor(old, new):
            raise _Reject(422, "Update is not a fast forward")
        before, after = self.git_commits[old]["tree"], self.git_commits[new]["tree"]
        changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        if any(p.startswith(".github/workflows/") for p in changed) and not token["workflows"]:
            # GitHub's refusal of a workflow change from a token without the workflows permission
            # (assumed the same status as the contents API's; docs/security.md).
            raise _Reject(403, f"refusing to allow a GitHub App to create or update workflow `{changed[0]}` without `workflows` permission")
        self.refs[branch] = new
        for path in changed:
            self.files[(branch, path)] = after[path]
            self.commits.append({"sha": new, "message": self.git_commits[new]["message"], "branch": branch,
                                 "path": path, "login": token["login"], "parent": old})
        return 200, self._ref(branch), {}

    def _page(self, path: str, query: dict, items: list) -> tuple[int, list, dict]:
        try:
            per_page = min(int(query.get("per_page", 30)), self.per_page_max)
            page = max(int(query.get("page", 1)), 1)
        except ValueError:
            raise _Reject(422, "Invalid pagination") from None
        chunk = items[(page - 1) * per_page: page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            links.append(f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{self.url}{path}?per_page={per_page}&page={last}>; rel="last"')
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: Any, headers: dict | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        op = fake.contract.operation(method, path)
        with fake._lock:
            fake.requests.append((method, path))
            try:
                auth = self.headers.get("Authorization", "")
                scheme, _, value = auth.partition(" ")
                token = fake.tokens.get(value.strip()) if scheme.lower() in ("token", "bearer") else None
                if token is None:
                    raise _Reject(401, "Bad credentials")
                body = None
                if method in ("POST", "PATCH", "PUT"):
                    try:
                        body = json.loads(raw or b"null")
                    except ValueError:
                        raise _Reject(400, "Problems parsing JSON") from None
                    if op is not None:
                        problems = fake.contract.request_errors(op, body)
                        if problems:
                            raise _Reject(422, "Invalid request.", [{"code": "invalid", "message": p} for p in problems])
                status, payload, headers = fake.handle(method, path, query, body, token)
            except _Reject as rej:
                status, headers = rej.status, {}
                payload = {"message": rej.message, "documentation_url": DOCS, "status": str(rej.status)}
                if rej.errors is not None:
                    payload["errors"] = rej.errors
            if op is not None and status < 500 and status not in (401,):
                problems = fake.contract.response_errors(op, status, payload)
                if problems:
                    fake.violations.append(f"{method} {path} -> {status}: {problems[:3]}")
                    status, payload, headers = 500, {"message": "fake broke the contract", "documentation_url": DOCS}, {}
        self._send(status, payload, headers)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--repo", default="acme/shop")
    parser.add_argument("--seed", help="JSON: {tokens:[{token,login,bot,workflows}], roles:{}, pulls:[], issues:[]}")
    parser.add_argument("--dump", help="write the final comments/commits here as JSON on SIGTERM/SIGINT")
    args = parser.parse_args(argv)
    fake = FakeGitHub(args.repo)
    if args.seed:
        fake.load_seed(json.loads(Path(args.seed).read_text()))
    url = fake.start(args.port, args.host)
    print(url, flush=True)
    import signal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.2):
            if args.dump:
                _dump(fake, args.dump)
    except KeyboardInterrupt:
        pass
    finally:
        if args.dump:
            _dump(fake, args.dump)
        fake.stop()


def _dump(fake: FakeGitHub, path: str) -> None:
    with fake._lock:
        state = {"comments": [copy.deepcopy(c) for c in sorted(fake.comments.values(), key=lambda c: c["id"])],
                 "reactions": {str(k): copy.deepcopy(v) for k, v in fake.reactions.items()},
                 "commits": copy.deepcopy(fake.commits), "violations": list(fake.violations)}
    tmp = f"{path}.tmp"
    Path(tmp).write_text(json.dumps(state, indent=2))
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
