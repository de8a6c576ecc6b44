/// The kinds of long-running service process. Each has its own default metrics port, so several services on one
/// host (a consumer, a relay and a settler side by side) do not collide when `ATTENDANCE_HTTP_ADDR` is left unset.
public enum ServiceKind: String, Sendable, CaseIterable {
    case run, consume, relay, settle, serve

    /// `run` keeps the port every service used before (9464); the others follow it.
    public var defaultPort: Int {
        switch self {
        case .run: 9464
        case .consume: 9465
        case .relay: 9466
        case .settle: 9467
        case .serve: 9468
        }
    }

    /// Where the service serves metrics and health unless told otherwise: loopback, on its own port.
    public var defaultAddress: HTTPAddress { HTTPAddress(host: "127.0.0.1", port: defaultPort) }
}
