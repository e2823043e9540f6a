package anomaly

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// TestShippedConfig: testdata/default.json, shipped as the default
// configuration, is DefaultConfig written out.
func TestShippedConfig(t *testing.T) {
	b, err := os.ReadFile("testdata/default.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("testdata/default.json differs from DefaultConfig:\n got %s\nwant %s", g, w)
	}
	// Every field is written out: decoding over a zero Config gives the same.
	var zero Config
	if err := json.Unmarshal(b, &zero); err != nil || !reflect.DeepEqual(&zero, got) {
		t.Fatalf("testdata/default.json leaves fields to the defaults (%v)", err)
	}
}

func TestParseConfigOverrides(t *testing.T) {
	c, err := ParseConfig([]byte(`{"bulk_transfer": {"enabled": false, "window": "2h"},
		"unusual_hours": {"time_zone": "Europe/Berlin", "holidays": ["2026-12-25"]},
		"webhooks": {"urls": ["https://siem.example/hook", "http://127.0.0.1:9/x"], "max_attempts": 3}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.BulkTransfer.Enabled, want.BulkTransfer.Window = false, Duration(2*time.Hour)
	want.UnusualHours.TimeZone, want.UnusualHours.Holidays = "Europe/Berlin", []string{"2026-12-25"}
	want.Webhooks.URLs, want.Webhooks.MaxAttempts = []string{"https://siem.example/hook", "http://127.0.0.1:9/x"}, 3
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v", c)
	}
	if c, err := ParseConfig([]byte(`{}`)); err != nil || !reflect.DeepEqual(c, DefaultConfig()) {
		t.Fatalf("{}: %v", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{``, `anomaly: config: empty`},
		{`{`, `anomaly: config: truncated JSON`},
		{`[]`, `anomaly: config: JSON array where an object expected`},
		{`{"max_actors": 1,}`, `anomaly: config: invalid JSON at byte 18: invalid character '}' looking for beginning of object key string`},
		{`{} {}`, `anomaly: config: data after the configuration object`},
		{`{"bogus": 1}`, `anomaly: config: unknown field "bogus"`},
		{`{"bulk_transfer": {"widow": "1h"}}`, `anomaly: config: unknown field "widow"`},
		{`{"max_actors": 0}`, `anomaly: config: max_actors: 0 out of range 1..100000000`},
		{`{"max_actors": -1}`, `anomaly: config: max_actors: -1 out of range 1..100000000`},
		{`{"max_actors": "many"}`, `anomaly: config: max_actors: JSON string where an integer expected`},
		{`{"max_clock_skew": "soon"}`, `anomaly: config: max_clock_skew: not a duration (want a string such as "10m" or "1h")`},
		{`{"max_clock_skew": 60}`, `anomaly: config: max_clock_skew: not a duration (want a string such as "10m" or "1h")`},
		{`{"bulk_transfer": {"enabled": "yes"}}`, `anomaly: config: bulk_transfer.enabled: JSON string where true or false expected`},
		{`{"bulk_transfer": {"severity": "high"}}`, `anomaly: config: bulk_transfer.severity: unknown severity "high" (info, warning, critical)`},
		{`{"bulk_transfer": {"window": "-1h"}}`, `anomaly: config: bulk_transfer.window: must be positive, got -1h0m0s`},
		{`{"bulk_transfer": {"window": "0s"}}`, `anomaly: config: bulk_transfer.window: must be positive, got 0s`},
		{`{"bulk_transfer": {"window": "1.5s"}}`, `anomaly: config: bulk_transfer.window: 1.5s is not a whole number of seconds`},
		{`{"bulk_transfer": {"window": "9000h"}}`, `anomaly: config: bulk_transfer.window: 9000h0m0s is more than 8784h0m0s`},
		{`{"bulk_transfer": {"operations": []}}`, `anomaly: config: bulk_transfer.operations: empty`},
		{`{"bulk_transfer": {"operations": ["download", "upload"]}}`, `anomaly: config: bulk_transfer.operations[1]: unknown operation "upload"`},
		{`{"bulk_transfer": {"operations": ["alert"]}}`, `anomaly: config: bulk_transfer.operations[0]: alert events are never evaluated`},
		{`{"bulk_transfer": {"factor": 0.5}}`, `anomaly: config: bulk_transfer.factor: 0.5 out of range 1..1000000`},
		{`{"bulk_transfer": {"smoothing": 0}}`, `anomaly: config: bulk_transfer.smoothing: 0 out of range (0, 1]`},
		{`{"bulk_transfer": {"smoothing": 1.5}}`, `anomaly: config: bulk_transfer.smoothing: 1.5 out of range (0, 1]`},
		{`{"bulk_transfer": {"warmup_windows": -2}}`, `anomaly: config: bulk_transfer.warmup_windows: -2 out of range 0..100000`},
		{`{"bulk_transfer": {"records": {"floor": -1}}}`, `anomaly: config: bulk_transfer.records.floor: -1 out of range 0..2^53-1`},
		{`{"bulk_transfer": {"bytes": {"ceiling": -5}}}`, `anomaly: config: bulk_transfer.bytes.ceiling: -5 out of range 0..2^53-1`},
		{`{"bulk_transfer": {"events": {"floor": 10, "ceiling": 5}}}`, `anomaly: config: bulk_transfer.events.ceiling: 5 is below the floor 10`},
		{`{"bulk_transfer": {"records": {"floor": 1.5}}}`, `anomaly: config: bulk_transfer.records.floor: JSON number 1.5 where an integer expected`},
		{`{"outside_agreement": {"severity": ""}}`, `anomaly: config: outside_agreement.severity: unknown severity "" (info, warning, critical)`},
		{`{"outside_agreement": {"operations": ["Download"]}}`, `anomaly: config: outside_agreement.operations[0]: unknown operation "Download"`},
		{`{"outside_agreement": {"reason_codes": ["purpose_mismatch", "Purpose Mismatch"]}}`, `anomaly: config: outside_agreement.reason_codes[1]: "Purpose Mismatch" is not a reason code ([a-z0-9_.-], 1 to 64 bytes)`},
		{`{"repeated_denials": {"threshold": -5}}`, `anomaly: config: repeated_denials.threshold: -5 out of range 1..10000`},
		{`{"repeated_denials": {"threshold": 0}}`, `anomaly: config: repeated_denials.threshold: 0 out of range 1..10000`},
		{`{"repeated_denials": {"window": "10 minutes"}}`, `anomaly: config: repeated_denials.window: not a duration (want a string such as "10m" or "1h")`},
		{`{"unusual_hours": {"time_zone": "Mars/Olympus"}}`, `anomaly: config: unusual_hours.time_zone: unknown time zone "Mars/Olympus"`},
		{`{"unusual_hours": {"time_zone": "Local"}}`, `anomaly: config: unusual_hours.time_zone: "Local" is not an IANA time zone name (e.g. Asia/Shanghai)`},
		{`{"unusual_hours": {"time_zone": ""}}`, `anomaly: config: unusual_hours.time_zone: "" is not an IANA time zone name (e.g. Asia/Shanghai)`},
		{`{"unusual_hours": {"start": "8:00"}}`, `anomaly: config: unusual_hours.start: "8:00" is not a time HH:MM`},
		{`{"unusual_hours": {"start": "24:00"}}`, `anomaly: config: unusual_hours.start: "24:00" is not a time HH:MM`},
		{`{"unusual_hours": {"end": "07:00"}}`, `anomaly: config: unusual_hours.end: 07:00 is not after start 08:00`},
		{`{"unusual_hours": {"days": ["monday"]}}`, `anomaly: config: unusual_hours.days[0]: unknown day "monday" (mon, tue, wed, thu, fri, sat, sun)`},
		{`{"unusual_hours": {"holidays": ["2026-02-30"]}}`, `anomaly: config: unusual_hours.holidays[0]: "2026-02-30" is not a date YYYY-MM-DD from 2000`},
		{`{"unusual_hours": {"workdays": ["07/03/2026"]}}`, `anomaly: config: unusual_hours.workdays[0]: "07/03/2026" is not a date YYYY-MM-DD from 2000`},
		{`{"unusual_hours": {"window": "-1m"}}`, `anomaly: config: unusual_hours.window: must be positive, got -1m0s`},
		{`{"webhooks": {"urls": ["ftp://siem.example/"]}}`, `anomaly: config: webhooks.urls[0]: scheme "ftp": want https`},
		{`{"webhooks": {"urls": ["http://siem.example/"]}}`, `anomaly: config: webhooks.urls[0]: http is allowed only to a loopback address; use https`},
		{`{"webhooks": {"urls": ["https://user:pw@siem.example/"]}}`, `anomaly: config: webhooks.urls[0]: user information in the URL is refused; authentication is the HMAC signature`},
		{`{"webhooks": {"urls": ["/hook"]}}`, `anomaly: config: webhooks.urls[0]: not an absolute URL`},
		{`{"webhooks": {"urls": ["https://siem.example/"], "secret_env": ""}}`, `anomaly: config: webhooks.secret_env: "" is not an environment variable name ([A-Z_][A-Z0-9_]*)`},
		{`{"webhooks": {"secret_env": "my-secret"}}`, `anomaly: config: webhooks.secret_env: "my-secret" is not an environment variable name ([A-Z_][A-Z0-9_]*)`},
		{`{"webhooks": {"min_severity": "debug"}}`, `anomaly: config: webhooks.min_severity: unknown severity "debug" (info, warning, critical)`},
		{`{"webhooks": {"timeout": "0s"}}`, `anomaly: config: webhooks.timeout: must be positive, got 0s`},
		{`{"webhooks": {"max_attempts": 0}}`, `anomaly: config: webhooks.max_attempts: 0 out of range 1..20`},
		{`{"webhooks": {"backoff": "1m", "max_backoff": "30s"}}`, `anomaly: config: webhooks.max_backoff: 30s is below backoff 1m0s`},
		{`{"webhooks": {"queue_size": -1}}`, `anomaly: config: webhooks.queue_size: -1 out of range 1..1000000`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.in))
			if err == nil {
				t.Fatalf("accepted")
			}
			if err.Error() != tc.want {
				t.Fatalf("error\n got %s\nwant %s", err, tc.want)
			}
		})
	}
	if _, err := ParseConfig([]byte(`{"unusual_hours": {"holidays": [` + strings.Repeat(`" ",`, MaxConfigBytes/4) + `""]}}`)); err == nil ||
		!strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized: %v", err)
	}
}

// TestConfigErrorsKeepURLsOut: a webhook URL may carry a token; errors
// name its position only.
func TestConfigErrorsKeepURLsOut(t *testing.T) {
	_, err := ParseConfig([]byte(`{"webhooks": {"urls": ["http://hooks.example/T0KEN"]}}`))
	if err == nil || strings.Contains(err.Error(), "T0KEN") {
		t.Fatalf("got %v", err)
	}
}

func TestNewEngineValidates(t *testing.T) {
	c := DefaultConfig()
	c.BulkTransfer.Operations = []audit.Operation{"upload"}
	if _, err := NewEngine(c, nil, nil, nil, nil); err == nil || err.Error() != `anomaly: config: bulk_transfer.operations[0]: unknown operation "upload"` {
		t.Fatalf("got %v", err)
	}
	if _, err := NewEngine(nil, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
}
