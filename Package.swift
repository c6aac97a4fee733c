// swift-tools-version:6.0
import PackageDescription

/// Every target builds in Swift 6 language mode (the tools version's default) with these settings.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let grpcCore = Target.Dependency.product(name: "GRPCCore", package: "grpc-swift-2")
let grpcHTTP2 = Target.Dependency.product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")
let grpcProtobuf = Target.Dependency.product(name: "GRPCProtobuf", package: "grpc-swift-protobuf")
let postgres = Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let cryptoExtras = Target.Dependency.product(name: "_CryptoExtras", package: "swift-crypto")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let webSocket = Target.Dependency.product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")
let webSocketClient = Target.Dependency.product(name: "HummingbirdWSClient", package: "hummingbird-websocket")

/// The four services share one shape: a library with all logic, and a small executable.
let services: [(name: String, product: String, extra: [Target.Dependency])] = [
    (
        "ChannelGateway", "channel-gateway",
        ["PlatformJSON", "InboxRules", hummingbird, webSocket, asyncHTTPClient, crypto, cryptoExtras, metrics]
    ),
    ("ConversationService", "conversation-service", ["InboxRules"]),
    ("AssignmentService", "assignment-service", []),
    ("PolicyService", "policy-service", ["InboxRules"]),
]

var targets: [Target] = [
    .target(
        name: "InboxAPI",
        dependencies: [grpcCore, grpcProtobuf, .product(name: "SwiftProtobuf", package: "swift-protobuf")],
        path: "Shared/InboxAPI",
        swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
    ),
    .target(
        name: "InboxKit",
        dependencies: [
            "InboxAPI", grpcCore, grpcHTTP2, grpcProtobuf, postgres, logging, lifecycle, crypto, hummingbird,
            .product(name: "JWTKit", package: "jwt-kit"), .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "SystemPackage", package: "swift-system"),
        ],
        path: "Shared/InboxKit",
        swiftSettings: swiftSettings
    ),
    // The platforms' reply rules as one pure function, shared by policy-service (CheckReply) and
    // conversation-service (reply_capability).
    .target(
        name: "InboxRules",
        dependencies: ["InboxAPI", "InboxKit", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
        path: "Shared/InboxRules",
        swiftSettings: swiftSettings),
    // The JSON value type the gateway and the platform fakes share (no domain logic, no dependencies).
    .target(name: "PlatformJSON", path: "Shared/PlatformJSON", swiftSettings: swiftSettings),
    .executableTarget(
        name: "inboxctl",
        dependencies: [
            "InboxKit", "InboxAPI", grpcCore, grpcHTTP2, grpcProtobuf, argumentParser,
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        path: "Shared/InboxCtl",
        swiftSettings: swiftSettings
    ),
    .target(
        name: "TestSupport",
        dependencies: [
            "InboxKit", "InboxAPI", "PlatformJSON", grpcCore, grpcHTTP2, grpcProtobuf, postgres, logging, hummingbird,
            crypto, cryptoExtras, asyncHTTPClient, .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
        ],
        path: "Tests/TestSupport",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "platform-fakes",
        dependencies: ["TestSupport"],
        path: "Tests/PlatformFakes",
        swiftSettings: swiftSettings
    ),
    // Latency samples and percentiles, shared by the benchmark executables.
    .target(
        name: "BenchSupport", dependencies: ["InboxKit", grpcCore], path: "Benchmarks/BenchSupport",
        swiftSettings: swiftSettings),
    .executableTarget(
        name: "policy-bench",
        dependencies: [
            "InboxKit", "InboxAPI", "BenchSupport", grpcCore, grpcHTTP2,
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        path: "Benchmarks/PolicyBench",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "assignment-bench",
        dependencies: [
            "InboxKit", "InboxAPI", "BenchSupport", grpcCore, grpcHTTP2,
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        path: "Benchmarks/AssignmentBench",
        swiftSettings: swiftSettings
    ),
    // load.sql is the bulk loader Benchmarks/run-conversation-bench feeds to psql.
    .executableTarget(
        name: "conversation-bench",
        dependencies: [
            "InboxKit", "InboxAPI", "BenchSupport", grpcCore, grpcHTTP2,
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        path: "Benchmarks/ConversationBench",
        exclude: ["load.sql"],
        swiftSettings: swiftSettings
    ),
    // wrk.lua is the wrk script Benchmarks/run-gateway-bench runs with the files `requests` writes.
    .executableTarget(
        name: "gateway-bench",
        dependencies: [
            "InboxKit", "InboxAPI", "BenchSupport", grpcCore, grpcHTTP2, crypto, argumentParser,
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        path: "Benchmarks/GatewayBench",
        exclude: ["wrk.lua"],
        swiftSettings: swiftSettings
    ),
    // The reply path's benchmark (Benchmarks/run-reply-bench): TestSupport for the Telegram webhook
    // payloads and signer the tests use, AsyncHTTPClient to post them and to read platform-fakes'
    // request counts.
    .executableTarget(
        name: "reply-bench",
        dependencies: [
            "InboxKit", "InboxAPI", "BenchSupport", "TestSupport", "PlatformJSON", grpcCore, grpcHTTP2, argumentParser,
            asyncHTTPClient, .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        path: "Benchmarks/ReplyBench",
        swiftSettings: swiftSettings
    ),
    // deploy/local/demo's driver: TestSupport for the real-format payloads and signers the tests
    // post, AsyncHTTPClient to post them, to play the web chat's visitor and to call platform-fakes'
    // admin port; GRPCProtobuf for a refused reply's details.
    .executableTarget(
        name: "inbox-demo",
        dependencies: [
            "InboxKit", "InboxAPI", "TestSupport", "PlatformJSON", grpcCore, grpcHTTP2, grpcProtobuf, argumentParser,
            asyncHTTPClient, .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        path: "Demo",
        swiftSettings: swiftSettings
    ),
    // The web chat's benchmark (Benchmarks/run-webchat-bench): the visitor API through
    // AsyncHTTPClient, the visitors' WebSockets through HummingbirdWSClient.
    .executableTarget(
        name: "webchat-bench",
        dependencies: [
            "InboxKit", "InboxAPI", "BenchSupport", "PlatformJSON", grpcCore, grpcHTTP2, argumentParser,
            asyncHTTPClient, webSocketClient, logging, .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        path: "Benchmarks/WebChatBench",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "webhook-bench",
        dependencies: ["ChannelGateway", crypto, cryptoExtras],
        path: "Benchmarks/WebhookBench",
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "InboxKitTests",
        dependencies: [
            "InboxKit", "InboxAPI", "TestSupport", grpcCore, grpcProtobuf, postgres,
            .product(name: "SwiftProtobuf", package: "swift-protobuf"), .product(name: "JWTKit", package: "jwt-kit"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "IntegrationTests",
        dependencies: [
            "InboxKit", "InboxAPI", "TestSupport", "PlatformJSON", grpcCore, grpcHTTP2, grpcProtobuf, postgres,
            logging, asyncHTTPClient, .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        swiftSettings: swiftSettings
    ),
]

for service in services {
    targets.append(
        .target(
            name: service.name,
            dependencies: ["InboxKit", "InboxAPI", grpcCore, postgres, logging, lifecycle] + service.extra,
            path: "Services/\(service.name)/Sources",
            // The web-chat widget, its stylesheet and demo page, served by the gateway as they are.
            resources: service.name == "ChannelGateway" ? [.copy("WebChat/Assets")] : nil,
            swiftSettings: swiftSettings
        )
    )
    targets.append(
        .executableTarget(
            name: service.product,
            dependencies: [.target(name: service.name), "InboxKit"],
            path: "Services/\(service.name)/Main",
            swiftSettings: swiftSettings
        )
    )
    targets.append(
        .testTarget(
            name: "\(service.name)Tests",
            dependencies: [.target(name: service.name), "InboxKit", "InboxAPI", "TestSupport", grpcCore, postgres]
                + (service.name == "ChannelGateway"
                    ? ["PlatformJSON", asyncHTTPClient, crypto, cryptoExtras, grpcHTTP2, webSocketClient] : []),
            swiftSettings: swiftSettings
        )
    )
}

let package = Package(
    name: "social-inbox",
    platforms: [.macOS(.v15)],
    products: services.map { .executable(name: $0.product, targets: [$0.product]) } + [
        .executable(name: "inboxctl", targets: ["inboxctl"]),
        .executable(name: "platform-fakes", targets: ["platform-fakes"]),
        .executable(name: "inbox-demo", targets: ["inbox-demo"]),
        .executable(name: "webhook-bench", targets: ["webhook-bench"]),
        .executable(name: "policy-bench", targets: ["policy-bench"]),
        .executable(name: "assignment-bench", targets: ["assignment-bench"]),
        .executable(name: "conversation-bench", targets: ["conversation-bench"]),
        .executable(name: "gateway-bench", targets: ["gateway-bench"]),
        .executable(name: "reply-bench", targets: ["reply-bench"]),
        .executable(name: "webchat-bench", targets: ["webchat-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: targets
)
