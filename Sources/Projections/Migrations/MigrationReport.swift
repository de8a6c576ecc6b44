/// What one `MigrationRunner.migrate` call did.
public struct MigrationReport: Sendable {
    /// Migrations applied by this call, in order.
    public let applied: [Migration]
    /// Migrations that were already applied before this call (and whose files are unchanged).
    public let alreadyApplied: Int
}
