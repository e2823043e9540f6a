package transfer

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// EndpointType is the Dataspace Protocol DataAddress endpointType of an
// endpoint that speaks this package's stream over HTTPS.
const EndpointType = "urn:xborder:transfer:https-stream:v1"

// Names of the DataAddress endpointProperties. "authorization" and
// "authType" are the protocol's well-known names; the refresh properties
// follow Tractus-X EDC's EDR (a refresh token and endpoint, and the access
// token's lifetime in seconds).
const (
	PropAuthorization   = "authorization"
	PropAuthType        = "authType"
	PropExpiresIn       = "expiresIn"
	PropRefreshToken    = "refreshToken"
	PropRefreshEndpoint = "refreshEndpoint"
)

// DataAddress is where and how to reach a transfer's endpoint: for a pull,
// the provider's stream (in the TransferStartMessage); for a push, the
// consumer's receiver (in the TransferRequestMessage).
type DataAddress struct {
	Endpoint        string
	Token           string // bearer access token
	ExpiresAt       time.Time
	RefreshToken    string // empty when the token cannot be refreshed
	RefreshEndpoint string
}

// Property is one DSP EndpointProperty.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Properties returns the endpointProperties of a, with expiresIn counted
// from now.
func (a DataAddress) Properties(now time.Time) []Property {
	ps := []Property{{PropAuthorization, a.Token}, {PropAuthType, "bearer"}}
	if !a.ExpiresAt.IsZero() {
		ps = append(ps, Property{PropExpiresIn, strconv.FormatInt(int64(max(0, a.ExpiresAt.Sub(now)/time.Second)), 10)})
	}
	if a.RefreshToken != "" {
		ps = append(ps, Property{PropRefreshToken, a.RefreshToken}, Property{PropRefreshEndpoint, a.RefreshEndpoint})
	}
	return ps
}

// ParseDataAddress reads a DataAddress from its DSP parts. expiresIn is
// counted from now.
func ParseDataAddress(endpointType, endpoint string, props []Property, now time.Time) (DataAddress, error) {
	if endpointType != EndpointType {
		return DataAddress{}, fmt.Errorf("transfer: endpointType %q, want %q", endpointType, EndpointType)
	}
	if !strings.HasPrefix(endpoint, "https://") && !strings.HasPrefix(endpoint, "http://") {
		return DataAddress{}, fmt.Errorf("transfer: endpoint %q is not an HTTP(S) URL", endpoint)
	}
	a := DataAddress{Endpoint: endpoint}
	for _, p := range props {
		switch p.Name {
		case PropAuthorization:
			a.Token = strings.TrimPrefix(p.Value, "Bearer ")
		case PropAuthType:
			if !strings.EqualFold(p.Value, "bearer") {
				return DataAddress{}, fmt.Errorf("transfer: authType %q, want bearer", p.Value)
			}
		case PropExpiresIn:
			s, err := strconv.ParseInt(p.Value, 10, 64)
			if err != nil || s < 0 {
				return DataAddress{}, fmt.Errorf("transfer: expiresIn %q", p.Value)
			}
			a.ExpiresAt = now.Add(time.Duration(s) * time.Second)
		case PropRefreshToken:
			a.RefreshToken = p.Value
		case PropRefreshEndpoint:
			a.RefreshEndpoint = p.Value
		}
	}
	if a.Token == "" {
		return DataAddress{}, errors.New("transfer: DataAddress has no authorization")
	}
	if (a.RefreshToken == "") != (a.RefreshEndpoint == "") {
		return DataAddress{}, errors.New("transfer: DataAddress has a refresh token without an endpoint or the reverse")
	}
	return a, nil
}

// urlPathEscape escapes a transfer ID as one path segment.
func urlPathEscape(id string) string { return url.PathEscape(id) }
