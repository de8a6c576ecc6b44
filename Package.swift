// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
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
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "Attendance",
            dependencies: [
                "Domain", "Projections", "Consumer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "DomainTests", dependencies: ["Domain"], swiftSettings: strict),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "Domain"], swiftSettings: strict),
        .testTarget(
            name: "ConsumerTests",
            dependencies: ["Consumer", "Projections", "Domain"],
            swiftSettings: strict
        ),
    ]
)
