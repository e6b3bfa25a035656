"""Rails and plain Ruby: processes through the CNB launcher, /up, migrations by era."""

from __future__ import annotations

from tests.unit.frameworks._repo import assert_every_process_runs_heroku, plan_of, write

GEMFILE = "source 'https://rubygems.org'\nruby '3.2.2'\ngem 'rails', '~> 7.1.3'\ngem 'pg'\ngem 'sidekiq'\n"
LOCK = "GEM\n  specs:\n    rails (7.1.3)\n    sidekiq (7.2.0)\n\nRUBY VERSION\n   ruby 3.2.2p53\n"
APP_JSON = {"addons": ["heroku-postgresql", "heroku-redis:mini"],
            "env": {"RAILS_ENV": {"value": "production"}, "SECRET_KEY_BASE": {"generator": "secret"},
                    "APP_HOST": {"value": "shop.herokuapp.com"}, "BUNDLE_WITHOUT": "development:test",
                    "BUILDPACK_URL": "https://github.com/heroku/heroku-buildpack-ruby"}}


def rails_repo(tmp_path, **extra):
    files = {"Gemfile": GEMFILE, "Gemfile.lock": LOCK, "bin/rails": "#!/usr/bin/env ruby\n",
             "config/application.rb": "module Shop\n  class Application < Rails::Application\n  end\nend\n",
             "config/routes.rb": 'Rails.application.routes.draw do\n  get "up" => "rails/health#show"\nend\n',
             "config/environments/production.rb": "  config.force_ssl = true\n",
             "Procfile": "web: bundle exec puma -C config/puma.rb\n"
                         "worker: RUBYOPT=--jit bundle exec sidekiq -c ${SIDEKIQ_CONCURRENCY:-5}\n",
             "app.json": APP_JSON}
    files.update(extra)
    return write(tmp_path, files)


def test_rails_71_plan(tmp_path):
    plan = plan_of(rails_repo(tmp_path))
    assert plan["framework"] == "rails" and "Rails 7.1.3" in plan["framework_evidence"]
    assert plan["build"]["builder"] == "heroku/builder:24"
    assert plan["build"]["runtime"] == {"language": "ruby", "version": "3.2.2",
                                        "source": "Gemfile.lock", "supported": True}
    # Each line is one word for the launcher, so the Machine runs `bash -c <line>`.
    assert plan["process_checks"]["worker"]["machine_exec"] == [
        "bash", "-c", "RUBYOPT=--jit bundle exec sidekiq -c ${SIDEKIQ_CONCURRENCY:-5}"]
    assert_every_process_runs_heroku(plan)
    assert plan["release_command"] == "'bin/rails db:migrate'" and plan["release"]["proposed"]
    http = plan["http_service"]
    assert http["health_check_path"] == "/up"
    assert http["health_check_headers"] == {"X-Forwarded-Proto": "https"}
    kinds = {k["name"]: k["kind"] for k in plan["config_kinds"]}
    assert kinds == {"APP_HOST": "heroku-host", "BUILDPACK_URL": "heroku-only"}
    assert "BUILDPACK_URL" not in plan["secrets"]
    assert "APP_HOST" in plan["secrets"]  # copied, then pointed at Fly by the user
    # Bundler reads BUNDLE_WITHOUT at boot too (the CNB launch env defaults it to
    # development:test), so it stays a runtime secret and also goes to [build.args].
    assert "BUNDLE_WITHOUT" in plan["secrets"]
    steps = {s["item"]: s for s in plan["manual_steps"]}
    assert "shop.fly.dev" in steps["Config vars naming the Heroku host: APP_HOST"]["how"]
    assert "[build.args]" in steps["BUNDLE_WITHOUT at build time too"]["how"]


def test_release_migrations_flag_and_own_release_line(tmp_path):
    rails_repo(tmp_path)
    assert plan_of(tmp_path, release_migrations=False)["release_command"] is None
    (tmp_path / "Procfile").write_text("web: bin/rails s\nrelease: bin/rails db:migrate && bin/rails db:seed\n")
    plan = plan_of(tmp_path, release_migrations=False)
    assert plan["release"]["proposed"] is False
    assert plan["release"]["machine_exec"] == ["bash", "-c", "bin/rails db:migrate && bin/rails db:seed"]


def test_no_database_no_proposed_release(tmp_path):
    rails_repo(tmp_path, **{"app.json": {"addons": ["heroku-redis"]}})
    assert plan_of(tmp_path)["release_command"] is None


def test_old_rails_uses_rake_and_root_health_check(tmp_path):
    rails_repo(tmp_path, **{"Gemfile": "ruby '2.3.1'\ngem 'rails', '4.2.11'\ngem 'pg'\n", "Gemfile.lock": "",
                            "config/routes.rb": "Rails.application.routes.draw do\nend\n"})
    (tmp_path / "bin" / "rails").unlink()
    plan = plan_of(tmp_path)
    assert plan["release"]["line"] == "bundle exec rake db:migrate"
    assert plan["http_service"]["health_check_path"] == "/"
    # Ruby 2.3 is older than any Ruby heroku/builder:24 installs: said, not refused.
    assert plan["build"]["runtime"]["supported"] is False
    assert any("ruby 2.3.1 is older" in n for n in plan["notes"])
    step = next(s for s in plan["manual_steps"] if s["item"].startswith("ruby 2.3.1"))
    assert "Gemfile" in step["how"]


def test_rails_without_web_line_gets_herokus_default(tmp_path):
    rails_repo(tmp_path, Procfile="worker: bundle exec sidekiq\n")
    plan = plan_of(tmp_path)
    assert plan["process_checks"]["app"]["heroku"] == "bin/rails server -p ${PORT:-5000} -e $RAILS_ENV"
    assert_every_process_runs_heroku(plan)


def test_stack_without_a_builder_maps_to_one_that_exists(tmp_path):
    rails_repo(tmp_path, **{"app.json": {"stack": "heroku-18"}})
    plan = plan_of(tmp_path)
    assert plan["build"]["builder"] == "heroku/builder:24"
    assert any("no CNB builder for heroku-18" in n for n in plan["notes"])
    rails_repo(tmp_path, **{"app.json": {"stack": "heroku-20"}})
    assert plan_of(tmp_path)["build"]["builder"] == "heroku/builder:20"


def test_rack_app_default_web(tmp_path):
    write(tmp_path, {"Gemfile": "gem 'sinatra'\n", "config.ru": "run App\n"})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "ruby"
    assert plan["process_checks"]["app"]["heroku"] == "bundle exec rackup config.ru -p ${PORT:-5000}"
    assert_every_process_runs_heroku(plan)


def test_monorepo_app_base_and_build_credentials(tmp_path):
    rails_repo(tmp_path / "backend", **{"app.json": {}})
    write(tmp_path, {"package.json": {"scripts": {"dev": "next dev"}}, "Procfile.dev": "web: next dev\n",
                     "app.json": {"env": {"APP_BASE": {"value": "backend/"},
                                          "BUNDLE_GEMS__CONTRIBSYS__COM": {"required": True}},
                                  "addons": [{"plan": "heroku-postgresql", "as": "DATABASE"}]}})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "rails"
    assert set(plan["processes"]) == {"app", "worker"}
    assert "APP_BASE" not in plan["secrets"] and "BUNDLE_GEMS__CONTRIBSYS__COM" not in plan["secrets"]
    steps = {s["item"] for s in plan["manual_steps"]}
    assert {"Build from backend/", "Build-time credentials: BUNDLE_GEMS__CONTRIBSYS__COM"} <= steps
    assert not any(s.startswith("Build-time config vars") for s in steps)
