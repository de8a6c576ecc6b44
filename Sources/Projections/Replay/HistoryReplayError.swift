/// A history rebuild, diff or swap that cannot go ahead, with what to do about it.
public struct HistoryReplayError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// Another `replay history` holds this schema's replay lock.
        public static let alreadyRunning = Code(name: "alreadyRunning")
        /// `--resume` without an unfinished rebuild.
        public static let nothingToResume = Code(name: "nothingToResume")
        /// A diff or swap before a rebuild completed.
        public static let rebuildIncomplete = Code(name: "rebuildIncomplete")
        /// The swap would delete live history rows that rewards still reference.
        public static let swapRefused = Code(name: "swapRefused")

        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "HistoryReplayError(\(code)): \(message)" }
}
