package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/statedb"
)

// Config is the connector's configuration: a YAML file (every field has a
// documented default), then XBORDER_* environment variables, then flags.
type Config struct {
	// DataDir holds everything the node keeps: xborder.db, audit/, tokens.json.
	DataDir string `yaml:"data_dir"`
	// Database is where the catalog, the contracts and the DSP processes
	// are kept: empty for the embedded SQLite file DATA_DIR/xborder.db, or
	// a postgres:// (postgresql://) URL for PostgreSQL, e.g.
	// postgres://xborder@db.example:5432/xborder?sslmode=verify-full (the
	// password may come from PGPASSWORD or ~/.pgpass instead of the URL).
	// The schema is the same on both. The audit ledger and its index stay
	// in DATA_DIR. Never logged with its password.
	Database string `yaml:"database"`
	// Name is a human label for logs and the console.
	Name string `yaml:"name"`
	// DID is the node's DID (did:web:HOST for a served document).
	DID string `yaml:"did"`
	// Jurisdiction is the ISO 3166-1 alpha-2 country the node operates in.
	Jurisdiction string `yaml:"jurisdiction"`
	// Suite is intl or gm.
	Suite string `yaml:"suite"`
	// Key is the node's key: "store:NAME" (encrypted key store, passphrase
	// from XBORDER_KEY_PASSPHRASE) or a PEM file made by xborder key generate.
	Key string `yaml:"key"`
	// Listen holds the listener addresses.
	Listen Listen `yaml:"listen"`
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
	// TLS serves the public listener over TLS 1.3 with the node's DID-bound
	// certificate (made from Key for DID), requesting DID-bound client
	// certificates (see didtls.go).
	TLS bool `yaml:"tls"`
	// Participants are the data space members this node knows, with their
	// countries (used by the compliance gate for the consumer's country).
	Participants []Participant `yaml:"participants"`
	// Credentials are files of this node's verifiable credentials (vc+jwt
	// or JSON), which its credential service presents to the providers it
	// calls (DCP).
	Credentials []string `yaml:"credentials"`
	// Trust pins the trust registry whose issuers this node accepts in the
	// credentials of the parties that call it.
	Trust TrustConfig `yaml:"trust"`
	// Egress bounds the addresses the node connects to (egress.go).
	Egress EgressConfig `yaml:"egress"`
	// ParkFilings parks, for the compliance office, contract requests whose
	// only obstacle is a filing not on record or a point needing review,
	// instead of terminating them.
	ParkFilings bool `yaml:"park_filings"`
	// Anomaly configures the anomaly rules run over the audit ledger.
	Anomaly AnomalyConfig `yaml:"anomaly"`
	// PET configures privacy computing (pet.go).
	PET PETConfig `yaml:"pet"`
}

// PETConfig is the node's floor for privacy-computing tasks (every task's
// review policy must meet it, its own and its peers') and the algorithm
// publishers it trusts.
type PETConfig struct {
	// MinGroup is the smallest aggregation group or bin shown (0: 10).
	MinGroup int64 `yaml:"min_group"`
	// MinIntersection is the smallest PSI intersection shown (0: 1).
	MinIntersection int64 `yaml:"min_intersection"`
	// RequireDP refuses tasks whose results are released without noise.
	RequireDP bool `yaml:"require_dp"`
	// NoKeys refuses tasks that release the intersection's keys.
	NoKeys bool `yaml:"no_keys"`
	// Publishers are the verification methods (DID URLs) whose signed
	// algorithm manifests algorithmRegister accepts.
	Publishers []string `yaml:"publishers"`
	// MaxUploadMB bounds one task input (0: 64).
	MaxUploadMB int64 `yaml:"max_upload_mb"`
	// KeepInputs keeps this node's task inputs after their task ended; by
	// default they are erased then (internal/pet/task Options.KeepInputs).
	KeepInputs bool `yaml:"keep_inputs"`
	// StrictSignatures demands that peers sign with the suite's algorithm
	// (a gm node: SM2 only); by default each party signs with its own key
	// and the session runs on the serving node's suite.
	StrictSignatures bool `yaml:"strict_signatures"`
}

func (c PETConfig) validate() error {
	if c.MinGroup < 0 || c.MinIntersection < 0 || c.MaxUploadMB < 0 || c.MaxUploadMB > 4096 {
		return errors.New("config: pet: min_group, min_intersection and max_upload_mb must be ≥ 0 (max_upload_mb ≤ 4096)")
	}
	for i, p := range c.Publishers {
		if !strings.HasPrefix(p, "did:") || !strings.Contains(p, "#") {
			return fmt.Errorf("config: pet.publishers[%d] %q: want a verification method's DID URL (did:…#key)", i, p)
		}
	}
	return nil
}

// AnomalyConfig turns the anomaly rules on (default) and names their JSON
// configuration (internal/anomaly/testdata/default.json; empty: defaults).
type AnomalyConfig struct {
	Disabled bool   `yaml:"disabled"`
	Config   string `yaml:"config"`
}

