package dsp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// sendRaw sends a request with an Authorization and a Content-Type header
// (when not empty) and returns the answer and its body.
func sendRaw(t *testing.T, method, u, auth, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// raw sends a request and returns the status and the decoded body.
func raw(t *testing.T, method, u, auth, contentType, body string) (int, Message, []byte) {
	t.Helper()
	resp, b := sendRaw(t, method, u, auth, contentType, body)
	if len(bytes.TrimSpace(b)) == 0 {
		return resp.StatusCode, nil, b
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, u, ct)
	}
	m, _ := Decode(b)
	return resp.StatusCode, m, b
}

// TestHandlerErrors: the answers to bad requests — status, Error body
// (valid against the schema, with a stable code), and no change.
func TestHandlerErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{policy: policyFunc(func(*Process) Decision { return Decision{Verdict: Park} })})
	peer := newFakePeer(t, nil)
	base := prov.node.BaseURL()
	cp := "urn:uuid:c-errors"
	req := mustJSON(t, &ContractRequestMessage{ConsumerPID: cp, Offer: testOffer("urn:o", "urn:d"), CallbackAddress: peer.srv.URL})
	st, m, _ := raw(t, "POST", base+"/negotiations/request", consumerTok, "application/json", string(req))
	if st != http.StatusCreated {
		t.Fatalf("initial request: %d", st)
	}
	pp := m.(*ContractNegotiation).ProviderPID
	prov.waitParked(KindNegotiation, Provider, pp, Requested)
	term := string(mustJSON(t, &ContractNegotiationTerminationMessage{ProviderPID: pp, ConsumerPID: cp}))
	verify := string(mustJSON(t, &ContractAgreementVerificationMessage{ProviderPID: pp, ConsumerPID: cp}))

	cases := []struct {
		name, method, path, auth, ct, body string
		status                             int
		code                               string
	}{
		{"unknown process", "POST", "/negotiations/urn:uuid:nope/termination", consumerTok, "", strings.ReplaceAll(term, pp, "urn:uuid:nope"), 404, CodeNotFound},
		{"unknown process GET", "GET", "/negotiations/urn:uuid:nope", consumerTok, "", "", 404, CodeNotFound},
		{"unknown transfer GET", "GET", "/transfers/" + pp, consumerTok, "", "", 404, CodeNotFound},
		{"another party's process", "POST", "/negotiations/" + pp + "/termination", otherTok, "", term, 404, CodeNotFound},
		{"another party's GET", "GET", "/negotiations/" + pp, otherTok, "", "", 404, CodeNotFound},
		{"no Authorization", "POST", "/negotiations/" + pp + "/termination", "", "", term, 404, CodeNotFound},
		{"bad token", "GET", "/negotiations/" + pp, "Bearer forged", "", "", 404, CodeNotFound},
		{"bad token initial", "POST", "/negotiations/request", "Bearer forged", "", string(req), 404, CodeNotFound},
		{"not JSON", "POST", "/negotiations/" + pp + "/termination", consumerTok, "", "{", 400, CodeBadMessage},
		{"empty body", "POST", "/negotiations/" + pp + "/termination", consumerTok, "", "", 400, CodeBadMessage},
		{"wrong context", "POST", "/negotiations/" + pp + "/termination", consumerTok, "", strings.Replace(term, ContextURL, "https://w3id.org/dspace/2024/1/context.json", 1), 400, CodeBadContext},
		{"unknown type", "POST", "/negotiations/" + pp + "/termination", consumerTok, "", strings.Replace(term, TypeContractNegotiationTerminationMessage, "ContractNegotiationEndMessage", 1), 400, CodeUnknownType},
		{"message for another endpoint", "POST", "/negotiations/" + pp + "/termination", consumerTok, "", verify, 400, CodeUnexpected},
		{"transfer message to a negotiation", "POST", "/negotiations/" + pp + "/termination", consumerTok, "", string(mustJSON(t, &TransferTerminationMessage{ProviderPID: pp, ConsumerPID: cp})), 400, CodeUnexpected},
		{"pid mismatch with the path", "POST", "/negotiations/" + pp + "/termination", consumerTok, "", strings.Replace(term, pp, "urn:uuid:other", 1), 400, CodePIDMismatch},
		{"consumerPid of another process", "POST", "/negotiations/" + pp + "/termination", consumerTok, "", strings.Replace(term, cp, "urn:uuid:c-other", 1), 400, CodePIDMismatch},
		{"counter offer to the initial endpoint", "POST", "/negotiations/request", consumerTok, "", string(mustJSON(t, &ContractRequestMessage{ProviderPID: pp, ConsumerPID: cp, Offer: testOffer("urn:o", "urn:d")})), 400, CodeBadMessage},
		{"initial request to the counter endpoint", "POST", "/negotiations/" + pp + "/request", consumerTok, "", string(req), 400, CodePIDMismatch},
		{"counter offer for another dataset", "POST", "/negotiations/" + pp + "/request", consumerTok, "", string(mustJSON(t, &ContractRequestMessage{ProviderPID: pp, ConsumerPID: cp, Offer: testOffer("urn:o", "urn:other")})), 400, CodeInvalidTransition},
		{"XML", "POST", "/negotiations/" + pp + "/termination", consumerTok, "application/xml", term, 400, CodeBadMediaType},
		{"too large", "POST", "/negotiations/" + pp + "/termination", consumerTok, "", strings.Replace(term, `"@type"`, `"x:pad":"`+strings.Repeat("a", MaxMessageBytes)+`","@type"`, 1), 400, CodeTooLarge},
		{"illegal transition", "POST", "/negotiations/" + pp + "/agreement/verification", consumerTok, "", verify, 400, CodeInvalidTransition},
	}
	for _, c := range cases {
		st, m, b := raw(t, c.method, base+c.path, c.auth, c.ct, c.body)
		if st != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, st, c.status, b)
			continue
		}
		if err := validateMessage(b); err != nil {
			t.Errorf("%s: the Error body does not validate: %v\n%s", c.name, err, b)
		}
		code, ppid, cpid, nreason := "", "", "", 0
		switch e := m.(type) {
		case *ContractNegotiationError:
			code, ppid, cpid, nreason = e.Code, e.ProviderPID, e.ConsumerPID, len(e.Reason)
		case *TransferError:
			code, ppid, cpid, nreason = e.Code, e.ProviderPID, e.ConsumerPID, len(e.Reason)
		}
		if code != c.code || nreason == 0 {
			t.Errorf("%s: body %s, want code %s", c.name, b, c.code)
		}
		// A 404 only repeats process ids the request named.
		for _, id := range []string{ppid, cpid} {
			if st == 404 && id != "" && !strings.Contains(c.path+c.body, id) {
				t.Errorf("%s: the Error body reveals %s: %s", c.name, id, b)
			}
		}
	}
	p := prov.waitParked(KindNegotiation, Provider, pp, Requested)
	evs, _ := prov.node.Events(ctx, KindNegotiation, Provider, pp)
	if p.Version != int64(len(evs)) || len(evs) != 2 {
		t.Errorf("the refused requests changed the process: version %d, %d events", p.Version, len(evs))
	}
	// Every refusal reached the event sink, as a refusal, and the store's
	// history, where the audit follower reads it.
	hist, err := prov.store.EventsAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int64]Event{}
	for _, e := range hist {
		if e.Refused {
			stored[e.Position] = e
		}
	}
	n := 0
	for _, e := range prov.sink.all() {
		if e.Refused {
			n++
			if s, ok := stored[e.Position]; !ok || s.Code != e.Code || s.Step != e.Step || !s.Time.Equal(e.Time.Truncate(time.Millisecond)) {
				t.Errorf("refusal %+v: stored as %+v", e, s)
			}
		}
	}
	if n != len(cases) || len(stored) != len(cases) {
		t.Errorf("%d refusals recorded, %d stored, want %d", n, len(stored), len(cases))
	}
	// A trailing or doubled slash is tolerated; the termination works.
	if st, _, b := raw(t, "POST", base+"//negotiations/"+pp+"/termination/", consumerTok, "application/json; charset=utf-8", term); st != http.StatusOK {
		t.Fatalf("termination: %d %s", st, b)
	}
	prov.waitState(KindNegotiation, Provider, pp, Terminated)
}

