package anomaly

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // the unusual_hours zone must load on hosts without a zoneinfo database

	"github.com/xborder/xborder/internal/audit"
)

// Config configures an [Engine] and its [Webhook] sink. Its JSON form is
// what [ParseConfig] reads; every field has a default ([DefaultConfig]), so
// a configuration names only what it changes. testdata/default.json is the
// default configuration written out in full.
type Config struct {
	// MaxActors bounds the actors whose state the engine keeps (least
	// recently seen evicted first). Default 100000.
	MaxActors int `json:"max_actors"`
	// MaxClockSkew is how far after the engine's clock an event may be
	// dated before its time is replaced by the clock's for window state.
	// Default 15m.
	MaxClockSkew Duration `json:"max_clock_skew"`

	BulkTransfer     BulkTransfer     `json:"bulk_transfer"`
	OutsideAgreement OutsideAgreement `json:"outside_agreement"`
	RepeatedDenials  RepeatedDenials  `json:"repeated_denials"`
	UnusualHours     UnusualHours     `json:"unusual_hours"`
	Webhooks         WebhookConfig    `json:"webhooks"`
}

// BulkTransfer configures the bulk_transfer rule: per actor and per
// tumbling window, the records, bytes and number of successful events of
// the configured operations, each compared with a threshold derived from
// the actor's own history.
//
// The threshold of a metric is its Ceiling while the actor is warming up
// (fewer than WarmupWindows windows seen; a zero Ceiling means no alert
// then), and afterwards max(Floor, Factor × baseline), capped at Ceiling
// when Ceiling is not zero. The baseline is an exponentially weighted mean
// of the actor's previous windows, empty windows included (Smoothing is the
// weight of the newest window). An alert is raised when a metric exceeds
// (is strictly greater than) its threshold; a metric whose Floor and
// Ceiling are both zero is not checked.
type BulkTransfer struct {
	Enabled       bool              `json:"enabled"`        // default true
	Severity      Severity          `json:"severity"`       // default warning
	Window        Duration          `json:"window"`         // default 1h; whole seconds, aligned to the Unix epoch
	Operations    []audit.Operation `json:"operations"`     // default download, transfer
	Factor        float64           `json:"factor"`         // default 5; at least 1
	Smoothing     float64           `json:"smoothing"`      // default 0.3; in (0, 1]
	WarmupWindows int               `json:"warmup_windows"` // default 24
	Records       Limit             `json:"records"`        // default floor 10000, ceiling 1000000
	Bytes         Limit             `json:"bytes"`          // default floor 1 GiB, ceiling 10 GiB
	Events        Limit             `json:"events"`         // default floor 500, ceiling 10000
}

// Limit is the absolute floor and ceiling of one bulk_transfer metric.
// Zero Ceiling means none.
type Limit struct {
	Floor   int64 `json:"floor"`
	Ceiling int64 `json:"ceiling"`
}

// OutsideAgreement configures the outside_agreement rule.
//
// An event of one of Operations whose object is an agreement
// (audit.KindAgreement) and whose result is success or allow raises an
// alert when the [Agreements] lookup does not know the agreement, reports
// it not in force, or dates the event outside its validity window. Any
// event, whatever its operation and result, whose reason code is in
// ReasonCodes raises an alert too: those are policy-engine findings, raised
// even when the access was denied.
type OutsideAgreement struct {
	Enabled     bool              `json:"enabled"`      // default true
	Severity    Severity          `json:"severity"`     // default critical
	Operations  []audit.Operation `json:"operations"`   // default access, download, transfer, compute
	ReasonCodes []string          `json:"reason_codes"` // default: see DefaultConfig
}

// RepeatedDenials configures the repeated_denials rule: Threshold or more
// deny results by one actor within a sliding Window (the window ending at
// a denial covers the Window before it, that instant excluded). After an
// alert the actor's count starts again and no further alert is raised for
// that actor until Window has passed since the alerting denial. Only the
// actor's last Threshold denials are kept, so an alert counts (and cites)
// exactly Threshold denials.
type RepeatedDenials struct {
	Enabled   bool     `json:"enabled"`   // default true
	Severity  Severity `json:"severity"`  // default warning
	Threshold int      `json:"threshold"` // default 5; 1..10000
	Window    Duration `json:"window"`    // default 10m; whole seconds
}

