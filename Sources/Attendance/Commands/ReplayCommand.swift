import ArgumentParser
import CommandSupport

/// `attendance replay …`: rebuild projections without side effects (PRODUCT §6).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild projections without side effects: from the event log, or from the input topic.",
        subcommands: [ReplayHistoryCommand.self, ReplayTopicCommand.self]
    )
}
