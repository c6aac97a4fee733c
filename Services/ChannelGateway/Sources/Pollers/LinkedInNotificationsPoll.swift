#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// LinkedIn's pull finder, `GET /rest/organizationalEntityNotifications?q=criteria` (CHANNELS.md
/// §5.3): request building and answer parsing, pure.
///
/// Decisions where §5.3 marks the finder unconfirmed: the time range is Rest.li 2.0's
/// `timeRange=(start:<ms>,end:<ms>)` and the actions `actions=List(...)`, their structural
/// characters unescaped (only the organization URN is percent-encoded); paging is Rest.li's
/// `start`/`count` with `paging.total` or a `rel: next` link; the finder keeps 60 days, so a
/// window never starts earlier than 59 days before its end.
///
/// The answer's `elements[]` are the webhook's notification objects, read by the webhook's own
/// ``LinkedInNotification``: the same events with the same `notificationId` event ids, so a
/// notification the webhook delivered is not stored again. Unlike
/// ``LinkedInWebhookAdapter/parseNotificationPage(_:)``, one element that does not parse does not
/// fail the page (which would stop the poller at it for good): it is kept UNPARSED, at the path
/// `elements[]` for every element, so that the same element seen by the next, overlapping, poll
/// has the same digest and is not stored twice.
enum LinkedInNotificationsPoll {
    /// Every action the webhook delivers (§5.3).
    static let actions = [
        "COMMENT", "ADMIN_COMMENT", "COMMENT_EDIT", "COMMENT_DELETE", "SHARE_MENTION", "SHARE", "LIKE",
    ]
    /// The finder's retention, less a day of margin.
    static let retention: TimeInterval = 59 * 24 * 3600

    static func request(
        endpoint: PlatformEndpoint, credentials: LinkedInCredentials, organization: String, window: PollWindow,
        start: Int, count: Int
    ) -> PlatformRequest {
        let since = max(window.since, window.until.addingTimeInterval(-Self.retention))
        let query = [
            "q=criteria",
            "organizationalEntity=\(PercentEncoding.component(organization))",
            "actions=List(\(Self.actions.joined(separator: ",")))",
            "timeRange=(start:\(PollWindow.milliseconds(since)),end:\(PollWindow.milliseconds(window.until)))",
            "start=\(start)",
            "count=\(count)",
        ].joined(separator: "&")
        return PlatformRequest(
            method: "GET", url: "\(endpoint.baseURL)/rest/organizationalEntityNotifications?\(query)",
            headers: [
                "authorization": "Bearer \(credentials.accessToken)", "linkedin-version": endpoint.version,
                "x-restli-protocol-version": "2.0.0",
            ])
    }

    /// One page of the finder's answer, normalised.
    struct Page: Sendable {
        var events: [InboundEvent]
        var unparsed: [UnparsedEntry]
        /// Where the next page starts; nil on the last one.
        var nextStart: Int?
    }

    /// Reads one answer to ``request(endpoint:credentials:organization:window:start:count:)`` made
    /// with `start` and `count`. Throws only when the answer as a whole is not the finder's
    /// (not JSON, no `elements` array).
    static func page(_ body: [UInt8], start: Int, count: Int, receivedAt: Date) throws(WebhookError) -> Page {
        let root = try JSONNode.parse(body)
        let elements = try root.array("elements")
        var events: [InboundEvent] = []
        var unparsed: [UnparsedEntry] = []
        for element in elements {
            do {
                events.append(try LinkedInNotification(node: element).event())
            } catch {
                unparsed.append(
                    UnparsedEntry(
                        platform: .linkedin, accountID: try? element.optionalString("organizationalEntity"),
                        path: "elements[]", rawText: element.value.jsonText, error: error, receivedAt: receivedAt))
            }
        }
        let paging = try? root.optional("paging")
        let total = try? paging?.optional("total")?.int64()
        var hasNextLink = false
        for link in (try? paging?.optionalArray("links")) ?? [] where (try? link.optionalString("rel")) == "next" {
            hasNextLink = true
        }
        let read = elements.count
        let more: Bool
        if hasNextLink {
            more = true
        } else if let total {
            more = Int64(start + read) < total
        } else {
            more = read >= count
        }
        return Page(events: events, unparsed: unparsed, nextStart: read > 0 && more ? start + read : nil)
    }
}
