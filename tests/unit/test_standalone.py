"""The repository stands alone: every contract the tests read is vendored in tests/contracts/,
and no code reaches outside the checkout for one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests import contracts

ROOT = Path(__file__).resolve().parents[2]
CODE = [*ROOT.glob("herokufly/**/*.py"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/*.py"),
        ROOT / "scripts" / "update-pins", ROOT / "entrypoint.py"]


def _strings_outside_docstrings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            docstrings.add(id(body[0].value))
    strings = [n.value for n in ast.walk(tree)
               if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]
    # `ROOT.parent / "shared" / ...`: a path joined from parts
    joined = [f'/ {n.right.value}' for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div)
              and isinstance(n.right, ast.Constant) and n.right.value == "shared"]
    return strings + joined


def test_contracts_are_read_from_the_repository(monkeypatch):
    monkeypatch.delenv("HEROKUFLY_CONTRACTS", raising=False)
    assert contracts.contracts_dir() == ROOT / "tests" / "contracts"


def test_every_contract_named_in_the_tests_is_vendored():
    named = set()
    for path in ROOT.glob("tests/**/*.py"):
        named |= set(re.findall(r"contract(?:_path)?\(\s*\"([^\"]+)\"", path.read_text(encoding="utf-8")))
        named |= set(re.findall(r"CONTRACTS\s*/\s*\"([^\"]+)\"", path.read_text(encoding="utf-8")))
    assert {"flyctl-commands.json", "fly-toml-schema.json", "github-action.json", "github-workflow.json",
            "github-rest-subset.json", "heroku-platform-api-schema.json"} <= named
    readme = (ROOT / "tests" / "contracts" / "README.md").read_text()
    for name in named:
        assert (ROOT / "tests" / "contracts" / name).is_file(), name
        assert f"### {name}" in readme or f"{name} /" in readme or f"/ {name}" in readme, f"{name}: no source in README"


def test_no_code_reads_anything_beside_the_checkout():
    outside = re.compile(r"/work/|shared/contracts|^/ shared$")
    found = [(str(p.relative_to(ROOT)), s) for p in CODE if p.name != "test_standalone.py"
             for s in _strings_outside_docstrings(p) if outside.search(s)]
    assert found == []


def test_the_check_would_catch_a_path_beside_the_checkout(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Docstrings may say /work/shared."""\nSCHEMA = "/work/shared/contracts/x.json"\n'
                   'OTHER = ROOT.parent / "shared" / "contracts"\n')
    assert set(_strings_outside_docstrings(bad)) == {"/work/shared/contracts/x.json", "shared", "contracts", "/ shared"}
