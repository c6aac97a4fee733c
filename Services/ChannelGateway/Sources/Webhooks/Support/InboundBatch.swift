import struct Foundation.Date

/// What one delivery yields while it is parsed item by item (DESIGN §2: a signed, well-formed
/// delivery is always accepted): the events of every item that parses, and an UNPARSED record
/// (``UnparsedEntry``) of every item that does not. An item's events are added only once all of
/// it has parsed, so a failure halfway leaves no partial events behind.
struct InboundBatch {
    let platform: Platform
    let receivedAt: Date
    private(set) var events: [InboundEvent] = []
    private(set) var unparsed: [UnparsedEntry] = []

    init(platform: Platform, receivedAt: Date) {
        self.platform = platform
        self.receivedAt = receivedAt
    }

    /// Parses one item on its own: its events, or — when `parse` throws — the item kept raw with
    /// its path and the error.
    mutating func add(
        _ item: JSONNode, accountID: String?, parse: (JSONNode) throws(WebhookError) -> [InboundEvent]
    ) {
        do {
            events += try parse(item)
        } catch {
            keep(item, accountID: accountID, error: error)
        }
    }

    mutating func add(_ newEvents: [InboundEvent]) {
        events += newEvents
    }

    /// Keeps a JSON item raw: re-serialised (``RawJSON/jsonText``), at its path.
    mutating func keep(_ item: JSONNode, accountID: String?, error: WebhookError) {
        keep(
            path: item.path.isEmpty ? "(root)" : item.path, rawText: item.value.jsonText, accountID: accountID,
            error: error)
    }

    /// Keeps an item raw whose text is not a JSON node (a form or XML body).
    mutating func keep(path: String, rawText: String, accountID: String?, error: WebhookError) {
        unparsed.append(
            UnparsedEntry(
                platform: platform, accountID: accountID, path: path, rawText: rawText, error: error,
                receivedAt: receivedAt))
    }

    /// The delivery's outcome: everything collected, answered with `reply`.
    func outcome(reply: WebhookReply) -> WebhookOutcome {
        .events(events, unparsed: unparsed, reply: reply)
    }
}
