/// Preparing a separate schema for `replay topic`: the events and every policy version, copied from the live
/// schema, so requests re-consumed there are decided by the same policies. Copying never deletes anything in the
/// target (its `event` rows are referenced by the replayed rows); it adds what is missing and brings the current
/// policy of each event up to date.
public enum ReplaySchema {
    /// Copies events, policy versions and bonus rules from `source` to `target` in one transaction.
    /// Both names must pass `PostgresConnection.isValidSchemaName` (they are quoted into the SQL).
    public static func copyEvents(from source: String, to target: String, on connection: PostgresConnection) throws
        -> Int
    {
        guard PostgresConnection.isValidSchemaName(source), PostgresConnection.isValidSchemaName(target) else {
            throw PostgresError(code: .invalidConfiguration, message: "schema names must match ^[a-z_][a-z0-9_]{0,62}$")
        }
        guard source != target else {
            throw PostgresError(code: .invalidConfiguration, message: "a replay schema must differ from the live one")
        }
        let from = PostgresConnection.quoteIdentifier(source)
        let to = PostgresConnection.quoteIdentifier(target)
        let eventColumns = """
            id, name, status, starts_at, ends_at, timezone, max_attendance_days, max_participants, daily_reward_type,
            daily_point_amount, daily_coupon_group_id, policy_version, created_at, updated_at
            """
        let updates = eventColumns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { $0 != "id" && $0 != "created_at" }
            .map { "\($0) = EXCLUDED.\($0)" }
            .joined(separator: ", ")
        return try connection.transaction { connection in
            let events = try connection.execute(
                """
                INSERT INTO \(to).event (\(eventColumns)) SELECT \(eventColumns) FROM \(from).event
                ON CONFLICT (id) DO UPDATE SET \(updates)
                """
            ).affectedRows
            try connection.execute(
                """
                INSERT INTO \(to).event_policy_version (event_id, version, policy, checksum, applied_at)
                SELECT event_id, version, policy, checksum, applied_at FROM \(from).event_policy_version
                ON CONFLICT (event_id, version) DO NOTHING
                """
            )
            try connection.execute("DELETE FROM \(to).event_attendance_bonus_rule")
            try connection.execute(
                """
                INSERT INTO \(to).event_attendance_bonus_rule
                    (event_id, rule_id, position, trigger_type, trigger_count, repeat, bonus_reward_type,
                     bonus_point_amount, bonus_coupon_group_id)
                SELECT event_id, rule_id, position, trigger_type, trigger_count, repeat, bonus_reward_type,
                       bonus_point_amount, bonus_coupon_group_id
                FROM \(from).event_attendance_bonus_rule
                """
            )
            return events
        }
    }
}
