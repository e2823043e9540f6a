package channel

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// FuzzHandshake feeds arbitrary hellos to a server: it must refuse or
// answer, never panic, and hold at most one session per accepted hello.
func FuzzHandshake(f *testing.F) {
	fx := newFixture(f, suite.Intl, suite.Ed25519, nil, ServerOptions{MaxSessions: 4})
	f.Add([]byte(signHello(f, fx.client.Signer, fx.client.KeyID, validHello(f, fx.client, fx.server.DID))))
	h := validHello(f, fx.client, fx.server.DID)
	h.Suite = "gm"
	f.Add([]byte(signHello(f, fx.client.Signer, fx.client.KeyID, h)))
	f.Add([]byte("eyJhbGciOiJFZERTQSJ9.e30.AA"))
	f.Add([]byte("..."))
	f.Fuzz(func(t *testing.T, tok []byte) {
		before := fx.srv.Sessions()
		w := httptest.NewRecorder()
		fx.srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/handshake", bytes.NewReader(tok)))
		after := fx.srv.Sessions()
		if w.Code == 200 {
			if after > before+1 {
				t.Fatalf("sessions %d → %d", before, after)
			}
		} else if after > before {
			t.Fatalf("a refused hello (%d) left a session", w.Code)
		}
	})
}

// FuzzWelcome feeds arbitrary answers to the client's verification.
func FuzzWelcome(f *testing.F) {
	fx := newFixture(f, suite.GM, suite.SM2, nil, ServerOptions{})
	ka := suite.SM2ECDH()
	helloJWS, eph, err := makeHello(&fx.client, fx.server.DID, "agreement-1", ka)
	if err != nil {
		f.Fatal(err)
	}
	welcomeJWS, r := fx.srv.handshake(context.Background(), helloJWS)
	if r != nil {
		f.Fatal(r)
	}
	f.Add([]byte(welcomeJWS))
	f.Add([]byte(helloJWS))
	f.Add([]byte("a.b.c"))
	f.Fuzz(func(t *testing.T, tok []byte) {
		s, err := accept(context.Background(), &fx.client, helloJWS, string(tok), eph, fx.server.DID, "agreement-1", ka)
		if err == nil && string(tok) != welcomeJWS {
			t.Fatalf("accepted a welcome other than the server's: %q", tok)
		}
		if s != nil {
			s.wipeKeys()
		}
	})
}

// FuzzMessage feeds arbitrary call bodies to a live session.
func FuzzMessage(f *testing.F) {
	fx := newFixture(f, suite.Intl, suite.Ed25519, nil, ServerOptions{})
	s := fx.dial(f)
	f.Add(sealRequest(f, s, 1, "op", []byte("payload"), s.cfg.Signer))
	f.Add(sealRequest(f, s, 2, "op", nil, s.cfg.Signer))
	f.Add(make([]byte, 24))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		fx.srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/s/"+s.sid, bytes.NewReader(body)))
		if w.Code == 200 {
			// Only a body sealed with the session's key can pass; the seeds
			// are such bodies, and each is accepted once.
			seq := binary.BigEndian.Uint64(body)
			pt, err := s.c2s.aead.Open(nil, nonceFor(s.c2s.nonce, seq), body[8:], aad(s.sid, seq, dirC2S))
			if err != nil || pt == nil {
				t.Fatalf("accepted a body that does not open")
			}
		}
	})
}

// FuzzRequest: the request plaintext parser never panics and round-trips.
func FuzzRequest(f *testing.F) {
	f.Add(encodeRequest("op", "h..s", []byte("payload")))
	f.Add(encodeRequest("", "", nil))
	f.Add([]byte{255})
	f.Add([]byte{0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, pt []byte) {
		op, sig, payload, err := parseRequest(pt)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeRequest(op, sig, payload), pt) {
			t.Fatal("parseRequest does not round-trip")
		}
	})
}

// FuzzResponse: the response plaintext and refusal parsers never panic.
func FuzzResponse(f *testing.F) {
	f.Add(encodeResponse(200, "h..s", []byte("result")))
	f.Add(encodeResponse(403, "", []byte(`{"status":403,"code":"x","message":"m","message_zh":"否"}`)))
	f.Add([]byte(`{"error":"unknown_session","message":"no"}`))
	f.Add([]byte{0, 200, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, pt []byte) {
		_ = refusedFrom(400, pt)
		status, sig, body, err := parseResponse(pt)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeResponse(status, sig, body), pt) {
			t.Fatal("parseResponse does not round-trip")
		}
		var e Error
		_ = decodeClaims(body, &e)
	})
}
