import Consumer
import Foundation
import Testing

@Suite("Topic specs", .timeLimit(.minutes(5)))
struct TopicSpecTests {
    static let checkInRequests = """
        {"name": "attendance.check-in-requests.v1", "description": "Check-in requests", "partitions": 12,
         "replication_factor": 3,
         "configs": {"retention.ms": "604800000", "min.insync.replicas": "2", "cleanup.policy": "delete"},
         "key": {"format": "utf8", "description": "{event_id}:{member_id}"},
         "value_schema": {"type": "object", "required": ["request_id"], "properties": {"request_id": {"type": "string", "maxLength": 64}}}}
        """

    static func directory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestSupport.uniqueName("topics"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: directory.appendingPathComponent(name)) }
        return directory
    }

    static func spec(name: String, partitions: Int = 3, replicationFactor: Int = 3, configs: String = "{}") -> String {
        """
        {"name": "\(name)", "description": "d", "partitions": \(partitions), "replication_factor": \(replicationFactor),
         "configs": \(configs), "key": {"format": "utf8"}, "value_schema": {"type": "object"}}
        """
    }

    @Test func loadsEveryJSONFileSortedWithTheSchemaKept() throws {
        let directory = try Self.directory([
            "attendance.check-in-requests.v1.json": Self.checkInRequests,
            "attendance.events.v1.json": Self.spec(name: "attendance.events.v1"),
            "README.md": "not a spec",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let specs = try TopicSpec.loadAll(from: directory)
        #expect(specs.map(\.name) == ["attendance.check-in-requests.v1", "attendance.events.v1"])
        let requests = specs[0]
        #expect(requests.partitions == 12 && requests.replicationFactor == 3 && requests.keyFormat == "utf8")
        #expect(
            requests.configs == ["retention.ms": "604800000", "min.insync.replicas": "2", "cleanup.policy": "delete"]
        )
        let schema = try JSONSerialization.jsonObject(with: requests.valueSchemaJSON) as? [String: Any]
        #expect(schema?["required"] as? [String] == ["request_id"])
        let property = (schema?["properties"] as? [String: Any])?["request_id"] as? [String: Any]
        #expect(property?["maxLength"] as? Int == 64)
    }

    @Test(arguments: [
        ("bad name", spec(name: "bad name"), "name"),
        ("zero partitions", spec(name: "t", partitions: 0), "partitions"),
        ("zero replicas", spec(name: "t", replicationFactor: 0), "replication_factor"),
        (
            "missing partitions",
            #"{"name": "t", "description": "d", "replication_factor": 1, "key": {"format": "utf8"}, "value_schema": {}}"#,
            "partitions"
        ),
        (
            "wrong type", spec(name: "t").replacingOccurrences(of: "\"partitions\": 3", with: "\"partitions\": \"3\""),
            "partitions"
        ),
        ("config not a string", spec(name: "t", configs: #"{"retention.ms": 5}"#), "configs.retention.ms"),
        (
            "missing key format", spec(name: "t").replacingOccurrences(of: #"{"format": "utf8"}"#, with: "{}"),
            "key.format"
        ),
        (
            "schema not an object", spec(name: "t").replacingOccurrences(of: #"{"type": "object"}"#, with: "[]"),
            "value_schema"
        ),
        ("not JSON", "{", "(file)"),
    ])
    func aBadFileIsRefusedNamingFileAndField(_ label: String, _ text: String, _ field: String) throws {
        let directory = try Self.directory(["good.json": Self.spec(name: "good"), "bad.json": text])
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(throws: TopicSpecError.self) { try TopicSpec.loadAll(from: directory) }
        #expect(error.file == "bad.json", "\(label)")
        #expect(error.field == field, "\(label): \(error)")
    }

    @Test func aTopicDeclaredTwiceIsRefused() throws {
        let directory = try Self.directory(["a.json": Self.spec(name: "same"), "b.json": Self.spec(name: "same")])
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(throws: TopicSpecError.self) { try TopicSpec.loadAll(from: directory) }
        #expect(error.file == "b.json" && error.field == "name" && error.problem.contains("a.json"))
    }
}
