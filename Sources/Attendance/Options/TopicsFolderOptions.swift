import ArgumentParser
import Foundation

/// The folder of topic specs, for the commands that create topics.
struct TopicsFolderOptions: ParsableArguments {
    @Option(
        name: .customLong("topics-dir"),
        help: "Folder of topic specs (env ATTENDANCE_TOPICS_DIR, default ./topics)."
    )
    var topicsDirectory: String?

    func topicsURL() -> URL {
        URL(fileURLWithPath: Environment.value(topicsDirectory, "ATTENDANCE_TOPICS_DIR") ?? "topics")
    }
}
