package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/contract/billing"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/rulebook"
)

// Parameter types.
const (
	ParamIRI       = "iri"       // an absolute IRI, e.g. the dataset's identifier
	ParamDID       = "did"       // one DID
	ParamDIDs      = "dids"      // a list of DIDs
	ParamPurposes  = "purposes"  // purposes of the assess vocabulary (xborder assess --list-purposes)
	ParamCountries = "countries" // ISO 3166-1 alpha-2 codes
	ParamPeriod    = "period"    // {"start": "2026-05-01", "end": "2026-10-31"}, days inclusive
	ParamCount     = "count"     // a whole number ≥ 1
	ParamBytes     = "bytes"     // a whole number of bytes ≥ 1, or "10GB", "512MiB"
	ParamDays      = "days"      // a whole number of days ≥ 0
	ParamHours     = "hours"     // a whole number of hours ≥ 1
	ParamIndustry  = "industry"  // a sector name such as finance, health, automotive, retail
	ParamChannels  = "channels"  // delivery channels: privacy_computing, sandbox, api, file_transfer
	ParamRoutes    = "routes"    // transfer route codes of the rulebook, e.g. CN_SA
	ParamPricing   = "pricing"   // a pricing schedule (docs/contract.md)
	ParamText      = "text"      // free text
	ParamEnum      = "enum"      // one of Allowed
)

var paramTypes = []string{ParamIRI, ParamDID, ParamDIDs, ParamPurposes, ParamCountries, ParamPeriod, ParamCount,
	ParamBytes, ParamDays, ParamHours, ParamIndustry, ParamChannels, ParamRoutes, ParamPricing, ParamText, ParamEnum}

// MaxParamsBytes bounds a parameters file.
const MaxParamsBytes = 64 << 10

// Params are the raw parameter values of one instantiation, by name.
type Params map[string]json.RawMessage

// ParamError is a parameter that is missing, unknown or invalid. Hint
// says what is accepted.
type ParamError struct {
	Param string
	Msg   string
	Hint  string
}

func (e *ParamError) Error() string {
	if e.Param == "" {
		return "params: " + e.Msg
	}
	return "params: " + e.Param + ": " + e.Msg
}

// ParseParams reads a JSON object of parameter values. Duplicate names
// are refused; the values are checked against a template by Instantiate.
func ParseParams(data []byte) (Params, error) {
	if len(data) > MaxParamsBytes {
		return nil, &ParamError{Msg: fmt.Sprintf("larger than %d bytes", MaxParamsBytes)}
	}
	if err := checkDuplicates(data); err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return nil, &ParamError{Param: pe.Path, Msg: pe.Msg}
		}
		return nil, &ParamError{Msg: err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var p Params
	if err := dec.Decode(&p); err != nil {
		return nil, &ParamError{Msg: "not a JSON object of parameter values: " + err.Error(), Hint: `e.g. {"target": "urn:…", "purposes": ["analytics"]}`}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ParamError{Msg: "data after the JSON object"}
	}
	if p == nil {
		return nil, &ParamError{Msg: "not a JSON object of parameter values"}
	}
	return p, nil
}

// DateRange is a period of whole days, both ends included.
type DateRange struct {
	Start rulebook.Date `json:"start"`
	End   rulebook.Date `json:"end"`
}

// maxPeriodYears bounds a contract period.
const maxPeriodYears = 20

func (ps *ParamSpec) check() error {
	if !paramNameRE.MatchString(ps.Name) {
		return errors.New("name: lower-case letters, digits and underscores")
	}
	if !slices.Contains(paramTypes, ps.Type) {
		return fmt.Errorf("type %q (known: %s)", ps.Type, strings.Join(paramTypes, ", "))
	}
	if ps.Type == ParamEnum && len(ps.Allowed) == 0 {
		return errors.New("an enum lists its allowed values")
	}
	if len(ps.Allowed) > 0 {
		switch ps.Type {
		case ParamEnum, ParamPurposes, ParamCountries, ParamChannels, ParamRoutes, ParamIndustry:
		default:
			return fmt.Errorf("allowed does not apply to type %s", ps.Type)
		}
		for _, a := range ps.Allowed {
			if ps.Type == ParamEnum {
				continue
			}
			if err := checkListItem(ps.Type, a); err != nil {
				return fmt.Errorf("allowed: %w", err)
			}
		}
	}
	if (ps.Min != nil || ps.Max != nil) && !isNumberType(ps.Type) {
		return fmt.Errorf("min and max apply to numbers, not %s", ps.Type)
	}
	if ps.Title.EN == "" || ps.Title.ZH == "" {
		return errors.New("title needs en and zh")
	}
	if ps.Fixed.Kind != 0 && ps.Default.Kind != 0 {
		return errors.New("a parameter has a default or a fixed value, not both")
	}
	return nil
}

