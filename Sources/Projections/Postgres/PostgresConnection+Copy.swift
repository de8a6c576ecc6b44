internal import CLibPQ

extension PostgresConnection {
    /// Runs `COPY … TO STDOUT` and returns everything the server sent (text or binary format, as the SQL says).
    /// For bulk reads of bounded size (benchmarks, exports); the whole result is held in memory.
    public func copyOut(_ sql: String, file: String = #fileID, line: Int = #line) throws(PostgresError) -> [UInt8] {
        guard let handle = self.handle else { throw self.closedError(file: file, line: line) }
        let start = PostgresResult(PQexec(handle, sql))
        guard start.status == PGRES_COPY_OUT else {
            throw start.error(
                connectionBroken: PQstatus(handle) == CONNECTION_BAD,
                fallbackMessage: "statement did not start a COPY TO STDOUT",
                file: file,
                line: line
            )
        }
        var data: [UInt8] = []
        var buffer: UnsafeMutablePointer<CChar>?
        while true {
            let length = PQgetCopyData(handle, &buffer, 0)
            if length > 0, let chunk = buffer {
                chunk.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                    data.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(length)))
                }
                PQfreemem(chunk)
            } else {
                break  // -1: done, -2: error (reported by the final result below)
            }
        }
        try self.finishCopy(handle, file: file, line: line)
        return data
    }

    /// Runs `COPY … FROM STDIN` and streams `data` (in the format the SQL names) to the server.
    public func copyIn(_ sql: String, data: [UInt8], file: String = #fileID, line: Int = #line) throws(PostgresError) {
        guard let handle = self.handle else { throw self.closedError(file: file, line: line) }
        let start = PostgresResult(PQexec(handle, sql))
        guard start.status == PGRES_COPY_IN else {
            throw start.error(
                connectionBroken: PQstatus(handle) == CONNECTION_BAD,
                fallbackMessage: "statement did not start a COPY FROM STDIN",
                file: file,
                line: line
            )
        }
        let chunkSize = 1 << 20
        var offset = 0
        var failure: String?
        data.withUnsafeBytes { bytes in
            while offset < bytes.count {
                let count = min(chunkSize, bytes.count - offset)
                let pointer = bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                if PQputCopyData(handle, pointer, Int32(count)) != 1 {
                    failure = self.libpqMessage(handle)
                    break
                }
                offset += count
            }
        }
        _ = PQputCopyEnd(handle, failure)
        try self.finishCopy(handle, file: file, line: line)
    }

    /// Collects the results that end a COPY; the last one says whether it succeeded.
    private func finishCopy(_ handle: OpaquePointer, file: String, line: Int) throws(PostgresError) {
        var firstError: PostgresError?
        while let pointer = PQgetResult(handle) {
            let result = PostgresResult(pointer)
            if result.status != PGRES_COMMAND_OK, firstError == nil {
                let broken = PQstatus(handle) == CONNECTION_BAD
                self.isKnownBroken = self.isKnownBroken || broken
                firstError = result.error(
                    connectionBroken: broken,
                    fallbackMessage: self.libpqMessage(handle),
                    file: file,
                    line: line
                )
            }
        }
        if let firstError { throw firstError }
    }
}
