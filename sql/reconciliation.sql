-- Reconciliation: uploaded markups (sessions) and their suggested changes (items), decided exactly once (domain.md §9).
--
-- Child-id routes (/sessions/:id, /items/:id) resolve with one PK lookup joined to the caller's ACTIVE membership,
-- returning the guard's fields; no row = 404. A decision is one statement: the item moves out of 'pending' only if it
-- is still pending (the row lock serialises concurrent decisions; the loser sees 0 rows) and the session counters
-- move in the same statement, so they change exactly once (the CHECK keeps applied + rejected + pending = total).
-- sqlfluff:rules:references.qualification:ignore_words:workspace_id,session_id,item_id,user_id,clause_id,decision,decided_by,decision_reason,confidence,page_limit,page_offset,file_name,file_type,uploaded_by,total_items,incoming_snippets,target_clause_ids,target_variable_ids,confidences,baseline_values,current_values,proposed_values,match_scores,change_descriptions
-- (aiosql parameters: the placeholder templater renders `:name` as a bare word, which RF02 takes for a column)

-- name: insert_session(workspace_id, file_name, file_type, uploaded_by, total_items)^
-- Upload: the session row with all its items pending (total_items = pending_count = n), in the upload transaction.
-- row: ReconciliationSessionRow
INSERT INTO reconciliation_sessions (workspace_id, file_name, file_type, uploaded_by, total_items, pending_count)
VALUES (:workspace_id, :file_name, :file_type, :uploaded_by, :total_items, :total_items)
RETURNING
    id,
    workspace_id,
    file_name,
    file_type,
    uploaded_at,
    uploaded_by,
    total_items,
    applied_count,
    rejected_count,
    pending_count,
    created_at,
    updated_at;

-- name: insert_items(workspace_id, session_id, incoming_snippets, target_clause_ids, target_variable_ids, confidences, baseline_values, current_values, proposed_values, match_scores, change_descriptions)
-- Upload: a session's items from parallel arrays in document order (position = index, '' = no variable).
-- row: ReconciliationItemRow
INSERT INTO reconciliation_items (
    workspace_id,
    session_id,
    position,
    incoming_snippet,
    target_clause_id,
    target_variable_id,
    confidence,
    baseline_value,
    current_value,
    proposed_value,
    match_score,
    change_description
)
SELECT
    :workspace_id,
    :session_id,
    (u.ord - 1)::integer AS position,
    u.incoming_snippet,
    u.target_clause_id,
    nullif(u.target_variable_id, '') AS target_variable_id,
    u.confidence,
    u.baseline_value,
    u.current_value,
    u.proposed_value,
    u.match_score::smallint AS match_score,
    u.change_description
FROM
    unnest(
        :incoming_snippets::text[],
        :target_clause_ids::text[],
        :target_variable_ids::text[],
        :confidences::confidence_level[],
        :baseline_values::text[],
        :current_values::text[],
        :proposed_values::text[],
        :match_scores::integer[],
        :change_descriptions::text[]
    ) WITH ORDINALITY
        AS u (
            incoming_snippet,
            target_clause_id,
            target_variable_id,
            confidence,
            baseline_value,
            current_value,
            proposed_value,
            match_score,
            change_description,
            ord
        )
ORDER BY u.ord
RETURNING
    id,
    workspace_id,
    session_id,
    incoming_snippet,
    target_clause_id,
    target_variable_id,
    confidence,
    baseline_value,
    current_value,
    proposed_value,
    decision,
    decision_reason,
    decided_by,
    decided_at,
    position,
    match_score,
    change_description,
    created_at,
    updated_at;

-- name: list_sessions(workspace_id, page_limit, page_offset)
-- GET /reconciliations/sessions: a workspace's sessions, newest upload first (idx_reconciliation_sessions_list).
-- row: ReconciliationSessionRow
SELECT
    s.id,
    s.workspace_id,
    s.file_name,
    s.file_type,
    s.uploaded_at,
    s.uploaded_by,
    s.total_items,
    s.applied_count,
    s.rejected_count,
    s.pending_count,
    s.created_at,
    s.updated_at
FROM reconciliation_sessions AS s
WHERE s.workspace_id = :workspace_id
ORDER BY s.uploaded_at DESC, s.id DESC
LIMIT :page_limit OFFSET :page_offset;

-- name: count_sessions(workspace_id)$
-- Page-mode total of a workspace's sessions (idx_reconciliation_sessions_list, index only).
SELECT count(*) AS total
FROM reconciliation_sessions AS s
WHERE s.workspace_id = :workspace_id;

-- name: get_session(workspace_id, session_id)^
-- One session of a known workspace, e.g. its counters after a decision (reconciliation_sessions_pkey).
-- row: ReconciliationSessionRow
SELECT
    s.id,
    s.workspace_id,
    s.file_name,
    s.file_type,
    s.uploaded_at,
    s.uploaded_by,
    s.total_items,
    s.applied_count,
    s.rejected_count,
    s.pending_count,
    s.created_at,
    s.updated_at
