import PlatformJSON

/// The Graph API error envelope `{"error":{"message","type","code","error_subcode","is_transient",...}}`
/// shared by Facebook, Instagram and WhatsApp, and its classification into an outcome.
struct MetaGraphError: Sendable, Hashable {
    var code: Int64
    var subcode: Int64?
    var message: String
    var isTransient: Bool

    init?(json: WireJSON?) {
        guard let error = json?["error"], let code = error["code"]?.integer else { return nil }
        self.code = code
        self.subcode = error["error_subcode"]?.integer
        self.message = error["message"]?.text ?? ""
        self.isTransient = error["is_transient"]?.boolean ?? false
    }

    var detail: String {
        "Graph error \(code)" + (subcode.map { "/\($0)" } ?? "") + ": \(message)"
    }

    /// Meta's documented codes (CHANNELS.md §1.4, §2.4, §3.4). Rate limits carry no delay hint
    /// except the WhatsApp pair limit (about one message per 6 s per recipient).
    func outcome(status: Int) -> OutboundOutcome {
        switch (code, subcode) {
        case (10, 2_018_278), (10, 2_534_022), (131_047, _):
            return .failed(reason: .outsideWindow, detail: detail)
        case (190, _), (102, _):
            return .failed(reason: .tokenInvalid, detail: detail)
        case (551, _), (10, 2_018_108), (131_026, _), (100, 2_534_014), (200, 2_534_041), (100, 2_534_029):
            return .failed(reason: .recipientUnavailable, detail: detail)
        case (131_050, _):
            return .failed(reason: .recipientOptedOut, detail: detail)
        case (131_056, _):
            return .retryAfter(delay: .seconds(6), reason: .rateLimited)
        case (613, _), (4, _), (17, _), (32, _), (130_429, _), (80_006, _):
            return .retryAfter(delay: nil, reason: .rateLimited)
        case (1, 1_357_046):
            return .failed(reason: .maybeSent, detail: detail)
        case (2, _), (1, _):
            return .retryAfter(delay: nil, reason: .transient)
        default:
            if isTransient || status >= 500 { return .retryAfter(delay: nil, reason: .transient) }
            return .failed(reason: .other, detail: detail)
        }
    }
}

/// Outcome of a Graph API answer: success ids via `successID`, errors via the envelope, and
/// HTTP-level fallbacks when the body is not a Graph error (proxy pages, empty bodies).
enum MetaGraphOutcome {
    static func classify(_ response: PlatformResponse, successID: (WireJSON) -> String?) -> OutboundOutcome {
        let json = WireJSON.parse(response.body)
        if (200..<300).contains(response.status), let json, let id = successID(json) {
            return .sent(platformMessageID: id)
        }
        if let error = MetaGraphError(json: json) {
            return error.outcome(status: response.status)
        }
        return HTTPStatusOutcome.classify(response, platform: "Graph API")
    }
}
