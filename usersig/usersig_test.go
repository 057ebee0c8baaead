package usersig

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The test vector of trtc-reference §6.1 (computed by us from the
// algorithm, not published by Tencent).
const (
	vecKey           = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	vecApp    uint32 = 1400000000
	vecUser          = "xiaojun"
	vecTime          = 1700000000
	vecExpire        = 86400
	vecSig           = "SNF4FmVCPucoXsBOpbVF3fFCf57JPm0ezZ1jeVILlVc="

	// vecJSON is the document the reference Go library signs for the
	// vector: its key order, no spaces, and json.Encoder's trailing newline.
	vecJSON = `{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.expire":86400,"TLS.time":1700000000,"TLS.sig":"SNF4FmVCPucoXsBOpbVF3fFCf57JPm0ezZ1jeVILlVc="}` + "\n"

	// vecUserSig is vecJSON stored by Go's zlib at level 0 (one non-final
	// stored block, then an empty final one) in the ticket alphabet: what
	// GenUserSigAt and the reference library's GenUserSig both produce.
	vecUserSig = "eAEAqQBW-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6ODY0MDAsIlRMUy50aW1lIjoxNzAwMDAwMDAwLCJUTFMuc2lnIjoiU05GNEZtVkNQdWNvWHNCT3BiVkYzZkZDZjU3SlBtMGV6WjFqZVZJTGxWYz0ifQoBAAD--1oJMXo_"

	// pyUserSig is the same ticket made by a separate Python implementation
	// of §6.1 written for this test: json.dumps' ", " and ": " separators
	// and zlib.compress at level 6, as TLSSigAPIv2.py does.
	pyUserSig = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpQJlLMxM4IIlmbkgIUNzNMXFmekg44P93EzccsOcA0qT8yOKnfwLksLcjNPcnNNMzb0Ccg1Sq6IMs1LDPH1ywpJtlWoBk68y0A__"
)

var vecNow = time.Unix(vecTime, 0)

// seal compresses an arbitrary document at level and applies the ticket
// alphabet, to build tickets the generator would never produce.
func seal(t testing.TB, doc string, level int) string {
	t.Helper()
	var b bytes.Buffer
	zw, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(doc))
	zw.Close()
	return ticketEncoding.EncodeToString(b.Bytes())
}

// signedDoc returns the JSON members of a correctly signed vector ticket,
// issued at vecTime, with extra appended verbatim before the closing brace.
func signedDoc(userbuf []byte, extra string) string {
	tk := &Ticket{Identifier: vecUser, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire, UserBuf: userbuf}
	sig := base64.StdEncoding.EncodeToString(tk.mac(vecKey))
	doc := fmt.Sprintf(`{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.expire":86400,"TLS.time":1700000000,"TLS.sig":%q`, sig)
	if userbuf != nil {
		doc += fmt.Sprintf(`,"TLS.userbuf":%q`, base64.StdEncoding.EncodeToString(userbuf))
	}
	return doc + extra + "}"
}

func TestVectorSignature(t *testing.T) {
	tk := &Ticket{Identifier: vecUser, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire}
	want := "TLS.identifier:xiaojun\nTLS.sdkappid:1400000000\nTLS.time:1700000000\nTLS.expire:86400\n"
	if got := string(tk.signedContent()); got != want {
		t.Fatalf("signed content = %q, want %q", got, want)
	}
	if got := base64.StdEncoding.EncodeToString(tk.mac(vecKey)); got != vecSig {
		t.Fatalf("TLS.sig = %s, want %s", got, vecSig)
	}
	tk.UserBuf = []byte{1, 2, 3}
	if got := string(tk.signedContent()); got != want+"TLS.userbuf:AQID\n" {
		t.Fatalf("signed content with userbuf = %q", got)
	}
}

