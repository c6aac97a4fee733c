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
