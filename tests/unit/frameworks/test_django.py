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
    # The Python CNB ignores DISABLE_COLLECTSTATIC and refuses runtime.txt (buildpacks-python
    # src/django.rs, src/python_version.rs).
    assert "ignores it" in excluded["DISABLE_COLLECTSTATIC"]
    steps = {s["item"]: s for s in plan["manual_steps"]}
    assert ".python-version" in steps["runtime.txt (python-3.8.10)"]["how"]


def test_flask_health_route_from_the_source(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", "Procfile": "web: gunicorn app:app\n",
                     "app.py": "@app.route('/ping')\ndef ping():\n    return 'ok'\n"})
    assert plan_of(tmp_path)["http_service"]["health_check_path"] == "/ping"


def _steps(plan: dict) -> dict[str, dict]:
    return {s["item"]: s for s in plan["manual_steps"]}


def test_manage_py_in_a_subfolder(tmp_path):
    # vintasoftware/django-react-boilerplate: backend/manage.py, nodejs + python buildpacks.
    write(tmp_path, {"requirements.txt": "django\ngunicorn\n", ".python-version": "3.12\n",
                     "backend/manage.py": "import django\n",
                     "Procfile": "web: gunicorn shop.wsgi --chdir backend\n",
                     "app.json": {"addons": ["heroku-postgresql"],
                                  "buildpacks": [{"url": "heroku/nodejs"}, {"url": "heroku/python"}]}})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "django"
    assert plan["release"]["line"] == "python backend/manage.py migrate --noinput"
    steps = _steps(plan)
    assert "ln -s backend/manage.py manage.py" in steps["collectstatic (backend/manage.py)"]["how"]
    assert plan["build"]["buildpacks"] == ["heroku/nodejs", "heroku/python", "heroku/procfile"]
    assert_every_process_runs_heroku(plan)


@pytest.mark.parametrize("settings, names", [
    ("SECRET_KEY = os.environ['SECRET_KEY']\nDEBUG = env('DEBUG', default=False)\n", ["SECRET_KEY"]),
    ("SECRET_KEY = env('SECRET_KEY')\nif X:\n    KEY = env('AWS_KEY')\n", ["SECRET_KEY"]),
    ("SECRET_KEY = os.environ.get('SECRET_KEY', 'x')\n", []),
])
def test_collectstatic_at_build_without_config_vars(tmp_path, settings, names):
    write(tmp_path, {"requirements.txt": "django\n", ".python-version": "3.12\n",
                     "manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n",
                     "shop/settings.py": settings, "Procfile": "web: gunicorn shop.wsgi\n"})
    step = _steps(plan_of(tmp_path)).get("collectstatic during the build")
    if names:
        assert all(n in step["why"] for n in names)
    else:
        assert step is None


@pytest.mark.parametrize("files, item", [
    ({"Pipfile": "[packages]\nflask = '*'\n", "Pipfile.lock": "{}"}, "Python dependencies file"),
    ({"requirements.txt": "flask\n", "poetry.lock": ""},
     "Python dependencies files requirements.txt, poetry.lock"),
    ({"pyproject.toml": "[project]\ndependencies = ['flask']\n", "uv.lock": ""},
     "uv without .python-version"),
    ({"requirements.txt": "flask\n", ".python-version": "3.15\n"}, "python 3.15 (from .python-version)"),
])
def test_what_the_python_builder_refuses_is_a_manual_step(tmp_path, files, item):
    write(tmp_path, {**files, "Procfile": "web: gunicorn app:app\n"})
    assert item in _steps(plan_of(tmp_path))


def test_a_clean_python_repo_has_no_builder_steps(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", ".python-version": "3.13\n",
                     "Procfile": "web: gunicorn app:app\n"})
    items = set(_steps(plan_of(tmp_path)))
    assert not {i for i in items if "python" in i.lower() or "runtime" in i}


