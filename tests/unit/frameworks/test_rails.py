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


# --- the Ruby and Bundler the CNB builder installs (heroku/buildpacks-ruby main.rs) ---

LOCK_NO_RUBY = "GEM\n  specs:\n    rails (7.1.3)\n\nBUNDLED WITH\n   2.4.19\n"


def _steps(plan: dict) -> dict:
    return {s["item"]: s for s in plan["manual_steps"]}


def test_gemfile_ruby_pin_missing_from_the_lock_is_a_manual_step(tmp_path):
    plan = plan_of(rails_repo(tmp_path, **{"Gemfile.lock": LOCK_NO_RUBY}))
    step = _steps(plan)["Ruby 3.2.2 (from Gemfile) is not in Gemfile.lock"]
    assert "3.3.9" in step["why"] and "bundle update --ruby" in step["how"]
    # the same pin locked in Gemfile.lock: nothing to do
    assert not any("not in Gemfile.lock" in i for i in _steps(plan_of(rails_repo(tmp_path))))


def test_gemfile_ruby_requirements_the_default_ruby_satisfies(tmp_path):
    for line in ('ruby "~> 3.3"', "ruby '>= 3.3.0', '< 4.1.0'"):
        gemfile = f"source 'https://rubygems.org'\n{line}\ngem 'rails', '~> 7.1.3'\n"
        plan = plan_of(rails_repo(tmp_path, Gemfile=gemfile, **{"Gemfile.lock": LOCK_NO_RUBY}))
        assert not any("not in Gemfile.lock" in i for i in _steps(plan)), line
    gemfile = "ruby '~> 3.2.0'\ngem 'rails', '~> 7.1.3'\n"  # ~> 3.2.0 excludes 3.3.9
    plan = plan_of(rails_repo(tmp_path, Gemfile=gemfile, **{"Gemfile.lock": LOCK_NO_RUBY}))
    assert "Ruby ~> 3.2.0 (from Gemfile) is not in Gemfile.lock" in _steps(plan)


def test_ruby_version_file_forms_are_read(tmp_path):
    for line in ('ruby file: ".ruby-version"', "ruby File.read('.ruby-version').chomp"):
        plan = plan_of(rails_repo(tmp_path, Gemfile=f"{line}\ngem 'rails', '~> 7.1.3'\n",
                                  **{"Gemfile.lock": LOCK_NO_RUBY, ".ruby-version": "ruby-3.1.6\n"}))
        assert plan["build"]["runtime"]["version"] == "3.1.6", line
        assert "Ruby 3.1.6 (from .ruby-version) is not in Gemfile.lock" in _steps(plan)


def test_old_rails_without_a_ruby_pin_and_bundler_1(tmp_path):
    lock = "GEM\n  specs:\n    rails (4.2.11)\n\nBUNDLED WITH\n   1.17.3\n"
    plan = plan_of(rails_repo(tmp_path, Gemfile="gem 'rails', '4.2.11'\n", **{"Gemfile.lock": lock}))
    steps = _steps(plan)
    assert "Rails before 6.1" in steps["No Ruby pinned for Rails 4.2.11"]["why"]
    assert "bundle update --bundler" in steps["Bundler 1.17.3 (Gemfile.lock BUNDLED WITH) on Ruby 3.3.9"]["how"]
    # a new Rails with no pin runs on the default Ruby; Bundler 2 is fine
    plan = plan_of(rails_repo(tmp_path, Gemfile="gem 'rails', '~> 7.1.3'\n", **{"Gemfile.lock": LOCK_NO_RUBY}))
    assert not any(i.startswith(("No Ruby pinned", "Bundler")) for i in _steps(plan))


def test_missing_gemfile_lock_is_a_manual_step(tmp_path):
    rails_repo(tmp_path)
    (tmp_path / "Gemfile.lock").unlink()
    assert "bundle lock" in _steps(plan_of(tmp_path))["Gemfile.lock is missing"]["how"]


