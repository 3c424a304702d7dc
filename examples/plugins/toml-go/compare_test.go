package main

import "testing"

func TestDiffIgnoresFormattingAndOrder(t *testing.T) {
	a, err := Parse([]byte("title = \"x\"\n[server]\nport = 80\nhost = \"a\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte("# comment\ntitle = \"x\"\n\n[server]\nhost=\"a\"\nport=80\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(a, b); len(d) != 0 {
		t.Fatalf("expected no change, got %v", d)
	}
}

func TestDiffNamesKeysByPath(t *testing.T) {
	a, _ := Parse([]byte("[server]\nport = 80\nold = true\n"))
	b, _ := Parse([]byte("[server]\nport = 8080\nnew = [1, 2]\n"))
	d := Diff(a, b)
	if len(d) != 3 || d[0].Key != "server.new" || d[1].Key != "server.old" || d[2].Key != "server.port" {
		t.Fatalf("unexpected diff %v", d)
	}
	if got, want := Summary(d), "3 keys differ: 1 added, 1 removed, 1 changed (server.new, server.old, server.port)"; got != want {
		t.Fatalf("Summary = %q, want %q", got, want)
	}
}

func TestParseReportsTheError(t *testing.T) {
	if _, err := Parse([]byte("a = = 1\n")); err == nil {
		t.Fatal("expected a parse error")
	}
}
