package usersig

import (
	"bytes"
	"compress/zlib"
	"strings"
	"testing"
	"time"
)

// TestStoredZlibMatchesStdlib pins writeStoredZlib to compress/zlib's
// NoCompression output, byte for byte, across block boundaries.
func TestStoredZlibMatchesStdlib(t *testing.T) {
	for _, n := range []int{0, 1, 100, 65534, 65535, 65536, 140000} {
		data := []byte(strings.Repeat("TLS.identifier:xiaojun\n", n/23+1))[:n]
		var want bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&want, zlib.NoCompression)
		zw.Write(data)
		zw.Close()
		var got bytes.Buffer
		writeStoredZlib(&got, data)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("n=%d: stored stream differs from compress/zlib's", n)
		}
	}
}

func BenchmarkGenUserSig(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := GenUserSig(1400000000, "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e", "xiaojun", 86400); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyUserSig(b *testing.B) {
	const key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	sig, _ := GenUserSig(1400000000, key, "xiaojun", 86400)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyUserSig(1400000000, key, "xiaojun", sig, nowForBench()); err != nil {
			b.Fatal(err)
		}
	}
}

func nowForBench() time.Time { return time.Now() }
