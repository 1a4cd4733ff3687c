-- Snoozed messages (issue 17, src/mail/snooze.c). One row per message
-- waiting in the Snoozed folder: where it waits (folder, UIDVALIDITY and
-- UID from the MOVE's COPYUID; uid 0 when the server gave none), its
-- Message-ID to find it again when the UID is not known or UIDVALIDITY
-- changed, the folder it came from, and when it wakes. due is the next
-- try (until, later after a failure); a worker claims a row by writing
-- lease_owner and lease_until in one transaction, so with several nodes
-- one wakes it. state 'returned' means the copy in INBOX exists and only
-- the one in Snoozed is left to delete (never appended twice). sealed is
-- the user's IMAP password sealed for the worker (the user is away when
-- it runs); it goes with the row when the snooze ends.
CREATE TABLE snoozes (
	id INTEGER PRIMARY KEY,
	user TEXT NOT NULL,
	folder TEXT NOT NULL,
	uidvalidity INTEGER NOT NULL DEFAULT 0,
	uid INTEGER NOT NULL DEFAULT 0,
	message_id TEXT NOT NULL DEFAULT '',
	origin TEXT NOT NULL DEFAULT '',
	until INTEGER NOT NULL,
	due INTEGER NOT NULL,
	created INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'waiting',
	attempts INTEGER NOT NULL DEFAULT 0,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	sealed BLOB
);
CREATE INDEX snoozes_due ON snoozes(due);
CREATE INDEX snoozes_user ON snoozes(user, folder, uid);
