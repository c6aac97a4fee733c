/// The pollers' schedule and bounds (``ChannelPoller``). The defaults are production's; tests
/// shorten the times.
public struct PollerSettings: Sendable {
    /// How often a LinkedIn channel's notifications are read: polling is LinkedIn's default path
    /// (webhooks need an approved use case, CHANNELS.md §5), webhooks only make it faster.
    public var linkedInInterval: Duration = .seconds(60)
    /// Whether this process runs the pollers at all (tests that do not test them turn them off).
    public var enabled = true
    /// How often Messenger and Instagram conversations and TikTok comments are reconciled: what
    /// their webhooks missed (an outage, a disabled subscription) lands within this time.
    public var reconcileInterval: Duration = .seconds(15 * 60)
    /// How often the poller looks for due pollers (and creates those of new channels).
    public var tick: Duration = .seconds(5)
    /// How long a claim keeps other replicas off a channel's poller; each page read extends it.
    public var claimDuration: Duration = .seconds(5 * 60)
    /// How far before the watermark a sweep starts reading again: items a platform lists late
    /// (eventual consistency, clock skew) are still seen; the inbound log's unique key makes the
    /// repeats free.
    public var overlap: Duration = .seconds(5 * 60)
    /// How far back the first sweep of a channel reads (nothing is older than its watermark after).
    public var initialLookback: Duration = .seconds(24 * 3600)
    /// Pages (LinkedIn, Graph conversations, TikTok video lists) one round reads of a poller; a
    /// longer sweep goes on in the next round, which comes due at once.
    public var maxStepsPerRound = 10
    /// Pollers one round claims and runs at once (per replica).
    public var maxConcurrentPolls = 4
    /// The first retry delay after a failed poll; it doubles per consecutive failure up to
    /// `maxRetryDelay` (never sooner than the platform's own Retry-After).
    public var retryDelay: Duration = .seconds(60)
    public var maxRetryDelay: Duration = .seconds(30 * 60)
    /// After this many failures in a row a sweep starts over from the watermark (a page cursor the
    /// platform no longer accepts must not block the poller for good).
    public var restartSweepAfterFailures = 5

    /// Notifications per LinkedIn page (Rest.li `count`).
    public var linkedInPageSize = 50
    /// Conversations per Graph page, and messages per conversation page.
    public var graphConversationsPerPage = 25
    public var graphMessagesPerPage = 25
    /// Further message pages read for one conversation whose first page is all newer than the window.
    public var graphMessagePagesPerConversation = 4
    /// Videos per TikTok video list page (the API's maximum is 20), and videos one sweep visits
    /// (the newest first: a comment on an older video is left to its webhook).
    public var tiktokVideosPerPage = 20
    public var tiktokVideosPerSweep = 40
    /// Comments per TikTok comment list page (the API's maximum is 30), and pages read per video.
    public var tiktokCommentsPerPage = 30
    public var tiktokCommentPagesPerVideo = 5

    public init() {}

    /// A duration in seconds, for `Date` arithmetic.
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