func isNumberType(t string) bool {
	return t == ParamCount || t == ParamBytes || t == ParamDays || t == ParamHours
}

var (
	paramNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)
	countryRE   = regexp.MustCompile(`^[A-Z]{2}$`)
	industryRE  = regexp.MustCompile(`^[a-z][a-z_]{1,40}$`)
)

func purposeNames() []string {
	var out []string
	for _, p := range rulebook.Purposes() {
		out = append(out, p.Name)
	}
	return out
}

// checkListItem checks one element of a list-valued type.
func checkListItem(typ, s string) error {
	switch typ {
	case ParamPurposes:
		if !slices.Contains(purposeNames(), s) {
			return fmt.Errorf("purpose %q is not in the assess vocabulary (see xborder assess --list-purposes)", s)
		}
	case ParamCountries:
		if !countryRE.MatchString(s) {
			return fmt.Errorf("%q is not an ISO 3166-1 alpha-2 code such as DE", s)
		}
	case ParamChannels:
		if !slices.Contains(deliveryChannels, s) {
			return fmt.Errorf("channel %q (accepted: %s)", s, strings.Join(deliveryChannels, ", "))
		}
	case ParamRoutes:
		if _, ok := rulebook.RouteByCode(s); !ok {
			return fmt.Errorf("%q is not a route code of the rulebook (e.g. CN_SA, CN_SC, EU_BCR)", s)
		}
	case ParamDIDs:
		if _, err := identity.ParseDID(s); err != nil {
			return fmt.Errorf("%q is not a DID: %v", truncate(s), err)
		}
	case ParamIndustry:
		if !industryRE.MatchString(s) {
			return fmt.Errorf("industry %q: lower-case words joined by underscores", s)
		}
	}
	return nil
}

