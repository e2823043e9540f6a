package rulebook

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DecodeScenario reads a scenario in the YAML form of docs/assess.md. Unknown
// keys and malformed values are a *ScenarioError naming the dotted key (and,
// for unknown keys, the accepted ones). It does not validate values: call
// Validate (Evaluate does).
func DecodeScenario(data []byte) (Scenario, error) {
	var s Scenario
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return s, nil
		}
		return s, &ScenarioError{Key: "(document)", Msg: "not valid YAML: " + err.Error()}
	}
	if len(doc.Content) == 0 {
		return s, nil
	}
	return DecodeScenarioNode(doc.Content[0])
}

// DecodeScenarioNode decodes a parsed YAML scenario strictly: an unknown key
// or a malformed value is a *ScenarioError naming the dotted key and its
// line. Callers that edit the tree first (command-line overrides) use it.
func DecodeScenarioNode(n *yaml.Node) (Scenario, error) {
	var s Scenario
	return s, decodeNode(n, reflect.ValueOf(&s).Elem(), "")
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func decodeNode(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Tag == "!!null" {
		return nil
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Struct && t != reflect.TypeFor[Date]():
		if n.Kind != yaml.MappingNode {
			return &ScenarioError{Key: keyOrRoot(path), Value: n.Value, Msg: "want a mapping", Line: n.Line}
		}
		fields := map[string]int{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = i
			names = append(names, tag)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if seen[k] {
				return &ScenarioError{Key: joinKey(path, k), Msg: "key given twice", Line: n.Content[i].Line}
			}
			seen[k] = true
			idx, ok := fields[k]
			if !ok {
				return &ScenarioError{Key: joinKey(path, k), Msg: "unknown key", Accepted: names, Line: n.Content[i].Line}
			}
			if err := decodeNode(n.Content[i+1], v.Field(idx), joinKey(path, k)); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		if n.Kind != yaml.SequenceNode {
			return &ScenarioError{Key: path, Value: n.Value, Msg: "want a list", Line: n.Line}
		}
		sl := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if err := decodeNode(c, sl.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(sl)
		return nil
	case t == reflect.TypeFor[Date]():
		if n.Kind != yaml.ScalarNode {
			return &ScenarioError{Key: path, Msg: "want a date YYYY-MM-DD", Line: n.Line}
		}
		d, err := ParseDate(n.Value)
		if err != nil {
			return &ScenarioError{Key: path, Value: n.Value, Msg: "not a date (want YYYY-MM-DD)", Line: n.Line}
		}
		v.Set(reflect.ValueOf(d))
		return nil
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			return &ScenarioError{Key: path, Value: n.Value, Msg: "not true or false", Line: n.Line}
		}
		v.SetBool(b)
		return nil
	case t.Kind() == reflect.Int64:
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 10, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			return &ScenarioError{Key: path, Value: n.Value, Msg: "not a whole number", Line: n.Line}
		}
		v.SetInt(i)
		return nil
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			return &ScenarioError{Key: path, Msg: "want a single value, not a list or mapping", Line: n.Line}
		}
		v.SetString(n.Value)
		return nil
	default:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			msg := err.Error()
			if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "yaml:") {
				msg = msg[i+2:]
			}
			return &ScenarioError{Key: path, Value: n.Value, Msg: "malformed value: " + msg, Line: n.Line}
		}
		return nil
	}
}

func keyOrRoot(p string) string {
	if p == "" {
		return "(document)"
	}
	return p
}

// normalized returns s with defaults applied and codes in canonical case:
// exporter.type company, recipient.type company, recipient.role controller,
// recipient.relation unrelated, important_data none, ftz none, purpose
// other; country codes upper-cased.
func (s Scenario) normalized() Scenario {
	up := func(x string) string { return strings.ToUpper(strings.TrimSpace(x)) }
	low := func(x, def string) string {
		x = strings.TrimSpace(x)
		if x == "" {
			return def
		}
		return x
	}
	s.Exporter.Country = up(s.Exporter.Country)
	s.Recipient.Country = up(s.Recipient.Country)
	s.Exporter.Type = low(s.Exporter.Type, "company")
	s.Exporter.FTZ = low(strings.ToLower(s.Exporter.FTZ), "none")
	s.Exporter.Sector = strings.TrimSpace(s.Exporter.Sector)
	s.Recipient.Type = low(s.Recipient.Type, "company")
	s.Recipient.Role = low(s.Recipient.Role, "controller")
	s.Recipient.Relation = low(s.Recipient.Relation, "unrelated")
	s.Dataset.ImportantData = low(s.Dataset.ImportantData, "none")
	s.Purpose = low(s.Purpose, "other")
	s.LegalBasis = strings.TrimSpace(s.LegalBasis)
	if len(s.Exporter.Approvals) > 0 {
		s.Exporter.Approvals = slices.Clone(s.Exporter.Approvals)
		for i := range s.Exporter.Approvals {
			s.Exporter.Approvals[i].Route = strings.TrimSpace(s.Exporter.Approvals[i].Route)
		}
	}
	return s
}

// Validate checks s after applying the defaults. The error is a
// *ScenarioError naming the dotted key, the value and, for closed sets, the
// accepted values.
func (s Scenario) Validate() error {
	return s.normalized().validate()
}

