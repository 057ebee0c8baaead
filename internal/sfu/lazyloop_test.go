package sfu

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/rtcp"
)

// rtcpSink is an RTCPWriter that hands what it is given to a channel.
type rtcpSink chan []rtcp.Packet

func (s rtcpSink) Write(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
	select {
	case s <- pkts:
	default:
	}
	return len(pkts), nil
}

// reportLoops counts the goroutines Pion's receiver-report interceptor
// started for its loop, running or not yet scheduled (each stack names its
// creator; the package's tests do not run in parallel).
func reportLoops() int {
	buf := make([]byte, 1<<20)
	return bytes.Count(buf[:runtime.Stack(buf, true)], []byte("created by github.com/pion/interceptor/pkg/report.(*ReceiverInterceptor).BindRTCPWriter"))
}

// The wrapper's premise: the inner interceptor returns the writer it is
// given, so handing it on before binding the inner one changes nothing.
func TestLazyLoopInnerKeepsTheWriter(t *testing.T) {
	f, err := report.NewReceiverInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	i, err := f.NewInterceptor("pc")
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	w := make(rtcpSink)
	if got, ok := i.BindRTCPWriter(w).(rtcpSink); !ok || got != w {
		t.Fatal("report.ReceiverInterceptor wraps the RTCP writer: lazyLoopFactory cannot defer its binding")
	}
}

func TestLazyLoopStartsWithFirstStream(t *testing.T) {
	inner, err := report.NewReceiverInterceptor(report.ReceiverInterval(5 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	i, err := lazyLoopFactory{inner}.NewInterceptor("pc")
	if err != nil {
		t.Fatal(err)
	}
	before := reportLoops()
	sink := make(rtcpSink, 1)
	i.BindRTCPWriter(sink)
	if n := reportLoops() - before; n != 0 {
		t.Fatalf("%d report loops with no stream received", n)
	}
	i.BindRemoteStream(&interceptor.StreamInfo{SSRC: 42, ClockRate: 90000}, interceptor.RTPReaderFunc(
		func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) { return 0, a, nil }))
	select {
	case pkts := <-sink:
		if rr, ok := pkts[0].(*rtcp.ReceiverReport); !ok || rr.Reports[0].SSRC != 42 {
			t.Fatalf("wrote %v, want a receiver report about SSRC 42", pkts)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no receiver report written")
	}
	if n := reportLoops() - before; n != 1 {
		t.Fatalf("%d report loops after the first stream, want 1", n)
	}
	if err := i.Close(); err != nil {
		t.Fatal(err)
	}
	if n := reportLoops() - before; n != 0 {
		t.Fatalf("%d report loops left after Close", n)
	}
}
