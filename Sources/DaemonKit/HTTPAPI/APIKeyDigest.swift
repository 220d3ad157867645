import Crypto

/// API keys are stored as the SHA-256 of the secret, never the secret: a copy of the database (a
/// backup, a support bundle) gives no one the API. The secret is 32 random bytes, so a plain hash is as
/// strong as a slow one here (slow hashes protect guessable passwords, not random keys).
package enum APIKeyDigest {
    /// Lowercase hex SHA-256 of the secret's UTF-8 bytes.
    package static func hex(of secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }

    /// Compares two digests without stopping at the first difference.
    package static func equal(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// A new secret: 32 random bytes from the system generator, base64url without padding (43 chars).
    package static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var out = ""
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 6 {
                bits -= 6
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x3F)])
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(6 - bits)) & 0x3F)]) }
        return out
    }
}
