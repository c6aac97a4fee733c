import ChannelGateway
import InboxKit

@main
struct ChannelGatewayMain {
    static func main() async {
        await ServiceMain.run(.channelGateway) { environment, logger in
            let configuration = try GatewayConfiguration.load(from: environment)
            try await ChannelGatewayApp(configuration: configuration).run(logger: logger)
        }
    }
}