// Listen holds listener addresses. The management API is on its own
// listener (default loopback only); the public one serves the protocol
// endpoints, the DID document and the audit read API.
type Listen struct {
	Public     string `yaml:"public"`
	Management string `yaml:"management"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		DataDir:         "",
		Name:            "xborder node",
		Jurisdiction:    "CN",
		Suite:           "intl",
		Listen:          Listen{Public: "127.0.0.1:8443", Management: "127.0.0.1:8444"},
		ShutdownTimeout: 15 * time.Second,
		LogLevel:        "info",
		LogFormat:       "text",
	}
}

// maxConfigBytes bounds the configuration file.
const maxConfigBytes = 1 << 20

// LoadConfig reads path over the defaults (an empty path keeps the
// defaults), then applies environment overrides from getenv. Unknown keys
// are refused.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if len(b) > maxConfigBytes {
			return c, fmt.Errorf("config: %s is larger than %d bytes", path, maxConfigBytes)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file keeps the defaults
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return c, err
	}
	return c, nil
}

// Environment overrides, one per scalar setting.
var envKeys = []string{
	"XBORDER_DATA_DIR", "XBORDER_DATABASE", "XBORDER_NAME", "XBORDER_DID", "XBORDER_KEY", "XBORDER_JURISDICTION", "XBORDER_SUITE",
	"XBORDER_LISTEN_PUBLIC", "XBORDER_LISTEN_MANAGEMENT", "XBORDER_SHUTDOWN_TIMEOUT", "XBORDER_LOG_LEVEL", "XBORDER_LOG_FORMAT", "XBORDER_TLS",
}

func (c *Config) applyEnv(getenv func(string) string) error {
	if getenv == nil {
		return nil
	}
	for _, k := range envKeys {
		v := getenv(k)
		if v == "" {
			continue
		}
		switch k {
		case "XBORDER_DATA_DIR":
			c.DataDir = v
		case "XBORDER_DATABASE":
			c.Database = v
		case "XBORDER_NAME":
			c.Name = v
		case "XBORDER_DID":
			c.DID = v
		case "XBORDER_KEY":
			c.Key = v
		case "XBORDER_JURISDICTION":
			c.Jurisdiction = v
		case "XBORDER_SUITE":
			c.Suite = v
		case "XBORDER_LISTEN_PUBLIC":
			c.Listen.Public = v
		case "XBORDER_LISTEN_MANAGEMENT":
			c.Listen.Management = v
		case "XBORDER_SHUTDOWN_TIMEOUT":
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("config: %s=%q: %w", k, v, err)
			}
			c.ShutdownTimeout = d
		case "XBORDER_LOG_LEVEL":
			c.LogLevel = v
		case "XBORDER_LOG_FORMAT":
			c.LogFormat = v
		case "XBORDER_TLS":
			c.TLS = v == "1" || v == "true"
		}
	}
	return nil
}

// Validate checks the configuration, naming the first bad field.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("config: data_dir is required")
	}
	if !filepath.IsAbs(c.DataDir) {
		abs, err := filepath.Abs(c.DataDir)
		if err != nil {
			return fmt.Errorf("config: data_dir: %w", err)
		}
		c.DataDir = abs
	}
	if c.Database != "" {
		if err := statedb.CheckPostgresURL(c.Database); err != nil {
			return fmt.Errorf("config: database: %w (empty: the embedded SQLite file in data_dir)", err)
		}
	}
	if c.DID != "" && !strings.HasPrefix(c.DID, "did:") {
		return fmt.Errorf("config: did %q is not a DID", c.DID)
	}
	if len(c.Jurisdiction) != 2 || strings.ToUpper(c.Jurisdiction) != c.Jurisdiction {
		return fmt.Errorf("config: jurisdiction %q: want an ISO 3166-1 alpha-2 code such as CN, NL, HK", c.Jurisdiction)
	}
	if c.Suite != "intl" && c.Suite != "gm" {
		return fmt.Errorf("config: suite %q: accepted: intl, gm", c.Suite)
	}
	for name, a := range map[string]string{"listen.public": c.Listen.Public, "listen.management": c.Listen.Management} {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			return fmt.Errorf("config: %s %q: %w", name, a, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("config: %s %q: bad port", name, a)
		}
		_ = host
	}
	if c.Listen.Public == c.Listen.Management && !strings.HasSuffix(c.Listen.Public, ":0") {
		return errors.New("config: listen.public and listen.management must differ (the management API has its own listener)")
	}
	if c.ShutdownTimeout <= 0 || c.ShutdownTimeout > 10*time.Minute {
		return fmt.Errorf("config: shutdown_timeout %s: out of range (0, 10m]", c.ShutdownTimeout)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log_level %q: accepted: debug, info, warn, error", c.LogLevel)
	}
	if c.TLS && (c.DID == "" || c.Key == "") {
		return errors.New("config: tls needs did and key (the certificate is bound to the node's DID)")
	}
	for i, p := range c.Participants {
		if !strings.HasPrefix(p.DID, "did:") || len(p.Country) != 2 || strings.ToUpper(p.Country) != p.Country {
			return fmt.Errorf("config: participants[%d]: want a DID and an ISO 3166-1 alpha-2 country", i)
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config: log_format %q: accepted: text, json", c.LogFormat)
	}
	if err := c.Egress.validate(); err != nil {
		return err
	}
	if err := c.PET.validate(); err != nil {
		return err
	}
	return c.Trust.validate()
}