@pytest.mark.parametrize("files, web, release", [
    ({}, "gunicorn flasky:app", "FLASK_APP=flasky flask db upgrade"),
    ({}, "gunicorn -w 2 'manage:create_app()'", "flask db upgrade"),
    ({}, "gunicorn -w 2 main:create_app()", "FLASK_APP='main:create_app()' flask db upgrade"),
    ({"wsgi.py": "app = x\n"}, "gunicorn wsgi:app", "flask db upgrade"),
])
def test_flask_migrate_release_knows_where_the_app_is(tmp_path, files, web, release):
    # miguelgrinberg/flasky: flasky.py is neither app.py nor wsgi.py, which `flask` finds alone.
    write(tmp_path, {**files, "requirements.txt": "flask\nflask-migrate\n", ".python-version": "3.12\n",
                     "Procfile": f"web: {web}\n", "app.json": {"addons": ["heroku-postgresql"]}})
    plan = plan_of(tmp_path)
    assert plan["release"]["line"] == release
    assert_every_process_runs_heroku(plan)


@pytest.mark.parametrize("meta, version", [
    ({"requires": {"python_version": "3.6"}}, "3.6"),
    ({"requires": {"python_full_version": "3.12.4", "python_version": "3.12"}}, "3.12.4"),
    ({}, None),
])
def test_pipfile_lock_pin_needs_a_python_version_file(tmp_path, meta, version):
    # heroku/python-getting-started@0db60dc2: the classic buildpack read Pipfile.lock's pin.
    write(tmp_path, {"requirements.txt": "flask\n", "Pipfile.lock": {"_meta": meta, "default": {}},
                     "Procfile": "web: gunicorn app:app\n"})
    plan = plan_of(tmp_path)
    assert plan["build"]["runtime"].get("version") == version
    assert (f"python {version} (from Pipfile.lock)" in _steps(plan)) is bool(version)


def test_an_invalid_pipfile_lock_pins_nothing(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", "Pipfile.lock": "{not json",
                     "Procfile": "web: gunicorn app:app\n"})
    assert plan_of(tmp_path)["build"]["runtime"].get("version") is None


def test_utf16_requirements_include_is_read_like_pip(tmp_path):
    import codecs
    write(tmp_path, {"requirements.txt": "-r dev.txt\n", "Procfile": "web: gunicorn shop.wsgi\n"})
    (tmp_path / "dev.txt").write_bytes(codecs.BOM_UTF16_LE + "Django==3.2\r\n".encode("utf-16-le"))
    assert plan_of(tmp_path)["framework"] == "django"


@pytest.mark.parametrize("urls, path", [
    ('"""Example: path(\'\', views.home)"""\nurlpatterns = [path("admin/", admin.site.urls),\n'
     '    path("api/", include("api.urls"))]\n', "/admin/login/"),
    ("urlpatterns = [url(r'^backoffice/', include(admin.site.urls)), url(r'^api/', include(r))]\n",
     "/backoffice/login/"),
    ('urlpatterns = [path("admin/", admin.site.urls), path("", include("pages.urls"))]\n', "/"),
    ("urlpatterns = [url(r'^$', views.index), url(r'^admin/', admin.site.urls)]\n", "/"),
    ("# path('', home)\nurlpatterns = [path(settings.ADMIN_URL, admin.site.urls)]\n", "/"),
])
def test_health_check_avoids_an_unrouted_root(tmp_path, urls, path):
    # CodeEnvironment/django-rest-framework-deploy-heroku, HackSoftware/Django-Styleguide-Example:
    # API-only URLconfs answer 404 at /, which Fly counts as a failed check.
    write(tmp_path, {"requirements.txt": "django\n", ".python-version": "3.12\n",
                     "manage.py": "import django\n", "shop/urls.py": urls,
                     "Procfile": "web: gunicorn shop.wsgi\n"})
    assert plan_of(tmp_path)["http_service"]["health_check_path"] == path


@pytest.mark.parametrize("main, path", [
    ('app = FastAPI()\n@app.post("/items")\ndef create(): ...\n', "/docs"),
    ('app = FastAPI()\n@app.get("/")\ndef root(): ...\n', "/"),
    ('app = FastAPI(docs_url=None)\n@app.post("/items")\ndef create(): ...\n', "/"),
    ('app = FastAPI()\n@app.get("/healthz")\ndef ok(): ...\n', "/healthz"),
])
def test_fastapi_health_check_without_a_root_route(tmp_path, main, path):
    write(tmp_path, {"requirements.txt": "fastapi\nuvicorn\n", ".python-version": "3.12\n",
                     "app/main.py": main,
                     "Procfile": "web: uvicorn app.main:app --host=0.0.0.0 --port=${PORT:-5000}\n"})
    assert plan_of(tmp_path)["http_service"]["health_check_path"] == path


