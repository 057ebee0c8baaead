package server

import (
	"testing"

	"github.com/rtcengine/rtcengine/internal/config"
)

func TestMediaConfig(t *testing.T) {
	tests := []struct {
		name, listen, nodeIP string
		port                 int
		wantListenIP         string
		wantLoopback         bool
		wantNodeIPs          int
	}{
		{name: "development", listen: "127.0.0.1:7880", port: 7882, wantListenIP: "127.0.0.1", wantLoopback: true},
		{name: "all interfaces", listen: ":7880", port: 7882},
		{name: "public with node ip", listen: "0.0.0.0:7880", nodeIP: "203.0.113.7", port: 7882, wantNodeIPs: 1},
		{name: "loopback node ip", listen: ":7880", nodeIP: "127.0.0.1", wantLoopback: true, wantNodeIPs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Listen, cfg.NodeIP, cfg.UDPPort = tt.listen, tt.nodeIP, tt.port
			mc := mediaConfig(cfg, nil)
			if mc.UDPPort != tt.port || mc.TCPPort != tt.port || mc.ListenIP != tt.wantListenIP ||
				mc.IncludeLoopback != tt.wantLoopback || len(mc.NodeIPs) != tt.wantNodeIPs {
				t.Fatalf("mediaConfig = %+v", mc)
			}
		})
	}
}
