import Foundation
import PlatformJSON

/// What an X 403 is about, read from its body: problem JSON (`type`, `title`, `detail`, and for
/// an app outside a Project `reason: client-not-enrolled` / `required_enrollment`) or the older
/// `errors[{code, message}]`.
///
/// Decisions (CHANNELS.md §4.4 and §4.5 leave the bodies and DM-permission codes unconfirmed):
/// - Our access: problem types `client-forbidden` and `unsupported-authentication`,
///   `client-not-enrolled`, codes 453 (endpoint not in our access level), 220 (credentials do not
///   allow this resource) and 261 (app cannot write), or a text about scopes, access levels,
///   enrollment or the app's permissions.
/// - The recipient: codes 349 (cannot send messages to this user) and 150 (not following us), or
///   a text about whom messages can be sent to.
/// - Anything else, the bare `{"title":"Forbidden","detail":"Forbidden"}` included, names neither:
///   X answers that bare body to a token without `dm.write`, so it is not taken as the recipient.
enum XForbiddenAnswer {
    enum Cause {
        case access
        case recipient
        case unnamed
    }

    static let accessTypes = ["client-forbidden", "unsupported-authentication"]
    static let accessCodes: Set<Int64> = [453, 220, 261]
    static let accessWords = [
        "scope", "access level", "subset of", "enroll", "app permission", "application permission",
        "appropriate level", "oauth", "authentication", "attached to a project",
    ]
    static let recipientCodes: Set<Int64> = [349, 150]
    static let recipientWords = [
        "send messages to", "send a direct message to", "direct message conversation with", "not following",
        "message this user", "does not accept", "dm settings",
    ]

    static func cause(of json: WireJSON?) -> Cause {
        guard let json else { return .unnamed }
        let type = json["type"]?.text ?? ""
        var codes: Set<Int64> = []
        var texts = [json["title"]?.text, json["detail"]?.text].compactMap { $0 }
        if case .array(let errors) = json["errors"] {
            for error in errors {
                if let code = error["code"]?.integer { codes.insert(code) }
                texts += [error["message"]?.text, error["detail"]?.text].compactMap { $0 }
            }
        }
        let text = texts.joined(separator: " ").lowercased()
        if accessTypes.contains(where: { type.contains($0) }) || json["reason"]?.text == "client-not-enrolled"
            || json["required_enrollment"] != nil || !codes.isDisjoint(with: accessCodes)
            || accessWords.contains(where: { text.contains($0) })
        {
            return .access
        }
        if !codes.isDisjoint(with: recipientCodes) || recipientWords.contains(where: { text.contains($0) }) {
            return .recipient
        }
        return .unnamed
    }
}
