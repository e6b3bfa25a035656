"""JVM build tools, PHP constraints and docroots, Go modules, and repos the builder cannot build."""

from __future__ import annotations

import pytest

from herokufly.base.errors import ConfigError
from herokufly.frameworks import go, java, php
from herokufly.act.scaffold import planned_files
from tests.unit.frameworks._repo import assert_every_process_runs_heroku, plan_of, write


@pytest.mark.parametrize("constraint, admitted", [
    (">=5.6.0", True), ("^7.3|^8.0", True), ("^7.3 || ^8.0", True), ("~8.1", True),
    ("*", True), ("8.3.*", True), (">=7.0 <8.0", False), ("7.*", False), ("~7.4", False),
    ("7.4.3", False), ("8.0.*", False), ("7.1 - 7.4", False), ("7.1 - 8.2", True),
    ("<=8.1", True), ("<8.1", False),
])
def test_composer_constraints_admit_a_php_the_builder_has(constraint, admitted):
    assert php.admits_at_least(constraint, "8.1") is admitted


def test_php_range_is_not_called_old_but_an_old_pin_is(tmp_path):
    write(tmp_path / "range", {"composer.json": {"require": {"php": ">=5.6.0"}}})
    write(tmp_path / "old", {"composer.json": {"require": {"php": "~7.4"}}})
    ranged, old = plan_of(tmp_path / "range"), plan_of(tmp_path / "old")
    assert ranged["build"]["runtime"] == {"language": "php", "version": ">=5.6.0",
                                          "source": "composer.json", "supported": True}
    assert old["build"]["runtime"]["supported"] is False
    assert any("php ~7.4 is older" in n for n in old["notes"])


def test_laravel_with_package_json_is_php_with_its_migrations(tmp_path):
    write(tmp_path, {"composer.json": {"require": {"laravel/framework": "^10.0"}},
                     "package.json": {"devDependencies": {"vite": "^5"}},
                     "Procfile": "web: vendor/bin/heroku-php-nginx -C nginx.conf public/\n",
                     "app.json": {"addons": ["heroku-postgresql"]}})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "php"
    assert plan["release"]["line"] == "php artisan migrate --force"
    assert_every_process_runs_heroku(plan)


def test_symfony_doctrine_migrations_and_a_laravel_health_route(tmp_path):
    write(tmp_path / "sf", {"composer.json": {"require": {
        "symfony/framework-bundle": "^6.4", "doctrine/doctrine-migrations-bundle": "^3.3"}},
        "Procfile": "web: heroku-php-apache2 public/\n", "app.json": {"addons": ["heroku-postgresql"]}})
    assert plan_of(tmp_path / "sf")["release"]["line"] == (
        "php bin/console doctrine:migrations:migrate --no-interaction")
    write(tmp_path / "lv", {"composer.json": {"require": {"laravel/framework": "^9.0"}},
                            "routes/api.php": "<?php\nRoute::get('/healthz', [Health::class, 'show']);\n",
                            "Procfile": "web: heroku-php-apache2 public/\n"})
    assert plan_of(tmp_path / "lv")["http_service"]["health_check_path"] == "/healthz"


@pytest.mark.parametrize("files, tool", [
    ({"build.sbt": "name := \"x\"\n"}, "sbt"),
    ({"project/build.properties": "sbt.version=1.9.9\n"}, "sbt"),
    ({"settings.gradle.kts": "rootProject.name = \"x\"\n"}, "gradle"),
    ({"pom.xml": "<project/>", "build.sbt": ""}, "maven"),
])
def test_jvm_build_tools_as_the_builder_detects_them(tmp_path, files, tool):
    write(tmp_path, files)
    assert java.detect(tmp_path).facts["tool"] == tool


def test_java_versions_are_read_as_the_jvm_buildpack_reads_them():
    assert [java.major(v) for v in ("1.8", "zulu-21", "17.0.2", "heroku-11", None)] == [
        "8", "21", "17", "11", None]


def test_system_properties_1_8_is_not_called_older_than_8(tmp_path):
    write(tmp_path, {"pom.xml": "<project/>", "system.properties": "java.runtime.version=1.8\n",
                     "Procfile": "web: java -jar target/app.jar\n"})
    plan = plan_of(tmp_path)
    assert plan["build"]["runtime"]["version"] == "1.8" and plan["build"]["runtime"]["supported"]


