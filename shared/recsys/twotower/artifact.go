package twotower

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/nn"
)

// The model file format, version 1 (all integers little-endian):
//
//	magic    8 bytes "b2btwotw"
//	version  uint32 (1)
//	hdrLen   uint32
//	header   hdrLen bytes of JSON (artifactHeader): the config, the
//	         vocabulary sizes, side-feature cardinalities, dense-feature
//	         statistics, the scoring time, the epoch statistics, and the
//	         list of tensors (name, dtype f32 or i32, shape)
//	tensors  each tensor's values in header order (4 bytes each)
//	crc      uint32 CRC-32 (IEEE) of every byte before it
//
// Tensors: "emb/<table>" embedding tables, "param/<name>" layer weights
// and moving statistics, "item_vectors" (the product vectors scoring
// uses), "history/start|end|items" (each customer's scoring history),
// "user_cat/<k>", "item_cat/<k>" and "item_dense/<k>" (z-scored) side
// features.
const (
	artifactMagic   = "b2btwotw"
	artifactVersion = 1
	maxHeaderBytes  = 64 << 20
	maxTensorValues = 1 << 30
)

type tensorInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"` // f32 or i32
	Shape [2]int `json:"shape"`
}

type artifactHeader struct {
	Config      Config       `json:"config"`
	NumUsers    int          `json:"num_users"`
	NumItems    int          `json:"num_items"`
	UserCatCard []int        `json:"user_cat_card,omitempty"`
	ItemCatCard []int        `json:"item_cat_card,omitempty"`
	DenseMean   []float32    `json:"dense_mean,omitempty"`
	DenseStd    []float32    `json:"dense_std,omitempty"`
	ScoreTime   int64        `json:"score_time"`
	Epochs      []EpochStats `json:"epochs,omitempty"`
	Tensors     []tensorInfo `json:"tensors"`
}

type tensor struct {
	info tensorInfo
	f32  []float32
	i32  []int32
}

func f32Tensor(name string, rows, cols int, v []float32) tensor {
	return tensor{info: tensorInfo{Name: name, DType: "f32", Shape: [2]int{rows, cols}}, f32: v}
}

func i32Tensor(name string, v []int32) tensor {
	return tensor{info: tensorInfo{Name: name, DType: "i32", Shape: [2]int{len(v), 1}}, i32: v}
}

// tensors lists everything the file stores besides the header.
func (m *Model) tensors() []tensor {
	var ts []tensor
	for _, e := range m.tables() {
		ts = append(ts, f32Tensor("emb/"+e.Name, e.Rows, e.Dim, e.W))
	}
	for _, p := range m.params() {
		ts = append(ts, f32Tensor("param/"+p.Name, p.Rows, p.Cols, p.W))
	}
	ts = append(ts, f32Tensor("item_vectors", m.itemVecs.Rows, m.itemVecs.Cols, m.itemVecs.Data))
	if m.histTab != nil {
		ts = append(ts, i32Tensor("history/start", m.hist.start), i32Tensor("history/end", m.hist.end), i32Tensor("history/items", m.hist.items))
	}
	for k, v := range m.userCatVals {
		ts = append(ts, i32Tensor(catName("user_cat", k), v))
	}
	for k, v := range m.itemCatVals {
		ts = append(ts, i32Tensor(catName("item_cat", k), v))
	}
	for k, v := range m.itemDense {
		ts = append(ts, f32Tensor(catName("item_dense", k), len(v), 1, v))
	}
	return ts
}

func catName(prefix string, k int) string { return prefix + "/" + strconv.Itoa(k) }

// header describes the model and its tensors.
func (m *Model) header(ts []tensor) artifactHeader {
	h := artifactHeader{
		Config: m.cfg, NumUsers: m.numUsers, NumItems: m.numItems, UserCatCard: m.userCatCard, ItemCatCard: m.itemCatCard,
		DenseMean: m.denseMean, DenseStd: m.denseStd, ScoreTime: m.scoreTime, Epochs: m.epochs,
	}
	for _, t := range ts {
		h.Tensors = append(h.Tensors, t.info)
	}
	return h
}

