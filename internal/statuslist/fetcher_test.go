package statuslist

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTPFetcherRedirectsAndPrivateAddresses(t *testing.T) {
	ctx := context.Background()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer plain.Close()
	var tlsURL string
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down":
			http.Redirect(w, r, plain.URL+"/list", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, tlsURL+"/loop", http.StatusFound)
		case "/up":
			http.Redirect(w, r, tlsURL+"/list", http.StatusFound)
		default:
			w.Write([]byte("{}"))
		}
	}))
	defer tlsSrv.Close()
	tlsURL = tlsSrv.URL

	f := &HTTPFetcher{Client: tlsSrv.Client()}
	if b, err := f.Fetch(ctx, tlsURL+"/up"); err != nil || string(b) != "{}" {
		t.Fatalf("https redirect: %v", err)
	}
	_, err := f.Fetch(ctx, tlsURL+"/down")
	wantCode(t, err, CodeStatusUnreachable)
	if !strings.Contains(err.Error(), "refused") {
		t.Fatalf("downgrade: %v", err)
	}
	_, err = f.Fetch(ctx, tlsURL+"/loop")
	wantCode(t, err, CodeStatusUnreachable)

	// The same redirect is fine when plain HTTP is allowed.
	if _, err := (&HTTPFetcher{Client: tlsSrv.Client(), AllowHTTP: true}).Fetch(ctx, tlsURL+"/down"); err != nil {
		t.Fatal(err)
	}
	// Loopback is refused when private addresses are denied.
	_, err = (&HTTPFetcher{AllowHTTP: true, DenyPrivateAddresses: true}).Fetch(ctx, plain.URL+"/list")
	wantCode(t, err, CodeStatusUnreachable)
	if !strings.Contains(err.Error(), "non-public") {
		t.Fatalf("loopback: %v", err)
	}
	if _, err := (&HTTPFetcher{AllowHTTP: true}).Fetch(ctx, plain.URL+"/list"); err != nil {
		t.Fatal(err)
	}
}
