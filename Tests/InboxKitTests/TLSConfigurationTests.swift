import Foundation
import InboxKit
import Testing

/// `GRPC_TLS_*` as a service reads them (plaintext, TLS, mutual TLS, and every half-done
/// combination refused naming its variable) and as `inboxctl` reads them with its options.
@Suite("TLS settings from the environment")
struct TLSConfigurationTests {
    /// Files that look like what the variables name: the configuration only checks that each
    /// reads and holds a PEM block of its kind (the transport parses them).
    struct Files {
        let directory: URL

        init() throws {
            self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-config-\(UUID())")
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
            try self.write("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
            try self.write("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n")
            try self.write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n")
            try self.write(
                "encrypted-key.pem",
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIHs\n-----END ENCRYPTED PRIVATE KEY-----\n")
        }

        func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

        func write(_ name: String, _ text: String) throws {
            try text.write(to: self.directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(at: self.directory) }
    }

    func load(_ values: [String: String]) throws -> GRPCTLSSettings? {
        try GRPCTLSSettings.load(from: Environment(values))
    }

    func failure(_ values: [String: String]) -> ConfigurationError? {
        do {
            _ = try self.load(values)
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            return nil
        }
    }

    @Test func noVariablesIsPlaintextAndTheServiceConfigurationSaysSo() throws {
        #expect(try self.load([:]) == nil)
        let configuration = try ServiceConfiguration.load(
            .policyService,
            from: Environment([
                "DATABASE_URL": "postgres://inbox_policy:secret@db.internal/inbox",
                "TOKEN_SIGNING_KEY": String(repeating: "k", count: 32),
            ]))
        #expect(configuration.tls == nil)
    }

    @Test func certificateAndKeyAreTLSAndTheCAMakesItMutual() throws {
        let files = try Files()
        defer { files.remove() }
        let identity = TLSIdentity(certificateChainPath: files.path("cert.pem"), privateKeyPath: files.path("key.pem"))

        let tls = try #require(
            try self.load(["GRPC_TLS_CERT": files.path("cert.pem"), "GRPC_TLS_KEY": files.path("key.pem")]))
        #expect(tls.identity == identity)
        #expect(!tls.isMutual)
        // Its peer clients present the same identity and verify against the system's roots.
        #expect(tls.client == GRPCClientTLS(identity: identity, certificateAuthorityPath: nil, serverName: nil))

        let mutual = try #require(
            try self.load([
                "GRPC_TLS_CERT": files.path("cert.pem"), "GRPC_TLS_KEY": files.path("key.pem"),
                "GRPC_TLS_CA": files.path("ca.pem"), "GRPC_TLS_SERVER_NAME": "inbox.internal",
            ]))
        #expect(mutual.isMutual)
        #expect(
            mutual.client
                == GRPCClientTLS(
                    identity: identity, certificateAuthorityPath: files.path("ca.pem"), serverName: "inbox.internal"))

        let configuration = try ServiceConfiguration.load(
            .conversationService,
            from: Environment([
                "DATABASE_URL": "postgres://inbox_conversations:secret@db.internal/inbox",
                "TOKEN_SIGNING_KEY": String(repeating: "k", count: 32),
                "GRPC_TLS_CERT": files.path("cert.pem"), "GRPC_TLS_KEY": files.path("key.pem"),
                "GRPC_TLS_CA": files.path("ca.pem"),
            ]))
        #expect(configuration.tls?.isMutual == true)
    }

    @Test func halfAConfigurationNamesWhatIsMissing() throws {
        let files = try Files()
        defer { files.remove() }
        let certificate = files.path("cert.pem")
        let key = files.path("key.pem")
        let authority = files.path("ca.pem")

        let noKey = self.failure(["GRPC_TLS_CERT": certificate, "GRPC_TLS_CA": authority])
        #expect(noKey?.variable == "GRPC_TLS_KEY")
        #expect(noKey?.problem.contains("GRPC_TLS_CERT") == true)
        #expect(self.failure(["GRPC_TLS_KEY": key])?.variable == "GRPC_TLS_CERT")
        #expect(self.failure(["GRPC_TLS_CA": authority])?.variable == "GRPC_TLS_CA")
        #expect(self.failure(["GRPC_TLS_SERVER_NAME": "inbox.internal"])?.variable == "GRPC_TLS_SERVER_NAME")
    }

