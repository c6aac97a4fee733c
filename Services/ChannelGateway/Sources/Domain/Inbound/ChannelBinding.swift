/// Binds a verified delivery to the one channel it was posted for: keeps the events and UNPARSED
/// records of that channel's own account and refuses the rest.
///
/// A valid signature proves that the platform sent the delivery, not that it is for this channel:
/// Meta (Facebook, Instagram, WhatsApp), X, LinkedIn and TikTok sign with one app secret for every
/// account of the app, and Twilio with one Auth Token for every number of the account. A delivery
/// for page B, correctly signed, could therefore be posted to page A's per-channel endpoint
/// (`/webhooks/facebook/<channel A>`) and would land in A's inbox. Only the account id inside each
/// item tells them apart (``InboundEvent/accountID``, ``UnparsedEntry/accountID``), so every item
/// must match the channel's external account id exactly.
///
/// Items without an account id (Telegram updates name no account of ours; an UNPARSED record whose
/// failure lies above the account id) are accepted on a per-channel endpoint only: there the URL
/// names the channel and, for Telegram, the secret is per bot, hence per channel. On a shared
/// endpoint nothing would say whose they are, so they are refused. A record accepted this way may
/// hold another account's item; it never reaches the inbox, and replaying it after a parser fix
/// parses it again, so the replay must bind the resulting events again.
///
/// Pure and total: the inbound pipeline (a later change) calls it after the adapter and before
/// anything is stored, stores what is accepted, and logs the refused items with their reasons.
/// It does not change the reply: the platform still gets its 200 for a signed delivery.
public struct ChannelBinding: Sendable, Hashable {
    /// How the delivery reached the gateway.
    public enum Endpoint: Sendable, Hashable {
        /// `/webhooks/<platform>/<channel-id>`: the URL names one channel.
        case perChannel
        /// One URL for every channel of an app; the channel comes from the items' account ids.
        case shared
    }

    /// Why an item was not accepted for the channel.
    public enum Reason: Sendable, Hashable {
        /// The item is another platform's (a misrouted adapter; never expected).
        case otherPlatform(Platform)
        /// The item is for another account of the same app (the account id found in it).
        case otherAccount(String)
        /// The item names no account and the endpoint is shared, so nothing ties it to the channel.
        case noAccountOnSharedEndpoint
    }

    /// One item kept out of the channel, and why.
    public struct Refusal: Sendable, Hashable {
        public enum Item: Sendable, Hashable {
            case event(InboundEvent)
            case unparsed(UnparsedEntry)
        }

        public var item: Item
        public var reason: Reason
    }

    /// What the channel keeps of a delivery, and what it refuses.
    public struct Delivery: Sendable, Hashable {
        public var events: [InboundEvent]
        public var unparsed: [UnparsedEntry]
        public var refused: [Refusal]
    }

    public var platform: Platform
    /// The channel's external account id, as the platform writes it in its payloads (Page id,
    /// WhatsApp phone number id, X user id, LinkedIn organization URN, TikTok account open id,
    /// Twilio number, WeChat original id).
    public var accountID: String
    public var endpoint: Endpoint

    public init(platform: Platform, accountID: String, endpoint: Endpoint = .perChannel) {
        self.platform = platform
        self.accountID = accountID
        self.endpoint = endpoint
    }

    /// Splits the events and UNPARSED records of one delivery (``WebhookOutcome/events(_:unparsed:reply:)``)
    /// into the channel's own and the refused ones, each in its original order.
    public func bind(events: [InboundEvent], unparsed: [UnparsedEntry]) -> Delivery {
        var delivery = Delivery(events: [], unparsed: [], refused: [])
        for event in events {
            if let reason = refusal(platform: event.platform, accountID: event.accountID) {
                delivery.refused.append(Refusal(item: .event(event), reason: reason))
            } else {
                delivery.events.append(event)
            }
        }
        for entry in unparsed {
            if let reason = refusal(platform: entry.platform, accountID: entry.accountID) {
                delivery.refused.append(Refusal(item: .unparsed(entry), reason: reason))
            } else {
                delivery.unparsed.append(entry)
            }
        }
        return delivery
    }

    /// Why an item of `platform` for `accountID` does not belong to the channel; nil when it does.
    private func refusal(platform itemPlatform: Platform, accountID itemAccountID: String?) -> Reason? {
        guard itemPlatform == platform else { return .otherPlatform(itemPlatform) }
        guard let itemAccountID else {
            return endpoint == .perChannel ? nil : .noAccountOnSharedEndpoint
        }
        return itemAccountID == accountID ? nil : .otherAccount(itemAccountID)
    }
}
