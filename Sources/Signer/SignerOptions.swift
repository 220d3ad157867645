import ArgumentParser
import DNSCore
import DNSEdge
import Foundation

/// Parsing and reporting shared by the signer's subcommands.
enum SignerOptions {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func origin(_ text: String) throws -> DomainName {
        do {
            return try DomainName(text, origin: .root)
        } catch {
            throw ValidationError("origin \(text): \(error)")
        }
    }

    static func algorithm(_ text: String) throws -> DNSSECAlgorithm {
        guard let algorithm = DNSSECAlgorithm(mnemonic: text), algorithm.isSupported else {
            throw ValidationError("algorithm \(text): use one of "
                + DNSSECAlgorithm.supported.map { "\($0.mnemonic.lowercased()) (\($0.rawValue))" }.joined(separator: ", "))
        }
        return algorithm
    }

    /// Refuses to sign a zone with semantic errors (no SOA, CNAME beside data, ...): signing would only
    /// make the mistake harder to undo.
    static func refuseErrors(in zone: Zone, file: String) throws {
        var errors = zone.check().filter { $0.severity == .error }
        // ALIAS is the primary's private type: it must arrive expanded into A/AAAA, never signed as is.
        for rrset in zone.rrsets where rrset.type == .ALIAS {
            errors.append(ZoneProblem(
                severity: .error, name: rrset.name, type: .ALIAS,
                reason: "ALIAS must be expanded into A/AAAA (dns-primary does it on transfer) before signing"))
        }
        guard errors.isEmpty else {
            for problem in errors { note("\(file): \(problem)") }
            throw Failure("\(file): \(errors.count) error(s); nothing signed")
        }
    }

    static func note(_ line: String) {
        FileHandle.standardError.write(Data("dns-signer: \(line)\n".utf8))
    }
}
