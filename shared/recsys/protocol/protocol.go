// Package protocol runs the engine's evaluation protocols end to end: read
// an order-line file with the protocol's columns and cleaning, split it in
// time, train each requested model, measure it and report one line per
// model. `recs eval` is a thin command over Run.
package protocol

import (
	"context"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/eval"
	"github.com/b2brecs/b2brecs/shared/recsys/linalg"
	"github.com/b2brecs/b2brecs/shared/recsys/models"
	"github.com/b2brecs/b2brecs/shared/recsys/train"
)

// Protocol is a named evaluation protocol: which columns hold what, which
// lines count, and the default split date.
type Protocol struct {
	Name    string
	Columns data.Columns
	Rules   data.Rules
	Split   string // YYYY-MM-DD
}

// Lookup returns a protocol by name.
func Lookup(name string) (Protocol, error) {
	switch strings.ToLower(name) {
	case "or-temporal", "or-temporal-v1":
		return Protocol{Name: "or-temporal-v1", Columns: data.RetailColumns(), Rules: data.RetailRules(), Split: "2011-11-01"}, nil
	}
	return Protocol{}, errs.Userf(errs.Invalid, "unknown protocol %q (protocols: or-temporal)", name)
}

// Request says what to evaluate.
type Request struct {
	Data     string   // order-line file (CSV, .gz allowed)
	Protocol string   // protocol name
	Split    string   // YYYY-MM-DD (or RFC 3339); empty = the protocol's
	Models   []string // specs; "all" expands to train.All()
	Seed     uint64
	Progress func(model, step string)
}

// Line is one model's result; the first keys are the `recs eval` contract.
type Line struct {
	Model        string         `json:"model"`
	Recall10     float64        `json:"recall@10"`
	Recall50     float64        `json:"recall@50"`
	Recall100    float64        `json:"recall@100"`
	NewRecall10  float64        `json:"new_recall@10"`
	NewRecall50  float64        `json:"new_recall@50"`
	NewRecall100 float64        `json:"new_recall@100"`
	NDCG10       float64        `json:"ndcg@10"`
	Users        int            `json:"users"`
	NewUsers     int            `json:"new_users"`
	TrainSeconds float64        `json:"train_seconds"`
	PeakRSSMB    float64        `json:"peak_rss_mb"`
	EvalSeconds  float64        `json:"eval_seconds"`
	Protocol     string         `json:"protocol"`
	Split        string         `json:"split"`
	Backend      string         `json:"linalg"`
	Params       map[string]any `json:"params,omitempty"`
	Extra        map[string]any `json:"extra,omitempty"`
}

// ParseSplit reads a split date.
func ParseSplit(s string) (time.Time, error) {
	for _, l := range []string{"2006-01-02", time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errs.Userf(errs.Invalid, "split %q is not a date (write YYYY-MM-DD)", s)
}

// Run evaluates every requested model, calling emit with each line as soon
// as it is measured.
func Run(ctx context.Context, req Request, emit func(Line) error) error {
	p, err := Lookup(req.Protocol)
	if err != nil {
		return err
	}
	split := req.Split
	if split == "" {
		split = p.Split
	}
	at, err := ParseSplit(split)
	if err != nil {
		return err
	}
	specs := expand(req.Models)
	if len(specs) == 0 {
		return errs.Userf(errs.Invalid, "no model to evaluate (give -models, e.g. popularity,buy-again,ease:lambda=500,recommended or all)")
	}
	for _, s := range specs { // fail on a bad spec before the long work
		if _, err := models.ParseSpec(s); err != nil {
			return err
		}
	}
	log, _, err := data.ReadFile(ctx, req.Data, p.Columns, p.Rules)
	if err != nil {
		return err
	}
	ds, err := data.Split(log, at.Unix(), 0)
	if err != nil {
		return err
	}
	task := eval.NewTask(ds)
	if len(task.Users) == 0 {
		return errs.Userf(errs.Invalid, "no customer bought a known product on or after %s: choose an earlier split", split)
	}
	for _, spec := range specs {
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		res, err := train.Train(ctx, ds, spec, train.Options{Seed: req.Seed, Progress: req.Progress})
		if err != nil {
			return err
		}
		t := time.Now()
		m, err := eval.Evaluate(ctx, task, res.Scorer)
		if err != nil {
			return err
		}
		line := Line{Model: spec, Recall10: round(m.Recall[0]), Recall50: round(m.Recall[1]), Recall100: round(m.Recall[2]),
			NewRecall10: round(m.NewRecall[0]), NewRecall50: round(m.NewRecall[1]), NewRecall100: round(m.NewRecall[2]),
			NDCG10: round(m.NDCG10), Users: m.Users, NewUsers: m.NewUsers, TrainSeconds: round(res.Seconds),
			PeakRSSMB: peakRSSMB(), EvalSeconds: round(time.Since(t).Seconds()), Protocol: p.Name, Split: split,
			Backend: linalg.Backend(), Params: res.Params, Extra: res.Extra}
		if len(line.Params) == 0 {
			line.Params = nil
		}
		if len(line.Extra) == 0 {
			line.Extra = nil
		}
		if err := emit(line); err != nil {
			return err
		}
	}
	return nil
}

func expand(list []string) []string {
	var out []string
	for _, s := range list {
		if strings.EqualFold(strings.TrimSpace(s), "all") {
			out = append(out, train.All()...)
			continue
		}
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func round(v float64) float64 { return math.Round(v*1e5) / 1e5 }

// resetPeakRSS resets the kernel's high-water mark of this process
// (Linux: writing 5 to /proc/self/clear_refs), so each model's peak is its own.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB reads VmHWM from /proc/self/status (0 where there is none).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return math.Round(kb/1024*10) / 10
			}
		}
	}
	return 0
}
