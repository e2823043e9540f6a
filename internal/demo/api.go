package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client calls one node's management API with one bearer token, as an
// operator's script would.
type client struct {
	base, token string
	hc          *http.Client
}

// apiError is a management API refusal: the status and the API's error body.
type apiError struct {
	Method, Path string
	Status       int
	Code, Msg    string
	MsgZH, Peer  string // the task interfaces' message_zh and the refusing peer's DID
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Msg)
}

// do sends body (JSON-encoded unless it is []byte) and decodes a 2xx
// answer into out (a *[]byte takes the raw body).
func (c client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "text/csv"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error, Message string
			MessageZH      string `json:"message_zh"`
			Peer           string `json:"peer"`
		}
		json.Unmarshal(raw, &e)
		return &apiError{Method: method, Path: strings.SplitN(path, "?", 2)[0], Status: resp.StatusCode, Code: e.Error, Msg: e.Message, MsgZH: e.MessageZH, Peer: e.Peer}
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *[]byte:
		*o = raw
		return nil
	default:
		return json.Unmarshal(raw, out)
	}
}

// poll calls check every interval until it reports done, fails, or the
// deadline passes; what names the wait in the timeout error.
func poll(parent context.Context, timeout time.Duration, what string, check func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			if err := parent.Err(); err != nil {
				return err
			}
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		case <-t.C:
		}
	}
}
