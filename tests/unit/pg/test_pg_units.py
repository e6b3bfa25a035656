"""Fast tests of the pure parts of herokufly.pg (no server)."""

from __future__ import annotations

import io
import os

import pytest

from herokufly.base import masking
from herokufly.base.errors import DatabaseError
from herokufly.pg import schema, streams, target, tools
from herokufly.pg.catalog import Column, Table
from herokufly.pg.connect import Database, describe_connect_error
from herokufly.pg.progress import ConsoleProgress

POST_DATA = """--
-- PostgreSQL database dump
--

\\restrict abc123

SET statement_timeout = 0;
SET transaction_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

--
-- Name: Invoices Invoices_pkey; Type: CONSTRAINT; Schema: billing; Owner: -
--

ALTER TABLE ONLY billing."Invoices"
    ADD CONSTRAINT "Invoices_pkey" PRIMARY KEY ("Id");


--
-- Name: orders_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX orders_user_id_idx ON public.orders USING btree (user_id);


--
-- Name: events_2024_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_pkey ATTACH PARTITION public.events_2024_pkey;


--
-- Name: orders orders_touch; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();


--
-- Name: orders orders_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- PostgreSQL database dump complete
--

\\unrestrict abc123
"""


def test_clean_sql_drops_meta_commands_and_settings_too_new_for_the_target():
    for_15 = schema.clean_sql(POST_DATA, 15)
    assert "\\restrict" not in for_15 and "\\unrestrict" not in for_15
    assert "transaction_timeout" not in for_15
    assert "SET statement_timeout = 0;" in for_15
    assert "SET transaction_timeout = 0;" in schema.clean_sql(POST_DATA, 17)


def test_split_entries_finds_each_entry_its_type_and_table():
    prelude, entries = schema.split_entries(schema.clean_sql(POST_DATA, 17))
    assert "set_config('search_path'" in prelude and "ALTER" not in prelude
    assert [e.type for e in entries] == ["CONSTRAINT", "INDEX", "INDEX ATTACH", "TRIGGER", "FK CONSTRAINT"]
    assert [e.table for e in entries] == ["billing.Invoices", "public.orders", None, "public.orders",
                                          "public.orders"]
    assert entries[-1].references == "public.users" and entries[1].references is None
    assert entries[0].sql.startswith('ALTER TABLE ONLY billing."Invoices"')
    assert entries[-1].sql.count(";") == 1 and "\\unrestrict" not in entries[-1].sql


def test_list_settings_split_and_rebuilt_as_literals():
    assert target.split_list_setting('"$user", public, heroku_ext') == ["$user", "public", "heroku_ext"]
    assert target.split_list_setting('"we""ird, name", x') == ['we"ird, name', "x"]
    stmts = target.database_setting_statements("app", {"search_path": '"$user", public, heroku_ext',
                                                       "app.tenant": "acme"})
    text = [s.as_string(None) for s in stmts]
    assert text[0] == 'ALTER DATABASE "app" SET "app"."tenant" TO \'acme\''
    assert text[1] == 'ALTER DATABASE "app" SET "search_path" TO \'$user\', \'public\', \'heroku_ext\''


def _table(pages: int, binary: bool = True) -> Table:
    return Table("public", "big", "r", bytes=pages * 8192, pages=pages,
                 columns=[Column("id", True), Column("tags", binary)])


def test_plan_chunks_covers_every_page_once_and_leaves_the_end_open():
    chunks = streams.plan_chunks(_table(1000), split_bytes=8192 * 300, can_split=True)
    assert len(chunks) == 4
    assert chunks[0].first_page == 0 and chunks[-1].end_page is None
    for a, b in zip(chunks, chunks[1:]):
        assert a.end_page == b.first_page
    assert "ctid >= '(250,0)'::tid AND ctid < '(500,0)'::tid" in chunks[1].select_sql()
    assert "FROM ONLY" in chunks[1].select_sql()
    assert streams.plan_chunks(_table(1000), 8192 * 300, can_split=False)[0].first_page is None


def test_binary_copy_only_when_every_column_allows_it():
    assert "(FORMAT binary)" in streams.Chunk(_table(1), 0, 1).insert_sql()
    text = streams.Chunk(_table(1, binary=False), 0, 1)
    assert "binary" not in text.insert_sql() and "binary" not in text.select_sql()
    assert text.insert_sql() == 'COPY "public"."big" ("id", "tags") FROM STDIN'


def test_pick_tools_by_source_version():
    have = [tools.ClientTools("/a", 15, "15.18"), tools.ClientTools("/b", 17, "17.12")]
    assert tools.pick(have, 14).bindir == "/a"
    assert tools.pick(have, 16).bindir == "/b"
    with pytest.raises(DatabaseError) as info:
        tools.pick(have[:1], 17)
    assert "postgresql-client-17" in info.value.one_line()


def test_database_url_keeps_password_out_of_tool_arguments(canary):
    db = Database.parse("source", f"postgres://app:{canary}@db.example.com:5433/shop?sslmode=require")
    assert canary not in db.tool_conninfo()
    assert "sslmode=require" in db.tool_conninfo() and "dbname=shop" in db.tool_conninfo()
    assert db.tool_env()["PGPASSWORD"] == canary
    assert canary not in db.display and canary not in repr(db)
    assert masking.redact(f"oops {canary}") == "oops ***"


def test_connect_errors_are_one_clear_line(canary):
    db = Database.parse("target", f"postgres://app:{canary}@h:1/x")
    msg = describe_connect_error(db, Exception(
        f'connection failed: FATAL:  password authentication failed for user "app" {canary}'))
    assert "refused the password" in msg and canary not in msg
    msg = describe_connect_error(db, Exception("connection refused\n\tIs the server running?"))
    assert msg.startswith("cannot reach the target database")


def test_progress_in_actions_groups_phases_and_throttles_lines(monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    progress = ConsoleProgress(interval=3600)
    with progress.phase("copy", total=100):
        for _ in range(50):
            progress.advance(1)
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout is for the report (maybe JSON)
    assert captured.err.startswith("::group::copy\n") and captured.err.endswith("::endgroup::\n")
    assert captured.err.count("copy:") == 1  # only the final line: updates are throttled


def test_setup_pg17_script_is_not_a_placeholder():
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "setup-pg17")
    text = io.open(path).read()
    assert "postgresql-17" in text and "pg17-bin" in text


def test_cli_offers_the_verification_modes_transfer_knows():
    from herokufly.commands import db
    from herokufly.pg import transfer

    assert db.VERIFY_MODES == transfer.VERIFY_MODES


def test_session_settings_travel_as_sql_not_startup_options(canary):
    """Poolers such as PgBouncer refuse startup `options`; SET statements pass everywhere."""
    import dataclasses

    db = dataclasses.replace(Database.parse("target", f"postgres://app:{canary}@h:5432/x"),
                             session_settings=(("datestyle", "ISO"),), client_encoding="UTF8")
    chunk = streams.Chunk(_table(1), 0, 1)
    cmd = streams._psql(tools.ClientTools("/bin", 17, "17.0"), db, chunk.insert_sql(), quiet=False)
    assert cmd[cmd.index("-c") + 1] == "SET datestyle = 'ISO';"
    env = db.tool_env()
    assert "PGOPTIONS" not in env and env["PGCLIENTENCODING"] == "UTF8"
    assert all(canary not in arg for arg in cmd)
