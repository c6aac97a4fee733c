/// One page of the LinkedIn notifications pull finder, normalised.
public struct LinkedInNotificationPage: Sendable, Hashable {
    public var events: [InboundEvent]
    public var start: Int64?
    public var count: Int64?
    public var total: Int64?
    /// The `href` of the `rel: next` paging link; nil on the last page.
    public var nextPageHref: String?
}