def test_own_dockerfile_brings_its_ruby(tmp_path):
    old = "GEM\n  specs:\n    rails (5.2.1)\n\nRUBY VERSION\n   ruby 2.5.1p57\n\nBUNDLED WITH\n   1.16.6\n"
    rails_repo(tmp_path, Dockerfile='FROM ruby:2.5.1\nCOPY . /app\nCMD ["bundle", "exec", "puma"]\n',
               Gemfile="ruby '2.5.1'\ngem 'rails', '~> 5.2'\n", **{"Gemfile.lock": old})
    plan = plan_of(tmp_path)
    assert plan["build"]["mode"] == "dockerfile"
    assert plan["build"]["runtime"]["supported"] is None
    assert not any("ruby" in i.lower() or "bundler" in i.lower() for i in _steps(plan))
    assert any("Dockerfile's base image" in n for n in plan["notes"])


def test_redis_url_read_under_an_add_on_name(tmp_path):
    initializer = "Sidekiq.configure_server { |c| c.redis = { url: ENV['REDISCLOUD_URL'] } }\n"
    rails_repo(tmp_path, **{"config/initializers/sidekiq.rb": initializer,
                            "app.json": {"addons": ["heroku-postgresql", "rediscloud:30"]}})
    step = _steps(plan_of(tmp_path))["Redis URL in REDISCLOUD_URL"]
    assert "rediscloud" in step["why"] and "fly secrets set REDISCLOUD_URL=" in step["how"]
    # the usual REDIS_URL from Heroku Redis needs no step
    rails_repo(tmp_path, **{"config/initializers/sidekiq.rb": "ENV['REDIS_URL']\n", "app.json": APP_JSON})
    plan = plan_of(tmp_path)
    assert not any(i.startswith("Redis URL in") for i in _steps(plan))
    assert not any("no Redis add-on" in n for n in plan["notes"])


def test_sidekiq_without_any_redis_is_noted(tmp_path):
    plan = plan_of(rails_repo(tmp_path, **{"app.json": {"addons": ["heroku-postgresql"]}}))
    assert any(n.startswith("Sidekiq needs Redis") for n in plan["notes"])


def test_execjs_without_package_json_needs_node(tmp_path):
    lock = LOCK.replace("    sidekiq (7.2.0)\n", "    sidekiq (7.2.0)\n    terser (1.2.7)\n      execjs (>= 0.3.0, < 3)\n    execjs (2.10.0)\n")
    plan = plan_of(rails_repo(tmp_path, **{"Gemfile.lock": lock}))
    step = _steps(plan)["Node.js for ExecJS (no package.json)"]
    assert "package.json" in step["how"] and "classic Ruby buildpack installed Node" in step["why"]
    # a package.json brings heroku/nodejs into the CNB build; mini_racer is a runtime of its own
    assert "Node.js for ExecJS (no package.json)" not in _steps(plan_of(rails_repo(tmp_path, **{"package.json": {}})))
    (tmp_path / "package.json").unlink()
    plan = plan_of(rails_repo(tmp_path, **{"Gemfile.lock": lock + "    mini_racer (0.16.0)\n"}))
    assert "Node.js for ExecJS (no package.json)" not in _steps(plan)


def test_aptfile_packages_become_a_manual_step(tmp_path):
    aptfile = "# derivatives\nmediainfo\n\nimagemagick\n"
    step = _steps(plan_of(rails_repo(tmp_path, Aptfile=aptfile)))["Aptfile packages (mediainfo, imagemagick)"]
    assert "com.heroku.buildpacks.debian-packages" in step["how"]
    # the app's own Dockerfile installs what it needs: no step
    rails_repo(tmp_path, Dockerfile='FROM ruby:3.3\nCMD ["bin/rails", "server"]\n')
    assert not any(i.startswith("Aptfile") for i in _steps(plan_of(tmp_path)))


def test_rack_app_migration_proposals(tmp_path):
    addons = {"addons": ["heroku-postgresql"]}
    hanami = "GEM\n  specs:\n    hanami (2.2.1)\n    hanami-db (2.2.1)\n    rom-sql (3.6.4)\n"
    write(tmp_path, {"Gemfile": "gem 'hanami'\ngem 'hanami-db'\n", "Gemfile.lock": hanami,
                     "config.ru": "run Hanami.app\n", "app.json": addons})
    assert plan_of(tmp_path)["release"]["line"] == "bundle exec hanami db migrate"
    roda = tmp_path / "roda"
    write(roda, {"Gemfile": "gem 'roda'\ngem 'sequel'\n", "Gemfile.lock": "GEM\n  specs:\n    roda (3.80.0)\n    sequel (5.80.0)\n",
                 "config.ru": "run App.freeze.app\n", "app.json": addons,
                 "Rakefile": "namespace :db do\n  task :migrate do\n    Sequel::Migrator.run(DB, 'migrate')\n  end\nend\n"})
    assert plan_of(roda)["release"]["line"] == "bundle exec rake db:migrate"
    (roda / "Rakefile").write_text("task :default\n")  # no migrate task: nothing to propose
    assert plan_of(roda)["release"] is None


