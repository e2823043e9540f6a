package witness

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/tessera"
	"golang.org/x/mod/sumdb/note"
)

// PolicyWitness is one witness in a [Policy].
type PolicyWitness struct {
	// Name labels the witness in the policy text (not the key name).
	Name string `json:"name" yaml:"name"`
	// VerifierKey is the witness's cosignature/v1 verifier key (type 0x04;
	// a plain Ed25519 vkey is accepted and read as the same key).
	VerifierKey string `json:"vkey" yaml:"vkey"`
	// URL is the witness's submission prefix; the log POSTs to
	// URL + "/add-checkpoint". Auditors may leave it empty.
	URL string `json:"url,omitempty" yaml:"url,omitempty"`
}

// Policy is a flat k-of-n witness policy: a checkpoint counts as witnessed
// when at least K of Witnesses have cosigned it. K = 0 means no witnessing.
type Policy struct {
	Witnesses []PolicyWitness `json:"witnesses" yaml:"witnesses"`
	K         int             `json:"k" yaml:"k"`
}

// ParsePolicy parses the policy text format tessera.NewWitnessGroupFromPolicy
// reads (Sigsum's policy format with vkeys), restricted to one flat group:
//
//	# comments run to the end of the line
//	log <vkey> [<url>]                   # accepted and ignored
//	witness <name> <vkey> [<url>]
//	group <name> <k>|any|all <witness>...
//	quorum <group or witness name>|none
//
// The quorum must name a witness (1-of-1) or a group whose members are
// witnesses; nested groups are refused. Witnesses outside the quorum are
// dropped.
func ParsePolicy(text []byte) (*Policy, error) {
	witnesses := map[string]PolicyWitness{}
	groups := map[string]*Policy{}
	quorum := ""
	sc := bufio.NewScanner(bytes.NewReader(text))
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("witness: policy line %d: %s", ln, fmt.Sprintf(format, args...))
		}
		defined := func(name string) bool { _, w := witnesses[name]; _, g := groups[name]; return w || g }
		switch f[0] {
		case "log":
			if len(f) < 2 || len(f) > 3 {
				return nil, bad("want: log <vkey> [<url>]")
			}
		case "witness":
			if len(f) < 3 || len(f) > 4 {
				return nil, bad("want: witness <name> <vkey> [<url>]")
			}
			if policyKeyword[f[1]] || defined(f[1]) {
				return nil, bad("name %q is a keyword or already defined", f[1])
			}
			pw := PolicyWitness{Name: f[1], VerifierKey: f[2]}
			if len(f) == 4 {
				pw.URL = f[3]
			}
			witnesses[f[1]] = pw
		case "group":
			if len(f) < 4 {
				return nil, bad("want: group <name> <k>|any|all <member>...")
			}
			if policyKeyword[f[1]] || defined(f[1]) {
				return nil, bad("name %q is a keyword or already defined", f[1])
			}
			g := &Policy{}
			for _, m := range f[3:] {
				pw, ok := witnesses[m]
				switch {
				case ok:
					g.Witnesses = append(g.Witnesses, pw)
				case groups[m] != nil:
					return nil, bad("group %q: nested groups are not supported; list the witnesses in one group", f[1])
				default:
					return nil, bad("group %q: unknown witness %q", f[1], m)
				}
			}
			switch f[2] {
			case "any":
				g.K = 1
			case "all":
				g.K = len(g.Witnesses)
			default:
				k, err := strconv.ParseUint(f[2], 10, 8)
				if err != nil || k == 0 {
					return nil, bad("group %q: threshold %q is not any, all or a number from 1 to 255", f[1], f[2])
				}
				g.K = int(k)
			}
			groups[f[1]] = g
		case "quorum":
			if len(f) != 2 {
				return nil, bad("want: quorum <name>|none")
			}
			if quorum != "" {
				return nil, bad("quorum defined twice")
			}
			quorum = f[1]
		default:
			return nil, bad("unknown keyword %q", f[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("witness: policy: %w", err)
	}
	var p *Policy
	switch {
	case quorum == "":
		return nil, fmt.Errorf("witness: policy has no quorum line")
	case quorum == "none":
		p = &Policy{}
	case groups[quorum] != nil:
		p = groups[quorum]
	default:
		pw, ok := witnesses[quorum]
		if !ok {
			return nil, fmt.Errorf("witness: policy quorum %q is not defined", quorum)
		}
		p = &Policy{Witnesses: []PolicyWitness{pw}, K: 1}
	}
	if _, err := p.Verifiers(); err != nil {
		return nil, err
	}
	return p, nil
}

var policyKeyword = map[string]bool{"log": true, "witness": true, "group": true, "quorum": true, "any": true, "all": true, "none": true}

// Verifiers checks the policy (0 <= K <= number of witnesses; valid,
// distinct keys and names) and returns a cosignature/v1 verifier per witness.
func (p *Policy) Verifiers() ([]note.Verifier, error) {
	if p.K < 0 || p.K > len(p.Witnesses) {
		return nil, fmt.Errorf("witness: policy threshold %d with %d witnesses", p.K, len(p.Witnesses))
	}
	vs := make([]note.Verifier, 0, len(p.Witnesses))
	names, keys := map[string]bool{}, map[string]string{}
	for _, w := range p.Witnesses {
		if w.Name == "" || names[w.Name] {
			return nil, fmt.Errorf("witness: policy: witness name %q is empty or repeated", w.Name)
		}
		names[w.Name] = true
		v, err := fnote.NewVerifierForCosignatureV1(w.VerifierKey)
		if err != nil {
			return nil, fmt.Errorf("witness: policy: witness %q: verifier key: %w", w.Name, err)
		}
		// The same Ed25519 key must not count twice, whatever its name.
		_, rest, _ := strings.Cut(w.VerifierKey, "+")
		_, key64, _ := strings.Cut(rest, "+")
		raw, _ := base64.StdEncoding.DecodeString(key64) // decoded by the verifier above
		pub := string(raw[1:])
		if other, dup := keys[pub]; dup {
			return nil, fmt.Errorf("witness: policy: witnesses %q and %q have the same key", other, w.Name)
		}
		keys[pub] = w.Name
		vs = append(vs, v)
	}
	return vs, nil
}

// WitnessGroup returns the tessera witness group for the policy, to pass to
// tessera.AppendOptions.WithWitnesses. Every witness needs an http(s) URL.
func (p *Policy) WitnessGroup() (tessera.WitnessGroup, error) {
	if _, err := p.Verifiers(); err != nil {
		return tessera.WitnessGroup{}, err
	}
	g := tessera.NewWitnessGroup(0)
	for _, w := range p.Witnesses {
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return tessera.WitnessGroup{}, fmt.Errorf("witness: policy: witness %q: URL %q is not an http(s) URL", w.Name, w.URL)
		}
		tw, err := tessera.NewWitness(w.VerifierKey, u)
		if err != nil {
			return tessera.WitnessGroup{}, fmt.Errorf("witness: policy: witness %q: %w", w.Name, err)
		}
		g.Components = append(g.Components, tw)
	}
	g.N = p.K
	return g, nil
}

// Verify checks a checkpoint against the policy: the log's signature and at
// least K cosignatures from its witnesses (see [VerifyCosignatures]).
func (p *Policy) Verify(checkpoint []byte, logVerifier note.Verifier) ([]Cosignature, error) {
	vs, err := p.Verifiers()
	if err != nil {
		return nil, err
	}
	return VerifyCosignatures(checkpoint, logVerifier, vs, p.K)
}
