"""Django and plain Python: detection through -r includes, migrate release, hooks, health."""

from __future__ import annotations

import pytest

from tests.unit.frameworks._repo import assert_every_process_runs_heroku, plan_of, write

PROCFILE = ("web: gunicorn shop.wsgi --bind 0.0.0.0:$PORT --log-file -\n"
            "worker: celery -A shop worker -l info --concurrency=${CELERY_CONCURRENCY:-2}\n")


@pytest.mark.parametrize("manifest", [
    {"requirements.txt": "-r requirements/prod.txt\n",
     "requirements/prod.txt": "--requirement base.txt\ngunicorn==21.2\n",
     "requirements/base.txt": "Django>=4.2,<5\ncelery[redis]==5.3\n"},
    {"Pipfile": "[packages]\ndjango = \"==4.2\"\n"},
    {"pyproject.toml": "[tool.poetry.dependencies]\nDjango = \"^5.0\"\n"},
    {"setup.py": "setup(install_requires=['django'])\n"},
])
def test_django_detected_and_migrated(tmp_path, manifest):
    write(tmp_path, {**manifest, "Procfile": PROCFILE, "app.json": {"addons": ["heroku-postgresql:hobby-dev"]},
                     "shop/urls.py": "urlpatterns = [path('healthz/', health)]\n",
                     ".python-version": "3.12\n"})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "django"
    assert plan["release"]["line"] == "python manage.py migrate --noinput"
    assert plan["http_service"]["health_check_path"] == "/healthz/"
    assert plan["build"]["runtime"]["version"] == "3.12"
    assert_every_process_runs_heroku(plan)


def test_compile_hooks_and_old_python_become_steps(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\nalembic\n", "runtime.txt": "python-3.8.10\n",
                     "bin/post_compile": "#!/bin/sh\n./manage.py assets\n",
                     "Procfile": "web: gunicorn app:app\n",
                     "app.json": {"addons": [{"plan": "heroku-postgresql"}],
                                  "env": {"DISABLE_COLLECTSTATIC": "1"}}})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "python"
    assert plan["release"]["line"] == "alembic upgrade head"
    assert any(s["item"] == "bin/post_compile hook" for s in plan["manual_steps"])
    assert plan["build"]["runtime"]["supported"] is False
    excluded = {e["name"]: e["reason"] for e in plan["excluded_config"]}
    assert excluded["DISABLE_COLLECTSTATIC"].startswith("build-time only")
    assert any(".python-version" in n for n in plan["notes"])


def test_flask_health_route_from_the_source(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", "Procfile": "web: gunicorn app:app\n",
                     "app.py": "@app.route('/ping')\ndef ping():\n    return 'ok'\n"})
    assert plan_of(tmp_path)["http_service"]["health_check_path"] == "/ping"
