-- Identity and access: people, role grants, sessions, API tokens, one-time codes, throttles,
-- eKYC history and the audit log. Secrets (sessions, tokens, codes, passwords) are stored hashed.

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,
    personal_id TEXT UNIQUE,
    birth_date TEXT,
    ekyc_level SMALLINT NOT NULL DEFAULT 0 CHECK (ekyc_level IN (0, 1, 2)),
    password_hash TEXT,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE role_grants (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'market_manager', 'merchant_owner',
        'merchant_cashier', 'tax_officer', 'citizen')),
    scope_id BIGINT NOT NULL DEFAULT 0,
    granted_by BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (person_id, role, scope_id)
);
CREATE INDEX role_grants_scope ON role_grants(role, scope_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE otp_challenges (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    consumed_at BIGINT
);
CREATE INDEX otp_challenges_phone ON otp_challenges(phone, created_at);

-- Fixed-window counters and lock-outs for abuse limits (in the database, so that limits hold
-- across several app servers).
CREATE TABLE throttles (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE ekyc_events (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    from_level SMALLINT NOT NULL,
    to_level SMALLINT NOT NULL,
    method TEXT NOT NULL,
    actor_id BIGINT,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