@pytest.mark.parametrize("lockfile, step", [(None, True), ("package-lock.json", False)])
def test_python_app_built_with_node_too_needs_a_lockfile(tmp_path, lockfile, step):
    # mediacloud/web-search: .buildpacks python, nodejs (webpack, no lockfile), pgbouncer.
    files = {"requirements.txt": "flask\n", ".python-version": "3.12\n", "package.json": "{}",
             ".buildpacks": "heroku/python\nheroku/nodejs\n", "Procfile": "web: gunicorn app:app\n"}
    if lockfile:
        files[lockfile] = "{}"
    write(tmp_path, files)
    assert ("package-lock.json" in _steps(plan_of(tmp_path))) is step


def test_python_aptfile_becomes_deb_packages_config(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", ".python-version": "3.12\n",
                     "Aptfile": "tesseract-ocr\nlibtesseract-dev\n", "Procfile": "web: gunicorn app:app\n"})
    assert 'install = ["tesseract-ocr", "libtesseract-dev"]' in _steps(plan_of(tmp_path))["Aptfile"]["how"]


@pytest.mark.parametrize("dockerfile, own_image", [
    ('FROM python:3.9-alpine\nCOPY . /app\nCMD ["gunicorn", "main:app"]\n', True),
    # No CMD/ENTRYPOINT: a development image; the plan builds with the CNB builder instead.
    ("FROM python:3.9-alpine\nCOPY . /app\n", False),
])
def test_python_version_is_checked_only_when_the_builder_installs_it(tmp_path, dockerfile,
                                                                     own_image):
    write(tmp_path, {"Procfile": "web: gunicorn main:app\n", "requirements.txt": "flask\n",
                     "runtime.txt": "python-3.9.1\n", "Dockerfile": dockerfile})
    plan = plan_of(tmp_path)
    too_old = any("older than the oldest python" in n for n in plan["notes"]) or any(
        "installs no python that old" in s["why"] for s in plan["manual_steps"])
    assert too_old is not own_image
    assert plan["build"]["runtime"]["supported"] is (None if own_image else False)
    assert any("Python comes from your Dockerfile" in n for n in plan["notes"]) is own_image


def test_procfile_without_web_beside_a_dockerfile_says_heroku_never_ran_its_command(tmp_path):
    write(tmp_path, {"Procfile": "api: gunicorn main:app\n", "requirements.txt": "flask\n",
                     "Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\n'
                                   'ENTRYPOINT ["python", "-m", "flask", "run"]\n'})
    plan = plan_of(tmp_path)
    assert any("Heroku ran no web process (the Procfile has only api)" in n
               for n in plan["notes"])


@pytest.mark.parametrize("extra, node_web", [
    ({}, True),
    ({"Procfile": "worker: python bot.py\n"}, False),  # runs Python: its buildpack was set
    ({"Procfile": "web: gunicorn app:app\n"}, False),  # the Procfile's web line decides
    ({"app.json": {"buildpacks": [{"url": "heroku/python"}]}}, False),  # set, not detected
])
def test_no_web_line_and_a_start_script_heroku_built_it_as_node(tmp_path, extra, node_web):
    write(tmp_path, {"requirements.txt": "nltk\n", "yarn.lock": "",
                     "package.json": {"scripts": {"start": "next start"}}, **extra})
    plan = plan_of(tmp_path)
    assert (plan["build"].get("buildpacks") == ["heroku/nodejs"]) is node_web
    assert ("app" in plan["process_checks"]) is (node_web or "web:" in extra.get("Procfile", ""))


def test_node_built_by_classic_detection_without_a_lockfile_is_a_manual_step(tmp_path):
    write(tmp_path, {"requirements.txt": "nltk\n", "package.json": {"scripts": {"start": "x"}}})
    plan = plan_of(tmp_path)
    assert plan["build"]["buildpacks"] == ["heroku/nodejs"]
    assert any("lockfile" in s["why"] for s in plan["manual_steps"])