FROM reconciliation_sessions AS s
WHERE s.workspace_id = :workspace_id AND s.id = :session_id;

-- name: get_session_for_member(session_id, user_id)^
-- /sessions/:id routes: PK lookup + the caller's active membership; no row = 404 (pkey, idx_workspace_members_active).
SELECT
    s.id,
    s.workspace_id,
    s.file_name,
    s.file_type,
    s.uploaded_at,
    s.uploaded_by,
    s.total_items,
    s.applied_count,
    s.rejected_count,
    s.pending_count,
    s.created_at,
    s.updated_at,
    m.id AS member_id,
    m.role AS member_role,
    m.is_admin AS member_is_admin,
    m.is_external AS member_is_external,
    m.status AS member_status,
    w.governance_rules,
    w.archived_at
FROM reconciliation_sessions AS s
INNER JOIN workspace_members AS m
    ON s.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active'
INNER JOIN workspaces AS w ON s.workspace_id = w.id
WHERE s.id = :session_id;

-- name: list_items(workspace_id, session_id, decision, confidence, page_limit, page_offset)
-- A session's items HIGH→LOW then position; optional filters are fine, a session is one upload (idx_recon_items_list).
-- params: decision?, confidence?
-- row: ReconciliationItemRow
SELECT
    i.id,
    i.workspace_id,
    i.session_id,
    i.incoming_snippet,
    i.target_clause_id,
    i.target_variable_id,
    i.confidence,
    i.baseline_value,
    i.current_value,
    i.proposed_value,
    i.decision,
    i.decision_reason,
    i.decided_by,
    i.decided_at,
    i.position,
    i.match_score,
    i.change_description,
    i.created_at,
    i.updated_at
FROM reconciliation_items AS i
WHERE
    i.workspace_id = :workspace_id
    AND i.session_id = :session_id
    AND (:decision::reconciliation_decision IS NULL OR i.decision = :decision)
    AND (:confidence::confidence_level IS NULL OR i.confidence = :confidence)
ORDER BY i.confidence, i.position, i.id
LIMIT :page_limit OFFSET :page_offset;

-- name: count_items(workspace_id, session_id, decision, confidence)$
-- Page-mode total of a session's items with the same optional filters (idx_recon_items_list).
-- params: decision?, confidence?
SELECT count(*) AS total
FROM reconciliation_items AS i
WHERE
    i.workspace_id = :workspace_id
    AND i.session_id = :session_id
    AND (:decision::reconciliation_decision IS NULL OR i.decision = :decision)
    AND (:confidence::confidence_level IS NULL OR i.confidence = :confidence);

-- name: get_item(workspace_id, item_id)^
-- One item of a known workspace + target clause (lock state, body) and variable value (pkeys via the composite FKs).
-- columns: variable_label?, variable_value?
SELECT
    i.id,
    i.workspace_id,
    i.session_id,
    i.incoming_snippet,
    i.target_clause_id,
    i.target_variable_id,
    i.confidence,
    i.baseline_value,
    i.current_value,
    i.proposed_value,
    i.decision,
    i.decision_reason,
    i.decided_by,
    i.decided_at,
    i.position,
    i.match_score,
    i.change_description,
    i.created_at,
    i.updated_at,
    c.title AS clause_title,
    c.body AS clause_body,
    c.is_sensitive AS clause_is_sensitive,
    c.is_locked AS clause_is_locked,
    c.locked_by AS clause_locked_by,
    CASE
        WHEN NOT c.is_locked THEN NULL
        WHEN c.locked_by IS NULL THEN 'governance'
        ELSE 'user'
    END AS clause_lock_kind,
    v.label AS variable_label,
    v.value AS variable_value,
    v.unit AS variable_unit,
    v.baseline_value AS variable_baseline_value
FROM reconciliation_items AS i
INNER JOIN clauses AS c ON i.workspace_id = c.workspace_id AND i.target_clause_id = c.id
LEFT JOIN variables AS v ON i.workspace_id = v.workspace_id AND i.target_variable_id = v.id
WHERE i.workspace_id = :workspace_id AND i.id = :item_id;

-- name: get_item_for_member(item_id, user_id)^
-- /items/:id routes: PK lookup + target clause/variable + caller's active membership; no row = 404 (pkeys).
-- columns: variable_label?, variable_value?
SELECT
    i.id,
    i.workspace_id,
    i.session_id,
    i.incoming_snippet,
    i.target_clause_id,
    i.target_variable_id,
    i.confidence,
    i.baseline_value,
    i.current_value,
    i.proposed_value,
    i.decision,
    i.decision_reason,
    i.decided_by,
    i.decided_at,
    i.position,
    i.match_score,
    i.change_description,
    i.created_at,
    i.updated_at,
    c.title AS clause_title,
    c.body AS clause_body,
    c.is_sensitive AS clause_is_sensitive,
    c.is_locked AS clause_is_locked,
    c.locked_by AS clause_locked_by,
    CASE
        WHEN NOT c.is_locked THEN NULL
        WHEN c.locked_by IS NULL THEN 'governance'
        ELSE 'user'
    END AS clause_lock_kind,
    v.label AS variable_label,
    v.value AS variable_value,
    v.unit AS variable_unit,
    v.baseline_value AS variable_baseline_value,
    m.id AS member_id,
    m.role AS member_role,
    m.is_admin AS member_is_admin,
    m.is_external AS member_is_external,
    m.status AS member_status,
    w.governance_rules,
    w.archived_at
