-- Bookings look up a tutor profile's blocks at a time; without this each one scanned every block.
CREATE INDEX availability_profile_time ON availability (profile_id, start_utc);
