/// Placeholder: the LISTEN/NOTIFY fan-out of the change log (issue 8, WatchConversations).
final class ChangeFeed: Sendable {
    init() {}
}
