-- Held and scheduled sends (issue 17, src/outbox). One row per job;
-- state moves held -> sending -> accepted -> done, or held -> cancelled,
-- or sending -> failed. A worker claims a job by writing lease_owner and
-- lease_until in one transaction; a job whose lease expired is claimed
-- again. 'accepted' means the SMTP server took the DATA: such a job is
-- never given to SMTP again, only its after-send steps are retried.
-- message holds the exact bytes built at Send time; compose the compose
-- state (JSON) that SendCancel gives back; meta what sending needs besides
-- the bytes (envelope, Sent folder, the original to flag, the draft);
-- secret the user's password sealed for this row under the server's job
-- key (session_seal_away), wiped when the job ends or is cancelled. A
-- failed job keeps message and compose (the user gets the form back).
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	user TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'held',
	due INTEGER NOT NULL,
	created INTEGER NOT NULL,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until INTEGER NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	message BLOB NOT NULL,
	compose TEXT NOT NULL DEFAULT '',
	last_error TEXT NOT NULL DEFAULT '',
	meta TEXT NOT NULL DEFAULT '',
	secret BLOB NOT NULL DEFAULT X''
);
CREATE INDEX outbox_due ON outbox(state, due);
CREATE INDEX outbox_user ON outbox(user, state);
