package eventschemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// files holds every schema (<type>.schema.json) and example
// (examples/<type>.json).
//
//go:embed *.schema.json examples/*.json
var files embed.FS

const schemaSuffix = ".schema.json"

// Types lists the event types that have a schema, sorted.
func Types() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil { // cannot happen with an embed.FS root
		return nil
	}
	var types []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), schemaSuffix); ok && !e.IsDir() {
			types = append(types, name)
		}
	}
	slices.Sort(types)
	return types
}

// Schema returns the JSON Schema document of an event type.
func Schema(eventType string) ([]byte, error) {
	b, err := files.ReadFile(eventType + schemaSuffix)
	if err != nil {
		return nil, errs.E(errs.Invalid, "eventschemas: unknown event type %q", eventType)
	}
	return b, nil
}

// Example returns the example data payload of an event type.
func Example(eventType string) ([]byte, error) {
	b, err := files.ReadFile("examples/" + eventType + ".json")
	if err != nil {
		return nil, errs.E(errs.Invalid, "eventschemas: no example for event type %q", eventType)
	}
	return b, nil
}

// Validator checks event payloads against the compiled schemas. It is safe
// for concurrent use; build one per process (or use the package-level
// Validate) since compiling the schemas costs far more than validating.
type Validator struct {
	schemas map[string]*jsonschema.Schema
}

// NewValidator compiles every embedded schema.
func NewValidator() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	types := Types()
	urls := make(map[string]string, len(types))
	for _, t := range types {
		raw, err := files.ReadFile(t + schemaSuffix)
		if err != nil {
			return nil, fmt.Errorf("eventschemas: read schema %s: %w", t, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("eventschemas: parse schema %s: %w", t, err)
		}
		url := "mem:///eventschemas/" + t + schemaSuffix
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("eventschemas: add schema %s: %w", t, err)
		}
		urls[t] = url
	}
	v := &Validator{schemas: make(map[string]*jsonschema.Schema, len(types))}
	for t, url := range urls {
		s, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("eventschemas: compile schema %s: %w", t, err)
		}
		v.schemas[t] = s
	}
	return v, nil
}

// Validate checks data, the JSON data payload of a CloudEvent of type
// eventType, against its schema. An unknown type, data that is not JSON, or
// a schema violation is errs.Invalid; the message names the event type and
// the JSON pointer of every failing value.
func (v *Validator) Validate(eventType string, data []byte) error {
	s, ok := v.schemas[eventType]
	if !ok {
		return errs.E(errs.Invalid, "eventschemas: unknown event type %q", eventType)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return errs.E(errs.Invalid, "eventschemas: %s: data is not a single JSON value: %s", eventType, jsonErrorText(err))
	}
	if err := s.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return errs.E(errs.Invalid, "eventschemas: %s: %s", eventType, strings.Join(leafMessages(ve), "; "))
		}
		return errs.Wrap(errs.Invalid, err, "eventschemas: %s", eventType)
	}
	return nil
}

// jsonErrorText describes a JSON syntax error without echoing the payload.
func jsonErrorText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte offset %d", se.Offset)
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return fmt.Sprintf("type error at byte offset %d", ute.Offset)
	}
	return "malformed JSON"
}

// leafMessages flattens a validation error tree into "at <pointer>: <what>"
// lines, one per failing leaf, sorted and de-duplicated. For a missing
// required property the pointer includes the property, so that the message
// names the field (e.g. "at /object/bucket: missing required property").
func leafMessages(ve *jsonschema.ValidationError) []string {
	p := message.NewPrinter(language.English)
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, m := range k.Missing {
				out = append(out, fmt.Sprintf("at %s: missing required property", pointer(append(slices.Clone(e.InstanceLocation), m))))
			}
		case *kind.AdditionalProperties:
			for _, m := range k.Properties {
				out = append(out, fmt.Sprintf("at %s: unknown property", pointer(append(slices.Clone(e.InstanceLocation), m))))
			}
		default:
			out = append(out, fmt.Sprintf("at %s: %s", pointer(e.InstanceLocation), e.ErrorKind.LocalizedString(p)))
		}
	}
	walk(ve)
	slices.Sort(out)
	return slices.Compact(out)
}

// pointer renders a JSON pointer (RFC 6901); the root is "/".
func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return "/"
	}
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		sb.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return sb.String()
}

// defaultValidator compiles the embedded schemas once per process, on first
// use. It is set once and never reassigned.
var defaultValidator = sync.OnceValues(NewValidator)

// Validate checks data against the schema of eventType with a validator
// compiled once per process. See (*Validator).Validate.
func Validate(eventType string, data []byte) error {
	v, err := defaultValidator()
	if err != nil {
		return err
	}
	return v.Validate(eventType, data)
}

// Decode validates data against the schema of eventType and unmarshals it
// into a T. A nil v uses the process-wide validator. Errors are
// errs.Invalid.
func Decode[T any](v *Validator, eventType string, data []byte) (T, error) {
	var out T
	var err error
	if v == nil {
		err = Validate(eventType, data)
	} else {
		err = v.Validate(eventType, data)
	}
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return out, errs.E(errs.Invalid, "eventschemas: %s: decode into %T: %s", eventType, out, jsonErrorText(err))
	}
	return out, nil
}
