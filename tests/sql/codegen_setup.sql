-- Schema and rows for tests/db/test_codegen.py: one table per nullability case, an enum, arrays, jsonb, inet.
CREATE TYPE cg_mood AS ENUM ('happy', 'sad', 'meh');

CREATE TABLE cg_item (
    id integer PRIMARY KEY,
    name text NOT NULL,
    note text,
    code varchar(10),
    flag boolean NOT NULL DEFAULT false,
    amount numeric(12, 2),
    ratio double precision,
    created_at timestamptz NOT NULL DEFAULT '2024-01-02 03:04:05+00',
    due date,
    ref uuid,
    tags text[] NOT NULL DEFAULT '{}',
    attrs jsonb NOT NULL DEFAULT '{}',
    addr inet,
    search tsvector,
    mood cg_mood NOT NULL DEFAULT 'meh',
    big bigint,
    small smallint
);

CREATE TABLE cg_child (
    id integer PRIMARY KEY,
    item_id integer NOT NULL REFERENCES cg_item (id),
    label text NOT NULL
);

INSERT INTO cg_item (id, name, note, code, amount, ratio, due, ref, tags, attrs, addr, search, mood, big, small)
VALUES
(
    1, 'alpha', 'first', 'A1', 12.50, 0.5, '2024-05-06', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '{x,y}', '{"k": 1, "tags": ["a"]}', '10.0.0.1', 'quick fox', 'happy', 9000000000, 7
),
(2, 'beta', null, null, null, null, null, null, '{}', '{}', null, null, 'sad', null, null);

INSERT INTO cg_child (id, item_id, label) VALUES (10, 1, 'one'), (11, 1, 'two');
