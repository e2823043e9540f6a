package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Egress: the node calls addresses that other parties give it — callback
// addresses in protocol messages, credential services, data addresses. An
// authenticated participant could name an address inside the operator's
// network (a metadata service, a database, this node's own management
// listener) and make the node call it (server-side request forgery). So
// the node's outgoing connections go only to public addresses unless the
// operator allows more, and never to its own management listener.

// EgressConfig bounds where the node connects.
type EgressConfig struct {
	// AllowPrivate lets the node connect to loopback, private, link-local
	// and other non-public addresses (a data space on one LAN, the demo).
	AllowPrivate bool `yaml:"allow_private"`
	// Allow lists further prefixes (CIDR) the node may connect to.
	Allow []string `yaml:"allow"`
}

func (e EgressConfig) validate() error {
	for i, a := range e.Allow {
		if _, err := netip.ParsePrefix(a); err != nil {
			return fmt.Errorf("config: egress.allow[%d] %q: want a CIDR prefix such as 10.20.0.0/16", i, a)
		}
	}
	return nil
}

// errEgress is a connection the egress policy refuses.
var errEgress = errors.New("egress refused")

// egressGuard checks each address the node dials.
type egressGuard struct {
	allowPrivate bool
	allow        []netip.Prefix
	deny         []netip.AddrPort // this node's management listener
}

func newEgressGuard(c EgressConfig, mgmt net.Addr) *egressGuard {
	g := &egressGuard{allowPrivate: c.AllowPrivate}
	for _, a := range c.Allow {
		if p, err := netip.ParsePrefix(a); err == nil {
			g.allow = append(g.allow, p)
		}
	}
	if ta, ok := mgmt.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		g.deny = append(g.deny, ap)
		if ap.Addr().IsUnspecified() {
			g.deny = append(g.deny, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ap.Port()), netip.AddrPortFrom(netip.IPv6Loopback(), ap.Port()))
		}
	}
	return g
}

// check decides one resolved address.
func (g *egressGuard) check(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address and port", errEgress, address)
	}
	a := ap.Addr().Unmap()
	for _, d := range g.deny {
		if d.Addr().Unmap() == a && d.Port() == ap.Port() {
			return fmt.Errorf("%w: %s is this node's management listener", errEgress, address)
		}
	}
	for _, p := range g.allow {
		if p.Contains(a) {
			return nil
		}
	}
	if !g.allowPrivate && !public(a) {
		return fmt.Errorf("%w: %s is not a public address (egress.allow_private or egress.allow permit it)", errEgress, a)
	}
	return nil
}

// public reports whether a is a global unicast address outside the
// private, shared, documentation and benchmarking ranges.
func public(a netip.Addr) bool {
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: may reach IPv4 private space
}

// transport is an HTTP transport whose connections pass the guard; the
// check runs on the resolved address, so a name that resolves to a
// private address is refused too (and a DNS rebinding after the check
// cannot change the address dialled).
func (g *egressGuard) transport(base *http.Transport) *http.Transport {
	t := base.Clone()
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error { return g.check(address) }}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	t.ResponseHeaderTimeout = time.Minute
	return t
}
