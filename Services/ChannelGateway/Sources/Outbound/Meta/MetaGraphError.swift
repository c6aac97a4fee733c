import Foundation
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
    ///
    /// Decisions beyond the documented list:
    /// - 1200 ("temporary send message failure") is transient: retried.
    /// - 10900 ("activity already replied to") on a private reply means the comment already has
    ///   its one private reply. After a lost answer that is our own earlier attempt, but nothing
    ///   here can tell it from a reply sent another way (Business Suite, another tool), and the
    ///   answer carries no message id: `maybeSent`, final, never re-sent. Elsewhere it is `other`.
    /// - 368 ("temporarily blocked for policies violations") is final `other`: the block lasts
    ///   hours to days, beyond any retry bound, and sending into it can lengthen it; the channel
    ///   itself stays usable, so it is not a token problem.
    /// - 80007 (WhatsApp Business Account rate limit) is rate limited, like 130429.
    /// - An unknown code never hides the HTTP status: 401 is the token (Graph answers code 0 with
    ///   401 for an authentication failure), 429 a rate limit, 408 and 5xx transient.
    func outcome(
        status: Int, headers: [String: String] = [:], isPrivateReply: Bool = false,
        nowUnixSeconds: Double = Date().timeIntervalSince1970
    ) -> OutboundOutcome {
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
        case (613, _), (4, _), (17, _), (32, _), (130_429, _), (80_006, _), (80_007, _):
            return .retryAfter(delay: nil, reason: .rateLimited)
        case (1, 1_357_046):
            return .failed(reason: .maybeSent, detail: detail)
        case (10_900, _) where isPrivateReply:
            return .failed(
                reason: .maybeSent,
                detail: "\(detail) (the comment already has its private reply, most likely an earlier attempt's)")
        case (368, _):
            return .failed(reason: .other, detail: "\(detail) (temporarily blocked for policy reasons)")
        case (2, _), (1, _), (1200, _):
            return .retryAfter(delay: nil, reason: .transient)
        default:
            return fallback(status: status, headers: headers, nowUnixSeconds: nowUnixSeconds)
        }
    }

    /// An unrecognised code: `is_transient`, then the HTTP status, decide.
    private func fallback(status: Int, headers: [String: String], nowUnixSeconds: Double) -> OutboundOutcome {
        if isTransient { return .retryAfter(delay: nil, reason: .transient) }
        switch status {
        case 401:
            return .failed(reason: .tokenInvalid, detail: "HTTP 401, \(detail)")
        case 429:
            return .retryAfter(
                delay: RetryAfterHeader.delay(in: headers, nowUnixSeconds: nowUnixSeconds), reason: .rateLimited)
        case 408, 500...599:
            return .retryAfter(delay: nil, reason: .transient)
        default:
            return .failed(reason: .other, detail: detail)
        }
    }
}

/// Outcome of a Graph API answer: success ids via `successID`, errors via the envelope, and
/// HTTP-level fallbacks when the body is not a Graph error (proxy pages, empty bodies).
enum MetaGraphOutcome {
    /// `isPrivateReply`: the request was a private reply (`recipient.comment_id`/`post_id`), where
    /// error 10900 means "already answered" (see `MetaGraphError.outcome`).
    static func classify(
        _ response: PlatformResponse, isPrivateReply: Bool = false, successID: (WireJSON) -> String?
    ) -> OutboundOutcome {
        let json = WireJSON.parse(response.body)
        if (200..<300).contains(response.status), let json, let id = successID(json) {
            return .sent(platformMessageID: id)
        }
        if let error = MetaGraphError(json: json) {
            return error.outcome(status: response.status, headers: response.headers, isPrivateReply: isPrivateReply)
        }
        return HTTPStatusOutcome.classify(response, platform: "Graph API")
    }
}