def test_encrypted_credentials_note_and_master_key_stays_a_secret(tmp_path):
    rails_repo(tmp_path, **{"config/credentials.yml.enc": "opaque\n",
                            "app.json": {"env": {"RAILS_MASTER_KEY": {"required": True}}}})
    plan = plan_of(tmp_path)
    assert "RAILS_MASTER_KEY" in plan["secrets"]
    assert any(n.startswith("The app has encrypted credentials") for n in plan["notes"])
    (tmp_path / "config/credentials.yml.enc").unlink()
    assert not any(n.startswith("The app has encrypted credentials") for n in plan_of(tmp_path)["notes"])


def test_slug_path_config_vars_are_heroku_only(tmp_path):
    env = {"PATH": {"required": True}, "GEM_PATH": {"required": True}, "LANG": {"required": True}}
    plan = plan_of(rails_repo(tmp_path, **{"app.json": {"env": env}}))
    kinds = {k["name"]: k["kind"] for k in plan["config_kinds"]}
    assert kinds["PATH"] == kinds["GEM_PATH"] == "heroku-only"
    assert "PATH" not in plan["secrets"] and "GEM_PATH" not in plan["secrets"]
    assert "LANG" in plan["secrets"]


def test_health_routes_other_than_up(tmp_path):
    for routes, path in (('  get "healthcheck", to: "health#show"\n', "/healthcheck"),
                         ("  get '/ping' => 'status#ping'\n", "/ping"),
                         ('  mount OkComputer::Engine, at: "/health"\n', "/health"),
                         ("  health_check_routes\n", "/health_check")):
        rails_repo(tmp_path, **{"config/routes.rb": f"Rails.application.routes.draw do\n{routes}end\n",
                                "Gemfile.lock": LOCK.replace("7.1.3", "6.1.7")})
        assert plan_of(tmp_path)["http_service"]["health_check_path"] == path, routes
    write(tmp_path / "rack", {"Gemfile": "gem 'sinatra'\n", "config.ru": "run App\n",
                              "app.rb": "get '/' do\n  redirect '/login'\nend\nget '/healthz' do\n  'ok'\nend\n"})
    assert plan_of(tmp_path / "rack")["http_service"]["health_check_path"] == "/healthz"


def test_no_procfile_web_and_no_bin_rails_needs_a_procfile_line(tmp_path):
    rails_repo(tmp_path, Procfile="release: bundle exec rake db:migrate\n")
    (tmp_path / "bin" / "rails").unlink()
    steps = [s for s in plan_of(tmp_path)["manual_steps"] if s["item"].startswith("Add `web:")]
    assert len(steps) == 1 and "bin/rails" in steps[0]["why"]
    assert steps[0]["item"] == "Add `web: bundle exec rails server -p ${PORT:-5000}` to the Procfile"
    # with other process types the plan asks for the same line once (its own step)
    rails_repo(tmp_path, Procfile="worker: bundle exec sidekiq\n")
    assert len([s for s in plan_of(tmp_path)["manual_steps"] if s["item"].startswith("Add `web:")]) == 1
    rails_repo(tmp_path, **{"bin/rails": "#!/usr/bin/env ruby\n"})  # Rails 4+: the default works
    assert not any(i.startswith("Add `web:") for i in _steps(plan_of(tmp_path)))


def test_ruby_version_file_alone_is_not_read(tmp_path):
    gemfile = "gem 'rails', '~> 7.1.3'\n"
    plan = plan_of(rails_repo(tmp_path, Gemfile=gemfile, **{"Gemfile.lock": LOCK_NO_RUBY, ".ruby-version": "3.4.3\n"}))
    assert any(n.startswith(".ruby-version says 3.4.3") and "3.3.9" in n for n in plan["notes"])
    plan = plan_of(rails_repo(tmp_path, **{".ruby-version": "3.4.3\n"}))  # RUBY VERSION locked
    assert not any(n.startswith(".ruby-version says") for n in plan["notes"])