func TestGenUserSigMatchesReferenceBytes(t *testing.T) {
	sig, err := GenUserSigAt(vecApp, vecKey, vecUser, vecExpire, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	if sig != vecUserSig {
		t.Fatalf("GenUserSigAt =\n%s\nwant\n%s", sig, vecUserSig)
	}
	if want := seal(t, vecJSON, zlib.NoCompression); sig != want {
		t.Fatalf("GenUserSigAt differs from vecJSON stored at level 0:\n%s\n%s", sig, want)
	}
	tk, err := Decode(sig)
	if err != nil {
		t.Fatal(err)
	}
	want := Ticket{Version: "2.0", Identifier: vecUser, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire}
	if got := base64.StdEncoding.EncodeToString(tk.Sig); got != vecSig {
		t.Fatalf("decoded TLS.sig = %s, want %s", got, vecSig)
	}
	tk.Sig = nil
	if fmt.Sprintf("%#v", *tk) != fmt.Sprintf("%#v", want) {
		t.Fatalf("Decode = %#v, want %#v", *tk, want)
	}
	if got, want := tk.ExpiresAt(), time.Unix(vecTime+vecExpire, 0).UTC(); !got.Equal(want) {
		t.Fatalf("ExpiresAt = %v, want %v", got, want)
	}
}

func TestVerifyAcceptsOtherImplementations(t *testing.T) {
	tests := []struct {
		name string
		sig  string
	}{
		{"reference Go bytes", vecUserSig},
		{"python separators and level 6", pyUserSig},
		{"keys reversed, no newline", seal(t, `{"TLS.sig":"`+vecSig+`","TLS.time":1700000000,"TLS.expire":86400,"TLS.sdkappid":1400000000,"TLS.identifier":"xiaojun","TLS.ver":"2.0"}`, 6)},
		{"whitespace everywhere", seal(t, " {\n\t\"TLS.identifier\" : \"xiaojun\" ,\r\n \"TLS.sdkappid\" :1400000000, \"TLS.time\": 1700000000 ,\"TLS.expire\":\t86400, \"TLS.sig\" : \""+vecSig+"\" } \n\n", 1)},
		{"no TLS.ver", seal(t, `{"TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.expire":86400,"TLS.time":1700000000,"TLS.sig":"`+vecSig+`"}`, 9)},
		{"unknown keys ignored", seal(t, `{"TLS.future":{"a":[1,2,{"b":null}]},"TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.expire":86400,"TLS.time":1700000000,"TLS.sig":"`+vecSig+`","x":true}`, 0)},
		{"escaped identifier", seal(t, `{"TLS.identifier":"xiao\u006aun","TLS.sdkappid":1400000000,"TLS.expire":86400,"TLS.time":1700000000,"TLS.sig":"`+vecSig+`"}`, 0)},
		{"standard base64 alphabet", base64.StdEncoding.EncodeToString(mustInflate(t, vecUserSig))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyUserSig(vecApp, vecKey, vecUser, tt.sig, vecNow.Add(time.Hour)); err != nil {
				t.Fatalf("VerifyUserSig: %v", err)
			}
		})
	}
}

