// The comparator's logic, apart from the protocol (main.go): it compares @EXT@ files by their
// number of lines. Replace compare with what your format needs.
package main

import (
	"bytes"
	"fmt"

	changesetpb "example.com/@NAME@/gen/changesetv1"
	pluginpb "example.com/@NAME@/gen/pluginv1"
	"google.golang.org/protobuf/types/known/structpb"
)

// side is one side of a pair; absent when the file was added or removed.
type side struct {
	present bool
	content []byte
}

func lines(b []byte) int {
	n := bytes.Count(b, []byte("\n"))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

func compare(left, right side) *pluginpb.CompareResponse {
	if left.present && right.present && bytes.Equal(left.content, right.content) {
		return &pluginpb.CompareResponse{Outcome: pluginpb.CompareResponse_OUTCOME_IDENTICAL}
	}
	action := "modify"
	if !left.present {
		action = "add"
	} else if !right.present {
		action = "remove"
	}
	before, after := lines(left.content), lines(right.content)
	details, _ := structpb.NewStruct(map[string]any{"lines_before": before, "lines_after": after})
	return &pluginpb.CompareResponse{
		Outcome: pluginpb.CompareResponse_OUTCOME_LEAF,
		Node: &changesetpb.DiffNode{
			Action:   action,
			ItemType: "@NAME@",
			Summary:  fmt.Sprintf("%d → %d lines", before, after),
			Tags:     []string{"content-changed"},
			Details:  details,
		},
	}
}
