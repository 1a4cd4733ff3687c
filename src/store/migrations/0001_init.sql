-- Petrel schema version 1. Applied once, in one transaction, by
-- store_open(). Never edit a migration that has shipped: add 0002_*.sql.
-- Users are the normalised login address ("user@domain", lower-case
-- domain). Times are Unix seconds.

-- A browser session. The id and CSRF token are stored only as hashes;
-- the IMAP password only encrypted under a key that lives in the cookie.
CREATE TABLE sessions (
	id_hash TEXT PRIMARY KEY,
	user TEXT NOT NULL,
	password_enc BLOB NOT NULL,
	nonce BLOB NOT NULL,
	csrf_hash TEXT NOT NULL,
	created INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user);
CREATE INDEX sessions_expires ON sessions(expires);

CREATE TABLE user_settings (
	user TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	updated INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user, key)
) WITHOUT ROWID;

-- signature_html: 1 if signature holds HTML, 0 for plain text.
CREATE TABLE identities (
	id INTEGER PRIMARY KEY,
	user TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL,
	reply_to TEXT NOT NULL DEFAULT '',
	signature TEXT NOT NULL DEFAULT '',
	signature_html INTEGER NOT NULL DEFAULT 0,
	signature_position TEXT NOT NULL DEFAULT 'below'
		CHECK (signature_position IN ('above', 'below')),
	is_default INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX identities_user ON identities(user);
CREATE UNIQUE INDEX identities_one_default ON identities(user)
	WHERE is_default = 1;

CREATE TABLE contacts (
	id INTEGER PRIMARY KEY,
	user TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL,
	notes TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contacts_user_email ON contacts(user, email);

-- Addresses the user wrote to, for autocompletion.
CREATE TABLE recent_recipients (
	user TEXT NOT NULL,
	email TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	last_used INTEGER NOT NULL,
	use_count INTEGER NOT NULL DEFAULT 1,
	PRIMARY KEY (user, email)
) WITHOUT ROWID;

-- Fixed-window counters: key is e.g. "login:ip:192.0.2.1".
CREATE TABLE rate_limits (
	key TEXT PRIMARY KEY,
	window_start INTEGER NOT NULL,
	count INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY,
	time INTEGER NOT NULL,
	actor TEXT NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	action TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_time ON audit_log(time);

-- Idempotent sending: a compose form's token and what sending it gave.
CREATE TABLE send_tokens (
	user TEXT NOT NULL,
	token TEXT NOT NULL,
	result TEXT,
	created INTEGER NOT NULL,
	PRIMARY KEY (user, token)
) WITHOUT ROWID;
CREATE INDEX send_tokens_created ON send_tokens(created);

-- Senders whose remote images the user always allows.
CREATE TABLE remote_image_senders (
	user TEXT NOT NULL,
	sender TEXT NOT NULL,
	created INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user, sender)
) WITHOUT ROWID;
