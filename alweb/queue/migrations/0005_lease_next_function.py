"""queue_lease_next: queue/next's whole transaction as one PostgreSQL function, called in one round trip.

services.lease_next runs it on PostgreSQL; SQLite keeps the statements in Python. Each statement in a
PL/pgSQL function reads a fresh snapshot (READ COMMITTED), as the statements of a transaction sent one
by one do, so a user's second request that waited on the membership lock sees the first's lease.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION queue_lease_next(
    p_project_id bigint, p_user_id bigint, p_now timestamptz, p_expires_at timestamptz,
    p_lease_id uuid, p_after uuid
) RETURNS SETOF queue_queueentry LANGUAGE plpgsql AS $$
DECLARE
    claimed_id bigint;
    previous_lease_id uuid;
    previous_user_id bigint;
BEGIN
    -- A user's simultaneous requests queue up on this row lock; not a member: no row.
    PERFORM 1 FROM projects_membership WHERE project_id = p_project_id AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- The user's best live lease but p_after, given the new expiry.
    RETURN QUERY UPDATE queue_queueentry SET lease_expires_at = p_expires_at WHERE id = (
        SELECT id FROM queue_queueentry
        WHERE project_id = p_project_id AND state = 'open' AND leased_by_id = p_user_id
            AND lease_expires_at > p_now AND (p_after IS NULL OR lease_id <> p_after)
        ORDER BY rank LIMIT 1
    ) RETURNING *;
    IF FOUND THEN
        RETURN;
    END IF;
    -- Else the claim (services.CLAIM_SQL): the best open entry nobody holds and the user has not skipped.
    WITH candidate AS (
        SELECT id, lease_id, leased_by_id FROM queue_queueentry
        WHERE project_id = p_project_id AND state = 'open' AND (lease_id IS NULL OR lease_expires_at < p_now)
            AND id NOT IN (
                SELECT entry_id FROM queue_endedlease WHERE user_id = p_user_id AND reason = 'skipped'
            )
        ORDER BY rank LIMIT 1 FOR UPDATE SKIP LOCKED
    )
    UPDATE queue_queueentry SET lease_id = p_lease_id, leased_by_id = p_user_id, lease_expires_at = p_expires_at
    FROM candidate WHERE queue_queueentry.id = candidate.id
    RETURNING queue_queueentry.id, candidate.lease_id, candidate.leased_by_id
    INTO claimed_id, previous_lease_id, previous_user_id;
    IF claimed_id IS NULL THEN
        RETURN;
    END IF;
    -- An expired lease of someone else's ends as taken.
    IF previous_lease_id IS NOT NULL AND previous_user_id IS NOT NULL AND previous_user_id <> p_user_id THEN
        INSERT INTO queue_endedlease (lease_id, entry_id, user_id, reason, ended_at)
        VALUES (previous_lease_id, claimed_id, previous_user_id, 'taken', p_now);
    END IF;
    RETURN QUERY SELECT * FROM queue_queueentry WHERE id = claimed_id;
END
$$;
"""

DROP = "DROP FUNCTION IF EXISTS queue_lease_next(bigint, bigint, timestamptz, timestamptz, uuid, uuid);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("queue", "0004_queueentry_instances"),
    ]

    operations = [migrations.RunPython(create, drop)]
