-- An identity's address may be sent from only when it is the login
-- address, matches the domain's identity_allow patterns, or was confirmed
-- by a link mailed to it (#14 finding 2). confirm_hash is SHA-256 (hex)
-- of the link's token while a confirmation is pending ('' otherwise);
-- the token itself is only in the mail.
ALTER TABLE identities ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identities ADD COLUMN confirm_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE identities ADD COLUMN confirm_expires INTEGER NOT NULL DEFAULT 0;
CREATE INDEX identities_confirm ON identities(confirm_hash)
	WHERE confirm_hash != '';
