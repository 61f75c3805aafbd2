package twotower

import (
	"github.com/b2brecs/b2brecs/shared/recsys/artifact"
)

// The same content can live in the platform's model file (package
// artifact) instead of the stand-alone format of Marshal: the header
// (config, sizes, statistics, tensor shapes) is the file's meta, and every
// tensor is stored as "twotower/<name>".

const artifactPrefix = "twotower/"

// PutArtifact stores the model in a platform model file.
func (m *Model) PutArtifact(f *artifact.File) error {
	ts := m.tensors()
	h := m.header(ts)
	if err := f.SetMeta(h); err != nil {
		return err
	}
	for _, t := range ts {
		if t.info.DType == "f32" {
			f.PutF32(artifactPrefix+t.info.Name, t.f32)
		} else {
			f.PutI32(artifactPrefix+t.info.Name, t.i32)
		}
	}
	return nil
}

// FromArtifact reads a model stored by PutArtifact; it scores exactly as
// the model that was stored.
func FromArtifact(f *artifact.File) (*Model, error) {
	var h artifactHeader
	if err := f.GetMeta(&h); err != nil {
		return nil, err
	}
	if err := h.Config.Validate(); err != nil {
		return nil, corrupt("config: %v", err)
	}
	got := map[string]tensor{}
	for _, ti := range h.Tensors {
		n := ti.Shape[0] * ti.Shape[1]
		if ti.Shape[0] < 0 || ti.Shape[1] < 0 {
			return nil, corrupt("tensor %s has shape %v", ti.Name, ti.Shape)
		}
		t := tensor{info: ti}
		var err error
		switch ti.DType {
		case "f32":
			t.f32, err = f.F32(artifactPrefix+ti.Name, n)
		case "i32":
			t.i32, err = f.I32(artifactPrefix+ti.Name, n)
		default:
			return nil, corrupt("tensor %s has type %q", ti.Name, ti.DType)
		}
		if err != nil {
			return nil, err
		}
		got[ti.Name] = t
	}
	return fromTensors(h, got)
}
