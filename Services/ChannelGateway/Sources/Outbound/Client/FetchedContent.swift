/// What a `ContentFetch` step read from the platform.
public enum FetchedContent: Sendable, Hashable {
    /// The text of a mentioned comment or media caption (Instagram) or of a comment (TikTok).
    case text(String, authorHandle: String?)
    /// Whether a Facebook post is published; `promotionStatus` as Graph reports it
    /// (`inactive`, `active`, `ineligible`, ...). Unpublished means a dark (ad) post.
    case postVisibility(isPublished: Bool, promotionStatus: String?)
}

/// The result of one content fetch, classified like a send.
public enum ContentFetchOutcome: Sendable, Hashable {
    case fetched(FetchedContent)
    case retryAfter(delay: Duration?, reason: OutboundFailureReason)
    case failed(reason: OutboundFailureReason, detail: String)
}
