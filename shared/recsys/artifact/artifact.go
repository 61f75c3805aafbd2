// Package artifact is the model file format of the recommendation engine:
// a versioned container of one JSON header and named numeric tensors,
// written and read through any io.Writer / io.Reader (the blob port in the
// platform). Every model kind stores its vocabularies, the config that made
// it, its metrics and its parameters in one file; Load gives back a model
// that scores exactly as the one that was saved.
//
// Layout, version 1 (integers little-endian):
//
//	magic    8 bytes "b2brecs1"
//	hdrLen   uint32
//	header   hdrLen bytes of JSON: Header (format version, model kind,
//	         kind-specific meta as raw JSON, the tensor list)
//	tensors  each tensor's values in header order: f32 and i32 take 4
//	         bytes a value, i64 and f64 8 bytes
//	crc      uint32 CRC-32 (IEEE) of every byte before it
package artifact

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"math"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Version is the format version written.
const Version = 1

const (
	magic           = "b2brecs1"
	maxHeaderBytes  = 256 << 20
	maxTensorValues = 1 << 31
)

// Header is the file's JSON header.
type Header struct {
	Format  int             `json:"format"`
	Kind    string          `json:"kind"`           // the model kind: ease, als, recommended, ...
	Spec    string          `json:"spec"`           // the model spec that trained it
	Info    json.RawMessage `json:"info,omitempty"` // what every kind records: params, metrics, data, times
	Meta    json.RawMessage `json:"meta,omitempty"`
	Tensors []Info          `json:"tensors"`
}

// Info describes one tensor.
type Info struct {
	Name  string `json:"name"`
	DType string `json:"dtype"` // f32, f64, i32, i64
	Len   int    `json:"len"`
}

// File is an artifact in memory.
type File struct {
	Kind, Spec string
	Info, Meta json.RawMessage
	f32        map[string][]float32
	f64        map[string][]float64
	i32        map[string][]int32
	i64        map[string][]int64
	order      []Info
}

// New returns an empty file for a model kind.
func New(kind, spec string) *File {
	return &File{Kind: kind, Spec: spec, f32: map[string][]float32{}, f64: map[string][]float64{},
		i32: map[string][]int32{}, i64: map[string][]int64{}}
}

// SetMeta stores v as the kind-specific JSON meta.
func (f *File) SetMeta(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return errs.WrapField(errs.Invalid, err, "", "could not encode the model description")
	}
	f.Meta = b
	return nil
}

// SetInfo stores v as the common JSON info (see Header.Info).
func (f *File) SetInfo(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return errs.WrapField(errs.Invalid, err, "", "could not encode the model's information")
	}
	f.Info = b
	return nil
}

// GetInfo decodes the common info into v.
func (f *File) GetInfo(v any) error {
	if len(f.Info) == 0 {
		return nil
	}
	if err := json.Unmarshal(f.Info, v); err != nil {
		return corrupt("the model information does not decode: %v", err)
	}
	return nil
}

// GetMeta decodes the meta into v.
func (f *File) GetMeta(v any) error {
	if err := json.Unmarshal(f.Meta, v); err != nil {
		return corrupt("the model description does not decode: %v", err)
	}
	return nil
}

func (f *File) add(name, dtype string, n int) {
	f.order = append(f.order, Info{Name: name, DType: dtype, Len: n})
}

// PutF32 and the other Put methods add a tensor.
func (f *File) PutF32(name string, v []float32) { f.f32[name] = v; f.add(name, "f32", len(v)) }

// PutF64 adds a float64 tensor.
func (f *File) PutF64(name string, v []float64) { f.f64[name] = v; f.add(name, "f64", len(v)) }

// PutI32 adds an int32 tensor.
func (f *File) PutI32(name string, v []int32) { f.i32[name] = v; f.add(name, "i32", len(v)) }

// PutI64 adds an int64 tensor.
func (f *File) PutI64(name string, v []int64) { f.i64[name] = v; f.add(name, "i64", len(v)) }

// PutStrings stores a string list (a vocabulary) as offsets and bytes.
func (f *File) PutStrings(name string, s []string) {
	off := make([]int64, len(s)+1)
	var b []byte
	for k, x := range s {
		b = append(b, x...)
		off[k+1] = int64(len(b))
	}
	f.PutI64(name+"/offsets", off)
	bytes := make([]int32, len(b))
	for k, c := range b {
		bytes[k] = int32(c)
	}
	f.PutI32(name+"/bytes", bytes)
}

// F32 returns a float32 tensor, checking its length when want >= 0.
func (f *File) F32(name string, want int) ([]float32, error) {
	return get(f.f32, name, want)
}

// F64 returns a float64 tensor.
func (f *File) F64(name string, want int) ([]float64, error) { return get(f.f64, name, want) }

// I32 returns an int32 tensor.
func (f *File) I32(name string, want int) ([]int32, error) { return get(f.i32, name, want) }

// I64 returns an int64 tensor.
func (f *File) I64(name string, want int) ([]int64, error) { return get(f.i64, name, want) }