// TestVersionEndpoint: unauthenticated, valid against the schema, and
// usable by Client.BaseURL.
func TestVersionEndpoint(t *testing.T) {
	t.Parallel()
	db := openDB(t, t.TempDir()+"/x.db")
	defer db.Close()
	srv := &swapHandler{}
	n, err := New(Config{ParticipantID: providerDID, PublicURL: "https://node.example/dsp", BasePath: "/api/dsp/2025-1", Store: openStore(t, db), Auth: tokens,
		Policy: policyFunc(acceptAll), ServiceID: "svc-1", IdentifierType: "did:web", VersionAuth: &VersionAuth{Protocol: "DCP", Version: "1.0", Profile: []string{"vc20-bssl/jwt"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv.set(n.Handler())
	ts := newServer(t, srv)
	st, _, b := raw(t, "GET", ts+"/.well-known/dspace-version", "", "", "")
	if st != 200 {
		t.Fatalf("%d %s", st, b)
	}
	if err := validateMessage(b); err != nil {
		t.Errorf("%v: %s", err, b)
	}
	var v VersionResponse
	if err := json.Unmarshal(b, &v); err != nil || len(v.ProtocolVersions) != 1 || v.ProtocolVersions[0].Path != "/api/dsp/2025-1" || v.ProtocolVersions[0].Version != "2025-1" {
		t.Errorf("%s", b)
	}
	u, err := (&Client{}).BaseURL(context.Background(), ts, "")
	if err != nil || u != ts+"/api/dsp/2025-1" {
		t.Errorf("BaseURL: %q %v", u, err)
	}
	if _, err := (&Client{}).BaseURL(context.Background(), ts, "other-service"); err == nil {
		t.Error("BaseURL found a service that is not there")
	}
	if n.BaseURL() != "https://node.example/dsp/api/dsp/2025-1" || n.CallbackAddress() != n.BaseURL() {
		t.Errorf("%s %s", n.BaseURL(), n.CallbackAddress())
	}
}

func newServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestConcurrentMessages: the consumer's completion and termination of a
// started transfer race; exactly one moves it, the other gets 400, and
// the history has one final event.
func TestConcurrentMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{})
	peer := newFakePeer(t, nil)
	c := &Client{Tokens: StaticToken(consumerTok), Attempts: 1}
	for i := 0; i < 10; i++ {
		cp := "urn:uuid:race-" + NewUUID()[9:]
		a, err := c.Post(ctx, prov.node.BaseURL()+"/transfers/request", providerDID, &TransferRequestMessage{ConsumerPID: cp, AgreementID: "urn:a", Format: "HttpData-PULL", CallbackAddress: peer.srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		pp := a.(*TransferProcess).ProviderPID
		prov.waitState(KindTransfer, Provider, pp, Started)
		msgs := []Message{
			&TransferCompletionMessage{ProviderPID: pp, ConsumerPID: cp},
			&TransferTerminationMessage{ProviderPID: pp, ConsumerPID: cp},
			&TransferSuspensionMessage{ProviderPID: pp, ConsumerPID: cp},
		}
		var wg sync.WaitGroup
		errs := make([]error, len(msgs))
		for j, m := range msgs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = c.Post(ctx, prov.node.BaseURL()+peerPath(&Process{Role: Consumer, ProviderPID: pp}, m), providerDID, m)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if re, isRE := err.(*RemoteError); !isRE || re.Status != 400 {
				t.Errorf("a losing message got %v, want 400", err)
			}
		}
		p, _ := prov.node.Process(ctx, KindTransfer, Provider, pp)
		evs, _ := prov.node.Events(ctx, KindTransfer, Provider, pp)
		// Suspension then completion or termination may both be legal in
		// sequence; completion and termination are both final.
		finals := 0
		for _, e := range evs {
			if e.To.Terminal() {
				finals++
			}
		}
		if ok == 0 || finals > 1 || !p.State.Terminal() && p.State != Suspended || int(p.Version) < len(evs) {
			t.Errorf("round %d: %d accepted, state %s, history %v", i, ok, p.State, states(evs))
		}
	}
}
