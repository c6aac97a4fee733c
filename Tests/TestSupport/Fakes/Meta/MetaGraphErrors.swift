import PlatformJSON

/// The Graph API error envelope as Meta sends it, with the messages and HTTP statuses seen for
/// each code (CHANNELS.md §1.4, §2.4, §3.4). `.platformError(code: 0)` is Graph's authentication
/// failure, answered with HTTP 401; 10900 (a second private reply to one comment) is also played
/// by the fake by itself.
enum MetaGraphErrors {
    static func response(for failure: ScriptedFailure, flavour: MetaGraphFake.Flavour) -> FakeResponse {
        switch (failure, flavour) {
        case (.windowError, .facebook): return response(code: 10, subcode: 2_018_278, flavour: flavour)
        case (.windowError, .instagram): return response(code: 10, subcode: 2_534_022, flavour: flavour)
        case (.windowError, .whatsApp): return response(code: 131_047, flavour: flavour)
        case (.rateLimited, .whatsApp): return response(code: 130_429, flavour: flavour)
        case (.rateLimited, _): return response(code: 613, flavour: flavour)
        case (.serverError, _): return response(code: 2, flavour: flavour)
        case (.tokenError, _), (.hang, _), (.asyncWindowFailure, _): return response(code: 190, flavour: flavour)
        case (.recipientUnavailable, .whatsApp): return response(code: 131_026, flavour: flavour)
        case (.recipientUnavailable, _): return response(code: 551, flavour: flavour)
        case (.platformError(let code, let subcode), _): return response(code: code, subcode: subcode, flavour: flavour)
        }
    }

    static func response(code: Int, subcode: Int? = nil, flavour: MetaGraphFake.Flavour) -> FakeResponse {
        var error: [String: WireJSON] = [
            "message": .string(message(code: code, subcode: subcode)), "type": "OAuthException",
            "code": .int(Int64(code)), "fbtrace_id": "AbCdEfFake123",
        ]
        if let subcode { error["error_subcode"] = .int(Int64(subcode)) }
        if code == 2 { error["is_transient"] = true }
        if flavour == .whatsApp, code >= 130_000 {
            error["error_data"] = ["messaging_product": "whatsapp", "details": .string(details(code: code))]
        }
        let status: Int
        switch code {
        case 0: status = 401
        case 1, 2: status = 500
        case 130_429: status = 429
        default: status = 400
        }
        return .json(status, ["error": .object(error)])
    }

    static func missingParameter(_ name: String, flavour: MetaGraphFake.Flavour) -> FakeResponse {
        .json(
            400,
            [
                "error": [
                    "message": .string("(#100) The parameter \(name) is required"), "type": "OAuthException",
                    "code": 100, "fbtrace_id": "AbCdEfFake124",
                ]
            ])
    }

    private static func message(code: Int, subcode: Int?) -> String {
        switch (code, subcode) {
        case (190, _): return "Invalid OAuth access token - Cannot parse access token"
        case (10, 2_018_278):
            return
                "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview"
        case (10, 2_534_022): return "(#10) This message is sent outside of allowed window."
        case (10, 2_018_108): return "(#10) This person isn't receiving messages from you right now."
        case (551, _): return "(#551) This person isn't available right now."
        case (613, _): return "(#613) Calls to this api have exceeded the rate limit."
        case (2, _): return "An unexpected error has occurred. Please retry your request later."
        case (1, 1_357_046): return "Received invalid JSON reply."
        case (131_047, _): return "(#131047) Re-engagement message"
        case (131_026, _): return "(#131026) Message undeliverable"
        case (130_429, _): return "(#130429) Rate limit hit"
        case (131_056, _): return "(#131056) (Business Account, Consumer Account) pair rate limit hit"
        case (131_062, _): return "(#131062) Business-scoped User ID recipients are not supported for this message"
        case (0, _): return "(#0) Authentication error: the access token could not be validated"
        case (368, _): return "(#368) The action attempted has been deemed abusive or is otherwise disallowed"
        case (1200, _): return "(#1200) Temporary send message failure. Please try again later"
        case (10_900, _): return "(#10900) Activity already replied to"
        case (80_007, _): return "(#80007) Rate limit issues"
        case (132_012, _): return "(#132012) Parameter format does not match format in the created template"
        default: return "(#\(code)) Error"
        }
    }

    private static func details(code: Int) -> String {
        code == 131_047
            ? "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
            : "Error \(code)"
    }
}
