-- Admin panel sessions, separate from user sessions: a user session row
-- can never be mistaken for an admin one. id_hash is SHA-256 (hex) of the
-- cookie value; the CSRF token is derived from the cookie, not stored.
-- cred_tag fingerprints the admin name and password hash the session was
-- opened with: when either changes (petrel admin init/passwd, the security
-- page), every older session stops working without anyone touching this
-- table.
CREATE TABLE admin_sessions (
	id_hash TEXT PRIMARY KEY,
	admin TEXT NOT NULL,
	cred_tag TEXT NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
