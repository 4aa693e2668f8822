-- Fixture queries for tests/db/test_codegen.py (schema in codegen_setup.sql): every shape, type and override.

-- name: get_item(id)^
-- One item by primary key (cg_item_pkey).
SELECT
    id,
    name,
    note,
    code,
    flag,
    amount,
    ratio,
    created_at,
    due,
    ref,
    tags,
    attrs,
    addr,
    search,
    mood,
    big,
    small
FROM cg_item
WHERE id = :id;

-- name: get_item_brief(id)^
-- Id and name of one item (cg_item_pkey): the hot point query of benchmarks/typed_query.py.
-- row: ItemBrief
SELECT
    id,
    name
FROM cg_item
WHERE id = :id;

-- name: list_items()
-- Every item, by id.
-- row: ItemBrief
SELECT
    id,
    name
FROM cg_item
ORDER BY id;

-- name: items_by_ids(ids)
-- Items whose id is in the array parameter; shares ItemBrief with list_items.
-- row: ItemBrief
SELECT
    id,
    name
FROM cg_item
WHERE id = ANY(:ids)
ORDER BY id;

-- name: count_items()$
-- How many items there are.
SELECT COUNT(*) AS total
FROM cg_item;

-- name: item_name(id)$
-- The name of one item (scalar from a NOT NULL column: still None when no row).
SELECT name
FROM cg_item
WHERE id = :id;

-- name: item_stats()^
-- Aggregates: count(*) is never null (override), max() of an empty table is.
-- columns: total!
SELECT
    COUNT(*) AS total,
    MAX(name) AS top_name,
    MAX(created_at) AS last_created
FROM cg_item;

-- name: items_with_children()
-- Items with their children: an outer join makes the NOT NULL child label nullable (override).
-- columns: label?
SELECT
    i.id,
    c.label
FROM cg_item AS i
LEFT JOIN cg_child AS c ON i.id = c.item_id
ORDER BY i.id, c.id;

-- name: rename_item(id, name)!
-- Rename an item; returns the number of rows changed.
UPDATE cg_item SET name = :name
WHERE id = :id;

-- name: insert_item(id, name, note, tags, attrs, mood)<!
-- Insert an item and return it; the note may be None.
-- params: note?
INSERT INTO cg_item (id, name, note, tags, attrs, mood)
VALUES (:id, :name, :note, :tags, :attrs, :mood)
RETURNING id, name, note, tags, attrs, mood;

-- name: items_by_mood(moods)
-- Items whose mood is one of the enum array parameter.
SELECT
    id,
    mood
FROM cg_item
WHERE mood = ANY(:moods)
ORDER BY id;

-- name: items_with_attrs(attrs)
-- Items whose attrs contain the jsonb parameter.
SELECT id
FROM cg_item
WHERE attrs @> :attrs
ORDER BY id;

-- name: items_named_like(prefix)
-- Items whose name starts with the prefix (a literal percent sign is written %% for psycopg).
SELECT id
FROM cg_item
WHERE name LIKE :prefix || '%%'
ORDER BY id;

-- name: items_by_optional_note(note)
-- Optional filter: every item when note is None.
-- params: note?
SELECT id
FROM cg_item
WHERE (:note::text IS NULL OR note = :note)
ORDER BY id;
