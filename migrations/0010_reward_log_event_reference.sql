-- The reward log reaches its event through its history row (which references event); its own foreign key to
-- event made every reward insert take a KEY SHARE lock on the event row, which concurrent consumers of one event
-- turn into multixact churn. The history FK (seed definition) and the reward log's FK to history stay.
ALTER TABLE event_attendance_reward_log DROP CONSTRAINT event_attendance_reward_log_event_id_fkey;
