-- The history table kept two B-trees over the same columns: the unique key uq_att_history_event_member_date
-- (event_id, member_id, attendance_date) and the seed's idx_att_history_event_member_date_desc over the same
-- columns with the date descending. A B-tree is read in either direction, so every query that used the
-- descending one (a member's latest day, a member's days newest first) reads the unique key backwards at the
-- same cost, while each check-in paid for a second random-key insert into an index as large as the first.
DROP INDEX IF EXISTS idx_att_history_event_member_date_desc;
