-- What a month's evaluation reads of the past without the fixes (day facts stand for them),
-- and a person's withdrawals: without these, each read walks every fix of the person's year.
CREATE INDEX device_records_person_except_fixes ON device_records (person_id, captured_at)
    WHERE kind <> 'fix';
CREATE INDEX device_records_person_retractions ON device_records (person_id)
    WHERE kind = 'retraction';
