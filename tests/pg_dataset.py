"""A Heroku-like database for tests and the benchmark (real SQL, built on a real server).

Everything the transfer must carry: `heroku_ext` with citext/hstore/pgcrypto and a
database-level search_path that includes it, sequences with gaps, large objects,
bytea, jsonb, a view, a materialized view, a partitioned table, an enum (also as an array),
a trigger, a table without a primary key, quoted mixed-case identifiers, a second
schema, empty tables, comments, foreign keys.

`build(url, rows)` sizes the big tables by `rows`; `rows_for_mb(mb)` picks `rows`
for a database of about that many megabytes.
"""

from __future__ import annotations

import psycopg

SCHEMA_SQL = r"""
CREATE SCHEMA heroku_ext;
CREATE EXTENSION citext SCHEMA heroku_ext;
CREATE EXTENSION hstore SCHEMA heroku_ext;
CREATE EXTENSION pgcrypto SCHEMA heroku_ext;
SET search_path = public, heroku_ext;
CREATE SCHEMA billing;
COMMENT ON SCHEMA billing IS 'Money lives here';

CREATE TYPE public.order_status AS ENUM ('new', 'paid', 'shipped', 'refunded');

CREATE TABLE public.users (
    id bigserial PRIMARY KEY,
    email citext NOT NULL UNIQUE,
    name text NOT NULL,
    attrs hstore,
    password_hash text,
    profile jsonb,
    avatar bytea,
    past_statuses order_status[],
    last_seen_on date,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.users IS 'People who can sign in';
COMMENT ON COLUMN public.users.email IS 'Case-insensitive, unique';

CREATE TABLE public.orders (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES public.users (id),
    status order_status NOT NULL DEFAULT 'new',
    total numeric(12, 2) NOT NULL,
    note text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz,
    total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED
);
CREATE INDEX orders_user_id_idx ON public.orders (user_id);
CREATE INDEX orders_created_at_idx ON public.orders (created_at);

CREATE FUNCTION public.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders
    FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();

CREATE TABLE billing."Invoices" (
    "Id" serial PRIMARY KEY,
    "OrderId" bigint NOT NULL REFERENCES public.orders (id),
    "Amount" numeric(12, 2) NOT NULL,
    "IsPaid" boolean NOT NULL DEFAULT false
);
CREATE SEQUENCE billing.invoice_numbers START 1000;
CREATE VIEW billing."Unpaid" AS
    SELECT "Id", "Amount" FROM billing."Invoices" WHERE NOT "IsPaid";

CREATE TABLE public.events (
    id bigint NOT NULL,
    happened_at timestamptz NOT NULL,
    kind text NOT NULL,
    payload jsonb,
    PRIMARY KEY (id, happened_at)
) PARTITION BY RANGE (happened_at);
CREATE TABLE public.events_2024 PARTITION OF public.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_2025 PARTITION OF public.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE public.events_other PARTITION OF public.events DEFAULT;
CREATE INDEX events_kind_idx ON public.events (kind);

CREATE TABLE public.audit_log (          -- no primary key, like many real logs
    seq bigint GENERATED ALWAYS AS IDENTITY,
    logged_at timestamptz NOT NULL,
    actor citext,
    message text
);

CREATE TABLE public.documents (
    id serial PRIMARY KEY,
    title text NOT NULL,
    content oid NOT NULL
);

CREATE TABLE public.empty_settings (id int PRIMARY KEY, value text);
CREATE TABLE billing.empty_refunds (invoice_id int, reason text);

CREATE MATERIALIZED VIEW public.user_order_totals AS
    SELECT user_id, count(*) AS orders, sum(total) AS total
    FROM public.orders GROUP BY user_id;
CREATE UNIQUE INDEX user_order_totals_user_id_idx ON public.user_order_totals (user_id);
"""


