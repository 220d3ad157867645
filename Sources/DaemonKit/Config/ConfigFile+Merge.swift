/// Flags override the file: the daemons build their settings with these two helpers so the rule is the same
/// everywhere. The file's value is checked even when a flag overrides it, so a mistake in the file is
/// reported now rather than the day the flag is dropped from the unit file.
extension ConfigFile {
    /// A setting given once: the flag when given, else the file's value, else `fallback`.
    package func setting<T>(
        _ key: String, flag: T?, default fallback: T, _ parse: (Value) throws(ConfigError) -> T
    ) throws(ConfigError) -> T {
        let fromFile = try single(key).map(parse)
        return flag ?? fromFile ?? fallback
    }

    /// A repeatable setting (`listen`): the flags when any were given — they replace the file's list, they
    /// do not add to it — else every value in the file, else `fallback`.
    package func list<T>(
        _ key: String, flags: [T], default fallback: [T], _ parse: (Value) throws(ConfigError) -> T
    ) throws(ConfigError) -> [T] {
        let fromFile = try values(key).map(parse)
        if !flags.isEmpty { return flags }
        return fromFile.isEmpty ? fallback : fromFile
    }
}
