import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InboxAPI
import InboxKit
import TestSupport
import Testing

/// The four executables with mutual TLS between them (`GRPC_TLS_CERT`, `GRPC_TLS_KEY`,
/// `GRPC_TLS_CA`), certificates made with the `openssl` command for each run: the services
/// serve and call each other over mTLS, and a client without a certificate the CA signed — or
/// without TLS at all — is refused.
@Suite("The whole stack over mutual TLS")
struct TLSStackTests {
    @Test func theServicesTalkOverMutualTLSAndRefuseClientsWithoutACertificate() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let botToken = "123456:TEST-bot-token"
        let secretToken = "tg-secret-token"
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await withTestDatabase { database in
                // One certificate for all four, as each one's server and client identity (a
                // deployment may give each service its own, signed by the same CA).
                var extra: [InboxService: [String: String]] = [:]
                for service in InboxService.allCases { extra[service] = certificates.serviceVariables }
                var stack = try StackTests().startStack(database, extra: extra)
                stack.tls = certificates.client
                for service in InboxService.allCases {
                    let status = try await stack.waitUntilServing(service, timeout: .seconds(60))
                    #expect(status == .serving, "\(service.rawValue): \(stack.processes[service]!.output)")
                }

                let operatorToken = try await TestTokens.metadata(.operator, organization: nil)
                let enterprise = try await stack.withClient(.policyService) { client in
                    try await Inbox_V1_PolicyService.Client(wrapping: client).createOrganization(
                        .with {
                            $0.name = "Shop"
                            $0.plan = .enterprise
                        }, metadata: operatorToken)
                }
                let standard = try await stack.withClient(.policyService) { client in
                    try await Inbox_V1_PolicyService.Client(wrapping: client).createOrganization(
                        .with {
                            $0.name = "Corner shop"
                            $0.plan = .standard
                        }, metadata: operatorToken)
                }

                // The gateway asks policy-service, over mutual TLS, whether each plan allows
                // Telegram: the enterprise one does, the standard one does not. Both answers are
                // policy's, so the peer call went through.
                let connect = Inbox_V1_ConnectChannelRequest.with {
                    $0.platform = .telegram
                    $0.externalAccountID = "shop_bot"
                    $0.credentials = .with {
                        $0.accessToken = botToken
                        $0.verifyToken = secretToken
                    }
                    $0.idempotencyKey = "connect-shop-bot"
                }
                let enterpriseAdmin = try await TestTokens.metadata(.admin, organization: enterprise.id)
                let channel = try await stack.withClient(.channelGateway) { client in
                    let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
                    return try await retryingUnavailable {
                        try await gateway.connectChannel(connect, metadata: enterpriseAdmin)
                    }
                }
                #expect(channel.platform == .telegram)
                let standardAdmin = try await TestTokens.metadata(.admin, organization: standard.id)
                let refusedPlan = try await stack.withClient(.channelGateway) { client in
                    let gateway = Inbox_V1_ChannelGatewayService.Client(wrapping: client)
                    return try await rpcFailure {
                        try await retryingUnavailable {
                            try await gateway.connectChannel(connect, metadata: standardAdmin)
                        }
                    }
                }
                #expect(refusedPlan?.code == .failedPrecondition, "\(String(describing: refusedPlan))")

                // A customer writes on Telegram: the gateway relays the event to
                // conversation-service (which asks policy whether to deliver it), over mutual TLS.
                let update = WebhookPayloads.telegramMessage(
                    updateID: 900_201, messageID: 61, chatID: 777_000_333, firstName: "Léa", username: "lea",
                    text: "Bonjour, où est ma commande ?", date: Int64(Date().timeIntervalSince1970))
                let (posted, _) = try await WebhookPoster(client: http).post(
                    TelegramWebhookSigner.signed(
                        update, url: "http://127.0.0.1:\(stack.httpPort)\(channel.webhookPath)",
                        secretToken: secretToken))
                #expect(posted == 200)
                let agent = try await TestTokens.metadata(.agent, organization: enterprise.id)
                let conversation = try await stack.withClient(.conversationService) {
                    client -> Inbox_V1_Conversation? in
                    let conversations = Inbox_V1_ConversationService.Client(wrapping: client)
                    let deadline = ContinuousClock.now + .seconds(30)
                    while ContinuousClock.now < deadline {
                        let page = try await conversations.listConversations(
                            .with { $0.pageSize = 10 }, metadata: agent)
                        if let first = page.conversations.first { return first }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return nil
                }
                let found = try #require(conversation, "\(stack.processes[.channelGateway]!.output.suffix(3000))")
                #expect(found.channelID == channel.id)

                // The same call with the client's certificate succeeds; with the CA but no
                // certificate, with a certificate another CA signed, or in plaintext, it is
                // refused: the connection never opens, so the call is UNAVAILABLE.
                let get = Inbox_V1_GetOrganizationRequest.with { $0.organizationID = enterprise.id }
                var options = CallOptions.defaults
                options.timeout = .seconds(10)
                options.waitForReady = false
                let shown = try await stack.withClient(.policyService) { client in
                    try await Inbox_V1_PolicyService.Client(wrapping: client).getOrganization(
                        get, metadata: operatorToken, options: options)
                }
                #expect(shown.name == "Shop")
                let refusedClients: [(String, GRPCClientTLS?)] = [
                    ("the CA but no certificate", certificates.clientWithoutCertificate),
                    ("a certificate another CA signed", certificates.stranger),
                    ("plaintext", nil),
                ]
                for (name, tls) in refusedClients {
                    let refused = try await stack.withClient(.policyService, tls: tls) { client in
                        try await rpcFailure {
                            try await Inbox_V1_PolicyService.Client(wrapping: client).getOrganization(
                                get, metadata: operatorToken, options: options)
                        }
                    }
                    #expect(refused?.code == .unavailable, "\(name): \(String(describing: refused))")
                }

                // inboxctl takes the same certificates as options; without them it is refused too.
                let ctl = InboxCtlRunner(stack)
                let policyAddress = "127.0.0.1:\(stack.ports[.policyService]!)"
                let healthy = try await ctl.run(["health", "--addr", policyAddress] + certificates.clientOptions)
                #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
                #expect(healthy.stdout.contains("SERVING"), "\(healthy.stdout)")
                let plaintextHealth = try await ctl.run(["health", "--addr", policyAddress])
                #expect(plaintextHealth.status == 1, "\(plaintextHealth.stdout)\(plaintextHealth.stderr)")
                let operatorJWT = try await TestTokens.token(.operator, organization: nil)
                let showJSON = try await ctl.run(
                    ["org", "show", enterprise.id, "--json"] + certificates.clientOptions, token: operatorJWT)
                #expect(showJSON.status == 0, "\(showJSON.stderr)")
                #expect(showJSON.stdout.contains(enterprise.id), "\(showJSON.stdout)")
                let withoutCertificate = try await ctl.run(
                    ["org", "show", enterprise.id, "--tls-ca", certificates.authority, "--timeout", "10"],
                    token: operatorJWT)
                #expect(withoutCertificate.status == 1, "\(withoutCertificate.stdout)")
                #expect(
                    withoutCertificate.stderr.contains("could not reach policy-service"), "\(withoutCertificate.stderr)"
                )

                for process in stack.processes.values { process.terminate() }
                for (service, process) in stack.processes {
                    let status = await process.waitForExit(timeout: .seconds(20))
                    #expect(status == 0, "\(service.rawValue) exit: \(String(describing: status)) \(process.output)")
                }
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// Half a TLS configuration, or a file that is not there, stops the service at start-up with
    /// the one line naming the variable (exit status 2), before it touches the database.
    @Test func incompleteTLSSettingsStopTheServiceNamingTheVariable() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let base = [
            "TOKEN_SIGNING_KEY": TestTokens.signingKey, "DATABASE_URL": "postgres://u:p@127.0.0.1:1/db",
            "GRPC_HOST": "127.0.0.1", "GRPC_PORT": "\(try freePort())",
        ]
        let certificateOnly = try ServiceProcess(
            product: "policy-service",
            environment: base.merging(["GRPC_TLS_CERT": certificates.serviceCertificate]) { _, new in new })
        #expect(await certificateOnly.waitForExit(timeout: .seconds(10)) == 2)
        #expect(
            certificateOnly.output
                == "policy-service: configuration error: GRPC_TLS_KEY: is required with GRPC_TLS_CERT (the PEM "
                + "private key of its certificate)\n")