// mustInflate returns the compressed bytes of a ticket (despite the name,
// it only undoes the Base64 layer).
func mustInflate(t *testing.T, sig string) []byte {
	t.Helper()
	b, err := ticketEncoding.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCompressionLevels(t *testing.T) {
	seen := map[string]bool{}
	for _, level := range []int{zlib.NoCompression, zlib.BestSpeed, zlib.DefaultCompression, 6, zlib.BestCompression, zlib.HuffmanOnly} {
		sig, err := generate(vecApp, vecKey, vecUser, vecExpire, vecNow, nil, level)
		if err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		seen[sig] = true
		if err := VerifyUserSig(vecApp, vecKey, vecUser, sig, vecNow); err != nil {
			t.Errorf("level %d: %v", level, err)
		}
		pmk, err := generate(vecApp, vecKey, vecUser, vecExpire, vecNow, []byte("buf"), level)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyUserSigWithBuf(vecApp, vecKey, vecUser, pmk, vecNow, []byte("buf")); err != nil {
			t.Errorf("level %d with userbuf: %v", level, err)
		}
	}
	if len(seen) < 3 {
		t.Fatalf("only %d distinct encodings: the levels were not applied", len(seen))
	}
}

func TestRoundTrip(t *testing.T) {
	users := []string{"a", "alice_01-x", "用户", `<a href="x">&amp;</a>`, "tab\there", strings.Repeat("u", 1000)}
	for _, user := range users {
		for _, expire := range []int{1, 300, 86400, 180 * 86400, 1 << 40} {
			sig, err := GenUserSig(1400000001, "k", user, expire)
			if err != nil {
				t.Fatalf("GenUserSig(%q, %d): %v", user, expire, err)
			}
			if err := VerifyUserSig(1400000001, "k", user, sig, time.Now()); err != nil {
				t.Errorf("VerifyUserSig(%q, %d): %v", user, expire, err)
			}
		}
	}
}

func TestExpiryBoundary(t *testing.T) {
	sig, err := GenUserSigAt(vecApp, vecKey, vecUser, 10, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	// TLSSigAPIv2: expired iff now > time + expire.
	if err := VerifyUserSig(vecApp, vecKey, vecUser, sig, vecNow.Add(10*time.Second+999*time.Millisecond)); err != nil {
		t.Fatalf("at the last valid second: %v", err)
	}
	if err := VerifyUserSig(vecApp, vecKey, vecUser, sig, vecNow.Add(11*time.Second)); !errors.Is(err, ErrExpired) {
		t.Fatalf("one second later: %v, want ErrExpired", err)
	}
	// A ticket from the future is valid, as in TLSSigAPIv2.
	if err := VerifyUserSig(vecApp, vecKey, vecUser, sig, vecNow.Add(-time.Hour)); err != nil {
		t.Fatalf("before issue: %v", err)
	}
}

func TestVerifyUserSigErrors(t *testing.T) {
	pmk, err := GenPrivateMapKeyAt(vecApp, vecKey, vecUser, vecExpire, 10000, PrivAll, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	// A zlib bomb: 1 MiB of JSON whitespace compresses to about 1 KiB.
	bomb := seal(t, signedDoc(nil, strings.Repeat(" ", 1<<20)), zlib.BestCompression)
	if len(bomb) > MaxTicketLen {
		t.Fatalf("bomb is %d bytes: it would not reach the inflate cap", len(bomb))
	}
	badChecksum := []byte(mustInflate(t, vecUserSig))
	badChecksum[len(badChecksum)-1] ^= 1
	tamperedDoc := strings.Replace(signedDoc(nil, ""), `"TLS.expire":86400`, `"TLS.expire":86401`, 1)
	withEmptyBuf := seal(t, signedDoc(nil, `,"TLS.userbuf":""`), 0)

	tests := []struct {
		name string
		sig  string
		app  uint32
		key  string
		user string
		now  time.Time
		want error
	}{
		{name: "empty", sig: "", want: ErrMalformed},
		{name: "too long", sig: strings.Repeat("A", MaxTicketLen+1), want: ErrMalformed},
		{name: "bad base64", sig: "eJ!!", want: ErrMalformed},
		{name: "bad padding", sig: vecUserSig[:len(vecUserSig)-1], want: ErrMalformed},
		{name: "not zlib", sig: ticketEncoding.EncodeToString([]byte(vecJSON)), want: ErrMalformed},
		{name: "truncated zlib", sig: ticketEncoding.EncodeToString(mustInflate(t, vecUserSig)[:40]), want: ErrMalformed},
		{name: "bad adler32", sig: ticketEncoding.EncodeToString(badChecksum), want: ErrMalformed},
		{name: "zlib bomb", sig: bomb, want: ErrMalformed},
		{name: "not JSON", sig: seal(t, "TLS.sig=1", 0), want: ErrMalformed},
		{name: "JSON array", sig: seal(t, `["TLS.sig"]`, 0), want: ErrMalformed},
		{name: "unterminated", sig: seal(t, strings.TrimSuffix(signedDoc(nil, ""), "}"), 0), want: ErrMalformed},
		{name: "trailing data", sig: seal(t, signedDoc(nil, "")+"{}", 0), want: ErrMalformed},
		{name: "duplicate key", sig: seal(t, signedDoc(nil, `,"TLS.identifier":"xiaojun"`), 0), want: ErrMalformed},
		{name: "missing identifier", sig: seal(t, strings.Replace(signedDoc(nil, ""), `"TLS.identifier":"xiaojun",`, "", 1), 0), want: ErrMalformed},
		{name: "empty identifier", sig: seal(t, strings.Replace(signedDoc(nil, ""), `"xiaojun"`, `""`, 1), 0), want: ErrMalformed},
		{name: "missing sdkappid", sig: seal(t, strings.Replace(signedDoc(nil, ""), `"TLS.sdkappid":1400000000,`, "", 1), 0), want: ErrMalformed},
		{name: "missing time", sig: seal(t, strings.Replace(signedDoc(nil, ""), `"TLS.time":1700000000,`, "", 1), 0), want: ErrMalformed},
		{name: "missing sig", sig: seal(t, `{"TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1700000000}`, 0), want: ErrMalformed},
		{name: "sdkappid as string", sig: seal(t, strings.Replace(signedDoc(nil, ""), `1400000000`, `"1400000000"`, 1), 0), want: ErrMalformed},
		{name: "sdkappid over 32 bits", sig: seal(t, strings.Replace(signedDoc(nil, ""), `1400000000`, `5694967296`, 1), 0), want: ErrMalformed},
		{name: "negative sdkappid", sig: seal(t, strings.Replace(signedDoc(nil, ""), `1400000000`, `-1`, 1), 0), want: ErrMalformed},
		{name: "fractional time", sig: seal(t, strings.Replace(signedDoc(nil, ""), `1700000000`, `1700000000.0`, 1), 0), want: ErrMalformed},
		{name: "exponent expire", sig: seal(t, strings.Replace(signedDoc(nil, ""), `86400`, `8.64e4`, 1), 0), want: ErrMalformed},
		{name: "identifier as number", sig: seal(t, strings.Replace(signedDoc(nil, ""), `"xiaojun"`, `7`, 1), 0), want: ErrMalformed},
		{name: "sig not base64", sig: seal(t, `{"TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1700000000,"TLS.sig":"%%"}`, 0), want: ErrMalformed},
		{name: "userbuf not base64", sig: seal(t, signedDoc(nil, `,"TLS.userbuf":"*"`), 0), want: ErrMalformed},
		{name: "null sig", sig: seal(t, `{"TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1700000000,"TLS.sig":null}`, 0), want: ErrMalformed},
		{name: "other app", sig: vecUserSig, app: 1400000001, want: ErrSDKAppIDMismatch},
		{name: "other user", sig: vecUserSig, user: "xiaojun2", want: ErrIdentifierMismatch},
		{name: "user differs in case", sig: vecUserSig, user: "XiaoJun", want: ErrIdentifierMismatch},
		{name: "expired", sig: vecUserSig, now: vecNow.Add((vecExpire + 1) * time.Second), want: ErrExpired},
		{name: "PrivateMapKey as UserSig", sig: pmk, want: ErrUserBufMismatch},
		{name: "empty userbuf is a userbuf", sig: withEmptyBuf, want: ErrUserBufMismatch},
		{name: "wrong key", sig: vecUserSig, key: vecKey[:63] + "f", want: ErrBadSignature},
		{name: "hex-decoded key", sig: vecUserSig, key: string(mustHex(vecKey)), want: ErrBadSignature},
		{name: "tampered expiry", sig: seal(t, tamperedDoc, 0), want: ErrBadSignature},
		{name: "short signature", sig: seal(t, `{"TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1700000000,"TLS.expire":86400,"TLS.sig":"SNF4"}`, 0), want: ErrBadSignature},
		{name: "empty key", sig: vecUserSig, key: "-", want: ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, key, user, now := vecApp, vecKey, vecUser, vecNow
			if tt.app != 0 {
				app = tt.app
			}
			switch tt.key {
			case "":
			case "-":
				key = ""
			default:
				key = tt.key
			}
			if tt.user != "" {
				user = tt.user
			}
			if !tt.now.IsZero() {
				now = tt.now
			}
			err := VerifyUserSig(app, key, user, tt.sig, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyUserSig = %v, want %v", err, tt.want)
			}
		})
	}
}

// mustHex decodes a hex string; an SDKSecretKey must never be used this way.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestVerifyOrderMatchesReference(t *testing.T) {
	// A ticket that is wrong in every way reports the first check that
	// TLSSigAPIv2 makes: the SDKAppID, then the user, then the expiry.
	late := vecNow.Add(365 * 24 * time.Hour)
	if err := VerifyUserSig(1, "other", "bob", vecUserSig, late); !errors.Is(err, ErrSDKAppIDMismatch) {
		t.Fatalf("got %v, want ErrSDKAppIDMismatch", err)
	}
	if err := VerifyUserSig(vecApp, "other", "bob", vecUserSig, late); !errors.Is(err, ErrIdentifierMismatch) {
		t.Fatalf("got %v, want ErrIdentifierMismatch", err)
	}
	if err := VerifyUserSig(vecApp, "other", vecUser, vecUserSig, late); !errors.Is(err, ErrExpired) {
		t.Fatalf("got %v, want ErrExpired", err)
	}
}

func TestVerifyUserSigWithBuf(t *testing.T) {
	buf := []byte("payload\x00\xff")
	sig, err := GenUserSigWithBufAt(vecApp, vecKey, vecUser, vecExpire, buf, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyUserSigWithBuf(vecApp, vecKey, vecUser, sig, vecNow, buf); err != nil {
		t.Fatalf("same userbuf: %v", err)
	}
	if err := VerifyUserSigWithBuf(vecApp, vecKey, vecUser, sig, vecNow, []byte("other")); !errors.Is(err, ErrUserBufMismatch) {
		t.Fatalf("other userbuf: %v", err)
	}
	if err := VerifyUserSigWithBuf(vecApp, vecKey, vecUser, sig, vecNow, nil); !errors.Is(err, ErrUserBufMismatch) {
		t.Fatalf("nil userbuf: %v", err)
	}
	if err := VerifyUserSigWithBuf(vecApp, vecKey, vecUser, vecUserSig, vecNow, buf); !errors.Is(err, ErrUserBufMismatch) {
		t.Fatalf("plain UserSig: %v", err)
	}
	if err := VerifyUserSigWithBuf(vecApp, vecKey, vecUser, vecUserSig, vecNow, nil); err != nil {
		t.Fatalf("plain UserSig, nil userbuf: %v", err)
	}
	if _, err := GenUserSigWithBufAt(vecApp, vecKey, vecUser, vecExpire, []byte{}, vecNow); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("empty userbuf: %v", err)
	}
}

func TestGenerateInvalidArguments(t *testing.T) {
	tests := []struct {
		name   string
		app    uint32
		key    string
		user   string
		expire int
		now    time.Time
	}{
		{"zero SDKAppID", 0, "k", "u", 60, vecNow},
		{"empty key", 1, "", "u", 60, vecNow},
		{"empty user", 1, "k", "", 60, vecNow},
		{"invalid UTF-8 user", 1, "k", "\xff", 60, vecNow},
		{"zero expiry", 1, "k", "u", 0, vecNow},
		{"negative expiry", 1, "k", "u", -1, vecNow},
		{"epoch", 1, "k", "u", 60, time.Unix(0, 0)},
		{"too long", 1, "k", strings.Repeat("\x01", MaxTicketLen), 60, vecNow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := GenUserSigAt(tt.app, tt.key, tt.user, tt.expire, tt.now); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("GenUserSigAt = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func TestDecodeEmptyUserBufIsPresent(t *testing.T) {
	tk, err := Decode(seal(t, signedDoc(nil, `,"TLS.userbuf":""`), 0))
	if err != nil {
		t.Fatal(err)
	}
	if tk.UserBuf == nil || len(tk.UserBuf) != 0 {
		t.Fatalf("UserBuf = %#v, want empty and non-nil", tk.UserBuf)
	}
	// TLSSigAPIv2 signs the userbuf line whenever the field is present.
	if !strings.HasSuffix(string(tk.signedContent()), "TLS.userbuf:\n") {
		t.Fatalf("signed content %q lacks the empty userbuf line", tk.signedContent())
	}
}

func TestExpiresAtSaturates(t *testing.T) {
	tk := &Ticket{Time: 1 << 62, Expire: 1 << 62}
	if tk.expired(time.Now()) {
		t.Fatal("a ticket whose expiry overflows int64 must not wrap into the past")
	}
	tk = &Ticket{Time: -1 << 62, Expire: -1 << 62}
	if !tk.expired(time.Now()) {
		t.Fatal("a ticket whose expiry underflows int64 must not wrap into the future")
	}
}

func TestGenerateNeverExceedsTheDecodeLimits(t *testing.T) {
	// At level 9, 20 KiB of one letter compresses into a short ticket whose
	// JSON Decode would refuse to inflate: generate must refuse it first.
	_, err := generate(vecApp, vecKey, strings.Repeat("a", 20<<10), vecExpire, vecNow, nil, zlib.BestCompression)
	if !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("generate = %v, want ErrInvalidArgument", err)
	}
}
