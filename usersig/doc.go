// Package usersig issues and verifies TRTC UserSig and PrivateMapKey tickets.
//
// The tickets are byte-compatible with Tencent's TLSSigAPIv2, the algorithm of
// the tls-sig-api-v2 libraries (trtc-reference §6): a ticket made here
// verifies wherever a TLSSigAPIv2 ticket does, and a ticket made by any
// TLSSigAPIv2 implementation verifies here. With the same inputs and
// compression level, GenUserSigAt produces the same bytes as the reference
// Go library's GenUserSig.
//
// A ticket is a JSON document carrying an HMAC-SHA256 signature keyed with the
// application's SDKSecretKey (used as raw UTF-8 bytes, never hex-decoded),
// zlib-compressed and Base64-encoded with the URL-safe substitutions '+' → '*',
// '/' → '-', '=' → '_'. A PrivateMapKey is a ticket whose TLS.userbuf field
// carries a binary permission blob binding the user to one room and a set of
// privilege bits; see [PrivateMap].
//
// Application servers call [GenUserSig] and [GenPrivateMapKey]; the rtcengine
// server calls [VerifyUserSig] and [ParsePrivateMapKey]. Every function that
// depends on the clock has an ...At variant, or takes the time, so that
// tests and test vectors are deterministic.
//
// Verification is strict about the things that matter for security (size
// limits, the HMAC, the application, the user and expiry) and lenient where
// TLSSigAPIv2 implementations differ: any zlib compression level, JSON keys in
// any order, with or without whitespace, unknown keys ignored.
package usersig
