internal import CLibPQ

extension PostgresConnection {
    /// Runs `body` in a transaction: `BEGIN`, then `COMMIT` if `body` returns, `ROLLBACK` if it throws (and
    /// the body's error is rethrown). Transactions do not nest: calling this inside a transaction — from
    /// `body` or after a manual `BEGIN` — throws (SQLSTATE 25001).
    ///
    /// If `body` catches a server error and returns normally, the server has already aborted the
    /// transaction; this rolls back and throws (SQLSTATE 25P02) instead of pretending to commit.
    @discardableResult
    public func transaction<T>(
        file: String = #fileID,
        line: Int = #line,
        _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        guard !self.isInTransactionBody, self.transactionStatus != PQTRANS_INTRANS,
            self.transactionStatus != PQTRANS_INERROR
        else {
            throw PostgresError(
                code: .queryFailed,
                sqlState: "25001",
                message: "transaction() cannot be nested: the connection is already in a transaction",
                file: file,
                line: line
            )
        }
        try self.execute("BEGIN", file: file, line: line)
        self.isInTransactionBody = true
        defer { self.isInTransactionBody = false }
        let value: T
        do {
            value = try body(self)
        } catch {
            self.rollBackQuietly()
            throw error
        }
        switch self.transactionStatus {
        case PQTRANS_INTRANS:
            try self.execute("COMMIT", file: file, line: line)
            return value
        case PQTRANS_INERROR:
            self.rollBackQuietly()
            throw PostgresError(
                code: .queryFailed,
                sqlState: "25P02",
                message: "transaction was aborted by an error the body caught; rolled back",
                file: file,
                line: line
            )
        default:
            // Idle: the body committed or rolled back itself. Unknown: the connection broke.
            let lost = !self.isConnected
            throw PostgresError(
                code: lost ? .connectionLost : .queryFailed,
                message: lost
                    ? "connection lost before COMMIT" : "the transaction body ended the transaction itself",
                file: file,
                line: line
            )
        }
    }

    /// Best effort: the body's error is the one that matters, and a broken connection has no transaction left.
    private func rollBackQuietly() {
        let status = self.transactionStatus
        guard status == PQTRANS_INTRANS || status == PQTRANS_INERROR else { return }
        do {
            try self.execute("ROLLBACK")
        } catch {
            self.logger.warning("ROLLBACK failed", metadata: ["error": "\(error)"])
        }
    }
}
