import ArgumentParser
import CommandSupport

/// The check-in consumers' group, for the commands that consume check-ins or report their lag.
struct GroupOptions: ParsableArguments {
    @Option(
        name: .customLong("group-id"),
        help: "Consumer group id (env ATTENDANCE_GROUP_ID, default attendance-check-in)."
    )
    var groupID: String?

    func resolvedGroupID() throws -> String {
        let group = Environment.value(groupID, "ATTENDANCE_GROUP_ID") ?? "attendance-check-in"
        guard group.count <= 255 else {
            throw ConfigurationError("--group-id / ATTENDANCE_GROUP_ID is longer than 255")
        }
        return group
    }
}