    @Test func aFileThatIsMissingOrOfTheWrongKindNamesItsVariable() throws {
        let files = try Files()
        defer { files.remove() }
        let certificate = files.path("cert.pem")
        let key = files.path("key.pem")
        let missing = files.path("nowhere.pem")

        let absent = self.failure(["GRPC_TLS_CERT": missing, "GRPC_TLS_KEY": key])
        #expect(absent?.variable == "GRPC_TLS_CERT")
        #expect(absent?.problem.contains(missing) == true)
        #expect(absent?.description.contains("\n") == false)
        #expect(
            self.failure(["GRPC_TLS_CERT": certificate, "GRPC_TLS_KEY": key, "GRPC_TLS_CA": missing])?.variable
                == "GRPC_TLS_CA")
        // The key where the certificate goes, and the other way round.
        #expect(self.failure(["GRPC_TLS_CERT": key, "GRPC_TLS_KEY": key])?.variable == "GRPC_TLS_CERT")
        #expect(self.failure(["GRPC_TLS_CERT": certificate, "GRPC_TLS_KEY": certificate])?.variable == "GRPC_TLS_KEY")
        let encrypted = self.failure(["GRPC_TLS_CERT": certificate, "GRPC_TLS_KEY": files.path("encrypted-key.pem")])
        #expect(encrypted?.variable == "GRPC_TLS_KEY")
        #expect(encrypted?.problem.contains("encrypted") == true)
        // A directory is not a file.
        #expect(
            self.failure(["GRPC_TLS_CERT": files.directory.path, "GRPC_TLS_KEY": key])?.variable == "GRPC_TLS_CERT")
    }

    @Test(arguments: ["10.0.0.7", "::1", "inbox.internal:443", "-bad name", ".internal"])
    func aServerNameMustBeADNSName(name: String) throws {
        let files = try Files()
        defer { files.remove() }
        let error = self.failure([
            "GRPC_TLS_CERT": files.path("cert.pem"), "GRPC_TLS_KEY": files.path("key.pem"),
            "GRPC_TLS_SERVER_NAME": name,
        ])
        #expect(error?.variable == "GRPC_TLS_SERVER_NAME", "\(name)")
    }

    @Test func inboxctlMayTrustACAWithoutACertificateAndItsOptionsWin() throws {
        let files = try Files()
        defer { files.remove() }
        let environment = Environment(["GRPC_TLS_CA": files.path("ca.pem")])

        #expect(try GRPCClientTLS.load(from: Environment([:])) == nil)
        #expect(
            try GRPCClientTLS.load(from: environment) == GRPCClientTLS(certificateAuthorityPath: files.path("ca.pem")))
        // --tls alone: the system's roots.
        #expect(try GRPCClientTLS.load(from: Environment([:]), enabled: true) == GRPCClientTLS())

        let options: [String: (option: String, value: String?)] = [
            "GRPC_TLS_CA": ("--tls-ca", files.path("other-ca.pem")),
            "GRPC_TLS_CERT": ("--tls-cert", files.path("cert.pem")),
            "GRPC_TLS_KEY": ("--tls-key", nil),
        ]
        let withKey = Environment(["GRPC_TLS_CA": files.path("ca.pem"), "GRPC_TLS_KEY": files.path("key.pem")])
        // The option's CA wins over the variable's: while its file is missing, the error names the option.
        do {
            _ = try GRPCClientTLS.load(from: withKey, options: options)
            Issue.record("a CA file that does not exist was accepted")
        } catch let error as ConfigurationError {
            #expect(error.variable == "--tls-ca")
        }
        try files.write("other-ca.pem", "-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n")
        let loaded = try GRPCClientTLS.load(from: withKey, options: options)
        #expect(
            loaded
                == GRPCClientTLS(
                    identity: TLSIdentity(
                        certificateChainPath: files.path("cert.pem"), privateKeyPath: files.path("key.pem")),
                    certificateAuthorityPath: files.path("other-ca.pem")))
        // --tls-cert without a key from either source names the option to add.
        do {
            _ = try GRPCClientTLS.load(from: environment, options: options)
            Issue.record("a certificate without its key was accepted")
        } catch let error as ConfigurationError {
            #expect(error.variable == "--tls-key")
        }
    }
}
