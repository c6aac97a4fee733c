public import GRPCCore

/// Passes message bytes through unchanged, so a test can call any method of any service with an
/// encoded (here: empty) protobuf message, as a generic client would.
public struct RawBytesCoder: MessageSerializer, MessageDeserializer {
    public typealias Message = [UInt8]

    public init() {}

    public func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }

    public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

/// Calls every method in `descriptors` with an empty request and returns each outcome: `.ok` when
/// it answered, otherwise the status code it ended with. Each call has a 5 s deadline, so a stream
/// that stays open (a watch that was allowed) ends as DEADLINE_EXCEEDED.
public func callEveryMethod<Transport: ClientTransport>(
    _ descriptors: [MethodDescriptor],
    client: GRPCClient<Transport>,
    metadata: Metadata
) async -> [String: RPCError.Code?] {
    var outcomes: [String: RPCError.Code?] = [:]
    var options = CallOptions.defaults
    options.timeout = .seconds(5)
    for descriptor in descriptors {
        do {
            try await client.serverStreaming(
                request: ClientRequest(message: [], metadata: metadata),
                descriptor: descriptor,
                serializer: RawBytesCoder(),
                deserializer: RawBytesCoder(),
                options: options
            ) { response in
                for try await _ in response.messages {}
            }
            outcomes[descriptor.method] = .some(nil)
        } catch let error as RPCError {
            outcomes[descriptor.method] = error.code
        } catch {
            outcomes[descriptor.method] = .some(.unknown)
        }
    }
    return outcomes
}
