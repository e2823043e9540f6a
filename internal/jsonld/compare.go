package jsonld

import (
	"encoding/json"
	"fmt"
)

// deepCompare is the equality json-gold uses when it checks whether a
// protected term is redefined to the same thing: arrays compare as
// multisets, and scalars that differ compare equal when they print the same
// (floats with %f, everything else with %s).
func deepCompare(v1, v2 any) bool {
	if v1 == nil {
		return v2 == nil
	}
	if v2 == nil {
		return false
	}
	m1, isMap1 := v1.(map[string]any)
	m2, isMap2 := v2.(map[string]any)
	l1, isList1 := v1.([]any)
	l2, isList2 := v2.([]any)
	switch {
	case isMap1 && isMap2:
		if len(m1) != len(m2) {
			return false
		}
		for k, a := range m1 {
			b, ok := m2[k]
			if !ok || !deepCompare(a, b) {
				return false
			}
		}
		return true
	case isList1 && isList2:
		if len(l1) != len(l2) {
			return false
		}
		matched := make([]bool, len(l2))
		for _, a := range l1 {
			found := false
			for j, b := range l2 {
				if !matched[j] && deepCompare(a, b) {
					matched[j] = true
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	if sameScalar(v1, v2) {
		return true
	}
	return normalizeValue(v1) == normalizeValue(v2)
}

// sameScalar is v1 == v2 for values that are not both maps or both
// slices (interface comparison cannot panic then unless both hold the same
// incomparable type, which the callers exclude).
func sameScalar(v1, v2 any) bool {
	switch v1.(type) {
	case map[string]any, []any:
		return false
	}
	switch v2.(type) {
	case map[string]any, []any:
		return false
	}
	return v1 == v2
}

func normalizeValue(v any) string {
	switch t := v.(type) {
	case float64:
		return fmt.Sprintf("%f", t)
	case json.Number:
		if f, err := t.Float64(); err == nil {
			return fmt.Sprintf("%f", f)
		}
	case string:
		return t
	}
	return fmt.Sprintf("%s", v)
}
