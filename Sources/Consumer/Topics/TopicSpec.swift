import Foundation

/// One topic as declared in the repository's `topics/` folder (one JSON file per topic).
///
/// ```json
/// {"name": "attendance.check-in-requests.v1", "description": "…", "partitions": 12, "replication_factor": 3,
///  "configs": {"retention.ms": "604800000"}, "key": {"format": "utf8", "description": "…"}, "value_schema": {…}}
/// ```
public struct TopicSpec: Sendable, Hashable, Decodable {
    public let name: String
    public let description: String
    public let partitions: Int
    public let replicationFactor: Int
    /// Topic-level configs the cluster must have (compared by `TopicReconciler`).
    public let configs: [String: String]
    public let keyFormat: String
    public let keyDescription: String?
    /// The `value_schema` object re-serialised with sorted keys (a JSON Schema; not interpreted here).
    public let valueSchemaJSON: Data

    private enum CodingKeys: String, CodingKey {
        case name, description, partitions, replicationFactor = "replication_factor", configs, key
        case valueSchema = "value_schema"
    }

    private struct Key: Decodable {
        let format: String
        let description: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        description = try container.decode(String.self, forKey: .description)
        partitions = try container.decode(Int.self, forKey: .partitions)
        replicationFactor = try container.decode(Int.self, forKey: .replicationFactor)
        configs = try container.decodeIfPresent([String: String].self, forKey: .configs) ?? [:]
        let key = try container.decode(Key.self, forKey: .key)
        keyFormat = key.format
        keyDescription = key.description
        let schema = try container.decode(RawJSON.self, forKey: .valueSchema)
        guard case .object = schema else {
            throw DecodingError.typeMismatch(
                [String: RawJSON].self,
                .init(
                    codingPath: container.codingPath + [CodingKeys.valueSchema],
                    debugDescription: "expected an object"
                )
            )
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        valueSchemaJSON = try encoder.encode(schema)
    }

    /// Loads and validates every `*.json` file in `directory` (sorted by name). Errors name the file and the field.
    public static func loadAll(from directory: URL) throws -> [TopicSpec] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var specs: [TopicSpec] = []
        var fileByName: [String: String] = [:]
        for file in files {
            let spec = try load(file)
            if let other = fileByName[spec.name] {
                throw TopicSpecError(
                    file: file.lastPathComponent,
                    field: "name",
                    problem: "\(spec.name) is also declared in \(other)"
                )
            }
            fileByName[spec.name] = file.lastPathComponent
            specs.append(spec)
        }
        return specs
    }

    static func load(_ file: URL) throws -> TopicSpec {
        let fileName = file.lastPathComponent
        let spec: TopicSpec
        do {
            spec = try JSONDecoder().decode(TopicSpec.self, from: Data(contentsOf: file))
        } catch let error as DecodingError {
            throw TopicSpecError(file: fileName, decodingError: error)
        }
        try spec.validate(file: fileName)
        return spec
    }

    /// Kafka's rules: 1–249 characters from `[A-Za-z0-9._-]`, not `.` or `..`; at least one partition and replica.
    func validate(file: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !name.isEmpty, name.count <= 249, name != ".", name != "..", name.allSatisfy(allowed.contains) else {
            throw TopicSpecError(
                file: file,
                field: "name",
                problem: "\"\(name)\" must be 1-249 characters of [A-Za-z0-9._-]"
            )
        }
        guard partitions >= 1 else {
            throw TopicSpecError(file: file, field: "partitions", problem: "must be at least 1, got \(partitions)")
        }
        guard replicationFactor >= 1 else {
            throw TopicSpecError(
                file: file,
                field: "replication_factor",
                problem: "must be at least 1, got \(replicationFactor)"
            )
        }
        guard !keyFormat.isEmpty else {
            throw TopicSpecError(file: file, field: "key.format", problem: "must not be empty")
        }
    }
}

/// A topic spec file that cannot be used, naming the file and the field.
public struct TopicSpecError: Error, Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let field: String
    public let problem: String

    public var description: String { "\(file): \(field): \(problem)" }

    init(file: String, field: String, problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    init(file: String, decodingError: DecodingError) {
        let path = { (codingPath: [any CodingKey]) in
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            self.init(file: file, field: path(context.codingPath + [key]), problem: "missing")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            self.init(file: file, field: path(context.codingPath), problem: context.debugDescription)
        case .dataCorrupted(let context):
            self.init(
                file: file,
                field: path(context.codingPath).isEmpty ? "(file)" : path(context.codingPath),
                problem: "not valid JSON: \(context.debugDescription)"
            )
        @unknown default:
            self.init(file: file, field: "(file)", problem: "\(decodingError)")
        }
    }
}
