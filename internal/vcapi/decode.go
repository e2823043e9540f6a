package vcapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/xborder/xborder/internal/vc"
)

// DefaultMaxBody bounds a request body (1 MiB, vc.MaxDocumentSize).
const DefaultMaxBody = 1 << 20

// readBody checks the media type and reads at most max bytes of the body.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, newErr(CodeUnsupportedMediaType, "the request body must be application/json", nil)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newErr(CodeTooLarge, "the request body is too large", nil)
		}
		return nil, newErr(CodeBadRequest, "the request body could not be read", err)
	}
	return body, nil
}

// decodeStrict decodes one JSON object from b into v, refusing unknown
// members (in every struct, so in "options" too), trailing data and
// non-objects. Members held as json.RawMessage are not inspected.
func decodeStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 || bytes.TrimSpace(b)[0] != '{' {
		return newErr(CodeBadRequest, "the request body must be a JSON object", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// The decoder's message may quote a member name from the request;
		// it is kept only in the wrapped error, never sent back.
		return newErr(CodeBadRequest, "the request body is not valid JSON of the expected shape (unknown or ill-typed member)", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return newErr(CodeBadRequest, "the request body has data after the JSON object", nil)
	}
	return nil
}

// present reports whether a raw member was given and is not JSON null.
func present(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// securedDoc is a credential or presentation as the request carries it:
// JSON with embedded proofs, or the compact JWS of an enveloped one.
type securedDoc struct {
	JSON []byte // Data Integrity: the document
	JWS  string // enveloped: the compact JWS
}

// decodeSecured reads a verifiableCredential or verifiablePresentation
// member: a JSON object secured with Data Integrity, an Enveloped… object
// whose id is "data:<mediaType>,<jws>", or the compact JWS as a string.
func decodeSecured(raw json.RawMessage, envelopedType, mediaType string) (securedDoc, error) {
	t := bytes.TrimSpace(raw)
	if !present(t) {
		return securedDoc{}, newErr(CodeBadRequest, "the document is missing", nil)
	}
	switch t[0] {
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return securedDoc{}, newErr(CodeBadRequest, "the document is not a valid JSON string", err)
		}
		if s == "" || strings.Count(s, ".") != 2 {
			return securedDoc{}, newErr(CodeBadRequest, "a string document must be a compact JWS", nil)
		}
		return securedDoc{JWS: s}, nil
	case '{':
	default:
		return securedDoc{}, newErr(CodeBadRequest, "the document must be a JSON object", nil)
	}
	var head struct {
		ID   any `json:"id"`
		Type any `json:"type"`
	}
	if err := json.Unmarshal(t, &head); err != nil {
		return securedDoc{}, newErr(CodeBadRequest, "the document is not a valid JSON object", err)
	}
	if !hasType(head.Type, envelopedType) {
		return securedDoc{JSON: t}, nil
	}
	id, _ := head.ID.(string)
	prefix := "data:" + mediaType + ","
	if !strings.HasPrefix(id, prefix) {
		return securedDoc{}, newErr(CodeBadRequest, "an enveloped document's id must be a data: URL of "+mediaType, nil)
	}
	jws := id[len(prefix):]
	if jws == "" || strings.Count(jws, ".") != 2 {
		return securedDoc{}, newErr(CodeBadRequest, "an enveloped document's data: URL must hold a compact JWS", nil)
	}
	return securedDoc{JWS: jws}, nil
}

// hasType reports whether a JSON type value (a string or an array of
// strings) contains want.
func hasType(v any, want string) bool {
	switch t := v.(type) {
	case string:
		return t == want
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}

// envelopedCredential wraps a vc+jwt as the VC-API returns it.
func envelopedCredential(jws string) map[string]any {
	return map[string]any{
		"@context": vc.ContextV2,
		"id":       vc.EnvelopedVCJWTPrefix + jws,
		"type":     vc.TypeEnvelopedVerifiableCredential,
	}
}
