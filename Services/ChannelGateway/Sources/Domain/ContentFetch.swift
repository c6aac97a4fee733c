/// A step an inbound adapter asks for when the webhook carries only ids and the content must be
/// read from the platform's API (Instagram mentions, TikTok comments without text, Facebook posts
/// whose `post{}` object is missing). The outbound platform client performs it; the adapter
/// itself never does I/O.
public enum ContentFetch: Sendable, Hashable {
    /// `GET /{ig-user-id}?fields=mentioned_comment.comment_id(...)` or `mentioned_media.media_id(...)`.
    case instagramMention(igUserID: String, mediaID: String, commentID: String?)
    /// `GET /business/comment/list/?business_id=..&video_id=..&comment_ids=[..]`.
    case tiktokComment(businessID: String, videoID: String, commentID: String)
    /// `GET /{post-id}?fields=is_published,promotion_status` to tell an ad (dark) post apart.
    case facebookPostVisibility(postID: String)
}
