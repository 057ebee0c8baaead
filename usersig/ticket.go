package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxTicketLen is the length, in bytes, of the longest UserSig or
// PrivateMapKey that Decode accepts and the generating functions produce.
// Real tickets are 150 to 400 bytes long.
const MaxTicketLen = 8 << 10

// maxInflated caps the JSON a ticket may inflate to. Deflate can expand
// about 1000:1, so without a cap an 8 KiB ticket could make a verifier
// allocate megabytes.
const maxInflated = 16 << 10

// version is the value of TLS.ver in every ticket generated here.
const version = "2.0"

// JSON keys of a ticket (trtc-reference §6.1 step 3).
const (
	keyVersion    = "TLS.ver"
	keyIdentifier = "TLS.identifier"
	keySDKAppID   = "TLS.sdkappid"
	keyExpire     = "TLS.expire"
	keyTime       = "TLS.time"
	keyUserBuf    = "TLS.userbuf"
	keySig        = "TLS.sig"
)

// ticketEncoding is standard Base64 with '+', '/' and '=' replaced by '*',
// '-' and '_' (trtc-reference §6.1 step 5).
var ticketEncoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-").WithPadding('_')

// unsubstitute undoes the URL-safe substitution. Like TLSSigAPIv2's decoder
// it maps characters one by one, so a ticket that was never substituted
// (standard Base64) decodes too.
var unsubstitute = strings.NewReplacer("*", "+", "-", "/", "_", "=")

// A Ticket is the decoded content of a UserSig or PrivateMapKey.
type Ticket struct {
	// Version is TLS.ver, "2.0" for TLSSigAPIv2; empty when absent.
	// Verification does not look at it, as TLSSigAPIv2 does not.
	Version string
	// Identifier is TLS.identifier, the user id the ticket was issued to.
	Identifier string
	// SDKAppID is TLS.sdkappid.
	SDKAppID uint32
	// Time is TLS.time, when the ticket was issued, in Unix seconds.
	Time int64
	// Expire is TLS.expire, the ticket's lifetime in seconds after Time.
	// It is 0 when absent: the reference Go library omits a zero expiry.
	Expire int64
	// UserBuf is TLS.userbuf, decoded; nil when the ticket has none. A
	// PrivateMapKey's userbuf holds its permissions (see PrivateMap).
	UserBuf []byte
	// Sig is TLS.sig, decoded: the HMAC-SHA256 of the other fields.
	Sig []byte
}

// ExpiresAt returns the last second at which the ticket is valid: a ticket
// is expired once the clock is past Time + Expire.
func (t *Ticket) ExpiresAt() time.Time {
	return time.Unix(t.expiresUnix(), 0).UTC()
}

// expiresUnix is Time + Expire, saturated instead of wrapping around so that
// absurd values in a forged ticket cannot turn an expired ticket valid.
func (t *Ticket) expiresUnix() int64 {
	switch {
	case t.Expire > 0 && t.Time > math.MaxInt64-t.Expire:
		return math.MaxInt64
	case t.Expire < 0 && t.Time < math.MinInt64-t.Expire:
		return math.MinInt64
	}
	return t.Time + t.Expire
}

// expired reports whether the ticket is expired at now: TLSSigAPIv2 accepts
// a ticket up to and including second Time + Expire.
func (t *Ticket) expired(now time.Time) bool {
	return now.Unix() > t.expiresUnix()
}

// PrivateMap decodes the ticket's userbuf as a PrivateMapKey permission blob
// without verifying anything: use ParsePrivateMapKey to trust it.
func (t *Ticket) PrivateMap() (*PrivateMap, error) {
	if t.UserBuf == nil {
		return nil, fmt.Errorf("%w: the ticket has no userbuf, it is not a PrivateMapKey", ErrUserBufMismatch)
	}
	return decodePrivateMap(t.UserBuf)
}

// signedContent returns the text that TLS.sig signs (trtc-reference §6.1
// step 1): one "name:value" line per field, each ending in LF, the userbuf
// line only when the ticket has a userbuf.
func (t *Ticket) signedContent() []byte {
	b := make([]byte, 0, 128+base64.StdEncoding.EncodedLen(len(t.UserBuf)))
	b = append(b, keyIdentifier+":"...)
	b = append(b, t.Identifier...)
	b = append(b, "\n"+keySDKAppID+":"...)
	b = strconv.AppendUint(b, uint64(t.SDKAppID), 10)
	b = append(b, "\n"+keyTime+":"...)
	b = strconv.AppendInt(b, t.Time, 10)
	b = append(b, "\n"+keyExpire+":"...)
	b = strconv.AppendInt(b, t.Expire, 10)
	b = append(b, '\n')
	if t.UserBuf != nil {
		b = append(b, keyUserBuf+":"...)
		b = base64.StdEncoding.AppendEncode(b, t.UserBuf)
		b = append(b, '\n')
	}
	return b
}

