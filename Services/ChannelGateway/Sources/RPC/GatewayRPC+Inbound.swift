import GRPCCore
import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the inbound RPCs work with: the log, the channel cache and the relay's wake-up.
struct InboundOperations: Sendable {
    let log: InboundLog
    let directory: ChannelDirectory
    let relaySignal: WorkSignal
    let pollers: ChannelPollerRepository
    let poller: ChannelPoller
}

/// The inbound log's RPCs: ListInboundEvents, ReplayInboundEvents, ReleaseHeldEvents,
/// GetChannelHealth, ReconcileChannel. Admins see their organisation's channels; operators any
/// channel, and the UNROUTED entries (which belong to no organisation yet).
extension GatewayRPC {
    func listInboundEvents(request: Inbox_V1_ListInboundEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListInboundEventsResponse
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator)
        let organization = caller.role == .operator ? nil : try caller.organization(requested: "")
        var channel: UUID?
        if !request.channelID.isEmpty {
            channel = try Self.channelID(request.channelID)
            if let organization { _ = try await self.channel(request.channelID, organization) }
        }
        var states: [StoredInboundState] = []
        for (index, state) in request.states.enumerated() {
            states.append(try StoredInboundState(proto: state, field: "states[\(index)]"))
        }
        if states.contains(.unrouted), caller.role != .operator {
            throw DomainError.permissionDenied("UNROUTED entries belong to no organisation; only operators list them")
        }
        let size = try PageToken.pageSize(request.pageSize)
        let rows = try await self.inbound.log.list(
            organizationID: organization, channelID: channel, states: states, hiddenOnly: request.hiddenOnly,
            after: try InboundPageToken.decode(request.pageToken), limit: size + 1)
        return .with {
            $0.events = rows.prefix(size).map(\.proto)
            if rows.count > size, let last = rows.prefix(size).last { $0.nextPageToken = InboundPageToken.encode(last) }
        }
    }

    func replayInboundEvents(request: Inbox_V1_ReplayInboundEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_ReplayInboundEventsResponse
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator)
        let organization = caller.role == .operator ? nil : try caller.organization(requested: "")
        guard request.eventIds.count <= 500 else {
            throw DomainError.invalidArgument("at most 500 event_ids per call", field: "event_ids")
        }
        var replayed = 0
        if request.eventIds.isEmpty {
            var channel: UUID?
            if !request.channelID.isEmpty {
                channel = try Self.channelID(request.channelID)
                if let organization { _ = try await self.channel(request.channelID, organization) }
            }
            replayed = try await self.inbound.log.replay(
                ids: nil, channelID: channel, organizationID: organization, now: self.now())
        } else {
            var ids: [UUID] = []
            for (index, text) in request.eventIds.enumerated() {
                guard let id = UUID(uuidString: text) else {
                    throw DomainError.invalidArgument("event_ids[\(index)] is not an event id", field: "event_ids")
                }
                ids.append(id)
            }
            replayed = try await self.inbound.log.replay(
                ids: ids, channelID: nil, organizationID: organization, now: self.now())
            replayed += try await self.reparse(ids, organizationID: organization)
        }
        self.inbound.relaySignal.wake()
        return .with { $0.replayed = Int32(replayed) }
    }

    /// Parses UNPARSED entries again from their stored request (after a parser fix): the request
    /// is verified again with the channel's current secrets, at its receipt time. Events it now
    /// yields are stored (those stored before are not stored twice); returns how many entries now
    /// parse.
    func reparse(_ ids: [UUID], organizationID: String?) async throws -> Int {
        var parsed = 0
        for item in try await self.inbound.log.unparsed(ids: ids, organizationID: organizationID) {
            guard let channel = try await self.inbound.directory.channel(id: item.channelID),
                let adapter = WebhookAdapters.adapter(for: channel.account.platform)
            else { continue }
            let delivery = item.delivery
            let request = WebhookRequest(
                method: "POST", path: delivery.path,
                query: ((try? FormDecoding.decode(Array(delivery.query.utf8))) ?? []).map {
                    .init(name: $0.name, value: $0.value)
                },
                headers: delivery.headers, body: delivery.body, publicURL: delivery.publicURL)
            let outcome: WebhookOutcome
            do {
                outcome = try adapter.handle(request, anySecrets: channel.secrets, now: delivery.receivedAt)
            } catch {
                try await self.inbound.log.settleReparsed(
                    item.id, parsed: false,
                    error: "could not be verified again (were the secrets rotated?): \(WebhookEndpoint.describe(error))"
                )
                continue
            }
            guard case .events(let events, let unparsed, _) = outcome else { continue }
            let bound = ChannelBinding(
                platform: channel.account.platform, accountID: channel.account.externalAccountID, endpoint: .perChannel
            ).bind(events: events, unparsed: unparsed)
            let still = bound.unparsed.first { $0.path == item.path }
            let rows = bound.events.map {
                WebhookEndpoint.row($0, channel: channel.account, receivedAt: delivery.receivedAt)
            }
            if still == nil, !rows.isEmpty {
                _ = try await self.inbound.log.store([InboundWrite(delivery: delivery, rows: rows)])
            }
            try await self.inbound.log.settleReparsed(item.id, parsed: still == nil, error: still?.errorDescription)
            if still == nil { parsed += 1 }
        }
        return parsed
    }

    func releaseHeldEvents(request: Inbox_V1_ReleaseHeldEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_ReleaseHeldEventsResponse
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator, .service)
        let organization = try caller.organization(requested: request.organizationID)
        var channel: UUID?
        if !request.channelID.isEmpty {
            channel = try await self.channel(request.channelID, organization).id
        }
        let released = try await self.inbound.log.releaseHeld(
            organizationID: organization, channelID: channel, now: self.now())
        self.inbound.relaySignal.wake()
        return .with { $0.released = Int32(released) }
    }

    /// Runs the channel's poller now (issue 9: gap reconciliation "on a schedule and on demand").
    ///
    /// Works whether or not this process runs the scheduled pollers: the ``ChannelPoller`` is
    /// built either way (``PollerSettings/enabled`` only decides whether its rounds run), and a call
    /// claims the channel's poller exactly as a round does, so it never polls a channel that another
    /// round, of any replica, is polling (BUSY), and what it stores moves the same watermark. The
    /// call lasts as long as the poll (at most ``PollerSettings/maxStepsPerRound`` pages; a longer
    /// gap answers PARTIAL). Admins for their organisation, operators and services naming it (as
    /// ReleaseHeldEvents); another organisation's channel is NOT_FOUND.
    func reconcileChannel(request: Inbox_V1_ReconcileChannelRequest, context: ServerContext) async throws
        -> Inbox_V1_ReconcileChannelResponse
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .operator, .service)
        let organization = try caller.organization(requested: request.organizationID)
        let channel = try await self.channel(request.channelID, organization)
        // A disconnected channel keeps the poller row it had, but it is polled no more.
        guard channel.status != .disconnected else {
            return Inbox_V1_ReconcileChannelResponse(
                PollReport(channelID: channel.id, outcome: .notPolled, stored: 0),
                poller: try await self.inbound.pollers.pollerState(channelID: channel.id))
        }
        // New rows wake this process's relay through the poller's `onStored`.
        let report = try await self.inbound.poller.reconcile(channelID: channel.id)
        return Inbox_V1_ReconcileChannelResponse(
            report, poller: try await self.inbound.pollers.pollerState(channelID: channel.id))
    }

    func getChannelHealth(request: Inbox_V1_GetChannelHealthRequest, context: ServerContext) async throws
        -> Inbox_V1_ChannelHealth
    {
        let organization = try Caller.authenticated().organization(requested: "")
        let channel = try await self.channel(request.channelID, organization)
        let health = try await self.inbound.log.health(channelID: channel.id)
        let poller = Inbox_V1_PollerState(try await self.inbound.pollers.pollerState(channelID: channel.id))
        let now = self.now()
        return .with {
            $0.channelID = channel.id.text
            $0.status = channel.status.proto
            if let at = health.lastEventAt { $0.lastEventAt = Google_Protobuf_Timestamp(date: at) }
            $0.acceptedEvents = health.accepted
            $0.duplicateEvents = health.counters[InboundCounters.Name.duplicate.rawValue] ?? 0
            $0.badSignatures = health.counters[InboundCounters.Name.badSignature.rawValue] ?? 0
            $0.hiddenEvents = health.hidden
            $0.heldEvents = health.counts[.held] ?? 0
            $0.deadLetteredEvents = health.counts[.deadLettered] ?? 0
            $0.pendingEvents = (health.counts[.pending] ?? 0) + (health.counts[.awaitingContent] ?? 0)
            $0.unparsedEvents = health.counts[.unparsed] ?? 0
            $0.rejectedEvents = health.counts[.rejected] ?? 0
            $0.sentDeliveries = ["sent", "delivered", "read"].reduce(0) { $0 + (health.deliveries[$1] ?? 0) }
            // MAYBE_SENT is a FAILED delivery (its reason says the platform may have it): counted
            // in both.
            $0.maybeSentDeliveries = health.deliveries["maybe_sent"] ?? 0
            $0.failedDeliveries = (health.deliveries["failed"] ?? 0) + $0.maybeSentDeliveries
            if let oldest = health.oldestPendingAt {
                let lag = max(0, now.timeIntervalSince(oldest))
                $0.relayLag = Google_Protobuf_Duration(
                    seconds: Int64(lag), nanos: Int32((lag - lag.rounded(.down)) * 1_000_000_000))
            } else {
                $0.relayLag = Google_Protobuf_Duration()
            }
            if let error = health.lastError {
                $0.lastError = error.text
                $0.lastErrorAt = Google_Protobuf_Timestamp(date: error.at)
                $0.lastErrorReason = Inbox_V1_ChannelErrorReason(word: error.reason)
            } else if $0.unparsedEvents > 0 {
                $0.lastError = "\($0.unparsedEvents) webhook entries could not be parsed; they are kept (UNPARSED)."
                $0.lastErrorReason = .unparsedEvents
            }
            if let expiresAt = channel.tokenExpiresAt {
                $0.tokenExpiresAt = Google_Protobuf_Timestamp(date: expiresAt)
                // An expired token that nothing renews refuses every send and read: it outweighs
                // what happened before it expired.
                if channel.tokenExpired(at: now),
                    !XTokenRefresher.canRenew(channel, operatorClient: self.outbound.xOAuthClient),
                    health.lastError.map({ $0.at <= expiresAt }) ?? true
                {
                    $0.lastError =
                        "The channel's access token expired (token_expires_at) and cannot be renewed here; "
                        + "rotate its credentials with a new token."
                    $0.lastErrorAt = Google_Protobuf_Timestamp(date: expiresAt)
                    $0.lastErrorReason = .tokenInvalid
                }
            }
            $0.poller = poller
        }
    }
}

extension Inbox_V1_ChannelErrorReason {
    /// From the word stored in `channels.last_error_reason`.
    init(word: String) {
        switch word {
        case "token_invalid": self = .tokenInvalid
        case "permission_missing": self = .permissionMissing
        case "subscription_revoked": self = .subscriptionRevoked
        case "bad_signature": self = .badSignature
        case "rate_limited": self = .rateLimited
        case "platform_unavailable": self = .platformUnavailable
        case "unparsed_events": self = .unparsedEvents
        case "configuration": self = .configuration
        default: self = .unspecified
        }
    }
}