        let missing = certificates.directory.appendingPathComponent("missing-ca.pem").path
        var missingCA = certificates.serviceVariables
        missingCA["GRPC_TLS_CA"] = missing
        let missingAuthority = try ServiceProcess(
            product: "policy-service", environment: base.merging(missingCA) { _, new in new })
        #expect(await missingAuthority.waitForExit(timeout: .seconds(10)) == 2)
        #expect(
            missingAuthority.output.contains("configuration error: GRPC_TLS_CA: cannot be read: \(missing)"),
            "\(missingAuthority.output)")
    }
}

/// A certificate authority, the services' certificate (SANs 127.0.0.1 and localhost, for server
/// and client use), a client's certificate, and a second CA with a client certificate of its own,
/// made with the `openssl` command in a fresh temporary directory.
struct TestCertificates {
    let directory: URL

    func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

    var authority: String { self.path("ca.pem") }
    var serviceCertificate: String { self.path("service.pem") }
    var serviceKey: String { self.path("service-key.pem") }

    /// What each service is started with.
    var serviceVariables: [String: String] {
        ["GRPC_TLS_CERT": self.serviceCertificate, "GRPC_TLS_KEY": self.serviceKey, "GRPC_TLS_CA": self.authority]
    }

    /// The test's own client: the CA, and a client certificate it signed.
    var client: GRPCClientTLS {
        GRPCClientTLS(
            identity: TLSIdentity(
                certificateChainPath: self.path("client.pem"), privateKeyPath: self.path("client-key.pem")),
            certificateAuthorityPath: self.authority)
    }

