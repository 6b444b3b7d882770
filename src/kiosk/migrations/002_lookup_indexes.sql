-- Slot search reads each tutor profile's booked sessions over two weeks; without this each
-- profile scanned every cached appointment.
CREATE INDEX appointments_profile_time ON appointments (profile_id, start_utc);
-- …and finds every role profile of the people who offer a course.
CREATE INDEX profiles_person ON profiles (person_id);
