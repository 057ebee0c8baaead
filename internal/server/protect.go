package server

import (
	"fmt"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/ratelimit"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// protection holds the per-client and per-app admission limits of
// limits.* (docs/deployment.md, "Protection"): concurrent signaling
// connections and enter rate per IP address, enter rate per app, REST calls
// per IP address and per SecretId. Addresses in limits.ip_exempt are not
// counted per IP.
type protection struct {
	lim    config.Limits
	exempt ratelimit.Exempt

	conns      *ratelimit.Counter[netip.Prefix]
	entersIP   *ratelimit.Keyed[netip.Prefix]
	entersApp  *ratelimit.Keyed[trtc.SDKAppID]
	restIP     *ratelimit.Keyed[netip.Prefix]
	restSecret *ratelimit.Keyed[string]

	refused *prometheus.CounterVec // by limit
}

// Limit names, the label of rtcengine_limit_refusals_total.
const (
	limitConnsPerIP      = "conns_per_ip"
	limitEntersPerIP     = "enters_per_ip"
	limitEntersPerApp    = "enters_per_app"
	limitRESTPerIP       = "rest_per_ip"
	limitRESTPerSecretID = "rest_per_secret_id"
)

func newProtection(lim config.Limits) *protection {
	exempt, _ := ratelimit.ParseExempt(lim.IPExempt) // validated by config
	p := &protection{
		lim: lim, exempt: exempt,
		conns:      ratelimit.NewCounter[netip.Prefix](lim.ConnsPerIP),
		entersIP:   ratelimit.NewKeyed[netip.Prefix](lim.EntersPerIP, 2*lim.EntersPerIP, 0, nil),
		entersApp:  ratelimit.NewKeyed[trtc.SDKAppID](lim.EntersPerApp, 2*lim.EntersPerApp, 0, nil),
		restIP:     ratelimit.NewKeyed[netip.Prefix](lim.RESTPerIP, 2*lim.RESTPerIP, 0, nil),
		restSecret: ratelimit.NewKeyed[string](lim.RESTPerSecretID, 2*lim.RESTPerSecretID, 0, nil),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rtcengine_limit_refusals_total", Help: "Requests and connections refused by a protection limit, by limit.",
		}, []string{"limit"}),
	}
	for _, l := range []string{limitConnsPerIP, limitEntersPerIP, limitEntersPerApp, limitRESTPerIP, limitRESTPerSecretID} {
		p.refused.WithLabelValues(l)
	}
	return p
}

func (p *protection) refuse(limit string) { p.refused.WithLabelValues(limit).Inc() }

// admitConn counts a signaling connection from ip; release must be called
// when it ends. It refuses past limits.conns_per_ip.
func (p *protection) admitConn(ip string) (release func(), err error) {
	if p.exempt.Contains(ip) {
		return func() {}, nil
	}
	key := ratelimit.ClientKey(ip)
	if !p.conns.Acquire(key) {
		p.refuse(limitConnsPerIP)
		return nil, fmt.Errorf("too many connections from your address (limit %d)", p.lim.ConnsPerIP)
	}
	return func() { p.conns.Release(key) }, nil
}

// AdmitEnterFrom implements signaling.Admission.
func (p *protection) AdmitEnterFrom(ip string) error {
	if p.exempt.Contains(ip) || p.entersIP.Allow(ratelimit.ClientKey(ip)) {
		return nil
	}
	p.refuse(limitEntersPerIP)
	return fmt.Errorf("too many enter requests from your address (limit %d per second); retry later", p.lim.EntersPerIP)
}

// AdmitEnterApp implements signaling.Admission.
func (p *protection) AdmitEnterApp(app trtc.SDKAppID) error {
	if p.entersApp.Allow(app) {
		return nil
	}
	p.refuse(limitEntersPerApp)
	return fmt.Errorf("too many enter requests for sdkAppId %d (limit %d per second); retry later", app, p.lim.EntersPerApp)
}

// AllowIP implements api.Limiter.
func (p *protection) AllowIP(ip string) bool {
	if p.exempt.Contains(ip) || p.restIP.Allow(ratelimit.ClientKey(ip)) {
		return true
	}
	p.refuse(limitRESTPerIP)
	return false
}

// AllowSecretID implements api.Limiter.
func (p *protection) AllowSecretID(id string) bool {
	if p.restSecret.Allow(id) {
		return true
	}
	p.refuse(limitRESTPerSecretID)
	return false
}
