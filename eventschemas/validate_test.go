package eventschemas

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// payloads maps every event type with a schema to a filled value of its Go
// payload type. Adding a schema without an entry here, or an entry without
// a schema, fails TestPayloadTable.
func payloads() map[string]any {
	ts := time.Date(2026, 11, 25, 16, 0, 0, 123000000, time.UTC)
	return map[string]any{
		TypeObjectFinalized: StorageObjectData{
			Kind:           "storage#object",
			ID:             "b2b-acme-drop/orders.csv/1764086400123456",
			SelfLink:       "https://www.googleapis.com/storage/v1/b/b2b-acme-drop/o/orders.csv",
			Bucket:         "b2b-acme-drop",
			Name:           "orders.csv",
			Generation:     "1764086400123456",
			Metageneration: "1",
			ContentType:    "text/csv",
			Size:           "48213",
			MD5Hash:        "XrY7u+Ae7tCTyyK7j1rNww==",
			CRC32C:         "yZRlqg==",
			ETag:           "CMDE/7yVvZEDEAE=",
			StorageClass:   "STANDARD",
			TimeCreated:    ts,
			Updated:        ts,
			Metadata:       map[string]string{"k": "v"},
		},
		TypeRunRequested: RunRequested{
			Tenant:  "t_3f9c2a7b1e04d5c8",
			JobID:   "job_1",
			RunID:   "run_1",
			Trigger: TriggerFileDrop,
			Object: &ObjectRef{
				Bucket: "b2b-acme-drop", Name: "orders.csv", Generation: "17", Size: 10, MD5: "abc",
			},
		},
		TypeLoadRequested: LoadRequested{
			Tenant: "t_1", RunID: "run_1", JobID: "job_1",
			Parts: []string{"gs://staging/run_1/part-0.parquet", "file:///var/staging/run_1/part-1.parquet"},
		},
		TypePartitionRequested: PartitionRequested{
			Tenant: "t_1", RunID: "run_1", JobID: "job_1", PartitionID: "run_1-p0003", Index: 3, Of: 4,
		},
		TypeRunFinished: RunFinished{
			Tenant: "t_1", RunID: "run_1", JobID: "job_1", Status: "failed",
			RowsRead: 10, RowsLoaded: 0, RowsRejected: 10, Error: "boom",
		},
		TypeSweepRequested: SweepRequested{Tenant: "t_1"},
	}
}

func newValidator(t *testing.T) *Validator {
	t.Helper()
	v, err := NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	return v
}

func TestTypes(t *testing.T) {
	want := []string{TypeRunFinished, TypeLoadRequested, TypePartitionRequested, TypeRunRequested, TypeObjectFinalized, TypeSweepRequested}
	slices.Sort(want)
	if got := Types(); !slices.Equal(got, want) {
		t.Fatalf("Types() = %v, want %v", got, want)
	}
}

func TestPayloadTable(t *testing.T) {
	p := payloads()
	for _, typ := range Types() {
		if _, ok := p[typ]; !ok {
			t.Errorf("schema %s has no Go payload in the test table", typ)
		}
	}
	for typ := range p {
		if _, err := Schema(typ); err != nil {
			t.Errorf("Go payload for %s has no schema: %v", typ, err)
		}
	}
}

func TestExamplesValidate(t *testing.T) {
	v := newValidator(t)
	for _, typ := range Types() {
		t.Run(typ, func(t *testing.T) {
			ex, err := Example(typ)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Validate(typ, ex); err != nil {
				t.Fatalf("example does not validate: %v", err)
			}
			if err := Validate(typ, ex); err != nil {
				t.Fatalf("package Validate: %v", err)
			}
		})
	}
}

