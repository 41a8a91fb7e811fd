"""Queued images by the million for bench/queue_load.py: one INSERT ... SELECT over a generated series on
PostgreSQL or SQLite, the rows cloned from one template image so that the load keeps working when Image
gains columns, and the indexes built once over the loaded rows."""

import json
import time

KEYPOINTS = json.dumps([[100.0 + 10 * i, 200.0 + 5 * i, 0.5] for i in range(14)])


def pool_load(*, project_id: int, cycle_id: int, size: int) -> float:
    """Replace the pool with `size` queued images, ranked 1..size; returns the seconds it took."""
    from django.db import connection

    load = pool_load_postgresql if connection.vendor == "postgresql" else pool_load_sqlite
    started = time.perf_counter()
    with connection.cursor() as cursor:
        load(cursor, project_id=project_id, cycle_id=cycle_id, size=size)
    return time.perf_counter() - started


def template_image_create(project_id: int) -> list[str]:
    """The row the pool is cloned from, so that the load keeps working when Image gains columns; Image's columns."""
    from alweb.images.models import Image

    Image.objects.create(
        project_id=project_id,
        name="template.png",
        file="images/template.png",
        sha256="t" * 64,
        content_type="image/png",
        width=640,
        height=480,
    )
    return [f.column for f in Image._meta.concrete_fields if not f.primary_key]


def cloned_image_columns(columns: list[str], *, number: str, sha256: str) -> str:
    """The SELECT list that clones the template row `t` as queued image `number`; both are SQL expressions."""
    overrides = {
        "name": f"'img' || {number} || '.png'",
        "file": f"'images/bench/' || {number} || '.png'",
        "sha256": sha256,
        "state": "'queued'",
    }
    return ", ".join(overrides.get(column, f"t.{column}") for column in columns)


def pool_load_sqlite(cursor, *, project_id: int, cycle_id: int, size: int) -> None:
    for table in ("queue_endedlease", "queue_queueentry", "images_image"):
        cursor.execute(f"DELETE FROM {table}")
    columns = template_image_create(project_id)
    select = cloned_image_columns(columns, number="g.n", sha256="printf('%%064x', g.n)")
    cursor.execute(
        "SELECT sql, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('images_image', 'queue_queueentry')"
    )
    indexes = cursor.fetchall()
    for _, name in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute(
        f"INSERT INTO images_image ({', '.join(columns)}) "
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
        f"SELECT {select} FROM images_image t, g WHERE t.name = 'template.png'",
        [size],
    )
    cursor.execute(
        "INSERT INTO queue_queueentry "
        "(project_id, cycle_id, image_id, rank, predicted_loss, keypoints, instances, is_audit, state, created_at) "
        "SELECT %s, %s, id, row_number() OVER w, 100.0 / row_number() OVER w, %s, '[]', 0, 'open', "
        "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now') "
        "FROM images_image WHERE name <> 'template.png' WINDOW w AS (ORDER BY id)",
        [project_id, cycle_id, KEYPOINTS],
    )
    for create, _ in indexes:
        cursor.execute(create)
    cursor.execute("ANALYZE")


def pool_load_postgresql(cursor, *, project_id: int, cycle_id: int, size: int) -> None:
    cursor.execute("SET maintenance_work_mem = '256MB'")
    cursor.execute("TRUNCATE images_image CASCADE")  # the queue's tables reference it
    columns = template_image_create(project_id)
    select = cloned_image_columns(columns, number="g", sha256="lpad(to_hex(g), 64, '0')")
    recreate = secondary_indexes_drop(cursor, ["images_image", "queue_queueentry"])
    # Foreign-key triggers off: the rows are consistent by construction.
    cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        f"INSERT INTO images_image ({', '.join(columns)}) SELECT {select} "
        "FROM images_image t, generate_series(1, %s) g WHERE t.name = 'template.png'",
        [size],
    )
    cursor.execute(
        "INSERT INTO queue_queueentry "
        "(project_id, cycle_id, image_id, rank, predicted_loss, keypoints, instances, is_audit, state, created_at) "
        "SELECT %s, %s, id, row_number() OVER w, 100.0 / row_number() OVER w, %s::jsonb, '[]'::jsonb, false, "
        "'open', now() "
        "FROM images_image WHERE name <> 'template.png' WINDOW w AS (ORDER BY id)",
        [project_id, cycle_id, KEYPOINTS],
    )
    cursor.execute("SET session_replication_role = DEFAULT")
    for statement in recreate:
        cursor.execute(statement)
    cursor.execute("VACUUM ANALYZE images_image")
    cursor.execute("VACUUM ANALYZE queue_queueentry")
    cursor.execute("ANALYZE queue_endedlease")


def secondary_indexes_drop(cursor, tables: list[str]) -> list[str]:
    """Drop the tables' indexes and unique constraints but the primary keys; returns the statements that rebuild them.

    Building an index once over the loaded rows is several times faster than updating
    it row by row.
    """
    cursor.execute(
        "SELECT format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname, pg_get_constraintdef(oid)), "
        "format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname) "
        "FROM pg_constraint WHERE contype = 'u' AND conrelid = ANY(%s::regclass[])",
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid), format('DROP INDEX %%s', i.indexrelid::regclass) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)",
        [tables],
    )
    indexes = cursor.fetchall()
    for _, drop in constraints + indexes:
        cursor.execute(drop)
    return [create for create, _ in constraints + indexes]