// Strings returns a string list stored by PutStrings.
func (f *File) Strings(name string) ([]string, error) {
	off, err := f.I64(name+"/offsets", -1)
	if err != nil {
		return nil, err
	}
	b, err := f.I32(name+"/bytes", -1)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, len(b))
	for k, c := range b {
		raw[k] = byte(c)
	}
	out := make([]string, 0, max(len(off)-1, 0))
	for k := 0; k+1 < len(off); k++ {
		if off[k] < 0 || off[k+1] < off[k] || off[k+1] > int64(len(raw)) {
			return nil, corrupt("string list %s has bad offsets", name)
		}
		out = append(out, string(raw[off[k]:off[k+1]]))
	}
	return out, nil
}

func get[T any](m map[string][]T, name string, want int) ([]T, error) {
	v, ok := m[name]
	if !ok {
		return nil, corrupt("tensor %s is missing", name)
	}
	if want >= 0 && len(v) != want {
		return nil, corrupt("tensor %s has %d values, want %d", name, len(v), want)
	}
	return v, nil
}

func corrupt(format string, args ...any) error {
	return errs.Explain(errs.E(errs.Invalid, "model file: "+format, args...),
		"the model file is damaged or was written by another version of the platform: train the model again")
}

// Write writes the file.
func (f *File) Write(w io.Writer) error {
	h := Header{Format: Version, Kind: f.Kind, Spec: f.Spec, Info: f.Info, Meta: f.Meta, Tensors: f.order}
	hdr, err := json.Marshal(h)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "encode the model header")
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
	le := binary.LittleEndian
	var buf [8]byte
	bw.WriteString(magic)
	le.PutUint32(buf[:4], uint32(len(hdr)))
	bw.Write(buf[:4])
	bw.Write(hdr)
	for _, t := range f.order {
		switch t.DType {
		case "f32":
			for _, v := range f.f32[t.Name] {
				le.PutUint32(buf[:4], math.Float32bits(v))
				bw.Write(buf[:4])
			}
		case "i32":
			for _, v := range f.i32[t.Name] {
				le.PutUint32(buf[:4], uint32(v))
				bw.Write(buf[:4])
			}
		case "f64":
			for _, v := range f.f64[t.Name] {
				le.PutUint64(buf[:], math.Float64bits(v))
				bw.Write(buf[:])
			}
		case "i64":
			for _, v := range f.i64[t.Name] {
				le.PutUint64(buf[:], uint64(v))
				bw.Write(buf[:])
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return errs.Wrap(errs.Transient, err, "write the model file")
	}
	le.PutUint32(buf[:4], crc.Sum32())
	if _, err := w.Write(buf[:4]); err != nil {
		return errs.Wrap(errs.Transient, err, "write the model file")
	}
	return nil
}

// Read reads a file written by Write, checking its magic, version and checksum.
func Read(r io.Reader) (*File, error) {
	crc := crc32.NewIEEE()
	br := bufio.NewReaderSize(r, 1<<16)
	tr := io.TeeReader(br, crc)
	le := binary.LittleEndian
	var buf [8]byte
	if _, err := io.ReadFull(tr, buf[:8]); err != nil || string(buf[:8]) != magic {
		return nil, corrupt("not a b2brecs model file")
	}
	if _, err := io.ReadFull(tr, buf[:4]); err != nil {
		return nil, corrupt("truncated header")
	}
	n := le.Uint32(buf[:4])
	if n > maxHeaderBytes {
		return nil, corrupt("header of %d bytes is too large", n)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(tr, hdr); err != nil {
		return nil, corrupt("truncated header")
	}
	var h Header
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, corrupt("header does not decode: %v", err)
	}
	if h.Format != Version {
		return nil, corrupt("format version %d, this platform reads %d", h.Format, Version)
	}
	f := New(h.Kind, h.Spec)
	f.Meta, f.Info = h.Meta, h.Info
	for _, t := range h.Tensors {
		if t.Len < 0 || t.Len > maxTensorValues {
			return nil, corrupt("tensor %s has a bad length %d", t.Name, t.Len)
		}
		switch t.DType {
		case "f32":
			v := make([]float32, t.Len)
			if err := binary.Read(tr, le, v); err != nil {
				return nil, corrupt("tensor %s is truncated", t.Name)
			}
			f.PutF32(t.Name, v)
		case "i32":
			v := make([]int32, t.Len)
			if err := binary.Read(tr, le, v); err != nil {
				return nil, corrupt("tensor %s is truncated", t.Name)
			}
			f.PutI32(t.Name, v)
		case "f64":
			v := make([]float64, t.Len)
			if err := binary.Read(tr, le, v); err != nil {
				return nil, corrupt("tensor %s is truncated", t.Name)
			}
			f.PutF64(t.Name, v)
		case "i64":
			v := make([]int64, t.Len)
			if err := binary.Read(tr, le, v); err != nil {
				return nil, corrupt("tensor %s is truncated", t.Name)
			}
			f.PutI64(t.Name, v)
		default:
			return nil, corrupt("tensor %s has an unknown type %q", t.Name, t.DType)
		}
	}
	want := crc.Sum32()
	if _, err := io.ReadFull(br, buf[:4]); err != nil {
		return nil, corrupt("the checksum is missing (the file is truncated)")
	}
	if le.Uint32(buf[:4]) != want {
		return nil, corrupt("the checksum does not match")
	}
	return f, nil
}
