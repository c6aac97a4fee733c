import ConversationService
import InboxKit

@main
struct ConversationServiceMain {
    static func main() async {
        await ServiceMain.run(.conversationService) { environment, logger in
            let configuration = try ServiceConfiguration.load(.conversationService, from: environment)
            try await ConversationServiceApp(configuration: configuration).run(logger: logger)
        }
    }
}
