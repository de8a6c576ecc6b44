import Foundation

/// One schema change: the SQL of a `NNNN_name.sql` file. The SQL uses unqualified table names, because it
/// runs with `search_path` set to the target schema — so the same files can build a second schema.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String
    /// The file it came from, used in errors; `NNNN_name.sql` for migrations made in code.
    public let fileName: String

    public init(version: Int, name: String, sql: String, fileName: String? = nil) {
        self.version = version
        self.name = name
        self.sql = sql
        self.fileName = fileName ?? Self.conventionalFileName(version: version, name: name)
    }

    /// `0007_name.sql`: the version zero-padded to four digits.
    static func conventionalFileName(version: Int, name: String) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name + ".sql"
    }

    /// Loads every `*.sql` file of `directory`, ordered by version. Names must be `NNNN_name.sql`: at least
    /// four digits (a version above zero), an underscore, then lower-case letters, digits and underscores.
    /// Other files (README, hidden files) are ignored. A badly named `.sql` file, two files with one version,
    /// or a file that is not UTF-8 is refused with an error naming the file.
    public static func load(from directory: URL) throws(MigrationError) -> [Migration] {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError(.unreadableFile, file: directory.lastPathComponent, "cannot list migration directory")
        }
        var byVersion: [Int: Migration] = [:]
        for fileName in entries.sorted() where fileName.hasSuffix(".sql") && !fileName.hasPrefix(".") {
            guard let (version, name) = Self.parse(fileName: fileName) else {
                throw MigrationError(
                    .invalidFileName,
                    file: fileName,
                    "migration files must be named NNNN_name.sql (version ≥ 1; name of a-z, 0-9, _)"
                )
            }
            if let existing = byVersion[version] {
                throw MigrationError(
                    .duplicateVersion,
                    file: fileName,
                    version: version,
                    "version \(version) is also used by \(existing.fileName)"
                )
            }
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(fileName).path),
                let sql = String(data: data, encoding: .utf8)
            else {
                throw MigrationError(.unreadableFile, file: fileName, version: version, "cannot read file as UTF-8")
            }
            byVersion[version] = Migration(version: version, name: name, sql: sql, fileName: fileName)
        }
        return byVersion.values.sorted { $0.version < $1.version }
    }

    static func parse(fileName: String) -> (version: Int, name: String)? {
        let stem = fileName.dropLast(".sql".count)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard digits.count >= 4, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let version = Int(digits), version > 0,
            !name.isEmpty,
            name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { return nil }
        return (version, String(name))
    }
}
