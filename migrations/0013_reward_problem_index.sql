-- Settlement updates every reward row twice (the claim, then the outcome), and neither update can be HOT. The
-- index on (status, next_attempt_at) over every unsettled row gave both updates one more index entry to write
-- and cost about 15% of settlement throughput, while no query needed it: the scheduler reads pending rewards
-- through idx_att_reward_due and idx_att_reward_unclaimed.
--
-- Operators list the rewards that need a person through this narrower index instead; a row enters it once,
-- when it settles badly, so the hot path never touches it.
DROP INDEX IF EXISTS idx_att_reward_open;
CREATE INDEX IF NOT EXISTS idx_att_reward_problem ON event_attendance_reward_log (status, updated_at)
    WHERE status IN ('FAILED', 'PARKED', 'BUDGET_EXCEEDED');
