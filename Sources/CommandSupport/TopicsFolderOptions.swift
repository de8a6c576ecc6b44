import ArgumentParser
import Foundation

/// The folder of topic specs, for the commands that create topics.
package struct TopicsFolderOptions: ParsableArguments {
    package init() {}

    @Option(
        name: .customLong("topics-dir"),
        help: "Folder of topic specs (env ATTENDANCE_TOPICS_DIR, default ./topics)."
    )
    package var topicsDirectory: String?

    package func topicsURL() -> URL {
        URL(fileURLWithPath: Environment.value(topicsDirectory, "ATTENDANCE_TOPICS_DIR") ?? "topics")
    }
}