def test_spring_boot_without_procfile_runs_the_builders_default_web(tmp_path):
    write(tmp_path, {"pom.xml": "<artifactId>spring-boot-starter-web</artifactId>"})
    plan = plan_of(tmp_path)
    assert plan["processes"] == {"app": ""}
    assert plan["process_checks"]["app"]["heroku"] == (
        "java -Dserver.port=$PORT $JAVA_OPTS -jar target/*.jar")


def test_leiningen_app_gets_a_dockerfile_that_builds_as_herokus_buildpack(tmp_path):
    write(tmp_path, {"project.clj": '(defproject a "1" ; :uberjar-name "no.jar"\n'
                                    '  :description "no :uberjar-name here")\n',
                     "system.properties": "java.runtime.version=11\n"})
    plan = plan_of(tmp_path)
    assert plan["build"]["image"] == "clojure:temurin-11-lein-bookworm"
    assert plan["build"]["build_command"] == "lein with-profile production compile :all"
    assert plan["process_checks"]["app"]["heroku"] == "lein with-profile production trampoline run"
    assert_every_process_runs_heroku(plan)
    dockerfile = planned_files(plan, tmp_path)["Dockerfile"][0]
    assert dockerfile.startswith("# Written by herokufly")
    assert "RUN lein with-profile production compile :all\n" in dockerfile
    assert 'CMD ["/bin/bash", "-c", "lein with-profile production trampoline run"]' in dockerfile


def test_lein_jdk_is_the_pinned_one_or_the_next_with_an_image():
    assert java.lein_image("1.8")[0] == "clojure:temurin-8-lein-bookworm"
    assert java.lein_image("19")[0] == "clojure:temurin-21-lein-bookworm"
    assert java.lein_image(None)[0] == f"clojure:temurin-{java.LEIN_DEFAULT_JDK}-lein-bookworm"


@pytest.mark.parametrize("module, mains, binary", [
    ("github.com/acme/api", ["."], "api"),
    ("github.com/acme/api", ["cmd/server"], "server"),
    ("github.com/acme/api", ["cmd/admin", "cmd/web"], "web"),
    ("github.com/acme/api", ["example.org/tools/cli"], "cli"),
    ("api", ["."], None),
])
def test_go_default_binary_follows_heroku_go(module, mains, binary):
    assert go.default_binary({"module": module, "main_packages": mains}) == binary


def test_go_install_pattern_expands_to_main_packages(tmp_path):
    write(tmp_path, {"go.mod": "// +heroku install ./cmd/...\nmodule example.com/shop\n\ngo 1.22\n",
                     "cmd/api/main.go": "package main\n", "cmd/zz/main.go": "package main\n",
                     "cmd/lib/x.go": "package lib\n"})
    facts = go.detect(tmp_path).facts
    assert facts["main_packages"] == ["cmd/api", "cmd/zz"]
    assert plan_of(tmp_path)["process_checks"]["app"]["heroku"] == "api"


def test_go_module_without_slash_or_procfile_is_one_line_naming_go_mod(tmp_path):
    write(tmp_path, {"go.mod": "module api\n\ngo 1.22\n"})
    with pytest.raises(ConfigError, match=r"^go\.mod: module path 'api' has no '/'"):
        plan_of(tmp_path)


def test_go_without_go_mod_is_refused_naming_its_manifest(tmp_path):
    write(tmp_path, {"Godeps/Godeps.json": "{}", "Procfile": "web: api\n"})
    with pytest.raises(ConfigError, match=r"^Godeps/Godeps\.json: a Go app without go\.mod"):
        plan_of(tmp_path)


@pytest.mark.parametrize("files, named", [
    ({"Cargo.toml": "[package]\n", "Procfile": "web: ./target/release/x\n"}, "Cargo.toml"),
    ({"public/index.html": "<p>hi</p>"}, "public/index.html"),
    ({"deno.json": "{}", "Procfile": "web: deno run main.ts\n"}, "deno.json"),
    ({"x.cabal": "name: x\n"}, "x.cabal"),
    ({"system.properties": "java.runtime.version=17\n"}, "system.properties"),
    ({"Procfile": "web: ./server\n"}, "Procfile"),
    ({}, "Procfile"),
])
def test_what_the_builder_cannot_build_is_one_line_naming_the_file(tmp_path, files, named):
    write(tmp_path, files)
    with pytest.raises(ConfigError) as exc:
        plan_of(tmp_path)
    assert exc.value.one_line().startswith(named + ": ") and "Dockerfile" in exc.value.one_line()


