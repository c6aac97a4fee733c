import InboxKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One step of a sweep: what was stored, and where the sweep goes on (nil: it is complete).
struct PollStep: Sendable, Hashable {
    var stored: Int
    var next: String?
}

/// The sweeps, one per kind: each step reads one page of the channel's list (and what hangs
/// below it), stores every answer that yielded items, and says where the next step starts.
extension ChannelPoller {
    func step(_ kind: PollerKind, channel: PolledChannel, window: PollWindow, cursor: String?) async throws
        -> PollStep
    {
        switch kind {
        case .linkedInNotifications:
            return try await self.linkedInStep(channel, window: window, cursor: cursor)
        case .messengerConversations, .instagramConversations:
            return try await self.conversationsStep(kind, channel, window: window, cursor: cursor)
        case .tiktokComments:
            return try await self.tiktokStep(channel, window: window, cursor: cursor)
        }
    }

    // MARK: LinkedIn

    /// The cursor is the Rest.li `start` of the next page.
    private func linkedInStep(_ channel: PolledChannel, window: PollWindow, cursor: String?) async throws -> PollStep {
        guard let credentials = channel.credentials as? LinkedInCredentials else {
            throw PollFailure(.configuration, "the channel's credentials are not a LinkedIn organization's")
        }
        let what = "LinkedIn notifications"
        let start = cursor.flatMap { Int($0) } ?? 0
        let count = max(1, self.settings.linkedInPageSize)
        let request = LinkedInNotificationsPoll.request(
            endpoint: self.endpoints[LinkedInOutboundAdapter.api], credentials: credentials,
            organization: channel.account.externalAccountID, window: window, start: start, count: count)
        let response = try await self.fetch(request, what: what)
        guard (200..<300).contains(response.status) else {
            throw PollFailure.http(
                response, outcome: HTTPStatusOutcome.classify(response, platform: "LinkedIn"), what: what)
        }
        let page: LinkedInNotificationsPoll.Page
        do {
            page = try LinkedInNotificationsPoll.page(response.body, start: start, count: count, receivedAt: self.now())
        } catch {
            throw PollFailure(.other, "\(what): the answer could not be read (\(error))")
        }
        let stored = try await self.store(
            page.events, page.unparsed, answer: response.body, kind: .linkedInNotifications, channel: channel)
        return PollStep(stored: stored, next: page.nextStart.map { String($0) })
    }

    // MARK: Messenger and Instagram

    /// The cursor is the Graph `after` cursor of the next conversations page.
    private func conversationsStep(
        _ kind: PollerKind, _ channel: PolledChannel, window: PollWindow, cursor: String?
    ) async throws -> PollStep {
        let target = try MetaConversationsPoll.target(channel.credentials, endpoints: self.endpoints)
        let platform = kind.platform
        let accountID = channel.account.externalAccountID
        let what = kind == .messengerConversations ? "Messenger conversations" : "Instagram conversations"
        let response = try await self.fetch(
            MetaConversationsPoll.conversationsRequest(
                target, after: cursor, limit: max(1, self.settings.graphConversationsPerPage),
                messageLimit: max(1, self.settings.graphMessagesPerPage)),
            what: what)
        if let failure = MetaConversationsPoll.failure(response, what: what) { throw failure }
        let page: MetaConversationsPoll.ConversationsPage
        do {
            page = try MetaConversationsPoll.conversationsPage(
                response.body, platform: platform, accountID: accountID, since: window.since, receivedAt: self.now())
        } catch {
            throw PollFailure(.other, "\(what): the answer could not be read (\(error))")
        }
        var stored = try await self.store(
            page.events, page.unparsed, answer: response.body, kind: kind, channel: channel)
        // A conversation busier than one page of messages: read on until the window's start.
        for more in page.moreMessages {
            var after: String? = more.after
            var pages = 0
            while let messagesCursor = after, pages < self.settings.graphMessagePagesPerConversation {
                pages += 1
                let messagesResponse = try await self.fetch(
                    MetaConversationsPoll.messagesRequest(
                        target, conversationID: more.conversationID, after: messagesCursor,
                        limit: max(1, self.settings.graphMessagesPerPage)),
                    what: what)
                if let failure = MetaConversationsPoll.failure(messagesResponse, what: what) { throw failure }
                let messages: MetaConversationsPoll.MessagesPage
                do {
                    messages = try MetaConversationsPoll.messagesPage(
                        messagesResponse.body, platform: platform, accountID: accountID, since: window.since,
                        receivedAt: self.now())
                } catch {
                    throw PollFailure(.other, "\(what): a messages page could not be read (\(error))")
                }
                stored += try await self.store(
                    messages.events, messages.unparsed, answer: messagesResponse.body, kind: kind, channel: channel)
                after = messages.nextCursor
            }
        }
        return PollStep(stored: stored, next: page.nextCursor)
    }

    // MARK: TikTok

