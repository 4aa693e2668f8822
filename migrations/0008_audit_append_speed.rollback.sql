-- Nexus 0008 rollback: restores the 0001 nexus_id() and the 0007 nexus_audit_chain() bodies (same outputs).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE OR REPLACE FUNCTION nexus_id() RETURNS text
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
    WITH src AS (
        SELECT
            floor(extract(EPOCH FROM clock_timestamp()) * 1000)::bigint AS ms,
            uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) AS rnd
    )
    SELECT 'c'
        || (
            SELECT string_agg(
                substr('0123456789abcdefghijklmnopqrstuvwxyz', ((src.ms / (36::numeric ^ (7 - i))::bigint) % 36)::int + 1, 1),
                '' ORDER BY i
            )
            FROM generate_series(0, 7) AS i
        )
        || (
            SELECT string_agg(
                substr('0123456789abcdefghijklmnopqrstuvwxyz', get_byte(src.rnd, pos) % 36 + 1, 1),
                '' ORDER BY ord
            )
            FROM unnest(ARRAY[0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17]) WITH ORDINALITY AS u (pos, ord)
        )
    FROM src
$$;

CREATE OR REPLACE FUNCTION nexus_audit_chain() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    head_timestamp timestamptz;
BEGIN
    NEW.chain_id := coalesce(NEW.workspace_id, 'global');
    PERFORM pg_advisory_xact_lock(hashtextextended('nexus.audit:' || NEW.chain_id, 0));

    SELECT h.last_seq, h.last_hash, h.last_timestamp
    INTO head_seq, head_hash, head_timestamp
    FROM audit_chain_heads AS h
    WHERE h.chain_id = NEW.chain_id;

    NEW."timestamp" := coalesce(NEW."timestamp", clock_timestamp());
    IF head_seq IS NULL THEN
        NEW.seq := 1;
        NEW.prev_hash := repeat('0', 64);
    ELSE
        NEW.seq := head_seq + 1;
        NEW.prev_hash := head_hash;
        NEW."timestamp" := greatest(NEW."timestamp", head_timestamp + interval '1 microsecond');
    END IF;
    NEW.hash := encode(sha256(convert_to(nexus_audit_canonical(NEW), 'UTF8')), 'hex');

    INSERT INTO audit_chain_heads AS h (chain_id, last_seq, last_hash, last_timestamp)
    VALUES (NEW.chain_id, NEW.seq, NEW.hash, NEW."timestamp")
    ON CONFLICT (chain_id) DO UPDATE
        SET last_seq = excluded.last_seq,
            last_hash = excluded.last_hash,
            last_timestamp = excluded.last_timestamp;
    RETURN NEW;
END;
$$;
