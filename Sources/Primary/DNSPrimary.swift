import ArgumentParser

/// `dns-primary`: the hidden, unsigned primary. Operators edit zones here (`zone`, `record`, `tsig`); `serve`
/// answers queries and transfers with every ALIAS expanded into A/AAAA and follows the targets as they move.
@main
struct DNSPrimary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns-primary",
        abstract: "Countersign's hidden primary: zones with ALIAS records, expanded on transfer.",
        discussion: """
            Every command takes --db PATH (default: $DNS_PRIMARY_DB, else the config file's 'database', else \
            /var/lib/countersign/primary.db) and --config FILE (default: $DNS_PRIMARY_CONFIG, else \
            /etc/countersign/primary.conf when it exists); --json prints JSON for scripts. Errors name the \
            zone, the record and the reason, and exit non-zero; a refused edit changes nothing.
            """,
        subcommands: [
            ServeCommand.self, ZoneCommand.self, RecordCommand.self, TSIGCommand.self, ZoneFileCommand.self, NotifyCommand.self,
            UpdateACLCommand.self, APIKeyCommand.self, CatalogCommand.self,
        ]
    )
}
