-- Compose and send (issue 5).
-- An identity may save its sent mail to a folder of its own ('' = the
-- special-use \Sent folder).
ALTER TABLE identities ADD COLUMN sent_folder TEXT NOT NULL DEFAULT '';

-- Files uploaded for a message being written. The bytes are spooled to
-- path (under storage/uploads/); the row and the file go away when the
-- message is sent, the upload is removed, or the session ends (logout,
-- expiry: a sweep removes uploads whose session row is gone).
CREATE TABLE uploads (
	id TEXT PRIMARY KEY,
	user TEXT NOT NULL,
	session_hash TEXT NOT NULL,
	name TEXT NOT NULL,
	type TEXT NOT NULL,
	size INTEGER NOT NULL,
	path TEXT NOT NULL,
	created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_session ON uploads(session_hash);