// decode checks a raw JSON value against the spec and returns it typed:
// string, []string, int64, DateRange or *billing.Pricing.
func (ps *ParamSpec) decode(raw json.RawMessage) (any, error) {
	switch ps.Type {
	case ParamIRI, ParamDID, ParamText, ParamEnum, ParamIndustry:
		var s string
		if err := strictUnmarshal(raw, &s); err != nil {
			return nil, errors.New("want a string")
		}
		s = strings.TrimSpace(s)
		if s == "" || len(s) > maxStringLen {
			return nil, fmt.Errorf("want a non-empty string of at most %d bytes", maxStringLen)
		}
		switch ps.Type {
		case ParamIRI:
			if !absoluteIRI(s) {
				return nil, fmt.Errorf("%q is not an absolute IRI (urn:…, did:…, https://…)", truncate(s))
			}
		case ParamDID:
			if _, err := identity.ParseDID(s); err != nil {
				return nil, fmt.Errorf("%q is not a DID: %v", truncate(s), err)
			}
		case ParamEnum:
			if !slices.Contains(ps.Allowed, s) {
				return nil, fmt.Errorf("%q (accepted: %s)", truncate(s), strings.Join(ps.Allowed, ", "))
			}
		case ParamIndustry:
			if err := checkListItem(ParamIndustry, s); err != nil {
				return nil, err
			}
			if len(ps.Allowed) > 0 && !slices.Contains(ps.Allowed, s) {
				return nil, fmt.Errorf("%q (this template accepts: %s)", s, strings.Join(ps.Allowed, ", "))
			}
		}
		return s, nil
	case ParamDIDs, ParamPurposes, ParamCountries, ParamChannels, ParamRoutes:
		var list []string
		if err := strictUnmarshal(raw, &list); err != nil {
			return nil, errors.New("want a list of strings")
		}
		if len(list) == 0 || len(list) > maxListItems {
			return nil, fmt.Errorf("want 1 to %d values", maxListItems)
		}
		var out []string
		for _, s := range list {
			s = strings.TrimSpace(s)
			if ps.Type == ParamCountries {
				s = strings.ToUpper(s)
			}
			if err := checkListItem(ps.Type, s); err != nil {
				return nil, err
			}
			if len(ps.Allowed) > 0 && !slices.Contains(ps.Allowed, s) {
				return nil, fmt.Errorf("%q (this template accepts: %s)", s, strings.Join(ps.Allowed, ", "))
			}
			if slices.Contains(out, s) {
				return nil, fmt.Errorf("%q listed twice", s)
			}
			out = append(out, s)
		}
		return out, nil
	case ParamPeriod:
		var pj struct {
			Start string `json:"start"`
			End   string `json:"end"`
		}
		if err := strictUnmarshal(raw, &pj); err != nil {
			return nil, errors.New(`want {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}`)
		}
		start, err := rulebook.ParseDate(pj.Start)
		if err != nil {
			return nil, fmt.Errorf("start: %w", err)
		}
		end, err := rulebook.ParseDate(pj.End)
		if err != nil {
			return nil, fmt.Errorf("end: %w", err)
		}
		if end.Before(start.Time) {
			return nil, fmt.Errorf("end %s is before start %s", end, start)
		}
		if end.After(start.AddDate(maxPeriodYears, 0, 0)) {
			return nil, fmt.Errorf("longer than %d years", maxPeriodYears)
		}
		return DateRange{Start: start, End: end}, nil
	case ParamCount, ParamBytes, ParamDays, ParamHours:
		n, err := decodeNumber(ps.Type, raw)
		if err != nil {
			return nil, err
		}
		min := int64(1)
		if ps.Type == ParamDays {
			min = 0
		}
		if ps.Min != nil {
			min = *ps.Min
		}
		if n < min {
			return nil, fmt.Errorf("%d is below the minimum %d", n, min)
		}
		if ps.Max != nil && n > *ps.Max {
			return nil, fmt.Errorf("%d is above the maximum %d", n, *ps.Max)
		}
		return n, nil
	case ParamPricing:
		p, err := billing.ParsePricing(raw)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, fmt.Errorf("unknown type %s", ps.Type)
}

var sizeRE = regexp.MustCompile(`^([0-9]{1,15})\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

func decodeNumber(typ string, raw json.RawMessage) (int64, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, errors.New("want a whole number")
	}
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s is not a whole number", x)
		}
		return n, nil
	case string:
		if typ != ParamBytes {
			break
		}
		m := sizeRE.FindStringSubmatch(strings.TrimSpace(x))
		if m == nil {
			return 0, fmt.Errorf("%q: write a size such as 10GB or 512MiB", truncate(x))
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		mult := map[string]int64{"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
		if n > (1<<62)/mult {
			return 0, fmt.Errorf("%q is too large", x)
		}
		return n * mult, nil
	}
	if typ == ParamBytes {
		return 0, errors.New("want a whole number of bytes or a size such as 10GB")
	}
	return 0, errors.New("want a whole number")
}

// strictUnmarshal decodes JSON refusing unknown fields.
func strictUnmarshal(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the value")
	}
	return nil
}

func jsonUnmarshal(raw json.RawMessage, v any) error { return json.Unmarshal(raw, v) }

// yamlToJSON converts a YAML value (a default or fixed value in a
// template) to JSON.
func yamlToJSON(n *yaml.Node) (json.RawMessage, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	v, err := jsonable(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// jsonable turns YAML-decoded maps (map[string]any) and dates into JSON
// values.
func jsonable(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			j, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			out[k] = j
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			j, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			out[i] = j
		}
		return out, nil
	case time.Time:
		return x.Format(time.DateOnly), nil
	case float64:
		return nil, errors.New("decimal numbers are not accepted; write amounts as strings")
	}
	return v, nil
}

func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
