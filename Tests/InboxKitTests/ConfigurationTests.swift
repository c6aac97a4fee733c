import Foundation
import InboxKit
import Testing

@Suite("Configuration from the environment")
struct ConfigurationTests {
    let valid = [
        "DATABASE_URL": "postgres://inbox_policy:secret@db.internal:6543/inbox",
        "TOKEN_SIGNING_KEY": String(repeating: "k", count: 32),
    ]

    func load(_ service: InboxService, _ changes: [String: String?]) throws -> ServiceConfiguration {
        var values = self.valid
        for (key, value) in changes { values[key] = value }
        return try ServiceConfiguration.load(service, from: Environment(values))
    }

    func failure(_ changes: [String: String?]) -> ConfigurationError? {
        do {
            _ = try self.load(.conversationService, changes)
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            return nil
        }
    }

    @Test func defaultsFollowTheDesign() throws {
        let configuration = try self.load(.conversationService, [:])
        #expect(configuration.grpcPort == 50052)
        #expect(configuration.grpcHost == "0.0.0.0")
        #expect(configuration.logLevel == .info)
        #expect(configuration.database.host == "db.internal")
        #expect(configuration.database.port == 6543)
        #expect(configuration.database.username == "inbox_policy")
        #expect(configuration.database.password == "secret")
        #expect(configuration.database.database == "inbox")
        #expect(configuration.peers[.policyService] == PeerAddress(HostAndPort(host: "127.0.0.1", port: 50054)))
        #expect(configuration.peers[.channelGateway] == PeerAddress(HostAndPort(host: "127.0.0.1", port: 50051)))
        #expect(configuration.peers[.assignmentService] == PeerAddress(HostAndPort(host: "127.0.0.1", port: 50053)))
        #expect(try self.load(.policyService, [:]).peers.isEmpty)
        #expect(try self.load(.channelGateway, [:]).grpcPort == 50051)
    }

    @Test func overridesAreRead() throws {
        let configuration = try self.load(
            .assignmentService,
            [
                "GRPC_PORT": "6000", "LOG_LEVEL": "DEBUG", "POLICY_SERVICE_ADDR": "policy:7000",
                "CONVERSATION_SERVICE_ADDR": "10.0.0.5:50052,10.0.0.6:50052",
            ]
        )
        #expect(configuration.grpcPort == 6000)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.peers[.policyService] == PeerAddress(HostAndPort(host: "policy", port: 7000)))
        #expect(
            configuration.peers[.conversationService]?.entries == [
                HostAndPort(host: "10.0.0.5", port: 50052), HostAndPort(host: "10.0.0.6", port: 50052),
            ])
    }

    @Test(
        "each bad value names its variable",
        arguments: [
            ("DATABASE_URL", nil),
            ("DATABASE_URL", "mysql://x@y/z"),
            ("DATABASE_URL", "postgres://db.internal/inbox"),
            ("DATABASE_URL", "postgres://user@db.internal"),
            ("DATABASE_URL", "postgres://user@db.internal/inbox?sslmode=maybe"),
            ("TOKEN_SIGNING_KEY", nil),
            ("TOKEN_SIGNING_KEY", "short"),
            ("GRPC_PORT", "0"),
            ("GRPC_PORT", "http"),
            ("GRPC_PORT", "70000"),
            ("LOG_LEVEL", "loud"),
            ("POLICY_SERVICE_ADDR", "policy"),
            ("CHANNEL_GATEWAY_ADDR", "gw:port"),
            ("CHANNEL_GATEWAY_ADDR", "127.0.0.1:50051,"),
            ("ASSIGNMENT_SERVICE_ADDR", "127.0.0.1:50053,assignment"),
            ("DATABASE_MAX_CONNECTIONS", "0"),
        ] as [(String, String?)]
    )
    func badValueNamesVariable(variable: String, value: String?) {
        let error = self.failure([variable: value])
        #expect(error?.variable == variable)
        #expect(error?.description.hasPrefix("\(variable): ") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func emptyCountsAsUnset() {
        #expect(self.failure(["DATABASE_URL": "  "])?.problem == "is required but not set")
    }

    @Test func databaseURLHidesPasswordWhenPrinted() throws {
        let url = try DatabaseURL(parsing: "postgresql://u:p%40ss@h/db?sslmode=require")
        #expect(url.password == "p@ss")
        #expect(url.requireTLS)
        #expect(url.port == 5432)
        #expect(url.description == "postgres://u@h:5432/db")
    }

    @Test func hostAndPort() {
        #expect(HostAndPort("[::1]:50051") == HostAndPort(host: "::1", port: 50051))
        #expect(HostAndPort("[::1]:50051")?.description == "[::1]:50051")
        #expect(HostAndPort("localhost:1")?.port == 1)
        #expect(HostAndPort(":50051") == nil)
        #expect(HostAndPort("host:") == nil)
        #expect(HostAndPort("host:65536") == nil)
    }

    /// Secrets mounted as files (a Kubernetes Secret volume): `CONFIG_DIRECTORY` names the
    /// directory, each file one setting; a variable in the environment wins over its file.
    @Test func settingsComeFromFilesInConfigDirectoryToo() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "postgres://inbox_policy:from-file@db.internal:5432/inbox\n".write(
            to: directory.appendingPathComponent("database-url"), atomically: true, encoding: .utf8)
        try String(repeating: "f", count: 40).write(
            to: directory.appendingPathComponent("token-signing-key"), atomically: true, encoding: .utf8)
        try "7\n".write(
            to: directory.appendingPathComponent("shutdown-drain-seconds"), atomically: true, encoding: .utf8)

        let environment = try await Environment.load(variables: [
            "CONFIG_DIRECTORY": directory.path, "SHUTDOWN_DRAIN_SECONDS": "3",
        ])
        let configuration = try ServiceConfiguration.load(.policyService, from: environment)
        #expect(configuration.database.password == "from-file")
        #expect(configuration.tokenKeys == .hmac(String(repeating: "f", count: 40)))
        #expect(configuration.shutdownDrain == .seconds(3))

        await #expect(throws: ConfigurationError.self) {
            try await Environment.load(variables: ["CONFIG_DIRECTORY": directory.appendingPathComponent("missing").path]
            )
        }
    }
}
