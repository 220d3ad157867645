import ArgumentParser

/// `dns-signer`: the signing secondary and public face. It pulls the unsigned zone from the hidden primary,
/// refuses broken transfers, signs, and serves.
@main
struct DNSSigner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns-signer",
        abstract: "Countersign's signing secondary: transfer, guard, sign, serve.",
        subcommands: [
            ServeCommand.self, ZoneCommand.self, TSIGCommand.self, KeysCommand.self, DNSKEYCommand.self, DSCommand.self,
            CheckChainCommand.self, NotifyCommand.self, SignZoneCommand.self, VerifyZoneCommand.self, CatalogCommand.self,
        ]
    )
}
