package sfu

import (
	"sync"

	"github.com/pion/interceptor"
)

// lazyLoopFactory wraps an interceptor whose BindRTCPWriter starts a timer
// loop (Pion's receiver reports: one tick a second) so that the loop
// starts with the connection's first received stream instead. Every
// client has a publisher connection, and an audience member's never
// receives anything: at N viewers that is N wake-ups a second for nothing.
//
// Only for interceptors whose BindRTCPWriter returns the writer it is given
// (TestLazyLoopInnerKeepsTheWriter checks report.ReceiverInterceptor):
// the wrapper hands that writer on before the inner one is bound.
type lazyLoopFactory struct{ inner interceptor.Factory }

func (f lazyLoopFactory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	i, err := f.inner.NewInterceptor(id)
	if err != nil {
		return nil, err
	}
	return &lazyLoop{Interceptor: i}, nil
}

type lazyLoop struct {
	interceptor.Interceptor

	mu     sync.Mutex
	writer interceptor.RTCPWriter
	bound  bool
}

func (l *lazyLoop) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	l.mu.Lock()
	l.writer = w
	l.mu.Unlock()
	return w
}

func (l *lazyLoop) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	l.mu.Lock()
	if !l.bound && l.writer != nil {
		l.bound = true
		l.Interceptor.BindRTCPWriter(l.writer)
	}
	l.mu.Unlock()
	return l.Interceptor.BindRemoteStream(info, r)
}
