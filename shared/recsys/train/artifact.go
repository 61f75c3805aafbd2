package train

import (
	"context"
	"io"
	"time"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/recsys/artifact"
	"github.com/b2brecs/b2brecs/shared/recsys/data"
	"github.com/b2brecs/b2brecs/shared/recsys/eval"
	"github.com/b2brecs/b2brecs/shared/recsys/models"
	"github.com/b2brecs/b2brecs/shared/recsys/rank"
	"github.com/b2brecs/b2brecs/shared/recsys/twotower"
)

// Info is what every model file records besides the model itself.
type Info struct {
	Spec         string             `json:"spec"`
	Kind         string             `json:"kind"`
	Params       map[string]any     `json:"params,omitempty"`
	TrainSeconds float64            `json:"train_seconds"`
	TrainEnd     time.Time          `json:"train_end"`
	Users        int                `json:"users"`
	Items        int                `json:"items"`
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	Created      time.Time          `json:"created"`
}

// MetricsMap names the protocol metrics as `recs eval` does.
func MetricsMap(m eval.Metrics) map[string]float64 {
	return map[string]float64{
		"recall@10": m.Recall[0], "recall@50": m.Recall[1], "recall@100": m.Recall[2],
		"new_recall@10": m.NewRecall[0], "new_recall@50": m.NewRecall[1], "new_recall@100": m.NewRecall[2],
		"ndcg@10": m.NDCG10, "users": float64(m.Users), "new_users": float64(m.NewUsers),
	}
}

type saver interface {
	Save(f *artifact.File, name string)
}

// Write writes a trained model as a model file: its parameters, the
// dataset's vocabularies, a popularity fallback for customers it does not
// know, and Info (metrics may be nil).
func Write(w io.Writer, res *Result, ds *data.Dataset, metrics *eval.Metrics) error {
	f := artifact.New(res.Kind, res.Spec)
	info := Info{Spec: res.Spec, Kind: res.Kind, Params: res.Params, TrainSeconds: res.Seconds,
		TrainEnd: time.Unix(ds.Cut, 0).UTC(), Users: ds.NumUsers(), Items: ds.NumItems(), Created: time.Now().UTC()}
	if metrics != nil {
		info.Metrics = MetricsMap(*metrics)
	}
	if err := f.SetInfo(info); err != nil {
		return err
	}
	users := make([]string, ds.NumUsers())
	for u := range users {
		users[u] = ds.UserID(u)
	}
	items := make([]string, ds.NumItems())
	for i := range items {
		items[i] = ds.ItemID(i)
	}
	f.PutStrings("vocab/users", users)
	f.PutStrings("vocab/items", items)
	models.Popularity(ds, 0).Save(f, "fallback")
	models.PutCSR(f, "history", ds.Pairs().Matrix(data.MatrixOptions{Weighting: data.Counts}, ds.Cut))
	switch m := res.Scorer.(type) {
	case *rank.Model:
		if err := m.Save(f); err != nil {
			return err
		}
	case *twotower.Model:
		if err := m.PutArtifact(f); err != nil {
			return err
		}
	case saver:
		m.Save(f, "model")
	default:
		return errs.Userf(errs.Unsupported, "a %s model cannot be saved as a file yet: save its components instead", res.Kind)
	}
	return f.Write(w)
}

// Save writes the model file to key in a bucket (the blob port).
func Save(ctx context.Context, b *blob.Bucket, key string, res *Result, ds *data.Dataset, metrics *eval.Metrics) error {
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return blobstore.Wrap(err, "write the model file %s", key)
	}
	if err := Write(w, res, ds, metrics); err != nil {
		_ = w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return blobstore.Wrap(err, "write the model file %s", key)
	}
	return nil
}

// Model is a model loaded from a file, ready to score customers.
type Model struct {
	Info   Info
	Scorer eval.Scorer
	Users  []string // user index → customer id
	Items  []string // item index → product id

	userIndex map[string]int
	fallback  models.Vector
	history   *data.CSR // invoice counts per (user, item)
}

// Read reads a model file.
func Read(r io.Reader) (*Model, error) {
	f, err := artifact.Read(r)
	if err != nil {
		return nil, err
	}
	m := &Model{}
	if err := f.GetInfo(&m.Info); err != nil {
		return nil, err
	}
	if m.Users, err = f.Strings("vocab/users"); err != nil {
		return nil, err
	}
	if m.Items, err = f.Strings("vocab/items"); err != nil {
		return nil, err
	}
	if m.fallback, err = models.LoadVector(f, "fallback", len(m.Items)); err != nil {
		return nil, err
	}
	if m.history, err = models.GetCSR(f, "history"); err != nil {
		return nil, err
	}
	if m.history.Rows != len(m.Users) || m.history.Cols != len(m.Items) {
		return nil, errs.Userf(errs.Invalid, "the model file is damaged (its purchase history does not match its vocabularies): train the model again")
	}
	switch f.Kind {
	case "recommended":
		m.Scorer, err = rank.Load(f)
	case "popularity":
		m.Scorer, err = models.LoadVector(f, "model", len(m.Items))
	case "buy-again":
		m.Scorer, err = models.LoadBuyAgain(f, "model")
	case "item-knn":
		m.Scorer, err = models.LoadItemKNN(f, "model")
	case "ease":
		m.Scorer, err = models.LoadEASE(f, "model")
	case "als":
		m.Scorer, err = models.LoadALS(f, "model")
	case "two-tower", "twotower":
		m.Scorer, err = twotower.FromArtifact(f)
	default:
		return nil, errs.Userf(errs.Unsupported, "this platform cannot load %q models", f.Kind)
	}
	if err != nil {
		return nil, err
	}
	m.userIndex = make(map[string]int, len(m.Users))
	for u, id := range m.Users {
		m.userIndex[id] = u
	}
	return m, nil
}

// Load reads the model file at key in a bucket.
func Load(ctx context.Context, b *blob.Bucket, key string) (*Model, error) {
	r, err := b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, blobstore.Wrap(err, "read the model file %s", key)
	}
	defer r.Close()
	return Read(r)
}

// Recommendation is one recommended product.
type Recommendation struct {
	Product string  `json:"product"`
	Score   float64 `json:"score"`
}

// Recommend returns the k best products for a customer; a customer the
// model does not know gets the most popular products (known = false).
// With excludeOwn, products the customer bought before are left out.
func (m *Model) Recommend(customer string, k int, excludeOwn bool) (recs []Recommendation, known bool) {
	scores := make([]float64, len(m.Items))
	u, known := m.userIndex[customer]
	if known {
		m.Scorer.Score(u, scores)
	} else {
		copy(scores, m.fallback)
	}
	var own []int32
	if known && excludeOwn {
		own, _ = m.history.Row(u)
	}
	for _, i := range eval.TopK(scores, k, own, nil) {
		recs = append(recs, Recommendation{Product: m.Items[i], Score: scores[i]})
	}
	return recs, known
}
