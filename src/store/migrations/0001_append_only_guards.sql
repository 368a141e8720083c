-- The audit trail is append-only: ordinary sessions cannot edit or delete records. A
-- privileged operator could still drop this trigger; the SM3 chain (roadcert audit verify)
-- is what detects that.
CREATE FUNCTION roadcert_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = '42501';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION roadcert_audit_append_only();
--> statement-breakpoint
-- A catalog version is immutable once used (R-5.1): only locked_at may be set, once.
CREATE FUNCTION roadcert_catalog_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.locked_at IS NOT NULL THEN
      RAISE EXCEPTION 'catalog version % is locked and cannot be deleted', OLD.version USING ERRCODE = '42501';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.locked_at IS NOT NULL AND (NEW.content IS DISTINCT FROM OLD.content OR NEW.digest IS DISTINCT FROM OLD.digest
      OR NEW.version IS DISTINCT FROM OLD.version OR NEW.locked_at IS DISTINCT FROM OLD.locked_at) THEN
    RAISE EXCEPTION 'catalog version % is locked and cannot be changed', OLD.version USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER catalog_versions_immutable BEFORE UPDATE OR DELETE ON catalog_versions
  FOR EACH ROW EXECUTE FUNCTION roadcert_catalog_immutable();
