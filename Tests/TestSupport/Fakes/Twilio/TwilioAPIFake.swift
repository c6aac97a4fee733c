import Foundation
import PlatformJSON

/// A fake Twilio REST API: `POST /2010-04-01/Accounts/{sid}/Messages.json`, HTTP Basic auth
/// (`AccountSid:AuthToken`), form body. 201 with the Message resource (`status: queued`, or
/// `accepted` via a Messaging Service); errors `{"code","message","more_info","status"}`.
/// Twilio has no reply window: `.windowError` plays the opt-out refusal 21610 instead, the one
/// "may not message this person now" answer Twilio has.
public final class TwilioAPIFake: Sendable {
    /// Endpoint names for `FailureScript.enqueue(_:on:)` (use `.rawValue`).
    public enum Endpoint: String, Sendable {
        case messages
    }

    public let accountSID: String
    public let authToken: String
    let host = FakePlatformHost()

    public var recorder: RequestRecorder { host.recorder }
    public var script: FailureScript { host.script }
    public var baseURL: String { host.baseURL }

    private init(accountSID: String, authToken: String) {
        self.accountSID = accountSID
        self.authToken = authToken
    }

    public static func start(accountSID: String, authToken: String) async throws -> TwilioAPIFake {
        let fake = TwilioAPIFake(accountSID: accountSID, authToken: authToken)
        try await fake.host.start(endpoint: Self.endpoint(of:)) { fake.answer($0, failure: $1) }
        return fake
    }

    public func stop() async { await host.stop() }

    private static func endpoint(of request: FakeRequest) -> String? {
        let segments = request.segments
        guard request.method == "POST", segments.count == 4, segments[0] == "2010-04-01", segments[1] == "Accounts",
            segments[3] == "Messages.json"
        else { return nil }
        return Endpoint.messages.rawValue
    }

    private func answer(_ request: FakeRequest, failure: ScriptedFailure?) -> FakeResponse {
        let expected = "Basic " + Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
        guard request.headers["authorization"] == expected, request.segments[2] == accountSID else {
            return error(401, 20003, "Authenticate")
        }
        switch failure {
        case .rateLimited(let seconds):
            return error(429, 20429, "Too Many Requests", headers: ["retry-after": String(seconds)])
        case .serverError: return error(500, 20500, "Internal Server Error")
        case .tokenError: return error(401, 20003, "Authenticate")
        case .recipientUnavailable: return error(400, 21211, "Invalid 'To' Phone Number")
        case .windowError: return error(400, 21610, "Attempt to send to unsubscribed recipient")
        case .platformError(let code, _): return error(400, code, Self.message(code: code))
        case .hang, .asyncWindowFailure, nil: break
        }
        var fields: [String: String] = [:]
        var mediaCount = 0
        for (name, value) in request.form {
            if name == "MediaUrl" { mediaCount += 1 } else { fields[name] = value }
        }
        guard let to = fields["To"], !to.isEmpty else {
            return error(400, 21604, "A 'To' phone number is required.")
        }
        guard fields["From"] != nil || fields["MessagingServiceSid"] != nil else {
            return error(400, 21603, "A 'From' phone number is required.")
        }
        guard fields["Body"]?.isEmpty == false || mediaCount > 0 else {
            return error(400, 21602, "Message body is required.")
        }
        let sid = (mediaCount > 0 ? "MM" : "SM") + String(format: "%032x", host.nextNumber())
        let uri = "/2010-04-01/Accounts/\(accountSID)/Messages/\(sid)"
        return .json(
            201,
            [
                "sid": .string(sid), "account_sid": .string(accountSID), "api_version": "2010-04-01",
                "body": .string(fields["Body"] ?? ""), "date_created": "Tue, 24 Nov 2026 18:00:00 +0000",
                "date_sent": .null, "date_updated": "Tue, 24 Nov 2026 18:00:00 +0000", "direction": "outbound-api",
                "error_code": .null, "error_message": .null, "from": fields["From"].map(WireJSON.string) ?? .null,
                "messaging_service_sid": fields["MessagingServiceSid"].map(WireJSON.string) ?? .null,
                "num_media": .string(String(mediaCount)), "num_segments": "1", "price": .null, "price_unit": "USD",
                "status": fields["MessagingServiceSid"] == nil ? "queued" : "accepted",
                "subresource_uris": ["media": .string("\(uri)/Media.json")], "to": .string(to),
                "uri": .string("\(uri).json"),
            ])
    }

    /// Twilio's texts for the codes tests script (CHANNELS.md §8.4).
    private static func message(code: Int) -> String {
        switch code {
        case 21606:
            return "The 'From' phone number provided is not a valid message-capable Twilio phone number"
                + " for this destination."
        case 21608: return "The number is unverified. Trial accounts may only send messages to verified numbers."
        case 21610: return "Attempt to send to unsubscribed recipient"
        case 21614: return "'To' number is not a valid mobile number"
        default: return "Scripted error \(code)"
        }
    }

    private func error(_ status: Int, _ code: Int, _ message: String, headers: [String: String] = [:])
        -> FakeResponse
    {
        .json(
            status,
            [
                "code": .int(Int64(code)), "message": .string(message),
                "more_info": .string("https://www.twilio.com/docs/errors/\(code)"), "status": .int(Int64(status)),
            ], headers: headers)
    }
}