FROM reconciliation_items AS i
INNER JOIN workspace_members AS m
    ON i.workspace_id = m.workspace_id AND m.user_id = :user_id AND m.status = 'active'
INNER JOIN workspaces AS w ON i.workspace_id = w.id
INNER JOIN clauses AS c ON i.workspace_id = c.workspace_id AND i.target_clause_id = c.id
LEFT JOIN variables AS v ON i.workspace_id = v.workspace_id AND i.target_variable_id = v.id
WHERE i.id = :item_id;

-- name: decide_item(workspace_id, item_id, decision, decided_by, decision_reason)^
-- Apply/reject exactly once, session counters in the same statement; no row = already decided (pkeys, row locks).
-- params: decision_reason?
WITH decided AS (
    UPDATE reconciliation_items AS i
    SET
        decision = :decision,
        decision_reason = :decision_reason,
        decided_by = :decided_by,
        decided_at = now()
    WHERE i.workspace_id = :workspace_id AND i.id = :item_id AND i.decision = 'pending'
    RETURNING
        i.id,
        i.workspace_id,
        i.session_id,
        i.incoming_snippet,
        i.target_clause_id,
        i.target_variable_id,
        i.confidence,
        i.baseline_value,
        i.current_value,
        i.proposed_value,
        i.decision,
        i.decision_reason,
        i.decided_by,
        i.decided_at,
        i.position,
        i.match_score,
        i.change_description,
        i.created_at,
        i.updated_at
),

counted AS (
    UPDATE reconciliation_sessions AS s
    SET
        applied_count = s.applied_count + (d.decision = 'applied')::integer,
        rejected_count = s.rejected_count + (d.decision = 'rejected')::integer,
        pending_count = s.pending_count - 1
    FROM decided AS d
    WHERE s.workspace_id = d.workspace_id AND s.id = d.session_id
    RETURNING
        s.id,
        s.total_items,
        s.applied_count,
        s.rejected_count,
        s.pending_count
)

SELECT
    d.id,
    d.workspace_id,
    d.session_id,
    d.incoming_snippet,
    d.target_clause_id,
    d.target_variable_id,
    d.confidence,
    d.baseline_value,
    d.current_value,
    d.proposed_value,
    d.decision,
    d.decision_reason,
    d.decided_by,
    d.decided_at,
    d.position,
    d.match_score,
    d.change_description,
    d.created_at,
    d.updated_at,
    c.total_items AS session_total_items,
    c.applied_count AS session_applied_count,
    c.rejected_count AS session_rejected_count,
    c.pending_count AS session_pending_count
FROM decided AS d
INNER JOIN counted AS c ON d.session_id = c.id;

-- name: list_pending_high_items(workspace_id, session_id)
-- Apply all HIGH: a session's pending HIGH items in document order (idx_recon_items_pending).
-- row: ReconciliationItemRow
SELECT
    i.id,
    i.workspace_id,
    i.session_id,
    i.incoming_snippet,
    i.target_clause_id,
    i.target_variable_id,
    i.confidence,
    i.baseline_value,
    i.current_value,
    i.proposed_value,
    i.decision,
    i.decision_reason,
    i.decided_by,
    i.decided_at,
    i.position,
    i.match_score,
    i.change_description,
    i.created_at,
    i.updated_at
FROM reconciliation_items AS i
WHERE
    i.workspace_id = :workspace_id
    AND i.session_id = :session_id
    AND i.decision = 'pending'
    AND i.confidence = 'HIGH'
ORDER BY i.position, i.id;

-- name: release_clause_items(workspace_id, clause_id)!
-- Before a clause delete: lock its items, drop them from session counters (idx_reconciliation_items_target_clause_id).
WITH gone AS (
    SELECT
        i.session_id,
        i.decision
    FROM reconciliation_items AS i
    WHERE i.workspace_id = :workspace_id AND i.target_clause_id = :clause_id
    FOR UPDATE
),

per_session AS (
    SELECT
        g.session_id,
        count(*) AS total,
        count(*) FILTER (WHERE g.decision = 'applied') AS applied,
        count(*) FILTER (WHERE g.decision = 'rejected') AS rejected,
        count(*) FILTER (WHERE g.decision = 'pending') AS pending
    FROM gone AS g
    GROUP BY g.session_id
)

UPDATE reconciliation_sessions AS s
SET
    total_items = s.total_items - p.total,
    applied_count = s.applied_count - p.applied,
    rejected_count = s.rejected_count - p.rejected,
    pending_count = s.pending_count - p.pending
FROM per_session AS p
WHERE s.workspace_id = :workspace_id AND s.id = p.session_id;