// mac computes TLS.sig: HMAC-SHA256 keyed with the SDKSecretKey's bytes.
func (t *Ticket) mac(key string) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write(t.signedContent())
	return h.Sum(nil)
}

// wireTicket is the JSON form of a ticket. The field order and omitempty
// tags reproduce the reference Go library's output byte for byte: keys in
// this order, HTML-escaped strings, and the encoder's trailing newline.
// UserBuf is a pointer so that a present but empty userbuf still appears
// (the reference omits it, producing a ticket that cannot verify).
type wireTicket struct {
	Version    string  `json:"TLS.ver,omitempty"`
	Identifier string  `json:"TLS.identifier,omitempty"`
	SDKAppID   uint32  `json:"TLS.sdkappid,omitempty"`
	Expire     int64   `json:"TLS.expire,omitempty"`
	Time       int64   `json:"TLS.time,omitempty"`
	UserBuf    *string `json:"TLS.userbuf,omitempty"`
	Sig        []byte  `json:"TLS.sig,omitempty"`
}

// encode serializes the ticket as JSON, compresses it at the given zlib level
// and applies the ticket Base64 alphabet.
func (t *Ticket) encode(level int) (string, error) {
	w := wireTicket{
		Version:    t.Version,
		Identifier: t.Identifier,
		SDKAppID:   t.SDKAppID,
		Expire:     t.Expire,
		Time:       t.Time,
		Sig:        t.Sig,
	}
	if t.UserBuf != nil {
		s := base64.StdEncoding.EncodeToString(t.UserBuf)
		w.UserBuf = &s
	}
	var doc bytes.Buffer
	if err := json.NewEncoder(&doc).Encode(w); err != nil {
		return "", err
	}
	if doc.Len() > maxInflated {
		return "", fmt.Errorf("%w: the ticket's JSON would be %d bytes long, more than %d", ErrInvalidArgument, doc.Len(), maxInflated)
	}
	var z bytes.Buffer
	if level == zlib.NoCompression {
		writeStoredZlib(&z, doc.Bytes())
	} else {
		zw, err := zlib.NewWriterLevel(&z, level)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrInvalidArgument, err)
		}
		zw.Write(doc.Bytes()) // cannot fail: bytes.Buffer does not
		if err := zw.Close(); err != nil {
			return "", err
		}
	}
	if n := ticketEncoding.EncodedLen(z.Len()); n > MaxTicketLen {
		return "", fmt.Errorf("%w: the ticket would be %d bytes long, more than %d", ErrInvalidArgument, n, MaxTicketLen)
	}
	return ticketEncoding.EncodeToString(z.Bytes()), nil
}

// Decode parses a UserSig or PrivateMapKey without verifying it, for tools
// that inspect tickets. Anything Decode returns is untrusted: use
// VerifyUserSig or ParsePrivateMapKey to authenticate a ticket.
//
// Decode accepts any zlib compression level, JSON keys in any order, and
// ignores unknown keys. It rejects with ErrMalformed a ticket longer than
// MaxTicketLen, one that inflates to more than 16 KiB, and one missing
// TLS.identifier, TLS.sdkappid, TLS.time or TLS.sig. TLS.ver and TLS.expire
// are optional, because the reference Go library omits zero values.
func Decode(sig string) (*Ticket, error) {
	if sig == "" {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if len(sig) > MaxTicketLen {
		return nil, fmt.Errorf("%w: %d bytes long, more than %d", ErrMalformed, len(sig), MaxTicketLen)
	}
	compressed, err := base64.StdEncoding.DecodeString(unsubstitute.Replace(sig))
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrMalformed, err)
	}
	zr, err := getInflater(compressed)
	if err != nil {
		return nil, fmt.Errorf("%w: inflating: %v", ErrMalformed, err)
	}
	// Reading to EOF makes the zlib reader check the Adler-32 trailer.
	doc, err := io.ReadAll(io.LimitReader(zr, maxInflated+1))
	inflaters.Put(zr)
	if err != nil {
		return nil, fmt.Errorf("%w: inflating: %v", ErrMalformed, err)
	}
	if len(doc) > maxInflated {
		return nil, fmt.Errorf("%w: inflates to more than %d bytes", ErrMalformed, maxInflated)
	}
	t, err := parseTicketJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return t, nil
}

