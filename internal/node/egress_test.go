package node

import (
	"errors"
	"net"
	"testing"
)

func TestEgressGuard(t *testing.T) {
	mgmt := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8444}
	strict := newEgressGuard(EgressConfig{Allow: []string{"10.20.0.0/16"}}, mgmt)
	lan := newEgressGuard(EgressConfig{AllowPrivate: true}, mgmt)
	for _, tc := range []struct {
		addr          string
		strict, onLAN bool // allowed?
	}{
		{"93.184.216.34:443", true, true},
		{"[2606:2800:220:1:248:1893:25c8:1946]:443", true, true},
		{"127.0.0.1:8443", false, true},
		{"127.0.0.1:8444", false, false}, // the management listener, always refused
		{"[::ffff:127.0.0.1]:8444", false, false},
		{"10.20.3.4:443", true, true},  // allowed prefix
		{"10.21.3.4:443", false, true}, // private
		{"192.168.1.1:80", false, true},
		{"169.254.169.254:80", false, true}, // cloud metadata (link-local)
		{"100.64.0.1:80", false, true},
		{"[fd00::1]:443", false, true},
		{"[fe80::1]:443", false, true},
		{"0.0.0.0:80", false, true},
		{"198.51.100.7:443", false, true},
	} {
		if err := strict.check(tc.addr); (err == nil) != tc.strict || err != nil && !errors.Is(err, errEgress) {
			t.Errorf("strict %s: %v, want allowed=%v", tc.addr, err, tc.strict)
		}
		if err := lan.check(tc.addr); (err == nil) != tc.onLAN {
			t.Errorf("allow_private %s: %v, want allowed=%v", tc.addr, err, tc.onLAN)
		}
	}
	if err := (EgressConfig{Allow: []string{"10.0.0.0"}}).validate(); err == nil {
		t.Error("a prefix without a length was accepted")
	}
}

// TestEgressToOwnManagement: the node's own client cannot be turned on its
// management listener (a callback address naming it, say).
func TestEgressToOwnManagement(t *testing.T) {
	n := startKeyNode(t, "CN", nil)
	_, err := n.n.data.client.Get(n.n.MgmtURL + "/healthz")
	if !errors.Is(err, errEgress) {
		t.Fatalf("the node reached its own management listener: %v", err)
	}
}
