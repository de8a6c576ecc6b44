// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error)
]

let package = Package(
    name: "attendance",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "attendance", targets: ["Attendance"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    ],
    targets: [
        // C libraries from the system (Debian: librdkafka-dev, libpq-dev). Only the thin wrappers
        // in Consumer/Kafka and Projections/Postgres import these.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // Pure rules: no I/O, no C.
        .target(name: "Domain", swiftSettings: strict),
        // Postgres side: libpq wrapper, migrations, the attendance store.
        .target(
            name: "Projections",
            dependencies: [
                "Domain", "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Kafka side: librdkafka wrapper, topic catalog, the check-in consumer and the outbox relay.
        .target(
            name: "Consumer",
            dependencies: [
                "Domain", "Projections", "CRdKafka",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // What an operator sees: Prometheus metrics and health over HTTP, the samplers behind them, `status`.
        .target(
            name: "Operations",
            dependencies: [
                "Domain", "Projections", "Consumer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The bundled fake of the external reward APIs (PRODUCT §4): `attendance fake-reward-api`, the embedded
        // `run`, the tests and `bench rewards`.
        .target(
            name: "FakeRewardAPI",
            dependencies: [
                "Domain",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The read side (PRODUCT §9): the authenticated HTTP API for upstream services, member apps and finance.
        .target(
            name: "AttendanceAPI",
            dependencies: [
                "Domain", "Projections", "Consumer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/openapi.yaml")],
            swiftSettings: strict
        ),
        // What every command shares: settings read from flags and the environment, set-up steps, demo traffic.
        .target(
            name: "CommandSupport",
            dependencies: [
                "Domain", "Projections", "Consumer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Tooling only the tests and benchmarks use: `attendance bench …` and the fault suite (`attendance faults`).
        // Apart from the service code, which reads without it.
        .target(
            name: "AttendanceTooling",
            dependencies: [
                "CommandSupport", "Domain", "Projections", "Consumer", "FakeRewardAPI", "Operations", "AttendanceAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "Attendance",
            dependencies: [
                "CommandSupport", "AttendanceTooling",
                "Domain", "Projections", "Consumer", "FakeRewardAPI", "Operations", "AttendanceAPI",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "DomainTests", dependencies: ["Domain"], swiftSettings: strict),
        // The executable's commands: which settings each one shows and validates; the demo traffic.
        .testTarget(
            name: "AttendanceTests",
            dependencies: [
                "Attendance", "CommandSupport", "Domain", "Operations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "Domain"], swiftSettings: strict),
        .testTarget(
            name: "ConsumerTests",
            dependencies: [
                "Consumer", "Projections", "Domain", "FakeRewardAPI", "Operations", "AttendanceAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: strict
        ),

    ]
)
