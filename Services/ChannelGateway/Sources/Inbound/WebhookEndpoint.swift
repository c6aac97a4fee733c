import Crypto
import InboxAPI
import InboxKit
import Logging
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One webhook request from verification to the durable commit (DESIGN.md §2 "Inbound"):
///
/// 1. The URL names the platform and, on a per-channel endpoint, the channel: an unknown platform,
///    channel or shared endpoint without a configured app is 404.
/// 2. The platform's adapter verifies the signature over the raw bytes (constant time) with the
///    channel's secrets or the operator's app ones, then parses. A bad or missing signature is 401
///    (403 for a refused handshake) and nothing is stored, counted per channel (per app on a shared
///    endpoint); a malformed body is 400; another method 405.
/// 3. Handshakes are answered at once. A delivery's items are bound to their channels: on a
///    per-channel endpoint to that channel's account (``ChannelBinding``); on a shared one each
///    item goes to the channel of the account it names, and an item for an account no channel has
///    is kept UNROUTED (re-routed when it is connected). Items that did not parse are kept UNPARSED.
/// 4. The delivery and its rows are committed in one statement (grouped with concurrent requests,
///    ``InboundCommitter``); only then is the platform answered. A repeated delivery stores nothing
///    new and is answered the same 200. A failed commit is 503: the platform sends it again.
struct WebhookEndpoint: Sendable {
    /// What the HTTP layer answers.
    typealias Reply = WebhookReply

    let directory: ChannelDirectory
    let apps: [Platform: PlatformApp]
    let committer: InboundCommitter
    let counters: InboundCounters
    let channels: ChannelRepository
    let publicBaseURL: String
    let logger: Logger
    let now: @Sendable () -> Date

    /// Handles `request`, posted to `/webhooks/<platform>` (`channelID` nil) or
    /// `/webhooks/<platform>/<channel-id>`. `rawQuery` is the query string as received.
    func handle(platform name: String, channelID channelText: String?, request: WebhookRequest) async -> Reply {
        guard let platform = Platform(rawValue: name), let adapter = WebhookAdapters.adapter(for: platform) else {
            return Self.text(404, "no such platform: the paths are /webhooks/<platform>[/<channel-id>]")
        }
        guard request.method == "GET" || request.method == "POST" else {
            return Self.text(405, "\(request.method) is not accepted here; platforms call with GET or POST")
        }
        let receivedAt = self.now()
        let target: Target
        switch await self.target(platform: platform, channelText: channelText) {
        case .success(let found): target = found
        case .failure(let error): return error.reply
        }
        let outcome: WebhookOutcome
        do {
            outcome = try adapter.handle(request, anySecrets: target.secrets, now: receivedAt)
        } catch {
            return self.refused(error, target: target, platform: platform, at: receivedAt)
        }
        switch outcome {
        case .handshake(let reply):
            return reply
        case .events(let events, let unparsed, let reply):
            do {
                try await self.store(
                    events: events, unparsed: unparsed, target: target, platform: platform, request: request,
                    receivedAt: receivedAt)
            } catch {
                InboundMetrics.webhook(platform, "unavailable")
                return Self.text(503, "the delivery could not be stored; send it again")
            }
            return reply
        }
    }

    // MARK: Where a request goes

    /// The channel a per-channel URL names, or the platform app of a shared one.
    struct Target: Sendable {
        let channel: ChannelAccount?
        let secrets: any WebhookSecrets
        /// Where counts and errors are kept: the channel, or `app:<platform>`.
        var scope: String { channel?.id.text ?? "" }
    }

    private func target(platform: Platform, channelText: String?) async -> Result<Target, ReplyError> {
        guard let channelText else {
            guard PlatformApp.sharedEndpointPlatforms.contains(platform) else {
                return .failure(
                    ReplyError(
                        Self.text(404, "\(platform.rawValue) posts to /webhooks/\(platform.rawValue)/<channel-id>")))
            }
            guard let app = self.apps[platform] else {
                return .failure(
                    ReplyError(Self.text(404, "no \(platform.rawValue) app is configured for the shared endpoint")))
            }
            return .success(Target(channel: nil, secrets: app.webhookSecrets(for: platform)))
        }
        guard let id = UUID(uuidString: channelText) else {
            return .failure(ReplyError(Self.text(404, "no such channel")))
        }
        do {
            guard let found = try await self.directory.channel(id: id), found.account.platform == platform else {
                return .failure(ReplyError(Self.text(404, "no such channel")))
            }
            return .success(Target(channel: found.account, secrets: found.secrets))
        } catch {
            self.logger.error(
                "could not look a channel up for a webhook", metadata: ["error": "\(String(reflecting: error))"])
            return .failure(ReplyError(Self.text(503, "the channel could not be read; send it again")))
        }
    }

