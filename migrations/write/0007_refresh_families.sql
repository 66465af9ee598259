-- Refresh token families: one per login. Each refresh presents the family's current refresh token
-- (its jti) and rotates it to a new one, under the row's lock (FOR UPDATE), so two refreshes with
-- the same token cannot both win. A refresh token of the family whose jti is not the current one
-- can only be one already spent (every jti the family issued was current once): presenting it
-- means the token was copied, and the whole family is revoked. Logout, a password change and
-- disabling the user revoke it too.
--
-- Not events: sessions are operational state, not catalog or account history; losing this table
-- logs everyone out and loses nothing else.
CREATE TABLE refresh_families (
    family_id       UUID        NOT NULL PRIMARY KEY,
    user_id         UUID        NOT NULL,
    current_jti     UUID        NOT NULL,
    rotations       INTEGER     NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    refreshed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    revoked_reason  TEXT
);
CREATE INDEX refresh_families_live_user_idx ON refresh_families (user_id) WHERE revoked_at IS NULL;
