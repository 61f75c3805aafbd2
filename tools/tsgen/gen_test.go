package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/tools/tsgen/internal/fixture"
)

// TestGeneratedIsCurrent fails while static/src/api/generated.ts is not
// what the Go types generate: the SPA would compile against a shape the
// server no longer sends.
func TestGeneratedIsCurrent(t *testing.T) {
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	want, err := generateAPI(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, Output))
	if err != nil {
		t.Fatalf("%v: run `go run ./tools/tsgen` from the repository root", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := line(gl, i), line(wl, i)
			if g != w {
				t.Fatalf("%s is stale: run `go run ./tools/tsgen` from the repository root and commit it.\nfirst difference, line %d:\n  file:      %q\n  generated: %q", Output, i+1, g, w)
			}
		}
	}
}

func line(ls []string, i int) string {
	if i < len(ls) {
		return ls[i]
	}
	return "<end of file>"
}

// TestAPITypes pins shapes the SPA relies on.
func TestAPITypes(t *testing.T) {
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := generateAPI(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"export type Role = 'admin' | 'editor' | 'viewer';",           // constants of a string type
		"export type LoadMode = 'append' | 'truncate' | 'merge';",     // ditto
		"  status: RunStatus;\n",                                      // a field override
		"export interface JobView {\n  id: string;\n",                 // embedded Job flattened
		"  schedule: ScheduleView;\n  next_runs: string[] | null;\n}", // JobView.Schedule hides Job.Schedule
		"  jobs_count: number;\n}",                                    // connections.View
		"export interface User {\n  id: string;",                      // tenancy.PublicUser
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("generated types lack %q", want)
		}
	}
	if strings.Contains(string(src), "password_hash") {
		t.Error("generated types mention the password hash")
	}
}

type inner struct {
	A string `json:"a"`
	B int    `json:"b"`
}

type extra struct {
	E string `json:"e"`
}

type outer struct {
	inner
	*extra
	B       string            `json:"b"` // hides inner.B
	Skip    string            `json:"-"`
	hidden  string            // unexported: never encoded
	Untag   bool              // Go name as key
	Opt     string            `json:"opt,omitempty"`
	Ptr     *int              `json:"ptr"`
	OptPtr  *int              `json:"opt_ptr,omitempty"`
	List    []string          `json:"list"`
	Bytes   []byte            `json:"bytes"`
	M       map[string]inner  `json:"m"`
	At      time.Time         `json:"at"`
	AtOmit  time.Time         `json:"at_omit,omitempty"`
	AtZero  time.Time         `json:"at_zero,omitzero"`
	Num     int64             `json:"num,string"`
	Raw     json.RawMessage   `json:"raw"`
	Any     any               `json:"any"`
	Anon    struct{ X int }   `json:"anon"`
	Nested  inner             `json:"nested,omitempty"`
	Dashed  map[string]string `json:"dashed-key,omitempty"`
	Another *outer            `json:"another,omitempty"`
}

func TestGenerateShapes(t *testing.T) {
	got, err := Generate(Config{Roots: []Root{{"Outer", outer{hidden: "x"}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := Header + `
export interface Outer {
  a: string;
  e?: string;
  b: string;
  Untag: boolean;
  opt?: string;
  ptr: number | null;
  opt_ptr?: number;
  list: string[] | null;
  bytes: string;
  m: Record<string, inner> | null;
  at: string;
  at_omit: string;
  at_zero?: string;
  num: string;
  raw: unknown;
  any: unknown;
  anon: {
    X: number;
  };
  nested: inner;
  'dashed-key'?: Record<string, string>;
  another?: Outer;
}

export interface inner {
  a: string;
  b: number;
}
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

type marshals struct{}

func (marshals) MarshalJSON() ([]byte, error) { return []byte(`1`), nil }

type withMarshaler struct {
	M marshals `json:"m"`
}

type otherInner struct{}

func TestGenerateRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"own MarshalJSON", Config{Roots: []Root{{"W", withMarshaler{}}}}, "has its own MarshalJSON"},
		{"two types one name", Config{Roots: []Root{{"X", inner{}}, {"X", otherInner{}}}}, "are both named X"},
		{"override of a missing field", Config{Roots: []Root{{"I", inner{}}}, Fields: []FieldType{{inner{}, "nope", "string"}}}, "no such JSON field"},
		{"enum and type share a name", Config{Enums: []Enum{{Name: "I", Values: []string{"a"}}}, Roots: []Root{{"I", inner{}}}}, "taken by an enum"},
		{"unnamed root", Config{Roots: []Root{{"S", []inner{}}}}, "only named types"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestGenerateReadsSource checks what the source adds: doc comments of
// types and fields, and unions from the typed constants of a string type.
func TestGenerateReadsSource(t *testing.T) {
	got, err := Generate(Config{
		Roots: []Root{{"Paint", fixture.Paint{}}},
		Source: func(path string) (string, bool) {
			return "internal/fixture", path == "github.com/b2brecs/b2brecs/tools/tsgen/internal/fixture"
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Header + `
/** Color is a paint color. */
export type Color = 'red' | 'blue';

/**
 * Paint is a can of paint.
 *
 * It has two paragraphs.
 */
export interface Paint {
  /** Color is what it paints. */
  color: Color;
  /** how much is left */
  liters: number;
  shade?: string;
}
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