    struct ReplyError: Error {
        let reply: Reply
        init(_ reply: Reply) { self.reply = reply }
    }

    /// The answer to a request the adapter refused; signature failures are counted and become the
    /// channel's last error.
    private func refused(_ error: WebhookError, target: Target, platform: Platform, at instant: Date) -> Reply {
        let status = error.httpStatus
        InboundMetrics.webhook(platform, status == 401 || status == 403 ? "bad_signature" : "refused")
        if status == 401 || status == 403 {
            let scope = target.channel?.id.text ?? InboundCounters.appScope(platform)
            self.counters.add(.badSignature, scope: scope)
            if let channel = target.channel {
                self.counters.recordError(
                    channel: channel.id, reason: "bad_signature",
                    text:
                        "A webhook was refused: \(Self.describe(error)). If the secret was rotated on the platform, rotate it here too.",
                    at: instant)
            }
        }
        if status >= 500 {
            self.logger.error(
                "a webhook endpoint is misconfigured",
                metadata: ["platform": "\(platform.rawValue)", "error": "\(Self.describe(error))"])
        } else {
            self.logger.info(
                "webhook refused",
                metadata: [
                    "platform": "\(platform.rawValue)", "status": "\(status)", "error": "\(Self.describe(error))",
                ])
        }
        return Self.text(status, Self.describe(error))
    }

    // MARK: Storing a delivery

