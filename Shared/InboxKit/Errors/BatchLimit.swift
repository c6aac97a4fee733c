/// The item limits of the batch RPCs, as their protos state them. A larger batch is refused whole
/// (`INVALID_ARGUMENT`, reason `BATCH_TOO_LARGE`) before anything is read or written.
public enum BatchLimit {
    /// IngestEvents, RecordDeliveryStatus, CheckIngest, RouteConversation, EvaluateAutoReply,
    /// SetAssignee.
    public static let standard = 500

    /// Refuses `count` items in `field` when there are more than `limit`.
    public static func check(_ count: Int, field: String, limit: Int = BatchLimit.standard) throws(DomainError) {
        guard count > limit else { return }
        throw .invalidArgument(
            "\(field) has \(count) items; at most \(limit) are allowed per call (split the batch)",
            reason: .batchTooLarge, field: field, metadata: ["limit": "\(limit)", "size": "\(count)"])
    }
}
