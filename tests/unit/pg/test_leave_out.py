"""The dump filter that leaves out an extension and the views reading it (pg/schema.py), on
text shaped as pg_dump 15/17 writes it (entry headers, fmtId quoting in entry names)."""

from __future__ import annotations

from herokufly.pg import schema

PRE_DATA = '''SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

--
-- Name: heroku_ext; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA heroku_ext;


--
-- Name: pg_stat_statements; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA heroku_ext;


--
-- Name: EXTENSION pg_stat_statements; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_stat_statements IS 'track planning and execution statistics';


--
-- Name: citext; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA heroku_ext;


--
-- Name: slow_queries; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.slow_queries AS
 SELECT query FROM heroku_ext.pg_stat_statements;


--
-- Name: VIEW slow_queries; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON VIEW public.slow_queries IS 'ops';


--
-- Name: COLUMN slow_queries.query; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.slow_queries.query IS 'text';


--
-- Name: Query Stats; Type: MATERIALIZED VIEW; Schema: public; Owner: -
--

CREATE MATERIALIZED VIEW public."Query Stats" AS
 SELECT count(*) AS n FROM heroku_ext.pg_stat_statements
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW "Query Stats"; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON MATERIALIZED VIEW public."Query Stats" IS 'n';


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (id bigint NOT NULL, email heroku_ext.citext);
'''

POST_DATA = '''
--
-- Name: Query Stats_n_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX "Query Stats_n_idx" ON public."Query Stats" USING btree (n);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: Query Stats; Type: MATERIALIZED VIEW DATA; Schema: public; Owner: -
--

REFRESH MATERIALIZED VIEW public."Query Stats";
'''

LEFT_OUT = ({"pg_stat_statements"}, {("public", "slow_queries"), ("public", "Query Stats")})


def test_pre_data_loses_the_extension_its_comment_and_the_views_only():
    text = schema.without(PRE_DATA, *LEFT_OUT)
    assert "pg_stat_statements WITH SCHEMA" not in text and "COMMENT ON EXTENSION" not in text
    assert "slow_queries" not in text and "Query Stats" not in text
    assert "CREATE SCHEMA heroku_ext;" in text and "CREATE EXTENSION IF NOT EXISTS citext" in text
    assert "CREATE TABLE public.users" in text
    assert text.startswith("SET statement_timeout = 0;")  # the prelude stays first


def test_post_data_loses_the_matview_data_and_its_index():
    _prelude, entries = schema.split_entries(POST_DATA)
    kept = [e.name for e in entries if not schema.left_out(e, *LEFT_OUT)]
    assert kept == ["users users_pkey"]


def test_nothing_left_out_leaves_the_text_as_it_is():
    assert schema.without(PRE_DATA, set(), set()) == PRE_DATA


def test_fmt_id_quotes_as_pg_dump_does():
    assert schema.fmt_id("slow_queries") == "slow_queries"
    assert schema.fmt_id("Query Stats") == '"Query Stats"'
    assert schema.fmt_id('a"b') == '"a""b"'