def test_index_php_without_composer_json_says_to_add_one(tmp_path):
    write(tmp_path, {"index.php": "<?php echo 'hi';\n", "Procfile": "web: heroku-php-apache2\n"})
    with pytest.raises(ConfigError) as exc:
        plan_of(tmp_path)
    assert exc.value.one_line().startswith("index.php: a PHP app without composer.json")
    assert "Add a composer.json" in exc.value.one_line()


def test_an_own_dockerfile_or_a_dotnet_project_is_not_refused(tmp_path):
    write(tmp_path / "docker", {"Cargo.toml": "[package]\n", "Dockerfile": "FROM rust\nCMD [\"x\"]\n"})
    write(tmp_path / "dotnet", {"Api.csproj": "<Project/>", "Procfile": "web: dotnet Api.dll\n"})
    assert plan_of(tmp_path / "docker")["build"]["mode"] == "dockerfile"
    assert plan_of(tmp_path / "dotnet")["build"]["builder"].startswith("heroku/builder:")


@pytest.mark.parametrize("line, bare", [
    ("vendor/bin/heroku-php-nginx -C nginx.conf public/", "heroku-php-nginx -C nginx.conf public/"),
    ("$(composer config bin-dir)/heroku-php-apache2 public/", "heroku-php-apache2 public/"),
    ("./vendor/bin/heroku-php-apache2", "heroku-php-apache2"),
])
def test_boot_scripts_through_the_composer_bin_dir_run_from_path(tmp_path, line, bare):
    write(tmp_path, {"composer.json": {"require": {"php": "^8.2"}},
                     "Procfile": f"web: {line}\nworker: php worker.php\n"})
    plan = plan_of(tmp_path)
    assert plan["process_checks"]["app"]["heroku"] == bare
    assert "classic PHP buildpack" in plan["process_checks"]["app"]["replaced"]
    assert "replaced" not in plan["process_checks"]["worker"]


def test_a_boot_script_called_from_path_is_left_alone(tmp_path):
    write(tmp_path, {"composer.json": {}, "Procfile": "web: php boot.php && heroku-php-apache2 web/\n"})
    plan = plan_of(tmp_path)
    assert "replaced" not in plan["process_checks"]["app"]
    assert_every_process_runs_heroku(plan)


def test_php_and_nodejs_buildpacks_carry_over_to_fly_toml(tmp_path):
    write(tmp_path, {"composer.json": {"require": {"laravel/framework": "^9.0"}},
                     "package.json": {"scripts": {"heroku-postbuild": "npm run prod"}},
                     "Procfile": "web: heroku-php-apache2 public/\n",
                     "app.json": {"buildpacks": [{"url": "heroku/php"},
                                                 {"url": "https://github.com/heroku/heroku-buildpack-nodejs.git"}]}})
    plan = plan_of(tmp_path)
    assert plan["build"]["buildpacks"] == ["heroku/php", "heroku/nodejs", "heroku/procfile"]
    assert 'buildpacks = ["heroku/php", "heroku/nodejs", "heroku/procfile"]' in (
        planned_files(plan, tmp_path)["fly.toml"][0])


def test_php_with_an_asset_script_and_unknown_buildpacks_is_a_manual_step(tmp_path):
    write(tmp_path, {"composer.json": {}, "package.json": {"scripts": {"build": "vite build"}},
                     "Procfile": "web: heroku-php-apache2 public/\n"})
    plan = plan_of(tmp_path)
    assert "buildpacks" not in plan["build"]
    assert any(s["item"] == "Node.js asset build" for s in plan["manual_steps"])


def test_one_language_or_a_custom_buildpack_lists_no_buildpacks():
    from herokufly.frameworks._runtime import cnb_buildpacks
    assert cnb_buildpacks(["heroku/php"]) is None
    assert cnb_buildpacks(["heroku/php", "https://github.com/x/custom"]) is None
    # a custom buildpack beside two languages is reported by the plan ("Custom buildpacks");
    # the languages are still listed so the builder runs both
    assert cnb_buildpacks(["heroku/php", "https://github.com/x/custom", "heroku/nodejs"]) == [
        "heroku/php", "heroku/nodejs", "heroku/procfile"]
    assert cnb_buildpacks(["heroku/gradle", "heroku/nodejs"]) == [
        "heroku/java", "heroku/nodejs", "heroku/procfile"]


def test_leiningen_app_reading_jdbc_database_url_gets_a_manual_step(tmp_path):
    write(tmp_path, {"project.clj": '(defproject a "1" :uberjar-name "a.jar")\n',
                     "src/a/core.clj": '(System/getenv "JDBC_DATABASE_URL")\n',
                     "Procfile": "web: java -jar target/a.jar\n"})
    assert any(s["item"] == "JDBC_DATABASE_URL" for s in plan_of(tmp_path)["manual_steps"])
    (tmp_path / "src/a/core.clj").write_text('(System/getenv "DATABASE_URL")\n')
    assert not any(s["item"] == "JDBC_DATABASE_URL" for s in plan_of(tmp_path)["manual_steps"])