    private func store(
        events: [InboundEvent], unparsed: [UnparsedEntry], target: Target, platform: Platform,
        request: WebhookRequest, receivedAt: Date
    ) async throws {
        let delivery = StoredDelivery(
            id: UUID.timeOrdered(at: receivedAt), platform: platform, channelID: target.channel?.id, path: request.path,
            query: Self.queryString(request.query), publicURL: request.publicURL, headers: request.headers,
            body: request.body, receivedAt: receivedAt)
        var rows: [InboundRow] = []
        var revoked: [UUID] = []
        if let channel = target.channel {
            let bound = ChannelBinding(platform: platform, accountID: channel.externalAccountID, endpoint: .perChannel)
                .bind(events: events, unparsed: unparsed)
            for refusal in bound.refused {
                self.logger.warning(
                    "a signed item for another account was posted to this channel's URL; not stored",
                    metadata: ["channel": "\(channel.id.text)", "reason": "\(refusal.reason)"])
            }
            self.counters.add(.refused, scope: channel.id.text, bound.refused.count)
            for event in bound.events {
                if event.kind == .subscriptionRevoked { revoked.append(channel.id) }
                rows.append(Self.row(event, channel: channel, receivedAt: receivedAt))
            }
            rows += bound.unparsed.map { Self.row($0, channel: channel, platform: platform, receivedAt: receivedAt) }
        } else {
            let accounts = Set(events.compactMap(\.accountID) + unparsed.compactMap(\.accountID))
            let routed =
                accounts.isEmpty ? [:] : try await self.directory.channels(platform: platform, accountIDs: accounts)
            for event in events {
                let channel = event.accountID.flatMap { routed[$0] }
                if let channel, event.kind == .subscriptionRevoked { revoked.append(channel.id) }
                rows.append(Self.row(event, channel: channel, receivedAt: receivedAt))
            }
            for entry in unparsed {
                rows.append(
                    Self.row(
                        entry, channel: entry.accountID.flatMap { routed[$0] }, platform: platform,
                        receivedAt: receivedAt))
            }
        }
        guard !rows.isEmpty else { return }
        let new = try await self.committer.commit(InboundWrite(delivery: delivery, rows: rows))
        for row in rows {
            guard new.contains(row.id) else {
                self.counters.add(.duplicate, scope: row.channelID?.text ?? InboundCounters.appScope(platform))
                InboundMetrics.webhook(platform, "duplicate")
                continue
            }
            switch row.state {
            case .unrouted: InboundMetrics.webhook(platform, "unrouted")
            case .unparsed: InboundMetrics.webhook(platform, "unparsed")
            default: InboundMetrics.webhook(platform, "accepted")
            }
        }
        for channel in Set(revoked) {
            // After the commit: the event is stored whatever happens to this update.
            do {
                try await self.channels.markSubscriptionRevoked(channel, at: receivedAt)
                self.directory.invalidate()
            } catch {
                self.logger.error(
                    "could not mark a channel SUBSCRIPTION_REVOKED",
                    metadata: ["channel": "\(channel.text)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    /// The row of a normalised event: PENDING for the relay, AWAITING_CONTENT when the platform
    /// sent only ids, UNROUTED without a channel. A subscription revocation is kept for the record
    /// (DELIVERED at once: it never reaches the inbox, it changes the channel).
    static func row(_ event: InboundEvent, channel: ChannelAccount?, receivedAt: Date) -> InboundRow {
        let id = UUID.timeOrdered(at: receivedAt)
        var state: StoredInboundState = event.contentFetch == nil ? .pending : .awaitingContent
        if channel == nil {
            state = .unrouted
        } else if event.kind == .subscriptionRevoked {
            state = .delivered
        }
        let proto = event.proto(
            id: id, organizationID: channel?.organizationID ?? "", channelID: channel?.id ?? Self.noChannel,
            receivedAt: receivedAt)
        return InboundRow(
            id: id, organizationID: channel?.organizationID, channelID: channel?.id, platform: event.platform,
            accountID: event.accountID ?? "", eventID: event.eventID, state: state,
            event: (try? proto.serializedBytes()) ?? [], hidden: event.hiddenByPlatformRule != nil,
            occurredAt: event.occurredAt, contentFetch: event.contentFetch?.storedJSON)
    }

    /// An UNPARSED row (UNROUTED without a channel). Its event id is a digest of the entry, so
    /// that a repeated delivery of the same entry is not stored twice.
    static func row(_ entry: UnparsedEntry, channel: ChannelAccount?, platform: Platform, receivedAt: Date)
        -> InboundRow
    {
        let id = UUID.timeOrdered(at: receivedAt)
        let digest = SHA256.hash(data: Array("\(entry.path)\n\(entry.rawText)".utf8))
        var event = Inbox_V1_InboundEvent()
        event.id = id.text
        event.organizationID = channel?.organizationID ?? ""
        event.channelID = channel?.id.text ?? ""
        event.platform = platform.proto
        event.platformAccountID = entry.accountID ?? ""
        event.receivedAt = Google_Protobuf_Timestamp(date: receivedAt)
        event.occurredAt = Google_Protobuf_Timestamp(date: entry.receivedAt)
        return InboundRow(
            id: id, organizationID: channel?.organizationID, channelID: channel?.id, platform: platform,
            accountID: entry.accountID ?? "",
            eventID: "unparsed:" + digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined(),
            state: channel == nil ? .unrouted : .unparsed, event: (try? event.serializedBytes()) ?? [], hidden: false,
            occurredAt: entry.receivedAt, rawText: Array(entry.rawText.utf8), unparsedPath: entry.path,
            lastError: entry.errorDescription)
    }

    /// Stands in for the channel of an UNROUTED event's proto; the relay always sends the row's
    /// own organisation and channel.
    static let noChannel = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    static func queryString(_ items: [WebhookRequest.QueryItem]) -> String {
        items.map { "\(Self.percentEncode($0.name))=\(Self.percentEncode($0.value))" }.joined(separator: "&")
    }

    private static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    static func text(_ status: Int, _ message: String) -> Reply {
        Reply(status: status, contentType: "text/plain; charset=utf-8", body: Array((message + "\n").utf8))
    }

    /// An adapter error as one line; adapters never put a secret in their errors.
    static func describe(_ error: WebhookError) -> String {
        String(String(describing: error).prefix(300))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
