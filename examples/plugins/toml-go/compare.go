package main

// The comparison itself, independent of gRPC: two TOML documents, parsed, compared key by key.

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Change is one key that differs, by its dotted path.
type Change struct {
	Key    string
	Before any // nil when added
	After  any // nil when removed
}

// Parse reads a TOML document into nested maps.
func Parse(data []byte) (map[string]any, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// Diff lists the keys whose values differ, sorted by key. Tables are descended into; arrays and
// scalars are compared as values.
func Diff(before, after map[string]any) []Change {
	var out []Change
	diffInto("", before, after, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func diffInto(prefix string, before, after map[string]any, out *[]Change) {
	for k, b := range before {
		key := prefix + k
		a, ok := after[k]
		if !ok {
			*out = append(*out, Change{Key: key, Before: b})
			continue
		}
		bt, bIsTable := b.(map[string]any)
		at, aIsTable := a.(map[string]any)
		if bIsTable && aIsTable {
			diffInto(key+".", bt, at, out)
		} else if !reflect.DeepEqual(a, b) {
			*out = append(*out, Change{Key: key, Before: b, After: a})
		}
	}
	for k, a := range after {
		if _, ok := before[k]; !ok {
			*out = append(*out, Change{Key: prefix + k, After: a})
		}
	}
}

// Summary says what changed in one line, e.g. "3 keys differ: 1 added, 2 changed (a, b.c, ...)".
func Summary(changes []Change) string {
	var added, removed, changed int
	keys := make([]string, 0, 3)
	for _, c := range changes {
		switch {
		case c.Before == nil:
			added++
		case c.After == nil:
			removed++
		default:
			changed++
		}
		if len(keys) < 3 {
			keys = append(keys, c.Key)
		}
	}
	var parts []string
	for _, p := range []struct {
		n    int
		verb string
	}{{added, "added"}, {removed, "removed"}, {changed, "changed"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.verb))
		}
	}
	more := ""
	if len(changes) > len(keys) {
		more = ", ..."
	}
	noun := "keys differ"
	if len(changes) == 1 {
		noun = "key differs"
	}
	return fmt.Sprintf("%d %s: %s (%s%s)", len(changes), noun, strings.Join(parts, ", "),
		strings.Join(keys, ", "), more)
}
