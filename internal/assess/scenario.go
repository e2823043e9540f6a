package assess

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/rulebook"
)

// maxScenarioBytes bounds a scenario file; real ones are a few hundred bytes.
const maxScenarioBytes = 1 << 20

// InputError is bad input to an assessment: a scenario key, a flag, a file.
// It names the place (file and line, or the key) and carries a hint. The
// command line maps it to exit code 2.
type InputError struct {
	File string // scenario or data file, if any
	Line int    // 1-based line in File, if known
	Key  string // dotted scenario key or flag, if any
	Msg  string
	Hint string
	Err  error
}

func (e *InputError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		if e.Msg != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// ScenarioSource is where a scenario comes from: an optional YAML file and
// overrides in dotted-key form (exporter.country=CN), applied in order after
// the file, as the command line's flags are.
type ScenarioSource struct {
	File      string
	Overrides []Override
}

// Override sets one scenario key; Flag names the command-line flag it came
// from, for messages.
type Override struct {
	Key   string
	Value string
	Flag  string
}

// LoadScenario reads, overrides and strictly decodes a scenario. Unknown keys
// and values of the wrong type are an *InputError naming the key, its line
// and the accepted keys; values outside a closed vocabulary are caught by
// rulebook validation afterwards.
func LoadScenario(src ScenarioSource) (rulebook.Scenario, error) {
	var s rulebook.Scenario
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if src.File != "" {
		data, err := readBounded(src.File, maxScenarioBytes)
		if err != nil {
			return s, &InputError{File: src.File, Msg: "cannot read the scenario", Err: err,
				Hint: "give the path of a YAML file as shown in docs/assess.md"}
		}
		if len(bytes.TrimSpace(data)) > 0 {
			var doc yaml.Node
			if err := yaml.Unmarshal(data, &doc); err != nil {
				return s, &InputError{File: src.File, Msg: "not valid YAML", Err: err,
					Hint: "check indentation and quoting; see docs/assess.md for an example"}
			}
			if len(doc.Content) > 0 {
				root = doc.Content[0]
			}
			if root.Kind != yaml.MappingNode {
				return s, &InputError{File: src.File, Line: root.Line, Msg: "the scenario must be a YAML mapping of keys to values",
					Hint: "start with keys such as as_of:, exporter:, recipient:, dataset:, purpose:"}
			}
		}
	}
	for _, o := range src.Overrides {
		if err := setKey(root, o.Key, o.Value); err != nil {
			key := o.Key
			if o.Flag != "" {
				key = o.Flag
			}
			return s, &InputError{Key: key, Msg: err.Error(), Hint: "use --set KEY=VALUE with a dotted key such as exporter.ciio=true"}
		}
	}
	s, err := rulebook.DecodeScenarioNode(root)
	if err != nil {
		var se *rulebook.ScenarioError
		if !errors.As(err, &se) {
			return s, &InputError{File: src.File, Msg: "invalid scenario", Err: err}
		}
		ie := fromScenarioError(se)
		ie.File, ie.Line = src.File, se.Line
		// A value set by a flag is reported against the flag.
		for _, o := range src.Overrides {
			if o.Key == se.Key && o.Flag != "" {
				ie.File, ie.Line, ie.Key = "", 0, o.Flag
			}
		}
		return s, ie
	}
	return s, nil
}

// fromScenarioError turns the rulebook's account of a bad key or value into
// an *InputError with a hint listing what is accepted.
func fromScenarioError(se *rulebook.ScenarioError) *InputError {
	ie := &InputError{Key: se.Key, Msg: se.Msg, Hint: "see docs/assess.md for the scenario keys and values"}
	if se.Value != "" {
		ie.Msg += fmt.Sprintf(": %q", se.Value)
	}
	switch {
	case se.Key == "purpose":
		ie.Hint = "run xborder assess --list-purposes for the accepted purposes"
	case len(se.Accepted) > 0:
		accepted := append([]string(nil), se.Accepted...)
		sort.Strings(accepted)
		what := "accepted values: "
		if se.Msg == "unknown key" {
			what = "accepted keys here: "
		}
		if len(accepted) > 40 {
			accepted = append(accepted[:40], "…")
		}
		ie.Hint = what + strings.Join(accepted, ", ")
	}
	return ie
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}

// setKey sets the scalar at a dotted key, creating mappings on the way.
func setKey(root *yaml.Node, key, value string) error {
	parts := strings.Split(key, ".")
	n := root
	for i, p := range parts {
		if p == "" {
			return fmt.Errorf("malformed key %q", key)
		}
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s is not a mapping", strings.Join(parts[:i], "."))
		}
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == p {
				next = n.Content[j+1]
			}
		}
		last := i == len(parts)-1
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if last {
				next = &yaml.Node{Kind: yaml.ScalarNode}
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p}, next)
		}
		if last {
			*next = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
			// Let YAML read the value as it would in a file: a bool, a count,
			// or a flow list or mapping such as [DPF, CBPR].
			var probe yaml.Node
			if err := yaml.Unmarshal([]byte(value), &probe); err == nil && len(probe.Content) == 1 {
				v := probe.Content[0]
				switch {
				case v.Kind == yaml.ScalarNode:
					next.Tag = v.Tag
				case v.Style&yaml.FlowStyle != 0:
					*next = *v
				}
			}
		}
		n = next
	}
	return nil
}