func TestExamplesDecode(t *testing.T) {
	v := newValidator(t)
	ex, _ := Example(TypeObjectFinalized)
	obj, err := Decode[StorageObjectData](v, TypeObjectFinalized, ex)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Bucket != "b2b-acme-drop" || obj.Name != "orders/2026-11-25/orders.csv" || obj.Generation != "1764086400123456" || obj.Size != "48213" {
		t.Fatalf("decoded %+v", obj)
	}
	if want := time.Date(2026, 11, 25, 16, 0, 0, 123000000, time.UTC); !obj.TimeCreated.Equal(want) {
		t.Fatalf("TimeCreated = %v, want %v", obj.TimeCreated, want)
	}
	ex, _ = Example(TypeRunRequested)
	rr, err := Decode[RunRequested](nil, TypeRunRequested, ex)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Trigger != TriggerFileDrop || rr.Object == nil || rr.Object.Size != 48213 {
		t.Fatalf("decoded %+v", rr)
	}
	if _, err := Decode[RunRequested](v, TypeRunRequested, []byte(`{"tenant":"t"}`)); !errs.Is(err, errs.Invalid) {
		t.Fatalf("Decode of invalid data: %v, want Invalid", err)
	}
}

func TestGoPayloadsValidate(t *testing.T) {
	v := newValidator(t)
	for typ, val := range payloads() {
		t.Run(typ, func(t *testing.T) {
			b, err := json.Marshal(val)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Validate(typ, b); err != nil {
				t.Fatalf("marshalled %T does not validate: %v\n%s", val, err, b)
			}
			// Round trip through Decode into the same type.
			back := reflect.New(reflect.TypeOf(val))
			if err := json.Unmarshal(b, back.Interface()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Elem().Interface(), val) {
				t.Fatalf("round trip changed the value:\n got %+v\nwant %+v", back.Elem().Interface(), val)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name, typ, data string
		want            []string // substrings of the message
	}{
		{"unknown type", "com.example.nope.v1", `{}`, []string{`unknown event type "com.example.nope.v1"`}},
		{"not json", TypeRunRequested, `{"tenant":`, []string{TypeRunRequested, "not a single JSON value"}},
		{"trailing data", TypeRunRequested, `{} {}`, []string{"not a single JSON value"}},
		{"not an object", TypeRunFinished, `[]`, []string{TypeRunFinished, "at /:"}},
		{"missing required", TypeRunRequested, `{"tenant":"t1","trigger":"manual"}`,
			[]string{TypeRunRequested, "at /job_id: missing required property"}},
		{"missing nested required", TypeRunRequested, `{"tenant":"t1","job_id":"j","trigger":"file_drop","object":{"name":"a.csv"}}`,
			[]string{"at /object/bucket: missing required property"}},
		{"file drop without object", TypeRunRequested, `{"tenant":"t1","job_id":"j","trigger":"file_drop"}`,
			[]string{"at /object: missing required property"}},
		{"bad enum", TypeRunRequested, `{"tenant":"t1","job_id":"j","trigger":"cron"}`, []string{"at /trigger:"}},
		{"unknown property", TypeRunRequested, `{"tenant":"t1","job_id":"j","trigger":"manual","jobId":"x"}`,
			[]string{"at /jobId: unknown property"}},
		{"size as number", TypeObjectFinalized, `{"bucket":"b","name":"n","generation":"1","size":12,"timeCreated":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}`,
			[]string{TypeObjectFinalized, "at /size:", "string"}},
		{"generation not digits", TypeObjectFinalized, `{"bucket":"b","name":"n","generation":"x1","size":"12","timeCreated":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}`,
			[]string{"at /generation:"}},
		{"bad time", TypeObjectFinalized, `{"bucket":"b","name":"n","generation":"1","size":"12","timeCreated":"yesterday","updated":"2026-01-01T00:00:00Z"}`,
			[]string{"at /timeCreated:"}},
		{"missing updated", TypeObjectFinalized, `{"bucket":"b","name":"n","generation":"1","size":"12","timeCreated":"2026-01-01T00:00:00Z"}`,
			[]string{"at /updated: missing required property"}},
		{"count wrong type", TypeRunFinished, `{"tenant":"t","run_id":"r","job_id":"j","status":"completed","rows_read":"1","rows_loaded":1,"rows_rejected":0}`,
			[]string{"at /rows_read:"}},
		{"negative count", TypeRunFinished, `{"tenant":"t","run_id":"r","job_id":"j","status":"completed","rows_read":-1,"rows_loaded":1,"rows_rejected":0}`,
			[]string{"at /rows_read:"}},
		{"fractional count", TypeRunFinished, `{"tenant":"t","run_id":"r","job_id":"j","status":"completed","rows_read":1.5,"rows_loaded":1,"rows_rejected":0}`,
			[]string{"at /rows_read:"}},
		{"null parts", TypeLoadRequested, `{"tenant":"t","run_id":"r","job_id":"j","parts":null}`, []string{"at /parts:"}},
		{"empty parts", TypeLoadRequested, `{"tenant":"t","run_id":"r","job_id":"j","parts":[]}`, []string{"at /parts:"}},
		{"part not a URL", TypeLoadRequested, `{"tenant":"t","run_id":"r","job_id":"j","parts":["part-0.parquet"]}`, []string{"at /parts/0:"}},
		{"empty tenant", TypeLoadRequested, `{"tenant":"","run_id":"r","job_id":"j","parts":["gs://b/p"]}`, []string{"at /tenant:"}},
		{"partition without id", TypePartitionRequested, `{"tenant":"t","run_id":"r","job_id":"j","index":0,"of":2}`, []string{"at /partition_id: missing required property"}},
		{"partition of none", TypePartitionRequested, `{"tenant":"t","run_id":"r","job_id":"j","partition_id":"r-p0000","index":0,"of":0}`, []string{"at /of:"}},
		{"negative partition index", TypePartitionRequested, `{"tenant":"t","run_id":"r","job_id":"j","partition_id":"r-p0000","index":-1,"of":2}`, []string{"at /index:"}},
		{"two failures", TypeRunFinished, `{"tenant":"t","run_id":"r","status":"done","rows_read":1,"rows_loaded":1,"rows_rejected":0}`,
			[]string{"at /job_id: missing required property", "at /status:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Validate(tc.typ, []byte(tc.data))
			if err == nil {
				t.Fatalf("Validate accepted %s", tc.data)
			}
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("kind = %v, want invalid (%v)", errs.KindOf(err), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not contain %q", err.Error(), w)
				}
			}
		})
	}
}

// TestRequiredMatchesGoTags checks that each schema's required list is
// exactly the set of Go struct fields without omitempty, recursively for
// nested structs (inline sub-schemas under properties).
func TestRequiredMatchesGoTags(t *testing.T) {
	for typ, val := range payloads() {
		t.Run(typ, func(t *testing.T) {
			raw, err := Schema(typ)
			if err != nil {
				t.Fatal(err)
			}
			var schema map[string]any
			if err := json.Unmarshal(raw, &schema); err != nil {
				t.Fatal(err)
			}
			checkRequired(t, "", schema, reflect.TypeOf(val))
		})
	}
}

func checkRequired(t *testing.T, path string, schema map[string]any, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[time.Time]() {
		return
	}
	var required []string
	if r, ok := schema["required"].([]any); ok {
		for _, x := range r {
			required = append(required, x.(string))
		}
	}
	props, _ := schema["properties"].(map[string]any)
	var want []string
	for f := range typ.Fields() {
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, ok := props[name]; !ok {
			t.Errorf("%s: Go field %s.%s (json %q) has no schema property", path+"/", typ.Name(), f.Name, name)
		}
		if !slices.Contains(strings.Split(opts, ","), "omitempty") {
			want = append(want, name)
		}
		if sub, ok := props[name].(map[string]any); ok {
			checkRequired(t, path+"/"+name, sub, f.Type)
		}
	}
	slices.Sort(want)
	slices.Sort(required)
	if !slices.Equal(want, required) {
		t.Errorf("%s: schema required = %v, Go fields without omitempty = %v", path+"/", required, want)
	}
}

func TestSchemasAreDraft202012(t *testing.T) {
	for _, typ := range Types() {
		raw, _ := Schema(typ)
		var s struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema = %q", typ, s.Schema)
		}
		if !strings.HasSuffix(s.ID, "/"+typ+".schema.json") {
			t.Errorf("%s: $id = %q", typ, s.ID)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	v, err := NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	ex, _ := Example(TypeObjectFinalized)
	for b.Loop() {
		if err := v.Validate(TypeObjectFinalized, ex); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewValidator(b *testing.B) {
	for b.Loop() {
		if _, err := NewValidator(); err != nil {
			b.Fatal(err)
		}
	}
}
