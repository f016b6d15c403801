"""The catalog's tables. Evidence (samples, metrics, findings) lives in immutable run
bundles; the catalog holds the run register and what people add, append-only."""

SCHEMA_VERSION = 2

TABLES: dict[str, str] = {
    "schema_info": """
        CREATE TABLE IF NOT EXISTS schema_info (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    "runs": """
        CREATE TABLE IF NOT EXISTS runs (
            run_id VARCHAR PRIMARY KEY,
            audit VARCHAR NOT NULL,
            period VARCHAR NOT NULL,
            status VARCHAR NOT NULL,          -- running | complete | failed
            created_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            bundle_path VARCHAR,
            manifest_sha256 VARCHAR,
            config_sha256 VARCHAR,
            model VARCHAR,
            device VARCHAR,
            created_by VARCHAR,
            error VARCHAR,
            lease_host VARCHAR,               -- the job holding the run: host, pid, last heartbeat
            lease_pid BIGINT,
            heartbeat_at TIMESTAMP
        )""",
    "run_events": """
        CREATE TABLE IF NOT EXISTS run_events (
            run_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, status VARCHAR NOT NULL, detail VARCHAR)""",
    "reviews": """
        CREATE TABLE IF NOT EXISTS reviews (
            review_id VARCHAR PRIMARY KEY,
            run_id VARCHAR NOT NULL,
            task VARCHAR NOT NULL,
            sample_id VARCHAR NOT NULL,
            reviewer VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            label VARCHAR NOT NULL,           -- correct | incorrect | needs_rephrasing
            correction VARCHAR,
            note VARCHAR,
            adjudication BOOLEAN DEFAULT FALSE,
            created_at TIMESTAMP NOT NULL
        )""",
    "attestations": """
        CREATE TABLE IF NOT EXISTS attestations (
            attestation_id VARCHAR PRIMARY KEY,
            run_id VARCHAR NOT NULL,
            pack VARCHAR NOT NULL,
            control_id VARCHAR NOT NULL,
            username VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            status VARCHAR NOT NULL,          -- attested | rejected
            note VARCHAR,
            evidence_link VARCHAR,
            evidence_sha256 VARCHAR,
            created_at TIMESTAMP NOT NULL
        )""",
    "signoffs": """
        CREATE TABLE IF NOT EXISTS signoffs (
            signoff_id VARCHAR PRIMARY KEY,
            run_id VARCHAR NOT NULL,
            username VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            decision VARCHAR NOT NULL,        -- approve | reject
            note VARCHAR,
            created_at TIMESTAMP NOT NULL
        )""",
    "users": """
        CREATE TABLE IF NOT EXISTS users (
            username VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            password_hash VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            active BOOLEAN NOT NULL DEFAULT TRUE,
            os_user VARCHAR                   -- the OS account that acts as this user on the CLI
        )""",
    "audit_log": """
        CREATE TABLE IF NOT EXISTS audit_log (
            seq BIGINT PRIMARY KEY,
            ts TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            target VARCHAR,
            details VARCHAR,                  -- JSON
            prev_hash VARCHAR NOT NULL,
            hash VARCHAR NOT NULL
        )""",
    "log_checkpoints": """
        CREATE TABLE IF NOT EXISTS log_checkpoints (
            count BIGINT NOT NULL,            -- entries covered
            head VARCHAR NOT NULL,            -- hash of entry `count`
            key_id VARCHAR NOT NULL,
            body VARCHAR NOT NULL             -- the signed checkpoint (JSON)
        )""",
    "sign_in_attempts": """
        CREATE TABLE IF NOT EXISTS sign_in_attempts (
            username VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, ok BOOLEAN NOT NULL)""",
}

# Tables made on first use (``CREATE TABLE IF NOT EXISTS`` just before the first write), so a
# catalog made before them needs no migration: a missing one reads as empty.
ON_FIRST_USE: dict[str, str] = {
    "review_flags": """
        CREATE TABLE IF NOT EXISTS review_flags (
            review_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL, task VARCHAR NOT NULL,
            sample_id VARCHAR NOT NULL, reviewer VARCHAR NOT NULL,
            flag VARCHAR NOT NULL,            -- privacy | unsafe | biased
            created_at TIMESTAMP NOT NULL)""",
    "review_leases": """
        CREATE TABLE IF NOT EXISTS review_leases (
            run_id VARCHAR NOT NULL, task VARCHAR NOT NULL, sample_id VARCHAR NOT NULL,
            reviewer VARCHAR NOT NULL, expires_at TIMESTAMP NOT NULL)""",
    "sealed_notes": """
        CREATE TABLE IF NOT EXISTS sealed_notes (
            run_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, row_id VARCHAR NOT NULL,
            column_name VARCHAR NOT NULL, sealed BLOB NOT NULL, created_at TIMESTAMP NOT NULL)""",
}

# Columns added after a table first shipped: (table, column, type), applied to older catalogs.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("users", "os_user", "VARCHAR"),
    ("runs", "lease_host", "VARCHAR"),
    ("runs", "lease_pid", "BIGINT"),
    ("runs", "heartbeat_at", "TIMESTAMP"),
)