def fill_sql(rows: int) -> str:
    users = max(20, rows // 10)
    return rf"""
SET search_path = public, heroku_ext;
INSERT INTO public.users (email, name, attrs, password_hash, profile, avatar, past_statuses, last_seen_on,
                          created_at)
SELECT CASE WHEN i = 1 THEN 'Alice@Example.com' ELSE 'user' || i || '@Example.com' END,
       'User ' || i,
       hstore(ARRAY['plan', 'seats'], ARRAY[(ARRAY['free', 'pro', 'team'])[1 + i % 3], (i % 50)::text]),
       CASE WHEN i = 1 THEN crypt('secret', gen_salt('bf', 4)) ELSE md5(i::text) END,
       jsonb_build_object('age', 20 + i % 50, 'langs', jsonb_build_array('en', 'de'), 'bio', repeat('x', (i % 40)::int)),
       CASE WHEN i % 7 = 0 THEN NULL ELSE decode(md5(i::text) || md5((i * 3)::text), 'hex') END,
       CASE WHEN i % 4 = 0 THEN ARRAY['new', 'paid']::order_status[] ELSE NULL END,
       date '2024-01-01' + (i * 13 % 365)::int,
       timestamptz '2024-01-01' + i * interval '37 seconds'
FROM generate_series(1::bigint, {users}) AS i;
-- Gaps in the users sequence: deleted rows and skipped values.
DELETE FROM public.users WHERE id % 97 = 0 AND id > 1;
SELECT setval('public.users_id_seq', (SELECT max(id) FROM public.users) + 40);

INSERT INTO public.orders (user_id, status, total, note, created_at)
SELECT u.id, (ARRAY['new', 'paid', 'shipped', 'refunded'])[1 + i % 4]::order_status,
       (i % 100000) / 100.0, CASE WHEN i % 5 = 0 THEN NULL ELSE 'order note ' || md5(i::text) END,
       timestamptz '2024-01-01' + i * interval '11 seconds'
FROM generate_series(1::bigint, {rows}) AS i
JOIN public.users u ON u.id = 1 + (i * 7919) % {users}
ON CONFLICT DO NOTHING;

INSERT INTO billing."Invoices" ("OrderId", "Amount", "IsPaid")
SELECT id, total, status <> 'new' FROM public.orders WHERE id % 3 = 0;
SELECT nextval('billing.invoice_numbers') FROM generate_series(1, 5);

INSERT INTO public.events (id, happened_at, kind, payload)
SELECT i, timestamptz '2024-03-01' + i * interval '23 seconds',
       (ARRAY['click', 'view', 'signup', 'purchase'])[1 + i % 4],
       jsonb_build_object('path', '/p/' || (i % 1000), 'ms', i % 997, 'ua', 'Mozilla/5.0 ' || md5(i::text))
FROM generate_series(1::bigint, {rows}) AS i;

INSERT INTO public.audit_log (logged_at, actor, message)
SELECT timestamptz '2024-01-01' + i * interval '1 minute', 'Admin' || (i % 5),
       'changed setting ' || md5(i::text)
FROM generate_series(1, {max(10, rows // 4)}) AS i;

INSERT INTO public.documents (title, content) VALUES
    ('small', lo_from_bytea(0, 'hello large object')),
    ('empty', lo_from_bytea(0, '')),
    ('big', lo_from_bytea(0, decode(repeat(md5('big'), 80000), 'hex')));

REFRESH MATERIALIZED VIEW public.user_order_totals;
ANALYZE;
"""


def build(url: str, rows: int = 2000) -> None:
    """Create the Heroku-like schema and data in the (empty) database at `url`."""
    with psycopg.connect(url, autocommit=True) as conn:
        dbname = conn.info.dbname
        conn.execute(SCHEMA_SQL)
        # What Heroku sets: without it citext/hstore/pgcrypto are not found by name.
        conn.execute(f'ALTER DATABASE "{dbname}" SET search_path TO "$user", public, heroku_ext')
        conn.execute(fill_sql(rows))


def rows_for_mb(mb: float) -> int:
    """About how many `rows` make a database of `mb` megabytes (tables plus indexes)."""
    return max(1000, int(mb * 1750))


def build_phoenix_app(url: str, *, users: int, jobs: int) -> None:
    """The example Phoenix app's own tables (Ecto migrations, users, Oban jobs), for the
    migration tests: small, with non-ASCII text and jsonb."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create table schema_migrations (version bigint primary key, inserted_at timestamp)")
        conn.execute("insert into schema_migrations values (20240101000000, now())")
        conn.execute("create table users (id bigserial primary key, email text unique, bio text)")
        conn.execute("insert into users (email, bio) select 'u' || g || '@acme.test', repeat('é', g %% 50) "
                     "from generate_series(1, %s) g", (users,))
        conn.execute("create table oban_jobs (id bigserial primary key, state text, queue text, args jsonb)")
        conn.execute("insert into oban_jobs (state, queue, args) select 'available', 'default', "
                     "jsonb_build_object('n', g) from generate_series(1, %s) g", (jobs,))