// Marshal writes the model in the versioned file format.
func (m *Model) Marshal(w io.Writer) error {
	ts := m.tensors()
	hdr, err := json.Marshal(m.header(ts))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "encode the two-tower model header")
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
	le := binary.LittleEndian
	var buf [8]byte
	bw.WriteString(artifactMagic)
	le.PutUint32(buf[:4], artifactVersion)
	bw.Write(buf[:4])
	le.PutUint32(buf[:4], uint32(len(hdr)))
	bw.Write(buf[:4])
	bw.Write(hdr)
	for _, t := range ts {
		if t.info.DType == "f32" {
			for _, v := range t.f32 {
				le.PutUint32(buf[:4], math.Float32bits(v))
				bw.Write(buf[:4])
			}
		} else {
			for _, v := range t.i32 {
				le.PutUint32(buf[:4], uint32(v))
				bw.Write(buf[:4])
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return errs.Wrap(errs.Transient, err, "write the two-tower model")
	}
	le.PutUint32(buf[:4], crc.Sum32())
	if _, err := w.Write(buf[:4]); err != nil {
		return errs.Wrap(errs.Transient, err, "write the two-tower model")
	}
	return nil
}

// MarshalBinary returns the model file's bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	if err := m.Marshal(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func corrupt(format string, args ...any) error {
	return errs.Explain(errs.E(errs.Invalid, "two-tower model file: "+format, args...),
		"the model file is damaged or was not written by this version of the platform: train the model again")
}

// Unmarshal reads a model written by Marshal. The result scores exactly as
// the model that was written.
func Unmarshal(r io.Reader) (*Model, error) {
	crc := crc32.NewIEEE()
	br := bufio.NewReaderSize(r, 1<<16)
	tr := io.TeeReader(br, crc)
	le := binary.LittleEndian
	var pre [16]byte
	if _, err := io.ReadFull(tr, pre[:]); err != nil {
		return nil, corrupt("too short: %v", err)
	}
	if string(pre[:8]) != artifactMagic {
		return nil, corrupt("not a two-tower model (magic %q)", pre[:8])
	}
	if v := le.Uint32(pre[8:12]); v != artifactVersion {
		return nil, errs.Explain(errs.E(errs.Unsupported, "two-tower model file version %d, this build reads version %d", v, artifactVersion),
			"the model file was written by another version of the platform: train the model again")
	}
	n := le.Uint32(pre[12:16])
	if n > maxHeaderBytes {
		return nil, corrupt("header of %d bytes", n)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(tr, hdr); err != nil {
		return nil, corrupt("header: %v", err)
	}
	var h artifactHeader
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, corrupt("header: %v", err)
	}
	if err := h.Config.Validate(); err != nil {
		return nil, corrupt("config: %v", err)
	}
	got := map[string]tensor{}
	for _, ti := range h.Tensors {
		cnt := ti.Shape[0] * ti.Shape[1]
		if ti.Shape[0] < 0 || ti.Shape[1] < 0 || cnt > maxTensorValues {
			return nil, corrupt("tensor %s has shape %v", ti.Name, ti.Shape)
		}
		t := tensor{info: ti}
		if ti.DType != "f32" && ti.DType != "i32" {
			return nil, corrupt("tensor %s has type %q", ti.Name, ti.DType)
		}
		// Read in chunks so that a damaged shape fails at the end of the
		// data instead of allocating its full size up front.
		const chunk = 1 << 16
		raw := make([]byte, 4*min(cnt, chunk))
		for done := 0; done < cnt; {
			c := min(cnt-done, chunk)
			if _, err := io.ReadFull(tr, raw[:4*c]); err != nil {
				return nil, corrupt("tensor %s: %v", ti.Name, err)
			}
			for k := range c {
				v := le.Uint32(raw[4*k:])
				if ti.DType == "f32" {
					t.f32 = append(t.f32, math.Float32frombits(v))
				} else {
					t.i32 = append(t.i32, int32(v))
				}
			}
			done += c
		}
		if cnt == 0 {
			t.f32, t.i32 = []float32{}, []int32{}
		}
		got[ti.Name] = t
	}
	sum := crc.Sum32()
	var buf [4]byte
	if _, err := io.ReadFull(br, buf[:]); err != nil {
		return nil, corrupt("checksum: %v", err)
	}
	if le.Uint32(buf[:]) != sum {
		return nil, corrupt("checksum mismatch")
	}
	return fromTensors(h, got)
}

