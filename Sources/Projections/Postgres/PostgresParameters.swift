internal import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bind parameters laid out the way `PQexecParams` / `PQexecPrepared` want them: one byte buffer holding
/// every value (text values NUL-terminated), plus per-parameter offsets, lengths, formats and types.
struct PostgresParameters {
    private static let byteaOID: Oid = 17
    private static let textFormat: Int32 = 0
    private static let binaryFormat: Int32 = 1

    private var buffer: [UInt8] = []
    /// Offset of each value in `buffer`; `nil` is SQL NULL.
    private var offsets: [Int?] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []
    /// 0 lets the server infer the type; binary values are declared `bytea` so they are never read as text.
    private var types: [Oid] = []

    var count: Int32 { Int32(self.offsets.count) }

    init(_ parameters: [(any PostgresBindable)?], file: String, line: Int) throws(PostgresError) {
        guard parameters.count <= Int(UInt16.max) else {
            throw PostgresError(
                code: .queryFailed,
                message: "too many parameters (\(parameters.count)); the protocol allows \(UInt16.max)",
                file: file,
                line: line
            )
        }
        for (index, parameter) in parameters.enumerated() {
            guard let binding = parameter?.postgresBinding else {
                self.append(nil, format: Self.textFormat, type: 0)
                continue
            }
            switch binding {
            case .text(let text):
                // A C string ends at the first NUL; sending it would silently truncate the value.
                guard !Self.containsNUL(text) else {
                    throw PostgresError(
                        code: .queryFailed,
                        message: "parameter $\(index + 1) contains a NUL byte",
                        file: file,
                        line: line
                    )
                }
                self.append(Array(text.utf8), format: Self.textFormat, type: 0)
            case .binary(let bytes):
                self.append(bytes, format: Self.binaryFormat, type: Self.byteaOID)
            }
        }
    }

    private mutating func append(_ value: [UInt8]?, format: Int32, type: Oid) {
        self.formats.append(format)
        self.types.append(type)
        guard let value else {
            self.offsets.append(nil)
            self.lengths.append(0)
            return
        }
        self.offsets.append(self.buffer.count)
        self.lengths.append(Int32(value.count))
        self.buffer.append(contentsOf: value)
        // Terminates text values, and gives an empty binary value a non-NULL address.
        self.buffer.append(0)
    }

    /// Calls `body` with C arrays that stay valid for the duration of the call.
    func withUnsafeArrays<Result>(
        _ body: (
            _ types: UnsafePointer<Oid>?,
            _ values: UnsafePointer<UnsafePointer<CChar>?>?,
            _ lengths: UnsafePointer<Int32>?,
            _ formats: UnsafePointer<Int32>?
        ) -> Result
    ) -> Result {
        self.buffer.withUnsafeBytes { buffer in
            let values: [UnsafePointer<CChar>?] = self.offsets.map { offset in
                offset.map { (buffer.baseAddress! + $0).assumingMemoryBound(to: CChar.self) }
            }
            return body(self.types, values, self.lengths, self.formats)
        }
    }

    /// memchr over the string's contiguous UTF-8 (native strings have it): array literals of a whole batch are
    /// long, and a generic byte-by-byte `contains` showed up in profiles.
    static func containsNUL(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, 0, bytes.count) != nil
        } ?? text.utf8.contains(0)
    }
}
