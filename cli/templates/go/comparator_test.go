package main

import (
	"testing"

	pluginpb "example.com/@NAME@/gen/pluginv1"
)

func TestCountsLines(t *testing.T) {
	r := compare(side{true, []byte("one\n")}, side{true, []byte("one\ntwo\nthree")})
	if r.Outcome != pluginpb.CompareResponse_OUTCOME_LEAF || r.Node.Summary != "1 → 3 lines" {
		t.Fatalf("got %v", r)
	}
}

func TestSameContentIsIdentical(t *testing.T) {
	r := compare(side{true, []byte("same\n")}, side{true, []byte("same\n")})
	if r.Outcome != pluginpb.CompareResponse_OUTCOME_IDENTICAL {
		t.Fatalf("got %v", r)
	}
}

func TestAddedFile(t *testing.T) {
	if r := compare(side{}, side{true, []byte("x\n")}); r.Node.Action != "add" {
		t.Fatalf("got %v", r)
	}
}