func (s Scenario) validate() error {
	closed := func(key, val string, set []string) error {
		if slices.Contains(set, val) {
			return nil
		}
		return &ScenarioError{Key: key, Value: val, Msg: "unknown value", Accepted: set}
	}
	if s.AsOf.IsZero() {
		return &ScenarioError{Key: "as_of", Msg: "required (YYYY-MM-DD)"}
	}
	countries := isoAlpha2()
	if s.Exporter.Country == "" {
		return &ScenarioError{Key: "exporter.country", Msg: "required (ISO 3166-1 alpha-2)"}
	}
	if err := closed("exporter.country", s.Exporter.Country, countries); err != nil {
		return err
	}
	if s.Recipient.Country == "" {
		return &ScenarioError{Key: "recipient.country", Msg: "required (ISO 3166-1 alpha-2)"}
	}
	if err := closed("recipient.country", s.Recipient.Country, countries); err != nil {
		return err
	}
	checks := []struct {
		key, val string
		set      []string
	}{
		{"exporter.type", s.Exporter.Type, exporterTypes()},
		{"exporter.ftz", s.Exporter.FTZ, ftzZones()},
		{"recipient.type", s.Recipient.Type, recipientTypes()},
		{"recipient.role", s.Recipient.Role, recipientRoles()},
		{"recipient.relation", s.Recipient.Relation, recipientRelations()},
		{"dataset.important_data", s.Dataset.ImportantData, importantDataValues()},
		{"purpose", s.Purpose, purposeNames()},
	}
	for _, c := range checks {
		if err := closed(c.key, c.val, c.set); err != nil {
			return err
		}
	}
	if s.Exporter.Sector != "" {
		if err := closed("exporter.sector", s.Exporter.Sector, sectors()); err != nil {
			return err
		}
	}
	if s.LegalBasis != "" {
		if err := closed("legal_basis", s.LegalBasis, legalBases()); err != nil {
			return err
		}
	}
	for i, c := range s.Recipient.Certifications {
		if err := closed(fmt.Sprintf("recipient.certifications[%d]", i), c, certificationNames()); err != nil {
			return err
		}
	}
	if s.Exporter.FTZ != "none" && s.Exporter.Country != "CN" {
		return &ScenarioError{Key: "exporter.ftz", Value: s.Exporter.FTZ, Msg: "a pilot FTZ needs exporter.country CN"}
	}
	if s.Exporter.GBA {
		if !slices.Contains([]string{"CN", "HK", "MO"}, s.Exporter.Country) {
			return &ScenarioError{Key: "exporter.gba", Value: "true", Msg: "the Greater Bay Area needs exporter.country CN, HK or MO"}
		}
		if s.Exporter.Country == "CN" && s.Exporter.City != "" && !slices.Contains(gbaMainlandCities(), strings.ToLower(strings.TrimSpace(s.Exporter.City))) {
			return &ScenarioError{Key: "exporter.city", Value: s.Exporter.City, Msg: "exporter.gba is true but the city is not one of the nine GBA mainland cities", Accepted: gbaMainlandCities()[:9]}
		}
	}
	if s.Recipient.GBA && !slices.Contains([]string{"CN", "HK", "MO"}, s.Recipient.Country) {
		return &ScenarioError{Key: "recipient.gba", Value: "true", Msg: "the Greater Bay Area needs recipient.country CN, HK or MO"}
	}
	ds := s.Dataset
	counts := []struct {
		key string
		n   int64
	}{
		{"dataset.individuals", ds.Individuals},
		{"dataset.sensitive_individuals", ds.SensitiveIndividuals},
		{"dataset.prior_ytd.individuals", ds.PriorYTD.Individuals},
		{"dataset.prior_ytd.sensitive_individuals", ds.PriorYTD.SensitiveIndividuals},
		{"dataset.us_bulk_12m.human_genomic", ds.USBulk12m.HumanGenomic},
		{"dataset.us_bulk_12m.human_omic", ds.USBulk12m.HumanOmic},
		{"dataset.us_bulk_12m.biometric", ds.USBulk12m.Biometric},
		{"dataset.us_bulk_12m.precise_geolocation_devices", ds.USBulk12m.PreciseGeolocationDevices},
		{"dataset.us_bulk_12m.personal_health", ds.USBulk12m.PersonalHealth},
		{"dataset.us_bulk_12m.personal_financial", ds.USBulk12m.PersonalFinancial},
		{"dataset.us_bulk_12m.covered_identifiers", ds.USBulk12m.CoveredIdentifiers},
	}
	for _, c := range counts {
		if c.n < 0 {
			return &ScenarioError{Key: c.key, Value: strconv.FormatInt(c.n, 10), Msg: "must not be negative"}
		}
	}
	// Guard the cumulative sums against overflow.
	const maxCount = int64(1) << 52
	for _, c := range counts[:4] {
		if c.n > maxCount {
			return &ScenarioError{Key: c.key, Value: strconv.FormatInt(c.n, 10), Msg: "implausibly large count"}
		}
	}
	if ds.SensitiveIndividuals > ds.Individuals {
		return &ScenarioError{Key: "dataset.sensitive_individuals", Value: strconv.FormatInt(ds.SensitiveIndividuals, 10), Msg: "must not exceed dataset.individuals (sensitive individuals are a subset)"}
	}
	if ds.PriorYTD.SensitiveIndividuals > ds.PriorYTD.Individuals {
		return &ScenarioError{Key: "dataset.prior_ytd.sensitive_individuals", Value: strconv.FormatInt(ds.PriorYTD.SensitiveIndividuals, 10), Msg: "must not exceed dataset.prior_ytd.individuals"}
	}
	for i, a := range s.Exporter.Approvals {
		key := fmt.Sprintf("exporter.approvals[%d]", i)
		if err := closed(key+".route", a.Route, approvalRoutes()); err != nil {
			return err
		}
		if a.Issued.IsZero() {
			return &ScenarioError{Key: key + ".issued", Msg: "required (YYYY-MM-DD)"}
		}
		if !a.Expires.IsZero() && !a.Expires.After(a.Issued.Time) {
			return &ScenarioError{Key: key + ".expires", Value: a.Expires.String(), Msg: "must be after issued " + a.Issued.String()}
		}
	}
	return nil
}
