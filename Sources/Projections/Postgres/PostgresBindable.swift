/// A value that can be sent as a statement parameter (`$1`, `$2`, …).
///
/// Everything is sent in text format, which the server parses according to the parameter's type, except
/// `[UInt8]`, which is sent in binary format as `bytea`. Pass `nil` in the parameter list for SQL `NULL`.
public protocol PostgresBindable: Sendable {
    var postgresBinding: PostgresBinding { get }
}

/// The wire form of one parameter.
public enum PostgresBinding: Sendable, Hashable {
    /// Text format; must not contain a NUL character (the server cannot store one in text).
    case text(String)
    /// Binary format, sent as `bytea`.
    case binary([UInt8])
}

extension String: PostgresBindable {
    public var postgresBinding: PostgresBinding { .text(self) }
}

extension Int: PostgresBindable {
    public var postgresBinding: PostgresBinding { .text(String(self)) }
}

extension Int64: PostgresBindable {
    public var postgresBinding: PostgresBinding { .text(String(self)) }
}

extension Int32: PostgresBindable {
    public var postgresBinding: PostgresBinding { .text(String(self)) }
}

extension Bool: PostgresBindable {
    public var postgresBinding: PostgresBinding { .text(self ? "true" : "false") }
}

extension Double: PostgresBindable {
    /// Shortest round-tripping decimal; `NaN`, `Infinity` and `-Infinity` in Postgres spelling.
    public var postgresBinding: PostgresBinding {
        if self.isNaN { return .text("NaN") }
        if self.isInfinite { return .text(self < 0 ? "-Infinity" : "Infinity") }
        return .text(self.description)
    }
}

/// `[UInt8]` binds as binary `bytea`; arrays of other elements bind as a Postgres array literal
/// (see ``PostgresArrayElement``), e.g. for `unnest($1::bigint[], $2::text[])` multi-row writes.
extension Array: PostgresBindable where Element: PostgresArrayElement {
    public var postgresBinding: PostgresBinding { Element.postgresBinding(of: self) }
}
