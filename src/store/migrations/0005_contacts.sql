-- The address book. 0001 made contacts with one address; a contact now
-- has a phone, an organisation and several addresses, in order (position
-- 0 is the primary one). contacts.email keeps the primary address, so
-- the old index still finds a contact by it.
ALTER TABLE contacts ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN organization TEXT NOT NULL DEFAULT '';
CREATE TABLE contact_emails (
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	email TEXT NOT NULL,
	PRIMARY KEY (contact_id, position)
) WITHOUT ROWID;
CREATE INDEX contact_emails_email ON contact_emails(email);
INSERT INTO contact_emails (contact_id, position, email)
	SELECT id, 0, email FROM contacts WHERE email <> '';
CREATE INDEX contacts_user_name ON contacts(user, name);
