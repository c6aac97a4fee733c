import Crypto
import GRPCCore
import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `inbox.v1.ChannelGatewayService` handlers: channel accounts here, the inbound log in
/// `GatewayRPC+Inbound.swift`, outbound deliveries in `GatewayRPC+Outbound.swift`.
struct GatewayRPC: Inbox_V1_ChannelGatewayService.SimpleServiceProtocol {
    let channels: ChannelRepository
    let secrets: ChannelSecretsBox
    let plans: any PlanCheck
    let inbound: InboundOperations
    let outbound: OutboundOperations
    let now: @Sendable () -> Date

    // MARK: Channel accounts

    func connectChannel(request: Inbox_V1_ConnectChannelRequest, context: ServerContext) async throws
        -> Inbox_V1_Channel
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator)
        let organization = try caller.organization(requested: "")
        let platform = try Platform(proto: request.platform, field: "platform")
        let id = UUID()
        var account = request.externalAccountID.trimmingCharacters(in: .whitespaces)
        var settings = request.settings
        var secrets = ChannelSecrets(proto: request.credentials)
        if platform == .webChat {
            guard request.hasWebChat else {
                throw DomainError.invalidArgument(
                    "web_chat (allowed origins, greeting, ...) is required for a web-chat channel", field: "web_chat")
            }
            let widget = try WebChatSettings(proto: request.webChat, field: "web_chat")
            settings = settings.filter { !$0.key.hasPrefix(WebChatSettings.keyPrefix) }
                .merging(widget.settingsEntries) { _, ours in ours }
            // The widget has no account on any platform: the channel's own id names it.
            if account.isEmpty { account = id.text }
            // The key that signs the channel's visitor tokens.
            if secrets.signingSecret.isEmpty { secrets.signingSecret = VisitorToken.newKey() }
        } else if request.hasWebChat {
            throw DomainError.invalidArgument("web_chat is only for PLATFORM_WEB_CHAT", field: "web_chat")
        }
        guard (1...200).contains(account.count) else {
            throw DomainError.invalidArgument(
                "external_account_id must be 1 to 200 characters", field: "external_account_id")
        }
        guard request.displayName.count <= 200 else {
            throw DomainError.invalidArgument("display_name must be at most 200 characters", field: "display_name")
        }
        for field in ChannelSecrets.required(for: platform) where secrets[field].isEmpty {
            throw DomainError.invalidArgument(
                "credentials.\(field) is required for \(platform.rawValue)", field: "credentials.\(field)")
        }
        guard try await self.plans.allows(organizationID: organization, platform: request.platform) else {
            throw DomainError.failedPrecondition(
                "the organisation's plan does not include \(platform.rawValue); move to the enterprise plan",
                reason: .planDoesNotAllowPlatform, metadata: ["platform": platform.rawValue])
        }
        let now = self.now()
        let channel = ChannelAccount(
            id: id, organizationID: organization, platform: platform, externalAccountID: account,
            displayName: request.displayName, status: .active, settings: settings,
            instagramMessageRequestsEnabled: request.instagramMessageRequestsEnabled,
            configuredCredentials: secrets.configured, createdAt: now, updatedAt: now,
            tokenExpiresAt: request.credentials.accessTokenExpiry)
        var unkeyed = request
        unkeyed.idempotencyKey = ""
        let key = request.idempotencyKey.isEmpty ? nil : request.idempotencyKey
        guard (key?.utf8.count ?? 0) <= 128 else {
            throw DomainError.invalidArgument(
                "idempotency_key must be at most 128 characters", field: "idempotency_key")
        }
        let bytes: [UInt8] = try unkeyed.serializedBytes()
        let stored = try await self.channels.insert(
            channel, sealed: try self.secrets.seal(secrets), idempotencyKey: key,
            fingerprint: Data(SHA256.hash(data: bytes)).base64EncodedString())
        self.inbound.directory.invalidate()
        // Entries that arrived for this account before it was connected (UNROUTED) are its now.
        do {
            if try await self.inbound.log.reroute(platform: stored.platform, accountID: stored.externalAccountID) > 0 {
                self.inbound.relaySignal.wake()
            }
        } catch {
            // The maintenance round routes them later; the connection itself is done.
        }
        return self.present(stored)
    }

    /// A channel as the RPCs return it; a web-chat channel with its snippet, which names the
    /// gateway's public base URL.
    func present(_ channel: ChannelAccount) -> Inbox_V1_Channel {
        var proto = channel.proto
        if channel.platform == .webChat {
            proto.webChat = WebChatSettings(settings: channel.settings).proto
            proto.webChatSnippet = WebChatSettings.snippet(
                channelID: channel.id, publicBaseURL: self.outbound.publicBaseURL)
        }
        return proto
    }

    func getChannel(request: Inbox_V1_GetChannelRequest, context: ServerContext) async throws -> Inbox_V1_Channel {
        let organization = try Caller.authenticated().organization(requested: "")
        return self.present(try await self.channel(request.channelID, organization))
    }

    func listChannels(request: Inbox_V1_ListChannelsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListChannelsResponse
    {
        let organization = try Caller.authenticated().organization(requested: "")
        var platforms: [Platform] = []
        for (index, platform) in request.platforms.enumerated() {
            platforms.append(try Platform(proto: platform, field: "platforms[\(index)]"))
        }
        let size = try PageToken.pageSize(request.pageSize)
        let page = try await self.channels.channels(
            organizationID: organization, platforms: platforms, includeDisconnected: request.includeDisconnected,
            after: try ChannelPageToken.decode(request.pageToken), limit: size + 1)
        return .with {
            $0.channels = page.prefix(size).map(self.present)
            if page.count > size, let last = page.prefix(size).last { $0.nextPageToken = ChannelPageToken.encode(last) }
        }
    }

    func disconnectChannel(request: Inbox_V1_DisconnectChannelRequest, context: ServerContext) async throws
        -> Inbox_V1_Channel
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator)
        let organization = try caller.organization(requested: "")
        let id = try Self.channelID(request.channelID)
        guard let channel = try await self.channels.disconnect(id, organizationID: organization, at: self.now()) else {
            throw DomainError.notFound("channel \(request.channelID) not found", resource: "channel")
        }
        self.inbound.directory.invalidate()
        return self.present(channel)
    }

    func rotateChannelCredentials(request: Inbox_V1_RotateChannelCredentialsRequest, context: ServerContext)
        async throws -> Inbox_V1_Channel
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator)
        let organization = try caller.organization(requested: "")
        let channel = try await self.channel(request.channelID, organization)
        guard channel.status != .disconnected else {
            throw DomainError.failedPrecondition(
                "channel \(request.channelID) is disconnected; connect it again", reason: .channelDisconnected)
        }
        let given = ChannelSecrets(proto: request.credentials)
        var secrets = given
        // A new access token comes with its own expiry (unset: none, or unknown); the expiry alone
        // may be corrected with its own path.
        var expiresAt = request.credentials.accessTokenExpiry
        if !request.updateMask.paths.isEmpty {
            // Only the named fields change; the others keep their sealed values.
            guard let sealed = try await self.channels.sealedSecrets(channel.id, organizationID: organization) else {
                throw DomainError.notFound("channel \(request.channelID) not found", resource: "channel")
            }
            secrets = try self.secrets.open(keyID: sealed.keyID, ciphertext: sealed.ciphertext)
            let paths = request.updateMask.paths
            for path in paths where path != ChannelSecrets.expiryField {
                guard ChannelSecrets.fields.contains(path) else {
                    throw DomainError.invalidArgument(
                        "update_mask names an unknown field '\(path)'", field: "update_mask")
                }
                secrets[path] = given[path]
            }
            if !paths.contains("access_token"), !paths.contains(ChannelSecrets.expiryField) {
                expiresAt = channel.tokenExpiresAt
            }
        }
        for field in ChannelSecrets.required(for: channel.platform) where secrets[field].isEmpty {
            throw DomainError.invalidArgument(
                "credentials.\(field) is required for \(channel.platform.rawValue)", field: "credentials.\(field)")
        }
        // A web-chat channel always has a key for its visitor tokens: rotating without one makes a
        // new key (every visitor's next start is a new session).
        if channel.platform == .webChat, secrets.signingSecret.isEmpty { secrets.signingSecret = VisitorToken.newKey() }
        guard
            let rotated = try await self.channels.rotate(
                channel.id, organizationID: organization, sealed: try self.secrets.seal(secrets),
                configured: secrets.configured, tokenExpiresAt: expiresAt, at: self.now())
        else {
            throw DomainError.notFound("channel \(request.channelID) not found", resource: "channel")
        }
        self.inbound.directory.invalidate()
        return self.present(rotated)
    }

    func channel(_ id: String, _ organization: String) async throws -> ChannelAccount {
        guard let channel = try await self.channels.channel(try Self.channelID(id), organizationID: organization) else {
            throw DomainError.notFound("channel \(id) not found", resource: "channel")
        }
        return channel
    }

    static func channelID(_ text: String) throws(DomainError) -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw .invalidArgument("channel_id is not a channel id", field: "channel_id")
        }
        return id
    }
}
