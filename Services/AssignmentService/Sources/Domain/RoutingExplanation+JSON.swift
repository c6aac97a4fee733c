#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The stored form of an explanation (`assignments.explanation`, `assignment_history.explanation`),
/// written by hand: a routing batch writes one per decision, twice, each with every candidate of
/// the team, and `JSONEncoder` took about 30 % of assignment-service's CPU for them. The text is
/// exactly what the synthesized `Codable` conformance reads back (the same keys; `ruleID` and
/// `teamID` left out when nil), which `RoutingExplanationJSONTests` checks.
extension RoutingExplanation {
    var jsonText: String {
        var out = "{\"candidates\":["
        out.reserveCapacity(256 + self.summary.utf8.count + self.candidates.count * 192)
        for (index, candidate) in self.candidates.enumerated() {
            if index > 0 { out += "," }
            out += "{\"agentID\":"
            Self.appendString(candidate.agentID, to: &out)
            out += ",\"availability\":"
            Self.appendString(candidate.availability.rawValue, to: &out)
            out += ",\"capacity\":\(candidate.capacity),\"eligible\":\(candidate.eligible),\"load\":\(candidate.load)"
            out += ",\"note\":"
            Self.appendString(candidate.note, to: &out)
            out += ",\"openConversations\":\(candidate.openConversations),\"weight\":\(candidate.weight)}"
        }
        out += "]"
        if let ruleID = self.ruleID { out += ",\"ruleID\":\"\(ruleID.uuidString)\"" }
        out += ",\"ruleName\":"
        Self.appendString(self.ruleName, to: &out)
        out += ",\"summary\":"
        Self.appendString(self.summary, to: &out)
        if let teamID = self.teamID { out += ",\"teamID\":\"\(teamID.uuidString)\"" }
        out += "}"
        return out
    }

    /// `value` as a JSON string: quotes, backslashes and control characters escaped.
    static func appendString(_ value: String, to out: inout String) {
        out += "\""
        // Most texts (ids, notes) need no escape: appended whole.
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
        else {
            out += value
            out += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
