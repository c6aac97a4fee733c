import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import Logging
import SwiftProtobuf
import TestSupport
import Testing

@testable import ChannelGateway

/// Access-token expiry (stored, reported) and the delivery worker's X token renewals, against the
/// X fake over real HTTP (`POST /2/oauth2/token` rotates the refresh token as X does).
@Suite("channel-gateway: token expiry and X token renewal")
struct TokenRefreshTests {
    static let account = "2244994945"
    static let client = XOAuthClient(clientID: "x-oauth-client-id", clientSecret: "x-oauth-client-secret")
    static let dmPath = "/2/dm_conversations/with/1500000000000000001/messages"

    static func close(_ timestamp: Google_Protobuf_Timestamp, _ date: Date) -> Bool {
        abs(timestamp.date.timeIntervalSince(date)) < 0.001
    }

    /// Runs `body` with an X fake that has a refresh token, and a gateway whose operator X app is
    /// the fake's confidential client.
    static func withX(
        operatorClient: XOAuthClient? = Self.client, _ body: (GatewayHarness, XAPIFake) async throws -> Void
    ) async throws {
        let fake = try await XAPIFake.start(
            userAccessToken: "x-user-token", accountUserID: Self.account, refreshToken: "x-refresh-0",
            clientID: Self.client.clientID, clientSecret: Self.client.clientSecret)
        try await withFake(fake) { fake in
            var endpoints = OutboundEndpoints()
            endpoints[XOutboundAdapter.api] = PlatformEndpoint(
                baseURL: fake.baseURL, version: XOutboundAdapter.api.production.version)
            try await GatewayHarness.with(outboundEndpoints: endpoints, xOAuthClient: operatorClient) { h in
                try await body(h, fake)
            }
        }
    }

    /// Connects the fake's account with its refresh token; `expiresAt` nil leaves the expiry unknown.
    static func connectX(_ h: GatewayHarness, expiresAt: Date?) async throws -> Inbox_V1_Channel {
        try await h.connect(
            .x, account: Self.account,
            credentials: .with {
                $0.accessToken = "x-user-token"
                $0.refreshToken = "x-refresh-0"
                $0.signingSecret = GatewayHarness.xSecret
                if let expiresAt { $0.accessTokenExpiresAt = Google_Protobuf_Timestamp(date: expiresAt) }
            })
    }

    // MARK: Renewal in the delivery worker

    @Test func anXTokenExpiringInAMinuteIsRenewedBeforeTheSendWhichCarriesTheNewToken() async throws {
        try await Self.withX { h, fake in
            let soon = Date().addingTimeInterval(60)
            let channel = try await Self.connectX(h, expiresAt: soon)
            #expect(Self.close(channel.tokenExpiresAt, soon))
            #expect(channel.configuredCredentials.contains("refresh_token"))

            let queued = try await h.deliver(SendCase.xDirectMessage.request(on: channel))
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .sent, "\(delivery.failureReason): \(delivery.failureDetail)")
            #expect(delivery.attempts == 1)
            let requests = fake.recorder.requests
            #expect(requests.map(\.path) == ["/2/oauth2/token", Self.dmPath])
            let refresh = try #require(requests.first)
            let form = Dictionary(refresh.form, uniquingKeysWith: { first, _ in first })
            #expect(form["grant_type"] == "refresh_token")
            #expect(form["refresh_token"] == "x-refresh-0")
            #expect(form["client_id"] == Self.client.clientID)
            #expect(
                refresh.headers["authorization"]
                    == "Basic " + Data("x-oauth-client-id:x-oauth-client-secret".utf8).base64EncodedString())
            // The send went with the token X issued, not the old one.
            #expect(fake.userAccessToken != "x-user-token")
            #expect(requests.last?.headers["authorization"] == "Bearer \(fake.userAccessToken)")

