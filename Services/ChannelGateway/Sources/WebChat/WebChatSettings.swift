import InboxAPI
import InboxKit
import InboxRules

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A web-chat channel's widget settings (`ConnectChannelRequest.web_chat`): where it may be
/// embedded, what it says, and when someone is there to answer.
///
/// Stored in the channel's non-secret settings map under `web_chat.*` keys (no table of its own):
/// `web_chat.allowed_origins` (space-separated), `web_chat.greeting`, `web_chat.offline_message`,
/// `web_chat.business_hours` (the schedule as JSON) and `web_chat.outside_hours`.
struct WebChatSettings: Sendable, Hashable {
    enum OutsideHours: String, Sendable, Hashable {
        /// Show the offline message and still take messages.
        case offlineMessage = "offline_message"
        /// Show no launcher at all.
        case hide
    }

    /// Origins, normalised (`https://www.example.com`, `http://localhost:3000`).
    var allowedOrigins: [String]
    var greeting: String
    var offlineMessage: String
    /// Nil: always open.
    var businessHours: BusinessHours?
    var outsideHours: OutsideHours

    static let maxTextLength = 500
    static let maxOrigins = 20
    static let keyPrefix = "web_chat."

    /// Whether someone is there to answer at `instant`.
    func isOpen(at instant: Date) -> Bool {
        guard let businessHours, !businessHours.windows.isEmpty else { return true }
        return businessHours.contains(instant)
    }

    /// Whether `origin` (an `Origin` header) may use the widget: one of ``allowedOrigins`` or
    /// `own`, the gateway's own public origin (its demo page).
    func allows(origin: String, own: String) -> Bool {
        let normalised = Self.normalisedOrigin(origin) ?? origin
        return normalised == own || self.allowedOrigins.contains(normalised)
    }

    // MARK: The settings map

    /// The `web_chat.*` entries of a channel's settings map.
    var settingsEntries: [String: String] {
        var entries = [
            "web_chat.allowed_origins": self.allowedOrigins.joined(separator: " "),
            "web_chat.greeting": self.greeting,
            "web_chat.offline_message": self.offlineMessage,
            "web_chat.outside_hours": self.outsideHours.rawValue,
        ]
        if let businessHours, let json = try? JSONEncoder().encode(businessHours) {
            entries["web_chat.business_hours"] = String(decoding: json, as: UTF8.self)
        }
        return entries
    }

    /// The settings a channel's map holds (defaults for what is missing).
    init(settings: [String: String]) {
        self.allowedOrigins = (settings["web_chat.allowed_origins"] ?? "").split(separator: " ").map(String.init)
        self.greeting = settings["web_chat.greeting"] ?? ""
        self.offlineMessage = settings["web_chat.offline_message"] ?? ""
        self.businessHours = settings["web_chat.business_hours"].flatMap {
            try? JSONDecoder().decode(BusinessHours.self, from: Data($0.utf8))
        }
        self.outsideHours = settings["web_chat.outside_hours"].flatMap(OutsideHours.init(rawValue:)) ?? .offlineMessage
    }

    init(
        allowedOrigins: [String], greeting: String, offlineMessage: String, businessHours: BusinessHours?,
        outsideHours: OutsideHours
    ) {
        self.allowedOrigins = allowedOrigins
        self.greeting = greeting
        self.offlineMessage = offlineMessage
        self.businessHours = businessHours
        self.outsideHours = outsideHours
    }

    // MARK: Proto

    /// The settings of a ConnectChannel request, validated; `field` is the request's field name.
    init(proto: Inbox_V1_WebChatSettings, field: String) throws(DomainError) {
        guard (1...Self.maxOrigins).contains(proto.allowedOrigins.count) else {
            throw .invalidArgument(
                "\(field).allowed_origins must name 1 to \(Self.maxOrigins) website origins (https://www.example.com)",
                field: "\(field).allowed_origins")
        }
        var origins: [String] = []
        for (index, origin) in proto.allowedOrigins.enumerated() {
            guard let normalised = Self.normalisedOrigin(origin) else {
                throw .invalidArgument(
                    "\(field).allowed_origins[\(index)] must be an origin: http(s)://host[:port], without a path",
                    field: "\(field).allowed_origins")
            }
            if !origins.contains(normalised) { origins.append(normalised) }
        }
        for (name, text) in [("greeting", proto.greeting), ("offline_message", proto.offlineMessage)]
        where text.count > Self.maxTextLength {
            throw .invalidArgument(
                "\(field).\(name) must be at most \(Self.maxTextLength) characters", field: "\(field).\(name)")
        }
        var hours: BusinessHours?
        if proto.hasBusinessHours, !proto.businessHours.windows.isEmpty {
            hours = try BusinessHours(proto: proto.businessHours, field: "\(field).business_hours")
        }
        self.init(
            allowedOrigins: origins, greeting: proto.greeting, offlineMessage: proto.offlineMessage,
            businessHours: hours, outsideHours: proto.outsideHours == .hide ? .hide : .offlineMessage)
    }

    var proto: Inbox_V1_WebChatSettings {
        .with {
            $0.allowedOrigins = self.allowedOrigins
            $0.greeting = self.greeting
            $0.offlineMessage = self.offlineMessage
            if let businessHours = self.businessHours { $0.businessHours = businessHours.proto }
            $0.outsideHours = self.outsideHours == .hide ? .hide : .offlineMessage
        }
    }

    /// `scheme://host[:port]` in lower case without a default port, or nil when `text` is not an
    /// http(s) origin (a path, a query, user info or another scheme).
    static func normalisedOrigin(_ text: String) -> String? {
        let lowered = text.trimmingCharacters(in: .whitespaces).lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") {
            scheme = "https"
        } else if lowered.hasPrefix("http://") {
            scheme = "http"
        } else {
            return nil
        }
        var rest = Substring(lowered.dropFirst(scheme.count + 3))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, rest.count <= 253,
            rest.allSatisfy({
                $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]"
            }),
            rest.first != ":"
        else { return nil }
        var host = rest
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            let port = rest[rest.index(after: colon)...]
            guard let number = Int(port), (1...65535).contains(number) else { return nil }
            host = rest[..<colon]
            if (scheme == "https" && number == 443) || (scheme == "http" && number == 80) {
                return "\(scheme)://\(host)"
            }
        }
        guard !host.isEmpty else { return nil }
        return "\(scheme)://\(rest)"
    }

    /// The origin of a base URL (`https://inbox.example.com/prefix` → `https://inbox.example.com`).
    static func origin(ofBaseURL base: String) -> String {
        guard let schemeEnd = base.range(of: "://") else { return base }
        let afterScheme = base[schemeEnd.upperBound...]
        let host = afterScheme.prefix { $0 != "/" }
        return Self.normalisedOrigin(String(base[..<schemeEnd.upperBound]) + host) ?? base
    }

    /// The snippet a business pastes into its pages.
    static func snippet(channelID: UUID, publicBaseURL: String) -> String {
        let base = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        return "<script src=\"\(base)/chat/\(channelID.uuidString.lowercased())/widget.js\" async></script>"
    }
}
