-- Tampering with the audit chain as a superuser (tests/services/test_audit_verify.py, tests/api/test_audit.py),
-- the attacks domain.md §11.5 must detect. Loaded with aiosql ("psycopg" adapter, sync autocommit connections).
-- Every write runs between disable_audit_triggers and enable_audit_triggers (the append-only and chain triggers
-- would otherwise refuse or rechain it).

-- name: disable_audit_triggers#
-- Switch off the append-only and chain triggers (superuser / owner only).
ALTER TABLE audit_events DISABLE TRIGGER USER;

-- name: enable_audit_triggers#
-- Switch the audit triggers back on.
ALTER TABLE audit_events ENABLE TRIGGER USER;

-- name: modify_reason(chain_id, seq, reason)!
-- Edit one row's reason in place (hash left as stored).
UPDATE audit_events
SET reason = :reason
WHERE chain_id = :chain_id AND seq = :seq;

-- name: delete_event(chain_id, seq)!
-- Delete one row of a chain.
DELETE FROM audit_events
WHERE chain_id = :chain_id AND seq = :seq;

-- name: delete_tail(chain_id, seq)!
-- Delete every row of a chain from seq on (the head still names the old last row).
DELETE FROM audit_events
WHERE chain_id = :chain_id AND seq >= :seq;

-- name: shift_seq_up(chain_id, seq, by)!
-- Move rows from seq on out of the way (two steps keep uq_audit_chain_seq satisfied row by row).
UPDATE audit_events
SET seq = seq + :by
WHERE chain_id = :chain_id AND seq >= :seq;

-- name: shift_seq_down(chain_id, seq, by)!
-- Move rows at or above seq down by `by`.
UPDATE audit_events
SET seq = seq - :by
WHERE chain_id = :chain_id AND seq >= :seq;

-- name: insert_copy(chain_id, source_seq, new_seq, new_id)!
-- Insert a forged row: a copy of source_seq under a new id at new_seq, linked to the source's hash, with a made-up hash.
INSERT INTO audit_events (
    id, workspace_id, timestamp, actor_id, actor_name, event_type, target_type, target_id,
    before_state, after_state, reason, reason_category, chain_id, seq, prev_hash, hash
)
SELECT
    :new_id AS id,
    e.workspace_id,
    e.timestamp + interval '1 microsecond' AS timestamp,
    e.actor_id,
    e.actor_name,
    e.event_type,
    e.target_type,
    e.target_id,
    e.before_state,
    e.after_state,
    e.reason,
    e.reason_category,
    e.chain_id,
    :new_seq AS seq,
    e.hash AS prev_hash,
    repeat('f', 64) AS hash
FROM audit_events AS e
WHERE e.chain_id = :chain_id AND e.seq = :source_seq;

-- name: set_seq(chain_id, old_seq, new_seq)!
-- Renumber one row (used to swap two rows via a free seq).
UPDATE audit_events
SET seq = :new_seq
WHERE chain_id = :chain_id AND seq = :old_seq;

-- name: chain_length(chain_id)$
-- Number of rows in a chain.
SELECT count(*) AS n
FROM audit_events
WHERE chain_id = :chain_id;