// parseTicketJSON reads the ticket's JSON object. It walks the tokens rather
// than unmarshalling into a struct so that it can reject duplicate keys and
// type confusions (encoding/json would take the last duplicate, match keys
// case-insensitively and accept a number written as a string).
func parseTicketJSON(doc []byte) (*Ticket, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("JSON: not an object")
	}
	t := &Ticket{}
	seen := make(map[string]bool, 8)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("JSON: %v", err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("JSON: %v", err)
		}
		if seen[name] {
			return nil, fmt.Errorf("JSON: duplicate key %q", name)
		}
		seen[name] = true
		if err := t.setField(name, raw); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("JSON: unterminated object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("JSON: data after the object")
	}
	switch {
	case t.Identifier == "":
		return nil, errors.New(keyIdentifier + " is missing")
	case t.SDKAppID == 0:
		return nil, errors.New(keySDKAppID + " is missing")
	case t.Time == 0:
		return nil, errors.New(keyTime + " is missing")
	case len(t.Sig) == 0:
		return nil, errors.New(keySig + " is missing")
	}
	return t, nil
}

// setField stores one JSON member of a ticket. Unknown keys are ignored so
// that a future TLSSigAPI field does not break verification.
func (t *Ticket) setField(name string, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	var err error
	switch name {
	case keyVersion:
		t.Version, err = jsonString(raw)
	case keyIdentifier:
		t.Identifier, err = jsonString(raw)
	case keySDKAppID:
		var v int64
		v, err = jsonInt(raw, 0, math.MaxUint32)
		t.SDKAppID = uint32(v)
	case keyExpire:
		t.Expire, err = jsonInt(raw, math.MinInt64, math.MaxInt64)
	case keyTime:
		t.Time, err = jsonInt(raw, math.MinInt64, math.MaxInt64)
	case keyUserBuf:
		t.UserBuf, err = jsonBase64(raw)
	case keySig:
		t.Sig, err = jsonBase64(raw)
	}
	return err
}

// jsonInt decodes a JSON number that is an integer in [lo, hi]. Like
// encoding/json decoding into an integer field, it refuses fractions and
// exponents; unlike it, it also refuses a number written as a string.
func jsonInt(raw json.RawMessage, lo, hi int64) (int64, error) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, errors.New("not a number")
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, errors.New("not a 64-bit integer")
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%d is out of range", v)
	}
	return v, nil
}

// jsonString decodes a JSON string, refusing other types.
func jsonString(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", errors.New("not a string")
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// jsonBase64 decodes a JSON string of standard Base64, as encoding/json does
// for a []byte field in the reference library. An empty string yields an
// empty, non-nil slice: the field is present.
func jsonBase64(raw json.RawMessage) ([]byte, error) {
	s, err := jsonString(raw)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// writeStoredZlib writes data as a zlib stream of stored (uncompressed)
// deflate blocks, byte for byte what compress/zlib writes at NoCompression:
// header 78 01, non-final stored blocks of up to 65535 bytes, an empty final
// stored block, and the Adler-32 of data. It avoids allocating a deflate
// compressor (hundreds of KiB) for every ticket.
func writeStoredZlib(w *bytes.Buffer, data []byte) {
	sum := adler32.Checksum(data)
	w.Write([]byte{0x78, 0x01})
	for len(data) > 0 {
		n := min(len(data), 65535)
		w.Write([]byte{0x00, byte(n), byte(n >> 8), ^byte(n), ^byte(n >> 8)})
		w.Write(data[:n])
		data = data[n:]
	}
	w.Write([]byte{0x01, 0x00, 0x00, 0xff, 0xff})
	w.Write([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
}

// inflaters reuses zlib readers: each one holds a 32 KiB window.
var inflaters sync.Pool

func getInflater(compressed []byte) (io.ReadCloser, error) {
	if zr, ok := inflaters.Get().(io.ReadCloser); ok {
		if err := zr.(zlib.Resetter).Reset(bytes.NewReader(compressed), nil); err != nil {
			return nil, err
		}
		return zr, nil
	}
	return zlib.NewReader(bytes.NewReader(compressed))
}
