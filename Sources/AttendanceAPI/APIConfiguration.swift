import Consumer
import Projections

/// Everything `attendance serve` needs, validated once at start-up by the command that builds it.
public struct APIConfiguration: Sendable {
    public struct Address: Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { "\(host):\(port)" }
    }

    /// Where the API listens (port 0 picks a free one; ``APIServer/listeningPort(timeout:)`` tells which).
    public var address: Address
    public var reads: ReadLanes.Configuration
    public var kafka: KafkaConfiguration
    public var topics: TopicNames = .standard
    public var keys: TokenVerifier.Keys
    public var issuer: String
    public var audience: String
    /// Requests per second per client (token subject); 0 turns the limit off.
    public var rateLimit: Double = 200
    public var rateBurst: Int = 400
    /// How long a submission waits for its outcome unless the request says otherwise.
    public var defaultWait: Duration = .seconds(2)
    /// The longest wait a request may ask for.
    public var maximumWait: Duration = .seconds(10)
    /// The longest date range of an event summary.
    public var maximumSummaryDays = 366

    public init(
        address: Address,
        reads: ReadLanes.Configuration,
        kafka: KafkaConfiguration,
        keys: TokenVerifier.Keys,
        issuer: String,
        audience: String
    ) {
        self.address = address
        self.reads = reads
        self.kafka = kafka
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
    }
}
