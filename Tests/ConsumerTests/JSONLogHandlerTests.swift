import Consumer
import Foundation
import Logging
import Synchronization
import Testing

@Suite("JSON log lines", .timeLimit(.minutes(5)))
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let captured = Mutex<[String]>([])
        func append(_ bytes: [UInt8]) { captured.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
    }

    @Test func oneParsableObjectPerLineWithMetadata() throws {
        let lines = Lines()
        var logger = Logger(label: "test") { label in JSONLogHandler(label: label, write: lines.append) }
        logger[metadataKey: "component"] = "consumer"
        logger.info("batch \"written\"\nnext", metadata: ["request_id": "r-1", "count": "3"])
        let output = lines.captured.withLock { $0 }
        #expect(output.count == 1)
        #expect(output[0].hasSuffix("\n"))
        #expect(output[0].dropLast().contains("\n") == false)
        let object = try #require(JSONSerialization.jsonObject(with: Data(output[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["logger"] as? String == "test")
        #expect(object["message"] as? String == "batch \"written\"\nnext")
        let metadata = try #require(object["metadata"] as? [String: String])
        #expect(metadata == ["component": "consumer", "request_id": "r-1", "count": "3"])
    }

    @Test(arguments: [
        ("postgresql://attendance:s3cret@db:5432/app", "postgresql://attendance:***@db:5432/app"),
        ("failed: host=db password=s3cret user=x", "failed: host=db password=*** user=x"),
        ("password = 'a b c' dbname=x", "password = *** dbname=x"),
        ("no secret here", "no secret here"),
    ])
    func credentialsAreMasked(input: String, expected: String) {
        #expect(JSONLogHandler.redacted(input) == expected)
        #expect(!JSONLogHandler.redacted(input).contains("s3cret"))
    }

    @Test func levelsBelowTheThresholdAreDropped() {
        let lines = Lines()
        var logger = Logger(label: "test") { label in JSONLogHandler(label: label, write: lines.append) }
        logger.logLevel = .warning
        logger.info("quiet")
        logger.error("loud")
        #expect(lines.captured.withLock { $0.count } == 1)
    }
}
