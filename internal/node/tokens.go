package node

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/atomicfile"
)

// Role is a management-API role, after seed §2.5.1.2 (separation of duties).
type Role string

// Roles.
const (
	RoleAdmin      Role = "admin"      // node configuration, tokens, keys
	RoleCompliance Role = "compliance" // approvals, filings, policies, offers
	RoleOperations Role = "operations" // datasets, negotiations, transfers
	RoleAuditor    Role = "auditor"    // read-only: audit queries, proofs, evidence packs
)

// Roles lists the roles in a stable order.
var Roles = []Role{RoleAdmin, RoleCompliance, RoleOperations, RoleAuditor}

// Token is a stored management token: only its SHA-256 is kept.
type Token struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created"`
}

// tokenPrefix marks xborder management tokens (so secret scanners can find them).
const tokenPrefix = "xbt_"

// Tokens is the token file DATA_DIR/tokens.json (mode 0600).
type Tokens struct {
	path string
	mu   sync.RWMutex
	list []Token
}

// OpenTokens reads the token file at path (absent = no tokens).
func OpenTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	if err := json.Unmarshal(b, &t.list); err != nil {
		return nil, fmt.Errorf("tokens: %s: %w", path, err)
	}
	for _, x := range t.list {
		if !slices.Contains(Roles, x.Role) || len(x.SHA256) != 64 || x.Name == "" {
			return nil, fmt.Errorf("tokens: %s: malformed entry %q", path, x.Name)
		}
	}
	return t, nil
}

// Add creates a token for name with role, stores its hash and returns the
// token, which is shown once and never stored.
func (t *Tokens) Add(name string, role Role, now time.Time) (string, error) {
	if !slices.Contains(Roles, role) {
		return "", fmt.Errorf("tokens: role %q: accepted: admin, compliance, operations, auditor", role)
	}
	if name == "" || len(name) > 64 || strings.ContainsAny(name, " \t\r\n\"") {
		return "", errors.New("tokens: the name is 1..64 characters without spaces or quotes")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, x := range t.list {
		if x.Name == name {
			return "", fmt.Errorf("tokens: %q exists; remove it first", name)
		}
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	tok := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(tok))
	list := append(slices.Clone(t.list), Token{Name: name, Role: role, SHA256: hex.EncodeToString(sum[:]), Created: now.UTC()})
	if err := t.save(list); err != nil {
		return "", err
	}
	t.list = list
	return tok, nil
}

// Remove deletes the token named name.
func (t *Tokens) Remove(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := slices.IndexFunc(t.list, func(x Token) bool { return x.Name == name })
	if i < 0 {
		return fmt.Errorf("tokens: no token named %q", name)
	}
	list := slices.Delete(slices.Clone(t.list), i, i+1)
	if err := t.save(list); err != nil {
		return err
	}
	t.list = list
	return nil
}

// List returns the stored tokens (hashes only).
func (t *Tokens) List() []Token {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.list)
}

func (t *Tokens) save(list []Token) error {
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(t.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	return nil
}

// Lookup returns the token entry for a presented bearer token, comparing
// hashes in constant time.
func (t *Tokens) Lookup(presented string) (Token, bool) {
	if !strings.HasPrefix(presented, tokenPrefix) || len(presented) > 128 {
		return Token{}, false
	}
	sum := sha256.Sum256([]byte(presented))
	want := hex.EncodeToString(sum[:])
	t.mu.RLock()
	defer t.mu.RUnlock()
	var found Token
	ok := false
	for _, x := range t.list {
		if subtle.ConstantTimeCompare([]byte(x.SHA256), []byte(want)) == 1 {
			found, ok = x, true
		}
	}
	return found, ok
}