// fromTensors rebuilds a model from a header and its tensors.
func fromTensors(h artifactHeader, got map[string]tensor) (*Model, error) {
	if h.NumUsers < 1 || h.NumItems < 1 || len(h.DenseMean) != len(h.DenseStd) {
		return nil, corrupt("header sizes (%d users, %d items)", h.NumUsers, h.NumItems)
	}
	for _, c := range append(slices.Clone(h.UserCatCard), h.ItemCatCard...) {
		if c < 1 {
			return nil, corrupt("a categorical feature has cardinality %d", c)
		}
	}
	m := &Model{cfg: h.Config, numUsers: h.NumUsers, numItems: h.NumItems, userCatCard: h.UserCatCard, itemCatCard: h.ItemCatCard,
		denseMean: h.DenseMean, denseStd: h.DenseStd, scoreTime: h.ScoreTime, epochs: h.Epochs}
	if err := m.build(); err != nil {
		return nil, corrupt("shapes: %v", err)
	}
	used := 0
	take := func(name string, dtype string, rows, cols int) (tensor, error) {
		t, ok := got[name]
		if !ok {
			return t, corrupt("tensor %s is missing", name)
		}
		if t.info.DType != dtype || t.info.Shape != [2]int{rows, cols} {
			return t, corrupt("tensor %s is %s%v, want %s[%d %d]", name, t.info.DType, t.info.Shape, dtype, rows, cols)
		}
		used++
		return t, nil
	}
	for _, e := range m.tables() {
		t, err := take("emb/"+e.Name, "f32", e.Rows, e.Dim)
		if err != nil {
			return nil, err
		}
		copy(e.W, t.f32)
	}
	for _, p := range m.params() {
		t, err := take("param/"+p.Name, "f32", p.Rows, p.Cols)
		if err != nil {
			return nil, err
		}
		copy(p.W, t.f32)
	}
	t, err := take("item_vectors", "f32", m.numItems, m.cfg.OutputDim)
	if err != nil {
		return nil, err
	}
	m.itemVecs = nn.Mat{Rows: m.numItems, Cols: m.cfg.OutputDim, Data: t.f32}
	if m.histTab != nil {
		var s, e, it tensor
		if s, err = take("history/start", "i32", m.numUsers, 1); err != nil {
			return nil, err
		}
		if e, err = take("history/end", "i32", m.numUsers, 1); err != nil {
			return nil, err
		}
		if it, err = take("history/items", "i32", got["history/items"].info.Shape[0], 1); err != nil {
			return nil, err
		}
		for u := range m.numUsers {
			if s.i32[u] < 0 || e.i32[u] < s.i32[u] || int(e.i32[u]) > len(it.i32) {
				return nil, corrupt("history of customer %d is out of range", u)
			}
		}
		for _, v := range it.i32 {
			if v < 0 || int(v) >= m.numItems {
				return nil, corrupt("history item %d is out of range", v)
			}
		}
		m.hist = bags{start: s.i32, end: e.i32, items: it.i32}
	}
	for k, card := range m.userCatCard {
		t, err := take(catName("user_cat", k), "i32", m.numUsers, 1)
		if err != nil {
			return nil, err
		}
		for _, v := range t.i32 {
			if v < -1 || int(v) >= card {
				return nil, corrupt("customer feature %d value %d is out of range", k, v)
			}
		}
		m.userCatVals = append(m.userCatVals, t.i32)
	}
	for k, card := range m.itemCatCard {
		t, err := take(catName("item_cat", k), "i32", m.numItems, 1)
		if err != nil {
			return nil, err
		}
		for _, v := range t.i32 {
			if v < -1 || int(v) >= card {
				return nil, corrupt("product feature %d value %d is out of range", k, v)
			}
		}
		m.itemCatVals = append(m.itemCatVals, t.i32)
	}
	for k := range m.denseMean {
		t, err := take(catName("item_dense", k), "f32", m.numItems, 1)
		if err != nil {
			return nil, err
		}
		m.itemDense = append(m.itemDense, t.f32)
	}
	if used != len(got) {
		return nil, corrupt("%d tensors are not part of the model", len(got)-used)
	}
	return m, nil
}

// UnmarshalModel reads a model from the bytes of a model file.
func UnmarshalModel(b []byte) (*Model, error) { return Unmarshal(bytes.NewReader(b)) }
