import Crypto
import FoundationEssentials

/// `X-Cleanroom-Signature-256: sha256=HEX`: HMAC-SHA256 over the exact body bytes, keyed with
/// the UTF-8 bytes of the secret (the scheme GitHub uses for its webhooks, so receivers can
/// reuse their verification code). docs/alerts.md shows how to verify it.
public enum WebhookSignature {
    public static let header = "X-Cleanroom-Signature-256"

    /// The header's value: `sha256=` and 64 lowercase hex digits.
    public static func sign(body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        let hex = Array("0123456789abcdef".utf8)
        var out = Array("sha256=".utf8)
        for byte in mac { out.append(hex[Int(byte >> 4)]); out.append(hex[Int(byte & 0xf)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
