/// What a channel stores to authenticate its platform's webhooks.
///
/// Each platform has its own type in its own folder, named in the platform's words
/// (``MetaWebhookSecrets`` for Facebook, Instagram and WhatsApp, ``XWebhookSecrets``,
/// ``WeChatWebhookSecrets``, ...), and its adapter takes exactly that type
/// (``WebhookAdapter/Secrets``): a new platform adds a type beside its adapter instead of fields
/// to a struct every platform shares. Where the channel's platform is known only at run time (the
/// HTTP endpoint, the registry), ``WebhookAdapter/handle(_:anySecrets:now:)`` takes any value of
/// this protocol and refuses another platform's type as ``WebhookError/notConfigured(_:)``.
///
/// Fields stay optional: a channel may be stored before all its secrets are, and each adapter
/// reports the missing one by name (``WebhookError/notConfigured(_:)``) rather than trusting an
/// empty value.
public protocol WebhookSecrets: Sendable {}
