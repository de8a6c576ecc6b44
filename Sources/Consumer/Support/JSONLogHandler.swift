import Domain
import Foundation
import Logging
import Projections
import Synchronization

/// One JSON object per line (for log collectors): time, level, label, message, source and metadata.
///
/// Never writes credentials: values are passed through `redacted`, which masks the password of connection URIs
/// and `password=` settings wherever they appear (error messages can embed connection strings).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable ([UInt8]) -> Void

    public init(label: String, write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var json = JSONText()
        json.beginObject()
        json.field("ts", Timestamp.now().description)
        json.field("level", event.level.rawValue)
        json.field("logger", label)
        json.field("message", Self.redacted("\(event.message)"))
        json.field("source", event.source)
        if !merged.isEmpty {
            json.key("metadata")
            json.beginObject()
            for key in merged.keys.sorted() {
                json.field(key, Self.redacted("\(merged[key]!)"))
            }
            json.endObject()
        }
        json.endObject()
        write(json.utf8 + [UInt8(ascii: "\n")])
    }

    /// Masks `scheme://user:secret@` and `password=secret` (conninfo) in free text.
    public static func redacted(_ text: String) -> String {
        guard text.contains("@") || text.lowercased().contains("password") else { return text }
        var result = text.replacingOccurrences(
            of: #"://([^:/@\s]+):[^@\s]*@"#,
            with: "://$1:***@",
            options: .regularExpression
        )
        result = result.replacingOccurrences(
            of: #"(?i)(password\s*=\s*)('[^']*'|\S+)"#,
            with: "$1***",
            options: .regularExpression
        )
        return result
    }

    /// Writes whole lines to standard error under a lock, so lines of concurrent threads never interleave.
    public static let standardError: @Sendable ([UInt8]) -> Void = { bytes in
        outputLock.withLock { _ in FileHandle.standardError.write(Data(bytes)) }
    }

    private static let outputLock = Mutex(())
}
