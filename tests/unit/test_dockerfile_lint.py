"""The Dockerfile linter wrapper (tests/dockerfile_lint.py) passes a clean file and names faults."""

from tests import dockerfile_lint

CLEAN = """\
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
CMD ["bin/server"]
"""


def test_a_clean_dockerfile_has_no_findings(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(CLEAN)
    assert dockerfile_lint.findings(path) == []


def test_faults_are_reported_with_line_and_rule(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian\nRUN cd /tmp && make\nCMD bin/server\n")
    found = dockerfile_lint.findings(path)
    assert any(":1 DL3006" in f for f in found), found  # untagged base image
    assert any(":2 DL3003" in f for f in found), found  # cd instead of WORKDIR
    assert any(":3 DL3025" in f for f in found), found  # shell-form CMD


def test_a_syntax_error_is_a_finding(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:bookworm-slim\nRUNN echo hi\n")
    assert any("DL1000" in f for f in dockerfile_lint.findings(path))
