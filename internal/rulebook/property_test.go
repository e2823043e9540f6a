package rulebook

import (
	"testing"
)

func cnRank(route string) int {
	switch route {
	case RouteCNExemptArt5_4:
		return 0
	case RouteCNSCOrCert:
		return 1
	case RouteCNSA:
		return 2
	}
	return -1
}

// The China volume route never goes down when a count goes up, and the
// edges sit exactly where research §1.4 puts them.
func TestCNThresholdMonotone(t *testing.T) {
	base := Scenario{AsOf: Date{mustDate("2026-04-15")}, Exporter: Exporter{Country: "CN"}, Recipient: Recipient{Country: "US"}}
	route := func(n, sens, prior int64) string {
		s := base
		s.Dataset.Individuals, s.Dataset.SensitiveIndividuals, s.Dataset.PriorYTD.Individuals = n, sens, prior
		res, err := Evaluate(s)
		if err != nil {
			t.Fatal(err)
		}
		return res.Decisions[0].Route
	}
	ns := []int64{1, 99_999, 100_000, 100_001, 999_999, 1_000_000, 5_000_000}
	ss := []int64{0, 1, 9_999, 10_000, 20_000}
	for _, sens := range ss {
		prev := -1
		for _, n := range ns {
			if sens > n {
				continue
			}
			r := cnRank(route(n, sens, 0))
			if r < prev {
				t.Errorf("n=%d sens=%d: rank went down", n, sens)
			}
			prev = r
			// Splitting the same total between this export and prior_ytd
			// gives the same route.
			if got := cnRank(route(n-n/2, min(sens, n-n/2), n/2)); sens <= n-n/2 && got != r {
				t.Errorf("n=%d sens=%d: prior_ytd split changed the route", n, sens)
			}
		}
	}
	for _, c := range []struct {
		n, sens int64
		want    string
	}{
		{99_999, 0, RouteCNExemptArt5_4}, {100_000, 0, RouteCNSCOrCert}, {999_999, 0, RouteCNSCOrCert},
		{1_000_000, 0, RouteCNSA}, {50, 1, RouteCNSCOrCert}, {20_000, 9_999, RouteCNSCOrCert}, {20_000, 10_000, RouteCNSA},
	} {
		if got := route(c.n, c.sens, 0); got != c.want {
			t.Errorf("n=%d sens=%d: %s, want %s", c.n, c.sens, got, c.want)
		}
	}
}

// The US bulk edge is "more than N" for every category.
func TestUSBulkEdges(t *testing.T) {
	th := DefaultThresholds()
	set := []struct {
		name string
		over int64
		f    func(*USBulk, int64)
	}{
		{"genomic", th.USHumanGenomic, func(u *USBulk, n int64) { u.HumanGenomic = n }},
		{"omic", th.USHumanOmic, func(u *USBulk, n int64) { u.HumanOmic = n }},
		{"biometric", th.USBiometric, func(u *USBulk, n int64) { u.Biometric = n }},
		{"geolocation", th.USGeolocation, func(u *USBulk, n int64) { u.PreciseGeolocationDevices = n }},
		{"health", th.USPersonalHealth, func(u *USBulk, n int64) { u.PersonalHealth = n }},
		{"financial", th.USPersonalFinancial, func(u *USBulk, n int64) { u.PersonalFinancial = n }},
		{"identifiers", th.USCoveredIdentifier, func(u *USBulk, n int64) { u.CoveredIdentifiers = n }},
	}
	for _, c := range set {
		for _, n := range []int64{c.over - 1, c.over, c.over + 1} {
			s := Scenario{AsOf: Date{mustDate("2026-04-15")}, Exporter: Exporter{Country: "US"}, Recipient: Recipient{Country: "CN", Relation: "vendor"}}
			c.f(&s.Dataset.USBulk12m, n)
			res, err := Evaluate(s)
			if err != nil {
				t.Fatal(err)
			}
			covered := res.Decisions[0].Route != RouteUSNotCovered
			if covered != (n > c.over) {
				t.Errorf("%s %d: route %s", c.name, n, res.Decisions[0].Route)
			}
		}
	}
}

// FuzzEvaluateCounts drives the numeric and boolean inputs directly.
func FuzzEvaluateCounts(f *testing.F) {
	f.Add(int64(100_000), int64(0), int64(0), int64(0), int64(101), false, false, uint8(0), uint8(0), uint8(0))
	f.Add(int64(1_000_000), int64(10_000), int64(5), int64(1), int64(1001), true, true, uint8(3), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, n, sens, prior, priorSens, bulk int64, ciio, gba bool, pi, ci, ri uint8) {
		purposes := purposeNames()
		countries := []string{"CN", "DE", "US", "JP", "HK", "SG", "MO", "GB", "FR", "RU"}
		types := recipientTypes()
		s := Scenario{
			AsOf:      Date{mustDate("2026-04-15")},
			Exporter:  Exporter{Country: countries[int(ci)%len(countries)], CIIO: ciio, GBA: gba, USPerson: ciio},
			Recipient: Recipient{Country: countries[int(ri)%len(countries)], GBA: gba, Type: types[int(ri)%len(types)]},
			Dataset: Dataset{Individuals: n, SensitiveIndividuals: sens, PriorYTD: Counts{prior, priorSens},
				USBulk12m: USBulk{HumanGenomic: bulk, CoveredIdentifiers: bulk}},
			Purpose: purposes[int(pi)%len(purposes)],
		}
		res, err := Evaluate(s)
		if (err == nil) != (s.Validate() == nil) {
			t.Fatalf("Validate and Evaluate disagree: %v", err)
		}
		for _, d := range res.Decisions {
			if _, ok := RouteByCode(d.Route); !ok {
				t.Fatalf("unknown route %s", d.Route)
			}
			if d.NeedsReview != (len(d.ReviewReasons) > 0) {
				t.Fatalf("needs_review inconsistent")
			}
		}
	})
}