    /// The cursor is `<videos visited so far>:<video list cursor>`: one step reads one page of the
    /// account's videos, newest first, and the comments of each, until
    /// ``PollerSettings/tiktokVideosPerSweep`` videos are visited.
    private func tiktokStep(_ channel: PolledChannel, window: PollWindow, cursor: String?) async throws -> PollStep {
        let target = try TikTokCommentsPoll.target(channel.credentials, endpoints: self.endpoints)
        let parts = cursor?.split(separator: ":", maxSplits: 1).map(String.init) ?? []
        let visitedBefore = parts.first.flatMap { Int($0) } ?? 0
        let listCursor = parts.count == 2 ? parts[1] : nil
        let what = "TikTok videos"
        let response = try await self.fetch(
            TikTokCommentsPoll.videosRequest(
                target, cursor: listCursor, maxCount: min(20, max(1, self.settings.tiktokVideosPerPage))),
            what: what)
        if let failure = TikTokCommentsPoll.failure(response, what: what) { throw failure }
        let videos: TikTokCommentsPoll.VideosPage
        do {
            videos = try TikTokCommentsPoll.videosPage(response.body)
        } catch {
            throw PollFailure(.other, "\(what): the answer could not be read (\(error))")
        }
        let budget = max(0, self.settings.tiktokVideosPerSweep - visitedBefore)
        let visiting = Array(videos.videoIDs.prefix(budget))
        var stored = 0
        for videoID in visiting {
            stored += try await self.tiktokComments(of: videoID, target: target, channel: channel, window: window)
        }
        let visited = visitedBefore + visiting.count
        guard let next = videos.nextCursor, visited < self.settings.tiktokVideosPerSweep else {
            return PollStep(stored: stored, next: nil)
        }
        return PollStep(stored: stored, next: "\(visited):\(next)")
    }

    /// One video's comments, newest first, until a page holds nothing inside the window.
    private func tiktokComments(
        of videoID: String, target: TikTokCommentsPoll.Target, channel: PolledChannel, window: PollWindow
    ) async throws -> Int {
        let what = "TikTok comments"
        var cursor: String?
        var stored = 0
        for _ in 0..<max(1, self.settings.tiktokCommentPagesPerVideo) {
            let response = try await self.fetch(
                TikTokCommentsPoll.commentsRequest(
                    target, videoID: videoID, cursor: cursor,
                    maxCount: min(30, max(1, self.settings.tiktokCommentsPerPage))),
                what: what)
            if let failure = TikTokCommentsPoll.failure(response, what: what) { throw failure }
            let page: TikTokCommentsPoll.CommentsPage
            do {
                page = try TikTokCommentsPoll.commentsPage(
                    response.body, businessID: target.businessID, videoID: videoID, since: window.since,
                    receivedAt: self.now())
            } catch {
                throw PollFailure(.other, "\(what): the answer could not be read (\(error))")
            }
            // The webhook's event id has its own time: a comment it delivered is dropped by id.
            let known = try await self.pollers.storedTikTokComments(
                channelID: channel.account.id, commentIDs: page.events.compactMap(\.messageID),
                receivedSince: window.since.addingTimeInterval(-Self.clockMargin))
            let missed = page.events.filter { !known.contains($0.messageID ?? "") }
            stored += try await self.store(
                missed, page.unparsed, answer: response.body, kind: .tiktokComments, channel: channel)
            guard page.reachedWindow, let next = page.nextCursor else { break }
            cursor = next
        }
        return stored
    }

    // MARK: Reading and storing

    /// One request, one attempt; no answer at all is a transient failure.
    func fetch(_ request: PlatformRequest, what: String) async throws -> PlatformResponse {
        do {
            return try await self.http.execute(request)
        } catch {
            self.logger.info(
                "a poll request got no answer",
                metadata: ["request": "\(error.request)", "error": "\(error.underlying)"])
            throw PollFailure(.transient, "\(what): no answer from the platform (timeout or connection error)")
        }
    }

    /// Stores one answer's items for the channel as a delivery (path `poll:<platform>`, the answer
    /// as its body, no headers): the rows the webhooks or an earlier poll stored already are not
    /// stored again. Returns how many rows were new.
    func store(
        _ events: [InboundEvent], _ unparsed: [UnparsedEntry], answer: [UInt8], kind: PollerKind,
        channel: PolledChannel
    ) async throws -> Int {
        let account = channel.account
        let receivedAt = self.now()
        let bound = ChannelBinding(platform: kind.platform, accountID: account.externalAccountID, endpoint: .perChannel)
            .bind(events: events, unparsed: unparsed)
        if !bound.refused.isEmpty {
            self.logger.warning(
                "a poll answer held items of another account; not stored",
                metadata: ["channel": "\(account.id.text)", "refused": "\(bound.refused.count)"])
        }
        var rows = bound.events.map { WebhookEndpoint.row($0, channel: account, receivedAt: receivedAt) }
        rows += bound.unparsed.map {
            WebhookEndpoint.row($0, channel: account, platform: kind.platform, receivedAt: receivedAt)
        }
        guard !rows.isEmpty else { return 0 }
        let delivery = StoredDelivery(
            id: UUID(), platform: kind.platform, channelID: account.id, path: kind.deliveryPath, query: "",
            publicURL: "", headers: [], body: answer, receivedAt: receivedAt)
        let new = try await self.log.store([InboundWrite(delivery: delivery, rows: rows)])
        if !new.isEmpty { self.onStored() }
        return new.count
    }
}
