-- Nexus 0008: cheaper audit appends (issue 7). Same names, signatures, outputs and hashes as 0001/0007; only the
-- bodies of nexus_id() and nexus_audit_chain() change:
-- * nexus_id(): one PL/pgSQL expression instead of two aggregate sub-queries (was ~90 µs a call, now a few µs);
--   same format and randomness ('c' + 8 base36 chars of epoch ms + 16 chars of random bytes mod 36).
-- * nexus_audit_chain(): the canonical text is concatenated from the NEW fields in jsonb's key order (length, then
--   bytes) with to_json() quoting (escape_json(), as jsonb's output uses) instead of building a composite, a jsonb
--   object and its text; the head is then advanced with a plain UPDATE (the advisory lock already serialises the
--   chain) instead of INSERT .. ON CONFLICT DO UPDATE, which also locked the row. nexus_audit_canonical() stays the
--   reference definition: tests compare both byte for byte, and chains appended before and after verify as one.
-- depends: 0007_audit

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE OR REPLACE FUNCTION nexus_id() RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
AS $$
DECLARE
    ms constant bigint := floor(extract(EPOCH FROM clock_timestamp()) * 1000)::bigint;
    -- Bytes 6 and 8 of the first uuid are its version/variant bytes: skipped, as in 0001.
    rnd constant bytea := uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
    b36 constant text := '0123456789abcdefghijklmnopqrstuvwxyz';
BEGIN
    RETURN 'c'
        || substr(b36, (ms / 78364164096 % 36)::int + 1, 1)
        || substr(b36, (ms / 2176782336 % 36)::int + 1, 1)
        || substr(b36, (ms / 60466176 % 36)::int + 1, 1)
        || substr(b36, (ms / 1679616 % 36)::int + 1, 1)
        || substr(b36, (ms / 46656 % 36)::int + 1, 1)
        || substr(b36, (ms / 1296 % 36)::int + 1, 1)
        || substr(b36, (ms / 36 % 36)::int + 1, 1)
        || substr(b36, (ms % 36)::int + 1, 1)
        || substr(b36, get_byte(rnd, 0) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 1) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 2) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 3) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 4) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 5) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 7) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 9) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 10) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 11) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 12) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 13) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 14) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 15) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 16) % 36 + 1, 1)
        || substr(b36, get_byte(rnd, 17) % 36 + 1, 1);
END;
$$;

-- BEFORE INSERT row trigger: appends the event to its chain (schema.md §6.6). Serialised per chain by a
-- transaction advisory lock, held until commit. The hashed text equals nexus_audit_canonical(NEW)::text.
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
    -- Keys in jsonb order; NULL fields print as null, like jsonb_build_object's.
    NEW.hash := encode(sha256(convert_to(
        '{"v": 1, "id": ' || coalesce(to_json(NEW.id)::text, 'null')
        || ', "seq": ' || NEW.seq::text
        || ', "reason": ' || coalesce(to_json(NEW.reason)::text, 'null')
        || ', "actorId": ' || coalesce(to_json(NEW.actor_id)::text, 'null')
        || ', "chainId": ' || to_json(NEW.chain_id)::text
        || ', "prevHash": ' || to_json(NEW.prev_hash::text)::text
        || ', "targetId": ' || coalesce(to_json(NEW.target_id::text)::text, 'null')
        || ', "actorName": ' || coalesce(to_json(NEW.actor_name::text)::text, 'null')
        || ', "eventType": ' || coalesce(to_json(NEW.event_type::text)::text, 'null')
        || ', "timestamp": '
        || to_json(to_char(NEW."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text
        || ', "afterState": ' || coalesce(NEW.after_state::text, 'null')
        || ', "targetType": ' || coalesce(to_json(NEW.target_type::text)::text, 'null')
        || ', "beforeState": ' || coalesce(NEW.before_state::text, 'null')
        || ', "workspaceId": ' || coalesce(to_json(NEW.workspace_id)::text, 'null')
        || ', "reasonCategory": ' || coalesce(to_json(NEW.reason_category::text)::text, 'null')
        || '}',
        'UTF8'
    )), 'hex');

    IF head_seq IS NULL THEN
        -- First event of the chain (rare): the upsert also covers a head committed after this snapshot.
        INSERT INTO audit_chain_heads AS h (chain_id, last_seq, last_hash, last_timestamp)
        VALUES (NEW.chain_id, NEW.seq, NEW.hash, NEW."timestamp")
        ON CONFLICT (chain_id) DO UPDATE
            SET last_seq = excluded.last_seq,
                last_hash = excluded.last_hash,
                last_timestamp = excluded.last_timestamp;
    ELSE
        UPDATE audit_chain_heads AS h
        SET last_seq = NEW.seq,
            last_hash = NEW.hash,
            last_timestamp = NEW."timestamp"
        WHERE h.chain_id = NEW.chain_id;
    END IF;
    RETURN NEW;
END;
$$;