    /// The same, as inboxctl's options.
    var clientOptions: [String] {
        ["--tls-ca", self.authority, "--tls-cert", self.path("client.pem"), "--tls-key", self.path("client-key.pem")]
    }

    /// Trusts the servers, presents nothing.
    var clientWithoutCertificate: GRPCClientTLS { GRPCClientTLS(certificateAuthorityPath: self.authority) }

    /// Trusts the servers, presents a certificate the services' CA did not sign.
    var stranger: GRPCClientTLS {
        GRPCClientTLS(
            identity: TLSIdentity(
                certificateChainPath: self.path("stranger.pem"), privateKeyPath: self.path("stranger-key.pem")),
            certificateAuthorityPath: self.authority)
    }

    static func make() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        do {
            try certificates.write(
                "openssl.cnf",
                """
                [req]
                distinguished_name = dn
                prompt = no
                [dn]
                CN = unused
                [authority]
                basicConstraints = critical, CA:TRUE
                keyUsage = critical, keyCertSign, cRLSign
                subjectKeyIdentifier = hash
                """)
            try certificates.write(
                "service.ext",
                """
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature
                extendedKeyUsage = serverAuth, clientAuth
                subjectAltName = IP:127.0.0.1, DNS:localhost
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid
                """)
            try certificates.write(
                "client.ext",
                """
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature
                extendedKeyUsage = clientAuth
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid
                """)
            try certificates.authority("ca", subject: "/CN=Social Inbox test CA")
            try certificates.authority("other-ca", subject: "/CN=Another test CA")
            try certificates.leaf("service", subject: "/CN=social-inbox-service", authority: "ca", serial: 2)
            try certificates.leaf(
                "client", subject: "/CN=inbox-test-client", authority: "ca", extensions: "client.ext", serial: 3)
            try certificates.leaf(
                "stranger", subject: "/CN=stranger", authority: "other-ca", extensions: "client.ext", serial: 4)
        } catch {
            certificates.remove()
            throw error
        }
        return certificates
    }

    func remove() {
        try? FileManager.default.removeItem(at: self.directory)
    }

    private func write(_ name: String, _ text: String) throws {
        try (text + "\n").write(to: self.directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// A self-signed CA: `<name>.pem` and `<name>-key.pem` (EC P-256).
    private func authority(_ name: String, subject: String) throws {
        try self.openssl([
            "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "\(name)-key.pem", "-out", "\(name).pem", "-days", "2", "-subj", subject,
            "-config", "openssl.cnf", "-extensions", "authority",
        ])
    }

    /// A certificate `authority` signed: `<name>.pem` and `<name>-key.pem`.
    private func leaf(
        _ name: String, subject: String, authority: String, extensions: String = "service.ext", serial: Int
    ) throws {
        try self.openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "\(name)-key.pem", "-out", "\(name).csr", "-subj", subject, "-config", "openssl.cnf",
        ])
        try self.openssl([
            "x509", "-req", "-in", "\(name).csr", "-CA", "\(authority).pem", "-CAkey", "\(authority)-key.pem",
            "-set_serial", "\(serial)", "-days", "2", "-out", "\(name).pem", "-extfile", extensions,
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = self.directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // openssl says a few lines at most: the pipe holds them until it exits.
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw TestDatabaseError(
                "openssl \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(output)")
        }
    }
}

/// `body`, again every 200 ms for up to 30 s while it fails with UNAVAILABLE (a service's
/// connection to a peer may still be backing off right after the stack's start-up).
private func retryingUnavailable<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    let deadline = ContinuousClock.now + .seconds(30)
    while true {
        do {
            return try await body()
        } catch let error as RPCError where error.code == .unavailable && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// The RPC error `body` fails with, or nil when it succeeds; any other error is thrown.
private func rpcFailure<T: Sendable>(_ body: () async throws -> T) async throws -> RPCError? {
    do {
        _ = try await body()
        return nil
    } catch let error as RPCError {
        return error
    }
}
