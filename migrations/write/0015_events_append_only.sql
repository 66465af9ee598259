-- The audit trail is append-only (issue 17): the events table, the hash chain over it and the
-- chain's checkpoints refuse UPDATE, DELETE and TRUNCATE, whoever asks. Only INSERT is possible:
-- commands append events, and the chainer (in the command API) inserts chain rows and
-- checkpoints; nothing ever rewrites them.
--
-- No exception is made for erasure of personal data: it is crypto-shredding, where personal
-- fields are stored encrypted under a per-person key kept in another table and erasing a person
-- deletes that key. The events (and so the chain, which hashes what is stored) stay as they are.
--
-- A superuser can still get around a trigger (`SET session_replication_role = replica`, or
-- `ALTER TABLE … DISABLE TRIGGER`): that is what the chain is for, and `ferrule audit verify`
-- names the first link such a change broke.

CREATE FUNCTION refuse_audit_rewrite() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'the audit trail is never rewritten; personal data is erased by deleting its key (crypto-shredding)';
END
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_rewrite();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_rewrite();

CREATE TRIGGER event_chain_append_only BEFORE UPDATE OR DELETE ON event_chain
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_rewrite();
CREATE TRIGGER event_chain_no_truncate BEFORE TRUNCATE ON event_chain
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_rewrite();

CREATE TRIGGER chain_checkpoints_append_only BEFORE UPDATE OR DELETE ON chain_checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_rewrite();
CREATE TRIGGER chain_checkpoints_no_truncate BEFORE TRUNCATE ON chain_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_rewrite();
