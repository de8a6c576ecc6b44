/// The complete result of one statement, copied out of libpq's result so it can outlive the connection
/// and cross threads. Values are in Postgres text format; the accessors parse them.
///
/// Row and column indices are zero-based and must be in range (a programming error otherwise).
public struct PostgresRows: Sendable {
    /// Number of rows returned.
    public let count: Int
    /// Column names, in result order.
    public let columns: [String]
    /// Rows inserted, updated, deleted, selected, … as reported in the command tag (`PQcmdTuples`); 0 if none.
    public let affectedRows: Int
    /// Row-major: value of (row, column) is at `row * columns.count + column`; `nil` is SQL NULL.
    private let values: [String?]

    init(count: Int, columns: [String], values: [String?], affectedRows: Int) {
        precondition(values.count == count * columns.count)
        self.count = count
        self.columns = columns
        self.values = values
        self.affectedRows = affectedRows
    }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        self.string(row, column) == nil
    }

    public func string(_ row: Int, _ column: Int) -> String? {
        precondition(row >= 0 && row < self.count, "row \(row) out of range 0..<\(self.count)")
        precondition(column >= 0 && column < self.columns.count, "column \(column) out of range")
        return self.values[row * self.columns.count + column]
    }

    /// `nil` for NULL or for text that is not a 64-bit integer.
    public func int64(_ row: Int, _ column: Int) -> Int64? {
        self.string(row, column).flatMap { Int64($0) }
    }

    public func int(_ row: Int, _ column: Int) -> Int? {
        self.string(row, column).flatMap { Int($0) }
    }

    public func double(_ row: Int, _ column: Int) -> Double? {
        self.string(row, column).flatMap { Double($0) }
    }

    /// Postgres prints booleans as `t` / `f`.
    public func bool(_ row: Int, _ column: Int) -> Bool? {
        switch self.string(row, column) {
        case "t": true
        case "f": false
        default: nil
        }
    }

    /// A `bytea` column, decoded from its text form (hex or escape output).
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        self.string(row, column).flatMap(PostgresByteaText.decode)
    }

    /// Index of the first column with this name.
    public func columnIndex(_ name: String) -> Int? {
        self.columns.firstIndex(of: name)
    }

    /// The value of the first column named `name`; `nil` for NULL or an unknown column.
    public subscript(row: Int, column name: String) -> String? {
        guard let column = self.columnIndex(name) else { return nil }
        return self.string(row, column)
    }
}
