import ArgumentParser

/// The operator's and support engineer's tool: organisations, channels, the inbox, the inbound
/// log, tokens and health, over the services' own gRPC API. One file per command group; the
/// shared pieces are `Connection.swift` (addresses, token, clients), `Output.swift` (tables,
/// JSON), `CommandFailure.swift` (errors as a reason and what to do) and `Arguments.swift`.
@main
struct InboxCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inboxctl",
        abstract: "The operator's and support engineer's tool for Social Inbox.",
        discussion: """
            Every command but token, keygen and health calls a service with a bearer token: --token, or \
            INBOX_TOKEN (mint one with `inboxctl token`). The services' addresses come from the variables the \
            services themselves read (CHANNEL_GATEWAY_ADDR, CONVERSATION_SERVICE_ADDR, ASSIGNMENT_SERVICE_ADDR, \
            POLICY_SERVICE_ADDR; default 127.0.0.1 and the default ports 50051-50054), or from the \
            --<service>-addr options. Output is a table for people; --json prints the API's messages as JSON \
            (one object per line) for scripts. A failure says why and what to do, on standard error, with exit \
            status 1 (64 for a usage error).

            Examples:
              export TOKEN_SIGNING_KEY=$(cat .local/token-signing-key)
              export INBOX_TOKEN=$(inboxctl token --role operator)
              inboxctl org create --name "Shop" --plan enterprise
              export INBOX_TOKEN=$(inboxctl token --role admin --organization <org id>)
              inboxctl channel connect --platform telegram --account shop_bot --access-token "$BOT_TOKEN" \\
                  --verify-token "$SECRET_TOKEN"
              inboxctl conversations list --status open
              inboxctl reply <conversation id> "It ships today."
              inboxctl watch --json
              inboxctl inbound replay --dead-lettered
            """,
        groupedSubcommands: [
            CommandGroup(name: "Organisations and channels", subcommands: [OrgCommand.self, ChannelCommand.self]),
            CommandGroup(
                name: "The inbox",
                subcommands: [
                    ConversationsCommand.self, ReplyCommand.self, AssignCommand.self, WatchCommand.self,
                    InboxCommand.self,
                ]),
            CommandGroup(
                name: "Operations",
                subcommands: [InboundCommand.self, MintToken.self, GenerateKeys.self, CheckHealth.self]),
        ]
    )

    @OptionGroup var global: GlobalOptions
}