            // The expiry moved (X answers 7200 s) and health and GetChannel report it.
            let health = try await h.health(channel)
            #expect(health.tokenExpiresAt.date > Date().addingTimeInterval(7000))
            #expect(health.status == .active)
            #expect(health.lastErrorReason == .unspecified)
            let read = try await h.client.getChannel(
                .with { $0.channelID = channel.id }, metadata: GatewayHarness.admin())
            #expect(read.tokenExpiresAt == health.tokenExpiresAt)

            // The new pair is what was stored: the next send uses it, without another renewal.
            let next = try await h.deliver(SendCase.xReply.request(on: channel))
            #expect(try await h.settled(next.id).state == .sent)
            let after = fake.recorder.requests
            #expect(after.map(\.path) == ["/2/oauth2/token", Self.dmPath, "/2/tweets"])
            #expect(after.last?.headers["authorization"] == "Bearer \(fake.userAccessToken)")
        }
    }

    @Test func aTokenFarFromExpiryIsNotRenewed() async throws {
        try await Self.withX { h, fake in
            let later = Date().addingTimeInterval(3600)
            let channel = try await Self.connectX(h, expiresAt: later)
            let queued = try await h.deliver(SendCase.xDirectMessage.request(on: channel))
            #expect(try await h.settled(queued.id).state == .sent)
            #expect(fake.recorder.requests.map(\.path) == [Self.dmPath])
            #expect(fake.recorder.requests.first?.headers["authorization"] == "Bearer x-user-token")
            let health = try await h.health(channel)
            #expect(Self.close(health.tokenExpiresAt, later))
        }
    }

    @Test func aRefusedRefreshTokenFailsTheDeliveryAndMarksTheChannelTokenInvalid() async throws {
        try await Self.withX { h, fake in
            fake.script.enqueue(.tokenError, on: XAPIFake.Endpoint.token)
            let channel = try await Self.connectX(h, expiresAt: Date().addingTimeInterval(60))
            let queued = try await h.deliver(SendCase.xDirectMessage.request(on: channel))
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .failed)
            #expect(delivery.failureReason == .tokenInvalid)
            // Nothing was sent with a token X is about to drop.
            #expect(fake.recorder.requests.map(\.path) == ["/2/oauth2/token"])
            let health = try await h.health(channel)
            #expect(health.status == .tokenInvalid)
            #expect(health.lastErrorReason == .tokenInvalid)
            #expect(health.lastError.contains("refresh token"))
            let next = await refusal { _ = try await h.deliver(SendCase.xDirectMessage.request(on: channel)) }
            #expect(next?.reason == "CHANNEL_TOKEN_INVALID")
        }
    }

    @Test func aTokenXRefusesIsRenewedOnceAndTheMessageSentAgain() async throws {
        try await Self.withX { h, fake in
            // The expiry is not known: the token is used until X refuses it.
            let channel = try await Self.connectX(h, expiresAt: nil)
            #expect(!channel.hasTokenExpiresAt)
            fake.expireAccessToken()
            let queued = try await h.deliver(SendCase.xDirectMessage.request(on: channel))
            let delivery = try await h.settled(queued.id)
            #expect(delivery.state == .sent, "\(delivery.failureReason): \(delivery.failureDetail)")
            #expect(delivery.attempts == 1)
            let requests = fake.recorder.requests
            #expect(requests.map(\.path) == [Self.dmPath, "/2/oauth2/token", Self.dmPath])
            #expect(requests.first?.headers["authorization"] == "Bearer x-user-token")
            #expect(requests.last?.headers["authorization"] == "Bearer \(fake.userAccessToken)")
            let health = try await h.health(channel)
            #expect(health.status == .active)
            #expect(health.hasTokenExpiresAt)
        }
    }

    @Test func withoutAnOAuthClientTheTokenIsUsedUntilXRefusesIt() async throws {
        try await Self.withX(operatorClient: nil) { h, fake in
            let channel = try await Self.connectX(h, expiresAt: Date().addingTimeInterval(60))
            let queued = try await h.deliver(SendCase.xDirectMessage.request(on: channel))
            #expect(try await h.settled(queued.id).state == .sent)
            #expect(fake.recorder.requests.map(\.path) == [Self.dmPath])
            #expect(fake.recorder.requests.first?.headers["authorization"] == "Bearer x-user-token")
        }
    }

    @Test func concurrentRenewalsOfOneChannelAskXOnceAndAllGetTheNewToken() async throws {
        try await Self.withX { h, fake in
            let channel = try await Self.connectX(h, expiresAt: Date().addingTimeInterval(60))
            let id = try #require(UUID(uuidString: channel.id))
            let refresher = XTokenRefresher(
                channels: ChannelRepository(client: h.database, logger: Logger(label: "test")),
                box: ChannelSecretsBox(current: GatewayHarness.key), http: PlatformHTTPClient(client: .shared),
                adapter: XOutboundAdapter(
                    endpoint: PlatformEndpoint(baseURL: fake.baseURL, version: XOutboundAdapter.api.production.version)),
                operatorClient: Self.client, logger: Logger(label: "test"), now: { Date() })
            // What each worker read before any renewal: the old pair, about to expire.
            let stale = XCredentials(
                userAccessToken: "x-user-token", refreshToken: "x-refresh-0", expiresAt: Date().addingTimeInterval(60))
            let tokens = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        guard
                            case .credentials(let renewed) = await refresher.credentials(channelID: id, current: stale)
                        else { return nil }
                        return renewed.userAccessToken
                    }
                }
                var tokens: [String?] = []
                for await token in group { tokens.append(token) }
                return tokens
            }
            // One refresh token, spent once: the others read what the first stored.
            #expect(fake.recorder.requests.filter { $0.path == "/2/oauth2/token" }.count == 1)
            #expect(tokens.count == 5)
            #expect(Set(tokens) == [fake.userAccessToken])
            #expect(fake.refreshToken != "x-refresh-0")
        }
    }

    // MARK: Stored and reported expiry

    @Test func rotatingCredentialsReplacesTheExpiryWithTheTokenAndAnExpiredTokenIsTheLastError() async throws {
        try await GatewayHarness.with(outboundEndpoints: OutboundFake.nowhere) { h in
            let inAMonth = Date().addingTimeInterval(30 * 86_400)
            let linkedIn = try await h.connect(
                .linkedin, account: "urn:li:organization:96072893",
                credentials: .with {
                    $0.accessToken = "li-token"
                    $0.signingSecret = GatewayHarness.linkedInSecret
                    $0.accessTokenExpiresAt = Google_Protobuf_Timestamp(date: inAMonth)
                })
            #expect(Self.close(linkedIn.tokenExpiresAt, inAMonth))
            var health = try await h.health(linkedIn)
            #expect(Self.close(health.tokenExpiresAt, inAMonth))
            #expect(health.lastErrorReason == .unspecified)

            func rotate(_ paths: [String], _ configure: (inout Inbox_V1_ChannelCredentials) -> Void) async throws
                -> Inbox_V1_Channel
            {
                try await h.client.rotateChannelCredentials(
                    .with {
                        $0.channelID = linkedIn.id
                        configure(&$0.credentials)
                        $0.updateMask = .with { $0.paths = paths }
                    }, metadata: GatewayHarness.admin())
            }
            // Another field: the expiry stays.
            let signing = try await rotate(["signing_secret"]) { $0.signingSecret = "new-secret" }
            #expect(Self.close(signing.tokenExpiresAt, inAMonth))
            // A new token without an expiry: none is known any more.
            let unknown = try await rotate(["access_token"]) { $0.accessToken = "li-token-2" }
            #expect(!unknown.hasTokenExpiresAt)
            // The expiry alone, already past: the token cannot be renewed, so health says so.
            let past = Date().addingTimeInterval(-60)
            let expired = try await rotate([ChannelSecrets.expiryField]) {
                $0.accessTokenExpiresAt = Google_Protobuf_Timestamp(date: past)
            }
            #expect(Self.close(expired.tokenExpiresAt, past))
            #expect(expired.configuredCredentials == ["access_token", "signing_secret"])
            health = try await h.health(linkedIn)
            #expect(Self.close(health.tokenExpiresAt, past))
            #expect(health.lastErrorReason == .tokenInvalid)
            #expect(health.lastError.contains("expired"))
            #expect(Self.close(health.lastErrorAt, past))

            // An X token past its expiry that the gateway can renew is no error.
            let x = try await h.connect(
                .x, account: Self.account,
                credentials: .with {
                    $0.accessToken = "x-user-token"
                    $0.refreshToken = "x-refresh-0"
                    $0.appID = "the-organisations-own-x-app"
                    $0.signingSecret = GatewayHarness.xSecret
                    $0.accessTokenExpiresAt = Google_Protobuf_Timestamp(date: past)
                })
            let xHealth = try await h.health(x)
            #expect(Self.close(xHealth.tokenExpiresAt, past))
            #expect(xHealth.lastErrorReason == .unspecified)
            #expect(xHealth.lastError.isEmpty)
            // An unknown mask path is still refused.
            let refused = await refusal { _ = try await rotate(["expires_at"]) { _ in } }
            #expect(refused?.field == "update_mask")
        }
    }

    @Test func theOperatorsXOAuthClientIsReadFromItsOwnVariables() throws {
        #expect(try GatewayConfiguration.xOAuthClient(from: InboxKit.Environment([:])) == nil)
        #expect(
            try GatewayConfiguration.xOAuthClient(from: InboxKit.Environment(["X_OAUTH_CLIENT_ID": "id-1"]))
                == XOAuthClient(clientID: "id-1"))
        #expect(
            try GatewayConfiguration.xOAuthClient(
                from: InboxKit.Environment(["X_OAUTH_CLIENT_ID": "id-1", "X_OAUTH_CLIENT_SECRET": "s-1"]))
                == XOAuthClient(clientID: "id-1", clientSecret: "s-1"))
        #expect(
            throws: ConfigurationError(
                variable: "X_OAUTH_CLIENT_ID", problem: "is required when X_OAUTH_CLIENT_SECRET is set")
        ) {
            try GatewayConfiguration.xOAuthClient(from: InboxKit.Environment(["X_OAUTH_CLIENT_SECRET": "s-1"]))
        }
        // The webhook-signing consumer secret is not the OAuth client.
        #expect(
            try GatewayConfiguration.xOAuthClient(
                from: InboxKit.Environment(["X_APP_ID": "app", "X_APP_SECRET": "consumer-secret"])) == nil)
    }

    @Test func secretsSealedBeforeTheRefreshTokenExistedStillOpen() throws {
        let old = Data(
            #"{"accessToken":"a","signingSecret":"s","verifyToken":"v","encodingAESKey":"","appID":"id","appSecret":""}"#
                .utf8)
        let opened = try JSONDecoder().decode(ChannelSecrets.self, from: old)
        #expect(opened.accessToken == "a")
        #expect(opened.signingSecret == "s")
        #expect(opened.verifyToken == "v")
        #expect(opened.appID == "id")
        #expect(opened.refreshToken.isEmpty)
        #expect(opened.configured == ["access_token", "signing_secret", "verify_token", "app_id"])

        var secrets = opened
        secrets["refresh_token"] = "r"
        let box = ChannelSecretsBox(current: GatewayHarness.key)
        let sealed = try box.seal(secrets)
        let reopened = try box.open(keyID: sealed.keyID, ciphertext: sealed.ciphertext)
        #expect(reopened == secrets)
        #expect(reopened.refreshToken == "r")
        #expect(reopened.xCredentials(expiresAt: nil).refreshToken == "r")
        #expect(ChannelSecrets().xCredentials(expiresAt: nil).refreshToken == nil)
    }
}