// UnusualHours configures the unusual_hours rule: events of Operations
// outside business hours in TimeZone. A day is a business day when it is
// listed in Workdays, or else when its weekday is in Days and it is not
// listed in Holidays; business hours run from Start (included) to End
// (excluded), local time. At most one alert is raised per actor per
// tumbling Window.
type UnusualHours struct {
	Enabled    bool              `json:"enabled"`    // default true
	Severity   Severity          `json:"severity"`   // default info
	TimeZone   string            `json:"time_zone"`  // IANA name; default Asia/Shanghai
	Start      string            `json:"start"`      // "HH:MM"; default 08:00
	End        string            `json:"end"`        // "HH:MM", up to 24:00, after Start; default 20:00
	Days       []string          `json:"days"`       // mon..sun; default mon, tue, wed, thu, fri
	Holidays   []string          `json:"holidays"`   // YYYY-MM-DD local dates that are not business days
	Workdays   []string          `json:"workdays"`   // YYYY-MM-DD local dates that are business days (调休 make-up days)
	Operations []audit.Operation `json:"operations"` // default download, transfer, admin_change, key_use
	Window     Duration          `json:"window"`     // default 1h; whole seconds
}

// WebhookConfig configures the [Webhook] sink. No URL means no webhook.
type WebhookConfig struct {
	// URLs receive every alert at or above MinSeverity. https only, except
	// to a loopback address; no user information in the URL.
	URLs []string `json:"urls"`
	// SecretEnv names the environment variable holding the HMAC-SHA256
	// key (at least 32 bytes); the key itself is never in the configuration.
	// Required when URLs is not empty. Default XBORDER_ALERT_WEBHOOK_SECRET.
	SecretEnv   string   `json:"secret_env"`
	MinSeverity Severity `json:"min_severity"` // default info
	Timeout     Duration `json:"timeout"`      // per attempt; default 5s
	MaxAttempts int      `json:"max_attempts"` // per URL and alert; default 5; 1..20
	Backoff     Duration `json:"backoff"`      // before the second attempt, doubling after; default 500ms
	MaxBackoff  Duration `json:"max_backoff"`  // default 30s
	QueueSize   int      `json:"queue_size"`   // alerts waiting for delivery; default 1024; 1..1000000
}

// DefaultConfig returns the default configuration, every rule enabled.
func DefaultConfig() *Config {
	return &Config{
		MaxActors:    100_000,
		MaxClockSkew: Duration(15 * time.Minute),
		BulkTransfer: BulkTransfer{
			Enabled: true, Severity: SeverityWarning, Window: Duration(time.Hour),
			Operations: []audit.Operation{audit.OpDownload, audit.OpTransfer},
			Factor:     5, Smoothing: 0.3, WarmupWindows: 24,
			Records: Limit{Floor: 10_000, Ceiling: 1_000_000},
			Bytes:   Limit{Floor: 1 << 30, Ceiling: 10 << 30},
			Events:  Limit{Floor: 500, Ceiling: 10_000},
		},
		OutsideAgreement: OutsideAgreement{
			Enabled: true, Severity: SeverityCritical,
			Operations: []audit.Operation{audit.OpAccess, audit.OpDownload, audit.OpTransfer, audit.OpCompute},
			ReasonCodes: []string{
				// policy-engine findings named by the design
				"purpose_mismatch", "recipient_mismatch", "outside_window", "count_exceeded",
				// internal/contract's breach codes (RecordUse refusals)
				"outside_period", "limit_exceeded", "purpose_not_permitted", "spatial_not_permitted",
				"recipient_not_permitted", "use_while_suspended", "use_after_termination",
			},
		},
		RepeatedDenials: RepeatedDenials{
			Enabled: true, Severity: SeverityWarning, Threshold: 5, Window: Duration(10 * time.Minute),
		},
		UnusualHours: UnusualHours{
			Enabled: true, Severity: SeverityInfo, TimeZone: "Asia/Shanghai", Start: "08:00", End: "20:00",
			Days:       []string{"mon", "tue", "wed", "thu", "fri"},
			Holidays:   []string{},
			Workdays:   []string{},
			Operations: []audit.Operation{audit.OpDownload, audit.OpTransfer, audit.OpAdminChange, audit.OpKeyUse},
			Window:     Duration(time.Hour),
		},
		Webhooks: WebhookConfig{
			URLs: []string{}, SecretEnv: "XBORDER_ALERT_WEBHOOK_SECRET", MinSeverity: SeverityInfo,
			Timeout: Duration(5 * time.Second), MaxAttempts: 5,
			Backoff: Duration(500 * time.Millisecond), MaxBackoff: Duration(30 * time.Second), QueueSize: 1024,
		},
	}
}

