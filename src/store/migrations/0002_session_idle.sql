-- Per-session idle limit: "keep me signed in" sessions may stay idle for
-- their whole lifetime, others only for [security] session_idle_minutes.
ALTER TABLE sessions ADD COLUMN idle_seconds INTEGER NOT NULL DEFAULT 1800;
