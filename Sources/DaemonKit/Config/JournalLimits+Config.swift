import DNSCore

extension JournalLimits {
    /// The range `--journal-max-versions` and `journal-max-versions` take (0 turns the journal off).
    package static let versionRange = 0...100_000
    /// The range `--journal-max-bytes` and `journal-max-bytes` take (up to 16 GiB per zone).
    package static let byteRange = 0...(16 << 30)

    /// Both daemons' `journal-max-versions` and `journal-max-bytes`: a flag wins over the config file,
    /// which wins over `JournalLimits.default`. A flag out of range is refused as the file's value would be.
    package init(config: ConfigFile, versions: Int?, bytes: Int?) throws(ConfigError) {
        for (flag, value, range) in [("--journal-max-versions", versions, Self.versionRange), ("--journal-max-bytes", bytes, Self.byteRange)] {
            if let value, !range.contains(value) {
                throw ConfigError(file: flag, line: nil, reason: "\(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
            }
        }
        self.init(
            maxVersions: try config.setting("journal-max-versions", flag: versions, default: Self.default.maxVersions) {
                value throws(ConfigError) in try value.integer(in: Self.versionRange)
            },
            maxBytes: try config.setting("journal-max-bytes", flag: bytes, default: Self.default.maxBytes) {
                value throws(ConfigError) in try value.integer(in: Self.byteRange)
            })
    }
}
