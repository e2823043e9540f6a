package contract

import (
	"testing"
)

func builtin(t testing.TB) *Catalog {
	t.Helper()
	c, err := BuiltinTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBuiltinTemplates(t *testing.T) {
	c := builtin(t)
	kinds := map[string]int{}
	for _, tpl := range c.List() {
		kinds[tpl.Kind]++
		t.Logf("%s %s %s", tpl.Kind, tpl.ID(), tpl.Title.EN)
	}
	if kinds[KindGeneral] == 0 || kinds[KindIndustry] < 3 || kinds[KindCompliance] < 2 {
		t.Fatalf("kinds %v", kinds)
	}
}