def test_jruby_lock_is_not_judged_by_mri_minimums(tmp_path):
    lock = "GEM\n  specs:\n    rails (6.1.7)\n\nRUBY VERSION\n   ruby 2.6.8p001 (jruby 9.3.10.0)\n\nBUNDLED WITH\n   2.3.26\n"
    plan = plan_of(rails_repo(tmp_path, **{"Gemfile.lock": lock}))
    assert plan["build"]["runtime"]["version"] == "2.6.8-jruby-9.3.10.0"
    assert plan["build"]["runtime"]["supported"] is None
    assert not any("ruby" in s["item"].lower() for s in plan["manual_steps"])
    assert any(n.startswith("JRuby 2.6.8-jruby-9.3.10.0") for n in plan["notes"])


def test_engine_demo_app_is_read_where_bin_rails_boots_it(tmp_path):
    # An engine's repo (good_job-style): bin/rails boots demo/, whose routes and environments count.
    demo_routes = 'Rails.application.routes.draw do\n  get "up" => "rails/health#show"\nend\n'
    rails_repo(tmp_path, **{
        "bin/rails": 'APP_PATH = File.expand_path("../demo/config/application", __dir__)\n',
        "config/routes.rb": "Engine.routes.draw do\nend\n",
        "config/application.rb": "",
        "demo/config/application.rb": "class Demo < Rails::Application\nend\n",
        "demo/config/routes.rb": demo_routes,
        "demo/config/environments/demo.rb": "require_relative 'production'\n"})
    plan = plan_of(tmp_path)
    assert plan["http_service"]["health_check_path"] == "/up"
    step = _steps(plan)["RAILS_ENV at build time too"]
    assert "demo/config/environments has demo.rb" in step["why"] and "[build.args]" in step["how"]


def test_app_path_outside_the_repo_or_without_an_app_is_the_root(tmp_path):
    for app_path in ('File.expand_path("../../../x/config/application", __dir__)',
                     'File.expand_path("../nowhere/config/application", __dir__)'):
        rails_repo(tmp_path, **{"bin/rails": f"APP_PATH = {app_path}\n"})
        plan = plan_of(tmp_path)
        assert plan["http_service"]["health_check_path"] == "/up"  # the root's routes
        assert "RAILS_ENV at build time too" not in _steps(plan)


def test_custom_environment_needs_rails_env_at_build_only_without_own_dockerfile(tmp_path):
    # administrate-style __FILE__ form, a staging environment, RAILS_ENV a config var
    rails_repo(tmp_path, **{
        "bin/rails": "APP_PATH = File.expand_path('../../spec/example_app/config/application', __FILE__)\n",
        "spec/example_app/config/application.rb": "",
        "spec/example_app/config/environments/staging.rb": ""})
    assert "RAILS_ENV at build time too" in _steps(plan_of(tmp_path))
    rails_repo(tmp_path, Dockerfile='FROM ruby:3.2\nCOPY . /app\nCMD ["bin/rails", "server"]\n')
    assert "RAILS_ENV at build time too" not in _steps(plan_of(tmp_path))


def test_root_redirect_is_checked_at_its_target(tmp_path):
    for route in ("root to: redirect('/good_job')", 'root :to => redirect("/good_job")'):
        plan = plan_of(rails_repo(tmp_path, **{
            "config/routes.rb": f"Rails.application.routes.draw do\n  {route}\nend\n"}))
        assert plan["http_service"]["health_check_path"] == "/good_job"
    # /up still wins; a redirect to an absolute URL is not a path of this app
    plan = plan_of(rails_repo(tmp_path, **{"config/routes.rb": (
        'get "up" => "rails/health#show"\nroot to: redirect("/dashboard")\n')}))
    assert plan["http_service"]["health_check_path"] == "/up"
    plan = plan_of(rails_repo(tmp_path, **{"config/routes.rb": (
        "root to: redirect('https://example.com/')\n")}))
    assert plan["http_service"]["health_check_path"] == "/"


def test_root_redirect_built_at_runtime_is_not_followed(tmp_path):
    routes = "root to: redirect(\"/conferences/#{ENV.fetch('ROOT_CONFERENCE')}\")\n"
    plan = plan_of(rails_repo(tmp_path, **{"config/routes.rb": routes}))
    assert plan["http_service"]["health_check_path"] == "/"