def test_heroku_yml_setup_addons_and_config_names_plan_offline(tmp_path):
    from herokufly.talk.repo import read_repo
    write(tmp_path, {"Dockerfile": "FROM ruby:3.3\nCMD [\"puma\"]\n", "Gemfile": "gem 'rails'\n",
                     "heroku.yml": "setup:\n  addons:\n    - plan: heroku-postgresql\n      as: DATABASE\n"
                                   "  config:\n    RAILS_ENV: production\n    SECRET_TOKEN: canary-4711\n"
                                   "build:\n  docker:\n    web: Dockerfile\n"})
    plan = plan_of(tmp_path)
    assert plan["postgres"]["source_plan"] == "heroku-postgresql:essential-0"
    assert {"RAILS_ENV", "SECRET_TOKEN"} <= set(plan["secrets"])
    assert "canary-4711" not in repr(read_repo(tmp_path))


def test_app_json_addons_win_over_heroku_yml_setup(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM x\nCMD [\"run\"]\n", "app.json": {"addons": []},
                     "heroku.yml": "setup:\n  addons:\n    - plan: heroku-postgresql\n"
                                   "build:\n  docker:\n    web: Dockerfile\n"})
    assert not plan_of(tmp_path).get("postgres")


def test_a_bad_heroku_yml_setup_addon_names_heroku_yml(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM x\n",
                     "heroku.yml": "setup:\n  addons:\n    - plan: [nope]\nbuild:\n  docker:\n    web: Dockerfile\n"})
    with pytest.raises(ConfigError, match=r"^heroku\.yml: setup\.addons\[0\]"):
        plan_of(tmp_path)


@pytest.mark.parametrize("version, supported", [
    ("1.9.9", True), ("2.0.1", True), ("0.13.18", False), ("2.0.0", False), (None, False)])
def test_sbt_versions_the_builder_builds(version, supported):
    assert java.sbt_supported(version) is supported


def test_a_repo_whose_app_is_a_subfolder_points_at_it(tmp_path):
    write(tmp_path, {"README.md": "monorepo\n", "backend/Procfile": "web: java -jar target/a.jar\n",
                     "backend/pom.xml": "<project/>"})
    with pytest.raises(ConfigError) as exc:
        plan_of(tmp_path)
    assert exc.value.one_line().startswith("Procfile: ")
    assert "--prefix backend" in exc.value.one_line() and "--repo" in exc.value.one_line()


def test_static_json_site_is_served_by_a_generated_nginx_image(tmp_path):
    write(tmp_path, {"static.json": {"root": "dist/", "clean_urls": True, "routes": {"/**": "index.html"},
                                     "headers": {"/": {"X-Frame-Options": "DENY"}}},
                     "dist/index.html": "<p>app</p>"})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "static" and plan["build"]["static_root"] == "dist"
    assert "replaced" in plan["process_checks"]["app"]
    assert any(s["item"] == "static.json settings" and "headers" in s["why"]
               for s in plan["manual_steps"])
    files = planned_files(plan, tmp_path)
    assert "COPY dist/ /usr/share/nginx/html/" in files["Dockerfile"][0]
    assert "try_files $uri $uri.html $uri/ /index.html;" in files["herokufly-nginx.conf"][0]
    assert ".git" in files[".dockerignore"][0].split()


def test_a_bare_index_html_is_a_static_site_but_not_beside_a_language(tmp_path):
    write(tmp_path / "bare", {"index.html": "<p>hi</p>"})
    write(tmp_path / "node", {"index.html": "<p>hi</p>", "package.json": {"scripts": {"start": "serve"}}})
    assert plan_of(tmp_path / "bare")["framework"] == "static"
    assert plan_of(tmp_path / "node")["framework"] == "node"


@pytest.mark.parametrize("config", [{"root": "../../etc"}, {"root": "a b"},
                                    {"routes": {"/**": "index.html; }"}}, {"root": 7}])
def test_static_json_values_never_escape_the_repo_or_the_config(tmp_path, config):
    write(tmp_path, {"static.json": config, "index.html": "<p>hi</p>"})
    plan = plan_of(tmp_path)
    assert plan["build"]["static_root"] == "." and plan["build"]["spa"] is None
