public import SwiftProtobuf

#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

extension Google_Protobuf_Timestamp {
    /// nil when unset: in requests a zero timestamp means "not given".
    public var dateIfSet: Date? {
        self.seconds == 0 && self.nanos == 0 ? nil : self.date
    }
}

extension UUID {
    /// The id as every API and table shows it (lowercase).
    public var text: String { self.uuidString.lowercased() }
}