// MaxConfigBytes bounds the configuration ParseConfig reads.
const MaxConfigBytes = 1 << 20

// ParseConfig reads a JSON configuration over the defaults and validates
// it. It refuses unknown fields, trailing data, malformed durations,
// negative or out-of-range numbers, unknown operations, severities, days
// and time zones; each error names the offending field by its JSON path.
func ParseConfig(data []byte) (*Config, error) {
	if len(data) > MaxConfigBytes {
		return nil, fmt.Errorf("anomaly: config: larger than %d bytes", MaxConfigBytes)
	}
	c := DefaultConfig()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("anomaly: config: data after the configuration object")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func decodeError(err error) error {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute) && ute.Field != "":
		return fmt.Errorf("anomaly: config: %s: JSON %s where %s expected", ute.Field, ute.Value, jsonKind(ute.Type.Kind().String()))
	case errors.As(err, &ute):
		return fmt.Errorf("anomaly: config: JSON %s where an object expected", ute.Value)
	case errors.As(err, &se):
		return fmt.Errorf("anomaly: config: invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.EOF):
		return errors.New("anomaly: config: empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("anomaly: config: truncated JSON")
	}
	return fmt.Errorf("anomaly: config: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "uint64":
		return "an integer"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct":
		return "an object"
	}
	return goKind
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("1h", "10m", "500ms").
type Duration time.Duration

// invalidDuration marks a value that was not a duration string; Validate
// reports it with the field's name (encoding/json cannot).
const invalidDuration = Duration(math.MinInt64)

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string. A malformed value is kept as
// invalid and reported by [Config.Validate], which knows the field's name.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		*d = invalidDuration
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		*d = invalidDuration
		return nil
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// fieldError is a validation error naming a field by its JSON path.
func fieldError(field, format string, a ...any) error {
	return fmt.Errorf("anomaly: config: %s: %s", field, fmt.Sprintf(format, a...))
}

func checkDuration(field string, d Duration, wholeSeconds bool, max time.Duration) error {
	switch {
	case d == invalidDuration:
		return fieldError(field, `not a duration (want a string such as "10m" or "1h")`)
	case d <= 0:
		return fieldError(field, "must be positive, got %s", d.D())
	case d.D() > max:
		return fieldError(field, "%s is more than %s", d.D(), max)
	case wholeSeconds && d.D()%time.Second != 0:
		return fieldError(field, "%s is not a whole number of seconds", d.D())
	}
	return nil
}

// ruleOps are the operations a rule may watch: every audited operation but
// alert, since alert events are never evaluated.
var ruleOps = map[audit.Operation]bool{
	audit.OpAccess: true, audit.OpDownload: true, audit.OpTransfer: true, audit.OpCompute: true,
	audit.OpPolicyDecision: true, audit.OpNegotiation: true, audit.OpResolution: true, audit.OpKeyUse: true,
	audit.OpAdminChange: true,
}

func checkOps(field string, ops []audit.Operation) error {
	if len(ops) == 0 {
		return fieldError(field, "empty")
	}
	for i, op := range ops {
		if op == audit.OpAlert {
			return fieldError(fmt.Sprintf("%s[%d]", field, i), "alert events are never evaluated")
		}
		if !ruleOps[op] {
			return fieldError(fmt.Sprintf("%s[%d]", field, i), "unknown operation %q", op)
		}
	}
	return nil
}

func checkSeverity(field string, s Severity) error {
	if _, ok := severityRank[s]; !ok {
		return fieldError(field, "unknown severity %q (info, warning, critical)", s)
	}
	return nil
}

func checkLimit(field string, l Limit) error {
	if l.Floor < 0 || l.Floor > audit.MaxCount {
		return fieldError(field+".floor", "%d out of range 0..2^53-1", l.Floor)
	}
	if l.Ceiling < 0 || l.Ceiling > audit.MaxCount {
		return fieldError(field+".ceiling", "%d out of range 0..2^53-1", l.Ceiling)
	}
	if l.Ceiling != 0 && l.Ceiling < l.Floor {
		return fieldError(field+".ceiling", "%d is below the floor %d", l.Ceiling, l.Floor)
	}
	return nil
}

// Validate checks c. Errors name the field by its JSON path. ParseConfig
// and NewEngine call it.
func (c *Config) Validate() error {
	if c.MaxActors < 1 || c.MaxActors > 100_000_000 {
		return fieldError("max_actors", "%d out of range 1..100000000", c.MaxActors)
	}
	if err := checkDuration("max_clock_skew", c.MaxClockSkew, false, 365*24*time.Hour); err != nil {
		return err
	}
	if err := c.BulkTransfer.validate("bulk_transfer"); err != nil {
		return err
	}
	if err := c.OutsideAgreement.validate("outside_agreement"); err != nil {
		return err
	}
	if err := c.RepeatedDenials.validate("repeated_denials"); err != nil {
		return err
	}
	if _, err := c.UnusualHours.compile("unusual_hours"); err != nil {
		return err
	}
	return c.Webhooks.validate("webhooks")
}

func (b *BulkTransfer) validate(p string) error {
	if err := checkSeverity(p+".severity", b.Severity); err != nil {
		return err
	}
	if err := checkDuration(p+".window", b.Window, true, 366*24*time.Hour); err != nil {
		return err
	}
	if err := checkOps(p+".operations", b.Operations); err != nil {
		return err
	}
	if math.IsNaN(b.Factor) || b.Factor < 1 || b.Factor > 1e6 {
		return fieldError(p+".factor", "%v out of range 1..1000000", b.Factor)
	}
	if math.IsNaN(b.Smoothing) || b.Smoothing <= 0 || b.Smoothing > 1 {
		return fieldError(p+".smoothing", "%v out of range (0, 1]", b.Smoothing)
	}
	if b.WarmupWindows < 0 || b.WarmupWindows > 100_000 {
		return fieldError(p+".warmup_windows", "%d out of range 0..100000", b.WarmupWindows)
	}
	for _, m := range []struct {
		name string
		l    Limit
	}{{"records", b.Records}, {"bytes", b.Bytes}, {"events", b.Events}} {
		if err := checkLimit(p+"."+m.name, m.l); err != nil {
			return err
		}
	}
	return nil
}

func (o *OutsideAgreement) validate(p string) error {
	if err := checkSeverity(p+".severity", o.Severity); err != nil {
		return err
	}
	if err := checkOps(p+".operations", o.Operations); err != nil {
		return err
	}
	for i, code := range o.ReasonCodes {
		if !isReasonCode(code) {
			return fieldError(fmt.Sprintf("%s.reason_codes[%d]", p, i), "%q is not a reason code ([a-z0-9_.-], 1 to %d bytes)", code, audit.MaxReasonLen)
		}
	}
	return nil
}

func isReasonCode(s string) bool {
	if s == "" || len(s) > audit.MaxReasonLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func (r *RepeatedDenials) validate(p string) error {
	if err := checkSeverity(p+".severity", r.Severity); err != nil {
		return err
	}
	if r.Threshold < 1 || r.Threshold > 10_000 {
		return fieldError(p+".threshold", "%d out of range 1..10000", r.Threshold)
	}
	return checkDuration(p+".window", r.Window, true, 366*24*time.Hour)
}

// hours is the compiled form of UnusualHours.
type hours struct {
	loc        *time.Location
	start, end int // seconds since local midnight; start included, end excluded
	days       [7]bool
	holidays   map[int32]bool // yyyymmdd
	workdays   map[int32]bool
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func (u *UnusualHours) compile(p string) (*hours, error) {
	if err := checkSeverity(p+".severity", u.Severity); err != nil {
		return nil, err
	}
	if err := checkDuration(p+".window", u.Window, true, 366*24*time.Hour); err != nil {
		return nil, err
	}
	if err := checkOps(p+".operations", u.Operations); err != nil {
		return nil, err
	}
	h := &hours{holidays: map[int32]bool{}, workdays: map[int32]bool{}}
	// time.LoadLocation also accepts "" and "Local" (the host's zone), which
	// would make detection depend on the machine; insist on an IANA name.
	if u.TimeZone == "" || u.TimeZone == "Local" || len(u.TimeZone) > 64 {
		return nil, fieldError(p+".time_zone", "%q is not an IANA time zone name (e.g. Asia/Shanghai)", u.TimeZone)
	}
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		return nil, fieldError(p+".time_zone", "unknown time zone %q", u.TimeZone)
	}
	h.loc = loc
	if h.start, err = clock(u.Start, false); err != nil {
		return nil, fieldError(p+".start", "%v", err)
	}
	if h.end, err = clock(u.End, true); err != nil {
		return nil, fieldError(p+".end", "%v", err)
	}
	if h.end <= h.start {
		return nil, fieldError(p+".end", "%s is not after start %s", u.End, u.Start)
	}
	for i, d := range u.Days {
		wd, ok := dayNames[d]
		if !ok {
			return nil, fieldError(fmt.Sprintf("%s.days[%d]", p, i), "unknown day %q (mon, tue, wed, thu, fri, sat, sun)", d)
		}
		h.days[wd] = true
	}
	for _, l := range []struct {
		name string
		in   []string
		out  map[int32]bool
	}{{"holidays", u.Holidays, h.holidays}, {"workdays", u.Workdays, h.workdays}} {
		if len(l.in) > 10_000 {
			return nil, fieldError(p+"."+l.name, "%d dates, more than 10000", len(l.in))
		}
		for i, s := range l.in {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil || d.Year() < 2000 {
				return nil, fieldError(fmt.Sprintf("%s.%s[%d]", p, l.name, i), "%q is not a date YYYY-MM-DD from 2000", s)
			}
			l.out[dateKey(d)] = true
		}
	}
	return h, nil
}

// clock parses "HH:MM" into seconds since midnight; "24:00" only as an end.
func clock(s string, end bool) (int, error) {
	if end && s == "24:00" {
		return 24 * 3600, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q is not a time HH:MM", s)
	}
	return t.Hour()*3600 + t.Minute()*60, nil
}

func dateKey(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(y*10000 + int(m)*100 + d)
}

func (w *WebhookConfig) validate(p string) error {
	if len(w.URLs) > 16 {
		return fieldError(p+".urls", "%d URLs, more than 16", len(w.URLs))
	}
	for i, s := range w.URLs {
		if err := checkWebhookURL(s); err != nil {
			return fieldError(fmt.Sprintf("%s.urls[%d]", p, i), "%v", err)
		}
	}
	if len(w.URLs) > 0 || w.SecretEnv != "" {
		if !isEnvName(w.SecretEnv) {
			return fieldError(p+".secret_env", "%q is not an environment variable name ([A-Z_][A-Z0-9_]*)", w.SecretEnv)
		}
	}
	if err := checkSeverity(p+".min_severity", w.MinSeverity); err != nil {
		return err
	}
	if err := checkDuration(p+".timeout", w.Timeout, false, 5*time.Minute); err != nil {
		return err
	}
	if w.MaxAttempts < 1 || w.MaxAttempts > 20 {
		return fieldError(p+".max_attempts", "%d out of range 1..20", w.MaxAttempts)
	}
	if err := checkDuration(p+".backoff", w.Backoff, false, time.Hour); err != nil {
		return err
	}
	if err := checkDuration(p+".max_backoff", w.MaxBackoff, false, 24*time.Hour); err != nil {
		return err
	}
	if w.MaxBackoff < w.Backoff {
		return fieldError(p+".max_backoff", "%s is below backoff %s", w.MaxBackoff.D(), w.Backoff.D())
	}
	if w.QueueSize < 1 || w.QueueSize > 1_000_000 {
		return fieldError(p+".queue_size", "%d out of range 1..1000000", w.QueueSize)
	}
	return nil
}

// checkWebhookURL accepts an absolute https URL, or http to a loopback
// host, without user information or fragment. The error never repeats the
// URL, which may carry a token in its path.
func checkWebhookURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("not an absolute URL")
	}
	if u.User != nil {
		return errors.New("user information in the URL is refused; authentication is the HMAC signature")
	}
	if u.Fragment != "" {
		return errors.New("a fragment is meaningless in a webhook URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" || net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback() {
			return nil
		}
		return errors.New("http is allowed only to a loopback address; use https")
	}
	return fmt.Errorf("scheme %q: want https", u.Scheme)
}

func isEnvName(s string) bool {
	if s == "" || len(s) > 128 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
